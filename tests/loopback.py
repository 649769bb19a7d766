"""A loopback HTTP server that speaks the OpenAI chat-completions and Anthropic Messages APIs and
answers with the real SmolLM2 model, grammar-constrained to the requested tool schemas.

Tests point the real `openai` / `anthropic` SDKs at it (no client patching), so retries, headers,
serialisation and error mapping all run for real. It can inject faults (429 / 500 / 401 / garbage /
slow replies) for the first N requests or for every request, and records every request it got.
It checks what the real APIs check about tool round trips (OpenAI: every assistant tool call is
answered by a following `tool` message and every tool message answers one; Anthropic: strict
alternation, tool_result blocks first in the user turn right after the tool_use turn, tool blocks
only with tools defined) and answers HTTP 400 like they do. `reject_images` makes it behave like a
text-only llama.cpp server: HTTP 500 for any request that carries an image part.
Prompt caching is emulated from real data: OpenAI-style `cached_tokens` is the prefix llama.cpp
actually reused from its KV cache; Anthropic-style cache reads/writes follow the cache_control
breakpoints (a prefix seen before is read, a new one is written).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llama_cpp import Llama, LlamaGrammar

from harness.models._tooljson import parse_reply, tool_union_schema, tools_prompt
from harness.models.base import ImagePart, Message, ToolSpec
from harness.models.local import ChatPrompt, smollm2_path

GARBAGE_TEXT = "Hmm, I think the hero should probably go north, or maybe not."
FAULTS = ("429", "500", "401", "garbage", "slow")
BUTTONS = ["UP", "DOWN", "LEFT", "RIGHT", "A", "B", "START", "SELECT"]

# the runtime's main action tool and one meta tool, as tests' stand-ins
PRESS_BUTTONS = ToolSpec(
    name="press_buttons",
    description="Press Game Boy buttons in order; each press advances the game.",
    parameters={
        "type": "object",
        "properties": {
            "buttons": {
                "type": "array",
                "items": {"type": "string", "enum": BUTTONS},
                "minItems": 1,
                "maxItems": 4,
            },
            "reasoning": {"type": "string", "maxLength": 120},
        },
        "required": ["buttons", "reasoning"],
    },
)
WRITE_MEMORY = ToolSpec(
    name="write_memory",
    description="Store a fact for later steps.",
    parameters={
        "type": "object",
        "properties": {
            "key": {"type": "string", "maxLength": 40},
            "fact": {"type": "string", "maxLength": 120},
        },
        "required": ["key", "fact"],
    },
)
SYSTEM_PROMPT = (
    "You are playing a Game Boy role-playing game with the buttons UP DOWN LEFT RIGHT A B START SELECT. "
    "Explore the town, talk to people with A, and leave through the north exit. "
) * 6
TEXT_MAP = "\n".join(["##########", "#..N.....#", "#....@...#", "#..?.....#", "####..####"])


def game_messages(step: int, image_b64: str | None = None) -> list[Message]:
    """A typical step: stable system prompt, then the observation (which changes every step)."""
    user = f"Step {step}. You are at (5,2) facing UP.\nMap:\n{TEXT_MAP}\nChoose your next buttons."
    images = [ImagePart(png_b64=image_b64)] if image_b64 else []
    return [Message(role="system", content=SYSTEM_PROMPT), Message(role="user", content=user, images=images)]


def tiny_png_b64() -> str:
    """A real 160x144 PNG (a Game Boy frame's size), base64."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (160, 144), (155, 188, 15)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class Recorded:
    """One request as received: path, headers (lower-case names), parsed JSON body, raw bytes."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class Generated:
    text: str
    prompt_tokens: int
    completion_tokens: int
    reused_tokens: int


@dataclass
class LoopbackServer:
    """Start with `with LoopbackServer() as server:`; `server.url` is http://127.0.0.1:<port>."""

    faults: list[str] = field(default_factory=list)  # consumed one per request
    persistent_fault: str | None = None  # applied to every request
    slow_s: float = 2.0  # how long a "slow" fault sleeps before answering
    reject_images: bool = False  # HTTP 500 on image parts, as llama.cpp's server with a text-only model
    requests: list[Recorded] = field(default_factory=list)
    responses: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # its own llama.cpp instance: the server thread must not share a context with the test thread
        self.llm = Llama(model_path=str(smollm2_path()), n_ctx=4096, n_threads=2, verbose=False)
        self.prompt = ChatPrompt(self.llm)
        self.lock = threading.Lock()
        self.seen_cache_prefixes: set[str] = set()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.llm.close()

    def reset(self) -> None:
        """Forget faults and recorded traffic (the KV cache and cache emulation stay, as on a real server)."""
        self.faults, self.persistent_fault, self.reject_images = [], None, False
        self.requests.clear()
        self.responses.clear()

    def next_fault(self) -> str | None:
        with self.lock:
            if self.faults:
                return self.faults.pop(0)
            return self.persistent_fault

    # -- the model ---------------------------------------------------------------------------

    def generate(self, chat: list[dict[str, str]], schema: dict[str, Any] | None, max_tokens: int) -> Generated:
        """SmolLM2 on `chat`, constrained to `schema` when given."""
        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False) if schema else None
        with self.lock:
            tokens = self.prompt.tokens(chat)
            reused = self.llm.longest_token_prefix(self.llm._input_ids.tolist(), tokens)
            out: Any = self.llm.create_completion(
                prompt=tokens,
                max_tokens=max_tokens,
                temperature=0.0,
                grammar=grammar,
                stop=[self.prompt.eos_text],
            )
        return Generated(
            text=out["choices"][0]["text"],
            prompt_tokens=out["usage"]["prompt_tokens"],
            completion_tokens=out["usage"]["completion_tokens"],
            reused_tokens=min(reused, len(tokens)),
        )

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # -- OpenAI chat completions -------------------------------------------------------------

    def openai(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = _openai_protocol_error(body)
        if problem:
            return 400, _error_body("openai", 400, problem)
        chat = [_openai_turn(m) for m in body["messages"]]
        tools = [t["function"] for t in body.get("tools", [])]
        choice = body.get("tool_choice") or ("auto" if tools else "none")
        if isinstance(choice, dict):
            tools = [t for t in tools if t["name"] == choice["function"]["name"]]
        fmt = body.get("response_format") or {}
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or 200
        created, rid = int(time.time()), f"chatcmpl-{uuid.uuid4().hex[:12]}"
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if fmt.get("type") in ("json_schema", "json_object"):
            schema = fmt["json_schema"]["schema"] if fmt["type"] == "json_schema" else fmt.get("schema")
            gen = self.generate(chat, schema, max_tokens)
            message["content"], finish = gen.text, "stop"
        elif tools and choice != "none":
            specs = [_spec(t["name"], t.get("description", ""), t.get("parameters", {})) for t in tools]
            chat = _with_tools_prompt(chat, specs)
            gen = self.generate(chat, tool_union_schema(specs, allow_answer=choice == "auto"), max_tokens)
            text, calls = parse_reply(gen.text, lambda: f"call_{uuid.uuid4().hex[:12]}")
            if calls:
                message["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in calls
                ]
                finish = "tool_calls"
            else:  # an "auto" answer in words
                message["content"], finish = text, "stop"
        else:
            gen = self.generate(chat, None, min(max_tokens, 40))
            message["content"], finish = gen.text, "stop"
        return 200, {
            "id": rid,
            "object": "chat.completion",
            "created": created,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": gen.prompt_tokens,
                "completion_tokens": gen.completion_tokens,
                "total_tokens": gen.prompt_tokens + gen.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": gen.reused_tokens},
            },
        }

    # -- Anthropic messages ------------------------------------------------------------------

    def anthropic(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = _anthropic_protocol_error(body)
        if problem:
            return 400, _error_body("anthropic", 400, problem)
        system = body.get("system") or []
        system_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system
        system_text = "\n\n".join(b["text"] for b in system_blocks)
        tools = body.get("tools", [])
        choice = body.get("tool_choice") or {"type": "auto"}
        if choice.get("type") == "tool":
            tools = [t for t in tools if t["name"] == choice["name"]]
        specs = [_spec(t["name"], t.get("description", ""), t["input_schema"]) for t in tools]
        chat = [{"role": "system", "content": system_text}] if system_text else []
        chat += [{"role": m["role"], "content": _text_of(m["content"])} for m in body["messages"]]
        max_tokens = body["max_tokens"]
        content: list[dict[str, Any]]
        if specs and choice.get("type") != "none":
            chat = _with_tools_prompt(chat, specs)
            schema = tool_union_schema(specs, allow_answer=choice.get("type") == "auto")
            gen = self.generate(chat, schema, max_tokens)
            text, calls = parse_reply(gen.text, lambda: f"toolu_{uuid.uuid4().hex[:12]}")
            content = [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in calls]
            stop = "tool_use"
            if not calls:
                content, stop = [{"type": "text", "text": text}], "end_turn"
        else:
            gen = self.generate(chat, None, min(max_tokens, 40))
            content, stop = [{"type": "text", "text": gen.text}], "end_turn"
        read, written = self.anthropic_cache(tools, system_blocks)
        return 200, {
            "id": f"msg_{uuid.uuid4().hex[:12]}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": max(0, gen.prompt_tokens - read - written),
                "output_tokens": gen.completion_tokens,
                "cache_read_input_tokens": read,
                "cache_creation_input_tokens": written,
            },
        }

    def anthropic_cache(self, tools: list[dict[str, Any]], system: list[dict[str, Any]]) -> tuple[int, int]:
        """(read, written) tokens for the prefix up to the last cache_control breakpoint
        (order tools -> system, as in the API); no breakpoint, no caching."""
        prefix = [*tools, *system]
        marks = [i for i, block in enumerate(prefix) if block.get("cache_control")]
        if not marks:
            return 0, 0
        cached = prefix[: marks[-1] + 1]
        key = json.dumps(cached, sort_keys=True)
        n = self.count_tokens(key)
        with self.lock:
            if key in self.seen_cache_prefixes:
                return n, 0
            self.seen_cache_prefixes.add(key)
        return 0, n


# -- helpers ---------------------------------------------------------------------------------


def _spec(name: str, description: str, parameters: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name=name, description=description, parameters=parameters)


def _with_tools_prompt(chat: list[dict[str, str]], specs: list[ToolSpec]) -> list[dict[str, str]]:
    """The server-side model sees the tool list in its system prompt, as a real server would render it."""
    if chat and chat[0]["role"] == "system":
        return [{"role": "system", "content": f"{chat[0]['content']}\n\n{tools_prompt(specs)}"}, *chat[1:]]
    return [{"role": "system", "content": tools_prompt(specs)}, *chat]


def _text_of(content: Any) -> str:
    """Text of an OpenAI/Anthropic message content (string or list of parts); images become [image],
    Anthropic tool_use blocks their call JSON and tool_result blocks "Result: ..."."""
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            parts.append(part["text"])
        elif kind in ("image_url", "image"):
            parts.append("[image]")
        elif kind == "tool_use":
            parts.append(json.dumps({"tool": part["name"], "arguments": part["input"]}))
        elif kind == "tool_result":
            parts.append(f"Result: {_text_of(part.get('content', ''))}")
    return "\n".join(parts)


def _openai_turn(m: dict[str, Any]) -> dict[str, str]:
    """One OpenAI message as a chat-template turn: tool calls as their JSON, a tool result as a user turn."""
    if m["role"] == "tool":
        return {"role": "user", "content": f"Result: {_text_of(m.get('content'))}"}
    text = _text_of(m.get("content"))
    calls = [
        json.dumps({"tool": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])})
        for c in m.get("tool_calls") or []
    ]
    return {"role": m["role"], "content": "\n".join(filter(None, [text, *calls]))}


def _openai_protocol_error(body: dict[str, Any]) -> str | None:
    """What OpenAI answers HTTP 400 about in a tool round trip, or None."""
    messages = body.get("messages", [])
    for i, m in enumerate(messages):
        if m.get("role") == "assistant" and m.get("tool_calls"):
            answered = set()
            for later in messages[i + 1 :]:
                if later.get("role") != "tool":
                    break
                answered.add(later.get("tool_call_id"))
            missing = [c["id"] for c in m["tool_calls"] if c.get("id") not in answered]
            if missing:
                return (
                    "An assistant message with 'tool_calls' must be followed by tool messages responding to "
                    f"each 'tool_call_id'. The following tool_call_ids did not have response messages: {missing[0]}"
                )
        if m.get("role") == "tool":
            turn = next((p for p in reversed(messages[:i]) if p.get("role") != "tool"), {})
            if m.get("tool_call_id") not in {c.get("id") for c in turn.get("tool_calls") or []}:
                return "Messages with role 'tool' must be a response to a preceding message with 'tool_calls'."
    return None


def _anthropic_protocol_error(body: dict[str, Any]) -> str | None:
    """What the Messages API answers HTTP 400 about in a tool round trip, or None."""
    messages = body.get("messages", [])
    roles = [m["role"] for m in messages]
    if not roles or roles[0] != "user" or any(a == b for a, b in zip(roles, roles[1:], strict=False)):
        return "messages: roles must alternate between user and assistant, starting with user"
    has_tools = bool(body.get("tools"))
    for i, m in enumerate(messages):
        blocks = m["content"] if isinstance(m["content"], list) else []
        kinds = [b.get("type") for b in blocks]
        if ("tool_use" in kinds or "tool_result" in kinds) and not has_tools:
            return "Requests which include `tool_use` or `tool_result` blocks must define tools."
        uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        if uses:
            following = messages[i + 1]["content"] if i + 1 < len(messages) else []
            results = [b.get("tool_use_id") for b in following if isinstance(b, dict) and b["type"] == "tool_result"]
            if set(uses) - set(results):
                return "tool_use ids were found without tool_result blocks immediately after"
        if "tool_result" in kinds:
            first_other = next((k for k, kind in enumerate(kinds) if kind != "tool_result"), len(kinds))
            if "tool_result" in kinds[first_other:]:
                return "tool_result blocks must come first in the user message content"
            previous = messages[i - 1]["content"] if i else []
            ids = {b.get("id") for b in previous if isinstance(b, dict) and b.get("type") == "tool_use"}
            if any(b.get("tool_use_id") not in ids for b in blocks if b.get("type") == "tool_result"):
                return "unexpected `tool_use_id` found in `tool_result` blocks"
        if any(b.get("type") == "text" and not b.get("text") for b in blocks):
            return "messages: text content blocks must be non-empty"
    return None


def _has_images(body: dict[str, Any]) -> bool:
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, list) and any(p.get("type") in ("image_url", "image") for p in content):
            return True
    return False


def _error_body(api: str, status: int, message: str) -> dict[str, Any]:
    if api == "anthropic":
        kind = {429: "rate_limit_error", 401: "authentication_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def _garbage(api: str, body: dict[str, Any]) -> dict[str, Any]:
    """A well-formed reply that calls no tool (what a model ignoring the tool instructions looks like)."""
    usage = {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22}
    if api == "anthropic":
        return {
            "id": "msg_garbage", "type": "message", "role": "assistant", "model": body.get("model", "?"),
            "content": [{"type": "text", "text": GARBAGE_TEXT}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 12},
        }  # fmt: skip
    return {
        "id": "chatcmpl-garbage", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "?"), "usage": usage,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": GARBAGE_TEXT}}],
    }  # fmt: skip


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            server.responses.append((status, payload))
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                self.close_connection = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            path = self.path.split("?")[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self.send_json(400, {"error": {"message": "body is not JSON"}})
                return
            server.requests.append(Recorded(path=path, headers=headers, body=body, raw=raw))
            if path.endswith("/chat/completions"):
                api = "openai"
            elif path.endswith("/messages"):
                api = "anthropic"
            else:
                self.send_json(404, _error_body("openai", 404, f"no route {path}"))
                return
            fault = server.next_fault()
            if fault == "429":
                self.send_json(429, _error_body(api, 429, "rate limited, slow down"), {"retry-after": "0"})
            elif fault == "500":
                self.send_json(500, _error_body(api, 500, "internal error"))
            elif fault == "401":  # echo the credentials back, as careless servers do
                given = headers.get("authorization", "") + headers.get("x-api-key", "")
                self.send_json(401, _error_body(api, 401, f"invalid credentials: {given}"))
            elif fault == "garbage":
                self.send_json(200, _garbage(api, body))
            elif server.reject_images and _has_images(body):  # what llama.cpp's server says to image parts
                self.send_json(500, _error_body(api, 500, 'can only concatenate str (not "list") to str'))
            else:
                if fault == "slow":
                    time.sleep(server.slow_s)
                status, payload = server.openai(body) if api == "openai" else server.anthropic(body)
                self.send_json(status, payload)

    return Handler
