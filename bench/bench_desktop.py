"""Desktop env round trips: how long one action takes from step() to its observation (screenshot included).

Each figure is the wall time of `env.step(action)`: send the input (XTEST), wait until the program and the
X server rest and the screen is the same in two grabs, read the program's state, grab the screenshot and
build the text. Clicks alternate between two far-apart widgets, and xedit clicks wait out the multi-click
gap before the clock starts, so no figure includes the env's double-click guard (a model is slower than
that anyway). Also: Xvfb start, program start (reset), a bare screenshot, save/load (load restarts the
program and replays the task's actions).

    .venv/bin/python bench/bench_desktop.py [--n 40]

Writes bench/results/desktop.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import report  # noqa: E402
from envs.desktop.env import DesktopEnv  # noqa: E402


def stats(times_s: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ms = sorted(t * 1000 for t in times_s)
    return round(statistics.median(ms), 2), round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 2)


def timed(fn: Callable[[], Any], n: int, before: Callable[[], Any] | None = None) -> list[float]:
    out = []
    for _ in range(n):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def act(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="round trips per figure")
    args = ap.parse_args(argv)
    n = args.n
    results: dict[str, Any] = {"n": n}

    t0 = time.perf_counter()
    env = DesktopEnv(tasks=["tk-todo"], max_task_steps=10**6)
    results["xvfb_start_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    try:
        results["tk_reset_median_ms"], results["tk_reset_p95_ms"] = stats(timed(lambda: env.reset(seed=0), 5))
        flip = [6]

        def click() -> None:
            flip[0] = 13 - flip[0]  # checkboxes [6] and [7], ~190 px apart: no double click, no wait
            env.step(act("click", ref=flip[0]))

        for name, fn in [
            ("tk_click", click),
            ("tk_type", lambda: env.step(act("type", text="abc"))),
            ("tk_key", lambda: env.step(act("press_key", key="BackSpace"))),
            ("tk_observe", lambda: env.step(None)),
        ]:
            if name == "tk_type":
                env.step(act("click", ref=14))  # the New item entry
            results[f"{name}_median_ms"], results[f"{name}_p95_ms"] = stats(timed(fn, n))
        results["screenshot_grab_median_ms"], results["screenshot_grab_p95_ms"] = stats(
            timed(lambda: env._xd.to_rgb(env._xd.grab()), n))
        env.reset(seed=0)
        for a in [act("click", ref=14), act("type", text="milk"), act("press_key", key="BackSpace"),
                  act("click", ref=6), act("click", ref=7)]:
            env.step(a)
        blob = env.save_state()
        results["save_state_median_ms"], _ = stats(timed(env.save_state, n))
        results["tk_load_state_5_actions_median_ms"], results["tk_load_state_5_actions_p95_ms"] = stats(
            timed(lambda: env.load_state(blob), 5))
        results["state_bytes"] = len(blob)
    finally:
        env.close()

    text_only = DesktopEnv(tasks=["tk-todo"], frames=False, max_task_steps=10**6)
    try:
        text_only.reset(seed=0)
        results["tk_observe_text_only_median_ms"], results["tk_observe_text_only_p95_ms"] = stats(
            timed(lambda: text_only.step(None), n))
    finally:
        text_only.close()

    env = DesktopEnv(tasks=["xedit-line"], max_task_steps=10**6)
    try:
        results["xedit_reset_median_ms"], results["xedit_reset_p95_ms"] = stats(timed(lambda: env.reset(seed=0), 5))
        xs = [200, 400]

        def xclick() -> None:
            xs.reverse()
            env.step(act("click_xy", x=xs[0], y=300))

        results["xedit_click_median_ms"], results["xedit_click_p95_ms"] = stats(
            timed(xclick, n, before=lambda: time.sleep(0.65)))  # past the multi-click gap
        results["xedit_type_median_ms"], results["xedit_type_p95_ms"] = stats(
            timed(lambda: env.step(act("type", text="abc")), n))
        results["xedit_key_median_ms"], results["xedit_key_p95_ms"] = stats(
            timed(lambda: env.step(act("press_key", key="BackSpace")), n))
        results["xedit_observe_median_ms"], results["xedit_observe_p95_ms"] = stats(timed(lambda: env.step(None), n))
    finally:
        env.close()

    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                          "cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    report("desktop", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
