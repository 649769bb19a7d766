"""End-to-end runs of the real CLI on the real emulator and the in-repo game."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from harness.log.events import FormatFailure, ModelCall
from harness.log.store import RunReader
from tests.conftest import REPO, edit_note, harness_cli, inspect_json, press, random_walk, write_replies


def test_garbage_replies_are_counted_and_the_run_goes_on(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "garbage.jsonl", [{"text": "I think I will press the blue button!!"}])
    run = tmp_path / "run"
    harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", "50", "--run-dir", str(run),
                "--quiet")
    s = inspect_json(run)
    assert s["status"] == "done"
    assert s["steps"] == 50
    assert s["format_failures"] == 50
    assert s["button_presses"] == 0
    store = RunReader(run)
    assert store.step_ids() == list(range(50))
    fail = store.last(FormatFailure)
    assert fail.attempts == 3 and "no tool call in the reply; call one of: press_buttons" in fail.error
    assert "blue button" in fail.text
    # every attempt is on record as a model call: 1 act + 2 repairs per step
    assert s["model_calls"] == {"act": 50, "repair": 100, "summary": 1}  # the rolling summary of steps 0-23


def test_repair_after_one_bad_reply_is_not_a_failure(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [{"text": "{\"buttons\": [\"JUMP\"]}"}, press("A")])
    run = tmp_path / "run"
    harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", "10", "--run-dir", str(run),
                "--quiet")
    s = inspect_json(run)
    assert s["format_failures"] == 0 and s["button_presses"] == 10
    steps = list(RunReader(run).steps(0))
    assert all(e.repairs == 1 and e.model_calls == 2 for e in steps)
    # the repair round-trip's tokens are counted in the step
    assert all(e.tokens_in > 0 and e.tokens_out >= 2 for e in steps)
    calls = [e for _, e in RunReader(run).events("model_call") if isinstance(e, ModelCall)]
    assert [c.purpose for c in calls[:2]] == ["act", "repair"]
    assert sum(c.tokens_in for c in calls) == s["tokens_in"] == steps[-1].totals.tokens_in


def test_budget_stops_cleanly_and_resume_continues(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", random_walk(40, seed=1))
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"scripted": {"input": 1000.0, "output": 1000.0}}))  # $ per 1M tokens
    run = tmp_path / "run"
    harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", "100", "--run-dir", str(run),
                "--prices", str(prices), "--budget-usd", "1.0", "--quiet")
    s = inspect_json(run)
    assert s["status"] == "budget"
    assert 0 < s["steps"] < 100
    assert s["cost_usd"] <= 1.0
    stopped_at = s["steps"]
    harness_cli("resume", str(run), "--steps", str(stopped_at + 5), "--budget-usd", "100", "--quiet")
    s2 = inspect_json(run)
    assert s2["steps"] == stopped_at + 5 and s2["status"] == "done"
    assert RunReader(run).step_ids() == list(range(stopped_at + 5))


def test_model_outage_backs_off_and_goes_on(tmp_path, quest_rom):
    from harness.config import RunConfig
    from harness.run import start_run, summarize

    replies = write_replies(tmp_path / "r.jsonl", [{"error": "503 overloaded"}, {"error": "timeout"}, press("B")])
    cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=4, max_backoff_s=0.01)
    agent = start_run(cfg, tmp_path / "run")
    try:
        assert agent.run(4) == "steps_done"
    finally:
        agent.close()
    s = summarize(tmp_path / "run")
    assert s["steps"] == 4 and s["model_errors"] == 8 and s["format_failures"] == 0


def test_bad_api_key_stops_with_one_line(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [{"error": "401 invalid x-api-key", "retryable": False}])
    proc = harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", "5", "--run-dir",
                       str(tmp_path / "run"), "--quiet", check=False)
    assert proc.returncode == 1
    assert "error: model error: 401" in proc.stderr
    assert inspect_json(tmp_path / "run")["status"] == "error"


@pytest.mark.slow
def test_kill9_then_resume_keeps_step_ids_continuous(tmp_path, quest_rom):
    """SIGKILL a live run at random moments (twice mid-run, once during a resume's start-up), resume,
    and check the log against an uninterrupted reference run. Replies are chosen by a hash of the
    prompt, so the two runs only agree if the emulator state, the harness document and the model's
    context window were restored exactly. The `continual` preset lets the model edit its notes block
    (a meta-tool whose result goes back to it before it acts), so steps with meta calls and harness
    versions made inside a step are killed and resumed too."""
    seed = int(os.environ.get("KILL_TEST_SEED") or time.time())
    print(f"kill -9 test seed: {seed} (rerun with KILL_TEST_SEED={seed})")
    rng = random.Random(seed)
    notes = [edit_note(f"note {i}: room {i % 4} explored") for i in range(30)]
    replies = write_replies(tmp_path / "walk.jsonl", [{"mode": "by_prompt"}] + random_walk(97, seed=7) + notes)
    run, ref = tmp_path / "run", tmp_path / "ref"
    target = 300
    common = ["--env", "quest", "--harness", "continual", "--model", f"scripted:{replies}", "--steps", str(target)]
    harness_cli("run", *common, "--run-dir", str(ref), "--quiet")
    cmd = [sys.executable, "-m", "harness.cli", "run", *common, "--run-dir", str(run), "--savestate-every", "7",
           "--quiet"]
    killed_at = 0
    for _ in range(2):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        deadline = time.monotonic() + 60
        want = killed_at + rng.randint(20, 120)  # the resumed process must get to stepping too
        while time.monotonic() < deadline:  # wait until some steps are committed, then kill mid-run
            time.sleep(0.05)
            if (run / "run.sqlite").exists():
                try:
                    if len(RunReader(run).step_ids()) >= want:
                        break
                except Exception:
                    pass
        time.sleep(rng.random() * 0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # the emulator child dies too
        proc.wait()
        before, killed_at = killed_at, len(RunReader(run).step_ids())
        assert before < killed_at < target, "the kill must land mid-run"
        cmd = [sys.executable, "-m", "harness.cli", "resume", str(run), "--steps", str(target), "--quiet"]
    # a third kill lands while a resume is still starting up (opening the log, replaying actions)
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(rng.random() * 0.6)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    harness_cli(*cmd[3:], timeout=300)
    store = RunReader(run)
    assert store.step_ids() == list(range(target)), "step ids continuous from 0: none lost, none duplicated"
    steps = list(store.steps(0))
    # presses accumulate without a jump across the resumes
    total = 0
    for e in steps:
        total += e.action_cost
        assert e.totals.presses == total and e.totals.steps == e.step + 1
    reference = list(RunReader(ref).steps(0))
    assert sum(bool(e.calls) for e in reference) >= 10, "the scripted model must call the meta-tool now and then"
    assert reference[-1].harness_version >= 5, "meta-tool calls must have made harness versions"
    for got, want in zip(steps, reference, strict=True):
        assert (got.frame_ref, got.prompt_ref, got.action, got.harness_version, [c.name for c in got.calls]) == (
            want.frame_ref, want.prompt_ref, want.action, want.harness_version, [c.name for c in want.calls]
        ), f"diverged at step {got.step} (seed {seed})"
    # totals rebuilt on resume include the calls of killed steps: they match the model_call events one for one
    calls = [e for _, e in store.events("model_call") if isinstance(e, ModelCall)]
    assert steps[-1].totals.model_calls == len(calls) and steps[-1].totals.tokens_in == sum(c.tokens_in for c in calls)
    resumes = store.count("run_resumed")
    assert resumes in (2, 3)  # the early-killed resume may or may not have logged its start
    s, r = inspect_json(run), inspect_json(ref)
    assert s["status"] == "done" and s["steps"] == target and s["resumes"] == resumes
    assert s["harness_version"] == r["harness_version"]
    # model calls of the killed steps are on record (money spent), so the killed run made at least as many
    assert sum(s["model_calls"].values()) >= sum(r["model_calls"].values())


def test_full_disk_stops_with_a_clear_error_and_loses_no_committed_step(tmp_path, quest_rom):
    """SQLite's page cap gives the same SQLITE_FULL error a full disk does."""
    from harness.config import RunConfig
    from harness.log.store import StoreError
    from harness.run import resume_run, start_run

    replies = write_replies(tmp_path / "r.jsonl", random_walk(13, seed=2))
    cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=40)
    agent = start_run(cfg, tmp_path / "run")
    try:
        agent.run(10)
        pages = agent.store.db.execute("PRAGMA page_count").fetchone()[0]
        agent.store.db.execute(f"PRAGMA max_page_count={pages}")
        with pytest.raises(StoreError, match="full"):
            agent.run(40)
    finally:
        agent.close()
    ids = RunReader(tmp_path / "run").step_ids()
    assert ids == list(range(len(ids))) and len(ids) >= 10
    agent = resume_run(tmp_path / "run", {})  # space is back: the run continues where the log ends
    try:
        assert agent.run(40) == "steps_done"
    finally:
        agent.close()
    assert RunReader(tmp_path / "run").step_ids() == list(range(40))


def test_a_non_game_boy_env_runs_50_steps_through_the_cli(tmp_path):
    """The form env (click / type actions, no buttons, no map) through the real loop and CLI: a scripted
    model replays a solver's actions, with notes edits (meta-tool calls) in between."""
    from envs.registry import make_env
    from tests.test_form_env import solve

    env = make_env("form")
    obs, _ = env.reset(seed=0)
    script: list[dict] = []
    while len([r for r in script if r["tool"] != "edit_prompt_block"]) < 50:
        for a in solve(obs["text"]):
            obs, *_ = env.step(a)
            script.append({"tool": a["name"], "arguments": {**a["arguments"], "reasoning": "solver"}})
        script.append(edit_note(f"solved a task; {len(script)} calls so far"))
    env.close()
    replies = write_replies(tmp_path / "form.jsonl", script)
    run = tmp_path / "run"
    harness_cli("run", "--env", "form", "--harness", "continual", "--no-refine", "--model", f"scripted:{replies}",
                "--steps", "50", "--run-dir", str(run), "--quiet")
    s = inspect_json(run)
    assert (s["env"], s["status"], s["steps"], s["button_presses"], s["format_failures"]) == ("form", "done", 50, 50, 0)
    names = [m["name"] for m in s["milestones"]]
    assert names[0] == "solved_1" and {"solved_5", "solved_fill"} <= set(names)
    notes = sum(r["tool"] == "edit_prompt_block" for r in script[: s["model_calls"]["act"]])
    assert s["model_calls"] == {"act": 50 + notes, "summary": 1} and s["harness_version"] == notes > 0
    steps = list(RunReader(run).steps(0))
    assert {e.action["name"] for e in steps} <= {"click", "type"} and all(e.frame_ref for e in steps)
    assert sum(len(e.calls) for e in steps) == notes
    assert steps[-1].where[0] >= 5  # task index: at least five tasks solved, without a reset
    out = harness_cli("inspect", str(run)).stdout
    assert "form" in out and "solved_5" in out
