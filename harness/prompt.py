"""Turns (harness state, observation, recent trajectory) into chat messages.

The system message depends only on the harness version, so it is a stable prefix that provider
prompt caches (and llama.cpp's KV cache) reuse across steps; everything that changes per step is in
the final user message.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from harness.models.base import ImagePart, Message
from harness.state import HarnessState


@dataclass
class Turn:
    """One past step as the model is reminded of it."""

    step: int
    location: str
    position: tuple[int, int]
    buttons: list[str]
    reasoning: str
    after: tuple[str, tuple[int, int]]  # where the step left the player: the cheapest loop signal

    def line(self) -> str:
        pressed = ",".join(self.buttons) if self.buttons else "(no valid action)"
        why = f" - {self.reasoning[:80]}" if self.reasoning else ""
        stayed = self.after == (self.location, self.position)
        moved = "did not move" if stayed else f"-> {self.after[0]} {self.after[1]}"
        return f"step {self.step} at {self.location} {self.position}: pressed {pressed} ({moved}){why}"


def system_message(harness: HarnessState) -> Message:
    parts = [harness.system_prompt.strip()]
    if harness.skills:
        parts.append("Skills:\n" + "\n".join(f"- {s.name}: {s.description}" for s in harness.skills.values()))
    if harness.memory:
        parts.append("Memory:\n" + "\n".join(f"- {m.key}: {m.text}" for m in harness.memory.values()))
    return Message(role="system", content="\n\n".join(parts))


def frame_png(frame: np.ndarray, scale: int = 2) -> bytes:
    img = Image.fromarray(np.ascontiguousarray(frame[:, :, :3]))
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def build_messages(harness: HarnessState, step: int, obs_text: str, history: list[Turn],
                   frame: np.ndarray | None = None) -> list[Message]:
    """`frame` is given only to vision back-ends (upscaled 2x)."""
    recent = "\n".join(t.line() for t in history) or "(none yet)"
    user = f"Recent steps:\n{recent}\n\nNow (step {step}):\n{obs_text}\n\nCall press_buttons."
    images = [ImagePart(png_b64=base64.b64encode(frame_png(frame)).decode())] if frame is not None else []
    return [system_message(harness), Message(role="user", content=user, images=images)]
