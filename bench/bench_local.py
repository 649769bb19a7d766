"""The offline model in the real loop: `local` (SmolLM2-135M via llama.cpp) playing quest.

Reports the median and p95 step latency (wall time of a whole step: model call(s), env, commit),
the prompt cache ratio (prompt tokens llama.cpp reused from its KV cache / all prompt tokens), and
prompt / output tokens per call. Goals (Core v2 issue): median <= 1.5 s, cache ratio >= 0.7.

    .venv/bin/python bench/bench_local.py [--steps 100] [--harness minimal]

Writes bench/results/local.json.
"""

from __future__ import annotations

import argparse
import statistics
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
from harness.log.events import ModelCall  # noqa: E402
from harness.log.store import RunReader  # noqa: E402
from harness.run import start_run, summarize  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--harness", default="minimal")
    ap.add_argument("--env", default="quest")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        run = Path(d) / "local"
        agent = start_run(RunConfig(env=args.env, model="local", harness=args.harness, steps=args.steps), run)
        t0 = time.perf_counter()
        agent.run(args.steps)
        wall = time.perf_counter() - t0
        agent.close()
        s = summarize(run)
        with RunReader(run) as reader:
            calls = [e for _, e in reader.events("model_call") if isinstance(e, ModelCall)]
    results = {
        "env": args.env, "harness": args.harness, "steps": s["steps"], "wall_s": wall,
        "step_latency_median_s": s["step_latency_s"]["median"], "step_latency_p95_s": s["step_latency_s"]["p95"],
        "prompt_cache_ratio": s["prompt_cache_ratio"], "model_calls": s["model_calls"],
        "call_latency_median_s": statistics.median(c.latency_s for c in calls),
        "prompt_tokens_median": statistics.median(c.tokens_in for c in calls),
        "uncached_prompt_tokens_median": statistics.median(c.tokens_in - c.tokens_cached for c in calls),
        "output_tokens_median": statistics.median(c.tokens_out for c in calls),
        "format_failures": s["format_failures"], "milestones": [m["name"] for m in s["milestones"]],
        "button_presses": s["button_presses"],
    }
    report("local", results)


if __name__ == "__main__":
    main()
