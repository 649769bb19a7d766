"""Vector memory: entries written as events, indexed by a chromadb collection in the run directory.

The run's event log is the truth. Every mutation is a `MemoryOp` (add, update, demote, forget, evict) that
the runtime writes as an event, with the entry's vector as a blob; which entries were shown to the model is
a read record (`note_read`). `Memory` is rebuilt from that history when a run opens (`load`); the chromadb
collection is only an index of the live entries: it is brought up to date from the ops it has not seen (a
watermark in its metadata counts the ops applied), and rebuilt from scratch when it is missing, corrupt or
ahead of the log. The vectors come from the log, so a rebuilt index answers exactly as the old one did.

Within a step, ops are pending until the runtime commits the step (`apply_pending` after the commit): a kill
before that leaves the index behind the log, never ahead of it. Searches see pending writes too.

No bloat: a write whose text is a near-duplicate of a live entry (cosine >= settings.dedup_similarity)
updates that entry instead of adding one; above `max_entries` live entries, unused entries are demoted and
the lowest by importance x recency x use are evicted (tombstoned: the ops keep their text, `harness memory
--all` lists them).
"""

from __future__ import annotations

import contextlib
import math
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from memory.embed import Embedder

Source = Literal["agent", "refiner", "bootstrap"]
OpKind = Literal["add", "update", "demote", "forget", "evict"]


REF = re.compile(r"\[m\d+\]")


def normalized(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def contains(a: str, b: str) -> bool:
    """One text holds the other (case, punctuation and spacing aside)."""
    na, nb = normalized(a), normalized(b)
    return bool(na and nb) and (na in nb or nb in na)


class MemorySettings(BaseModel):
    """Part of the harness document (editable by the refiner through the versions API)."""

    enabled: bool = False
    top_k: int = Field(5, ge=0, le=50, description="entries retrieved into each step's prompt")
    max_entries: int = Field(2000, ge=1, description="live entries above this are demoted and evicted")
    dedup_similarity: float = Field(0.9, ge=0.5, le=1.0, description="a write this close to an entry updates it")
    min_similarity: float = Field(0.2, ge=0.0, le=1.0, description="weaker matches are not shown")
    half_life: int = Field(500, ge=1, description="steps after which an unused entry's recency halves")
    demote_after: int = Field(300, ge=1, description="an entry unused this many steps loses one importance level")


class MemoryEntry(BaseModel):
    id: str
    text: str = Field(max_length=600)
    tags: list[str] = Field(default_factory=list, max_length=8)
    importance: int = Field(3, ge=1, le=5)
    location: str = ""
    created: int = Field(description="step it was first written")
    updated: int = Field(description="step of its last write, update or demotion")
    source: Source = "agent"
    vec_ref: str = Field(description="blob ref of its float32 vector")


class MemoryOp(BaseModel):
    op: OpKind
    entry: MemoryEntry = Field(description="the entry after the op (forget / evict: as it was)")
    step: int
    reason: str = ""
    similarity: float | None = Field(None, description="update by dedup: similarity to the new text")


class Hit(BaseModel):
    entry: MemoryEntry
    similarity: float
    score: float


class Usage(BaseModel):
    uses: int = 0
    last_used: int = -1


def vec_bytes(v: np.ndarray) -> bytes:
    return np.asarray(v, np.float32).tobytes()


def vec_of(data: bytes) -> np.ndarray:
    return np.frombuffer(data, np.float32)


class Memory:
    """The live entries (metadata, usage) in a dict bounded by max_entries; vectors in the index only.

    `sink(op, vector_bytes)` hands each op to the runtime, which writes it with the step; `blob(ref)` reads
    a vector back from the run store; `folder=None` keeps the index in memory (readers, tests)."""

    def __init__(self, folder: Path | None, settings: MemorySettings, embedder: Embedder,
                 sink: Callable[[MemoryOp, bytes], None] | None, blob: Callable[[str], bytes],
                 blob_ref: Callable[[bytes], str]) -> None:
        self.folder, self.settings, self.embedder = folder, settings, embedder
        self.sink, self.blob, self.blob_ref = sink, blob, blob_ref
        self.live: dict[str, MemoryEntry] = {}
        self.usage: dict[str, Usage] = {}
        self.ops = 0  # ops in the log (committed or pending)
        self.next_id = 0
        self.pending: list[MemoryOp] = []
        self.pending_vecs: dict[str, np.ndarray] = {}
        self._col: Any = None
        self._client_obj: Any = None
        self._indexed = 0  # entries in the index (chromadb's count() costs ~2 ms: kept here)
        # in-memory clients of one process share one system: each reader gets a collection of its own
        self._name = "memory" if folder is not None else f"memory-{uuid.uuid4().hex[:12]}"
        self.rebuilt = False  # the last sync rebuilt the index from the log

    # --- history -------------------------------------------------------------------------------
    def load(self, history: Iterable[MemoryOp | tuple[int, list[str]]], index: bool = True) -> Memory:
        """Replay the log: ops and (step, ids shown) reads, in order; then sync the index (unless not
        `index`: the live entries only, e.g. to copy them)."""
        for item in history:
            if isinstance(item, MemoryOp):
                self._apply_live(item)
                self.ops += 1
            else:
                self._count_use(*item)
        if index:
            self.sync()
        return self

    def _apply_live(self, op: MemoryOp) -> None:
        e = op.entry
        if op.op in ("forget", "evict"):
            self.live.pop(e.id, None)
            self.usage.pop(e.id, None)
        else:
            self.live[e.id] = e
            self.usage.setdefault(e.id, Usage())
            self.next_id = max(self.next_id, int(e.id[1:]) + 1)

    def _count_use(self, step: int, ids: list[str]) -> None:
        for i in ids:
            u = self.usage.get(i)
            if u is not None:
                u.uses += 1
                u.last_used = step

    # --- the index -------------------------------------------------------------------------------
    def _client(self) -> Any:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=True)
        if self.folder is None:
            return chromadb.EphemeralClient(settings=settings)
        return chromadb.PersistentClient(path=str(self.folder), settings=settings)

    def _collection(self, client: Any) -> Any:
        return client.get_or_create_collection(
            self._name, embedding_function=None, metadata={"applied": 0},
            configuration={"hnsw": {"space": "cosine", "ef_search": 200, "ef_construction": 200}})

    def sync(self) -> None:
        """Bring the index up to the log, or rebuild it when it is missing, corrupt, behind or ahead."""
        self.rebuilt = False
        if self.folder is None or self.folder.exists():
            try:
                self._open()
                applied = int((self._col.metadata or {}).get("applied", -1))
                self._indexed = self._col.count()
                if applied == self.ops and self._indexed == len(self.live):
                    return
            except Exception:  # noqa: BLE001 - a corrupt folder: rebuilt below
                pass
        self.rebuild()  # e.g. behind the log: a kill between a commit and its index update

    def _open(self) -> None:
        self._client_obj = self._client()
        self._col = self._collection(self._client_obj)

    def close(self) -> None:
        """Release the index (its SQLite handles); the log keeps everything."""
        client, self._client_obj, self._col = getattr(self, "_client_obj", None), None, None
        if client is not None and hasattr(client, "close"):
            with contextlib.suppress(Exception):  # a broken index is being thrown away anyway
                client.close()

    def rebuild(self) -> None:
        """A fresh index of the live entries, their vectors read from the log (no re-embedding)."""
        self.close()
        if self.folder is not None:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # other handles on this folder in this process are stale now
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self._name = f"memory-{uuid.uuid4().hex[:12]}"
        self._open()
        col = self._col
        entries = sorted(self.live.values(), key=lambda e: int(e.id[1:]))
        for i in range(0, len(entries), 1000):
            part = entries[i:i + 1000]
            col.add(ids=[e.id for e in part], embeddings=np.stack([vec_of(self.blob(e.vec_ref)) for e in part]),
                    documents=[e.text for e in part])
        col.modify(metadata={"applied": self.ops})
        self._indexed = len(entries)
        self.rebuilt = True

    def apply_pending(self) -> None:
        """After the runtime committed the pending ops: push them into the index (one upsert and one delete
        for the step's final state of each entry), then move the watermark."""
        if not self.pending:
            return
        last = {op.entry.id: op for op in self.pending}
        gone = [i for i, op in last.items() if op.op in ("forget", "evict")]
        put = [i for i, op in last.items() if op.op not in ("forget", "evict") and i in self.pending_vecs]
        if gone:
            self._col.delete(ids=gone)
        if put:
            self._col.upsert(ids=put, embeddings=np.stack([self.pending_vecs[i] for i in put]),
                             documents=[last[i].entry.text for i in put])
        self._col.modify(metadata={"applied": self.ops})
        self._indexed = self._col.count()
        self.pending.clear()
        self.pending_vecs.clear()

    # --- writes ----------------------------------------------------------------------------------
    def _emit(self, op: MemoryOp, vec: np.ndarray | None = None) -> MemoryOp:
        if vec is not None:
            self.pending_vecs[op.entry.id] = vec
        elif op.op in ("forget", "evict"):
            self.pending_vecs.pop(op.entry.id, None)
        self._apply_live(op)
        self.ops += 1
        self.pending.append(op)
        if self.sink is not None:
            self.sink(op, vec_bytes(vec) if vec is not None else b"")
        return op

    def write(self, text: str, step: int, tags: list[str] | None = None, importance: int = 3, location: str = "",
              source: Source = "agent") -> list[MemoryOp]:
        """Add an entry, or update its near-duplicate; then demote / evict above the cap. Returns the ops."""
        text = " ".join(REF.sub(" ", text).split())[:600]  # "[m12] ...": an entry the model copied from its prompt
        words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)}
        if len(words) < 3:  # "notex", ",11, 3},", "name_name": what a small model writes when it has nothing to say
            raise ValueError(f"a memory needs at least 3 different words, not {text[:40]!r}")
        tags = [t[:32] for t in dict.fromkeys(tags or [])][:8]
        vec = self.embedder.one(text)
        for near_id, sim in self._nearest(vec, 3):
            old = self.live[near_id]
            # near-duplicate: very close in meaning, or a close copy of part of it (a truncated echo of an entry
            # shown in the prompt scores under the threshold but says nothing new)
            if sim >= self.settings.dedup_similarity or (sim >= 0.7 and contains(old.text, text)):
                entry = old.model_copy(update={
                    "text": old.text if len(text) < len(old.text) and contains(old.text, text) else text,
                    "tags": list(dict.fromkeys([*old.tags, *tags]))[:8], "importance": max(old.importance, importance),
                    "location": location or old.location, "updated": step})
                changed = entry.text != old.text
                if changed:
                    entry = entry.model_copy(update={"vec_ref": self.blob_ref(vec_bytes(vec))})
                return [self._emit(MemoryOp(op="update", entry=entry, step=step, similarity=round(sim, 4),
                                            reason=f"near-duplicate of {old.id}"), vec if changed else None)]
        entry = MemoryEntry(id=f"m{self.next_id}", text=text, tags=tags, importance=importance, location=location,
                            created=step, updated=step, source=source, vec_ref=self.blob_ref(vec_bytes(vec)))
        return [self._emit(MemoryOp(op="add", entry=entry, step=step), vec), *self._sweep(step)]

    def forget(self, entry_id: str, step: int, reason: str) -> MemoryOp:
        entry = self.live.get(entry_id)
        if entry is None:
            raise KeyError(entry_id)
        return self._emit(MemoryOp(op="forget", entry=entry, step=step, reason=reason))

    def set_importance(self, entry_id: str, importance: int, step: int, reason: str) -> MemoryOp:
        entry = self.live.get(entry_id)
        if entry is None:
            raise KeyError(entry_id)
        changed = entry.model_copy(update={"importance": max(1, min(5, importance)), "updated": step})
        return self._emit(MemoryOp(op="update", entry=changed, step=step, reason=reason))

    def retention(self, e: MemoryEntry, step: int) -> float:
        """importance x recency x use: what eviction keeps."""
        u = self.usage.get(e.id, Usage())
        idle = step - max(u.last_used, e.updated)
        return e.importance * 0.5 ** (idle / self.settings.half_life) * (1 + math.log1p(u.uses))

    def _sweep(self, step: int) -> list[MemoryOp]:
        over = len(self.live) - self.settings.max_entries
        if over <= 0:
            return []
        ops = []
        for e in list(self.live.values()):  # demotion: unused for demote_after steps
            u = self.usage.get(e.id, Usage())
            if e.importance > 1 and step - max(u.last_used, e.updated) >= self.settings.demote_after:
                demoted = e.model_copy(update={"importance": e.importance - 1, "updated": step})
                ops.append(self._emit(MemoryOp(op="demote", entry=demoted, step=step,
                                               reason=f"unused for {step - max(u.last_used, e.updated)} steps")))
        ranked = sorted(self.live.values(), key=lambda e: (self.retention(e, step), int(e.id[1:])))
        for e in ranked[:over]:
            ops.append(self._emit(MemoryOp(op="evict", entry=e, step=step,
                                           reason=f"over the cap of {self.settings.max_entries}; "
                                                  f"retention {self.retention(e, step):.3f}")))
        return ops

    # --- reads -----------------------------------------------------------------------------------
    def _nearest(self, vec: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest live entries, pending writes included, exact order."""
        sims: dict[str, float] = {}
        n = self._indexed if self._col is not None else 0
        if n:  # room for the index's entries that pending ops replaced or removed (filtered out below)
            got = self._col.query(query_embeddings=[vec], n_results=min(n, k + len(self.pending) + 8),
                                  include=["distances"])
            for i, d in zip(got["ids"][0], got["distances"][0], strict=True):
                if i in self.live and i not in self.pending_vecs:
                    sims[i] = 1.0 - float(d)
        for i, v in self.pending_vecs.items():
            if i in self.live:
                sims[i] = float(v @ vec)
        return sorted(sims.items(), key=lambda x: (-round(x[1], 5), int(x[0][1:])))[:k]

    def search(self, query: str, k: int | None = None, location: str = "") -> list[Hit]:
        """Top-k by similarity, nudged by importance and a location match; weak matches left out."""
        k = self.settings.top_k if k is None else k
        if k <= 0 or not self.live or not query.strip():
            return []
        vec = self.embedder.one(" ".join(query.split())[:1500])
        hits = []
        for i, sim in self._nearest(vec, k * 3):
            if sim < self.settings.min_similarity:
                continue
            e = self.live[i]
            score = sim + 0.03 * (e.importance - 3) + (0.05 if location and e.location == location else 0.0)
            hits.append(Hit(entry=e, similarity=round(sim, 4), score=round(score, 4)))
        hits.sort(key=lambda h: (-h.score, int(h.entry.id[1:])))
        return hits[:k]

    def note_read(self, step: int, ids: list[str]) -> None:
        """The runtime showed these entries at `step` (it logs the read with the step)."""
        self._count_use(step, ids)

    def stats(self) -> dict[str, Any]:
        tags: dict[str, int] = {}
        for e in self.live.values():
            for t in e.tags:
                tags[t] = tags.get(t, 0) + 1
        used = sum(1 for u in self.usage.values() if u.uses)
        return {"live": len(self.live), "ops": self.ops, "used": used, "cap": self.settings.max_entries,
                "top_tags": sorted(tags.items(), key=lambda x: -x[1])[:8]}
