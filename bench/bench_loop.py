"""Agent-loop and run-store benchmark, all ratios within one run.

1. Loop: steps/s of the full agent loop (scripted model, prompt building, PNG frame, one SQLite
   transaction per step) on the quest game, against bare `env.step` of the same presses.
2. Resume: seconds from `resume_run()` to the first new step, for savestate intervals 25 and 100.
3. Store at scale: append rate of step events in the first and last 1,000 of N, and the time to
   open the store and summarise it (what `harness inspect` does), to show nothing grows per step.

    .venv/bin/python bench/bench_loop.py [--steps 300] [--store-events 200000]

Writes bench/results/loop.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from harness.config import RunConfig  # noqa: E402
from harness.events import Step  # noqa: E402
from harness.runner import open_env, resume_run, start_run, summarize  # noqa: E402
from harness.store import RunStore  # noqa: E402
from tests.conftest import random_walk, write_replies  # noqa: E402


def bench_loop(tmp: Path, steps: int) -> dict:
    replies = write_replies(tmp / "walk.jsonl", random_walk(101, seed=3))
    cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=steps, savestate_every=25)
    agent = start_run(cfg, tmp / "loop")
    t0 = time.perf_counter()
    agent.run(steps)
    loop_s = time.perf_counter() - t0
    agent.env.close()
    presses = [e["buttons"] for e in agent.store.steps(0)]
    agent.store.close()

    env = open_env(cfg)
    env.reset(seed=0)
    t0 = time.perf_counter()
    for buttons in presses:
        env.step(buttons)
    bare_s = time.perf_counter() - t0
    env.close()
    return {"steps": steps, "loop_steps_per_s": steps / loop_s, "env_only_steps_per_s": steps / bare_s,
            "loop_vs_env_ratio": bare_s / loop_s}


def bench_resume(tmp: Path, steps: int) -> dict:
    out = {}
    replies = write_replies(tmp / "walk.jsonl", random_walk(101, seed=4))
    for every in (25, 100):
        cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=steps, savestate_every=every)
        run = tmp / f"resume{every}"
        agent = start_run(cfg, run)
        agent.run(steps - 1)  # stop mid-interval so resume has presses to replay
        agent.env.close()
        agent.store.close()
        t0 = time.perf_counter()
        agent = resume_run(run, {})
        agent.run(steps)
        out[f"resume_s_savestate_every_{every}"] = time.perf_counter() - t0
        agent.env.close()
        agent.store.close()
    return out


def bench_store(tmp: Path, n: int) -> dict:
    store = RunStore(tmp / "big", create=True)
    template = dict(obs_ref="0" * 32, frame_ref="1" * 32, prompt_ref="2" * 32,
                    response={"text": "x" * 200, "tool_calls": [{"name": "press_buttons", "arguments": {}}]},
                    buttons=["UP", "A"], reasoning="r" * 80, presses=2, tokens_in=600, tokens_out=40, cost_usd=0.0,
                    total_tokens_in=0, total_tokens_out=0, total_cost_usd=0.0, harness_version=0)
    timings = []
    t_block = time.perf_counter()
    for i in range(n):
        with store.commit() as tx:
            tx.event(Step(step=i, total_presses=2 * i, **template))
        if (i + 1) % 1000 == 0:
            timings.append(time.perf_counter() - t_block)
            t_block = time.perf_counter()
    store.close()
    from harness.events import RunStarted

    s = RunStore(tmp / "big")
    s.append(RunStarted(config=RunConfig().model_dump(), env_id="quest", harness_version=0, harness_hash="x"))
    s.close()
    t0 = time.perf_counter()
    summary = summarize(tmp / "big")
    open_s = time.perf_counter() - t0
    size = (tmp / "big" / "run.sqlite").stat().st_size + sum(
        p.stat().st_size for p in (tmp / "big").glob("run.sqlite-*"))
    return {"store_events": n, "first_1k_appends_s": timings[0], "last_1k_appends_s": timings[-1],
            "append_growth_ratio": timings[-1] / timings[0], "commits_per_s_last_1k": 1000 / timings[-1],
            "open_and_summarize_s": open_s, "store_mb": size / 1e6, "summary_steps": summary["steps"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--store-events", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        results = {**bench_loop(tmp, args.steps), **bench_resume(tmp, args.steps),
                   **bench_store(tmp, args.store_events)}
    for k, v in results.items():
        print(f"{k:34s} {v:.4g}" if isinstance(v, float) else f"{k:34s} {v}")
    out = ROOT / "bench" / "results" / "loop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
