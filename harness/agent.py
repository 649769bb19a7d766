"""The loop: observation -> prompt -> model -> tools -> env -> one committed step.

    while step < target:                     run()
        honour pause / stop requests         harness/control.py
        check budget                         -> BudgetExceeded stops cleanly (resumable)
        refine if due                        harness/refine/    (the gate, then the passes; H changes here)
        messages = prompt(H, obs, recent)    harness/prompt.py, harness/context.py
        loop (bounded):                      step()
            reply = model(messages, tools)   harness/models/    (outage backoff; every call logged)
            call  = parse(reply)             tools/parse.py     (bad reply -> bounded repair)
            meta tool?   result -> model     tools/             (edits H through versions.commit)
            action tool? env.step -> done    envs/
        commit(step, edits, milestones)      harness/log/       (one transaction; survives kill -9)

The env is reset exactly once, when the run is created (harness/run.py); a resumed run loads a
savestate instead. Early exits are exceptions, not flags.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from envs.base import Env, progress_of
from harness.budget import Budget, BudgetExceeded
from harness.config import RunConfig
from harness.context import earlier_summary, format_action, turn_line, window, window_start
from harness.control import Control, StopRequested
from harness.display import Display
from harness.log.events import (
    BaseEvent,
    FormatFailure,
    MemoryRead,
    ModelCall,
    ModelErrorEvent,
    RunStopped,
    Savestate,
    SpanEnd,
    SpanStart,
    Step,
    SubStep,
    Summary,
    ToolCallRecord,
)
from harness.log.store import RunReader, RunStore, Transaction, blob_ref
from harness.memories import SkillIndex, open_memory, recall_text, situation, skills_text
from harness.milestones import MilestoneTracker
from harness.models.base import ImagePart, Message, Model, ModelError, ModelReply, Usage
from harness.prompt import (
    SUMMARY_CHARS,
    build_messages,
    frame_png,
    instruction,
    subagent_messages,
    summary_messages,
    system_text,
    tail_text,
)
from harness.refine import Refiner
from harness.state import HarnessEditError, HarnessState
from harness.state.versions import SUBAGENT_FORBIDDEN, Versions
from memory.store import Memory
from tools import NONE, REQUIRED, Tool, ToolError, ToolResult, load_tool
from tools.actions import action_dict, action_tools
from tools.base import SpanInfo, ToolCall
from tools.parse import FormatError, ParsedCall, parse_call
from tools.subagents import ReturnToCaller


class RunFailed(Exception):
    """A non-retryable failure (e.g. bad API key); the run stops and can be resumed after a fix."""


@dataclass
class StepWork:
    """What one step has done so far: its model calls, meta-tool calls, repairs, the env step."""

    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    model_calls: int = 0
    repairs: int = 0
    calls: list[ToolCallRecord] = field(default_factory=list)
    last_text: str = ""  # the last reply, for a format failure's record
    # the env actions taken, each with the obs and info after it: one for an action tool, several for a
    # macro tool or a sub-agent call, [(None, ...)] when no usable action came
    acted: list[tuple[dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = field(default_factory=list)


@dataclass
class Agent:
    cfg: RunConfig
    env: Env
    model: Model
    store: RunStore
    versions: Versions
    budget: Budget
    step_id: int  # the next step to run
    obs: dict[str, Any]
    info: dict[str, Any]
    tracker: MilestoneTracker = field(default_factory=MilestoneTracker)
    recent: deque[Step] = field(default_factory=deque)
    display: Display | None = None
    outbox: list[tuple[list[BaseEvent], list[bytes]]] = field(default_factory=list)  # edits made in this step
    calls_ok: int = 0  # successful model calls in this process
    refiner: Refiner | None = None
    refiner_model: Model | None = None  # --refiner-model; None: the acting model refines too

    def __post_init__(self) -> None:
        self.recent = deque(self.recent, maxlen=self.cfg.history + self.cfg.history_chunk)
        self.actions: dict[str, Tool] = {t.name: t for t in action_tools(self.env.action_tools())}
        self.control = Control(self.store, self.say)
        self.versions.sink = lambda events, blobs: self.outbox.append((events, blobs))
        self.work = StepWork()
        self.context = AgentContext(self)
        self._system: tuple[int, str] = (-1, "")
        self._earlier: tuple[int, str] = (-1, "")
        self._meta: dict[str, Tool] = {}
        self._meta_key: tuple[object, ...] = ()
        self._depth = 0  # 1 inside a sub-agent call: sub-agents do not nest
        self._summary: Summary | None = None  # the newest rolling summary in use
        self.pending_blobs: dict[str, bytes] = {}  # put_text blobs not committed yet
        self._memory: Memory | None = None  # opened from the log on first use
        self._skills = SkillIndex()
        self._spans: list[str] = []  # the open spans (a sub-agent call, a skill run) of this step, innermost last
        self.versions.action_tools = set(self.actions)

    def run(self, until_step: int) -> str:
        reason, message = "steps_done", ""
        try:
            while self.step_id < until_step:
                self.control.check(self.step_id)
                self.budget.check()
                if self.refiner:
                    self.refiner.maybe_refine(self)  # between steps: H changes only at step boundaries
                self.step()
        except BudgetExceeded as e:
            reason, message = "budget", str(e)
        except StopRequested as e:
            reason, message = "stopped", str(e)
        except KeyboardInterrupt:
            reason, message = "interrupted", "stopped by the user"
        except RunFailed as e:
            reason, message = "error", str(e)
        self.store.append(RunStopped(reason=reason, message=message, next_step=self.step_id))
        return reason if not message else f"{reason}: {message}"

    def step(self) -> None:
        t0, self.work, version = time.monotonic(), StepWork(), self.versions.version
        lines = [turn_line(e) for e in window(self.recent, self.step_id, self.cfg.history, self.cfg.history_chunk)]
        frame = self.obs.get("frame") if self.model.vision else None
        tail = "\n\n".join(t for t in (tail_text(self.versions.current), self.recall()) if t)
        messages = build_messages(self.system(), self.step_id, self.obs["text"], lines, list(self.actions), frame,
                                  self.earlier(), tail)
        chosen, error, prompt_ref = self.choose(messages)
        if not self.work.acted:  # no usable action: time passes all the same
            self.act(None)
        self.commit(chosen, error, prompt_ref, version, time.monotonic() - t0)

    def choose(self, messages: list[Message]) -> tuple[ParsedCall | None, str, str]:
        """The bounded inner loop: meta-tool results go back to the model; the first action call ends it."""
        convo, error, prompt_ref = list(messages), "", ""
        # the tool list never changes within a run's harness version: it is part of the cached prompt prefix
        tools = {**self.meta_tools(), **self.actions}
        while True:
            must_act = len(self.work.calls) >= self.cfg.max_meta_calls
            choice = next(iter(self.actions)) if must_act and len(self.actions) == 1 else REQUIRED
            if self.work.model_calls and self.budget.over():
                return None, f"stopped asking: {self.budget.over()}", prompt_ref
            reply, prompt_ref = self.call(convo, tools, "repair" if error else "act", choice)
            self.work.last_text = reply.text[:500]
            try:
                parsed = parse_call(reply.tool_calls, reply.text, tools)
                if must_act and parsed.tool.kind != "action":
                    raise FormatError(f"no more meta-tool calls this step ({self.cfg.max_meta_calls} made)")
            except FormatError as e:
                error = str(e)
                if self.work.repairs >= self.cfg.max_repairs:
                    return None, error, prompt_ref
                self.work.repairs += 1
                convo += [Message(role="assistant", content=reply.text[:500] or "(empty)"),
                          Message(role="user", content=f"Invalid reply: {error}. {instruction(list(self.actions))}")]
                continue
            error = ""
            if parsed.tool.name in self.actions:  # one of the env's own actions
                parsed.tool.run(self.context, parsed.args)
                return parsed, "", prompt_ref
            result = self.run_meta(parsed)  # a meta-tool, a macro action, a sub-agent call
            if self.work.acted:  # it acted in the env: the step ends with its result
                return parsed, "", prompt_ref
            convo += [Message(role="assistant", content=reply.text, tool_calls=[parsed.call]),
                      Message(role="tool", content=result.content, tool_call_id=parsed.call.id, name=parsed.call.name)]

    def run_meta(self, parsed: ParsedCall) -> ToolResult:
        """Run a tool that is not one env action; a refused call's reason goes back to the model."""
        acted = len(self.work.acted)
        try:
            result = parsed.tool.run(self.context, parsed.args)
        except ToolError as e:
            result = ToolResult(ok=False, content=f"error: {e}")
        kind = "action" if len(self.work.acted) > acted else "meta"
        self.work.calls.append(ToolCallRecord(name=parsed.call.name, arguments=parsed.args.model_dump(mode="json"),
                                              kind=kind, ok=result.ok, result=result.content[:300]))
        return result

    def call(self, messages: list[Message], offer: dict[str, Tool], purpose: str, choice: str = REQUIRED,
             span: str | None = None, model: Model | None = None) -> tuple[ModelReply, str]:
        """One model call, logged at once; backs off while the model is down."""
        backoff, repeats, last = min(1.0, self.cfg.max_backoff_s), 0, ""
        model = model or self.model
        specs = [t.spec() for t in offer.values()]
        while True:
            try:
                reply = model.generate(messages, specs, choice)
                break
            except ModelError as e:
                text = str(e)[:500]
                self.store.append(ModelErrorEvent(step=self.step_id, message=text, retryable=e.retryable,
                                                  backoff_s=backoff, purpose=purpose, span=span))
                if not e.retryable:
                    raise RunFailed(f"model error: {e}") from None
                repeats, last = (repeats + 1 if text == last else 1), text
                if self.calls_ok == 0 and repeats >= self.cfg.first_call_attempts:
                    raise RunFailed(f"the first model call failed {repeats} times the same way, which looks like a "
                                    f"configuration error (check --model and its server): {text[:300]}") from None
                self.say(f"model unavailable ({text[:80]}); retrying in {backoff:.0f}s")
                time.sleep(backoff)
                backoff = min(backoff * 2, self.cfg.max_backoff_s)
        self.calls_ok += 1
        self.budget.charge(reply)
        w, u = self.work, reply.usage
        w.model_calls += 1
        w.usage.input_tokens += u.input_tokens
        w.usage.output_tokens += u.output_tokens
        w.usage.cached_input_tokens += u.cached_input_tokens
        w.cost_usd += reply.cost_usd
        notes = list(getattr(reply, "notes", []))
        with self.store.commit() as tx:
            prompt_ref = store_prompt(tx, messages)
            tx.event(ModelCall(
                step=self.step_id, span=span, purpose=purpose, model=reply.model or model.spec,
                tokens_in=u.input_tokens, tokens_out=u.output_tokens, tokens_cached=u.cached_input_tokens,
                cost_usd=reply.cost_usd, latency_s=reply.latency_s, prompt_ref=prompt_ref, notes=notes,
                reply={"text": reply.text[:4000], "tool_calls": [c.model_dump() for c in reply.tool_calls]},
                totals=self.budget.totals.model_copy(),
            ))
        for note in notes:
            self.say(note)
        return reply, prompt_ref

    def act(self, action: dict[str, Any] | None) -> ToolResult:
        """Step the env (ToolContext.act): the one place the main loop advances it. A macro tool or a
        sub-agent may act several times in one step; each env action is recorded for replay."""
        obs, _, _, _, info = self.env.step(action)
        self.work.acted.append((action, obs, info))
        where = progress_of(info).text()
        if self._spans:
            self.store.append(SubStep(step=self.step_id, span=self._spans[-1], index=len(self.work.acted) - 1,
                                      action=action, label=where, cost=int(info.get("action_cost", 0))))
        return ToolResult(content=f"now at {where}")

    @contextmanager
    def span(self, name: str, kind: str) -> Iterator[SpanInfo]:
        """ToolContext.span: SpanStart now, SpanEnd when the block ends (as the SpanInfo says; error if it
        raised); env actions inside are logged as sub-steps. A kill (or KeyboardInterrupt) leaves it open:
        resume closes it as cut."""
        info = SpanInfo(id=f"{kind}-{self.step_id}-{uuid.uuid4().hex[:6]}")
        self.store.append(SpanStart(span=info.id, name=name, span_kind=kind, step=self.step_id,
                                    parent=self._spans[-1] if self._spans else None))
        self._spans.append(info.id)
        try:
            yield info
        except BaseException as e:
            self._spans.remove(info.id)
            if isinstance(e, Exception):  # not Ctrl-C: that leaves it open, as a kill does
                self.store.append(SpanEnd(span=info.id, status="error", summary=str(e)[:300], step=self.step_id))
            raise
        self._spans.remove(info.id)
        self.store.append(SpanEnd(span=info.id, status=info.status, summary=info.summary[:300], step=self.step_id))

    def now(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The env's obs and info as of now (after any action taken so far in this step)."""
        return (self.work.acted[-1][1], self.work.acted[-1][2]) if self.work.acted else (self.obs, self.info)

    def call_subagent(self, name: str, task: str) -> ToolResult:
        """A sub-agent call: a nested loop of at most its max_turns model turns, in a span of its own;
        its model calls and presses count in this step, the run totals and the budget."""
        spec = self.versions.current.subagents.get(name)
        if spec is None:
            names = ", ".join(self.versions.current.subagents) or "none"
            raise ToolError(f"no sub-agent {name!r}; sub-agents: {names}")
        if self._depth:
            raise ToolError("a sub-agent cannot call a sub-agent")
        span = f"sub-{self.step_id}-{name}-{uuid.uuid4().hex[:6]}"
        self.store.append(SpanStart(span=span, name=f"sub-agent {name}", span_kind="subagent", step=self.step_id))
        meta, finish = self.meta_tools(), ReturnToCaller()
        tools: dict[str, Tool] = {n: self.actions.get(n) or meta.get(n) or load_tool(n) for n in spec.tools
                                  if n not in SUBAGENT_FORBIDDEN}
        tools[finish.name] = finish
        lines: list[str] = []
        acted, summary, turn = len(self.work.acted), "", 0
        self._depth = 1
        self._spans.append(span)
        try:
            for turn in range(1, spec.max_turns + 1):
                if self.budget.over():
                    summary = f"stopped: {self.budget.over()}"
                    break
                messages = subagent_messages(spec, task, self.now()[0]["text"], lines, finish.name)
                reply, _ = self.call(messages, tools, "subagent", REQUIRED, span=span)
                try:
                    parsed = parse_call(reply.tool_calls, reply.text, tools)
                except FormatError as e:
                    lines.append(f"turn {turn}: invalid reply: {str(e)[:120]}")
                    continue
                if parsed.tool is finish:
                    summary = str(parsed.args.model_dump()["summary"])
                    break
                try:
                    result = parsed.tool.run(self.context, parsed.args)
                except ToolError as e:
                    result = ToolResult(ok=False, content=f"error: {e}")
                lines.append(f"turn {turn}: {format_action(action_dict(parsed.call.name, parsed.args))} -> "
                             f"{result.content[:100]}")
            else:
                summary = f"turn cap ({spec.max_turns}) reached; last: {lines[-1] if lines else 'nothing'}"
        finally:
            self._depth = 0
            self._spans.remove(span)
        presses = sum(int(info.get("action_cost", 0)) for _, _, info in self.work.acted[acted:])
        self.store.append(SpanEnd(span=span, status="ok", summary=summary[:300], step=self.step_id))
        where = progress_of(self.now()[1]).text()
        return ToolResult(content=f"{name} ({turn} turns, {presses} presses, now at {where}): {summary[:300]}")

    def commit(self, chosen: ParsedCall | None, error: str, prompt_ref: str, version: int, latency_s: float) -> None:
        """Write the step, the harness edits made during it, milestones, a failure, a savestate: one transaction."""
        w = self.work
        assert w.acted
        obs, info = self.now()
        env_actions = [a for a, _, _ in w.acted]
        action, replay = env_actions[0], None
        if chosen is not None and chosen.tool.name not in self.actions:  # a macro or a sub-agent: record the call
            action, replay = action_dict(chosen.call.name, chosen.args), env_actions
        before, after = progress_of(self.info), progress_of(info)
        cost = sum(int(i.get("action_cost", 0)) for _, _, i in w.acted)
        self.budget.charge_step(cost, chosen is None)
        t = self.budget.totals
        reached = [m for _, _, i in w.acted for m in progress_of(i).milestones]  # also ones passed mid-macro
        new = self.tracker.update(list(dict.fromkeys(reached)), step=self.step_id, presses=t.presses,
                                  tokens=t.tokens, cost_usd=t.cost_usd)
        with self.store.commit() as tx:
            self.flush_outbox(tx)
            frame = self.obs.get("frame")
            event = Step(
                step=self.step_id, action=action, env_actions=replay,
                reasoning=chosen.reasoning[:500] if chosen else "", action_cost=cost,
                calls=w.calls, where_before=list(before.where), label_before=before.text(), where=list(after.where),
                label=after.text(), obs_ref=tx.blob(self.obs["text"]),
                frame_ref=tx.blob(frame_png(frame, 1), compress=False)
                if self.cfg.store_frames and frame is not None else None,
                prompt_ref=prompt_ref, harness_version=version, format_failure=chosen is None, repairs=w.repairs,
                model_calls=w.model_calls, latency_s=latency_s, tokens_in=w.usage.input_tokens,
                tokens_out=w.usage.output_tokens, tokens_cached=w.usage.cached_input_tokens, cost_usd=w.cost_usd,
                totals=t.model_copy(), new_milestones=[m.name for m in new],
            )
            tx.event(event)
            for m in new:
                tx.event(m)
            if chosen is None:
                tx.event(FormatFailure(step=self.step_id, attempts=w.repairs + 1, error=error, text=w.last_text))
            if (self.step_id + 1) % self.cfg.savestate_every == 0:
                tx.event(Savestate(step=self.step_id, ref=tx.blob(self.env.save_state())))
        self.committed()
        self.recent.append(event)
        if self.refiner:
            self.refiner.observe(event)
        self.obs, self.info = obs, info
        if self.display:
            self.display.on_step(event, new, t)
        self.step_id += 1

    def committed(self) -> None:
        """After a transaction that held this step's (or a pass's) memory ops: update the memory index."""
        if self._memory is not None:
            self._memory.apply_pending()

    def flush_outbox(self, tx: Transaction) -> None:
        """Write the harness edits made since the last flush into `tx` (a step's, a pass's, the gate's)."""
        for events, blobs in self.outbox:
            tx.add(events, blobs)
        self.outbox.clear()
        self.pending_blobs.clear()

    def close(self) -> None:
        """Release the env (its child process), the memory index and the run store; the log keeps every
        committed step."""
        self.env.close()
        if self._memory is not None:
            self._memory.close()
        self.store.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the harness as the model sees it -------------------------------------------------------
    def system(self) -> str:
        """The stable prefix; rebuilt only when the harness version changes."""
        if self._system[0] != self.versions.version:
            instructions = getattr(self.env, "instructions", "")
            self._system = (self.versions.version, system_text(self.versions.current, instructions))
        return self._system[1]

    def state(self) -> dict[str, Any]:
        """ToolContext.state: the env's parsed state now, as plain JSON."""
        obs, info = self.now()
        game = info.get("game")
        out = game.model_dump(mode="json") if hasattr(game, "model_dump") else dict(game or {})
        return {**out, "progress": progress_of(info).model_dump(mode="json")}

    def earlier(self) -> str:
        """The summary of the steps before the window, recomputed only when the window moves."""
        start = window_start(self.step_id, self.cfg.history, self.cfg.history_chunk)
        if self._earlier[0] != start:
            before = next(iter(self.store.steps(start - 1, start)), None) if start > 0 else None
            facts = earlier_summary(start, before, self.tracker.reached.values())
            note = self.rolling_summary(start)
            self._earlier = (start, f"{facts}\nSummary: {note}" if note else facts)
        return self._earlier[1]

    def rolling_summary(self, start: int) -> str:
        """The model-written summary of steps 0 .. upto-1 (upto: the last multiple of summary_every at or
        before the window start), asked for once, persisted as a Summary event and read back on resume."""
        every = summary_period(self.cfg)
        upto = start - start % every if every else 0
        if upto <= 0:
            return ""
        if self._summary is None or self._summary.upto != upto:
            found = find_summary(self.store, upto)
            if found is None:
                previous = self._summary if self._summary and self._summary.upto == upto - every else (
                    find_summary(self.store, upto - every))
                found = self.write_summary(upto, every, previous)
            self._summary = found
        return self._summary.text

    def write_summary(self, upto: int, every: int, previous: Summary | None) -> Summary:
        lines = [turn_line(e) for e in self.store.steps(upto - every, upto)]
        messages = summary_messages(previous.text if previous else "", upto - every, upto, lines)
        reply, _ = self.call(messages, {}, "summary", NONE)
        text = " ".join(reply.text.split())[:SUMMARY_CHARS]
        if len(text) >= 20:
            event = Summary(upto=upto, text=text, source="model", step=self.step_id)
        else:  # the fallback: deterministic, from the same steps
            places = list(dict.fromkeys(e.label for e in self.store.steps(upto - every, upto)))
            text = (f"{previous.text} " if previous else "") + (
                f"Steps {upto - every}-{upto - 1}: at {', '.join(places[:6])}.")
            event = Summary(upto=upto, text=text[-SUMMARY_CHARS:], source="fallback", step=self.step_id,
                            error=f"reply too short: {reply.text[:80]!r}")
        self.store.append(event)
        return event

    def memory(self) -> Memory | None:
        """The run's memory when the harness has it on (opened from the log on first use), else None."""
        settings = self.versions.current.memory
        if not settings.enabled:
            return None
        if self._memory is None:
            self._memory = open_memory(self.store, settings, lambda events, blobs: self.outbox.append((events, blobs)))
        self._memory.settings = settings
        return self._memory

    def recall(self) -> str:
        """What the harness retrieves for this step's message: the memory entries relevant to the situation
        now (the read is logged with the step, so how often an entry was shown is measured) and the skills
        whose descriptions fit it best."""
        memory, h = self.memory(), self.versions.current
        want_skills = bool(h.skills) and "run_skill" in h.tools
        if (memory is None or not memory.settings.top_k) and not want_skills:
            return ""
        last = self.recent[-1].reasoning if self.recent else ""
        label = progress_of(self.info).text()
        query = situation(label, last)
        parts = []
        if memory is not None and memory.settings.top_k:
            hits = memory.search(query, location=label)
            if hits:
                ids = [h.entry.id for h in hits]
                memory.note_read(self.step_id, ids)
                self.outbox.append(([MemoryRead(step=self.step_id, ids=ids, purpose="prompt")], []))
            parts.append(recall_text(hits))
        if want_skills:
            described = {name: s.description for name, s in h.skills.items()}
            parts.append(skills_text(self._skills.relevant(described, query), described, len(described)))
        return "\n\n".join(p for p in parts if p)

    def meta_tools(self) -> dict[str, Tool]:
        """The harness's tools, bound to its document (their schemas name its blocks and sub-agents);
        rebuilt only when a version changes what they name, so the cached tool list holds otherwise."""
        h = self.versions.current
        key = (tuple(h.tools), tuple(b.label for b in h.blocks if not b.read_only), tuple(sorted(h.subagents)))
        if key != self._meta_key:
            doc = h.doc()
            self._meta, self._meta_key = {}, key
            for name in h.tools:
                tool = load_tool(name)
                bind = getattr(tool, "bind", None)
                self._meta[name] = bind(doc) if bind else tool
        return self._meta

    def say(self, text: str) -> None:
        if self.display:
            self.display.message(text)


class AgentContext:
    """The runtime as the main loop's tools see it (tools.base.ToolContext)."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @property
    def step(self) -> int:
        return self.agent.step_id

    def act(self, action: dict[str, Any]) -> ToolResult:
        return self.agent.act(action)

    def harness_doc(self) -> dict[str, Any]:
        return self.agent.versions.current.doc()

    def state(self) -> dict[str, Any]:
        return self.agent.state()

    def call_subagent(self, name: str, task: str) -> ToolResult:
        return self.agent.call_subagent(name, task)

    def span(self, name: str, kind: str) -> AbstractContextManager[SpanInfo]:
        return self.agent.span(name, kind)

    def put_text(self, text: str) -> str:
        data = text.encode()
        ref = blob_ref(data)
        self.agent.pending_blobs[ref] = data
        self.agent.outbox.append(([], [data]))  # committed with the step (or the pass) that made it
        return ref

    @property
    def memory(self) -> Memory | None:
        return self.agent.memory()

    def get_text(self, ref: str) -> str:
        pending = self.agent.pending_blobs.get(ref)
        return pending.decode() if pending is not None else self.agent.store.get_text(ref)

    def commit_harness(self, doc: dict[str, Any], reason: str) -> int:
        versions = self.agent.versions
        try:
            versions.commit(HarnessState.parse(doc), reason=reason, trigger="agent", step=self.agent.step_id)
        except HarnessEditError as e:
            raise ToolError(str(e)) from None
        return versions.version


def summary_period(cfg: RunConfig) -> int:
    """summary_every rounded up to a multiple of history_chunk (the window moves in chunks); 0: off."""
    chunk = cfg.history_chunk
    return -(-cfg.summary_every // chunk) * chunk if cfg.summary_every > 0 and cfg.history > 0 else 0


def find_summary(store: RunStore, upto: int) -> Summary | None:
    row = store.db.execute("SELECT data FROM events WHERE kind='summary' AND json_extract(data, '$.upto')=? "
                           "ORDER BY seq DESC LIMIT 1", (upto,)).fetchone()
    return Summary.model_validate_json(row[0]) if row else None


def store_prompt(tx: Transaction, messages: list[Message]) -> str:
    """The prompt as a blob: a JSON list of messages whose contents are blobs (stored once each)."""
    parts = []
    for m in messages:
        part: dict[str, Any] = {"role": m.role, "content_ref": tx.blob(m.content)}
        if m.images:
            part["image_refs"] = [tx.blob(img.png_b64) for img in m.images]
        if m.tool_calls:
            part["tool_calls"] = [c.model_dump() for c in m.tool_calls]
        if m.tool_call_id:
            part["tool_call_id"] = m.tool_call_id
        parts.append(part)
    return tx.blob(json.dumps(parts, separators=(",", ":")))


def load_prompt(reader: RunReader, ref: str) -> list[Message]:
    """The messages `store_prompt` stored (images come back as their PNGs in base64)."""
    out = []
    for part in json.loads(reader.get_text(ref)):
        images = [ImagePart(png_b64=reader.get_text(r)) for r in part.get("image_refs", [])]
        out.append(Message(role=part["role"], content=reader.get_text(part["content_ref"]), images=images,
                           tool_calls=[ToolCall.model_validate(c) for c in part.get("tool_calls", [])],
                           tool_call_id=part.get("tool_call_id", "")))
    return out
