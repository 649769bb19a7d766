"""The game's data as legible ASCII: tiles, font, maps, warps, objects, flags.

`build.py` turns this into `build/assets.c` / `build/assets.h` for SDCC, and into the
constants part of `build/quest.symbols.json` that the adapter reads. Keeping maps and
graphics as text here (instead of hex in C) makes them reviewable and lets the route
planner and tests reason about the same data the game is built from.
"""

from __future__ import annotations

from dataclasses import dataclass

MAP_W = 20
MAP_H = 18
MAX_OBJS = 8  # objects (NPCs, items, signs, gates) loaded per map
OBJ_SIZE = 6  # bytes per entry of the WRAM object table: x, y, tile, kind, arg, def index
WIN_ROWS = 18  # rows of the window shadow buffer (a full screen for the battle)
NO_FLAG = 0xFF

# ---------------------------------------------------------------------------------------------
# Flags. The first nine are the milestones, in story order; the rest are internal.
MILESTONES: tuple[str, ...] = (
    "talked_to_mom",
    "entered_town",
    "met_elder",
    "entered_route",
    "got_key",
    "opened_gate",
    "entered_cave",
    "beat_boss",
    "got_orb",
)
FLAGS: tuple[str, ...] = MILESTONES + ("got_route_potion", "got_cave_potion")
FLAG = {name: i for i, name in enumerate(FLAGS)}
assert len(FLAGS) <= 16  # two bytes of flags in WRAM

# ---------------------------------------------------------------------------------------------
# Tiles: 8x8 pixels, one character per pixel: ' ' white, '.' light, '+' dark, '#' black.
PIXEL = {" ": 0, ".": 1, "+": 2, "#": 3}

TERRAIN: dict[str, list[str]] = {
    "VOID": ["########"] * 8,
    "FLOOR": ["        ", "  .     ", "        ", "        ", "      . ", "        ", "        ", "........"],
    "WALL": ["++++#+++", "++++#+++", "++++#+++", "########", "#+++++++", "#+++++++", "#+++++++", "########"],
    "DOOR": ["########", "#++++++#", "#+....+#", "#+....+#", "#+....+#", "#+..#.+#", "#+....+#", "#+....+#"],
    "GROUND": ["        ", "   .    ", "        ", "       .", "        ", " .      ", "        ", "     .  "],
    "PATH": ["........", "...+....", "........", "........", "......+.", ".+......", "........", "........"],
    "GRASS": ["  #  #  ", " #+##+# ", " #.##.# ", "        ", "#  #  # ", "+##+##+#", ".##.##.#", "        "],
    "WATER": ["........", ".++.....", "+..+..++", "....++..", "........", "..++....", "++..+..+", "......+."],
    "TREE": ["  ####  ", " #++++# ", "#+.++++#", "#++++.+#", "#++++++#", " ##++## ", "   ##   ", "  ####  "],
    "ROOF": ["########", "++#+++#+", "+#+++#++", "#+++#+++", "########", "+#+++#++", "#+++#+++", "########"],
    "HWALL": ["        ", " ###### ", " #....# ", " #....# ", " ###### ", "        ", "        ", "########"],
    "TABLE": ["########", "#......#", "#......#", "########", " #    # ", " #    # ", " #    # ", "        "],
    "BED": ["########", "# #### #", "# #  # #", "# #### #", "#......#", "#......#", "#......#", "########"],
    "SHELF": ["########", "#.+#.+##", "#.+#.+##", "########", "##+.#+.#", "##+.#+.#", "########", "#      #"],
    "EXIT": ["........", "..+..+..", "........", "........", "..+..+..", "........", "........", "..+..+.."],
    "CFLOOR": ["........", "........", "..+.....", "........", "......+.", "........", ".+......", "........"],
    "ROCK": ["#++++++#", "+.+++++#", "+++.+++#", "++++++.#", "+.+++++#", "++++.++#", "+++++++#", "########"],
    "CAVE": ["+++++++#", "++####+#", "+######+", "########", "########", "########", "########", "########"],
    "FENCE": ["        ", " #    # ", "########", " #    # ", " #    # ", "########", " #    # ", "        "],
}
OBJECT_TILES: dict[str, list[str]] = {
    "MOM": ["  ####  ", " ###### ", "##.##.##", "#......#", "##++++##", " #++++# ", " #++++# ", "  #  #  "],
    "ELDER": ["  ....  ", " #....# ", " #.#.#. ", " #....# ", " ###### ", "#++++++#", " #++++# ", "  #  #  "],
    "GUARD": [" ###### ", "#++++++#", "########", " #.#.#. ", " #....# ", "##++++##", "#.++++.#", " ##  ## "],
    "HIKER": ["   ##   ", " ###### ", " #.#.#. ", " #....# ", " #++++# ", "#.++++.#", " #++++# ", " ##  ## "],
    "BOSS": ["#      #", "##    ##", " ###### ", "#.#++#.#", "########", "#+#  #+#", " ###### ", "##    ##"],
    "BALL": ["  ####  ", " #++++# ", "#++++++#", "###..###", "#..##..#", "#......#", " #....# ", "  ####  "],
    "SIGN": ["        ", "########", "#......#", "#.####.#", "#......#", "########", "   ##   ", "   ##   "],
    "GATE": ["########", "#.#..#.#", "#.####.#", "#.#..#.#", "#.#..#.#", "#.####.#", "#.#..#.#", "########"],
    "ORB": ["  ####  ", " #....# ", "#.  ...#", "#. ....#", "#......#", "#.....+#", " #..++# ", "  ####  "],
}
UI_TILES: dict[str, list[str]] = {
    "BOX_TL": ["        ", "        ", "        ", "   #####", "   #####", "   ##   ", "   ##   ", "   ##   "],
    "BOX_TR": ["        ", "        ", "        ", "#####   ", "#####   ", "   ##   ", "   ##   ", "   ##   "],
    "BOX_BL": ["   ##   ", "   ##   ", "   ##   ", "   #####", "   #####", "        ", "        ", "        "],
    "BOX_BR": ["   ##   ", "   ##   ", "   ##   ", "#####   ", "#####   ", "        ", "        ", "        "],
    "BOX_H": ["        ", "        ", "        ", "########", "########", "        ", "        ", "        "],
    "BOX_V": ["   ##   "] * 8,
    "MORE": ["        ", "        ", " ###### ", "  ####  ", "   ##   ", "        ", "        ", "        "],
}
SPRITE_TILES: dict[str, list[str]] = {
    "PLAYER_DOWN": [" ###### ", "#++++++#", "#.#..#.#", "#......#", " #++++# ", "#.++++.#", " #++++# ", " ##  ## "],
    "PLAYER_UP": [" ###### ", "#++++++#", "#++++++#", "#++++++#", " #++++# ", "#.++++.#", " #++++# ", " ##  ## "],
    "PLAYER_LEFT": [" #####  ", "#+++++# ", "#.#...# ", "#.....# ", " #+++#  ", " #.++#  ", " #+++#  ", "  ## #  "],
}
# The boss picture shown in battle: 16x16, split into four tiles.
BOSS_PICTURE: list[str] = [
    "##            ##",
    "#+#          #+#",
    "#++#        #++#",
    " #++########++# ",
    "  #++++++++++#  ",
    " #++++++++++++# ",
    " #++  ++++  ++# ",
    "#+++ # ++ # +++#",
    "#++++++++++++++#",
    "#+++########+++#",
    "#+++#.#..#.#+++#",
    " #++########++# ",
    "  #++++++++++#  ",
    " #++#++++++#++# ",
    "#++# ###### #++#",
    "####        ####",
]

# 5x7 glyphs; '#' ink. Placed at column 1, rows 0..6 of the 8x8 tile.
FONT: dict[str, list[str]] = {
    "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "B": ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
    "C": [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
    "D": ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
    "E": ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
    "F": ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
    "G": [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"],
    "H": ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "I": [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "J": ["..###", "...#.", "...#.", "...#.", "#..#.", "#..#.", ".##.."],
    "K": ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
    "L": ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
    "M": ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
    "N": ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"],
    "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "P": ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
    "Q": [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"],
    "R": ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
    "S": [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
    "T": ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
    "U": ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "V": ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
    "W": ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
    "X": ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
    "Y": ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
    "Z": ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"],
    "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
    "!": ["..#..", "..#..", "..#..", "..#..", "..#..", ".....", "..#.."],
    "?": [".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."],
    ".": [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
    ",": [".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."],
    "'": ["..#..", "..#..", ".#...", ".....", ".....", ".....", "....."],
    "-": [".....", ".....", ".....", ".###.", ".....", ".....", "....."],
    ":": [".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."],
    "/": [".....", "....#", "...#.", "..#..", ".#...", "#....", "....."],
    ">": [".#...", "..#..", "...#.", "....#", "...#.", "..#..", ".#..."],
    " ": ["....."] * 7,
}

# Tile numbers. Terrain and objects low, the font at its ASCII codes (so C string literals are
# tile numbers), UI and sprites above the font.
TILE: dict[str, int] = {}
for _i, _name in enumerate(TERRAIN):
    TILE[_name] = _i
for _i, _name in enumerate(OBJECT_TILES):
    TILE[_name] = len(TERRAIN) + _i
for _i, _name in enumerate(UI_TILES):
    TILE[_name] = 0x60 + _i
for _i, _name in enumerate(SPRITE_TILES):
    TILE[_name] = 0x70 + _i
for _i, _name in enumerate(("BOSS_TL", "BOSS_TR", "BOSS_BL", "BOSS_BR")):
    TILE[_name] = 0x74 + _i
NUM_TILES = 0x80
assert len(TERRAIN) + len(OBJECT_TILES) <= 0x20

# What each terrain tile means in the text map (envs.base.MAP_LEGEND). Walkable: '.', 'g', 'D'.
TERRAIN_LEGEND: dict[str, str] = {
    "VOID": " ", "FLOOR": ".", "WALL": "#", "DOOR": "D", "GROUND": ".", "PATH": ".", "GRASS": "g",
    "WATER": "~", "TREE": "#", "ROOF": "#", "HWALL": "#", "TABLE": "#", "BED": "#", "SHELF": "#",
    "EXIT": "D", "CFLOOR": ".", "ROCK": "#", "CAVE": "D", "FENCE": "#",
}  # fmt: skip
WARP_TILES = ("DOOR", "EXIT", "CAVE")

# Map source characters -> terrain tile.
MAP_CHARS: dict[str, str] = {
    " ": "VOID", ".": "FLOOR", "#": "WALL", "D": "DOOR", ",": "GROUND", "p": "PATH", "g": "GRASS",
    "~": "WATER", "T": "TREE", "R": "ROOF", "H": "HWALL", "t": "TABLE", "b": "BED", "s": "SHELF",
    "E": "EXIT", "c": "CFLOOR", "r": "ROCK", "O": "CAVE", "F": "FENCE",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GameMap:
    key: str  # C identifier suffix: MAP_<key>
    name: str  # what the adapter reports as location
    rows: tuple[str, ...]
    enter_flag: str | None = None  # flag set when the player enters this map


MAPS: tuple[GameMap, ...] = (
    GameMap("HOUSE", "HOME", (
        "                    ",
        "                    ",
        "                    ",
        "   ##############   ",
        "   #bb..ss..ss..#   ",
        "   #bb..........#   ",
        "   #.....tt.....#   ",
        "   #.....tt.....#   ",
        "   #............#   ",
        "   #............#   ",
        "   #######D######   ",
        "                    ",
        "                    ",
        "                    ",
        "                    ",
        "                    ",
        "                    ",
        "                    ",
    )),
    GameMap("TOWN", "QUEST TOWN", (
        "TTTTTTTTTETTTTTTTTTT",
        "TTTTTTTTT,TTTTTTTTTT",
        "T,,,,,,,,,,,,,,,,,,T",
        "T,RRRRR,,,,,,RRRRR,T",
        "T,RRRRR,,,,,,RRRRR,T",
        "T,HHDHH,,,,,,HHHHH,T",
        "T,,,,,,,,,,,,,,,,,,T",
        "T,,,,,pppppppp,,,,,T",
        "T,,,,,p,,,,,,p,,,,,T",
        "T,,,,,p,~~~~,p,,,,,T",
        "T,,,,,p,~~~~,p,,,,,T",
        "T,,,,,pppppppp,,,,,T",
        "T,,,,,,,,,,,,,,,,,,T",
        "T,FFFF,,,,,,,,FFFF,T",
        "T,gggg,,,,,,,,gggg,T",
        "T,gggg,,,,,,,,gggg,T",
        "T,,,,,,,,,,,,,,,,,,T",
        "TTTTTTTTTTTTTTTTTTTT",
    ), enter_flag="entered_town"),
    GameMap("ROUTE", "ROUTE 1", (
        "rrrrrrrrrrrrrrrrrrrr",
        "rrrrrrrrrrrrrOrrrrrr",
        "T,,,,,,,,,,,,,,,,,,T",
        "T,,,~~~~,,,,,,,,,,,T",
        "T,,,~~~~,,,,,,,,,,,T",
        "TFFFFFFFFFF,FFFFFFFT",
        "T,,,,,,,,,,,,,,,,,,T",
        "T,gggggg,,,,,,,,,,,T",
        "T,gggggg,,,,TTTT,,,T",
        "T,gggggg,,,,TTTT,,,T",
        "T,gggggg,,,,,,,,,,,T",
        "T,,,,,,,,,,,,gggg,,T",
        "T,,,,,,,,,,,,gggg,,T",
        "T~~~~,,,,,,,,,,,,,,T",
        "T~~~~,,,,,,,,,,,,,,T",
        "T,,,,,,,,,,,,,,,,,,T",
        "TTTTTTTTT,TTTTTTTTTT",
        "TTTTTTTTTETTTTTTTTTT",
    ), enter_flag="entered_route"),
    GameMap("CAVE", "DARK CAVE", (
        "rrrrrrrrrrrrrrrrrrrr",
        "rcccrrrrrrrrrrrccccr",
        "rcccrrrrrrrrrrrcc~cr",
        "rrcrrrrrrrrrrrrcc~cr",
        "rrcccccccrrrrrrcccrr",
        "rrrrrrrrcrrrrrrrcrrr",
        "rcccccrrcccccccccrrr",
        "rcr~rcrrcrrrrrrrrrrr",
        "rcr~rcrrcrrrcccccccr",
        "rccccccccrrrcrrrrrcr",
        "rrrrrrrrcrrrcrcccrcr",
        "rccccccccccccrcrcrcr",
        "rcrrrrrrrcrrrrcrcccr",
        "rc~~~~~rrcrrcccrrrrr",
        "rc~~~~~rrcrrcrrrrrrr",
        "rcccccccccccccrrrrrr",
        "rrrrrrrrrcrrrrrrrrrr",
        "rrrrrrrrrErrrrrrrrrr",
    ), enter_flag="entered_cave"),
)  # fmt: skip
MAP_ID = {m.key: i for i, m in enumerate(MAPS)}

FACING = ("DOWN", "UP", "LEFT", "RIGHT")  # g_facing values
START = ("HOUSE", 6, 5)  # new game: map, x, y


@dataclass(frozen=True)
class Warp:
    map: str
    x: int
    y: int
    dest: str
    dest_x: int
    dest_y: int
    dest_facing: str


WARPS: tuple[Warp, ...] = (
    Warp("HOUSE", 10, 10, "TOWN", 4, 6, "DOWN"),
    Warp("TOWN", 4, 5, "HOUSE", 10, 9, "UP"),
    Warp("TOWN", 9, 0, "ROUTE", 9, 16, "UP"),
    Warp("ROUTE", 9, 17, "TOWN", 9, 1, "DOWN"),
    Warp("ROUTE", 13, 1, "CAVE", 9, 16, "UP"),
    Warp("CAVE", 9, 17, "ROUTE", 13, 2, "DOWN"),
)

OBJ_KINDS = ("NONE", "NPC", "SIGN", "ITEM", "GATE", "BOSS")
ITEMS = ("POTION", "KEY", "ORB")
NPCS = ("MOM", "ELDER", "GUARD", "HIKER")
SIGNS = ("TOWN", "ROUTE", "CAVE")


@dataclass(frozen=True)
class ObjDef:
    """A thing placed on a map. It is hidden once `hide_flag` is set and stands at `alt`
    once `move_flag` is set (how Mom and the guard step aside)."""

    map: str
    x: int
    y: int
    tile: str
    kind: str
    arg: int  # NPC script, sign text or item number
    hide_flag: str | None = None
    move_flag: str | None = None
    alt: tuple[int, int] = (0, 0)


OBJECTS: tuple[ObjDef, ...] = (
    ObjDef("HOUSE", 10, 9, "MOM", "NPC", NPCS.index("MOM"), move_flag="talked_to_mom", alt=(13, 9)),
    ObjDef("TOWN", 15, 6, "ELDER", "NPC", NPCS.index("ELDER")),
    ObjDef("TOWN", 9, 1, "GUARD", "NPC", NPCS.index("GUARD"), move_flag="met_elder", alt=(8, 2)),
    ObjDef("TOWN", 7, 5, "SIGN", "SIGN", SIGNS.index("TOWN")),
    ObjDef("ROUTE", 3, 9, "BALL", "ITEM", ITEMS.index("KEY"), hide_flag="got_key"),
    ObjDef("ROUTE", 16, 12, "BALL", "ITEM", ITEMS.index("POTION"), hide_flag="got_route_potion"),
    ObjDef("ROUTE", 11, 5, "GATE", "GATE", 0, hide_flag="opened_gate"),
    ObjDef("ROUTE", 12, 6, "SIGN", "SIGN", SIGNS.index("ROUTE")),
    ObjDef("ROUTE", 15, 14, "HIKER", "NPC", NPCS.index("HIKER")),
    ObjDef("CAVE", 2, 3, "BOSS", "BOSS", 0, hide_flag="beat_boss"),
    ObjDef("CAVE", 1, 1, "ORB", "ITEM", ITEMS.index("ORB"), hide_flag="got_orb"),
    ObjDef("CAVE", 18, 1, "BALL", "ITEM", ITEMS.index("POTION"), hide_flag="got_cave_potion"),
    ObjDef("CAVE", 10, 15, "SIGN", "SIGN", SIGNS.index("CAVE")),
)

# Battle numbers (also #defined for the C side, so the adapter and tests can reason about them).
PLAYER_MAX_HP = 20
BOSS_MAX_HP = 24
PLAYER_DAMAGE = 6
BOSS_DAMAGE = 5
POTION_HEAL = 10

MODES = ("TITLE", "WALK", "DIALOG", "MENU", "BATTLE")


def tile_bytes(rows: list[str], width: int = 8) -> bytes:
    """2bpp Game Boy tile data for an 8x8 pixel block (low bit plane byte first)."""
    out = bytearray()
    for row in rows:
        lo = hi = 0
        for x, ch in enumerate(row.ljust(width)[:8]):
            v = PIXEL[ch]
            lo |= (v & 1) << (7 - x)
            hi |= ((v >> 1) & 1) << (7 - x)
        out += bytes((lo, hi))
    return bytes(out)


def glyph_rows(glyph: list[str]) -> list[str]:
    """5x7 glyph -> 8x8 tile rows (ink black, paper white)."""
    rows = [" " + "".join("#" if c == "#" else " " for c in g) + "  " for g in glyph]
    return rows + ["        "]


def all_tiles() -> list[bytes]:
    """The whole tile block loaded at 0x8000, NUM_TILES tiles of 16 bytes."""
    tiles = [bytes(16)] * NUM_TILES
    for group in (TERRAIN, OBJECT_TILES, UI_TILES, SPRITE_TILES):
        for name, rows in group.items():
            assert len(rows) == 8 and all(len(r) == 8 for r in rows), name
            tiles[TILE[name]] = tile_bytes(rows)
    for i, name in enumerate(("BOSS_TL", "BOSS_TR", "BOSS_BL", "BOSS_BR")):
        oy, ox = (i // 2) * 8, (i % 2) * 8
        tiles[TILE[name]] = tile_bytes([r[ox : ox + 8] for r in BOSS_PICTURE[oy : oy + 8]])
    for ch, glyph in FONT.items():
        assert len(glyph) == 7 and all(len(r) == 5 for r in glyph), ch
        tiles[ord(ch)] = tile_bytes(glyph_rows(glyph))
    return tiles


def map_tiles(game_map: GameMap) -> list[int]:
    """Terrain tile numbers of a map, row-major, MAP_W x MAP_H."""
    assert len(game_map.rows) == MAP_H, game_map.key
    out: list[int] = []
    for row in game_map.rows:
        assert len(row) == MAP_W, (game_map.key, row)
        out += [TILE[MAP_CHARS[c]] for c in row]
    return out


def charmap() -> dict[int, str]:
    """Tile number -> text character, for reading dialog back from VRAM."""
    table = {ord(ch): ch for ch in FONT}
    table[TILE["MORE"]] = "▼"
    return table


def tile_legend() -> dict[int, str]:
    """Tile number -> MAP_LEGEND character for terrain and object tiles."""
    legend = {TILE[name]: ch for name, ch in TERRAIN_LEGEND.items()}
    for obj in OBJECTS:
        legend[TILE[obj.tile]] = "N" if obj.kind in ("NPC", "BOSS") else "?"
    return legend
