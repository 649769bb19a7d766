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
from harness.models.local import smollm2_path
from harness.models.openai_backend import OpenAIModel, VLLMModel
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
    m = OpenAIModel("smollm2", base_url=llama_server, key=SECRET, max_retries=1, timeout_s=30, temperature=0.0)
    reply = m.generate(game_messages(12), [PRESS_BUTTONS])  # one tool: forced by name, grammar-enforced
    assert_good_press(reply)
    assert reply.usage.input_tokens > 100 and reply.usage.output_tokens > 5
    # with two tools this server ignores tool_choice="required": free text comes back, kept as text
    reply = m.generate(game_messages(13), [PRESS_BUTTONS, WRITE_MEMORY])
    assert reply.tool_calls == []
    assert reply.text.strip()
