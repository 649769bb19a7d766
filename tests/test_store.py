"""Run store: atomic step commits, content-addressed blobs, unique step ids, schema version."""

from __future__ import annotations

import sqlite3

import pytest

from harness.events import SCHEMA_VERSION, Milestone, RunStopped, Savestate, parse_event
from harness.store import RunStore, StoreError


def test_blobs_are_stored_once_and_round_trip(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    with store.commit() as tx:
        a = tx.blob("system prompt " * 100)
        b = tx.blob("system prompt " * 100)
        c = tx.blob(b"\x00\x01raw", compress=False)
    assert a == b != c
    assert store.get_text(a) == "system prompt " * 100
    assert store.get_blob(c) == b"\x00\x01raw"
    assert store.db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 2


def test_events_round_trip_through_the_schema(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    store.append(Savestate(step=-1, ref="x"), Milestone(name="m", step=3, button_presses=7, tokens=9, cost_usd=0.5))
    store.append(RunStopped(reason="budget", next_step=4))
    kinds = [e["kind"] for _, e in store.events()]
    assert kinds == ["savestate", "milestone", "run_stopped"]
    assert parse_event(store.last("milestone")).button_presses == 7
    assert store.last("savestate", max_step=-1)["ref"] == "x"
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_a_duplicate_step_id_is_refused(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    store.db.execute("INSERT INTO events(kind, step, ts, data) VALUES ('step', 0, 0, '{}')")
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO events(kind, step, ts, data) VALUES ('step', 0, 0, '{}')")


def test_failed_commit_writes_nothing(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    store.db.execute("INSERT INTO events(kind, step, ts, data) VALUES ('step', 5, 0, '{}')")
    with pytest.raises(StoreError), store.commit() as tx:
        ref = tx.blob("orphan")
        tx.rows.append(("step", 5, 0.0, "{}"))  # duplicate step id: the whole transaction must roll back
    with pytest.raises(StoreError):
        store.get_blob(ref)


def test_open_errors_are_one_line(tmp_path):
    with pytest.raises(StoreError, match="not a run directory"):
        RunStore(tmp_path / "nope")
    RunStore(tmp_path / "r", create=True).close()
    with pytest.raises(StoreError, match="already holds a run"):
        RunStore(tmp_path / "r", create=True)
