"""QUEST-GBA's data as legible ASCII: palette, 16x16 cell art, rooms, warps, objects, texts, flags.

`build.py` turns this into `build/assets.{c,h}` for arm-none-eabi-gcc and into the constants part of
`build/quest-gba.symbols.json` that the adapter reads, so the game, the adapter, the route and the tests
all reason about the same rooms.

The world is four rooms of ROOM_W x ROOM_H cells; a cell is 16x16 pixels (2x2 hardware tiles), so a room
fills the 240x160 screen exactly. Story: leave the house (left_start_room), talk to the sage who blocks the
way east (talked_to_npc), pick up the key in the grove (got_item), open the gate north of the meadow with it
(opened_gate), and take the sun crystal in the shrine (reached_goal).
"""

from __future__ import annotations

from dataclasses import dataclass

ROOM_W, ROOM_H = 15, 10
MAX_OBJS = 6  # live objects per room (the WRAM table g_objs)
OBJ_FIELDS = ("x", "y", "kind", "arg", "cell")  # one u8 each: the layout of g_objs entries
DIALOG_MAX = 96  # bytes of g_dialog (the page on screen, NUL-terminated)
LINE_CHARS = 26  # characters per text-box line
PAGE_LINES = 3
NO_FLAG = 0xFF

MILESTONES: tuple[str, ...] = ("left_start_room", "talked_to_npc", "got_item", "opened_gate", "reached_goal")
FLAGS: tuple[str, ...] = MILESTONES  # one byte of flags (g_flags): bit i is FLAGS[i]
assert len(FLAGS) <= 8

MODES = ("TITLE", "WALK", "DIALOG")
FACING = ("DOWN", "UP", "LEFT", "RIGHT")
ITEMS = ("KEY", "CRYSTAL")
OBJ_KINDS = ("NONE", "NPC", "ITEM", "GATE", "SIGN")

# ---------------------------------------------------------------------------------------------
# Palette: one character per colour, (R, G, B) 0..255. Index 0 is transparent (and the backdrop).
PALETTE: tuple[tuple[str, tuple[int, int, int]], ...] = (
    (" ", (16, 16, 24)),
    ("k", (24, 24, 32)),  # black
    ("w", (248, 248, 240)),  # white
    ("g", (104, 184, 80)),  # grass
    ("G", (40, 112, 56)),  # dark green
    ("b", (168, 112, 56)),  # brown
    ("B", (104, 64, 32)),  # dark brown
    ("s", (184, 184, 192)),  # stone
    ("S", (104, 104, 120)),  # dark stone
    ("u", (64, 112, 216)),  # water
    ("U", (144, 192, 248)),  # light blue
    ("y", (248, 216, 64)),  # yellow
    ("r", (208, 64, 56)),  # red
    ("p", (248, 192, 144)),  # skin
    ("f", (224, 192, 136)),  # floor tan
    ("v", (152, 88, 200)),  # purple
)
COLOR = {ch: i for i, (ch, _) in enumerate(PALETTE)}


def _fill(ch: str) -> list[str]:
    return [ch * 16] * 16


# Terrain cells (16x16). MAP_LEGEND character and walkability are in TERRAIN_INFO.
TERRAIN: dict[str, list[str]] = {
    "VOID": _fill("k"),
    "FLOOR": ["ffffffffffffffff", "ffffffffffffffff", "bbbbbbbbbbbbbbbb", "ffffffbfffffffff", "ffffffbfffffffff",
              "ffffffbfffffffff", "bbbbbbbbbbbbbbbb", "fffffffffffbffff", "fffffffffffbffff", "fffffffffffbffff",
              "bbbbbbbbbbbbbbbb", "ffbfffffffffffff", "ffbfffffffffffff", "ffbfffffffffffff", "bbbbbbbbbbbbbbbb",
              "ffffffffffffffff"],
    "WALL": ["SSSSSSSSSSSSSSSS", "sssssssSssssssss", "sssssssSssssssss", "sssssssSssssssss", "SSSSSSSSSSSSSSSS",
             "sssSssssssssSsss", "sssSssssssssSsss", "sssSssssssssSsss", "SSSSSSSSSSSSSSSS", "sssssssSssssssss",
             "sssssssSssssssss", "sssssssSssssssss", "SSSSSSSSSSSSSSSS", "sssSssssssssSsss", "sssSssssssssSsss",
             "SSSSSSSSSSSSSSSS"],
    "DOOR": ["BBBBBBBBBBBBBBBB", "BbbbbbbbbbbbbbbB", "BbBBBBBbbBBBBBbB", "BbBbbbBbbBbbbBbB", "BbBbbbBbbBbbbBbB",
             "BbBBBBBbbBBBBBbB", "BbbbbbbbbbbbbbbB", "BbbbbbbbbbbbybbB", "BbbbbbbbbbbbybbB", "BbBBBBBbbBBBBBbB",
             "BbBbbbBbbBbbbBbB", "BbBbbbBbbBbbbBbB", "BbBBBBBbbBBBBBbB", "BbbbbbbbbbbbbbbB", "BbbbbbbbbbbbbbbB",
             "BBBBBBBBBBBBBBBB"],
    "BED": ["BBBBBBBBBBBBBBBB", "BwwwwwwwwwwwwwwB", "BwwwwwwwwwwwwwwB", "BwwwwwwwwwwwwwwB", "BvvvvvvvvvvvvvvB",
            "BvUvvvvUvvvvUvvB", "BvvvvvvvvvvvvvvB", "BvvvvUvvvvUvvvvB", "BvvvvvvvvvvvvvvB", "BvUvvvvUvvvvUvvB",
            "BvvvvvvvvvvvvvvB", "BvvvvUvvvvUvvvvB", "BvvvvvvvvvvvvvvB", "BBBBBBBBBBBBBBBB", "fBffffffffffffBf",
            "ffffffffffffffff"],
    "TABLE": ["ffffffffffffffff", "fBBBBBBBBBBBBBBf", "Bbbbbbbbbbbbbbbb", "BbbbbbbbbbbbbbbB", "BbbbbbbbbbbbbbbB",
              "BbbbbbbbbbbbbbbB", "BbbbbbbbbbbbbbbB", "BbbbbbbbbbbbbbbB", "BBBBBBBBBBBBBBBB", "fBBfffffffffBBff",
              "fBBfffffffffBBff", "fBBfffffffffBBff", "fBBfffffffffBBff", "fBBfffffffffBBff", "ffffffffffffffff",
              "ffffffffffffffff"],
    "GRASS": ["gggggggggggggggg", "ggggGggggggggggg", "gggGgGgggggggggg", "gggggggggggggggg", "gggggggggggGgggg",
              "ggggggggggGgGggg", "gggggggggggggggg", "gggggggggggggggg", "gGgggggggggggggg", "GgGggggggggggggg",
              "gggggggggggggggg", "gggggggGgggggggg", "ggggggGgGggggggg", "gggggggggggggggg", "gggggggggggggGgg",
              "ggggggggggggGgGg"],
    "FLOWERS": ["gggggggggggggggg", "ggywyggggggggggg", "gggyggggggggrwrg", "ggggggggggggggrg", "gggggggggggggggg",
                "gggggggggggggggg", "ggggggrwrggggggg", "gggggggrgggggggg", "gggggggggggggggg", "gggggggggggggggg",
                "ggywygggggggywyg", "gggyggggggggggyg", "gggggggggggggggg", "gggggggggggggggg",
                "gggggggggggggggg", "gggggggggggggggg"],
    "PATH": ["ffffffffffffffff", "ffffffffffffbfff", "ffbfffffffffffff", "ffffffffffffffff", "fffffffffbffffff",
             "ffffffffffffffff", "ffffbfffffffffff", "ffffffffffffffff", "fffffffffffffbff", "ffffffffffffffff",
             "fbffffffbfffffff", "ffffffffffffffff", "ffffffffffffffff", "ffffffffffbfffff", "fffbffffffffffff",
             "ffffffffffffffff"],
    "EXIT": ["ffffffffffffffff", "ffffyyffffyyffff", "fffyyyyffyyyyfff", "ffyyffyyyyffyyff", "ffffffffffffffff",
             "ffffffffffffffff", "ffffyyffffyyffff", "fffyyyyffyyyyfff", "ffyyffyyyyffyyff", "ffffffffffffffff",
             "ffffffffffffffff", "ffffyyffffyyffff", "fffyyyyffyyyyfff", "ffyyffyyyyffyyff", "ffffffffffffffff",
             "ffffffffffffffff"],
    "TREE": ["gggggGGGGGgggggg", "gggGGGgGGGGGgggg", "ggGGgGGGGgGGGggg", "gGGGGGGGGGGgGGgg", "gGgGGGGGgGGGGGgg",
             "GGGGGGgGGGGGGgGg", "GGGgGGGGGGGGGGGg", "gGGGGGGGGGgGGGgg", "gGGGGgGGGGGGGGgg", "ggGGGGGGGGGGGggg",
             "gggGGGGGGGGGgggg", "gggggGBBBGgggggg", "ggggggBbBggggggg", "ggggggBbBggggggg", "gggggBBbBBgggggg",
             "gggggggggggggggg"],
    "WATER": ["uuuuuuuuuuuuuuuu", "uuuUUuuuuuuuuuuu", "uuUuuUuuuuuuuuuu", "uuuuuuuuuuuUUuuu", "uuuuuuuuuuUuuUuu",
              "uuuuuuuuuuuuuuuu", "uuuuuUUuuuuuuuuu", "uuuuUuuUuuuuuuuu", "uuuuuuuuuuuuuuuu", "uuuuuuuuuuuuUUuu",
              "uUUuuuuuuuuuUuuU", "UuuUuuuuuuuuuuuu", "uuuuuuuuuuuuuuuu", "uuuuuuuUUuuuuuuu", "uuuuuuUuuUuuuuuu",
              "uuuuuuuuuuuuuuuu"],
    "ROOF": ["rrrrrrrrrrrrrrrr", "rBrrrBrrrBrrrBrr", "rrrrrrrrrrrrrrrr", "BBBBBBBBBBBBBBBB", "rrrBrrrBrrrBrrrB",
             "rrrrrrrrrrrrrrrr", "BBBBBBBBBBBBBBBB", "rBrrrBrrrBrrrBrr", "rrrrrrrrrrrrrrrr", "BBBBBBBBBBBBBBBB",
             "rrrBrrrBrrrBrrrB", "rrrrrrrrrrrrrrrr", "BBBBBBBBBBBBBBBB", "rBrrrBrrrBrrrBrr", "rrrrrrrrrrrrrrrr",
             "BBBBBBBBBBBBBBBB"],
    "HOUSE": ["ffffffffffffffff", "fffffffffffffffB", "ffBBBBBBBBBBBffB", "ffBUUUUBUUUUBffB", "ffBUwUUBUwUUBffB",
              "ffBUUUUBUUUUBffB", "ffBBBBBBBBBBBffB", "ffBUUUUBUUUUBffB", "ffBUUUUBUUUUBffB", "ffBBBBBBBBBBBffB",
              "fffffffffffffffB", "fffffffffffffffB", "fffffffffffffffB", "fffffffffffffffB", "BBBBBBBBBBBBBBBB",
              "BBBBBBBBBBBBBBBB"],
    "STONE": ["ssssssssssssssss", "sssssssSssssssss", "ssssssssssssssss", "ssssssssssssssss", "ssssssssssssssss",
              "sssssssssssssSss", "ssssssssssssssss", "SSSSSSSSSSSSSSSS", "ssssssssssssssss", "ssSsssssssssssss",
              "ssssssssssssssss", "ssssssssssssssss", "sssssssssSssssss", "ssssssssssssssss", "ssssssssssssssss",
              "SSSSSSSSSSSSSSSS"],
    "PILLAR": ["ssssSSSSSSSSssss", "sssSwwwwwwwwSsss", "sssSsssssssSSsss", "ssssSwsssssSssss", "ssssSwsssssSssss",
               "ssssSwsssssSssss", "ssssSwsssssSssss", "ssssSwsssssSssss", "ssssSwsssssSssss", "ssssSwsssssSssss",
               "ssssSwsssssSssss", "ssssSwsssssSssss", "sssSwwwwwwwwSsss", "ssSSSSSSSSSSSSss", "sSSSSSSSSSSSSSSs",
               "ssssssssssssssss"],
    "SHRINE_WALL": ["vvvvvvvvvvvvvvvv", "vSSSSSSvSSSSSSSv", "vSSSSSSvSSSSSSSv", "vvvvvvvvvvvvvvvv", "SSSvSSSSSSSvSSSS",
                    "SSSvSSSSSSSvSSSS", "vvvvvvvvvvvvvvvv", "vSSSSSSvSSSSSSSv", "vSSSSSSvSSSSSSSv",
                    "vvvvvvvvvvvvvvvv", "SSSvSSSSSSSvSSSS", "SSSvSSSSSSSvSSSS", "vvvvvvvvvvvvvvvv",
                    "vSSSSSSvSSSSSSSv", "vSSSSSSvSSSSSSSv", "vvvvvvvvvvvvvvvv"],
}
# Objects (drawn on their own background layer above the room's; ' ' is transparent).
OBJECTS_ART: dict[str, list[str]] = {
    "SAGE": ["                ", "      wwww      ", "     wwwwww     ", "    wwppppww    ", "    wpkppkpw    ",
             "    wppppppw    ", "     wwwwww     ", "    vvwwwwvv    ", "   vvvvwwvvvv   ", "  vvpvvvvvvpvv  ",
             "  vvpvvvvvvpvvb ", "   vvvvvvvvvvvb ", "   vvvvvvvvvvvb ", "   vvvvvvvvvvvb ", "    kk    kk  b ",
             "                "],
    "KEY": ["                ", "                ", "                ", "     yyyy       ", "    yykkyy      ",
            "    yk  ky      ", "    yykkyy      ", "     yyyy       ", "       yy       ", "       yy       ",
            "       yyyy     ", "       yy       ", "       yyyy     ", "                ", "                ",
            "                "],
    "GATE": ["kkkkkkkkkkkkkkkk", "kSSkSSkSSkSSkSSk", "kSSkSSkSSkSSkSSk", "kkkkkkkkkkkkkkkk", "kSSkSSkSSkSSkSSk",
             "kSSkSSkyykSSkSSk", "kSSkSSyyyySSkSSk", "kSSkSSykkySSkSSk", "kSSkSSyyyySSkSSk", "kSSkSSkyykSSkSSk",
             "kSSkSSkSSkSSkSSk", "kkkkkkkkkkkkkkkk", "kSSkSSkSSkSSkSSk", "kSSkSSkSSkSSkSSk", "kSSkSSkSSkSSkSSk",
             "kkkkkkkkkkkkkkkk"],
    "SIGN": ["                ", " BBBBBBBBBBBBBB ", " BbbbbbbbbbbbbB ", " BbkkkbkkbkkbbB ", " BbbbbbbbbbbbbB ",
             " BbkkbkkkbkkkbB ", " BbbbbbbbbbbbbB ", " BBBBBBBBBBBBBB ", "      BBB       ", "      BbB       ",
             "      BbB       ", "      BbB       ", "      BbB       ", "     BBbBB      ", "                ",
             "                "],
    "CRYSTAL": ["                ", "       U        ", "      UwU       ", "     UwUUU      ", "    UwUUUUU     ",
                "   UwUUUUUUU    ", "   UUUUUUUUU    ", "    UUUUUUU     ", "     UUUUU      ", "      UUU       ",
                "       U        ", "    yyyyyyyy    ", "   yyyyyyyyyy   ", "  SSSSSSSSSSSS  ", " SSSSSSSSSSSSSS ",
                "                "],
}
# The player (an OBJ sprite, colour 0 transparent): facing down, up, and sideways (flipped for LEFT).
PLAYER_ART: dict[str, list[str]] = {
    "DOWN": ["                ", "     rrrrrr     ", "    rrrrrrrr    ", "   rrrrrrrrrr   ", "   kkppppppkk   ",
             "   kpkppppkpk   ", "   kppppppppk   ", "    kppppppk    ", "    uuuuuuuu    ", "   puuuuuuuup   ",
             "  ppuuuuuuuupp  ", "   puuuuuuuup   ", "    bbbbbbbb    ", "    bbb  bbb    ", "   kkk    kkk   ",
             "                "],
    "UP": ["                ", "     rrrrrr     ", "    rrrrrrrr    ", "   rrrrrrrrrr   ", "   kkkkkkkkkk   ",
           "   kkkkkkkkkk   ", "   kkkkkkkkkk   ", "    kkkkkkkk    ", "    uuuuuuuu    ", "   puuuuuuuup   ",
           "  ppuuuuuuuupp  ", "   puuuuuuuup   ", "    bbbbbbbb    ", "    bbb  bbb    ", "   kkk    kkk   ",
           "                "],
    "SIDE": ["                ", "     rrrrrr     ", "    rrrrrrrrr   ", "   rrrrrrrrrrr  ", "   kkkkpppppp   ",
             "   kkkkppkppp   ", "   kkkkppppppp  ", "    kkkppppp    ", "     uuuuuu     ", "     uuuuppu    ",
             "     uuuuppu    ", "     uuuuuu     ", "     bbbbbb     ", "     bbb bb     ", "    kkk  kkk    ",
             "                "],
}

# Terrain: (MAP_LEGEND character, walkable). Warps sit on walkable cells.
TERRAIN_INFO: dict[str, tuple[str, bool]] = {
    "VOID": (" ", False), "FLOOR": (".", True), "WALL": ("#", False), "DOOR": ("D", True), "BED": ("#", False),
    "TABLE": ("#", False), "GRASS": (".", True), "FLOWERS": (".", True), "PATH": (".", True), "EXIT": ("D", True),
    "TREE": ("#", False), "WATER": ("~", False), "ROOF": ("#", False), "HOUSE": ("#", False), "STONE": (".", True),
    "PILLAR": ("#", False), "SHRINE_WALL": ("#", False),
}  # fmt: skip
OBJ_LEGEND = {"NPC": "N", "ITEM": "?", "GATE": "?", "SIGN": "?"}

# Cell numbers: terrain first, then objects. Cell c uses hardware tiles CELL_TILE0 + 4c .. + 4c + 3.
CELLS: tuple[str, ...] = tuple(TERRAIN) + tuple(OBJECTS_ART)
CELL = {name: i for i, name in enumerate(CELLS)}
CELL_TILE0 = 128  # tiles 0..127: blank, text-box frame, the font at its ASCII codes
FONT_FIRST, FONT_LAST = 0x20, 0x5F
BOX_TILES = ("FILL", "TL", "T", "TR", "L", "R", "BL", "B", "BR", "MORE")  # tiles 1..10 of the text box

# Map source characters -> terrain cell.
MAP_CHARS: dict[str, str] = {
    " ": "VOID", ".": "FLOOR", "#": "WALL", "D": "DOOR", "b": "BED", "t": "TABLE", ",": "GRASS", "*": "FLOWERS",
    "p": "PATH", "E": "EXIT", "T": "TREE", "~": "WATER", "R": "ROOF", "H": "HOUSE", "s": "STONE", "P": "PILLAR",
    "W": "SHRINE_WALL",
}  # fmt: skip


@dataclass(frozen=True)
class Room:
    key: str  # C identifier suffix: ROOM_<key>
    name: str  # what the adapter reports as location
    rows: tuple[str, ...]
    enter_flag: str | None = None  # flag set when the player enters this room


ROOMS: tuple[Room, ...] = (
    Room("HOME", "HOME", (
        "###############",
        "#b...........t#",
        "#.............#",
        "#.............#",
        "#.............#",
        "#.............#",
        "#.............#",
        "#.............#",
        "#.............#",
        "#######D#######",
    )),
    Room("MEADOW", "MEADOW", (
        "TTTTTTTETTTTTTT",
        "T,,,,,,p,,,,*,T",
        "T,RRR,,p,,,,,,T",
        "T,RRR,,p,,~~~,T",
        "T,HDH,,p,,~~~,T",
        "T,,p,,,p,,,,,,T",
        "T,,pppppppppppE",
        "T,,,,,,,,,*,,,T",
        "T*,,,,,,,,,,,,T",
        "TTTTTTTTTTTTTTT",
    ), enter_flag="left_start_room"),
    Room("GROVE", "GROVE", (
        "TTTTTTTTTTTTTTT",
        "TT,,,,TT,,,,,TT",
        "T,,,*,,,,,T,,,T",
        "T,TT,,,,,,T,*,T",
        "T,TT,,~~,,,,,,T",
        "T,,,,,~~,,,TT,T",
        "E,,,,,,,,,,TT,T",
        "T,*,,,TT,,,,,,T",
        "TT,,,,TT,,,*,TT",
        "TTTTTTTTTTTTTTT",
    )),
    Room("SHRINE", "SHRINE", (
        "WWWWWWWWWWWWWWW",
        "WsssssssssssssW",
        "WsPsssssssssPsW",
        "WsssssssssssssW",
        "WsssssssssssssW",
        "WsPsssssssssPsW",
        "WsssssssssssssW",
        "WsssssssssssssW",
        "WsssssssssssssW",
        "WWWWWWWEWWWWWWW",
    )),
)  # fmt: skip
ROOM_ID = {r.key: i for i, r in enumerate(ROOMS)}
START = ("HOME", 7, 5, "DOWN")  # new game: room, x, y, facing


@dataclass(frozen=True)
class Warp:
    room: str
    x: int
    y: int
    dest: str
    dest_x: int
    dest_y: int
    dest_facing: str


WARPS: tuple[Warp, ...] = (
    Warp("HOME", 7, 9, "MEADOW", 3, 5, "DOWN"),
    Warp("MEADOW", 3, 4, "HOME", 7, 8, "UP"),
    Warp("MEADOW", 14, 6, "GROVE", 1, 6, "RIGHT"),
    Warp("GROVE", 0, 6, "MEADOW", 13, 6, "LEFT"),
    Warp("MEADOW", 7, 0, "SHRINE", 7, 8, "UP"),
    Warp("SHRINE", 7, 9, "MEADOW", 7, 1, "DOWN"),
)

# Texts: '\n' breaks a line (LINE_CHARS per line, PAGE_LINES per page), '\f' starts a new page (A turns it).
TEXTS: dict[str, str] = {
    "TITLE": "QUEST GBA\nA TINY ADVENTURE\nPRESS START",
    "SAGE": ("SAGE: AH, A TRAVELLER!\nTHE SUN CRYSTAL SLEEPS IN\nTHE SHRINE TO THE NORTH.\f"
             "ITS GATE IS LOCKED. THE\nKEY WAS LOST IN THE GROVE\nTO THE EAST.\f"
             "I WILL STEP ASIDE.\nGOOD LUCK!"),
    "SAGE_AGAIN": "SAGE: THE KEY IS IN THE\nGROVE, THE GATE IS NORTH.",
    "SIGN": "NORTH: SHRINE\nEAST: GROVE\nWEST: HOME",
    "FOUND_KEY": "YOU FOUND A KEY!\nIT LOOKS VERY OLD.",
    "GATE_LOCKED": "THE GATE IS LOCKED.\nIT NEEDS A KEY.",
    "GATE_OPEN": "YOU USED THE KEY.\nTHE GATE OPENED!",
    "CRYSTAL": "YOU TOOK THE SUN CRYSTAL!\fLIGHT RETURNS TO THE LAND.\nTHE END. THANKS FOR\nPLAYING!",
}
# What closing the last page of a text does (game-side action number = index).
ACTIONS = ("NONE", "TALKED", "GET_KEY", "OPEN_GATE", "GET_CRYSTAL")


@dataclass(frozen=True)
class ObjDef:
    """A thing placed in a room. Hidden once `hide_flag` is set; stands at `alt` once `move_flag` is set
    (how the sage steps aside)."""

    room: str
    x: int
    y: int
    art: str  # OBJECTS_ART key
    kind: str  # OBJ_KINDS
    arg: int = 0  # item number for ITEM
    hide_flag: str | None = None
    move_flag: str | None = None
    alt: tuple[int, int] = (0, 0)


OBJECTS: tuple[ObjDef, ...] = (
    ObjDef("MEADOW", 13, 6, "SAGE", "NPC", move_flag="talked_to_npc", alt=(13, 5)),
    ObjDef("MEADOW", 6, 5, "SIGN", "SIGN"),
    ObjDef("MEADOW", 7, 1, "GATE", "GATE", hide_flag="opened_gate"),
    ObjDef("GROVE", 12, 2, "KEY", "ITEM", ITEMS.index("KEY"), hide_flag="got_item"),
    ObjDef("SHRINE", 7, 3, "CRYSTAL", "ITEM", ITEMS.index("CRYSTAL"), hide_flag="reached_goal"),
)


def rgb555(rgb: tuple[int, int, int]) -> int:
    r, g, b = (c >> 3 for c in rgb)
    return r | g << 5 | b << 10


def tile_4bpp(rows: list[str]) -> bytes:
    """One 8x8 4bpp tile (32 bytes; the low nibble is the left pixel) from 8 rows of palette characters."""
    assert len(rows) == 8 and all(len(r) == 8 for r in rows), rows
    out = bytearray()
    for row in rows:
        for x in range(0, 8, 2):
            out.append(COLOR[row[x]] | COLOR[row[x + 1]] << 4)
    return bytes(out)


def split16(art: list[str], name: str = "") -> list[bytes]:
    """A 16x16 picture -> its four tiles in the order TL, TR, BL, BR."""
    assert len(art) == 16 and all(len(r) == 16 for r in art), name
    return [tile_4bpp([r[ox : ox + 8] for r in art[oy : oy + 8]]) for oy in (0, 8) for ox in (0, 8)]


def glyph_tile(glyph: list[str]) -> bytes:
    """A 5x7 font glyph ('#' ink) on the text box's white paper."""
    rows = ["w" + "".join("k" if c == "#" else "w" for c in g) + "ww" for g in glyph]
    return tile_4bpp(rows + ["w" * 8])


def box_tiles() -> list[bytes]:
    """The text box's frame (tiles 1..10): white paper, a black line two pixels in."""
    w, k = "w", "k"
    full = [w * 8] * 8
    top = [" " * 8, k * 8, w * 8, w * 8, w * 8, w * 8, w * 8, w * 8]
    left = [" k" + w * 6] * 8
    right = [w * 6 + "k "] * 8
    tl = [" " * 8, " " + k * 7] + [" k" + w * 6] * 6
    tr = [" " * 8, k * 7 + " "] + [w * 6 + "k "] * 6
    more = [w * 8, w * 8, "wkkkkkww", "wwkkkwww", "wwwkwwww", w * 8, w * 8, w * 8]
    tiles = {
        "FILL": full, "TL": tl, "T": top, "TR": tr, "L": left, "R": right,
        "BL": list(reversed(tl)), "B": list(reversed(top)), "BR": list(reversed(tr)), "MORE": more,
    }  # fmt: skip
    return [tile_4bpp(tiles[name]) for name in BOX_TILES]


def all_tiles() -> bytes:
    """Charblock 0: tile 0 blank, 1..10 the box, the font at its ASCII codes, then 4 tiles per cell."""
    from envs.gameboy.quest.assets import FONT  # the Game Boy QUEST's 5x7 font, shared

    tiles = [bytes(32)] * (CELL_TILE0 + 4 * len(CELLS))
    for i, t in enumerate(box_tiles()):
        tiles[1 + i] = t
    for code in range(FONT_FIRST, FONT_LAST + 1):
        ch = chr(code)
        tiles[code] = glyph_tile(FONT.get(ch, FONT[" "]))
    for name in CELLS:
        art = TERRAIN.get(name) or OBJECTS_ART[name]
        for j, t in enumerate(split16(art, name)):
            tiles[CELL_TILE0 + 4 * CELL[name] + j] = t
    return b"".join(tiles)


def sprite_tiles() -> bytes:
    """OBJ charblock: 4 tiles per player picture (DOWN, UP, SIDE), in 1D order TL, TR, BL, BR."""
    return b"".join(b"".join(split16(PLAYER_ART[k], k)) for k in ("DOWN", "UP", "SIDE"))


def room_cells(room: Room) -> list[int]:
    """Terrain cell numbers of a room, row-major, ROOM_W x ROOM_H."""
    assert len(room.rows) == ROOM_H, room.key
    out: list[int] = []
    for row in room.rows:
        assert len(row) == ROOM_W, (room.key, row)
        out += [CELL[MAP_CHARS[c]] for c in row]
    return out


def cell_legend() -> dict[int, str]:
    """Terrain cell number -> MAP_LEGEND character."""
    return {CELL[name]: ch for name, (ch, _) in TERRAIN_INFO.items()}


def check_text(name: str, text: str) -> None:
    for page in text.split("\f"):
        lines = page.split("\n")
        assert len(lines) <= PAGE_LINES, (name, page)
        assert all(len(line) <= LINE_CHARS for line in lines), (name, page)
        assert len(page) < DIALOG_MAX, (name, page)
    bad = {c for c in text if c not in "\n\f" and not FONT_FIRST <= ord(c) <= FONT_LAST}
    assert not bad, (name, bad)
