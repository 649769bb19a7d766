"""Harness state H = (p, G, K, M), version 2: a plain, validated document with a content hash.

- p: prompt blocks (label, value, character limit, read-only), as Letta's memory blocks; an edit over
  the limit or on a read-only block is refused with a clear message.
- G: sub-agent specs (name, instructions, allowed tools, capped turns, what to return).
- K: skill references with their version history (code and text live in the run store by hash;
  a rewrite adds a version and never overwrites, as Voyager does).
- M: memory settings only. Memory entries are events + an index outside H, so a memory write does
  not churn a harness version or break the cached prompt prefix.
Plus the meta-tools the agent may call (action tools come from the env).

H changes only through harness/state/versions.py (commit / rollback / diff).
Presets are data files in harness/state/presets/.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

import jsonpatch
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from memory.store import MemorySettings

HARNESS_FORMAT = 2
MAX_BLOCK_CHARS = 20_000
MAX_SUBAGENT_TURNS = 20
PRESETS_DIR = Path(__file__).parent / "presets"
LABEL_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class HarnessEditError(ValueError):
    """An edit that would break a rule of the document (limit, read-only, unknown item); one line."""


class PromptBlock(BaseModel):
    label: str = Field(pattern=LABEL_PATTERN)
    value: str
    limit: int = Field(2000, ge=1, le=MAX_BLOCK_CHARS, description="most characters the value may hold")
    read_only: bool = Field(False, description="the agent and the refiner may not edit it")
    refiner_only: bool = Field(False, description="the acting agent reads it but may not edit it; the refiner may "
                                                  "(its guidance, which the agent would otherwise overwrite)")
    placement: Literal["system", "tail"] = Field(
        "system", description="system: in the stable system prompt; tail: in each step's message, after the recent "
                              "steps (for a block the agent rewrites often: an edit then leaves the cached prefix, "
                              "system prompt and history lines, intact)")
    description: str = Field("", description="what the block is for (shown to editors, not in the prompt)")

    @model_validator(mode="after")
    def _within_limit(self) -> PromptBlock:
        if len(self.value) > self.limit:
            raise ValueError(f"block {self.label!r}: {len(self.value)} characters is over its limit of {self.limit}")
        return self


class SubAgentSpec(BaseModel):
    name: str = Field(pattern=LABEL_PATTERN)
    instructions: str = Field(max_length=4000)
    tools: list[str] = Field(default_factory=list, description="a subset of the orchestrator's tools")
    max_turns: int = Field(5, ge=1, le=MAX_SUBAGENT_TURNS)
    returns: str = Field("a short summary of what was done and seen", description="the return condition")


class SkillVersion(BaseModel):
    ref: str = Field(description="blob ref of the code (kind=code) or text (kind=text) of this version")
    step: int
    reason: str = ""


class SkillRef(BaseModel):
    name: str = Field(pattern=LABEL_PATTERN)
    description: str
    kind: Literal["text", "code"] = "text"
    versions: list[SkillVersion] = Field(min_length=1, description="every version ever written; the last is current")

    @property
    def current(self) -> SkillVersion:
        return self.versions[-1]


class HarnessState(BaseModel):
    format: int = HARNESS_FORMAT
    preset: str
    blocks: list[PromptBlock] = Field(min_length=1)
    tools: list[str] = Field(default_factory=list, description="meta-tools the agent may call")
    subagents: dict[str, SubAgentSpec] = Field(default_factory=dict)
    skills: dict[str, SkillRef] = Field(default_factory=dict)
    memory: MemorySettings = Field(default_factory=MemorySettings)

    @field_validator("blocks")
    @classmethod
    def _unique_labels(cls, blocks: list[PromptBlock]) -> list[PromptBlock]:
        labels = [b.label for b in blocks]
        if len(set(labels)) != len(labels):
            raise ValueError(f"prompt block labels must be unique, got {labels}")
        return blocks

    def doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def canonical_json(self) -> str:
        return json.dumps(self.doc(), sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def block(self, label: str) -> PromptBlock:
        for b in self.blocks:
            if b.label == label:
                return b
        raise HarnessEditError(f"no prompt block {label!r}; blocks: {', '.join(b.label for b in self.blocks)}")

    def with_block(self, label: str, value: str) -> HarnessState:
        """A copy with block `label` set to `value` (read-only and limit enforced)."""
        block = self.block(label)
        if block.read_only:
            raise HarnessEditError(f"block {label!r} is read-only")
        if len(value) > block.limit:
            raise HarnessEditError(f"block {label!r}: {len(value)} characters is over its limit of {block.limit}")
        blocks = [b.model_copy(update={"value": value}) if b.label == label else b for b in self.blocks]
        return self.model_copy(update={"blocks": blocks})

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> HarnessState:
        """Validate a proposed document; a broken one raises HarnessEditError with the first problem."""
        try:
            return cls.model_validate(doc)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "document"
            raise HarnessEditError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None


def diff(a: HarnessState, b: HarnessState) -> list[dict[str, Any]]:
    """JSON patch turning a into b."""
    return jsonpatch.make_patch(a.doc(), b.doc()).patch


def apply_patch(a: HarnessState, patch: list[dict[str, Any]]) -> HarnessState:
    return HarnessState.model_validate(jsonpatch.apply_patch(a.doc(), patch))


def preset_names() -> list[str]:
    return sorted({p.stem.split(".")[0] for p in PRESETS_DIR.glob("*.toml")})


def preset(name: str, env: str | None = None) -> HarnessState:
    """A built-in starting harness: harness/state/presets/<name>.<env>.toml when the preset is
    hand-made for that env (expert), else <name>.toml."""
    path = PRESETS_DIR / f"{name}.{env}.toml"
    if not path.is_file():
        path = PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        made_for = sorted(p.stem.split(".", 1)[1] for p in PRESETS_DIR.glob(f"{name}.*.toml"))
        if made_for:
            raise ValueError(f"the {name!r} preset is hand-made per game and has no version for env {env!r}; "
                             f"it exists for: {', '.join(made_for)}")
        raise ValueError(f"unknown harness preset {name!r}; available: {', '.join(preset_names())}")
    data = tomllib.loads(path.read_text())
    data.setdefault("preset", name)
    return HarnessState.model_validate(data)
