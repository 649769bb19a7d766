"""What the Game Boy and Game Boy Advance envs share: a cartridge in an emulator child process, one action
tool (press_buttons over the platform's buttons), the adapter's GameState as the observation text, and
savestates tagged with the ROM's SHA-1 and our own frame counter.

`CartridgeEnv` is the gymnasium env; a platform subclass (envs/gameboy/env.py, envs/gba/env.py) names its
buttons, state magic, emulator, adapter table and words. The emulator is anything with `boot(rom, adapter)`,
`step(presses, frames, press_frames, release_frames)`, `save_state()`, `load_state(blob)` (each returning
(frame, state dict) where it observes), `boot_frames` and `close()`.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, Field, create_model, field_validator

from envs.base import (
    TEXT_CHARSET,
    TEXT_MAX_LENGTH,
    ActionSpec,
    Progress,
    RomError,
    sanitize_text,
    validate_action,
)
from envs.gameboy.game import GameState

PRESS_BUTTONS = "press_buttons"
STATE_VERSION = 1
_STATE_HEADER = struct.Struct("<4sB20sQ")  # magic, version, sha1(ROM), our frame counter


def button_name(a: Any, buttons: tuple[str, ...]) -> str:
    """A button given by name (any case) or index into `buttons` -> its name; ValueError otherwise."""
    if isinstance(a, bool):
        raise ValueError(f"not a button: {a!r}")
    if isinstance(a, int | np.integer):
        if not 0 <= int(a) < len(buttons):
            raise ValueError(f"button index {int(a)} out of range 0..{len(buttons) - 1}")
        return buttons[int(a)]
    if isinstance(a, str) and a.strip().upper() in buttons:
        return a.strip().upper()
    raise ValueError(f"unknown button {a!r}; use one of {', '.join(buttons)} or 0..{len(buttons) - 1}")


@lru_cache
def press_buttons_model(name: str, buttons: tuple[str, ...], max_presses: int = 5,
                        doc: str = "Arguments of press_buttons: the buttons to press, in order.") -> type[BaseModel]:
    """The arguments of press_buttons for these buttons, at most `max_presses` of them (the JSON schema the
    model sees says so; its title is `name`, plus the limit when it is not 5). "up, a" / "UP A" and lower
    case are accepted; the first unknown button is named."""

    def normalise(cls: type, v: Any) -> Any:
        if isinstance(v, str):
            v = [p for p in re.split(r"[\s,;]+", v) if p]
        if isinstance(v, list | tuple):
            out = []
            for b in v:
                button = b.strip().upper() if isinstance(b, str) else b
                if button not in buttons:
                    raise ValueError(f"unknown button {b!r}; use {', '.join(buttons)}")
                out.append(button)
            return out
        return v

    return create_model(
        name if max_presses == 5 else f"{name}{max_presses}",
        __doc__=doc,
        __validators__={"_normalise": field_validator("buttons", mode="before")(classmethod(normalise))},
        buttons=(list[Literal[buttons]],  # type: ignore[valid-type]
                 Field(min_length=1, max_length=max_presses,
                       description="buttons to press in order, e.g. [\"UP\", \"A\"]")),
    )


def resolve_adapter(game: str | type | None, rom: bytes, rom_name: str, *, adapters: dict[str, str],
                    adapter_class: Callable[[str], type], describe: Callable[[bytes], str], platform: str) -> type:
    """The adapter class for this ROM: the one named/given (checked), or the first in `adapters` that
    identifies it. Every failure is a RomError with one line that says what the ROM is."""
    if game is None:
        unavailable = []
        for name in adapters:
            try:
                cls = adapter_class(name)
            except ImportError:
                unavailable.append(name)  # an adapter whose module is missing cannot claim the ROM
                continue
            if cls.identify(rom):
                return cls
        note = f" (adapters not installed: {', '.join(unavailable)})" if unavailable else ""
        raise RomError(f"{rom_name}: no game adapter recognises this {platform} ROM ({describe(rom)}); "
                       f"known games: {', '.join(adapters)}{note}")
    if isinstance(game, str):
        try:
            cls = adapter_class(game)
        except ValueError as e:
            raise RomError(str(e)) from None
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
        raise RomError(f"{rom_name}: ROM ({describe(rom)}) is not a {cls.name} ROM")
    return cls


class CartridgeEnv(gym.Env[dict[str, Any], Any]):
    """One cartridge as a gymnasium env meeting the contract in envs/base.py.

    Built for a reset-free runtime: `reset()` powers the cartridge on once, then `step()` runs forever
    (`terminated` is never true). Continuity across process restarts comes from `save_state()` /
    `load_state()`, which also carry our own frame counter.

    Action: `{"name": "press_buttons", "arguments": {"buttons": [...]}}` (the one ActionSpec), None (no
    press: one idle step), or the legacy forms: an index into `buttons` (the `action_space`), a button name,
    or a list of up to `max_presses` names/indices (an empty list waits one step). Each press holds the
    button `press_frames` frames and releases it for `release_frames`; idle frames follow until the step has
    used `frames_per_step` (more if the presses need more).
    Observation: the last frame (RGB) and the adapter's `GameState.to_text()`. `info`: progress (Progress:
    where=(location, x, y)), action_cost (presses), game (GameState), presses (names), frame_count.
    """

    # a platform sets these
    platform: ClassVar[str]  # "Game Boy", in messages
    buttons: ClassVar[tuple[str, ...]]
    state_magic: ClassVar[bytes]
    screen_shape: ClassVar[tuple[int, int, int]]
    press_model_name: ClassVar[str]
    press_model_doc: ClassVar[str] = "Arguments of press_buttons: the buttons to press, in order."
    press_description: ClassVar[str]  # after "Press 1 to N <platform> buttons in order (each press counts). "
    press_examples: ClassVar[tuple[dict[str, Any], ...]]
    default_game: ClassVar[str | None] = None
    # the platform's functions, as staticmethods: validate_rom(path) -> bytes; resolve_adapter(game, rom,
    # rom_name) -> adapter class; adapter_path(cls) -> the adapter's import path for the child process
    validate_rom: ClassVar[Callable[[Path], bytes]]
    resolve_adapter: ClassVar[Callable[[str | type | None, bytes, str], type]]
    adapter_path: ClassVar[Callable[[type], str]]
    emulator_cls: ClassVar[Callable[..., Any]]  # emulator_cls(timeout_s=, boot_frames=)
    default_boot_frames: ClassVar[int]

    # One frame per step; 30 fps plays a recording back fast (real time is 60/frames_per_step).
    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    # -- the env -------------------------------------------------------------------------------------

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
        boot_frames: int | None = None,
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
        self._rom = self.validate_rom(self.rom_path)
        self._rom_sha1 = hashlib.sha1(self._rom).digest()
        self.adapter_cls = self.resolve_adapter(game if game is not None else self.default_game, self._rom,
                                                self.rom_path.name)
        self.game: str = self.adapter_cls.name
        self.frames_per_step = frames_per_step
        self.press_frames = press_frames
        self.release_frames = release_frames
        self.max_presses = max_presses
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(len(self.buttons))  # the legacy index form; models use action_tools()
        self._action_tools = [
            ActionSpec(
                name=PRESS_BUTTONS,
                description=f"Press 1 to {max_presses} {self.platform} buttons in order (each press counts). "
                            + self.press_description,
                args=press_buttons_model(self.press_model_name, self.buttons, max_presses, self.press_model_doc),
                examples=self.press_examples,
            )
        ]
        self.observation_space = spaces.Dict(
            {
                "frame": spaces.Box(0, 255, self.screen_shape, np.uint8),
                "text": spaces.Text(TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET),
            }
        )
        self._emu = self.emulator_cls(timeout_s=timeout_s,
                                      boot_frames=self.default_boot_frames if boot_frames is None else boot_frames)
        self._adapter_file = self.adapter_path(self.adapter_cls)
        self.frame_count = 0  # frames since power-on, carried by our savestates
        self._obs: dict[str, Any] | None = None
        self._state: GameState | None = None

    # -- gymnasium API -------------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Power the cartridge on (a continual run calls this once). Emulation is deterministic."""
        super().reset(seed=seed)
        frame, state = self._emu.boot(self.rom_path, self._adapter_file)
        self.frame_count = self._emu.boot_frames
        return self._observe(frame, state, [])

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        """One step: the presses in `action`, then idle frames (see the class docstring for the forms)."""
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        presses = self.parse_action(action)
        frames = max(self.frames_per_step, len(presses) * (self.press_frames + self.release_frames))
        frame, state = self._emu.step(presses, frames, self.press_frames, self.release_frames)
        self.frame_count += frames
        obs, info = self._observe(frame, state, presses)
        return obs, 0.0, False, False, info

    def render(self) -> np.ndarray:
        """The last frame, RGB uint8 `screen_shape` (the only render mode is rgb_array)."""
        if self._obs is None:
            raise RuntimeError("call reset() before render()")
        return self._obs["frame"]

    def close(self) -> None:
        self._emu.close()
        self._obs = None

    # -- continuity ----------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        """Emulator state + our frame counter, tagged with the ROM's SHA-1."""
        if self._obs is None:
            raise RuntimeError("call reset() before save_state()")
        header = _STATE_HEADER.pack(self.state_magic, STATE_VERSION, self._rom_sha1, self.frame_count)
        return header + self._emu.save_state()

    def load_state(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        """Restore a `save_state()` blob (needs a prior reset); returns the restored (obs, info)."""
        if self._obs is None:
            raise RuntimeError("call reset() before load_state()")
        data = bytes(data)
        what = f"{self.platform} env state"
        if len(data) < _STATE_HEADER.size:
            raise ValueError(f"not a {what} ({len(data)} bytes)")
        magic, version, rom_sha1, frame_count = _STATE_HEADER.unpack_from(data)
        if magic != self.state_magic:
            raise ValueError(f"not a {what} (bad magic)")
        if version != STATE_VERSION:
            raise ValueError(f"{what} version {version} is not supported (want {STATE_VERSION})")
        if rom_sha1 != self._rom_sha1:
            raise ValueError(f"state was saved from a different ROM than {self.rom_path.name}")
        frame, state = self._emu.load_state(data[_STATE_HEADER.size :])
        self.frame_count = frame_count
        return self._observe(frame, state, [])

    def action_tools(self) -> list[ActionSpec]:
        """One action: press_buttons."""
        return list(self._action_tools)

    # -- helpers -------------------------------------------------------------------------------------

    def parse_action(self, action: Any) -> list[str]:
        """Action -> button names. Accepts the action dict, None, an index, a name, or a list of them."""
        if action is None:
            return []
        if isinstance(action, dict):
            _, args = validate_action(self._action_tools, action)
            return list(args.buttons)  # type: ignore[attr-defined]
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
        return [button_name(a, self.buttons) for a in items]

    @property
    def emulator(self) -> Any:
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
            # off the map (title screen, intro) a position would name a place the player is not on yet
            "progress": Progress(
                where=(state.location, state.x, state.y) if state.on_map else (state.location,),
                label=f"{state.location} ({state.x}, {state.y})" if state.on_map else state.location,
                milestones=list(state.milestones),
            ),
            "action_cost": len(presses),
            "game": state,
            "presses": presses,
            "frame_count": self.frame_count,
        }
        return self._obs, info
