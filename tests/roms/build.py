"""Build the tiny test cartridge (tests/roms/tiny.c) with SDCC, and make broken ROMs for tests.

Why: tests and the env benchmark need a ROM we may ship and rebuild anywhere SDCC is installed
(Debian's `sdcc` package), whose memory reacts to buttons predictably.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY_TITLE = "HARNESSTEST"
TOOLS = ("sdasgb", "sdcc", "makebin")


class BuildError(RuntimeError):
    """SDCC is missing or the build failed; the message is one line."""


def sdcc_available() -> bool:
    return all(shutil.which(t) for t in TOOLS)


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise BuildError(f"{cmd[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")


def build_tiny_rom(out_dir: Path) -> Path:
    """Compile tiny.c + crt0.s into `out_dir`/tiny.gb (32 KiB, no MBC, DMG) and return its path."""
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        raise BuildError(f"SDCC tools not found: {', '.join(missing)} (apt-get install sdcc)")
    out_dir.mkdir(parents=True, exist_ok=True)
    for src in ("crt0.s", "tiny.c"):
        shutil.copyfile(HERE / src, out_dir / src)
    _run(["sdasgb", "-plosgff", "-o", "crt0.rel", "crt0.s"], out_dir)
    # --no-std-crt0: our crt0 owns 0x100; code after the header, variables in WRAM.
    _run(["sdcc", "-msm83", "--no-std-crt0", "--code-loc", "0x200", "--data-loc", "0xC100",
          "crt0.rel", "tiny.c", "-o", "tiny.ihx"], out_dir)
    # -Z: Game Boy image (logo + header checksums); -yn: cartridge title.
    _run(["makebin", "-Z", "-yn", TINY_TITLE, "tiny.ihx", "tiny.gb"], out_dir)
    return out_dir / "tiny.gb"


def fix_header_checksum(rom: bytearray) -> bytearray:
    """Set byte 0x14D so PyBoy's header check passes (it checks 0x134..0x14C only)."""
    x = 0
    for b in rom[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    rom[0x14D] = x
    return rom


def hanging_rom(title: str = "HANG") -> bytes:
    """32 KiB ROM with a valid header whose entry point is the undefined opcode 0xD3.

    PyBoy treats undefined opcodes as 0-cycle no-ops that do not advance PC, so its CPU loop never
    reaches the frame's cycle target: `tick()` spins forever in compiled code (checked with PyBoy
    2.8.1). PyBoy's boot ROM does not check the Nintendo logo, so none is needed here.
    """
    rom = bytearray(2 * 0x4000)
    rom[0x100] = 0xD3
    rom[0x134 : 0x134 + len(title)] = title.encode()
    return bytes(fix_header_checksum(rom))


def random_rom(seed: int, title: str = "RANDOM") -> bytes:
    """Random bytes with a valid header that jumps into them: what a corrupted dump looks like."""
    import random

    r = random.Random(seed)
    rom = bytearray(r.randbytes(2 * 0x4000))
    rom[0x100:0x104] = bytes([0x00, 0xC3, 0x50, 0x01])  # nop; jp 0x150
    rom[0x134:0x150] = bytes(0x1C)
    rom[0x134 : 0x134 + len(title)] = title.encode()
    return bytes(fix_header_checksum(rom))
