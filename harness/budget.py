"""Run totals and hard caps: charge each model call and step, check before each call, and rebuild
from the log on resume (the same Totals the events carry, so live and resumed runs agree)."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.log.events import ModelCall, Step, Totals
from harness.log.store import RunReader
from harness.models.base import ModelReply


class BudgetExceeded(Exception):
    pass


@dataclass
class Budget:
    budget_usd: float | None = None
    max_tokens: int | None = None
    totals: Totals = field(default_factory=Totals)
    # the largest recent call, the estimate of the next one (prompts grow with history)
    next_call_tokens: int = 0
    next_call_cost: float = 0.0

    def charge(self, reply: ModelReply) -> None:
        t, u = self.totals, reply.usage
        t.tokens_in += u.input_tokens
        t.tokens_out += u.output_tokens
        t.tokens_cached += u.cached_input_tokens
        t.cost_usd += reply.cost_usd
        t.model_calls += 1
        self.estimate(u.input_tokens + u.output_tokens, reply.cost_usd)

    def estimate(self, tokens: int, cost: float) -> None:
        # a 25% margin, decaying slowly so one outlier does not stop a run forever
        self.next_call_tokens = max(int(self.next_call_tokens * 0.95), int(tokens * 1.25))
        self.next_call_cost = max(self.next_call_cost * 0.95, cost * 1.25)

    def charge_step(self, presses: int, format_failure: bool) -> None:
        self.totals.steps += 1
        self.totals.presses += presses
        self.totals.format_failures += format_failure

    def over(self) -> str:
        """Why the next model call could pass a cap ('' when it cannot)."""
        t = self.totals
        if self.budget_usd is not None and t.cost_usd + self.next_call_cost > self.budget_usd:
            return f"${t.cost_usd:.4f} spent; the next call could pass --budget-usd {self.budget_usd}"
        if self.max_tokens is not None and t.tokens + self.next_call_tokens > self.max_tokens:
            return f"{t.tokens} tokens used; the next call could pass --max-tokens {self.max_tokens}"
        return ""

    def check(self) -> None:
        if reason := self.over():
            raise BudgetExceeded(reason)

    @classmethod
    def rebuild(cls, reader: RunReader, budget_usd: float | None, max_tokens: int | None) -> Budget:
        """Totals as of the newest step or model call in the log (model calls of a step that a kill
        cut still count: that money was spent)."""
        budget = cls(budget_usd, max_tokens)
        found = reader.last_with_seq(("step", "model_call"))
        if found is not None:
            event = found[1]
            assert isinstance(event, Step | ModelCall)
            budget.totals = event.totals.model_copy()
        call = reader.last(ModelCall)
        if call is not None:
            budget.estimate(call.tokens_in + call.tokens_out, call.cost_usd)
        return budget
