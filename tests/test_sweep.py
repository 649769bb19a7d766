"""`harness sweep`: a 2 x 3 grid (preset x seed) as independent runs on a local Ray, one worker killed with
SIGKILL mid-run; every run still ends complete (the killed one resumed from its store), and the combined
report is written."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from harness.sweep import SweepConfig, grid, model_for_run
from tests.conftest import REPO, random_walk, write_replies

STEPS = 40


def test_grid_and_local_thread_share():
    cfg = SweepConfig(harnesses=["minimal", "expert"], models=["local", "local#seed=7", "scripted:x.jsonl"],
                      seeds=[0, 1], cpus_per_run=1)
    cells = grid(cfg)
    assert len(cells) == 12 and len({n for n, _, _ in cells}) == 12
    assert [label for _, label, _ in cells[:6:2]] == ["local#0", "local#1", "scripted:x"]
    assert model_for_run("local", 3, 1) == "local#seed=3,threads=1"
    assert model_for_run("local#seed=7", 3, 2) == "local#seed=7,threads=2"
    assert model_for_run("scripted:x.jsonl", 3, 1) == "scripted:x.jsonl"


def steps_of(run_dir) -> int:
    try:
        with sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM events WHERE kind='step'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sweep_survives_a_killed_worker(tmp_path):
    replies = [{**r, "delay_s": 0.15} for r in random_walk(STEPS, seed=5)]
    script = write_replies(tmp_path / "walk.jsonl", replies)
    config = tmp_path / "grid.toml"
    config.write_text(f'envs = ["quest"]\nharnesses = ["minimal", "expert"]\nmodels = ["scripted:{script}"]\n'
                      f"seeds = [0, 1, 2]\nsteps = {STEPS}\ncpus_per_run = 1\n")
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "sweep", str(config), "--out", str(out)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        for pid_file in out.glob("*/worker.pid"):
            if 5 <= steps_of(pid_file.parent) < STEPS - 5:  # mid-run: kill that run's worker process
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
                killed = pid_file.parent
                break
        time.sleep(0.2)
    stdout, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, stdout[-3000:]
    assert killed is not None, "no run was caught mid-run"
    report = json.loads((out / "report.json").read_text())
    runs = [r for g in report["groups"].values() for r in g["runs"]]
    assert len(runs) == 6 and all(r["status"] == "done" and r["steps"] == STEPS for r in runs), runs
    resumed = {r["run"]: r["resumes"] for r in runs}
    assert resumed[killed.name] >= 1  # the killed run went on from its store
    assert set(report["groups"]) == {f"quest | {h} | scripted:walk" for h in ("minimal", "expert")}
    md = (out / "report.md").read_text()
    assert "| quest | minimal | scripted:walk | 3 |" in md and "median presses" in md
