"""Co-learning on quest vs the same steps with no updates (not CI): `local` student, expert:quest teacher + PRM.

For each seed: a `harness colearn` job (`--iterations` x `--rollout-steps` steps, an update after each
iteration) and a plain run of the same student for the same number of steps with no updates, both from one
env reset. Per iteration window: the milestone index at its end and the mean process reward of its
transitions (the same expert:quest PRM for both). Run directories go to bench/runs/colearn/ and are resumed
when the benchmark is started again (a co-learning job skips its finished phases).
Writes bench/results/colearn.json and bench/results/colearn.md; seeds recorded there earlier with the same
settings are kept, so `--seeds 1` after `--seeds 0` (even on a fresh machine) completes the same table.

    .venv/bin/python bench/colearn.py [--seeds 0,1] [--iterations 5] [--rollout-steps 256] [--lr 1e-3]
    .venv/bin/python bench/colearn.py --seeds 0 --parts colearn --replay -1   # with every earlier shard replayed
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import RESULTS  # noqa: E402

RUNS = ROOT / "bench" / "runs" / "colearn"


def windows_of(run_dir: Path, iterations: int, K: int) -> list[dict[str, Any]]:
    from harness.colearn.relabel import ExpertQuestPRM, PRMSettings, read_transitions
    from harness.log.events import Milestone
    from harness.log.store import RunReader

    prm, settings = ExpertQuestPRM(), PRMSettings()
    out = []
    with RunReader(run_dir) as reader:
        reached = [e for _, e in reader.events("milestone") if isinstance(e, Milestone)]
        for k in range(1, iterations + 1):
            ts = read_transitions(reader, (k - 1) * K, k * K)
            rewards = [settings.reward(s) for s in prm.score(ts)]
            out.append({"iteration": k, "milestone_index": sum(m.step < k * K for m in reached),
                        "mean_reward": round(sum(rewards) / max(1, len(rewards)), 4)})
    return out


def frozen(seed: int, steps: int, student: str) -> Path:
    from harness.config import RunConfig
    from harness.run import resume_run, start_run

    run_dir = RUNS / f"frozen-s{seed}"
    agent = resume_run(run_dir, {}) if (run_dir / "run.sqlite").exists() else start_run(
        RunConfig(env="quest", model=student, harness="minimal", seed=seed, steps=steps), run_dir)
    with agent:
        if agent.step_id < steps:
            print(f"  frozen seed {seed}: steps {agent.step_id}..{steps - 1}", flush=True)
            agent.cfg = agent.cfg.model_copy(update={"steps": steps})
            agent.run(steps)
    return run_dir


def main() -> None:
    global RUNS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--rollout-steps", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--train-steps", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=384)
    ap.add_argument("--runs", type=Path, default=RUNS, help="where the run directories go")
    ap.add_argument("--replay", type=int, default=0,
                    help="co-learning trains on this many earlier shards too (-1: all); nonzero writes "
                         "colearn-replay<N|all>.json and takes the no-update runs from colearn.json")
    ap.add_argument("--parts", default="colearn,frozen",
                    help="which parts to run per seed: the co-learning job, the no-update run, or both")
    args = ap.parse_args()
    RUNS = args.runs
    parts = set(args.parts.split(","))

    from harness.colearn.loop import Colearn, ColearnConfig
    from harness.colearn.relabel import ExpertQuestPRM

    K, n = args.rollout_steps, args.iterations
    settings = {k: str(v) for k, v in vars(args).items() if k not in ("seeds", "runs", "parts", "replay")}
    settings["prm_revision"] = str(ExpertQuestPRM.revision)  # seed 0 of bench/results/colearn-prm1.json: revision 1
    base, plain_seeds = RESULTS / "colearn.json", {}
    if args.replay:  # the no-update runs do not depend on replay: take them from the plain benchmark
        plain = json.loads(base.read_text()) if base.exists() else {}
        plain_seeds = plain.get("seeds", {}) if plain.get("settings") == settings else {}
        settings["replay"] = str(args.replay)
    tag = f"-replay{'all' if args.replay < 0 else args.replay}" if args.replay else ""
    out = RESULTS / f"colearn{tag}.json"
    # Seeds are independent: a seed finished earlier (another session, same settings) is kept, so the
    # comparison can be built a seed at a time on a machine that is not kept between sessions.
    earlier = json.loads(out.read_text()) if out.exists() else {}
    results: dict[str, Any] = {"settings": settings,
                               "seeds": earlier.get("seeds", {}) if earlier.get("settings") == settings else {}}
    for seed in [int(s) for s in args.seeds.split(",")]:
        res = results["seeds"].setdefault(str(seed), {})
        if args.replay and "frozen" not in res and "frozen" in plain_seeds.get(str(seed), {}):
            res["frozen"], res["frozen_from"] = plain_seeds[str(seed)]["frozen"], base.name
            save(out, results)
        student = f"local#seed={seed}"
        if "colearn" in parts and "colearn" not in res:
            cfg = ColearnConfig(env="quest", student=student, iterations=n, rollout_steps=K, seed=seed,
                                train={"lr": args.lr, "max_steps": args.train_steps, "batch_size": args.batch_size,
                                       "max_length": args.max_length, "epochs": 100}, replay=args.replay)
            t0 = time.monotonic()
            res["colearn"] = Colearn(cfg, RUNS / f"colearn-s{seed}-prm{settings['prm_revision']}{tag}",
                                     log=lambda m, s=seed: print(f"  [s{s}] {m}", flush=True)).run()
            res["colearn_wall_s"] = round(time.monotonic() - t0, 1)
            save(out, results)
        if "frozen" in parts and "frozen" not in res:
            t0 = time.monotonic()
            res["frozen"] = windows_of(frozen(seed, n * K, student), n, K)
            res["frozen_wall_s"] = round(time.monotonic() - t0, 1)
            save(out, results)
    print(table(results["seeds"]), flush=True)


def save(out: Path, results: dict[str, Any]) -> None:
    """Written after each finished part (a co-learning job or a no-update run), so a cut benchmark keeps it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    out.with_suffix(".md").write_text(table(results["seeds"]))


def table(seeds: dict[str, Any]) -> str:
    lines = ["| seed | iteration | milestone index (colearn / frozen) | mean reward (colearn / frozen) | shard | "
             "train loss | phases (s) |", "|---|---|---|---|---|---|---|"]
    none = {"milestone_index": "–", "mean_reward": None, "shard_size": "–", "train_loss": None, "seconds": {}}
    for seed, res in sorted(seeds.items()):
        co, fr = res.get("colearn", []), res.get("frozen", [])
        for i in range(max(len(co), len(fr))):
            r = co[i] if i < len(co) else none
            b = fr[i] if i < len(fr) else none
            phases = " ".join(f"{k} {v:.0f}" for k, v in r["seconds"].items()) or "–"
            loss = f"{r['train_loss']:.3f}" if r["train_loss"] is not None else "–"
            rew = " / ".join(f"{x['mean_reward']:.3f}" if x["mean_reward"] is not None else "–" for x in (r, b))
            lines.append(f"| {seed} | {i + 1} | {r['milestone_index']} / {b['milestone_index']} | {rew} | "
                         f"{r['shard_size']} | {loss} | {phases} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
