"""Model back-ends chosen by a spec string: `local[:<file.gguf>]`, `openai:<model>[@<url>][#text]`,
`anthropic:<model>[@<url>][#text]`, `vllm:<model>@<url>`, `scripted:<file>` (`#text`: send no images,
for text-only models behind a compatible server). Each back-end is imported lazily so a missing SDK
only matters when that back-end is used. Every back-end implements
`generate(messages, tools, tool_choice="required") -> ModelReply` (see base.Model)."""

from __future__ import annotations

import importlib

from harness.models.base import Message, Model, ModelError, ModelReply, ToolCall, ToolSpec, Usage
from harness.models.pricing import PriceTable

BACKENDS: dict[str, str] = {
    "local": "harness.models.local:LocalModel",
    "openai": "harness.models.openai_backend:OpenAIModel",
    "anthropic": "harness.models.anthropic_backend:AnthropicModel",
    "vllm": "harness.models.openai_backend:VLLMModel",
    "scripted": "harness.models.scripted:ScriptedModel",
}

__all__ = ["Message", "Model", "ModelError", "ModelReply", "ToolCall", "ToolSpec", "Usage", "make_model"]


def make_model(spec: str, prices: PriceTable | None = None) -> Model:
    """Build a back-end from its spec string, e.g. `openai:gpt-4o` or `scripted:moves.jsonl`."""
    kind, _, rest = spec.partition(":")
    if "#" in kind and ":" not in spec:  # `local#seed=1`: options without a model file
        kind, rest = kind.split("#", 1)[0], "#" + kind.split("#", 1)[1]
    if kind not in BACKENDS:
        raise ValueError(f"unknown model spec {spec!r}; expected one of: {', '.join(BACKENDS)} (e.g. openai:gpt-4o)")
    module, cls = BACKENDS[kind].split(":")
    backend = getattr(importlib.import_module(module), cls)
    return backend.from_spec(spec, rest, prices or PriceTable())
