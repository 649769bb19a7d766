"""PyBoy in a child process we can always kill (the process and RPC machinery live in envs/_child.py).

Why a child process: a garbage ROM with a valid header can make `PyBoy.tick()` spin forever inside
compiled code that holds no Python-level checkpoint, so neither SIGALRM nor KeyboardInterrupt reach
it (an undefined opcode such as 0xD3 does this: PyBoy's CPU loop never advances its cycle counter).
Every request to the child carries a timeout; on timeout the child gets SIGKILL and the caller an
`EmulatorHang`.

Game adapters run *inside* the child on `pyboy.memory` (per-byte IPC would cost far more than the
emulation), and a whole env step (presses, frames, one render, the adapter read) is a single round trip.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from envs._child import ChildCrashed, ChildHang, ChildProcess, import_object, object_path
from envs.gameboy.game import BUTTONS, RomError, header_checksum_ok

SCREEN_SHAPE: tuple[int, int, int] = (144, 160, 3)
BANK_SIZE = 0x4000  # PyBoy refuses ROMs whose size is not a whole number of 16 KiB banks
MIN_ROM_SIZE = 2 * BANK_SIZE
MAX_ROM_SIZE = 8 * 1024 * 1024  # the largest Game Boy cartridges; stops us reading a huge stray file
DEFAULT_BOOT_FRAMES = 300  # past the ~65-frame boot logo, long enough to catch ROMs that hang at once
MIN_FRAMES_PER_S = 1000  # pessimistic emulation speed used to stretch timeouts for long tick() calls

StepResult = tuple[np.ndarray, dict[str, Any] | None]  # (RGB frame, GameState dict or None)


class EmulatorHang(ChildHang):
    """The child did not answer in time (the ROM hangs the emulator); it has been killed."""


class EmulatorCrashed(ChildCrashed):
    """The child process died while serving a request (e.g. the emulator crashed on this ROM)."""


def validate_rom(path: str | os.PathLike[str]) -> bytes:
    """Read a ROM file and reject what PyBoy would refuse, with one line naming the file.

    Done in the parent so the common mistakes (wrong path, empty or truncated download, not a
    Game Boy file) are reported without starting an emulator.
    """
    p = Path(path)
    name = str(p)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise RomError(f"{name}: no such ROM file") from None
    except OSError as e:
        raise RomError(f"{name}: cannot read ROM file ({e.strerror})") from None
    if not p.is_file():
        raise RomError(f"{name}: not a file")
    if size == 0:
        raise RomError(f"{name}: ROM file is empty")
    if size > MAX_ROM_SIZE:
        raise RomError(f"{name}: {size} bytes is larger than any Game Boy ROM (max {MAX_ROM_SIZE})")
    if size < MIN_ROM_SIZE or size % BANK_SIZE:
        raise RomError(
            f"{name}: truncated or not a Game Boy ROM ({size} bytes; expected a multiple of {BANK_SIZE}, "
            f"at least {MIN_ROM_SIZE})"
        )
    try:
        rom = p.read_bytes()
    except OSError as e:
        raise RomError(f"{name}: cannot read ROM file ({e.strerror})") from None
    if not header_checksum_ok(rom):
        raise RomError(f"{name}: bad cartridge header checksum (corrupted, or not a Game Boy ROM)")
    return rom


def adapter_path(cls: type) -> str:
    """'module:QualName' for a class the child can import (the child cannot unpickle a local class)."""
    try:
        return object_path(cls)
    except ValueError:
        raise ValueError(
            f"adapter {cls.__qualname__} must be a module-level class in an importable module"
        ) from None


# --------------------------------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------------------------------


class EmulatorServer:
    """Owns the PyBoy instance inside the child. Each `op_*` method is one request type."""

    def __init__(self) -> None:
        import warnings

        warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")  # harmless, printed on PyBoy's import
        self.pyboy: Any = None
        self.adapter: Any = None

    def _need(self) -> Any:
        if self.pyboy is None:
            raise RuntimeError("emulator has no ROM loaded; call boot() first")
        return self.pyboy

    def close(self) -> None:
        if self.pyboy is not None:
            with contextlib.suppress(Exception):
                self.pyboy.stop(save=False)  # save=False: never write a .ram file anywhere
            self.pyboy = None

    def op_boot(self, rom: bytes, name: str, adapter: str | None, boot_frames: int) -> StepResult:
        from pyboy import PyBoy

        self.close()
        self.adapter = None
        try:
            # A file-like ROM: PyBoy then neither reads nor writes .ram/.rtc files next to the ROM,
            # so every boot is a true power-on.
            self.pyboy = PyBoy(
                io.BytesIO(rom), window="null", sound_emulated=False, sound_volume=0, log_level="ERROR"
            )
        except Exception as e:
            raise RomError(f"{name}: PyBoy cannot load this ROM ({type(e).__name__}: {e})") from None
        # Run the first frames now, under the caller's timeout, so a ROM that hangs is caught here.
        self.pyboy.tick(boot_frames, True, False)
        if adapter is not None:
            cls = import_object(adapter)
            # Adapters that decode tables from the cartridge may take the ROM bytes.
            takes_rom = "rom" in inspect.signature(cls).parameters
            self.adapter = cls(rom=rom) if takes_rom else cls()
        return self.op_observe()

    def op_press(self, buttons: Sequence[str], press_frames: int, release_frames: int) -> int:
        pyboy = self._need()
        for b in buttons:
            pyboy.button_press(b.lower())
            pyboy.tick(press_frames, False, False)
            pyboy.button_release(b.lower())
            if release_frames:
                pyboy.tick(release_frames, False, False)
        return len(buttons) * (press_frames + release_frames)

    def op_tick(self, frames: int, render: bool) -> None:
        self._need().tick(frames, render, False)

    def op_step(
        self, buttons: Sequence[str], frames: int, press_frames: int, release_frames: int
    ) -> StepResult:
        """Presses, then idle frames up to `frames` in total; only the very last frame is rendered."""
        pyboy = self._need()
        plan: list[tuple[str, Any]] = []
        for b in buttons:
            name = b.lower()
            plan += [("press", name), ("tick", press_frames), ("release", name), ("tick", release_frames)]
        plan.append(("tick", frames - len(buttons) * (press_frames + release_frames)))
        plan = [(kind, arg) for kind, arg in plan if kind != "tick" or arg > 0]
        last_tick = max(i for i, (kind, _) in enumerate(plan) if kind == "tick")
        for i, (kind, arg) in enumerate(plan):
            if kind == "press":
                pyboy.button_press(arg)
            elif kind == "release":
                pyboy.button_release(arg)
            else:
                pyboy.tick(arg, i == last_tick, False)
        return self.op_observe()

    def op_observe(self) -> StepResult:
        return self.op_screen(), self.op_read_state()

    def op_screen(self) -> np.ndarray:
        return np.ascontiguousarray(self._need().screen.ndarray[:, :, :3])

    def op_read_state(self) -> dict[str, Any] | None:
        if self.adapter is None:
            return None
        return self.adapter.read(self._need().memory).model_dump()

    def op_read_memory(self, addr: int, n: int) -> bytes:
        if addr < 0 or n < 0 or addr + n > 0x10000:
            raise ValueError(f"memory range 0x{addr:X}+{n} is outside 0x0000-0xFFFF")
        pyboy = self._need()
        if n == 0:  # PyBoy refuses memory[a:a] ("Start address has to come before end address")
            return b""
        return bytes(pyboy.memory[addr : addr + n])

    def op_save_state(self) -> bytes:
        buf = io.BytesIO()
        self._need().save_state(buf)
        return buf.getvalue()

    def op_load_state(self, data: bytes) -> StepResult:
        pyboy = self._need()
        try:
            pyboy.load_state(io.BytesIO(data))
        except Exception as e:
            raise ValueError(f"not a usable PyBoy save state ({type(e).__name__}: {e})") from None
        return self.op_observe()  # PyBoy restores the screen buffer too


# --------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------


class GameBoyEmulator:
    """A PyBoy instance (headless, sound off) living in a killable child process.

    Every call waits at most `timeout_s` (plus time for long `tick`s); a call that times out kills the
    child and raises `EmulatorHang`. After a hang or crash, `boot()` starts a fresh child.
    """

    def __init__(
        self,
        timeout_s: float = 10.0,
        boot_frames: int = DEFAULT_BOOT_FRAMES,
        start_timeout_s: float = 60.0,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if boot_frames < 1:
            raise ValueError(f"boot_frames must be at least 1, got {boot_frames}")
        self.timeout_s = timeout_s
        self.boot_frames = boot_frames
        self._child = ChildProcess(
            f"{EmulatorServer.__module__}:{EmulatorServer.__qualname__}",
            name="emulator",
            timeout_s=timeout_s,
            start_timeout_s=start_timeout_s,
            hang_error=EmulatorHang,
            crash_error=EmulatorCrashed,
            hang_hint="the ROM hangs the emulator",
        )
        self._booted_pid: int | None = None  # the child that runs a booted ROM (a hang or crash forgets it)

    @property
    def rom_name(self) -> str:
        return self._child.label

    @property
    def pid(self) -> int | None:
        return self._child.pid

    @property
    def alive(self) -> bool:
        return self._child.alive

    def _call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        return self._child.call(op, *args, timeout=timeout)

    def _require_booted(self) -> None:
        if self._booted_pid is None or self._booted_pid != self._child.pid:
            raise RuntimeError("emulator has no ROM running; call boot() first")

    # -- public calls --------------------------------------------------------------------------------

    def boot(self, rom_path: str | os.PathLike[str], adapter: str | type | None = None) -> StepResult:
        """Validate the ROM here, then power it on in the child and run `boot_frames` frames.

        `adapter` ('module:Class' or a class) is instantiated in the child; its `read` feeds every
        returned state. Returns the first (frame, state). Raises RomError (EmulatorHang if it hangs).
        """
        rom = validate_rom(rom_path)
        self._child.label = Path(rom_path).name
        path = adapter_path(adapter) if isinstance(adapter, type) else adapter
        self._child.ensure_started()
        self._booted_pid = None
        timeout = self.timeout_s + self.boot_frames / MIN_FRAMES_PER_S
        result = self._call("boot", rom, self.rom_name, path, self.boot_frames, timeout=timeout)
        self._booted_pid = self._child.pid
        return result

    def _frames_timeout(self, frames: int) -> float:
        return self.timeout_s + frames / MIN_FRAMES_PER_S

    def press(self, buttons: Sequence[str], press_frames: int = 8, release_frames: int = 16) -> int:
        """Press each button in turn (hold, release, wait); returns the frames used. No render."""
        self._require_booted()
        names = [_button(b) for b in buttons]
        frames = len(names) * (press_frames + release_frames)
        return self._call("press", names, press_frames, release_frames, timeout=self._frames_timeout(frames))

    def tick(self, frames: int, render: bool = True) -> None:
        """Advance `frames` frames, rendering only the last one if `render`."""
        self._require_booted()
        if frames < 0:
            raise ValueError(f"frames must be non-negative, got {frames}")
        self._call("tick", frames, render, timeout=self._frames_timeout(frames))

    def step(
        self, buttons: Sequence[str], frames: int = 120, press_frames: int = 8, release_frames: int = 16
    ) -> StepResult:
        """One round trip: presses, idle frames to `frames` in total, one render, the adapter read.

        Runs max(frames, presses * (press_frames + release_frames)) frames.
        """
        self._require_booted()
        if frames < 1 or press_frames < 1 or release_frames < 0:
            raise ValueError("need frames >= 1, press_frames >= 1, release_frames >= 0")
        names = [_button(b) for b in buttons]
        timeout = self._frames_timeout(max(frames, len(names) * (press_frames + release_frames)))
        return self._call("step", names, frames, press_frames, release_frames, timeout=timeout)

    def observe(self) -> StepResult:
        """The current frame and adapter state without advancing time."""
        self._require_booted()
        return self._call("observe")

    def screen(self) -> np.ndarray:
        """The last rendered frame, RGB uint8 (144, 160, 3)."""
        self._require_booted()
        return self._call("screen")

    def read_state(self) -> dict[str, Any] | None:
        """The adapter's GameState as a dict (None when booted without an adapter)."""
        self._require_booted()
        return self._call("read_state")

    def read_memory(self, addr: int, n: int = 1) -> bytes:
        """`n` bytes of the 16-bit bus starting at `addr`, in one round trip."""
        self._require_booted()
        return self._call("read_memory", addr, n)

    def save_state(self) -> bytes:
        self._require_booted()
        return self._call("save_state")

    def load_state(self, data: bytes) -> StepResult:
        """Restore a PyBoy state; returns the restored (frame, state). ValueError if unusable."""
        self._require_booted()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"state must be bytes, got {type(data).__name__}")
        return self._call("load_state", bytes(data))

    def close(self) -> None:
        """Stop the emulator and its process. Safe to call twice."""
        self._child.close()
        self._booted_pid = None

    def __enter__(self) -> GameBoyEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _button(name: str) -> str:
    upper = str(name).upper()
    if upper not in BUTTONS:
        raise ValueError(f"unknown button {name!r}; use one of {', '.join(BUTTONS)}")
    return upper
