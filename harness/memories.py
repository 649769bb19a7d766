"""The run's memory (memory/store.py) wired to the run log: ops become events, the index lives in
RUN_DIR/memory, and what the model was shown is recorded as `MemoryRead` events.

The memory is opened on first use (the harness document turns it on with `memory.enabled`, the memory
tools need it) from the log alone, so a resumed run, a run whose index folder was deleted, and a reader
(`harness memory`, with an in-memory index) all get the same entries and the same search results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from harness.log.events import BaseEvent, MemoryRead, MemoryWrite
from harness.log.store import RunReader, blob_ref
from memory.embed import shared
from memory.store import Hit, Memory, MemoryOp, MemorySettings

INDEX_DIR = "memory"
KINDS = ("memory", "memory_read")


def history(reader: RunReader) -> Iterator[MemoryOp | tuple[int, list[str]]]:
    """The memory ops and reads of a run, in log order."""
    for _, ev in reader.events(KINDS):
        if isinstance(ev, MemoryWrite):
            yield ev.op
        elif isinstance(ev, MemoryRead) and ev.step is not None:
            yield ev.step, ev.ids


def open_memory(reader: RunReader, settings: MemorySettings, emit: Callable[[list[BaseEvent], list[bytes]], None]
                | None, *, in_memory: bool = False) -> Memory:
    """`emit(events, blobs)`: where the ops go (the agent's outbox: written with the step). None: read-only."""

    def sink(op: MemoryOp, vec: bytes) -> None:
        if emit is not None:
            emit([MemoryWrite(step=op.step, op=op)], [vec] if vec else [])

    folder = None if in_memory else Path(reader.run_dir) / INDEX_DIR
    memory = Memory(folder, settings, shared(), sink if emit else None, reader.get_blob, blob_ref)
    return memory.load(history(reader))


def bootstrap_ops(reader: RunReader) -> list[tuple[list[BaseEvent], list[bytes]]]:
    """Another run's live memory entries as the first ops of a new run (source `bootstrap`, ids kept),
    each with its vector: `--bootstrap-from` carries the memory over with the harness."""
    live = Memory(None, MemorySettings(), shared(), None, reader.get_blob, blob_ref).load(history(reader), index=False)
    out: list[tuple[list[BaseEvent], list[bytes]]] = []
    for e in sorted(live.live.values(), key=lambda e: int(e.id[1:])):
        entry = e.model_copy(update={"source": "bootstrap", "created": 0, "updated": 0})
        op = MemoryOp(op="add", entry=entry, step=0, reason=f"bootstrap from {reader.run_dir}")
        out.append(([MemoryWrite(step=0, op=op)], [reader.get_blob(e.vec_ref)]))
    return out


def situation(label: str, reasoning: str) -> str:
    """What a step's retrieval asks about: where the agent is and what it was thinking. Not the observation
    text: its status lines and text map are the same boilerplate at every step and drown the place in the
    embedding (measured on a local run at HOME: with them the top hit was an entry quoting "HERO L1 20/20HP"
    and the HOME facts were not in the top 4; without them the two HOME facts came first)."""
    return f"{label}\n{reasoning[:150]}"


def recall_text(hits: list[Hit]) -> str:
    if not hits:
        return ""
    lines = [f"- [{h.entry.id}] {h.entry.text}" + (f" ({', '.join(h.entry.tags)})" if h.entry.tags else "")
             for h in hits]
    return "## Memories (retrieved for this step)\n" + "\n".join(lines)


class SkillIndex:
    """Skills by relevance: each skill's description embedded once (cached by text), ranked against the
    situation, so only the few that fit are named in a step's message, never the whole library."""

    def __init__(self) -> None:
        self._vecs: dict[str, np.ndarray] = {}

    def relevant(self, skills: dict[str, str], query: str, k: int = 3, floor: float = 0.15) -> list[tuple[str, float]]:
        """`skills`: name -> description; the top-k (name, similarity) at or above `floor`."""
        if not skills or k <= 0:
            return []
        texts = [f"{name}: {desc}" for name, desc in skills.items()]
        missing = [t for t in texts if t not in self._vecs]
        if missing:
            for t, v in zip(missing, shared().embed(missing), strict=True):
                self._vecs[t] = v
        if len(self._vecs) > 4 * len(texts) + 64:  # descriptions rewritten many times: keep the cache bounded
            self._vecs = {t: self._vecs[t] for t in texts}
        q = shared().one(query)
        sims = [(name, float(self._vecs[t] @ q)) for name, t in zip(skills, texts, strict=True)]
        ranked = sorted((x for x in sims if x[1] >= floor), key=lambda x: (-x[1], x[0]))
        return ranked[:k]


def skills_text(ranked: list[tuple[str, float]], skills: dict[str, str], total: int) -> str:
    if not ranked:
        return ""
    lines = [f"- {name}: {skills[name][:200]}" for name, _ in ranked]
    return (f"## Skills that may fit now ({len(ranked)} of {total}; run one with run_skill)\n" + "\n".join(lines))
