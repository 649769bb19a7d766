"""`scripted:<file>`: replies read from a JSONL file, for deterministic tests only.

Each line is one reply, used in order and cycled when the file ends:
  {"tool": "press_buttons", "arguments": {"buttons": ["A"], "reasoning": "..."}}   a tool call
  {"text": "anything"}                                                              plain text (no tool call)
  {"error": "message", "retryable": true}                                           raise ModelError
A first line {"mode": "by_prompt"} picks each reply by a hash of the whole prompt instead of by call
order: the same prompt always gets the same reply, so a killed-and-resumed run must reproduce an
uninterrupted one exactly — if its emulator state and context window were restored exactly.
Tokens are counted as characters / 4 so budgets and accounting can be tested.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.models.base import Message, ModelError, ModelReply, ToolCall, ToolSpec, Usage
from harness.models.pricing import PriceTable


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
        self.by_prompt = bool(self.replies) and self.replies[0].get("mode") == "by_prompt"
        if self.by_prompt:
            self.replies = self.replies[1:]
        if not self.replies:
            raise ValueError(f"scripted model file {path} has no replies")
        self.calls = 0

    @classmethod
    def from_spec(cls, spec: str, rest: str, prices: PriceTable) -> ScriptedModel:
        if not rest:
            raise ValueError("scripted model needs a file: scripted:<replies.jsonl>")
        return cls(Path(rest), prices)

    def generate(self, messages: list[Message], tools: list[ToolSpec]) -> ModelReply:
        index = self.calls
        if self.by_prompt:
            digest = hashlib.sha256("\x00".join(m.role + m.content for m in messages).encode()).digest()
            index = int.from_bytes(digest[:8], "little")
        line = self.replies[index % len(self.replies)]
        self.calls += 1
        if "error" in line:
            raise ModelError(str(line["error"]), retryable=bool(line.get("retryable", True)))
        if "tool" in line:
            calls = [ToolCall(name=line["tool"], arguments=line.get("arguments", {}))]
            text = json.dumps(line)
        else:
            calls, text = [], str(line.get("text", ""))
        usage = Usage(
            input_tokens=sum(len(m.content) for m in messages) // 4,
            output_tokens=max(1, len(text) // 4),
        )
        return ModelReply(
            text=text, tool_calls=calls, usage=usage, model=self.model_name,
            cost_usd=self.prices.cost(self.model_name, usage),
        )
