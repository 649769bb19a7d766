"""Game Boy game types: what a game adapter reads from emulator memory and what the agent sees.

A *game adapter* turns raw emulator memory (plus the cartridge ROM bytes) into a
`GameState`. The adapter is pure: it never steps the emulator, so it can be tested on
memory images built by hand from documented layouts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from envs.base import RomError  # noqa: F401  (re-exported: adapters raise it)

BUTTONS: tuple[str, ...] = ("UP", "DOWN", "LEFT", "RIGHT", "A", "B", "START", "SELECT")

# One character per map cell in every adapter's text map.
MAP_LEGEND: dict[str, str] = {
    "@": "you",
    ".": "walkable",
    "#": "wall / blocked",
    "?": "interactable (sign, item, object)",
    "N": "NPC",
    "D": "door / warp",
    "~": "water",
    "g": "tall grass",
    "_": "ledge (jump down only)",
    " ": "unknown / off map",
}


class Memory(Protocol):
    """Byte-addressable view of the 16-bit Game Boy bus (pyboy.memory or a bytearray)."""

    def __getitem__(self, key: int | slice) -> int | Sequence[int]: ...


def read_u8(mem: Memory, addr: int) -> int:
    return int(mem[addr])  # type: ignore[arg-type]


def read_bytes(mem: Memory, addr: int, n: int) -> bytes:
    """`n` bytes from `addr`; b"" for n <= 0 (PyBoy's memory view refuses an empty or reversed slice,
    a bytearray would not: without this an empty party crashed on the real emulator only)."""
    if n <= 0:
        return b""
    return bytes(mem[addr : addr + n])  # type: ignore[arg-type]


def read_u16le(mem: Memory, addr: int) -> int:
    return read_u8(mem, addr) | (read_u8(mem, addr + 1) << 8)


class PartyMon(BaseModel):
    species: str
    level: int
    hp: int
    max_hp: int


class GameState(BaseModel):
    """What an adapter decodes from memory at one instant."""

    game: str
    location: str
    map_id: int
    x: int
    y: int
    facing: str = Field(description="UP / DOWN / LEFT / RIGHT")
    on_map: bool = Field(
        default=True,
        description="the player stands on a map; False on the title screen and intro, where map_id, x, y and "
        "facing are stale or meaningless and are not shown",
    )
    screen: str | None = Field(
        default=None,
        description="a full-screen menu or scene covering the map (e.g. 'naming screen'); the text map is not "
        "shown while it is up",
    )
    text_map: str = Field(description="ASCII map around the player, rows joined by newlines; see MAP_LEGEND")
    dialog: str | None = Field(default=None, description="on-screen dialog/menu text, if any")
    can_move: bool = Field(description="player is in the overworld and free to walk (not in dialog/menu/battle/intro)")
    in_battle: bool = False
    badges: list[str] = Field(default_factory=list)
    party: list[PartyMon] = Field(default_factory=list)
    milestones: list[str] = Field(
        default_factory=list,
        description="milestones whose condition holds *now* (the runtime's tracker makes them sticky)",
    )
    inventory: list[str] = Field(default_factory=list, description="items held, e.g. 'KEY x1'")
    extra: dict[str, int | str | bool | list[int] | list[str]] = Field(default_factory=dict)

    def to_text(self) -> str:
        """The text observation the agent reads."""
        if self.on_map:
            where = (f"Location: {self.location} (map {self.map_id})  Position: x={self.x} y={self.y}  "
                     f"Facing: {self.facing}")
        else:
            where = f"Location: {self.location}"
        lines = [
            where,
            f"Can move: {'yes' if self.can_move else 'no'}  In battle: {'yes' if self.in_battle else 'no'}",
        ]
        if self.screen:
            lines.append(f"Screen: {self.screen}")
        enemy = self._enemy()
        if enemy:
            lines.append(enemy)
        if self.badges:
            lines.append("Badges: " + ", ".join(self.badges))
        if self.party:
            lines.append(
                "Party: " + "; ".join(f"{m.species} L{m.level} {m.hp}/{m.max_hp}HP" for m in self.party)
            )
        if self.inventory:
            lines.append("Items: " + ", ".join(self.inventory))
        if self.dialog:
            lines.append(f'Dialog: "{self.dialog}"')
        if self.text_map:
            lines.append("Map (@ is you; legend in your instructions):")
            lines.append(self.text_map)
        else:
            lines.append(f"Map: none ({self.screen or 'not on a map'})")
        return "\n".join(lines)

    def _enemy(self) -> str | None:
        """'Enemy: PIDGEY L3 12/15HP' from the adapter's enemy_* extras, in battle only."""
        species = self.extra.get("enemy_species")
        if not self.in_battle or not species:
            return None
        text = f"Enemy: {species}"
        if "enemy_level" in self.extra:
            text += f" L{self.extra['enemy_level']}"
        if "enemy_hp" in self.extra and "enemy_max_hp" in self.extra:
            text += f" {self.extra['enemy_hp']}/{self.extra['enemy_max_hp']}HP"
        return text


@runtime_checkable
class GameAdapter(Protocol):
    """Decodes one game's memory. One instance per loaded ROM."""

    name: ClassVar[str]
    milestones: ClassVar[tuple[str, ...]]  # all milestone names, in story order

    @classmethod
    def identify(cls, rom: bytes) -> bool:
        """True if this adapter handles this ROM (title / checksums in the header)."""
        ...

    def read(self, mem: Memory) -> GameState: ...



def rom_title(rom: bytes) -> str:
    """Cartridge title from the Game Boy header (0x134..0x143), printable ASCII only."""
    raw = rom[0x134:0x144]
    return "".join(chr(b) for b in raw if 32 <= b < 127).strip()


def header_checksum_ok(rom: bytes) -> bool:
    if len(rom) < 0x150:
        return False
    x = 0
    for b in rom[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    return x == rom[0x14D]
