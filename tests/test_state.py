"""Harness state v2 and the versions API: limits, read-only blocks, patch round trip, hash stability,
rollback restoring the exact document."""

from __future__ import annotations

import pytest

from harness.log.events import HarnessVersion, Rollback
from harness.state import HarnessEditError, HarnessState, apply_patch, diff, preset, preset_names
from harness.state.versions import Versions


def sink_into(log: list):
    return lambda events, blobs: log.extend(events)


def test_presets_are_data_files_and_load():
    assert {"minimal", "continual"} <= set(preset_names())
    h = preset("continual")
    assert h.block("role").read_only and "edit_prompt_block" in h.tools
    assert preset("minimal").tools == []
    with pytest.raises(ValueError, match="unknown harness preset 'nope'; available: "):
        preset("nope")


def test_hash_is_stable_and_content_defined():
    a, b = preset("continual"), preset("continual")
    assert a is not b and a.content_hash() == b.content_hash()
    assert HarnessState.model_validate_json(a.model_dump_json()).content_hash() == a.content_hash()
    assert a.with_block("notes", "x").content_hash() != a.content_hash()


def test_patch_round_trip():
    a = preset("continual")
    b = a.with_block("notes", "the key is in the cave").with_block("strategy", "go north")
    patch = diff(a, b)
    assert patch and apply_patch(a, patch) == b
    assert apply_patch(b, diff(b, a)) == a


def test_block_limit_and_read_only_are_enforced_with_clear_messages():
    h = preset("continual")
    with pytest.raises(HarnessEditError, match="'notes': 801 characters is over its limit of 800"):
        h.with_block("notes", "x" * 801)
    with pytest.raises(HarnessEditError, match="'role' is read-only"):
        h.with_block("role", "you are a pirate")
    with pytest.raises(HarnessEditError, match="no prompt block 'nope'"):
        h.with_block("nope", "x")
    doc = h.doc()
    doc["blocks"][2]["value"] = "y" * 900
    with pytest.raises(HarnessEditError, match="over its limit of 800"):
        HarnessState.parse(doc)
    doc = h.doc()
    doc["blocks"].append(dict(doc["blocks"][1]))
    with pytest.raises(HarnessEditError, match="labels must be unique"):
        HarnessState.parse(doc)


def test_commit_versions_and_refuses_read_only_changes():
    log: list = []
    v = Versions.first(preset("continual"), "preset", sink_into(log))
    assert isinstance(log[0], HarnessVersion) and log[0].version == 0 and log[0].parent is None
    ev = v.commit(v.current.with_block("notes", "a"), reason="note", trigger="agent", step=3)
    assert ev is not None and (ev.version, ev.parent, ev.step, ev.trigger) == (1, 0, 3, "agent")
    assert ev.patch == [{"op": "replace", "path": "/blocks/2/value", "value": "a"}]
    assert v.commit(v.current, reason="same", trigger="agent", step=4) is None  # no change, no version
    doc = v.current.doc()
    doc["blocks"][0]["value"] = "you are a pirate"
    with pytest.raises(HarnessEditError, match="'role' is read-only"):
        v.commit(HarnessState.model_validate(doc), reason="x", trigger="agent", step=5)
    assert v.version == 1
    # the user (and a bootstrap) may change read-only blocks
    assert v.commit(HarnessState.model_validate(doc), reason="x", trigger="user", step=5).version == 2


def test_rollback_restores_the_exact_document_as_a_new_version():
    log: list = []
    v = Versions.first(preset("continual"), "preset", sink_into(log))
    original = v.current
    for i in range(10):  # older than the in-memory cache: loaded through `load`
        v.commit(v.current.with_block("notes", f"note {i}"), reason="n", trigger="agent", step=i)
    docs = {e.version: e for e in log if isinstance(e, HarnessVersion)}
    v._load = lambda n: original if n == 0 else pytest.fail("only v0 should load")
    ev = v.rollback(0, reason="the notes made things worse", step=11)
    assert ev.version == 11 and ev.parent == 10 and ev.hash == docs[0].hash
    assert v.current == original and v.current.content_hash() == original.content_hash()
    rb = [e for e in log if isinstance(e, Rollback)][-1]
    assert (rb.from_version, rb.to_version, rb.new_version) == (10, 0, 11)
    with pytest.raises(HarnessEditError, match="no harness version 12"):
        v.rollback(12, reason="x", step=12)


def test_refiner_only_block_is_read_by_the_agent_and_edited_by_the_refiner():
    from harness.prompt import system_text

    log: list = []
    v = Versions.first(preset("continual"), "preset", sink_into(log))
    assert v.current.block("guidance").refiner_only and "Guidance" not in system_text(v.current, "")  # empty: hidden
    tips = v.current.with_block("guidance", "Talk to Mom downstairs first.")
    with pytest.raises(HarnessEditError, match="block 'guidance' is the refiner's: you can read it, not edit it"):
        v.commit(tips, reason="x", trigger="agent", step=1)
    assert v.commit(tips, reason="tips", trigger="refiner", step=2).version == 1
    assert "## Guidance\nTalk to Mom downstairs first." in system_text(v.current, "")
    with pytest.raises(HarnessEditError, match="is the refiner's"):  # nor may the agent wipe it
        v.commit(v.current.with_block("guidance", ""), reason="x", trigger="agent", step=3)
    doc = v.current.doc()
    doc["blocks"][2]["refiner_only"] = True  # the agent may not take its own notes away from itself either
    with pytest.raises(HarnessEditError, match="only the refiner may make a block its own: notes"):
        v.commit(HarnessState.parse(doc), reason="x", trigger="agent", step=4)
    assert v.commit(v.current.with_block("notes", "mine"), reason="n", trigger="agent", step=5).version == 2


def test_a_sub_agent_without_instructions_is_refused_and_never_breaks_the_prompt():
    """The preset bench's continual seed 2 crashed at step 108: SmolLM2 defined a sub-agent with empty
    instructions and the roster line took the first line of an empty text."""
    from harness.prompt import system_text
    from harness.state import SubAgentSpec

    log: list = []
    v = Versions.first(preset("continual"), "preset", sink_into(log))
    blank = v.current.model_copy(update={"subagents": {"helper": SubAgentSpec(name="helper", instructions="  ")}})
    for trigger in ("agent", "refiner"):
        with pytest.raises(HarnessEditError, match="sub-agent 'helper' needs instructions"):
            v.commit(blank, reason="x", trigger=trigger, step=1)
    assert v.version == 0
    assert "- helper: (no instructions)" in system_text(blank, "")  # e.g. a run recorded before the check


def test_the_roster_is_capped_but_a_full_one_can_still_be_redefined_or_trimmed():
    """In the preset bench SmolLM2 (continual seed 2) defined a new junk sub-agent every few steps: each is a
    line of the system prompt and a name in call_subagent's enum."""
    from harness.state import SubAgentSpec
    from tools.subagents import MAX_SUBAGENTS

    log: list = []
    v = Versions.first(preset("continual"), "preset", sink_into(log))
    full = {f"a{i}": SubAgentSpec(name=f"a{i}", instructions="walk") for i in range(MAX_SUBAGENTS)}
    v.commit(v.current.model_copy(update={"subagents": full}), reason="fill", trigger="agent", step=1)
    one_more = {**full, "extra": SubAgentSpec(name="extra", instructions="walk")}
    for trigger in ("agent", "refiner"):
        with pytest.raises(HarnessEditError, match=f"at most {MAX_SUBAGENTS} sub-agents: delete one first"):
            v.commit(v.current.model_copy(update={"subagents": one_more}), reason="x", trigger=trigger, step=2)
    redefined = {**full, "a0": SubAgentSpec(name="a0", instructions="talk")}
    assert v.commit(v.current.model_copy(update={"subagents": redefined}), reason="r", trigger="agent", step=3)
    swapped = {**{k: s for k, s in redefined.items() if k != "a1"}, "extra": one_more["extra"]}
    assert v.commit(v.current.model_copy(update={"subagents": swapped}), reason="s", trigger="agent", step=4)
    assert len(v.current.subagents) == MAX_SUBAGENTS and v.version == 3


def test_the_skill_library_is_capped_but_a_new_version_of_a_skill_still_goes_in():
    from harness.state import SkillRef, SkillVersion
    from skills.tools import MAX_SKILLS

    def skill(name: str, *refs: str) -> SkillRef:
        return SkillRef(name=name, description="d", versions=[SkillVersion(ref=r, step=1) for r in refs])

    log: list = []
    v = Versions.first(preset("continual"), "preset", sink_into(log))
    full = {f"s{i}": skill(f"s{i}", "r0") for i in range(MAX_SKILLS)}
    v.commit(v.current.model_copy(update={"skills": full}), reason="fill", trigger="agent", step=1)
    for trigger in ("agent", "refiner"):
        with pytest.raises(HarnessEditError, match=f"at most {MAX_SKILLS} skills: delete one first"):
            v.commit(v.current.model_copy(update={"skills": {**full, "x": skill("x", "r0")}}),
                     reason="x", trigger=trigger, step=2)
    rewritten = {**full, "s0": skill("s0", "r0", "r1")}
    assert v.commit(v.current.model_copy(update={"skills": rewritten}), reason="v2", trigger="agent", step=3)
    assert len(v.current.skills) == MAX_SKILLS and len(v.current.skills["s0"].versions) == 2
