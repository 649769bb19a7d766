"""Refiner passes. Each asks the model for structured output (a forced tool call whose arguments are
an analysis and a list of edits), validates every edit through the versions API, and writes the
pass's versions, refusals and record in ONE transaction at its end: a pass cut by a kill leaves no
half-applied version, only an open span, and resume redoes it from scratch.

Passes so far: prompt (rewrite editable prompt blocks). Sub-agent, skill and memory passes plug in
the same way as those parts of the harness land.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from harness.context import turn_line
from harness.log.events import EditRefused, HarnessVersion, RefinePass, Rollback, SpanEnd, SpanStart
from harness.log.store import RunReader
from harness.models.base import Message
from harness.state import HarnessEditError, HarnessState
from tools import BaseTool, ToolContext, ToolResult, ToolSpec
from tools.parse import FormatError, parse_call

if TYPE_CHECKING:
    from harness.agent import Agent
    from harness.refine import RefineSettings
    from harness.refine.signals import Trigger


class BlockEdit(BaseModel):
    label: str = Field(description="the block to rewrite")
    text: str = Field(max_length=1500, description="the block's whole new text")
    why: str = Field("", max_length=120, description="what this fixes, in a few words")


class PromptEdits(BaseModel):
    analysis: str = Field(max_length=400, description="what went wrong or right in the recent steps")
    edits: list[BlockEdit] = Field(default_factory=list, max_length=3, description="0 to 3 block rewrites")


class ProposePromptEdits(BaseTool):
    """Only ever called by the refiner, with tool_choice forcing it: its arguments are the pass's output."""

    name = "propose_prompt_edits"
    description = "Report your analysis and the prompt block rewrites (0 to 3) that would help the agent most."
    kind = "meta"
    args = PromptEdits

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels  # the editable blocks: the schema names them, so grammar-bound models cannot invent one

    def spec(self) -> ToolSpec:
        params = copy.deepcopy(super().spec().parameters)
        params["properties"]["edits"]["items"]["properties"]["label"]["enum"] = self.labels
        return ToolSpec(name=self.name, description=self.description, parameters=params)

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:  # pragma: no cover - never run
        raise NotImplementedError("the refiner reads this tool's arguments; it is not run")


SYSTEM = """\
You improve the prompt of an agent that plays a game in one continuous run that is never reset.
Read its recent steps and rewrite its editable prompt blocks so that it makes more progress: break
navigation loops, stop repeated failures, name the next objective, point to unexplored places.
Keep what works; each block has a character limit; read-only blocks cannot change."""


def rolled_back(reader: RunReader, last: int = 3) -> list[str]:
    """The newest rollbacks as the refiner should see them: what was undone and why."""
    out = []
    rollbacks = [e for _, e in reader.events("rollback") if isinstance(e, Rollback)][-last:]
    for rb in rollbacks:
        reasons = [e.reason for _, e in reader.events("harness_version")
                   if isinstance(e, HarnessVersion) and rb.to_version < e.version <= rb.from_version]
        out.append(f"- edits ({'; '.join(reasons)}) were undone: {rb.reason}")
    return out


def prompt_pass_messages(h: HarnessState, lines: list[str], why: list[str], undone: list[str] | None = None,
                         ) -> list[Message]:
    blocks = "\n\n".join(f"[{b.label}] (limit {b.limit} characters)\n{b.value or '(empty)'}"
                         for b in h.blocks if not b.read_only)
    fixed = ", ".join(b.label for b in h.blocks if b.read_only) or "none"
    history = f"Rolled back before (do not make these edits again):\n{chr(10).join(undone)}\n\n" if undone else ""
    user = (f"Editable blocks:\n{blocks}\n\nRead-only blocks: {fixed}\n\nWhy now: {'; '.join(why)}\n\n{history}"
            f"Recent steps (oldest first):\n{chr(10).join(lines) or '(none)'}\n\n"
            f"Call {ProposePromptEdits.name} with your analysis and 0 to 3 edits (each replaces a block's text).")
    return [Message(role="system", content=SYSTEM), Message(role="user", content=user)]


def prompt_pass(agent: Agent, settings: RefineSettings, at: int, why: list[str], triggers: list[Trigger],
                ) -> RefinePass:
    """Run the prompt pass after `at` steps; returns its record (already written)."""
    span = f"refine-{at}-prompt-{uuid.uuid4().hex[:6]}"  # a redone pass gets a span of its own
    agent.store.append(SpanStart(span=span, name="prompt pass", span_kind="refine", step=at))
    tool = ProposePromptEdits([b.label for b in agent.versions.current.blocks if not b.read_only])
    lines = [turn_line(e) for e in agent.store.steps(max(0, at - settings.window), at)]
    messages = prompt_pass_messages(agent.versions.current, lines, why, rolled_back(agent.store))
    parsed, error = None, ""
    for attempt in range(2):  # one retry with the error, then a failed pass: never silently skipped
        if agent.budget.over():
            error = f"budget: {agent.budget.over()}"
            break
        reply, _ = agent.call(messages, {tool.name: tool}, "refine", tool.name, span=span)
        try:
            parsed = parse_call(reply.tool_calls, reply.text, {tool.name: tool})
            break
        except FormatError as e:
            error = str(e)
            if attempt == 0:
                messages = [*messages, Message(role="assistant", content=reply.text[:500] or "(empty)"),
                            Message(role="user", content=f"Invalid reply: {error}. Call {tool.name}.")]
    refusals: list[EditRefused] = []
    applied = 0
    fired = [t.model_dump() for t in triggers]
    if parsed is not None:
        args = parsed.args
        assert isinstance(args, PromptEdits)
        added = 0
        for edit in args.edits:
            try:
                current = agent.versions.current
                old = current.block(edit.label).value
                added += max(0, len(edit.text) - len(old))
                if added > settings.growth_cap:
                    raise HarnessEditError(f"the pass would add over {settings.growth_cap} characters (growth cap)")
                event = agent.versions.commit(current.with_block(edit.label, edit.text),
                                              reason=edit.why or args.analysis[:120], trigger="refiner", step=at)
                applied += event is not None
            except HarnessEditError as e:
                refusals.append(EditRefused(source="refiner", target=f"block {edit.label}", reason=str(e), step=at,
                                            span=span))
        proposed = len(args.edits)
        status = "applied" if applied else "refused" if refusals else "no_edits"
        record = RefinePass(name="prompt", at_step=at, why=why, triggers=fired, status=status, analysis=args.analysis,
                            proposed=proposed, applied=applied, refused=len(refusals),
                            version=agent.versions.version, step=at, span=span)
    else:
        record = RefinePass(name="prompt", at_step=at, why=why, triggers=fired, status="failed", error=error[:500],
                            version=agent.versions.version, step=at, span=span)
    with agent.store.commit() as tx:
        agent.flush_outbox(tx)
        for r in refusals:
            tx.event(r)
        tx.event(record)
        tx.event(SpanEnd(span=span, status="error" if record.status == "failed" else "ok",
                         summary=f"{record.status}: {applied} applied, {len(refusals)} refused", step=at))
    agent.say(f"refiner: prompt pass after step {at}: {record.status} ({applied} applied, {len(refusals)} refused"
              + (f"; {error[:80]}" if record.status == "failed" else "") + f"); harness v{agent.versions.version}")
    return record


PASSES = {"prompt": prompt_pass}
