"""Task-stream envs (miniwob, desktop) report each finished task as a `task:...` milestone; `harness inspect`
turns those into success rates per task type. Env-independent parts, on a form run with planted outcomes."""

from __future__ import annotations

import pytest

from envs.base import parse_task_milestone, task_milestone
from harness.log.events import Milestone
from harness.log.store import RunStore
from harness.run import task_stats
from tests.conftest import harness_cli, inspect_json, write_replies


def test_task_milestone_round_trip():
    name = task_milestone(7, "click-button", True, 0.834)
    assert name == "task:0007:click-button:success:0.83"
    assert parse_task_milestone(name) == (7, "click-button", True, 0.83)
    assert parse_task_milestone(task_milestone(12, "enter-text", False, -1.0)) == (12, "enter-text", False, -1.0)
    for other in ("solved_5", "task:x:click:success:1", "task:1:a:maybe:1", "task:1:a:success:nan?", "task:1:a"):
        assert parse_task_milestone(other) is None
    with pytest.raises(ValueError):
        task_milestone(1, "a:b", True, 1.0)


def test_task_stats_per_type_and_all():
    names = [task_milestone(0, "a", True, 1.0), task_milestone(1, "b", False, -1.0), task_milestone(2, "a", False, 0.0),
             "solved_1", task_milestone(3, "a", True, 0.5)]
    stats = task_stats([{"name": n} for n in names])
    assert list(stats) == ["a", "b", "all"]
    assert stats["a"] == {"tasks": 3, "successes": 2, "success_rate": 0.6667, "mean_reward": 0.5}
    assert stats["b"] == {"tasks": 1, "successes": 0, "success_rate": 0.0, "mean_reward": -1.0}
    assert stats["all"]["tasks"] == 4 and stats["all"]["successes"] == 2
    assert task_stats([{"name": "solved_1"}]) == {}


def test_inspect_shows_success_rate_per_task_type(tmp_path):
    replies = write_replies(tmp_path / "r.jsonl", [{"tool": "click", "arguments": {"ref": 1, "reasoning": "x"}}])
    run = tmp_path / "run"
    harness_cli("run", "--env", "form", "--model", f"scripted:{replies}", "--steps", "2", "--run-dir", str(run),
                "--quiet")
    outcomes = [("click-button", True, 1.0), ("enter-text", False, -1.0), ("click-button", False, 0.0)]
    with RunStore(run) as store:
        store.append(*[Milestone(name=task_milestone(i, kind, ok, r), step=1, presses=2, tokens=0, cost_usd=0.0)
                       for i, (kind, ok, r) in enumerate(outcomes)])
    s = inspect_json(run)
    assert s["tasks"]["click-button"] == {"tasks": 2, "successes": 1, "success_rate": 0.5, "mean_reward": 0.5}
    assert s["tasks"]["all"]["tasks"] == 3
    out = harness_cli("inspect", str(run)).stdout
    assert "tasks in the stream" in out and "click-button" in out and "50%" in out
    assert "task:0000" not in out  # per-task outcomes are summarised, not listed one by one
