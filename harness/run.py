"""Creating a run, resuming one, restoring its env, and summarising one. The log is the truth:
everything a resumed run needs (config, harness version, totals, milestones, context window, env
state) is rebuilt from the run store."""

from __future__ import annotations

import hashlib
import statistics
import time
from pathlib import Path
from typing import Any

from envs.base import Env, parse_task_milestone
from harness.agent import Agent
from harness.budget import Budget
from harness.config import RunConfig
from harness.context import window_start
from harness.display import Display
from harness.log.events import (
    BaseEvent,
    HarnessVersion,
    Milestone,
    ModelSwap,
    RefinePass,
    RunResumed,
    RunStarted,
    RunStopped,
    Savestate,
    SpanEnd,
    Step,
)
from harness.log.store import RunReader, RunStore, StoreError
from harness.memories import bootstrap_ops
from harness.milestones import MilestoneTracker
from harness.models import make_model
from harness.models.base import Model
from harness.models.pricing import PriceTable
from harness.refine import Refiner
from harness.state import HarnessState, preset
from harness.state.versions import Versions, load_version

LATENCY_WINDOW = 10_000  # steps that `inspect` computes step latency over (the most recent ones)


def open_env(cfg: RunConfig) -> Env:
    from envs.registry import make_env

    return make_env(cfg.env, rom=cfg.rom, **cfg.env_kwargs())


def default_run_dir(cfg: RunConfig) -> Path:
    return Path("runs") / f"{cfg.env}-{time.strftime('%Y%m%d-%H%M%S')}"


def start_run(cfg: RunConfig, run_dir: Path, display: Display | None = None) -> Agent:
    model = make_model(cfg.model, PriceTable.load(cfg.prices))
    harness, origin, trigger = preset(cfg.harness, cfg.env), f"preset {cfg.harness}", "preset"
    carried: list[tuple[list[BaseEvent], list[bytes]]] = []  # a bootstrap's skill code and memory entries
    if cfg.bootstrap_from:
        with RunReader(cfg.bootstrap_from) as other:
            last = other.last(HarnessVersion)
            if last is None:
                raise StoreError(f"{cfg.bootstrap_from} has no harness version to bootstrap from")
            harness, origin, trigger = load_version(other, last.version), (
                f"bootstrap from {cfg.bootstrap_from} v{last.version}"), "bootstrap"
            carried.append(([], [other.get_blob(v.ref) for k in harness.skills.values() for v in k.versions]))
            if harness.memory.enabled and other.count("memory"):
                carried += bootstrap_ops(other)
    env = open_env(cfg)
    try:
        obs, info = env.reset(seed=cfg.seed)  # the only reset this run will ever see
        store = RunStore(run_dir, create=True)
        first: list[tuple[list[BaseEvent], list[bytes]]] = []
        versions = Versions.first(harness, origin, lambda e, b: first.append((e, b)), trigger=trigger,
                                  load=lambda v: load_version(store, v))
        rom_sha1 = hashlib.sha1(Path(cfg.rom).read_bytes()).hexdigest() if cfg.rom else None
        with store.commit() as tx:
            tx.event(RunStarted(config=cfg.model_dump(), env_id=cfg.env, rom_sha1=rom_sha1, harness_version=0,
                                harness_hash=harness.content_hash()))
            for events, blobs in first + carried:
                tx.add(events, blobs)
            tx.event(Savestate(step=-1, ref=tx.blob(env.save_state())))
    except BaseException:
        env.close()
        raise
    return Agent(cfg=cfg, env=env, model=model, store=store, versions=versions,
                 budget=Budget(cfg.budget_usd, cfg.max_tokens), step_id=0, obs=obs, info=info, display=display,
                 refiner=Refiner(cfg.refine) if cfg.refining else None, refiner_model=refiner_model(cfg))


def load_config(reader: RunReader) -> RunConfig:
    started = reader.last(RunStarted)
    if started is None:
        raise StoreError(f"{reader.run_dir} has no run_started event")
    return RunConfig.model_validate(started.config)


def load_versions(reader: RunReader) -> Versions:
    ev = reader.last(HarnessVersion)
    if ev is None:
        raise StoreError(f"{reader.run_dir} has no harness version")
    doc = HarnessState.model_validate_json(reader.get_blob(ev.doc_ref))
    return Versions(doc, ev.version, sink=lambda e, b: None, load=lambda v: load_version(reader, v))


def restore_env(reader: RunReader, cfg: RunConfig, upto: int) -> tuple[Env, dict[str, Any], dict[str, Any], int, int]:
    """An env in the state right after step `upto - 1`: the newest savestate at or before it, then the
    logged actions since. Returns env, obs, info, the savestate's step, the steps replayed."""
    snap = reader.last(Savestate, max_step=upto - 1)
    if snap is None:
        raise StoreError(f"{reader.run_dir} has no savestate to restore from")
    env = open_env(cfg)
    try:
        obs, info = env.reset(seed=cfg.seed)
        obs, info = env.load_state(reader.get_blob(snap.ref))
        replayed = 0
        for ev in reader.steps(snap.step + 1, upto):
            for action in ev.env_actions if ev.env_actions is not None else [ev.action]:
                obs, _, _, _, info = env.step(action)
            replayed += 1
    except BaseException:
        env.close()
        raise
    return env, obs, info, snap.step, replayed


def cut_spans(reader: RunReader) -> list[str]:
    """Spans a kill left open (a refine pass, a sub-agent call, a skill run that never finished)."""
    rows = reader.db.execute(
        "SELECT json_extract(data, '$.span') FROM events WHERE kind='span_start' AND json_extract(data, '$.span') "
        "NOT IN (SELECT json_extract(data, '$.span') FROM events WHERE kind='span_end')").fetchall()
    return [r[0] for r in rows]


def resume_run(run_dir: Path, overrides: dict[str, Any], display: Display | None = None) -> Agent:
    """Continue from the last committed step: env state, harness, totals, milestones and the model's
    context window all rebuilt from the log."""
    t0 = time.monotonic()
    store = RunStore(run_dir)
    previous = load_config(store)
    swapped = store.last(ModelSwap)  # co-learning swaps new weights in mid-run: the last swap is the model now
    if swapped is not None:
        previous = previous.model_copy(update={"model": swapped.new})
    cfg = previous.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    model = make_model(cfg.model, PriceTable.load(cfg.prices))
    versions = load_versions(store)
    missing = [f"{k.name} v{i + 1}" for k in versions.current.skills.values() for i, v in enumerate(k.versions)
               if not store.has_blob(v.ref)]
    if missing:  # the skill library is checked against the stored versions before anything runs
        store.close()
        raise StoreError(f"{run_dir}: the code of skill {', '.join(missing[:3])} is missing from the run store")
    last = store.last(Step)
    next_step = last.step + 1 if last else 0
    env, obs, info, snap_step, replayed = restore_env(store, cfg, next_step)
    recent = list(store.steps(window_start(next_step, cfg.history, cfg.history_chunk), next_step))
    open_spans = cut_spans(store)
    events: list[BaseEvent] = [SpanEnd(span=s, status="cut", summary="cut by a kill; resumed") for s in open_spans]
    if cfg.model != previous.model:
        events.append(ModelSwap(old=previous.model, new=cfg.model, reason="changed on resume", step=next_step))
    events.append(RunResumed(from_step=next_step, replayed_steps=replayed,
                             replayed_presses=sum(e.action_cost for e in store.steps(snap_step + 1, next_step)),
                             savestate_step=snap_step, seconds=time.monotonic() - t0, cut_spans=open_spans))
    store.append(*events)
    tracker = MilestoneTracker([e for _, e in store.events("milestone") if isinstance(e, Milestone)])
    return Agent(cfg=cfg, env=env, model=model, store=store, versions=versions,
                 budget=Budget.rebuild(store, cfg.budget_usd, cfg.max_tokens), step_id=next_step, obs=obs, info=info,
                 tracker=tracker, recent=recent, display=display,
                 refiner=Refiner.rebuild(cfg.refine, store, next_step) if cfg.refining else None,
                 refiner_model=refiner_model(cfg))


def refiner_model(cfg: RunConfig) -> Model | None:
    if not cfg.refining or not cfg.refiner_model or cfg.refiner_model == cfg.model:
        return None
    return make_model(cfg.refiner_model, PriceTable.load(cfg.prices))


def refinements(reader: RunReader) -> dict[str, int]:
    out = {"passes": 0, "failed_passes": 0, "proposals": 0, "applied": 0, "refused": 0,
           "rolled_back": reader.count("rollback")}
    for _, e in reader.events("refine_pass"):
        assert isinstance(e, RefinePass)
        out["passes"] += 1
        out["failed_passes"] += e.status == "failed"
        out["proposals"] += e.proposed
        out["applied"] += e.applied
        out["refused"] += e.refused
    return out


def summarize(run_dir: Path) -> dict[str, Any]:
    """What `harness inspect --json` prints."""
    with RunReader(run_dir) as reader:
        last = reader.last(Step)
        totals = last.totals if last else None
        found = reader.last_with_seq(("run_started", "run_resumed", "run_stopped"))
        version = reader.last(HarnessVersion)
        cfg = load_config(reader)
        if found is None or not isinstance(found[1], RunStopped):
            status = "running_or_killed"  # no clean stop since the last start/resume: live, or killed
        else:
            status = "done" if found[1].reason == "steps_done" else found[1].reason
        steps = last.step + 1 if last else 0
        # latency over the recent steps only: read through the step index, so inspect stays O(1) in run length
        latencies = sorted(x for x in reader.step_field("$.latency_s", steps - LATENCY_WINDOW) if x is not None)
        purposes: dict[str, int] = {}
        for (purpose, n) in reader.db.execute(
                "SELECT json_extract(data, '$.purpose'), COUNT(*) FROM events WHERE kind='model_call' GROUP BY 1"):
            purposes[purpose] = n
        call = reader.last_with_seq(("model_call",))
        calls_totals = call[1].totals if call else totals  # type: ignore[union-attr]
        tokens_in = calls_totals.tokens_in if calls_totals else 0
        milestones = [
            {"name": e.name, "step": e.step, "button_presses": e.presses, "tokens": e.tokens, "cost_usd": e.cost_usd}
            for _, e in reader.events("milestone") if isinstance(e, Milestone)
        ]
        return {
            "run_dir": str(run_dir),
            "env": cfg.env,
            "model": cfg.model,
            "harness": cfg.harness if not cfg.bootstrap_from else f"bootstrap from {cfg.bootstrap_from}"
                       + (" (frozen)" if not cfg.refining else ""),
            "status": status,
            "steps": steps,
            "button_presses": totals.presses if totals else 0,
            "harness_version": version.version if version else 0,
            "harness_versions": reader.count("harness_version"),
            "milestones": milestones,
            "tasks": task_stats(milestones),
            "tokens_in": tokens_in,
            "tokens_out": calls_totals.tokens_out if calls_totals else 0,
            "tokens_cached": calls_totals.tokens_cached if calls_totals else 0,
            "cost_usd": round(calls_totals.cost_usd, 6) if calls_totals else 0.0,
            "prompt_cache_ratio": round(calls_totals.tokens_cached / tokens_in, 4) if tokens_in else 0.0,
            "model_calls": purposes,
            "step_latency_s": {
                "median": round(statistics.median(latencies), 4) if latencies else None,
                "p95": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 4) if latencies else None,
                "over_last_steps": len(latencies),
            },
            "refinements": refinements(reader),
            "format_failures": reader.count("format_failure"),
            "model_errors": reader.count("model_error"),
            "resumes": reader.count("run_resumed"),
        }


def task_stats(milestones: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per task type of a task-stream env (miniwob, desktop): tasks ended, successes, success rate and mean
    reward, from the `task:...` milestones (envs.base.task_milestone); "all" totals them. Empty for envs
    without a task stream."""
    by_type: dict[str, list[tuple[bool, float]]] = {}
    for m in milestones:
        parsed = parse_task_milestone(m["name"])
        if parsed is not None:
            _, kind, success, reward = parsed
            by_type.setdefault(kind, []).append((success, reward))
    if not by_type:
        return {}
    rows = sorted(by_type.items()) + [("all", [x for runs in by_type.values() for x in runs])]
    return {kind: {"tasks": len(runs), "successes": sum(ok for ok, _ in runs),
                   "success_rate": round(sum(ok for ok, _ in runs) / len(runs), 4),
                   "mean_reward": round(statistics.fmean(r for _, r in runs), 4)} for kind, runs in rows}
