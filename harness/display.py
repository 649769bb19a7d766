"""Progress display for `harness run` / `resume`: a rich progress bar on a terminal, plain lines otherwise.

Displays only read what the loop reports (step events, milestones); they never drive the loop.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol

from harness.log.events import Milestone, Step, Totals


class Display(Protocol):
    def start(self, first_step: int, target: int, milestones: int = 0) -> None: ...
    def on_step(self, event: Step, new: list[Milestone], totals: Totals) -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


def _summary(event: Step, totals: Totals, milestones: int) -> str:
    return (
        f"presses {totals.presses}  milestones {milestones}  tokens {totals.tokens:,}"
        f"  ${totals.cost_usd:.4f}  fmt-fail {totals.format_failures}  H v{event.harness_version}  @ {event.label}"
    )


class PlainDisplay:
    """One line every `every` steps and at each milestone (logs, CI, pipes)."""

    def __init__(self, every: int = 10, stream=None) -> None:
        self.every, self.stream, self.milestones = every, stream or sys.stderr, 0
        self.t0 = time.monotonic()

    def start(self, first_step: int, target: int, milestones: int = 0) -> None:
        self.first, self.target, self.milestones = first_step, target, milestones
        self.t0 = time.monotonic()

    def on_step(self, event: Step, new: list[Milestone], totals: Totals) -> None:
        self.milestones += len(new)
        for m in new:
            print(f"  milestone {m.name!r} at step {m.step}, {m.presses} presses", file=self.stream)
        done = event.step + 1
        if done % self.every == 0 or done == self.target:
            rate = (done - self.first) / max(time.monotonic() - self.t0, 1e-9)
            print(f"step {done}/{self.target} ({rate:.1f}/s)  {_summary(event, totals, self.milestones)}",
                  file=self.stream, flush=True)

    def message(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichDisplay:
    """A live progress bar with the run's counters (interactive terminals)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]steps"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"), transient=False, console=Console(stderr=True),
        )
        self.milestones = 0

    def start(self, first_step: int, target: int, milestones: int = 0) -> None:
        self.milestones = milestones  # a resumed run has reached some already
        self.progress.start()
        self.task = self.progress.add_task("run", total=target, completed=first_step, info="")

    def on_step(self, event: Step, new: list[Milestone], totals: Totals) -> None:
        self.milestones += len(new)
        for m in new:
            self.progress.console.print(
                f"[green]milestone[/] {m.name} at step {m.step}, {m.presses} presses, ${m.cost_usd:.4f}")
        self.progress.update(self.task, completed=event.step + 1, info=_summary(event, totals, self.milestones))

    def message(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self.progress.stop()


def make_display(quiet: bool = False) -> Display | None:
    if quiet:
        return None
    return RichDisplay() if sys.stderr.isatty() else PlainDisplay()
