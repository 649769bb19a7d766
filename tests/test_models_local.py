"""The local llama.cpp back-end with the real SmolLM2 model, and the tool-call JSON helpers."""

from __future__ import annotations

import json

import pytest

from harness.models import make_model
from harness.models._tooljson import capped_schema, parse_tool_json, tool_union_schema
from harness.models.base import Message, ToolCall
from harness.models.local import LocalModel, smollm2_path
from tests.loopback import BUTTONS, PRESS_BUTTONS, SYSTEM_PROMPT, WRITE_MEMORY, game_messages


@pytest.fixture(scope="module")
def model() -> LocalModel:
    return LocalModel(seed=7)


def test_smollm2_path_is_the_bundled_gguf() -> None:
    path = smollm2_path()
    assert path.suffix == ".gguf"
    assert path.read_bytes()[:4] == b"GGUF"


def test_local_returns_a_valid_press_buttons_call(model: LocalModel) -> None:
    reply = model.generate(game_messages(0), [PRESS_BUTTONS])
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.name == "press_buttons"
    assert json.loads(reply.text) == {"tool": call.name, "arguments": call.arguments}
    assert 1 <= len(call.arguments["buttons"]) <= 4
    assert set(call.arguments["buttons"]) <= set(BUTTONS)
    assert len(call.arguments["reasoning"]) <= 120
    assert reply.usage.input_tokens > 100
    assert reply.usage.output_tokens > 5
    assert reply.cost_usd == 0.0
    assert reply.model == smollm2_path().stem
    assert reply.latency_s > 0


def test_local_chooses_among_several_tools_and_reuses_the_cached_prefix(model: LocalModel) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    model.generate(game_messages(1), tools)
    reply = model.generate(game_messages(2), tools)
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.name in {"press_buttons", "write_memory"}
    schema = next(t for t in tools if t.name == call.name).parameters
    assert set(call.arguments) == set(schema["required"])
    # the system prompt + tool list is a shared prefix: llama.cpp reuses it from its KV cache
    system_tokens = len(model.llm.tokenize(SYSTEM_PROMPT.encode(), add_bos=False))
    assert system_tokens < reply.usage.cached_input_tokens < reply.usage.input_tokens


def test_local_caps_unbounded_strings(model: LocalModel) -> None:
    """A tool schema without maxLength still gets a short reply: the grammar adds the cap."""
    note = PRESS_BUTTONS.model_copy(
        update={
            "name": "note",
            "parameters": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
            },
        }
    )
    reply = model.generate([Message(role="user", content="Write a very long story about a dragon.")], [note])
    assert reply.tool_calls and reply.tool_calls[0].name == "note"
    assert len(reply.tool_calls[0].arguments["text"]) <= model.max_string_chars
    assert reply.usage.output_tokens <= model.max_tokens


def test_local_trims_a_history_longer_than_the_context() -> None:
    model = LocalModel(n_ctx=1024, seed=3)  # a small context keeps the (uncached) prompt cheap
    history = [Message(role="system", content=SYSTEM_PROMPT)]
    for i in range(40):
        history.append(Message(role="user", content=f"Step {i}: the map is unchanged, nothing happened. " * 3))
        history.append(Message(role="assistant", content='{"tool": "press_buttons", "arguments": {}}'))
    history.append(Message(role="user", content="Choose your next buttons."))
    reply = model.generate(history, [PRESS_BUTTONS])
    assert reply.tool_calls and reply.tool_calls[0].name == "press_buttons"
    assert reply.usage.input_tokens <= model.llm.n_ctx() - model.max_tokens


def test_make_model_local_and_bad_path(tmp_path) -> None:
    assert make_model("local").spec == "local"
    with pytest.raises(ValueError, match="model file not found"):
        make_model(f"local:{tmp_path / 'missing.gguf'}")


def test_tool_union_schema_and_parse() -> None:
    schema = tool_union_schema([PRESS_BUTTONS, WRITE_MEMORY], max_string_chars=50)
    assert [v["properties"]["tool"]["const"] for v in schema["anyOf"]] == ["press_buttons", "write_memory"]
    assert schema["anyOf"][1]["properties"]["arguments"]["properties"]["fact"]["maxLength"] == 50
    assert tool_union_schema([PRESS_BUTTONS])["properties"]["tool"] == {"const": "press_buttons"}
    capped = capped_schema({"type": "array", "items": {"type": "string", "enum": ["A"]}}, 10, 3)
    assert capped == {"type": "array", "items": {"type": "string", "enum": ["A"]}, "maxItems": 3}
    assert parse_tool_json('{"tool": "t", "arguments": {"x": 1}}') == [ToolCall(name="t", arguments={"x": 1})]
    for bad in ('{"tool": "t", "arguments": {"x": ', "[1]", '{"tool": 3, "arguments": {}}', "press A"):
        assert parse_tool_json(bad) == []
    with pytest.raises(ValueError, match="no tools"):
        tool_union_schema([])


def test_raw_newline_inside_a_grammar_string_still_parses():
    """Seen in a demo run: llama.cpp's JSON grammar let a raw newline into `reasoning`."""
    from harness.models._tooljson import parse_tool_json

    text = '{"tool": "press_buttons", "arguments": { "reasoning": "]: \n\nCall. " ,"buttons" : ["UP"]} } '
    calls = parse_tool_json(text)
    assert calls and calls[0].arguments["buttons"] == ["UP"]
