"""A web-form stand-in: pure Python, a seeded stream of tasks chained without reset (continual).

Each page shows one task ("Enter 'Ada' into the Name field and 'Paris' into City, then click Submit.")
and its elements, each with a ref the actions name. A correct submit shows the next task; a wrong one
says what to check and leaves the page as it is. Deterministic given the seed: task i of seed s is
`make_task(s, i)`, and the state (JSON) stores only what the agent changed.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, Literal, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, Field, field_validator

from envs.base import TEXT_CHARSET, TEXT_MAX_LENGTH, ActionSpec, Progress, sanitize_text, validate_action
from envs.form.tasks import KINDS, Element, Task, make_task

STATE_FORMAT = "form/1"
MAX_REFS = 8  # the most elements a page has (the legacy int action clicks ref 1..MAX_REFS)
MAX_VALUE = 80  # characters a textbox keeps
FRAME_SHAPE: tuple[int, int, int] = (192, 320, 3)
COUNT_MILESTONES: tuple[int, ...] = (1, 5, 10, 25, 50, 100)
KEYS: tuple[str, ...] = ("Tab", "Enter", "Space", "Backspace")

INSTRUCTIONS = """\
Each turn you see a web form as text: the task, then one line per element: [ref] role "label" and its
value or checked state; (focused) marks the element with the keyboard focus, and Message is the page's
answer to your last action. click(ref) focuses a textbox, toggles a checkbox, picks a radio option or
presses a button; type(ref, text) replaces the text of a textbox; press_key(key) sends Tab, Enter, Space or
Backspace to the focused element. Do what the task says, then click Submit; the next task follows."""


class Click(BaseModel):
    """Arguments of click."""

    ref: int = Field(ge=1, description="the [ref] of the element to click")


class Type(BaseModel):
    """Arguments of type."""

    ref: int = Field(ge=1, description="the [ref] of a textbox")
    text: str = Field(max_length=MAX_VALUE, description="the new text of the textbox (replaces what is there)")


class PressKey(BaseModel):
    """Arguments of press_key."""

    key: Literal["Tab", "Enter", "Space", "Backspace"] = Field(description="the key to press")

    @field_validator("key", mode="before")
    @classmethod
    def _normalise(cls, v: Any) -> Any:
        if isinstance(v, str):
            for k in KEYS:
                if v.strip().lower() == k.lower():
                    return k
            raise ValueError(f"unknown key {v!r}; use {', '.join(KEYS)}")
        return v


ACTION_TOOLS: tuple[ActionSpec, ...] = (
    ActionSpec(name="click", description="Click the element [ref]: focus a textbox, toggle a checkbox, pick a "
               "radio option, press a button (Submit sends the form).", args=Click,
               examples=({"ref": 1}, {"ref": 2})),
    ActionSpec(name="type", description="Replace the text of textbox [ref] with `text` (and focus it).",
               args=Type, examples=({"ref": 1, "text": "Ada"}, {"ref": 2, "text": ""})),
    ActionSpec(name="press_key", description="Press a key on the focused element: Tab moves the focus, Enter "
               "submits, Space clicks, Backspace deletes a character.", args=PressKey,
               examples=({"key": "Tab"}, {"key": "Backspace"})),
)


class FormEnv(gym.Env[dict[str, Any], Any]):
    """A stream of web-form tasks. Actions: click(ref), type(ref, text), press_key(key); None waits.

    Observation: {"text": the page as text, "frame": the page drawn small (RGB) or None if `frames` is
    False}. info: progress (where=(task index, focused ref or 0)), action_cost (1 per action, 0 for None),
    game (task, kind, solved, rejected). Milestones: solved_1, solved_5, ... and solved_<kind>.

    With `frames=False` the observation space has no "frame" entry while obs["frame"] is None, so
    gymnasium's passive checker (on by default in gymnasium.make) rejects it: pass disable_env_checker=True.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}
    instructions = INSTRUCTIONS
    milestones: tuple[str, ...] = tuple(f"solved_{n}" for n in COUNT_MILESTONES) + tuple(f"solved_{k}" for k in KINDS)

    def __init__(self, seed: int = 0, frames: bool = True, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} not supported; use 'rgb_array' or None")
        self.seed = seed
        self.frames = frames
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(MAX_REFS, start=1)  # legacy form: an int n clicks ref n
        text = spaces.Text(TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET)
        self.observation_space = spaces.Dict(
            {"frame": spaces.Box(0, 255, FRAME_SHAPE, np.uint8), "text": text} if frames else {"text": text}
        )
        self._task: Task | None = None
        self._elements: list[Element] = []
        self._focus = 0
        self._message = ""
        self._solved = 0
        self._rejected = 0
        self._kinds_solved: set[str] = set()

    # -- gymnasium API ---------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start the task stream of `seed` (default: the constructor's) at task 0."""
        super().reset(seed=seed)
        if seed is not None:
            self.seed = seed
        self._solved, self._rejected, self._kinds_solved = 0, 0, set()
        self._open(0)
        return self._observe(0)

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        if self._task is None:
            raise RuntimeError("call reset() before step()")
        solved_before = self._solved
        cost = 0
        self._message = ""
        if action is not None:
            name, args = self._parse(action)
            cost = 1
            getattr(self, "_do_" + name)(**args.model_dump())
        obs, info = self._observe(cost)
        return obs, float(self._solved - solved_before), False, False, info

    def render(self) -> np.ndarray:
        """The page drawn as an RGB image (whether or not observations carry frames)."""
        if self._task is None:
            raise RuntimeError("call reset() before render()")
        return self._draw()

    def close(self) -> None:
        pass

    def action_tools(self) -> list[ActionSpec]:
        return list(ACTION_TOOLS)

    # -- continuity --------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        if self._task is None:
            raise RuntimeError("call reset() before save_state()")
        state = {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "task": self._task.index,
            "solved": self._solved,
            "rejected": self._rejected,
            "kinds_solved": sorted(self._kinds_solved),
            "values": [e.value if e.role == "textbox" else e.checked for e in self._elements],
            "focus": self._focus,
            "message": self._message,
        }
        return json.dumps(state, sort_keys=True).encode()

    def load_state(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        if self._task is None:
            raise RuntimeError("call reset() before load_state()")
        try:
            state = json.loads(bytes(data))
            if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
                raise ValueError
            task = make_task(int(state["seed"]), int(state["task"]))
            values = state["values"]
            if len(values) != len(task.elements):
                raise ValueError
            for e, v in zip(task.elements, values, strict=True):
                if e.role == "textbox":
                    e.value = str(v)
                else:
                    e.checked = bool(v)
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"not a form env state ({STATE_FORMAT})") from None
        self.seed = int(state["seed"])
        self._task, self._elements = task, task.elements
        self._solved, self._rejected = int(state["solved"]), int(state["rejected"])
        self._kinds_solved = set(state["kinds_solved"])
        self._focus, self._message = int(state["focus"]), str(state["message"])
        return self._observe(0)

    # -- actions -----------------------------------------------------------------------------------

    def _parse(self, action: Any) -> tuple[str, BaseModel]:
        if isinstance(action, int | np.integer) and not isinstance(action, bool):
            return "click", Click(ref=int(action))
        return validate_action(ACTION_TOOLS, action)

    def _element(self, ref: int) -> Element | None:
        if 1 <= ref <= len(self._elements):
            return self._elements[ref - 1]
        self._message = f"there is no element [{ref}] on this page"
        return None

    def _do_click(self, ref: int) -> None:
        e = self._element(ref)
        if e is None:
            return
        self._focus = ref
        if e.role == "checkbox":
            e.checked = not e.checked
        elif e.role == "radio":
            for other in self._elements:
                if other.role == "radio":
                    other.checked = other is e
        elif e.role == "button":
            self._submit() if e.label == "Submit" else self._clear()

    def _do_type(self, ref: int, text: str) -> None:
        e = self._element(ref)
        if e is None:
            return
        if e.role != "textbox":
            self._message = f"[{ref}] is a {e.role}; type works on textboxes"
            return
        self._focus = ref
        e.value = sanitize_text(" ".join(text.splitlines()), MAX_VALUE)

    def _do_press_key(self, key: str) -> None:
        focused = self._elements[self._focus - 1] if self._focus else None
        if key == "Tab":
            self._focus = self._focus % len(self._elements) + 1
        elif key == "Enter":
            if focused is not None and focused.role == "button":
                self._do_click(self._focus)
            else:
                self._submit()
        elif focused is None:
            self._message = f"{key}: nothing has the focus (click an element or press Tab)"
        elif key == "Space":
            if focused.role == "textbox":
                focused.value = (focused.value + " ")[:MAX_VALUE]
            else:
                self._do_click(self._focus)
        elif focused.role == "textbox":  # Backspace
            focused.value = focused.value[:-1]

    def _submit(self) -> None:
        assert self._task is not None
        problem = self._task.problem(self._elements)
        if problem is not None:
            self._rejected += 1
            self._message = f"Submit rejected: {problem}."
            return
        self._solved += 1
        self._kinds_solved.add(self._task.kind)
        done = self._task.index
        self._open(done + 1)
        self._message = f"Task {done + 1} done. Next task."

    def _clear(self) -> None:
        assert self._task is not None
        fresh = make_task(self.seed, self._task.index).elements
        for e, f in zip(self._elements, fresh, strict=True):
            e.value, e.checked = "", f.checked if e.role == "checkbox" else False
        self._message = "Form cleared."

    def _open(self, index: int) -> None:
        self._task = make_task(self.seed, index)
        self._elements = self._task.elements
        self._focus = 0

    # -- observation -------------------------------------------------------------------------------

    def _lines(self) -> list[str]:
        assert self._task is not None
        lines = [f"Task {self._task.index + 1}: {self._task.utterance}"]
        lines += [e.line(e.ref == self._focus) for e in self._elements]
        if self._message:
            lines.append(f"Message: {self._message}")
        return lines

    def _draw(self) -> np.ndarray:
        from PIL import Image, ImageDraw, ImageFont

        h, w, _ = FRAME_SHAPE
        img = Image.new("RGB", (w, h), (255, 255, 255))
        draw = ImageDraw.Draw(img)
        font = ImageFont.load_default_imagefont()  # a bitmap font: the same pixels on every machine
        y = 4
        for i, line in enumerate(self._lines()):
            focused = line.endswith("(focused)")
            for part in textwrap.wrap(line, 52) or [""]:
                if y > h - 12:
                    break
                if focused:
                    draw.rectangle((2, y - 1, w - 3, y + 11), outline=(40, 90, 200))
                color = (0, 0, 0) if i else (120, 0, 0)
                draw.text((5, y), part, fill=color, font=font)
                y += 13
        return np.asarray(img, dtype=np.uint8).copy()

    def _observe(self, cost: int) -> tuple[dict[str, Any], dict[str, Any]]:
        assert self._task is not None
        task = self._task
        obs: dict[str, Any] = {"text": sanitize_text("\n".join(self._lines()))}
        if self.frames:
            obs = {"frame": self._draw(), **obs}
        else:
            obs["frame"] = None
        milestones = [f"solved_{n}" for n in COUNT_MILESTONES if self._solved >= n]
        milestones += [f"solved_{k}" for k in KINDS if k in self._kinds_solved]
        focus = f", focus [{self._focus}]" if self._focus else ""
        info = {
            "progress": Progress(where=(task.index, self._focus), label=f"task {task.index + 1} ({task.kind}){focus}",
                                 milestones=milestones),
            "action_cost": cost,
            "game": {"task": task.index, "kind": task.kind, "solved": self._solved, "rejected": self._rejected},
        }
        return obs, info
