"""The agent's tool surface: the functions a model may call each turn.

`press_buttons` is the action primitive. Meta-tools that edit the harness (memory, skills,
sub-agents, refinement) join this registry as they land; each is a ToolSpec plus a parser that
turns the model's arguments into a validated request, so every back-end sees the same surface.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from envs.base import BUTTONS
from harness.models.base import ToolCall, ToolSpec

MAX_PRESSES = 5


class PressButtons(BaseModel):
    """Arguments of press_buttons, validated."""

    buttons: list[str] = Field(min_length=1, max_length=MAX_PRESSES)
    reasoning: str = ""

    @field_validator("buttons", mode="before")
    @classmethod
    def _normalise(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [p for p in v.replace(";", ",").replace(" ", ",").split(",") if p]
        if isinstance(v, list):
            out = [str(b).strip().upper() for b in v]
            bad = [b for b in out if b not in BUTTONS]
            if bad:
                raise ValueError(f"unknown button(s) {bad}; use {', '.join(BUTTONS)}")
            return out
        return v


PRESS_BUTTONS = ToolSpec(
    name="press_buttons",
    description=(
        f"Press 1 to {MAX_PRESSES} Game Boy buttons in order (each press counts). "
        "A direction moves one tile or turns; A interacts / advances text; B cancels; START opens the menu."
    ),
    parameters={
        "type": "object",
        "properties": {
            "reasoning": {"type": "string", "maxLength": 160, "description": "one short sentence: why"},
            "buttons": {
                "type": "array",
                "items": {"type": "string", "enum": list(BUTTONS)},
                "minItems": 1,
                "maxItems": MAX_PRESSES,
            },
        },
        "required": ["reasoning", "buttons"],
    },
)

ACTION_TOOLS: list[ToolSpec] = [PRESS_BUTTONS]


class FormatError(Exception):
    """The reply is not a usable tool call; the message is fed back to the model for repair."""


def parse_action(tool_calls: list[ToolCall], text: str) -> PressButtons:
    """Accept the first press_buttons call; else try JSON found in the text (models without
    native tools sometimes write the call as text)."""
    for call in tool_calls:
        if call.name == PRESS_BUTTONS.name:
            try:
                return PressButtons.model_validate(call.arguments)
            except ValidationError as e:
                raise FormatError(f"press_buttons arguments invalid: {_first_error(e)}") from None
    candidate = _json_in_text(text)
    if candidate is not None:
        args = candidate.get("arguments", candidate) if isinstance(candidate, dict) else None
        if isinstance(args, dict):
            try:
                return PressButtons.model_validate(args)
            except ValidationError as e:
                raise FormatError(f"press_buttons arguments invalid: {_first_error(e)}") from None
    if tool_calls:
        raise FormatError(f"unknown tool {tool_calls[0].name!r}; call press_buttons")
    raise FormatError("no press_buttons call in the reply")


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _json_in_text(text: str) -> Any:
    import json

    start = text.find("{")
    while start != -1:
        depth = 0
        for i in range(start, len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        return json.loads(text[start : i + 1], strict=False)
                    except json.JSONDecodeError:
                        break
        start = text.find("{", start + 1)
    return None
