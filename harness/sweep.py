"""Parallel runs on Ray: a grid of independent runs (env x harness preset x model x seed) and their report.

    harness sweep sweep.toml [--address ray://host:10001] [--out runs/sweep-A]

The grid file (TOML or JSON):

    envs = ["quest"]
    harnesses = ["minimal", "expert"]
    models = ["local"]
    seeds = [0, 1, 2]
    steps = 200
    cpus_per_run = 1          # Ray CPUs per run; a `local` model gets as many llama.cpp threads

Each run is a Ray task with its own run directory under the sweep folder. A task that dies with its worker
(OOM, a killed process, a lost node) is retried by Ray and resumes from its run store: the steps it
committed are not played again. Ray runs locally by default (`ray.init` with this machine's CPUs, no
dashboard); `--address` joins an existing cluster, whose workers must see the sweep folder (a shared
filesystem) and have this package installed.

Why threads follow the CPU share: on a 2-core machine two `local` runs at 2 llama.cpp threads each ran
about 20x slower per step than one run alone (oversubscription); at 1 thread each they share the cores.

When every run is done, report.md and report.json in the sweep folder give, per (env, preset, model):
the runs, the milestones each reached, and the median button presses to each milestone (k/n reached).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from harness.config import RunConfig


class SweepConfig(BaseModel):
    envs: list[str] = Field(default_factory=lambda: ["quest"])
    harnesses: list[str] = Field(default_factory=lambda: ["minimal"])
    models: list[str] = Field(default_factory=lambda: ["local"])
    seeds: list[int] = Field(default_factory=lambda: [0])
    steps: int = Field(200, ge=1)
    cpus_per_run: int = Field(1, ge=1, description="Ray CPUs per run (and llama.cpp threads for `local`)")
    max_retries: int = Field(3, ge=0, description="times Ray restarts a run whose worker died")
    run: dict[str, Any] = Field(default_factory=dict, description="other RunConfig fields for every run")

    @classmethod
    def load(cls, path: Path) -> SweepConfig:
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            raise ValueError(f"{path}: no such sweep file") from None
        data = json.loads(text) if Path(path).suffix == ".json" else tomllib.loads(text)
        return cls.model_validate(data)


def model_for_run(model: str, seed: int, threads: int) -> str:
    """`local` gets its share of threads and, unless it has one, the run's seed as its sampling seed."""
    if not model.startswith("local"):
        return model
    base, _, opts = model.partition("#")
    keys = {o.split("=", 1)[0] for o in opts.split(",") if o}
    extra = ([f"seed={seed}"] if "seed" not in keys else []) + ([f"threads={threads}"] if "threads" not in keys else [])
    return f"{base}#{','.join([o for o in opts.split(',') if o] + extra)}"


def model_label(model: str) -> str:
    """How a model is named in run folders and the report: the spec without its path and options."""
    kind, _, rest = model.split("#")[0].partition(":")
    return f"{kind}:{Path(rest).stem}" if rest and kind in ("scripted", "local") else model.split("#")[0]


def grid(cfg: SweepConfig) -> list[tuple[str, str, RunConfig]]:
    """(run name, model label, config) for every cell of the grid."""
    labels = [model_label(m) for m in cfg.models]
    labels = [lab if labels.count(lab) == 1 else f"{lab}#{i}" for i, lab in enumerate(labels)]
    out = []
    for env in cfg.envs:
        for harness in cfg.harnesses:
            for model, label in zip(cfg.models, labels, strict=True):
                for seed in cfg.seeds:
                    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:40]
                    rc = RunConfig(env=env, harness=harness, model=model_for_run(model, seed, cfg.cpus_per_run),
                                   seed=seed, steps=cfg.steps, **cfg.run)
                    out.append((f"{env}-{harness}-{slug}-s{seed}", label, rc))
    return out


PID_FILE = "worker.pid"


def run_one(config: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One grid cell, start to finish (or resumed from its store after a worker died). Runs in a Ray worker."""
    from harness.log.store import RunReader
    from harness.run import resume_run, start_run, summarize

    path = Path(run_dir)
    path.mkdir(parents=True, exist_ok=True)
    (path / PID_FILE).write_text(str(os.getpid()))
    cfg = RunConfig.model_validate(config)
    started = False
    if (path / "run.sqlite").exists():
        with RunReader(path) as reader:
            started = reader.count("run_started") > 0
        if not started:  # killed while creating the store: nothing was committed, start over
            for child in path.iterdir():
                if child.name != PID_FILE:
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
    agent = resume_run(path, {}) if started else start_run(cfg, path)
    with agent:
        if agent.step_id < cfg.steps:
            agent.cfg = agent.cfg.model_copy(update={"steps": cfg.steps})
            agent.run(cfg.steps)
    return summarize(path)


def sweep(cfg: SweepConfig, out: Path, address: str | None = None,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the grid on Ray (resuming runs already in `out`), then write and return the report."""
    import ray

    cells = grid(cfg)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(cfg.model_dump_json(indent=2))
    if address:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=cfg.cpus_per_run, max_retries=cfg.max_retries)(run_one)
        pending = {task.remote(rc.model_dump(), str((out / name).resolve())): name for name, _, rc in cells}
        log(f"{len(cells)} runs on Ray ({ray.available_resources().get('CPU', 0):g} CPUs free, "
            f"{cfg.cpus_per_run} per run)")
        t0, summaries = time.monotonic(), {}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            name = pending.pop(ready[0])
            s = ray.get(ready[0])
            summaries[name] = s
            log(f"[{len(summaries)}/{len(cells)}] {name}: {s['steps']} steps, {len(s['milestones'])} milestones, "
                f"{s['button_presses']} presses ({time.monotonic() - t0:.0f} s)")
    finally:
        ray.shutdown()
    report = combined_report(summaries, cells)
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.md").write_text(report_markdown(report))
    return report


def combined_report(summaries: dict[str, dict[str, Any]], cells: list[tuple[str, str, RunConfig]],
                    ) -> dict[str, Any]:
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, label, rc in cells:
        key = f"{rc.env} | {rc.harness} | {label}"
        groups.setdefault(key, []).append((name, summaries[name]))
    out: dict[str, Any] = {"groups": {}}
    for key, runs in groups.items():
        names: list[str] = []
        for _, s in runs:
            names += [m["name"] for m in s["milestones"] if m["name"] not in names]
        per = {}
        for m in names:
            presses = [x["button_presses"] for _, s in runs for x in s["milestones"] if x["name"] == m]
            per[m] = {"median_presses": statistics.median(presses), "reached": len(presses), "runs": len(runs)}
        out["groups"][key] = {
            "runs": [{"run": n, "status": s["status"], "steps": s["steps"], "presses": s["button_presses"],
                      "milestones": len(s["milestones"]), "resumes": s["resumes"]} for n, s in runs],
            "milestones_median": statistics.median(len(s["milestones"]) for _, s in runs),
            "milestones": per,
        }
    return out


def report_markdown(report: dict[str, Any]) -> str:
    lines = ["# Sweep report", "", "| env / preset / model | runs | milestones per run | median |",
             "|---|---|---|---|"]
    for key, g in report["groups"].items():
        counts = ", ".join(str(r["milestones"]) for r in g["runs"])
        lines.append(f"| {key} | {len(g['runs'])} | {counts} | {g['milestones_median']:g} |")
    for key, g in report["groups"].items():
        lines += ["", f"## {key}", "", "| milestone | median presses | reached |", "|---|---|---|"]
        lines += [f"| {m} | {v['median_presses']:g} | {v['reached']}/{v['runs']} |" for m, v in g["milestones"].items()]
        if not g["milestones"]:
            lines.append("| (none reached) | - | - |")
    return "\n".join(lines) + "\n"
