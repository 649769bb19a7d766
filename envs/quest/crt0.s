;; crt0 for QUEST: vectors, entry point, WRAM clear, VBlank ISR, and the one routine that
;; must be fast enough for VBlank (copying a 20-tile row into VRAM).
;; makebin -Z fills the cartridge header (0x104-0x14F): logo, title, checksums.

        .module crt0
        .globl  _main
        .globl  _vbl_flag

        .area   _HEADER (ABS)

        ;; RST vectors: an accidental jump into empty ROM (0xFF = rst 0x38) parks the CPU.
        .org    0x00
        ret
        .org    0x08
        ret
        .org    0x10
        ret
        .org    0x18
        ret
        .org    0x20
        ret
        .org    0x28
        ret
        .org    0x30
        ret
        .org    0x38
        di
        halt

        ;; VBlank: only raise a flag; the main loop does the VRAM work right after it.
        .org    0x40
        push    af
        ld      a, #1
        ld      (_vbl_flag), a
        pop     af
        reti
        .org    0x48            ; STAT
        reti
        .org    0x50            ; timer
        reti
        .org    0x58            ; serial
        reti
        .org    0x60            ; joypad
        reti

        .org    0x100
        nop
        jp      init

        .org    0x150
init:
        di
        ld      sp, #0xE000
        ;; Zero all of WRAM (0xC000-0xDFFF): C globals are not initialised by this crt0,
        ;; the game starts from a known all-zero state instead.
        ld      hl, #0xC000
        ld      bc, #0x2000
1$:
        xor     a
        ld      (hl+), a
        dec     bc
        ld      a, b
        or      a, c
        jr      nz, 1$
        call    _main
2$:
        halt
        jr      2$

        ;; Link order of the areas.
        .area   _HOME
        .area   _CODE
        .area   _INITIALIZER
        .area   _GSINIT
        .area   _GSFINAL
        .area   _DATA
        .area   _INITIALIZED
        .area   _BSEG
        .area   _BSS
        .area   _HEAP

        .area   _CODE
;; void vcopy_row(uint8_t *dst /* DE */, const uint8_t *src /* BC */)
;; Copies 20 bytes; unrolled so a VBlank can take several rows (6 cycles per byte).
_vcopy_row::
        ld      h, b
        ld      l, c
        .rept   20
        ld      a, (hl+)
        ld      (de), a
        inc     de
        .endm
        ret
