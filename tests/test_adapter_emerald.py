"""Pokémon Emerald adapter on memory images built from the pret/pokeemerald layouts.

No commercial ROM exists here, so each test lays out the GBA bus (EWRAM, IWRAM and a fake cartridge with a
valid BPEE header, a map layout, two tilesets' metatile attribute tables and a map's event tables) the way the
game would, then checks what the adapter decodes. Party Pokémon are written encrypted, with the substruct
order of GetSubstruct (src/pokemon.c) transcribed here independently of the adapter.
"""

from __future__ import annotations

import pytest

from envs.gba.adapters import adapter_class
from envs.gba.adapters import emerald_data as data
from envs.gba.adapters.emerald import KNOWN_RELEASES, MILESTONES, EmeraldAdapter
from envs.gba.game import MAP_LEGEND, GBAGameAdapter, ImageMemory, RomError, header_complement

# --- fixed addresses (pokeemerald.sym) ---
SB1_PTR, SB2_PTR = 0x03005D8C, 0x03005D90
SB1_BASE, SB2_BASE = 0x02025A00, 0x02024A54  # gSaveblock1 / gSaveblock2; the pointers add a random offset
MAIN_CALLBACK2, MAIN_IN_BATTLE = 0x030022C4, 0x030026F9
SCRIPT_CONTEXT2_ENABLED = 0x03000F2C
BACKUP_MAP_LAYOUT, BACKUP_MAP_DATA = 0x03005DC0, 0x02032318
MAP_HEADER, OBJECT_EVENTS, PLAYER_AVATAR = 0x02037318, 0x02037350, 0x02037590
MESSAGE_BOX_MODE, STRING_VAR4, TEXT_PRINTERS = 0x020375BC, 0x02021FC4, 0x020201B0
BATTLE_STRING, BATTLE_MONS = 0x02022E2C, 0x02024084
PARTY_COUNT, PARTY = 0x020244E9, 0x020244EC
CB2_OVERWORLD = 0x08085E5C
# --- where the fake cartridge keeps its tables ---
LAYOUT, PRIMARY_TILESET, SECONDARY_TILESET = 0x08100000, 0x08100100, 0x08100120
PRIMARY_ATTRS, SECONDARY_ATTRS = 0x08101000, 0x08102000
EVENTS, WARPS, BG_EVENTS = 0x08100300, 0x08100400, 0x08100500

# Metatile ids -> behavior (include/constants/metatile_behaviors.h); collision comes from the grid entry.
FLOOR, WALL, GRASS, POND, LEDGE_S, PC, DOOR = 1, 2, 3, 4, 5, 6, 7
SECONDARY_GRASS = 0x201  # in the secondary tileset's table (metatile id - 0x200)
BEHAVIORS = {FLOOR: 0x00, WALL: 0x00, GRASS: 0x02, POND: 0x10, LEDGE_S: 0x3B, PC: 0x83, DOOR: 0x69}
MAP_W, MAP_H = 20, 18  # Littleroot Town-sized
GRID_W, GRID_H = MAP_W + 15, MAP_H + 14  # MAP_OFFSET_W, MAP_OFFSET_H

# GetSubstruct: for personality % 24, the positions of substructs 0 (Growth), 1 (Attacks), 2 (EVs), 3 (Misc).
SUBSTRUCT_ORDER = [
    (0, 1, 2, 3), (0, 1, 3, 2), (0, 2, 1, 3), (0, 3, 1, 2), (0, 2, 3, 1), (0, 3, 2, 1),
    (1, 0, 2, 3), (1, 0, 3, 2), (2, 0, 1, 3), (3, 0, 1, 2), (2, 0, 3, 1), (3, 0, 2, 1),
    (1, 2, 0, 3), (1, 3, 0, 2), (2, 1, 0, 3), (3, 1, 0, 2), (2, 3, 0, 1), (3, 2, 0, 1),
    (1, 2, 3, 0), (1, 3, 2, 0), (2, 1, 3, 0), (3, 1, 2, 0), (2, 3, 1, 0), (3, 2, 1, 0),
]
TREECKO, TORCHIC, MUDKIP, ZIGZAGOON, WURMPLE, RALTS = 277, 280, 283, 288, 290, 392


def make_rom(title: bytes = b"POKEMON EMER", code: bytes = b"BPEE", fix_complement: bool = True) -> bytes:
    rom = bytearray(0x104000)
    rom[0xA0:0xAC] = title.ljust(12, b"\0")
    rom[0xAC:0xB0] = code
    rom[0xB0:0xB2] = b"01"
    rom[0xB2] = 0x96
    rom[0xBD] = header_complement(bytes(rom)) if fix_complement else (header_complement(bytes(rom)) + 1) & 0xFF

    def put32(addr: int, value: int) -> None:
        rom[addr - 0x08000000 : addr - 0x08000000 + 4] = value.to_bytes(4, "little")

    def put16(addr: int, value: int) -> None:
        rom[addr - 0x08000000 : addr - 0x08000000 + 2] = value.to_bytes(2, "little")

    put32(LAYOUT, MAP_W)
    put32(LAYOUT + 4, MAP_H)
    put32(LAYOUT + 0x10, PRIMARY_TILESET)
    put32(LAYOUT + 0x14, SECONDARY_TILESET)
    put32(PRIMARY_TILESET + 0x10, PRIMARY_ATTRS)
    put32(SECONDARY_TILESET + 0x10, SECONDARY_ATTRS)
    for metatile, behavior in BEHAVIORS.items():
        put16(PRIMARY_ATTRS + 2 * metatile, behavior | 0x1000)  # layer type in the top nibble: ignored
    put16(SECONDARY_ATTRS + 2 * (SECONDARY_GRASS - 0x200), 0x02)
    # struct MapEvents: objectEventCount, warpCount, coordEventCount, bgEventCount, then 4 pointers
    rom[EVENTS - 0x08000000 : EVENTS - 0x08000000 + 4] = bytes([0, 1, 0, 2])
    put32(EVENTS + 0x08, WARPS)
    put32(EVENTS + 0x10, BG_EVENTS)
    # struct WarpEvent {s16 x, y; u8 elevation, warpId, mapNum, mapGroup}: the player's house door
    rom[WARPS - 0x08000000 : WARPS - 0x08000000 + 8] = bytes([5, 0, 3, 0, 0, 0, 0, 1])
    # struct BgEvent {u16 x, y; u8 elevation, kind; u16 pad; u32 union}: a sign, then a hidden item
    rom[BG_EVENTS - 0x08000000 : BG_EVENTS - 0x08000000 + 24] = bytes(
        [9, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [10, 0, 2, 0, 0, 7, 0, 0, 0, 0, 0, 0])
    return bytes(rom)


def encode(text: str) -> bytes:
    """English text -> the game's charset (charmap.txt), EOS-terminated."""
    specials = {" ": 0x00, "!": 0xAB, "?": 0xAC, ".": 0xAD, "-": 0xAE, "'": 0xB4, ",": 0xB8, "é": 0x1B,
                ":": 0xF0, "\n": 0xFE, "\f": 0xFB}  # \f stands for '\p' (new page)
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(0xBB + ord(ch) - ord("A"))
        elif "a" <= ch <= "z":
            out.append(0xD5 + ord(ch) - ord("a"))
        elif "0" <= ch <= "9":
            out.append(0xA1 + ord(ch) - ord("0"))
        else:
            out.append(specials[ch])
    return bytes(out + [0xFF])


def encrypted_mon(species: int, level: int, hp: int, max_hp: int, personality: int, ot_id: int = 0x1234ABCD,
                  egg: bool = False) -> bytes:
    """A 100-byte struct Pokemon the way the game stores it: substructs placed by personality % 24,
    checksum over the plain substructs, then every u32 of the 48 bytes XOR (personality ^ otId)."""
    growth = species.to_bytes(2, "little") + (0).to_bytes(2, "little") + (135).to_bytes(4, "little") + bytes(4)
    attacks = (33).to_bytes(2, "little") + bytes(6) + bytes([35, 0, 0, 0])  # TACKLE, 35 PP
    evs, misc = bytes(12), bytes(3) + bytes([0x10]) + bytes(8)
    subs = [growth, attacks, evs, misc]
    plain = bytearray(48)
    for kind, position in enumerate(SUBSTRUCT_ORDER[personality % 24]):
        plain[12 * position : 12 * position + 12] = subs[kind]
    checksum = sum(int.from_bytes(plain[i : i + 2], "little") for i in range(0, 48, 2)) & 0xFFFF
    key = personality ^ ot_id
    secure = b"".join((int.from_bytes(plain[i : i + 4], "little") ^ key).to_bytes(4, "little")
                      for i in range(0, 48, 4))
    box = bytearray(0x20)
    box[0:4] = personality.to_bytes(4, "little")
    box[4:8] = ot_id.to_bytes(4, "little")
    box[8:18] = encode("NICK")[:10].ljust(10, b"\xff")
    box[0x12] = 2  # LANGUAGE_ENGLISH
    box[0x13] = 0x02 | (0x04 if egg else 0)  # hasSpecies, isEgg
    box[0x1C:0x1E] = checksum.to_bytes(2, "little")
    tail = bytearray(20)  # status, level, mail, hp, maxHP, stats
    tail[4] = level
    tail[6:8] = hp.to_bytes(2, "little")
    tail[8:10] = max_hp.to_bytes(2, "little")
    return bytes(box) + secure + bytes(tail)


class Bus:
    """An ImageMemory laid out like the game: save blocks behind their pointers, the field, the party."""

    def __init__(self, sb1_offset: int = 0x24, sb2_offset: int = 0x10) -> None:
        self.mem = ImageMemory(make_rom())
        self.sb1, self.sb2 = SB1_BASE + sb1_offset, SB2_BASE + sb2_offset
        self.mem.write_u32(SB1_PTR, self.sb1)
        self.mem.write_u32(SB2_PTR, self.sb2)

    def flag(self, flag: int) -> None:
        addr = self.sb1 + 0x1270 + flag // 8
        self.mem.write(addr, bytes([self.mem.read(addr, 1)[0] | 1 << flag % 8]))

    def var(self, var: int, value: int) -> None:
        self.mem.write_u16(self.sb1 + 0x139C + 2 * (var - 0x4000), value)

    def location(self, map_name: str) -> None:
        group, number = data.MAP_IDS[map_name]
        self.mem.write(self.sb1 + 4, bytes([group, number, 0xFF]))

    def block(self, x: int, y: int, metatile: int, collision: int = 0) -> None:
        """The backup map grid entry of map square (x, y)."""
        addr = BACKUP_MAP_DATA + 2 * ((y + 7) * GRID_W + x + 7)
        self.mem.write_u16(addr, metatile | collision << 10)

    def obj(self, slot: int, x: int, y: int, gfx: int = 7, facing: int = 1, player: bool = False,
            invisible: bool = False) -> None:
        """gObjectEvents[slot]: active, in map coordinates + MAP_OFFSET."""
        base = OBJECT_EVENTS + 0x24 * slot
        raw = bytearray(0x24)
        raw[0], raw[1], raw[2] = 0x01, 0x20 if invisible else 0, 0x01 if player else 0
        raw[5] = gfx
        for off in (0x0C, 0x10, 0x14):
            raw[off : off + 2] = (x + 7).to_bytes(2, "little")
            raw[off + 2 : off + 4] = (y + 7).to_bytes(2, "little")
        raw[0x18] = facing | facing << 4
        self.mem.write(base, bytes(raw))

    def player_at(self, x: int, y: int, facing: int = 1) -> None:
        self.mem.write_u16(self.sb1, x)
        self.mem.write_u16(self.sb1 + 2, y)
        self.obj(0, x, y, gfx=0, facing=facing, player=True)
        self.mem.write(PLAYER_AVATAR + 5, bytes([0]))

    def party(self, *mons: bytes) -> None:
        self.mem.write(PARTY_COUNT, bytes([len(mons)]))
        for i, mon in enumerate(mons):
            self.mem.write(PARTY + 100 * i, mon)

    def message(self, text: str, printed: int | None = None) -> None:
        """A field message box (ShowFieldMessage): gStringVar4, and printer 0 `printed` bytes in."""
        self.mem.write(MESSAGE_BOX_MODE, bytes([2]))
        self.mem.write(STRING_VAR4, encode(text))
        if printed is not None:
            self.mem.write_u32(TEXT_PRINTERS, STRING_VAR4 + printed)
            self.mem.write(TEXT_PRINTERS + 0x1B, bytes([1]))


def littleroot(x: int = 8, y: int = 6, facing: int = 2) -> Bus:
    """Littleroot Town, player idle in the overworld: floor everywhere inside a ring of wall squares."""
    bus = Bus()
    bus.location("LittlerootTown")
    bus.mem.write_u32(MAP_HEADER, LAYOUT)
    bus.mem.write_u32(MAP_HEADER + 4, EVENTS)
    bus.mem.write_u32(BACKUP_MAP_LAYOUT, GRID_W)
    bus.mem.write_u32(BACKUP_MAP_LAYOUT + 4, GRID_H)
    bus.mem.write_u32(BACKUP_MAP_LAYOUT + 8, BACKUP_MAP_DATA)
    for gy in range(GRID_H):
        for gx in range(GRID_W):
            inside = 7 <= gx < 7 + MAP_W and 7 <= gy < 7 + MAP_H
            bus.mem.write_u16(BACKUP_MAP_DATA + 2 * (gy * GRID_W + gx), FLOOR if inside else WALL | 1 << 10)
    bus.mem.write_u32(MAIN_CALLBACK2, CB2_OVERWORLD | 1)  # thumb bit set, as SetMainCallback2 stores it
    bus.player_at(x, y, facing)
    return bus


@pytest.fixture
def adapter() -> EmeraldAdapter:
    return EmeraldAdapter(make_rom())


def test_overworld_littleroot(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    state = adapter.read(bus.mem)
    assert isinstance(adapter, GBAGameAdapter)
    assert (state.location, state.map_id, state.x, state.y, state.facing) == ("Littleroot Town", 9, 8, 6, "UP")
    assert state.on_map and state.can_move and not state.in_battle
    assert state.screen is None and state.dialog is None and state.party == []
    assert state.extra["map_name"] == "LittlerootTown" and state.extra["release"] == "unknown"
    rows = state.text_map.split("\n")
    assert len(rows) == 11 and all(len(r) == 15 for r in rows)
    assert rows[5][7] == "@"
    assert set(state.text_map) <= set(MAP_LEGEND) | {"\n"}
    assert state.milestones == ["littleroot_town"]
    assert "Location: Littleroot Town (map 9)  Position: x=8 y=6  Facing: UP" in state.to_text()


def test_text_map_terrain_events_and_objects(adapter: EmeraldAdapter) -> None:
    bus = littleroot(x=8, y=6)
    bus.block(8, 5, WALL, collision=1)  # straight above the player
    bus.block(9, 6, GRASS)
    bus.block(10, 6, SECONDARY_GRASS)
    bus.block(7, 6, POND)
    bus.block(8, 7, LEDGE_S)
    bus.block(6, 6, PC, collision=1)
    bus.block(11, 6, DOOR, collision=0)
    bus.block(12, 6, 0x3FF)  # MAPGRID_UNDEFINED
    bus.obj(1, 4, 4)  # an NPC
    bus.obj(2, 3, 4, gfx=59)  # OBJ_EVENT_GFX_ITEM_BALL
    bus.obj(3, 2, 4, invisible=True)
    state = adapter.read(bus.mem)
    rows = state.text_map.split("\n")

    def at(mx: int, my: int) -> str:
        return rows[my - 6 + 5][mx - 8 + 7]

    assert at(8, 6) == "@"
    assert (at(8, 5), at(9, 6), at(10, 6), at(7, 6), at(8, 7)) == ("#", "g", "g", "~", "_")
    assert (at(6, 6), at(11, 6), at(12, 6)) == ("?", "D", "#")
    assert at(5, 3) == "D"  # the warp event
    assert at(9, 2) == "?" and at(10, 2) == "."  # a sign is drawn, a hidden item is not
    assert (at(4, 4), at(3, 4), at(2, 4)) == ("N", "?", ".")
    assert rows[0][0] == at(1, 1) == "."  # the top-left corner of the 15 x 11 window


def test_text_map_at_the_map_corner_shows_the_border(adapter: EmeraldAdapter) -> None:
    state = adapter.read(littleroot(x=0, y=0).mem)
    rows = state.text_map.split("\n")
    assert rows[5][7] == "@"
    assert rows[5][6] == "#" and rows[4][7] == "#"  # the 7-square margin around the map: border blocks
    assert rows[6][8] == "."


@pytest.mark.parametrize(("direction", "facing"), [(1, "DOWN"), (2, "UP"), (3, "LEFT"), (4, "RIGHT")])
def test_facing_decodes_all_four_directions(adapter: EmeraldAdapter, direction: int, facing: str) -> None:
    assert adapter.read(littleroot(facing=direction).mem).facing == facing


def test_position_comes_from_the_player_not_the_camera(adapter: EmeraldAdapter) -> None:
    bus = littleroot(x=8, y=6)
    bus.mem.write_u16(bus.sb1, 3)  # a scripted camera pan moves SaveBlock1.pos, not the player
    bus.mem.write_u16(bus.sb1 + 2, 2)
    assert (adapter.read(bus.mem).x, adapter.read(bus.mem).y) == (8, 6)
    bus.mem.write(OBJECT_EVENTS, bytes(0x24))  # no player object: the camera position stands in
    state = adapter.read(bus.mem)
    assert (state.x, state.y, state.facing) == (3, 2, "DOWN")


def test_save_blocks_are_read_through_their_pointers(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.flag(data.FLAG_BADGE01_GET)
    moved = Bus(sb1_offset=0x7C, sb2_offset=0x40)  # the game moves both blocks by a random multiple of 4
    moved.mem = bus.mem
    moved.mem.write_u32(SB1_PTR, moved.sb1)
    saved = bus.mem.read(bus.sb1, 0x1600)
    bus.mem.write(bus.sb1, bytes(0x1600))
    moved.mem.write(moved.sb1, saved)
    state = adapter.read(moved.mem)
    assert state.location == "Littleroot Town" and state.badges == ["Stone Badge"]


@pytest.mark.parametrize("personality", range(24))
def test_party_species_decrypts_in_every_substruct_order(adapter: EmeraldAdapter, personality: int) -> None:
    bus = littleroot()
    value = 0x9A3C0000 + personality * 0x1001  # personality % 24 walks the table
    bus.party(encrypted_mon(MUDKIP, 5, 19, 21, value + (personality - value % 24) % 24))
    assert adapter.read(bus.mem).party[0].model_dump() == {"species": "MUDKIP", "level": 5, "hp": 19, "max_hp": 21}


def test_party_of_three_with_an_egg(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.party(encrypted_mon(TORCHIC, 13, 30, 37, 0x00000007), encrypted_mon(RALTS, 4, 0, 18, 0xDEADBEEF),
              encrypted_mon(WURMPLE, 5, 20, 20, 0x12345678, egg=True))
    party = adapter.read(bus.mem).party
    assert [(m.species, m.level, m.hp, m.max_hp) for m in party] == [
        ("TORCHIC", 13, 30, 37), ("RALTS", 4, 0, 18), ("EGG", 5, 20, 20)]


def test_party_garbage_is_dropped(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.mem.write(PARTY_COUNT, bytes([0xFF]))  # uninitialised count
    assert adapter.read(bus.mem).party == []
    corrupt = bytearray(encrypted_mon(TREECKO, 5, 20, 20, 0x11111111))
    corrupt[0x20] ^= 0x55  # encrypted data no longer matches the checksum (a slot being rewritten)
    bus.party(bytes(corrupt), encrypted_mon(ZIGZAGOON, 2, 11, 11, 0x22222222))
    assert [m.species for m in adapter.read(bus.mem).party] == ["ZIGZAGOON"]


def test_badges_from_the_flag_array(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    for i in (0, 1, 2, 7):
        bus.flag(data.FLAG_BADGE01_GET + i)
    state = adapter.read(bus.mem)
    assert state.badges == ["Stone Badge", "Knuckle Badge", "Dynamo Badge", "Rain Badge"]
    assert state.extra["badge_bits"] == 0b10000111
    assert {"stone_badge", "knuckle_badge", "dynamo_badge", "rustboro_gym", "mauville_gym"} <= set(state.milestones)


def test_in_battle(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.party(encrypted_mon(TREECKO, 5, 18, 20, 0x0BADF00D))
    bus.mem.write(MAIN_IN_BATTLE, bytes([0x02]))
    enemy = bytearray(0x58)
    enemy[0:2] = ZIGZAGOON.to_bytes(2, "little")
    enemy[0x28:0x2A], enemy[0x2A], enemy[0x2C:0x2E] = (7).to_bytes(2, "little"), 2, (12).to_bytes(2, "little")
    bus.mem.write(BATTLE_MONS + 0x58, bytes(enemy))
    bus.mem.write(BATTLE_STRING, encode("Wild ZIGZAGOON appeared!"))
    state = adapter.read(bus.mem)
    assert state.in_battle and state.screen == "battle" and not state.can_move and state.text_map == ""
    assert state.dialog == "Wild ZIGZAGOON appeared!"
    assert "Enemy: ZIGZAGOON L2 7/12HP" in state.to_text()


def test_dialog_shows_the_page_being_printed(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    text = "MOM: Oh, you're home!\nHow was it?\fPROF. BIRCH is\nyour neighbor."
    page_two = len(encode(text.split("\f")[0])) + 5
    bus.message(text, printed=page_two)
    state = adapter.read(bus.mem)
    assert state.dialog == "PROF. BIRCH is\nyour neighbor."
    assert not state.can_move
    bus.message(text, printed=len(encode(text.split("\f")[0])))  # waiting at the '\p': page one still shows
    assert adapter.read(bus.mem).dialog == "MOM: Oh, you're home!\nHow was it?"
    bus.mem.write(TEXT_PRINTERS + 0x1B, bytes([0]))  # printing finished: the last page stays up
    assert adapter.read(bus.mem).dialog == "PROF. BIRCH is\nyour neighbor."
    bus.mem.write(MESSAGE_BOX_MODE, bytes([0]))  # HideFieldMessageBox
    assert adapter.read(bus.mem).dialog is None and adapter.read(bus.mem).can_move


def test_accents_and_text_commands_decode() -> None:
    raw = encode("POKéMON") + b""
    assert data.decode_text(raw) == "POKEMON"
    colored = bytes([0xFC, 0x01, 0x04]) + encode("Hi!")  # {COLOR RED}Hi!
    assert data.decode_text(colored) == "Hi!"
    assert data.decode_text(bytes([0xFC, 0x04, 1, 2, 3]) + encode("x")) == "x"  # COLOR_HIGHLIGHT_SHADOW: 3 args


def test_can_move_needs_the_field_and_unlocked_controls(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.mem.write(SCRIPT_CONTEXT2_ENABLED, bytes([1]))  # a script or the start menu holds the controls
    state = adapter.read(bus.mem)
    assert not state.can_move and state.text_map and state.screen is None
    bus.mem.write(SCRIPT_CONTEXT2_ENABLED, bytes([0]))
    bus.mem.write_u32(MAIN_CALLBACK2, 0x081AAD5D)  # some other screen (the bag) runs its own callback2
    state = adapter.read(bus.mem)
    assert not state.can_move and state.text_map == "" and state.screen == "full-screen menu or scene"
    bus.mem.write_u32(MAIN_CALLBACK2, 0x08085FCD)  # CB2_LoadMap
    assert adapter.read(bus.mem).screen == "map loading"


def test_power_on_and_title_screen(adapter: EmeraldAdapter) -> None:
    state = adapter.read(ImageMemory(make_rom()))  # power-on: RAM is zero, no save block pointer yet
    assert not state.on_map and not state.can_move and state.location == "No map loaded (title screen or intro)"
    assert state.text_map == "" and state.party == [] and state.milestones == [] and state.screen is None
    bus = Bus()  # title screen with a save loaded: SaveBlock1 holds the saved map, but no map is loaded
    bus.location("RustboroCity")
    bus.flag(data.FLAG_BADGE01_GET)
    state = adapter.read(bus.mem)
    assert not state.on_map and "rustboro_city" not in state.milestones
    assert "stone_badge" in state.milestones  # flags are facts of the save, map milestones need a map


def test_location_milestones_need_the_map(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    for name, milestone in [("Route101", "route_101"), ("PetalburgWoods", "petalburg_woods"),
                            ("RustboroCity_Gym", "rustboro_gym"), ("Route110", "route_110"),
                            ("MauvilleCity", "mauville_city")]:
        bus.location(name)
        state = adapter.read(bus.mem)
        assert state.milestones == [milestone], name
        assert state.location == data.map_display_name(name)


def test_flag_and_var_milestones(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.location("Route102")
    assert adapter.read(bus.mem).milestones == ["route_102"]
    bus.flag(data.FLAG_VISITED_OLDALE_TOWN)
    bus.flag(data.FLAG_DEFEATED_RIVAL_ROUTE103)
    bus.flag(data.FLAG_SYS_POKEDEX_GET)
    bus.var(data.VAR_PETALBURG_GYM_STATE, 1)
    assert adapter.read(bus.mem).milestones == [
        "oldale_town", "rival_battle_route_103", "pokedex_received", "route_102", "met_dad"]
    bus.var(data.VAR_PETALBURG_GYM_STATE, 2)
    bus.var(data.VAR_PETALBURG_WOODS_STATE, 1)
    bus.flag(data.FLAG_RECOVERED_DEVON_GOODS)
    bus.flag(data.FLAG_DELIVERED_STEVEN_LETTER)
    now = adapter.read(bus.mem).milestones
    assert {"wally_tutorial_done", "aqua_grunt_woods_defeated", "devon_goods_recovered",
            "steven_letter_delivered"} <= set(now)
    assert now == [m for m in MILESTONES if m in now]  # story order


def test_starter_and_birch_lab_milestones(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.location("LittlerootTown_ProfessorBirchsLab")
    assert adapter.read(bus.mem).milestones == []  # the lab before the starter is not the milestone
    bus.party(encrypted_mon(MUDKIP, 5, 20, 20, 0x5555AAAA))
    assert adapter.read(bus.mem).milestones == ["starter_chosen", "birch_lab"]


def test_milestones_are_31_unique_and_ordered() -> None:
    assert len(MILESTONES) == 31 and len(set(MILESTONES)) == 31
    assert MILESTONES[0] == "littleroot_town" and MILESTONES[-1] == "dynamo_badge"
    assert all(m.replace("_", "").isalnum() and m == m.lower() for m in MILESTONES)
    order = {m: i for i, m in enumerate(MILESTONES)}
    assert order["stone_badge"] < order["dewford_town"] < order["knuckle_badge"] < order["slateport_city"]
    assert order["slateport_city"] < order["mauville_city"] < order["dynamo_badge"]
    for milestone in data.MILESTONE_DEFS:
        assert all(name in data.MAP_IDS for name in milestone.maps)
        assert milestone.maps or milestone.flag is not None or milestone.var is not None


def test_map_table_matches_the_decomp_constants() -> None:
    # include/constants/map_groups.h (generated): MAP_LITTLEROOT_TOWN (9 | (0 << 8)),
    # MAP_PETALBURG_WOODS (11 | (24 << 8)), MAP_MAUVILLE_CITY (2 | (0 << 8)).
    assert data.MAP_IDS["LittlerootTown"] == (0, 9)
    assert data.MAP_IDS["PetalburgWoods"] == (24, 11)
    assert data.MAP_IDS["MauvilleCity"] == (0, 2)
    assert data.map_name(0, 16) == "Route101" and data.map_name(99, 0) is None
    assert data.map_display_name("LittlerootTown_ProfessorBirchsLab") == "Littleroot Town Professor Birch's Lab"
    assert data.map_display_name("OldaleTown_PokemonCenter_1F") == "Oldale Town Pokémon Center 1F"
    assert data.species_name(TREECKO) == "TREECKO" and data.species_name(411) == "CHIMECHO"
    assert data.species_name(260) == "?" and data.species_name(412) == "EGG"


def test_unknown_map_id(adapter: EmeraldAdapter) -> None:
    bus = littleroot()
    bus.mem.write(bus.sb1 + 4, bytes([77, 3]))
    state = adapter.read(bus.mem)
    assert not state.on_map and state.location == "Unknown map (group 77, number 3)"


def test_identify_and_check() -> None:
    rom = make_rom()
    assert EmeraldAdapter.identify(rom)
    assert adapter_class("emerald") is EmeraldAdapter
    assert EmeraldAdapter(rom).release == "unknown"  # not the retail dump
    assert KNOWN_RELEASES["f3ae088181bf583e55daf962a92bb46f4f1d07b7"] == "US 1.0"


@pytest.mark.parametrize(
    ("rom", "message"),
    [
        (make_rom(title=b"POKEMON FIRE", code=b"BPRE"), "FireRed"),
        (make_rom(title=b"QUESTGBA", code=b"QGBA"), "cartridge title is 'QUESTGBA'"),
        (make_rom(code=b"BPEJ"), "Japanese"),
        (make_rom(fix_complement=False), "checksum"),
        (b"\x00" * 64, "smaller than a cartridge header"),
        (bytes(range(256)) * 64, "not Pokémon Emerald"),
    ],
)
def test_check_refuses_other_roms(rom: bytes, message: str) -> None:
    assert not EmeraldAdapter.identify(rom)
    with pytest.raises(RomError, match=message):
        EmeraldAdapter.check(rom)
    with pytest.raises(RomError):
        EmeraldAdapter(rom)
