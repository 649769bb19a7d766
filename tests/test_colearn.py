"""Co-learning end to end on quest: the `local` student (SmolLM2 in llama.cpp), the expert:quest teacher and
PRM, two reset-free iterations with LoRA training and a swap, killed with SIGKILL mid-training and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from envs.gameboy.quest import oracle
from harness.colearn.loop import student_with
from harness.colearn.shards import read_shard
from harness.log.events import ColearnPhase, ModelSwap, RunStarted, Step
from harness.log.store import RunReader
from tests.conftest import REPO

K = 8
COMMAND = ["colearn", "--env", "quest", "--student", "local#seed=1", "--teacher", "expert:quest", "--iterations", "2",
           "--rollout-steps", str(K), "--train-steps", "2", "--batch-size", "2", "--max-length", "384", "--lr", "1e-3",
           "--threshold", "1.0"]


def start(run_dir) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", *COMMAND, "--run-dir", str(run_dir)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def last_logits(lora, text: str):
    """The student's next-token logits after `text` (llama.cpp, with the LoRA adapter or without)."""
    from llama_cpp import Llama

    from harness.models.local import smollm2_path

    llm = Llama(model_path=str(smollm2_path()), lora_path=str(lora) if lora else None, n_ctx=256, logits_all=True,
                verbose=False)
    tokens = llm.tokenize(text.encode(), special=True)
    llm.eval(tokens)
    out = llm.scores[len(tokens) - 1].copy()
    llm.close()
    return out


@pytest.mark.slow
def test_two_iterations_killed_mid_training_resume_and_change_the_student(tmp_path):
    run = tmp_path / "co"
    proc = start(run)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:  # kill -9 once iteration 2's training is under way
        seen.append(line)
        if "iteration 2: train" in line:
            time.sleep(4)
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    assert not (run / "colearn" / "iter-2" / "adapter").exists()  # no half adapter: training writes elsewhere

    out = subprocess.run([sys.executable, "-m", "harness.cli", *COMMAND, "--run-dir", str(run)], cwd=REPO,
                         capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "iteration 1: rollout" not in out.stdout and "iteration 2: relabel" not in out.stdout  # not redone
    assert "iteration 2: train" in out.stdout

    with RunReader(run) as reader:
        phases = [(e.iteration, e.phase) for _, e in reader.events("colearn_phase") if isinstance(e, ColearnPhase)]
        assert phases == [(k, p) for k in (1, 2) for p in ("rollout", "relabel", "train", "convert", "swap",
                                                           "iteration")]
        summaries = [e.data for _, e in reader.events("colearn_phase")
                     if isinstance(e, ColearnPhase) and e.phase == "iteration"]
        # one run, one reset: iteration 2 starts where iteration 1's emulator state ended
        assert reader.count("run_started") == 1 and isinstance(reader.last(RunStarted), RunStarted)
        steps = list(reader.steps(0, 2 * K))
        assert [s.step for s in steps] == list(range(2 * K))
        assert steps[K].where_before == steps[K - 1].where
        swaps = [e for _, e in reader.events("model_swap") if isinstance(e, ModelSwap)]
        assert [s.step for s in swaps] == [K, 2 * K] and swaps[0].new.endswith("iter-1/adapter.gguf")
        assert all(isinstance(s, Step) for s in steps)
    for s in summaries:
        assert s["shard_size"] > 0 and s["train_loss"] is not None and 0 <= s["mean_reward"] <= 1
        assert set(s["seconds"]) == {"rollout", "relabel", "train", "convert", "swap"}

    # the shard: chat-format lines whose assistant turn is the oracle's button for what the student saw
    rows = read_shard(run / "colearn" / "iter-1" / "shard.jsonl")
    assert len(rows) == summaries[0]["shard_size"]
    for row in rows:
        user = row["messages"][-2]["content"]
        reply = json.loads(row["messages"][-1]["content"])
        assert row["messages"][-1]["role"] == "assistant" and reply["tool"] == "press_buttons"
        obs = user[user.index("Location:"):] if "Location:" in user else ""
        view = oracle.view_from_text(obs, frozenset())
        if view is not None and view.mode != "WALK":
            assert reply["arguments"]["buttons"] == oracle.best_buttons(view)
    # the adapter changes what the student computes on a prompt it never trained on
    prompt = "<|im_start|>user\nYou stand in a cave facing a wall. Which button?<|im_end|>\n<|im_start|>assistant\n"
    base = last_logits(None, prompt)
    tuned = last_logits(run / "colearn" / "iter-2" / "adapter.gguf", prompt)
    assert abs(base).max() > 1 and abs(base - tuned).max() > 1e-2
    assert student_with("local#seed=1", run / "x.gguf") == f"local#seed=1,lora={run / 'x.gguf'}"


@pytest.mark.parametrize(("replay", "expected"), [(0, ["iter-4"]), (1, ["iter-3", "iter-4"]),
                                                   (-1, ["iter-1", "iter-3", "iter-4"])])
def test_replay_trains_on_earlier_shards_too(tmp_path, replay, expected):
    """`replay` N: iteration k trains on its own shard after those of the N iterations before it (-1: all);
    an iteration that relabeled nothing has no shard and is skipped."""
    from harness.colearn.loop import Colearn, ColearnConfig

    job = Colearn(ColearnConfig(replay=replay), tmp_path)
    for j in (1, 3, 4):  # iteration 2 relabeled nothing
        job.iter_dir(j).mkdir(parents=True)
        (job.iter_dir(j) / "shard.jsonl").write_text("{}\n")
    assert [p.parent.name for p in job.training_shards(4)] == expected
