"""Pokémon Emerald (GBA, English US release) adapter: decodes the game's own memory into a GameState.

Users bring their own ROM; nothing here ships game data beyond names and tables transcribed from the
pret/pokeemerald decompilation (see emerald_data.py). Every fixed address below is from the symbol file
of the retail build (pret/pokeemerald pokeemerald.sym, which builds the ROM with SHA-1
f3ae088181bf583e55daf962a92bb46f4f1d07b7); every struct offset from the headers named in the table.

| field                | address / offset                  | source symbol (pokeemerald.sym; header)                  |
|----------------------|-----------------------------------|----------------------------------------------------------|
| SaveBlock1 / 2       | 03005D8C / 03005D90 (pointers)    | gSaveBlock1Ptr / gSaveBlock2Ptr (they move: see below)   |
| location, map_id     | SB1 +0x04 (group), +0x05 (number) | SaveBlock1.location (struct WarpData; include/global.h)  |
| x, y                 | player object +0x10/+0x12, - 7    | gObjectEvents[gPlayerAvatar.objectEventId].currentCoords |
|                      | (fallback: SB1 +0x00/+0x02)       | SaveBlock1.pos = camera = player - MAP_OFFSET (fieldmap.c)|
| facing               | player object +0x18, low nibble   | ObjectEvent.facingDirection (DIR_SOUTH 1 .. DIR_EAST 4)  |
| object events        | 02037350, 16 x 0x24               | gObjectEvents (include/global.fieldmap.h)                |
| player object id     | 02037590 +0x05                    | gPlayerAvatar.objectEventId                              |
| party                | 020244E9 count, 020244EC 6 x 100  | gPlayerPartyCount, gPlayerParty (struct Pokemon: level   |
|                      |                                   | +0x54, hp +0x56, maxHP +0x58; species in the encrypted   |
|                      |                                   | Growth substruct, include/pokemon.h, src/pokemon.c)      |
| badges, story flags  | SB1 +0x1270 (300 bytes)           | SaveBlock1.flags; FLAG_BADGE01_GET = 0x867 (flags.h)     |
| story vars           | SB1 +0x139C (u16 x 256)           | SaveBlock1.vars, index = VAR_* - 0x4000 (vars.h)         |
| player name / gender | SB2 +0x00 (8 bytes) / +0x08       | SaveBlock2.playerName / playerGender                     |
| in_battle            | 030026F9 & 0x02                   | gMain.inBattle (gMain 030022C0 + 0x439; include/main.h)  |
| screen / can_move    | 030022C4                          | gMain.callback2 == CB2_Overworld (08085E5C, thumb +1)    |
| can_move             | 03000F2C                          | sScriptContext2Enabled (ScriptContext2_IsEnabled; newer  |
|                      |                                   | pret: sLockFieldControls / ArePlayerFieldControlsLocked) |
| dialog               | 020375BC                          | sFieldMessageBoxMode (FIELD_MESSAGE_BOX_HIDDEN 0, 2, 3)  |
|                      | 02021FC4 (1000 bytes)             | gStringVar4: the expanded text the field box prints      |
|                      | 020201B0 (32 x 0x24)              | gTextPrinters[0].currentChar (+0x00): where printing is  |
| battle text          | 02022E2C (300 bytes)              | gDisplayedStringBattle: the last battle message          |
| enemy (extra)        | 02024084 + 0x58 (2nd battler)     | gBattleMons[1]: species +0, hp +0x28, level +0x2A, maxHP |
|                      |                                   | +0x2C (struct BattlePokemon, include/pokemon.h)          |
| battle type (extra)  | 02022FEC                          | gBattleTypeFlags                                         |
| text_map terrain     | 03005DC0: width, height, u16 *map | gBackupMapLayout (the map + 7 squares on every side,     |
|                      |                                   | connections filled in; src/fieldmap.c InitMapLayoutData) |
| text_map behaviors   | 02037318 +0x00 -> ROM layout      | gMapHeader.mapLayout -> primary/secondaryTileset (+0x10, |
|                      |                                   | +0x14) -> metatileAttributes (+0x10), u16 per metatile   |
| text_map warps/signs | 02037318 +0x04 -> ROM MapEvents   | gMapHeader.events: warpCount +1, bgEventCount +3, warps  |
|                      |                                   | +0x08 (8 B each), bgEvents +0x10 (12 B each)             |

The map comes from SaveBlock1.location, not from sWarpDestination (020322E4/5, the address often quoted
for "map bank / number"): that one is the destination of the warp being taken (SetWarpDestination), equal to
the location once ApplyCurrentWarp has run but ahead of it while a warp or a connection is in progress.

SaveBlock1/2 are reached through their pointers every read: the game moves both blocks by a random
multiple of 4 bytes (SetSaveBlocksPointers, within gSaveblock1 02025A00 / gSaveblock2 02024A54) so a fixed
address goes stale. A pointer outside EWRAM (0 right after power-on) means "no save data yet".

Coordinates: SaveBlock1.pos is the camera position, which is the player's map square in normal play
(GetCameraFocusCoords: focus = pos + MAP_OFFSET = the player object's coords). Object events and the backup
map grid use map coordinates + MAP_OFFSET (7); x, y here are map coordinates (what map editors show),
taken from the player object, because scripted camera pans move pos without moving the player.

The text map is the engine's own collision model (MapGridGetCollisionAt): each u16 of the backup map grid
holds a metatile id (bits 0-9), collision (bits 10-11) and elevation (bits 12-15); 0x3FF is "undefined"
(impassable) and squares off the grid read as the border, impassable. Metatile behaviors from the tileset
attribute tables in the ROM (behavior = low 8 bits) add grass, water, ledges, doors and PCs; the current
map's warp and sign events and the live object events (NPCs, item balls) are drawn over it.

can_move follows DoCB1_Overworld (src/overworld.c): the field reads the d-pad only while gMain.callback2 is
CB2_Overworld and ScriptContext2 is off (every script, text box and the start menu turn it on); in battle,
with a field message box up, or off a map the player cannot walk.

Not verified / not decoded: the dialog is the whole page of the field message box being printed (the game
reveals it letter by letter), yes/no and multichoice menus are not read; in battle the dialog is the last
message the battle engine printed, which stays in its buffer after the box clears. Other languages
(BPED, BPEF, BPEI, BPES, BPEJ) have other addresses and are refused.
"""

from __future__ import annotations

from typing import ClassVar

from envs.gba.adapters import emerald_data as data
from envs.gba.game import (
    EWRAM,
    EWRAM_SIZE,
    IWRAM,
    IWRAM_SIZE,
    ROM_BASE,
    ROM_MAX,
    GameState,
    GBAMemory,
    PartyMon,
    RomError,
    header_ok,
    rom_code,
    rom_title,
    sha1,
    u8,
    u16,
    u32,
)

# --- IWRAM ---
G_MAIN = 0x030022C0
G_MAIN_CALLBACK2 = G_MAIN + 0x04
G_MAIN_IN_BATTLE = G_MAIN + 0x439  # bit 1 (bit 0 is oamLoadDisabled)
IN_BATTLE_MASK = 0x02
S_SCRIPT_CONTEXT2_ENABLED = 0x03000F2C
G_SAVE_BLOCK1_PTR = 0x03005D8C
G_SAVE_BLOCK2_PTR = 0x03005D90
G_BACKUP_MAP_LAYOUT = 0x03005DC0
# --- EWRAM ---
G_TEXT_PRINTERS = 0x020201B0
TEXT_PRINTER_SIZE = 0x24
G_STRING_VAR4 = 0x02021FC4
STRING_VAR4_SIZE = 0x3E8
G_DISPLAYED_STRING_BATTLE = 0x02022E2C
DISPLAYED_STRING_BATTLE_SIZE = 0x12C
G_BATTLE_TYPE_FLAGS = 0x02022FEC
G_BATTLE_MONS = 0x02024084
BATTLE_MON_SIZE = 0x58
BMON_SPECIES, BMON_HP, BMON_LEVEL, BMON_MAX_HP = 0x00, 0x28, 0x2A, 0x2C
G_PLAYER_PARTY_COUNT = 0x020244E9
G_PLAYER_PARTY = 0x020244EC
G_MAP_HEADER = 0x02037318
G_OBJECT_EVENTS = 0x02037350
G_PLAYER_AVATAR = 0x02037590
S_FIELD_MESSAGE_BOX_MODE = 0x020375BC
# --- ROM (function addresses: gMain.callback2 holds them with the thumb bit set) ---
CB2_OVERWORLD = 0x08085E5C
CB2_LOAD_MAP = 0x08085FCC

# struct SaveBlock1 / SaveBlock2 (include/global.h)
SB1_POS_X, SB1_POS_Y = 0x00, 0x02
SB1_LOCATION_GROUP, SB1_LOCATION_NUMBER = 0x04, 0x05
SB1_FLAGS = 0x1270
SB1_VARS = 0x139C
SAVE_BLOCK1_SIZE = 0x3D88
SB2_PLAYER_NAME, SB2_PLAYER_GENDER = 0x00, 0x08
SAVE_BLOCK2_SIZE = 0xF2C
# struct Pokemon / BoxPokemon (include/pokemon.h)
PARTY_SIZE = 6
POKEMON_SIZE = 100
MON_PERSONALITY, MON_OT_ID, MON_SANITY_FLAGS, MON_CHECKSUM, MON_SECURE = 0x00, 0x04, 0x13, 0x1C, 0x20
SANITY_IS_EGG = 0x04  # isBadEgg:1, hasSpecies:1, isEgg:1
SECURE_SIZE, SUBSTRUCT_SIZE = 48, 12
MON_LEVEL, MON_HP, MON_MAX_HP = 0x54, 0x56, 0x58
# GetSubstruct (src/pokemon.c): position of the Growth substruct (species, held item, exp) by personality % 24.
GROWTH_POSITION: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 2, 3, 1, 1, 2, 3, 2, 3, 1, 1, 2, 3, 2, 3)
# struct ObjectEvent (include/global.fieldmap.h), 0x24 bytes
OBJECT_EVENTS_COUNT, OBJECT_EVENT_SIZE = 16, 0x24
OBJ_FLAGS0, OBJ_FLAGS1, OBJ_FLAGS2 = 0x00, 0x01, 0x02  # active: bit 0 / invisible: bit 5 / isPlayer: bit 0
OBJ_ACTIVE, OBJ_INVISIBLE, OBJ_IS_PLAYER = 0x01, 0x20, 0x01
OBJ_GRAPHICS_ID, OBJ_CURRENT_X, OBJ_CURRENT_Y, OBJ_FACING = 0x05, 0x10, 0x12, 0x18
PLAYER_AVATAR_OBJECT_ID = 0x05
FACINGS = {1: "DOWN", 2: "UP", 3: "LEFT", 4: "RIGHT"}  # DIR_SOUTH, DIR_NORTH, DIR_WEST, DIR_EAST
# Map grid (include/fieldmap.h, include/global.fieldmap.h)
MAP_OFFSET = 7
MAX_MAP_DATA_SIZE = 0x2800  # u16 entries in gBackupMapData
MAPGRID_METATILE_ID_MASK, MAPGRID_COLLISION_MASK, MAPGRID_UNDEFINED = 0x03FF, 0x0C00, 0x03FF
NUM_METATILES_IN_PRIMARY, NUM_METATILES_TOTAL = 0x200, 0x400
METATILE_ATTR_BEHAVIOR_MASK = 0x00FF
LAYOUT_PRIMARY_TILESET, LAYOUT_SECONDARY_TILESET, TILESET_METATILE_ATTRIBUTES = 0x10, 0x14, 0x10
MAP_HEADER_LAYOUT, MAP_HEADER_EVENTS = 0x00, 0x04
EVENTS_WARP_COUNT, EVENTS_BG_COUNT, EVENTS_WARPS, EVENTS_BG_EVENTS = 0x01, 0x03, 0x08, 0x10
WARP_EVENT_SIZE, BG_EVENT_SIZE, BG_EVENT_KIND = 8, 12, 0x05
MAX_EVENTS = 64  # a sane cap: no retail map has more than ~30 warps or signs
# struct TextPrinter (include/text.h): printerTemplate.currentChar at +0, active at +0x1B
PRINTER_ACTIVE = 0x1B
FIELD_MESSAGE_BOX_HIDDEN = 0
TEXT_MAP_HALF_W, TEXT_MAP_HALF_H = 7, 5  # 15 x 11 squares: the 15 x 10 screen (player in the middle) + a row

KNOWN_RELEASES: dict[str, str] = {"f3ae088181bf583e55daf962a92bb46f4f1d07b7": "US 1.0"}
HEADER_TITLE = "POKEMON EMER"
HEADER_GAME_CODE = "BPEE"
_OTHER_LANGUAGES = {"BPEJ": "Japanese", "BPED": "German", "BPEF": "French", "BPEI": "Italian", "BPES": "Spanish"}
_OTHER_GAMES = {"POKEMON RUBY": "Ruby", "POKEMON SAPP": "Sapphire", "POKEMON FIRE": "FireRed",
                "POKEMON LEAF": "LeafGreen"}

MILESTONES: tuple[str, ...] = tuple(m.name for m in data.MILESTONE_DEFS)


def _milestones_by_map() -> dict[tuple[int, int], list[data.Milestone]]:
    by_map: dict[tuple[int, int], list[data.Milestone]] = {}
    for milestone in data.MILESTONE_DEFS:
        for map_name in milestone.maps:
            by_map.setdefault(data.MAP_IDS[map_name], []).append(milestone)
    return by_map


_MAP_MILESTONES = _milestones_by_map()


def _in_ewram(addr: int, size: int = 1) -> bool:
    return addr >= EWRAM and addr + size <= EWRAM + EWRAM_SIZE


def _in_rom(addr: int, size: int = 1) -> bool:
    return addr >= ROM_BASE and addr + size <= ROM_BASE + ROM_MAX


def _in_ram(addr: int, size: int = 1) -> bool:
    return _in_ewram(addr, size) or (addr >= IWRAM and addr + size <= IWRAM + IWRAM_SIZE)


def _le16(buf: bytes, off: int) -> int:
    return int.from_bytes(buf[off : off + 2], "little")


def _le32(buf: bytes, off: int) -> int:
    return int.from_bytes(buf[off : off + 4], "little")


def _s16(buf: bytes, off: int) -> int:
    return int.from_bytes(buf[off : off + 2], "little", signed=True)


def decrypt_secure(raw: bytes, personality: int, ot_id: int) -> bytes:
    """BoxPokemon.secure (48 bytes) decrypted: each u32 XOR (personality ^ otId) (DecryptBoxMon)."""
    key = personality ^ ot_id
    return b"".join((_le32(raw, i) ^ key).to_bytes(4, "little") for i in range(0, SECURE_SIZE, 4))


def decode_box_species(mon: bytes) -> tuple[int, bool, bool]:
    """(species, is_egg, checksum_ok) of a Pokemon struct's bytes."""
    personality, ot_id = _le32(mon, MON_PERSONALITY), _le32(mon, MON_OT_ID)
    secure = decrypt_secure(mon[MON_SECURE : MON_SECURE + SECURE_SIZE], personality, ot_id)
    growth = GROWTH_POSITION[personality % 24] * SUBSTRUCT_SIZE
    checksum = sum(_le16(secure, i) for i in range(0, SECURE_SIZE, 2)) & 0xFFFF
    return _le16(secure, growth), bool(mon[MON_SANITY_FLAGS] & SANITY_IS_EGG), checksum == _le16(mon, MON_CHECKSUM)


class EmeraldAdapter:
    """Decodes English (US) Pokémon Emerald. Reads the ROM through the bus (0x08000000) for map tables."""

    name: ClassVar[str] = "emerald"
    milestones: ClassVar[tuple[str, ...]] = MILESTONES

    def __init__(self, rom: bytes | None = None) -> None:
        if rom is not None:
            self.check(rom)
        self.release = KNOWN_RELEASES.get(sha1(rom), "unknown") if rom is not None else "unknown"
        self._behaviors: dict[tuple[int, int], dict[int, int]] = {}  # tileset attribute tables -> id -> behavior

    # ---- ROM identification -------------------------------------------------------------------------

    @classmethod
    def check(cls, rom: bytes) -> None:
        """Raise RomError (one line) unless `rom` is an English (US) Pokémon Emerald cartridge image."""
        if len(rom) < 0xC0:
            raise RomError(f"not a GBA ROM: {len(rom)} bytes is smaller than a cartridge header")
        title, code = rom_title(rom), rom_code(rom)
        if title != HEADER_TITLE:
            other = next((name for prefix, name in _OTHER_GAMES.items() if title.startswith(prefix)), None)
            what = f" (that is Pokémon {other}, which has other addresses)" if other else ""
            raise RomError(f"not Pokémon Emerald: cartridge title is {title!r}, expected {HEADER_TITLE!r}{what}")
        if code != HEADER_GAME_CODE:
            language = _OTHER_LANGUAGES.get(code)
            what = f"the {language} release" if language else f"game code {code!r}"
            raise RomError(f"unsupported Pokémon Emerald release: {what}; only the US one (BPEE) has the memory "
                           "layout this adapter reads")
        if not header_ok(rom):
            raise RomError("Pokémon Emerald header checksum mismatch: the ROM file is corrupt or patched")

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        try:
            cls.check(rom)
        except RomError:
            return False
        return True

    # ---- decoding -----------------------------------------------------------------------------------

    def read(self, mem: GBAMemory) -> GameState:
        sb1, sb2 = u32(mem, G_SAVE_BLOCK1_PTR), u32(mem, G_SAVE_BLOCK2_PTR)
        sb1_ok, sb2_ok = _in_ewram(sb1, SAVE_BLOCK1_SIZE), _in_ewram(sb2, SAVE_BLOCK2_SIZE)
        head = mem.read(sb1, 8) if sb1_ok else bytes(8)
        group, number = head[SB1_LOCATION_GROUP], head[SB1_LOCATION_NUMBER]
        name = data.map_name(group, number)
        layout_ptr = u32(mem, G_MAP_HEADER + MAP_HEADER_LAYOUT)
        # A map is loaded once gMapHeader points into the ROM (EWRAM is zero at power-on and through the
        # intro); SaveBlock1's location alone is not enough: it holds the saved map at the title screen.
        on_map = sb1_ok and name is not None and _in_rom(layout_ptr, 0x18)
        callback2 = u32(mem, G_MAIN_CALLBACK2) & ~1
        in_battle = bool(u8(mem, G_MAIN_IN_BATTLE) & IN_BATTLE_MASK)
        controls_locked = u8(mem, S_SCRIPT_CONTEXT2_ENABLED) != 0
        box_mode = u8(mem, S_FIELD_MESSAGE_BOX_MODE)
        flags = mem.read(sb1 + SB1_FLAGS, data.NUM_FLAG_BYTES) if sb1_ok else bytes(data.NUM_FLAG_BYTES)
        varbuf = mem.read(sb1 + SB1_VARS, 2 * data.VARS_READ) if sb1_ok else bytes(2 * data.VARS_READ)
        party = self._party(mem)
        player = self._player_object(mem)
        if player is not None:
            x = _s16(player, OBJ_CURRENT_X) - MAP_OFFSET
            y = _s16(player, OBJ_CURRENT_Y) - MAP_OFFSET
            facing = FACINGS.get(player[OBJ_FACING] & 0x0F, "DOWN")
        else:
            x, y, facing = _s16(head, SB1_POS_X), _s16(head, SB1_POS_Y), "DOWN"
        in_field = callback2 == CB2_OVERWORLD
        if in_battle:
            screen: str | None = "battle"
        elif not on_map or in_field:
            screen = None
        elif callback2 == CB2_LOAD_MAP:
            screen = "map loading"
        else:
            screen = "full-screen menu or scene"  # bag, party, Pokédex, summary... each runs its own callback2
        dialog = self._battle_text(mem) if in_battle else (
            self._field_message(mem) if on_map and box_mode != FIELD_MESSAGE_BOX_HIDDEN else None)
        can_move = on_map and in_field and not in_battle and not controls_locked and box_mode == 0
        badge_bits = sum(1 << i for i in range(len(data.BADGE_NAMES)) if _flag(flags, data.FLAG_BADGE01_GET + i))
        extra: dict[str, int | str | bool | list[int] | list[str]] = {
            "map_group": group,
            "map_number": number,
            "map_name": name or "",
            "release": self.release,
            "save_block1": sb1,
            "callback2": callback2,
            "field_controls_locked": controls_locked,
            "message_box_mode": box_mode,
            "badge_bits": badge_bits,
        }
        if sb2_ok:
            extra["player_name"] = data.decode_text(mem.read(sb2 + SB2_PLAYER_NAME, 8))
            extra["player_gender"] = "female" if u8(mem, sb2 + SB2_PLAYER_GENDER) else "male"
        if in_battle:
            extra.update(self._enemy(mem))
        return GameState(
            game=self.name,
            location=data.map_display_name(name) if on_map and name else self._no_map(sb1_ok, group, number),
            map_id=group << 8 | number,
            x=x,
            y=y,
            facing=facing,
            on_map=on_map,
            screen=screen,
            text_map=self._text_map(mem, x, y) if on_map and in_field and not in_battle else "",
            dialog=dialog or None,
            can_move=can_move,
            in_battle=in_battle,
            badges=[f"{n} Badge" for i, n in enumerate(data.BADGE_NAMES) if badge_bits >> i & 1],
            party=party,
            milestones=self._milestones(on_map, (group, number), flags, varbuf, party),
            extra=extra,
        )

    @staticmethod
    def _no_map(sb1_ok: bool, group: int, number: int) -> str:
        if not sb1_ok or data.map_name(group, number) is not None:
            return "No map loaded (title screen or intro)"
        return f"Unknown map (group {group}, number {number})"

    @staticmethod
    def _player_object(mem: GBAMemory) -> bytes | None:
        """The player's object event (0x24 bytes), or None when there is none (title screen, intro)."""
        objects = mem.read(G_OBJECT_EVENTS, OBJECT_EVENTS_COUNT * OBJECT_EVENT_SIZE)
        index = u8(mem, G_PLAYER_AVATAR + PLAYER_AVATAR_OBJECT_ID)
        candidates = [index] if index < OBJECT_EVENTS_COUNT else []
        candidates += [i for i in range(OBJECT_EVENTS_COUNT) if i != index]
        for i in candidates:
            obj = objects[i * OBJECT_EVENT_SIZE : (i + 1) * OBJECT_EVENT_SIZE]
            if obj[OBJ_FLAGS0] & OBJ_ACTIVE and obj[OBJ_FLAGS2] & OBJ_IS_PLAYER:
                return obj
        return None

    @staticmethod
    def _party(mem: GBAMemory) -> list[PartyMon]:
        count = u8(mem, G_PLAYER_PARTY_COUNT)
        if not 0 < count <= PARTY_SIZE:  # none yet, or uninitialised RAM: no party rather than garbage
            return []
        raw = mem.read(G_PLAYER_PARTY, POKEMON_SIZE * count)
        party = []
        for i in range(count):
            mon = raw[i * POKEMON_SIZE : (i + 1) * POKEMON_SIZE]
            species, is_egg, checksum_ok = decode_box_species(mon)
            if species == 0 or not checksum_ok:
                continue  # an empty slot, or one the game is rewriting this very frame
            party.append(PartyMon(
                species="EGG" if is_egg else data.species_name(species),
                level=mon[MON_LEVEL],
                hp=_le16(mon, MON_HP),
                max_hp=_le16(mon, MON_MAX_HP),
            ))
        return party

    @staticmethod
    def _enemy(mem: GBAMemory) -> dict[str, int | str]:
        mon = mem.read(G_BATTLE_MONS + BATTLE_MON_SIZE, BATTLE_MON_SIZE)
        species = _le16(mon, BMON_SPECIES)
        if species == 0:
            return {}
        return {
            "enemy_species": data.species_name(species),
            "enemy_level": mon[BMON_LEVEL],
            "enemy_hp": _le16(mon, BMON_HP),
            "enemy_max_hp": _le16(mon, BMON_MAX_HP),
            "battle_type_flags": u32(mem, G_BATTLE_TYPE_FLAGS),
        }

    # ---- dialog -------------------------------------------------------------------------------------

    @staticmethod
    def _field_message(mem: GBAMemory) -> str | None:
        """The page of the field message box being printed: gStringVar4 split at its '\\p' page breaks, the
        page picked by where text printer 0 (the message box's window) has got to."""
        text = mem.read(G_STRING_VAR4, STRING_VAR4_SIZE)
        end = text.find(bytes([data.EOS]))
        text = text if end < 0 else text[:end]
        printer = mem.read(G_TEXT_PRINTERS, TEXT_PRINTER_SIZE)
        cursor = _le32(printer, 0) - G_STRING_VAR4
        if printer[PRINTER_ACTIVE] and 0 <= cursor <= len(text):
            # currentChar is past the last byte handled: at a '\p' wait it is just after the break while the
            # box still shows the page before it, so the page is the one holding the last handled byte.
            last = max(cursor - 1, 0)
            start = text.rfind(bytes([data.CHAR_PROMPT_CLEAR]), 0, last) + 1
            stop = text.find(bytes([data.CHAR_PROMPT_CLEAR]), last)
            text = text[start : stop if stop >= 0 else len(text)]
        else:  # printing done: the box shows the last page
            text = text[text.rfind(bytes([data.CHAR_PROMPT_CLEAR])) + 1 :]
        return _tidy(data.decode_text(text))

    @staticmethod
    def _battle_text(mem: GBAMemory) -> str | None:
        return _tidy(data.decode_text(mem.read(G_DISPLAYED_STRING_BATTLE, DISPLAYED_STRING_BATTLE_SIZE)))

    # ---- milestones ---------------------------------------------------------------------------------

    @staticmethod
    def _milestones(on_map: bool, where: tuple[int, int], flags: bytes, varbuf: bytes,
                    party: list[PartyMon]) -> list[str]:
        here = {m.name for m in _MAP_MILESTONES.get(where, []) if not m.needs_party or party} if on_map else set()
        now = []
        for m in data.MILESTONE_DEFS:
            holds = (
                m.name in here
                or (m.flag is not None and _flag(flags, m.flag))
                or (m.var is not None and _le16(varbuf, 2 * (m.var - data.VARS_START)) >= m.var_min)
                or (m.party and bool(party))
            )
            if holds:
                now.append(m.name)
        return now

    # ---- text map -----------------------------------------------------------------------------------

    def _behavior_table(self, mem: GBAMemory) -> tuple[int, int] | None:
        """(primary, secondary) metatileAttributes pointers of the current map's tilesets, or None."""
        layout = u32(mem, G_MAP_HEADER + MAP_HEADER_LAYOUT)
        if not _in_rom(layout, 0x18):
            return None
        tables = []
        for field in (LAYOUT_PRIMARY_TILESET, LAYOUT_SECONDARY_TILESET):
            tileset = u32(mem, layout + field)
            attrs = u32(mem, tileset + TILESET_METATILE_ATTRIBUTES) if _in_rom(tileset, 0x18) else 0
            tables.append(attrs if _in_rom(attrs, 2) else 0)
        return tables[0], tables[1]

    def _behavior(self, mem: GBAMemory, tables: tuple[int, int] | None, metatile: int) -> int | None:
        """GetMetatileAttributesById & METATILE_ATTR_BEHAVIOR_MASK, cached per tileset pair (the ROM is fixed)."""
        if tables is None or metatile >= NUM_METATILES_TOTAL:
            return None
        cache = self._behaviors.setdefault(tables, {})
        if metatile not in cache:
            primary = metatile < NUM_METATILES_IN_PRIMARY
            base = tables[0] if primary else tables[1]
            index = metatile if primary else metatile - NUM_METATILES_IN_PRIMARY
            cache[metatile] = u16(mem, base + 2 * index) & METATILE_ATTR_BEHAVIOR_MASK if base else -1
        value = cache[metatile]
        return None if value < 0 else value

    def _terrain(self, mem: GBAMemory, tables: tuple[int, int] | None, block: int | None) -> str:
        if block is None or block == MAPGRID_UNDEFINED:
            return "#"  # off the grid: the border block, impassable (GetBorderBlockAt | collision mask)
        behavior = self._behavior(mem, tables, block & MAPGRID_METATILE_ID_MASK)
        blocked = bool(block & MAPGRID_COLLISION_MASK)
        if behavior in data.WARP_BEHAVIORS:
            return "D"
        if behavior in data.INTERACTABLE_BEHAVIORS:
            return "?"
        if behavior in data.LEDGE_BEHAVIORS:
            return "_"
        if behavior in data.WATER_BEHAVIORS:
            return "~"
        if blocked:
            return "#"
        if behavior in data.GRASS_BEHAVIORS:
            return "g"
        return "."

    def _events(self, mem: GBAMemory) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Map coordinates of the current map's warps and signs (gMapHeader.events in the ROM)."""
        events = u32(mem, G_MAP_HEADER + MAP_HEADER_EVENTS)
        if not _in_rom(events, 0x14):
            return [], []
        head = mem.read(events, 0x14)
        warps, signs = [], []
        warp_ptr, bg_ptr = _le32(head, EVENTS_WARPS), _le32(head, EVENTS_BG_EVENTS)
        warp_count, bg_count = min(head[EVENTS_WARP_COUNT], MAX_EVENTS), min(head[EVENTS_BG_COUNT], MAX_EVENTS)
        if warp_count and _in_rom(warp_ptr, WARP_EVENT_SIZE * warp_count):
            raw = mem.read(warp_ptr, WARP_EVENT_SIZE * warp_count)
            warps = [(_s16(raw, i), _s16(raw, i + 2)) for i in range(0, len(raw), WARP_EVENT_SIZE)]
        if bg_count and _in_rom(bg_ptr, BG_EVENT_SIZE * bg_count):
            raw = mem.read(bg_ptr, BG_EVENT_SIZE * bg_count)
            signs = [(_le16(raw, i), _le16(raw, i + 2)) for i in range(0, len(raw), BG_EVENT_SIZE)
                     if raw[i + BG_EVENT_KIND] in data.BG_EVENT_SIGN_KINDS]
        return warps, signs

    def _text_map(self, mem: GBAMemory, x: int, y: int) -> str:
        head = mem.read(G_BACKUP_MAP_LAYOUT, 12)
        width, height, grid = _le32(head, 0), _le32(head, 4), _le32(head, 8)
        if not (width > 0 and height > 0 and width * height <= MAX_MAP_DATA_SIZE
                and _in_ram(grid, 2 * width * height)):
            return ""
        tables = self._behavior_table(mem)
        hw, hh = TEXT_MAP_HALF_W, TEXT_MAP_HALF_H
        gx0 = x + MAP_OFFSET - hw  # grid column of the map's left edge
        rows: list[list[str]] = []
        for dy in range(-hh, hh + 1):
            gy = y + MAP_OFFSET + dy
            lo, hi = max(gx0, 0), min(gx0 + 2 * hw + 1, width)
            raw = mem.read(grid + 2 * (gy * width + lo), 2 * (hi - lo)) if 0 <= gy < height and lo < hi else b""
            row = []
            for gx in range(gx0, gx0 + 2 * hw + 1):
                block = _le16(raw, 2 * (gx - lo)) if 0 <= gy < height and lo <= gx < hi else None
                row.append(self._terrain(mem, tables, block))
            rows.append(row)

        def put(mx: int, my: int, ch: str) -> None:
            col, row = mx - x + hw, my - y + hh
            if 0 <= col <= 2 * hw and 0 <= row <= 2 * hh:
                rows[row][col] = ch

        warps, signs = self._events(mem)
        for wx, wy in warps:
            put(wx, wy, "D")
        for sx, sy in signs:
            put(sx, sy, "?")
        objects = mem.read(G_OBJECT_EVENTS, OBJECT_EVENTS_COUNT * OBJECT_EVENT_SIZE)
        for i in range(OBJECT_EVENTS_COUNT):
            obj = objects[i * OBJECT_EVENT_SIZE : (i + 1) * OBJECT_EVENT_SIZE]
            if not obj[OBJ_FLAGS0] & OBJ_ACTIVE or obj[OBJ_FLAGS1] & OBJ_INVISIBLE or obj[OBJ_FLAGS2] & OBJ_IS_PLAYER:
                continue
            gfx = obj[OBJ_GRAPHICS_ID]
            kind = "?" if gfx == data.ITEM_BALL_GFX or gfx in data.BERRY_TREE_GFX else "N"
            put(_s16(obj, OBJ_CURRENT_X) - MAP_OFFSET, _s16(obj, OBJ_CURRENT_Y) - MAP_OFFSET, kind)
        rows[hh][hw] = "@"
        return "\n".join("".join(r) for r in rows)


def _flag(flags: bytes, flag: int) -> bool:
    """FlagGet: flag n is bit n % 8 of SaveBlock1.flags[n / 8]."""
    return 0 <= flag < 8 * len(flags) and bool(flags[flag >> 3] >> (flag & 7) & 1)


def _tidy(text: str) -> str | None:
    """Lines stripped, empty ones dropped: the box's wrapping is the game's, the content the agent's."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    joined = "\n".join(line for line in lines if line)
    return joined or None
