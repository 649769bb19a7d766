"""Creating a run, resuming one, and summarising one. The log is the truth: everything a resumed
run needs (config, harness version, counters, milestones, context window, emulator state) is
rebuilt from the run store."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from pathlib import Path
from typing import Any

from harness.agent import Agent, Totals
from harness.config import RunConfig
from harness.display import Display
from harness.events import HarnessVersion, Milestone, RunResumed, RunStarted, Savestate
from harness.milestones import MilestoneTracker
from harness.models import make_model
from harness.models.pricing import PriceTable
from harness.prompt import Turn
from harness.state import HarnessState, preset
from harness.store import RunStore, StoreError


def open_env(cfg: RunConfig) -> Any:
    from envs.registry import make_env

    return make_env(cfg.env, rom=cfg.rom, frames_per_step=cfg.frames_per_step)


def default_run_dir(cfg: RunConfig) -> Path:
    return Path("runs") / f"{cfg.env}-{time.strftime('%Y%m%d-%H%M%S')}"


def start_run(cfg: RunConfig, run_dir: Path, display: Display | None = None) -> Agent:
    model = make_model(cfg.model, PriceTable.load(cfg.prices))
    harness = preset(cfg.harness)
    env = open_env(cfg)
    try:
        obs, info = env.reset(seed=cfg.seed)  # the only reset this run will ever see
        store = RunStore(run_dir, create=True)
        rom_sha1 = hashlib.sha1(Path(cfg.rom).read_bytes()).hexdigest() if cfg.rom else None
        with store.commit() as tx:
            tx.event(RunStarted(config=cfg.model_dump(), env_id=cfg.env, rom_sha1=rom_sha1,
                                harness_version=0, harness_hash=harness.content_hash()))
            tx.event(HarnessVersion(version=0, hash=harness.content_hash(), doc_ref=tx.blob(harness.model_dump_json()),
                                    patch=[], reason=f"preset {cfg.harness}"))
            tx.event(Savestate(step=-1, ref=tx.blob(env.save_state())))
    except BaseException:
        env.close()
        raise
    return Agent(cfg=cfg, env=env, model=model, store=store, harness=harness, harness_version=0, step_id=0,
                 obs=obs, info=info, display=display)


def load_config(store: RunStore) -> RunConfig:
    started = store.last("run_started")
    if started is None:
        raise StoreError(f"{store.run_dir} has no run_started event")
    return RunConfig.model_validate(started["config"])


def load_harness(store: RunStore) -> tuple[HarnessState, int]:
    ev = store.last("harness_version")
    if ev is None:
        raise StoreError(f"{store.run_dir} has no harness version")
    return HarnessState.model_validate_json(store.get_blob(ev["doc_ref"])), ev["version"]


def resume_run(run_dir: Path, overrides: dict[str, Any], display: Display | None = None) -> Agent:
    """Continue from the last committed step: savestate + re-applied presses, harness, counters,
    milestones and the model's context window all rebuilt from the log."""
    t0 = time.monotonic()
    store = RunStore(run_dir)
    cfg = load_config(store).model_copy(update={k: v for k, v in overrides.items() if v is not None})
    model = make_model(cfg.model, PriceTable.load(cfg.prices))
    harness, version = load_harness(store)
    last = store.last("step")
    next_step = last["step"] + 1 if last else 0
    snap = store.last("savestate", max_step=next_step - 1)
    assert snap is not None  # written with run_started
    env = open_env(cfg)
    try:
        obs, info = env.reset(seed=cfg.seed)
        obs, info = env.load_state(store.get_blob(snap["ref"]))
        replayed = 0
        for ev in store.steps(snap["step"] + 1, next_step):
            obs, _, _, _, info = env.step(ev["buttons"])
            replayed += len(ev["buttons"])
    except BaseException:
        env.close()
        raise
    totals = Totals()
    if last:
        totals = Totals(presses=last["total_presses"], tokens_in=last["total_tokens_in"],
                        tokens_out=last["total_tokens_out"], cost_usd=last["total_cost_usd"],
                        format_failures=store.count("format_failure"),
                        next_call_tokens=int((last["tokens_in"] + last["tokens_out"]) * 1.25),
                        next_call_cost=last["cost_usd"] * 1.25)
    tracker = MilestoneTracker([Milestone.model_validate(e) for _, e in store.events("milestone")])
    recent = list(store.steps(max(0, next_step - cfg.history), next_step))
    state = info["state"]  # where the last logged step left the player (after replay)
    afters = [(e["location"], tuple(e["position"])) for e in recent[1:]] + [(state.location, (state.x, state.y))]
    history = deque(
        Turn(e["step"], e["location"], tuple(e["position"]), e["buttons"], e["reasoning"], after)
        for e, after in zip(recent, afters, strict=True)
    )
    store.append(RunResumed(from_step=next_step, replayed_presses=replayed, savestate_step=snap["step"],
                            seconds=time.monotonic() - t0))
    return Agent(cfg=cfg, env=env, model=model, store=store, harness=harness, harness_version=version,
                 step_id=next_step, obs=obs, info=info, totals=totals, tracker=tracker, history=history,
                 display=display)


def summarize(run_dir: Path) -> dict[str, Any]:
    """What `harness inspect --json` prints."""
    store = RunStore(run_dir)
    try:
        last = store.last("step")
        lifecycle = store.last_of(("run_started", "run_resumed", "run_stopped"))
        version = store.last("harness_version")
        milestones = [
            {k: e[k] for k in ("name", "step", "button_presses", "tokens", "cost_usd")}
            for _, e in store.events("milestone")
        ]
        cfg = load_config(store)
        steps = last["step"] + 1 if last else 0
        if lifecycle is None or lifecycle["kind"] != "run_stopped":
            status = "running_or_killed"  # no clean stop since the last start/resume: live, or killed
        elif lifecycle["reason"] == "steps_done":
            status = "done"
        else:
            status = lifecycle["reason"]
        return {
            "run_dir": str(run_dir),
            "env": cfg.env,
            "model": cfg.model,
            "status": status,
            "steps": steps,
            "button_presses": last["total_presses"] if last else 0,
            "harness_version": version["version"] if version else 0,
            "milestones": milestones,
            "tokens_in": last["total_tokens_in"] if last else 0,
            "tokens_out": last["total_tokens_out"] if last else 0,
            "cost_usd": round(last["total_cost_usd"], 6) if last else 0.0,
            "format_failures": store.count("format_failure"),
            "model_errors": store.count("model_error"),
            "resumes": store.count("run_resumed"),
        }
    finally:
        store.close()
