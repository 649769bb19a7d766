"""Anthropic back-end: the real `anthropic` SDK over real HTTP to the loopback server (real SmolLM2
behind it, fault injection in front)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from harness.models import ModelError, make_model
from harness.models.anthropic_backend import AnthropicModel, anthropic_messages
from harness.models.base import ImagePart, Message, ToolCall
from harness.models.pricing import Price, PriceTable
from tests.loopback import (
    BUTTONS,
    GARBAGE_TEXT,
    PRESS_BUTTONS,
    WRITE_MEMORY,
    LoopbackServer,
    game_messages,
    tiny_png_b64,
)

SECRET = "sk-ant-test-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
AUTH_HEADERS = ("authorization", "x-api-key")


@pytest.fixture(scope="module")
def loopback() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def server(loopback: LoopbackServer) -> LoopbackServer:
    loopback.reset()
    return loopback


@pytest.fixture
def model(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> AnthropicModel:
    """Built through the registry with the key from the environment, as a user would."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    m = make_model(f"anthropic:claude-haiku-4-5@{server.url}")
    assert isinstance(m, AnthropicModel)
    return m


def assert_key_only_in_auth_header(server: LoopbackServer) -> None:
    assert server.requests
    for req in server.requests:
        assert any(SECRET in req.headers.get(h, "") for h in AUTH_HEADERS)
        assert SECRET.encode() not in req.raw
        assert all(SECRET not in v for k, v in req.headers.items() if k not in AUTH_HEADERS)


def assert_good_press(reply) -> None:
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.name == "press_buttons"
    assert set(call.arguments["buttons"]) <= set(BUTTONS) and call.arguments["buttons"]


def test_normal_call_with_cache_breakpoints_and_cache_usage(model: AnthropicModel, server: LoopbackServer) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    first = model.generate(game_messages(0), tools)
    second = model.generate(game_messages(1), tools)
    for reply in (first, second):
        assert len(reply.tool_calls) == 1 and reply.tool_calls[0].name in {"press_buttons", "write_memory"}
        assert reply.model == "claude-haiku-4-5"
    body = server.requests[0].body
    assert server.requests[0].path == "/v1/messages"
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in body["tools"][0]
    assert body["tools"][0]["input_schema"] == PRESS_BUTTONS.parameters
    assert [m["role"] for m in body["messages"]] == ["user"]
    # first call writes the prefix (billed as input), the second reads it
    written = server.responses[0][1]["usage"]["cache_creation_input_tokens"]
    assert written > 100 and first.usage.cached_input_tokens == 0
    assert second.usage.cached_input_tokens == written
    raw = server.responses[1][1]["usage"]
    assert second.usage.input_tokens == raw["input_tokens"] + raw["cache_read_input_tokens"]
    assert_key_only_in_auth_header(server)
    assert SECRET not in second.model_dump_json() and SECRET not in repr(model)


def test_cost_from_price_table(server: LoopbackServer) -> None:
    prices = PriceTable({"claude-test": Price(input=3.0, output=15.0, cached_input=0.3)})
    m = AnthropicModel("claude-test-20250101", base_url=server.url, key=SECRET, prices=prices)
    m.generate(game_messages(2), [PRESS_BUTTONS])
    reply = m.generate(game_messages(3), [PRESS_BUTTONS])
    u = reply.usage
    assert u.cached_input_tokens > 0
    expected = (u.input_tokens - u.cached_input_tokens) * 3.0 + u.cached_input_tokens * 0.3 + u.output_tokens * 15.0
    assert reply.cost_usd == pytest.approx(expected / 1e6) and reply.cost_usd > 0


@pytest.mark.parametrize("fault", ["429", "500"])
def test_transient_fault_then_success(model: AnthropicModel, server: LoopbackServer, fault: str) -> None:
    server.faults = [fault]
    reply = model.generate(game_messages(4), [PRESS_BUTTONS])
    assert len(server.requests) == 2
    assert [status for status, _ in server.responses] == [int(fault), 200]
    assert_good_press(reply)


def test_persistent_500_raises_retryable_error_in_bounded_time(server: LoopbackServer) -> None:
    server.persistent_fault = "500"
    m = AnthropicModel("claude-haiku-4-5", base_url=server.url, key=SECRET, max_retries=2)
    start = time.monotonic()
    with pytest.raises(ModelError) as err:
        m.generate(game_messages(5), [PRESS_BUTTONS])
    assert time.monotonic() - start < 5
    assert err.value.retryable and "HTTP 500" in str(err.value)
    assert len(server.requests) == 3


def test_auth_error_is_not_retried_and_never_leaks_the_key(
    model: AnthropicModel, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDKs' and httpx's debug logs must not carry the key either
    server.faults = ["401"]  # the loopback echoes the received credentials in its error body
    with pytest.raises(ModelError) as err:
        model.generate(game_messages(6), [PRESS_BUTTONS])
    assert not err.value.retryable and len(server.requests) == 1
    assert "HTTP 401" in str(err.value) and "invalid credentials" in str(err.value)
    assert SECRET not in str(err.value) and SECRET[:16] not in str(err.value)
    assert caplog.records and SECRET[:16] not in caplog.text


def test_garbage_reply_keeps_text_and_no_tool_calls(model: AnthropicModel, server: LoopbackServer) -> None:
    server.faults = ["garbage"]
    reply = model.generate(game_messages(7), [PRESS_BUTTONS])
    assert reply.tool_calls == [] and reply.text == GARBAGE_TEXT


def test_vision_sends_base64_image_blocks(model: AnthropicModel, server: LoopbackServer) -> None:
    png = tiny_png_b64()
    reply = model.generate(game_messages(8, image_b64=png), [PRESS_BUTTONS])
    assert_good_press(reply)
    image, text = server.requests[0].body["messages"][0]["content"]
    assert image == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}
    assert text["type"] == "text" and "Step 8" in text["text"]


def test_messages_alternate_and_start_and_end_with_user() -> None:
    img = ImagePart(png_b64="AAAA")
    turns = anthropic_messages(
        [
            Message(role="system", content="sys"),
            Message(role="assistant", content="earlier reply"),
            Message(role="user", content="a"),
            Message(role="user", content="", images=[img]),
            Message(role="assistant", content="b"),
        ],
        vision=True,
    )
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant", "user"]
    assert [b["type"] for b in turns[2]["content"]] == ["text", "image"]  # merged, no empty text block
    assert anthropic_messages([Message(role="user", content="x", images=[img])], vision=False) == [
        {"role": "user", "content": [{"type": "text", "text": "x"}]}
    ]


def test_tool_choice_mapping(model: AnthropicModel) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    msgs = game_messages(0)
    assert model.request(msgs, tools)["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    named = model.request(msgs, tools, "write_memory")
    assert named["tool_choice"] == {"type": "tool", "name": "write_memory", "disable_parallel_tool_use": True}
    assert [t["name"] for t in named["tools"]] == ["press_buttons", "write_memory"]  # the cached prefix stays
    assert model.request(msgs, tools, "auto")["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    none = model.request(msgs, tools, "none")
    assert none["tool_choice"] == {"type": "none"} and none["tools"] == named["tools"]
    assert not {"tools", "tool_choice"} & set(model.request(msgs, [], "none"))
    with pytest.raises(ValueError, match="not one of the offered tools"):
        model.request(msgs, tools, "edit_prompt_block")


def test_tool_result_round_trip(model: AnthropicModel, server: LoopbackServer) -> None:
    """meta tool call -> result -> observation -> action call; the server checks the pairing rules."""
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    first = model.generate(game_messages(9), tools, "write_memory")
    assert [c.name for c in first.tool_calls] == ["write_memory"]
    call = first.tool_calls[0]
    assert call.id == server.responses[-1][1]["content"][0]["id"] and call.id.startswith("toolu_")
    convo = [
        *game_messages(9),
        Message(role="assistant", content="Noting it.", tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call.id, name=call.name, content="saved"),
        Message(role="user", content="Now move."),
    ]
    second = model.generate(convo, tools, "press_buttons")
    assert_good_press(second)
    assert second.tool_calls[0].id and second.tool_calls[0].id != call.id
    sent = server.requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] == [
        {"type": "text", "text": "Noting it."},
        {"type": "tool_use", "id": call.id, "name": "write_memory", "input": call.arguments},
    ]
    assert sent[2]["content"] == [
        {"type": "tool_result", "tool_use_id": call.id, "content": "saved"},
        {"type": "text", "text": "Now move."},
    ]
    assert [status for status, _ in server.responses] == [200, 200]
    # free text after the round trip: tools still sent (tool blocks need them), tool_choice none
    words = model.generate(convo, tools, "none")
    assert words.tool_calls == [] and words.text.strip()
    assert server.requests[-1].body["tool_choice"] == {"type": "none"}


def test_tool_blocks_without_tools_or_without_a_partner_go_as_text() -> None:
    call = ToolCall(name="press_buttons", arguments={"buttons": ["A"]}, id="toolu_1")
    convo = [
        Message(role="user", content="go"),
        Message(role="assistant", content="", tool_calls=[call]),
        Message(role="tool", tool_call_id="toolu_1", name="press_buttons", content="moved"),
    ]
    turns = anthropic_messages(convo, vision=True, tools=False)
    as_json = '{"tool": "press_buttons", "arguments": {"buttons": ["A"]}}'
    assert turns[1]["content"] == [{"type": "text", "text": as_json}]
    assert turns[2]["content"] == [{"type": "text", "text": "Result of press_buttons: moved"}]
    unanswered = anthropic_messages([*convo[:2], Message(role="user", content="next")], vision=True)
    assert [b["type"] for b in unanswered[1]["content"]] == ["text"]  # no tool_use left without its result


def test_missing_key_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY is not set"):
        make_model("anthropic:claude-sonnet-4-5")
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    assert make_model("anthropic:claude-sonnet-4-5#text").vision is False
    with pytest.raises(ValueError, match="unknown option '#fast'"):
        make_model("anthropic:claude-sonnet-4-5#fast")
