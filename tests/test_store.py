"""Run store: atomic step commits, content-addressed blobs, unique step ids, typed events only,
schema version (a version-1 run is refused with one line), read-only readers that can tail."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from harness.log import store as store_mod
from harness.log.events import SCHEMA_VERSION, Milestone, RunStopped, Savestate, parse_event
from harness.log.store import RunReader, RunStore, StoreError
from tests.conftest import REPO, harness_cli

V1_RUN = REPO / "tests" / "data" / "v1_run"


def test_blobs_are_stored_once_and_round_trip(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    with store.commit() as tx:
        a = tx.blob("system prompt " * 100)
        b = tx.blob("system prompt " * 100)
        c = tx.blob(b"\x00\x01raw", compress=False)
    with store.commit() as tx:
        assert tx.blob("system prompt " * 100) == a and not tx.blobs  # known: not compressed again
    assert a == b != c
    assert store.get_text(a) == "system prompt " * 100
    assert store.get_blob(c) == b"\x00\x01raw"
    assert store.db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 2


def test_the_known_blob_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "KNOWN_BLOBS_CACHE", 10)
    store = RunStore(tmp_path / "r", create=True)
    for i in range(100):
        with store.commit() as tx:
            tx.blob(f"observation {i}")
    assert len(store._known) == 10
    with store.commit() as tx:  # forgotten refs are still found in the table, not stored twice
        tx.blob("observation 0")
        assert not tx.blobs


def test_events_round_trip_through_the_schema(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    store.append(Savestate(step=-1, ref="x"), Milestone(name="m", step=3, presses=7, tokens=9, cost_usd=0.5))
    store.append(RunStopped(reason="budget", next_step=4))
    kinds = [e.kind for _, e in store.events()]
    assert kinds == ["savestate", "milestone", "run_stopped"]
    m = store.last(Milestone)
    assert m.presses == 7 and m.id and m.ts > 0
    assert parse_event(m.model_dump()) == m
    assert store.last(Savestate, max_step=-1).ref == "x"
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION) == "2"


def test_the_writer_takes_typed_events_only(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    with pytest.raises(TypeError, match="typed events only"), store.commit() as tx:
        tx.event({"kind": "step", "step": 0})  # type: ignore[arg-type]
    assert store.count("step") == 0


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
    with pytest.raises(StoreError, match="not a run directory"):
        RunReader(tmp_path / "nope")
    RunStore(tmp_path / "r", create=True).close()
    with pytest.raises(StoreError, match="already holds a run"):
        RunStore(tmp_path / "r", create=True)


def test_reader_is_read_only_and_tails_a_live_writer(tmp_path):
    store = RunStore(tmp_path / "r", create=True)
    store.append(Savestate(step=-1, ref="a"))
    reader = RunReader(tmp_path / "r")
    seq = reader.last_seq()
    store.append(Milestone(name="m", step=0, presses=1, tokens=2, cost_usd=0.0), Savestate(step=0, ref="b"))
    got = reader.tail(seq)
    assert [e.kind for _, e in got] == ["milestone", "savestate"] and got[0][0] > seq
    assert [e.kind for _, e in reader.tail(seq, "savestate")] == ["savestate"]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.db.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")


def test_a_version_1_run_is_refused_with_one_line_naming_its_version(tmp_path):
    run = tmp_path / "v1"
    shutil.copytree(V1_RUN, run)  # made by the code before Core v2 (12 quest steps), kept as test data
    for opener in (RunReader, RunStore):
        with pytest.raises(StoreError, match="event schema 1 .*reads schema 2 only"):
            opener(run)
    for command in (["inspect", str(run), "--json"], ["resume", str(run), "--steps", "20", "--quiet"]):
        proc = harness_cli(*command, check=False)
        lines = [ln for ln in proc.stderr.strip().splitlines() if "SDL2" not in ln and "warnings.warn" not in ln]
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        assert lines[0].startswith("harness: error: ") and "event schema 1" in lines[0]
    assert (run / "run.sqlite").read_bytes() == (V1_RUN / "run.sqlite").read_bytes()  # untouched
