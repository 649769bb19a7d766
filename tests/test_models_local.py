"""The local llama.cpp back-end with the real SmolLM2 model, and the tool-call JSON helpers."""

from __future__ import annotations

import json

import pytest

from harness.models import make_model
from harness.models._tooljson import capped_schema, parse_reply, parse_tool_json, tool_union_schema
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
    # the only tool offered: the reply is its compact arguments object (no wrapper, no spaces)
    assert json.loads(reply.text) == call.arguments and " " not in reply.text.replace(call.arguments["reasoning"], "")
    assert 1 <= len(call.arguments["buttons"]) <= 4
    assert set(call.arguments["buttons"]) <= set(BUTTONS)
    assert len(call.arguments["reasoning"]) <= 24
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


# -- tool_choice, tool round trips, KV-cache prefix ----------------------------------------------


def test_smollm2_template_renders_an_appended_conversation_as_a_token_prefix(model: LocalModel) -> None:
    sys_, u1 = {"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "Step 1. Choose."}
    a1 = {"role": "assistant", "content": '{"tool": "press_buttons", "arguments": {"buttons": ["UP"]}}'}
    u2 = {"role": "user", "content": "Result of press_buttons: moved up"}
    short, long = model.prompt.tokens([sys_, u1]), model.prompt.tokens([sys_, u1, a1, u2])
    assert long[: len(short)] == short and len(long) > len(short)


def test_an_appending_conversation_reuses_the_whole_previous_prompt_and_reply(model: LocalModel) -> None:
    """The next prompt starts with every token llama.cpp evaluated last time, the reply included
    (the grammar spells words in pieces; the reply's own tokens are spliced back in)."""
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    messages = game_messages(20)
    evaluated = 0
    for step in range(4):
        reply = model.generate(messages, tools)
        if step:
            assert reply.usage.cached_input_tokens == evaluated
        evaluated = len(model.llm._input_ids)  # the prompt and the reply
        assert reply.tool_calls, reply.text
        call = reply.tool_calls[0]
        messages += [
            Message(role="assistant", content=reply.text, tool_calls=reply.tool_calls),
            Message(role="tool", tool_call_id=call.id, name=call.name, content="done"),
            Message(role="user", content=f"Step {21 + step}. Choose your next buttons."),
        ]


def test_tool_calls_and_results_render_as_text_turns(model: LocalModel) -> None:
    call = ToolCall(name="write_memory", arguments={"key": "door", "fact": "north"}, id="call_9")
    messages = [
        Message(role="system", content="sys"),
        Message(role="user", content="go"),
        Message(role="assistant", content="", tool_calls=[call]),
        Message(role="tool", tool_call_id="call_9", name="write_memory", content="saved"),
    ]
    chat = model.chat_messages(messages, [PRESS_BUTTONS, WRITE_MEMORY])
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user"]
    assert json.loads(chat[2]["content"]) == {"tool": "write_memory", "arguments": call.arguments}
    assert chat[3]["content"] == "Result of write_memory: saved"
    assert "press_buttons" in chat[0]["content"] and "write_memory" in chat[0]["content"]
    # the model's own JSON text is kept byte for byte (KV cache), whatever its spacing
    own = '{"tool": "write_memory", "arguments": { "key": "door","fact": "north"}}'
    chat = model.chat_messages([Message(role="assistant", content=own, tool_calls=[call])], [WRITE_MEMORY])
    assert chat[1]["content"] == own


def test_round_trip_with_a_meta_tool_then_a_forced_action(model: LocalModel) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    first = model.generate(game_messages(30), tools, "write_memory")
    assert [c.name for c in first.tool_calls] == ["write_memory"]
    call = first.tool_calls[0]
    assert call.id.startswith("call_") and set(call.arguments) == {"key", "fact"}
    messages = [
        *game_messages(30),
        Message(role="assistant", content=first.text, tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call.id, name=call.name, content="saved"),
    ]
    second = model.generate(messages, tools, "press_buttons")
    assert [c.name for c in second.tool_calls] == ["press_buttons"]
    assert second.tool_calls[0].id and second.tool_calls[0].id != call.id
    assert len(second.tool_calls[0].arguments["reasoning"]) <= 40  # the per-field cap


def test_tool_choice_none_is_free_text_and_auto_is_a_call_or_words(model: LocalModel) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    text = model.generate([Message(role="user", content="Say hello in five words.")], tools, "none")
    assert text.tool_calls == [] and text.text.strip()
    assert model.generate([Message(role="user", content="Hi.")], [], "none").tool_calls == []
    assert model.generate([Message(role="user", content="Hi.")], [], "auto").tool_calls == []  # no tools: words
    for step in range(3):
        reply = model.generate(game_messages(40 + step), tools, "auto")
        if reply.tool_calls:
            assert reply.tool_calls[0].name in {"press_buttons", "write_memory"} and reply.tool_calls[0].id
        else:
            assert reply.text.strip() and not reply.text.lstrip().startswith('{"tool"')


def test_bad_tool_choices_fail_clearly(model: LocalModel) -> None:
    with pytest.raises(ValueError, match="not one of the offered tools"):
        model.generate(game_messages(0), [PRESS_BUTTONS], "write_memory")
    with pytest.raises(ValueError, match="no tools"):
        model.generate(game_messages(0), [], "required")


def test_auto_schema_answer_object_and_field_caps() -> None:
    schema = tool_union_schema([PRESS_BUTTONS], max_string_chars=120, field_chars={"reasoning": 40}, allow_answer=True)
    press, answer = schema["anyOf"]
    assert press["properties"]["arguments"]["properties"]["reasoning"]["maxLength"] == 40
    assert answer["properties"]["tool"] == {"const": "none"}
    assert answer["properties"]["arguments"]["properties"]["text"]["maxLength"] == 120
    memory = tool_union_schema([WRITE_MEMORY], max_string_chars=100, field_chars={"reasoning": 40})
    assert memory["properties"]["arguments"]["properties"]["fact"]["maxLength"] == 100
    assert memory["properties"]["arguments"]["properties"]["key"]["maxLength"] == 40  # its own, tighter
    ids = iter(["call_1"])
    assert parse_reply('{"tool": "none", "arguments": {"text": "hi there"}}', lambda: next(ids)) == ("hi there", [])
    text, calls = parse_reply('{"tool": "t", "arguments": {}}', lambda: next(ids))
    assert calls == [ToolCall(name="t", arguments={}, id="call_1")]
