"""The outer loop: between steps, when a refinement is due, the refiner reads the recent trajectory
and edits the harness through the versions API (passes.py). Due means: the schedule, a cheap
trigger from the step events (signals.py: stuck, loop, stall, failures, each with a cooldown), or
the agent's own `request_refinement(reason)` call, whose reason goes into the refiner's prompt.

Cadence as the reference code: the first pass after `warmup` steps, then every `every` steps until
`early_until`, then every `every_late` (25 / 25 / 200 / 100; trajectory window 50). A pass is keyed by
the step count it ran after, so a resumed run knows which passes of that boundary are done and
redoes one a kill cut.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from harness.log.events import RefinePass, Step
from harness.log.store import RunReader
from harness.refine.gate import GateSettings, check
from harness.refine.signals import Signals, SignalSettings, Trigger

if TYPE_CHECKING:
    from harness.agent import Agent

REFINED_PRESETS = {"continual"}  # presets whose runs refine unless told otherwise


class RefineSettings(BaseModel):
    enabled: bool | None = Field(None, description="refine this run (None: on for the continual preset)")
    warmup: int = Field(25, ge=1, description="steps before the first pass")
    every: int = Field(25, ge=1, description="steps between passes until early_until")
    early_until: int = Field(200, ge=0, description="after this many steps, passes come every every_late steps")
    every_late: int = Field(100, ge=1, description="steps between passes later on")
    window: int = Field(50, ge=1, description="recent steps the refiner reads")
    growth_cap: int = Field(1200, ge=0, description="most characters one pass may add to the prompt blocks")
    request_cooldown: int = Field(10, ge=0, description="an agent's request_refinement starts a pass only if no "
                                  "pass (scheduled, triggered or requested) ran in this many steps before it")
    passes: list[Literal["prompt", "subagents", "skills", "memory"]] = Field(
        ["prompt", "subagents", "skills", "memory"], description="the passes run at each refinement, in order (a pass "
        "runs only if the harness has what it edits: subagents needs call_subagent, skills needs run_skill, memory "
        "needs memory.enabled)")
    triggers: bool = Field(True, description="let the cheap triggers start passes too (not only the schedule)")
    signals: SignalSettings = Field(default_factory=SignalSettings, description="the cheap triggers' thresholds")
    gate: GateSettings = Field(default_factory=GateSettings, description="probation and rollback of refiner edits")


def scheduled(done: int, s: RefineSettings) -> bool:
    """Is a pass due once `done` steps are committed?"""
    if done < s.warmup:
        return False
    if done <= s.early_until:
        return (done - s.warmup) % s.every == 0
    return (done - s.early_until) % s.every_late == 0


def requests_in(e: Step) -> list[str]:
    """The reasons of the agent's request_refinement calls in a step."""
    return [str(c.arguments.get("reason", "")) for c in e.calls if c.name == "request_refinement"]


class Refiner:
    def __init__(self, settings: RefineSettings, last_at: int = -1, done: set[str] | None = None,
                 signals: Signals | None = None) -> None:
        self.settings = settings
        self.last_at = last_at  # the step count of the newest pass on record
        self.done = done or set()  # names of the passes completed at last_at
        self.signals = signals or Signals(settings.signals)
        self.triggers: list[Trigger] = []  # fired since the last pass
        self.requests: list[str] = []  # the agent's reasons since the last pass
        self.last_request_at = -(10**9)  # the step count of the last pass an agent's request started
        # a boundary a kill cut between two passes: the why and triggers its first pass was run with
        self.unfinished: tuple[list[str], list[Trigger]] | None = None

    def observe(self, e: Step) -> None:
        """After each committed step."""
        self.signals.update(e)
        if self.settings.triggers:
            self.triggers += self.signals.due(e.step)
        self.requests += requests_in(e)

    @classmethod
    def rebuild(cls, settings: RefineSettings, reader: RunReader, next_step: int) -> Refiner:
        """The live state at step boundary `next_step`, from the log."""
        passes = [e for _, e in reader.events("refine_pass") if isinstance(e, RefinePass)]
        fired = {t["name"]: t["step"] for p in passes for t in p.triggers}
        first = max(0, next_step - settings.signals.history)
        rows = reader.db.execute("SELECT json_extract(data, '$.where') FROM events WHERE kind='step' AND step < ?",
                                 (first,))
        places = (json.loads(where) for (where,) in rows)
        signals = Signals.rebuild(reader.steps(first, next_step), fired, places, settings.signals)
        last = passes[-1] if passes else None
        refiner = cls(settings, last.at_step if last else -1,
                      {p.name for p in passes if last and p.at_step == last.at_step}, signals)
        asked = [p.at_step for p in passes if any(w.startswith("the agent asked") for w in p.why)]
        refiner.last_request_at = asked[-1] if asked else refiner.last_request_at
        if last is not None and last.at_step == next_step:  # cut between passes: finish them with the same why
            refiner.unfinished = (last.why, [Trigger.model_validate(t) for t in last.triggers])
        if next_step and (last is None or last.at_step != next_step):  # the last step's triggers and requests
            previous = next(iter(reader.steps(next_step - 1, next_step)))
            refiner.triggers = signals.due(previous.step) if settings.triggers else []
            refiner.requests = requests_in(previous)
        return refiner

    def maybe_refine(self, agent: Agent) -> None:
        check(agent, self.settings.gate)  # a version whose probation just ended is kept or rolled back first
        at = agent.step_id
        if self.unfinished is not None:
            why, triggers = self.unfinished
            self.unfinished = None
            if at == self.last_at:
                self.run_passes(agent, at, why, triggers)
                return
        on_schedule = scheduled(at, self.settings)
        recent = max(self.last_request_at, self.last_at if self.last_at >= 0 else -(10**9))
        if self.requests and at - recent < self.settings.request_cooldown:
            self.requests = []  # a pass ran moments ago (any cause): the reason still shows in the step's record
        if not (on_schedule or self.triggers or self.requests):
            return
        if self.requests:
            self.last_request_at = at
        why = ([f"scheduled after {at} steps"] if on_schedule else []) + [
            f"trigger {t.name}: {t.detail}" for t in self.triggers] + [f"the agent asked: {r}" for r in self.requests]
        if at != self.last_at:
            self.last_at, self.done = at, set()
        self.run_passes(agent, at, why, self.triggers)
        self.triggers, self.requests = [], []

    def run_passes(self, agent: Agent, at: int, why: list[str], triggers: list[Trigger]) -> None:
        """The passes of boundary `at` not done yet, in order."""
        from harness.refine.passes import PASSES, run_pass

        for name in self.settings.passes:
            kind = PASSES[name]
            if name not in self.done and kind.applies(agent.versions.current):
                run_pass(kind, agent, self.settings, at, why, triggers)
                self.done.add(name)
