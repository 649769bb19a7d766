"""Process reward and relabeling: score a rollout's transitions, let a teacher answer where they score low.

A *transition* is one step of the log: what the student saw (its prompt, the observation, the frame), what
it did (the action and its reasoning), whether the reply needed repairs, and what came after (the next
observation, the milestones). A process reward model (PRM) scores each transition on four parts, each in
[0, 1], and their weighted sum is the reward:

    R = 0.4 * trajectory progress + 0.3 * action correctness + 0.2 * reasoning quality + 0.1 * format

Transitions are scored in windows of `stride` (8) steps; a window whose mean R is under `threshold` is
relabeled: for each of its transitions the teacher sees what the student saw (the same messages and tools)
and answers with the call it would make. Those answers become the assistant turns of the shard
(harness/colearn/shards.py).

PRMs and teachers are back-end specs. `expert:quest` is a *programmatic* teacher and PRM for the in-repo
game: it uses privileged knowledge the student never sees (the game's maps, objects and story order, from
envs/gameboy/quest/oracle.py): progress is the distance to the next milestone shrinking, correctness is
the action lying on a shortest way, the teacher's answer is the first button of a shortest way. Its
"reasoning quality" is a crude check (does the reasoning name a right direction or the goal?) and is
named for what it is. Any model spec (`anthropic:...`, `openai:...`, `local`, `scripted:...`) is a model
teacher / judge through the same interface.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field

from harness.agent import load_prompt
from harness.log.events import Milestone, Step
from harness.log.store import RunReader
from harness.models import make_model
from harness.models.base import Message, Model, ToolCall, ToolSpec
from tools import REQUIRED

EXPERT_QUEST = "expert:quest"


class PRMSettings(BaseModel):
    """The process reward's weights, the relabel threshold and the window stride."""

    progress: float = Field(0.4, ge=0, description="weight of trajectory progress")
    correctness: float = Field(0.3, ge=0, description="weight of action correctness")
    reasoning: float = Field(0.2, ge=0, description="weight of reasoning quality")
    format: float = Field(0.1, ge=0, description="weight of a well-formed reply")
    threshold: float = Field(0.5, ge=0, le=1, description="windows whose mean reward is below this are relabeled")
    stride: int = Field(8, ge=1, description="transitions per scoring window")

    def reward(self, s: Scores) -> float:
        total = self.progress + self.correctness + self.reasoning + self.format
        return round((self.progress * s.progress + self.correctness * s.correctness + self.reasoning * s.reasoning
                      + self.format * s.format) / (total or 1.0), 4)


class Scores(BaseModel):
    progress: float = Field(ge=0, le=1)
    correctness: float = Field(ge=0, le=1)
    reasoning: float = Field(ge=0, le=1)
    format: float = Field(ge=0, le=1)


class Transition(BaseModel):
    """One logged step, as co-learning reads it."""

    step: int
    action: dict[str, Any] | None  # the tool call the step ended with ({"name", "arguments"}), None if unusable
    reasoning: str = ""
    obs_text: str
    next_obs_text: str | None = None  # the observation after the step (None for a rollout's last step)
    prompt_ref: str
    frame_ref: str | None = None
    milestones_before: list[str] = Field(default_factory=list)
    milestones_after: list[str] = Field(default_factory=list)
    format_failure: bool = False
    repairs: int = 0

    def buttons(self) -> list[str]:
        if not self.action or self.action.get("name") != "press_buttons":
            return []
        return [str(b) for b in self.action.get("arguments", {}).get("buttons", [])]


def read_transitions(reader: RunReader, start: int, stop: int) -> list[Transition]:
    """Transitions of steps start <= step < stop, with the observation after each (read from step + 1)."""
    reached: dict[str, int] = {}
    for _, e in reader.events("milestone"):
        if isinstance(e, Milestone):
            reached.setdefault(e.name, e.step)
    steps = list(reader.steps(start, stop + 1))
    out = []
    for i, s in enumerate(steps):
        if s.step >= stop:
            break
        nxt: Step | None = steps[i + 1] if i + 1 < len(steps) and steps[i + 1].step == s.step + 1 else None
        action = _final_action(s)
        out.append(Transition(
            step=s.step, action=action, reasoning=s.reasoning, obs_text=reader.get_text(s.obs_ref),
            next_obs_text=reader.get_text(nxt.obs_ref) if nxt else None, prompt_ref=s.prompt_ref,
            frame_ref=s.frame_ref, milestones_before=sorted(m for m, at in reached.items() if at < s.step),
            milestones_after=sorted(m for m, at in reached.items() if at <= s.step),
            format_failure=s.format_failure, repairs=s.repairs))
    return out


def _final_action(s: Step) -> dict[str, Any] | None:
    if s.action is None:
        return None
    return {"name": s.action.get("name"), "arguments": dict(s.action.get("arguments") or {})}


def windows(transitions: Sequence[Transition], stride: int) -> Iterator[list[Transition]]:
    for i in range(0, len(transitions), stride):
        yield list(transitions[i : i + stride])


# --------------------------------------------------------------------------------------------------
# Process reward models
# --------------------------------------------------------------------------------------------------


class ProcessReward(Protocol):
    name: str

    def score(self, window: list[Transition]) -> list[Scores]: ...


class Teacher(Protocol):
    name: str

    def relabel(self, t: Transition, messages: list[Message], tools: list[ToolSpec]) -> ToolCall | None:
        """The call the teacher would make seeing what the student saw; None if it has no answer."""
        ...


def _format_score(t: Transition) -> float:
    return 0.0 if t.format_failure or t.action is None else (0.5 if t.repairs else 1.0)


class ExpertQuestPRM:
    """Programmatic PRM for quest from the game's source (privileged: the student never sees it)."""

    name = EXPERT_QUEST
    # bumped whenever the scoring rules change: benchmarks only put results of one revision side by side
    revision = 2

    def score(self, window: list[Transition]) -> list[Scores]:
        return [self.score_one(t) for t in window]

    def score_one(self, t: Transition) -> Scores:
        from envs.gameboy.quest import oracle

        before = oracle.view_from_text(t.obs_text, frozenset(t.milestones_before))
        if before is None:
            return Scores(progress=0, correctness=0, reasoning=0, format=_format_score(t))
        buttons = t.buttons()
        correct = judged = 0
        v = before
        for b in buttons:  # each press judged where it happened (walking is modelled; dialogs are not)
            judged += 1
            correct += b in oracle.best_buttons(v)
            if v.mode != "WALK" or b not in oracle.DIRS:
                break  # A opens a dialog, START a menu: what follows is not modelled
            v = oracle.step(v, b)
        correctness = correct / judged if judged else 0.0
        if set(t.milestones_after) - set(t.milestones_before):
            progress = 1.0
        elif before.mode != "WALK":
            # moving a dialog or menu on is needed but is not progress by itself: with 1.0 here, a student that
            # opened and closed Mom's dialog over and over scored 0.2, 1.0, 0.2, ... = 0.6 a window and was never
            # relabeled (bench/colearn.py, seed 0, window 3)
            progress = 0.25 if buttons[:1] == oracle.best_buttons(before) else 0.0
        else:
            after = oracle.view_from_text(t.next_obs_text, frozenset(t.milestones_after)) if t.next_obs_text else v
            d0, d1 = oracle.distance(before), oracle.distance(after or v)
            # the share of presses that shortened the way; standing still scores 0 like walking away (with 0.5
            # for "no change", a student stuck against a wall scored 0.51 a window and was never relabeled)
            progress = min(1.0, max(0.0, (d0 - d1) / max(1, len(buttons))))
        return Scores(progress=round(progress, 4), correctness=round(correctness, 4),
                      reasoning=self.reasoning_score(t, before), format=_format_score(t))

    @staticmethod
    def reasoning_score(t: Transition, before: Any) -> float:
        """A crude check, not a judgement: 1 if the reasoning names a right direction or key, or the next
        goal's subject; 0.5 for other non-empty reasoning; 0 for none."""
        from envs.gameboy.quest import oracle

        text = t.reasoning.lower()
        if not text.strip():
            return 0.0
        words = {b.lower() for b in oracle.best_buttons(before)}
        goal = before.next_milestone() or ""
        words |= {w for w in goal.split("_") if w not in {"to", "got", "met", "entered", "talked", "opened", "beat"}}
        return 1.0 if any(w in text for w in words) else 0.5


class ExpertQuestTeacher:
    """Programmatic teacher for quest: the first button of a shortest way to the next milestone, with the
    oracle's one-line reason (privileged knowledge, from the game's source)."""

    name = EXPERT_QUEST

    def relabel(self, t: Transition, messages: list[Message], tools: list[ToolSpec]) -> ToolCall | None:
        from envs.gameboy.quest import oracle

        view = oracle.view_from_text(t.obs_text, frozenset(t.milestones_before))
        if view is None or not (buttons := oracle.best_buttons(view)):
            return None
        return ToolCall(name="press_buttons", arguments={"reasoning": oracle.describe(view)[:200],
                                                         "buttons": buttons[:1]})


SCORE_TOOL = ToolSpec(
    name="score_transitions",
    description="Score each transition of the window from 0 to 1 on progress toward the game's next milestone, "
                "correctness of the action, quality of the reasoning and format of the reply.",
    parameters={"type": "object", "properties": {"scores": {"type": "array", "items": {
        "type": "object", "properties": {k: {"type": "number", "minimum": 0, "maximum": 1}
                                         for k in ("progress", "correctness", "reasoning", "format")},
        "required": ["progress", "correctness", "reasoning", "format"]}}}, "required": ["scores"]},
)


class ModelPRM:
    """A model as the judge: it reads the window (observation, action, reasoning, what followed) and calls
    score_transitions; a reply it cannot read scores the window 0 on the model-judged parts (so the window
    is relabeled rather than trusted)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.name = model.spec

    def score(self, window: list[Transition]) -> list[Scores]:
        lines = []
        for i, t in enumerate(window):
            lines.append(f"## transition {i}\nobservation:\n{t.obs_text[:1500]}\naction: {json.dumps(t.action)}\n"
                         f"reasoning: {t.reasoning[:300]}\nnew milestones: "
                         f"{sorted(set(t.milestones_after) - set(t.milestones_before)) or 'none'}")
        messages = [Message(role="system", content="You judge an agent playing a game, one transition at a time."),
                    Message(role="user", content="\n\n".join(lines) + f"\n\nScore all {len(window)} transitions.")]
        try:
            reply = self.model.generate(messages, [SCORE_TOOL], REQUIRED)
            raw = reply.tool_calls[0].arguments["scores"]
            scores = [Scores.model_validate({**s, "format": _format_score(t)})
                      for s, t in zip(raw, window, strict=True)]
        except Exception:  # noqa: BLE001 - any unreadable judgement
            scores = [Scores(progress=0, correctness=0, reasoning=0, format=_format_score(t)) for t in window]
        return scores


class ModelTeacher:
    """A model as the teacher: the student's own messages and tools, and the call it makes."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.name = model.spec

    def relabel(self, t: Transition, messages: list[Message], tools: list[ToolSpec]) -> ToolCall | None:
        action_tools = [s for s in tools if t.action is None or s.name == t.action.get("name")] or tools
        reply = self.model.generate(messages, action_tools, REQUIRED)
        return reply.tool_calls[0] if reply.tool_calls else None


def make_prm(spec: str) -> ProcessReward:
    return ExpertQuestPRM() if spec == EXPERT_QUEST else ModelPRM(make_model(spec))


def make_teacher(spec: str) -> Teacher:
    return ExpertQuestTeacher() if spec == EXPERT_QUEST else ModelTeacher(make_model(spec))


class Relabeled(BaseModel):
    """One relabeled transition: what the student saw and the teacher's answer."""

    step: int
    messages: list[Message]
    reply: ToolCall
    frame_ref: str | None
    reward: float
    scores: Scores
    student_action: dict[str, Any] | None


def score_and_relabel(reader: RunReader, transitions: list[Transition], prm: ProcessReward, teacher: Teacher,
                      tools: list[ToolSpec], settings: PRMSettings) -> tuple[list[float], list[Relabeled]]:
    """Score every transition (window by window) and relabel the windows under the threshold. Returns the
    rewards of all transitions in order and the relabeled ones."""
    rewards: list[float] = []
    out: list[Relabeled] = []
    for window in windows(transitions, settings.stride):
        scores = prm.score(window)
        rs = [settings.reward(s) for s in scores]
        rewards += rs
        if sum(rs) / len(rs) >= settings.threshold:
            continue
        for t, s, r in zip(window, scores, rs, strict=True):
            messages = load_prompt(reader, t.prompt_ref)
            reply = teacher.relabel(t, messages, tools)
            if reply is not None:
                out.append(Relabeled(step=t.step, messages=messages, reply=reply, frame_ref=t.frame_ref, reward=r,
                                     scores=s, student_action=t.action))
    return rewards, out
