"""Gymnasium env for Game Boy games: PyBoy (in a killable child process) + a game adapter.

Built for a reset-free runtime: `reset()` powers the cartridge on once, then `step()` runs forever
(`terminated` is never true). Continuity across process restarts comes from `save_state()` /
`load_state()`, which also carry our own frame counter (PyBoy's is not restored by its load_state).
"""

from __future__ import annotations

import hashlib
import string
import struct
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.gameboy.adapters import ADAPTERS, adapter_class
from envs.gameboy.game import BUTTONS, GameAdapter, GameState, RomError, rom_title
from envs.gameboy.emulator import DEFAULT_BOOT_FRAMES, SCREEN_SHAPE, GameBoyEmulator, adapter_path, validate_rom

# The text observation: printable ASCII and newlines, which covers GameState.to_text() and MAP_LEGEND.
TEXT_CHARSET: str = "".join(c for c in string.printable if c not in "\t\r\x0b\x0c")
TEXT_MAX_LENGTH = 16_384
_TEXT_CHARS = frozenset(TEXT_CHARSET)
_SYMBOLS = str.maketrans({"♂": "(M)", "♀": "(F)", "…": "...", "×": "x", "’": "'", "“": '"', "”": '"'})

STATE_MAGIC = b"CHGB"  # continual-harness Game Boy state
STATE_VERSION = 1
_STATE_HEADER = struct.Struct("<4sB20sQ")  # magic, version, sha1(ROM), our frame counter


def sanitize_text(text: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    """Fit `text` into the Text space: accents stripped, a few symbols spelled out, the rest '?'."""
    if not all(c in _TEXT_CHARS for c in text):
        text = unicodedata.normalize("NFKD", text.translate(_SYMBOLS))
        text = "".join(c if c in _TEXT_CHARS else "?" for c in text if not unicodedata.combining(c))
    return text[:max_length]


def resolve_adapter(game: str | type | None, rom: bytes, rom_name: str) -> type[GameAdapter]:
    """The adapter class for this ROM: the one named/given (checked), or the first that identifies it."""
    title = rom_title(rom)
    if game is None:
        unavailable = []
        for name in ADAPTERS:
            try:
                cls = adapter_class(name)
            except ImportError:
                unavailable.append(name)  # an adapter whose module is missing cannot claim the ROM
                continue
            if cls.identify(rom):
                return cls
        note = f" (adapters not installed: {', '.join(unavailable)})" if unavailable else ""
        raise RomError(
            f"{rom_name}: no game adapter recognises this ROM (title {title!r}); "
            f"known games: {', '.join(ADAPTERS)}{note}"
        )
    if isinstance(game, str):
        try:
            cls = adapter_class(game)
        except ImportError as e:
            raise RomError(f"game {game!r}: its adapter cannot be imported ({e})") from None
    elif isinstance(game, type):
        cls = game
    else:
        raise TypeError(f"game must be a name, an adapter class or None, got {type(game).__name__}")
    if not cls.identify(rom):
        check = getattr(cls, "check", None)  # adapters with a check() say which --env fits instead
        if callable(check):
            try:
                check(rom)
            except RomError as e:
                raise RomError(f"{rom_name}: {e}") from None
        raise RomError(f"{rom_name}: ROM title {title!r} is not a {cls.name} ROM")
    return cls


class GameBoyEnv(gym.Env[dict[str, Any], Any]):
    """One Game Boy cartridge as a gymnasium env.

    Action: an index into BUTTONS (the `action_space`), a button name, or a list of up to
    `max_presses` names/indices (an empty list waits one step). Each press holds the button
    `press_frames` frames and releases it for `release_frames`; idle frames follow until the step has
    used `frames_per_step` (more if the presses need more). Observation: the last frame (RGB) and the
    adapter's `GameState.to_text()`. `info`: state (GameState), presses, frame_count, milestones.
    """

    # One rendered frame per step; 30 fps plays a recording back fast (real time is 60/frames_per_step).
    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(
        self,
        rom_path: str | Path,
        game: str | type | None = None,
        frames_per_step: int = 120,
        press_frames: int = 8,
        release_frames: int = 16,
        render_mode: str | None = None,
        timeout_s: float = 10.0,
        *,
        max_presses: int = 5,
        boot_frames: int = DEFAULT_BOOT_FRAMES,
    ) -> None:
        if frames_per_step < 1:
            raise ValueError(f"frames_per_step must be at least 1, got {frames_per_step}")
        if press_frames < 1 or release_frames < 0:
            raise ValueError(
                f"need press_frames >= 1 and release_frames >= 0, got {press_frames} and {release_frames}"
            )
        if max_presses < 1:
            raise ValueError(f"max_presses must be at least 1, got {max_presses}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} not supported; use 'rgb_array' or None")
        self.rom_path = Path(rom_path)
        self._rom = validate_rom(self.rom_path)
        self._rom_sha1 = hashlib.sha1(self._rom).digest()
        self.adapter_cls = resolve_adapter(game, self._rom, self.rom_path.name)
        self.game: str = self.adapter_cls.name
        self.frames_per_step = frames_per_step
        self.press_frames = press_frames
        self.release_frames = release_frames
        self.max_presses = max_presses
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(len(BUTTONS))
        self.observation_space = spaces.Dict(
            {
                "frame": spaces.Box(0, 255, SCREEN_SHAPE, np.uint8),
                "text": spaces.Text(TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET),
            }
        )
        self._emu = GameBoyEmulator(timeout_s=timeout_s, boot_frames=boot_frames)
        self._adapter_path = adapter_path(self.adapter_cls)
        self.frame_count = 0  # frames since power-on; ours because PyBoy's is not restored by load_state
        self._obs: dict[str, Any] | None = None
        self._state: GameState | None = None

    # -- gymnasium API ---------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Power the cartridge on (a continual run calls this once). Emulation is deterministic."""
        super().reset(seed=seed)
        frame, state = self._emu.boot(self.rom_path, self._adapter_path)
        self.frame_count = self._emu.boot_frames
        return self._observe(frame, state, [])

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        presses = self.parse_action(action)
        frames = max(self.frames_per_step, len(presses) * (self.press_frames + self.release_frames))
        frame, state = self._emu.step(presses, frames, self.press_frames, self.release_frames)
        self.frame_count += frames
        obs, info = self._observe(frame, state, presses)
        return obs, 0.0, False, False, info

    def render(self) -> np.ndarray:
        """The last frame, RGB uint8 (144, 160, 3) (the only render mode is rgb_array)."""
        if self._obs is None:
            raise RuntimeError("call reset() before render()")
        return self._obs["frame"]

    def close(self) -> None:
        self._emu.close()
        self._obs = None

    # -- continuity --------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        """Emulator state + our frame counter, tagged with the ROM's SHA-1."""
        if self._obs is None:
            raise RuntimeError("call reset() before save_state()")
        header = _STATE_HEADER.pack(STATE_MAGIC, STATE_VERSION, self._rom_sha1, self.frame_count)
        return header + self._emu.save_state()

    def load_state(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        """Restore a `save_state()` blob (needs a prior reset); returns the restored (obs, info)."""
        if self._obs is None:
            raise RuntimeError("call reset() before load_state()")
        data = bytes(data)
        if len(data) < _STATE_HEADER.size:
            raise ValueError(f"not a Game Boy env state ({len(data)} bytes)")
        magic, version, rom_sha1, frame_count = _STATE_HEADER.unpack_from(data)
        if magic != STATE_MAGIC:
            raise ValueError("not a Game Boy env state (bad magic)")
        if version != STATE_VERSION:
            raise ValueError(f"Game Boy env state version {version} is not supported (want {STATE_VERSION})")
        if rom_sha1 != self._rom_sha1:
            raise ValueError(f"state was saved from a different ROM than {self.rom_path.name}")
        frame, state = self._emu.load_state(data[_STATE_HEADER.size :])
        self.frame_count = frame_count
        return self._observe(frame, state, [])

    # -- helpers -----------------------------------------------------------------------------------

    def parse_action(self, action: Any) -> list[str]:
        """Action -> button names. Accepts an index, a name, or a list of them (max `max_presses`)."""
        if isinstance(action, str | int | np.integer):
            items: Sequence[Any] = [action]
        elif isinstance(action, np.ndarray) and action.ndim == 0:
            items = [action.item()]
        elif isinstance(action, Sequence | np.ndarray):
            items = list(action)
        else:
            raise ValueError(f"action must be a button index, a name or a list of them, got {action!r}")
        if len(items) > self.max_presses:
            raise ValueError(f"{len(items)} presses in one step; at most {self.max_presses}")
        return [_button_name(a) for a in items]

    @property
    def emulator(self) -> GameBoyEmulator:
        """The emulator behind the env (e.g. `read_memory` for debugging an adapter)."""
        return self._emu

    @property
    def state(self) -> GameState | None:
        """The last GameState seen (None before reset)."""
        return self._state

    def _observe(
        self, frame: np.ndarray, state_dict: dict[str, Any] | None, presses: list[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if state_dict is None:  # cannot happen with an adapter; keeps the contract explicit
            raise RomError(f"{self.rom_path.name}: the emulator returned no game state")
        state = GameState.model_validate(state_dict)
        self._state = state
        self._obs = {"frame": frame, "text": sanitize_text(state.to_text())}
        info = {
            "state": state,
            "presses": presses,
            "frame_count": self.frame_count,
            "milestones": list(state.milestones),
        }
        return self._obs, info


def _button_name(a: Any) -> str:
    if isinstance(a, bool):
        raise ValueError(f"not a button: {a!r}")
    if isinstance(a, int | np.integer):
        if not 0 <= int(a) < len(BUTTONS):
            raise ValueError(f"button index {int(a)} out of range 0..{len(BUTTONS) - 1}")
        return BUTTONS[int(a)]
    if isinstance(a, str) and a.strip().upper() in BUTTONS:
        return a.strip().upper()
    raise ValueError(f"unknown button {a!r}; use one of {', '.join(BUTTONS)} or 0..{len(BUTTONS) - 1}")

