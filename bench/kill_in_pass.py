"""A long `continual` run with the real `local` model, SIGKILLed inside a refiner pass and resumed.

Starts `harness run --harness continual`, waits until a refiner pass opens its span after step
--kill-after, kills the whole process group with SIGKILL while the pass's model call is running, checks
that the log holds no half-applied version (the pass has a span_start and nothing else), resumes to
--steps and checks that the cut pass was redone from scratch and the step ids have no gap.
Writes bench/results/kill_in_pass.json; the run directory is kept for `harness versions` / `diff`.

    .venv/bin/python bench/kill_in_pass.py [--steps 500] [--kill-after 100] [--run-dir DIR] [-- extra run args]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from bench._results import report  # noqa: E402
from harness.log.events import HarnessVersion, RefinePass, SpanEnd, SpanStart  # noqa: E402
from harness.log.store import RunReader  # noqa: E402


def open_pass(run: Path, after: int) -> SpanStart | None:
    """A refine span opened at or after step `after` that has not ended yet."""
    try:
        with RunReader(run) as r:
            ended = {e.span for _, e in r.events("span_end") if isinstance(e, SpanEnd)}
            for _, e in r.events("span_start"):
                if isinstance(e, SpanStart) and e.span_kind == "refine" and e.step is not None \
                        and e.step >= after and e.span not in ended:
                    return e
    except Exception:
        return None
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--kill-after", type=int, default=100)
    ap.add_argument("--run-dir", type=Path, default=ROOT / "bench" / "runs" / "kill-in-pass")
    ap.add_argument("--model", default="local")
    ap.add_argument("extra", nargs="*", help="more `harness run` options")
    args = ap.parse_args()
    if args.run_dir.exists():
        raise SystemExit(f"{args.run_dir} exists; pass another --run-dir")
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "harness.cli", "run", "--env", "quest", "--harness", "continual", "--model",
           args.model, "--steps", str(args.steps), "--run-dir", str(args.run_dir), "--quiet", *args.extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    span = None
    while proc.poll() is None:
        span = open_pass(args.run_dir, args.kill_after)
        if span is not None:
            time.sleep(0.3)  # inside the pass's model call
            break
        time.sleep(0.2)
    if span is None:
        raise SystemExit("the run ended before a refiner pass opened after the kill point")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.monotonic() - t0
    with RunReader(args.run_dir) as r:
        span_seq = next(seq for seq, e in r.events("span_start") if isinstance(e, SpanStart) and e.span == span.span)
        after_kill = {
            "cut_span": span.span, "steps_at_kill": len(r.step_ids()),
            "passes_recorded_for_cut_span": sum(p.span == span.span for _, p in r.events("refine_pass")),
            "versions_written_after_the_cut_span_opened": sum(seq > span_seq for seq, _ in r.events("harness_version")),
        }
    print(f"killed inside {span.span} after {killed_at:.0f} s: {after_kill}", flush=True)
    subprocess.run([sys.executable, "-m", "harness.cli", "resume", str(args.run_dir), "--steps", str(args.steps),
                    "--quiet"], cwd=ROOT, check=True)
    with RunReader(args.run_dir) as r:
        passes = [p for _, p in r.events("refine_pass") if isinstance(p, RefinePass)]
        redo = [p for p in passes if p.at_step == span.step]
        ends = {e.span: e.status for _, e in r.events("span_end") if isinstance(e, SpanEnd)}
        versions = [v for _, v in r.events("harness_version") if isinstance(v, HarnessVersion)]
        results = {
            "model": args.model, "steps": len(r.step_ids()), "step_ids_ok": r.step_ids() == list(range(args.steps)),
            **after_kill, "cut_span_closed_as": ends.get(span.span), "kill_at_step": span.step,
            "passes_at_cut_boundary_after_resume": [(p.name, p.status) for p in redo],
            "passes": len(passes), "failed_passes": sum(p.status == "failed" for p in passes),
            "applied_edits": sum(p.applied for p in passes), "refused_edits": r.count("edit_refused"),
            "versions": len(versions), "refiner_versions": sum(v.trigger == "refiner" for v in versions),
            "agent_versions": sum(v.trigger == "agent" for v in versions), "rollbacks": r.count("rollback"),
            "milestones": [e.name for _, e in r.events("milestone")], "summaries": r.count("summary"),
            "wall_s": round(time.monotonic() - t0, 1), "run_dir": str(args.run_dir),
        }
    report("kill_in_pass", results, width=40)
    ok = results["step_ids_ok"] and after_kill["passes_recorded_for_cut_span"] == 0 \
        and after_kill["versions_written_after_the_cut_span_opened"] == 0 and results["cut_span_closed_as"] == "cut" \
        and any(p.status != "failed" or p.error for p in redo)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
