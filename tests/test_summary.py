"""The rolling summary: written by the model every `summary_every` steps (a deterministic fallback when
the reply is unusable), persisted as a Summary event, read back on resume instead of asked again, and
the prompt stays flat over a long run."""

from __future__ import annotations

import json

from harness.config import RunConfig
from harness.log.events import ModelCall, Summary
from harness.log.store import RunReader
from harness.run import resume_run, start_run
from tests.conftest import press, random_walk, write_replies


def _user_prompt(r: RunReader, call: ModelCall) -> str:
    parts = json.loads(r.get_text(call.prompt_ref))
    return r.get_text(parts[-1]["content_ref"])


def _run(cfg: RunConfig, run, steps: int, resume: bool = False) -> None:
    agent = resume_run(run, {"steps": steps}) if resume else start_run(cfg, run)
    try:
        agent.run(steps)
    finally:
        agent.close()


def test_the_model_writes_the_summary_and_resume_reads_it_back(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        *random_walk(40, seed=3), {"text": "Left the bedroom; Mom is by the door; the town is south."},
        {"text": "ok"},  # too short to be a summary: the fallback is used for the second one
    ])
    cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=40, summary_every=12)
    run = tmp_path / "run"
    _run(cfg, run, 31)  # the window reaches step 12 at step 18 and step 24 at step 30
    r = RunReader(run)
    sums = [e for _, e in r.events("summary") if isinstance(e, Summary)]
    assert [(s.upto, s.source, s.step) for s in sums] == [(12, "model", 18), (24, "fallback", 30)]
    assert sums[0].text == "Left the bedroom; Mom is by the door; the town is south."
    assert "reply too short" in sums[1].error and sums[1].text.startswith(sums[0].text)
    assert "Steps 12-23: at " in sums[1].text
    calls = [e for _, e in r.events("model_call") if isinstance(e, ModelCall)]
    summary_call = next(c for c in calls if c.purpose == "summary")
    asked = _user_prompt(r, summary_call)
    assert asked.startswith("Steps 0-11:\nstep 0 at") and "in at most 3 sentences" in asked
    step30 = next(c for c in calls if c.purpose == "act" and c.step == 30)
    assert f"Summary: {sums[1].text}" in _user_prompt(r, step30)
    # resume mid-period: the summary in use is read back, not asked for again
    _run(cfg, run, 40, resume=True)
    r = RunReader(run)
    assert r.count("summary") == 2 and sum(c.purpose == "summary" for _, c in r.events("model_call")) == 2
    step36 = next(e for _, e in r.events("model_call") if e.purpose == "act" and e.step == 36)
    assert f"Summary: {sums[1].text}" in _user_prompt(r, step36)


def test_tokens_per_step_stay_flat_over_a_long_run(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [*random_walk(50, seed=1), press("A"),
                                                   {"text": "A summary of the run so far, " + "x" * 500}])
    cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=300, summary_every=24, store_frames=False)
    _run(cfg, tmp_path / "run", 300)
    r = RunReader(tmp_path / "run")
    tokens = {e.step: e.tokens_in for _, e in r.events("model_call") if e.purpose == "act"}
    early = max(tokens[s] for s in range(48, 100))
    late = max(tokens[s] for s in range(200, 300))
    assert late <= early * 1.1, (early, late)
    assert r.count("summary") == 300 // 24 - 1 + (300 % 24 >= 6)
