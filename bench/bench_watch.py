"""Does attaching `harness watch` slow a run? A scripted-model quest run (fast: the loop, the emulator and the
log are the whole cost) goes on for --steps steps; every --segment steps the real TUI is attached (under tmux,
160x48, polling every 0.5 s) or detached, alternately, and the run's own step timestamps give the seconds per
step with and without a watcher. Ratio = with / without (1.0: no effect), medians over the segments.

--delay S makes each scripted reply take S seconds, like a model call (the env, the loop and the log still run
at full speed between replies).

    .venv/bin/python bench/bench_watch.py [--steps 3000] [--segment 250] [--delay 0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from bench._results import report  # noqa: E402
from harness.log.store import RunReader  # noqa: E402

SESSION = "bench-watch"


def steps_in(run: Path) -> int:
    try:
        with RunReader(run) as r:
            row = r.db.execute("SELECT MAX(step) FROM events WHERE kind='step'").fetchone()
            return (row[0] + 1) if row and row[0] is not None else 0
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def watch(run: Path, on: bool) -> None:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    if on:
        subprocess.run(["tmux", "new-session", "-d", "-x", "160", "-y", "48", "-s", SESSION,
                        f"{sys.executable} -m harness.cli watch {run}"], cwd=ROOT, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--segment", type=int, default=250)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds per scripted reply (a model's latency)")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        raise SystemExit("needs tmux (apt-get install tmux)")
    with tempfile.TemporaryDirectory() as d:
        replies = Path(d) / "r.jsonl"
        replies.write_text("".join(json.dumps({"tool": "press_buttons", "arguments": {"buttons": [b]},
                                               "delay_s": args.delay}) + "\n"
                                   for b in ["START", "A", "DOWN", "LEFT", "UP", "RIGHT", "B", "A"]))
        run = Path(d) / "run"
        proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--env", "quest", "--model",
                                 f"scripted:{replies}", "--steps", str(args.steps), "--run-dir", str(run), "--quiet"],
                                cwd=ROOT, stdout=subprocess.DEVNULL)
        bounds, on = [], False
        try:
            while proc.poll() is None:
                n = steps_in(run)
                if n >= (len(bounds) + 1) * args.segment:
                    bounds.append(n)
                    on = not on
                    watch(run, on)
                time.sleep(0.05)
        finally:
            watch(run, False)
        with RunReader(run) as r:
            ts = [t for (t,) in r.db.execute("SELECT ts FROM events WHERE kind='step' ORDER BY step")]
    edges = [0, *bounds, len(ts)]
    per = {True: [], False: []}
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        if b - a > 20:  # skip the first few steps of each segment (the TUI starting up)
            a += 10
            per[i % 2 == 1].append((ts[b - 1] - ts[a]) / (b - 1 - a))
    with_w, without = statistics.median(per[True]), statistics.median(per[False])
    name = "watch" if not args.delay else f"watch_delay{args.delay:g}"
    report(name, {"steps": len(ts), "delay_s": args.delay, "segments_with_watch": len(per[True]),
                     "segments_without": len(per[False]), "ms_per_step_without": round(without * 1e3, 2),
                     "ms_per_step_with_watch": round(with_w * 1e3, 2), "ratio_with_over_without": round(
                         with_w / without, 3)}, width=26)


if __name__ == "__main__":
    main()
