"""OpenAI chat-completions back-ends: `openai:<model>[@<base_url>]` and `vllm:<model>@<url>`.

Both go through the official `openai` SDK, whose own retry loop (exponential backoff with jitter,
honouring retry-after) handles 408/409/429/5xx, timeouts and dropped connections; `max_retries`
and `timeout_s` configure it. Only after it gives up do we raise ModelError.

Prompt caching (OpenAI caches the longest previously seen prefix, >= 1024 tokens) needs the prefix
to be byte-stable: tools and the system message come first and are sent unchanged; the per-step
observation (text + frame) goes last. Cached tokens are read from
`usage.prompt_tokens_details.cached_tokens`.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import openai

from harness.models._common import api_key, scrub, split_spec, status_error
from harness.models._tooljson import parse_tool_json, tool_union_schema, tools_prompt
from harness.models.base import Message, ModelError, ModelReply, ToolCall, ToolSpec, Usage
from harness.models.pricing import PriceTable


def openai_messages(messages: list[Message], vision: bool) -> list[dict[str, Any]]:
    """Chat messages; a user message with images becomes text part + PNG data-URL parts."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "user" and m.images and vision:
            parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}]
            parts += [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{img.png_b64}"}} for img in m.images
            ]
            out.append({"role": "user", "content": parts})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


class OpenAIModel:
    """Native tool calling, forced: a single tool is named in tool_choice (understood by every
    OpenAI-compatible server, llama.cpp's included), several use tool_choice="required"."""

    provider = "OpenAI"
    key_env = "OPENAI_API_KEY"
    url_env = "OPENAI_BASE_URL"

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
        parallel_tool_calls: bool | None = False,
    ) -> None:
        self.model = model
        self.spec = spec or f"{self.__class__.__name__.removesuffix('Model').lower()}:{model}"
        self.base_url = base_url or os.environ.get(self.url_env) or None
        self.vision = vision
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.parallel_tool_calls = parallel_tool_calls
        self.prices = prices or PriceTable()
        self._key = key or api_key(self.key_env, self.base_url, self.spec, placeholder_ok=self._key_optional)
        self.client = openai.OpenAI(
            api_key=self._key, base_url=self.base_url, max_retries=max_retries, timeout=timeout_s
        )

    _key_optional = False

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> OpenAIModel:
        """`openai:<model>` or `openai:<model>@<base_url>`."""
        model, url = split_spec(rest, spec)
        return cls(model, base_url=url, spec=spec, prices=prices)

    def __repr__(self) -> str:  # never the key
        return f"{self.__class__.__name__}(spec={self.spec!r}, base_url={self.base_url!r})"

    def request(self, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
        """The chat.completions.create arguments (tools first in the cached prefix, then messages)."""
        if not tools:
            raise ValueError("no tools given: a back-end must be offered at least one tool to call")
        choice: Any = {"type": "function", "function": {"name": tools[0].name}} if len(tools) == 1 else "required"
        args: dict[str, Any] = {
            "model": self.model,
            "messages": openai_messages(messages, self.vision),
            "tools": [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in tools
            ],
            "tool_choice": choice,
            "max_completion_tokens": self.max_tokens,
        }
        if self.parallel_tool_calls is not None:
            args["parallel_tool_calls"] = self.parallel_tool_calls
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def call(self, args: dict[str, Any]) -> Any:
        """One SDK call (with the SDK's retries); every failure becomes a key-free ModelError."""
        try:
            return self.client.chat.completions.create(**args)
        except openai.APIStatusError as exc:
            raise status_error(self.provider, self.spec, exc.status_code, exc.message, self._key) from None
        except openai.APITimeoutError:
            raise ModelError(f"{self.provider} request timed out for {self.spec}", retryable=True) from None
        except openai.APIConnectionError as exc:
            msg = scrub(f"{self.provider} connection failed for {self.spec} ({self.base_url}): {exc}", self._key)
            raise ModelError(msg, retryable=True) from None
        except openai.OpenAIError as exc:
            msg = scrub(f"{self.provider} error for {self.spec}: {exc}", self._key)
            raise ModelError(msg, retryable=False) from None

    def usage(self, response: Any) -> Usage:
        u = response.usage
        if u is None:
            return Usage()
        details = getattr(u, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None) or 0
        return Usage(input_tokens=u.prompt_tokens, output_tokens=u.completion_tokens, cached_input_tokens=cached)

    def generate(self, messages: list[Message], tools: list[ToolSpec]) -> ModelReply:
        start = time.monotonic()
        response = self.call(self.request(messages, tools))
        if not response.choices:
            raise ModelError(f"{self.provider} returned no choices for {self.spec}", retryable=True)
        text, calls = self.parse(response.choices[0].message)
        usage = self.usage(response)
        return ModelReply(
            text=scrub(text, self._key),
            tool_calls=calls,
            usage=usage,
            cost_usd=self.prices.cost(self.model, usage),
            model=response.model or self.model,
            latency_s=time.monotonic() - start,
        )

    def parse(self, message: Any) -> tuple[str, list[ToolCall]]:
        """Text and tool calls; a call whose arguments are not a JSON object is kept as text so
        the runtime's repair turn can show the model what went wrong."""
        text = message.content or ""
        calls: list[ToolCall] = []
        for tc in message.tool_calls or []:
            fn = getattr(tc, "function", None)
            if fn is None:
                continue
            try:
                arguments = json.loads(fn.arguments or "{}")
            except json.JSONDecodeError:
                arguments = None
            if isinstance(arguments, dict):
                calls.append(ToolCall(name=fn.name, arguments=arguments))
            else:
                text += f"\n[call to {fn.name} with unparseable arguments: {(fn.arguments or '')[:300]}]"
        return text, calls


class VLLMModel(OpenAIModel):
    """A vLLM server through its OpenAI-compatible API, with structured output instead of native tools.

    `response_format={"type": "json_schema"}` constrains the reply to {"tool", "arguments"} (the same
    shape as the local back-end). Why not tool_choice: "auto" needs server flags
    (--enable-auto-tool-choice, --tool-call-parser), "required" only exists in newer vLLM, and many
    small models' chat templates drop the `tools` list so the model never sees it; json_schema guided
    decoding is on by default in every vLLM with structured outputs, and the tool list goes in the
    system prompt where any template keeps it. Key from VLLM_API_KEY (vLLM needs none by default; the
    OpenAI key is never sent to a vLLM host). Text only unless vision=True. Cost 0 unless priced.
    """

    provider = "vLLM"
    key_env = "VLLM_API_KEY"
    url_env = "VLLM_BASE_URL"
    _key_optional = True

    def __init__(self, model: str, *, max_string_chars: int = 1000, **kwargs: Any) -> None:
        kwargs.setdefault("vision", False)
        kwargs.setdefault("parallel_tool_calls", None)
        super().__init__(model, **kwargs)
        self.max_string_chars = max_string_chars

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> VLLMModel:
        """`vllm:<model>@<url>` (the URL may also come from VLLM_BASE_URL)."""
        model, url = split_spec(rest, spec)
        if not (url or os.environ.get(cls.url_env)):
            raise ValueError(f"model spec {spec!r} needs a server URL: vllm:<model>@http://host:8000/v1")
        return cls(model, base_url=url, spec=spec, prices=prices)

    def request(self, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
        schema = tool_union_schema(tools, max_string_chars=self.max_string_chars)
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        system = f"{system}\n\n{tools_prompt(tools)}".strip()
        rest = [m for m in messages if m.role != "system"]
        args: dict[str, Any] = {
            "model": self.model,
            "messages": openai_messages([Message(role="system", content=system), *rest], self.vision),
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "tool_call", "schema": schema},
            },
            "max_tokens": self.max_tokens,  # older vLLM has no max_completion_tokens
        }
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def parse(self, message: Any) -> tuple[str, list[ToolCall]]:
        text = message.content or ""
        return text, parse_tool_json(text)
