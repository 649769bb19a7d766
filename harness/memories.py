"""The run's memory (memory/store.py) wired to the run log: ops become events, the index lives in
RUN_DIR/memory, and what the model was shown is recorded as `MemoryRead` events.

The memory is opened on first use (the harness document turns it on with `memory.enabled`, the memory
tools need it) from the log alone, so a resumed run, a run whose index folder was deleted, and a reader
(`harness memory`, with an in-memory index) all get the same entries and the same search results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

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


def situation(label: str, reasoning: str, obs_text: str) -> str:
    """What a step's retrieval asks about: where the agent is, what it was thinking, what it sees."""
    return f"{label}\n{reasoning[:300]}\n{obs_text[:600]}"


def recall_text(hits: list[Hit]) -> str:
    if not hits:
        return ""
    lines = [f"- [{h.entry.id}] {h.entry.text}" + (f" ({', '.join(h.entry.tags)})" if h.entry.tags else "")
             for h in hits]
    return "## Memories (retrieved for this step)\n" + "\n".join(lines)
