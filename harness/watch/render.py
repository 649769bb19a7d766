"""Text and renderables for `harness watch`: steps, the observation, stats, the harness document."""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from rich_pixels import Pixels

from harness.log.events import Milestone, Step
from harness.state import HarnessState
from harness.watch.feed import Feed

STATE_STYLE = {"live": ("● live", "bold green"), "paused": ("⏸ paused", "bold yellow"),
               "stopping": ("■ stopping", "bold red"), "stopped": ("■ stopped", "bold red")}
PENDING = {"pause": "pausing…", "resume": "resuming…", "stop": "stopping…"}


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def action_text(action: dict[str, Any] | None) -> str:
    """press_buttons -> its buttons; any other tool -> name(args)."""
    if action is None:
        return "(none)"
    args = action.get("arguments") or {}
    if action.get("name") == "press_buttons" and isinstance(args.get("buttons"), list):
        return " ".join(str(b) for b in args["buttons"])
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items() if k != "reasoning")
    return f"{action.get('name')}({inner})"


def calls_text(step: Step) -> str:
    return " ".join(f"{c.name}{'' if c.ok else '✗'}" for c in step.calls)


def step_row(step: Step) -> tuple[Text | str, ...]:
    """A steps-table row: step, action, where, reasoning, meta-tool calls."""
    action = Text(clip(action_text(step.action), 24), style="red" if step.format_failure else "")
    if step.new_milestones:
        action.append(" ★", style="bold yellow")
    return (Text(str(step.step), justify="right"), action, clip(step.label, 18), clip(step.reasoning, 48),
            clip(calls_text(step), 32))


def model_name(config: dict[str, Any]) -> str:
    """The model spec, with a scripted model's file shown by name only."""
    spec = str(config.get("model", "?"))
    if spec.startswith("scripted:"):
        return "scripted:" + Path(spec.split(":", 1)[1]).name
    return spec


def status_line(feed: Feed, selected: int | None) -> Text:
    """The one-line status: run state (or the pending request), where the view is, the totals."""
    label, style = STATE_STYLE.get(feed.state, (feed.state, "bold"))
    if feed.state == "stopped" and feed.stop_reason == "steps_done":
        label, style = "✔ done", "bold cyan"
    elif feed.state == "stopped" and feed.stop_reason not in ("", "stopped"):
        label = f"■ stopped ({feed.stop_reason})"  # budget, interrupted, error
    text = Text(label, style=style)
    if feed.pending is not None:
        text.append(f"  {PENDING[feed.pending.action]} ({feed.pending.source})", style="bold magenta")
    last = feed.last_step
    if selected is not None:
        text.append(f"  ◀ history: step {selected} of {last.step if last else '?'}", style="bold reverse")
        text.append(" (l: live)", style="dim")
    if last is not None:
        t = last.totals
        text.append(f"  step {last.step}  presses {t.presses}  tok {human(t.tokens)}  ${t.cost_usd:.4f}")
    if feed.version is not None:
        text.append(f"  H v{feed.version.version}")
    text.append(f"  ★ {len(feed.milestones)}", style="yellow")
    return text


def human(n: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def stats(feed: Feed) -> Text:
    """Totals, rates over the recent window, harness and memory counts."""
    out = Text()
    last = feed.last_step
    cfg = feed.config()
    out.append("run      ", style="dim")
    out.append(f"{feed.reader.run_dir.name}  {cfg.get('env', '?')}  {model_name(cfg)}\n")
    if last is None:
        out.append("no steps yet\n", style="dim")
    else:
        t = last.totals
        cached = f" ({t.tokens_cached / t.tokens_in:.0%} cached)" if t.tokens_in else ""
        out.append("steps    ", style="dim")
        out.append(f"{t.steps}   presses {t.presses}   calls {t.model_calls}\n")
        out.append("tokens   ", style="dim")
        out.append(f"{t.tokens_in:,} in  {t.tokens_out:,} out{cached}\n")
        out.append("cost     ", style="dim")
        out.append(f"${t.cost_usd:.4f}   format failures {t.format_failures}\n")
    rates = feed.rates()
    if rates is not None:
        out.append("per step ", style="dim")
        out.append(f"{human(rates.tokens_per_step)} tok  ${rates.usd_per_step:.5f}  "
                   f"{rates.presses_per_step:.1f} presses\n")
        out.append("per min  ", style="dim")
        if rates.tokens_per_min is None or rates.usd_per_min is None:
            out.append("-\n")
        else:
            out.append(f"{human(rates.tokens_per_min)} tok  ${rates.usd_per_min:.4f}")
        out.append(f"  (last {rates.steps} steps)\n", style="dim")
    c = feed.counts
    out.append("harness  ", style="dim")
    version = f"v{feed.version.version}" if feed.version else "?"
    out.append(f"{version} (preset {cfg.get('harness', '?')})\n")
    out.append("refiner  ", style="dim")
    out.append(f"{c.get('refine', 0)} passes  {c.get('refused', 0)} refused  {c.get('rollback', 0)} rollbacks\n")
    out.append("memory   ", style="dim")
    out.append(f"{c.get('memory', 0)} ops")
    return out


def milestone_row(m: Milestone) -> tuple[str | Text, ...]:
    return (m.name, Text(str(m.step), justify="right"), Text(str(m.presses), justify="right"),
            Text(human(m.tokens), justify="right"), Text(f"${m.cost_usd:.4f}", justify="right"))


def observation(feed: Feed, step: Step) -> Text:
    """What a step did (action, reasoning, meta-tool calls with results), then what the model saw."""
    out = Text()
    out.append("→ ", style="bold cyan")
    out.append(action_text(step.action), style="bold")
    out.append(f"   {step.label_before} → {step.label}\n", style="dim")
    if step.reasoning:
        out.append(step.reasoning.strip() + "\n", style="italic")
    for c in step.calls:
        out.append("✓ " if c.ok else "✗ ", style="green" if c.ok else "red")
        out.append(f"{c.name}", style="bold")
        out.append(f"({clip(json.dumps(c.arguments), 120)})", style="dim")
        if c.result:
            out.append(f" → {clip(c.result, 200)}")
        out.append("\n")
    if step.new_milestones:
        out.append(f"★ {', '.join(step.new_milestones)}\n", style="bold yellow")
    out.append(f"v{step.harness_version}  {step.tokens_in}+{step.tokens_out} tok  ${step.cost_usd:.5f}  "
               f"{step.model_calls} calls\n", style="dim")
    out.append("── observation ──\n", style="dim")
    try:
        out.append(feed.text(step.obs_ref).rstrip())
    except Exception as e:  # a missing blob is shown, not fatal
        out.append(f"(observation unavailable: {e})", style="red")
    return out


@lru_cache(maxsize=16)
def decode_png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def frame(image: Image.Image, width: int, height: int) -> RenderableType:
    """The image scaled to fit width x height cells (two pixels a cell, half-block characters)."""
    px_w, px_h = max(1, width), max(2, height * 2)
    scale = min(px_w / image.width, px_h / image.height)
    size = (max(1, round(image.width * scale)), max(2, round(image.height * scale) // 2 * 2))
    return Pixels.from_image(image.resize(size, Image.Resampling.LANCZOS))


def blocks(doc: HarnessState) -> Group:
    parts: list[RenderableType] = []
    for b in doc.blocks:
        head = Text(f"▌{b.label}", style="bold cyan")
        who = "read-only" if b.read_only else "refiner-only" if b.refiner_only else "editable"
        head.append(f"  {b.placement}  {len(b.value)}/{b.limit} chars  {who}", style="dim")
        if b.description:
            head.append(f"\n  {b.description}", style="dim italic")
        parts += [head, Text(b.value.rstrip() or "(empty)", style="" if b.value.strip() else "dim"), Text("")]
    tools = Text("meta-tools  ", style="bold")
    tools.append(", ".join(doc.tools) or "(none)")
    parts.append(tools)
    return Group(*parts)


def skills(doc: HarnessState, code: dict[str, str]) -> Group | Text:
    """Each skill: name, kind, versions, description, then its current code (or text). `code`: ref -> text."""
    if not doc.skills:
        return Text("No skills in this harness version.", style="dim")
    parts: list[RenderableType] = []
    for s in doc.skills.values():
        head = Text(f"▌{s.name}", style="bold cyan")
        head.append(f"  {s.kind}  {len(s.versions)} version{'s' if len(s.versions) > 1 else ''}, "
                    f"current from step {s.current.step}", style="dim")
        if s.current.reason:
            head.append(f" ({s.current.reason})", style="dim")
        parts += [head, Text(s.description, style="italic")]
        body = code.get(s.current.ref, "(code unavailable)").rstrip()
        parts.append(Syntax(body, "python", theme="ansi_dark", line_numbers=True, word_wrap=True)
                     if s.kind == "code" else Text(body))
        parts.append(Text(""))
    return Group(*parts)


def subagents(doc: HarnessState) -> Group | Text:
    if not doc.subagents:
        return Text("No sub-agents in this harness version.", style="dim")
    parts: list[RenderableType] = []
    for s in doc.subagents.values():
        head = Text(f"▌{s.name}", style="bold cyan")
        head.append(f"  max {s.max_turns} turns  tools: {', '.join(s.tools) or '(none)'}", style="dim")
        parts += [head, Text(s.instructions.rstrip()), Text(f"returns: {s.returns}", style="italic"), Text("")]
    return Group(*parts)


def diff_text(diff: str) -> Text:
    out = Text()
    for line in diff.splitlines():
        style = ("bold" if line.startswith(("---", "+++")) else "green" if line.startswith("+")
                 else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else "")
        out.append(line + "\n", style=style)
    return out
