"""The model's context window, derived from Step events by one function used both live and on
resume (so a resumed run shows the model exactly what an uninterrupted one would have).

History lines are dropped in chunks: at step s the window starts at the last multiple of `chunk` at
or before s - history, so between chunk boundaries lines are only appended. The prompt prefix
(system text + the lines so far) then stays byte-identical from one step to the next, and
llama.cpp's KV cache or a provider's prompt cache reuses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness.log.events import Milestone, Step


def window_start(step: int, history: int, chunk: int) -> int:
    """First step id shown in the prompt of step `step` (between `history` and history+chunk-1 lines)."""
    if history <= 0:
        return step
    first = step - history
    return max(0, first - first % chunk)


def window(recent: Iterable[Step], step: int, history: int, chunk: int) -> list[Step]:
    start = window_start(step, history, chunk)
    return [e for e in recent if start <= e.step < step]


def format_action(action: dict[str, Any] | None) -> str:
    """`press_buttons UP,A`, `click 3`, `type 2 "Ada Lovelace"`: compact, for history lines."""
    if action is None:
        return "(no valid action)"
    parts = [action["name"]]
    for key, value in action.get("arguments", {}).items():
        if key == "reasoning":  # a macro tool's own reasoning argument: the line shows the step's reasoning
            continue
        if isinstance(value, list):
            parts.append(",".join(str(v) for v in value))
        elif isinstance(value, str) and (not value or " " in value):
            parts.append(f'"{value[:40]}"')
        else:
            parts.append(str(value))
    return " ".join(parts)


def turn_line(e: Step) -> str:
    """One past step as the model is reminded of it; where the step left the player is the
    cheapest loop signal."""
    meta = "".join(f"[{c.name}{'' if c.ok else ' failed'}] " for c in e.calls if c.kind != "action")
    moved = "did not move" if e.where == e.where_before else f"-> {e.label}"
    why = f" - {e.reasoning[:60]}" if e.reasoning else ""
    macro = next((f" => {c.result[:80]}" for c in e.calls if c.kind == "action"), "")  # what a macro reported
    return f"step {e.step} at {e.label_before}: {meta}{format_action(e.action)}{macro} ({moved}){why}"


MAX_SUMMARY_MILESTONES = 8


def earlier_summary(start: int, before: Step | None, milestones: Iterable[Milestone]) -> str:
    """A deterministic summary of the steps that left the window (0 .. start-1), from the log as of
    `start` only: it changes only at chunk boundaries (cache-safe) and a resumed run writes the same
    text. Bounded: the newest MAX_SUMMARY_MILESTONES milestones, with a count of the rest."""
    if start <= 0 or before is None:
        return ""
    reached = sorted((m for m in milestones if m.step < start), key=lambda m: m.step)
    shown = ", ".join(f"{m.name} (step {m.step})" for m in reached[-MAX_SUMMARY_MILESTONES:])
    more = f"{len(reached) - MAX_SUMMARY_MILESTONES} more, then " if len(reached) > MAX_SUMMARY_MILESTONES else ""
    done = f"milestones: {more}{shown}" if reached else "no milestone yet"
    return (f"Earlier (steps 0-{start - 1}): {before.totals.presses} presses; {done}; "
            f"at step {start - 1} you were at {before.label}.")
