"""Vector memory: the offline embedder, near-duplicate updates, demotion and eviction with tombstones, an index
rebuilt from the log with identical results, retrieval into each step's prompt (measured as reads), the memory
tools and the refiner's memory pass."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from harness.config import RunConfig
from harness.log.events import MemoryRead, MemoryWrite, ModelCall, RefinePass
from harness.log.store import RunReader
from harness.memories import INDEX_DIR, open_memory
from harness.run import resume_run, start_run
from memory.embed import shared, source_dir
from memory.store import Memory, MemoryOp, MemorySettings
from tests.conftest import press, write_replies

FACTS = [
    "The exit of the bedroom is the stairs in the top right corner.",
    "An old man in the house says the bridge to the east is broken.",
    "Pressing A next to a sign reads it.",
    "The key to the gate is in the cave north of town.",
    "The shop in town sells potions for 5 coins.",
    "Route 2 has tall grass where wild monsters attack.",
    "Walking into walls wastes button presses.",
    "The gatekeeper only opens the gate when you hold the key.",
]


class Log:
    """The runtime's side of a Memory in a unit test: ops and vector blobs kept in order."""

    def __init__(self) -> None:
        self.ops: list[MemoryOp] = []
        self.blobs: dict[str, bytes] = {}

    @staticmethod
    def ref(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()[:32]

    def sink(self, op: MemoryOp, vec: bytes) -> None:
        if vec:
            self.blobs[self.ref(vec)] = vec
        self.ops.append(op)

    def memory(self, folder=None, history=None, **settings) -> Memory:
        s = MemorySettings(enabled=True, **settings)
        return Memory(folder, s, shared(), self.sink, self.blobs.__getitem__, self.ref).load(history or [])


def test_the_onnx_embedder_matches_the_torch_reference_and_ranks_paraphrases_first():
    torch = pytest.importorskip("torch")
    from transformers import AutoModel, AutoTokenizer

    texts = ["the key is in the cave north of town", "Route 2 has tall grass.", "x"]
    ours = shared().embed(texts)
    model, tok = AutoModel.from_pretrained(str(source_dir())).eval(), AutoTokenizer.from_pretrained(str(source_dir()))
    with torch.no_grad():
        batch = tok(texts, padding=True, return_tensors="pt")
        hidden, mask = model(**batch).last_hidden_state, batch["attention_mask"][..., None].float()
        ref = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    assert np.abs(ours - ref).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert np.array_equal(shared().one(texts[0]), ours[0])  # alone or in a batch: the same vector
    q = shared().one("where can I find the key for the gate?")
    assert q @ ours[0] > q @ ours[1] + 0.2


def test_a_near_duplicate_write_updates_the_entry_instead_of_adding_one():
    log = Log()
    m = log.memory()
    m.write(FACTS[3], step=1, tags=["key"], importance=2)
    (op,) = m.write("The key for the gate is inside the cave to the north of town.", step=5, tags=["gate"],
                    importance=4)
    assert op.op == "update" and op.entry.id == "m0" and op.similarity >= 0.9
    assert op.entry.tags == ["key", "gate"] and op.entry.importance == 4 and op.entry.updated == 5
    assert op.entry.created == 1 and len(m.live) == 1
    for junk in ("notex", ",11, 3},", "name_name", "22.3.3.5.1.2", "{mem_mem_t}...{mem_mem_m}}", "the_toy_toy_toy"):
        with pytest.raises(ValueError, match="a memory needs at least 3 different words"):
            m.write(junk, step=6)
    (other,) = m.write(FACTS[4], step=6)
    assert other.op == "add" and other.entry.id == "m1"
    m.apply_pending()
    # after the index holds them (not only pending), the same rule holds
    assert m.write("The key to the gate is in the cave north of the town.", step=7)[0].op == "update"
    assert [o.op for o in log.ops] == ["add", "update", "add", "update"]


def test_an_echo_of_an_entry_from_the_prompt_updates_it_and_keeps_the_whole_text():
    """Seen on a local run: SmolLM2 copies entries it was shown ("[m1]HOME bedroom: Mom stands at ...", cut
    short), which scored under the 0.9 threshold and were added again and again."""
    log = Log()
    m = log.memory()
    full = ("HOME bedroom: Mom stands at (10, 9) in front of the door at (10, 10). Stand next to her and press A "
            "four times to talk.")
    m.write(full, step=0, importance=5)
    (op,) = m.write("[m0]HOME bedroom: Mom stands at (10, 9) in front of the door at (10, 10)", step=3, importance=2)
    assert (op.op, op.entry.id, op.entry.text, op.entry.importance) == ("update", "m0", full, 5)
    assert op.similarity < 0.9 and len(m.live) == 1
    m.apply_pending()
    (again,) = m.write("[m0] [m0]HOME bedroom: mom stands at (10, 9) in front of the door", step=4)
    assert again.op == "update" and len(m.live) == 1


def test_a_search_in_a_step_that_forgot_many_entries_still_finds_the_live_ones():
    """Found by the memory benchmark: pending forgets stay in the index until the commit, and the index
    was asked for too few candidates to make up for them."""
    m = Log().memory(dedup_similarity=0.999)
    for i in range(40):
        m.write(f"The key number {i} opens gate {i * 3} in cave {i % 7}", 0)
    m.apply_pending()
    q = "which key opens the gate"
    for h in m.search(q, k=25):
        m.forget(h.entry.id, 1, "test")
    pending = [h.entry.id for h in m.search(q, k=5)]
    m.apply_pending()
    assert len(pending) == 5 and pending == [h.entry.id for h in m.search(q, k=5)]


def test_above_the_cap_unused_entries_are_demoted_and_the_weakest_evicted_as_tombstones():
    log = Log()
    m = log.memory(max_entries=3, demote_after=50, half_life=100)
    m.write(FACTS[0], step=0, importance=5)   # m0: important, used
    m.write(FACTS[1], step=0, importance=2)   # m1: weak, never used
    m.write(FACTS[2], step=90, importance=2)  # m2: weak but recent
    m.note_read(95, ["m0"])
    ops = m.write(FACTS[5], step=100, importance=3)  # m3: a fourth entry: one must go
    assert [(o.op, o.entry.id) for o in ops] == [("add", "m3"), ("demote", "m1"), ("evict", "m1")]
    assert ops[1].entry.importance == 1 and "unused for 100 steps" in ops[1].reason
    assert "over the cap of 3" in ops[2].reason and sorted(m.live) == ["m0", "m2", "m3"]
    assert ops[2].entry.text == FACTS[1]  # the tombstone keeps the text: evicted, not lost
    r = {e.id: m.retention(e, 100) for e in m.live.values()}
    assert r["m0"] > r["m3"] > r["m2"]  # importance x recency x use
    assert m.search("bridge east old man", 3) == [] or all(h.entry.id != "m1" for h in m.search("bridge", 3))


def test_the_index_is_rebuilt_from_the_log_with_identical_results(tmp_path):
    log = Log()
    folder = tmp_path / "memory"
    m = log.memory(folder)
    for i in range(60):
        m.write(f"{FACTS[i % len(FACTS)]} Seen at step {i} near ({i % 9}, {i % 7}).", step=i, importance=1 + i % 5)
        if i % 5 == 4:
            m.apply_pending()
    m.apply_pending()
    m.forget("m3", 60, "wrong")
    m.apply_pending()
    queries = ["where is the key", "how do I leave the bedroom", "what does the old man say", "buy potions",
               "monsters in the grass", "signs"]
    before = [[(h.entry.id, h.score) for h in m.search(q, 5)] for q in queries]
    assert all(before) and "m3" not in {i for hits in before for i, _ in hits}

    def reopened() -> Memory:
        return log.memory(folder, history=list(log.ops))

    m.close()
    again = reopened()
    assert not again.rebuilt and [[(h.entry.id, h.score) for h in again.search(q, 5)] for q in queries] == before
    again.close()
    shutil.rmtree(folder)  # deleted
    again = reopened()
    assert again.rebuilt and [[(h.entry.id, h.score) for h in again.search(q, 5)] for q in queries] == before
    again.close()
    for f in folder.rglob("*"):  # corrupt
        if f.is_file():
            f.write_bytes(b"garbage" * 100)
    again = reopened()
    assert again.rebuilt and [[(h.entry.id, h.score) for h in again.search(q, 5)] for q in queries] == before
    again.write("A brand new fact about the lighthouse keeper.", step=61)  # logged, the index never told
    again.close()
    again = reopened()  # (a kill between the commit and the index update): behind the log -> rebuilt
    assert again.rebuilt and "lighthouse" in again.search("lighthouse keeper", 1)[0].entry.text


def test_memory_in_the_loop_tools_reads_and_a_rebuilt_index_on_resume(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"},
        {"tool": "memory_write", "arguments": {"text": "Press START on the title screen to begin.",
                                               "tags": ["title"], "importance": 4}},
        press("B"),
        {"tool": "memory_write", "arguments": {"text": "Press START on the title screen to begin the game."}},
        press("B"),
        {"tool": "memory_write", "arguments": {"text": "Talking to mum gives a potion.", "importance": 2}},
        press("LEFT"),
        {"tool": "memory_search", "arguments": {"query": "potion"}},
        press("RIGHT"),
        {"tool": "memory_forget", "arguments": {"id": "m7", "why": "no such memory"}},
        press("A"),
        {"tool": "memory_forget", "arguments": {"id": "m1", "why": "mum said nothing"}},
        press("B"),
    ])
    run = tmp_path / "run"
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=6,
                                refine={"enabled": False}), run)
    h = agent.versions.current
    agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "memory_search", "memory_forget"]}),
                          reason="the test's tools", trigger="agent", step=0)
    try:
        assert agent.run(6) == "steps_done"
    finally:
        agent.close()
    r = RunReader(run)
    ops = [(e.step, e.op.op, e.op.entry.id) for _, e in r.events("memory") if isinstance(e, MemoryWrite)]
    assert ops == [(0, "add", "m0"), (1, "update", "m0"), (2, "add", "m1"), (5, "forget", "m1")]
    steps = list(r.steps(0))
    results = [c.result for e in steps for c in e.calls]
    assert results[1].startswith("updated memory m0 (similarity") and "[m1] Talking to mum" in results[3]
    assert results[4] == "error: no live memory 'm7'"
    reads = [(e.step, e.ids, e.purpose) for _, e in r.events("memory_read") if isinstance(e, MemoryRead)]
    assert reads[0] == (1, ["m0"], "prompt")  # written at step 0, shown from step 1 on
    prompts = [e for _, e in r.events("model_call") if isinstance(e, ModelCall) and e.purpose == "act"]
    user = user_text(r, prompts[2].prompt_ref)  # step 1's first call
    assert "## Memories (retrieved for this step)\n- [m0] Press START on the title screen to begin. (title)" in user
    r.close()

    settings = MemorySettings(enabled=True, top_k=4)
    queries = ["how to start the game", "potion from mum", "the title screen"]
    index = open_memory(RunReader(run), settings, None)
    before = [[h.entry.id for h in index.search(q)] for q in queries]
    assert before[0] == ["m0"] and not index.rebuilt
    shutil.rmtree(run / INDEX_DIR)
    agent = resume_run(run, {"steps": 8})
    try:
        assert agent.run(8) == "steps_done"
        assert agent._memory is not None and agent._memory.rebuilt
        assert [[h.entry.id for h in agent._memory.search(q)] for q in queries] == before
    finally:
        agent.close()
    r = RunReader(run)
    # the script's first write again, at step 6: the rebuilt index finds its near-duplicate
    assert [(e.op.op, e.op.entry.id) for _, e in r.events("memory") if e.step == 6] == [("update", "m0")]

    # --bootstrap-from carries the live entries over, with their vectors, as the new run's first ops
    boot = start_run(RunConfig(env="quest", model=f"scripted:{replies}", bootstrap_from=str(run), steps=1,
                               refine={"enabled": False}), tmp_path / "boot")
    try:
        boot.run(1)
    finally:
        boot.close()
    b = RunReader(tmp_path / "boot")
    ops = [(e.op.op, e.op.entry.id, e.op.entry.source) for _, e in b.events("memory")]
    assert [o for o in ops if o[0] == "add"] == [("add", "m0", "bootstrap")]  # m1 was forgotten: not carried
    assert [e.ids for _, e in b.events("memory_read")] == [["m0"]]  # shown on the title screen at step 0


def test_the_memory_pass_merges_forgets_and_reranks_through_logged_ops(tmp_path, quest_rom):
    write = {"tool": "memory_write", "arguments": {"text": FACTS[3]}}
    replies = write_replies(tmp_path / "r.jsonl", [
        {"mode": "by_tool"}, write, press("DOWN"),
        {"tool": "memory_write", "arguments": {"text": FACTS[7]}}, press("UP"),
        {"tool": "propose_memory_edits", "arguments": {"analysis": "two entries say one thing", "edits": [
            {"op": "write", "text": "The gatekeeper opens the gate for whoever holds the key from the northern "
                                    "cave.", "importance": 5, "why": "merged m0 and m1"},
            {"op": "forget", "id": "m1", "why": "merged"},
            {"op": "importance", "id": "m0", "importance": 1, "why": "superseded"},
            {"op": "forget", "id": "m9", "why": "no such"}]}},
        press("LEFT"),
    ])
    run = tmp_path / "run"
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=3,
                                refine={"warmup": 2, "every": 100, "triggers": False, "passes": ["memory"]}), run)
    try:
        agent.run(3)
    finally:
        agent.close()
    r = RunReader(run)
    (p,) = [e for _, e in r.events("refine_pass") if isinstance(e, RefinePass)]
    assert (p.name, p.status, p.proposed, p.applied, p.refused) == ("memory", "applied", 4, 3, 1)
    ops = [(e.step, e.op.op, e.op.entry.id, e.op.entry.source) for _, e in r.events("memory")]
    assert ops == [(0, "add", "m0", "agent"), (1, "add", "m1", "agent"), (2, "add", "m2", "refiner"),
                       (2, "forget", "m1", "agent"), (2, "update", "m0", "agent")]
    assert [e.reason for _, e in r.events("edit_refused")] == ["no live memory 'm9'"]
    call = [e for _, e in r.events("model_call") if e.purpose == "refine"][0]
    assert "Memory: 2 live entries (cap 2000)" in user_text(r, call.prompt_ref)
    m = open_memory(r, MemorySettings(enabled=True), None, in_memory=True)
    assert sorted(m.live) == ["m0", "m2"] and m.live["m0"].importance == 1


def user_text(r: RunReader, prompt_ref: str) -> str:
    parts = json.loads(r.get_text(prompt_ref))
    return r.get_text(next(p["content_ref"] for p in parts if p["role"] == "user"))


def test_skills_are_retrieved_by_relevance_not_all_pasted_into_the_prompt(tmp_path, quest_rom):
    from harness.memories import SkillIndex
    from harness.state import SkillRef, SkillVersion

    described = {"battle": "press A until the fight ends, then check the party's health",
                 "leave_room": "walk to the door or stairs of a room and go through it",
                 "read_sign": "stand below a sign, face up and press A to read it",
                 "shop": "buy potions at the shop counter",
                 "start_game": "on the title screen press START to begin a new game"}
    index = SkillIndex()
    assert index.relevant(described, "A wild monster attacks! Fight or run?", 2)[0][0] == "battle"
    assert [n for n, _ in index.relevant(described, "Title screen: PRESS START", 1)] == ["start_game"]

    replies = write_replies(tmp_path / "r.jsonl", [press("START"), press("A")])
    run = tmp_path / "run"
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=2,
                                refine={"enabled": False}), run)
    h = agent.versions.current
    skills = {name: SkillRef(name=name, description=d, kind="text",
                             versions=[SkillVersion(ref=agent.context.put_text(f"how to {name}"), step=0)])
              for name, d in described.items()}
    agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "run_skill"], "skills": skills}),
                          reason="the test's skills", trigger="agent", step=0)
    try:
        agent.run(2)
    finally:
        agent.close()
    r = RunReader(run)
    first = user_text(r, next(e for _, e in r.events("model_call") if e.purpose == "act").prompt_ref)
    section = first.split("## Skills that may fit now (")[1].split("\n\n")[0]
    shown = section.count("\n- ")
    assert 1 <= shown <= 3 and section.startswith(f"{shown} of 5; run one with run_skill)\n- start_game: on the title")
    assert "- shop:" not in section
