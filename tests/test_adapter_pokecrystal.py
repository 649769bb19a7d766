"""Pokémon Crystal adapter on memory images built from the pret/pokecrystal layouts.

No commercial ROM exists here, so each test lays out WRAM (a 64 KiB bus image, WRAMX bank 1 at $D000) and
a fake 2 MiB cartridge (valid Crystal header, a tileset collision table and map event tables at known
banks) the way the game would, then checks what the adapter decodes. The WRAM-bank handling is also run
against a real PyBoy in CGB mode, on a tiny ROM built here that leaves WRAM bank 2 mapped.
"""

from __future__ import annotations

import io

import pytest

from envs.gameboy.adapters import adapter_class
from envs.gameboy.adapters.pokecrystal import MILESTONES, PokeCrystalAdapter
from envs.gameboy.game import MAP_LEGEND, GameAdapter, RomError

# --- where the fake cartridge keeps its tables ---
COLL_BANK, COLL_ADDR = 0x05, 0x4100
EVENTS_BANK, WARPS_ADDR, BG_EVENTS_ADDR = 0x25, 0x6000, 0x6100

# Tileset collision table: 4 collision bytes per block (top-left, top-right, bottom-left, bottom-right).
FLOOR, WALL, GRASS, WATER, DOOR, HOP_DOWN, PC = 0x00, 0x07, 0x18, 0x29, 0x71, 0xA3, 0x93
BLOCKS = {
    1: (FLOOR,) * 4,
    2: (WALL,) * 4,
    3: (GRASS,) * 4,
    4: (WATER,) * 4,
    5: (WALL, WALL, DOOR, WALL),  # a house front with its door in the bottom-left square
    6: (HOP_DOWN,) * 4,
    7: (PC,) * 4,
}


def make_rom(
    title: bytes = b"PM_CRYSTAL", code: bytes = b"BYTE", cgb: int = 0xC0, fix_checksum: bool = True
) -> bytes:
    rom = bytearray(0x200000)  # 2 MiB, like the retail cartridge
    rom[0x134 : 0x134 + 16] = bytes(16)
    rom[0x134 : 0x134 + len(title)] = title
    if code:
        rom[0x13F:0x143] = code
    rom[0x143] = cgb
    rom[0x144:0x146] = b"01"
    rom[0x147], rom[0x148], rom[0x149], rom[0x14A], rom[0x14B] = 0x10, 0x06, 0x03, 0x01, 0x33
    x = 0
    for b in rom[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    rom[0x14D] = x if fix_checksum else (x + 1) & 0xFF
    base = COLL_BANK * 0x4000 + COLL_ADDR - 0x4000
    for block, quads in BLOCKS.items():
        rom[base + 4 * block : base + 4 * block + 4] = bytes(quads)
    warps = [(3, 2, 1, 24, 6)]  # y, x, warp_to, map group, map number (-> Player's House 1F)
    # y, x, function, script: a sign (BGEVENT_READ) and a hidden item (BGEVENT_ITEM)
    signs = [(2, 6, 0, 0x00, 0x70), (2, 7, 7, 0x10, 0x70)]
    for addr, records in ((WARPS_ADDR, warps), (BG_EVENTS_ADDR, signs)):
        off = EVENTS_BANK * 0x4000 + addr - 0x4000
        for i, rec in enumerate(records):
            rom[off + 5 * i : off + 5 * i + 5] = bytes(rec)
    return bytes(rom)


def encode(text: str) -> list[int]:
    """English text -> tile ids, straight from the ranges in constants/charmap.asm."""
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(0x80 + ord(ch) - ord("A"))
        elif "a" <= ch <= "z":
            out.append(0xA0 + ord(ch) - ord("a"))
        elif "0" <= ch <= "9":
            out.append(0xF6 + ord(ch) - ord("0"))
        else:
            out.append({" ": 0x7F, "!": 0xE7, ".": 0xE8, "?": 0xE6, "é": 0xEA, "'": 0xE0, "▶": 0xED, "-": 0xE3,
                        "/": 0xF3, ",": 0xF4}[ch])
    return out


class Image:
    """A 64 KiB Game Boy bus image with WRAMX bank 1 at $D000 (rSVBK = 0 reads as bank 1)."""

    def __init__(self) -> None:
        self.mem = bytearray(0x10000)  # power-on: the game clears all WRAM

    def u8(self, addr: int, v: int) -> None:
        self.mem[addr] = v

    def u16le(self, addr: int, v: int) -> None:
        self.mem[addr : addr + 2] = v.to_bytes(2, "little")

    def u16be(self, addr: int, v: int) -> None:
        self.mem[addr : addr + 2] = v.to_bytes(2, "big")

    def tile(self, col: int, row: int, tiles: list[int]) -> None:
        a = 0xC4A0 + row * 20 + col
        self.mem[a : a + len(tiles)] = bytes(tiles)

    def box(self, col: int, row: int, width: int, height: int) -> None:
        """A framed box like TextboxBorder draws: outer size width x height tiles."""
        self.tile(col, row, [0x79] + [0x7A] * (width - 2) + [0x7B])
        for r in range(row + 1, row + height - 1):
            self.tile(col, r, [0x7C] + [0x7F] * (width - 2) + [0x7C])
        self.tile(col, row + height - 1, [0x7D] + [0x7A] * (width - 2) + [0x7E])


def new_bark(player_x: int = 4, player_y: int = 5) -> Image:
    """New Bark Town (group 24, map 4, 10 x 9 blocks), player idle in the overworld loop, facing up."""
    im = Image()
    im.tile(0, 0, [0x0A] * 360)  # the overworld screen: map tiles ($00-$5F)
    im.u8(0xDCB5, 24)
    im.u8(0xDCB6, 4)
    im.u8(0xDCB8, player_x)
    im.u8(0xDCB7, player_y)
    im.u8(0xD4DE, 4)  # wPlayerDirection = OW_UP
    im.u8(0xD432, 2)  # wMapStatus = MAPSTATUS_HANDLE
    width, height = 10, 9
    im.u8(0xD19F, width)
    im.u8(0xD19E, height)
    im.u8(0xD1DF, COLL_BANK)
    im.u16le(0xD1E0, COLL_ADDR)
    # wOverworldMapBlocks: the map with a 3-block border of wall blocks on every side.
    stride = width + 6
    for row in range(height + 6):
        for col in range(stride):
            inside = 3 <= row < height + 3 and 3 <= col < width + 3
            im.u8(0xC800 + row * stride + col, 1 if inside else 2)

    def block(bx: int, by: int, b: int) -> None:
        im.u8(0xC800 + (by + 3) * stride + bx + 3, b)

    block(0, 0, 3)  # grass at squares x 0-1, y 0-1
    block(1, 1, 5)  # house: wall at (2,2) (3,2) (3,3), door at (2,3)
    block(4, 2, 4)  # water at x 8-9, y 4-5
    block(2, 4, 6)  # ledge at x 4-5, y 8-9
    block(3, 4, 7)  # PC tiles at x 6-7, y 8-9
    # Map events in the ROM (wMapScriptsBank:pointer).
    im.u8(0xD1A3, EVENTS_BANK)
    im.u8(0xDBFB, 1)
    im.u16le(0xDBFC, WARPS_ADDR)
    im.u8(0xDC01, 2)
    im.u16le(0xDC02, BG_EVENTS_ADDR)

    def obj(slot: int, sprite: int, map_index: int, x: int, y: int, flags: int = 0, kind: int = 0) -> None:
        base = 0xD4D6 + 40 * slot
        im.u8(base + 0x00, sprite)
        im.u8(base + 0x01, map_index)
        im.u8(base + 0x04, flags)
        im.u8(base + 0x10, x + 4)
        im.u8(base + 0x11, y + 4)
        im.u8(0xD71E + 16 * map_index + 8, 0x30 | kind)  # palette 3, object type

    obj(1, 0x0B, 1, 6, 6)  # a townsperson
    obj(2, 0x54, 2, 1, 7, kind=1)  # an item ball (OBJECTTYPE_ITEMBALL)
    obj(3, 0x0B, 3, 3, 7, flags=1)  # an invisible object
    return im


NEW_BARK_MAP = "\n".join(
    [
        "#gg........",
        "#gg........",
        "#..##..?...",
        "#..D#......",
        "#........~~",
        "#....@...~~",
        "#......N...",
        "#.?........",
        "#....__??..",
        "#....__??..",
        "#..........",
    ]
)


@pytest.fixture(scope="module")
def adapter() -> PokeCrystalAdapter:
    return PokeCrystalAdapter(make_rom())


def test_overworld_new_bark_town(adapter: PokeCrystalAdapter) -> None:
    st = adapter.read(new_bark().mem)
    assert st.game == "pokecrystal"
    assert st.location == "New Bark Town"
    assert st.map_id == 24 * 256 + 4
    assert (st.x, st.y, st.facing) == (4, 5, "UP")
    assert st.text_map == NEW_BARK_MAP
    assert set(st.text_map) - {"\n"} <= set(MAP_LEGEND)
    assert st.can_move and not st.in_battle and st.dialog is None
    assert st.milestones == ["game_running", "new_bark_town"]
    assert st.extra["map_constant"] == "NEW_BARK_TOWN" and st.extra["wramx_stale"] is False
    assert isinstance(adapter, GameAdapter)


def test_text_map_clips_to_the_block_buffer_border(adapter: PokeCrystalAdapter) -> None:
    st = adapter.read(new_bark(player_x=19, player_y=17).mem)  # bottom-right corner of a 20 x 18 map
    rows = st.text_map.split("\n")
    assert len(rows) == 11 and all(len(r) == 11 for r in rows)
    assert rows[5] == ".....@#####"  # x 14..19 is the map, x 20.. is the wall border
    assert rows[6:] == ["#" * 11] * 5


def test_facing_decodes_all_four_directions(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    seen = []
    for ow in (0, 4, 8, 12):
        im.u8(0xD4DE, ow)
        seen.append(adapter.read(im.mem).facing)
    assert seen == ["DOWN", "UP", "LEFT", "RIGHT"]


def test_text_box_with_known_text(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.box(0, 12, 20, 6)
    im.tile(1, 14, encode("Welcome to the"))
    im.tile(1, 16, encode("world of POKéMON!"))
    im.tile(18, 16, [0xEE])  # the ▼ "more text" prompt
    st = adapter.read(im.mem)
    assert st.dialog == "Welcome to the\nworld of POKéMON!▼"
    assert not st.can_move  # a box on screen stops movement even before the script flags say so
    im.u8(0xD438, 0xFF)  # wScriptRunning = PLAYEREVENT_MAPSCRIPT, as while a script prints text
    assert not adapter.read(im.mem).can_move


def test_menu_over_text_box_yields_both_boxes(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.box(0, 12, 20, 6)
    im.tile(1, 14, encode("Save the game?"))
    im.box(14, 7, 6, 5)  # the YES/NO box, where YesNoBox draws it: rows 7-11, just above the text box
    im.tile(15, 8, encode("▶YES"))
    im.tile(16, 10, encode("NO"))
    assert adapter.read(im.mem).dialog == "▶YES\nNO\nSave the game?"


def test_no_dialog_without_a_full_box_corner(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.tile(0, 0, [0x79, 0x7A, 0x7A])  # a stray corner and edge, no right corner: not a box
    im.tile(2, 5, encode("HELLO"))
    assert adapter.read(im.mem).dialog is None


@pytest.mark.parametrize(
    ("addr", "value", "why"),
    [
        (0xD432, 1, "map still being entered (MAPSTATUS_ENTER)"),
        (0xD438, 9, "a player event is running (PLAYEREVENT_JOYCHANGEFACING)"),
        (0xD437, 2, "a script waits for movement (SCRIPT_WAIT_MOVEMENT)"),
        (0xD434, 0b100, "the script engine is mid-run (SCRIPT_RUNNING)"),
        (0xD22D, 2, "a trainer battle"),
    ],
)
def test_can_move_needs_more_than_the_map_id(
    adapter: PokeCrystalAdapter, addr: int, value: int, why: str
) -> None:
    im = new_bark()
    assert adapter.read(im.mem).can_move
    im.u8(addr, value)
    assert not adapter.read(im.mem).can_move, why


def test_power_on_and_title_screen(adapter: PokeCrystalAdapter) -> None:
    im = Image()
    st = adapter.read(im.mem)
    assert st.location.startswith("No map loaded")
    assert st.text_map == "" and not st.can_move and st.milestones == [] and st.party == []
    im.tile(3, 9, encode("PRESS START"))  # something on screen, still no map
    st = adapter.read(im.mem)
    assert st.milestones == ["game_running"] and not st.can_move and st.dialog is None


def test_in_battle(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.u8(0xD22D, 1)  # wBattleMode = wild
    im.u8(0xD206, 19)  # RATTATA
    im.u8(0xD213, 3)
    im.u16be(0xD216, 13)
    im.u16be(0xD218, 15)
    im.u8(0xD438, 0xFF)
    im.box(0, 12, 20, 6)
    im.tile(1, 14, encode("Wild RATTATA"))
    im.tile(1, 16, encode("appeared!"))
    st = adapter.read(im.mem)
    assert st.in_battle and not st.can_move
    assert st.dialog == "Wild RATTATA\nappeared!"
    assert (st.extra["enemy_species"], st.extra["enemy_level"]) == ("RATTATA", 3)
    assert (st.extra["enemy_hp"], st.extra["enemy_max_hp"]) == (13, 15)
    assert st.extra["battle_mode"] == 1
    assert "Enemy: RATTATA L3 13/15HP" in st.to_text().split("\n")  # printed for the agent, not only kept
    assert st.text_map == "" and st.screen == "battle"  # the map under the battle screen is not shown


def test_intro_shows_no_position(adapter: PokeCrystalAdapter) -> None:
    im = Image()
    im.u8(0xDCB8, 3)  # stale coordinates: no map is loaded
    im.u8(0xDCB7, 6)
    st = adapter.read(im.mem)
    assert not st.on_map
    text = st.to_text()
    assert text.startswith("Location: No map loaded (title screen or intro)\n")
    assert "Position" not in text and "(map 0)" not in text
    assert adapter.read(new_bark().mem).on_map
    assert "Position: x=4 y=5  Facing: UP" in adapter.read(new_bark().mem).to_text()


def test_name_menu_with_its_title_in_the_top_border(adapter: PokeCrystalAdapter) -> None:
    """The intro's name choice: a static menu whose title "NAME" is drawn over the frame's top edge."""
    im = Image()
    im.box(0, 0, 11, 12)
    im.tile(3, 0, encode("NAME"))
    for row, name in ((2, "▶NEW NAME"), (4, " CHRIS"), (6, " MAT"), (8, " ALLAN"), (10, " JON")):
        im.tile(1, row, encode(name))
    assert adapter.read(im.mem).dialog == "NAME:\n▶NEW NAME\nCHRIS\nMAT\nALLAN\nJON"


def test_clock_setting_box_with_arrows_in_its_frame(adapter: PokeCrystalAdapter) -> None:
    """InitClock: Textbox at (3, 7), 15 x 2 inside; the up/down arrows (tiles $01/$02) on its top and
    bottom edges at column 11; the hour at (4, 9); "What time is it?" in the speech box below."""
    im = Image()
    im.box(3, 7, 17, 4)
    im.tile(11, 7, [0x01])
    im.tile(11, 10, [0x02])
    im.tile(4, 9, encode("MORN 10 o'clock"))
    im.box(0, 12, 20, 6)
    im.tile(1, 14, encode("What time is it?"))
    assert adapter.read(im.mem).dialog == "MORN 10 o'clock\n(UP/DOWN to change)\nWhat time is it?"
    # SetDayOfWeek: Textbox at (9, 3), 9 x 2 inside, arrows drawn over the "♂"/"♀" tiles at column 14
    im = Image()
    im.box(9, 3, 11, 4)
    im.tile(14, 3, [0xEF])
    im.tile(14, 6, [0xF5])
    im.tile(10, 5, encode(" MONDAY"))
    assert adapter.read(im.mem).dialog == "MONDAY\n(UP/DOWN to change)"


def test_more_text_arrow_on_the_bottom_edge(adapter: PokeCrystalAdapter) -> None:
    """LoadBlinkingCursor draws ▼ at (18, 17): on the speech box's bottom edge, not inside."""
    im = new_bark()
    im.box(0, 12, 20, 6)
    im.tile(1, 14, encode("Welcome to the"))
    im.tile(1, 16, encode("world of POKéMON!"))
    im.tile(18, 17, [0xEE])
    assert adapter.read(im.mem).dialog == "Welcome to the\nworld of POKéMON!▼"


def naming_screen(im: Image, prompt: list[tuple[int, str]], entry: str, blanks: int) -> None:
    """NamingScreen_InitText: the screen filled with the border tile $60, rows 1-6 and 8-14 and 16
    cleared (columns 1-18), the keyboard rows from (2, 8) two rows apart; the prompt from (5, 2); the
    entry at (5, 6): letters, the underline $F2 at the cursor, then middle lines $EB."""
    im.tile(0, 0, [0x60] * 360)
    for row in [*range(1, 7), *range(8, 15), 16]:
        im.tile(1, row, [0x7F] * 18)
    for row, text in prompt:
        im.tile(5, row, encode(text))
    im.tile(5, 6, encode(entry) + [0xF2] + [0xEB] * (blanks - 1))
    keys = ["A B C D E F G H I", "J K L M N O P Q R", "S T U V W X Y Z  ", "- ? ! / . ,      ",
            "lower  DEL   END "]
    for i, row in enumerate(keys):
        im.tile(2, 8 + 2 * i, encode(row))


def test_nickname_keyboard_is_read_and_hides_the_map(adapter: PokeCrystalAdapter) -> None:
    """Nicknaming the starter in Elm's lab: the map loop still runs underneath (wMapStatus = HANDLE),
    but the screen is the keyboard: its text is the dialog and the lab's text map is not shown."""
    im = new_bark()
    naming_screen(im, [(2, "CYNDAQUIL'S"), (4, "NICKNAME?")], "FL", 8)
    st = adapter.read(im.mem)
    assert st.dialog == (
        "CYNDAQUIL'S\nNICKNAME?\nFL________\nA B C D E F G H I\nJ K L M N O P Q R\nS T U V W X Y Z\n"
        "- ? ! / . ,\nlower DEL END"
    )
    assert st.screen == "naming screen" and st.text_map == "" and not st.can_move
    text = st.to_text()
    assert "Screen: naming screen" in text and "Map: none (naming screen)" in text and "Map (@" not in text
    im = Image()  # the intro's "YOUR NAME?" keyboard: no map at all
    naming_screen(im, [(2, "YOUR NAME?")], "", 7)
    st = adapter.read(im.mem)
    assert st.dialog.startswith("YOUR NAME?\n_______\nA B C") and st.screen == "naming screen"


def test_starter_balls_and_pokedex_are_objects_not_npcs(adapter: PokeCrystalAdapter) -> None:
    """The starters on Elm's desk are SPRITE_POKE_BALL objects run by a script (not OBJECTTYPE_ITEMBALL):
    '?' by their sprite id, like the Pokédex (SPRITE_POKEDEX); a person stays 'N'."""
    im = new_bark()
    for slot, sprite, x in ((4, 0x54, 5), (5, 0x55, 7), (6, 0x10, 3)):  # ball, Pokédex, SPRITE_ELM
        base = 0xD4D6 + 40 * slot
        im.u8(base, sprite)
        im.u8(base + 0x01, slot)
        im.u8(base + 0x10, x + 4)
        im.u8(base + 0x11, 3 + 4)
        im.u8(0xD71E + 16 * slot + 8, 0x30)  # OBJECTTYPE_SCRIPT
    row = adapter.read(im.mem).text_map.split("\n")[3]  # map y 3 (the player is at y 5, row 5)
    assert (row[5 - 4 + 5], row[7 - 4 + 5], row[3 - 4 + 5]) == ("?", "?", "N")


def _party_mon(im: Image, slot: int, species: int, level: int, hp: int, max_hp: int) -> None:
    base = 0xDCDF + 0x30 * slot
    im.u8(base, species)
    im.u8(base + 0x1F, level)
    im.u16be(base + 0x22, hp)
    im.u16be(base + 0x24, max_hp)


def test_party_of_two(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.u8(0xDCD7, 2)
    im.mem[0xDCD8:0xDCDB] = bytes([155, 16, 0xFF])  # CYNDAQUIL, PIDGEY, terminator
    _party_mon(im, 0, 155, 8, 21, 26)
    _party_mon(im, 1, 16, 40, 300, 512)  # HP above 255 checks the big-endian words
    _party_mon(im, 2, 25, 99, 99, 99)  # stale data past the count must not show
    st = adapter.read(im.mem)
    assert [(m.species, m.level, m.hp, m.max_hp) for m in st.party] == [
        ("CYNDAQUIL", 8, 21, 26),
        ("PIDGEY", 40, 300, 512),
    ]
    assert "starter_obtained" in st.milestones


def test_egg_and_garbage_party_count(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.u8(0xDCD7, 1)
    im.mem[0xDCD8:0xDCDA] = bytes([0xFD, 0xFF])  # the species list says EGG; the struct holds TOGEPI
    _party_mon(im, 0, 175, 5, 0, 0)
    assert [m.species for m in adapter.read(im.mem).party] == ["EGG"]
    im.u8(0xDCD7, 0xC3)  # uninitialised RAM
    assert adapter.read(im.mem).party == []


def test_badges_and_badge_milestones(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.u8(0xD857, 0b00010101)  # Zephyr, Plain, Mineral
    im.u8(0xD858, 0b10000001)  # Boulder, Earth
    st = adapter.read(im.mem)
    assert st.badges == ["Zephyr Badge", "Plain Badge", "Mineral Badge", "Boulder Badge", "Earth Badge"]
    assert {"zephyr_badge", "plain_badge", "mineral_badge"} <= set(st.milestones)
    assert not {"hive_badge", "fog_badge", "storm_badge"} & set(st.milestones)
    assert st.extra["johto_badges"] == 0b00010101


def test_location_milestones_and_champion(adapter: PokeCrystalAdapter) -> None:
    im = new_bark()
    im.u8(0xDCB5, 24)
    im.u8(0xDCB6, 5)  # ELMS_LAB
    im.u8(0xDCD7, 1)
    st = adapter.read(im.mem)
    assert st.location == "Elm's Lab"
    assert st.milestones == ["game_running", "elms_lab", "starter_obtained"]
    im.u8(0xDCB5, 3)
    im.u8(0xDCB6, 91)  # VICTORY_ROAD: map 91 of the dungeons group in the retail layout
    assert adapter.read(im.mem).milestones == ["game_running", "starter_obtained", "victory_road"]
    im.u8(0xD84C, 1 << 6)  # wStatusFlags: STATUSFLAGS_HALL_OF_FAME_F
    assert adapter.read(im.mem).milestones[-1] == "champion"
    im.u8(0xDCB5, 99)
    assert adapter.read(im.mem).location == "Unknown map (group 99, number 91)"


def test_milestone_names_are_ordered_snake_case() -> None:
    assert MILESTONES[0] == "game_running" and MILESTONES[-1] == "champion"
    assert len(set(MILESTONES)) == len(MILESTONES)
    assert all(m.replace("_", "").isalnum() and m == m.lower() for m in MILESTONES)
    badges = [m for m in MILESTONES if m.endswith("_badge")]
    assert badges == ["zephyr_badge", "hive_badge", "plain_badge", "fog_badge", "storm_badge",
                      "mineral_badge", "glacier_badge", "rising_badge"]  # the order the gyms are beaten in


def test_other_wram_bank_mapped_falls_back_to_last_snapshot(adapter: PokeCrystalAdapter) -> None:
    fresh = PokeCrystalAdapter(make_rom())
    im = new_bark()
    im.u8(0xFF70, 2)  # rSVBK: the game has WRAM bank 2 at $D000
    im.mem[0xD000:0xE000] = bytes([0x42]) * 0x1000  # what bank 2 holds
    st = fresh.read(im.mem)  # never saw bank 1: nothing to fall back on
    assert st.extra["wramx_stale"] is True and st.extra["wramx_bank"] == 2
    assert st.location.startswith("No map loaded") and not st.can_move
    good = new_bark()
    assert fresh.read(good.mem).location == "New Bark Town"  # bank 1 mapped: snapshot taken
    st = fresh.read(im.mem)
    assert st.extra["wramx_stale"] is True
    assert st.location == "New Bark Town" and st.text_map == NEW_BARK_MAP and not st.can_move


def test_explicit_wram_banks_accessor(adapter: PokeCrystalAdapter) -> None:
    bank1 = new_bark().mem

    class Banks:
        def __getitem__(self, key: tuple[int, int | slice]) -> int | bytes:
            bank, addr = key
            assert bank == 1
            return bank1[addr]

    im = new_bark()
    im.u8(0xFF70, 3)
    im.mem[0xD000:0xE000] = bytes(0x1000)
    st = adapter.read(im.mem, wram_banks=Banks())
    assert st.location == "New Bark Town" and st.extra["wramx_stale"] is False and st.can_move


# --- ROM identification ---


def test_identify_and_check_accept_crystal() -> None:
    rom = make_rom()
    assert PokeCrystalAdapter.identify(rom)
    PokeCrystalAdapter.check(rom)
    assert PokeCrystalAdapter(rom).release == "unknown"  # a fake image matches no retail SHA-1
    assert adapter_class("pokecrystal") is PokeCrystalAdapter


@pytest.mark.parametrize(
    ("rom", "message"),
    [
        (make_rom(title=b"POKEMON RED", code=b"", cgb=0x00), "title is 'POKEMON RED', .*; use --env pokered"),
        (make_rom(title=b"POKEMON_SLV", code=b"AAXE", cgb=0x80), "cartridge title is 'POKEMON_SLVAAXE'"),
        (make_rom(cgb=0x80), "CGB flag is 0x80"),
        (make_rom(code=b"BYTD"), "unsupported Pokémon Crystal release 'BYTD'"),
        (make_rom(fix_checksum=False), "header checksum mismatch"),
        (b"\x00" * 0x100, "smaller than a cartridge header"),
    ],
)
def test_check_refuses_other_roms(rom: bytes, message: str) -> None:
    assert not PokeCrystalAdapter.identify(rom)
    with pytest.raises(RomError, match=message) as err:
        PokeCrystalAdapter.check(rom)
    assert "\n" not in str(err.value)
    with pytest.raises(RomError):
        PokeCrystalAdapter(rom)


# --- real emulator: WRAM banks as PyBoy exposes them ---


def _bank2_rom() -> bytes:
    """A CGB-only ROM that selects WRAM bank 2 (as Crystal does in menus) and spins."""
    rom = bytearray(0x8000)
    rom[0x100:0x104] = bytes([0x00, 0xC3, 0x50, 0x01])  # nop; jp $0150
    rom[0x134:0x13C] = b"BANKTEST"
    rom[0x143] = 0xC0
    # ld a,2 ; ldh [rSVBK],a ; jr @
    rom[0x150:0x156] = bytes([0x3E, 0x02, 0xE0, 0x70, 0x18, 0xFE])
    x = 0
    for b in rom[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    rom[0x14D] = x
    return bytes(rom)


def test_real_pyboy_reads_bank1_while_bank2_is_mapped(adapter: PokeCrystalAdapter) -> None:
    from pyboy import PyBoy

    pyboy = PyBoy(io.BytesIO(_bank2_rom()), window="null", sound_emulated=False, cgb=True)
    try:
        pyboy.tick(120, False)
        state = new_bark().mem
        for addr in range(0xC000, 0xD000):
            pyboy.memory[addr] = state[addr]
        for addr in range(0xD000, 0xE000):
            pyboy.memory[1, addr] = state[addr]
        assert pyboy.memory[0xFF70] & 7 == 2
        assert pyboy.memory[0xDCB5] != 24  # the plain bus read sees bank 2, not the map group
        st = adapter.read(pyboy.memory)
        assert st.extra["wramx_bank"] == 2 and st.extra["wramx_stale"] is False
        assert st.location == "New Bark Town" and st.text_map == NEW_BARK_MAP and st.can_move
        bus = bytearray(pyboy.memory[0x0000:0x10000])  # a flat copy has no bank API: fallback path
        st = PokeCrystalAdapter(make_rom()).read(bus)
        assert st.extra["wramx_stale"] is True and not st.can_move
    finally:
        pyboy.stop(save=False)
