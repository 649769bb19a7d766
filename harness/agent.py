"""The inner loop: observation -> prompt -> model -> action -> env -> event.

    while step < target:           run()
        check budget               -> BudgetExceeded stops cleanly (resumable)
        messages = prompt(H, obs)  harness/prompt.py
        action   = query(model)    harness/models/, tools/   (bounded repair, outage backoff)
        obs      = env.step(action) envs/
        commit(step event)         harness/store.py          (one transaction; survives kill -9)

The env is reset exactly once, when the run is created (harness/runner.py); a resumed run loads
a savestate instead. Early exits are exceptions, not flags.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from harness.config import RunConfig
from harness.display import Display
from harness.events import FormatFailure, ModelErrorEvent, RunStopped, Savestate, Step
from harness.milestones import MilestoneTracker
from harness.models.base import Message, Model, ModelError, ModelReply, Usage
from harness.prompt import Turn, build_messages, frame_png
from harness.state import HarnessState
from harness.store import RunStore
from tools import ACTION_TOOLS, FormatError, PressButtons, parse_action


class BudgetExceeded(Exception):
    pass


class RunFailed(Exception):
    """A non-retryable failure (e.g. bad API key); the run stops and can be resumed after a fix."""


@dataclass
class Totals:
    presses: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    format_failures: int = 0
    # the largest recent call, the estimate of the next one (prompts grow with history)
    next_call_tokens: int = 0
    next_call_cost: float = 0.0


@dataclass
class Agent:
    cfg: RunConfig
    env: Any  # envs.gameboy.GameBoyEnv (gymnasium API)
    model: Model
    store: RunStore
    harness: HarnessState
    harness_version: int
    step_id: int  # the next step to run
    obs: dict[str, Any]
    info: dict[str, Any]
    totals: Totals = field(default_factory=Totals)
    tracker: MilestoneTracker = field(default_factory=MilestoneTracker)
    history: deque[Turn] = field(default_factory=deque)
    display: Display | None = None
    step_usage: Usage = field(default_factory=Usage)  # calls made for the step in progress
    step_cost: float = 0.0

    def __post_init__(self) -> None:
        self.history = deque(self.history, maxlen=self.cfg.history)  # the model's context window

    def run(self, until_step: int) -> str:
        reason, message = "steps_done", ""
        try:
            while self.step_id < until_step:
                self.check_budget()
                self.step()
        except BudgetExceeded as e:
            reason, message = "budget", str(e)
        except KeyboardInterrupt:
            reason, message = "interrupted", "stopped by the user"
        except RunFailed as e:
            reason, message = "error", str(e)
        self.store.append(RunStopped(reason=reason, message=message, next_step=self.step_id))
        return reason if not message else f"{reason}: {message}"

    def step(self) -> None:
        frame = self.obs["frame"] if self.model.vision else None
        messages = build_messages(self.harness, self.step_id, self.obs["text"], list(self.history), frame)
        reply, action, repairs, error = self.query(messages)
        obs, _, _, _, info = self.env.step(action.buttons if action else [])
        self.commit(messages, reply, action, repairs, error, info)
        self.obs, self.info = obs, info

    def query(self, messages: list[Message]) -> tuple[ModelReply, PressButtons | None, int, str]:
        """Ask until a usable action or `max_repairs` re-asks; back off while the model is down."""
        backoff, error, convo, reply = min(1.0, self.cfg.max_backoff_s), "", list(messages), ModelReply()
        attempt = 0
        for attempt in range(self.cfg.max_repairs + 1):
            if attempt and self.over_budget():
                attempt -= 1  # no repair that would pass the cap: this step ends as a format failure
                break
            while True:
                try:
                    reply = self.model.generate(convo, ACTION_TOOLS)
                    break
                except ModelError as e:
                    self.store.append(ModelErrorEvent(step=self.step_id, message=str(e)[:500],
                                                      retryable=e.retryable, backoff_s=backoff))
                    if not e.retryable:
                        raise RunFailed(f"model error: {e}") from None
                    self.say(f"model unavailable ({str(e)[:80]}); retrying in {backoff:.0f}s")
                    time.sleep(backoff)
                    backoff = min(backoff * 2, self.cfg.max_backoff_s)
            self.account(reply)
            try:
                return reply, parse_action(reply.tool_calls, reply.text), attempt, ""
            except FormatError as e:
                error = str(e)
                convo = messages + [Message(role="assistant", content=reply.text[:500] or "(empty)"),
                                    Message(role="user", content=f"Invalid reply: {error}. Call press_buttons.")]
        return reply, None, attempt, error  # attempt = repairs made

    def account(self, reply: ModelReply) -> None:
        """Add a call to the run totals and to this step's usage (repairs included)."""
        t, u = self.totals, reply.usage
        t.tokens_in += u.input_tokens
        t.tokens_out += u.output_tokens
        t.cost_usd += reply.cost_usd
        # estimate with a 25% margin, decaying slowly so one outlier does not stop a run forever
        t.next_call_tokens = max(int(t.next_call_tokens * 0.95), int((u.input_tokens + u.output_tokens) * 1.25))
        t.next_call_cost = max(t.next_call_cost * 0.95, reply.cost_usd * 1.25)
        s = self.step_usage
        s.input_tokens += u.input_tokens
        s.output_tokens += u.output_tokens
        s.cached_input_tokens += u.cached_input_tokens
        self.step_cost += reply.cost_usd

    def over_budget(self) -> str:
        """Why the next model call could pass a cap ('' when it cannot)."""
        t, c = self.totals, self.cfg
        if c.budget_usd is not None and t.cost_usd + t.next_call_cost > c.budget_usd:
            return f"${t.cost_usd:.4f} spent; the next call could pass --budget-usd {c.budget_usd}"
        if c.max_tokens is not None and t.tokens_in + t.tokens_out + t.next_call_tokens > c.max_tokens:
            return f"{t.tokens_in + t.tokens_out} tokens used; the next call could pass --max-tokens {c.max_tokens}"
        return ""

    def check_budget(self) -> None:
        if reason := self.over_budget():
            raise BudgetExceeded(reason)

    def commit(self, messages: list[Message], reply: ModelReply, action: PressButtons | None, repairs: int,
               error: str, info: dict[str, Any]) -> None:
        """Write the step (and its milestones, failure, savestate) in one transaction."""
        t = self.totals
        u, cost = self.step_usage, self.step_cost
        self.step_usage, self.step_cost = Usage(), 0.0
        buttons = action.buttons if action else []
        t.presses += len(buttons)
        t.format_failures += action is None
        new = self.tracker.update(info.get("milestones", []), step=self.step_id, button_presses=t.presses,
                                  tokens=t.tokens_in + t.tokens_out, cost_usd=t.cost_usd)
        seen = self.info["state"]
        with self.store.commit() as tx:
            prompt = [{"role": m.role, "content_ref": tx.blob(m.content)} for m in messages]
            event = Step(
                step=self.step_id, obs_ref=tx.blob(self.obs["text"]),
                frame_ref=tx.blob(frame_png(self.obs["frame"], 1), compress=False) if self.cfg.store_frames else None,
                prompt_ref=tx.blob(_json(prompt)),
                response={"text": reply.text[:4000], "tool_calls": [c.model_dump() for c in reply.tool_calls]},
                buttons=buttons, reasoning=action.reasoning[:500] if action else "", presses=len(buttons),
                total_presses=t.presses, tokens_in=u.input_tokens, tokens_out=u.output_tokens,
                tokens_cached=u.cached_input_tokens, cost_usd=cost,
                total_tokens_in=t.tokens_in, total_tokens_out=t.tokens_out, total_cost_usd=t.cost_usd,
                harness_version=self.harness_version, format_failure=action is None, repairs=repairs,
                latency_s=reply.latency_s, location=seen.location, position=(seen.x, seen.y),
                new_milestones=[m.name for m in new], frame_count=info.get("frame_count", 0),
            )
            tx.event(event)
            for m in new:
                tx.event(m)
            if action is None:
                tx.event(FormatFailure(step=self.step_id, attempts=repairs + 1, error=error, text=reply.text[:500]))
            if (self.step_id + 1) % self.cfg.savestate_every == 0:
                tx.event(Savestate(step=self.step_id, ref=tx.blob(self.env.save_state())))
        now = info["state"]
        self.history.append(Turn(self.step_id, seen.location, (seen.x, seen.y), buttons, event.reasoning,
                                 (now.location, (now.x, now.y))))
        if self.display:
            self.display.on_step(event, new, self.totals)
        self.step_id += 1

    def say(self, text: str) -> None:
        if self.display:
            self.display.message(text)


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))
