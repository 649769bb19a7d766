"""Milestones are sticky: the first step at which a condition held is what counts."""

from __future__ import annotations

from harness.log.events import Milestone


class MilestoneTracker:
    def __init__(self, reached: list[Milestone] | None = None) -> None:
        self.reached: dict[str, Milestone] = {m.name: m for m in reached or []}

    def update(self, names: list[str], *, step: int, presses: int, tokens: int, cost_usd: float,
               ) -> list[Milestone]:
        new = []
        for name in names:
            if name not in self.reached:
                m = Milestone(name=name, step=step, presses=presses, tokens=tokens, cost_usd=cost_usd)
                self.reached[name] = m
                new.append(m)
        return new
