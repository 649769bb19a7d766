"""Adapter for QUEST-GBA, the homebrew GBA game built from envs/gba/quest/ (Thumb C, arm-none-eabi-gcc).

Every address comes from build/quest-gba.symbols.json, which the build takes from the linked ELF's symbol
table (`arm-none-eabi-nm`), so a change to the game's variables never leaves the adapter reading stale
addresses. All state variables sit together in EWRAM; one read of their span serves a whole `read`.

What is decoded, and from where:
  mode / can_move            g_mode (TITLE, WALK, DIALOG); can move only in WALK
  location, map_id           g_room -> "rooms"
  x, y, facing               g_px, g_py (cells; y grows downward), g_facing
  text_map                   g_room_buf (the room's terrain cells, 15x10) via "cell_legend", with the live
                             object table g_objs (NPC N, item / gate / sign ?) and the player (@) on top
  dialog                     g_dialog: the text on screen (the title, or the dialog page), lines joined by " / "
  milestones                 bits of g_flags named by "flags"
  inventory                  g_items counts by "items"
  extra                      mode, the game's move counter, whether more dialog pages follow
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from envs.gba.game import GameState, GBAMemory, RomError, header_ok, rom_code, rom_title
from envs.gba.quest.assets import MILESTONES
from envs.romkit import load_symbols

BUILD_DIR = Path(__file__).resolve().parents[1] / "quest" / "build"
SYMBOLS_FILE = "quest-gba.symbols.json"
TITLE, CODE = "QUEST GBA", "QGBA"


class QuestGBAAdapter:
    """QUEST-GBA's memory -> GameState (see the module docstring)."""

    name: ClassVar[str] = "quest-gba"
    milestones: ClassVar[tuple[str, ...]] = MILESTONES  # the game source's own list, in story order

    def __init__(self, rom: bytes, symbols_path: Path | None = None) -> None:
        self.check(rom)
        doc = load_symbols(rom, symbols_path or BUILD_DIR / SYMBOLS_FILE,
                           game="QUEST-GBA", module="envs.gba.quest.build",
                           rom_file="quest-gba.gba", milestones=self.milestones)
        self.sym: dict[str, int] = doc["symbols"]
        self.sizes: dict[str, int] = doc["sizes"]
        self.layout: dict[str, Any] = doc["layout"]
        self.rooms: list[str] = doc["rooms"]
        self.modes: list[str] = doc["modes"]
        self.facings: list[str] = doc["facing"]
        self.items: list[str] = doc["items"]
        self.obj_kinds: list[str] = doc["obj_kinds"]
        self.obj_legend: dict[str, str] = doc["obj_legend"]
        self.flag_names: list[str] = doc["flags"]
        self.cell_chars = {int(k): v for k, v in doc["cell_legend"].items()}
        # one read covers every state variable
        self._lo = min(self.sym.values())
        self._span = max(self.sym[n] + self.sizes[n] for n in self.sym) - self._lo

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        return rom_title(rom) == TITLE and rom_code(rom) == CODE and header_ok(rom)

    @classmethod
    def check(cls, rom: bytes) -> None:
        """RomError naming what the ROM is when it is not QUEST-GBA."""
        if not cls.identify(rom):
            raise RomError(
                f"ROM {rom_title(rom)!r} (code {rom_code(rom)!r}) is not QUEST-GBA (the in-repo game); "
                "pick the matching --env"
            )

    def read(self, mem: GBAMemory) -> GameState:
        blob = mem.read(self._lo, self._span)

        def field(name: str, n: int = 1) -> bytes:
            off = self.sym[name] - self._lo
            return blob[off : off + n]

        def u8(name: str) -> int:
            return field(name)[0]

        mode = self._name(self.modes, u8("g_mode"))
        room = u8("g_room")
        x, y = u8("g_px"), u8("g_py")
        flags = u8("g_flags")
        set_flags = {n for i, n in enumerate(self.flag_names) if flags >> i & 1}
        counts = field("g_items", len(self.items))
        title = mode == "TITLE"
        return GameState(
            game=self.name,
            location="Title screen" if title else self._name(self.rooms, room),
            map_id=room,
            x=x,
            y=y,
            facing=self._name(self.facings, u8("g_facing")),
            on_map=not title,
            text_map="" if title else self.text_map(field, x, y),
            dialog=self.dialog(field("g_dialog", self.layout["dialog_max"])),
            can_move=mode == "WALK",
            milestones=[m for m in self.milestones if m in set_flags],
            inventory=[f"{name} x{n}" for name, n in zip(self.items, counts, strict=True) if n],
            extra={
                "mode": mode,
                "moves": int.from_bytes(field("g_moves", 2), "little"),
                "more_pages": int.from_bytes(field("g_dlg_next", 4), "little") != 0,
            },
        )

    def text_map(self, field: Any, px: int, py: int) -> str:
        """The whole room (it is one screen): terrain from g_room_buf, objects and the player on top."""
        w, h = self.layout["room_w"], self.layout["room_h"]
        cells = field("g_room_buf", w * h)
        grid = [[self.cell_chars.get(cells[r * w + c], "#") for c in range(w)] for r in range(h)]
        size = len(self.layout["obj_fields"])
        count = min(field("g_obj_count")[0], self.layout["max_objs"])
        table = field("g_objs", size * count)
        for i in range(0, len(table), size):
            obj = dict(zip(self.layout["obj_fields"], table[i : i + size], strict=True))
            char = self.obj_legend.get(self._name(self.obj_kinds, obj["kind"]))
            if char and obj["x"] < w and obj["y"] < h:
                grid[obj["y"]][obj["x"]] = char
        if px < w and py < h:
            grid[py][px] = "@"
        return "\n".join("".join(row) for row in grid)

    @staticmethod
    def dialog(raw: bytes) -> str | None:
        """g_dialog up to its NUL, one ' / ' per line break; None when no text is up."""
        text = raw.split(b"\0", 1)[0].decode("ascii", "replace")
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return " / ".join(line for line in lines if line) or None

    @staticmethod
    def _name(names: list[str], index: int) -> str:
        return names[index] if index < len(names) else f"?{index}"
