"""The refiner (prompt pass so far): cadence, structured output, validation with logged refusals,
a failed pass on record (never skipped), and a pass cut by kill -9 redone from scratch on resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.config import RunConfig
from harness.log.events import EditRefused, HarnessVersion, ModelCall, RefinePass, SpanEnd, SpanStart
from harness.log.store import RunReader
from harness.refine import RefineSettings, scheduled
from harness.run import start_run
from tests.conftest import REPO, harness_cli, inspect_json, press, write_replies


def propose(analysis, *edits, **extra) -> dict:
    rows = [dict(zip(("label", "text", "why"), e, strict=True)) for e in edits]
    return {"tool": "propose_prompt_edits", "arguments": {"analysis": analysis, "edits": rows}, **extra}


def test_cadence_follows_the_reference_code():
    s = RefineSettings()
    assert [n for n in range(0, 701) if scheduled(n, s)] == [25, 50, 75, 100, 125, 150, 175, 200, 300, 400, 500,
                                                             600, 700]
    assert RunConfig(harness="continual").refining and not RunConfig(harness="minimal").refining
    assert RunConfig(harness="minimal", refine={"enabled": True}).refining


def test_prompt_pass_applies_valid_edits_refuses_bad_ones_and_records_a_failed_pass(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"},
        press("DOWN"),
        propose("stuck in the bedroom", ("notes", "The exit door is at the bottom.", "find the exit"),
                ("role", "you are a pirate", "fun"), ("notes", "y" * 900, "too long")),
        {"tool": "propose_prompt_edits", "arguments": {"analysis": 5}},  # invalid twice: a failed pass
        {"tool": "propose_prompt_edits", "arguments": {"edits": "nope"}},
    ])
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=60,
                                refine={"triggers": False, "passes": ["prompt"]}), tmp_path / "run")
    try:
        assert agent.run(60) == "steps_done"
    finally:
        agent.close()
    r = RunReader(tmp_path / "run")
    passes = [e for _, e in r.events("refine_pass") if isinstance(e, RefinePass)]
    assert [(p.at_step, p.status, p.proposed, p.applied, p.refused) for p in passes] == [
        (25, "applied", 3, 1, 2), (50, "failed", 0, 0, 0)]
    assert "arguments invalid" in passes[1].error and passes[0].analysis == "stuck in the bedroom"
    refused = [e for _, e in r.events("edit_refused") if isinstance(e, EditRefused)]
    assert [(e.target, e.source) for e in refused] == [("block role", "refiner"), ("block notes", "refiner")]
    assert "read-only" in refused[0].reason and "900 characters is over its limit of 800" in refused[1].reason
    v1 = r.last(HarnessVersion)
    assert (v1.version, v1.trigger, v1.step, v1.reason) == (1, "refiner", 25, "find the exit")
    steps = list(r.steps(0))
    assert {e.harness_version for e in steps[:25]} == {0} and {e.harness_version for e in steps[25:]} == {1}
    calls = [e for _, e in r.events("model_call") if isinstance(e, ModelCall) and e.purpose == "refine"]
    assert len(calls) == 3 and all(c.span and c.span.startswith("refine-") for c in calls)
    prompt = r.get_text(r.get_text(calls[0].prompt_ref).split('"content_ref":"')[2].split('"')[0])
    assert "Recent steps (oldest first):\nstep 0 at" in prompt and "step 24 at" in prompt and "[notes]" in prompt
    ends = [e for _, e in r.events("span_end") if isinstance(e, SpanEnd)]
    assert [e.status for e in ends] == ["ok", "error"]
    s = inspect_json(tmp_path / "run")
    assert s["refinements"] == {"passes": 2, "failed_passes": 1, "proposals": 3, "applied": 1, "refused": 2,
                                "rolled_back": 0}
    assert s["model_calls"]["refine"] == 3


@pytest.mark.slow
def test_a_kill_during_a_refiner_pass_leaves_no_half_version_and_resume_redoes_it(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("DOWN"), press("A"),
        propose("slow refiner", ("notes", "Mom is here.", "remember mom"), ("strategy", "Leave home.", "exit"),
                delay_s=3.0),
    ])
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--env", "quest", "--harness", "continual",
                             "--model", f"scripted:{replies}", "--steps", "40", "--run-dir", str(run), "--quiet"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            if RunReader(run).count("span_start"):
                break
        except Exception:
            pass
    time.sleep(0.5)  # inside the 3 s reply of the refiner's call
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    r = RunReader(run)
    assert r.count("span_start") == 1 and r.count("refine_pass") == 0 and r.last(HarnessVersion).version == 0
    at = r.last(SpanStart).step  # a pass starts after `at` steps (the schedule's 25, or a trigger's earlier)
    assert r.step_ids() == list(range(at))
    harness_cli("resume", str(run), "--steps", "40", "--quiet", timeout=120)
    r = RunReader(run)
    assert r.step_ids() == list(range(40))
    passes = [e for _, e in r.events("refine_pass") if isinstance(e, RefinePass)]
    assert [(p.at_step, p.status, p.applied) for p in passes[:1]] == [(at, "applied", 2)]
    versions = [(e.version, e.step) for _, e in r.events("harness_version") if isinstance(e, HarnessVersion)]
    assert versions[:3] == [(0, None), (1, at), (2, at)]  # the cut pass left nothing; the redo applied both once
    ends = [(e.status, e.span) for _, e in r.events("span_end") if isinstance(e, SpanEnd)]
    assert ends[0][0] == "cut" and ends[1] == ("ok", passes[0].span) and ends[0][1] != passes[0].span


def _refine_run(tmp_path, name, script, steps, mode="by_tool", **refine):
    replies = write_replies(tmp_path / f"{name}.jsonl", [{"mode": mode}, *script])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=steps,
                    refine={"warmup": 1000, "passes": ["prompt"], **refine})  # no scheduled pass: triggers, requests
    return cfg, tmp_path / name


def _passes(run):
    return [(p.at_step, p.why, [t["name"] for t in p.triggers]) for _, p in RunReader(run).events("refine_pass")]


def test_cheap_triggers_and_the_agents_request_start_passes_with_their_reasons(tmp_path, quest_rom):
    script = [press("B"),  # B on the title screen does nothing: the place never changes -> `stuck`
              {"tool": "request_refinement", "arguments": {"reason": "I cannot leave the title screen"}},
              press("B"), propose("nothing to change")]
    cfg, run = _refine_run(tmp_path, "run", script, 30, signals={"stuck_steps": 5, "cooldown_steps": 10})
    agent = start_run(cfg, run)
    try:
        agent.run(30)
    finally:
        agent.close()
    passes = _passes(run)
    # stuck fires after 5 steps in place (steps 0-4: a pass before step 5) and again after each 10-step
    # cooldown; the agent asks every other step, but a request starts a pass only when no pass of any cause
    # ran in the 10 steps before it: the first one does, the later ones all come < 10 steps after a stuck pass
    asked = [p[0] for p in passes if p[1] == ["the agent asked: I cannot leave the title screen"]]
    assert asked == [2]
    stuck = [p for p in passes if "stuck" in p[2]]
    assert [p[0] for p in stuck] == [5, 15, 25] and len(passes) == 4
    assert "trigger stuck: no change of place for 5 steps at Title screen" in stuck[0][1][0]
    calls = [e for _, e in RunReader(run).events("model_call") if e.purpose == "refine"]
    first = RunReader(run).get_text(calls[0].prompt_ref)
    assert "I cannot leave the title screen" in RunReader(run).get_text(
        first.split('"content_ref":"')[2].split('"')[0])


def test_requests_alone_start_a_pass_at_most_every_cooldown(tmp_path, quest_rom):
    script = [press("B"), {"tool": "request_refinement", "arguments": {"reason": "stuck"}}, press("B"),
              propose("nothing to change")]
    cfg, run = _refine_run(tmp_path, "run", script, 30, triggers=False, request_cooldown=10)
    agent = start_run(cfg, run)
    try:
        agent.run(30)
    finally:
        agent.close()
    assert [p[0] for p in _passes(run)] == [2, 12, 22]  # asked every other step; a pass at most every 10


def test_resume_rebuilds_triggers_cooldowns_and_requests_exactly(tmp_path, quest_rom):
    """An interrupted run (stopped and resumed at several boundaries) starts the same passes, for the
    same reasons, at the same steps as an uninterrupted one."""
    script = [press("B"), press("B"), press("DOWN"), press("B"),
              {"tool": "request_refinement", "arguments": {"reason": "help"}}, press("A"), propose("ok")]
    signals = {"stuck_steps": 4, "cooldown_steps": 7, "loop_window": 8, "loop_places": 3, "stall_steps": 9,
               "failure_window": 10, "failure_count": 3}
    cfg, ref = _refine_run(tmp_path, "ref", script, 60, mode="by_prompt", signals=signals)
    agent = start_run(cfg, ref)
    agent.run(60)
    agent.close()
    run = tmp_path / "run"  # the same replies file: chosen by prompt, so order of calls does not matter
    agent = start_run(cfg, run)
    from harness.run import resume_run

    for stop in (7, 13, 14, 29, 41, 60):
        agent.run(stop)
        agent.close()
        if stop < 60:
            agent = resume_run(run, {})
    assert _passes(run) == _passes(ref) and len(_passes(ref)) >= 8
    assert {n for p in _passes(ref) for n in p[2]} >= {"stuck", "stall"}


def test_bootstrap_frozen_keeps_the_harness_and_updating_refines_it(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "a.jsonl", [
        {"mode": "by_tool"}, press("DOWN"), press("A"), propose("ok", ("notes", "Mom is upstairs.", "remember"))])
    source = tmp_path / "source"
    harness_cli("run", "--env", "quest", "--harness", "continual", "--model", f"scripted:{replies}", "--steps", "26",
                "--run-dir", str(source), "--quiet")
    final = RunReader(source).last(HarnessVersion)
    assert final.version >= 1
    frozen, updating = tmp_path / "frozen", tmp_path / "updating"
    for run, extra in ((frozen, ["--frozen"]), (updating, [])):
        harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", "26", "--run-dir", str(run),
                    "--bootstrap-from", str(source), *extra, "--quiet")
        v0 = RunReader(run).events("harness_version").__next__()[1]
        assert (v0.version, v0.trigger, v0.hash) == (0, "bootstrap", final.hash)
        assert v0.reason == f"bootstrap from {source} v{final.version}"
    assert inspect_json(frozen)["refinements"]["passes"] == 0 and inspect_json(frozen)["harness_version"] == 0
    assert inspect_json(updating)["refinements"]["passes"] >= 1
    proc = harness_cli("run", "--env", "quest", "--frozen", "--run-dir", str(tmp_path / "x"), check=False)
    assert proc.returncode == 2 and "--frozen needs --bootstrap-from" in proc.stderr


def _gate_run(tmp_path, name, after, prefix=()):
    from envs.gameboy.quest.route import ROUTE

    script = [{"mode": "by_tool"}, *[press(b) for b in ROUTE[:25]], *prefix, *[press(b) for b in after],
              propose("notes help", ("strategy", "Follow the road east.", "east is progress"))]
    replies = write_replies(tmp_path / f"{name}.jsonl", script)
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=70,
                    refine={"triggers": False, "every": 40, "gate": {"window": 20}, "passes": ["prompt"]})
    agent = start_run(cfg, tmp_path / name)
    try:
        agent.run(70)
    finally:
        agent.close()
    return RunReader(tmp_path / name)


def test_the_gate_rolls_back_a_version_that_made_progress_clearly_worse(tmp_path, quest_rom):
    r = _gate_run(tmp_path, "worse", ["B"] * 60)  # after the pass the actor stands still
    from harness.log.events import GateDecision, Rollback

    decisions = [e for _, e in r.events("gate_decision") if isinstance(e, GateDecision)]
    assert len(decisions) == 1 and not decisions[0].kept and decisions[0].step == 45
    d = decisions[0]
    assert (d.version, d.parent, d.at_step) == (1, 0, 25) and d.new_score < 0.5 * d.parent_score
    rb = r.last(Rollback)
    assert (rb.from_version, rb.to_version, rb.new_version, rb.step) == (1, 0, 2, 45)
    assert f"{d.new_score:.3f}/step after the pass at step 25 vs {d.parent_score:.3f}" in rb.reason
    versions = [e for _, e in r.events("harness_version") if isinstance(e, HarnessVersion)]
    assert versions[2].trigger == "rollback" and versions[2].hash == versions[0].hash
    steps = list(r.steps(0))
    assert {e.harness_version for e in steps[25:45]} == {1} and steps[45].harness_version == 2
    # the next pass (after step 65) is told what was undone, so it does not flip-flop
    refine_calls = [e for _, e in r.events("model_call") if isinstance(e, ModelCall) and e.purpose == "refine"]
    prompt = r.get_text(r.get_text(refine_calls[-1].prompt_ref).split('"content_ref":"')[2].split('"')[0])
    assert "(do not make these edits again):\n- edits (east is progress) were undone: gate:" in prompt
    assert inspect_json(tmp_path / "worse")["refinements"]["rolled_back"] == 1


def test_the_gate_judges_a_refiner_version_after_the_agents_own_edits_and_keeps_them(tmp_path, quest_rom):
    """The agent edits its notes right after the pass; the pass's strategy edit is still judged and undone,
    and the agent's notes survive the rollback."""
    from harness.log.events import GateDecision
    from harness.state.versions import load_version
    from tests.conftest import edit_note

    r = _gate_run(tmp_path, "notes", ["B"] * 60, prefix=[edit_note("stay put")])
    decisions = [e for _, e in r.events("gate_decision") if isinstance(e, GateDecision)]
    assert [(d.version, d.parent, d.kept) for d in decisions] == [(1, 0, False)]
    versions = [e for _, e in r.events("harness_version") if isinstance(e, HarnessVersion)]
    assert [v.trigger for v in versions][:4] == ["preset", "refiner", "agent", "rollback"]
    final = load_version(r, versions[3].version)  # (a later pass, after step 65, makes v4)
    assert final.block("strategy").value == load_version(r, 0).block("strategy").value
    assert final.block("notes").value == "stay put"


def test_the_gate_keeps_a_version_that_did_not_make_things_worse(tmp_path, quest_rom):
    from envs.gameboy.quest.route import ROUTE

    r = _gate_run(tmp_path, "fine", ROUTE[25:85])  # the actor keeps following the route
    from harness.log.events import GateDecision

    decisions = [e for _, e in r.events("gate_decision") if isinstance(e, GateDecision)]
    assert [(d.version, d.kept) for d in decisions] == [(1, True)] and r.count("rollback") == 0


def test_the_prompt_pass_turns_library_tools_on_and_refuses_unknown_ones(tmp_path, quest_rom):
    from harness.refine.passes import PromptPass
    from harness.state.versions import load_version

    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"),
        {"tool": "propose_prompt_edits", "arguments": {"analysis": "walking is slow", "edits": [],
                                                       "tools_on": ["navigate_to", "fly"]}},
    ])
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=3,
                                refine={"warmup": 2, "every": 100, "triggers": False, "passes": ["prompt"]}),
                      tmp_path / "run")
    try:
        tool = PromptPass().tool(agent)
        library = tool.spec().parameters["properties"]["tools_on"]["items"]["enum"]
        assert "navigate_to" in library and "edit_prompt_block" not in library
        agent.run(3)
    finally:
        agent.close()
    r = RunReader(tmp_path / "run")
    (p,) = [e for _, e in r.events("refine_pass")]
    assert (p.status, p.proposed, p.applied, p.refused) == ("applied", 2, 1, 1)
    assert load_version(r, p.version).tools[-1] == "navigate_to"
    (refused,) = [e for _, e in r.events("edit_refused")]
    assert refused.target == "tool fly" and "unknown tool(s) fly" in refused.reason
    step2 = next(iter(r.steps(2, 3)))
    assert step2.harness_version == p.version  # the step after the pass was offered navigate_to
    call = [e for _, e in r.events("model_call") if e.purpose == "refine"][0]
    assert "Library tools you can turn on (tools_on):\n" in r.get_text(r.get_text(call.prompt_ref).split(
        '"content_ref":"')[2].split('"')[0])


def test_a_kill_between_two_passes_of_a_triggered_boundary_finishes_the_rest_on_resume(tmp_path, quest_rom):
    """Found by the fault campaign: a requested (unscheduled) boundary cut after its prompt pass skipped its
    sub-agent pass on resume, because the request that started it was already consumed."""
    from harness.run import resume_run

    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"), {"tool": "request_refinement", "arguments": {"reason": "lost"}},
        press("DOWN"), press("A"), propose("fine"),
        {"tool": "propose_subagent_edits", "arguments": {"analysis": "none needed", "edits": []}},
    ])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=4,
                    refine={"warmup": 1000, "triggers": False, "passes": ["prompt", "subagents"]})
    agent = start_run(cfg, tmp_path / "run")
    real_call = agent.call

    def killed_in_subagent_pass(messages, offer, purpose, *args, **kw):
        if "propose_subagent_edits" in offer:
            raise SystemExit("kill -9")
        return real_call(messages, offer, purpose, *args, **kw)

    agent.call = killed_in_subagent_pass
    try:
        with pytest.raises(SystemExit):
            agent.run(4)
    finally:
        agent.close()
    r = RunReader(tmp_path / "run")
    assert [(p.at_step, p.name) for _, p in r.events("refine_pass")] == [(2, "prompt")] and r.step_ids() == [0, 1]
    agent = resume_run(tmp_path / "run", {})
    with agent:
        agent.run(4)
    r = RunReader(tmp_path / "run")
    passes = [(p.at_step, p.name, p.why) for _, p in r.events("refine_pass")]
    assert passes == [(2, "prompt", ["the agent asked: lost"]), (2, "subagents", ["the agent asked: lost"])]
    assert r.step_ids() == [0, 1, 2, 3]


def test_a_pass_may_not_grow_the_prompt_past_its_growth_cap(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"),
        propose("write a lot", ("strategy", "s" * 1000, "long plan"), ("notes", "n" * 700, "long notes")),
    ])
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=3,
                                refine={"warmup": 2, "every": 100, "triggers": False, "passes": ["prompt"]}),
                      tmp_path / "run")
    with agent:
        agent.run(3)
    r = RunReader(tmp_path / "run")
    (p,) = [e for _, e in r.events("refine_pass")]
    assert (p.applied, p.refused) == (1, 1)
    (refused,) = [e for _, e in r.events("edit_refused")]
    assert refused.target == "block notes" and "would add over 1200 characters (growth cap)" in refused.reason
