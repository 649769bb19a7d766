"""Pokémon Red/Blue and Yellow (English, US/Europe) adapters: game state decoded from WRAM + the ROM.

Users bring their own cartridge; nothing here contains game data beyond public tables from the pret
disassemblies. Every address below was checked against the symbol files built from pret/pokered and
pret/pokeyellow (pokemon-speedrunning/symfiles pokered.sym / pokeyellow.sym) and is read by plain
bus address (banked reads through PyBoy returned 0; see FIELD-NOTES).

| field                 | Red/Blue            | Yellow              | source symbol                       |
|-----------------------|---------------------|---------------------|-------------------------------------|
| screen tiles 20x18    | C3A0                | C3A0                | wTileMap                            |
| sprites 0-15, 16 B    | C100 / C200         | C100 / C200         | wSpriteStateData1 / 2               |
| player facing         | C109                | C109                | wSpritePlayerStateData1FacingDir.   |
| NPC script running    | CC57                | CC57                | wNPCMovementScriptPointerTableNum   |
| joypad mask           | CD6B                | CD6B                | wJoyIgnore                          |
| text box / menu open  | CFC4 bit 0          | CFC3 bit 0          | wFontLoaded                         |
| enemy sp/HP/lv/maxHP  | CFE5/CFE6/CFF3/CFF4 | CFE4/CFE5/CFF2/CFF3 | wEnemyMonSpecies/HP/Level/MaxHP     |
| in battle             | D057                | D056                | wIsInBattle (1 wild, 2 trainer)     |
| player / rival name   | D158 / D34A         | D157 / D349         | wPlayerName / wRivalName            |
| party count, species  | D163, D164          | D162, D163          | wPartyCount, wPartySpecies          |
| party structs, 0x2C B | D16B                | D16A                | wPartyMons: +1 HP (BE), +0x21 level |
| money (BCD)           | D347                | D346                | wPlayerMoney                        |
| badges                | D356                | D355                | wObtainedBadges (bit 0 Boulder)     |
| map id                | D35E                | D35D                | wCurMap                             |
| y / x                 | D361 / D362         | D360 / D361         | wYCoord / wXCoord                   |
| tileset               | D367                | D366                | wCurMapTileset                      |
| map height / width    | D368 / D369         | D367 / D368         | wCurMapHeight / Width (in blocks)   |
| map connections       | D370                | D36F                | wCurMapConnections (E1 W2 S4 N8)    |
| warps (y, x, id, map) | D3AE, D3AF          | D3AD, D3AE          | wNumberOfWarps, wWarpEntries        |
| signs (y, x)          | D4B0, D4B1          | D4AF, D4B0          | wNumSigns, wSignCoords              |
| walkable-tile list    | D530 (-> bank 0)    | D52F (-> bank 1)    | wTilesetCollisionPtr                |
| grass tile            | D535                | D534                | wGrassTile                          |
| scripted joypad       | D730 bit 7          | D72F bit 7          | wd730 (wStatusFlags5)               |
| game timer running    | D732 bit 0          | D731 bit 0          | wd732 (wStatusFlags6)               |
| stepping out of door  | D736 bit 1          | D735 bit 1          | wd736 (wMovementFlags)              |
| Pikachu happy / mood  | -                   | D46F / D470         | wPikachuHappiness / wPikachuMood    |

Collision lists: Red/Blue keep them in bank 0 (Overworld_Coll at 0x1735), Yellow in bank 1
(Overworld_Coll at 0x4AC2); for both banks the file offset equals the pointer, so the list is read as
`rom[ptr:]` up to the 0xFF terminator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from envs.gameboy.adapters import pokered_data as data
from envs.gameboy.adapters._textbox import Box, BoxTiles
from envs.gameboy.adapters._textbox import find_boxes as _find_boxes
from envs.gameboy.game import (
    GameState,
    Memory,
    PartyMon,
    RomError,
    header_checksum_ok,
    read_bytes,
    read_u8,
    read_u16le,
    rom_title,
)

SCREEN_W, SCREEN_H = 20, 18  # tiles
VIEW_W, VIEW_H = 10, 9  # 16x16 squares on screen
PLAYER_SQUARE = (4, 4)  # (column, row) of the player's square on screen
PARTY_MON_SIZE = 0x2C
SPRITE_SLOTS = 16

# Title prefixes of the games this project has adapters for, for a "use --env ..." hint on a mismatch
# (prefixes: Crystal's 11-byte title runs into its manufacturer code in rom_title).
_OTHER_GAMES = {"POKEMON RED": "pokered", "POKEMON BLUE": "pokered", "POKEMON YELLOW": "pokeyellow",
                "PM_CRYSTAL": "pokecrystal"}


def _env_for_title(title: str) -> str | None:
    return next((env for prefix, env in _OTHER_GAMES.items() if title.startswith(prefix)), None)


@dataclass(frozen=True)
class Gen1Layout:
    """WRAM addresses of one Gen 1 release (see the module docstring for sources)."""

    cur_map: int
    y: int
    x: int
    tileset: int
    badges: int
    party_count: int
    party_mons: int
    player_name: int
    rival_name: int
    money: int
    in_battle: int
    enemy_species: int
    enemy_hp: int
    enemy_level: int
    enemy_max_hp: int
    font_loaded: int
    num_warps: int
    warps: int
    num_signs: int
    signs: int
    collision_ptr: int
    grass_tile: int
    status_flags5: int  # wd730
    status_flags6: int  # wd732
    movement_flags: int  # wd736
    cur_map_height: int  # in 32x32 blocks: the map is 2 * height squares tall
    cur_map_width: int
    map_connections: int
    item_sprites: frozenset[int]  # picture ids of things (item ball, Pokédex, ...) rather than people
    hidden_events: dict[int, frozenset[tuple[int, int]]]  # map id -> (x, y) of visible hidden events
    tile_map: int = 0xC3A0
    sprite_data1: int = 0xC100
    sprite_data2: int = 0xC200
    joy_ignore: int = 0xCD6B
    npc_script: int = 0xCC57
    pikachu_slot: int | None = None  # sprite slot of the following Pikachu (Yellow)
    pikachu_happiness: int | None = None
    pikachu_mood: int | None = None


RED_LAYOUT = Gen1Layout(
    cur_map=0xD35E, y=0xD361, x=0xD362, tileset=0xD367, badges=0xD356, party_count=0xD163,
    party_mons=0xD16B, player_name=0xD158, rival_name=0xD34A, money=0xD347, in_battle=0xD057,
    enemy_species=0xCFE5, enemy_hp=0xCFE6, enemy_level=0xCFF3, enemy_max_hp=0xCFF4, font_loaded=0xCFC4,
    num_warps=0xD3AE, warps=0xD3AF, num_signs=0xD4B0, signs=0xD4B1, collision_ptr=0xD530,
    grass_tile=0xD535, status_flags5=0xD730, status_flags6=0xD732, movement_flags=0xD736,
    cur_map_height=0xD368, cur_map_width=0xD369, map_connections=0xD370, item_sprites=data.ITEM_SPRITES_RED,
    hidden_events=data.HIDDEN_EVENTS_RED,
)
YELLOW_LAYOUT = Gen1Layout(
    cur_map=0xD35D, y=0xD360, x=0xD361, tileset=0xD366, badges=0xD355, party_count=0xD162,
    party_mons=0xD16A, player_name=0xD157, rival_name=0xD349, money=0xD346, in_battle=0xD056,
    enemy_species=0xCFE4, enemy_hp=0xCFE5, enemy_level=0xCFF2, enemy_max_hp=0xCFF3, font_loaded=0xCFC3,
    num_warps=0xD3AD, warps=0xD3AE, num_signs=0xD4AF, signs=0xD4B0, collision_ptr=0xD52F,
    grass_tile=0xD534, status_flags5=0xD72F, status_flags6=0xD731, movement_flags=0xD735,
    cur_map_height=0xD367, cur_map_width=0xD368, map_connections=0xD36F, item_sprites=data.ITEM_SPRITES_YELLOW,
    hidden_events=data.HIDDEN_EVENTS_YELLOW,
    pikachu_slot=15, pikachu_happiness=0xD46F, pikachu_mood=0xD470,
)


# --- text -------------------------------------------------------------------------------------------


def _fix_accents(text: str) -> str:
    """'é' -> 'E' after a capital (POKéMON -> POKEMON), else 'e': the text stays ASCII."""
    out = []
    for i, ch in enumerate(text):
        if ch == "é":
            ch = "E" if i > 0 and text[i - 1].isupper() else "e"
        out.append(ch)
    return "".join(out)


def decode_tiles(tiles: Sequence[int]) -> str:
    """Screen tiles -> ASCII via the game's charmap; frame and picture tiles read as spaces."""
    return _fix_accents("".join(data.SCREEN_CHARS.get(t, " ") for t in tiles))


def decode_string(raw: Sequence[int], player: str = "", rival: str = "") -> str:
    """A text string as stored in memory (names, ROM text): control codes expanded, ends at '@'."""
    out: list[str] = []
    for b in raw:
        if b in data.STRING_END:
            break
        if b == data.PLAYER_CODE:
            out.append(player)
        elif b == data.RIVAL_CODE:
            out.append(rival)
        elif b in data.STRING_WORDS:
            out.append(data.STRING_WORDS[b])
        elif b in data.STRING_BREAKS:
            out.append(" ")
        else:
            out.append(data.SCREEN_CHARS.get(b, ""))
    return _fix_accents("".join(out)).strip()


_BOX_TILES = BoxTiles(data.BOX_TL, data.BOX_H, data.BOX_TR, data.BOX_V, data.BOX_BL, data.BOX_BR)


def find_boxes(screen: Sequence[int]) -> list[Box]:
    """Frames drawn with ┌─┐│└┘ (TextBoxBorder), top to bottom, left to right. A box whose top edge
    runs into another box's ┌ (the battle menu drawn over the text box) ends there; a title written
    over the top edge (the naming menus' "NAME") is read as the box's title."""
    return _find_boxes(screen, _BOX_TILES, top_edge_may_end_in_box=True)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def box_text(screen: Sequence[int], box: Box) -> str:
    """The box's lines joined by spaces, prefixed 'TITLE:' when a title is written over its top edge."""
    lines = []
    for r in range(box.top + 1, box.bottom):
        line = _squeeze(decode_tiles(screen[r * SCREEN_W + box.left + 1 : r * SCREEN_W + box.right]))
        if line:
            lines.append(line)
    text = " ".join(lines)
    title = _squeeze(decode_tiles(box.top_edge(screen)))
    return f"{title}: {text}" if title and text else title or text


def read_dialog(screen: Sequence[int], boxes: list[Box] | None = None) -> str | None:
    """Text in every box on screen, boxes joined by ' | '; None when no box is shown."""
    boxes = find_boxes(screen) if boxes is None else boxes
    if not boxes:
        return None
    return " | ".join(t for t in (box_text(screen, b) for b in boxes) if t)


def _row(screen: Sequence[int], row: int, start: int = 0, stop: int = SCREEN_W) -> Sequence[int]:
    return screen[row * SCREEN_W + start : row * SCREEN_W + stop]


def is_naming_screen(screen: Sequence[int], boxes: list[Box]) -> bool:
    """DisplayNamingScreen is up: the keyboard frame spans rows 4-14 of the whole width, and the name's
    blanks (underscore tiles) run along row 3 from column 10 (7 for a player/rival name, 10 for a
    nickname)."""
    return any((b.top, b.left, b.bottom, b.right) == (4, 0, 14, SCREEN_W - 1) for b in boxes) and all(
        t in data.NAMING_UNDERSCORES for t in _row(screen, 3, 10, 17))


def naming_screen_text(screen: Sequence[int]) -> str:
    """'YOUR NAME? Name: ASH | >A B C ... | ... | lower case': the prompt, the name typed so far, the
    keyboard rows (the cursor shows as '>') and the case switch below the keyboard."""

    def text(row: int, start: int = 0, stop: int = SCREEN_W) -> str:
        tiles = _row(screen, row, start, stop)
        return _squeeze(_fix_accents("".join(
            "ED" if t == data.NAMING_ED_TILE else data.SCREEN_CHARS.get(t, " ") for t in tiles)))

    prompt = _squeeze(f"{text(1)} {text(3, 0, 10)}")  # "YOUR NAME?" / "RIVAL's NAME?" / "<mon> ... NICKNAME?"
    typed = text(2, 10)
    keys = [line for line in (text(r, 1, SCREEN_W - 1) for r in range(5, 14)) if line]
    case = text(15)
    return " | ".join([f"{prompt} Name: {typed or '(empty)'}", *keys, *([case] if case else [])])


def bcd(raw: Sequence[int]) -> int:
    value = 0
    for b in raw:
        value = value * 100 + (b >> 4) * 10 + (b & 0x0F)
    return value


# --- adapter ----------------------------------------------------------------------------------------


class _Gen1Adapter:
    """Shared decoder; subclasses set the layout, titles and known releases."""

    name: ClassVar[str]
    milestones: ClassVar[tuple[str, ...]] = data.MILESTONES
    counted_milestones: ClassVar[tuple[str, ...]] = data.COUNTED_MILESTONES  # the reference code's 18
    layout: ClassVar[Gen1Layout]
    titles: ClassVar[dict[str, str]]  # header title -> version
    game_label: ClassVar[str]
    known_releases: ClassVar[dict[str, str]]  # SHA-1 of the file -> release name
    num_maps: ClassVar[int]

    def __init__(self, rom: bytes) -> None:
        self.check(rom)
        self.rom = bytes(rom)
        self.version = self.titles[rom_title(rom)]
        self.release: str | None = self.known_releases.get(hashlib.sha1(self.rom).hexdigest())
        self._passable_cache: dict[int, frozenset[int]] = {}

    @classmethod
    def check(cls, rom: bytes) -> None:
        """Raise RomError (one line, for the user) unless this is an English release of the game."""
        if len(rom) < 0x8000:
            raise RomError(f"ROM is {len(rom)} bytes, too small for a Game Boy cartridge (32 KiB at least)")
        title = rom_title(rom)
        if title not in cls.titles:
            other = _env_for_title(title)
            hint = f"; use --env {other}" if other and other != cls.name else ""
            raise RomError(f"ROM title {title!r} is not {cls.game_label}{hint}")
        if rom[0x14A] == 0x00:
            raise RomError(f"ROM {title!r} is the Japanese release; only the English (US/Europe) "
                           "release's memory layout is supported")
        if not header_checksum_ok(rom):
            raise RomError(f"ROM {title!r} has a bad header checksum (0x14D): the file is damaged or patched")

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        try:
            cls.check(rom)
        except RomError:
            return False
        return True

    # -- reading -------------------------------------------------------------------------------------

    def read(self, mem: Memory) -> GameState:
        L = self.layout
        screen = read_bytes(mem, L.tile_map, SCREEN_W * SCREEN_H)
        map_id = read_u8(mem, L.cur_map)
        in_battle = read_u8(mem, L.in_battle) in (1, 2)
        # wd732 bit 0 is set by SpecialEnterMap: the first time the overworld is entered (new game
        # after Oak's speech, or CONTINUE). Before that wCurMap is meaningless (0 at the title screen,
        # the bedroom during Oak's speech), so nothing location-based is reported.
        started = bool(read_u8(mem, L.status_flags6) & 0x01)
        boxes = find_boxes(screen)
        # The naming keyboard covers the whole screen (also when nicknaming in the overworld): its text
        # is the dialog and no map is shown.
        naming = is_naming_screen(screen, boxes)
        party = self._party(mem) if started else []
        badge_bits = read_u8(mem, L.badges) if started else 0
        badges = [b for bit, b in enumerate(data.BADGES) if badge_bits >> bit & 1]
        # No map while the player is on none yet (intro), or a full-screen scene covers it.
        screen_name = "naming screen" if naming else "battle" if in_battle else None
        text_map = "" if not started or screen_name else self._text_map(mem, screen, boxes)
        return GameState(
            game=self.name,
            location=self._map_name(map_id) if started else "Title screen / intro",
            map_id=map_id,
            x=read_u8(mem, L.x),
            y=read_u8(mem, L.y),
            facing=data.FACING.get(read_u8(mem, L.sprite_data1 + 9) & 0x0C, "DOWN"),
            on_map=started,
            screen=screen_name,
            text_map=text_map,
            dialog=naming_screen_text(screen) if naming else read_dialog(screen, boxes),
            can_move=self._can_move(mem, screen, started, in_battle),
            in_battle=in_battle,
            badges=badges,
            party=party,
            milestones=self._milestones(screen, started, map_id, badges, party),
            extra=self._extra(mem, started, in_battle),
        )

    def _map_name(self, map_id: int) -> str:
        if map_id < self.num_maps:
            return data.MAP_NAMES[map_id]
        return f"Unknown map 0x{map_id:02X}"

    def _can_move(self, mem: Memory, screen: bytes, started: bool, in_battle: bool) -> bool:
        """Free to walk in the overworld: every way the game itself takes the controls must be off.

        - `started` (wd732 bit 0): the overworld has been entered at all, which excludes the title
          screen and Oak's speech even though wCurMap already names the bedroom then.
        - not in battle (wIsInBattle).
        - wFontLoaded bit 0 clear: DisplayTextID sets it for every dialogue, sign and the START menu,
          CloseTextDisplay clears it.
        - no D-pad bit in wJoyIgnore (EnterMap sets 0xFF while loading; cutscenes lock it).
        - wd730 bit 7 clear (joypad simulated by a script) and no NPC movement script running, and not
          stepping out of a door (wd736 bit 1): IsPlayerCharacterBeingControlledByGame's tests.
        - no text/menu tile on screen: overworld tilesets use tiles 0x00-0x5F only (MAP_TILESET_SIZE),
          so any tile >= 0x60 is a frame, letter or picture. This also rules out the main menu when a
          save is loaded (the save restores wd732 before the player picks CONTINUE).
        """
        L = self.layout
        if not started or in_battle:
            return False
        if read_u8(mem, L.font_loaded) & 0x01:
            return False
        if read_u8(mem, L.joy_ignore) & 0xF0:
            return False
        if read_u8(mem, L.status_flags5) & 0x80 or read_u8(mem, L.npc_script):
            return False
        if read_u8(mem, L.movement_flags) & 0x02:
            return False
        return all(t < data.MAP_TILESET_SIZE for t in screen)

    def _party(self, mem: Memory) -> list[PartyMon]:
        L = self.layout
        count = read_u8(mem, L.party_count)
        if count > 6:  # uninitialised or corrupted memory: report nothing rather than garbage
            return []
        species = read_bytes(mem, L.party_count + 1, count)  # wPartySpecies follows the count
        party = []
        for i in range(count):
            raw = read_bytes(mem, L.party_mons + i * PARTY_MON_SIZE, PARTY_MON_SIZE)
            party.append(PartyMon(
                species=self._species(species[i]),
                level=raw[0x21],
                hp=raw[1] << 8 | raw[2],  # big-endian, like every Gen 1 16-bit stat
                max_hp=raw[0x22] << 8 | raw[0x23],
            ))
        return party

    @staticmethod
    def _species(index: int) -> str:
        return data.SPECIES.get(index, f"UNKNOWN(0x{index:02X})")

    def _passable(self, ptr: int) -> frozenset[int]:
        """The tileset's walkable-tile list from the ROM (terminated by 0xFF); empty if ptr is bogus."""
        if ptr not in self._passable_cache:
            tiles: set[int] = set()
            if 0x150 <= ptr < min(len(self.rom), 0x8000):
                for b in self.rom[ptr : ptr + 64]:
                    if b == 0xFF:
                        break
                    tiles.add(b)
                else:
                    tiles.clear()  # no terminator: not a collision list
            self._passable_cache[ptr] = frozenset(tiles)
        return self._passable_cache[ptr]

    def _text_map(self, mem: Memory, screen: bytes, boxes: list[Box]) -> str:
        """The 10x9 squares on screen, one character each (envs.base.MAP_LEGEND).

        Each 16x16 square is classified by its lower-left 8x8 tile, the tile the game's own collision
        checks read (lda_coord 8, 9 is the player's square). Squares under a text box or menu, any
        non-map tile, and squares off the map's edge (the game draws its border block there) are ' '.
        """
        L = self.layout
        grid = [[" "] * VIEW_W for _ in range(VIEW_H)]
        px, py = PLAYER_SQUARE
        tileset = read_u8(mem, L.tileset)
        passable = self._passable(read_u16le(mem, L.collision_ptr))
        grass = read_u8(mem, L.grass_tile)
        x0, y0 = read_u8(mem, L.x) - px, read_u8(mem, L.y) - py  # map coords of square (0, 0)
        on_screen = self._on_screen_squares(mem, x0, y0)
        for sy in range(VIEW_H):
            for sx in range(VIEW_W):
                row, col = 2 * sy + 1, 2 * sx
                if not on_screen(sx, sy) or any(b.covers(row, col) for b in boxes):
                    continue
                grid[sy][sx] = self._square(screen[row * SCREEN_W + col], tileset, passable, grass)

        def mark(mx: int, my: int, ch: str) -> None:
            sx, sy = mx - x0, my - y0
            if 0 <= sx < VIEW_W and 0 <= sy < VIEW_H and grid[sy][sx] != " ":
                grid[sy][sx] = ch

        for i in range(min(read_u8(mem, L.num_signs), 16)):
            y, x = read_bytes(mem, L.signs + 2 * i, 2)
            mark(x, y, "?")
        for x, y in L.hidden_events.get(read_u8(mem, L.cur_map), ()):
            mark(x, y, "?")
        for i in range(min(read_u8(mem, L.num_warps), 32)):
            y, x = read_bytes(mem, L.warps + 4 * i, 2)
            mark(x, y, "D")
        for slot in range(1, SPRITE_SLOTS):
            if slot == L.pikachu_slot:
                continue  # Yellow's Pikachu follows the player and can be walked through
            d1 = read_bytes(mem, L.sprite_data1 + 0x10 * slot, 3)
            if d1[0] == 0 or d1[2] == 0xFF:  # no sprite, or hidden / off screen (image index 0xFF)
                continue
            my, mx = read_bytes(mem, L.sprite_data2 + 0x10 * slot + 4, 2)  # map coords + 4
            mark(mx - 4, my - 4, "?" if d1[0] in L.item_sprites else "N")
        grid[py][px] = "@"
        return "\n".join("".join(row) for row in grid)

    def _on_screen_squares(self, mem: Memory, x0: int, y0: int) -> Callable[[int, int], bool]:
        """Which screen squares show a map: the current map's squares, and past an edge with a map
        connection (wCurMapConnections) the connected map's. Past any other edge, and in the corners,
        the game draws the map's border block, which is not a place (tall grass west of Pallet Town)."""
        L = self.layout
        map_w, map_h = 2 * read_u8(mem, L.cur_map_width), 2 * read_u8(mem, L.cur_map_height)
        connections = read_u8(mem, L.map_connections)
        if not map_w or not map_h:  # no map header loaded: no edge to test against
            return lambda sx, sy: True

        def on_screen(sx: int, sy: int) -> bool:
            mx, my = x0 + sx, y0 + sy
            inside_x, inside_y = 0 <= mx < map_w, 0 <= my < map_h
            if inside_x and inside_y:
                return True
            if inside_y:  # past the west or east edge
                return bool(connections & (data.CONNECTION_WEST if mx < 0 else data.CONNECTION_EAST))
            if inside_x:  # past the north or south edge
                return bool(connections & (data.CONNECTION_NORTH if my < 0 else data.CONNECTION_SOUTH))
            return False

        return on_screen

    @staticmethod
    def _square(tile: int, tileset: int, passable: frozenset[int], grass: int) -> str:
        if tile >= data.MAP_TILESET_SIZE:
            return " "
        if tile in data.BOOKSHELF_TILES.get(tileset, ()):
            return "?"
        if tileset == data.TILESET_OVERWORLD and tile in data.LEDGE_TILES:
            return "_"
        if tileset in data.WATER_TILESETS and tile == data.WATER_TILE:
            return "~"
        if tile == grass and grass != 0xFF:
            return "g"
        return "." if tile in passable else "#"

    def _extra(self, mem: Memory, started: bool, in_battle: bool) -> dict[str, int | str | bool | list[int]]:
        L = self.layout
        player = decode_string(read_bytes(mem, L.player_name, 11))
        extra: dict[str, int | str | bool | list[int]] = {
            "version": self.version,
            "game_started": started,
            "player_name": player,
            "rival_name": decode_string(read_bytes(mem, L.rival_name, 11), player=player),
            "money": bcd(read_bytes(mem, L.money, 3)),
            "tileset": read_u8(mem, L.tileset),
        }
        if in_battle:
            hp, max_hp = read_bytes(mem, L.enemy_hp, 2), read_bytes(mem, L.enemy_max_hp, 2)
            extra.update({
                "battle_type": "wild" if read_u8(mem, L.in_battle) == 1 else "trainer",
                "enemy_species": self._species(read_u8(mem, L.enemy_species)),
                "enemy_level": read_u8(mem, L.enemy_level),
                "enemy_hp": hp[0] << 8 | hp[1],
                "enemy_max_hp": max_hp[0] << 8 | max_hp[1],
            })
        if L.pikachu_happiness is not None and L.pikachu_mood is not None:
            extra["pikachu_happiness"] = read_u8(mem, L.pikachu_happiness)
            extra["pikachu_mood"] = read_u8(mem, L.pikachu_mood)
        return extra

    def _milestones(self, screen: bytes, started: bool, map_id: int, badges: list[str],
                    party: list[PartyMon]) -> list[str]:
        """Conditions true now, in `milestones` order; the runtime's tracker makes them sticky."""
        true: set[str] = set()
        if any(screen):
            true.add("game_running")  # the game has drawn something: past power-on
        if started:
            true.update(n for n, maps in data.LOCATION_MILESTONES.items() if map_id in maps)
            true.update(f"{b.lower()}_badge" for b in badges)
            if party:
                true.add("starter_obtained")
        return [m for m in self.milestones if m in true]


class PokeRedAdapter(_Gen1Adapter):
    """Pokémon Red and Blue (one engine, one memory layout)."""

    name: ClassVar[str] = "pokered"
    layout: ClassVar[Gen1Layout] = RED_LAYOUT
    titles: ClassVar[dict[str, str]] = {"POKEMON RED": "red", "POKEMON BLUE": "blue"}
    game_label: ClassVar[str] = "Pokémon Red/Blue"
    known_releases: ClassVar[dict[str, str]] = {
        "ea9bcae617fdf159b045185467ae58b2e4a48b9a": "Pokemon Red (USA, Europe)",
        "d7037c83e1ae5b39bde3c30787637ba1d4c48ce2": "Pokemon Blue (USA, Europe)",
    }
    num_maps: ClassVar[int] = data.NUM_MAPS_RED


class PokeYellowAdapter(_Gen1Adapter):
    """Pokémon Yellow: the Red engine with most WRAM one byte lower and Pikachu in sprite slot 15."""

    name: ClassVar[str] = "pokeyellow"
    layout: ClassVar[Gen1Layout] = YELLOW_LAYOUT
    titles: ClassVar[dict[str, str]] = {"POKEMON YELLOW": "yellow"}
    game_label: ClassVar[str] = "Pokémon Yellow"
    known_releases: ClassVar[dict[str, str]] = {
        "cc7d03262ebfaf2f06772c1a480c7d9d5f4a38e1": "Pokemon Yellow (USA, Europe)",
    }
    num_maps: ClassVar[int] = data.NUM_MAPS_YELLOW
