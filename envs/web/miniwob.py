"""MiniWoB++ as a continual task stream: one headless Chromium, a seeded stream of web tasks chained without reset.

Task `i` of seed `s` is a pure function of (s, i): its type (drawn from `tasks`) and the seed miniwob's page
generates its problem from (`task_at`). Each page shows one task ('Click on the "Yes" button.') and its
elements, each with the miniwob ref the actions name. A task ends when the page says so (miniwob's own reward,
on a click that submits or picks) or after `max_task_steps` steps without an end (miniwob's -1, as its timer
would give); the step it ends on reports `task_milestone(i, type, success, reward)` and shows task i+1.

Model steps take seconds, so the page's timer is stretched (~23 days) instead of ending tasks: the reward is
what miniwob computes (time-scaled, so ~ the raw reward), success is reward > 0. The state (JSON) stores the
stream's position and the actions applied in the current task; load re-opens that task's page with its seed
and replays them, which gives the same DOM, refs and pixels (see envs/web/browser.py for what makes a page
stable, and SUPPORTED_TASKS for the types that were checked to be).
"""

from __future__ import annotations

import difflib
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, SupportsFloat

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
from envs.web.browser import TASK_HEIGHT, TASK_WIDTH, Browser, one_line, task_names
from envs.web.dom import TYPEABLE, PageView, page_view

STATE_FORMAT = "miniwob/1"
FRAME_SHAPE: tuple[int, int, int] = (TASK_HEIGHT, TASK_WIDTH, 3)
COUNT_MILESTONES: tuple[int, ...] = (1, 5, 10, 25, 50, 100)
MAX_TASK_STEPS = 15  # a task is ended as failed after this many steps (a weak model cannot stay stuck)
MAX_REFS = 300  # the legacy int action clicks ref 1..MAX_REFS
MAX_TEXT = 80  # characters one type() sends
STEP_LIMIT_REWARD = -1.0  # what miniwob's timer gives a task that runs out

# Task types checked to work with click / type / press_key / click_xy and to replay to the same DOM and pixels
# (tests/test_miniwob.py solves each from the text alone, bar click-checkboxes-soft's word similarity, and
# round-trips its states), each with whether its snapshots also wait two animation frames (Browser.snapshot:
# pages with image icons need it; the others are checked stable without that ~30 ms). Left out, by what breaks
# them: the answer is only in the picture (identify-shape, click-color, count-shape, grid-coordinate, ...);
# mouse drags and drawing (drag-*, draw-*, use-slider, resize-textarea, highlight-text, ...); scrolling with
# the mouse wheel (sign-agreement, scroll-text); widgets that need a held mouse button (use-spinner) or
# hover (click-menu, hover-shape); pages that change on their own between steps, so a replay cannot see the
# same page (stock-market, terminal, simon-says, click-pie's RNG, book-flight and choose-date's pickers);
# native <select> lists (choose-list, click-scroll-list: no option refs); the clipboard (copy-paste); text
# the ASCII observation cannot show (unicode-test); a pager that draws differently on replay (search-engine).
SUPPORTED: dict[str, bool] = {
    "click-button": False, "click-button-sequence": False, "click-checkboxes": False,
    "click-checkboxes-large": False, "click-checkboxes-soft": False, "click-checkboxes-transfer": False,
    "click-collapsible": False, "click-collapsible-nodelay": False, "click-collapsible-2": False,
    "click-collapsible-2-nodelay": False, "click-dialog": False, "click-dialog-2": False, "click-link": False,
    "click-option": False, "click-tab": False, "click-tab-2": False, "click-test": False, "click-test-2": False,
    "click-widget": False, "enter-password": False, "enter-text": False, "enter-text-2": False,
    "enter-text-dynamic": False, "focus-text": False, "focus-text-2": False, "login-user": False,
    "login-user-popup": False, "multi-layouts": False, "multi-orderings": False, "navigate-tree": False,
    "simple-arithmetic": False, "simple-algebra": False, "find-word": False, "read-table": False,
    "read-table-2": False, "odd-or-even": False, "text-transform": False, "buy-ticket": False,
    "guess-number": False, "use-autocomplete": False, "use-autocomplete-nodelay": False,
    "email-inbox": True, "email-inbox-delete": True, "email-inbox-forward": True, "email-inbox-important": True,
    "email-inbox-noscroll": True, "email-inbox-reply": True,
}
SUPPORTED_TASKS: tuple[str, ...] = tuple(SUPPORTED)
KEYS: tuple[str, ...] = ("Enter", "Tab", "Backspace", "Space", "Escape", "Delete", "ArrowUp", "ArrowDown",
                         "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown")
_KEY_ALIASES: dict[str, str] = {"return": "Enter", "esc": "Escape", "del": "Delete", "up": "ArrowUp",
                                "down": "ArrowDown", "left": "ArrowLeft", "right": "ArrowRight", " ": "Space"}

INSTRUCTIONS = """\
Each turn you see a MiniWoB++ web page as text: the task line, then one line per element: [ref] role "text"
and its value or checked state; (focused) marks the element with the keyboard focus, `text "..."` lines are
page text (no ref), and Message says what happened to your last action or how the last task ended. The
picture is the 160x210 task area. click(ref) clicks an element (button, link, checkbox, radio, tab, heading,
textbox); type(ref, text) replaces the text of a textbox; press_key(key) sends a key to the focused element;
click_xy(x, y) clicks a pixel of the picture. A task ends when the page judges it (usually when you click
Submit or the element asked for) or after a step limit; the next task follows at once."""


class Click(BaseModel):
    """Arguments of click."""

    ref: int = Field(ge=1, description="the [ref] of the element to click")


class Type(BaseModel):
    """Arguments of type."""

    ref: int = Field(ge=1, description="the [ref] of a textbox")
    text: str = Field(max_length=MAX_TEXT, description="the new text of the textbox (replaces what is there)")


class PressKey(BaseModel):
    """Arguments of press_key."""

    key: Literal[KEYS] = Field(description="the key to press (sent to the focused element)")  # type: ignore[valid-type]

    @field_validator("key", mode="before")
    @classmethod
    def _normalise(cls, v: Any) -> Any:
        if isinstance(v, str):
            bare = v.strip().strip("<>") if v.strip() else v
            bare = _KEY_ALIASES.get(bare.lower(), bare)
            for k in KEYS:
                if bare.lower() == k.lower():
                    return k
            raise ValueError(f"unknown key {v!r}; use {', '.join(KEYS)}")
        return v


class ClickXY(BaseModel):
    """Arguments of click_xy (a point off the picture is answered in Message, not refused: small models'
    constrained decoding does not keep integers in range)."""

    x: int = Field(description=f"pixel column in the picture, 0..{TASK_WIDTH - 1}")
    y: int = Field(description=f"pixel row in the picture, 0..{TASK_HEIGHT - 1}")


ACTION_TOOLS: tuple[ActionSpec, ...] = (
    ActionSpec(name="click", description="Click the element [ref] (a button, link, checkbox, radio option, tab, "
               "section heading or textbox); Submit-like buttons end the task.", args=Click,
               examples=({"ref": 1}, {"ref": 4})),
    ActionSpec(name="type", description="Replace the text of textbox [ref] with `text` (it is clicked first).",
               args=Type, examples=({"ref": 5, "text": "hello"}, {"ref": 1, "text": ""})),
    ActionSpec(name="press_key", description="Press a key on the focused element: Enter submits a form, Tab moves "
               "the focus, Space toggles, Backspace deletes, arrows move.", args=PressKey,
               examples=({"key": "Tab"}, {"key": "Backspace"})),
    ActionSpec(name="click_xy", description=f"Click the pixel (x, y) of the {TASK_WIDTH}x{TASK_HEIGHT} picture "
               "(for what has no ref, such as a word in a text line).", args=ClickXY,
               examples=({"x": 80, "y": 120}, {"x": 10, "y": 60})),
)


def task_at(seed: int, index: int, tasks: tuple[str, ...]) -> tuple[str, int]:
    """(type, episode seed) of task `index` in the stream `seed` over `tasks` (str seeds hash with SHA-512)."""
    rng = random.Random(f"miniwob:{seed}:{index}")
    return rng.choice(tasks), rng.randrange(2**31)


def check_tasks(tasks: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The task types of a stream (default: SUPPORTED_TASKS); EnvError naming an unknown one and close names."""
    if tasks is None:
        return SUPPORTED_TASKS
    if isinstance(tasks, str):
        tasks = [t.strip() for t in tasks.split(",") if t.strip()]
    if not tasks:
        raise EnvError("miniwob: tasks is empty; name at least one task type, e.g. click-button")
    known = task_names()
    for t in tasks:
        if t not in known:
            close = difflib.get_close_matches(t, known, n=4, cutoff=0.5) or list(SUPPORTED_TASKS[:4])
            raise EnvError(f"miniwob: unknown task {t!r}; close names: {', '.join(close)} "
                           f"({len(known)} tasks in all)")
    return tuple(tasks)


@contextmanager
def browser_errors() -> Iterator[None]:
    """A browser that fails (crashed, hung up) as an EnvError with a one-line message."""
    from selenium.common.exceptions import WebDriverException

    try:
        yield
    except WebDriverException as e:
        raise EnvError(f"miniwob: the browser failed ({one_line(e)})") from None


class MiniWoBEnv(gym.Env[dict[str, Any], Any]):
    """A stream of MiniWoB++ tasks in one browser. Actions: click(ref), type(ref, text), press_key(key),
    click_xy(x, y); None waits (and counts toward the task's step limit).

    Observation: {"text": the task and the page as text, "frame": the task area (RGB, 210x160) or None if
    `frames` is False}. info: progress (where=(task index, focused ref or 0)), action_cost (1 per action, 0 for
    None), game (task, type, episode_seed, task_step, ended, solved, failed). Milestones: the
    `task:<i>:<type>:<success|fail>:<reward>` of a task on the step it ends, and solved_1, solved_5, ... and
    solved_<type>, which hold from the step they come true.

    `tasks`: the task types to draw from (any of miniwob's; default SUPPORTED_TASKS). `chrome_binary` and
    `chromedriver` override MINIWOB_CHROME_BINARY / MINIWOB_CHROMEDRIVER and the PATH. With `frames=False`
    the observation space has no "frame" (pass disable_env_checker=True to gymnasium.make).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}
    instructions = INSTRUCTIONS
    milestones: tuple[str, ...] = tuple(f"solved_{n}" for n in COUNT_MILESTONES) + tuple(
        f"solved_{t}" for t in SUPPORTED_TASKS)

    def __init__(self, tasks: list[str] | None = None, seed: int = 0, frames: bool = True,
                 max_task_steps: int = MAX_TASK_STEPS, render_mode: str | None = None,
                 chrome_binary: str | None = None, chromedriver: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} not supported; use 'rgb_array' or None")
        if max_task_steps < 1:
            raise ValueError(f"max_task_steps must be >= 1, got {max_task_steps}")
        self.tasks = check_tasks(tasks)
        self.seed = seed
        self.frames = frames
        self.max_task_steps = max_task_steps
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(MAX_REFS, start=1)  # legacy form: an int n clicks ref n
        text = spaces.Text(TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET)
        self.observation_space = spaces.Dict(
            {"frame": spaces.Box(0, 255, FRAME_SHAPE, np.uint8), "text": text} if frames else {"text": text}
        )
        self._browser: Browser | None = Browser(chrome_binary, chromedriver)
        self._index: int | None = None
        self._type, self._episode_seed = "", 0
        self._settle = True
        self._actions: list[dict[str, Any] | None] = []
        self._view = PageView()
        self._utterance = ""
        self._message = ""
        self._ended_now: list[str] = []  # the task milestone of the step that ended a task
        self._ended, self._solved = 0, 0
        self._types_solved: set[str] = set()

    # -- gymnasium API ---------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start the task stream of `seed` (default: the constructor's) at task 0."""
        super().reset(seed=seed)
        if seed is not None:
            self.seed = seed
        self._ended, self._solved, self._types_solved = 0, 0, set()
        self._message, self._ended_now = "", []
        with browser_errors():
            self._open(0)
            return self._observe(0)

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        if self._index is None:
            raise RuntimeError("call reset() before step()")
        cost, stored = 0, None
        if action is not None:
            name, args = self._parse(action)
            cost, stored = 1, {"name": name, "arguments": args.model_dump()}
        self._message, self._ended_now = "", []
        with browser_errors():
            _, reward = self._apply(stored)
            obs, info = self._observe(cost)
        return obs, reward, False, False, info

    def render(self) -> np.ndarray:
        """The task area as an RGB image (whether or not observations carry frames)."""
        if self._index is None:
            raise RuntimeError("call reset() before render()")
        with browser_errors():
            return self._browser_or_fail().screenshot()

    def close(self) -> None:
        """Quit the browser (idempotent)."""
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.close()

    def action_tools(self) -> list[ActionSpec]:
        return list(ACTION_TOOLS)

    # -- continuity --------------------------------------------------------------------------------

    def save_state(self) -> bytes:
        if self._index is None:
            raise RuntimeError("call reset() before save_state()")
        state = {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "tasks": list(self.tasks),
            "max_task_steps": self.max_task_steps,
            "task": self._index,
            "actions": self._actions,
            "ended": self._ended,
            "solved": self._solved,
            "types_solved": sorted(self._types_solved),
            "message": self._message,
            "ended_now": self._ended_now,
        }
        return json.dumps(state, sort_keys=True).encode()

    def load_state(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        """Re-open the saved task's page with its seed and replay the actions applied in it (the task's
        state is those actions); counters and the last message come from the state."""
        try:
            state = json.loads(bytes(data))
            if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
                raise ValueError
            tasks = check_tasks([str(t) for t in state["tasks"]])
            seed, index, limit = int(state["seed"]), int(state["task"]), int(state["max_task_steps"])
            actions = [None if a is None else self._normalise(a) for a in state["actions"]]
            ended, solved = int(state["ended"]), int(state["solved"])
            types_solved = {str(t) for t in state["types_solved"]}
            message, ended_now = str(state["message"]), [str(m) for m in state["ended_now"]]
            if index < 0 or limit < 1 or len(actions) >= limit or not 0 <= solved <= ended:
                raise ValueError
        except (ValueError, KeyError, TypeError, EnvError):
            raise ValueError(f"not a miniwob env state ({STATE_FORMAT})") from None
        self.seed, self.tasks, self.max_task_steps = seed, tasks, limit
        with browser_errors():
            self._open(index)
            for a in actions:
                self._message = ""
                if self._apply(a, replay=True)[0]:
                    raise ValueError(f"miniwob state of task {index} ({self._type}) did not replay: the page ended it")
            self._ended, self._solved, self._types_solved = ended, solved, types_solved
            self._message, self._ended_now = message, ended_now
            return self._observe(0)

    # -- actions -----------------------------------------------------------------------------------

    def _browser_or_fail(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("the env is closed")
        return self._browser

    def _parse(self, action: Any) -> tuple[str, BaseModel]:
        if isinstance(action, int | np.integer) and not isinstance(action, bool):
            return "click", Click(ref=int(action))
        return validate_action(ACTION_TOOLS, action)

    def _normalise(self, action: Any) -> dict[str, Any]:
        name, args = self._parse(action)
        return {"name": name, "arguments": args.model_dump()}

    def _apply(self, action: dict[str, Any] | None, replay: bool = False) -> tuple[bool, float]:
        """One step of the current task: the action, the page's verdict, the step limit; a task that ends
        is scored and the next one opened (not in a `replay`, where no task ends). Returns (ended, miniwob's
        reward on an end step, else 0)."""
        browser = self._browser_or_fail()
        if action is not None:
            getattr(self, "_do_" + action["name"])(**action["arguments"])
        self._actions.append(action)
        snap = browser.snapshot(self._settle)
        if not snap["done"] and len(self._actions) >= self.max_task_steps and not replay:
            browser.end_episode(STEP_LIMIT_REWARD, "step limit")
            snap = browser.snapshot()
        if not snap["done"]:
            self._see(snap)
            return False, 0.0
        if replay:
            return True, float(snap["reward"])
        reward = float(snap["reward"])
        success = reward > 0
        assert self._index is not None
        done, kind = self._index, self._type
        self._ended += 1
        if success:
            self._solved += 1
            self._types_solved.add(kind)
        self._ended_now = [task_milestone(done, kind, success, reward)]
        limit = f" (the {self.max_task_steps}-step limit)" if snap.get("reason") == "step limit" else ""
        self._message = (f"Task {done + 1} ({kind}) ended: {'success' if success else 'fail'}, reward "
                         f"{reward:.2f}{limit}. Task {done + 2} follows.")
        self._open(done + 1)
        return True, reward

    def _do_click(self, ref: int) -> None:
        if ref not in self._view.tags:
            self._message = f"there is no element [{ref}] on this page"
            return
        self._browser_or_fail().click_ref(ref)

    def _do_type(self, ref: int, text: str) -> None:
        tag = self._view.tags.get(ref)
        if tag is None:
            self._message = f"there is no element [{ref}] on this page"
            return
        if tag not in TYPEABLE:
            self._message = f"[{ref}] is a {tag}; type works on textboxes"
            return
        self._browser_or_fail().type_into(ref, sanitize_text(" ".join(text.splitlines()), MAX_TEXT))

    def _do_press_key(self, key: str) -> None:
        self._browser_or_fail().press_key(f"<{key}>")

    def _do_click_xy(self, x: int, y: int) -> None:
        if not (0 <= x < TASK_WIDTH and 0 <= y < TASK_HEIGHT):
            self._message = f"({x}, {y}) is off the picture; x is 0..{TASK_WIDTH - 1}, y 0..{TASK_HEIGHT - 1}"
            return
        self._browser_or_fail().click_xy(x, y)

    def _open(self, index: int) -> None:
        self._type, self._episode_seed = task_at(self.seed, index, self.tasks)
        browser = self._browser_or_fail()
        browser.open(self._type, self._episode_seed)
        self._index, self._actions = index, []
        self._settle = SUPPORTED.get(self._type, True)  # a type not checked stable without the wait gets it
        snap = browser.snapshot(self._settle)
        if snap["done"]:
            raise EnvError(f"miniwob task {self._type} ended as it opened")
        self._see(snap)

    def _see(self, snap: dict[str, Any]) -> None:
        utterance = snap["utterance"]  # a few tasks give {"utterance": ..., "fields": ...}
        self._utterance = str(utterance.get("utterance", "") if isinstance(utterance, dict) else utterance)
        self._view = page_view(snap["dom"])

    # -- observation -------------------------------------------------------------------------------

    def _lines(self) -> list[str]:
        assert self._index is not None
        lines = [f"Task {self._index + 1} ({self._type}): {self._utterance}", *self._view.lines]
        if self._message:
            lines.append(f"Message: {self._message}")
        return lines

    def _observe(self, cost: int) -> tuple[dict[str, Any], dict[str, Any]]:
        obs: dict[str, Any] = {"text": sanitize_text("\n".join(self._lines()))}
        if self.frames:
            obs = {"frame": self._browser_or_fail().screenshot(), **obs}
        else:
            obs["frame"] = None
        return obs, self._observe_info(cost)

    def _observe_info(self, cost: int) -> dict[str, Any]:
        assert self._index is not None
        milestones = [f"solved_{n}" for n in COUNT_MILESTONES if self._solved >= n]
        milestones += [f"solved_{t}" for t in sorted(self._types_solved)]
        milestones += self._ended_now
        focus = self._view.focused
        label = f"task {self._index + 1} ({self._type})" + (f", focus [{focus}]" if focus else "")
        return {
            "progress": Progress(where=(self._index, focus), label=label, milestones=milestones),
            "action_cost": cost,
            "game": {"task": self._index, "type": self._type, "episode_seed": self._episode_seed,
                     "task_step": len(self._actions), "ended": self._ended, "solved": self._solved,
                     "failed": self._ended - self._solved},
        }
