"""The one interface every model back-end implements: `generate(messages, tools) -> ModelReply`."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field


class ImagePart(BaseModel):
    """A PNG image inside a user message (vision back-ends only)."""

    png_b64: str


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str
    images: list[ImagePart] = Field(default_factory=list)


class ToolSpec(BaseModel):
    """A function the model may call; `parameters` is a JSON schema object."""

    name: str
    description: str
    parameters: dict[str, Any]


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]


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


class ModelError(Exception):
    """The back-end could not produce a reply after its own retries (outage, auth, bad request)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Model(Protocol):
    """A chat model. `vision` says whether it takes images."""

    spec: str
    vision: bool

    def generate(self, messages: list[Message], tools: list[ToolSpec]) -> ModelReply:
        """One reply; must call exactly one of `tools` when it can (native tool calling or
        grammar-constrained JSON). Raises ModelError when the service fails after retries."""
        ...
