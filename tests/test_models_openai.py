"""OpenAI and vLLM back-ends: the real `openai` SDK over real HTTP to the loopback server (real
SmolLM2 behind it, fault injection in front) and to llama-cpp-python's own OpenAI server."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.models import ModelError, make_model
from harness.models._common import stable
from harness.models.base import Message, ToolCall
from harness.models.local import smollm2_path
from harness.models.openai_backend import OpenAIModel, VLLMModel, openai_messages
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

SECRET = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture(scope="module")
def loopback() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def server(loopback: LoopbackServer) -> LoopbackServer:
    loopback.reset()
    return loopback


@pytest.fixture
def model(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIModel:
    """Built through the registry with the key from the environment, as a user would."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    m = make_model(f"openai:gpt-4o-mini@{server.url}/v1")
    assert isinstance(m, OpenAIModel)
    return m


def assert_key_only_in_auth_header(server: LoopbackServer) -> None:
    assert server.requests
    for req in server.requests:
        assert req.headers["authorization"] == f"Bearer {SECRET}"
        assert SECRET.encode() not in req.raw
        assert all(SECRET not in v for k, v in req.headers.items() if k != "authorization")


def assert_good_press(reply) -> None:
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    assert call.name == "press_buttons"
    assert set(call.arguments["buttons"]) <= set(BUTTONS) and call.arguments["buttons"]


def test_normal_call_forces_the_tool_and_counts_tokens(model: OpenAIModel, server: LoopbackServer) -> None:
    reply = model.generate(game_messages(0), [PRESS_BUTTONS])
    assert_good_press(reply)
    assert reply.model == "gpt-4o-mini"
    assert reply.usage.input_tokens > 100 and reply.usage.output_tokens > 5
    (req,) = server.requests
    assert req.path == "/v1/chat/completions"
    body = req.body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "press_buttons"}}
    assert body["tools"][0]["function"]["parameters"] == PRESS_BUTTONS.parameters
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["parallel_tool_calls"] is False
    assert_key_only_in_auth_header(server)
    assert SECRET not in reply.model_dump_json() and SECRET not in repr(model)


def test_several_tools_use_required_and_prefix_is_cached(model: OpenAIModel, server: LoopbackServer) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    first = model.generate(game_messages(1), tools)
    second = model.generate(game_messages(2), tools)
    assert server.requests[0].body["tool_choice"] == "required"
    for reply in (first, second):
        assert len(reply.tool_calls) == 1 and reply.tool_calls[0].name in {"press_buttons", "write_memory"}
    # the system prompt and tools form a byte-identical prefix across steps
    a, b = (r.raw for r in server.requests)
    assert json.loads(a)["tools"] == json.loads(b)["tools"]
    assert json.loads(a)["messages"][0] == json.loads(b)["messages"][0]
    assert 100 < second.usage.cached_input_tokens < second.usage.input_tokens


def test_cost_from_price_table(server: LoopbackServer) -> None:
    prices = PriceTable({"gpt-test": Price(input=2.0, output=8.0, cached_input=0.5)})
    m = OpenAIModel("gpt-test-2025-01-01", base_url=f"{server.url}/v1", key=SECRET, prices=prices)
    m.generate(game_messages(3), [PRESS_BUTTONS])
    reply = m.generate(game_messages(4), [PRESS_BUTTONS])
    u = reply.usage
    assert u.cached_input_tokens > 0
    expected = (u.input_tokens - u.cached_input_tokens) * 2.0 + u.cached_input_tokens * 0.5 + u.output_tokens * 8.0
    assert reply.cost_usd == pytest.approx(expected / 1e6)
    assert reply.cost_usd > 0


@pytest.mark.parametrize("fault", ["429", "500"])
def test_transient_fault_then_success(model: OpenAIModel, server: LoopbackServer, fault: str) -> None:
    server.faults = [fault]
    reply = model.generate(game_messages(5), [PRESS_BUTTONS])
    assert len(server.requests) == 2
    assert [status for status, _ in server.responses] == [int(fault), 200]
    assert_good_press(reply)
    assert server.requests[1].headers["x-stainless-retry-count"] == "1"


def test_persistent_500_raises_retryable_error_in_bounded_time(server: LoopbackServer) -> None:
    server.persistent_fault = "500"
    m = OpenAIModel("gpt-4o-mini", base_url=f"{server.url}/v1", key=SECRET, max_retries=2)
    start = time.monotonic()
    with pytest.raises(ModelError) as err:
        m.generate(game_messages(6), [PRESS_BUTTONS])
    assert time.monotonic() - start < 5
    assert err.value.retryable
    assert "HTTP 500" in str(err.value)
    assert len(server.requests) == 3  # first try + max_retries


def test_auth_error_is_not_retried_and_never_leaks_the_key(
    model: OpenAIModel, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDKs' and httpx's debug logs must not carry the key either
    server.faults = ["401"]  # the loopback echoes the received Authorization header in its error body
    with pytest.raises(ModelError) as err:
        model.generate(game_messages(7), [PRESS_BUTTONS])
    assert not err.value.retryable
    assert len(server.requests) == 1
    assert "HTTP 401" in str(err.value) and "invalid credentials" in str(err.value)
    assert SECRET not in str(err.value) and SECRET[:16] not in str(err.value)
    assert caplog.records and SECRET[:16] not in caplog.text
    assert SECRET not in repr(err.value)


def test_timeout_becomes_retryable_error(server: LoopbackServer) -> None:
    server.faults, server.slow_s = ["slow"], 1.5
    m = OpenAIModel("gpt-4o-mini", base_url=f"{server.url}/v1", key=SECRET, max_retries=0, timeout_s=0.3)
    with pytest.raises(ModelError, match="timed out") as err:
        m.generate(game_messages(8), [PRESS_BUTTONS])
    assert err.value.retryable
    time.sleep(server.slow_s)  # let the slow handler finish before the next test uses the model


def test_garbage_reply_keeps_text_and_no_tool_calls(model: OpenAIModel, server: LoopbackServer) -> None:
    server.faults = ["garbage"]
    reply = model.generate(game_messages(9), [PRESS_BUTTONS])
    assert reply.tool_calls == []
    assert reply.text == GARBAGE_TEXT


def test_vision_sends_the_frame_as_png_data_url(model: OpenAIModel, server: LoopbackServer) -> None:
    png = tiny_png_b64()
    reply = model.generate(game_messages(10, image_b64=png), [PRESS_BUTTONS])
    assert_good_press(reply)
    content = server.requests[0].body["messages"][1]["content"]
    assert content[0]["type"] == "text" and "Step 10" in content[0]["text"]
    assert content[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}


def test_vllm_spec_uses_json_schema_structured_output(server: LoopbackServer, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # must NOT be sent to a vLLM host
    m = make_model(f"vllm:HuggingFaceTB/SmolLM2-135M-Instruct@{server.url}/v1")
    assert isinstance(m, VLLMModel) and not m.vision
    reply = m.generate(game_messages(11, image_b64=tiny_png_b64()), [PRESS_BUTTONS, WRITE_MEMORY])
    assert len(reply.tool_calls) == 1 and reply.tool_calls[0].name in {"press_buttons", "write_memory"}
    assert reply.cost_usd == 0.0
    (req,) = server.requests
    assert "tools" not in req.body and "tool_choice" not in req.body
    fmt = req.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert [v["properties"]["tool"]["const"] for v in fmt["json_schema"]["schema"]["anyOf"]] == [
        "press_buttons",
        "write_memory",
    ]
    assert "press_buttons" in req.body["messages"][0]["content"]  # the tool list is in the system prompt
    assert isinstance(req.body["messages"][1]["content"], str)  # text only: no image parts
    assert SECRET.encode() not in req.raw and SECRET not in req.headers["authorization"]


def test_bad_specs_fail_with_one_clear_line(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY is not set"):
        make_model("openai:gpt-4o")
    with pytest.raises(ValueError, match="needs a server URL"):
        make_model("vllm:some-model")
    with pytest.raises(ValueError, match="names no model"):
        make_model("openai:")
    with pytest.raises(ValueError, match="http"):
        make_model("openai:gpt-4o@ftp://x")


# -- tool_choice and tool round trips ----------------------------------------------------------


def test_tool_choice_mapping(model: OpenAIModel) -> None:
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    msgs = game_messages(0)
    named = model.request(msgs, tools, "write_memory")
    assert named["tool_choice"] == {"type": "function", "function": {"name": "write_memory"}}
    assert [t["function"]["name"] for t in named["tools"]] == ["press_buttons", "write_memory"]  # prefix kept
    assert model.request(msgs, tools)["tool_choice"] == "required"
    assert model.request(msgs, tools, "auto")["tool_choice"] == "auto"
    none = model.request(msgs, tools, "none")
    assert none["tool_choice"] == "none" and none["tools"] == named["tools"]
    bare = model.request(msgs, [], "none")
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(bare)
    assert "tools" not in model.request(msgs, [], "auto")
    with pytest.raises(ValueError, match="not one of the offered tools"):
        model.request(msgs, tools, "edit_prompt_block")
    with pytest.raises(ValueError, match="no tools"):
        model.request(msgs, [])


def test_tool_result_round_trip(model: OpenAIModel, server: LoopbackServer) -> None:
    """meta tool call -> its result -> the action call, in one step; the server checks the pairing."""
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    first = model.generate(game_messages(14), tools, "write_memory")
    assert [c.name for c in first.tool_calls] == ["write_memory"]
    call = first.tool_calls[0]
    assert call.id.startswith("call_")  # the server's id, kept
    assert server.responses[-1][1]["choices"][0]["message"]["tool_calls"][0]["id"] == call.id
    convo = [
        *game_messages(14),
        Message(role="assistant", content=first.text, tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call.id, name=call.name, content="saved"),
    ]
    second = model.generate(convo, tools, "press_buttons")
    assert_good_press(second)
    assert second.tool_calls[0].id and second.tool_calls[0].id != call.id
    sent = server.requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[2]["content"] is None
    function = {"name": "write_memory", "arguments": json.dumps(call.arguments)}
    assert sent[2]["tool_calls"] == [{"id": call.id, "type": "function", "function": function}]
    assert sent[3] == {"role": "tool", "tool_call_id": call.id, "content": "saved"}
    assert [status for status, _ in server.responses] == [200, 200]


def test_calls_and_results_that_do_not_pair_up_go_as_text() -> None:
    loose = ToolCall(name="press_buttons", arguments={"buttons": ["A"]}, id="call_1")
    out = openai_messages(
        [
            Message(role="user", content="go"),
            Message(role="assistant", content="", tool_calls=[loose]),  # never answered
            Message(role="user", content="next"),
            Message(role="tool", tool_call_id="call_7", name="write_memory", content="orphan"),
        ],
        vision=True,
    )
    assert out[1] == {"role": "assistant", "content": '{"tool": "press_buttons", "arguments": {"buttons": ["A"]}}'}
    assert out[3] == {"role": "user", "content": "Result of write_memory: orphan"}
    assert "tool_calls" not in out[1]


def test_auto_and_none_over_the_wire(model: OpenAIModel, server: LoopbackServer) -> None:
    words = model.generate(game_messages(15), [PRESS_BUTTONS], "none")
    assert words.tool_calls == [] and words.text.strip()
    assert server.requests[-1].body["tool_choice"] == "none"
    reply = model.generate(game_messages(16), [PRESS_BUTTONS, WRITE_MEMORY], "auto")
    assert reply.tool_calls or reply.text.strip()
    assert all(c.id for c in reply.tool_calls)


def test_server_rejecting_images_switches_to_text_only_once(model: OpenAIModel, server: LoopbackServer) -> None:
    """A text-only model behind a compatible server (llama.cpp answers HTTP 500 to image parts): the
    first call is retried without images and says so once; later calls send no images at all."""
    server.reject_images = True
    png = tiny_png_b64()
    reply = model.generate(game_messages(17, image_b64=png), [PRESS_BUTTONS])
    assert_good_press(reply)
    assert reply.notes == [
        f"openai:gpt-4o-mini@{server.url}/v1: the server rejected image input; continuing text-only "
        "(use #text to silence this)"
    ]
    assert model.vision is False
    statuses = [status for status, _ in server.responses]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {500} and len(statuses) <= 3  # one SDK retry at most
    assert isinstance(server.requests[-1].body["messages"][1]["content"], str)
    server.reset()
    again = model.generate(game_messages(18, image_b64=png), [PRESS_BUTTONS])
    assert again.notes == [] and len(server.requests) == 1
    assert isinstance(server.requests[0].body["messages"][1]["content"], str)
    assert SECRET not in reply.model_dump_json()


def test_a_server_that_accepted_images_is_not_switched_off(model: OpenAIModel, server: LoopbackServer) -> None:
    model.generate(game_messages(19, image_b64=tiny_png_b64()), [PRESS_BUTTONS])  # images accepted
    server.persistent_fault = "500"
    model.client = model.client.with_options(max_retries=0)
    with pytest.raises(ModelError, match="HTTP 500"):
        model.generate(game_messages(20, image_b64=tiny_png_b64()), [PRESS_BUTTONS])
    assert model.vision is True and len(server.requests) == 2


def test_text_option_in_the_spec(server: LoopbackServer) -> None:
    m = make_model(f"openai:smollm2@{server.url}/v1#text")
    assert isinstance(m, OpenAIModel) and m.vision is False and m.base_url == f"{server.url}/v1"
    reply = m.generate(game_messages(21, image_b64=tiny_png_b64()), [PRESS_BUTTONS])
    assert reply.notes == [] and isinstance(server.requests[0].body["messages"][1]["content"], str)
    assert make_model("openai:gpt-4o@http://127.0.0.1:9/v1").vision is True
    with pytest.raises(ValueError, match="unknown option '#vision'.*#text"):
        make_model("openai:gpt-4o@http://127.0.0.1:9/v1#vision")


def test_the_same_failure_gives_the_same_message(server: LoopbackServer) -> None:
    server.persistent_fault = "500"
    m = OpenAIModel("gpt-4o-mini", base_url=f"{server.url}/v1", key=SECRET, max_retries=0)
    messages = []
    for step in (22, 23):
        with pytest.raises(ModelError) as err:
            m.generate(game_messages(step, image_b64=tiny_png_b64()), [PRESS_BUTTONS])
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert m.vision is True  # the text-only retry failed the same way: images were not the problem
    noisy = "The server had an error. (Please include the request ID req_8f7a6b5c4d3e2f1a0b9c in your message.)"
    assert stable(noisy) == stable(noisy.replace("8f7a6b5c4d3e2f1a0b9c", "0123456789abcdef0123"))
    assert stable("at 2026-01-02T03:04:05Z, id chatcmpl-a1b2c3d4e5f6") == "at <time>, id <id>"


def test_vllm_tool_choice_and_round_trip_as_text(server: LoopbackServer) -> None:
    m = VLLMModel("smollm2", base_url=f"{server.url}/v1")
    tools = [PRESS_BUTTONS, WRITE_MEMORY]
    named = m.request(game_messages(0), tools, "press_buttons")["response_format"]["json_schema"]["schema"]
    assert named["properties"]["tool"] == {"const": "press_buttons"}
    auto = m.request(game_messages(0), tools, "auto")["response_format"]["json_schema"]["schema"]
    assert [v["properties"]["tool"]["const"] for v in auto["anyOf"]] == ["press_buttons", "write_memory", "none"]
    none = m.request(game_messages(0), tools, "none")
    assert "response_format" not in none and "press_buttons" in none["messages"][0]["content"]  # same system
    first = m.generate(game_messages(24), tools, "write_memory")
    assert [c.name for c in first.tool_calls] == ["write_memory"] and first.tool_calls[0].id == "call_1"
    convo = [
        *game_messages(24),
        Message(role="assistant", content=first.text, tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id="call_1", name="write_memory", content="saved"),
    ]
    second = m.generate(convo, tools)
    assert len(second.tool_calls) == 1 and second.tool_calls[0].id == "call_2"
    sent = server.requests[-1].body["messages"]
    assert [x["role"] for x in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == first.text and "tool_calls" not in sent[2]
    assert sent[3]["content"] == "Result of write_memory: saved"
    words = m.generate(game_messages(25), tools, "none")
    assert words.tool_calls == [] and words.text.strip()


# -- a real third-party server: llama-cpp-python's OpenAI-compatible server ---------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--verbose", "false"]
    # a file, not a pipe: the server logs every request and would block on a full pipe
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.mark.slow
def test_against_llama_cpp_server(llama_server: str) -> None:
    m = OpenAIModel("smollm2", base_url=llama_server, key=SECRET, max_retries=1, timeout_s=120, temperature=0.0,
                    max_tokens=200)
    reply = m.generate(game_messages(12), [PRESS_BUTTONS])  # one tool: forced by name, grammar-enforced
    assert_good_press(reply)
    assert reply.usage.input_tokens > 100 and reply.usage.output_tokens > 5
    # with two tools this server ignores tool_choice="required": free text comes back, kept as text
    reply = m.generate(game_messages(13), [PRESS_BUTTONS, WRITE_MEMORY])
    assert reply.tool_calls == []
    assert reply.text.strip()


@pytest.mark.slow
def test_llama_cpp_server_text_only_model_with_frames(llama_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect seen with `openai:smollm2@<llama.cpp server>`: every request carried the frame as an
    image part and the server answered HTTP 500 to all of them. Now the first call falls back to text
    once (with a note), tool results round-trip (this server also refuses `content: null`), and
    `#text` never sends an image at all."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    m = make_model(f"openai:smollm2@{llama_server}")
    assert isinstance(m, OpenAIModel) and m.vision
    png = tiny_png_b64()
    reply = m.generate(game_messages(14, image_b64=png), [PRESS_BUTTONS])
    assert_good_press(reply)
    note = "the server rejected image input; continuing text-only (use #text to silence this)"
    assert reply.notes == [f"openai:smollm2@{llama_server}: {note}"]
    assert m.vision is False
    call = reply.tool_calls[0]
    assert call.id
    convo = [
        *game_messages(15, image_b64=png),
        Message(role="assistant", content=reply.text, tool_calls=reply.tool_calls),
        Message(role="tool", tool_call_id=call.id, name=call.name, content="You moved."),
    ]
    again = m.generate(convo, [PRESS_BUTTONS])
    assert_good_press(again)
    assert again.notes == []
    assert m.null_content is False  # "" instead of null for its tool-call turns, from now on
    words = m.generate(convo, [PRESS_BUTTONS], "none")
    assert words.tool_calls == [] and words.text.strip()

    text_only = make_model(f"openai:smollm2@{llama_server}#text")
    reply = text_only.generate(game_messages(16, image_b64=png), [PRESS_BUTTONS])
    assert_good_press(reply)
    assert reply.notes == []
