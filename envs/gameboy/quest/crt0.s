;; crt0 for QUEST: vectors, entry point, WRAM clear, VBlank ISR, and the one routine that
;; must be fast enough for VBlank (copying dirty window rows into VRAM).
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
;; void flush_rows(void)
;; Copies up to ROWS_PER_VBLANK dirty rows of the window shadow (_g_win, 20 bytes a row) into
;; the window tile map (0x9C00, 32 bytes a row), starting a row only while LY is in 144..149,
;; and keeps _g_dirty_lo / _g_dirty_hi (the range still to scan; lo > hi: nothing) up to date.
;; In asm because SDCC's code took ~70 cycles just to skip a clean row.
        ROWS_PER_VBLANK = 4
        WIN_ROWS = 18
        LY_LAST = 150           ; a row (~150 cycles) started before this line ends in VBlank
        rLY = 0xFF44

        .globl  _g_win, _g_win_dirty, _g_dirty_lo, _g_dirty_hi
_flush_rows::
        ld      a, (_g_dirty_lo)
        ld      c, a            ; c = row
        ld      a, (_g_dirty_hi)
        ld      e, a            ; e = last row to scan
        cp      a, c
        ret     c               ; hi < lo: nothing dirty
        ld      b, #ROWS_PER_VBLANK
        ld      hl, #_g_win_dirty
        ld      a, l
        add     a, c
        ld      l, a
        ld      a, h
        adc     a, #0
        ld      h, a            ; hl = &g_win_dirty[row]
3$:
        ld      a, (hl)
        or      a, a
        jp      z, 5$           ; clean: next row
        ld      a, b
        or      a, a
        jp      z, 7$           ; copied enough rows this VBlank
        ldh     a, (#rLY)
        cp      a, #144
        jp      c, 7$
        cp      a, #LY_LAST
        jp      nc, 7$
        ld      (hl), #0
        push    hl
        push    bc
        push    de
        ld      l, c
        ld      h, #0
        add     hl, hl
        add     hl, hl
        ld      d, h
        ld      e, l            ; de = row * 4
        add     hl, hl
        add     hl, hl
        add     hl, de          ; hl = row * 20
        ld      de, #_g_win
        add     hl, de
        push    hl              ; source
        ld      l, c
        ld      h, #0
        add     hl, hl
        add     hl, hl
        add     hl, hl
        add     hl, hl
        add     hl, hl          ; row * 32
        ld      de, #0x9C00
        add     hl, de
        ld      d, h
        ld      e, l            ; de = destination
        pop     hl
        .rept   20
        ld      a, (hl+)
        ld      (de), a
        inc     de
        .endm
        pop     de
        pop     bc
        pop     hl
        ldh     a, (#rLY)
        cp      a, #144
        jr      nc, 4$
        ld      (hl), #1        ; VBlank ended during the copy: bytes may be lost, redo it
        jr      7$
4$:
        dec     b
5$:
        ld      a, c
        cp      a, e
        jr      z, 6$           ; scanned the last row
        inc     c
        inc     hl
        jp      3$
6$:
        ld      a, #WIN_ROWS    ; everything copied
        ld      (_g_dirty_lo), a
        xor     a, a
        ld      (_g_dirty_hi), a
        ret
7$:
        ld      a, c            ; resume at this row next VBlank
        ld      (_g_dirty_lo), a
        ret
