"""Run-level behaviour around the loop: pause / resume / stop requests, a misconfigured model's first
call, model swaps and spans cut by a kill on resume."""

from __future__ import annotations

import subprocess
import sys
import time

from harness.log.events import ControlApplied, ModelSwap, RunResumed, SpanEnd, SpanStart
from harness.log.store import RunReader, RunStore
from tests.conftest import REPO, harness_cli, inspect_json, press, random_walk, write_replies


def _steps(run) -> int:
    with RunReader(run) as r:
        return len(r.step_ids())


def _wait(cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_pause_resume_and_stop_a_live_run(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", random_walk(20, seed=3))
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--env", "quest", "--model",
                             f"scripted:{replies}", "--steps", "1000000", "--run-dir", str(run), "--quiet"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: (run / "run.sqlite").exists() and _steps(run) >= 20)
        harness_cli("control", str(run), "pause")
        _wait(lambda: RunReader(run).last(ControlApplied) is not None)
        paused_at = _steps(run)
        time.sleep(1.0)
        assert _steps(run) == paused_at, "a paused run takes no steps"
        harness_cli("control", str(run), "resume")
        _wait(lambda: _steps(run) >= paused_at + 20)
        harness_cli("control", str(run), "stop")
        assert proc.wait(60) == 0
    finally:
        proc.kill()
    s = inspect_json(run)
    assert s["status"] == "stopped" and s["steps"] > paused_at
    applied = [e.action for _, e in RunReader(run).events("control_applied")]
    assert applied == ["pause", "resume", "stop"]
    # the stopped run resumes like any other
    harness_cli("resume", str(run), "--steps", str(s["steps"] + 3), "--quiet")
    assert inspect_json(run)["steps"] == s["steps"] + 3


def test_a_first_call_that_keeps_failing_the_same_way_ends_the_run_with_one_resumable_line(tmp_path, quest_rom):
    bad = write_replies(tmp_path / "bad.jsonl", [{"error": "OpenAI HTTP 500 for openai:x: image input not supported"}])
    run = tmp_path / "run"
    proc = harness_cli("run", "--env", "quest", "--model", f"scripted:{bad}", "--steps", "5", "--run-dir", str(run),
                       "--quiet", check=False)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.strip().splitlines() if "SDL2" not in ln and "warnings.warn" not in ln]
    assert len(lines) == 1 and "failed 3 times the same way" in lines[0] and "configuration error" in lines[0]
    s = inspect_json(run)
    assert (s["status"], s["steps"], s["model_errors"]) == ("error", 0, 3)
    good = write_replies(tmp_path / "good.jsonl", [press("A")])
    harness_cli("resume", str(run), "--model", f"scripted:{good}", "--steps", "5", "--quiet")
    s = inspect_json(run)
    assert (s["status"], s["steps"]) == ("done", 5)
    swap = RunReader(run).last(ModelSwap)
    assert swap.old == f"scripted:{bad}" and swap.new == f"scripted:{good}"


def test_a_run_that_was_working_rides_out_an_outage(tmp_path, quest_rom):
    from harness.config import RunConfig
    from harness.run import start_run

    outage = [{"error": "503 overloaded"}] * 6
    replies = write_replies(tmp_path / "r.jsonl", [press("A"), *outage, press("B")])
    agent = start_run(RunConfig(env="quest", model=f"scripted:{replies}", steps=3, max_backoff_s=0.01),
                      tmp_path / "run")
    try:
        assert agent.run(3) == "steps_done"
    finally:
        agent.close()
    assert inspect_json(tmp_path / "run")["model_errors"] == 6


def test_resume_closes_spans_a_kill_left_open(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", random_walk(5, seed=1))
    run = tmp_path / "run"
    harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", "4", "--run-dir", str(run),
                "--quiet")
    store = RunStore(run)  # as if a refine pass had started and the process was killed inside it
    store.append(SpanStart(span="refine-1", name="prompt pass", span_kind="refine", step=3),
                 SpanStart(span="refine-0", name="done pass", span_kind="refine", step=3),
                 SpanEnd(span="refine-0", status="ok", step=3))
    store.close()
    harness_cli("resume", str(run), "--steps", "6", "--quiet")
    reader = RunReader(run)
    resumed = reader.last(RunResumed)
    assert resumed.cut_spans == ["refine-1"] and resumed.from_step == 4
    ends = [e for _, e in reader.events("span_end") if isinstance(e, SpanEnd)]
    assert [(e.span, e.status) for e in ends] == [("refine-0", "ok"), ("refine-1", "cut")]
