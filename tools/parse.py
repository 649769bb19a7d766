"""The one tool-call parser: a model reply -> (tool, validated arguments), or a FormatError whose
message is fed back to the model for a repair."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from tools.base import Tool, ToolCall


class FormatError(Exception):
    """The reply is not a usable tool call; the message says why, for the model to repair it."""


@dataclass
class ParsedCall:
    tool: Tool
    call: ToolCall
    args: BaseModel
    reasoning: str = ""


def parse_call(tool_calls: list[ToolCall], text: str, tools: Mapping[str, Tool]) -> ParsedCall:
    """The first call to an offered tool. Models without native tools sometimes write the call as
    text: a JSON object {"tool": name, "arguments": {...}} found in the text is accepted too, and so
    are bare arguments when exactly one action tool is offered."""
    names = ", ".join(tools)
    for call in tool_calls:
        if call.name in tools:
            return _validated(tools[call.name], call)
    if tool_calls:
        raise FormatError(f"unknown tool {tool_calls[0].name!r}; call one of: {names}")
    candidate = json_in_text(text)
    if isinstance(candidate, dict):
        name, arguments = candidate.get("tool"), candidate.get("arguments")
        if isinstance(name, str) and isinstance(arguments, dict):
            if name not in tools:
                raise FormatError(f"unknown tool {name!r}; call one of: {names}")
            return _validated(tools[name], ToolCall(name=name, arguments=arguments))
        actions = [t for t in tools.values() if t.kind == "action"]
        if len(actions) == 1:
            return _validated(actions[0], ToolCall(name=actions[0].name, arguments=candidate))
    raise FormatError(f"no tool call in the reply; call one of: {names}")


def _validated(tool: Tool, call: ToolCall) -> ParsedCall:
    arguments = dict(call.arguments)
    reasoning = ""
    if tool.kind == "action":
        reasoning = str(arguments.pop("reasoning", "") or "")
    try:
        args = tool.args.model_validate(arguments)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        raise FormatError(f"{tool.name} arguments invalid: {where}: {err['msg'].removeprefix('Value error, ')}",
                          ) from None
    call = call if call.id else call.model_copy(update={"id": "call_0"})
    return ParsedCall(tool=tool, call=call, args=args, reasoning=reasoning)


def json_in_text(text: str) -> Any:
    """The first balanced {...} in `text` that parses as JSON, or None."""
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
