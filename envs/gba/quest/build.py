"""Build the QUEST-GBA ROM from source with arm-none-eabi-gcc, and describe its EWRAM for the adapter.

    python -m envs.gba.quest.build [--force]

Steps: generate build/assets.{c,h} from assets.py -> assemble crt0.s (ARM: header, start-up, IRQ handler)
-> compile quest.c and assets.c (Thumb, -O2) -> link with gba.ld and -lgcc -> objcopy -O binary -> fix the
header complement byte (0xBD). `arm-none-eabi-nm` on the linked ELF gives the EWRAM address of every g_* state
variable; those plus the game's constants go to build/quest-gba.symbols.json, so the adapter never hard-codes
an address.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from envs.gameboy.quest import assets as gb_assets  # the shared 5x7 font lives there
from envs.gba.game import EWRAM, EWRAM_SIZE, header_complement
from envs.gba.quest import assets
from envs.romkit import RomBuild, c_ident, run_tool

SRC_DIR = Path(__file__).resolve().parent
BUILD_DIR = SRC_DIR / "build"
ROM_NAME = "quest-gba.gba"
SYMBOLS_NAME = "quest-gba.symbols.json"
TITLE, CODE = "QUEST GBA", "QGBA"
SYMBOLS_FORMAT = 1
CFLAGS = ("-mthumb", "-mcpu=arm7tdmi", "-mthumb-interwork", "-O2", "-ffreestanding", "-fno-common",
          "-fno-tree-loop-distribute-patterns", "-Wall", "-Wextra", "-Werror")  # fmt: skip

# State variables the adapter relies on; the build fails if the linker did not place one.
STATE_SYMBOLS = (
    "g_mode", "g_room", "g_px", "g_py", "g_facing", "g_flags", "g_items", "g_obj_count", "g_objs", "g_room_buf",
    "g_dialog", "g_dlg_next", "g_dlg_action", "g_keys", "g_moves", "g_frame",
)  # fmt: skip


def sources() -> list[Path]:
    """Everything the ROM is built from (a change to any of these triggers a rebuild)."""
    names = ("crt0.s", "quest.c", "gba.ld", "assets.py", "build.py")
    return [SRC_DIR / n for n in names] + [Path(gb_assets.__file__)]


def _build(tmp: Path) -> None:
    header, source = generate_assets()
    (tmp / "assets.h").write_text(header)
    (tmp / "assets.c").write_text(source)
    gcc = "arm-none-eabi-gcc"
    run_tool([gcc, "-mcpu=arm7tdmi", "-c", "-o", "crt0.o", str(SRC_DIR / "crt0.s")], tmp)
    for name, src in (("quest", SRC_DIR / "quest.c"), ("assets", tmp / "assets.c")):
        run_tool([gcc, *CFLAGS, f"-I{tmp}", "-c", "-o", f"{name}.o", str(src)], tmp)
    run_tool([gcc, "-mthumb", "-mcpu=arm7tdmi", "-mthumb-interwork", "-nostartfiles", "-nostdlib",
              "-T", str(SRC_DIR / "gba.ld"), "-Wl,-Map=quest-gba.map", "-Wl,--no-warn-rwx-segments",
              "-o", "quest-gba.elf", "crt0.o", "quest.o", "assets.o", "-lgcc"], tmp)  # fmt: skip
    run_tool(["arm-none-eabi-objcopy", "-O", "binary", "quest-gba.elf", ROM_NAME], tmp)
    rom = bytearray((tmp / ROM_NAME).read_bytes())
    rom += bytes(-len(rom) % 4)
    rom[0xBD] = header_complement(bytes(rom))
    (tmp / ROM_NAME).write_bytes(bytes(rom))
    symbols = parse_nm(run_tool(["arm-none-eabi-nm", "-S", "--defined-only", "quest-gba.elf"], tmp))
    doc = symbols_document(symbols, bytes(rom))
    (tmp / SYMBOLS_NAME).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


ROM = RomBuild(BUILD_DIR, ROM_NAME, SYMBOLS_NAME,
               tools=("arm-none-eabi-gcc", "arm-none-eabi-objcopy", "arm-none-eabi-nm"),
               install_hint="install the ARM toolchain with `apt-get install -y --no-install-recommends "
                            "gcc-arm-none-eabi`",
               sources=sources, build=_build, keep=("quest-gba.map", "quest-gba.elf", "assets.h", "assets.c"))


def rom_path() -> Path:
    return ROM.rom_path


def symbols_path() -> Path:
    return ROM.symbols_path


def ensure_built(force: bool = False) -> Path:
    """Build the ROM if it is missing or older than its sources; return the .gba path."""
    return ROM.ensure_built(force)


def parse_nm(text: str) -> dict[str, tuple[int, int]]:
    """`02000010 00000096 B g_dialog` lines of `nm -S` -> {"g_dialog": (0x02000010, 0x96)} (data symbols)."""
    out: dict[str, tuple[int, int]] = {}
    for m in re.finditer(r"^([0-9a-fA-F]{8}) ([0-9a-fA-F]{8}) [bBdD] (\w+)\s*$", text, re.MULTILINE):
        out[m.group(3)] = (int(m.group(1), 16), int(m.group(2), 16))
    return out


def symbols_document(symbols: dict[str, tuple[int, int]], rom: bytes) -> dict:
    """What the adapter needs: EWRAM addresses (and sizes) of the state plus the game's constants."""
    missing = [s for s in STATE_SYMBOLS if s not in symbols]
    if missing:
        raise RuntimeError(f"linker output lacks state symbols: {', '.join(missing)}")
    state = {name: v for name, v in symbols.items() if name.startswith("g_")}
    bad = [n for n, (a, size) in state.items() if not (a >= EWRAM and a + size <= EWRAM + EWRAM_SIZE)]
    if bad:
        raise RuntimeError(f"state symbols outside EWRAM: {', '.join(bad)}")
    a = assets
    return {
        "format": SYMBOLS_FORMAT,
        "rom": {"title": TITLE, "code": CODE, "sha1": hashlib.sha1(rom).hexdigest(), "size": len(rom)},
        "symbols": {name: addr for name, (addr, _) in sorted(state.items())},
        "sizes": {name: size for name, (_, size) in sorted(state.items())},
        "layout": {
            "room_w": a.ROOM_W,
            "room_h": a.ROOM_H,
            "max_objs": a.MAX_OBJS,
            "obj_fields": list(a.OBJ_FIELDS),
            "dialog_max": a.DIALOG_MAX,
        },
        "milestones": list(a.MILESTONES),
        "flags": list(a.FLAGS),
        "rooms": [r.name for r in a.ROOMS],
        "modes": list(a.MODES),
        "facing": list(a.FACING),
        "items": list(a.ITEMS),
        "obj_kinds": list(a.OBJ_KINDS),
        "obj_legend": dict(a.OBJ_LEGEND),
        "cells": list(a.CELLS),
        "cell_legend": {str(k): v for k, v in sorted(a.cell_legend().items())},
    }


def _c_words(data: bytes, per_line: int = 8) -> str:
    words = [f"0x{int.from_bytes(data[i : i + 4], 'little'):08X}" for i in range(0, len(data), 4)]
    return ",\n".join("    " + ", ".join(words[i : i + per_line]) for i in range(0, len(words), per_line))


def _c_bytes(data: bytes | list[int], per_line: int = 16) -> str:
    items = [str(b) for b in data]
    return ",\n".join("    " + ", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line))


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\f", "\\f") + '"'


def generate_assets() -> tuple[str, str]:
    """C header and source holding every table the game reads from ROM."""
    a = assets
    for name, text in a.TEXTS.items():
        a.check_text(name, text)
    flag_of = {name: i for i, name in enumerate(a.FLAGS)}

    def flag_num(name: str | None) -> int:
        return a.NO_FLAG if name is None else flag_of[name]

    bg_tiles, obj_tiles = a.all_tiles(), a.sprite_tiles()
    defines: list[tuple[str, int]] = [
        ("ROOM_W", a.ROOM_W), ("ROOM_H", a.ROOM_H), ("MAX_OBJS", a.MAX_OBJS), ("DIALOG_MAX", a.DIALOG_MAX),
        ("NO_FLAG", a.NO_FLAG), ("NUM_ROOMS", len(a.ROOMS)), ("NUM_WARPS", len(a.WARPS)),
        ("NUM_OBJDEFS", len(a.OBJECTS)), ("NUM_ITEMS", len(a.ITEMS)), ("NUM_CELLS", len(a.CELLS)),
        ("CELL_TILE0", a.CELL_TILE0), ("BG_TILE_WORDS", len(bg_tiles) // 4), ("OBJ_TILE_WORDS", len(obj_tiles) // 4),
        ("START_ROOM", a.ROOM_ID[a.START[0]]), ("START_X", a.START[1]), ("START_Y", a.START[2]),
        ("START_FACING", a.FACING.index(a.START[3])),
    ]  # fmt: skip
    defines += [(f"ROOM_{r.key}", i) for i, r in enumerate(a.ROOMS)]
    defines += [(f"F_{c_ident(f)}", i) for i, f in enumerate(a.FLAGS)]
    defines += [(f"MODE_{m}", i) for i, m in enumerate(a.MODES)]
    defines += [(f"DIR_{d}", i) for i, d in enumerate(a.FACING)]
    defines += [(f"OBJ_{k}", i) for i, k in enumerate(a.OBJ_KINDS)]
    defines += [(f"ITEM_{c_ident(k)}", i) for i, k in enumerate(a.ITEMS)]
    defines += [(f"ACT_{k}", i) for i, k in enumerate(a.ACTIONS)]
    defines += [(f"CELL_{k}", i) for i, k in enumerate(a.CELLS)]
    defines += [(f"BOX_{k}", 1 + i) for i, k in enumerate(a.BOX_TILES)]
    header = [
        "/* Generated by envs/gba/quest/build.py from assets.py: do not edit. */",
        "#ifndef QUEST_GBA_ASSETS_H",
        "#define QUEST_GBA_ASSETS_H",
        "#include <stdint.h>",
        *(f"#define {name} {value}" for name, value in defines),
        *(f"#define TEXT_{name} text_{name}" for name in a.TEXTS),
        "typedef struct { uint8_t room, x, y, dest_room, dest_x, dest_y, dest_facing; } warp_t;",
        "typedef struct { uint8_t room, x, y, kind, arg, cell, hide_flag, move_flag, alt_x, alt_y; } objdef_t;",
        "extern const uint16_t palette[16];",
        "extern const uint32_t bg_tiles[BG_TILE_WORDS];",
        "extern const uint32_t obj_tiles[OBJ_TILE_WORDS];",
        "extern const uint8_t room_cells[NUM_ROOMS * ROOM_W * ROOM_H];",
        "extern const uint8_t room_enter_flag[NUM_ROOMS];",
        "extern const uint8_t cell_walkable[NUM_CELLS];",
        "extern const warp_t warps[NUM_WARPS];",
        "extern const objdef_t objdefs[NUM_OBJDEFS];",
        *(f"extern const char text_{name}[];" for name in a.TEXTS),
        "#endif",
        "",
    ]
    walkable = [1 if name in a.TERRAIN and a.TERRAIN_INFO[name][1] else 0 for name in a.CELLS]
    cells = b"".join(bytes(a.room_cells(r)) for r in a.ROOMS)
    warps = [
        f"    {{{a.ROOM_ID[w.room]}, {w.x}, {w.y}, {a.ROOM_ID[w.dest]}, {w.dest_x}, {w.dest_y}, "
        f"{a.FACING.index(w.dest_facing)}}}"
        for w in a.WARPS
    ]
    objs = [
        f"    {{{a.ROOM_ID[o.room]}, {o.x}, {o.y}, {a.OBJ_KINDS.index(o.kind)}, {o.arg}, {a.CELL[o.art]}, "
        f"{flag_num(o.hide_flag)}, {flag_num(o.move_flag)}, {o.alt[0]}, {o.alt[1]}}}"
        for o in a.OBJECTS
    ]
    palette = ", ".join(f"0x{a.rgb555(rgb):04X}" for _, rgb in a.PALETTE)
    source = [
        "/* Generated by envs/gba/quest/build.py from assets.py: do not edit. */",
        '#include "assets.h"',
        f"const uint16_t palette[16] = {{{palette}}};",
        f"const uint32_t bg_tiles[BG_TILE_WORDS] = {{\n{_c_words(bg_tiles)}\n}};",
        f"const uint32_t obj_tiles[OBJ_TILE_WORDS] = {{\n{_c_words(obj_tiles)}\n}};",
        f"const uint8_t room_cells[NUM_ROOMS * ROOM_W * ROOM_H] = {{\n{_c_bytes(cells, a.ROOM_W)}\n}};",
        "const uint8_t room_enter_flag[NUM_ROOMS] = {" + ", ".join(str(flag_num(r.enter_flag)) for r in a.ROOMS) + "};",
        f"const uint8_t cell_walkable[NUM_CELLS] = {{\n{_c_bytes(walkable)}\n}};",
        "const warp_t warps[NUM_WARPS] = {\n" + ",\n".join(warps) + "\n};",
        "const objdef_t objdefs[NUM_OBJDEFS] = {\n" + ",\n".join(objs) + "\n};",
        *(f"const char text_{name}[] = {_c_string(text)};" for name, text in a.TEXTS.items()),
        "",
    ]
    return "\n".join(header), "\n".join(source)


def main(argv: list[str] | None = None) -> int:
    return ROM.main("python -m envs.gba.quest.build", __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
