"""The acceptance gate (the paper has none): a version the refiner made is on probation for `window`
steps; then its progress rate is compared with its parent's over the `window` steps before the pass.
Clearly worse -> roll back to the parent (a new version in which what the pass changed is back as it
was, other edits made since kept; a `Rollback` event with both figures), and the refiner is shown the
rolled-back edit next time so it does not flip-flop.

Stateless: the decision is computed from the log at a step boundary (two windows of Step events read
through the step index), so a resumed run decides exactly as an uninterrupted one would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from harness.log.events import GateDecision, HarnessVersion, Step
from harness.log.store import RunReader

if TYPE_CHECKING:
    from harness.agent import Agent


class GateSettings(BaseModel):
    enabled: bool = Field(True, description="judge refiner versions after a probation window")
    window: int = Field(50, ge=5, description="probation steps, compared with as many steps before the pass")
    worse_ratio: float = Field(0.5, ge=0, le=1, description="roll back when the new progress score is below this "
                                                             "fraction of the parent's")
    worse_failures: float = Field(0.25, ge=0, description="or when failures per step rose by more than this")


def score(steps: list[Step]) -> tuple[float, float]:
    """(progress, failures) per step: distinct places visited + 10 x milestones reached; format failures
    + failed tool calls."""
    if not steps:
        return 0.0, 0.0
    places = len({tuple(e.where) for e in steps})
    milestones = sum(len(e.new_milestones) for e in steps)
    failures = sum(e.format_failure + sum(not c.ok for c in e.calls) for e in steps)
    return (places + 10 * milestones) / len(steps), failures / len(steps)


def on_probation(reader: RunReader) -> tuple[HarnessVersion, int] | None:
    """The newest version the refiner made, if no decision covers it yet: (it, its pass's parent). The
    agent's own edits after it (its notes) do not end its probation."""
    row = reader.db.execute("SELECT data FROM events WHERE kind='harness_version' AND "
                            "json_extract(data, '$.trigger')='refiner' ORDER BY seq DESC LIMIT 1").fetchone()
    current = HarnessVersion.model_validate_json(row[0]) if row else None
    if current is None or current.step is None:
        return None
    decided = reader.last(GateDecision)
    if decided is not None and decided.version >= current.version:
        return None
    row = reader.db.execute(  # the first version of the same pass: its parent is what the pass started from
        "SELECT MIN(json_extract(data, '$.version')) FROM events WHERE kind='harness_version' "
        "AND json_extract(data, '$.trigger')='refiner' AND step=?", (current.step,)).fetchone()
    first = row[0] if row and row[0] is not None else current.version
    return current, first - 1


def check(agent: Agent, settings: GateSettings) -> GateDecision | None:
    """At a step boundary: decide the version on probation once its window is full."""
    found = on_probation(agent.store) if settings.enabled else None
    if found is None:
        return None
    version, parent = found
    at = version.step
    assert at is not None
    if agent.step_id - at < settings.window:
        return None
    before = list(agent.store.steps(max(0, at - settings.window), at))
    after = list(agent.store.steps(at, at + settings.window))
    (p_score, p_fail), (n_score, n_fail) = score(before), score(after)
    worse = (p_score > 0 and n_score < settings.worse_ratio * p_score) or n_fail > p_fail + settings.worse_failures
    decision = GateDecision(version=version.version, parent=parent, at_step=at, kept=not worse,
                            parent_score=round(p_score, 4), new_score=round(n_score, 4),
                            parent_failures=round(p_fail, 4), new_failures=round(n_fail, 4), step=agent.step_id)
    with agent.store.commit() as tx:
        if worse:
            agent.versions.rollback(parent, step=agent.step_id, undo=version.version, reason=(
                f"gate: progress {n_score:.3f}/step after the pass at step {at} vs {p_score:.3f} before; "
                f"failures {n_fail:.3f} vs {p_fail:.3f}"))
            agent.flush_outbox(tx)
        tx.event(decision)
    agent.say(f"gate: v{version.version} {'kept' if not worse else f'rolled back to v{parent}'} "
              f"(progress {n_score:.3f} vs {p_score:.3f}/step, failures {n_fail:.3f} vs {p_fail:.3f})")
    return decision
