"""`harness memory`: list, search and dump a run's vector memory, read from the log alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.log.events import MemoryRead, MemoryWrite
from harness.log.store import RunStore, blob_ref
from harness.state import preset
from harness.state.versions import Versions
from memory.embed import shared
from memory.store import Memory, MemorySettings
from tests.conftest import REPO

KEY = "The cave key is under the rock north of the village well."
KEY_AGAIN = "The cave key lies under the rock north of the village well."  # a near-duplicate: updates m0
MOM = "Mom is upstairs in the house and gives you a potion."
SHOP = "The shop sells antidotes for 100 gold."
LONG = "The old man in the gate house says: " + "the bridge is out, go around by the river; " * 8


def _run_dir(path: Path, harness: str, writes: bool) -> Path:
    """A run log holding harness version 0 and, with `writes`, memory ops (vectors as blobs) and reads."""
    store = RunStore(path, create=True)

    def sink(events, blobs):
        with store.commit() as tx:
            tx.add(events, blobs)

    Versions.first(preset(harness), "test", sink)
    if writes:
        ops = []
        memory = Memory(None, MemorySettings(enabled=True), shared(), lambda op, vec: ops.append((op, vec)),
                        store.get_blob, blob_ref).load([])
        memory.write(KEY, 1, tags=["key", "cave"], importance=4, location="village")
        memory.write(MOM, 2, tags=["npc"], location="house")
        memory.write(KEY_AGAIN, 3, tags=["key"], location="village")
        memory.write(SHOP, 4, tags=["shop"], location="town")
        memory.forget("m2", 5, "wrong: the shop is closed")
        memory.write(LONG, 6, tags=["bridge"], location="gate")
        assert [(op.op, op.entry.id) for op, _ in ops] == [
            ("add", "m0"), ("add", "m1"), ("update", "m0"), ("add", "m2"), ("forget", "m2"), ("add", "m3")]
        with store.commit() as tx:
            for op, vec in ops:
                tx.add([MemoryWrite(step=op.step, op=op)], [vec] if vec else [])
            tx.add([MemoryRead(step=7, ids=["m0", "m1"], purpose="prompt"),
                    MemoryRead(step=8, ids=["m0"], purpose="search", query="key")], [])
    store.close()
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return _run_dir(tmp_path_factory.mktemp("memory") / "run", "continual", writes=True)


def memory_cli(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "memory", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": str(columns)})
    assert proc.returncode in (0, 2), proc.stderr
    return proc


def _rows(out: str) -> dict[str, list[str]]:
    """Table rows by their first cell (an id, or a similarity for --search)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"}) + 1
    return {cells[0]: cells for cells in (re.split(r" {2,}", line.strip()) for line in lines[start:] if line.strip())}


def test_lists_the_live_entries_with_usage_and_counts(run):
    proc = memory_cli(str(run))
    assert proc.returncode == 0, proc.stderr
    header, places = proc.stdout.splitlines()[:2]
    assert header == (f"{run}: 3 live (cap 2000), 1 forgotten, 0 evicted, 6 ops, 2 entries ever shown to the "
                      "model")
    assert places == ("top locations: village (1), house (1), gate (1)   top tags: key (1), cave (1), npc (1), "
                      "bridge (1)")
    rows = _rows(proc.stdout)
    assert list(rows) == ["m0", "m1", "m3"]  # by id; the forgotten m2 is not listed
    # id, importance, shown, last shown, made, updated, source, location, tags, text (the near-duplicate's)
    assert rows["m0"] == ["m0", "4", "2", "8", "1", "3", "agent", "village", "key, cave", KEY_AGAIN]
    assert rows["m1"] == ["m1", "3", "1", "7", "2", "2", "agent", "house", "npc", MOM]
    assert rows["m3"][:9] == ["m3", "3", "0", "-", "6", "6", "agent", "gate", "bridge"]
    assert not (run / "memory").exists()  # the run's index folder is never made (nor opened) by a reader


def test_text_is_cut_to_the_terminal_width(run):
    out = memory_cli(str(run), "--all", columns=80).stdout
    table = out.splitlines()[2:]
    assert table and all(len(line.rstrip()) <= 80 for line in table)
    rows = _rows(out)
    assert list(rows) == ["m0", "m1", "m2", "m3"]  # ids, importance and times shown stay on a narrow terminal
    assert rows["m3"][-1].endswith("…") and rows["m3"][-1][:-1] in LONG


def test_all_lists_forgotten_entries_with_step_and_reason(run):
    rows = _rows(memory_cli(str(run), "--all").stdout)
    assert list(rows) == ["m0", "m1", "m2", "m3"]
    assert rows["m0"][9] == "live"
    assert rows["m2"][9:] == ["forgotten @5", f"(wrong: the shop is closed) {SHOP}"]
    assert rows["m2"][:3] == ["m2", "3", "0"]


def test_search_ranks_the_relevant_entry_first(run):
    rows = list(_rows(memory_cli(str(run), "--search", "where is the key to the cave?").stdout).values())
    assert rows[0][2] == "m0" and rows[0][-1] == KEY_AGAIN
    assert float(rows[0][0]) > 0.5  # similarity, then score, id, importance, location, text
    hits = json.loads(memory_cli(str(run), "--search", "who gives me a potion", "-k", "1", "--json").stdout)
    assert [h["id"] for h in hits] == ["m1"]
    assert hits[0]["text"] == MOM and hits[0]["uses"] == 1 and hits[0]["score"] >= hits[0]["similarity"] - 0.1
    forgotten = json.loads(memory_cli(str(run), "--search", "buy antidotes at the shop", "--json").stdout)
    assert "m2" not in [h["id"] for h in forgotten]  # a forgotten entry is out of the index


def test_json_lists_the_entries_with_usage(run):
    live = json.loads(memory_cli(str(run), "--json").stdout)
    assert [(e["id"], e["status"], e["uses"], e["last_used"]) for e in live] == [
        ("m0", "live", 2, 8), ("m1", "live", 1, 7), ("m3", "live", 0, None)]
    assert live[0]["text"] == KEY_AGAIN and live[0]["tags"] == ["key", "cave"] and live[0]["created"] == 1
    assert live[0]["updated"] == 3 and live[0]["importance"] == 4 and live[0]["location"] == "village"
    assert live[2]["text"] == " ".join(LONG.split())  # the whole text, never cut
    every = json.loads(memory_cli(str(run), "--json", "--all").stdout)
    gone = [e for e in every if e["status"] != "live"]
    assert [(e["id"], e["status"], e["removed_step"], e["reason"], e["text"]) for e in gone] == [
        ("m2", "forgotten", 5, "wrong: the shop is closed", SHOP)]


def test_a_run_without_memory_prints_one_line(tmp_path):
    off = _run_dir(tmp_path / "off", "minimal", writes=False)
    proc = memory_cli(str(off))
    assert proc.returncode == 0 and proc.stdout == f"no memory in {off}: the harness had memory off\n"
    proc = memory_cli(str(off), "--search", "key", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []
    assert proc.stderr.strip().endswith(f"no memory in {off}: the harness had memory off")
    empty = _run_dir(tmp_path / "empty", "continual", writes=False)
    assert memory_cli(str(empty)).stdout == f"no memory in {empty}: memory is on but nothing was written yet\n"


def test_bad_input_is_one_error_line(tmp_path, run):
    for proc, needle in [(memory_cli(str(tmp_path)), "is not a run directory"),
                         (memory_cli(str(run), "--search", "key", "-k", "0"), "-k must be at least 1")]:
        assert proc.returncode == 2 and proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("harness: error: ") and needle in lines[0], proc.stderr


def test_help_explains_the_command():
    out = memory_cli("--help").stdout
    for word in ("--search", "-k", "--all", "--json", "forgotten", "times shown", "index folder is never opened"):
        assert word in out, word
    top = subprocess.run([sys.executable, "-m", "harness.cli", "--help"], cwd=REPO, capture_output=True, text=True)
    assert "harness memory" in top.stdout and "memory" in top.stdout
