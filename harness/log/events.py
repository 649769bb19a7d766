"""Event schema v2 of the run log: a discriminated union of typed events.

Every event has an id, a timestamp, the step it belongs to (None for run-level events) and the span
it happened in (a refine pass, a sub-agent call, a skill run; None for the main loop). Big content
(frames, observation text, prompts, savestates, harness documents) is not inline: events hold a
content hash (`*_ref`) into the blob table, so repeated content is stored once.

The log is the truth: totals, the harness version, milestones and the model's context window are
all rebuilt from these events on resume, and inspect / watch / replay / report read nothing else.
Older run directories are opened through `upcast` (see below) or refused with one line.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from memory.store import MemoryOp

SCHEMA_VERSION = 2


def _id() -> str:
    return uuid.uuid4().hex[:16]


class BaseEvent(BaseModel):
    kind: str
    id: str = Field(default_factory=_id)
    ts: float = Field(default_factory=time.time)
    step: int | None = None
    span: str | None = None


class Totals(BaseModel):
    """Running totals of a run. `presses` is the env's action cost: button presses (one per click or key
    in web and desktop envs), the paper's cost metric."""

    steps: int = 0
    presses: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    model_calls: int = 0
    format_failures: int = 0

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


# --- run lifecycle --------------------------------------------------------------------------------

class RunStarted(BaseEvent):
    kind: Literal["run_started"] = "run_started"
    config: dict[str, Any]
    env_id: str
    rom_sha1: str | None = None
    harness_version: int
    harness_hash: str


class RunResumed(BaseEvent):
    kind: Literal["run_resumed"] = "run_resumed"
    from_step: int  # the next step id to run
    replayed_steps: int
    replayed_presses: int
    savestate_step: int
    seconds: float
    cut_spans: list[str] = Field(default_factory=list)  # spans a kill left open (passes that were cut)


class RunStopped(BaseEvent):
    kind: Literal["run_stopped"] = "run_stopped"
    reason: Literal["steps_done", "budget", "interrupted", "stopped", "error"]
    message: str = ""
    next_step: int


# --- the harness document -------------------------------------------------------------------------

class HarnessVersion(BaseEvent):
    kind: Literal["harness_version"] = "harness_version"
    version: int
    parent: int | None  # None for the first version of a run
    hash: str
    doc_ref: str  # blob: the full harness document of this version
    patch: list[dict[str, Any]]  # JSON patch from the parent ([] for the first version)
    reason: str
    trigger: str = "preset"  # preset | agent | refiner | gate | rollback | user | bootstrap


class Rollback(BaseEvent):
    kind: Literal["rollback"] = "rollback"
    from_version: int
    to_version: int
    new_version: int  # a rollback is a new version whose document equals `to_version`'s
    reason: str


# --- steps and model calls ------------------------------------------------------------------------

class ToolCallRecord(BaseModel):
    """A tool call made during a step, with (the start of) its result."""

    name: str
    arguments: dict[str, Any]
    kind: Literal["action", "meta"]
    ok: bool = True
    result: str = ""


class Step(BaseEvent):
    """One step of the main loop: any meta-tool calls, then one action (or none)."""

    kind: Literal["step"] = "step"
    step: int
    action: dict[str, Any] | None  # {"name", "arguments"} as the env received it; None: no usable action
    # a macro tool (navigate_to, a sub-agent call) acts several times: `action` is the tool call and
    # these are the env actions it made, in order (resume replays them); None: just `action`
    env_actions: list[dict[str, Any] | None] | None = None
    reasoning: str = ""
    action_cost: int = 0
    calls: list[ToolCallRecord] = Field(default_factory=list)  # meta calls before the action, in order
    where_before: list[Any]
    label_before: str = ""
    where: list[Any]  # progress.where after the action
    label: str = ""
    obs_ref: str  # blob: the text observation the model saw
    frame_ref: str | None = None  # blob: PNG of the frame the model saw
    prompt_ref: str  # blob: the prompt of the call that chose the action (JSON list of messages)
    harness_version: int  # the version the step's prompt was built from
    format_failure: bool = False
    repairs: int = 0
    model_calls: int = 0
    latency_s: float = 0.0  # wall time of the whole step: model calls, tools, env
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    totals: Totals
    new_milestones: list[str] = Field(default_factory=list)


class ModelCall(BaseEvent):
    """One call to a model, whatever it was for; written as soon as it returns, so money spent on a
    step that a kill later cut is still on record (and in the totals)."""

    kind: Literal["model_call"] = "model_call"
    purpose: str  # act | repair | refine | subagent | prm | summary
    model: str
    tokens_in: int
    tokens_out: int
    tokens_cached: int = 0
    cost_usd: float
    latency_s: float
    prompt_ref: str
    reply: dict[str, Any]  # {"text", "tool_calls"}
    notes: list[str] = Field(default_factory=list)
    totals: Totals  # running totals after this call


class ModelErrorEvent(BaseEvent):
    kind: Literal["model_error"] = "model_error"
    message: str
    retryable: bool
    backoff_s: float
    purpose: str = "act"


class FormatFailure(BaseEvent):
    kind: Literal["format_failure"] = "format_failure"
    attempts: int
    error: str
    text: str  # the last reply, truncated


class Milestone(BaseEvent):
    kind: Literal["milestone"] = "milestone"
    name: str
    step: int
    presses: int
    tokens: int
    cost_usd: float


class Savestate(BaseEvent):
    kind: Literal["savestate"] = "savestate"
    step: int  # state *after* this step (-1: right after reset)
    ref: str


class EditRefused(BaseEvent):
    """A proposed harness edit that validation refused (limit, read-only, growth cap, unknown item)."""

    kind: Literal["edit_refused"] = "edit_refused"
    source: str  # refiner | agent
    target: str  # what it tried to change, e.g. "block notes"
    reason: str


class RefinePass(BaseEvent):
    """One refiner pass, written when it ends (with the versions it made, in one transaction). A pass
    cut by a kill leaves only its span_start: resume redoes it from scratch."""

    kind: Literal["refine_pass"] = "refine_pass"
    name: str  # prompt | subagents | skills | memory
    at_step: int  # the pass ran after this many steps
    why: list[str]  # schedule, triggers, the agent's request
    triggers: list[dict[str, Any]] = Field(default_factory=list)  # {name, step, detail}: cooldowns rebuild from these
    status: Literal["applied", "no_edits", "refused", "failed"]
    analysis: str = ""
    proposed: int = 0
    applied: int = 0
    refused: int = 0
    version: int  # harness version after the pass
    error: str = ""


class GateDecision(BaseEvent):
    """The end of a refiner version's probation: its progress against its parent's over equal windows."""

    kind: Literal["gate_decision"] = "gate_decision"
    version: int  # the newest version the pass made
    parent: int  # the version before the pass
    at_step: int  # the pass ran after this many steps
    kept: bool
    parent_score: float  # (distinct places + 10 x milestones) per step, in the window before the pass
    new_score: float  # the same, in the window after it
    parent_failures: float  # format failures + failed tool calls per step
    new_failures: float


# --- spans, control, models -----------------------------------------------------------------------

class SpanStart(BaseEvent):
    kind: Literal["span_start"] = "span_start"
    span: str
    name: str
    span_kind: str  # refine | subagent | skill
    parent: str | None = None


class SpanEnd(BaseEvent):
    kind: Literal["span_end"] = "span_end"
    span: str
    status: Literal["ok", "error", "cut"]
    summary: str = ""


class SubStep(BaseEvent):
    """One env action taken inside a span (a skill's press, a sub-agent's turn), logged as it happens. The
    step's own event lists the same actions (`env_actions`) when it commits; these show the inside live."""

    kind: Literal["substep"] = "substep"
    index: int  # the env action's position in its step
    action: dict[str, Any] | None
    label: str  # where the env is after it
    cost: int = 0


class ControlRequest(BaseEvent):
    """Written by a user or the TUI; the loop honours it at the next step boundary."""

    kind: Literal["control_request"] = "control_request"
    action: Literal["pause", "resume", "stop"]
    source: str = "cli"


class ControlApplied(BaseEvent):
    kind: Literal["control_applied"] = "control_applied"
    action: Literal["pause", "resume", "stop"]
    request_id: str


class ModelSwap(BaseEvent):
    kind: Literal["model_swap"] = "model_swap"
    old: str
    new: str
    reason: str


class Summary(BaseEvent):
    """The rolling summary of the steps before `upto`, shown to the model once they leave its window.
    Written before the step that first shows it; a resumed run reads it back instead of asking again."""

    kind: Literal["summary"] = "summary"
    upto: int  # covers steps 0 .. upto-1
    text: str
    source: Literal["model", "fallback"]
    error: str = ""  # why the fallback was used


class MemoryWrite(BaseEvent):
    """A memory mutation (add, update, demote, forget, evict), the entry after it; the vector is a blob.
    The chromadb index is rebuilt from these events."""

    kind: Literal["memory"] = "memory"
    op: MemoryOp


class MemoryRead(BaseEvent):
    """Memory entries shown to the model (in a step's prompt, or by a search): what "used" counts."""

    kind: Literal["memory_read"] = "memory_read"
    ids: list[str]
    purpose: Literal["prompt", "search", "refine"]
    query: str = ""


class ColearnPhase(BaseEvent):
    """A finished phase of a co-learning iteration (rollout, relabel, train, convert, swap; "iteration" closes
    it with the iteration's numbers). A resumed `harness colearn` skips the phases on record."""

    kind: Literal["colearn_phase"] = "colearn_phase"
    iteration: int
    phase: Literal["rollout", "relabel", "train", "convert", "swap", "iteration"]
    seconds: float
    data: dict[str, Any] = Field(default_factory=dict)


Event = Annotated[
    RunStarted | RunResumed | RunStopped | HarnessVersion | Rollback | Step | ModelCall | ModelErrorEvent
    | FormatFailure | Milestone | Savestate | EditRefused | RefinePass | GateDecision | SpanStart | SpanEnd
    | ControlRequest | ControlApplied | ModelSwap | Summary | MemoryWrite | MemoryRead | SubStep | ColearnPhase,
    Field(discriminator="kind"),
]
EVENT_TYPES: tuple[type[BaseEvent], ...] = (
    RunStarted, RunResumed, RunStopped, HarnessVersion, Rollback, Step, ModelCall, ModelErrorEvent, FormatFailure,
    Milestone, Savestate, EditRefused, RefinePass, GateDecision, SpanStart, SpanEnd, ControlRequest, ControlApplied,
    ModelSwap, Summary, MemoryWrite, MemoryRead, SubStep, ColearnPhase,
)
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: dict[str, Any]) -> BaseEvent:
    return EVENT_ADAPTER.validate_python(data)  # type: ignore[return-value]
