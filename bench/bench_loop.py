"""Agent-loop and run-store benchmark, all ratios within one run.

1. Loop: steps/s of the full agent loop (scripted model, prompt building, PNG frame, the model-call
   and step transactions) on the quest game, against bare `env.step` of the same actions.
2. Long runs stay flat: RSS of the agent process and step time around step 1k and around step N
   (default 100k) of one scripted run on quest (the emulator child is a separate process).
3. Resume: seconds from `resume_run()` to the first new step, for savestate intervals 25 and 100.
4. Store at scale: append rate of step events in the first and last 1,000 of N, and the time to
   open the store and summarise it (what `harness inspect` does).

    .venv/bin/python bench/bench_loop.py [--steps 300] [--long-steps 100000] [--store-events 200000]

Writes bench/results/loop.json.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from bench._results import report  # noqa: E402
from harness.config import RunConfig  # noqa: E402
from harness.log.events import RunStarted, Step, Totals  # noqa: E402
from harness.log.store import RunStore  # noqa: E402
from harness.run import open_env, resume_run, start_run, summarize  # noqa: E402

MOVES = ["UP", "DOWN", "LEFT", "RIGHT", "A", "B"]


def walk_replies(path: Path, n: int, seed: int) -> Path:
    """A scripted model file: n random press_buttons calls (bench's own copy: bench never imports tests)."""
    rng = random.Random(seed)
    lines = [{"tool": "press_buttons", "arguments": {"buttons": rng.choices(MOVES, k=rng.randint(1, 3)),
                                                      "reasoning": "bench"}} for _ in range(n)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def rss_mb() -> float:
    """Current resident set size of this process (not the peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def bench_loop(tmp: Path, steps: int) -> dict:
    cfg = RunConfig(env="quest", model=f"scripted:{walk_replies(tmp / 'walk.jsonl', 101, 3)}", steps=steps)
    agent = start_run(cfg, tmp / "loop")
    t0 = time.perf_counter()
    agent.run(steps)
    loop_s = time.perf_counter() - t0
    agent.env.close()
    actions = [e.action for e in agent.store.steps(0)]
    agent.store.close()

    env = open_env(cfg)
    env.reset(seed=0)
    t0 = time.perf_counter()
    for action in actions:
        env.step(action)
    bare_s = time.perf_counter() - t0
    env.close()
    return {"steps": steps, "loop_steps_per_s": steps / loop_s, "env_only_steps_per_s": steps / bare_s,
            "loop_vs_env_ratio": bare_s / loop_s}


def bench_long(tmp: Path, long_steps: int, window: int = 500) -> dict:
    """RSS and step time near step 1k and near step `long_steps` of one run."""
    cfg = RunConfig(env="quest", model=f"scripted:{walk_replies(tmp / 'long.jsonl', 997, 5)}", steps=long_steps)
    agent = start_run(cfg, tmp / "long")
    out: dict = {"long_steps": long_steps}
    marks = {1000: "1k", long_steps: "end"}
    t_start = time.perf_counter()
    for mark, name in marks.items():
        agent.run(mark - window)
        t0 = time.perf_counter()
        agent.run(mark)
        out[f"step_ms_at_{name}"] = (time.perf_counter() - t0) / window * 1000
        out[f"rss_mb_at_{name}"] = rss_mb()
        print(f"  long run: step {mark}: {out[f'step_ms_at_{name}']:.2f} ms/step, RSS {out[f'rss_mb_at_{name}']:.1f} MB"
              f" ({time.perf_counter() - t_start:.0f} s so far)", flush=True)
    agent.close()
    out["rss_growth_mb"] = out["rss_mb_at_end"] - out["rss_mb_at_1k"]
    out["step_time_ratio_end_vs_1k"] = out["step_ms_at_end"] / out["step_ms_at_1k"]
    out["store_mb"] = sum(p.stat().st_size for p in (tmp / "long").glob("run.sqlite*")) / 1e6
    return out


def bench_resume(tmp: Path, steps: int) -> dict:
    out = {}
    replies = walk_replies(tmp / "resume.jsonl", 101, 4)
    for every in (25, 100):
        cfg = RunConfig(env="quest", model=f"scripted:{replies}", steps=steps, savestate_every=every)
        run = tmp / f"resume{every}"
        agent = start_run(cfg, run)
        agent.run(steps - 1)  # stop mid-interval so resume has actions to replay
        agent.close()
        t0 = time.perf_counter()
        agent = resume_run(run, {})
        agent.run(steps)
        out[f"resume_s_savestate_every_{every}"] = time.perf_counter() - t0
        agent.close()
    return out


def bench_store(tmp: Path, n: int) -> dict:
    store = RunStore(tmp / "big", create=True)
    template = dict(obs_ref="0" * 32, frame_ref="1" * 32, prompt_ref="2" * 32, reasoning="r" * 80,
                    action={"name": "press_buttons", "arguments": {"buttons": ["UP", "A"]}}, action_cost=2,
                    where_before=["Town", 3, 4], label_before="Town (3, 4)", where=["Town", 3, 3], label="Town (3, 3)",
                    tokens_in=600, tokens_out=40, cost_usd=0.0, harness_version=0, model_calls=1)
    timings = []
    t_block = time.perf_counter()
    for i in range(n):
        with store.commit() as tx:
            tx.event(Step(step=i, totals=Totals(steps=i + 1, presses=2 * (i + 1)), **template))
        if (i + 1) % 1000 == 0:
            timings.append(time.perf_counter() - t_block)
            t_block = time.perf_counter()
    store.append(RunStarted(config=RunConfig().model_dump(), env_id="quest", harness_version=0, harness_hash="x"))
    store.close()
    t0 = time.perf_counter()
    summary = summarize(tmp / "big")
    open_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in (tmp / "big").glob("run.sqlite*"))
    return {"store_events": n, "first_1k_appends_s": timings[0], "last_1k_appends_s": timings[-1],
            "append_growth_ratio": timings[-1] / timings[0], "commits_per_s_last_1k": 1000 / timings[-1],
            "open_and_summarize_s": open_s, "store_mb": size / 1e6, "summary_steps": summary["steps"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--long-steps", type=int, default=100_000)
    ap.add_argument("--store-events", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        results = {**bench_loop(tmp, args.steps), **bench_resume(tmp, args.steps),
                   **bench_store(tmp, args.store_events), **bench_long(tmp, args.long_steps)}
    report("loop", results)


if __name__ == "__main__":
    main()
