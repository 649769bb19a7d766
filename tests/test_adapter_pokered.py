"""Gen 1 adapters (Red/Blue, Yellow) on memory images built from the documented layouts.

No commercial ROM is available, so each test paints a 64 KiB Game Boy bus image with small helpers
(a screen square, a sprite, a warp, a text box ...) at the addresses of the pret symbol files, plus a
32 KiB fake cartridge with a valid header and the tileset's walkable-tile list where the game keeps it.
The address tables below are transcribed from pokered.sym / pokeyellow.sym independently of the
adapter's own layout, so a wrong address in the adapter fails here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from envs.gameboy.adapters import adapter_class
from envs.gameboy.adapters.pokered import PokeRedAdapter, PokeYellowAdapter, decode_string, decode_tiles
from envs.gameboy.game import MAP_LEGEND, GameAdapter, RomError


@dataclass(frozen=True)
class Syms:
    """The symbols a test writes, by plain bus address (from the .sym files)."""

    wCurMap: int
    wYCoord: int
    wXCoord: int
    wCurMapTileset: int
    wCurMapHeight: int  # then wCurMapWidth
    wCurMapConnections: int
    wObtainedBadges: int
    wPartyCount: int
    wPartyMons: int
    wPlayerName: int
    wRivalName: int
    wPlayerMoney: int
    wIsInBattle: int
    wEnemyMonSpecies: int
    wEnemyMonHP: int
    wEnemyMonLevel: int
    wEnemyMonMaxHP: int
    wFontLoaded: int
    wNumberOfWarps: int
    wWarpEntries: int
    wNumSigns: int
    wSignCoords: int
    wTilesetCollisionPtr: int
    wGrassTile: int
    wd730: int
    wd732: int
    wd736: int
    Overworld_Coll: int  # ROM address of the OVERWORLD tileset's walkable-tile list
    SPRITE_POKE_BALL: int
    SPRITE_POKEDEX: int  # Yellow: SPRITE_BOOK_MAP_DEX
    wPikachuHappiness: int | None = None
    wPikachuMood: int | None = None
    wTileMap: int = 0xC3A0
    wSpriteStateData1: int = 0xC100
    wSpriteStateData2: int = 0xC200
    wJoyIgnore: int = 0xCD6B
    wNPCMovementScriptPointerTableNum: int = 0xCC57


RED = Syms(
    wCurMap=0xD35E, wYCoord=0xD361, wXCoord=0xD362, wCurMapTileset=0xD367, wCurMapHeight=0xD368,
    wCurMapConnections=0xD370,
    wObtainedBadges=0xD356, wPartyCount=0xD163, wPartyMons=0xD16B, wPlayerName=0xD158,
    wRivalName=0xD34A, wPlayerMoney=0xD347, wIsInBattle=0xD057,
    wEnemyMonSpecies=0xCFE5, wEnemyMonHP=0xCFE6, wEnemyMonLevel=0xCFF3, wEnemyMonMaxHP=0xCFF4,
    wFontLoaded=0xCFC4, wNumberOfWarps=0xD3AE, wWarpEntries=0xD3AF, wNumSigns=0xD4B0, wSignCoords=0xD4B1,
    wTilesetCollisionPtr=0xD530, wGrassTile=0xD535, wd730=0xD730, wd732=0xD732, wd736=0xD736,
    Overworld_Coll=0x1735, SPRITE_POKE_BALL=0x3D, SPRITE_POKEDEX=0x41,
)
YELLOW = Syms(
    wCurMap=0xD35D, wYCoord=0xD360, wXCoord=0xD361, wCurMapTileset=0xD366, wCurMapHeight=0xD367,
    wCurMapConnections=0xD36F,
    wObtainedBadges=0xD355, wPartyCount=0xD162, wPartyMons=0xD16A, wPlayerName=0xD157,
    wRivalName=0xD349, wPlayerMoney=0xD346, wIsInBattle=0xD056,
    wEnemyMonSpecies=0xCFE4, wEnemyMonHP=0xCFE5, wEnemyMonLevel=0xCFF2, wEnemyMonMaxHP=0xCFF3,
    wFontLoaded=0xCFC3, wNumberOfWarps=0xD3AD, wWarpEntries=0xD3AE, wNumSigns=0xD4AF, wSignCoords=0xD4B0,
    wTilesetCollisionPtr=0xD52F, wGrassTile=0xD534, wd730=0xD72F, wd732=0xD731, wd736=0xD735,
    Overworld_Coll=0x4AC2, SPRITE_POKE_BALL=0x47, SPRITE_POKEDEX=0x4B, wPikachuHappiness=0xD46F,
    wPikachuMood=0xD470,
)

# data/tilesets/collision_tile_ids.asm, Overworld_Coll (same in both games)
OVERWORLD_COLL = bytes([0x00, 0x10, 0x1B, 0x20, 0x21, 0x23, 0x2C, 0x2D, 0x2E, 0x30, 0x31, 0x33, 0x39,
                        0x3C, 0x3E, 0x52, 0x54, 0x58, 0x5B, 0xFF])
PATH, TREE, GRASS, WATER, LEDGE_DOWN, DOOR = 0x2C, 0x0F, 0x52, 0x14, 0x37, 0x1B
PALLET_TOWN, REDS_HOUSE_2F, OAKS_LAB, MT_MOON_1F, BEACH_HOUSE = 0x00, 0x26, 0x28, 0x3B, 0xF8
VIRIDIAN_FOREST, CELADON_HOTEL, POKEMON_FAN_CLUB = 0x33, 0x8C, 0x5A
TILESET_REDS_HOUSE_2, TILESET_HOUSE = 4, 8
CHARMANDER, PIDGEY, PIKACHU = 0xB0, 0x24, 0x54

GAMES = {"red": (PokeRedAdapter, RED, "POKEMON RED"), "yellow": (PokeYellowAdapter, YELLOW, "POKEMON YELLOW")}


# --- builders ---------------------------------------------------------------------------------------


def make_rom(title: str, syms: Syms, *, destination: int = 0x01, fix_checksum: bool = True) -> bytes:
    """A 32 KiB cartridge: header (title, destination, checksum) and the walkable-tile list."""
    rom = bytearray(0x8000)
    rom[0x100:0x104] = bytes([0x00, 0xC3, 0x50, 0x01])  # nop; jp $0150
    rom[0x134:0x134 + len(title)] = title.encode()
    if title == "POKEMON YELLOW":
        rom[0x143] = 0x80  # CGB-compatible flag: the title's 16th byte, not a letter
    rom[0x14A] = destination
    x = 0
    for b in rom[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    rom[0x14D] = x if fix_checksum else x ^ 0xFF
    rom[0x150:0x153] = bytes([0xF3, 0x18, 0xFE])  # di; jr @ : park the CPU (for the PyBoy test)
    rom[syms.Overworld_Coll:syms.Overworld_Coll + len(OVERWORLD_COLL)] = OVERWORLD_COLL
    return bytes(rom)


def encode(text: str) -> list[int]:
    """ASCII (plus é, ▶, and PK/MN as '{PK}{MN}') -> screen tiles, the inverse of charmap.asm."""
    out: list[int] = []
    text = text.replace("{PK}", "\x01").replace("{MN}", "\x02")
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(0x80 + ord(ch) - ord("A"))
        elif "a" <= ch <= "z":
            out.append(0xA0 + ord(ch) - ord("a"))
        elif "0" <= ch <= "9":
            out.append(0xF6 + ord(ch) - ord("0"))
        else:
            out.append({" ": 0x7F, "!": 0xE7, "?": 0xE6, ".": 0xE8, ",": 0xF4, "é": 0xBA, "▶": 0xED,
                        "'": 0xE0, "-": 0xE3, "\x01": 0xE1, "\x02": 0xE2}[ch])
    return out


class Scene:
    """A memory image being painted; every helper writes what the game itself would write."""

    def __init__(self, syms: Syms) -> None:
        self.s = syms
        self.mem = bytearray(0x10000)

    def poke(self, addr: int, *values: int) -> Scene:
        self.mem[addr:addr + len(values)] = bytes(values)
        return self

    def tile(self, col: int, row: int, t: int) -> None:
        self.mem[self.s.wTileMap + row * 20 + col] = t

    def overworld(self, map_id: int, x: int, y: int, *, facing: int = 0x00) -> Scene:
        """Entered the overworld, standing at (x, y), a screen full of walkable path."""
        s = self.s
        self.poke(s.wd732, 0x01)  # game timer counting: set by SpecialEnterMap
        self.poke(s.wCurMap, map_id).poke(s.wXCoord, x).poke(s.wYCoord, y)
        self.poke(s.wCurMapTileset, 0, 9, 10)  # OVERWORLD tileset, then the map's height and width
        self.poke(s.wTilesetCollisionPtr, s.Overworld_Coll & 0xFF, s.Overworld_Coll >> 8)
        self.poke(s.wGrassTile, GRASS)
        self.poke(s.wSpriteStateData1, 0x01, 0x00, 0x00)  # the player's sprite
        self.poke(s.wSpriteStateData1 + 9, facing)
        for row in range(18):
            for col in range(20):
                self.tile(col, row, PATH)
        return self

    def square(self, sx: int, sy: int, t: int) -> Scene:
        """Fill the 16x16 square at screen square (sx, sy) (all four 8x8 tiles) with tile t."""
        for dy in (0, 1):
            for dx in (0, 1):
                self.tile(2 * sx + dx, 2 * sy + dy, t)
        return self

    def sprite(self, slot: int, picture: int, map_x: int, map_y: int, *, visible: bool = True) -> Scene:
        base1, base2 = self.s.wSpriteStateData1 + 0x10 * slot, self.s.wSpriteStateData2 + 0x10 * slot
        self.poke(base1, picture, 0x01, 0x00 if visible else 0xFF)
        return self.poke(base2 + 4, map_y + 4, map_x + 4)  # object_event stores coordinates + 4

    def warps(self, *xy: tuple[int, int], stale: tuple[int, int] = (4, 6)) -> Scene:
        """The map's warps, then a stale entry past the count (from the previous map) that must not show."""
        self.poke(self.s.wNumberOfWarps, len(xy))
        for i, (x, y) in enumerate([*xy, stale]):
            self.poke(self.s.wWarpEntries + 4 * i, y, x, 0, OAKS_LAB)
        return self

    def signs(self, *xy: tuple[int, int], stale: tuple[int, int] = (2, 5)) -> Scene:
        self.poke(self.s.wNumSigns, len(xy))
        for i, (x, y) in enumerate([*xy, stale]):
            self.poke(self.s.wSignCoords + 2 * i, y, x)
        return self

    def box(self, top: int, left: int, bottom: int, right: int, lines: dict[int, str]) -> Scene:
        """TextBoxBorder: ┌─┐ │ │ └─┘, blank inside, then text placed at (left + 1, row)."""
        for col in range(left, right + 1):
            edge = col in (left, right)
            self.tile(col, top, (0x79 if col == left else 0x7B) if edge else 0x7A)
            self.tile(col, bottom, (0x7D if col == left else 0x7E) if edge else 0x7A)
        for row in range(top + 1, bottom):
            self.tile(left, row, 0x7C)
            self.tile(right, row, 0x7C)
            for col in range(left + 1, right):
                self.tile(col, row, 0x7F)
        for row, text in lines.items():
            for i, t in enumerate(encode(text)):
                self.tile(left + 1 + i, row, t)
        return self

    def party(self, *mons: tuple[int, int, int, int]) -> Scene:
        """(species, level, hp, max_hp) for each party member: count, species list, 0x2C-byte structs."""
        s = self.s
        self.poke(s.wPartyCount, len(mons), *[m[0] for m in mons], 0xFF)
        for i, (species, level, hp, max_hp) in enumerate(mons):
            base = s.wPartyMons + 0x2C * i
            self.poke(base, species, hp >> 8, hp & 0xFF, level)  # species, HP (big-endian), box level
            self.poke(base + 0x21, level, max_hp >> 8, max_hp & 0xFF)
        return self


def game(name: str) -> tuple[GameAdapter, Scene]:
    cls, syms, title = GAMES[name]
    return cls(make_rom(title, syms)), Scene(syms)


def grid(text_map: str) -> list[str]:
    rows = text_map.split("\n")
    assert len(rows) == 9 and all(len(r) == 10 for r in rows), text_map
    return rows


# --- milestones and identify / check ---


def test_milestone_names() -> None:
    counted = [
        "starter_obtained", "route_1", "viridian_city", "route_2", "viridian_forest", "pewter_city",
        "pewter_gym", "boulder_badge", "route_3", "mt_moon", "cerulean_city", "cerulean_gym", "cascade_badge",
        "route_5", "vermilion_city", "ss_anne", "vermilion_gym", "thunder_badge",
    ]
    for cls in (PokeRedAdapter, PokeYellowAdapter):
        names = cls.milestones
        assert len(set(names)) == len(names) and all(n.isidentifier() and n == n.lower() for n in names)
        assert names[:3] == ("game_running", "pallet_town", "oaks_lab")
        assert cls.counted_milestones == tuple(counted)
        assert names[3:3 + len(counted)] == tuple(counted)
        assert names[-1] == "hall_of_fame" and "earth_badge" in names[21:]


def test_registry_names_these_adapters() -> None:
    assert adapter_class("pokered") is PokeRedAdapter
    assert adapter_class("pokeyellow") is PokeYellowAdapter
    assert PokeRedAdapter.name == "pokered" and PokeYellowAdapter.name == "pokeyellow"


@pytest.mark.parametrize("title", ["POKEMON RED", "POKEMON BLUE"])
def test_red_adapter_accepts_red_and_blue(title: str) -> None:
    rom = make_rom(title, RED)
    assert PokeRedAdapter.identify(rom)
    assert not PokeYellowAdapter.identify(rom)
    adapter = PokeRedAdapter(rom)
    assert adapter.version == title.split()[1].lower()
    assert adapter.release is None  # a fake cartridge is no known release
    assert isinstance(adapter, GameAdapter)


def test_yellow_adapter_accepts_yellow_only() -> None:
    rom = make_rom("POKEMON YELLOW", YELLOW)
    assert PokeYellowAdapter.identify(rom) and not PokeRedAdapter.identify(rom)
    message = r"^ROM title 'POKEMON YELLOW' is not Pokémon Red/Blue; use --env pokeyellow$"
    with pytest.raises(RomError, match=message):
        PokeRedAdapter.check(rom)
    with pytest.raises(RomError, match=r"use --env pokered$"):
        PokeYellowAdapter(make_rom("POKEMON RED", RED))
    with pytest.raises(RomError, match=r"use --env pokecrystal$"):
        PokeYellowAdapter.check(make_rom("PM_CRYSTALBYTE", RED))


@pytest.mark.parametrize("name", GAMES)
def test_check_refuses_bad_roms(name: str) -> None:
    cls, syms, title = GAMES[name]
    with pytest.raises(RomError, match="bad header checksum"):
        cls.check(make_rom(title, syms, fix_checksum=False))
    with pytest.raises(RomError, match="Japanese release"):
        cls.check(make_rom(title, syms, destination=0x00))
    with pytest.raises(RomError, match="too small"):
        cls.check(make_rom(title, syms)[:0x4000])
    with pytest.raises(RomError, match=r"^ROM title 'TETRIS' is not Pok.mon [A-Za-z/]+$"):
        cls.check(make_rom("TETRIS", syms))
    for bad in (make_rom(title, syms, fix_checksum=False), make_rom("TETRIS", syms)):
        assert not cls.identify(bad)


# --- overworld --------------------------------------------------------------------------------------


def pallet_scene(scene: Scene) -> Scene:
    """Pallet Town at (x=5, y=6) facing left, so screen square (0, 0) is map (1, 2).

    Row 0 trees, a sign on a tree, a door warp, an NPC, an item ball, a hidden and a far-away sprite,
    grass, a ledge and water.
    """
    scene.overworld(PALLET_TOWN, x=5, y=6, facing=0x08)
    for sx in range(10):
        scene.square(sx, 0, TREE)
    scene.square(1, 1, TREE).signs((2, 3))  # map (2, 3) = square (1, 1)
    scene.square(6, 2, DOOR).warps((7, 4))  # map (7, 4) = square (6, 2)
    scene.sprite(1, 0x04, map_x=3, map_y=7)  # NPC at square (2, 5)
    scene.sprite(2, scene.s.SPRITE_POKE_BALL, map_x=9, map_y=5)  # item ball at square (8, 3)
    scene.sprite(3, 0x06, map_x=4, map_y=5, visible=False)  # hidden (image index 0xFF) at (3, 3)
    scene.sprite(4, 0x07, map_x=40, map_y=40)  # on the map but far off screen
    for sx in (7, 8, 9):
        scene.square(sx, 6, GRASS)
    for sx in (4, 5, 6):
        scene.square(sx, 7, LEDGE_DOWN)
    for sx in (0, 1, 2):
        scene.square(sx, 8, WATER)
    return scene


PALLET_MAP = [
    "##########",
    ".?........",
    "......D...",
    "........?.",
    "....@.....",
    "..N.......",
    ".......ggg",
    "....___...",
    "~~~.......",
]


@pytest.mark.parametrize("name", GAMES)
def test_overworld_in_pallet_town(name: str) -> None:
    adapter, scene = game(name)
    pallet_scene(scene)
    if name == "yellow":  # Pikachu (sprite slot 15) right behind the player: walkable, not an 'N'
        scene.sprite(15, 0x3D, map_x=5, map_y=7)
    state = adapter.read(scene.mem)
    assert grid(state.text_map) == PALLET_MAP
    assert set(state.text_map) <= set(MAP_LEGEND) | {"\n"}
    assert (state.location, state.map_id, state.x, state.y, state.facing) == ("Pallet Town", 0, 5, 6, "LEFT")
    assert state.can_move and not state.in_battle and state.dialog is None
    assert state.milestones == ["game_running", "pallet_town"]
    assert state.extra["game_started"] is True and state.extra["version"] == name
    assert "Map (@ is you" in state.to_text() and "Pallet Town" in state.to_text()


@pytest.mark.parametrize("name", GAMES)
def test_water_and_ledges_depend_on_the_tileset(name: str) -> None:
    """Tile 0x14 is water and 0x37 a ledge only in the OVERWORLD tileset; indoors both are walls."""
    adapter, scene = game(name)
    pallet_scene(scene).poke(scene.s.wCurMapTileset, 8)  # HOUSE: no water, no ledges
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[7] == "....###..." and rows[8] == "###......."
    scene.poke(scene.s.wCurMapTileset, 17)  # CAVERN has water but no ledges
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[7] == "....###..." and rows[8] == "~~~......."


@pytest.mark.parametrize("name", GAMES)
def test_facing_and_player_square_follow_memory(name: str) -> None:
    adapter, scene = game(name)
    for code, facing in ((0x00, "DOWN"), (0x04, "UP"), (0x0C, "RIGHT")):
        scene.overworld(OAKS_LAB, x=3, y=9, facing=code)
        state = adapter.read(scene.mem)
        assert state.facing == facing and grid(state.text_map)[4][4] == "@"
        assert state.location == "Oak's Lab" and "oaks_lab" in state.milestones


@pytest.mark.parametrize("name", GAMES)
def test_off_map_squares_are_unknown_unless_a_map_connects_there(name: str) -> None:
    """West of Pallet Town the game draws the border block (tall grass): that is no place to walk. Past
    an edge with a map connection (wCurMapConnections) the next map is drawn and read."""
    adapter, scene = game(name)
    scene.overworld(PALLET_TOWN, x=1, y=1)  # 10 x 9 blocks = 20 x 18 squares; square (0, 0) is map (-3, -3)
    for row in range(18):
        for col in range(20):
            scene.tile(col, row, GRASS)
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[:3] == [" " * 10] * 3
    assert rows[3:] == ["   ggggggg", "   g@ggggg"] + ["   ggggggg"] * 4
    scene.poke(scene.s.wCurMapConnections, 0x08)  # NORTH: Route 1 above
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[:3] == ["   ggggggg"] * 3  # the corner squares (off both edges) stay unknown
    scene.poke(scene.s.wCurMapConnections, 0x02 | 0x08)  # WEST too
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[:3] == ["   ggggggg"] * 3 and rows[5] == "gggggggggg"
    scene.overworld(PALLET_TOWN, x=18, y=16)  # the east and south edges: squares (6.., *), (*, 6..) are off
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[:6] == ["......    "] * 4 + ["....@.    ", "......    "] and rows[6:] == [" " * 10] * 3


@pytest.mark.parametrize("name", GAMES)
def test_bedroom_pc_and_snes_are_interactable(name: str) -> None:
    """Hidden events (data/events/hidden_events.asm) are walls on screen but answer A: '?'."""
    adapter, scene = game(name)
    scene.overworld(REDS_HOUSE_2F, x=1, y=2)  # square (0, 0) is map (-3, -2)
    scene.poke(scene.s.wCurMapTileset, TILESET_REDS_HOUSE_2, 4, 4)  # 4 x 4 blocks
    for row in range(18):
        for col in range(20):
            scene.tile(col, row, TREE)  # not in the walkable list: a wall
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[3][3] == "?"  # the PC at map (0, 1)
    assert rows[7][6] == "?"  # the SNES at map (3, 5)
    assert rows[:2] == [" " * 10] * 2 and rows[2] == "   #######" and rows[4] == "   #@#####"
    assert sum(r.count("?") for r in rows) == 2


@pytest.mark.parametrize("name", GAMES)
def test_hidden_items_stay_hidden_and_tables_follow_the_game(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(VIRIDIAN_FOREST, x=1, y=18)  # a hidden POTION right under the player's feet area
    scene.poke(scene.s.wCurMapTileset, 3, 24, 17)
    state = adapter.read(scene.mem)
    assert "?" not in state.text_map
    scene.overworld(CELADON_HOTEL, x=13, y=5)  # Red's hotel has a PC at (13, 3); Yellow's does not
    scene.poke(scene.s.wCurMapTileset, 6, 4, 7)
    assert (grid(adapter.read(scene.mem).text_map)[2][4] == "?") == (name == "red")
    scene.overworld(POKEMON_FAN_CLUB, x=1, y=2)  # the Fan Club's pictures are Yellow's only
    scene.poke(scene.s.wCurMapTileset, 8, 4, 5)
    assert (grid(adapter.read(scene.mem).text_map)[2][4] == "?") == (name == "yellow")


@pytest.mark.parametrize("name", GAMES)
def test_bookshelves_are_interactable(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(0x25, x=4, y=4)  # REDS_HOUSE_1F: tileset REDS_HOUSE_1, bookshelf tile $32
    scene.poke(scene.s.wCurMapTileset, 1, 4, 4)
    scene.square(4, 3, 0x32).square(5, 3, 0x3D)
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[3][4:6] == "?#"
    scene.poke(scene.s.wCurMapTileset, TILESET_HOUSE)  # HOUSE: $3D is the town map, $32 nothing
    rows = grid(adapter.read(scene.mem).text_map)
    assert rows[3][4:6] == "#?"


@pytest.mark.parametrize("name", GAMES)
def test_pokedex_on_the_desk_is_an_object_not_an_npc(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(OAKS_LAB, x=4, y=5)
    scene.poke(scene.s.wCurMapTileset, 20, 6, 5)
    scene.sprite(1, scene.s.SPRITE_POKEDEX, map_x=2, map_y=1)
    scene.sprite(2, 0x03, map_x=5, map_y=2)  # SPRITE_OAK: a person
    scene.sprite(3, scene.s.SPRITE_POKE_BALL, map_x=7, map_y=3)
    rows = grid(adapter.read(scene.mem).text_map)
    assert (rows[0][2], rows[1][5], rows[2][7]) == ("?", "N", "?")


def test_map_name_table_covers_both_games() -> None:
    red, red_scene = game("red")
    yellow, yellow_scene = game("yellow")
    assert red.read(red_scene.overworld(MT_MOON_1F, 1, 1).mem).location == "Mt. Moon 1F"
    assert red.read(red_scene.overworld(0xC6, 1, 1).mem).location == "Victory Road 3F"
    assert red.read(red_scene.overworld(BEACH_HOUSE, 1, 1).mem).location == "Unknown map 0xF8"
    assert yellow.read(yellow_scene.overworld(BEACH_HOUSE, 1, 1).mem).location == "Beach House"
    assert "mt_moon" in red.read(red_scene.overworld(MT_MOON_1F, 1, 1).mem).milestones


# --- text boxes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_text_box_dialog(name: str) -> None:
    adapter, scene = game(name)
    pallet_scene(scene)
    scene.poke(scene.s.wFontLoaded, 0x01)  # DisplayTextIDInit sets bit 0
    scene.box(12, 0, 17, 19, {14: "Hello there!", 16: "Welcome to POKéMON"})
    state = adapter.read(scene.mem)
    assert state.dialog == "Hello there! Welcome to POKEMON"
    assert not state.can_move
    rows = grid(state.text_map)
    assert rows[:6] == PALLET_MAP[:6]  # the map above the box is still read
    assert rows[6:] == [" " * 10] * 3  # squares under the box are unknown


@pytest.mark.parametrize("name", GAMES)
def test_start_menu_is_dialog_and_blocks_movement(name: str) -> None:
    adapter, scene = game(name)
    pallet_scene(scene)
    scene.poke(scene.s.wFontLoaded, 0x01)
    scene.box(0, 10, 8, 19, {2: "▶POKéMON", 4: " ITEM", 6: " SAVE"})
    state = adapter.read(scene.mem)
    assert state.dialog == ">POKEMON ITEM SAVE"
    assert not state.can_move
    rows = grid(state.text_map)
    # the frame spans tile rows 0-8, which covers the lower-left tiles of square rows 0-3, columns 5-9
    assert [r[5:] for r in rows[:4]] == ["     "] * 4
    assert [r[:5] for r in rows[:4]] == [r[:5] for r in PALLET_MAP[:4]]
    assert rows[4:] == PALLET_MAP[4:]


@pytest.mark.parametrize("name", GAMES)
def test_intro_naming_menu_with_name_in_its_top_border(name: str) -> None:
    """DisplayIntroNameTextBox: TextBoxBorder at (0, 0), 9 x 10 inside, "NAME" written over the top
    edge at (3, 0), the choices at (2, 2) two rows apart, the cursor left of the first."""
    adapter, scene = game(name)
    scene.box(0, 0, 11, 10, {2: "▶NEW NAME", 4: " RED", 6: " ASH", 8: " JACK"})
    for i, t in enumerate(encode("NAME")):
        scene.tile(3 + i, 0, t)
    state = adapter.read(scene.mem)  # Oak's speech: the overworld has not been entered
    assert state.dialog == "NAME: >NEW NAME RED ASH JACK"
    assert not state.can_move and not state.on_map


def test_a_stray_corner_with_letters_is_no_box() -> None:
    """A top edge with other tiles in it only counts when the right edge is a full │ column down to ┘."""
    adapter, scene = game("red")
    pallet_scene(scene)
    scene.box(10, 0, 15, 19, {12: "Hello"})
    assert adapter.read(scene.mem).dialog == "Hello"
    scene.tile(19, 13, PATH)  # right edge broken under a titled top edge: not a frame
    for i, t in enumerate(encode("TITLE")):
        scene.tile(4 + i, 10, t)
    assert adapter.read(scene.mem).dialog is None
    scene.tile(19, 13, 0x7C)
    assert adapter.read(scene.mem).dialog == "TITLE: Hello"


def naming_screen(scene: Scene, prompt: str, typed: str, length: int) -> Scene:
    """DisplayNamingScreen as it draws: the prompt at (0, 1), the name at (10, 2), its blanks (tile $76,
    the next one raised: $77) at (10, 3), the keyboard frame over rows 4-14, the letters every other
    column from (2, 5), the cursor left of a letter, the case switch at (2, 15)."""
    for row in range(18):
        for col in range(20):
            scene.tile(col, row, 0x7F)
    for i, t in enumerate(encode(prompt)):
        scene.tile(i, 1, t)
    for i, t in enumerate(encode(typed)):
        scene.tile(10 + i, 2, t)
    for i in range(length):
        scene.tile(10 + i, 3, 0x77 if i == len(typed) else 0x76)
    scene.box(4, 0, 14, 19, {})
    rows = ["ABCDEFGHI", "JKLMNOPQR", "STUVWXYZ ", None, "-?!"]
    for r, letters in enumerate(rows):
        if letters is None:  # x ( ) : ; [ ] PK MN
            tiles = [0xF1, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xE1, 0xE2]
        else:
            tiles = encode(letters) + ([0xEF, 0xF5, 0xF3, 0xF2, 0xF4, 0xF0] if r == 4 else [])
        for i, t in enumerate(tiles):
            scene.tile(2 + 2 * i, 5 + 2 * r, t)
    scene.tile(1, 7, 0xED)  # the cursor, on J
    for i, t in enumerate(encode("lower case")):
        scene.tile(2 + i, 15, t)
    return scene


@pytest.mark.parametrize("name", GAMES)
def test_naming_keyboard_is_read_as_dialog_and_hides_the_map(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(OAKS_LAB, x=4, y=5).poke(scene.s.wFontLoaded, 0x01)  # nicknaming the starter
    naming_screen(scene, "YOUR NAME?", "AS", 7)
    state = adapter.read(scene.mem)
    assert state.dialog == (
        "YOUR NAME? Name: AS | A B C D E F G H I | >J K L M N O P Q R | S T U V W X Y Z | "
        "x ( ) : ; [ ] PK MN | - ? ! (M) (F) / . , ED | lower case"
    )
    assert state.screen == "naming screen" and state.text_map == "" and not state.can_move
    text = state.to_text()
    assert "Screen: naming screen" in text and "Map: none (naming screen)" in text and "Map (@" not in text
    naming_screen(scene, "RIVAL's NAME?", "", 7)
    assert adapter.read(scene.mem).dialog.startswith("RIVAL's NAME? Name: (empty) | A B C")
    scene.tile(12, 3, 0x7F)  # no blanks row: a plain full-width box, not the naming screen
    assert adapter.read(scene.mem).screen is None


def test_text_decoding() -> None:
    assert decode_tiles(encode("POKéMON got it!")) == "POKEMON got it!"
    assert decode_tiles(encode("café {PK}{MN}")) == "cafe PKMN"
    # wPlayerName etc.: terminated by '@' (0x50); control codes stand for words
    assert decode_string(encode("RED") + [0x50, 0x80]) == "RED"
    raw = [0x52] + encode(" got a ") + [0x54] + encode("BALL from ") + [0x53] + encode("!") + [0x57]
    assert decode_string(raw, player="RED", rival="BLUE") == "RED got a POKEBALL from BLUE!"


# --- battle, party, badges --------------------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_in_battle(name: str) -> None:
    adapter, scene = game(name)
    s = scene.s
    pallet_scene(scene)
    scene.poke(s.wIsInBattle, 1).poke(s.wEnemyMonSpecies, PIDGEY).poke(s.wEnemyMonLevel, 3)
    scene.poke(s.wEnemyMonHP, 0x00, 0x0C).poke(s.wEnemyMonMaxHP, 0x00, 0x0F)
    scene.box(12, 0, 17, 19, {})
    scene.box(12, 8, 17, 19, {14: "▶FIGHT {PK}{MN}", 16: " ITEM  RUN"})  # the battle menu over it
    state = adapter.read(scene.mem)
    assert state.in_battle and not state.can_move
    assert state.dialog == ">FIGHT PKMN ITEM RUN"
    assert state.text_map == "" and state.screen == "battle"  # the battle screen covers the map
    assert "Map: none (battle)" in state.to_text()
    assert state.extra["battle_type"] == "wild"
    assert (state.extra["enemy_species"], state.extra["enemy_level"]) == ("PIDGEY", 3)
    assert (state.extra["enemy_hp"], state.extra["enemy_max_hp"]) == (12, 15)
    assert "Enemy: PIDGEY L3 12/15HP" in state.to_text().split("\n")  # the agent reads the enemy too
    scene.poke(s.wIsInBattle, 2)
    assert adapter.read(scene.mem).extra["battle_type"] == "trainer"
    scene.poke(s.wIsInBattle, 0)
    assert "enemy_species" not in adapter.read(scene.mem).extra
    assert "Enemy:" not in adapter.read(scene.mem).to_text()


@pytest.mark.parametrize("name", GAMES)
def test_party_of_two(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(OAKS_LAB, x=4, y=5)
    first = PIKACHU if name == "yellow" else CHARMANDER
    scene.party((first, 6, 20, 22), (PIDGEY, 3, 0x100, 0x10F))  # HP above 255: big-endian matters
    state = adapter.read(scene.mem)
    first_name = "PIKACHU" if name == "yellow" else "CHARMANDER"
    assert [(m.species, m.level, m.hp, m.max_hp) for m in state.party] == [
        (first_name, 6, 20, 22), ("PIDGEY", 3, 256, 271)]
    assert state.milestones == ["game_running", "oaks_lab", "starter_obtained"]
    assert f"{first_name} L6 20/22HP" in state.to_text()


@pytest.mark.parametrize("name", GAMES)
def test_badges(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(0x02, x=10, y=10).poke(scene.s.wObtainedBadges, 0b0000_0101)
    state = adapter.read(scene.mem)
    assert state.badges == ["Boulder", "Thunder"]
    assert {"boulder_badge", "thunder_badge", "pewter_city"} <= set(state.milestones)
    assert "cascade_badge" not in state.milestones
    scene.poke(scene.s.wObtainedBadges, 0xFF)
    assert len(adapter.read(scene.mem).badges) == 8


@pytest.mark.parametrize("name", GAMES)
def test_money_and_names(name: str) -> None:
    adapter, scene = game(name)
    scene.overworld(PALLET_TOWN, 5, 6).poke(scene.s.wPlayerMoney, 0x01, 0x23, 0x45)
    scene.poke(scene.s.wPlayerName, *encode("ASH"), 0x50).poke(scene.s.wRivalName, *encode("GARY"), 0x50)
    extra = adapter.read(scene.mem).extra
    assert (extra["money"], extra["player_name"], extra["rival_name"]) == (12345, "ASH", "GARY")


def test_yellow_reports_pikachu_mood() -> None:
    adapter, scene = game("yellow")
    scene.overworld(PALLET_TOWN, 5, 6).poke(YELLOW.wPikachuHappiness, 90).poke(YELLOW.wPikachuMood, 0x80)
    extra = adapter.read(scene.mem).extra
    assert (extra["pikachu_happiness"], extra["pikachu_mood"]) == (90, 0x80)
    red, red_scene = game("red")
    assert "pikachu_happiness" not in red.read(red_scene.overworld(PALLET_TOWN, 5, 6).mem).extra


# --- can_move and the intro pitfall -----------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_intro_is_not_overworld(name: str) -> None:
    """wCurMap already names the bedroom during Oak's speech: nothing location-based is reported."""
    adapter, scene = game(name)
    s = scene.s
    scene.overworld(REDS_HOUSE_2F, x=3, y=6)
    scene.poke(s.wd732, 0x00)  # SpecialEnterMap has not run yet
    scene.party((CHARMANDER, 5, 1, 1)).poke(s.wObtainedBadges, 0xFF)  # stale bytes must not leak out
    scene.box(12, 0, 17, 19, {14: "Hello there!"})
    state = adapter.read(scene.mem)
    assert not state.can_move
    assert state.location == "Title screen / intro" and state.map_id == REDS_HOUSE_2F
    assert state.milestones == ["game_running"] and state.party == [] and state.badges == []
    assert state.dialog == "Hello there!"
    # The player is on no map yet: no position, no map (wXCoord/wYCoord are stale bytes).
    assert not state.on_map and state.text_map == ""
    text = state.to_text()
    assert text.startswith("Location: Title screen / intro\n")
    assert "Position" not in text and "map 38" not in text and "Facing" not in text
    assert "Map: none (not on a map)" in text
    assert adapter.read(bytearray(0x10000)).milestones == []  # power-on: nothing drawn yet
    assert adapter.read(pallet_scene(scene).mem).on_map  # once in the overworld the position is shown


BLOCKERS = {
    "text box open (wFontLoaded)": lambda sc: sc.poke(sc.s.wFontLoaded, 0x01),
    "D-pad ignored (wJoyIgnore)": lambda sc: sc.poke(sc.s.wJoyIgnore, 0xFF),
    "scripted joypad (wd730 bit 7)": lambda sc: sc.poke(sc.s.wd730, 0x80),
    "NPC movement script": lambda sc: sc.poke(sc.s.wNPCMovementScriptPointerTableNum, 0x01),
    "stepping out of a door (wd736 bit 1)": lambda sc: sc.poke(sc.s.wd736, 0x02),
    "menu tile on screen": lambda sc: sc.tile(19, 0, 0x79),
    "in battle": lambda sc: sc.poke(sc.s.wIsInBattle, 0x01),
    "game not started": lambda sc: sc.poke(sc.s.wd732, 0x00),
}


@pytest.mark.parametrize("name", GAMES)
@pytest.mark.parametrize("blocker", BLOCKERS)
def test_each_blocker_stops_can_move(name: str, blocker: str) -> None:
    adapter, scene = game(name)
    pallet_scene(scene)
    assert adapter.read(scene.mem).can_move
    BLOCKERS[blocker](scene)
    assert not adapter.read(scene.mem).can_move


# --- real PyBoy memory ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_reads_real_pyboy_memory(name: str) -> None:
    """The same scene written into a running PyBoy's WRAM decodes exactly as from the bytearray."""
    pyboy_mod = pytest.importorskip("pyboy")
    cls, syms, title = GAMES[name]
    rom = make_rom(title, syms)
    scene = pallet_scene(Scene(syms))
    scene.party((PIDGEY, 3, 12, 15))
    pyboy = pyboy_mod.PyBoy(io.BytesIO(rom), window="null", sound_emulated=False, log_level="ERROR")
    try:
        pyboy.tick(120, False, False)  # boot ROM, then our cartridge parks the CPU in a loop
        for addr in range(0xC000, 0xE000):
            pyboy.memory[addr] = scene.mem[addr]
        adapter = cls(rom)
        assert adapter.read(pyboy.memory) == adapter.read(scene.mem)
        assert grid(adapter.read(pyboy.memory).text_map) == PALLET_MAP
    finally:
        pyboy.stop(save=False)
