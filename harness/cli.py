"""`harness`: run, resume, inspect and probe continual-harness runs."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Reset-free agent runtime: a model plays a game (or a web-form task stream) in one continuous run
while every step, model call, harness version, milestone and savestate goes to an append-only run
store you can resume, inspect and replay.

examples:
  harness run --env quest --model local --steps 200            # offline demo on the in-repo game
  harness run --env pokered --rom Red.gb --model anthropic:claude-sonnet-4-5 --budget-usd 5
  harness resume runs/quest-20261122-101500 --steps 400        # continue a stopped or killed run
  harness inspect runs/quest-20261122-101500 --json
  harness versions runs/quest-20261122-101500                  # every harness version: step, trigger, reason
  harness diff runs/quest-20261122-101500 0 3                  # what changed between two versions
  harness memory runs/quest-20261122-101500 --search "where is the key"   # the agent's vector memory
  harness run --env form --harness continual --model local    # a non-Game-Boy env; agent edits its notes
  harness run --env quest --bootstrap-from runs/quest-A --frozen   # start from another run's final harness
  harness control runs/quest-20261122-101500 pause             # pause / resume / stop a live run
  harness probe --env quest --press START,A,DOWN --json        # what the agent would see
  harness probe --env form --act '{"name": "click", "arguments": {"ref": 1}}'
  harness colearn --env quest --student local --teacher expert:quest --iterations 5 --rollout-steps 256

harness presets (--harness):
  minimal     H_min: observation + buttons + a generic prompt, no meta-tools
  expert      hand-engineered for quest and pokered: curated objectives, navigate_to(x, y) (A* over the
              text map), a battle sub-agent
  continual   minimal + an editable notes block, meta-tools (edit_prompt_block, sub-agents,
              request_refinement) and the refiner (prompt and sub-agent passes)
files in harness/state/presets/ (<name>.toml, or <name>.<env>.toml when made for one game).

model specs:
  local                       SmolLM2-135M-Instruct offline via llama.cpp (weak but free)
  openai:<model>[@<url>]      OpenAI SDK; key from OPENAI_API_KEY, URL from @url or OPENAI_BASE_URL
  anthropic:<model>[@<url>]   Anthropic SDK; key from ANTHROPIC_API_KEY
  vllm:<model>@<url>          OpenAI-compatible vLLM server with structured outputs
  scripted:<file.jsonl>       canned replies, for tests
"""


def _add_run_options(p: argparse.ArgumentParser, *, resume: bool) -> None:
    d: Any = None if resume else argparse.SUPPRESS  # resume: only what the user passes overrides
    p.add_argument("--steps", type=int, default=None if resume else 200,
                   help="run until the log holds this many steps (default 200; on resume: +200)")
    p.add_argument("--budget-usd", type=float, default=d, help="stop cleanly before spending more than this ($)")
    p.add_argument("--max-tokens", type=int, default=d, help="stop cleanly before using more tokens than this")
    p.add_argument("--prices", default=d, help="JSON price table overriding the built-in $/1M-token prices")
    p.add_argument("--model", default=d if resume else "local", help="model spec (see above); default local")
    p.add_argument("--quiet", action="store_true", help="no progress display")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start a new run", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run.add_argument("--env", default="quest", help="quest, quest-gba and form (built in); miniwob (web) and "
                     "desktop (Xvfb); pokered, pokeyellow, pokecrystal, emerald (bring your own ROM)")
    run.add_argument("--rom", help="your ROM file (required for the Pokemon games)")
    run.add_argument("--harness", default="minimal", help="starting harness preset: minimal, expert, continual")
    run.add_argument("--run-dir", type=Path, help="where the run store goes (default runs/<env>-<time>)")
    run.add_argument("--seed", type=int, default=0, help="seed for the single env.reset()")
    run.add_argument("--tasks", help="task-stream envs (miniwob, desktop): the task types to chain, e.g. "
                                     "click-button,enter-text (default: a seeded stream over every type)")
    run.add_argument("--frames-per-step", type=int, help="emulator frames per step (Game Boy default 120)")
    run.add_argument("--savestate-every", type=int, default=25, help="savestate interval in steps (resume speed)")
    run.add_argument("--history", type=int, default=6, help="fewest recent steps kept in the model's context")
    run.add_argument("--max-meta-calls", type=int, default=2, help="meta-tool calls allowed per step before acting")
    run.add_argument("--summary-every", type=int, default=24,
                     help="steps between the model's rewrites of the rolling summary of older steps (0: a "
                          "deterministic summary only)")
    run.add_argument("--bootstrap-from", metavar="RUN_DIR",
                     help="start from that run's final harness (refinement on: bootstrap-updating)")
    run.add_argument("--frozen", action="store_true",
                     help="with --bootstrap-from: keep that harness fixed (refinement off: bootstrap-frozen)")
    run.add_argument("--refine", action=argparse.BooleanOptionalAction, default=None,
                     help="run the refiner between steps (after 25 steps, every 25 until 200, then every 100); "
                          "default: on for the continual preset, off otherwise")
    run.add_argument("--refiner-model", metavar="SPEC",
                     help="model spec for the refiner's passes (default: the acting --model)")
    _add_run_options(run, resume=False)

    res = sub.add_parser("resume", help="continue a run from its last committed step")
    res.add_argument("run_dir", type=Path)
    _add_run_options(res, resume=True)

    ctl = sub.add_parser("control", help="pause, resume or stop a live run (honoured at its next step boundary)")
    ctl.add_argument("run_dir", type=Path)
    ctl.add_argument("action", choices=["pause", "resume", "stop"])

    ver = sub.add_parser("versions", help="list a run's harness versions (step, trigger, reason, rollbacks)")
    ver.add_argument("run_dir", type=Path)
    ver.add_argument("--json", action="store_true", help="machine-readable output")

    dif = sub.add_parser("diff", help="unified diff of two harness versions (of one run, or across two runs)")
    dif.add_argument("run_dir", type=Path)
    dif.add_argument("v1", type=int, help="first version")
    dif.add_argument("v2", type=int, help="second version")
    dif.add_argument("--against", type=Path, metavar="RUN_DIR2", help="take v2 from this other run")

    ins = sub.add_parser("inspect", help="summarise a run (steps, presses, milestones, tokens, $, latency, cache)")
    ins.add_argument("run_dir", type=Path)
    ins.add_argument("--json", action="store_true", help="machine-readable output")

    mem = sub.add_parser("memory", help="list a run's memory entries (usage, forgotten ones) or search them",
                         description="The run's vector memory, rebuilt from its log in this process (the run's own "
                                     "index folder is never opened, so a live run is safe to look at). A header "
                                     "line (live and forgotten/evicted counts, ops, entries ever shown, top "
                                     "locations and tags), then the live entries by id: importance, times shown "
                                     "to the model, the step last shown, the steps made and updated, source, "
                                     "location, tags, text (cut to the terminal's width; --json has it all). "
                                     "Search and ranking use the memory settings of the run's current harness "
                                     "version.")
    mem.add_argument("run_dir", type=Path)
    mem.add_argument("--search", metavar="TEXT",
                     help="the top-k live entries for TEXT, ranked as the run ranks them (cosine similarity, nudged "
                          "by importance; matches under memory.min_similarity left out)")
    mem.add_argument("-k", type=int, default=5, help="hits for --search (default 5)")
    mem.add_argument("--all", action="store_true",
                     help="also list forgotten and evicted entries (as last recorded), with the step and reason")
    mem.add_argument("--json", action="store_true", help="machine-readable output: the entries with their usage, "
                                                         "or the hits")

    wat = sub.add_parser("watch", help="follow a live run (or open a finished one) in a terminal UI",
                         description="A Textual app that reads the run's event log only (the run never waits for "
                                     "it): the game frame, the observation, recent steps with reasoning and tool "
                                     "calls, milestones with their costs, token and $ rates, the harness version "
                                     "timeline, and browsers for prompt blocks, skills, sub-agents and memory. "
                                     "Press ? in the app for its keys (pause / resume / stop the run, scroll back, "
                                     "open a version diff).")
    wat.add_argument("run_dir", type=Path)
    wat.add_argument("--poll", type=float, default=1.0, help="seconds between reads of the log")

    rep = sub.add_parser("replay", help="step through a recorded run; export a GIF / MP4; --verify determinism",
                         description="Prints the recorded steps (action, reasoning, place) from --from to --to. "
                                     "--gif / --mp4 export that segment's frames; --verify re-drives the env from "
                                     "the newest savestate before --from with the recorded actions and checks "
                                     "every observation against the log, failing at the first mismatch.")
    rep.add_argument("run_dir", type=Path)
    rep.add_argument("--from", dest="start", type=int, default=0, metavar="S", help="first step")
    rep.add_argument("--to", dest="stop", type=int, default=None, metavar="T", help="last step (default: the last)")
    rep.add_argument("--gif", type=Path, metavar="OUT", help="write the segment's frames as an animated GIF")
    rep.add_argument("--mp4", type=Path, metavar="OUT", help="write the segment's frames as an MP4 (ffmpeg)")
    rep.add_argument("--fps", type=float, default=8.0, help="frames per second for --gif / --mp4")
    rep.add_argument("--scale", type=int, default=2, help="pixel scale for --gif / --mp4")
    rep.add_argument("--verify", action="store_true", help="re-drive the env and check every observation")
    rep.add_argument("--json", action="store_true", help="machine-readable output")

    rpt = sub.add_parser("report", help="plots and a summary table for one or more runs",
                         description="PNG plots (matplotlib) and a markdown table for the runs given: milestones "
                                     "against cumulative button presses (runs overlaid), $ and tokens against "
                                     "milestones, tokens per step and step latency over time, refinement and "
                                     "rollback marks; medians per harness preset when 3 or more runs share one.")
    rpt.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    rpt.add_argument("--out", type=Path, default=Path("report"), help="folder for the PNGs and summary.md")
    rpt.add_argument("--json", action="store_true", help="print the summary rows as JSON too")

    skill = sub.add_parser("skill", help="code skills: try one in the sandbox")
    skill_sub = skill.add_subparsers(dest="skill_command", required=True)
    st = skill_sub.add_parser("test", help="run a skill file (def run(game, args)) in the sandbox against a fresh env",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    st.add_argument("file", type=Path, help="the skill's Python file")
    st.add_argument("--env", default="quest")
    st.add_argument("--rom", help="your ROM file (Pokemon games)")
    st.add_argument("--state", type=Path, help="start from a savestate file written by harness probe --save-state")
    st.add_argument("--args", default="{}", help="JSON object passed to run(game, args)")
    st.add_argument("--max-presses", type=int, default=200, help="press cap for this run")
    st.add_argument("--wall-s", type=float, default=10.0, help="wall-clock limit (time in the env not counted)")
    st.add_argument("--json", action="store_true", help="print the result as JSON")

    probe = sub.add_parser("probe", help="boot an env, apply actions, print what the agent would observe")
    probe.add_argument("--env", default="quest")
    probe.add_argument("--rom", help="your ROM file (Pokemon games)")
    probe.add_argument("--state", type=Path, help="start from a savestate file written by --save-state")
    probe.add_argument("--press", default="", help="comma-separated buttons, one step each, e.g. START,A,UP")
    probe.add_argument("--act", action="append", default=[], metavar="JSON",
                       help='one step of any env, after --press; repeatable, e.g. --act \'{"name": "click", '
                            '"arguments": {"ref": 2}}\'')
    probe.add_argument("--frames-per-step", type=int, help="emulator frames per step (Game Boy default 120)")
    probe.add_argument("--tasks", help="task-stream envs (miniwob, desktop): the task types, e.g. click-button")
    probe.add_argument("--save-state", type=Path, help="write the savestate after the presses here")
    probe.add_argument("--screenshot", type=Path, help="write the final frame as PNG here")
    probe.add_argument("--json", action="store_true", help="print the raw fields as JSON")
    col = sub.add_parser(
        "colearn", help="co-learning: roll out, score, relabel with a teacher, LoRA-train the student, swap it in",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Reset-free co-learning iterations in ONE run: each rolls out --rollout-steps through the live "
                    "harness, scores the transitions with a process reward (0.4 progress + 0.3 correctness + 0.2 "
                    "reasoning + 0.1 format, stride-8 windows), has the teacher relabel the windows under "
                    "--threshold, fine-tunes the student on that shard (LoRA, TRL + PEFT; CUDA if present) and "
                    "swaps the new weights in, then goes on from the same emulator state. `expert:quest` is a "
                    "PROGRAMMATIC teacher and PRM that read the game's own maps and route (privileged knowledge "
                    "the student never sees); any model spec works as teacher / PRM. Run the same command again "
                    "to resume after a crash: finished phases are skipped.")
    col.add_argument("--env", default="quest")
    col.add_argument("--student", default="local",
                     help="the model trained and swapped: local (SmolLM2 in llama.cpp) or vllm:NAME@URL (a vLLM "
                          "server started with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True; adapters "
                          "are loaded into it at run time)")
    col.add_argument("--student-base", help="the student's HF checkpoint folder (default: SmolLM2 converted from "
                                            "the local GGUF); a vllm: student's server must serve this checkpoint")
    col.add_argument("--teacher", default="expert:quest", help="expert:quest (programmatic) or a model spec")
    col.add_argument("--prm", default="expert:quest", help="process reward: expert:quest or a model spec")
    col.add_argument("--iterations", type=int, default=5)
    col.add_argument("--rollout-steps", type=int, default=256, help="K, steps rolled out per iteration")
    col.add_argument("--harness", default="minimal", help="harness preset the student plays with")
    col.add_argument("--seed", type=int, default=0)
    col.add_argument("--run-dir", type=Path, help="default runs/colearn-<env>-<time>; an existing one is resumed")
    col.add_argument("--threshold", type=float, default=0.5, help="windows with a mean reward below are relabeled")
    col.add_argument("--epochs", type=float, default=3.0)
    col.add_argument("--lr", type=float, default=5e-6, help="learning rate (the paper's soft SFT: 5e-6)")
    col.add_argument("--train-steps", type=int, default=-1, help="cap on optimizer steps per iteration (-1: none)")
    col.add_argument("--batch-size", type=int, default=4)
    col.add_argument("--max-length", type=int, default=1024, help="tokens per training example")
    col.add_argument("--rank", type=int, default=8, help="LoRA rank")
    col.add_argument("--top-layers", type=int, help="LoRA on the last N layers only")
    col.add_argument("--threads", type=int, help="torch CPU threads for training")
    col.add_argument("--replay", type=int, default=0,
                     help="also train on the shards of this many earlier iterations (-1: all, DAgger-style; 0: "
                          "only the newest shard)")
    col.add_argument("--no-grad-ckpt", action="store_true",
                     help="no gradient checkpointing (TRL's default is on): faster training, more memory")
    swp = sub.add_parser("sweep", help="run a grid (env x preset x model x seed) as independent runs on Ray",
                         description="Run a grid of independent runs on Ray (local by default) and write the "
                         "combined report (median presses per milestone per preset). CONFIG is a TOML or JSON file "
                         "with envs, harnesses, models, seeds (lists), steps, cpus_per_run. A run whose worker dies "
                         "is retried and resumes from its run store; running the same command again resumes too.",
                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    swp.add_argument("config", type=Path, help="the grid (TOML or JSON)")
    swp.add_argument("--out", type=Path, help="sweep folder (default runs/sweep-<config name>)")
    swp.add_argument("--address", help="an existing Ray cluster (default: start Ray on this machine)")
    return parser


def cmd_sweep(args: argparse.Namespace) -> int:
    from harness.sweep import SweepConfig, report_markdown, sweep

    cfg = SweepConfig.load(args.config)
    out = args.out or Path("runs") / f"sweep-{args.config.stem}"
    report = sweep(cfg, out, args.address, log=lambda m: print(m, flush=True))
    print(report_markdown(report))
    print(f"wrote {out / 'report.md'} and {out / 'report.json'}")
    return 0


def cmd_colearn(args: argparse.Namespace) -> int:
    import time as _time

    from harness.colearn.loop import Colearn, ColearnConfig

    cfg = ColearnConfig(env=args.env, student=args.student, student_base=args.student_base, teacher=args.teacher,
                        prm=args.prm,
                        iterations=args.iterations, rollout_steps=args.rollout_steps, harness=args.harness,
                        seed=args.seed, prm_settings={"threshold": args.threshold}, replay=args.replay,
                        train={"epochs": args.epochs, "lr": args.lr, "max_steps": args.train_steps,
                               "batch_size": args.batch_size, "max_length": args.max_length, "rank": args.rank,
                               "top_layers": args.top_layers, "threads": args.threads,
                               "gradient_checkpointing": not args.no_grad_ckpt})
    run_dir = args.run_dir or Path("runs") / f"colearn-{args.env}-{_time.strftime('%Y%m%d-%H%M%S')}"
    rows = Colearn(cfg, run_dir, log=lambda m: print(f"[colearn] {m}", flush=True)).run()
    print(f"{'iter':>4} {'steps':>11} {'milestones':>10} {'reward':>7} {'shard':>5} {'loss':>8}  phases (s)")
    for r in rows:
        loss = f"{r['train_loss']:.4f}" if r["train_loss"] is not None else "-"
        phases = " ".join(f"{k} {v:.0f}" for k, v in r["seconds"].items())
        print(f"{r['iteration']:>4} {r['steps'][0]:>5}-{r['steps'][1]:<5} {r['milestone_index']:>10} "
              f"{r['mean_reward']:>7.3f} {r['shard_size']:>5} {loss:>8}  {phases}")
    print(f"run: {run_dir}  (harness inspect {run_dir})")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from harness.config import RunConfig
    from harness.display import make_display
    from harness.run import default_run_dir, start_run

    cfg = RunConfig(env=args.env, rom=args.rom, model=args.model, harness=args.harness, steps=args.steps,
                    seed=args.seed, env_options=_task_options(args), frames_per_step=args.frames_per_step,
                    savestate_every=args.savestate_every,
                    history=args.history, max_meta_calls=args.max_meta_calls, summary_every=args.summary_every,
                    bootstrap_from=args.bootstrap_from,
                    refine={"enabled": _refine_flag(args)}, refiner_model=args.refiner_model,
                    budget_usd=getattr(args, "budget_usd", None), max_tokens=getattr(args, "max_tokens", None),
                    prices=getattr(args, "prices", None))
    run_dir = args.run_dir or default_run_dir(cfg)
    display = make_display(args.quiet)
    agent = start_run(cfg, run_dir, display)
    return _drive(agent, cfg.steps, run_dir)


def _task_options(args: argparse.Namespace) -> dict[str, Any]:
    """--tasks a,b,c -> {"tasks": [...]} for the env factory (one that takes no tasks says so in one line)."""
    if not getattr(args, "tasks", None):
        return {}
    return {"tasks": [t.strip() for t in args.tasks.split(",") if t.strip()]}


def _refine_flag(args: argparse.Namespace) -> bool | None:
    if args.frozen and not args.bootstrap_from:
        raise ValueError("--frozen needs --bootstrap-from RUN_DIR")
    if args.frozen:
        if args.refine:
            raise ValueError("--frozen keeps the bootstrapped harness fixed; it cannot be combined with --refine")
        return False
    return True if args.bootstrap_from and args.refine is None else args.refine


def cmd_resume(args: argparse.Namespace) -> int:
    from harness.display import make_display
    from harness.run import resume_run

    overrides = {k: getattr(args, k, None) for k in ("budget_usd", "max_tokens", "prices", "model")}
    agent = resume_run(args.run_dir, overrides, make_display(args.quiet))
    target = args.steps if args.steps is not None else agent.step_id + 200
    agent.cfg = agent.cfg.model_copy(update={"steps": target})
    return _drive(agent, target, args.run_dir)


def _drive(agent: Any, target: int, run_dir: Path) -> int:
    if agent.display:
        agent.display.start(agent.step_id, target, len(agent.tracker.reached))
    try:
        outcome = agent.run(target)
    finally:
        if agent.display:
            agent.display.close()
        agent.close()
    print(f"{outcome}; {agent.step_id} steps in {run_dir}", file=sys.stderr)
    ok = outcome.startswith(("steps_done", "budget", "interrupted", "stopped"))
    if ok:  # a failed run ends with its one line
        print(next_steps(run_dir, agent.versions.version, agent.step_id, target), file=sys.stderr)
    return 0 if ok else 1


def next_steps(run_dir: Path, version: int, done: int, target: int) -> str:
    """What to look at next, after a run ends."""
    lines = ["what next:", f"  harness inspect {run_dir}            # steps, presses, milestones, tokens, refiner"]
    if version:
        lines += [f"  harness versions {run_dir}           # every harness version: step, trigger, reason",
                  f"  harness diff {run_dir} 0 {version}         # what the harness learned, as a unified diff"]
    if done < target:
        lines.append(f"  harness resume {run_dir} --steps {target}   # carry on from step {done}")
    lines += [f"  harness watch {run_dir}              # the run in a terminal UI (live or finished)",
              f"  harness report {run_dir} --out report   # plots (PNG) and a summary table"]
    return "\n".join(lines)


def cmd_skill(args: argparse.Namespace) -> int:
    from envs.base import progress_of
    from envs.registry import make_env
    from skills.bridge import ActBridge
    from skills.sandbox import Limits, run_code, sandbox_problem

    code = args.file.read_text()
    problem = sandbox_problem()
    if problem:
        raise ValueError(problem)
    skill_args = json.loads(args.args)
    if not isinstance(skill_args, dict):
        raise ValueError("--args must be a JSON object")
    env = make_env(args.env, rom=args.rom)
    try:
        env.reset(seed=0)
        info: dict[str, Any] = {}
        if args.state:
            _, info = env.load_state(args.state.read_bytes())
        else:
            _, _, _, _, info = env.step(None)
        last = {"info": info}

        def act(action: Any) -> None:
            last["info"] = env.step(action)[4]

        def state() -> dict[str, Any]:
            game = last["info"].get("game")
            out = game.model_dump(mode="json") if hasattr(game, "model_dump") else dict(game or {})
            return {**out, "progress": progress_of(last["info"]).model_dump(mode="json")}

        bridge = ActBridge(act, state)
        result = run_code(code, skill_args, bridge, Limits(max_presses=args.max_presses, wall_s=args.wall_s))
        where = progress_of(last["info"]).text()
    finally:
        env.close()
    if args.json:
        print(json.dumps({**result.model_dump(mode="json"), "now_at": where}, indent=2))
    else:
        status = "ok" if result.ok else f"FAILED: {result.error}"
        print(f"{args.file}: {status}")
        print(f"returned: {json.dumps(result.value)}" if result.ok else result.traceback.rstrip())
        print(f"presses {result.presses}  game calls {result.calls}  wall {result.wall_s:.2f}s  now at {where}"
              + (f"  limit hit: {result.limit_hit}" if result.limit_hit else ""))
        if result.stdout:
            print(f"printed:\n{result.stdout.rstrip()}")
    return 0 if result.ok else 1


def cmd_control(args: argparse.Namespace) -> int:
    from harness.control import request

    request(args.run_dir, args.action)
    print(f"{args.action} requested; the run honours it at its next step boundary", file=sys.stderr)
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from harness.diff import versions
    from harness.log.store import RunReader

    with RunReader(args.run_dir) as reader:
        rows = versions(reader)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("version", "parent", "step", "trigger", "changes", "reason", "note")
    for r in rows:
        note = f"rolled back by v{r['rolled_back_by']}" if r["rolled_back_by"] is not None else ""
        table.add_row(str(r["version"]), "" if r["parent"] is None else str(r["parent"]),
                      "" if r["step"] is None else str(r["step"]), r["trigger"], str(r["changes"]), r["reason"], note)
    Console().print(table)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from harness.diff import diff_runs

    text = diff_runs(args.run_dir, args.v1, args.against or args.run_dir, args.v2)
    print(text or f"v{args.v1} and v{args.v2} are identical")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from harness.run import summarize

    summary = summarize(args.run_dir)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{summary['run_dir']}[/]  env {summary['env']}  model {summary['model']}  "
                  f"status {summary['status']}")
    lat = summary["step_latency_s"]
    console.print(f"steps {summary['steps']}  presses {summary['button_presses']}"
                  f"  harness v{summary['harness_version']} ({summary['harness']})"
                  f"  tokens {summary['tokens_in']}+{summary['tokens_out']}  ${summary['cost_usd']:.4f}"
                  f"  format failures {summary['format_failures']}  model errors {summary['model_errors']}")
    calls = ", ".join(f"{k} {v}" for k, v in summary["model_calls"].items()) or "none"
    console.print(f"model calls: {calls}  prompt cache {summary['prompt_cache_ratio']:.0%}"
                  f"  step latency median {lat['median']}s p95 {lat['p95']}s")
    ref = summary["refinements"]
    if ref["passes"] or ref["rolled_back"]:
        console.print(f"refiner: {ref['passes']} passes ({ref['failed_passes']} failed), {ref['proposals']} edits "
                      f"proposed, {ref['applied']} applied, {ref['refused']} refused, {ref['rolled_back']} rolled back"
                      f"  (harness versions: harness versions {summary['run_dir']})")
    from envs.base import parse_task_milestone

    table = Table("milestone", "step", "presses", "tokens", "$")
    for m in summary["milestones"]:
        if parse_task_milestone(m["name"]) is None:  # a task stream's per-task outcomes go in the table below
            table.add_row(m["name"], str(m["step"]), str(m["button_presses"]), str(m["tokens"]),
                          f"{m['cost_usd']:.4f}")
    console.print(table)
    if summary["tasks"]:
        tasks = Table("task type", "tasks", "successes", "success rate", "mean reward", title="tasks in the stream")
        for kind, t in summary["tasks"].items():
            tasks.add_row(kind, str(t["tasks"]), str(t["successes"]), f"{t['success_rate']:.0%}",
                          f"{t['mean_reward']:.2f}", style="bold" if kind == "all" else None)
        console.print(tasks)
    return 0


def cmd_memory(args: argparse.Namespace) -> int:
    from harness.log.events import HarnessVersion
    from harness.log.store import RunReader
    from harness.memories import open_memory
    from harness.state.versions import load_version
    from memory.store import MemorySettings

    if args.k < 1:
        raise ValueError("-k must be at least 1")
    with RunReader(args.run_dir) as reader:
        version = reader.last(HarnessVersion)
        settings = load_version(reader, version.version).memory if version else MemorySettings()
        if not reader.count("memory"):
            why = "memory is on but nothing was written yet" if settings.enabled else "the harness had memory off"
            print(f"no memory in {args.run_dir}: {why}", file=sys.stderr if args.json else sys.stdout)
            if args.json:
                print("[]")
            return 0
        memory = open_memory(reader, settings, None, in_memory=True)  # read-only; its index lives in this process
        hits = memory.search(args.search, k=args.k) if args.search is not None else None
        rows, gone, shown = _memory_rows(reader, memory, args.all)
    if hits is not None:
        return _print_hits(hits, memory, args.json)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    stats = memory.stats()
    places = Counter(e.location for e in memory.live.values() if e.location).most_common(5)
    kinds = Counter(op.op for op in gone.values())
    print(f"{args.run_dir}: {stats['live']} live (cap {stats['cap']}), {kinds['forget']} forgotten, "
          f"{kinds['evict']} evicted, {stats['ops']} ops, {len(shown)} entries ever shown to the model"
          + ("" if settings.enabled else "; memory is off in the current harness"))
    print("top locations: " + (", ".join(f"{k} ({n})" for k, n in places) or "none") + "   top tags: "
          + (", ".join(f"{k} ({n})" for k, n in stats["top_tags"][:5]) or "none"))
    cells = [[r["id"], str(r["importance"]), str(r["uses"]), "-" if r["last_used"] is None else str(r["last_used"]),
              str(r["created"]), str(r["updated"]), r["source"], r["location"], ", ".join(r["tags"])]
             + ([r["status"] if r["status"] == "live" else f"{r['status']} @{r['removed_step']}"] if args.all else [])
             + [r["text"] if r["status"] == "live" else f"({r['reason']}) {r['text']}"] for r in rows]
    headers = ["id", "imp", "shown", "last", "made", "upd", "source", "location", "tags"]
    _print_fitted([*headers, *["status"] * args.all, "text"], cells,
                  spare=("made", "upd", "source", "last", "tags", "location"))
    return 0


def _memory_rows(reader: Any, memory: Any, tombstones: bool) -> tuple[list[dict[str, Any]], dict[str, Any],
                                                                           dict[str, list[int]]]:
    """The live entries (and with `tombstones` the forgotten / evicted ones, as last recorded) with their
    usage, by id; the forget / evict op of each removed id; the steps each id was shown at."""
    from harness.memories import history
    from memory.store import MemoryOp

    gone: dict[str, MemoryOp] = {}
    shown: dict[str, list[int]] = {}
    for item in history(reader):
        if isinstance(item, MemoryOp):
            if item.op in ("forget", "evict"):
                gone[item.entry.id] = item
        else:
            for i in item[1]:
                shown.setdefault(i, []).append(item[0])
    rows = [{**e.model_dump(), "status": "live", "uses": memory.usage[e.id].uses,
             "last_used": memory.usage[e.id].last_used if memory.usage[e.id].uses else None}
            for e in memory.live.values()]
    if tombstones:
        rows += [{**op.entry.model_dump(), "status": "forgotten" if op.op == "forget" else "evicted",
                  "uses": len(shown.get(i, [])), "last_used": max(shown.get(i, [None])), "removed_step": op.step,
                  "reason": op.reason} for i, op in gone.items() if i not in memory.live]
    return sorted(rows, key=lambda r: int(r["id"][1:])), gone, shown


def _print_fitted(headers: list[str], rows: list[list[str]], spare: tuple[str, ...] = (), cap: int = 14) -> None:
    """A table as wide as the terminal: each column but the last as wide as its cells (at most `cap`), the
    last (free text) takes the rest, cut with an ellipsis; on a narrow terminal the `spare` columns go first."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    keep = list(range(len(headers) - 1))
    widths = {i: min(cap, max(len(x) for x in [headers[i], *(r[i] for r in rows)])) for i in keep}
    for name in spare:
        if console.width - sum(widths[i] + 2 for i in keep) >= 30:
            break
        keep.remove(headers.index(name))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for i in keep:
        table.add_column(headers[i], width=widths[i], no_wrap=True, overflow="ellipsis")
    table.add_column(headers[-1], width=max(16, console.width - sum(widths[i] + 2 for i in keep)), no_wrap=True,
                     overflow="ellipsis")
    for r in rows:
        table.add_row(*(Text(r[i]) for i in [*keep, -1]))  # Text: a memory's "[...]" is not markup
    console.print(table)


def _print_hits(hits: list[Any], memory: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps([{**h.entry.model_dump(), "similarity": h.similarity, "score": h.score,
                           "uses": memory.usage[h.entry.id].uses} for h in hits], indent=2))
    elif not hits:
        print(f"no live entry has similarity {memory.settings.min_similarity} or more to that text")
    else:
        _print_fitted(["similarity", "score", "id", "imp", "location", "text"],
                      [[f"{h.similarity:.3f}", f"{h.score:.3f}", h.entry.id, str(h.entry.importance),
                        h.entry.location, h.entry.text] for h in hits])
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from envs.registry import make_env

    presses = [p.strip().upper() for p in args.press.split(",") if p.strip()]
    actions = [{"name": "press_buttons", "arguments": {"buttons": [button]}} for button in presses]
    for text in args.act:
        try:
            actions.append(json.loads(text))
        except json.JSONDecodeError as e:
            raise ValueError(f"--act {text!r} is not JSON ({e.msg})") from None
    options = {"frames_per_step": args.frames_per_step} if args.frames_per_step else {}
    env = make_env(args.env, rom=args.rom, **options, **_task_options(args))
    try:
        obs, info = env.reset(seed=0)
        if presses and "press_buttons" not in {spec.name for spec in env.action_tools()}:
            raise ValueError(f"env {args.env!r} has no buttons; use --act with one of: "
                             f"{', '.join(spec.name for spec in env.action_tools())}")
        if args.state:
            env.load_state(args.state.read_bytes())
            obs, _, _, _, info = env.step(None)
        for action in actions:
            obs, _, _, _, info = env.step(action)
        if args.save_state:
            args.save_state.write_bytes(env.save_state())
        if args.screenshot:
            from harness.prompt import frame_png

            if obs.get("frame") is None:
                raise ValueError(f"env {args.env!r} has no frame to screenshot")
            args.screenshot.write_bytes(frame_png(obs["frame"], 2))
    finally:
        env.close()
    game = info.get("game")
    milestones = info["progress"].milestones
    if args.json:
        state = game.model_dump(mode="json") if hasattr(game, "model_dump") else game
        print(json.dumps({"text": obs["text"], "state": state,
                          "progress": info["progress"].model_dump(mode="json"), "steps": len(actions),
                          "frame_count": info.get("frame_count")}, indent=2))
    else:
        print(obs["text"])
        print(f"Milestones holding now (not shown to the agent): {', '.join(milestones) or 'none'}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from harness.watch import main as watch

    return watch(args)


def cmd_replay(args: argparse.Namespace) -> int:
    from harness.replay import main as replay

    return replay(args)


def cmd_report(args: argparse.Namespace) -> int:
    from harness.report import main as report

    return report(args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from envs.base import RomError
    from harness.log.store import StoreError

    handlers = {"run": cmd_run, "resume": cmd_resume, "control": cmd_control, "versions": cmd_versions,
                "diff": cmd_diff, "inspect": cmd_inspect, "probe": cmd_probe, "skill": cmd_skill,
                "memory": cmd_memory, "watch": cmd_watch, "replay": cmd_replay, "report": cmd_report,
                "colearn": cmd_colearn, "sweep": cmd_sweep}
    try:
        return handlers[args.command](args)
    except (RomError, StoreError, ValueError, RuntimeError, FileNotFoundError, sqlite3.Error) as e:
        print(f"harness: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `harness diff ... | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - interpreter shutdown flushes stdout again
        return 0
    except OSError as e:  # disk full, permissions: one line, the log keeps every committed step
        print(f"harness: error: {e.strerror or e} ({getattr(e, 'filename', '') or ''})", file=sys.stderr)
        return 2


def _one_line(e: BaseException) -> str:
    """A pydantic ValidationError as one line ("prm_settings.threshold: Input should be ..."); others as they are."""
    from pydantic import ValidationError

    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(map(str, err['loc'])) or 'input'}: {err['msg']}" for err in e.errors())
    return " ".join(str(e).split("\n")[:1]) if "\n" in str(e) and isinstance(e, ValueError) else str(e)


if __name__ == "__main__":
    sys.exit(main())
