; Minimal start-up for the test ROM: entry at 0x100 jumps past the header (makebin fills the logo,
; title and checksums), interrupts stay off, stack at the top of WRAM, then C main().
	.module crt0
	.globl _main
	.area _HEADER (ABS)
	.org 0x100
	nop
	jp init
	.org 0x150
init:
	di
	ld sp, #0xE000
	call _main
1$:
	jr 1$
	.area _HOME
	.area _CODE
	.area _DATA
	.area _BSS
