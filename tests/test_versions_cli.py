"""`harness versions` and `harness diff` on real runs whose agent edited its own prompt."""

from __future__ import annotations

import json

from harness.log.store import RunStore
from harness.state.versions import Versions, load_version
from tests.conftest import edit_note, harness_cli, press, write_replies


def _run(tmp_path, name, script):
    replies = write_replies(tmp_path / f"{name}.jsonl", script)
    run = tmp_path / name
    harness_cli("run", "--env", "quest", "--harness", "continual", "--model", f"scripted:{replies}", "--steps", "4",
                "--run-dir", str(run), "--quiet")
    return run


def test_versions_and_diff_show_what_the_agent_changed(tmp_path, quest_rom):
    run = _run(tmp_path, "a", [
        edit_note("Mom is upstairs"), press("A"),
        {"tool": "edit_prompt_block", "arguments": {"label": "strategy", "text": "Leave by the door.",
                                                     "mode": "replace"}}, press("DOWN"),
        {"tool": "edit_prompt_block", "arguments": {"label": "role", "text": "you are a pirate"}}, press("DOWN"),
    ])
    rows = json.loads(harness_cli("versions", str(run), "--json").stdout)
    assert [(r["version"], r["parent"], r["step"], r["trigger"]) for r in rows[:3]] == [
        (0, None, None, "preset"), (1, 0, 0, "agent"), (2, 1, 1, "agent")]
    assert rows[1]["reason"] == "append block 'notes'" and rows[1]["changes"] == 1
    assert all(r["rolled_back_by"] is None for r in rows)
    table = harness_cli("versions", str(run)).stdout
    assert "replace block" in table and "agent" in table
    diff = harness_cli("diff", str(run), "0", "2").stdout
    assert diff.startswith("--- v0\n+++ v2\n")
    assert "+Mom is upstairs" in diff and "+Leave by the door." in diff and "-Explore to make progress" in diff
    assert "pirate" not in diff  # the refused edit of a read-only block made no version
    assert harness_cli("diff", str(run), "1", "1").stdout.strip() == "v1 and v1 are identical"
    proc = harness_cli("diff", str(run), "0", "99", check=False)
    assert proc.returncode == 2 and proc.stderr.strip().endswith("has no harness version 99 (it has versions 0..3)")

    other = _run(tmp_path, "b", [edit_note("the key is in the cave"), press("A")])
    across = harness_cli("diff", str(run), "1", "1", "--against", str(other)).stdout
    assert f"--- {run}:v1" in across and "-Mom is upstairs" in across and "+the key is in the cave" in across


def test_a_rollback_marks_the_versions_it_undid(tmp_path, quest_rom):
    run = _run(tmp_path, "a", [edit_note("one"), press("A"), edit_note("two"), press("B")])
    store = RunStore(run)
    last = json.loads(harness_cli("versions", str(run), "--json").stdout)[-1]["version"]
    current = load_version(store, last)

    def sink(events, blobs):
        with store.commit() as tx:
            tx.add(events, blobs)

    v = Versions(current, last, sink, load=lambda n: load_version(store, n))
    v.rollback(1, reason="notes made it worse", step=4)
    store.close()
    rows = json.loads(harness_cli("versions", str(run), "--json").stdout)
    assert [r["rolled_back_by"] for r in rows] == [None, None] + [last + 1] * (last - 1) + [None]
    assert rows[-1]["trigger"] == "rollback" and rows[-1]["hash"] == rows[1]["hash"]
    assert harness_cli("diff", str(run), "1", str(last + 1)).stdout.strip() == f"v1 and v{last + 1} are identical"
