"""Adapter for QUEST, the homebrew game built from envs/gameboy/quest/ (C + a little asm, SDCC).

Every address comes from build/quest.symbols.json, which the build derives from the linker's map
output, so a change to the game's variables never leaves the adapter reading stale addresses.

What is decoded, and from where:
  mode / can_move / in_battle   g_mode (TITLE, WALK, DIALOG, MENU, BATTLE); can move only in WALK
  location, map_id              g_map -> layout "maps"
  x, y, facing                  g_px, g_py, g_facing
  text_map                      g_map_buf (the current map, 20x18 tiles) via "tile_legend", with the
                                live object table g_objs (NPC, sign, item, gate, boss) on top
  dialog                        the window tile map in VRAM (0x9C00) rows shown above WY, decoded with
                                the game's own char table ("charmap"); None when the window is hidden
  milestones                    bits of g_flags named by "flags", kept when listed in "milestones"
  party                         the hero's HP (g_hp / g_maxhp)
  extra                         inventory (g_items), boss HP, mode, the game's own move counter
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from envs.gameboy.game import GameState, Memory, PartyMon, RomError, header_checksum_ok, read_bytes, read_u8, rom_title
from envs.gameboy.quest.assets import MILESTONES
from envs.romkit import load_symbols

BUILD_DIR = Path(__file__).resolve().parents[1] / "quest" / "build"
SYMBOLS_FILE = "quest.symbols.json"
BG_MAP, WINDOW_MAP = 0x9800, 0x9C00
LCDC, WY = 0xFF40, 0xFF4A
LCDC_WINDOW_ON = 0x20
OBJ_CHARS = {"NPC": "N", "SIGN": "?", "ITEM": "?", "GATE": "?", "BOSS": "N"}


class QuestAdapter:
    name: ClassVar[str] = "quest"
    milestones: ClassVar[tuple[str, ...]] = MILESTONES  # the game source's own list, in story order

    def __init__(self, rom: bytes, symbols_path: Path | None = None) -> None:
        self.check(rom)
        doc = load_symbols(rom, symbols_path or BUILD_DIR / SYMBOLS_FILE,
                           game="QUEST", module="envs.gameboy.quest.build",
                           rom_file="quest.gb", milestones=self.milestones)
        self.sym: dict[str, int] = doc["symbols"]
        self.layout = doc["layout"]
        self.maps: list[str] = doc["maps"]
        self.modes: list[str] = doc["modes"]
        self.facings: list[str] = doc["facing"]
        self.items: list[str] = doc["items"]
        self.obj_kinds: list[str] = doc["obj_kinds"]
        self.flag_names: list[str] = doc["flags"]
        self.tile_chars = {int(k): v for k, v in doc["tile_legend"].items()}
        self.charmap = {int(k): v for k, v in doc["charmap"].items()}

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        return rom_title(rom) == "QUEST" and header_checksum_ok(rom)

    @classmethod
    def check(cls, rom: bytes) -> None:
        if not cls.identify(rom):
            raise RomError(f"ROM title {rom_title(rom)!r} is not QUEST (the in-repo game); pick the matching --env")

    def read(self, mem: Memory) -> GameState:
        s = self.sym
        mode = self._name(self.modes, read_u8(mem, s["g_mode"]))
        map_id = read_u8(mem, s["g_map"])
        x, y = read_u8(mem, s["g_px"]), read_u8(mem, s["g_py"])
        flags = read_bytes(mem, s["g_flags"], self.layout["flag_bytes"])
        set_flags = [n for i, n in enumerate(self.flag_names) if flags[i >> 3] & (1 << (i & 7))]
        items = read_bytes(mem, s["g_items"], len(self.items))
        hp, max_hp = read_u8(mem, s["g_hp"]), read_u8(mem, s["g_maxhp"])
        extra: dict[str, Any] = {
            "mode": mode,
            "moves": read_u8(mem, s["g_moves"]) | read_u8(mem, s["g_moves"] + 1) << 8,
        }
        if mode == "BATTLE":
            extra["boss_hp"] = read_u8(mem, s["g_boss_hp"])
        title = mode == "TITLE"
        return GameState(
            game=self.name,
            location="Title screen" if title else self._name(self.maps, map_id),
            map_id=map_id,
            x=x,
            y=y,
            facing=self._name(self.facings, read_u8(mem, s["g_facing"])),
            on_map=not title,
            text_map="" if title else self.text_map(mem, x, y),
            dialog=self.screen_text(mem, BG_MAP, 18) if title else self.dialog(mem),
            can_move=mode == "WALK",
            in_battle=mode == "BATTLE",
            party=[] if title else [PartyMon(species="HERO", level=1, hp=hp, max_hp=max_hp)],
            milestones=[m for m in self.milestones if m in set_flags],
            inventory=[f"{name} x{n}" for name, n in zip(self.items, items, strict=True) if n],
            extra=extra,
        )

    def text_map(self, mem: Memory, px: int, py: int) -> str:
        """The whole current map (it is one screen): terrain from g_map_buf, objects on top."""
        w, h = self.layout["map_w"], self.layout["map_h"]
        buf = read_bytes(mem, self.sym["g_map_buf"], w * h)
        grid = [[self.tile_chars.get(buf[r * w + c], "#") for c in range(w)] for r in range(h)]
        size, count = self.layout["obj_size"], read_u8(mem, self.sym["g_obj_count"])
        objs = read_bytes(mem, self.sym["g_objs"], size * min(count, self.layout["max_objs"]))
        fields = self.layout["obj_fields"]
        for i in range(0, len(objs), size):
            obj = dict(zip(fields, objs[i : i + size], strict=True))
            char = OBJ_CHARS.get(self._name(self.obj_kinds, obj["kind"]))
            if char and obj["x"] < w and obj["y"] < h:
                grid[obj["y"]][obj["x"]] = char
        if px < w and py < h:
            grid[py][px] = "@"
        # crop the void around the map: fewer tokens, same information
        rows = [i for i, row in enumerate(grid) if any(ch != " " for ch in row)]
        cols = [j for j in range(w) if any(row[j] != " " for row in grid)]
        if not rows:
            return "@"
        return "\n".join("".join(grid[i][cols[0] : cols[-1] + 1]) for i in range(rows[0], rows[-1] + 1))

    def dialog(self, mem: Memory) -> str | None:
        """Text in the window layer as the player sees it: the rows above WY, decoded by charmap."""
        wy = read_u8(mem, WY)
        if not read_u8(mem, LCDC) & LCDC_WINDOW_ON or wy >= 144:
            return None
        return self.screen_text(mem, WINDOW_MAP, (144 - wy + 7) // 8)

    def screen_text(self, mem: Memory, tile_map: int, rows: int) -> str | None:
        """Text rows of a tile map (the title screen is drawn on the background, boxes on the window)."""
        lines = []
        for row in range(rows):
            tiles = read_bytes(mem, tile_map + row * 32, 20)
            text = "".join(self.charmap.get(t, " ") for t in tiles).replace("\u25bc", " ").strip()
            if text and any(ch.isalnum() for ch in text):
                lines.append(" ".join(text.split()))
        return " / ".join(lines) or None

    @staticmethod
    def _name(names: list[str], index: int) -> str:
        return names[index] if index < len(names) else f"?{index}"
