"""A `GameBridge` over any env that has a press action: how a skill's `game.press / state / text_map /
wait` calls reach a real env. The runtime builds one over its tool context (every press is then an env
action of the step, counted and replayed like a macro's); `harness skill test` builds one over a fresh env.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Action = dict[str, Any] | None


class ActBridge:
    """`act(action)` steps the env once; `state()` returns its parsed state as plain JSON (Game Boy shape:
    location, x, y, text_map, dialog, can_move, ... plus `progress`)."""

    def __init__(self, act: Callable[[Action], object], state: Callable[[], dict[str, Any]],
                 press_action: str = "press_buttons", max_per_act: int = 5, frames_per_step: int = 120) -> None:
        self._act, self._state = act, state
        self.press_action, self.max_per_act, self.frames_per_step = press_action, max_per_act, frames_per_step
        self.presses = 0
        self.actions: list[Action] = []

    def press(self, buttons: list[str]) -> dict[str, Any]:
        for i in range(0, len(buttons), self.max_per_act):
            action = {"name": self.press_action, "arguments": {"buttons": list(buttons[i : i + self.max_per_act])}}
            self._act(action)
            self.actions.append(action)
        self.presses += len(buttons)
        return self.brief()

    def state(self) -> dict[str, Any]:
        return self._state()

    def text_map(self) -> str:
        return str(self._state().get("text_map", ""))

    def wait(self, frames: int) -> None:
        for _ in range(max(1, math.ceil(frames / self.frames_per_step))):
            self._act(None)
            self.actions.append(None)

    def brief(self) -> dict[str, Any]:
        """What a press returns to the skill: where the player is now."""
        s = self._state()
        return {k: s[k] for k in ("location", "x", "y", "facing", "can_move", "in_battle", "dialog") if k in s}
