"""`scripted:<file>`: replies read from a JSONL file, for deterministic tests only.

Each line is one reply, used in order and cycled when the file ends:
  {"tool": "press_buttons", "arguments": {"buttons": ["A"], "reasoning": "..."}}   a tool call (any tool,
                                                                                  meta tools included)
  {"text": "anything"}                                                              plain text (no tool call)
  {"error": "message", "retryable": true}                                           raise ModelError
A first line {"mode": "by_tool"} keeps the order but skips lines whose tool is not offered (or not the
one tool_choice forces), with one cursor per forced tool and one for the rest, so one file scripts the
actor and the refiner of a run independently. A line may carry "delay_s": seconds to wait before
replying (kill tests aim at that window).
A first line {"mode": "by_prompt"} picks each reply by a hash of the whole prompt instead of by call
order (the first line from the hashed position that this call could get, as in by_tool): the same
prompt always gets the same reply, so a killed-and-resumed run must reproduce an uninterrupted one
exactly — if its emulator state and context window were restored exactly. The hash
covers every message's role and text, the name and arguments of the tool calls it carries and the
tool name of a result (not call ids, which are ours to make up); a conversation without tool calls
hashes as it always did.

tool_choice: the line is returned as it is (the script decides, not the choice), except "none" (a
text-only call such as the rolling summary): it takes the next text line from a cursor of its own (in
by_prompt mode: the text line the prompt's hash picks), and replies "" when the file has no text line,
so scripts written for the acting calls need no lines for it. Calls get ids: "call_<n>" by call order,
or "call_<prompt hash>" in by_prompt mode (so a replay sees the same ids too).
Tokens are counted as characters / 4 so budgets and accounting can be tested.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from harness.models.base import Message, ModelError, ModelReply, Usage
from harness.models.pricing import PriceTable
from tools.base import AUTO, NONE, REQUIRED, ToolCall, ToolChoice, ToolSpec


def prompt_digest(messages: list[Message]) -> bytes:
    """A hash of the conversation's content (ids left out); unchanged from the older
    role+content hash when no message carries tool calls or a tool name."""
    parts = []
    for m in messages:
        part = m.role + m.content
        if m.tool_calls:
            part += "\x01" + json.dumps([[c.name, c.arguments] for c in m.tool_calls], sort_keys=True)
        if m.role == "tool" and m.name:
            part += "\x01" + m.name
        parts.append(part)
    return hashlib.sha256("\x00".join(parts).encode()).digest()


class ScriptedModel:
    vision = False

    def __init__(self, path: Path, prices: PriceTable, model_name: str = "scripted") -> None:
        self.spec = f"scripted:{path}"
        self.model_name = model_name
        self.prices = prices
        try:
            lines = [ln for ln in Path(path).read_text().splitlines() if ln.strip()]
            self.replies = [json.loads(ln) for ln in lines]
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"scripted model file {path}: {e}") from None
        if not all(isinstance(r, dict) for r in self.replies):
            raise ValueError(f"scripted model file {path}: every line must be a JSON object")
        self.mode = self.replies[0].get("mode", "order") if self.replies else "order"
        self.by_prompt = self.mode == "by_prompt"
        if "mode" in (self.replies[0] if self.replies else {}):
            self.replies = self.replies[1:]
        if not self.replies:
            raise ValueError(f"scripted model file {path} has no replies")
        self.calls = 0
        self.cursors: dict[str | None, int] = {}

    def _text_reply(self, messages: list[Message]) -> ModelReply:
        texts = [r for r in self.replies if "tool" not in r and "error" not in r]
        text = ""
        if texts:
            if self.by_prompt:  # the same prompt gets the same text, in a resumed run too
                n = int.from_bytes(prompt_digest(messages)[:8], "little")
            else:
                n = self.cursors.get(NONE, 0)
                self.cursors[NONE] = n + 1
            text = str(texts[n % len(texts)].get("text", ""))
        usage = Usage(input_tokens=sum(len(m.content) for m in messages) // 4, output_tokens=max(1, len(text) // 4))
        return ModelReply(text=text, tool_calls=[], usage=usage, model=self.model_name,
                          cost_usd=self.prices.cost(self.model_name, usage))

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> ScriptedModel:
        if not rest:
            raise ValueError("scripted model needs a file: scripted:<replies.jsonl>")
        return cls(Path(rest), prices)

    def _next_offered(self, start: int, offered: set[str], forced: str | None) -> int:
        """The first line from `start` (cycling) that this call could get: a text or error line, or a
        call of an offered tool (of the forced one when tool_choice names one)."""
        for k in range(len(self.replies)):
            tool = self.replies[(start + k) % len(self.replies)].get("tool")
            if tool is None or (tool == forced if forced else tool in offered):
                return start + k
        return start

    def generate(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                 ) -> ModelReply:
        if tool_choice == NONE:
            return self._text_reply(messages)
        index = self.calls
        call_id = f"call_{self.calls + 1}"
        if self.by_prompt:  # the hash picks a start; the first line this call could get from there is used
            digest = prompt_digest(messages)
            start = int.from_bytes(digest[:8], "little") % len(self.replies)
            forced = tool_choice if tool_choice not in (AUTO, REQUIRED, NONE) else None
            index = self._next_offered(start, {t.name for t in tools}, forced)
            call_id = f"call_{digest[:6].hex()}"
        if self.mode == "by_tool":  # a cursor per forced tool (and one for free choice), each in file order
            forced = tool_choice if tool_choice not in (AUTO, REQUIRED, NONE) else None
            index = self._next_offered(self.cursors.get(forced, 0), {t.name for t in tools}, forced)
            self.cursors[forced] = index + 1
        line = self.replies[index % len(self.replies)]
        self.calls += 1
        if line.get("delay_s"):
            time.sleep(float(line["delay_s"]))
        if "error" in line:
            raise ModelError(str(line["error"]), retryable=bool(line.get("retryable", True)))
        calls: list[ToolCall] = []
        if "tool" in line:
            if tool_choice == NONE:
                text = ""
            else:
                calls = [ToolCall(name=line["tool"], arguments=line.get("arguments", {}), id=call_id)]
                text = json.dumps(line)
        else:
            text = str(line.get("text", ""))
        usage = Usage(
            input_tokens=sum(len(m.content) for m in messages) // 4,
            output_tokens=max(1, len(text) // 4),
        )
        return ModelReply(
            text=text, tool_calls=calls, usage=usage, model=self.model_name,
            cost_usd=self.prices.cost(self.model_name, usage),
        )
