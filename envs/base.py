"""The one contract every environment meets (Game Boy, GBA, web, desktop, the test form).

An env is a gymnasium env used reset-free (`reset(seed=...)` once, then `step` forever) plus:

- `action_tools() -> list[ActionSpec]`: the env declares its actions (GB buttons, web click/type, ...).
  The tool layer (tools/actions.py) turns each into a model-callable tool; the agent never knows
  what a button is.
- `step(action)`: `action` is `{"name": <ActionSpec.name>, "arguments": {...}}` (arguments valid for
  that spec's `args` model), or `None` for "no action this step" (the env just lets time pass).
- `save_state() -> bytes` / `load_state(bytes) -> (obs, info)`: an exact round trip (the checker
  in envs/checker.py proves it), which is what resume and replay stand on.
- `obs`: `{"text": str, "frame": RGB uint8 array or None}`.
- `info["progress"]`: a `Progress` (`where`: a hashable loop key; `label`: how a person names that
  place; `milestones`: milestone names that hold *now*, made sticky by the runtime).
- `info["action_cost"]`: what the step cost in the env's unit (button presses; one per click or
  key): the paper's cost metric, summed by the runtime.
- `instructions`: a short, constant text telling the model how to read the observation.
- Errors: an action that is not one of `action_tools()` or whose arguments do not validate raises
  ValueError (pydantic's ValidationError is one); an action that is well formed but makes no sense
  in the current state (clicking a ref that is not there) is the env's business: it answers in the
  next observation, it does not raise. `load_state` of bytes it did not write raises ValueError.

Game-specific state may ride along in `info["game"]` for adapters and prompts; the loop never reads it.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

# Text observations are printable ASCII plus newlines (what gymnasium's Text space below can hold).
TEXT_CHARSET: str = "".join(c for c in string.printable if c not in "\t\r\x0b\x0c")
TEXT_MAX_LENGTH = 16_384
_TEXT_CHARS = frozenset(TEXT_CHARSET)
_SYMBOLS = str.maketrans({"♂": "(M)", "♀": "(F)", "…": "...", "×": "x", "’": "'", "“": '"', "”": '"'})


class RomError(Exception):
    """An env that cannot start (missing or wrong ROM, bad file); the message is one line for the user."""


class EnvError(RomError):
    """An env-level failure with a one-line message (the CLI prints it as is)."""


class ActionSpec(BaseModel):
    """One action an env offers; the tool layer exposes it to the model as a tool."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    name: str
    description: str
    args: type[BaseModel] = Field(description="pydantic model of the arguments; its JSON schema is what the model sees")
    examples: tuple[dict[str, Any], ...] = Field(
        (), description="argument sets valid in any state (the checker steps each; a prompt may show one)"
    )

    def call(self, **arguments: Any) -> dict[str, Any]:
        """The action dict for `env.step`, arguments validated: `spec.call(buttons=["A"])`."""
        return {"name": self.name, "arguments": self.args.model_validate(arguments).model_dump()}


class Progress(BaseModel):
    """Env-neutral progress signal: enough for history lines, loop detection and milestones."""

    where: tuple[str | int, ...] = Field(description="hashable loop key, e.g. (map, x, y) or (url, task)")
    label: str = Field("", description="how a person names this place, for history lines")
    milestones: list[str] = Field(default_factory=list, description="milestones that hold now (tracker makes sticky)")

    def text(self) -> str:
        return self.label or " ".join(str(p) for p in self.where)


Action = dict[str, Any]  # {"name": str, "arguments": dict}


@runtime_checkable
class Env(Protocol):
    """What the runtime needs from an env (gymnasium.Env subclasses satisfy the gym half)."""

    instructions: ClassVar[str] | str

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None,
              ) -> tuple[dict[str, Any], dict[str, Any]]: ...

    def step(self, action: Action | None) -> tuple[dict[str, Any], Any, bool, bool, dict[str, Any]]: ...

    def save_state(self) -> bytes: ...

    def load_state(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]: ...

    def action_tools(self) -> list[ActionSpec]: ...

    def close(self) -> None: ...


def validate_action(specs: Iterable[ActionSpec], action: Any) -> tuple[str, BaseModel]:
    """`{"name": ..., "arguments": {...}}` -> (name, validated arguments); ValueError naming what is wrong."""
    if not isinstance(action, dict) or not isinstance(action.get("name"), str):
        raise ValueError(f'an action is {{"name": str, "arguments": dict}}, got {action!r}')
    arguments = action.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise ValueError(f"arguments of {action['name']!r} must be a dict, got {type(arguments).__name__}")
    specs = list(specs)
    for spec in specs:
        if spec.name == action["name"]:
            return spec.name, spec.args.model_validate(arguments)
    raise ValueError(f"unknown action {action['name']!r}; this env offers {', '.join(s.name for s in specs)}")


def sanitize_text(text: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    """Fit `text` into TEXT_CHARSET: accents stripped, a few symbols spelled out, the rest '?'."""
    if not all(c in _TEXT_CHARS for c in text):
        text = unicodedata.normalize("NFKD", text.translate(_SYMBOLS))
        text = "".join(c if c in _TEXT_CHARS else "?" for c in text if not unicodedata.combining(c))
    return text[:max_length]


TASK_OUTCOMES: tuple[str, ...] = ("success", "fail")


def task_milestone(index: int, task_type: str, success: bool, reward: float) -> str:
    """The milestone name a task-stream env (miniwob, desktop) reports on the step one task of the stream
    ends: `task:0007:click-button:success:0.83`. `harness inspect` turns these into success rates per task
    type; the runtime makes them sticky like any milestone, so they are reported once, at the end step."""
    if ":" in task_type:
        raise ValueError(f"a task type has no ':' ({task_type!r})")
    return f"task:{index:04d}:{task_type}:{'success' if success else 'fail'}:{reward:.2f}"


def parse_task_milestone(name: str) -> tuple[int, str, bool, float] | None:
    """(index, task type, success, reward) of a `task_milestone` name; None for any other milestone."""
    parts = name.split(":")
    if len(parts) != 5 or parts[0] != "task" or parts[3] not in TASK_OUTCOMES:
        return None
    try:
        return int(parts[1]), parts[2], parts[3] == "success", float(parts[4])
    except ValueError:
        return None


def progress_of(info: dict[str, Any]) -> Progress:
    """`info["progress"]` as a Progress (envs may hand a plain dict)."""
    p = info.get("progress")
    if isinstance(p, Progress):
        return p
    if isinstance(p, dict):
        return Progress.model_validate(p)
    raise ValueError("env broke the contract: info['progress'] is missing")
