"""Pokémon Crystal (English, US/EU/AU 1.0 and 1.1) adapter: decodes the game's own RAM into a GameState.

Users bring their own ROM; nothing here ships game data beyond names and tables transcribed from the
pret/pokecrystal disassembly. Addresses are the retail WRAM layout (identical in 1.0 and 1.1):

| field            | address(es)                      | source symbol (pokecrystal.sym)                    |
|------------------|----------------------------------|----------------------------------------------------|
| location, map_id | 1:DCB5, 1:DCB6                   | wMapGroup, wMapNumber (group * 256 + number)       |
| x, y             | 1:DCB8, 1:DCB7                   | wXCoord, wYCoord                                   |
| facing           | 1:D4DE                           | wPlayerDirection (object struct +$08, OW_* >> 2)   |
| badges           | 1:D857, 1:D858                   | wJohtoBadges, wKantoBadges (bit 0 = first badge)   |
| party            | 1:DCD7, 1:DCD8, 1:DCDF + $30*i   | wPartyCount, wPartySpecies, wPartyMon1 (level +$1F,|
|                  |                                  | HP +$22 and max HP +$24, both big-endian)          |
| in_battle        | 1:D22D                           | wBattleMode (0 none, 1 wild, 2 trainer)            |
| enemy (extra)    | 1:D206, 1:D213, 1:D216, 1:D218   | wEnemyMonSpecies, ...Level, ...HP, ...MaxHP        |
| dialog           | 0:C4A0 (20 x 18 tiles)           | wTilemap: boxes drawn with the ┌─┐│└┘ tiles       |
| text_map terrain | 0:C800; 1:D19E, 1:D19F;          | wOverworldMapBlocks; wMapHeight, wMapWidth;        |
|                  | 1:D1DF, 1:D1E0 + ROM             | wTilesetCollisionBank/Address -> collision bytes   |
| text_map warps   | 1:DBFB, 1:DBFC, 1:D1A3 + ROM     | wCurMapWarpCount/WarpsPointer, wMapScriptsBank     |
| text_map signs   | 1:DC01, 1:DC02 + ROM             | wCurMapBGEventCount, wCurMapBGEventsPointer        |
| text_map NPCs    | 1:D4D6 + $28*i, 1:D71E + $10*i   | wObjectStructs (13 x 40 bytes), wMapObjects        |
| can_move         | 1:D432, 1:D434, 1:D437, 1:D438   | wMapStatus, wScriptFlags, wScriptMode,             |
|                  |                                  | wScriptRunning (+ wBattleMode, no box on screen)   |
| milestones       | the above + 1:D84C               | wStatusFlags (bit 6: entered the Hall of Fame)     |
| money (extra)    | 1:D84E (3 bytes, big-endian)     | wMoney                                             |
| WRAM bank        | FF70                             | rSVBK (which WRAMX bank is at $D000-$DFFF)         |

"1:" = WRAMX bank 1. Crystal keeps almost all overworld state there, and PyBoy's plain bus read at
$D000-$DFFF returns whichever bank the game has selected *now* (menus, battle animations and
decompression switch banks for a while). So `read(mem, wram_banks=...)` reads bank 1 explicitly when it
can: through `wram_banks[1, addr]` if given, else through `mem[1, addr]` when `mem` supports that
(PyBoy's `pyboy.memory` does in CGB mode; checked on a real emulator in the tests). A plain 64 KiB image
(a bytearray) is read at $D000 only while rSVBK selects bank 1 (0 also means 1); otherwise the adapter
reuses the last bank-1 snapshot it saw and reports `extra["wramx_stale"] = True` (and can_move False).
Pitfall behind FIELD-NOTES' "bank tuple returned 0": `pyboy.memory[0, 0xD35E]` reads WRAM bank 0
(i.e. $C35E), not the bus; the bank must be 1 for $D000-$DFFF.

The text map is the engine's own collision model, the one GetCoordTile implements: the block under a
square comes from the map block buffer wOverworldMapBlocks (map blocks with a 3-block border on every
side, row stride wMapWidth + 6), and its collision byte from the tileset's collision table in the ROM
(4 bytes per block, one per 2x2 quadrant). Those bytes are classed by TileCollisionTable (wall / water /
land), plus grass, ledges and the tiles with std scripts (PC, TV, ...). Warps and signs come from the
current map's event tables in the ROM; NPCs and item balls from the live object structs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import ClassVar, Protocol

from envs.gameboy.adapters import pokecrystal_data as data
from envs.gameboy.adapters._textbox import BoxTiles, find_boxes
from envs.gameboy.game import (
    GameState,
    Memory,
    PartyMon,
    RomError,
    header_checksum_ok,
    read_bytes,
    read_u8,
    rom_title,
)

# --- WRAM bank 0 ($C000-$CFFF) ---
W_TILEMAP = 0xC4A0
SCREEN_W, SCREEN_H = 20, 18
_BOX_TILES = BoxTiles(
    data.BOX_TOP_LEFT, data.BOX_HORIZONTAL, data.BOX_TOP_RIGHT, data.BOX_VERTICAL, data.BOX_BOTTOM_LEFT,
    data.BOX_BOTTOM_RIGHT,
)
W_OVERWORLD_MAP_BLOCKS = 0xC800
OVERWORLD_MAP_BLOCKS_LEN = 0xCD14 - 0xC800
# --- WRAMX bank 1 ($D000-$DFFF) ---
W_MAP_HEIGHT = 0xD19E
W_MAP_WIDTH = 0xD19F
W_MAP_SCRIPTS_BANK = 0xD1A3
W_TILESET_COLLISION_BANK = 0xD1DF
W_TILESET_COLLISION_ADDRESS = 0xD1E0
W_ENEMY_MON_SPECIES = 0xD206
W_ENEMY_MON_LEVEL = 0xD213
W_ENEMY_MON_HP = 0xD216
W_ENEMY_MON_MAX_HP = 0xD218
W_BATTLE_MODE = 0xD22D
W_MAP_STATUS = 0xD432
W_SCRIPT_FLAGS = 0xD434
W_SCRIPT_MODE = 0xD437
W_SCRIPT_RUNNING = 0xD438
W_OBJECT_STRUCTS = 0xD4D6
OBJECT_STRUCT_LENGTH, NUM_OBJECT_STRUCTS = 40, 13
OBJECT_SPRITE, OBJECT_MAP_OBJECT_INDEX, OBJECT_FLAGS1, OBJECT_FACING = 0x00, 0x01, 0x04, 0x08
OBJECT_NEXT_MAP_X, OBJECT_NEXT_MAP_Y = 0x10, 0x11
W_MAP_OBJECTS = 0xD71E
MAP_OBJECT_LENGTH, NUM_MAP_OBJECTS, MAPOBJECT_COLOR = 16, 16, 8
W_STATUS_FLAGS = 0xD84C
W_MONEY = 0xD84E
W_JOHTO_BADGES = 0xD857
W_KANTO_BADGES = 0xD858
W_CUR_MAP_WARP_COUNT = 0xDBFB
W_CUR_MAP_WARPS_POINTER = 0xDBFC
W_CUR_MAP_BG_EVENT_COUNT = 0xDC01
W_CUR_MAP_BG_EVENTS_POINTER = 0xDC02
W_MAP_GROUP = 0xDCB5
W_MAP_NUMBER = 0xDCB6
W_Y_COORD = 0xDCB7
W_X_COORD = 0xDCB8
W_PARTY_COUNT = 0xDCD7
W_PARTY_SPECIES = 0xDCD8
W_PARTY_MON1 = 0xDCDF
PARTYMON_LENGTH, MON_LEVEL, MON_HP, MON_MAX_HP = 0x30, 0x1F, 0x22, 0x24
# --- I/O ---
R_SVBK = 0xFF70

# Engine constants (constants/ram_constants.asm, constants/*_constants.asm).
MAPSTATUS_HANDLE = 2
SCRIPT_RUNNING_F = 2
SCRIPT_OFF = 0
STATUSFLAGS_HALL_OF_FAME_F = 6
OBJ_INVISIBLE_F, OBJ_EMOTE_F = 0, 7
OBJECTTYPE_ITEMBALL = 1
BGEVENT_ITEM, BGEVENT_COPY = 7, 8  # hidden items: not visible to a player, so not drawn
WARP_EVENT_SIZE = BG_EVENT_SIZE = 5
MAX_EVENTS = 64  # a sane cap: no retail map has more than ~30 warps or signs
MAP_COORD_OFFSET = 4  # object structs and the engine's collision lookups use map coords + 4
FACINGS = ("DOWN", "UP", "LEFT", "RIGHT")  # OW_DOWN, OW_UP, OW_LEFT, OW_RIGHT = dir << 2
JOHTO_BADGES = ("Zephyr", "Hive", "Plain", "Fog", "Mineral", "Storm", "Glacier", "Rising")
KANTO_BADGES = ("Boulder", "Cascade", "Thunder", "Rainbow", "Soul", "Marsh", "Volcano", "Earth")
TEXT_MAP_RADIUS = 5  # 11 x 11 squares: the 10 x 9 visible screen (player at column 4, row 4) plus a margin

# Retail English releases (pret/pokecrystal roms.sha1).
KNOWN_RELEASES: dict[str, str] = {
    "f4cd194bdee0d04ca4eac29e09b8e4e9d818c133": "US/EU 1.0",
    "f2f52230b536214ef7c9924f483392993e226cfb": "US/EU 1.1",
    "a0fc810f1d4e124434f7be2c989ab5b5892ddf36": "AU 1.0",
}
HEADER_TITLE = b"PM_CRYSTAL"
HEADER_GAME_CODE = b"BYTE"  # manufacturer code; BYTD/BYTF/BYTI/BYTS/BYTJ are other languages
CGB_ONLY = 0xC0
_OTHER_GAMES = {"POKEMON RED": "pokered", "POKEMON BLUE": "pokered", "POKEMON YELLOW": "pokeyellow"}


class BankedMemory(Protocol):
    """A view that reads a given WRAM bank: `view[bank, addr]` / `view[bank, start:stop]` (PyBoy's API)."""

    def __getitem__(self, key: tuple[int, int | slice]) -> int | Sequence[int]: ...


def _supports_banks(mem: object) -> bool:
    """True if `mem[1, 0xD000]` works (PyBoy in CGB mode); a bytearray raises TypeError, DMG PyBoy its own."""
    try:
        mem[1, 0xD000]  # type: ignore[index]
    except Exception:  # any refusal means "no bank API"; the plain bus read is the fallback
        return False
    return True


def _read_wram_bank1(view: BankedMemory) -> bytes:
    # PyBoy refuses a bank slice that ends at the bank's end ($E000), so the last byte comes separately.
    return bytes(view[1, 0xD000:0xDFFF]) + bytes([int(view[1, 0xDFFF])])  # type: ignore[arg-type]


class _Snapshot:
    """WRAM as the adapter decodes it: bank 0, bank 1 (however obtained) and the ROM."""

    def __init__(self, wram0: bytes, wramx: bytes, rom: bytes) -> None:
        self.wram0, self.wramx, self.rom = wram0, wramx, rom

    def u8(self, addr: int) -> int:
        if 0xC000 <= addr < 0xD000:
            return self.wram0[addr - 0xC000]
        if 0xD000 <= addr < 0xE000:
            return self.wramx[addr - 0xD000]
        raise ValueError(f"address 0x{addr:04X} is not in WRAM")

    def u16le(self, addr: int) -> int:
        return self.u8(addr) | self.u8(addr + 1) << 8

    def u16be(self, addr: int) -> int:
        return self.u8(addr) << 8 | self.u8(addr + 1)

    def tilemap(self) -> bytes:
        """wTilemap: the 20 x 18 tile ids the game last drew for the screen."""
        return self.wram0[W_TILEMAP - 0xC000 : W_TILEMAP - 0xC000 + SCREEN_W * SCREEN_H]

    def rom_byte(self, bank: int, addr: int) -> int | None:
        """The byte at bank:addr as the CPU would see it with that ROM bank mapped (None: outside the ROM)."""
        if 0 <= addr < 0x4000:
            offset = addr
        elif 0x4000 <= addr < 0x8000:
            offset = bank * 0x4000 + addr - 0x4000
        else:
            return None
        return self.rom[offset] if offset < len(self.rom) else None

    def rom_bytes(self, bank: int, addr: int, n: int) -> bytes | None:
        out = [self.rom_byte(bank, a) for a in range(addr, addr + n)]
        return None if None in out else bytes(out)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Milestones, in story order. Location milestones hold while the player is on one of the maps.
# --------------------------------------------------------------------------------------------------

_LOCATION_MILESTONES: dict[str, tuple[str, ...]] = {
    "new_bark_town": ("NEW_BARK_TOWN",),
    "elms_lab": ("ELMS_LAB",),
    "route_29": ("ROUTE_29",),
    "cherrygrove_city": ("CHERRYGROVE_CITY",),
    "route_30": ("ROUTE_30",),
    "mr_pokemons_house": ("MR_POKEMONS_HOUSE",),
    "route_31": ("ROUTE_31",),
    "violet_city": ("VIOLET_CITY",),
    "sprout_tower": ("SPROUT_TOWER_1F", "SPROUT_TOWER_2F", "SPROUT_TOWER_3F"),
    "violet_gym": ("VIOLET_GYM",),
    "route_32": ("ROUTE_32",),
    "union_cave": ("UNION_CAVE_1F", "UNION_CAVE_B1F", "UNION_CAVE_B2F"),
    "route_33": ("ROUTE_33",),
    "azalea_town": ("AZALEA_TOWN",),
    "slowpoke_well": ("SLOWPOKE_WELL_B1F", "SLOWPOKE_WELL_B2F"),
    "azalea_gym": ("AZALEA_GYM",),
    "ilex_forest": ("ILEX_FOREST",),
    "route_34": ("ROUTE_34",),
    "goldenrod_city": ("GOLDENROD_CITY",),
    "goldenrod_gym": ("GOLDENROD_GYM",),
    "route_35": ("ROUTE_35",),
    "national_park": ("NATIONAL_PARK", "NATIONAL_PARK_BUG_CONTEST"),
    "route_36": ("ROUTE_36",),
    "route_37": ("ROUTE_37",),
    "ecruteak_city": ("ECRUTEAK_CITY",),
    "burned_tower": ("BURNED_TOWER_1F", "BURNED_TOWER_B1F"),
    "ecruteak_gym": ("ECRUTEAK_GYM",),
    "route_38": ("ROUTE_38",),
    "route_39": ("ROUTE_39",),
    "olivine_city": ("OLIVINE_CITY",),
    "olivine_lighthouse": tuple(f"OLIVINE_LIGHTHOUSE_{n}F" for n in range(1, 7)),
    "route_40": ("ROUTE_40",),
    "route_41": ("ROUTE_41",),
    "cianwood_city": ("CIANWOOD_CITY",),
    "cianwood_gym": ("CIANWOOD_GYM",),
    "olivine_gym": ("OLIVINE_GYM",),
    "route_42": ("ROUTE_42",),
    "mahogany_town": ("MAHOGANY_TOWN",),
    "route_43": ("ROUTE_43",),
    "lake_of_rage": ("LAKE_OF_RAGE",),
    "team_rocket_base": ("TEAM_ROCKET_BASE_B1F", "TEAM_ROCKET_BASE_B2F", "TEAM_ROCKET_BASE_B3F"),
    "mahogany_gym": ("MAHOGANY_GYM",),
    "radio_tower": tuple(f"RADIO_TOWER_{n}F" for n in range(1, 6)),
    "route_44": ("ROUTE_44",),
    "ice_path": ("ICE_PATH_1F", "ICE_PATH_B1F", "ICE_PATH_B2F_MAHOGANY_SIDE", "ICE_PATH_B2F_BLACKTHORN_SIDE",
                 "ICE_PATH_B3F"),
    "blackthorn_city": ("BLACKTHORN_CITY",),
    "blackthorn_gym": ("BLACKTHORN_GYM_1F", "BLACKTHORN_GYM_2F"),
    "dragons_den": ("DRAGONS_DEN_1F", "DRAGONS_DEN_B1F", "DRAGON_SHRINE"),
    "route_27": ("ROUTE_27",),
    "route_26": ("ROUTE_26",),
    "victory_road": ("VICTORY_ROAD",),
    "indigo_plateau": ("INDIGO_PLATEAU_POKECENTER_1F",),
    "elite_four": ("WILLS_ROOM", "KOGAS_ROOM", "BRUNOS_ROOM", "KARENS_ROOM"),
    "lances_room": ("LANCES_ROOM",),
}
_BADGE_MILESTONES: dict[str, int] = {  # milestone -> bit in wJohtoBadges
    f"{name.lower()}_badge": bit for bit, name in enumerate(JOHTO_BADGES)
}
MILESTONES: tuple[str, ...] = (
    "game_running", "new_bark_town", "elms_lab", "starter_obtained", "route_29", "cherrygrove_city",
    "route_30", "mr_pokemons_house", "route_31", "violet_city", "sprout_tower", "violet_gym", "zephyr_badge",
    "route_32", "union_cave", "route_33", "azalea_town", "slowpoke_well", "azalea_gym", "hive_badge",
    "ilex_forest", "route_34", "goldenrod_city", "goldenrod_gym", "plain_badge", "route_35", "national_park",
    "route_36", "route_37", "ecruteak_city", "burned_tower", "ecruteak_gym", "fog_badge", "route_38",
    "route_39", "olivine_city", "olivine_lighthouse", "route_40", "route_41", "cianwood_city", "cianwood_gym",
    "storm_badge", "olivine_gym", "mineral_badge", "route_42", "mahogany_town", "route_43", "lake_of_rage",
    "team_rocket_base", "mahogany_gym", "glacier_badge", "radio_tower", "route_44", "ice_path",
    "blackthorn_city", "blackthorn_gym", "rising_badge", "dragons_den", "route_27", "route_26",
    "victory_road", "indigo_plateau", "elite_four", "lances_room", "champion",
)
_MILESTONE_MAPS: dict[tuple[int, int], str] = {
    data.MAP_IDS[m]: name for name, maps in _LOCATION_MILESTONES.items() for m in maps
}


class PokeCrystalAdapter:
    """Decodes English Pokémon Crystal. One instance per ROM (the ROM supplies collision and event tables)."""

    name: ClassVar[str] = "pokecrystal"
    milestones: ClassVar[tuple[str, ...]] = MILESTONES

    def __init__(self, rom: bytes) -> None:
        self.check(rom)
        self.rom = bytes(rom)
        self.release = KNOWN_RELEASES.get(hashlib.sha1(self.rom).hexdigest(), "unknown")
        self._last_wramx: bytes | None = None  # last bank-1 snapshot, for frames where another bank is mapped

    # ---- ROM identification -------------------------------------------------------------------------

    @classmethod
    def check(cls, rom: bytes) -> None:
        """Raise RomError (one line) unless `rom` is an English Pokémon Crystal cartridge image."""
        if len(rom) < 0x150:
            raise RomError(f"not a Game Boy ROM: {len(rom)} bytes is smaller than a cartridge header")
        title = bytes(rom[0x134:0x13E])
        if title != HEADER_TITLE:
            shown = rom_title(rom)
            other = _OTHER_GAMES.get(shown)
            hint = f"; use --env {other}" if other else ""
            raise RomError(f"not Pokémon Crystal: cartridge title is {shown!r}, expected 'PM_CRYSTAL'{hint}")
        if rom[0x143] != CGB_ONLY:
            raise RomError(f"not Pokémon Crystal: CGB flag is 0x{rom[0x143]:02X}, expected 0xC0 (Color only)")
        code = bytes(rom[0x13F:0x143])
        if code != HEADER_GAME_CODE:
            raise RomError(
                f"unsupported Pokémon Crystal release {code.decode('ascii', 'replace')!r}: only the English "
                "one (BYTE) has the memory layout this adapter reads"
            )
        if not header_checksum_ok(rom):
            raise RomError("Pokémon Crystal header checksum mismatch: the ROM file is corrupt or patched")

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        try:
            cls.check(rom)
        except RomError:
            return False
        return True

    # ---- decoding -----------------------------------------------------------------------------------

    def read(self, mem: Memory, wram_banks: BankedMemory | None = None) -> GameState:
        """Decode the current state. `wram_banks` (optional): a view answering `[1, addr]` for WRAM bank 1;
        when omitted, `mem` itself is used that way if it can be (PyBoy's memory view can)."""
        s, wramx_stale, svbk = self._snapshot(mem, wram_banks)
        group, number = s.u8(W_MAP_GROUP), s.u8(W_MAP_NUMBER)
        constant = data.map_constant(group, number)
        x, y = s.u8(W_X_COORD), s.u8(W_Y_COORD)
        battle_mode = s.u8(W_BATTLE_MODE)
        # The naming keyboard covers the whole screen; it is also opened from the overworld (nicknaming
        # the starter in Elm's lab), where the map loop keeps running underneath: no map is shown then.
        naming = self._is_naming_screen(s)
        boxes = [self._naming_screen_text(s)] if naming else self._text_boxes(s)
        dialog = "\n".join(boxes) if boxes else None
        # Full-screen scenes that hide the map (the map loop's state stays in memory under them).
        screen = "naming screen" if naming else "battle" if battle_mode else None
        party = self._party(s)
        badge_bits = s.u8(W_JOHTO_BADGES) | s.u8(W_KANTO_BADGES) << 8
        in_map_loop = s.u8(W_MAP_STATUS) == MAPSTATUS_HANDLE and constant is not None
        script_busy = (
            s.u8(W_SCRIPT_RUNNING) != 0
            or s.u8(W_SCRIPT_MODE) != SCRIPT_OFF
            or bool(s.u8(W_SCRIPT_FLAGS) >> SCRIPT_RUNNING_F & 1)
        )
        # Free to walk only inside the overworld loop (wMapStatus = HANDLE: not the title screen, intro or
        # a map transition), with no battle, no script or player event in progress (a text box, the start
        # menu and every submenu run as scripts: wScriptRunning/wScriptMode), and no box on screen. The map
        # id alone is not enough: it is set long before the player can move and stays set in menus.
        can_move = in_map_loop and battle_mode == 0 and not script_busy and dialog is None and not wramx_stale
        extra: dict[str, int | str | bool | list[int]] = {
            "map_group": group,
            "map_number": number,
            "map_constant": constant or "",
            "release": self.release,
            "wramx_bank": svbk,
            "wramx_stale": wramx_stale,
            "battle_mode": battle_mode,
            "script_running": s.u8(W_SCRIPT_RUNNING),
            "map_status": s.u8(W_MAP_STATUS),
            "money": s.u8(W_MONEY) << 16 | s.u16be(W_MONEY + 1),
            "johto_badges": s.u8(W_JOHTO_BADGES),
            "kanto_badges": s.u8(W_KANTO_BADGES),
        }
        if battle_mode:
            extra["enemy_species"] = data.species_name(s.u8(W_ENEMY_MON_SPECIES))
            extra["enemy_level"] = s.u8(W_ENEMY_MON_LEVEL)
            extra["enemy_hp"] = s.u16be(W_ENEMY_MON_HP)
            extra["enemy_max_hp"] = s.u16be(W_ENEMY_MON_MAX_HP)
        return GameState(
            game=self.name,
            location=self._location(group, number, constant),
            map_id=group << 8 | number,
            x=x,
            y=y,
            facing=FACINGS[s.u8(W_OBJECT_STRUCTS + OBJECT_FACING) >> 2 & 3],
            on_map=constant is not None,  # the game clears WRAM at reset: no map until one is entered
            screen=screen,
            text_map=self._text_map(s, x, y) if in_map_loop and screen is None else "",
            dialog=dialog,
            can_move=can_move,
            in_battle=battle_mode != 0,
            badges=[f"{n} Badge" for i, n in enumerate(JOHTO_BADGES + KANTO_BADGES) if badge_bits >> i & 1],
            party=party,
            milestones=self._milestones(s, group, number, constant, party),
            extra=extra,
        )

    def _snapshot(self, mem: Memory, wram_banks: BankedMemory | None) -> tuple[_Snapshot, bool, int]:
        wram0 = read_bytes(mem, 0xC000, 0x1000)
        svbk = read_u8(mem, R_SVBK) & 7 or 1  # SVBK 0 selects bank 1 too
        banks = wram_banks if wram_banks is not None else (mem if _supports_banks(mem) else None)
        stale = False
        if banks is not None:
            wramx = _read_wram_bank1(banks)  # type: ignore[arg-type]
        elif svbk == 1:
            wramx = read_bytes(mem, 0xD000, 0x1000)
        else:  # another bank is mapped and we cannot reach bank 1: reuse the last good snapshot
            wramx = self._last_wramx or bytes(0x1000)
            stale = True
        if not stale:
            self._last_wramx = wramx
        return _Snapshot(wram0, wramx, self.rom), stale, svbk

    @staticmethod
    def _location(group: int, number: int, constant: str | None) -> str:
        if constant is not None:
            return data.map_display_name(constant)
        if group == 0:
            return "No map loaded (title screen or intro)"
        return f"Unknown map (group {group}, number {number})"

    @staticmethod
    def _party(s: _Snapshot) -> list[PartyMon]:
        count = s.u8(W_PARTY_COUNT)
        if count > 6:  # uninitialised RAM: no party rather than garbage
            return []
        party = []
        for i in range(count):
            mon = W_PARTY_MON1 + PARTYMON_LENGTH * i
            listed = s.u8(W_PARTY_SPECIES + i)  # $FD for an egg; the struct then holds the species inside
            party.append(
                PartyMon(
                    species=data.species_name(listed if listed == data.EGG else s.u8(mon)),
                    level=s.u8(mon + MON_LEVEL),
                    hp=s.u16be(mon + MON_HP),
                    max_hp=s.u16be(mon + MON_MAX_HP),
                )
            )
        return party

    def _milestones(
        self, s: _Snapshot, group: int, number: int, constant: str | None, party: list[PartyMon]
    ) -> list[str]:
        now: set[str] = {_MILESTONE_MAPS[group, number]} if (group, number) in _MILESTONE_MAPS else set()
        if constant is not None or any(s.tilemap()):
            now.add("game_running")  # a map is loaded, or the game has drawn a screen (WRAM is 0 at power-on)
        if party:
            now.add("starter_obtained")
        johto = s.u8(W_JOHTO_BADGES)
        now.update(m for m, bit in _BADGE_MILESTONES.items() if johto >> bit & 1)
        if constant == "HALL_OF_FAME" or s.u8(W_STATUS_FLAGS) >> STATUSFLAGS_HALL_OF_FAME_F & 1:
            now.add("champion")
        return [m for m in MILESTONES if m in now]

    # ---- dialog -------------------------------------------------------------------------------------

    @staticmethod
    def _text_boxes(s: _Snapshot) -> list[str]:
        """Text of every framed box on screen (speech box, menus, yes/no), top-left first.

        Frames are found by envs.gameboy.adapters._textbox.find_boxes. A title written over the top
        edge (the naming menu's "NAME") becomes a first line "NAME:"; arrows drawn in the frame (the
        clock setting) add a line saying that UP/DOWN change the value; the ▼ prompt on the bottom edge
        ends the text.
        """
        tiles = s.tilemap()
        texts = []
        for box in find_boxes(tiles, _BOX_TILES):
            lines = []
            edges = list(box.top_edge(tiles)) + list(box.bottom_edge(tiles))
            title = " ".join(
                data.decode_text([t for t in box.top_edge(tiles) if t not in data.FRAME_ARROW_TILES]).split())
            if title:
                lines.append(title + ":")
            for r in range(box.top + 1, box.bottom):
                row = r * SCREEN_W
                line = data.decode_text(list(tiles[row + box.left + 1 : row + box.right])).strip()
                if line:
                    lines.append(" ".join(line.split()))
            if any(t in data.FRAME_ARROW_TILES for t in edges) and len(lines) > (1 if title else 0):
                lines.append("(UP/DOWN to change)")
            elif data.MORE_TEXT_ARROW in box.bottom_edge(tiles) and lines and not lines[-1].endswith("▼"):
                lines[-1] += "▼"  # LoadBlinkingCursor draws the "more text" prompt on the bottom edge
            if lines:
                texts.append("\n".join(lines))
        return texts

    @staticmethod
    def _is_naming_screen(s: _Snapshot) -> bool:
        """NamingScreen_InitText fills the screen with the border tile and clears the inside: the top and
        bottom rows stay border all the way across."""
        tiles = s.tilemap()
        bottom = (SCREEN_H - 1) * SCREEN_W
        return all(t == data.NAMING_BORDER for t in tiles[:SCREEN_W]) and all(
            t == data.NAMING_BORDER for t in tiles[bottom : bottom + SCREEN_W])

    @staticmethod
    def _naming_screen_text(s: _Snapshot) -> str:
        """The prompt ("YOUR NAME?", "<mon>'S NICKNAME?"), the name so far with its blanks as '_', and
        the keyboard rows ("A B C D E F G H I" ... "lower DEL END"), one per line."""
        tiles = s.tilemap()
        lines = []
        for r in range(1, SCREEN_H - 1):
            row = r * SCREEN_W
            line = data.decode_text(list(tiles[row + 1 : row + SCREEN_W - 1]), data.NAMING_OVERRIDES)
            if line.strip():
                lines.append(" ".join(line.split()))
        return "\n".join(lines)

    # ---- text map -----------------------------------------------------------------------------------

    def _collision(self, s: _Snapshot, d: int, e: int) -> int | None:
        """GetCoordTile for square (d, e) in object coordinates (map x/y + 4); None: outside the buffer."""
        width, height = s.u8(W_MAP_WIDTH), s.u8(W_MAP_HEIGHT)
        stride = width + 6
        row, col = e // 2 + 1, d // 2 + 1  # GetBlockLocation: wOverworldMapBlocks + (e/2+1)*stride + d/2 + 1
        if width == 0 or not (0 <= col < stride and 0 <= row < height + 6):
            return None
        index = row * stride + col
        if index >= OVERWORLD_MAP_BLOCKS_LEN:
            return None
        block = s.u8(W_OVERWORLD_MAP_BLOCKS + index)
        if block == 0:
            return 0xFF  # GetCoordTile reads block 0 as collision -1 (a wall)
        addr = s.u16le(W_TILESET_COLLISION_ADDRESS) + block * 4 + (d & 1) + 2 * (e & 1)
        return s.rom_byte(s.u8(W_TILESET_COLLISION_BANK), addr)

    @staticmethod
    def _terrain(collision: int | None) -> str:
        if collision is None:
            return " "
        if collision in data.STDSCRIPT_COLLISIONS:
            return "?"
        if collision in data.WALL_COLLISIONS:
            return "#"
        if collision in data.WATER_COLLISIONS:
            return "~"
        if collision in data.GRASS_COLLISIONS:
            return "g"
        if collision in data.LEDGE_COLLISIONS:
            return "_"
        return "."

    @staticmethod
    def _events(s: _Snapshot, count_addr: int, pointer_addr: int) -> list[bytes]:
        """The current map's warp or bg event records (5 bytes each, starting y, x) from the ROM."""
        count = min(s.u8(count_addr), MAX_EVENTS)
        bank, pointer = s.u8(W_MAP_SCRIPTS_BANK), s.u16le(pointer_addr)
        records = []
        for i in range(count):
            rec = s.rom_bytes(bank, pointer + WARP_EVENT_SIZE * i, WARP_EVENT_SIZE)
            if rec is None:
                break
            records.append(rec)
        return records

    def _text_map(self, s: _Snapshot, x: int, y: int) -> str:
        r = TEXT_MAP_RADIUS
        grid = [
            [self._terrain(self._collision(s, x + dx + MAP_COORD_OFFSET, y + dy + MAP_COORD_OFFSET))
             for dx in range(-r, r + 1)]
            for dy in range(-r, r + 1)
        ]

        def put(mx: int, my: int, ch: str) -> None:
            gx, gy = mx - x + r, my - y + r
            if 0 <= gx <= 2 * r and 0 <= gy <= 2 * r:
                grid[gy][gx] = ch

        for rec in self._events(s, W_CUR_MAP_WARP_COUNT, W_CUR_MAP_WARPS_POINTER):
            put(rec[1], rec[0], "D")
        for rec in self._events(s, W_CUR_MAP_BG_EVENT_COUNT, W_CUR_MAP_BG_EVENTS_POINTER):
            if rec[2] not in (BGEVENT_ITEM, BGEVENT_COPY):
                put(rec[1], rec[0], "?")
        for i in range(1, NUM_OBJECT_STRUCTS):  # struct 0 is the player
            obj = W_OBJECT_STRUCTS + OBJECT_STRUCT_LENGTH * i
            flags = s.u8(obj + OBJECT_FLAGS1)
            if s.u8(obj + OBJECT_SPRITE) == 0 or flags >> OBJ_INVISIBLE_F & 1 or flags >> OBJ_EMOTE_F & 1:
                continue
            index = s.u8(obj + OBJECT_MAP_OBJECT_INDEX)
            kind = "?" if s.u8(obj + OBJECT_SPRITE) in data.ITEM_SPRITES else "N"
            if index < NUM_MAP_OBJECTS:
                color = s.u8(W_MAP_OBJECTS + MAP_OBJECT_LENGTH * index + MAPOBJECT_COLOR)
                if color & 0x0F == OBJECTTYPE_ITEMBALL:
                    kind = "?"
            mx = s.u8(obj + OBJECT_NEXT_MAP_X) - MAP_COORD_OFFSET
            put(mx, s.u8(obj + OBJECT_NEXT_MAP_Y) - MAP_COORD_OFFSET, kind)
        grid[r][r] = "@"
        return "\n".join("".join(row) for row in grid)
