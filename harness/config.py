"""Run configuration: one pydantic document, stored in the run's first event."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from harness.refine import REFINED_PRESETS, RefineSettings


class RunConfig(BaseModel):
    env: str = Field("quest", description="environment name (see `harness run --help`): quest, form, pokered, ...")
    rom: str | None = Field(None, description="ROM file for games not built in this repo (bring your own)")
    env_options: dict[str, Any] = Field(default_factory=dict, description="extra keyword options for the env")
    model: str = Field(
        "local", description="model spec: local, openai:<m>, anthropic:<m>, vllm:<m>@<url>, scripted:<f>",
    )
    harness: str = Field("minimal", description="starting harness preset (harness/state/presets/)")
    bootstrap_from: str | None = Field(None, description="start from this run's final harness instead of the preset")
    steps: int = Field(200, ge=0, description="run until this many steps exist in the log")
    seed: int = Field(0, description="seed passed to the one and only env.reset()")
    frames_per_step: int | None = Field(None, ge=1, description="emulator frames per step (None: the env's default)")
    savestate_every: int = Field(25, ge=1, description="savestate every N steps (resume replays the rest)")
    history: int = Field(6, ge=0, description="fewest recent steps shown to the model (its context window)")
    history_chunk: int = Field(
        6, ge=1, description="history lines are dropped in chunks of this many, so the prompt prefix only grows "
                             "between chunk boundaries and the model's prompt cache keeps it",
    )
    summary_every: int = Field(
        24, ge=0, description="every this many steps the model rewrites the rolling summary of the steps that left "
                              "its window (0: only the deterministic summary); a bad reply falls back to a "
                              "deterministic one. Rounded up to a multiple of history_chunk",
    )
    max_meta_calls: int = Field(2, ge=0, description="meta-tool calls allowed in one step before it must act")
    max_repairs: int = Field(2, ge=0, description="re-asks after an unusable reply before counting a format failure")
    first_call_attempts: int = Field(
        3, ge=1, description="identical failures of a run's very first model call before it stops as misconfigured",
    )
    budget_usd: float | None = Field(None, description="stop cleanly (resumable) before spending more than this")
    max_tokens: int | None = Field(None, description="stop cleanly (resumable) before using more tokens than this")
    prices: str | None = Field(None, description="JSON file overriding the $/1M-token price table")
    store_frames: bool = Field(True, description="keep each observed frame (PNG) in the run store")
    max_backoff_s: float = Field(300.0, description="longest wait between retries during a model outage")
    refiner_model: str | None = Field(None, description="model spec for refiner passes (None: the acting model)")
    refine: RefineSettings = Field(default_factory=RefineSettings, description="the refiner's cadence and limits")

    @property
    def refining(self) -> bool:
        return self.refine.enabled if self.refine.enabled is not None else self.harness in REFINED_PRESETS

    def env_kwargs(self) -> dict[str, Any]:
        kw = dict(self.env_options)
        if self.frames_per_step is not None:
            kw["frames_per_step"] = self.frames_per_step
        return kw
