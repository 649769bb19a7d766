"""Reset-free co-learning iterations: roll out, score, relabel, train, swap the new weights in, go on.

    harness colearn --env quest --student local --teacher expert:quest --iterations 5 --rollout-steps 256

One run directory holds everything: the run store (the agent's steps, as any run) and colearn/iter-<k>/ with
the shard, the adapter and its GGUF. Iteration k:

1. rollout   the live harness plays steps (k-1)K .. kK-1 of the SAME run: iteration k+1 starts from the
             emulator state iteration k ended in (the env is reset once, when the run starts, never again);
2. relabel   the PRM scores those K transitions (stride-8 windows); the teacher answers the weak windows;
             the shard is written (colearn/iter-k/shard.jsonl);
3. train     LoRA SFT of the student on the shard (with `replay`, plus earlier iterations' shards),
             starting from the previous iteration's adapter;
4. convert   the adapter to GGUF for llama.cpp (`local` student only);
5. swap      the agent's model becomes `local#lora=<iter-k adapter>` (a model_swap event; `harness resume`
             picks it up too). A `vllm:` student's server loads the PEFT adapter as it is, at run time
             (vLLM's dynamic LoRA loading: POST /v1/load_lora_adapter), and the agent's model becomes
             `vllm:<adapter name>@<url>`. The server must run with `--enable-lora` and
             VLLM_ALLOW_RUNTIME_LORA_UPDATING=True; `student_base` is the HF checkpoint it serves.

Each finished phase is a `colearn_phase` event; a killed co-learn run started again with the same command
skips the phases on record and redoes only the one that was cut (a rollout resumes from its last committed
step, as any run does). The "iteration" event closes an iteration with its numbers: milestone index, mean
reward, shard size, train loss, and the wall time of each phase.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from harness.colearn.relabel import PRMSettings, make_prm, make_teacher, read_transitions, score_and_relabel
from harness.colearn.shards import read_shard, write_shard
from harness.colearn.train import TrainSettings, adapter_to_gguf, examples, hf_checkpoint, train_lora
from harness.config import RunConfig
from harness.log.events import ColearnPhase, Milestone, ModelSwap
from harness.log.store import RunReader
from harness.models import make_model

PHASES = ("rollout", "relabel", "train", "convert", "swap")


class ColearnConfig(BaseModel):
    """One co-learning job (stored in RUN_DIR/colearn/config.json when it starts)."""

    env: str = "quest"
    student: str = Field("local", description="the model being trained (local: SmolLM2 in llama.cpp; or a vllm: "
                         "server started with --enable-lora)")
    student_base: str | None = Field(None, description="the student's HF checkpoint (default: SmolLM2 converted "
                                     "from the local GGUF; a vllm: student's server must serve this checkpoint)")
    teacher: str = Field("expert:quest", description="relabels weak windows (expert:quest, or any model spec)")
    prm: str = Field("expert:quest", description="scores transitions (expert:quest, or any model spec)")
    iterations: int = Field(5, ge=1)
    rollout_steps: int = Field(256, ge=1, description="K: steps per iteration's rollout")
    harness: str = Field("minimal", description="the harness preset the student plays with")
    seed: int = 0
    prm_settings: PRMSettings = Field(default_factory=PRMSettings)
    train: TrainSettings = Field(default_factory=TrainSettings)
    replay: int = Field(0, ge=-1, description="also train on the shards of this many earlier iterations (-1: all "
                        "of them, DAgger-style aggregation; 0: this iteration's shard only)")
    run: dict[str, Any] = Field(default_factory=dict, description="extra RunConfig fields for the rollouts")


def _base_spec(student: str) -> tuple[str, str]:
    """('local', '#seed=1') from 'local#seed=1' (the LoRA option is the loop's to set)."""
    kind, _, opts = student.partition("#")
    kept = [o for o in opts.split(",") if o and not o.startswith("lora=")]
    return kind, ("#" + ",".join(kept)) if kept else ""


def student_with(student: str, adapter: Path) -> str:
    kind, opts = _base_spec(student)
    return f"{kind}#{opts[1:] + ',' if opts else ''}lora={adapter}"


def vllm_student_with(student: str, name: str) -> str:
    """'vllm:<name>@<url>#opts' from the base student's spec: the served adapter `name` instead of the base."""
    head, _, opts = student.partition("#")
    _, _, rest = head.partition(":")
    _, at, url = rest.partition("@")
    return f"vllm:{name}{at}{url}" + (f"#{opts}" if opts else "")


def vllm_load_adapter(base_url: str, name: str, path: Path, timeout_s: float = 300.0) -> float:
    """Load a PEFT adapter into a running vLLM server under `name` (its dynamic LoRA API); seconds taken.
    Loading a name the server already holds is not an error (a resumed job re-announces its adapter)."""
    import httpx

    t0 = time.monotonic()
    try:
        r = httpx.post(f"{base_url.rstrip('/')}/load_lora_adapter", json={"lora_name": name, "lora_path": str(path)},
                       timeout=timeout_s)
    except httpx.HTTPError as e:
        raise RuntimeError(f"vLLM at {base_url} did not take adapter {name!r}: {e or type(e).__name__}") from None
    if r.status_code >= 400 and "already" not in r.text.lower():
        raise RuntimeError(f"vLLM at {base_url} refused adapter {name!r} ({r.status_code}: {r.text[:300]}); the "
                           "server needs --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True")
    return time.monotonic() - t0


class Colearn:
    def __init__(self, cfg: ColearnConfig, run_dir: Path, log: Callable[[str], None] = print) -> None:
        self.kind = cfg.student.partition(":")[0].partition("#")[0]
        if self.kind not in ("local", "vllm"):
            raise ValueError(f"student {cfg.student!r}: co-learning updates a `local` (llama.cpp) or `vllm:` "
                             "student (open weights it can fine-tune)")
        self.cfg, self.run_dir, self.log = cfg, Path(run_dir), log
        self.dir = self.run_dir / "colearn"

    # -- bookkeeping -----------------------------------------------------------------------------------

    def done(self, reader: RunReader) -> dict[tuple[int, str], ColearnPhase]:
        return {(e.iteration, e.phase): e for _, e in reader.events("colearn_phase") if isinstance(e, ColearnPhase)}

    def iter_dir(self, k: int) -> Path:
        return self.dir / f"iter-{k}"

    def _save_config(self) -> None:
        path = self.dir / "config.json"
        if path.exists():
            stored = ColearnConfig.model_validate_json(path.read_text())
            if stored.model_dump(exclude={"iterations"}) != self.cfg.model_dump(exclude={"iterations"}):
                raise ValueError(f"{self.run_dir} was started with other co-learning settings ({path}); "
                                 "use the same command, or a new --run-dir")
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.cfg.model_dump_json(indent=2))
        tmp.replace(path)

    # -- the loop -------------------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        from harness.run import resume_run, start_run

        self._save_config()
        K = self.cfg.rollout_steps
        if (self.run_dir / "run.sqlite").exists():
            agent = resume_run(self.run_dir, {})
        else:
            rc = RunConfig(env=self.cfg.env, model=self.cfg.student, harness=self.cfg.harness, seed=self.cfg.seed,
                           steps=K * self.cfg.iterations, **self.cfg.run)
            agent = start_run(rc, self.run_dir)
        if self.kind == "vllm":
            self._reannounce(agent)
        rows = []
        with agent:
            for k in range(1, self.cfg.iterations + 1):
                rows.append(self.iteration(agent, k, K))
        return rows

    def iteration(self, agent: Any, k: int, K: int) -> dict[str, Any]:
        done = self.done(agent.store)
        if (k, "iteration") in done:
            return done[(k, "iteration")].data
        d = self.iter_dir(k)
        d.mkdir(parents=True, exist_ok=True)
        seconds = {p: done[(k, p)].seconds for p in PHASES if (k, p) in done}

        def phase(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            if (k, name) in done:
                return done[(k, name)].data
            self.log(f"iteration {k}: {name}")
            t0 = time.monotonic()
            data = fn()
            seconds[name] = round(time.monotonic() - t0, 2)
            agent.store.append(ColearnPhase(step=agent.step_id, iteration=k, phase=name, seconds=seconds[name],
                                            data=data))
            return data

        rollout = phase("rollout", lambda: self.rollout(agent, k, K))
        rel = phase("relabel", lambda: self.relabel(agent, k, K))
        trained = converted = swapped = {}
        if rel["shard_size"]:
            trained = phase("train", lambda: self.train(agent, k))
            if self.kind == "local":
                converted = phase("convert", lambda: self.convert(k))
            swapped = phase("swap", lambda: self.swap(agent, k))
        summary = {
            "iteration": k, "steps": [(k - 1) * K, k * K - 1], "milestone_index": rollout["milestone_index"],
            "milestones": rollout["milestones"], "mean_reward": rel["mean_reward"], "shard_size": rel["shard_size"],
            "train_loss": trained.get("loss"), "train_steps": trained.get("steps", 0),
            "model": swapped.get("model", agent.cfg.model if not swapped else None), "seconds": seconds,
            "adapter_bytes": converted.get("bytes"),
        }
        agent.store.append(ColearnPhase(step=agent.step_id, iteration=k, phase="iteration",
                                        seconds=round(sum(seconds.values()), 2), data=summary))
        self.log(f"iteration {k}: milestone index {summary['milestone_index']}, mean reward "
                 f"{summary['mean_reward']:.3f}, shard {summary['shard_size']}, train loss {summary['train_loss']}, "
                 f"phases {json.dumps(seconds)}")
        return summary

    # -- phases -----------------------------------------------------------------------------------------

    def rollout(self, agent: Any, k: int, K: int) -> dict[str, Any]:
        target = k * K
        if agent.step_id < target:
            agent.cfg = agent.cfg.model_copy(update={"steps": max(agent.cfg.steps, target)})
            reason = agent.run(target)
            if agent.step_id < target:
                raise RuntimeError(f"rollout of iteration {k} stopped at step {agent.step_id}: {reason}")
        reached = [e.name for _, e in agent.store.events("milestone") if isinstance(e, Milestone)]
        return {"milestone_index": len(reached), "milestones": reached, "end_step": agent.step_id}

    def relabel(self, agent: Any, k: int, K: int) -> dict[str, Any]:
        tools = [t.spec() for t in agent.actions.values()]
        ts = read_transitions(agent.store, (k - 1) * K, k * K)
        rewards, rows = score_and_relabel(agent.store, ts, make_prm(self.cfg.prm), make_teacher(self.cfg.teacher),
                                          tools, self.cfg.prm_settings)
        n = write_shard(self.iter_dir(k) / "shard.jsonl", rows, agent.store, tools, self.cfg.teacher)
        return {"mean_reward": round(sum(rewards) / max(1, len(rewards)), 4), "transitions": len(ts),
                "shard_size": n, "relabeled_steps": [r.step for r in rows]}

    def train(self, agent: Any, k: int) -> dict[str, Any]:
        from transformers import AutoTokenizer

        base = self.base()
        tokenizer = AutoTokenizer.from_pretrained(base)
        if self.kind == "local":  # the renderer: chat template, tools, forced prefix
            render = make_model(_base_spec(self.cfg.student)[0]).render_example
        else:  # the messages the vllm back-end sends, through the served checkpoint's chat template
            render = functools.partial(make_model(self.cfg.student).render_example, tokenizer=tokenizer)
        shards = self.training_shards(k)
        data = examples([row for p in shards for row in read_shard(p)], render, tokenizer, self.cfg.train.max_length)
        previous = self.latest_adapter(k)
        result = train_lora(base, data, self.iter_dir(k) / "adapter", self.cfg.train, log=self.log, init=previous)
        return {**result.model_dump(), "shards": [p.parent.name for p in shards]}

    def training_shards(self, k: int) -> list[Path]:
        """Iteration k's shard, after the shards of the `replay` iterations before it (those that have one)."""
        first = 1 if self.cfg.replay < 0 else max(1, k - self.cfg.replay)
        return [p for j in range(first, k + 1) if (p := self.iter_dir(j) / "shard.jsonl").exists()]

    def base(self) -> Path:
        return Path(self.cfg.student_base) if self.cfg.student_base else hf_checkpoint()

    def adapter_name(self, k: int) -> str:
        return f"{self.run_dir.resolve().name}-iter-{k}"

    def _reannounce(self, agent: Any) -> None:
        """A resumed vllm job: the server may have restarted since the last swap, so load that adapter again."""
        swaps = [e for _, e in agent.store.events("model_swap") if isinstance(e, ModelSwap)]
        if not swaps:
            return
        for k in range(self.cfg.iterations, 0, -1):
            if swaps[-1].new == vllm_student_with(self.cfg.student, self.adapter_name(k)):
                vllm_load_adapter(agent.model.base_url, self.adapter_name(k), (self.iter_dir(k) / "adapter").resolve())
                return

    def latest_adapter(self, k: int) -> Path | None:
        for j in range(k - 1, 0, -1):
            if (self.iter_dir(j) / "adapter" / "adapter_config.json").exists():
                return self.iter_dir(j) / "adapter"
        return None

    def convert(self, k: int) -> dict[str, Any]:
        out = adapter_to_gguf(self.iter_dir(k) / "adapter", self.base(), self.iter_dir(k) / "adapter.gguf")
        return {"gguf": str(out), "bytes": out.stat().st_size}

    def swap(self, agent: Any, k: int) -> dict[str, Any]:
        t0 = time.monotonic()
        extra: dict[str, Any] = {}
        if self.kind == "vllm":
            name = self.adapter_name(k)
            extra["server_load_s"] = round(vllm_load_adapter(agent.model.base_url, name,
                                                             (self.iter_dir(k) / "adapter").resolve()), 3)
            spec = vllm_student_with(self.cfg.student, name)
        else:
            spec = student_with(self.cfg.student, (self.iter_dir(k) / "adapter.gguf").resolve())
        model = make_model(spec)
        old = agent.model.spec
        agent.model = model
        agent.cfg = agent.cfg.model_copy(update={"model": spec})
        agent.store.append(ModelSwap(step=agent.step_id, old=old, new=spec, reason=f"colearn iteration {k}"))
        return {"model": spec, "load_s": round(time.monotonic() - t0, 3), **extra}
