"""Anthropic Messages back-end: `anthropic:<model>[@<base_url>]` through the official SDK.

Tools are forced with tool_choice {"type": "any"} (one call: parallel use disabled). The cacheable
prefix is tools -> system, so both carry an ephemeral cache_control breakpoint: the system block and
the last tool. Cache reads bill at ~0.1x input; usage reports them as cached input tokens. Retries
(429/5xx/529 overloaded, timeouts) are the SDK's own, configured by `max_retries` / `timeout_s`.
"""

from __future__ import annotations

import os
import time
from typing import Any

import anthropic

from harness.models._common import api_key, scrub, split_spec, status_error
from harness.models.base import Message, ModelError, ModelReply, ToolCall, ToolSpec, Usage
from harness.models.pricing import PriceTable

EPHEMERAL = {"type": "ephemeral"}


def anthropic_messages(messages: list[Message], vision: bool) -> list[dict[str, Any]]:
    """User/assistant turns as the API wants them: strictly alternating, starting and ending with
    the user (consecutive same-role messages are merged), images as base64 PNG blocks."""
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        blocks: list[dict[str, Any]] = []
        if m.role == "user" and vision:
            blocks += [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": img.png_b64},
                }
                for img in m.images
            ]
        if m.content.strip():  # the API rejects empty text blocks
            blocks.append({"type": "text", "text": m.content})
        if not blocks:
            continue
        if turns and turns[-1]["role"] == m.role:
            turns[-1]["content"] += blocks
        else:
            turns.append({"role": m.role, "content": blocks})
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

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> AnthropicModel:
        """`anthropic:<model>` or `anthropic:<model>@<base_url>`."""
        model, url = split_spec(rest, spec)
        return cls(model, base_url=url, spec=spec, prices=prices)

    def __repr__(self) -> str:  # never the key
        return f"AnthropicModel(spec={self.spec!r}, base_url={self.base_url!r})"

    def request(self, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
        """messages.create arguments; breakpoints on the system block and the last tool."""
        if not tools:
            raise ValueError("no tools given: a back-end must be offered at least one tool to call")
        tool_defs: list[dict[str, Any]] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
        ]
        tool_defs[-1]["cache_control"] = EPHEMERAL
        args: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": anthropic_messages(messages, self.vision),
            "tools": tool_defs,
            "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        }
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
            msg = scrub(f"{self.provider} connection failed for {self.spec} ({self.base_url}): {exc}", self._key)
            raise ModelError(msg, retryable=True) from None
        except anthropic.AnthropicError as exc:
            msg = scrub(f"{self.provider} error for {self.spec}: {exc}", self._key)
            raise ModelError(msg, retryable=False) from None

    def generate(self, messages: list[Message], tools: list[ToolSpec]) -> ModelReply:
        start = time.monotonic()
        response = self.call(self.request(messages, tools))
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in response.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                if isinstance(block.input, dict):
                    calls.append(ToolCall(name=block.name, arguments=block.input))
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
