"""Tool calls as one JSON object, for back-ends without native tool calling (llama.cpp, vLLM).

The model is constrained (grammar / structured output) to emit `{"tool": <name>, "arguments": {...}}`
where `arguments` follows that tool's own schema. Strings and arrays get hard caps so a small model
cannot ramble until max_tokens cuts the JSON in half.

tool_choice in JSON mode:
- "required": the union of every offered tool's call object;
- a tool name: that tool's call object only (the tool list in the prompt still names them all, so
  the prompt prefix does not change with the choice);
- "auto": the union plus one more object, `{"tool": "none", "arguments": {"text": "..."}}`, a plain
  answer in words (the reply's text is that answer and it carries no tool call);
- "none": no constraint at all: free text.
Tool calls and tool results in the conversation become text: the assistant turn is the JSON of its
call, and a result is a user turn "Result of <name>: <content>".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.models.base import Message
from tools.base import AUTO, NONE, REQUIRED, ToolCall, ToolChoice, ToolSpec

DEFAULT_MAX_STRING_CHARS = 240
DEFAULT_MAX_ARRAY_ITEMS = 8
ANSWER_TOOL = "none"  # the pseudo-tool of an "auto" reply that answers in words
ANSWER_FIELD = "text"


def capped_schema(
    schema: dict[str, Any],
    max_string_chars: int,
    max_array_items: int,
    field_chars: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A copy of `schema` where every string has maxLength <= its cap and every array maxItems <=
    max_array_items (existing tighter caps are kept). A string's cap is `field_chars[name]` when it
    is (or sits inside) the property `name`, else `max_string_chars`."""
    out = copy.deepcopy(schema)
    caps = dict(field_chars or {})

    def visit(node: Any, field: str | None) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "string" in kinds and "enum" not in node and "const" not in node:
                cap = caps.get(field, max_string_chars) if field is not None else max_string_chars
                node["maxLength"] = min(node.get("maxLength", cap), cap)
            if "array" in kinds:
                node["maxItems"] = min(node.get("maxItems", max_array_items), max_array_items)
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    for name, prop in value.items():
                        visit(prop, name)
                else:
                    visit(value, field)
        elif isinstance(node, list):
            for value in node:
                visit(value, field)

    visit(out, None)
    return out


def resolve_tool_choice(tools: list[ToolSpec], tool_choice: ToolChoice) -> tuple[str, list[ToolSpec]]:
    """(mode, callable tools) for a tool_choice: mode is "required" (one call of one of the returned
    tools; a named tool gives a list of one), "auto" (a call or words) or "none" (words). "auto" with
    no tools is "none". A name that is not offered, or "required" with no tools, is a ValueError."""
    if tool_choice == NONE:
        return NONE, []
    if tool_choice == AUTO:
        return (AUTO, list(tools)) if tools else (NONE, [])
    if tool_choice == REQUIRED:
        if not tools:
            raise ValueError("no tools given: a back-end must be offered at least one tool to call")
        return REQUIRED, list(tools)
    named = [t for t in tools if t.name == tool_choice]
    if not named:
        offered = ", ".join(t.name for t in tools) or "none"
        raise ValueError(f"tool_choice {tool_choice!r} is not one of the offered tools ({offered})")
    return REQUIRED, named[:1]


def answer_spec() -> ToolSpec:
    """The pseudo-tool an "auto" reply uses to answer in words."""
    return ToolSpec(
        name=ANSWER_TOOL,
        description="Answer in words instead of calling a tool.",
        parameters={
            "type": "object",
            "properties": {ANSWER_FIELD: {"type": "string"}},
            "required": [ANSWER_FIELD],
        },
    )


def tool_union_schema(
    tools: list[ToolSpec],
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS,
    max_array_items: int = DEFAULT_MAX_ARRAY_ITEMS,
    field_chars: Mapping[str, int] | None = None,
    allow_answer: bool = False,
) -> dict[str, Any]:
    """JSON schema accepting exactly one call of one of `tools`: {"tool": name, "arguments": {...}};
    with `allow_answer` also {"tool": "none", "arguments": {"text": "..."}} (tool_choice "auto")."""
    if not tools:
        raise ValueError("no tools given: a back-end must be offered at least one tool to call")
    variants = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": tool.name},
                "arguments": capped_schema(tool.parameters, max_string_chars, max_array_items, field_chars),
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for tool in [*tools, *([answer_spec()] if allow_answer else [])]
    ]
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


def tools_prompt(tools: list[ToolSpec], bare: bool = False) -> str:
    """The tool list as text for models that only see the prompt (the grammar enforces the shape;
    this tells the model what the names mean). The same for every tool_choice, so it can sit in the
    cached prompt prefix; `choice_hint` says what this one call may do. `bare`: the only tool is
    called by replying with its arguments object alone."""
    if bare and len(tools) == 1:
        lines = [f"Reply with one JSON object: the arguments of {tools[0].name}."]
    else:
        lines = ['Reply with one JSON object {"tool": <name>, "arguments": {...}} calling one of these tools:']
    for tool in tools:
        args = "; ".join(_describe(name, prop) for name, prop in tool.parameters.get("properties", {}).items())
        lines.append(f"- {tool.name}: {tool.description} Arguments: {args}")
    return "\n".join(lines)


def choice_hint(mode: str, callable_tools: list[ToolSpec], offered: list[ToolSpec]) -> str:
    """A short instruction for this call only, sent as the last user turn ("" when none is needed).
    It goes after the conversation, so the next call, which appends to the conversation, still
    shares the whole earlier prompt with this one."""
    if mode == NONE:
        return "Answer in plain text now; do not call a tool." if offered else ""
    if mode == AUTO:
        return (
            'Call one tool, or answer in words with {"tool": "none", "arguments": {"text": "<your answer>"}}.'
        )
    if len(callable_tools) == 1 and len(offered) > 1:
        return f"Call {callable_tools[0].name} now."
    return ""


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
    Not an error: the runtime repairs and counts format failures. The call has no id yet."""
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


def parse_reply(text: str, new_id: Callable[[], str]) -> tuple[str, list[ToolCall]]:
    """(text, calls) of a JSON-mode reply: a call gets the id `new_id()`; the "auto" answer
    object becomes its text and no call; anything else stays text with no call."""
    calls = parse_tool_json(text)
    if calls and calls[0].name == ANSWER_TOOL:
        answer = calls[0].arguments.get(ANSWER_FIELD)
        return (answer if isinstance(answer, str) else text), []
    return text, [c.model_copy(update={"id": new_id()}) for c in calls]


def call_json(call: ToolCall) -> str:
    return json.dumps({"tool": call.name, "arguments": call.arguments})


def as_text_messages(messages: list[Message]) -> list[Message]:
    """The conversation with tool calls and results as plain text, for back-ends without native tool
    calling: an assistant turn that called tools is the JSON of its calls (its own text when that
    already is exactly those calls, as a JSON-mode reply's text is: byte-identical turns keep
    llama.cpp's KV cache valid), and a tool result is a user turn "Result of <name>: <content>".
    Images stay on user messages; system messages are kept as they are."""
    out: list[Message] = []
    for m in messages:
        if m.role == "tool":
            out.append(Message(role="user", content=f"Result of {m.name or 'the tool'}: {m.content}"))
        elif m.role == "assistant" and m.tool_calls:
            own = [(c.name, c.arguments) for c in parse_tool_json(m.content)]
            if own == [(c.name, c.arguments) for c in m.tool_calls]:
                content = m.content
            else:
                content = "\n".join(filter(None, [m.content.strip(), *map(call_json, m.tool_calls)]))
            out.append(Message(role="assistant", content=content))
        else:
            out.append(Message(role=m.role, content=m.content, images=list(m.images)))
    return out


def paired(messages: list[Message]) -> list[Message]:
    """The conversation with every native tool call answered and every tool result answering one,
    as OpenAI and Anthropic require: a call with no result in the tool messages right after its
    assistant turn is folded into that turn's text (as its JSON), and a result that answers no call
    of the assistant turn before it becomes a user turn "Result of <name>: <content>"."""
    out: list[Message] = []
    for i, m in enumerate(messages):
        if m.role == "assistant" and m.tool_calls:
            answered: set[str] = set()
            for later in messages[i + 1 :]:
                if later.role != "tool":
                    break
                answered.add(later.tool_call_id)
            keep = [c for c in m.tool_calls if c.id and c.id in answered]
            loose = [c for c in m.tool_calls if c not in keep]
            content = m.content
            if loose:
                content = "\n".join(filter(None, [m.content.strip(), *map(call_json, loose)]))
            out.append(m.model_copy(update={"tool_calls": keep, "content": content}))
        elif m.role == "tool":
            turn = next((p for p in reversed(out) if p.role != "tool"), None)
            ids = {c.id for c in turn.tool_calls} if turn is not None and turn.role == "assistant" else set()
            if m.tool_call_id and m.tool_call_id in ids:
                out.append(m)
            else:
                out.append(Message(role="user", content=f"Result of {m.name or 'the tool'}: {m.content}"))
        else:
            out.append(m)
    return out
