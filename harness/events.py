"""Event schema of the run log. Every event row carries `kind`; the log carries SCHEMA_VERSION.

Big content (frames, observation text, prompts, savestates, harness documents) is not inline:
events hold a content hash (`*_ref`) into the blob table, so repeated content is stored once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

SCHEMA_VERSION = 1


class RunStarted(BaseModel):
    kind: Literal["run_started"] = "run_started"
    config: dict[str, Any]
    env_id: str
    rom_sha1: str | None = None
    harness_version: int
    harness_hash: str


class RunResumed(BaseModel):
    kind: Literal["run_resumed"] = "run_resumed"
    from_step: int  # the next step id to run
    replayed_presses: int
    savestate_step: int
    seconds: float


class HarnessVersion(BaseModel):
    kind: Literal["harness_version"] = "harness_version"
    version: int
    hash: str
    doc_ref: str  # blob: the full harness document of this version
    patch: list[dict[str, Any]]  # JSON-patch from the previous version ([] for version 0)
    reason: str


class Step(BaseModel):
    kind: Literal["step"] = "step"
    step: int
    obs_ref: str  # blob: the text observation the model saw
    frame_ref: str | None = None  # blob: PNG of the frame the model saw
    prompt_ref: str  # blob: JSON list of {role, content_ref}
    response: dict[str, Any]  # {text, tool_calls} of the accepted (or last) reply
    buttons: list[str]
    reasoning: str = ""
    presses: int
    total_presses: int
    tokens_in: int
    tokens_out: int
    tokens_cached: int = 0
    cost_usd: float
    total_tokens_in: int
    total_tokens_out: int
    total_cost_usd: float
    harness_version: int
    format_failure: bool = False
    repairs: int = 0
    latency_s: float = 0.0
    location: str = ""
    position: tuple[int, int] = (0, 0)
    new_milestones: list[str] = Field(default_factory=list)
    frame_count: int = 0


class Milestone(BaseModel):
    kind: Literal["milestone"] = "milestone"
    name: str
    step: int
    button_presses: int
    tokens: int
    cost_usd: float


class Savestate(BaseModel):
    kind: Literal["savestate"] = "savestate"
    step: int  # state *after* this step (-1: right after reset)
    ref: str


class FormatFailure(BaseModel):
    kind: Literal["format_failure"] = "format_failure"
    step: int
    attempts: int
    error: str
    text: str  # the last reply, truncated


class ModelErrorEvent(BaseModel):
    kind: Literal["model_error"] = "model_error"
    step: int
    message: str
    retryable: bool
    backoff_s: float


class RunStopped(BaseModel):
    kind: Literal["run_stopped"] = "run_stopped"
    reason: Literal["steps_done", "budget", "interrupted", "error"]
    message: str = ""
    next_step: int


Event = Annotated[
    RunStarted
    | RunResumed
    | HarnessVersion
    | Step
    | Milestone
    | Savestate
    | FormatFailure
    | ModelErrorEvent
    | RunStopped,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: dict[str, Any]) -> Event:
    return EVENT_ADAPTER.validate_python(data)
