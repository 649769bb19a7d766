@ crt0 for QUEST-GBA: the cartridge header, the ARM entry point (stacks, .data copy, .bss clear, then the
@ Thumb main), and the ARM interrupt handler the BIOS calls through 0x03007FFC (VBlank only: it acknowledges
@ the interrupt and tells VBlankIntrWait that it happened).
@ build.py fixes the header complement byte (0xBD) after linking.

        .section .header, "ax"
        .arm
        .align  2
        .global _start
_start:
        b       reset
        .fill   156, 1, 0               @ 0x04: logo (not checked without the real BIOS)
        .ascii  "QUEST GBA"             @ 0xA0: title, 12 bytes, zero padded
        .fill   3, 1, 0
        .ascii  "QGBA"                  @ 0xAC: game code
        .ascii  "HB"                    @ 0xB0: maker code (homebrew)
        .byte   0x96                    @ 0xB2: fixed value
        .byte   0                       @ 0xB3: main unit code
        .byte   0                       @ 0xB4: device type
        .fill   7, 1, 0                 @ 0xB5: reserved
        .byte   0                       @ 0xBC: software version
        .byte   0                       @ 0xBD: header complement (build.py)
        .fill   2, 1, 0                 @ 0xBE: reserved

reset:
        mov     r0, #0x12               @ IRQ mode: its own stack
        msr     cpsr_c, r0
        ldr     sp, =0x03007FA0
        mov     r0, #0x1F               @ System mode for the game
        msr     cpsr_c, r0
        ldr     sp, =0x03007F00

        ldr     r0, =__data_lma         @ .data: ROM -> EWRAM
        ldr     r1, =__data_start
        ldr     r2, =__data_end
1:      cmp     r1, r2
        ldrlt   r3, [r0], #4
        strlt   r3, [r1], #4
        blt     1b

        ldr     r1, =__bss_start        @ .bss: zero (all game state lives here)
        ldr     r2, =__bss_end
        mov     r3, #0
2:      cmp     r1, r2
        strlt   r3, [r1], #4
        blt     2b

        ldr     r0, =0x03007FFC         @ the BIOS jumps to [0x03007FFC] on an interrupt
        ldr     r1, =irq_handler
        str     r1, [r0]

        ldr     r0, =main               @ Thumb main (bit 0 set by the linker)
        mov     lr, pc
        bx      r0
3:      b       3b

        .global irq_handler
irq_handler:
        mov     r2, #0x04000000
        add     r2, r2, #0x200          @ r2 = &REG_IE (REG_IF at +2)
        ldr     r1, [r2]                @ IE | IF << 16
        and     r0, r1, r1, lsr #16     @ IE & IF
        strh    r0, [r2, #2]            @ acknowledge in REG_IF
        ldr     r1, =0x03007FF8         @ BIOS_IF: what VBlankIntrWait waits for
        ldrh    r3, [r1]
        orr     r3, r3, r0
        strh    r3, [r1]
        bx      lr

        .pool
