"""A real `local` run (SmolLM2-135M) with memory on, on quest: are memory entries retrieved into the prompts,
and does deleting the chromadb folder and resuming rebuild it with identical top-k results?

1. runs (or continues) `--harness continual` (memory on, top_k 4; the refiner's memory pass on) for --steps
   steps, one meta call a step (as `make demo`), in bench/runs/memory-local/;
2. counts the memory ops by kind and source, the steps whose prompt showed entries (MemoryRead events) and
   checks the shown text is in those prompts;
3. takes the situations of the last 30 steps as queries, records the run index's top-k for each, deletes
   RUN_DIR/memory, resumes the run (the index is rebuilt from the log when memory opens), compares the
   top-k of the same queries (identical or not, printed) and runs --more steps on the rebuilt index.

With --bootstrap the run starts from a short scripted run (bench/runs/memory-seed) whose agent wrote 8 true
facts about quest into memory (the expert preset's objectives, as memories): `--bootstrap-from` carries them
over, so the local model's prompts have something relevant to retrieve from the first step (SmolLM2 itself
rarely calls memory_write, and its refiner's memory pass writes little).

    .venv/bin/python bench/memory_local.py [--steps 300] [--more 2] [--bootstrap]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from bench._results import RESULTS  # noqa: E402
from harness.config import RunConfig  # noqa: E402
from harness.log.store import RunReader  # noqa: E402
from harness.memories import INDEX_DIR, situation  # noqa: E402
from harness.run import resume_run, start_run  # noqa: E402

RUN = ROOT / "bench" / "runs" / "memory-local"
SEED = ROOT / "bench" / "runs" / "memory-seed"
FACTS = [
    ("On the title screen press START to begin.", ["title"], 3),
    ("HOME bedroom: Mom stands at (10, 9) in front of the door at (10, 10). Stand next to her and press A four "
     "times to talk.", ["mom", "home"], 5),
    ("HOME: Mom blocks the door until you have talked to her; then walk DOWN through the door at (10, 10) to "
     "QUEST TOWN.", ["door", "home"], 5),
    ("QUEST TOWN: the Elder stands to the east; walk RIGHT about 10 tiles and press A five times to hear him.",
     ["elder", "town"], 4),
    ("QUEST TOWN: after you met the Elder the guard steps aside; the north exit at (9, 0) leads to ROUTE 1.",
     ["exit", "town"], 4),
    ("ROUTE 1: the key lies in the tall grass to the north-west; face it and press A to pick it up.",
     ["key", "route"], 4),
    ("ROUTE 1: the gate opens only with the key: face the gate and press A.", ["gate", "route"], 4),
    ("If your position does not change after a move, you walked into a wall: try another direction.",
     ["walls"], 3),
]


def seed_run() -> Path:
    """A 1-step scripted run whose agent writes FACTS (once)."""
    if SEED.exists():
        return SEED
    lines = [{"mode": "by_tool"}, *({"tool": "memory_write", "arguments": {"text": t, "tags": g, "importance": i}}
                                   for t, g, i in FACTS), {"tool": "press_buttons", "arguments": {"buttons": ["B"]}}]
    replies = SEED.parent / "memory-seed.jsonl"
    SEED.parent.mkdir(parents=True, exist_ok=True)
    replies.write_text("".join(json.dumps(line) + "\n" for line in lines))
    agent = start_run(RunConfig(env="quest", model=f"scripted:{replies}", harness="continual", steps=1,
                                max_meta_calls=len(FACTS), refine={"enabled": False}), SEED)
    with agent:
        agent.run(1)
    return SEED


def run_to(run: Path, steps: int, seed: int, bootstrap: Path | None = None) -> float:
    t0 = time.monotonic()
    if run.exists():
        agent = resume_run(run, {"steps": steps})
    else:
        run.parent.mkdir(parents=True, exist_ok=True)
        agent = start_run(RunConfig(env="quest", model=f"local#seed={seed}", harness="continual", steps=steps,
                                    seed=seed, max_meta_calls=1,
                                    bootstrap_from=str(bootstrap) if bootstrap else None), run)
    with agent:
        if agent.step_id < steps:
            print(f"steps {agent.step_id}..{steps - 1}", flush=True)
            agent.run(steps)
    return time.monotonic() - t0


def top_k(run: Path, queries: list[tuple[str, str]]) -> tuple[list[list[str]], bool]:
    """The run's own index (RUN_DIR/memory, rebuilt if missing) answering each (query, location)."""
    agent = resume_run(run, {})
    try:
        memory = agent.memory()
        assert memory is not None
        return [[h.entry.id for h in memory.search(q, location=loc)] for q, loc in queries], memory.rebuilt
    finally:
        agent.close()


def user_text(r: RunReader, prompt_ref: str) -> str:
    parts = json.loads(r.get_text(prompt_ref))
    return r.get_text(next(p["content_ref"] for p in parts if p["role"] == "user"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--more", type=int, default=2, help="steps run after the index folder is deleted")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--run", type=Path, default=None, help="default: bench/runs/memory-local[-boot]")
    ap.add_argument("--bootstrap", action="store_true", help="start from memory-seed's 8 facts")
    args = ap.parse_args()
    args.run = args.run or (RUN.with_name("memory-local-boot") if args.bootstrap else RUN)
    wall = run_to(args.run, args.steps, args.seed, seed_run() if args.bootstrap else None)

    r = RunReader(args.run)
    ops = Counter((e.op.op, e.op.entry.source) for _, e in r.events("memory"))
    shown = Counter(i for _, e in r.events("memory_read") for i in e.ids)
    reads = [e for _, e in r.events("memory_read") if e.purpose == "prompt"]
    done = len(r.step_ids())
    steps = list(r.steps(max(0, done - 30), done))
    queries = [(situation(e.label_before, prev.reasoning if prev else ""), e.label_before)
               for prev, e in zip([None, *steps[:-1]], steps, strict=True)]
    passes = Counter((e.name, e.status) for _, e in r.events("refine_pass"))
    first_call = {}
    for _, c in r.events("model_call"):
        if c.purpose == "act" and c.step not in first_call:
            first_call[c.step] = c.prompt_ref
    in_prompt = [all(f"[{i}]" in user_text(r, first_call[e.step]) for i in e.ids) for e in reads[-20:]]
    r.close()
    before, _ = top_k(args.run, queries)
    shutil.rmtree(args.run / INDEX_DIR)
    after, rebuilt = top_k(args.run, queries)  # a resume opens memory: the index is rebuilt from the log
    run_to(args.run, args.steps + args.more, args.seed)  # and the run goes on with it
    result = {
        "run": str(args.run), "steps": args.steps, "wall_s": round(wall, 1),
        "memory_ops": {f"{op} ({src})": n for (op, src), n in sorted(ops.items())},
        "steps_with_retrieved_entries": len({e.step for e in reads}),
        "entries_shown": sum(len(e.ids) for e in reads),
        "times_each_entry_was_shown": dict(sorted(shown.items(), key=lambda x: int(x[0][1:]))),
        "checked_in_prompt": f"{sum(in_prompt)}/{len(in_prompt)}",
        "memory_passes": {f"{s}": n for (name, s), n in passes.items() if name == "memory"},
        "queries": len(queries), "queries_with_hits": sum(1 for b in before if b),
        "rebuilt": rebuilt, "identical_top_k": before == after,
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.run.name}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
