"""Refiner passes. Each asks the model for structured output (a forced tool call whose arguments are
an analysis and a list of edits), validates every edit through the versions API, and writes the
pass's versions, refusals and record in ONE transaction at its end: a pass cut by a kill leaves no
half-applied version, only an open span, and resume redoes it from scratch.

Passes, in order: prompt (rewrite editable prompt blocks, turn library tools on), subagents (define,
redefine or delete sub-agents), skills (write a skill or a new version of one, vetted by check_code;
delete one), memory (write a consolidated entry, forget wrong or redundant ones, change an entry's
importance). A `Pass` names its tool, builds its prompt and applies one edit: a harness edit returns the
new document (committed as a version); a memory edit is a memory op written with the pass (no version).
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from harness.context import turn_line
from harness.log.events import EditRefused, HarnessVersion, RefinePass, Rollback, SpanEnd, SpanStart, Step
from harness.log.store import RunReader
from harness.models.base import Message
from harness.state import HarnessEditError, HarnessState, SkillRef, SkillVersion, SubAgentSpec
from harness.state.versions import SUBAGENT_FORBIDDEN
from tools import TOOLS, BaseTool, ToolContext, ToolResult, ToolSpec, load_tool
from tools.parse import FormatError, parse_call

if TYPE_CHECKING:
    from harness.agent import Agent
    from harness.refine import RefineSettings
    from harness.refine.signals import Trigger

GAME = "You improve the harness of an agent that plays a game in one continuous run that is never reset."


class ProposalTool(BaseTool):
    """Only ever called by the refiner, with tool_choice forcing it: its arguments are the pass's output."""

    kind = "meta"
    enums: dict[tuple[str, ...], list[str]] = {}  # schema path -> allowed values (grammar-bound models obey)

    def spec(self) -> ToolSpec:
        params = copy.deepcopy(super().spec().parameters)
        for path, values in self.enums.items():
            node = params
            for key in path:
                node = node[key]
            node["enum"] = values
        return ToolSpec(name=self.name, description=self.description, parameters=params)

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:  # pragma: no cover - never run
        raise NotImplementedError("the refiner reads this tool's arguments; it is not run")


# --- prompt pass --------------------------------------------------------------------------------------

class BlockEdit(BaseModel):
    label: str = Field(description="the block to rewrite")
    text: str = Field(max_length=1500, description="the block's whole new text")
    why: str = Field("", max_length=120, description="what this fixes, in a few words")


class PromptEdits(BaseModel):
    analysis: str = Field(max_length=400, description="what went wrong or right in the recent steps")
    edits: list[BlockEdit] = Field(default_factory=list, max_length=3, description="0 to 3 block rewrites")
    tools_on: list[str] = Field(default_factory=list, max_length=2, description="library tools to give the agent")


class ToolOn(BaseModel):
    """A `tools_on` entry, applied like an edit."""

    name: str
    why: str = ""


class ProposePromptEdits(ProposalTool):
    name = "propose_prompt_edits"
    description = ("Report your analysis, the prompt block rewrites (0 to 3) and the library tools to turn on (0 to "
                   "2) that would help the agent most.")
    args = PromptEdits

    def __init__(self, labels: list[str], library: list[str]) -> None:
        # the editable blocks and the tools not yet on: a grammar-bound model cannot invent one
        self.enums = {("properties", "edits", "items", "properties", "label"): labels}
        if library:
            self.enums[("properties", "tools_on", "items")] = library

    def spec(self) -> ToolSpec:
        spec = super().spec()
        if ("properties", "tools_on", "items") not in self.enums:
            spec.parameters["properties"]["tools_on"]["maxItems"] = 0
        return spec


# --- sub-agent pass -----------------------------------------------------------------------------------

class SubagentEdit(BaseModel):
    op: Literal["define", "delete"] = Field(description="define (new or replace) or delete")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="the sub-agent's name")
    instructions: str = Field("", max_length=1200, description="define: what it does and how")
    tools: list[str] = Field(default_factory=list, description="define: tools it may use (a subset of the agent's)")
    max_turns: int = Field(5, ge=1, le=20, description="define: most model turns per call")
    returns: str = Field("a short summary of what was done and seen", max_length=200,
                         description="define: when it stops and what it reports")
    why: str = Field("", max_length=120, description="what this fixes; required to delete one that was in use")


class SubagentEdits(BaseModel):
    analysis: str = Field(max_length=400, description="how sub-agents were used and what recurring chore could be "
                                                      "handed to one")
    edits: list[SubagentEdit] = Field(default_factory=list, max_length=2, description="0 to 2 changes")


class ProposeSubagentEdits(ProposalTool):
    name = "propose_subagent_edits"
    description = "Report your analysis and the sub-agent changes (0 to 2) that would help the agent most."
    args = SubagentEdits

    def __init__(self, tools: list[str]) -> None:
        self.enums = {("properties", "edits", "items", "properties", "tools", "items"): tools}


# --- skill pass ---------------------------------------------------------------------------------------

class SkillEdit(BaseModel):
    op: Literal["write", "delete"] = Field(description="write (a new skill or a new version) or delete")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="the skill's name")
    description: str = Field("", max_length=300, description="write: what it does and when to use it")
    kind: Literal["code", "text"] = Field("code", description="write: code (def run(game, args)) or text")
    body: str = Field("", max_length=6000, description="write: the code or the text")
    why: str = Field("", max_length=120, description="what this fixes (a failure's cause, a missing chore)")


class SkillEdits(BaseModel):
    analysis: str = Field(max_length=400, description="which skills work, which fail and why, what is missing")
    edits: list[SkillEdit] = Field(default_factory=list, max_length=2, description="0 to 2 changes")


class ProposeSkillEdits(ProposalTool):
    name = "propose_skill_edits"
    description = "Report your analysis and the skill changes (0 to 2): repair a failing skill, add a missing one."
    args = SkillEdits


# --- memory pass --------------------------------------------------------------------------------------

class MemoryEdit(BaseModel):
    op: Literal["write", "forget", "importance"] = Field(
        description="write a (consolidated) entry; forget a wrong or redundant one; set an entry's importance")
    id: str = Field("", description="forget / importance: the entry, e.g. m12")
    text: str = Field("", max_length=600, description="write: the fact or lesson, self-contained")
    tags: list[str] = Field(default_factory=list, max_length=8, description="write: a few keywords")
    importance: int = Field(3, ge=1, le=5, description="write / importance: 1 trivia .. 5 essential")
    why: str = Field("", max_length=120, description="what this fixes")


class MemoryEdits(BaseModel):
    analysis: str = Field(max_length=400, description="what the memory holds, what is redundant, wrong or missing")
    edits: list[MemoryEdit] = Field(default_factory=list, max_length=5, description="0 to 5 changes")


class ProposeMemoryEdits(ProposalTool):
    name = "propose_memory_edits"
    description = ("Report your analysis and the memory changes (0 to 5): merge near-duplicates into one entry and "
                   "forget the rest, forget wrong entries, write a lesson the steps show, re-rank importance.")
    args = MemoryEdits


# --- the passes ---------------------------------------------------------------------------------------

class Pass:
    """One kind of pass: its proposal tool, its prompt, how one proposed edit is applied."""

    name: str
    system: str

    def applies(self, h: HarnessState) -> bool:
        """Whether this pass has anything to work on in harness `h`."""
        return True

    def tool(self, agent: Agent) -> ProposalTool:
        raise NotImplementedError

    def edits(self, args: Any) -> list[Any]:
        return list(args.edits)

    def context(self, agent: Agent, at: int, window: list[Step]) -> str:
        raise NotImplementedError

    def target(self, edit: Any) -> str:
        raise NotImplementedError

    def apply(self, h: HarnessState, edit: Any, agent: Agent, at: int, window: list[Step],
              ) -> tuple[HarnessState, int] | None:
        """The document with `edit` applied and the characters it adds, or None for an edit made outside the
        document (memory ops); raises HarnessEditError."""
        raise NotImplementedError


class PromptPass(Pass):
    name = "prompt"
    system = (f"{GAME}\nRead its recent steps and rewrite its editable prompt blocks so that it makes more progress: "
              "break navigation loops, stop repeated failures, name the next objective, point to unexplored places.\n"
              "Keep what works; each block has a character limit; read-only blocks cannot change.")

    def library(self, h: HarnessState) -> list[str]:
        """Registered tools the agent does not have yet (those the refiner may turn on)."""
        return sorted(set(TOOLS) - set(h.tools))

    def tool(self, agent: Agent) -> ProposalTool:
        h = agent.versions.current
        return ProposePromptEdits([b.label for b in h.blocks if not b.read_only], self.library(h))

    def edits(self, args: PromptEdits) -> list[Any]:
        return [*args.edits, *(ToolOn(name=n, why=f"turn on {n}") for n in dict.fromkeys(args.tools_on))]

    def context(self, agent: Agent, at: int, window: list[Step]) -> str:
        h = agent.versions.current
        mine = "; yours: the agent reads it but cannot edit it"
        blocks = "\n\n".join(f"[{b.label}] (limit {b.limit} characters{mine if b.refiner_only else ''})"
                             f"\n{b.value or '(empty)'}" for b in h.blocks if not b.read_only)
        fixed = ", ".join(b.label for b in h.blocks if b.read_only) or "none"
        library = "\n".join(f"- {n}: {load_tool(n).description}" for n in self.library(h)) or "(none)"
        return (f"Editable blocks:\n{blocks}\n\nRead-only blocks: {fixed}\n\n"
                f"The agent's tools besides its actions: {', '.join(h.tools) or 'none'}\n"
                f"Library tools you can turn on (tools_on):\n{library}")

    def target(self, edit: BlockEdit | ToolOn) -> str:
        return f"tool {edit.name}" if isinstance(edit, ToolOn) else f"block {edit.label}"

    def apply(self, h: HarnessState, edit: BlockEdit | ToolOn, agent: Agent, at: int, window: list[Step],
              ) -> tuple[HarnessState, int]:
        if isinstance(edit, ToolOn):
            if edit.name in h.tools:
                raise HarnessEditError(f"the agent already has {edit.name}")
            return h.model_copy(update={"tools": [*h.tools, edit.name]}), 0
        return h.with_block(edit.label, edit.text), max(0, len(edit.text) - len(h.block(edit.label).value))


class SubagentPass(Pass):
    name = "subagents"
    system = (f"{GAME}\nIts sub-agents are helpers it can hand a task to (call_subagent): each has instructions, a "
              "subset of the agent's tools and a turn cap. Read how they were used and the recent steps; define a "
              "sub-agent for a recurring chore (a battle, a menu, a maze), fix one that fails, delete one that is "
              "useless. Propose no change when none is needed.")

    def applies(self, h: HarnessState) -> bool:
        return "call_subagent" in h.tools  # sub-agents the agent cannot call would be dead weight

    def offered(self, agent: Agent) -> list[str]:
        return sorted((set(agent.versions.current.tools) | set(agent.actions)) - SUBAGENT_FORBIDDEN)

    def tool(self, agent: Agent) -> ProposalTool:
        return ProposeSubagentEdits(self.offered(agent))

    def context(self, agent: Agent, at: int, window: list[Step]) -> str:
        h = agent.versions.current
        used = Counter(c.arguments.get("name") for e in window for c in e.calls if c.name == "call_subagent")
        roster = "\n".join(
            f"- {s.name} (tools {', '.join(s.tools) or 'none'}; max {s.max_turns} turns; called {used[s.name]}x in "
            f"the window): {s.instructions[:300]} | returns: {s.returns}" for s in h.subagents.values()) or "(none)"
        calls = [f"step {e.step}: {c.arguments.get('name')} <- {c.result[:120]}" for e in window for c in e.calls
                 if c.name == "call_subagent"][-8:]
        shown = "\n".join(calls) or "(no calls)"
        return (f"Sub-agents:\n{roster}\n\nTools a sub-agent may be given: {', '.join(self.offered(agent))}\n\n"
                f"Recent sub-agent calls:\n{shown}")

    def target(self, edit: SubagentEdit) -> str:
        return f"sub-agent {edit.name}"

    def apply(self, h: HarnessState, edit: SubagentEdit, agent: Agent, at: int, window: list[Step],
              ) -> tuple[HarnessState, int]:
        subagents = dict(h.subagents)
        if edit.op == "delete":
            if edit.name not in subagents:
                raise HarnessEditError(f"no sub-agent {edit.name!r} to delete")
            if not edit.why.strip() and in_use_at_milestone(agent.store, edit.name, at):
                raise HarnessEditError(f"sub-agent {edit.name!r} was in use when a milestone was reached; "
                                       "deleting it needs a why")
            del subagents[edit.name]
            return h.model_copy(update={"subagents": subagents}), 0
        if not edit.instructions.strip():
            raise HarnessEditError(f"sub-agent {edit.name!r}: empty instructions")
        spec = SubAgentSpec(name=edit.name, instructions=edit.instructions, tools=edit.tools,
                            max_turns=edit.max_turns, returns=edit.returns)
        old = subagents.get(edit.name)
        subagents[edit.name] = spec
        return (h.model_copy(update={"subagents": subagents}),
                max(0, len(spec.instructions) - (len(old.instructions) if old else 0)))


class SkillPass(Pass):
    name = "skills"
    system = (f"{GAME}\nIts skills are small Python programs `def run(game, args)` (game.press(list of buttons), "
              "game.state() -> dict with location, x, y, text_map, dialog, can_move, in_battle; game.text_map(); "
              "game.wait(frames)) or text heuristics. Read the recent steps and the skills' results; repair a skill "
              "whose run failed (its error is shown), write one for a chore the agent keeps doing by hand, delete "
              "a useless one. Only the standard library is available. Propose no change when none is needed.")

    def applies(self, h: HarnessState) -> bool:
        return "run_skill" in h.tools

    def tool(self, agent: Agent) -> ProposalTool:
        return ProposeSkillEdits()

    def context(self, agent: Agent, at: int, window: list[Step]) -> str:
        h = agent.versions.current
        runs = [c for e in window for c in e.calls if c.name == "run_skill"]
        parts = []
        for skill in h.skills.values():
            mine = [c for c in runs if c.arguments.get("name") == skill.name]
            failed = [c.result for c in mine if not c.ok]
            body = agent.store.get_text(skill.current.ref) if skill.current.ref not in agent.pending_blobs else (
                agent.pending_blobs[skill.current.ref].decode())
            parts.append(f"[{skill.name}] ({skill.kind}, version {len(skill.versions)}; run {len(mine)}x in the "
                         f"window, {len(failed)} failed) {skill.description}\n{body[:1500]}"
                         + (f"\nlast failure: {failed[-1][:300]}" if failed else ""))
        return "Skills:\n" + ("\n\n".join(parts) or "(none)")

    def target(self, edit: SkillEdit) -> str:
        return f"skill {edit.name}"

    def apply(self, h: HarnessState, edit: SkillEdit, agent: Agent, at: int, window: list[Step],
              ) -> tuple[HarnessState, int]:
        from skills.sandbox import check_code, sandbox_problem

        skills = dict(h.skills)
        if edit.op == "delete":
            if edit.name not in skills:
                raise HarnessEditError(f"no skill {edit.name!r} to delete")
            if not edit.why.strip() and in_use_at_milestone(agent.store, edit.name, at, tool="run_skill"):
                raise HarnessEditError(f"skill {edit.name!r} was in use when a milestone was reached; "
                                       "deleting it needs a why")
            del skills[edit.name]
            return h.model_copy(update={"skills": skills}), 0
        if not edit.body.strip() or not edit.description.strip():
            raise HarnessEditError(f"skill {edit.name!r}: empty body or description")
        if edit.kind == "code":
            problem = sandbox_problem() or check_code(edit.body)
            if problem:
                raise HarnessEditError(f"skill {edit.name!r}: {problem}")
        ref = agent.context.put_text(edit.body)
        old = skills.get(edit.name)
        version = SkillVersion(ref=ref, step=at, reason=edit.why)
        skills[edit.name] = SkillRef(name=edit.name, description=edit.description, kind=edit.kind,
                                     versions=[*(old.versions if old else []), version])
        return h.model_copy(update={"skills": skills}), 0  # skill bodies are not prompt text: no growth


class MemoryPass(Pass):
    name = "memory"
    system = (f"{GAME}\nIt keeps a vector memory: short entries retrieved into its prompt by relevance. Keep it "
              "useful and small: merge near-duplicates into one entry (write the merged text, forget the others), "
              "forget wrong or stale entries, write a lesson the recent steps show, raise the importance of what "
              "matters and lower trivia. Do not write what an entry already says. Propose no change when none is "
              "needed.")
    shown = 30  # entries listed to the refiner

    def applies(self, h: HarnessState) -> bool:
        return h.memory.enabled

    def tool(self, agent: Agent) -> ProposalTool:
        return ProposeMemoryEdits()

    def context(self, agent: Agent, at: int, window: list[Step]) -> str:
        memory = agent.memory()
        assert memory is not None
        st = memory.stats()
        places = Counter(e.location for e in memory.live.values())
        spread = ", ".join(f"{p or '?'}: {n}" for p, n in places.most_common(5)) or "none"
        recent = sorted(memory.live.values(), key=lambda e: -e.updated)[: self.shown // 2]
        weakest = sorted(memory.live.values(), key=lambda e: memory.retention(e, at))[: self.shown // 2]
        lines = []
        for e in {e.id: e for e in [*recent, *weakest]}.values():
            u = memory.usage.get(e.id)
            lines.append(f"[{e.id}] (importance {e.importance}, shown {u.uses if u else 0}x, written step "
                         f"{e.updated}, at {e.location or '?'}) {e.text[:200]}")
        empty = ("\nThe memory is empty: write 1 to 3 short lessons the recent steps show (a place and how to reach "
                 "it, what worked, what failed), each with the place in its text." if not lines else "")
        return (f"Memory: {st['live']} live entries (cap {st['cap']}), {st['used']} ever shown; by place: {spread}\n"
                f"Newest and weakest entries:\n" + ("\n".join(lines) or "(empty)") + empty)

    def target(self, edit: MemoryEdit) -> str:
        return f"memory {edit.id or edit.op}"

    def apply(self, h: HarnessState, edit: MemoryEdit, agent: Agent, at: int, window: list[Step]) -> None:
        memory = agent.memory()
        assert memory is not None
        if edit.op == "write":
            if len(edit.text.strip()) < 3:
                raise HarnessEditError("memory write: empty text")
            memory.write(edit.text, at, tags=edit.tags, importance=edit.importance, source="refiner")
            return None
        if edit.id not in memory.live:
            raise HarnessEditError(f"no live memory {edit.id!r}")
        if edit.op == "forget":
            memory.forget(edit.id, at, edit.why or "refiner")
        else:
            memory.set_importance(edit.id, edit.importance, at, edit.why or "refiner")
        return None


IN_USE_STEPS = 10  # a sub-agent called this many steps before a milestone (or at it) was in use then


def in_use_at_milestone(reader: RunReader, name: str, before: int, tool: str = "call_subagent") -> bool:
    """Was `name` (a sub-agent; a skill with tool=run_skill) used within IN_USE_STEPS steps up to a step that
    reached a milestone?"""
    milestone_steps = [e.step for _, e in reader.events("milestone") if e.step is not None and e.step < before]
    for m in milestone_steps:
        for e in reader.steps(max(0, m - IN_USE_STEPS), m + 1):
            if any(c.name == tool and c.arguments.get("name") == name for c in e.calls):
                return True
    return False


def rolled_back(reader: RunReader, last: int = 3) -> list[str]:
    """The newest rollbacks as the refiner should see them: what was undone and why."""
    out = []
    rollbacks = [e for _, e in reader.events("rollback") if isinstance(e, Rollback)][-last:]
    for rb in rollbacks:
        reasons = [e.reason for _, e in reader.events("harness_version")
                   if isinstance(e, HarnessVersion) and rb.to_version < e.version <= rb.from_version]
        out.append(f"- edits ({'; '.join(reasons)}) were undone: {rb.reason}")
    return out


def pass_messages(kind: Pass, context: str, lines: list[str], why: list[str], undone: list[str], tool: str,
                  ) -> list[Message]:
    history = f"Rolled back before (do not make these edits again):\n{chr(10).join(undone)}\n\n" if undone else ""
    user = (f"{context}\n\nWhy now: {'; '.join(why)}\n\n{history}"
            f"Recent steps (oldest first):\n{chr(10).join(lines) or '(none)'}\n\n"
            f"Call {tool} with your analysis and your edits (none if nothing should change).")
    return [Message(role="system", content=kind.system), Message(role="user", content=user)]


def run_pass(kind: Pass, agent: Agent, settings: RefineSettings, at: int, why: list[str], triggers: list[Trigger],
             ) -> RefinePass:
    """Run one pass after `at` steps; returns its record (already written)."""
    span = f"refine-{at}-{kind.name}-{uuid.uuid4().hex[:6]}"  # a redone pass gets a span of its own
    agent.store.append(SpanStart(span=span, name=f"{kind.name} pass", span_kind="refine", step=at))
    tool = kind.tool(agent)
    window = list(agent.store.steps(max(0, at - settings.window), at))
    messages = pass_messages(kind, kind.context(agent, at, window), [turn_line(e) for e in window], why,
                             rolled_back(agent.store), tool.name)
    parsed, error = None, ""
    for attempt in range(2):  # one retry with the error, then a failed pass: never silently skipped
        if agent.budget.over():
            error = f"budget: {agent.budget.over()}"
            break
        reply, _ = agent.call(messages, {tool.name: tool}, "refine", tool.name, span=span, model=agent.refiner_model)
        try:
            parsed = parse_call(reply.tool_calls, reply.text, {tool.name: tool})
            break
        except FormatError as e:
            error = str(e)
            if attempt == 0:
                messages = [*messages, Message(role="assistant", content=reply.text[:500] or "(empty)"),
                            Message(role="user", content=f"Invalid reply: {error}. Call {tool.name}.")]
    refusals: list[EditRefused] = []
    applied, fired = 0, [t.model_dump() for t in triggers]
    if parsed is not None:
        args = parsed.args
        edits = kind.edits(args)
        analysis = str(args.analysis)  # type: ignore[attr-defined]
        added = 0
        for edit in edits:
            try:
                change = kind.apply(agent.versions.current, edit, agent, at, window)
                if change is None:  # made outside the harness document (a memory op)
                    applied += 1
                    continue
                new, grows = change
                if added + grows > settings.growth_cap:
                    raise HarnessEditError(f"the pass would add over {settings.growth_cap} characters (growth cap)")
                event = agent.versions.commit(new, reason=edit.why or analysis[:120], trigger="refiner", step=at)
                added += grows
                applied += event is not None
            except (HarnessEditError, ValueError) as e:
                reason = str(e).splitlines()[0] if not isinstance(e, HarnessEditError) else str(e)
                refusals.append(EditRefused(source="refiner", target=kind.target(edit), reason=reason, step=at,
                                            span=span))
        status = "applied" if applied else "refused" if refusals else "no_edits"
        record = RefinePass(name=kind.name, at_step=at, why=why, triggers=fired, status=status, analysis=analysis,
                            proposed=len(edits), applied=applied, refused=len(refusals),
                            version=agent.versions.version, step=at, span=span)
    else:
        record = RefinePass(name=kind.name, at_step=at, why=why, triggers=fired, status="failed", error=error[:500],
                            version=agent.versions.version, step=at, span=span)
    with agent.store.commit() as tx:
        agent.flush_outbox(tx)
        for r in refusals:
            tx.event(r)
        tx.event(record)
        tx.event(SpanEnd(span=span, status="error" if record.status == "failed" else "ok",
                         summary=f"{record.status}: {applied} applied, {len(refusals)} refused", step=at))
    agent.committed()
    agent.say(f"refiner: {kind.name} pass after step {at}: {record.status} ({applied} applied, {len(refusals)} "
              f"refused" + (f"; {error[:80]}" if record.status == "failed" else "")
              + f"); harness v{agent.versions.version}")
    return record


PASSES: dict[str, Pass] = {p.name: p for p in (PromptPass(), SubagentPass(), SkillPass(), MemoryPass())}
