"""Cheap refiner triggers from Step events: each fires exactly when it should, cooldowns hold, and a Signals
rebuilt from a slice of the log behaves exactly like the live one."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

from harness.log.events import Step, ToolCallRecord, Totals
from harness.refine.signals import Signals, SignalSettings, Trigger, place_key


def mk(step: int, where: Sequence[object], before: Sequence[object], milestones: Iterable[str] = (),
       fmt: bool = False, failed: int = 0, ok: int = 0) -> Step:
    calls = [ToolCallRecord(name="edit_memory", arguments={}, kind="meta", ok=False) for _ in range(failed)]
    calls += [ToolCallRecord(name="edit_memory", arguments={}, kind="meta") for _ in range(ok)]
    return Step(step=step, action=None if fmt else {"name": "press_buttons", "arguments": {"buttons": ["A"]}},
                where_before=list(before), where=list(where), label=str(where[0]), obs_ref="o", prompt_ref="p",
                harness_version=0, totals=Totals(), new_milestones=list(milestones), format_failure=fmt,
                calls=calls)


def walk(places: Sequence[str], extra: dict[int, dict[str, Any]] | None = None) -> list[Step]:
    """Steps from START that end at places[i]; extra[i] adds fields (milestones, fmt, failed, ok) to step i."""
    out, before = [], ["START"]
    for i, p in enumerate(places):
        out.append(mk(i, [p], before, **(extra or {}).get(i, {})))
        before = [p]
    return out


def fire(sig: Signals, steps: Iterable[Step]) -> list[Trigger]:
    fired: list[Trigger] = []
    for e in steps:
        sig.update(e)
        fired += sig.due(e.step)
    return fired


def steps_of(fired: list[Trigger], name: str) -> list[int]:
    return [t.step for t in fired if t.name == name]


def test_stuck_fires_at_stuck_steps_and_not_before():
    fired = fire(Signals(), walk(["HOME"] * 21))  # step 0 arrives at HOME; steps 1..20 stay
    assert [(t.name, t.step, t.detail) for t in fired] == [("stuck", 20, "no change of place for 20 steps at HOME")]


def test_cooldown_suppresses_a_repeat_and_releases_after_cooldown_steps():
    fired = fire(Signals(), walk(["HOME"] * 80))
    assert steps_of(fired, "stuck") == [20, 70]
    fired = fire(Signals(SignalSettings(cooldown_steps=0)), walk(["HOME"] * 23))
    assert steps_of(fired, "stuck") == [20, 21, 22]


def test_counters_cap_at_history_and_say_so():
    s = SignalSettings(stuck_steps=3, loop_window=5, stall_steps=5, failure_window=5, cooldown_steps=1)
    details = [t.detail for t in fire(Signals(s), walk(["HOME"] * 9)) if t.name == "stuck"]
    assert details == [f"no change of place for {n} steps at HOME" for n in ("3", "4", "5+", "5+", "5+", "5+")]


def test_loop_fires_on_a_three_place_oscillation_once_the_window_is_full():
    fired = fire(Signals(), walk(["A", "B", "C"] * 20))
    assert [(t.name, t.step, t.detail) for t in fired] == [("loop", 49, "only 3 places in the last 50 steps: A, B, C")]
    assert steps_of(fire(Signals(), walk(["A", "B", "C", "D", "E"] * 20)), "loop") == []  # 5 places > loop_places


def test_stall_fires_after_stall_steps_without_progress():
    s = SignalSettings(stall_steps=10, loop_window=1000)
    fired = fire(Signals(s), walk(["A", "B"] * 10))  # steps 0, 1 reach new places; 2.. are quiet
    assert steps_of(fired, "stall") == [11]
    assert fired[0].detail == "no new milestone or new place for 10 steps"


def test_stall_is_reset_by_a_milestone_and_by_a_new_place():
    s = SignalSettings(stall_steps=10, loop_window=1000)
    with_milestone = walk(["A", "B"] * 10, {5: {"milestones": ["Route 1"]}})
    assert steps_of(fire(Signals(s), with_milestone), "stall") == [15]
    new_place = walk(["A", "B", "A", "B", "A", "C"] + ["A", "B"] * 7)
    assert steps_of(fire(Signals(s), new_place), "stall") == [15]


def test_failures_count_format_failures_and_failed_meta_calls_in_the_window():
    extra = {3: {"fmt": True}, 6: {"failed": 2, "ok": 3}, 9: {"fmt": True}, 12: {"failed": 1}}
    fired = fire(Signals(), walk([f"P{i}" for i in range(20)], extra))
    assert [(t.name, t.step, t.detail) for t in fired] == [
        ("failures", 12, "5 failures in the last 13 steps (2 format, 3 tool)")]
    spread: dict[int, dict[str, Any]] = {i: {"fmt": True} for i in range(0, 100, 5)}  # 4 in any 20 steps: never 5
    assert steps_of(fire(Signals(), walk([f"P{i}" for i in range(100)], spread)), "failures") == []


def test_place_key_is_stable_and_ignores_list_or_tuple():
    assert place_key(["HOME", 4, 8]) == place_key(("HOME", 4, 8)) != place_key(["HOME", 8, 4])
    assert place_key(["https://x/form", {"task": 1}]) == place_key(["https://x/form", {"task": 1}])


def trajectory(n: int, seed: int) -> list[Step]:
    rng, out, where = random.Random(seed), [], ["M0", 0, 0]
    fresh = 0
    for i in range(n):
        r = rng.random()
        if r < 0.3:
            nxt = where  # stay
        elif r < 0.35:
            fresh += 1
            nxt = ["NEW", fresh, 0]
        else:
            nxt = ["M0", rng.randrange(3), rng.randrange(2)]
        out.append(mk(i, nxt, where, milestones=["m"] if rng.random() < 0.01 else [], fmt=rng.random() < 0.08,
                      failed=int(rng.random() < 0.08), ok=rng.randrange(2)))
        where = nxt
    return out


def test_rebuilt_from_the_log_equals_live():
    s = SignalSettings(stuck_steps=4, loop_window=12, loop_places=5, stall_steps=15, failure_window=8,
                       failure_count=3, cooldown_steps=7)
    steps = trajectory(600, seed=3)
    live, fired_at, due_live = Signals(s), [], []
    for e in steps:
        live.update(e)
        due_live.append(live.due(e.step))
        fired_at.append(live.fired)
    assert {t.name for ts in due_live for t in ts} == {"stuck", "loop", "stall", "failures"}
    for k in (0, 5, s.history - 1, s.history, 137, 300, 451):
        first = max(0, k + 1 - s.history)
        rebuilt = Signals.rebuild(steps[first:k + 1], fired_at[k], places=[e.where for e in steps[:first]] or None,
                                  settings=s)
        assert rebuilt.fired == fired_at[k]
        for e in steps[k + 1:]:
            rebuilt.update(e)
            assert rebuilt.due(e.step) == due_live[e.step], (k, e.step)


def test_same_steps_give_the_same_triggers():
    s = SignalSettings(stuck_steps=4, loop_window=12, stall_steps=15, failure_window=8, failure_count=3)
    assert fire(Signals(s), trajectory(300, seed=9)) == fire(Signals(s), trajectory(300, seed=9))
