"""Fault campaign: a scripted-model `continual` run on quest killed with SIGKILL at random moments
(inside refiner passes, sub-agent calls, rolling-summary calls and savestate writes included; the agent
and the memory pass write, update and forget memory entries, retrieved into every prompt) and
resumed each time, against one
uninterrupted reference run with the same replies (chosen by a hash of the prompt, so the two agree
only if every resume restored the env, the harness document, the refiner's triggers and the gate's
view exactly).

    .venv/bin/python bench/fault_campaign.py [--steps 1000] [--kills 50] [--seed S]

Prints the seed; writes bench/results/faults.json. Exits 1 when the killed run differs from the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
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
from harness.log.events import GateDecision, HarnessVersion, RefinePass, RunResumed  # noqa: E402
from harness.log.store import RunReader  # noqa: E402

MOVES = ["UP", "DOWN", "LEFT", "RIGHT", "A", "B"]


def script(path: Path, seed: int) -> Path:
    """by_prompt replies: a random walk, notes edits, refinement requests, a sub-agent defined and called
    (slow turns, so kills land inside calls), summaries, and slow refiner answers for both passes (so
    kills land inside passes)."""
    rng = random.Random(seed)
    lines: list[dict] = [{"mode": "by_prompt"}]
    lines += [{"tool": "press_buttons", "arguments": {"buttons": rng.choices(MOVES, k=rng.randint(1, 3)),
                                                       "reasoning": "walk"}} for _ in range(89)]
    lines += [{"tool": "edit_prompt_block", "arguments": {"label": "notes", "text": f"note {i}"}} for i in range(6)]
    lines += [{"tool": "request_refinement", "arguments": {"reason": f"stuck {i}"}} for i in range(3)]
    lines += [{"tool": "propose_prompt_edits", "delay_s": 0.15, "arguments": {
        "analysis": f"try {i}", "edits": [{"label": "strategy", "text": f"Plan {i}: explore {MOVES[i % 4]}.",
                                           "why": f"plan {i}"}]}} for i in range(8)]
    lines += [{"tool": "define_subagent", "arguments": {
        "name": "walker", "instructions": "Walk where you are told.", "tools": ["press_buttons"], "max_turns": 3,
        "returns": "when you arrive"}}]
    lines += [{"tool": "call_subagent", "arguments": {"name": "walker", "task": f"go {m}"}} for m in MOVES[:4]]
    lines += [{"tool": "return_to_caller", "delay_s": 0.1, "arguments": {"summary": f"went {m}"}} for m in MOVES[:2]]
    lines += [{"tool": "propose_subagent_edits", "delay_s": 0.15, "arguments": {"analysis": f"s{i}", "edits": [
        {"op": "define", "name": "scout", "instructions": f"Explore {MOVES[i % 4]}.", "tools": ["press_buttons"],
         "max_turns": 2, "why": f"scout {i}"}] if i % 3 else [{"op": "delete", "name": "scout", "why": "unused"}]}}
        for i in range(6)]
    places = ["bedroom", "kitchen", "town square", "route 1", "the cave", "the gate"]
    things = ["a door", "a sign", "mum", "grass"]
    lines += [{"tool": "memory_write", "arguments": {
        "text": f"The {places[i % 6]} has {things[i % 4]} to the {MOVES[i % 4].lower()}.", "importance": 1 + i % 5}}
        for i in range(8)]
    lines += [{"tool": "propose_memory_edits", "delay_s": 0.15, "arguments": {"analysis": f"m{i}", "edits": [
        {"op": "write", "text": f"Lesson {i}: walking into walls wastes presses near the {places[i % 6]}.",
         "importance": 4},
        {"op": "forget", "id": f"m{i}", "why": "stale"}, {"op": "importance", "id": f"m{i + 1}", "importance": 2}]}}
        for i in range(4)]
    lines += [{"text": f"Summary {i}: explored the {['bedroom', 'town', 'route'][i]} and kept moving."}
              for i in range(3)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


def steps_done(run: Path) -> int:
    try:
        with RunReader(run) as r:
            return len(r.step_ids())
    except Exception:
        return 0


def started(run: Path) -> int:
    """How many times the run has started or resumed (a slow machine's start-up must not eat every kill)."""
    try:
        with RunReader(run) as r:
            return r.count("run_started") + r.count("run_resumed")
    except Exception:
        return 0


def fingerprint(run: Path) -> dict:
    with RunReader(run) as r:
        steps = list(r.steps(0))
        return {
            "step_ids_ok": [e.step for e in steps] == list(range(len(steps))),
            "steps": len(steps),
            "actions": [json.dumps([e.action, e.env_actions], sort_keys=True) for e in steps],
            "prompts": [e.prompt_ref for e in steps],
            "harness_hash": r.last(HarnessVersion).hash,
            "harness_version": r.last(HarnessVersion).version,
            "passes": [(p.at_step, p.name, p.status, p.applied) for _, p in r.events("refine_pass")
                       if isinstance(p, RefinePass)],
            "gate": [(g.version, g.kept) for _, g in r.events("gate_decision") if isinstance(g, GateDecision)],
            "cut_spans": [s for _, e in r.events("run_resumed") if isinstance(e, RunResumed) for s in e.cut_spans],
            "subagent_calls": sum(c.name == "call_subagent" and c.kind == "action" for e in steps for c in e.calls),
            "summaries": [(e.upto, e.text) for _, e in r.events("summary")],
            "memory_ops": [(e.step, e.op.op, e.op.entry.id, e.op.entry.text) for _, e in r.events("memory")],
            "memory_reads": [(e.step, e.ids) for _, e in r.events("memory_read")],
            "resumes": r.count("run_resumed"),
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", type=Path, help="keep the two runs in this (new) directory, to look into a mismatch")
    args = ap.parse_args()
    print(f"fault campaign seed {args.seed} (rerun with --seed {args.seed})", flush=True)
    rng = random.Random(args.seed)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) if args.keep is None else args.keep
        tmp.mkdir(parents=True, exist_ok=True)
        replies = script(tmp / "replies.jsonl", 11)
        common = ["--env", "quest", "--harness", "continual", "--model", f"scripted:{replies}", "--steps",
                  str(args.steps), "--quiet"]
        ref, run = tmp / "ref", tmp / "run"
        subprocess.run(cli("run", *common, "--run-dir", str(ref), "--savestate-every", "25"), cwd=ROOT, check=True,
                       stderr=subprocess.DEVNULL)
        ref_s = time.monotonic() - t0
        cmd = cli("run", *common, "--run-dir", str(run), "--savestate-every", "7")
        kills = 0
        while kills < args.kills:
            starts = started(run)
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            if rng.random() < 0.8:  # mostly inside the loop: wait until this process has (re)started the run
                deadline = time.monotonic() + 60
                while started(run) == starts and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
            time.sleep(rng.uniform(0.05, 3.0))  # start-up, resume replay, memory open, steps, passes, calls
            if proc.poll() is not None:
                break  # the run finished before this kill
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            if (run / "run.sqlite").exists():  # a kill during the very first start-up leaves nothing to resume
                cmd = cli("resume", str(run), "--steps", str(args.steps), "--quiet")
            if kills % 10 == 0:
                print(f"  {kills} kills, {steps_done(run)} steps committed", flush=True)
        final = subprocess.run(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        if final.returncode:
            print(f"the last resume failed: {final.stderr.strip().splitlines()[-1]}", flush=True)
            return 1
        got, want = fingerprint(run), fingerprint(ref)
    same = {k: got[k] == want[k] for k in ("steps", "actions", "prompts", "harness_hash", "harness_version",
                                           "passes", "gate", "summaries", "memory_ops", "memory_reads")}
    results = {"seed": args.seed, "steps": args.steps, "kills": kills, "step_ids_ok": got["step_ids_ok"],
               "resumes": got["resumes"],
               "kills_inside_refiner_passes": sum(s.startswith("refine-") for s in got["cut_spans"]),
               "kills_inside_subagent_calls": sum(s.startswith("sub-") for s in got["cut_spans"]),
               "subagent_calls": want["subagent_calls"], "summaries": len(want["summaries"]),
               "memory_ops": len(want["memory_ops"]), "memory_reads": len(want["memory_reads"]),
               "passes": len(want["passes"]), "gate_decisions": len(want["gate"]),
               "final_harness_version": want["harness_version"], "reference_run_s": round(ref_s, 1),
               "total_s": round(time.monotonic() - t0, 1), **{f"same_{k}": v for k, v in same.items()}}
    diverged = next((i for i, (a, b) in enumerate(zip(got["prompts"], want["prompts"], strict=False)) if a != b), None)
    if diverged is not None:
        results["first_differing_step"] = diverged
    report("faults", results, width=30)
    return 0 if got["step_ids_ok"] and all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
