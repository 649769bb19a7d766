"""The context window: one function live and on resume; lines appended in chunks so the prompt prefix
stays stable between chunk boundaries."""

from __future__ import annotations

from harness.context import format_action, turn_line, window_start
from harness.log.events import Step, ToolCallRecord, Totals


def test_window_shows_between_history_and_history_plus_chunk_minus_one_lines():
    for step in range(200):
        start = window_start(step, 6, 6)
        assert step - start <= 11 and (step - start >= 6 or start == 0)
    assert window_start(5, 0, 6) == 5  # no history


def test_between_chunk_boundaries_the_window_only_grows():
    starts = [window_start(s, 6, 6) for s in range(6, 60)]
    changes = [s for s, (a, b) in enumerate(zip(starts, starts[1:], strict=False)) if a != b]
    assert len(changes) == len(range(6, 60)) // 6 - (1 if 60 % 6 == 0 else 0)
    assert all(b - a == 6 for a, b in zip(sorted(set(starts)), sorted(set(starts))[1:], strict=False))


def test_history_line_names_the_action_the_move_and_meta_calls():
    base = dict(obs_ref="o", prompt_ref="p", harness_version=0, totals=Totals())
    moved = Step(step=4, action={"name": "press_buttons", "arguments": {"buttons": ["UP", "A"]}}, reasoning="go",
                 where_before=["Town", 3, 4], label_before="Town (3, 4)", where=["Town", 3, 3], label="Town (3, 3)",
                 calls=[ToolCallRecord(name="edit_prompt_block", arguments={}, kind="meta")], **base)
    assert turn_line(moved) == "step 4 at Town (3, 4): [edit_prompt_block] press_buttons UP,A (-> Town (3, 3)) - go"
    stuck = moved.model_copy(update={"where": ["Town", 3, 4], "calls": [], "reasoning": "", "action": None})
    assert turn_line(stuck) == "step 4 at Town (3, 4): (no valid action) (did not move)"
    assert format_action({"name": "type", "arguments": {"ref": 2, "text": "Ada Lovelace"}}) == 'type 2 "Ada Lovelace"'


def test_earlier_summary_is_bounded_and_reads_only_the_log_before_the_window():
    from harness.context import MAX_SUMMARY_MILESTONES, earlier_summary
    from harness.log.events import Milestone

    before = Step(step=47, action=None, where_before=["Town", 1, 1], where=["Town", 1, 2], label="Town (1, 2)",
                  obs_ref="o", prompt_ref="p", harness_version=0, totals=Totals(steps=48, presses=120))
    ms = [Milestone(name=f"m{i}", step=i * 5, presses=i, tokens=0, cost_usd=0.0) for i in range(12)]
    text = earlier_summary(48, before, ms)
    assert text.startswith("Earlier (steps 0-47): 120 presses; milestones: 2 more, then m2 (step 10), ")
    assert text.count(" (step ") == MAX_SUMMARY_MILESTONES and "m11 (step 55)" not in text  # after the window start
    assert text.endswith("at step 47 you were at Town (1, 2).")
    assert earlier_summary(0, None, ms) == "" and "no milestone yet" in earlier_summary(48, before, [])


def test_a_notes_edit_leaves_the_cached_prefix_intact(tmp_path, quest_rom):
    """The continual preset's notes block sits in each step's message after the recent steps, so the agent
    rewriting it every step does not change the system prompt (the cached prefix)."""
    import json

    from harness.config import RunConfig
    from harness.log.events import HarnessVersion
    from harness.log.store import RunReader
    from harness.run import start_run
    from tests.conftest import edit_note, press, write_replies

    replies = write_replies(tmp_path / "r.jsonl", [{"mode": "by_tool"}, press("START"), edit_note("mom is here"),
                                                   press("DOWN"), edit_note("door south"), press("DOWN")])
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=4,
                                refine={"enabled": False}), tmp_path / "run")
    with agent:
        agent.run(4)
    r = RunReader(tmp_path / "run")
    acts = [e for _, e in r.events("model_call") if e.purpose == "act"]
    prompts = [json.loads(r.get_text(c.prompt_ref)) for c in acts]
    systems = {p[0]["content_ref"] for p in prompts}
    assert len(systems) == 1 and r.last(HarnessVersion).version == 2  # two edits, one system prompt
    last_user = r.get_text(prompts[-1][1]["content_ref"])
    assert "## Notes\nmom is here\ndoor south\n\nNow (step 3):" in last_user
    assert "Recent steps:\nstep 0" in last_user.split("## Notes")[0]
