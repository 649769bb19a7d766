"""Gymnasium env for Game Boy Advance games: mGBA (in a killable child process) + a game adapter, meeting the
env contract in envs/base.py (one action tool, press_buttons, with the GBA's ten buttons; info["progress"]
where=(location, x, y)).

The twin of envs/gameboy/env.py: built for a reset-free runtime, `reset()` powers the cartridge on once, then
`step()` runs forever (`terminated` is never true). Continuity across process restarts comes from
`save_state()` / `load_state()`, which also carry our own frame counter and the frame on screen.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, Field, create_model, field_validator

from envs.base import TEXT_CHARSET, TEXT_MAX_LENGTH, ActionSpec, Progress, sanitize_text, validate_action
from envs.gameboy.env import button_name
from envs.gba.adapters import ADAPTERS, adapter_class
from envs.gba.emulator import DEFAULT_BOOT_FRAMES, SCREEN_SHAPE, GBAEmulator, adapter_path, validate_rom
from envs.gba.game import GBA_BUTTONS, GameState, GBAGameAdapter, RomError, rom_code, rom_title

__all__ = ["GBAEnv", "GBAPressButtons", "resolve_adapter"]

STATE_MAGIC = b"CHGA"  # continual-harness Game Boy Advance state
STATE_VERSION = 1
_STATE_HEADER = struct.Struct("<4sB20sQ")  # magic, version, sha1(ROM), our frame counter

PRESS_BUTTONS = "press_buttons"
INSTRUCTIONS = """\
Each turn you see the Game Boy Advance screen as text: your location, position (x, y; y grows downward),
facing, any dialog on screen, and a map of the cells around you (@ you, . walkable, # wall, ? object,
N person, D door / exit, ~ water, g tall grass, _ ledge you can only jump down).
A direction moves one cell, or first turns you to face that way. A talks to what you face and advances
dialog; B cancels; START opens the menu; L and R are shoulder buttons some games use."""


class GBAPressButtons(BaseModel):
    """Arguments of press_buttons: the GBA buttons to press, in order."""

    buttons: list[Literal["UP", "DOWN", "LEFT", "RIGHT", "A", "B", "L", "R", "START", "SELECT"]] = Field(
        min_length=1, max_length=5, description="buttons to press in order, e.g. [\"UP\", \"A\"]"
    )

    @field_validator("buttons", mode="before")
    @classmethod
    def _normalise(cls, v: Any) -> Any:
        """Accept "up, a" / "UP A" and lower case; name the first button that is not one."""
        if isinstance(v, str):
            v = [p for p in re.split(r"[\s,;]+", v) if p]
        if isinstance(v, list | tuple):
            out = []
            for b in v:
                name = b.strip().upper() if isinstance(b, str) else b
                if name not in GBA_BUTTONS:
                    raise ValueError(f"unknown button {b!r}; use {', '.join(GBA_BUTTONS)}")
                out.append(name)
            return out
        return v


@lru_cache
def press_buttons_args(max_presses: int) -> type[GBAPressButtons]:
    """GBAPressButtons with `max_presses` as its length limit (the JSON schema the model sees says so)."""
    if max_presses == 5:
        return GBAPressButtons
    field = GBAPressButtons.model_fields["buttons"]
    return create_model(
        f"GBAPressButtons{max_presses}",
        __base__=GBAPressButtons,
        buttons=(field.annotation, Field(min_length=1, max_length=max_presses, description=field.description)),
    )


def _describe(rom: bytes) -> str:
    return f"title {rom_title(rom)!r}, code {rom_code(rom)!r}"


def resolve_adapter(game: str | type | None, rom: bytes, rom_name: str) -> type[GBAGameAdapter]:
    """The adapter class for this ROM: the one named/given (checked), or the first that identifies it."""
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
            f"{rom_name}: no GBA game adapter recognises this ROM ({_describe(rom)}); "
            f"known games: {', '.join(ADAPTERS)}{note}"
        )
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
        raise RomError(f"{rom_name}: ROM ({_describe(rom)}) is not a {cls.name} ROM")
    return cls


class GBAEnv(gym.Env[dict[str, Any], Any]):
    """One GBA cartridge as a gymnasium env meeting the contract in envs/base.py.

    Action: `{"name": "press_buttons", "arguments": {"buttons": [...]}}` (the one ActionSpec), None (no
    press: one idle step), or the legacy forms: an index into GBA_BUTTONS (the `action_space`), a button
    name, or a list of up to `max_presses` names/indices (an empty list waits one step). Each press holds the
    button `press_frames` frames and releases it for `release_frames`; idle frames follow until the step has
    used `frames_per_step` (more if the presses need more).
    Observation: the last frame (RGB, 160x240) and the adapter's `GameState.to_text()`. `info`: progress
    (Progress: where=(location, x, y)), action_cost (presses), game (GameState), presses (names),
    frame_count.
    """

    instructions = INSTRUCTIONS

    # One frame per step; 30 fps plays a recording back fast (real time is 60/frames_per_step).
    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(
        self,
        rom_path: str | Path,
        game: str | type | None = "quest-gba",
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
        self.action_space = spaces.Discrete(len(GBA_BUTTONS))  # the legacy index form; models use action_tools()
        self._action_tools = [
            ActionSpec(
                name=PRESS_BUTTONS,
                description=(
                    f"Press 1 to {max_presses} Game Boy Advance buttons in order (each press counts). A direction "
                    "moves one cell or turns; A interacts / advances text; B cancels; START opens the menu; "
                    "L and R are the shoulder buttons."
                ),
                args=press_buttons_args(max_presses),
                examples=({"buttons": ["A"]}, {"buttons": ["RIGHT", "DOWN"]}, {"buttons": ["B", "L", "R"]}),
            )
        ]
        self.observation_space = spaces.Dict(
            {
                "frame": spaces.Box(0, 255, SCREEN_SHAPE, np.uint8),
                "text": spaces.Text(TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET),
            }
        )
        self._emu = GBAEmulator(timeout_s=timeout_s, boot_frames=boot_frames)
        self._adapter_path = adapter_path(self.adapter_cls)
        self.frame_count = 0  # frames since power-on, carried by our savestates
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
        """The last frame, RGB uint8 (160, 240, 3) (the only render mode is rgb_array)."""
        if self._obs is None:
            raise RuntimeError("call reset() before render()")
        return self._obs["frame"]

    def close(self) -> None:
        self._emu.close()
        self._obs = None

    # -- continuity --------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        """Emulator state (with the frame on screen) + our frame counter, tagged with the ROM's SHA-1."""
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
            raise ValueError(f"not a GBA env state ({len(data)} bytes)")
        magic, version, rom_sha1, frame_count = _STATE_HEADER.unpack_from(data)
        if magic != STATE_MAGIC:
            raise ValueError("not a GBA env state (bad magic)")
        if version != STATE_VERSION:
            raise ValueError(f"GBA env state version {version} is not supported (want {STATE_VERSION})")
        if rom_sha1 != self._rom_sha1:
            raise ValueError(f"state was saved from a different ROM than {self.rom_path.name}")
        frame, state = self._emu.load_state(data[_STATE_HEADER.size :])
        self.frame_count = frame_count
        return self._observe(frame, state, [])

    def action_tools(self) -> list[ActionSpec]:
        """One action: press_buttons."""
        return list(self._action_tools)

    # -- helpers -----------------------------------------------------------------------------------

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
        return [button_name(a, GBA_BUTTONS) for a in items]

    @property
    def emulator(self) -> GBAEmulator:
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
