"""Anthropic Messages back-end: `anthropic:<model>[@<base_url>][#text]` through the official SDK.

tool_choice maps to {"type": "any"} ("required"), {"type": "tool", "name": ...} (a tool name),
{"type": "auto"} and {"type": "none"}, with parallel use disabled (one call). Every offered tool is
sent whatever the choice, so the cached prefix stays; with no tools, neither tools nor tool_choice are
sent and earlier tool calls/results go as text (the API refuses tool blocks without tools). Tool
calls are `tool_use` blocks in the assistant turn, their results `tool_result` blocks at the head of
the next user turn. The cacheable prefix is tools -> system, so both carry an ephemeral cache_control
breakpoint: the system block and the last tool. Cache reads bill at ~0.1x input; usage reports them
as cached input tokens. Retries (429/5xx/529 overloaded, timeouts) are the SDK's own, configured by
`max_retries` / `timeout_s`.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

import anthropic

from harness.models._common import api_key, scrub, split_spec, stable, status_error
from harness.models._tooljson import as_text_messages, paired, resolve_tool_choice
from harness.models.base import Message, ModelError, ModelReply, Usage
from harness.models.pricing import PriceTable
from tools.base import AUTO, NONE, REQUIRED, ToolCall, ToolChoice, ToolSpec

EPHEMERAL = {"type": "ephemeral"}


def anthropic_messages(messages: list[Message], vision: bool, tools: bool = True) -> list[dict[str, Any]]:
    """User/assistant turns as the API wants them: strictly alternating, starting and ending with
    the user (consecutive same-role messages are merged), images as base64 PNG blocks. With `tools`,
    tool calls are `tool_use` blocks and tool results `tool_result` blocks in a user turn (first in
    it, as the API requires); without, both are text."""
    source = paired(messages) if tools else as_text_messages(messages)
    turns: list[dict[str, Any]] = []
    for m in source:
        if m.role == "system":
            continue
        role = "user" if m.role == "tool" else m.role
        blocks: list[dict[str, Any]] = []
        if m.role == "tool":
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id}
            if m.content:
                block["content"] = m.content
            blocks.append(block)
        if m.role == "user" and vision:
            blocks += [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": img.png_b64},
                }
                for img in m.images
            ]
        if m.role != "tool" and m.content.strip():  # the API rejects empty text blocks
            blocks.append({"type": "text", "text": m.content})
        if m.role == "assistant":
            blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in m.tool_calls]
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += blocks
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:  # tool results lead their user turn
        if turn["role"] == "user":
            turn["content"].sort(key=lambda b: b["type"] != "tool_result")
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"type": "text", "text": "(start)"}]})
    if turns[-1]["role"] != "user":  # a trailing assistant turn would be read as a prefill
        turns.append({"role": "user", "content": [{"type": "text", "text": "(continue)"}]})
    return turns


class AnthropicModel:
    """Claude via native tool use."""

    provider = "Anthropic"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        key: str | None = None,
        spec: str | None = None,
        prices: PriceTable | None = None,
        vision: bool = True,
        max_retries: int = 4,
        timeout_s: float = 60.0,
        max_tokens: int = 1024,
        temperature: float | None = None,
    ) -> None:
        self.model = model
        self.spec = spec or f"anthropic:{model}"
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self.vision = vision
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.prices = prices or PriceTable()
        self._key = key or api_key("ANTHROPIC_API_KEY", self.base_url, self.spec)
        self.client = anthropic.Anthropic(
            api_key=self._key, base_url=self.base_url, max_retries=max_retries, timeout=timeout_s
        )
        self._ids = itertools.count(1)

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> AnthropicModel:
        """`anthropic:<model>[@<base_url>][#text]`; `#text` sends no images."""
        model, url, options = split_spec(rest, spec, frozenset({"text"}))
        return cls(model, base_url=url, spec=spec, prices=prices, vision="text" not in options)

    def __repr__(self) -> str:  # never the key
        return f"AnthropicModel(spec={self.spec!r}, base_url={self.base_url!r})"

    def request(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                ) -> dict[str, Any]:
        """messages.create arguments; breakpoints on the system block and the last tool."""
        mode, callable_tools = resolve_tool_choice(tools, tool_choice)
        args: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": anthropic_messages(messages, self.vision, tools=bool(tools)),
        }
        if tools:
            tool_defs: list[dict[str, Any]] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
            ]
            tool_defs[-1]["cache_control"] = EPHEMERAL
            args["tools"] = tool_defs
            if mode == NONE:
                args["tool_choice"] = {"type": "none"}
            elif mode == AUTO:
                args["tool_choice"] = {"type": "auto"}
            elif tool_choice != REQUIRED:  # a tool name
                args["tool_choice"] = {"type": "tool", "name": callable_tools[0].name}
            else:
                args["tool_choice"] = {"type": "any"}
            if mode != NONE:
                args["tool_choice"]["disable_parallel_tool_use"] = True
        system = "\n\n".join(m.content for m in messages if m.role == "system").strip()
        if system:
            args["system"] = [{"type": "text", "text": system, "cache_control": EPHEMERAL}]
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def call(self, args: dict[str, Any]) -> Any:
        """One SDK call (with the SDK's retries); every failure becomes a key-free ModelError."""
        try:
            return self.client.messages.create(**args)
        except anthropic.APIStatusError as exc:
            raise status_error(self.provider, self.spec, exc.status_code, exc.message, self._key) from None
        except anthropic.APITimeoutError:
            raise ModelError(f"{self.provider} request timed out for {self.spec}", retryable=True) from None
        except anthropic.APIConnectionError as exc:
            msg = f"{self.provider} connection failed for {self.spec} ({self.base_url}): {exc}"
            raise ModelError(stable(scrub(msg, self._key)), retryable=True) from None
        except anthropic.AnthropicError as exc:
            msg = stable(scrub(f"{self.provider} error for {self.spec}: {exc}", self._key))
            raise ModelError(msg, retryable=False) from None

    def generate(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                 ) -> ModelReply:
        start = time.monotonic()
        response = self.call(self.request(messages, tools, tool_choice))
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in response.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                if isinstance(block.input, dict):
                    call_id = getattr(block, "id", None) or f"call_{next(self._ids)}"
                    calls.append(ToolCall(name=block.name, arguments=block.input, id=call_id))
                else:
                    texts.append(f"[call to {block.name} with non-object input: {str(block.input)[:300]}]")
        u = response.usage
        read = u.cache_read_input_tokens or 0
        written = u.cache_creation_input_tokens or 0
        # input_tokens excludes cache reads and writes; ours counts every prompt token
        usage = Usage(
            input_tokens=u.input_tokens + read + written,
            output_tokens=u.output_tokens,
            cached_input_tokens=read,
        )
        return ModelReply(
            text=scrub("\n".join(texts), self._key),
            tool_calls=calls,
            usage=usage,
            cost_usd=self.prices.cost(self.model, usage),
            model=response.model or self.model,
            latency_s=time.monotonic() - start,
        )
