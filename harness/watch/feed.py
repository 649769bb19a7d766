"""What `harness watch` knows about a run: read from its event log only, incrementally and bounded.

`Feed.open` reads the tail of the log (the last steps, the last timeline events, the milestones, the
current harness version, the run's control state) through indexed queries, so a run of a million steps
opens as fast as one of ten; `Feed.poll` then reads only what was appended after the last seq it saw.
Memory entries are read on first use (`load_memory`) and followed from then on.
"""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.log.events import (
    BaseEvent,
    ControlApplied,
    ControlRequest,
    EditRefused,
    GateDecision,
    HarnessVersion,
    MemoryWrite,
    Milestone,
    RefinePass,
    Rollback,
    RunResumed,
    RunStarted,
    RunStopped,
    Step,
    parse_event,
)
from harness.log.store import RunReader, StoreError
from harness.state import HarnessState
from memory.store import MemoryEntry

MAX_STEPS = 300  # steps kept in memory (the steps table); older ones are read back by id on demand
MAX_TIMELINE = 200  # harness versions, refine passes, refusals, rollbacks, gate decisions
MAX_MILESTONES = 500
RATE_WINDOW = 50  # steps the token and $ rates are taken over
TAIL_BATCH = 2000  # events read per query while following the log
TAIL_BATCHES = 5  # queries per poll at most (a backlog is caught up over the next polls)
LIFECYCLE = ("run_started", "run_resumed", "run_stopped")
TIMELINE_KINDS = ("harness_version", "refine_pass", "edit_refused", "rollback", "gate_decision")


@dataclass
class TimelineRow:
    seq: int
    step: int | None
    what: str  # version | refine | refused | rollback | gate
    detail: str


@dataclass
class Rates:
    steps: int  # how many steps the window spans
    tokens_per_step: float
    usd_per_step: float
    presses_per_step: float
    tokens_per_min: float | None  # None: the window has no duration
    usd_per_min: float | None


@dataclass
class Changes:
    """What a poll changed, so the app redraws only those parts."""

    steps: bool = False
    milestones: bool = False
    timeline: bool = False
    version: bool = False
    control: bool = False
    memory: bool = False

    def any(self) -> bool:
        return any(vars(self).values())


@dataclass
class Feed:
    reader: RunReader
    seq: int = 0  # the last event seq read
    started: RunStarted | None = None
    steps: deque[Step] = field(default_factory=lambda: deque(maxlen=MAX_STEPS))
    milestones: deque[Milestone] = field(default_factory=lambda: deque(maxlen=MAX_MILESTONES))
    timeline: deque[TimelineRow] = field(default_factory=lambda: deque(maxlen=MAX_TIMELINE))
    version: HarnessVersion | None = None
    counts: dict[str, int] = field(default_factory=dict)  # refine passes, refusals, rollbacks, memory ops
    state: str = "live"  # live | paused | stopping | stopped
    stop_reason: str = ""
    pending: ControlRequest | None = None  # a control request not applied yet
    memory: dict[str, MemoryEntry] | None = None  # live memory entries, once loaded
    _doc: HarnessState | None = None
    _docs: dict[str, HarnessState] = field(default_factory=dict)

    # --- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, run_dir: str | Path) -> Feed:
        reader = RunReader(run_dir)
        try:
            feed = cls(reader)
            feed._load()
        except BaseException:
            reader.close()
            raise
        return feed

    def _load(self) -> None:
        r = self.reader
        self.seq = r.last_seq()
        first = next(r.events("run_started", limit=1), None)
        self.started = first[1] if first and isinstance(first[1], RunStarted) else None
        last = r.last(Step)
        if last is not None:
            self.steps.extend(self._steps(max(0, last.step - MAX_STEPS + 1), last.step + 1))
        for _, ev in r.events("milestone"):
            if isinstance(ev, Milestone):
                self.milestones.append(ev)
        for seq, ev in self._newest(TIMELINE_KINDS, MAX_TIMELINE):
            self._timeline(seq, ev)
        self.version = r.last(HarnessVersion)
        self.counts = {"refine": r.count("refine_pass"), "refused": r.count("edit_refused"),
                       "rollback": r.count("rollback"), "memory": r.count("memory")}
        self._load_control()

    def _steps(self, start: int, stop: int) -> list[Step]:
        """Steps start <= step < stop through the unique step index, named: SQLite's planner otherwise picks
        the (kind, seq) index and reads every step of the run (seconds at a million steps)."""
        sql = ("SELECT data FROM events INDEXED BY events_step_unique WHERE kind='step' AND step >= ? AND step < ? "
               "ORDER BY step")
        try:
            rows = self.reader.db.execute(sql, (start, stop)).fetchall()
        except sqlite3.OperationalError:  # a store without that index
            return list(self.reader.steps(start, stop))
        return [Step.model_validate_json(data) for (data,) in rows]

    def _newest(self, kinds: tuple[str, ...], n: int) -> list[tuple[int, BaseEvent]]:
        """The last `n` events of these kinds, in log order (through the (kind, seq) index)."""
        marks = ",".join("?" * len(kinds))
        rows = self.reader.db.execute(
            f"SELECT seq, data FROM events WHERE kind IN ({marks}) ORDER BY seq DESC LIMIT ?", (*kinds, n)).fetchall()
        return [(seq, parse_event(json.loads(data))) for seq, data in reversed(rows)]

    def _load_control(self) -> None:
        life = self.reader.last_with_seq(LIFECYCLE)
        applied = self.reader.last_with_seq(("control_applied",))
        after = life[0] if life else 0
        if life and isinstance(life[1], RunStopped):
            self.state, self.stop_reason = "stopped", life[1].reason
            return
        if applied and applied[0] > after:
            after = applied[0]
            if isinstance(applied[1], ControlApplied):
                self.state = {"pause": "paused", "resume": "live", "stop": "stopping"}[applied[1].action]
        for _, ev in self.reader.tail(after, "control_request", limit=100):  # asked for, not applied yet
            if isinstance(ev, ControlRequest):
                self.pending = ev

    # --- following -------------------------------------------------------------------------------
    def poll(self) -> Changes:
        """Read what the run appended since the last poll."""
        changes = Changes()
        for _ in range(TAIL_BATCHES):
            batch = self.reader.tail(self.seq, limit=TAIL_BATCH)
            for seq, ev in batch:
                self._apply(seq, ev, changes)
            if batch:
                self.seq = batch[-1][0]
            if len(batch) < TAIL_BATCH:
                break
        return changes

    def _apply(self, seq: int, ev: BaseEvent, ch: Changes) -> None:
        if isinstance(ev, Step):
            self.steps.append(ev)
            ch.steps = True
        elif isinstance(ev, Milestone):
            self.milestones.append(ev)
            ch.milestones = True
        elif isinstance(ev, TIMELINE_TYPES):
            self._timeline(seq, ev)
            ch.timeline = True
            if isinstance(ev, HarnessVersion):
                self.version, self._doc = ev, None
                ch.version = True
            else:
                key = {RefinePass: "refine", EditRefused: "refused", Rollback: "rollback"}.get(type(ev))
                if key:
                    self.counts[key] = self.counts.get(key, 0) + 1
        elif isinstance(ev, MemoryWrite):
            self.counts["memory"] = self.counts.get("memory", 0) + 1
            if self.memory is not None:
                self._memory_op(ev)
                ch.memory = True
        else:
            self._control(ev, ch)

    def _control(self, ev: BaseEvent, ch: Changes) -> None:
        if isinstance(ev, RunStarted | RunResumed):
            self.state, self.stop_reason, self.pending = "live", "", None
            if isinstance(ev, RunStarted) and self.started is None:
                self.started = ev
        elif isinstance(ev, RunStopped):
            self.state, self.stop_reason, self.pending = "stopped", ev.reason, None
        elif isinstance(ev, ControlRequest):
            self.pending = ev
        elif isinstance(ev, ControlApplied):
            self.state = {"pause": "paused", "resume": "live", "stop": "stopping"}[ev.action]
            if self.pending is not None and self.pending.id == ev.request_id:
                self.pending = None
        else:
            return
        ch.control = True

    def _timeline(self, seq: int, ev: BaseEvent) -> None:
        self.timeline.append(TimelineRow(seq, ev.step, *timeline_text(ev)))

    # --- memory ----------------------------------------------------------------------------------
    def load_memory(self) -> dict[str, MemoryEntry]:
        """The live memory entries (every memory op of the run, read once; then followed by `poll`)."""
        if self.memory is None:
            self.memory = {}
            for seq, ev in self.reader.events("memory", limit=None):
                if seq > self.seq:
                    break
                if isinstance(ev, MemoryWrite):
                    self._memory_op(ev)
        return self.memory

    def _memory_op(self, ev: MemoryWrite) -> None:
        assert self.memory is not None
        if ev.op.op in ("forget", "evict"):
            self.memory.pop(ev.op.entry.id, None)
        else:
            self.memory[ev.op.entry.id] = ev.op.entry

    # --- reading on demand -----------------------------------------------------------------------
    @property
    def last_step(self) -> Step | None:
        return self.steps[-1] if self.steps else None

    def step(self, step_id: int) -> Step | None:
        """A step by id: from memory when it is among the recent ones, else from the log (indexed)."""
        if self.steps and self.steps[0].step <= step_id <= self.steps[-1].step:
            i = step_id - self.steps[0].step
            if 0 <= i < len(self.steps) and self.steps[i].step == step_id:
                return self.steps[i]
        found = self._steps(step_id, step_id + 1)
        return found[0] if found else None

    def first_step(self) -> Step | None:
        row = self.reader.db.execute(
            "SELECT MIN(step) FROM events INDEXED BY events_step_unique WHERE kind='step'").fetchone()
        return self.step(row[0]) if row and row[0] is not None else None

    def doc(self) -> HarnessState | None:
        """The current harness document."""
        if self._doc is None and self.version is not None:
            self._doc = self.document(self.version)
        return self._doc

    def document(self, version: HarnessVersion) -> HarnessState:
        if version.doc_ref not in self._docs:
            if len(self._docs) > 16:
                self._docs.clear()
            self._docs[version.doc_ref] = HarnessState.model_validate_json(self.reader.get_blob(version.doc_ref))
        return self._docs[version.doc_ref]

    def version_event(self, version: int, before_seq: int | None = None) -> tuple[int, HarnessVersion]:
        """(seq, event) of harness version `version`, searched backwards from `before_seq` (the version's event
        is near there: a step's version was written before the step, a parent before its child)."""
        sql = ("SELECT seq, data FROM events WHERE kind='harness_version' AND seq < ? "
               "AND json_extract(data, '$.version')=? ORDER BY seq DESC LIMIT 1")
        row = None
        if before_seq is not None:
            row = self.reader.db.execute(sql, (before_seq, version)).fetchone()
        if row is None:
            row = self.reader.db.execute(sql, (self.seq + 1, version)).fetchone()
        if row is None:
            raise StoreError(f"{self.reader.run_dir} has no harness version {version}")
        return row[0], HarnessVersion.model_validate_json(row[1])

    def step_seq(self, step_id: int) -> int | None:
        row = self.reader.db.execute("SELECT seq FROM events INDEXED BY events_step_unique WHERE kind='step' AND "
                                     "step=?", (step_id,)).fetchone()
        return row[0] if row else None

    def text(self, ref: str) -> str:
        return self.reader.get_text(ref)

    def blob(self, ref: str) -> bytes:
        return self.reader.get_blob(ref)

    def rates(self, window: int = RATE_WINDOW) -> Rates | None:
        """Token, $ and press rates over the last `window` steps (per step, and per minute of wall time)."""
        if len(self.steps) < 2:
            return None
        first, last = self.steps[max(0, len(self.steps) - 1 - window)], self.steps[-1]
        n = last.step - first.step
        if n <= 0:
            return None
        tokens = last.totals.tokens - first.totals.tokens
        usd = last.totals.cost_usd - first.totals.cost_usd
        minutes = (last.ts - first.ts) / 60
        return Rates(n, tokens / n, usd / n, (last.totals.presses - first.totals.presses) / n,
                     tokens / minutes if minutes > 0 else None, usd / minutes if minutes > 0 else None)

    def config(self) -> dict[str, Any]:
        return self.started.config if self.started else {}

    def close(self) -> None:
        self.reader.close()


TIMELINE_TYPES = (HarnessVersion, RefinePass, EditRefused, Rollback, GateDecision)


def timeline_text(ev: BaseEvent) -> tuple[str, str]:
    """(what, detail) of a timeline event, one line each."""
    if isinstance(ev, HarnessVersion):
        parent = f" ← v{ev.parent}" if ev.parent is not None else ""
        return "version", f"v{ev.version}{parent} {ev.trigger}: {ev.reason}"
    if isinstance(ev, RefinePass):
        counts = f"{ev.applied}/{ev.proposed} applied" + (f", {ev.refused} refused" if ev.refused else "")
        note = ev.error or ev.analysis
        return "refine", f"{ev.name} pass {ev.status} ({counts}) -> v{ev.version}" + (f": {note}" if note else "")
    if isinstance(ev, EditRefused):
        return "refused", f"{ev.target} ({ev.source}): {ev.reason}"
    if isinstance(ev, Rollback):
        return "rollback", f"v{ev.from_version} -> v{ev.to_version} (as v{ev.new_version}): {ev.reason}"
    if isinstance(ev, GateDecision):
        verdict = "kept" if ev.kept else "rolled back"
        return "gate", (f"v{ev.version} {verdict}: progress {ev.new_score:.2f} vs {ev.parent_score:.2f}, "
                        f"failures {ev.new_failures:.2f} vs {ev.parent_failures:.2f}")
    return ev.kind, ""
