"""Skill meta-tools in the runtime: add_skill stores code by hash as a new version through the versions
API, run_skill plays it in the sandbox with each press an env action of the step (replayed on resume)."""

from __future__ import annotations

import pytest

from harness.config import RunConfig
from harness.log.events import HarnessVersion
from harness.run import restore_env, start_run
from harness.state.versions import load_version
from skills.sandbox import sandbox_problem
from tests.conftest import press, write_replies

PROBLEM = sandbox_problem()
if PROBLEM:  # pragma: no cover
    pytest.skip(PROBLEM, allow_module_level=True)

WALK = ("def run(game, args):\n    for _ in range(args['n']):\n        game.press(['DOWN'])\n"
        "    return game.state()['y']\n")


def add(name, body, kind="code", why="") -> dict:
    return {"tool": "add_skill", "arguments": {"name": name, "description": f"{name} skill", "kind": kind,
                                               "body": body, "why": why}}


def run(name, **args) -> dict:
    return {"tool": "run_skill", "arguments": {"name": name, "args": args}}


def test_skills_are_versioned_by_hash_and_run_as_macro_steps(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"),
        add("walk", WALK), run("walk", n=3),  # step 1: the skill walks 3 tiles down
        add("broken", "def run(game, args):\n    return (\n"), add("tip", "Mom blocks the door.", kind="text"),
        run("tip"), press("A"),  # step 2: a refused add, a text skill, then an action
        add("walk", WALK.replace("['DOWN']", "['UP']"), why="go back up"), run("walk", n=1),  # step 3: v2
        run("walk", n="x"),  # step 4: the skill raises: recorded, the model told, no press
        press("B"),
    ])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=5,
                    refine={"enabled": False}, max_meta_calls=4)
    agent = start_run(cfg, tmp_path / "run")
    with agent:
        h = agent.versions.current
        agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "add_skill", "run_skill", "delete_skill"]}),
                              reason="skills on", trigger="user", step=0)
        agent.run(5)
    from harness.log.store import RunReader

    r = RunReader(tmp_path / "run")
    steps = list(r.steps(0))
    s1, s2, s3, s4 = steps[1:5]
    assert s1.action == {"name": "run_skill", "arguments": {"name": "walk", "args": {"n": 3}}}
    assert s1.env_actions == [{"name": "press_buttons", "arguments": {"buttons": ["DOWN"]}}] * 3
    assert s1.action_cost == 3 and s1.calls[-1].result == "walk (3 presses): 8"
    # each run is a span; each press inside it a sub-step, logged as it happened
    spans = [(e.step, e.name, e.span_kind) for _, e in r.events("span_start")]
    assert spans == [(1, "skill walk v1", "skill"), (3, "skill walk v2", "skill"), (4, "skill walk v2", "skill")]
    first = next(e.span for _, e in r.events("span_start"))
    subs = [(e.step, e.index, e.action["arguments"]["buttons"], e.label) for _, e in r.events("substep")
            if e.span == first]
    assert subs == [(1, i, ["DOWN"], label) for i, label in enumerate(
        ["HOME (6, 6)", "HOME (6, 7)", "HOME (6, 8)"])]
    ends = [(e.status, e.summary) for _, e in r.events("span_end")]
    assert ends[:2] == [("ok", "3 presses: 8"), ("ok", "1 presses: 7")] and ends[2][0] == "error"
    assert "TypeError" in ends[2][1]
    assert not s2.calls[0].ok and "SyntaxError" in s2.calls[0].result
    assert s2.calls[2].result == "tip: Mom blocks the door." and s2.action["name"] == "press_buttons"
    assert s3.calls[-1].result == "walk (1 presses): 7"
    assert not s4.calls[0].ok and "walk failed after 0 presses: TypeError" in s4.calls[0].result
    assert s4.action["name"] == "press_buttons"
    final = load_version(r, r.last(HarnessVersion).version)
    walk = final.skills["walk"]
    assert [v.reason for v in walk.versions] == ["first version", "go back up"] and walk.kind == "code"
    assert r.get_text(walk.versions[0].ref) == WALK and "UP" in r.get_text(walk.current.ref)
    assert set(final.skills) == {"walk", "tip"}
    env, _, info, _, _ = restore_env(r, cfg, 5)
    with env:
        assert list(info["progress"].where) == steps[-1].where


def test_run_code_prints_from_a_state_snapshot_and_cannot_press(tmp_path, quest_rom):
    from skills.tools import RunCode

    class Ctx:
        step = 0

        def state(self):
            return {"x": 6, "y": 5, "text_map": "#@#"}

    tool = RunCode()
    assert tool.run(Ctx(), tool.args(code="print(state['x'] + state['y'], state['text_map'])")).content == "11 #@#"
    pressed = tool.run(Ctx(), tool.args(code="print('before')\nstate['game'] = 1\nraise SystemExit(3)"))
    assert not pressed.ok and pressed.content.startswith("error: ") and "before" in pressed.content
    blocked = tool.run(Ctx(), tool.args(code="game.press(['A'])"))
    assert not blocked.ok and "error: " in blocked.content
    from tools import ToolError
    with pytest.raises(ToolError, match="SyntaxError"):
        tool.run(Ctx(), tool.args(code="print((1"))


def test_the_skill_pass_sees_a_failure_repairs_the_skill_and_refuses_code_that_does_not_compile(tmp_path, quest_rom):
    from harness.log.store import RunReader

    fixed = WALK.replace("args['n']", "int(args.get('n', 1))")
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"), add("walk", WALK), run("walk"), press("A"),  # KeyError: 'n'
        {"tool": "propose_prompt_edits", "arguments": {"analysis": "fine", "edits": []}},
        {"tool": "propose_skill_edits", "arguments": {"analysis": "walk needs n", "edits": [
            {"op": "write", "name": "walk", "description": "walk down n tiles", "kind": "code", "body": fixed,
             "why": "default n"},
            {"op": "write", "name": "oops", "description": "broken", "kind": "code", "body": "def run(:"}]}},
        run("walk"), press("B"),
    ])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=4, max_meta_calls=4,
                    refine={"warmup": 2, "every": 100, "triggers": False, "passes": ["prompt", "skills"]})
    agent = start_run(cfg, tmp_path / "run")
    with agent:
        h = agent.versions.current
        agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "add_skill", "run_skill"]}),
                              reason="skills on", trigger="user", step=0)
        agent.run(4)
    r = RunReader(tmp_path / "run")
    passes = [(p.name, p.status, p.proposed, p.applied, p.refused) for _, p in r.events("refine_pass")]
    assert passes == [("prompt", "no_edits", 0, 0, 0), ("skills", "applied", 2, 1, 1)]
    (refused,) = list(r.events("edit_refused"))
    assert refused[1].target == "skill oops" and "SyntaxError" in refused[1].reason
    call = [e for _, e in r.events("model_call") if e.purpose == "refine"][-1]
    prompt = r.get_text(r.get_text(call.prompt_ref).split('"content_ref":"')[2].split('"')[0])
    assert "[walk] (code, version 1; run 1x in the window, 1 failed)" in prompt and "KeyError" in prompt
    steps = list(r.steps(0))
    assert steps[2].calls[0].result == "walk (1 presses): 6" and steps[2].action["name"] == "run_skill"
    walk = load_version(r, r.last(HarnessVersion).version).skills["walk"]
    assert [v.reason for v in walk.versions] == ["first version", "default n"] and r.get_text(walk.current.ref) == fixed


def test_deleting_a_skill_in_use_at_a_milestone_needs_a_why(tmp_path, quest_rom):
    from harness.log.store import RunReader
    from harness.refine.passes import SkillEdit, SkillPass
    from harness.state import HarnessEditError

    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, press("START"), add("walk", WALK), run("walk", n=3),
        *[press(b) for b in ("RIGHT", "RIGHT", "RIGHT", "RIGHT", "DOWN", "A", "A", "A", "A")],  # talked_to_mom
    ])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=11, max_meta_calls=4,
                    refine={"enabled": False})
    agent = start_run(cfg, tmp_path / "run")
    with agent:
        h = agent.versions.current
        agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "add_skill", "run_skill"]}),
                              reason="skills on", trigger="user", step=0)
        agent.run(11)
        r = RunReader(tmp_path / "run")
        assert [e.name for _, e in r.events("milestone")] == ["talked_to_mom"]
        h = agent.versions.current
        with pytest.raises(HarnessEditError, match="in use when a milestone was reached; deleting it needs a why"):
            SkillPass().apply(h, SkillEdit(op="delete", name="walk"), agent, 11, [])
        new, _ = SkillPass().apply(h, SkillEdit(op="delete", name="walk", why="navigate_to does it"), agent, 11, [])
        assert "walk" not in new.skills


def test_bootstrap_carries_skill_code_and_resume_checks_the_library_against_the_store(tmp_path, quest_rom):
    import sqlite3

    from harness.log.store import RunReader, StoreError
    from harness.run import resume_run

    replies = write_replies(tmp_path / "r.jsonl", [{"mode": "by_tool"}, press("START"), add("walk", WALK), press("A")])
    cfg = RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=2, refine={"enabled": False})
    agent = start_run(cfg, tmp_path / "run")
    with agent:
        h = agent.versions.current
        agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "add_skill", "run_skill"]}),
                              reason="skills on", trigger="user", step=0)
        agent.run(2)
    boot = start_run(RunConfig(env="quest", model=f"scripted:{replies}", bootstrap_from=str(tmp_path / "run"),
                               steps=1, refine={"enabled": False}), tmp_path / "boot")
    boot.close()
    b = RunReader(tmp_path / "boot")
    walk = load_version(b, 0).skills["walk"]
    assert b.get_text(walk.current.ref) == WALK  # the code came along with the harness
    with sqlite3.connect(tmp_path / "run" / "run.sqlite") as db:
        db.execute("DELETE FROM blobs WHERE ref=?", (walk.current.ref,))
    with pytest.raises(StoreError, match="the code of skill walk v1 is missing from the run store"):
        resume_run(tmp_path / "run", {"steps": 3})
