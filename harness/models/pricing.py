"""Token prices in USD per million tokens, overridable by the user.

The built-in table is a convenience, not an authority: prices change. Pass
`--prices FILE` (JSON: {"model-name": {"input": 3.0, "output": 15.0, "cached_input": 0.3}})
to override or extend it. Unknown models cost 0 and the run says so once.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from harness.models.base import Usage


class Price(BaseModel):
    input: float  # USD per 1M input tokens
    output: float  # USD per 1M output tokens
    cached_input: float | None = None  # USD per 1M cache-read tokens (defaults to input)


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input=2.5, output=10.0, cached_input=1.25),
    "gpt-4o-mini": Price(input=0.15, output=0.6, cached_input=0.075),
    "gpt-4.1": Price(input=2.0, output=8.0, cached_input=0.5),
    "gpt-4.1-mini": Price(input=0.4, output=1.6, cached_input=0.1),
    "claude-sonnet-4-5": Price(input=3.0, output=15.0, cached_input=0.3),
    "claude-haiku-4-5": Price(input=1.0, output=5.0, cached_input=0.1),
    "claude-opus-4-1": Price(input=15.0, output=75.0, cached_input=1.5),
}


class PriceTable:
    def __init__(self, prices: dict[str, Price] | None = None) -> None:
        self.prices = dict(DEFAULT_PRICES if prices is None else prices)

    @classmethod
    def load(cls, path: str | Path | None) -> PriceTable:
        table = cls()
        if path:
            raw = json.loads(Path(path).read_text())
            table.prices.update({k: Price.model_validate(v) for k, v in raw.items()})
        return table

    def lookup(self, model: str) -> Price | None:
        if model in self.prices:
            return self.prices[model]
        # dated snapshots ("claude-sonnet-4-5-20250929") fall back to the longest known prefix
        best = max((k for k in self.prices if model.startswith(k)), key=len, default=None)
        return self.prices[best] if best else None

    def cost(self, model: str, usage: Usage) -> float:
        price = self.lookup(model)
        if price is None:
            return 0.0
        cached = usage.cached_input_tokens
        cached_rate = price.cached_input if price.cached_input is not None else price.input
        return (
            (usage.input_tokens - cached) * price.input
            + cached * cached_rate
            + usage.output_tokens * price.output
        ) / 1e6
