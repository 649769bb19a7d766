"""Milestones are sticky: the first step at which a condition held is what counts."""

from __future__ import annotations

from harness.events import Milestone


class MilestoneTracker:
    def __init__(self, reached: list[Milestone] | None = None) -> None:
        self.reached: dict[str, Milestone] = {m.name: m for m in reached or []}

    def update(self, names: list[str], *, step: int, button_presses: int, tokens: int, cost_usd: float,
               ) -> list[Milestone]:
        new = []
        for name in names:
            if name not in self.reached:
                m = Milestone(name=name, step=step, button_presses=button_presses, tokens=tokens, cost_usd=cost_usd)
                self.reached[name] = m
                new.append(m)
        return new
