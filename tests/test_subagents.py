"""Sub-agents: defined through the versions API (tool names, nesting and caps checked there), called as
a nested, bounded loop in a span whose model calls and presses count in the step and the run totals;
a call that acted ends the step and is replayed from its recorded env actions on resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.config import RunConfig
from harness.context import turn_line
from harness.log.events import EditRefused, HarnessVersion, ModelCall, SpanEnd, SpanStart
from harness.log.store import RunReader
from harness.run import restore_env, start_run
from harness.state import HarnessEditError
from harness.state.versions import load_version
from tests.conftest import REPO, harness_cli, inspect_json, press, write_replies


def define(name="walker", tools=("press_buttons",), max_turns=3, **extra) -> dict:
    return {"tool": "define_subagent", "arguments": {
        "name": name, "instructions": "Walk where you are told, one press per turn.", "tools": list(tools),
        "max_turns": max_turns, "returns": "when you arrive", **extra}}


def call(task="go down", name="walker", **extra) -> dict:
    return {"tool": "call_subagent", "arguments": {"name": name, "task": task}, **extra}


def done(summary) -> dict:
    return {"tool": "return_to_caller", "arguments": {"summary": summary}}


def run_script(tmp_path, script, steps, name="run"):
    replies = write_replies(tmp_path / f"{name}.jsonl", [{"mode": "by_tool"}, *script])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=steps,
                    refine={"enabled": False}, max_meta_calls=6)
    agent = start_run(cfg, tmp_path / name)
    try:
        assert agent.run(steps) == "steps_done"
    finally:
        agent.close()
    return RunReader(tmp_path / name), cfg


def test_a_sub_agent_call_is_a_bounded_nested_loop_in_a_span_that_reports_back(tmp_path, quest_rom):
    r, cfg = run_script(tmp_path, [
        press("START"),  # step 0: past the title screen
        define(), call("go down"), press("DOWN"), press("DOWN"), done("went down twice"),  # step 1
        call("keep going"), press("DOWN"), press("RIGHT"), press("RIGHT"),  # step 2: the turn cap (3) ends it
        call("look", name="nobody"), press("A"),  # step 3: an unknown sub-agent is refused, then an action
    ], 4)
    steps = list(r.steps(0))
    s1, s2, s3 = steps[1], steps[2], steps[3]
    assert s1.action == {"name": "call_subagent", "arguments": {"name": "walker", "task": "go down"}}
    assert s1.env_actions == [{"name": "press_buttons", "arguments": {"buttons": ["DOWN"]}}] * 2
    assert s1.action_cost == 2 and s1.model_calls == 5  # define, call, 2 turns, return
    assert [c.name for c in s1.calls] == ["define_subagent", "call_subagent"]
    assert s1.calls[1].kind == "action" and "walker (3 turns, 2 presses" in s1.calls[1].result
    assert s1.calls[1].result.endswith("went down twice")
    assert s2.action_cost == 3 and "turn cap (3) reached" in s2.calls[0].result
    assert s3.calls[0].ok is False and "no sub-agent 'nobody'; sub-agents: walker" in s3.calls[0].result
    assert s3.action == {"name": "press_buttons", "arguments": {"buttons": ["A"]}} and s3.env_actions is None
    assert s3.totals.presses == 1 + 2 + 3 + 1
    spans = [e for _, e in r.events("span_start") if isinstance(e, SpanStart)]
    ends = [e for _, e in r.events("span_end") if isinstance(e, SpanEnd)]
    assert [(e.span_kind, e.step) for e in spans] == [("subagent", 1), ("subagent", 2)]
    assert [e.summary for e in ends] == ["went down twice", ends[1].summary] and ends[1].status == "ok"
    sub_calls = [e for _, e in r.events("model_call") if isinstance(e, ModelCall) and e.purpose == "subagent"]
    assert len(sub_calls) == 6 and {c.span for c in sub_calls} == {s.span for s in spans}
    prompt = r.get_text(r.get_text(sub_calls[0].prompt_ref).split('"content_ref":"')[1].split('"')[0])
    assert prompt.startswith("Walk where you are told") and "call return_to_caller" in prompt
    v = r.last(HarnessVersion)
    assert (v.version, v.trigger, v.reason) == (1, "agent", "defined sub-agent 'walker'")
    # the history line the model sees next shows what the sub-agent reported, not the call as a meta call
    line = turn_line(s1)
    assert "call_subagent walker \"go down\" => walker (3 turns, 2 presses" in line and "[call_subagent]" not in line
    # replay from the recorded env actions reproduces the env exactly
    env, obs, info, _, replayed = restore_env(r, cfg, 4)
    try:
        assert replayed == 4 and list(info["progress"].where) == steps[3].where
    finally:
        env.close()
    assert inspect_json(r.run_dir)["button_presses"] == 7


def test_sub_agent_definitions_are_validated_through_the_versions_api(tmp_path, quest_rom):
    r, _ = run_script(tmp_path, [
        define(name="nest", tools=("press_buttons", "call_subagent")),  # no nesting
        define(name="ghost", tools=("fly",)),  # not one of the agent's tools
        define(name="press_buttons"),  # a tool's name
        define(name="long", max_turns=50),  # over the cap: the args schema refuses it (a repair)
        define(name="ok"),
        {"tool": "delete_subagent", "arguments": {"name": "ok", "why": "not needed"}},
        press("START"),
    ], 1)
    (step,) = r.steps(0)
    results = [(c.name, c.ok, c.result) for c in step.calls]
    assert "may not use call_subagent (sub-agents do not nest)" in results[0][2] and not results[0][1]
    assert "sub-agent 'ghost': fly is not one of the agent's tools (" in results[1][2]
    assert "sub-agent 'press_buttons': that is a tool's name" in results[2][2]
    assert [n for n, ok, _ in results if ok] == ["define_subagent", "delete_subagent"]
    assert step.repairs == 1  # max_turns=50 failed the args schema
    versions = [e.reason for _, e in r.events("harness_version") if isinstance(e, HarnessVersion)]
    assert versions[1:] == ["defined sub-agent 'ok'", "deleted sub-agent 'ok': not needed"]
    assert not [e for _, e in r.events("edit_refused") if isinstance(e, EditRefused)]


def test_a_kill_inside_a_sub_agent_call_is_redone_from_the_step_start(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"), define(), call("go"), press("DOWN"),
        {**press("DOWN"), "delay_s": 3.0}, done("down twice"), press("A"), press("A"), press("A"),
    ])
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--env", "quest", "--harness", "continual",
                             "--no-refine", "--model", f"scripted:{replies}", "--steps", "4", "--run-dir", str(run),
                             "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            if RunReader(run).count("span_start"):
                break
        except Exception:
            pass
    time.sleep(1.0)  # inside the sub-agent's second turn: one DOWN pressed, not committed
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    r = RunReader(run)
    assert r.step_ids() == [0] and r.count("span_end") == 0
    assert r.last(HarnessVersion).version == 0  # the define made in the cut step was never committed
    # a fresh process reads the script from its start: the rest of the run's replies
    write_replies(replies, [{"mode": "by_tool"}, define(), call("go"), press("DOWN"), press("DOWN"),
                            done("down twice"), press("A"), press("A")])
    harness_cli("resume", str(run), "--steps", "4", "--quiet", timeout=120)
    r = RunReader(run)
    assert r.step_ids() == [0, 1, 2, 3]
    ends = [e for _, e in r.events("span_end") if isinstance(e, SpanEnd)]
    assert [e.status for e in ends][0] == "cut"
    step1 = next(iter(r.steps(1, 2)))
    assert step1.action["name"] == "call_subagent" and step1.action_cost == 2 and step1.totals.presses == 3
    assert [e.version for _, e in r.events("harness_version")] == [0, 1]


def propose_subagents(analysis, *edits) -> dict:
    return {"tool": "propose_subagent_edits", "arguments": {"analysis": analysis, "edits": list(edits)}}


def test_the_sub_agent_pass_defines_validates_and_refuses_with_reasons(tmp_path, quest_rom):
    """The pass after 3 steps: a good definition applied, one naming a tool the agent lacks refused."""
    script = [
        press("START"), press("A"), press("A"),
        {"tool": "propose_prompt_edits", "arguments": {"analysis": "fine", "edits": []}},
        propose_subagents("the agent talks a lot",
                          {"op": "define", "name": "talker", "instructions": "Press A until the dialog ends.",
                           "tools": ["press_buttons"], "max_turns": 4, "why": "dialogs"},
                          {"op": "define", "name": "flyer", "instructions": "Fly.", "tools": ["fly"]}),
    ]
    replies = write_replies(tmp_path / "r.jsonl", [{"mode": "by_tool"}, *script])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=3,
                    refine={"warmup": 3, "every": 3, "triggers": False, "passes": ["prompt", "subagents"]})
    agent = start_run(cfg, tmp_path / "run")
    try:
        agent.run(3)
        agent.refiner.maybe_refine(agent)  # the passes due after 3 steps: prompt, then sub-agents
    finally:
        agent.close()
    r = RunReader(tmp_path / "run")
    passes = [(p.name, p.status, p.proposed, p.applied, p.refused) for _, p in r.events("refine_pass")]
    assert passes == [("prompt", "no_edits", 0, 0, 0), ("subagents", "applied", 2, 1, 1)]
    refused = [(e.target, e.reason) for _, e in r.events("edit_refused") if isinstance(e, EditRefused)]
    assert refused[0][0] == "sub-agent flyer" and "flyer" in refused[0][1]
    v = r.last(HarnessVersion)
    assert (v.trigger, v.reason) == ("refiner", "dialogs")
    h = load_version(r, v.version)
    assert h.subagents["talker"].tools == ["press_buttons"] and h.subagents["talker"].max_turns == 4
    call = [e for _, e in r.events("model_call") if e.purpose == "refine"][-1]
    prompt = r.get_text(r.get_text(call.prompt_ref).split('"content_ref":"')[2].split('"')[0])
    assert "Sub-agents:\n(none)" in prompt and "Tools a sub-agent may be given: " in prompt
    assert "call_subagent" not in prompt.split("Tools a sub-agent may be given: ")[1].split("\n")[0]


def test_deleting_a_sub_agent_in_use_at_a_milestone_needs_a_why(tmp_path, quest_rom):
    from harness.refine.passes import SubagentEdit, SubagentPass, in_use_at_milestone

    r, cfg = run_script(tmp_path, [
        press("START"), define(name="walker", max_turns=2), call("walk"), press("DOWN"), press("DOWN"),  # 2 DOWN
        press("DOWN"), press("RIGHT"), press("RIGHT"), press("RIGHT"), press("RIGHT"), press("DOWN"),
        press("A"), press("A"), press("A"), press("A"),  # Mom's pages: talked_to_mom
    ], 12)
    assert [(e.name, e.step) for _, e in r.events("milestone")] == [("talked_to_mom", 11)]
    assert in_use_at_milestone(r, "walker", 12) and not in_use_at_milestone(r, "other", 14)

    class Fake:
        store = r

    h = load_version(r, 1)
    with pytest.raises(HarnessEditError, match="was in use when a milestone was reached; deleting it needs a why"):
        SubagentPass().apply(h, SubagentEdit(op="delete", name="walker"), Fake(), 12, [])
    new, _ = SubagentPass().apply(h, SubagentEdit(op="delete", name="walker", why="replaced by navigate_to"),
                                  Fake(), 12, [])
    assert "walker" not in new.subagents
