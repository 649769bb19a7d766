"""The one interface every model back-end implements: `generate(messages, tools, tool_choice) -> ModelReply`."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

from tools.base import REQUIRED, ToolCall, ToolChoice, ToolSpec

__all__ = ["ImagePart", "Message", "Model", "ModelError", "ModelReply", "ToolCall", "ToolChoice", "ToolSpec",
           "Usage"]


class ImagePart(BaseModel):
    """A PNG image inside a user message (vision back-ends only)."""

    png_b64: str


class Message(BaseModel):
    """One chat message. An assistant message may carry the tool calls it made; a `tool` message is
    the result of one call (`tool_call_id` answers `ToolCall.id`, `name` is the tool's name).
    Back-ends map these to their wire format: OpenAI `role: "tool"`, Anthropic `tool_use` /
    `tool_result` blocks, a plain user message for `local`."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    images: list[ImagePart] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str = ""
    name: str = ""


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0


class ModelReply(BaseModel):
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    model: str = ""
    latency_s: float = 0.0
    # one-time messages for the user (e.g. "continuing text-only"): the runtime shows and logs them once
    notes: list[str] = Field(default_factory=list)


class ModelError(Exception):
    """The back-end could not produce a reply after its own retries (outage, auth, bad request).

    The message never carries a key, and the same failure gives the same message on every call (no
    request ids, timestamps or addresses), so the runtime can tell "the first call keeps failing the
    same way" apart from a string of different failures. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class Model(Protocol):
    """A chat model. `vision` says whether it takes images."""

    spec: str
    vision: bool

    def generate(self, messages: list[Message], tools: list[ToolSpec], tool_choice: ToolChoice = REQUIRED,
                 ) -> ModelReply:
        """One reply. `tool_choice`: "required" (call exactly one of `tools`: native tool calling or
        grammar-constrained JSON), "auto" (text or one call), "none" (free text, no call), or a tool
        name (call that tool: structured JSON). Raises ModelError when the service fails after retries."""
        ...
