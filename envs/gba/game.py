"""GBA game types: the memory view adapters read, and the ROM header checks.

A GBA *game adapter* is pure, like the Game Boy ones (envs/gameboy/game.py): it turns a view of the GBA bus
(EWRAM at 0x02000000, IWRAM at 0x03000000, the cartridge ROM at 0x08000000) into the same `GameState` the
Game Boy adapters return, and never steps the emulator, so it can be tested on memory images built by hand.

    class MyAdapter:
        name = "mygame"; milestones = (...)
        @classmethod
        def identify(cls, rom: bytes) -> bool: ...
        def read(self, mem: GBAMemory) -> GameState: ...
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Protocol, runtime_checkable

from envs.base import RomError  # noqa: F401  (re-exported: adapters raise it)
from envs.gameboy.game import MAP_LEGEND, GameState, PartyMon  # noqa: F401  (shared with the Game Boy adapters)

GBA_BUTTONS: tuple[str, ...] = ("UP", "DOWN", "LEFT", "RIGHT", "A", "B", "L", "R", "START", "SELECT")

EWRAM, EWRAM_SIZE = 0x02000000, 0x40000
IWRAM, IWRAM_SIZE = 0x03000000, 0x8000
ROM_BASE, ROM_MAX = 0x08000000, 0x2000000


class GBAMemory(Protocol):
    """Read access to the GBA bus: `read(0x02000000, 4)` -> 4 bytes. The emulator's view and `ImageMemory`
    (for tests) both provide it."""

    def read(self, addr: int, n: int) -> bytes: ...


def u8(mem: GBAMemory, addr: int) -> int:
    return mem.read(addr, 1)[0]


def u16(mem: GBAMemory, addr: int) -> int:
    return int.from_bytes(mem.read(addr, 2), "little")


def u32(mem: GBAMemory, addr: int) -> int:
    return int.from_bytes(mem.read(addr, 4), "little")


class ImageMemory:
    """A GBA bus made of plain byte arrays (EWRAM, IWRAM, ROM): what adapter tests build by hand.
    Reads outside the three regions return zeros, like open bus would return garbage."""

    def __init__(self, rom: bytes = b"") -> None:
        self.ewram = bytearray(EWRAM_SIZE)
        self.iwram = bytearray(IWRAM_SIZE)
        self.rom = bytearray(rom)

    def _region(self, addr: int) -> tuple[bytearray, int] | None:
        if EWRAM <= addr < EWRAM + EWRAM_SIZE:
            return self.ewram, addr - EWRAM
        if IWRAM <= addr < IWRAM + IWRAM_SIZE:
            return self.iwram, addr - IWRAM
        if ROM_BASE <= addr < ROM_BASE + ROM_MAX:
            return self.rom, addr - ROM_BASE
        return None

    def read(self, addr: int, n: int) -> bytes:
        found = self._region(addr)
        if found is None or n <= 0:
            return bytes(max(0, n))
        buf, off = found
        out = bytes(buf[off : off + n])
        return out + bytes(n - len(out))

    def write(self, addr: int, data: bytes) -> None:
        found = self._region(addr)
        if found is None:
            raise ValueError(f"0x{addr:08X} is not in EWRAM, IWRAM or ROM")
        buf, off = found
        if off + len(data) > len(buf):
            buf.extend(bytes(off + len(data) - len(buf)))
        buf[off : off + len(data)] = data

    def write_u16(self, addr: int, value: int) -> None:
        self.write(addr, value.to_bytes(2, "little"))

    def write_u32(self, addr: int, value: int) -> None:
        self.write(addr, value.to_bytes(4, "little"))


@runtime_checkable
class GBAGameAdapter(Protocol):
    """Decodes one GBA game's memory. One instance per loaded ROM."""

    name: ClassVar[str]
    milestones: ClassVar[tuple[str, ...]]  # all milestone names, in story order

    @classmethod
    def identify(cls, rom: bytes) -> bool: ...

    def read(self, mem: GBAMemory) -> GameState: ...


def rom_title(rom: bytes) -> str:
    """Game title from the GBA header (0xA0..0xAB), printable ASCII only."""
    return "".join(chr(b) for b in rom[0xA0:0xAC] if 32 <= b < 127).strip()


def rom_code(rom: bytes) -> str:
    """The 4-character game code (0xAC..0xAF), e.g. 'BPEE' for Pokémon Emerald (US)."""
    return "".join(chr(b) for b in rom[0xAC:0xB0] if 32 <= b < 127)


def header_complement(rom: bytes) -> int:
    """The header complement byte (0xBD) a valid GBA header must carry: -(sum of 0xA0..0xBC) - 0x19."""
    return (-(sum(rom[0xA0:0xBD]) + 0x19)) & 0xFF


def header_ok(rom: bytes) -> bool:
    return len(rom) >= 0xC0 and rom[0xBD] == header_complement(rom)


def sha1(rom: bytes) -> str:
    return hashlib.sha1(rom).hexdigest()
