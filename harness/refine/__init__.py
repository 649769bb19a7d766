"""The outer loop: between steps, when a refinement is due, the refiner reads the recent trajectory
and edits the harness through the versions API (passes.py).

Cadence as the reference code: the first pass after `warmup` steps, then every `every` steps until
`early_until`, then every `every_late` (25 / 25 / 200 / 100; trajectory window 50). A pass is keyed by
the step count it ran after, so a resumed run knows which passes of that boundary are done and
redoes one a kill cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from harness.log.events import RefinePass
from harness.log.store import RunReader

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


def scheduled(done: int, s: RefineSettings) -> bool:
    """Is a pass due once `done` steps are committed?"""
    if done < s.warmup:
        return False
    if done <= s.early_until:
        return (done - s.warmup) % s.every == 0
    return (done - s.early_until) % s.every_late == 0


class Refiner:
    def __init__(self, settings: RefineSettings, last_at: int = -1, done: set[str] | None = None) -> None:
        self.settings = settings
        self.last_at = last_at  # the step count of the newest pass on record
        self.done = done or set()  # names of the passes completed at last_at

    @classmethod
    def rebuild(cls, settings: RefineSettings, reader: RunReader) -> Refiner:
        last = reader.last(RefinePass)
        if last is None:
            return cls(settings)
        done = {e.name for _, e in reader.events("refine_pass", after_seq=0)
                if isinstance(e, RefinePass) and e.at_step == last.at_step}
        return cls(settings, last.at_step, done)

    def maybe_refine(self, agent: Agent) -> None:
        from harness.refine.passes import PASSES

        at = agent.step_id
        if not scheduled(at, self.settings):
            return
        if at != self.last_at:
            self.last_at, self.done = at, set()
        for name, run_pass in PASSES.items():
            if name not in self.done:
                run_pass(agent, self.settings, at, [f"scheduled after {at} steps"])
                self.done.add(name)
