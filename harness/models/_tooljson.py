"""Tool calls as one JSON object, for back-ends without native tool calling (llama.cpp, vLLM).

The model is constrained (grammar / structured output) to emit `{"tool": <name>, "arguments": {...}}`
where `arguments` follows that tool's own schema. Strings and arrays get hard caps so a small model
cannot ramble until max_tokens cuts the JSON in half.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from harness.models.base import ToolCall, ToolSpec

DEFAULT_MAX_STRING_CHARS = 240
DEFAULT_MAX_ARRAY_ITEMS = 8


def capped_schema(schema: dict[str, Any], max_string_chars: int, max_array_items: int) -> dict[str, Any]:
    """A copy of `schema` where every string has maxLength <= max_string_chars and every array
    maxItems <= max_array_items (existing tighter caps are kept)."""
    out = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "string" in kinds and "enum" not in node and "const" not in node:
                node["maxLength"] = min(node.get("maxLength", max_string_chars), max_string_chars)
            if "array" in kinds:
                node["maxItems"] = min(node.get("maxItems", max_array_items), max_array_items)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(out)
    return out


def tool_union_schema(
    tools: list[ToolSpec],
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS,
    max_array_items: int = DEFAULT_MAX_ARRAY_ITEMS,
) -> dict[str, Any]:
    """JSON schema accepting exactly one call of one of `tools`: {"tool": name, "arguments": {...}}."""
    if not tools:
        raise ValueError("no tools given: a back-end must be offered at least one tool to call")
    variants = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": tool.name},
                "arguments": capped_schema(tool.parameters, max_string_chars, max_array_items),
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for tool in tools
    ]
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


def tools_prompt(tools: list[ToolSpec]) -> str:
    """The tool list as text for models that only see the prompt (the grammar enforces the shape;
    this tells the model what the names mean)."""
    lines = ['Reply with one JSON object {"tool": <name>, "arguments": {...}} calling one of these tools:']
    for tool in tools:
        args = "; ".join(_describe(name, prop) for name, prop in tool.parameters.get("properties", {}).items())
        lines.append(f"- {tool.name}: {tool.description} Arguments: {args}")
    return "\n".join(lines)


def _describe(name: str, prop: dict[str, Any]) -> str:
    """One argument in words. A raw schema dump invites a small model to copy the enum list verbatim
    (SmolLM2 answered ["UP","DOWN","LEFT","RIGHT","A"] to everything), so choices are named as a set."""
    items = prop.get("items", {})
    choices = prop.get("enum") or items.get("enum")
    text = name
    if prop.get("type") == "array":
        text += f" (list of {prop.get('minItems', 0)}-{prop.get('maxItems', 'n')}"
        text += f", each one of {{{' '.join(sorted(choices))}}})" if choices else ")"
    elif choices:
        text += f" (one of {{{' '.join(sorted(choices))}}})"
    else:
        text += f" ({prop.get('type', 'any')})"
    if prop.get("description"):
        text += f": {prop['description']}"
    return text


def parse_tool_json(text: str) -> list[ToolCall]:
    """The tool call in `text`, or [] when it is not a {"tool": str, "arguments": dict} object.
    Not an error: the runtime repairs and counts format failures."""
    try:
        # strict=False: llama.cpp's JSON grammar lets raw newlines into strings (seen in a demo run)
        data = json.loads(text, strict=False)
    except (json.JSONDecodeError, TypeError):
        return []
    if not isinstance(data, dict):
        return []
    name, arguments = data.get("tool"), data.get("arguments")
    if not isinstance(name, str) or not isinstance(arguments, dict):
        return []
    return [ToolCall(name=name, arguments=arguments)]
