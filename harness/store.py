"""The run store: one directory per run, one SQLite database (WAL) inside it.

Why SQLite in WAL mode rather than segmented JSONL:
- a step (its event, milestone events, new blobs, maybe a savestate) commits in ONE transaction, so
  after a kill -9 the log never holds a step whose blobs are missing, or half a line;
- appends cost the same at step 10 and step 1,000,000 (B-tree insert, nothing rewritten), and opening
  a run is O(1): the totals are in the last step row, found through an index;
- readers (the TUI, `harness inspect`) open the same file concurrently while the run appends;
- a unique index on step ids makes a duplicated step impossible, not just unlikely.
`synchronous=NORMAL` in WAL mode survives a process crash (only a power cut can drop the newest
transactions), which is the failure we design for; pass durable=True for `FULL`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness.events import SCHEMA_VERSION

DB_NAME = "run.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    step INTEGER,
    ts REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, seq);
CREATE UNIQUE INDEX IF NOT EXISTS events_step_unique ON events(step) WHERE kind = 'step';
CREATE TABLE IF NOT EXISTS blobs (
    ref TEXT PRIMARY KEY,
    codec TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
) WITHOUT ROWID;
"""


class StoreError(Exception):
    """The run directory is not usable (missing, wrong schema, disk full); message is one line."""


def blob_ref(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


class Transaction:
    """Collects blobs and events; written together when the `commit()` block exits."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.blobs: dict[str, tuple[str, bytes, int]] = {}
        self.rows: list[tuple[str, int | None, float, str]] = []

    def blob(self, data: bytes | str, *, compress: bool = True) -> str:
        raw = data.encode() if isinstance(data, str) else data
        ref = blob_ref(raw)
        if ref not in self.blobs and ref not in self.store._known_blobs:
            if compress:
                self.blobs[ref] = ("zlib", zlib.compress(raw, 6), len(raw))
            else:
                self.blobs[ref] = ("raw", raw, len(raw))
        return ref

    def event(self, event: BaseModel) -> None:
        data = event.model_dump(mode="json")
        self.rows.append((data["kind"], data.get("step"), time.time(), json.dumps(data, separators=(",", ":"))))


class RunStore:
    def __init__(self, run_dir: str | Path, *, create: bool = False, durable: bool = False) -> None:
        self.run_dir = Path(run_dir)
        db = self.run_dir / DB_NAME
        if create:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            if db.exists():
                raise StoreError(f"{self.run_dir} already holds a run; use `harness resume {self.run_dir}`")
        elif not db.exists():
            raise StoreError(f"{self.run_dir} is not a run directory (no {DB_NAME})")
        try:
            self.db = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open run store {db}: {e}") from e
        if create:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
            self.set_meta("created", time.strftime("%Y-%m-%dT%H:%M:%S"))
        version = int(self.get_meta("schema_version") or 0)
        if version != SCHEMA_VERSION:
            raise StoreError(f"{db} has event schema {version}; this version reads schema {SCHEMA_VERSION}")
        self._known_blobs: set[str] = set()

    # --- writing -------------------------------------------------------------------------
    @contextmanager
    def commit(self) -> Iterator[Transaction]:
        """All-or-nothing write of the blobs and events added inside the block."""
        tx = Transaction(self)
        yield tx
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR IGNORE INTO blobs(ref, codec, size, data) VALUES (?,?,?,?)",
                [(ref, codec, size, data) for ref, (codec, data, size) in tx.blobs.items()],
            )
            self.db.executemany("INSERT INTO events(kind, step, ts, data) VALUES (?,?,?,?)", tx.rows)
            self.db.execute("COMMIT")
        except BaseException as e:  # Ctrl-C mid-write included: never leave a transaction open
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StoreError(f"could not write to {self.run_dir / DB_NAME}: {e}") from e
            raise
        self._known_blobs.update(tx.blobs)

    def append(self, *events: BaseModel) -> None:
        with self.commit() as tx:
            for ev in events:
                tx.event(ev)

    def put_blob(self, data: bytes | str, *, compress: bool = True) -> str:
        with self.commit() as tx:
            return tx.blob(data, compress=compress)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", (key, value))

    # --- reading -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def get_blob(self, ref: str) -> bytes:
        row = self.db.execute("SELECT codec, data FROM blobs WHERE ref=?", (ref,)).fetchone()
        if row is None:
            raise StoreError(f"blob {ref} missing from {self.run_dir}")
        codec, data = row
        return zlib.decompress(data) if codec == "zlib" else bytes(data)

    def get_text(self, ref: str) -> str:
        return self.get_blob(ref).decode()

    def events(self, kind: str | None = None, *, after_seq: int = 0, limit: int | None = None,
               ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(seq, event dict) in log order; `after_seq` lets a reader tail the log."""
        sql = "SELECT seq, data FROM events WHERE seq > ?"
        args: list[Any] = [after_seq]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += " ORDER BY seq"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        for seq, data in self.db.execute(sql, args):
            yield seq, json.loads(data)

    def last(self, kind: str, *, max_step: int | None = None) -> dict[str, Any] | None:
        if max_step is None:
            row = self.db.execute(
                "SELECT data FROM events WHERE kind=? ORDER BY seq DESC LIMIT 1", (kind,)
            ).fetchone()
        else:
            row = self.db.execute(
                "SELECT data FROM events WHERE kind=? AND step<=? ORDER BY seq DESC LIMIT 1", (kind, max_step)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def count(self, kind: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM events WHERE kind=?", (kind,)).fetchone()[0]

    def last_of(self, kinds: tuple[str, ...]) -> dict[str, Any] | None:
        marks = ",".join("?" * len(kinds))
        row = self.db.execute(
            f"SELECT data FROM events WHERE kind IN ({marks}) ORDER BY seq DESC LIMIT 1", kinds
        ).fetchone()
        return json.loads(row[0]) if row else None

    def steps(self, start: int, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Step events with start <= step < stop, by step id (uses the unique step index)."""
        sql = "SELECT data FROM events WHERE kind='step' AND step >= ?"
        args: list[Any] = [start]
        if stop is not None:
            sql += " AND step < ?"
            args.append(stop)
        for (data,) in self.db.execute(sql + " ORDER BY step", args):
            yield json.loads(data)

    def step_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT step FROM events WHERE kind='step' ORDER BY seq")]

    def close(self) -> None:
        self.db.close()
