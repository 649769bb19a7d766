"""OpenAI chat-completions back-ends: `openai:<model>[@<base_url>][#text]` and `vllm:<model>@<url>`.

Both go through the official `openai` SDK, whose own retry loop (exponential backoff with jitter,
honouring retry-after) handles 408/409/429/5xx, timeouts and dropped connections; `max_retries`
and `timeout_s` configure it. Only after it gives up do we raise ModelError.

Prompt caching (OpenAI caches the longest previously seen prefix, >= 1024 tokens) needs the prefix
to be byte-stable: tools and the system message come first and are sent unchanged whatever the
tool_choice; the per-step observation (text + frame) goes last. Cached tokens are read from
`usage.prompt_tokens_details.cached_tokens`.

OpenAI-compatible servers (Ollama, LM Studio, llama.cpp's server, vLLM) differ from OpenAI in what
they accept. Two differences are handled the first time a request meets them, then remembered for
the run: a text-only model whose server fails on image parts (llama.cpp answers HTTP 500) is
switched to text-only with a note in the reply; a server that rejects `content: null` on an
assistant turn with tool calls (llama.cpp again) gets `""` instead.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

import openai

from harness.models._common import api_key, scrub, split_spec, stable, status_error
from harness.models._tooljson import (
    as_text_messages,
    choice_hint,
    paired,
    parse_reply,
    resolve_tool_choice,
    tool_union_schema,
    tools_prompt,
)
from harness.models.base import Message, ModelError, ModelReply, Usage
from harness.models.pricing import PriceTable
from tools.base import AUTO, NONE, REQUIRED, ToolCall, ToolChoice, ToolSpec

# statuses with which servers reject a request shape they do not support (llama.cpp: 500 on image parts)
REJECTED_SHAPE = {400, 422, 500}
SPEC_OPTIONS = frozenset({"text"})


def openai_messages(messages: list[Message], vision: bool, null_content: bool = True) -> list[dict[str, Any]]:
    """Chat messages in the wire format: a user message with images becomes text part + PNG data-URL
    parts (when `vision`); an assistant message that called tools carries `tool_calls` (content
    null when it said nothing, or "" when `null_content` is off); a tool result is
    `{"role": "tool", "tool_call_id", "content"}` (calls and results that do not pair up are sent as
    text: see `paired`)."""
    out: list[dict[str, Any]] = []
    for i, m in enumerate(paired(messages)):
        if m.role == "user" and m.images and vision:
            parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}]
            parts += [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{img.png_b64}"}} for img in m.images
            ]
            out.append({"role": "user", "content": parts})
        elif m.role == "assistant" and m.tool_calls:
            calls = [
                {
                    "id": c.id or f"call_{i}_{j}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for j, c in enumerate(m.tool_calls)
            ]
            content = m.content or (None if null_content else "")
            out.append({"role": "assistant", "content": content, "tool_calls": calls})
        elif m.role == "tool":
            if m.tool_call_id:
                out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
            else:  # a result that answers no call id cannot be a tool message: say it in words
                out.append({"role": "user", "content": f"Result of {m.name or 'the tool'}: {m.content}"})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def _features(args: dict[str, Any]) -> set[str]:
    """The request-shape features some compatible servers reject: image parts, null assistant content."""
    found: set[str] = set()
    for m in args.get("messages", []):
        content = m.get("content")
        if isinstance(content, list) and any(p.get("type") == "image_url" for p in content):
            found.add("images")
        if m.get("role") == "assistant" and m.get("tool_calls") and content is None:
            found.add("null_content")
    return found


class OpenAIModel:
    """Native tool calling. tool_choice "required": a single offered tool is named in tool_choice
    (understood by every OpenAI-compatible server, llama.cpp's included), several use "required";
    a tool name: that tool is named (every tool is still sent, so the cached prefix stays); "auto"
    and "none" are sent as they are (with no tools, "none" sends neither tools nor tool_choice)."""

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
        self.max_retries = max_retries
        self._key = key or api_key(self.key_env, self.base_url, self.spec, placeholder_ok=self._key_optional)
        self.client = openai.OpenAI(
            api_key=self._key, base_url=self.base_url, max_retries=max_retries, timeout=timeout_s
        )
        # a request with a feature the server has not accepted yet is tried with one retry only:
        # when it fails the request is tried again without the feature
        self._probe_client = self.client.with_options(max_retries=min(1, max_retries))
        self.null_content = True  # "" instead of null once the server has rejected null
        self._accepted: set[str] = set()  # request features this server has answered
        self._ids = itertools.count(1)

    _key_optional = False

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> OpenAIModel:
        """`openai:<model>[@<base_url>][#options]`. Options (comma-separated after '#'): `text` sends
        no images (for text-only models behind Ollama, LM Studio, llama.cpp or vLLM). Without it a
        server that rejects the first request carrying images is detected and the run goes on
        text-only, with a note. Example: `openai:smollm2@http://127.0.0.1:8080/v1#text`."""
        model, url, options = split_spec(rest, spec, SPEC_OPTIONS)
        return cls(model, base_url=url, spec=spec, prices=prices, vision="text" not in options)

    def __repr__(self) -> str:  # never the key
        return f"{self.__class__.__name__}(spec={self.spec!r}, base_url={self.base_url!r})"

    def request(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                ) -> dict[str, Any]:
        """The chat.completions.create arguments (tools first in the cached prefix, then messages)."""
        mode, callable_tools = resolve_tool_choice(tools, tool_choice)
        args: dict[str, Any] = {
            "model": self.model,
            "messages": openai_messages(messages, self.vision, self.null_content),
        }
        if tools:
            args["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in tools
            ]
            if mode == REQUIRED and len(callable_tools) == 1:
                args["tool_choice"] = {"type": "function", "function": {"name": callable_tools[0].name}}
            else:
                args["tool_choice"] = mode  # "required", "auto" or "none"
            if self.parallel_tool_calls is not None:
                args["parallel_tool_calls"] = self.parallel_tool_calls
        args["max_completion_tokens"] = self.max_tokens
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def call(self, args: dict[str, Any], client: openai.OpenAI | None = None) -> Any:
        """One SDK call (with the SDK's retries); every failure becomes a key-free ModelError whose
        message is the same every time the same failure happens."""
        try:
            return (client or self.client).chat.completions.create(**args)
        except openai.APIStatusError as exc:
            raise status_error(self.provider, self.spec, exc.status_code, exc.message, self._key) from None
        except openai.APITimeoutError:
            raise ModelError(f"{self.provider} request timed out for {self.spec}", retryable=True) from None
        except openai.APIConnectionError as exc:
            msg = f"{self.provider} connection failed for {self.spec} ({self.base_url}): {exc}"
            raise ModelError(stable(scrub(msg, self._key)), retryable=True) from None
        except openai.OpenAIError as exc:
            msg = stable(scrub(f"{self.provider} error for {self.spec}: {exc}", self._key))
            raise ModelError(msg, retryable=False) from None

    def send(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice,
             ) -> tuple[Any, list[str]]:
        """The response, and notes. A request whose shape the server has not accepted yet (images,
        null content) that fails with 400/422/500 is retried without null content, then without
        images; what works is kept for the rest of the run. When nothing does, the first error."""
        args = self.request(messages, tools, tool_choice)
        untried = _features(args) - self._accepted
        if not untried:
            response = self.call(args)
            self._accepted |= _features(args)
            return response, []
        try:
            response = self.call(args, self._probe_client)
            self._accepted |= _features(args)
            return response, []
        except ModelError as exc:
            if exc.status not in REJECTED_SHAPE:
                raise
            first = exc
        saved = (self.null_content, self.vision)
        for feature in ("null_content", "images"):
            if feature not in untried:
                continue
            if feature == "null_content":
                self.null_content = False
            else:
                self.vision = False
            retry = self.request(messages, tools, tool_choice)
            try:
                response = self.call(retry, self._probe_client if _features(retry) - self._accepted else None)
            except ModelError as exc:
                if exc.status not in REJECTED_SHAPE:
                    self.null_content, self.vision = saved
                    raise first from None
                continue
            self._accepted |= _features(retry)
            notes = []
            if not self.vision and saved[1]:
                notes.append(
                    scrub(
                        f"{self.spec}: the server rejected image input; continuing text-only "
                        "(use #text to silence this)",
                        self._key,
                    )
                )
            return response, notes
        self.null_content, self.vision = saved
        raise first from None

    def usage(self, response: Any) -> Usage:
        u = response.usage
        if u is None:
            return Usage()
        details = getattr(u, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None) or 0
        return Usage(input_tokens=u.prompt_tokens, output_tokens=u.completion_tokens, cached_input_tokens=cached)

    def generate(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                 ) -> ModelReply:
        start = time.monotonic()
        response, notes = self.send(messages, tools, tool_choice)
        if not response.choices:
            raise ModelError(f"{self.provider} returned no choices for {self.spec}", retryable=True)
        text, calls = self.parse(response.choices[0].message, tool_choice)
        usage = self.usage(response)
        return ModelReply(
            text=scrub(text, self._key),
            tool_calls=calls,
            usage=usage,
            cost_usd=self.prices.cost(self.model, usage),
            model=response.model or self.model,
            latency_s=time.monotonic() - start,
            notes=notes,
        )

    def new_id(self) -> str:
        return f"call_{next(self._ids)}"

    def parse(self, message: Any, tool_choice: ToolChoice = REQUIRED) -> tuple[str, list[ToolCall]]:
        """Text and tool calls (each with the provider's id, or a made-up one); a call whose arguments
        are not a JSON object is kept as text so the runtime's repair turn can show the model what
        went wrong."""
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
                calls.append(ToolCall(name=fn.name, arguments=arguments, id=getattr(tc, "id", None) or self.new_id()))
            else:
                text += f"\n[call to {fn.name} with unparseable arguments: {(fn.arguments or '')[:300]}]"
        return text, calls


class VLLMModel(OpenAIModel):
    """A vLLM server through its OpenAI-compatible API, with structured output instead of native tools.

    `response_format={"type": "json_schema"}` constrains the reply to {"tool", "arguments"} (the same
    shape as the local back-end; see harness/models/_tooljson.py for tool_choice "auto", which adds a
    {"tool": "none"} answer object, and "none", which sends no response_format). Why not tool_choice:
    "auto" needs server flags (--enable-auto-tool-choice, --tool-call-parser), "required" only exists
    in newer vLLM, and many small models' chat templates drop the `tools` list so the model never sees
    it; json_schema guided decoding is on by default in every vLLM with structured outputs, and the
    tool list goes in the system prompt where any template keeps it. Tool calls and results in the
    conversation are sent as text (the call's JSON; "Result of <name>: ..." user turns). Key from
    VLLM_API_KEY (vLLM needs none by default; the OpenAI key is never sent to a vLLM host). Text only
    unless vision=True. Cost 0 unless priced.
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
        """`vllm:<model>@<url>[#text]` (the URL may also come from VLLM_BASE_URL; text-only is the default)."""
        model, url, _ = split_spec(rest, spec, SPEC_OPTIONS)
        if not (url or os.environ.get(cls.url_env)):
            raise ValueError(f"model spec {spec!r} needs a server URL: vllm:<model>@http://host:8000/v1")
        return cls(model, base_url=url, spec=spec, prices=prices)

    def request(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                ) -> dict[str, Any]:
        mode, callable_tools = resolve_tool_choice(tools, tool_choice)
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        system = f"{system}\n\n{tools_prompt(tools) if tools else ''}".strip()
        rest = [m for m in as_text_messages(messages) if m.role != "system"]
        hint = choice_hint(mode, callable_tools, tools)
        tail = [Message(role="user", content=hint)] if hint else []
        args: dict[str, Any] = {
            "model": self.model,
            "messages": openai_messages([Message(role="system", content=system), *rest, *tail], self.vision),
            "max_tokens": self.max_tokens,  # older vLLM has no max_completion_tokens
        }
        if mode != NONE:
            schema = tool_union_schema(
                callable_tools, max_string_chars=self.max_string_chars, allow_answer=mode == AUTO
            )
            args["response_format"] = {"type": "json_schema", "json_schema": {"name": "tool_call", "schema": schema}}
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def parse(self, message: Any, tool_choice: ToolChoice = REQUIRED) -> tuple[str, list[ToolCall]]:
        text = message.content or ""
        if tool_choice == NONE:
            return text, []
        return parse_reply(text, self.new_id)

    def render_example(self, messages: list[Message], tools: list[ToolSpec], reply: ToolCall,
                       tool_choice: ToolChoice = REQUIRED, *, tokenizer: Any) -> tuple[str, str]:
        """(prompt, completion) as text for fine-tuning the served model: the messages this back-end would
        send, through the served checkpoint's own chat template (`tokenizer`, as vLLM applies it), and the
        reply as the JSON object the structured output asks for."""
        chat = self.request(messages, tools, tool_choice)["messages"]
        prompt = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        body = json.dumps({"tool": reply.name, "arguments": reply.arguments}, separators=(",", ":"), ensure_ascii=False)
        return prompt, body + (tokenizer.eos_token or "")
