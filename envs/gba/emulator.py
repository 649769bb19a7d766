"""mGBA in a child process we can always kill (the process and RPC machinery live in envs/_child.py).

The Game Boy Advance twin of envs/gameboy/emulator.py: the ROM is checked here in the parent (one line per
mistake: missing file, empty, not a GBA ROM), then the child loads it with `mgba.core.load_path`, runs it,
and answers one request per env step. Game adapters run *inside* the child on a `GBAMemory` view of the
emulator's memory (`MGBAMemory`: EWRAM, IWRAM and the cartridge are read as slices of the core's own
buffers, so reading 150 bytes costs one slice, not 150 FFI calls), and a whole env step (key presses,
frames, the frame copy, the adapter read) is a single round trip.

Frames do not travel through the socket: the child writes each RGB frame into a small shared file mapping
(/dev/shm) that the parent copies out of, which saves pickling and piping 115 KB a step (~0.12 ms of CPU of the
~0.3 ms a round trip costs beyond the emulation itself).

Savestates are mGBA's raw state plus the frame on screen and the cartridge's save memory (SRAM / flash /
EEPROM): mGBA's raw state holds neither the rendered picture (a loaded state must show what was on screen
when it was saved) nor the save memory's contents (an in-game save made after a savestate would survive
loading it). With both, they round-trip exactly.
"""

from __future__ import annotations

import contextlib
import inspect
import mmap
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from envs._child import ChildCrashed, ChildHang, ChildProcess, import_object, object_path
from envs.gba.game import EWRAM, EWRAM_SIZE, GBA_BUTTONS, IWRAM, IWRAM_SIZE, ROM_BASE, ROM_MAX, RomError, header_ok

SCREEN_SHAPE: tuple[int, int, int] = (160, 240, 3)
MIN_ROM_SIZE = 0xC0  # the cartridge header
MAX_ROM_SIZE = ROM_MAX  # 32 MiB, the largest GBA cartridge; stops us reading a huge stray file
FIXED_HEADER_BYTE = 0x96  # every GBA header holds 0x96 at 0xB2
DEFAULT_BOOT_FRAMES = 120
MIN_FRAMES_PER_S = 500  # pessimistic emulation speed used to stretch timeouts for long runs of frames
# mGBA key bit numbers (mgba.gba.GBA.KEY_*), by our button name
KEY_BITS: dict[str, int] = {
    "A": 0, "B": 1, "SELECT": 2, "START": 3, "RIGHT": 4, "LEFT": 5, "UP": 6, "DOWN": 7, "R": 8, "L": 9,
}  # fmt: skip
assert set(KEY_BITS) == set(GBA_BUTTONS)

_STATE_HEADER = struct.Struct("<4sIII")  # magic; lengths of mGBA's raw state, the RGB frame, the save memory
_STATE_MAGIC = b"MGBS"

FRAME_BYTES = SCREEN_SHAPE[0] * SCREEN_SHAPE[1] * SCREEN_SHAPE[2]

StepResult = tuple[np.ndarray, dict[str, Any] | None]  # (RGB frame, GameState dict or None)
# What the child answers: the frame is None when it went into the shared frame mapping.
_ChildResult = tuple[np.ndarray | None, dict[str, Any] | None]


class EmulatorHang(ChildHang):
    """The child did not answer in time (the ROM hangs the emulator); it has been killed."""


class EmulatorCrashed(ChildCrashed):
    """The child process died while serving a request (e.g. the emulator crashed on this ROM)."""


def validate_rom(path: str | os.PathLike[str]) -> bytes:
    """Read a ROM file and reject what is not a GBA ROM, with one line naming the file.

    Done in the parent so the common mistakes (wrong path, empty or truncated download, a file that is
    not a GBA cartridge: a Game Boy ROM, a zip) are reported without starting an emulator.
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
        raise RomError(f"{name}: {size} bytes is larger than any GBA ROM (max {MAX_ROM_SIZE})")
    if size < MIN_ROM_SIZE:
        raise RomError(f"{name}: truncated or not a GBA ROM ({size} bytes, shorter than the {MIN_ROM_SIZE}-byte "
                       "cartridge header)")
    try:
        rom = p.read_bytes()
    except OSError as e:
        raise RomError(f"{name}: cannot read ROM file ({e.strerror})") from None
    if not header_ok(rom) or rom[0xB2] != FIXED_HEADER_BYTE:
        raise RomError(f"{name}: not a GBA ROM (bad cartridge header: complement byte or fixed value wrong)")
    return rom


def adapter_path(cls: type) -> str:
    """'module:QualName' for a class the child can import (the child cannot unpickle a local class)."""
    try:
        return object_path(cls)
    except ValueError:
        raise ValueError(
            f"adapter {cls.__qualname__} must be a module-level class in an importable module"
        ) from None


def rgb_frame(rgbx: np.ndarray) -> np.ndarray:
    """mGBA's RGBX frame buffer (H, W, 4) -> a new contiguous RGB array (H, W, 3).

    Copies one channel plane at a time: ~7x faster than `np.ascontiguousarray(rgbx[:, :, :3])`, whose
    generic strided copy of a 3-byte inner axis costs ~0.3 ms a frame.
    """
    out = np.empty((*rgbx.shape[:2], 3), np.uint8)
    for c in range(3):
        out[:, :, c] = rgbx[:, :, c]
    return out


def _button_mask(names: Sequence[str]) -> int:
    mask = 0
    for name in names:
        mask |= 1 << KEY_BITS[name]
    return mask


# --------------------------------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------------------------------


class MGBAMemory:
    """The GBAMemory protocol (envs/gba/game.py) over a running mGBA core.

    EWRAM, IWRAM and the cartridge ROM are memoryviews of mGBA's own buffers (`mCoreGetMemoryBlock`), so
    `read` is one slice; anything else (I/O registers, VRAM, palette, OAM) goes through mGBA's bus, a byte
    at a time. Reads never have side effects.
    """

    def __init__(self, core: Any) -> None:
        from mgba._pylib import ffi, lib

        self._core = core
        self._regions: list[tuple[int, int, memoryview]] = []
        for base, limit in ((EWRAM, EWRAM_SIZE), (IWRAM, IWRAM_SIZE), (ROM_BASE, ROM_MAX)):
            size = ffi.new("size_t *")
            ptr = lib.mCoreGetMemoryBlock(core._core, base, size)
            if ptr != ffi.NULL and size[0]:
                n = min(int(size[0]), limit)
                self._regions.append((base, base + n, memoryview(ffi.buffer(ptr, n))))

    def read(self, addr: int, n: int) -> bytes:
        if n <= 0:
            return b""
        for start, end, view in self._regions:
            if start <= addr < end:
                off = addr - start
                out = bytes(view[off : off + n])
                return out if len(out) == n else out + self._bus(end, n - len(out))
        return self._bus(addr, n)

    def _bus(self, addr: int, n: int) -> bytes:
        u8 = self._core.memory.u8
        return bytes(u8[(addr + i) & 0xFFFFFFFF] for i in range(n))


class EmulatorServer:
    """Owns the mGBA core inside the child. Each `op_*` method is one request type."""

    def __init__(self) -> None:
        self.core: Any = None
        self.image: Any = None
        self.frame_view: np.ndarray | None = None
        self.memory: MGBAMemory | None = None
        self.adapter: Any = None
        self.shared: mmap.mmap | None = None  # the frame mapping shared with the parent (None: frames by value)
        self.shared_view: np.ndarray | None = None

    def _need(self) -> Any:
        if self.core is None:
            raise RuntimeError("emulator has no ROM loaded; call boot() first")
        return self.core

    def close(self) -> None:
        self.core = self.image = self.frame_view = self.memory = self.adapter = self.shared_view = None
        if self.shared is not None:
            with contextlib.suppress(BufferError):  # a view still exported: the mapping goes with the process
                self.shared.close()
            self.shared = None

    def op_boot(
        self, rom_path: str, rom: bytes, name: str, adapter: str | None, boot_frames: int,
        frame_path: str | None = None,
    ) -> _ChildResult:
        """Load and power on the ROM; `frame_path`: the parent's frame file to map (frames then go there)."""
        import mgba.core
        import mgba.image
        import mgba.log

        mgba.log.silence()  # mGBA logs game errors (bad I/O writes...) to stderr otherwise
        self.close()
        core = mgba.core.load_path(rom_path)
        if core is None:
            raise RomError(f"{name}: mGBA cannot load this file as a ROM")
        if core.platform != core.PLATFORM_GBA:
            raise RomError(f"{name}: not a GBA ROM (mGBA sees another platform, e.g. a Game Boy cartridge)")
        width, height = core.desired_video_dimensions()
        if (height, width, 3) != SCREEN_SHAPE:
            raise RomError(f"{name}: unexpected video size {width}x{height} (a GBA screen is 240x160)")
        self.image = mgba.image.Image(width, height)
        core.set_video_buffer(self.image)
        core.reset()
        from mgba._pylib import ffi

        self.frame_view = np.frombuffer(ffi.buffer(self.image.buffer), np.uint8).reshape(height, width, 4)
        self.core = core
        self.memory = MGBAMemory(core)
        if frame_path is not None:
            with open(frame_path, "r+b") as fh:
                self.shared = mmap.mmap(fh.fileno(), FRAME_BYTES)
            self.shared_view = np.frombuffer(self.shared, np.uint8).reshape(SCREEN_SHAPE)
        # Run the first frames now, under the caller's timeout, so a ROM that hangs is caught here.
        for _ in range(boot_frames):
            core.run_frame()
        if adapter is not None:
            cls = import_object(adapter)
            takes_rom = "rom" in inspect.signature(cls).parameters  # adapters that decode tables from the ROM
            self.adapter = cls(rom=rom) if takes_rom else cls()
        return self.op_observe()

    def _run(self, frames: int) -> None:
        run_frame = self.core.run_frame
        for _ in range(frames):
            run_frame()

    def op_step(
        self, buttons: Sequence[str], frames: int, press_frames: int, release_frames: int
    ) -> _ChildResult:
        """Each button held `press_frames` then released `release_frames`; idle frames up to `frames` in all."""
        core = self._need()
        for b in buttons:
            core.set_keys(raw=_button_mask([b]))
            self._run(press_frames)
            core.set_keys(raw=0)
            self._run(release_frames)
        self._run(frames - len(buttons) * (press_frames + release_frames))
        return self.op_observe()

    def op_observe(self) -> _ChildResult:
        return self.op_screen(), self.op_read_state()

    def op_screen(self) -> np.ndarray | None:
        """The frame on screen as RGB: into the shared mapping (returns None) or by value."""
        self._need()
        if self.shared_view is None:
            return rgb_frame(self.frame_view)  # type: ignore[arg-type]
        for c in range(3):  # rgb_frame() without the allocation
            self.shared_view[:, :, c] = self.frame_view[:, :, c]  # type: ignore[index]
        return None

    def op_read_state(self) -> dict[str, Any] | None:
        if self.adapter is None:
            return None
        self._need()
        return self.adapter.read(self.memory).model_dump()

    def op_read_memory(self, addr: int, n: int) -> bytes:
        if addr < 0 or n < 0 or addr + n > 1 << 32:
            raise ValueError(f"memory range 0x{addr:X}+{n} is outside the 32-bit bus")
        self._need()
        return self.memory.read(addr, n)  # type: ignore[union-attr]

    def _savedata(self) -> bytes:
        """A copy of the cartridge's save memory (b"" while the game has not used any)."""
        from mgba._pylib import ffi, lib

        native = self.core._core
        ptr = ffi.new("void **")
        size = native.savedataClone(native, ptr)
        if not size:
            return b""
        try:
            return bytes(ffi.buffer(ptr[0], size))
        finally:
            lib.free(ptr[0])

    def _restore_savedata(self, data: bytes) -> None:
        """Put `data` back as the save memory (no file is written: the core has none)."""
        from mgba._pylib import ffi

        if not data:  # saved before the game used any: blank what it has used since
            data = b"\xff" * len(self._savedata())
            if not data:
                return
        native = self.core._core
        if not native.savedataRestore(native, ffi.from_buffer(data), len(data), True):
            raise ValueError(f"mGBA refused the state's {len(data)}-byte save memory")

    def op_save_state(self) -> bytes:
        from mgba._pylib import ffi

        raw = self._need().save_raw_state()
        if raw is None:
            raise RuntimeError("mGBA could not save its state")
        state = bytes(ffi.buffer(raw))
        frame = rgb_frame(self.frame_view).tobytes()  # type: ignore[arg-type]
        save = self._savedata()
        return _STATE_HEADER.pack(_STATE_MAGIC, len(state), len(frame), len(save)) + state + frame + save

    def op_load_state(self, data: bytes) -> _ChildResult:
        core = self._need()
        if len(data) < _STATE_HEADER.size:
            raise ValueError(f"not an mGBA env state ({len(data)} bytes)")
        magic, n_state, n_frame, n_save = _STATE_HEADER.unpack_from(data)
        if magic != _STATE_MAGIC or _STATE_HEADER.size + n_state + n_frame + n_save != len(data):
            raise ValueError("not an mGBA env state (bad header or length)")
        if n_frame != FRAME_BYTES:
            raise ValueError(f"mGBA env state holds a {n_frame}-byte frame, not {FRAME_BYTES}")
        state = data[_STATE_HEADER.size : _STATE_HEADER.size + n_state]
        if not core.load_raw_state(state):
            raise ValueError("mGBA refused the savestate (corrupt, or from another ROM or mGBA version)")
        frame = np.frombuffer(data, np.uint8, n_frame, _STATE_HEADER.size + n_state).reshape(SCREEN_SHAPE)
        self.frame_view[:, :, :3] = frame  # type: ignore[index]
        self._restore_savedata(data[len(data) - n_save :] if n_save else b"")  # after the raw state: it sets the type
        return self.op_observe()


# --------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------


class GBAEmulator:
    """An mGBA core (headless, no audio output) living in a killable child process.

    Every call waits at most `timeout_s` (plus time for long runs of frames); a call that times out kills
    the child and raises `EmulatorHang`. After a hang or crash, `boot()` starts a fresh child.
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
            name="mGBA",
            timeout_s=timeout_s,
            start_timeout_s=start_timeout_s,
            hang_error=EmulatorHang,
            crash_error=EmulatorCrashed,
            hang_hint="the ROM hangs the emulator",
        )
        self._booted_pid: int | None = None  # the child that runs a booted ROM (a hang or crash forgets it)
        self._frames: mmap.mmap | None = None  # the frame mapping shared with the booted child
        self._frames_view: np.ndarray | None = None

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

    def _frame(self, frame: np.ndarray | None) -> np.ndarray:
        """The child's frame: as sent, or copied out of the shared mapping."""
        if frame is not None:
            return frame
        if self._frames_view is None:
            raise RuntimeError("the emulator child wrote a frame nobody maps")
        return self._frames_view.copy()

    def _result(self, result: _ChildResult) -> StepResult:
        frame, state = result
        return self._frame(frame), state

    def _new_frame_file(self) -> str:
        """A fresh frame-sized file for the next child to map (in /dev/shm where there is one), mapped here."""
        self._drop_frames()
        shm = "/dev/shm"
        fd, path = tempfile.mkstemp(prefix="gba-frame-", dir=shm if os.path.isdir(shm) else None)
        try:
            os.ftruncate(fd, FRAME_BYTES)
            self._frames = mmap.mmap(fd, FRAME_BYTES)
        finally:
            os.close(fd)
        self._frames_view = np.frombuffer(self._frames, np.uint8).reshape(SCREEN_SHAPE)
        return path

    def _drop_frames(self) -> None:
        self._frames_view = None
        if self._frames is not None:
            with contextlib.suppress(BufferError):  # a frame view still exported: the mapping goes with it
                self._frames.close()
            self._frames = None

    def _require_booted(self) -> None:
        if self._booted_pid is None or self._booted_pid != self._child.pid:
            raise RuntimeError("emulator has no ROM running; call boot() first")

    def _frames_timeout(self, frames: int) -> float:
        return self.timeout_s + frames / MIN_FRAMES_PER_S

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
        frame_path = self._new_frame_file()
        try:  # both sides hold the mapping once the child has booted: the name can go at once
            result = self._call("boot", str(Path(rom_path).resolve()), rom, self.rom_name, path, self.boot_frames,
                                frame_path, timeout=self._frames_timeout(self.boot_frames))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(frame_path)
        self._booted_pid = self._child.pid
        return self._result(result)

    def step(
        self, buttons: Sequence[str], frames: int = 120, press_frames: int = 8, release_frames: int = 16
    ) -> StepResult:
        """One round trip: presses, idle frames to `frames` in total, the frame copy, the adapter read.

        Runs max(frames, presses * (press_frames + release_frames)) frames.
        """
        self._require_booted()
        if frames < 1 or press_frames < 1 or release_frames < 0:
            raise ValueError("need frames >= 1, press_frames >= 1, release_frames >= 0")
        names = [_button(b) for b in buttons]
        total = max(frames, len(names) * (press_frames + release_frames))
        return self._result(
            self._call("step", names, total, press_frames, release_frames, timeout=self._frames_timeout(total))
        )

    def observe(self) -> StepResult:
        """The current frame and adapter state without advancing time."""
        self._require_booted()
        return self._result(self._call("observe"))

    def screen(self) -> np.ndarray:
        """The last rendered frame, RGB uint8 (160, 240, 3)."""
        self._require_booted()
        return self._frame(self._call("screen"))

    def read_state(self) -> dict[str, Any] | None:
        """The adapter's GameState as a dict (None when booted without an adapter)."""
        self._require_booted()
        return self._call("read_state")

    def read_memory(self, addr: int, n: int = 1) -> bytes:
        """`n` bytes of the GBA bus starting at `addr`, in one round trip."""
        self._require_booted()
        return self._call("read_memory", addr, n)

    def save_state(self) -> bytes:
        """mGBA's raw state plus the frame on screen (an exact round trip through `load_state`)."""
        self._require_booted()
        return self._call("save_state")

    def load_state(self, data: bytes) -> StepResult:
        """Restore a `save_state()` blob; returns the restored (frame, state). ValueError if unusable."""
        self._require_booted()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"state must be bytes, got {type(data).__name__}")
        return self._result(self._call("load_state", bytes(data)))

    def close(self) -> None:
        """Stop the emulator and its process. Safe to call twice."""
        self._child.close()
        self._booted_pid = None
        self._drop_frames()

    def __enter__(self) -> GBAEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _button(name: str) -> str:
    upper = str(name).upper()
    if upper not in KEY_BITS:
        raise ValueError(f"unknown button {name!r}; use one of {', '.join(GBA_BUTTONS)}")
    return upper
