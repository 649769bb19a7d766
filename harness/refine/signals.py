"""Cheap refiner triggers computed from Step events, with no model calls.

Four signals, each with a cooldown: `stuck` (no change of `where` for N steps), `loop` (a few places visited
over and over), `stall` (no new milestone and no never-seen place for N steps) and `failures` (format failures
plus failed meta-tool calls in a window). Memory is bounded over any run length (deques with maxlen, counters
capped at `history`) except the set of places ever seen: 8-byte hashes of `where`, growing with the number of
distinct places, not with steps.

Resume rebuilds the exact live state with `Signals.rebuild` (see there): the counters are capped at `history`
steps, so the last `history` Step events hold all they need, and a detail reads "100+ steps" past the cap.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from harness.log.events import Step

TriggerName = Literal["stuck", "loop", "stall", "failures"]


class SignalSettings(BaseModel):
    stuck_steps: int = Field(20, ge=1, description="Fire `stuck` after this many consecutive steps without a change "
                                                   "of `where`.")
    loop_window: int = Field(50, ge=1, description="Steps looked at by `loop` (it waits until the window is full).")
    loop_places: int = Field(4, ge=2, description="Fire `loop` when the last `loop_window` steps ended at 2 to this "
                                                  "many distinct places (one place is `stuck`).")
    stall_steps: int = Field(100, ge=1, description="Fire `stall` after this many steps with no new milestone and no "
                                                    "never-seen-before `where`.")
    failure_window: int = Field(20, ge=1, description="Steps looked at by `failures`.")
    failure_count: int = Field(5, ge=1, description="Fire `failures` when format failures plus failed meta-tool calls "
                                                    "in the last `failure_window` steps reach this.")
    cooldown_steps: int = Field(50, ge=0, description="A trigger that fired does not fire again for this many steps.")

    @property
    def history(self) -> int:
        """Step events a rebuild needs; also the cap of the stuck and stall counters."""
        return max(self.stuck_steps, self.loop_window, self.stall_steps, self.failure_window)


class Trigger(BaseModel):
    name: TriggerName
    step: int
    detail: str  # one short sentence with the numbers


def place_key(where: Iterable[Any]) -> int:
    """A stable 8-byte hash of a `where` value (the same in every process, unlike `hash`)."""
    raw = json.dumps(list(where), sort_keys=True, default=str, separators=(",", ":")).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


class Signals:
    """Feed `update` each committed step, ask `due` for the triggers to act on."""

    def __init__(self, settings: SignalSettings | None = None) -> None:
        self.settings = s = settings or SignalSettings()
        self._seen: set[int] = set()  # place_key of every `where` ever reached: grows with distinct places only
        self._still = 0  # consecutive steps with where == where_before, capped at history
        self._quiet = 0  # steps since the last new milestone or new place, capped at history
        self._label = ""  # where the last step left the player
        self._places: deque[tuple[int, str]] = deque(maxlen=s.loop_window)
        self._fails: deque[tuple[int, int]] = deque(maxlen=s.failure_window)  # (format failures, failed meta calls)
        self._fired: dict[str, int] = {}

    @property
    def fired(self) -> dict[str, int]:
        """The step at which each trigger last fired: what the runtime logs and passes back to `rebuild`."""
        return dict(self._fired)

    def rebuild_places(self, where_values: Iterable[Iterable[Any]]) -> None:
        """Mark places as seen: the `where` of every step before the first one given to `rebuild`."""
        self._seen.update(place_key(w) for w in where_values)

    @classmethod
    def rebuild(cls, steps: Iterable[Step], fired: dict[str, int], places: Iterable[Iterable[Any]] | None = None,
                settings: SignalSettings | None = None) -> Signals:
        """The state a live Signals had after the last of `steps`. `steps`: the last `settings.history` Step
        events in order (or all of them, from step 0, when the run is shorter); `fired`: the last step each
        trigger fired at; `places`: the `where` of every step before the first of `steps` (None: there is none)."""
        sig = cls(settings)
        sig.rebuild_places(places or ())
        for e in steps:
            sig.update(e)
        sig._fired = dict(fired)
        return sig

    def update(self, e: Step) -> None:
        cap = self.settings.history
        key = place_key(e.where)
        self._still = min(self._still + 1, cap) if e.where == e.where_before else 0
        self._quiet = 0 if e.new_milestones or key not in self._seen else min(self._quiet + 1, cap)
        self._seen.add(key)
        self._label = e.label or str(e.where)
        self._places.append((key, self._label))
        self._fails.append((int(e.format_failure), sum(not c.ok for c in e.calls)))

    def _holding(self) -> list[tuple[TriggerName, str]]:
        s, cap = self.settings, self.settings.history

        def n(count: int) -> str:
            return f"{count}+" if count >= cap else str(count)

        out: list[tuple[TriggerName, str]] = []
        if self._still >= s.stuck_steps:
            out.append(("stuck", f"no change of place for {n(self._still)} steps at {self._label}"))
        places = dict(self._places)  # key -> label, in order of first visit in the window
        if len(self._places) == s.loop_window and 2 <= len(places) <= s.loop_places:  # one place is `stuck`
            out.append(("loop", f"only {len(places)} places in the last {s.loop_window} steps: "
                                + ", ".join(places.values())))
        if self._quiet >= s.stall_steps:
            out.append(("stall", f"no new milestone or new place for {n(self._quiet)} steps"))
        fmt, tool = sum(f for f, _ in self._fails), sum(t for _, t in self._fails)
        if fmt + tool >= s.failure_count:
            out.append(("failures", f"{fmt + tool} failures in the last {len(self._fails)} steps "
                                    f"({fmt} format, {tool} tool)"))
        return out

    def due(self, step: int) -> list[Trigger]:
        """Triggers that hold now and are out of cooldown; marks them fired at `step`."""
        out = []
        for name, detail in self._holding():
            last = self._fired.get(name)
            if last is None or step - last >= self.settings.cooldown_steps:
                self._fired[name] = step
                out.append(Trigger(name=name, step=step, detail=detail))
        return out
