"""Run configuration: one pydantic document, stored in the run's first event."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RunConfig(BaseModel):
    env: str = Field("quest", description="environment name: quest, pokered, pokeyellow, pokecrystal")
    rom: str | None = Field(None, description="ROM file for games not built in this repo (bring your own)")
    model: str = Field(
        "local", description="model spec: local, openai:<m>, anthropic:<m>, vllm:<m>@<url>, scripted:<f>",
    )
    harness: str = Field("minimal", description="starting harness preset")
    steps: int = Field(200, ge=0, description="run until this many steps exist in the log")
    seed: int = Field(0, description="seed passed to the one and only env.reset()")
    frames_per_step: int = Field(120, ge=1, description="emulator frames per step")
    savestate_every: int = Field(25, ge=1, description="savestate every N steps (resume replays the rest)")
    history: int = Field(6, ge=0, description="recent steps shown to the model (its context window)")
    max_repairs: int = Field(2, ge=0, description="re-asks after an unusable reply before counting a format failure")
    budget_usd: float | None = Field(None, description="stop cleanly (resumable) before spending more than this")
    max_tokens: int | None = Field(None, description="stop cleanly (resumable) before using more tokens than this")
    prices: str | None = Field(None, description="JSON file overriding the $/1M-token price table")
    store_frames: bool = Field(True, description="keep each observed frame (PNG) in the run store")
    max_backoff_s: float = Field(300.0, description="longest wait between retries during a model outage")
