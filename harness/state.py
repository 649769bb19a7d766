"""Harness state H = (p, G, K, M): a plain, validated, versioned document.

p: system prompt; G: sub-agents; K: skills; M: memory. The document is what the refiner edits;
every change is recorded in the run store as a JSON-patch against the previous version, so any
two versions can be diffed and a run can be replayed or resumed with the exact harness it had.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

import jsonpatch
from pydantic import BaseModel, Field

HARNESS_FORMAT = 1


class SubAgent(BaseModel):
    name: str
    instructions: str
    tools: list[str] = Field(default_factory=list, description="tool names this sub-agent may call")
    max_turns: int = 5


class Skill(BaseModel):
    name: str
    description: str
    kind: Literal["text", "code"] = "text"
    body: str = Field(description="heuristic text, or Python source for kind=code")


class MemoryEntry(BaseModel):
    key: str
    text: str
    tags: list[str] = Field(default_factory=list)


class HarnessState(BaseModel):
    format: int = HARNESS_FORMAT
    preset: str
    system_prompt: str
    subagents: dict[str, SubAgent] = Field(default_factory=dict)
    skills: dict[str, Skill] = Field(default_factory=dict)
    memory: dict[str, MemoryEntry] = Field(default_factory=dict)

    def doc(self) -> dict:
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        canonical = json.dumps(self.doc(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def diff(self, other: HarnessState) -> list[dict]:
        """JSON-patch turning self into other."""
        return jsonpatch.make_patch(self.doc(), other.doc()).patch

    def apply(self, patch: list[dict]) -> HarnessState:
        return HarnessState.model_validate(jsonpatch.apply_patch(self.doc(), patch))


MINIMAL_PROMPT = """\
You are an agent playing a Game Boy game, one turn at a time, in a single continuous run.
Each turn you see the current screen as text: your location, position, facing, any dialog on screen,
and a map of the tiles around you (@ is you, . walkable, # wall, ? object, N person, D door).
Choose 1 to 5 buttons to press now by calling press_buttons. Buttons: UP DOWN LEFT RIGHT A B START SELECT.
A direction moves one tile (or turns to face that way). A talks to what you face and advances dialog.
Explore to make progress in the game; avoid repeating moves that do not change your position."""


def preset(name: str) -> HarnessState:
    """Built-in starting harnesses."""
    if name == "minimal":
        return HarnessState(preset="minimal", system_prompt=MINIMAL_PROMPT)
    raise ValueError(f"unknown harness preset {name!r}; available: minimal")
