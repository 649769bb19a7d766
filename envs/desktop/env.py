"""A desktop GUI env: real programs on a virtual X display (Xvfb), a seeded stream of tasks chained without reset.

Each task runs one program, started fresh: our Tk app (a settings form and a to-do list, which reports its
widget tree) or Debian's xedit on a file in a private directory. The observation is a screenshot of the
display plus text: the task, the windows, the widget tree where the program has one (refs for click), or the
file as saved on disk (xedit). Success is read from the program's state (the app's report, the saved file),
never from pixels. When a task ends (success, the program exited, or `max_task_steps` actions spent) the
step reports `task_milestone(...)` and the next task's program starts in the same step.

Deterministic given the seed: task i of seed s is `make_task(s, i, types)`, and the state (JSON) stores the
actions taken in the current task; load_state restarts the task's program and replays them, waiting after
each for the program to settle, with clicks of separate actions kept apart (no accidental double clicks),
so the round trip is exact, pixels included.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, Field, field_validator

from envs.base import (
    TEXT_CHARSET,
    TEXT_MAX_LENGTH,
    ActionSpec,
    EnvError,
    Progress,
    sanitize_text,
    task_milestone,
    validate_action,
)
from envs.desktop.display import DEFAULT_SIZE, XDisplay, parse_combo
from envs.desktop.programs import PROGRAMS, Program
from envs.desktop.tasks import PROGRAM_OF, TASK_TYPES, Task, make_task

STATE_FORMAT = "desktop/1"
MAX_REFS = 32  # the legacy int action n clicks ref n (gymnasium's checker samples it)
MAX_TEXT = 200  # characters one type action sends
MAX_KEYS = 8  # key combos one press_key action sends
COUNT_MILESTONES: tuple[int, ...] = (1, 5, 10, 25, 50, 100)
DEFAULT_MAX_TASK_STEPS = 20
WORKDIR_PREFIX = "desktop-env-"  # + pid + "-" + random: the env's private directory under the temp dir

INSTRUCTIONS = """\
Each turn you see a desktop (a screenshot) and text: the task, the open windows, and for programs that have
one the widget tree, one line a widget: [ref] Class "label" value/checked/items @(x,y wxh), with (focused) on
the widget that has the keyboard focus; Message is the env's answer to your last action. click(ref) clicks
the middle of widget [ref]; click_xy(x, y) clicks a screen pixel (0,0 is the top left); either takes
double=true for a double click. type(text) types into the focused widget ("\\n" is Enter); press_key(key)
presses keys such as Return, Tab, BackSpace, Escape, or combos like ctrl+s ("ctrl+x ctrl+s" presses two).
Programs without a widget tree (xedit) are worked from the screenshot. Do what the task says; when the
program's state shows it done, the next task follows."""


class Click(BaseModel):
    """Arguments of click."""

    ref: int = Field(ge=1, description="the [ref] of the widget to click (its middle is clicked)")
    double: bool = Field(False, description="a double click instead of a single one")


class ClickXY(BaseModel):
    """Arguments of click_xy."""

    x: int = Field(ge=0, le=8192, description="pixels from the left edge of the screen")
    y: int = Field(ge=0, le=8192, description="pixels from the top edge of the screen")
    double: bool = Field(False, description="a double click instead of a single one")


class Type(BaseModel):
    """Arguments of type."""

    text: str = Field(max_length=MAX_TEXT, description="the text to type into the focused widget ('\\n' is Enter)")


class PressKey(BaseModel):
    """Arguments of press_key."""

    key: str = Field(description="a key (Return, Tab, BackSpace, Escape, Up, F5, a) or a combo (ctrl+s); "
                     "several separated by spaces are pressed in turn (ctrl+x ctrl+s)")

    @field_validator("key")
    @classmethod
    def _check(cls, v: str) -> str:
        combos = v.split()
        if not combos or len(combos) > MAX_KEYS:
            raise ValueError(f"press_key takes 1 to {MAX_KEYS} keys separated by spaces, got {v!r}")
        for combo in combos:
            parse_combo(combo)  # ValueError naming the key that does not exist
        return " ".join(combos)


ACTION_TOOLS: tuple[ActionSpec, ...] = (
    ActionSpec(name="click", description="Click the middle of widget [ref] of the widget tree (a button, entry, "
               "checkbox, list); double=true double-clicks.", args=Click, examples=({"ref": 1}, {"ref": 3})),
    ActionSpec(name="click_xy", description="Click the screen at pixel (x, y), 0,0 being the top left; "
               "double=true double-clicks.", args=ClickXY, examples=({"x": 320, "y": 300}, {"x": 150, "y": 64})),
    ActionSpec(name="type", description="Type `text` into the widget that has the keyboard focus (click it "
               "first); '\\n' presses Enter.", args=Type, examples=({"text": "hello"},)),
    ActionSpec(name="press_key", description="Press a key or combo (Return, Tab, BackSpace, Escape, ctrl+s); "
               "several separated by spaces are pressed in turn.", args=PressKey,
               examples=({"key": "Tab"}, {"key": "BackSpace"})),
)


def sweep_stale_workdirs() -> list[Path]:
    """Remove the private directories of desktop envs whose process died without closing them (SIGKILL:
    the kernel killed their programs, nobody removed their files); returns what was removed."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"):
        pid = path.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        with contextlib.suppress(OSError):
            if pid.isdigit() and path.stat().st_uid == os.getuid() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _check_types(tasks: Any) -> tuple[str, ...]:
    if tasks is None:
        return TASK_TYPES
    if isinstance(tasks, str):
        tasks = [t for t in tasks.split(",") if t.strip()]
    types: list[str] = []
    for t in tasks:
        t = str(t).strip()
        if t not in TASK_TYPES:
            raise EnvError(f"desktop env: unknown task {t!r}; known: {', '.join(TASK_TYPES)}")
        if t not in types:
            types.append(t)
    if not types:
        raise EnvError(f"desktop env: no task given; known: {', '.join(TASK_TYPES)}")
    return tuple(types)


class DesktopEnv(gym.Env[dict[str, Any], Any]):
    """A stream of desktop tasks. Actions: click(ref), click_xy(x, y), type(text), press_key(key); None waits.

    Observation: {"text": the task, windows and widget tree (or saved file) as text, "frame": the screen
    (RGB, 480x640 on our Xvfb) or None if `frames` is False}. info: progress (where=(task index, focused
    ref or 0)), action_cost (1 per click, 2 per double click, 1 per type, 1 per key combo, 0 for None),
    game (task, type, solved, failed, actions). Milestones: `task_milestone(...)` on the step a task ends,
    solved_1, solved_5, ..., and solved_<type>. None does not count towards `max_task_steps`.

    `tasks` picks the task types (default: all of TASK_TYPES); `display=':N'` uses a running X server
    instead of starting Xvfb (`xvfb` names the Xvfb binary). Every process the env starts is killed by
    `close()`, at interpreter exit, and by the kernel when this process dies.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}
    instructions = INSTRUCTIONS
    milestones: tuple[str, ...] = (tuple(f"solved_{n}" for n in COUNT_MILESTONES)
                                   + tuple(f"solved_{t}" for t in TASK_TYPES))

    def __init__(self, tasks: list[str] | tuple[str, ...] | str | None = None, seed: int = 0,
                 display: str | None = None, frames: bool = True, max_task_steps: int = DEFAULT_MAX_TASK_STEPS,
                 xvfb: str = "Xvfb", render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} not supported; use 'rgb_array' or None")
        if max_task_steps < 1:
            raise ValueError(f"max_task_steps must be >= 1, got {max_task_steps}")
        self.types = _check_types(tasks)
        for program in sorted({PROGRAM_OF[t] for t in self.types}):
            if program == "xedit" and shutil.which("xedit") is None:
                raise EnvError("desktop env: xedit is not installed (apt install x11-apps), needed by xedit-line")
            if program == "xedit" and shutil.which("bwrap") is None:
                raise EnvError("desktop env: bubblewrap is not installed (apt install bubblewrap); xedit-line runs "
                               "xedit in it, since xedit can save a file under any name")
        self.seed = seed
        self.frames = frames
        self.max_task_steps = max_task_steps
        self.render_mode = render_mode
        sweep_stale_workdirs()
        self._workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
        try:
            self._xd = XDisplay(self._workdir, display=display, size=DEFAULT_SIZE, xvfb=xvfb)
        except BaseException:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise
        self._xd.remove_on_close(self._workdir)
        self.action_space = spaces.Discrete(MAX_REFS, start=1)  # legacy form: an int n clicks ref n
        text = spaces.Text(TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET)
        shape = (self._xd.height, self._xd.width, 3)
        self.observation_space = spaces.Dict(
            {"frame": spaces.Box(0, 255, shape, np.uint8), "text": text} if frames else {"text": text}
        )
        self._task: Task | None = None
        self._program: Program | None = None
        self._actions: list[dict[str, Any]] = []
        self._message = ""
        self._solved = 0
        self._failed = 0
        self._types_solved: set[str] = set()
        self._last_click: tuple[float, int, int] = (0.0, 0, 0)  # when and where the last click was
        self._raw = b""

    @property
    def display_name(self) -> str:
        """The X display the env's programs run on (':N')."""
        return self._xd.name

    def pids(self) -> list[int]:
        """Every process the env started that is still running (the X server first)."""
        return self._xd.pids()

    # -- gymnasium API ---------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start the task stream of `seed` (default: the constructor's) at task 0, its program fresh."""
        super().reset(seed=seed)
        if seed is not None:
            self.seed = seed
        self._solved, self._failed, self._types_solved = 0, 0, set()
        self._message = ""
        self._open(0)
        return self._observe(0)

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        if self._task is None or self._program is None:
            raise RuntimeError("call reset() before step()")
        cost = 0
        self._message = ""
        if action is not None:
            name, args = self._parse(action)
            record = {"name": name, "arguments": args.model_dump()}
            cost = self._apply(record)
            self._actions.append(record)
        self._settle()
        ended: list[str] = []
        reward = 0.0
        task, program = self._task, self._program
        success = program.alive and task.solved(program.state())
        if success or not program.alive or len(self._actions) >= self.max_task_steps:
            why = ("success" if success else "the program exited" if not program.alive
                   else f"not done within {self.max_task_steps} actions")
            reward = 1.0 if success else 0.0
            ended.append(task_milestone(task.index, task.type, success, reward))
            if success:
                self._solved += 1
                self._types_solved.add(task.type)
            else:
                self._failed += 1
            self._open(task.index + 1)
            self._message = f"Task {task.index + 1} {'done' if success else 'failed'}: {why}. Next task."
        obs, info = self._observe(cost, ended)
        return obs, reward, False, False, info

    def render(self) -> np.ndarray:
        """The screen as an RGB image (whether or not observations carry frames)."""
        if self._task is None:
            raise RuntimeError("call reset() before render()")
        return self._xd.to_rgb(self._raw)

    def close(self) -> None:
        """Stop the program and the display; remove the private directory. Safe to call twice."""
        if self._program is not None:
            with contextlib.suppress(Exception):
                self._program.stop()
            self._program = None
        self._xd.close()

    def action_tools(self) -> list[ActionSpec]:
        return list(ACTION_TOOLS)

    # -- continuity --------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        if self._task is None:
            raise RuntimeError("call reset() before save_state()")
        state = {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "types": list(self.types),
            "task": self._task.index,
            "actions": self._actions,
            "solved": self._solved,
            "failed": self._failed,
            "types_solved": sorted(self._types_solved),
            "message": self._message,
        }
        return json.dumps(state, sort_keys=True).encode()

    def load_state(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        """Restart the saved task's program fresh and replay the task's actions (an exact round trip)."""
        if self._task is None:
            raise RuntimeError("call reset() before load_state()")
        try:
            state = json.loads(bytes(data))
            if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
                raise ValueError
            types = _check_types(list(state["types"]))
            seed, index = int(state["seed"]), int(state["task"])
            actions = [validate_action(ACTION_TOOLS, a) for a in state["actions"]]
            solved, failed = int(state["solved"]), int(state["failed"])
            types_solved = {str(t) for t in state["types_solved"]}
            message = str(state["message"])
            if index < 0 or not set(types_solved) <= set(TASK_TYPES):
                raise ValueError
        except (ValueError, KeyError, TypeError, EnvError):
            raise ValueError(f"not a desktop env state ({STATE_FORMAT})") from None
        self.seed, self.types = seed, types
        self._solved, self._failed, self._types_solved = solved, failed, types_solved
        self._open(index)
        for name, args in actions:
            record = {"name": name, "arguments": args.model_dump()}
            self._apply(record)
            self._actions.append(record)
            self._settle()
        self._message = message
        return self._observe(0)

    # -- actions -----------------------------------------------------------------------------------

    def _parse(self, action: Any) -> tuple[str, BaseModel]:
        if isinstance(action, int | np.integer) and not isinstance(action, bool):
            return "click", Click(ref=int(action))
        return validate_action(ACTION_TOOLS, action)

    def _click(self, x: int, y: int, double: bool) -> None:
        assert self._program is not None
        if not (0 <= x < self._xd.width and 0 <= y < self._xd.height):
            self._message = f"({x}, {y}) is off the screen ({self._xd.width}x{self._xd.height})"
            return
        last_t, last_x, last_y = self._last_click
        radius = self._program.click_radius
        wait = last_t + self._program.click_gap_s - time.monotonic()
        if wait > 0 and (radius is None or max(abs(x - last_x), abs(y - last_y)) <= radius):
            time.sleep(wait)  # separate clicks must not make a double click, whatever the pace
        self._xd.click(x, y, count=2 if double else 1)
        self._xd.sync()  # the server has stamped the click: its time is before the one we keep
        self._last_click = (time.monotonic(), x, y)

    def _apply(self, record: dict[str, Any]) -> int:
        """Send one action's input; returns its cost. Sets the message when the action makes no sense."""
        assert self._program is not None
        name, args = record["name"], record["arguments"]
        if name == "click":
            where = self._program.center_of(args["ref"])
            if isinstance(where, str):
                self._message = where
            else:
                self._click(*where, args["double"])
            return 2 if args["double"] else 1
        if name == "click_xy":
            self._click(args["x"], args["y"], args["double"])
            return 2 if args["double"] else 1
        if name == "type":
            text = "\t".join(sanitize_text(part) for part in args["text"].split("\t"))  # a tab is the Tab key
            missing = self._xd.type_text(text)
            if missing:
                self._message = f"these characters have no key and were not typed: {missing!r}"
            return 1
        combos = args["key"].split()
        self._xd.press_keys(combos)
        return len(combos)

    # -- programs ----------------------------------------------------------------------------------

    def _open(self, index: int) -> None:
        """Task `index`: its program started fresh, the pointer home, no actions yet."""
        if self._program is not None:
            self._program.stop()
            self._program = None
        self._task = make_task(self.seed, index, self.types)
        self._actions = []
        self._xd.reset_input(self._xd.width - 1, self._xd.height - 1)
        program = PROGRAMS[self._task.program](self._xd, self._task, self._workdir / "task")
        self._program = program
        program.start()
        self._last_click = (0.0, 0, 0)
        self._settle()

    def _settle(self) -> None:
        """Let the program handle the input and the screen come to rest; keep the last grab."""
        assert self._program is not None
        if not self._xd.alive:
            raise EnvError(f"desktop env: the X server of display {self._xd.name} died")
        self._xd.sync()
        self._program.sync()
        pid = self._program.pid
        self._raw = self._xd.settle([pid] if pid is not None and self._program.alive else [])
        self._program.sync()

    # -- observation -------------------------------------------------------------------------------

    def _lines(self) -> list[str]:
        assert self._task is not None and self._program is not None
        task = self._task
        lines = [f"Task {task.index + 1} ({task.type}, action {len(self._actions)} of {self.max_task_steps}): "
                 f"{task.utterance}"]
        for title, cls, x, y, w, h in self._xd.windows():
            lines.append(f'Window "{title}" ({cls}) @({x},{y} {w}x{h})')
        if not self._program.alive:
            lines.append(f"The {self._program.name} program is not running.")
        else:
            lines += self._program.lines()
        if self._message:
            lines.append(f"Message: {self._message}")
        return lines

    def _observe(self, cost: int, ended: list[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        assert self._task is not None and self._program is not None
        task = self._task
        obs: dict[str, Any] = {"text": sanitize_text("\n".join(self._lines()))}
        if self.frames:
            obs = {"frame": self._xd.to_rgb(self._raw), **obs}
        else:
            obs["frame"] = None
        milestones = list(ended or [])
        milestones += [f"solved_{n}" for n in COUNT_MILESTONES if self._solved >= n]
        milestones += [f"solved_{t}" for t in TASK_TYPES if t in self._types_solved]
        focus = self._program.focused_ref() if self._program.alive else 0
        info = {
            "progress": Progress(where=(task.index, focus),
                                 label=f"task {task.index + 1} ({task.type})" + (f", focus [{focus}]" if focus else ""),
                                 milestones=milestones),
            "action_cost": cost,
            "game": {"task": task.index, "type": task.type, "solved": self._solved, "failed": self._failed,
                     "actions": len(self._actions)},
        }
        return obs, info
