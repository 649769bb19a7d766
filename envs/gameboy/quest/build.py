"""Build the QUEST ROM from source with Debian's SDCC, and describe its RAM for the adapter.

    python -m envs.gameboy.quest.build [--force]

Steps: generate build/assets.{c,h} from assets.py -> sdasgb crt0.s -> sdcc -msm83 -c -> link
with our crt0 (code at 0x200, data at 0xC100) -> makebin -Z (logo, title, header checksums).
The linker's NoICE output (.noi) gives the WRAM address of every g_* state variable; those
plus the game's constants go to build/quest.symbols.json, so the adapter never hard-codes
an address.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from envs.gameboy.quest import assets
from envs.romkit import RomBuild, c_ident, run_tool

SRC_DIR = Path(__file__).resolve().parent
BUILD_DIR = SRC_DIR / "build"
ROM_NAME = "quest.gb"
SYMBOLS_NAME = "quest.symbols.json"
TITLE = "QUEST"
CODE_LOC = 0x200
DATA_LOC = 0xC100
SYMBOLS_FORMAT = 1

# State variables the adapter relies on; the build fails if the linker did not place one.
STATE_SYMBOLS = (
    "g_mode", "g_map", "g_px", "g_py", "g_facing", "g_flags", "g_items", "g_hp", "g_maxhp",
    "g_dlg_next", "g_dlg_action", "g_menu_cursor", "g_menu_count", "g_menu_list", "g_boss_hp",
    "g_bstate", "g_bcursor", "g_obj_count", "g_objs", "g_map_buf", "g_win", "g_win_wy",
    "g_frame", "g_overruns", "g_moves", "g_keys",
)  # fmt: skip


def sources() -> list[Path]:
    """Everything the ROM is built from (a change to any of these triggers a rebuild)."""
    return [SRC_DIR / "crt0.s", SRC_DIR / "quest.c", SRC_DIR / "assets.py", Path(__file__).resolve()]


def _build(tmp: Path) -> None:
    header, source = generate_assets()
    (tmp / "assets.h").write_text(header)
    (tmp / "assets.c").write_text(source)
    run_tool(["sdasgb", "-plosgff", "-o", str(tmp / "crt0.rel"), str(SRC_DIR / "crt0.s")], tmp)
    for name, src in (("quest", SRC_DIR / "quest.c"), ("assets", tmp / "assets.c")):
        run_tool(["sdcc", "-msm83", "-c", f"-I{tmp}", "-o", str(tmp / f"{name}.rel"), str(src)], tmp)
    run_tool(
        [
            "sdcc", "-msm83", "--no-std-crt0", "--code-loc", f"{CODE_LOC:#x}", "--data-loc", f"{DATA_LOC:#x}",
            "-Wl-j", "-Wl-m", "-o", str(tmp / "quest.ihx"),
            str(tmp / "crt0.rel"), str(tmp / "quest.rel"), str(tmp / "assets.rel"),
        ],
        tmp,
    )  # fmt: skip
    run_tool(["makebin", "-Z", "-yn", TITLE, str(tmp / "quest.ihx"), str(tmp / ROM_NAME)], tmp)
    rom = (tmp / ROM_NAME).read_bytes()
    doc = symbols_document(parse_noi((tmp / "quest.noi").read_text()), rom)
    (tmp / SYMBOLS_NAME).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


ROM = RomBuild(BUILD_DIR, ROM_NAME, SYMBOLS_NAME, tools=("sdcc", "sdasgb", "makebin"),
               install_hint="install SDCC with `apt-get install -y sdcc`", sources=sources, build=_build,
               keep=("quest.map", "quest.noi", "assets.h", "assets.c"))


def rom_path() -> Path:
    return ROM.rom_path


def symbols_path() -> Path:
    return ROM.symbols_path


def ensure_built(force: bool = False) -> Path:
    """Build the ROM if it is missing or older than its sources; return the .gb path."""
    return ROM.ensure_built(force)


def parse_noi(text: str) -> dict[str, int]:
    """`DEF _g_px 0xC10B` lines of the linker's NoICE file -> {"g_px": 0xC10B}."""
    out: dict[str, int] = {}
    for m in re.finditer(r"^DEF\s+_(\w+)\s+0x([0-9A-Fa-f]+)\s*$", text, re.MULTILINE):
        out[m.group(1)] = int(m.group(2), 16)
    return out


def symbols_document(symbols: dict[str, int], rom: bytes) -> dict:
    """What the adapter needs: WRAM addresses of the state plus the game's constants."""
    missing = [s for s in STATE_SYMBOLS if s not in symbols]
    if missing:
        raise RuntimeError(f"linker output lacks state symbols: {', '.join(missing)}")
    state = {name: addr for name, addr in symbols.items() if name.startswith("g_")}
    bad = [n for n, a in state.items() if not 0xC000 <= a < 0xE000]
    if bad:
        raise RuntimeError(f"state symbols outside WRAM: {', '.join(bad)}")
    return {
        "format": SYMBOLS_FORMAT,
        "rom": {"title": TITLE, "sha1": hashlib.sha1(rom).hexdigest(), "size": len(rom)},
        "symbols": state,
        "layout": {
            "map_w": assets.MAP_W,
            "map_h": assets.MAP_H,
            "max_objs": assets.MAX_OBJS,
            "obj_size": assets.OBJ_SIZE,
            "obj_fields": ["x", "y", "tile", "kind", "arg", "def"],
            "win_rows": assets.WIN_ROWS,
            "flag_bytes": 2,
        },
        "milestones": list(assets.MILESTONES),
        "flags": list(assets.FLAGS),
        "maps": [m.name for m in assets.MAPS],
        "modes": list(assets.MODES),
        "facing": list(assets.FACING),
        "obj_kinds": list(assets.OBJ_KINDS),
        "items": list(assets.ITEMS),
        "tiles": dict(assets.TILE),
        "tile_legend": {str(k): v for k, v in sorted(assets.tile_legend().items())},
        "charmap": {str(k): v for k, v in sorted(assets.charmap().items())},
        "battle": {
            "player_max_hp": assets.PLAYER_MAX_HP,
            "boss_max_hp": assets.BOSS_MAX_HP,
            "player_damage": assets.PLAYER_DAMAGE,
            "boss_damage": assets.BOSS_DAMAGE,
            "potion_heal": assets.POTION_HEAL,
        },
    }


def _c_bytes(data: bytes | list[int], per_line: int = 16) -> str:
    items = [f"0x{b:02X}" for b in data]
    return ",\n".join("    " + ", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line))


def generate_assets() -> tuple[str, str]:
    """C header and source holding every table the game reads from ROM."""
    a = assets
    flag_of = {name: i for i, name in enumerate(a.FLAGS)}

    def flag_num(name: str | None) -> int:
        return a.NO_FLAG if name is None else flag_of[name]

    defines: list[tuple[str, int]] = [
        ("MAP_W", a.MAP_W), ("MAP_H", a.MAP_H), ("MAX_OBJS", a.MAX_OBJS), ("WIN_ROWS", a.WIN_ROWS),
        ("NO_FLAG", a.NO_FLAG), ("NUM_TILES", a.NUM_TILES), ("NUM_MAPS", len(a.MAPS)),
        ("NUM_WARPS", len(a.WARPS)), ("NUM_OBJDEFS", len(a.OBJECTS)), ("NUM_ITEMS", len(a.ITEMS)),
        ("NUM_SIGNS", len(a.SIGNS)),
        ("PLAYER_MAX_HP", a.PLAYER_MAX_HP), ("BOSS_MAX_HP", a.BOSS_MAX_HP),
        ("PLAYER_DAMAGE", a.PLAYER_DAMAGE), ("BOSS_DAMAGE", a.BOSS_DAMAGE), ("POTION_HEAL", a.POTION_HEAL),
        ("START_MAP", a.MAP_ID[a.START[0]]), ("START_X", a.START[1]), ("START_Y", a.START[2]),
    ]  # fmt: skip
    defines += [(f"T_{name}", num) for name, num in a.TILE.items()]
    defines += [(f"MAP_{m.key}", i) for i, m in enumerate(a.MAPS)]
    defines += [(f"F_{c_ident(f)}", i) for i, f in enumerate(a.FLAGS)]
    defines += [(f"MODE_{m}", i) for i, m in enumerate(a.MODES)]
    defines += [(f"DIR_{d}", i) for i, d in enumerate(a.FACING)]
    defines += [(f"OBJ_{k}", i) for i, k in enumerate(a.OBJ_KINDS)]
    defines += [(f"ITEM_{c_ident(k)}", i) for i, k in enumerate(a.ITEMS)]
    defines += [(f"NPC_{k}", i) for i, k in enumerate(a.NPCS)]
    defines += [(f"SIGN_{k}", i) for i, k in enumerate(a.SIGNS)]
    header = [
        "/* Generated by envs/gameboy/quest/build.py from assets.py: do not edit. */",
        "#ifndef QUEST_ASSETS_H",
        "#define QUEST_ASSETS_H",
        "#include <stdint.h>",
        *(f"#define {name} {value}" for name, value in defines),
        "typedef struct { uint8_t map, x, y, dest_map, dest_x, dest_y, dest_facing; } warp_t;",
        "typedef struct { uint8_t map, x, y, tile, kind, arg, hide_flag, move_flag, alt_x, alt_y; } objdef_t;",
        "extern const uint8_t tile_data[NUM_TILES * 16];",
        "extern const uint8_t map_data[NUM_MAPS * MAP_W * MAP_H];",
        "extern const uint8_t map_enter_flag[NUM_MAPS];",
        "extern const uint8_t tile_walkable[NUM_TILES];",
        "extern const uint8_t tile_warp[NUM_TILES];",
        "extern const warp_t warps[NUM_WARPS];",
        "extern const objdef_t objdefs[NUM_OBJDEFS];",
        "#endif",
        "",
    ]
    legend = a.tile_legend()
    walkable = [1 if legend.get(t) in (".", "g", "D") and t < len(a.TERRAIN) else 0 for t in range(a.NUM_TILES)]
    warp_tiles = [1 if t in {a.TILE[w] for w in a.WARP_TILES} else 0 for t in range(a.NUM_TILES)]
    maps = b"".join(bytes(a.map_tiles(m)) for m in a.MAPS)
    warps = [
        f"    {{{a.MAP_ID[w.map]}, {w.x}, {w.y}, {a.MAP_ID[w.dest]}, {w.dest_x}, {w.dest_y}, "
        f"{a.FACING.index(w.dest_facing)}}}"
        for w in a.WARPS
    ]
    objs = [
        f"    {{{a.MAP_ID[o.map]}, {o.x}, {o.y}, {a.TILE[o.tile]}, {a.OBJ_KINDS.index(o.kind)}, {o.arg}, "
        f"{flag_num(o.hide_flag)}, {flag_num(o.move_flag)}, {o.alt[0]}, {o.alt[1]}}}"
        for o in a.OBJECTS
    ]
    source = [
        "/* Generated by envs/gameboy/quest/build.py from assets.py: do not edit. */",
        '#include "assets.h"',
        f"const uint8_t tile_data[NUM_TILES * 16] = {{\n{_c_bytes(b''.join(a.all_tiles()))}\n}};",
        f"const uint8_t map_data[NUM_MAPS * MAP_W * MAP_H] = {{\n{_c_bytes(maps, a.MAP_W)}\n}};",
        "const uint8_t map_enter_flag[NUM_MAPS] = {" + ", ".join(str(flag_num(m.enter_flag)) for m in a.MAPS) + "};",
        f"const uint8_t tile_walkable[NUM_TILES] = {{\n{_c_bytes(walkable)}\n}};",
        f"const uint8_t tile_warp[NUM_TILES] = {{\n{_c_bytes(warp_tiles)}\n}};",
        "const warp_t warps[NUM_WARPS] = {\n" + ",\n".join(warps) + "\n};",
        "const objdef_t objdefs[NUM_OBJDEFS] = {\n" + ",\n".join(objs) + "\n};",
        "",
    ]
    return "\n".join(header), "\n".join(source)


def main(argv: list[str] | None = None) -> int:
    return ROM.main("python -m envs.gameboy.quest.build", __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
