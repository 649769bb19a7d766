"""`harness versions` and `harness diff`: the harness versions of a run, and a readable diff of any
two of them (within one run or across two runs). Both read the log only."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from harness.log.events import HarnessVersion, Rollback
from harness.log.store import RunReader
from harness.state import HarnessState
from harness.state.versions import load_version


def versions(reader: RunReader) -> list[dict[str, Any]]:
    """One row per version: version, parent, step, trigger, reason, hash, and whether a later
    rollback undid it."""
    undone: dict[int, int] = {}
    for _, ev in reader.events("rollback"):
        assert isinstance(ev, Rollback)
        for v in range(ev.to_version + 1, ev.from_version + 1):
            undone.setdefault(v, ev.new_version)
    rows = []
    for _, ev in reader.events("harness_version"):
        assert isinstance(ev, HarnessVersion)
        rows.append({"version": ev.version, "parent": ev.parent, "step": ev.step, "trigger": ev.trigger,
                     "reason": ev.reason, "hash": ev.hash, "changes": len(ev.patch),
                     "rolled_back_by": undone.get(ev.version)})
    return rows


def render(h: HarnessState) -> list[str]:
    """The document as lines a person reads: each block, sub-agent, skill and the memory settings."""
    lines = [f"preset: {h.preset}", f"meta-tools: {', '.join(h.tools) or '(none)'}"]
    for b in h.blocks:
        flags = f"limit {b.limit}" + (", read-only" if b.read_only else "")
        flags += ", refiner-only" if b.refiner_only else ""
        lines += [f"[block {b.label}] ({flags})", *(b.value.splitlines() or [""])]
    for s in h.subagents.values():
        lines += [f"[sub-agent {s.name}] tools: {', '.join(s.tools) or '(none)'}; max turns {s.max_turns}",
                  *s.instructions.splitlines(), f"returns: {s.returns}"]
    for k in h.skills.values():
        lines += [f"[skill {k.name}] ({k.kind}, {len(k.versions)} versions, current {k.current.ref[:12]})",
                  k.description]
    lines.append(f"[memory] {json.dumps(h.memory.model_dump(), sort_keys=True)}")
    return lines


def unified(a: HarnessState, b: HarnessState, name_a: str, name_b: str) -> str:
    return "\n".join(difflib.unified_diff(render(a), render(b), name_a, name_b, lineterm=""))


def diff_runs(run_a: Path, version_a: int, run_b: Path, version_b: int) -> str:
    with RunReader(run_a) as ra:
        a = load_version(ra, version_a)
    with RunReader(run_b) as rb:
        b = load_version(rb, version_b)
    same = run_a == run_b
    return unified(a, b, f"v{version_a}" if same else f"{run_a}:v{version_a}",
                   f"v{version_b}" if same else f"{run_b}:v{version_b}")
