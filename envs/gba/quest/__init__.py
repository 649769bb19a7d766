"""QUEST-GBA: the homebrew Game Boy Advance game the GBA env's tests, demo and benchmark run on.

Sources: quest.c (game logic, Thumb C), crt0.s (cartridge header, start-up, interrupt handler), gba.ld (memory
layout: code in ROM, state in EWRAM), assets.py (palette, cell art, rooms, objects, texts).
`envs.gba.quest.build.ensure_built()` compiles them with arm-none-eabi-gcc; `envs.gba.quest.route` holds the
scripted shortest route and the press helper that follows the runtime's press contract.
"""
