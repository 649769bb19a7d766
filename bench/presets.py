"""Harness presets compared on quest with the real `local` actor (SmolLM2-135M), several seeds each:
milestones reached and the median button presses to each, for

- minimal          H_min: observation + buttons, no meta-tools, no refiner
- expert           hand-engineered: curated objectives, navigate_to (A*), a battle sub-agent
- continual        minimal + meta-tools + vector memory + the refiner, all on the local model
- continual-good   continual whose refiner is scripted to make edits known to be good: at the first pass
                   (step 25) it writes the expert preset's objectives and tips into its own prompt block
                   (`guidance`, which the actor reads but cannot edit), turns navigate_to on and defines
                   the battle sub-agent. It shows whether the pipeline (passes, validation, versions,
                   gate) delivers a good edit's benefit to a weak actor.

Each run is a normal run directory under bench/runs/presets/ (inspect, versions, diff work on them); a run
that already finished is reused, so the benchmark can be stopped and started again. Each finished run's
summary goes to bench/results/presets.json as it ends (runs recorded there are not run again, so the table
can be completed seed by seed on machines that do not keep run directories); bench/results/presets.md is the
README's table.

    .venv/bin/python bench/presets.py [--steps 300] [--seeds 0,1,2] [--variants minimal,expert,...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from bench._results import RESULTS  # noqa: E402
from envs.gameboy.adapters.quest import QuestAdapter  # noqa: E402
from harness.config import RunConfig  # noqa: E402
from harness.run import resume_run, start_run, summarize  # noqa: E402
from harness.state import preset  # noqa: E402

RUNS = ROOT / "bench" / "runs" / "presets"
VARIANTS = ("minimal", "expert", "continual", "continual-good")


def good_refiner(path: Path) -> Path:
    """The scripted refiner's replies: the expert knowledge as a prompt pass and a sub-agent pass, then
    no further edits (by_tool mode: one cursor per pass tool; cycling re-proposes the same content, which
    changes nothing)."""
    expert = preset("expert", "quest")
    battle = expert.subagents["battle"]
    lines = [
        {"mode": "by_tool"},
        {"tool": "propose_prompt_edits", "arguments": {
            "analysis": "the agent does not know the objectives or how to walk to a place",
            # into the refiner's own block: in the first runs (tips in `notes`) the actor rewrote notes every step
            "edits": [{"label": "guidance", "why": "the objectives, and how to use navigate_to",
                       "text": f"{expert.block('objectives').value}\n\n{expert.block('strategy').value}"}],
            "tools_on": ["navigate_to"]}},
        {"tool": "propose_subagent_edits", "arguments": {
            "analysis": "battles need many A presses",
            "edits": [{"op": "define", "name": "battle", "instructions": battle.instructions, "tools": battle.tools,
                       "max_turns": battle.max_turns, "returns": battle.returns, "why": "a battle helper"}]}},
        {"tool": "propose_memory_edits", "arguments": {"analysis": "nothing to change", "edits": []}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def config(variant: str, seed: int, steps: int) -> RunConfig:
    """At most one meta-tool call per step for every variant (as `make demo`): SmolLM2 spends more on
    invented edits than they return, and a step with two would cost three model calls."""
    model = f"local#seed={seed}"
    if variant == "continual-good":
        return RunConfig(env="quest", model=model, harness="continual", steps=steps, seed=seed, max_meta_calls=1,
                         refiner_model=f"scripted:{good_refiner(RUNS / f'good-refiner-{seed}.jsonl')}",
                         # at the first scheduled pass (step 25), as the comparison asks: no early triggers;
                         # the objectives and tips are 2100 characters, over the default growth cap
                         refine={"growth_cap": 2200, "triggers": False})
    return RunConfig(env="quest", model=model, harness=variant, steps=steps, seed=seed, max_meta_calls=1)


def run_one(variant: str, seed: int, steps: int) -> dict[str, Any]:
    run_dir = RUNS / f"{variant}-s{seed}"
    t0 = time.monotonic()
    if run_dir.exists():
        agent = resume_run(run_dir, {"steps": steps})
    else:
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        agent = start_run(config(variant, seed, steps), run_dir)
    with agent:
        if agent.step_id < steps:
            print(f"  {variant} seed {seed}: steps {agent.step_id}..{steps - 1}", flush=True)
            agent.run(steps)
    s = summarize(run_dir)
    s["wall_s"] = round(time.monotonic() - t0, 1)
    s["progress"] = progress(run_dir)
    return s


def progress(run_dir: Path) -> dict[str, Any]:
    """Graded progress for runs that reach no milestone: places (distinct tiles) visited, and the oracle's
    presses to the next milestone (envs/gameboy/quest/oracle.py: a shortest way from the game's source) at the
    start and at the closest point of the run."""
    from envs.gameboy.quest import oracle
    from harness.colearn.relabel import read_transitions
    from harness.log.store import RunReader

    with RunReader(run_dir) as reader:
        ts = read_transitions(reader, 0, 10**9)
        places = {w for (w,) in reader.db.execute("SELECT json_extract(data, '$.where') FROM events WHERE kind='step'")}
    dist = []
    for t in ts:
        view = oracle.view_from_text(t.obs_text, frozenset(t.milestones_before))
        if view is not None and view.mode != "TITLE":
            dist.append(oracle.distance(view))
    return {"places": len(places), "start_distance": dist[0] if dist else None,
            "closest_distance": min(dist) if dist else None}


def finished(run_dir: Path, steps: int) -> bool:
    from harness.log.store import RunReader

    if not (run_dir / "run.sqlite").exists():
        return False
    with RunReader(run_dir) as reader:
        return reader.db.execute("SELECT COUNT(*) FROM events WHERE kind='step'").fetchone()[0] >= steps


def table(results: dict[str, list[dict[str, Any]]], steps: int) -> str:
    names = list(QuestAdapter.milestones)
    head = ["preset", "runs", "milestones reached (per run)", "median", *names[:5], "places visited (per run)",
            "presses to the next milestone: start → closest (per run)", "tokens/step", "s/step",
            "refinements (applied / rolled back)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for variant, runs in results.items():
        counts = [len(r["milestones"]) for r in runs]
        cells = [variant, str(len(runs)), ", ".join(map(str, counts)), f"{statistics.median(counts):g}"]
        for name in names[:5]:
            presses = [m["button_presses"] for r in runs for m in r["milestones"] if m["name"] == name]
            cells.append(f"{statistics.median(presses):g} ({len(presses)}/{len(runs)})" if presses else "-")
        prog = [r.get("progress") or progress(Path(r["run_dir"])) for r in runs]
        cells.append(", ".join(str(p["places"]) for p in prog))
        cells.append(", ".join(f"{p['start_distance']} → {p['closest_distance']}" for p in prog))
        cells.append(f"{statistics.median(r['tokens_in'] / max(1, r['steps']) for r in runs):.0f}")
        cells.append(f"{statistics.median(r['step_latency_s']['median'] or 0 for r in runs):.2f}")
        ref = [r["refinements"] for r in runs]
        cells.append(f"{sum(x['applied'] for x in ref)} / {sum(x['rolled_back'] for x in ref)}")
        rows.append("| " + " | ".join(cells) + " |")
    note = (f"\n{steps} steps per run, quest, `local` actor (SmolLM2-135M, seeds = sampling seeds). Cells under a "
            "milestone: median button presses to reach it over the runs that did (k/n reached). Presses to the next "
            "milestone: the quest oracle's shortest way from the game's source, at the first step on the map and at "
            "the closest point of the run.\n")
    return "\n".join(rows) + note


def main() -> None:
    global RUNS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--runs", type=Path, default=RUNS, help="where the run directories go")
    ap.add_argument("--table-only", action="store_true",
                    help="run nothing: the table of the runs already finished (e.g. while the benchmark runs)")
    args = ap.parse_args()
    RUNS = args.runs
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant {unknown[0]!r}; known: {', '.join(VARIANTS)}")
    # Every finished run's summary is kept in presets.json (keyed by preset and seed) as soon as it ends, and
    # runs recorded there are not run again: the table survives the run directories (a fresh machine has none).
    out = RESULTS / "presets.json"
    earlier = json.loads(out.read_text()) if out.exists() else {}
    recorded: dict[str, dict[str, Any]] = earlier.get("runs", {}) if earlier.get("steps") == args.steps else {}
    for seed in seeds:  # seed by seed, so a partial benchmark still compares every variant
        for variant in variants:
            if str(seed) in recorded.get(variant, {}):
                continue
            run_dir = RUNS / f"{variant}-s{seed}"
            if args.table_only:
                if finished(run_dir, args.steps):
                    recorded.setdefault(variant, {})[str(seed)] = {**summarize(run_dir), "progress": progress(run_dir)}
                continue
            r = run_one(variant, seed, args.steps)
            recorded.setdefault(variant, {})[str(seed)] = r
            print(f"{variant} seed {seed}: {len(r['milestones'])} milestones, {r['button_presses']} presses, "
                  f"{r['wall_s']} s", flush=True)
            save(out, recorded, args.steps)
    print(save(out, recorded, args.steps))
    print(f"wrote {out} and {RESULTS / 'presets.md'}")


def save(out: Path, recorded: dict[str, dict[str, Any]], steps: int) -> str:
    keep = ("run_dir", "steps", "button_presses", "milestones", "tokens_in", "step_latency_s", "refinements",
            "model_calls", "format_failures", "wall_s", "progress")
    recorded = {v: {seed: {k: r.get(k) for k in keep} for seed, r in sorted(runs.items())}
                for v, runs in recorded.items()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"steps": steps, "runs": recorded}, indent=2))
    md = table({v: list(recorded[v].values()) for v in VARIANTS if recorded.get(v)}, steps)
    (RESULTS / "presets.md").write_text(md)
    return md


if __name__ == "__main__":
    main()
