"""PyBoy in a child process we can always kill.

Why a child process: a garbage ROM with a valid header can make `PyBoy.tick()` spin forever inside
compiled code that holds no Python-level checkpoint, so neither SIGALRM nor KeyboardInterrupt reach
it (an undefined opcode such as 0xD3 does this: PyBoy's CPU loop never advances its cycle counter).
The only reliable cure is a process boundary: every request to the child carries a timeout, and on
timeout the child gets SIGKILL and the caller an `EmulatorHang`.

Protocol: one request, one reply over a `multiprocessing` Pipe. Replies are tagged with the request
number so a reply left over from an interrupted call is never mistaken for the next one. Game adapters
run *inside* the child on `pyboy.memory` (per-byte IPC would cost far more than the emulation), and a
whole env step (presses, frames, one render, the adapter read) is a single round trip.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import itertools
import json
import multiprocessing.connection
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from envs.gameboy.game import BUTTONS, RomError, header_checksum_ok

SCREEN_SHAPE: tuple[int, int, int] = (144, 160, 3)
BANK_SIZE = 0x4000  # PyBoy refuses ROMs whose size is not a whole number of 16 KiB banks
MIN_ROM_SIZE = 2 * BANK_SIZE
MAX_ROM_SIZE = 8 * 1024 * 1024  # the largest Game Boy cartridges; stops us reading a huge stray file
DEFAULT_BOOT_FRAMES = 300  # past the ~65-frame boot logo, long enough to catch ROMs that hang at once
MIN_FRAMES_PER_S = 1000  # pessimistic emulation speed used to stretch timeouts for long tick() calls

StepResult = tuple[np.ndarray, dict[str, Any] | None]  # (RGB frame, GameState dict or None)


class EmulatorHang(RomError):
    """The child did not answer in time (the ROM hangs the emulator); it has been killed."""


class EmulatorCrashed(RomError):
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
    if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
        raise ValueError(f"adapter {cls.__qualname__} must be a module-level class in an importable module")
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_adapter(path: str) -> type:
    module, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# --------------------------------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------------------------------


class _Server:
    """Owns the PyBoy instance inside the child. Each `op_*` method is one request type."""

    def __init__(self) -> None:
        self.pyboy: Any = None
        self.adapter: Any = None

    def _need(self) -> Any:
        if self.pyboy is None:
            raise RuntimeError("emulator has no ROM loaded; call boot() first")
        return self.pyboy

    def stop(self) -> None:
        if self.pyboy is not None:
            with contextlib.suppress(Exception):
                self.pyboy.stop(save=False)  # save=False: never write a .ram file anywhere
            self.pyboy = None

    def op_boot(self, rom: bytes, name: str, adapter: str | None, boot_frames: int) -> StepResult:
        from pyboy import PyBoy

        self.stop()
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
            cls = _import_adapter(adapter)
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
        return bytes(self._need().memory[addr : addr + n])

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


def _portable(e: BaseException) -> BaseException:
    """An exception the parent can unpickle without importing PyBoy or the adapter's modules."""
    portable = type(e).__module__ in ("builtins", "envs.base", "envs.gameboy.game", __name__)
    out = e if portable else RuntimeError(f"{type(e).__name__}: {e}")
    return out.with_traceback(None)


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL us when the parent dies, even mid-hang (best effort)."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _child_main(fd: int) -> None:
    """Serve requests on the socket `fd` until 'close' or EOF."""
    _die_with_parent()
    # Ctrl-C in a terminal reaches the whole process group; the parent decides what to do (it may
    # want to save a state first), so the child ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import warnings

    warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")  # harmless, printed on import
    conn = multiprocessing.connection.Connection(fd)
    server = _Server()
    conn.send((0, "ok", os.getpid()))
    while True:
        try:
            seq, op, args = conn.recv()
        except (EOFError, OSError):
            break  # parent went away
        if op == "close":
            server.stop()
            conn.send((seq, "ok", None))
            break
        try:
            conn.send((seq, "ok", getattr(server, "op_" + op)(*args)))
        except Exception as e:
            err = _portable(e)
            conn.send((seq, "err", (err, traceback.format_exc(limit=8))))
    server.stop()


# The child is a fresh interpreter started with subprocess rather than multiprocessing's "spawn":
# spawn re-runs the caller's __main__ module in the child, which breaks any script without an
# `if __name__ == "__main__"` guard. sys.path is handed over so the child imports what we import.
_CHILD_CODE = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[2]); "
    "from envs.gameboy.emulator import _child_main; _child_main(int(sys.argv[1]))"
)


# --------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL (a hung PyBoy ignores everything gentler) and reap."""
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


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
        self.start_timeout_s = start_timeout_s  # interpreter start + imports, not the ROM's fault
        self.rom_name = "emulator"
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._seq = itertools.count(1)
        self._finalizer: weakref.finalize | None = None
        self._booted = False

    # -- process management ------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        path = [p or os.getcwd() for p in sys.path]
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(theirs.fileno()), json.dumps(path)],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # keep a TUI's terminal clean; stderr stays for crash reports
            )
        finally:
            theirs.close()  # the child holds its own copy; closing ours makes a dead child read as EOF
        conn = multiprocessing.connection.Connection(ours.detach())
        self._proc, self._conn = proc, conn
        self._finalizer = weakref.finalize(self, _kill, proc)
        if not conn.poll(self.start_timeout_s):
            self._discard()
            raise EmulatorCrashed(f"emulator process did not start within {self.start_timeout_s:.0f} s")
        try:
            conn.recv()
        except (EOFError, OSError):
            proc.wait(5)
            code = proc.returncode
            self._discard()
            raise EmulatorCrashed(f"emulator process died while starting (exit code {code})") from None

    def _discard(self) -> None:
        """Kill the child (if any) and forget it."""
        if self._finalizer is not None:
            self._finalizer()  # runs _kill once
            self._finalizer = None
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn, self._booted = None, None, False

    def _call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        if self._conn is None or self._proc is None:
            raise RuntimeError("emulator is not running; call boot() first")
        timeout = self.timeout_s if timeout is None else timeout
        seq = next(self._seq)
        try:
            self._conn.send((seq, op, args))
        except (BrokenPipeError, OSError):
            self._died(op)
        deadline = time.monotonic() + timeout
        while True:  # replies to other numbers belong to calls interrupted in the parent: skip them
            left = deadline - time.monotonic()
            if left <= 0 or not self._conn.poll(left):
                self._discard()
                raise EmulatorHang(
                    f"{self.rom_name}: emulator did not answer {op!r} within {timeout:.1f} s "
                    "(the ROM hangs the emulator); child process killed"
                )
            try:
                got, status, payload = self._conn.recv()
            except (EOFError, OSError):
                self._died(op)
            if got == seq:
                break
        if status == "ok":
            return payload
        err, child_tb = payload
        err.add_note(f"in the emulator child process:\n{child_tb}")
        raise err

    def _died(self, op: str) -> NoReturn:
        code = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(2)
            code = self._proc.returncode
        self._discard()
        raise EmulatorCrashed(f"{self.rom_name}: emulator process died during {op!r} (exit code {code})")

    def _require_booted(self) -> None:
        if not self._booted:
            raise RuntimeError("emulator has no ROM running; call boot() first")

    # -- public calls --------------------------------------------------------------------------------

    def boot(self, rom_path: str | os.PathLike[str], adapter: str | type | None = None) -> StepResult:
        """Validate the ROM here, then power it on in the child and run `boot_frames` frames.

        `adapter` ('module:Class' or a class) is instantiated in the child; its `read` feeds every
        returned state. Returns the first (frame, state). Raises RomError (EmulatorHang if it hangs).
        """
        rom = validate_rom(rom_path)
        self.rom_name = Path(rom_path).name
        path = adapter_path(adapter) if isinstance(adapter, type) else adapter
        if not self.alive:
            self._discard()
            self._start()
        self._booted = False
        timeout = self.timeout_s + self.boot_frames / MIN_FRAMES_PER_S
        result = self._call("boot", rom, self.rom_name, path, self.boot_frames, timeout=timeout)
        self._booted = True
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
        if self._conn is not None and self.alive:
            with contextlib.suppress(RomError, RuntimeError, OSError):
                self._call("close", timeout=2.0)
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(2)
        self._discard()

    def __enter__(self) -> GameBoyEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _button(name: str) -> str:
    upper = str(name).upper()
    if upper not in BUTTONS:
        raise ValueError(f"unknown button {name!r}; use one of {', '.join(BUTTONS)}")
    return upper
