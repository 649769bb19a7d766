"""Turns (harness state, observation, recent steps) into chat messages.

Two parts, in this order:
- a stable prefix, the system message: the prompt blocks, the env's instructions, the sub-agent
  roster. It changes only when the harness version changes, so provider prompt caches and
  llama.cpp's KV cache keep it (the back-ends send the tool list with it);
- a per-step tail, one user message: recent steps (appended in chunks, see context.py), the
  observation, and an instruction generated from the env's action tools.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from harness.models.base import ImagePart, Message
from harness.state import HarnessState, PromptBlock, SubAgentSpec


def system_text(harness: HarnessState, env_instructions: str) -> str:
    """Most stable first, so an edit re-evaluates as little as possible of the cached prefix: the
    read-only blocks, the env's instructions, then what edits change (the refiner's own blocks, the
    sub-agent roster, the editable blocks: the agent's own notes last)."""
    def block_text(i: int, block: PromptBlock) -> str:
        shown_empty = not (block.read_only or block.refiner_only) and harness.tools
        value = block.value.strip() or ("(empty)" if shown_empty else "")
        if not value:
            return ""
        return value if i == 0 else f"## {block.label.replace('_', ' ').capitalize()}\n{value}"

    blocks = [(i, b) for i, b in enumerate(harness.blocks) if b.placement == "system"]
    fixed = [block_text(i, b) for i, b in blocks if b.read_only or i == 0]
    refiners = [block_text(i, b) for i, b in blocks if b.refiner_only and not (b.read_only or i == 0)]
    editable = [block_text(i, b) for i, b in blocks if not (b.read_only or b.refiner_only or i == 0)]
    parts = list(fixed)
    if env_instructions.strip():
        parts.append(f"## Reading the observation\n{env_instructions.strip()}")
    parts += refiners
    if harness.subagents:
        roster = "\n".join(f"- {s.name}: {(s.instructions.strip().splitlines() or ['(no instructions)'])[0][:120]}"
                           for s in harness.subagents.values())
        parts.append(f"## Sub-agents you can call\n{roster}")
    return "\n\n".join(p for p in parts + editable if p)


def tail_text(harness: HarnessState) -> str:
    """The blocks placed in each step's message (after the recent steps), e.g. the agent's notes."""
    parts = [f"## {b.label.replace('_', ' ').capitalize()}\n{b.value.strip() or '(empty)'}"
             for b in harness.blocks if b.placement == "tail"]
    return "\n\n".join(parts)


def instruction(action_names: list[str]) -> str:
    if len(action_names) == 1:
        return f"Act now: call {action_names[0]}."
    return f"Act now: call one of {', '.join(action_names)}."


def frame_png(frame: np.ndarray, scale: int = 2) -> bytes:
    img = Image.fromarray(np.ascontiguousarray(frame[:, :, :3]))
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def build_messages(system: str, step: int, obs_text: str, lines: list[str], action_names: list[str],
                   frame: np.ndarray | None = None, earlier: str = "", tail: str = "") -> list[Message]:
    """`frame` is given only to vision back-ends (upscaled 2x); `earlier` summarises the steps before
    the window (it changes only when the window moves, so the cached prefix survives)."""
    recent = "\n".join(lines) or "(none yet)"
    head = f"{earlier}\n\n" if earlier else ""
    notes = f"{tail}\n\n" if tail else ""
    user = f"{head}Recent steps:\n{recent}\n\n{notes}Now (step {step}):\n{obs_text}\n\n{instruction(action_names)}"
    images = [ImagePart(png_b64=base64.b64encode(frame_png(frame)).decode())] if frame is not None else []
    return [Message(role="system", content=system), Message(role="user", content=user, images=images)]


def subagent_messages(spec: SubAgentSpec, task: str, obs_text: str, lines: list[str], finish: str) -> list[Message]:
    """A sub-agent's turn: its own instructions and return condition, the task, its turns so far, now."""
    system = (f"{spec.instructions.strip()}\n\nStop when: {spec.returns}. Then call {finish} with a short "
              f"summary for the agent that called you.")
    done = "\n".join(lines) or "(nothing yet)"
    return [Message(role="system", content=system),
            Message(role="user", content=f"Task: {task}\n\nYour turns so far:\n{done}\n\nNow:\n{obs_text}")]


SUMMARY_CHARS = 400


def summary_messages(previous: str, first: int, upto: int, lines: list[str]) -> list[Message]:
    """Ask for the rolling summary: the previous one plus the steps that just left the window."""
    head = f"Summary so far (steps 0-{first - 1}): {previous or '(none)'}\n\n" if first > 0 else ""
    user = (f"{head}Steps {first}-{upto - 1}:\n" + "\n".join(lines) + "\n\n"
            f"Write the updated summary for the agent in at most 3 sentences ({SUMMARY_CHARS} characters): where "
            "it has been, what worked, what failed, what it should do next.")
    return [Message(role="system", content="You keep a short running summary of an agent's progress in a game."),
            Message(role="user", content=user)]
