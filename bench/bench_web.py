"""MiniWoB env overhead: MiniWoBEnv.step vs the miniwob package's own gymnasium step, on the same actions.

Both sides drive their own headless Chromium on the same task and episode seed and apply the same action:
a click on an element by ref (a checkbox of click-checkboxes), typing into a text field (enter-text) and a
key (Tab). Each figure is the wall time of one step, observation included (miniwob's: utterance, DOM, fields,
screenshot; ours: the page's status and DOM once its short timers ran out, the screenshot, the text view).
Rounds alternate between the sides and restart the episode every `--block` steps (miniwob's own episodes
time out after 10 s). Goal: env median <= 1.2 x miniwob's. Also: start-up, task open (ours: a fresh page
load; miniwob's reset reuses its page), a step without the frame, save and load (re-open + replay).

    .venv/bin/python bench/bench_web.py [--n 60] [--rounds 3]

Writes bench/results/web.json.
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
from envs.web.browser import EPISODE_TIME_MS, find_binaries  # noqa: E402
from envs.web.miniwob import MiniWoBEnv  # noqa: E402

SEED = 7


def median_ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 2)


def p95_ms(times: list[float]) -> float:
    ms = sorted(times)
    return round(ms[min(len(ms) - 1, int(0.95 * len(ms)))] * 1000, 2)


def raw_env(task: str) -> Any:
    """miniwob's gymnasium env for `task`, on the same Chromium (its env vars name the binaries)."""
    import gymnasium
    import miniwob

    chrome, driver = find_binaries()
    os.environ.setdefault("MINIWOB_CHROME_BINARY", chrome)
    os.environ.setdefault("MINIWOB_CHROMEDRIVER", driver)
    gymnasium.register_envs(miniwob)
    return gymnasium.make(f"miniwob/{task}-v1").unwrapped


def raw_reset(env: Any) -> dict[str, Any]:
    obs, _ = env.reset(seed=SEED)
    env.instance.driver.execute_script(  # the same stretched timer as ours (10 s would end blocks)
        "clearTimeout(core.EP_TIMER); core.EPISODE_MAX_TIME = arguments[0];"
        "core.EP_TIMER = setTimeout(function () { core.endEpisode(-1, false, 'timed out'); }, arguments[0]);",
        EPISODE_TIME_MS)
    return obs


def ref_of(dom_elements: Any, tag: str) -> int:
    return int(next(e["ref"] for e in dom_elements if e["tag"] == tag))


def raw_actions(env: Any, obs: dict[str, Any], kind: str) -> list[Any]:
    """The raw side's action for `kind`, on the page of `obs` (refs are the same on both sides)."""
    els = obs["dom_elements"]
    if kind == "click":
        return [env.create_action("CLICK_ELEMENT", ref=ref_of(els, "input_checkbox"))]
    if kind == "type":
        return [env.create_action("FOCUS_ELEMENT_AND_TYPE_TEXT", ref=ref_of(els, "input_text"), text="hello")]
    key = env.action_space_config.allowed_keys.index("<Tab>")
    return [env.create_action("PRESS_KEY", key=key)]


def our_action(obs_text: str, raw_obs: dict[str, Any], kind: str) -> dict[str, Any]:
    els = raw_obs["dom_elements"]
    if kind == "click":
        return {"name": "click", "arguments": {"ref": ref_of(els, "input_checkbox")}}
    if kind == "type":
        return {"name": "type", "arguments": {"ref": ref_of(els, "input_text"), "text": "hello"}}
    return {"name": "press_key", "arguments": {"key": "Tab"}}


TASK_OF = {"click": "click-checkboxes", "type": "enter-text", "key": "enter-text"}


def run_raw(raws: dict[str, Any], kind: str, n: int, block: int) -> list[float]:
    env, times = raws[TASK_OF[kind]], []
    while len(times) < n:
        obs = raw_reset(env)
        action = raw_actions(env, obs, kind)[0]
        for _ in range(min(block, n - len(times))):
            t0 = time.perf_counter()
            obs, _, done, _, _ = env.step(action)
            times.append(time.perf_counter() - t0)
            assert not done, "a bench action ended miniwob's episode"
    return times


def run_ours(ours: dict[str, MiniWoBEnv], raws: dict[str, Any], kind: str, n: int, block: int) -> list[float]:
    task = TASK_OF[kind]
    env, times = ours[task], []
    raw_obs = raw_reset(raws[task])  # the same seed: the same page, so the same refs
    while len(times) < n:
        obs, _ = env.reset(seed=SEED)
        action = our_action(obs["text"], raw_obs, kind)
        for _ in range(min(block, n - len(times))):
            t0 = time.perf_counter()
            obs, _, _, _, info = env.step(action)
            times.append(time.perf_counter() - t0)
            assert info["game"]["task"] == 0, "a bench action ended the task"
    return times


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="steps per action kind, side and round")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (all steps pooled)")
    ap.add_argument("--block", type=int, default=20, help="steps per episode")
    args = ap.parse_args(argv)
    results: dict[str, Any] = {"n": args.n, "rounds": args.rounds}

    t0 = time.perf_counter()
    raws = {task: raw_env(task) for task in sorted(set(TASK_OF.values()))}
    results["miniwob_make_s_per_task"] = round((time.perf_counter() - t0) / len(raws), 3)
    t0 = time.perf_counter()
    ours = {task: MiniWoBEnv(tasks=[task], seed=SEED, max_task_steps=10_000) for task in sorted(set(TASK_OF.values()))}
    results["env_make_s_per_task"] = round((time.perf_counter() - t0) / len(ours), 3)
    try:
        raw_t: dict[str, list[float]] = {k: [] for k in TASK_OF}
        our_t: dict[str, list[float]] = {k: [] for k in TASK_OF}
        for _ in range(args.rounds):
            for kind in TASK_OF:
                raw_t[kind] += run_raw(raws, kind, args.n, args.block)
                our_t[kind] += run_ours(ours, raws, kind, args.n, args.block)
        for kind in TASK_OF:
            raw_ms, our_ms = median_ms(raw_t[kind]), median_ms(our_t[kind])
            results[f"miniwob_{kind}_step_median_ms"] = raw_ms
            results[f"env_{kind}_step_median_ms"] = our_ms
            results[f"env_{kind}_step_p95_ms"] = p95_ms(our_t[kind])
            results[f"ratio_{kind}_env_vs_miniwob"] = round(our_ms / raw_ms, 3)
        all_raw = statistics.median(t for k in TASK_OF for t in raw_t[k])
        all_ours = statistics.median(t for k in TASK_OF for t in our_t[k])
        results["ratio_all_env_vs_miniwob"] = round(all_ours / all_raw, 3)
        results["meets_goal_1_2x"] = all(results[f"ratio_{k}_env_vs_miniwob"] <= 1.2 for k in TASK_OF)

        env = ours["click-checkboxes"]
        results["miniwob_reset_median_ms"] = median_ms(timed(lambda: raw_reset(raws["click-checkboxes"]), 10))
        results["env_reset_median_ms"] = median_ms(timed(lambda: env.reset(seed=SEED), 10))
        env.reset(seed=SEED)
        action = {"name": "click", "arguments": {"ref": 6}}
        for _ in range(5):
            env.step(action)
        blob = env.save_state()
        results["env_save_state_median_ms"] = median_ms(timed(env.save_state, 20))
        results["env_load_state_5_actions_median_ms"] = median_ms(timed(lambda: env.load_state(blob), 10))
        results["state_bytes"] = len(blob)
        text_only = MiniWoBEnv(tasks=["click-checkboxes"], seed=SEED, frames=False)
        try:
            text_only.reset(seed=SEED)
            results["env_click_step_text_only_median_ms"] = median_ms(timed(lambda: text_only.step(action), 40))
        finally:
            text_only.close()
        results["env_screenshot_median_ms"] = median_ms(timed(env.render, 40))
    finally:
        for e in ours.values():
            e.close()
        for r in raws.values():
            r.close()
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                          "cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    out = report("web", results, width=40)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
