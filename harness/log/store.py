"""The run store: one directory per run, one SQLite database (WAL) inside it.

Why SQLite in WAL mode rather than segmented JSONL:
- a step (its event, milestone events, harness edits, new blobs, maybe a savestate) commits in ONE
  transaction, so after a kill -9 the log never holds a step whose blobs are missing, or half a line;
- appends cost the same at step 10 and step 1,000,000 (B-tree insert, nothing rewritten), and opening
  a run is O(1): the totals are in the last step row, found through an index;
- readers (the TUI, `harness inspect`) open the same file read-only while the run appends;
- a unique index on step ids makes a duplicated step impossible, not just unlikely.
`synchronous=NORMAL` in WAL mode survives a process crash (only a power cut can drop the newest
transactions), which is the failure we design for; pass durable=True for `FULL`.

`RunReader` opens the database read-only and hands out typed events; `RunStore` is the one writer
(the run's own process) plus small side writers such as `harness control`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from harness.log.events import EVENT_TYPES, SCHEMA_VERSION, BaseEvent, Step, parse_event

DB_NAME = "run.sqlite"
KNOWN_BLOBS_CACHE = 4096  # refs known to be stored: bounded, so a long run stays flat

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

E = TypeVar("E", bound=BaseEvent)


PAGE = 1000  # rows a reader fetches at a time
# SQLite's planner prefers events_kind (every step row, then a sort): 2.6 s for the last 300 steps of a 1M-step
# run against 1 ms through the step index
BY_STEP = "INDEXED BY events_step_unique"


class StoreError(Exception):
    """The run directory is not usable (missing, wrong schema, disk full); message is one line."""


def blob_ref(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _create(db: Path) -> None:
    """A new database with its schema, made under a temporary name and renamed into place, so a
    reader never finds a run.sqlite without tables."""
    tmp = db.with_name(db.name + ".new")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(_SCHEMA)
        con.executemany("INSERT INTO meta(key, value) VALUES (?,?)", [
            ("schema_version", str(SCHEMA_VERSION)), ("created", time.strftime("%Y-%m-%dT%H:%M:%S"))])
        con.commit()
    finally:
        con.close()
    tmp.rename(db)


class RunReader:
    """Read-only, typed access to a run's log. Safe to open while the run is appending."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        db = self.run_dir / DB_NAME
        if not db.exists():
            raise StoreError(f"{self.run_dir} is not a run directory (no {DB_NAME})")
        try:
            self.db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
            self.db.execute("PRAGMA busy_timeout=5000")
            version = self.get_meta("schema_version")
        except sqlite3.Error as e:
            raise StoreError(f"cannot open run store {db}: {e}") from e
        self._check_version(int(version or 0))

    def _check_version(self, version: int) -> None:
        if version != SCHEMA_VERSION:
            made_by = "continual-harness 0.1, before Core v2" if version == 1 else "an unknown version"
            raise StoreError(
                f"{self.run_dir / DB_NAME} holds event schema {version} (written by {made_by}); this version "
                f"reads schema {SCHEMA_VERSION} only and does not convert older runs: start a new run"
            )

    # --- meta and blobs --------------------------------------------------------------------------
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

    # --- events ----------------------------------------------------------------------------------
    def events(self, kind: str | tuple[str, ...] | None = None, *, after_seq: int = 0, limit: int | None = None,
               ) -> Iterator[tuple[int, BaseEvent]]:
        """(seq, typed event) in log order; `after_seq` lets a reader tail the log. Streams in pages (no
        statement stays open between them, so a caller may write while iterating)."""
        kinds = ((kind,) if isinstance(kind, str) else kind) if kind else ()
        where = f" AND kind IN ({','.join('?' * len(kinds))})" if kinds else ""
        left = limit
        while left is None or left > 0:
            page = min(PAGE, left) if left is not None else PAGE
            rows = self.db.execute(f"SELECT seq, data FROM events WHERE seq > ?{where} ORDER BY seq LIMIT ?",
                                   [after_seq, *kinds, page]).fetchall()
            for seq, data in rows:
                yield seq, parse_event(json.loads(data))
            if len(rows) < page:
                return
            after_seq = rows[-1][0]
            left = None if left is None else left - len(rows)

    def tail(self, after_seq: int, kind: str | tuple[str, ...] | None = None, limit: int = 1000,
             ) -> list[tuple[int, BaseEvent]]:
        """Events appended after `after_seq` (at most `limit`): how a live reader follows a run."""
        return list(self.events(kind, after_seq=after_seq, limit=limit))

    def last_seq(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def last(self, kind: type[E], *, max_step: int | None = None) -> E | None:
        name = kind.model_fields["kind"].default
        if max_step is None:
            row = self.db.execute("SELECT data FROM events WHERE kind=? ORDER BY seq DESC LIMIT 1", (name,)).fetchone()
        else:
            row = self.db.execute(
                "SELECT data FROM events WHERE kind=? AND step<=? ORDER BY seq DESC LIMIT 1", (name, max_step)
            ).fetchone()
        return parse_event(json.loads(row[0])) if row else None  # type: ignore[return-value]

    def last_with_seq(self, kinds: tuple[str, ...]) -> tuple[int, BaseEvent] | None:
        marks = ",".join("?" * len(kinds))
        row = self.db.execute(
            f"SELECT seq, data FROM events WHERE kind IN ({marks}) ORDER BY seq DESC LIMIT 1", kinds
        ).fetchone()
        return (row[0], parse_event(json.loads(row[1]))) if row else None

    def count(self, kind: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM events WHERE kind=?", (kind,)).fetchone()[0]

    def steps(self, start: int, stop: int | None = None) -> Iterator[Step]:
        """Step events with start <= step < stop, by step id (uses the unique step index)."""
        while stop is None or start < stop:  # in pages by step id: a million steps never sit in memory
            end = start + PAGE if stop is None else min(stop, start + PAGE)
            rows = self.db.execute(f"SELECT data FROM events {BY_STEP} WHERE kind='step' AND step >= ? AND step < ? "
                                   "ORDER BY step", (start, end)).fetchall()
            for (data,) in rows:
                yield Step.model_validate_json(data)
            if stop is None and not rows and not self.db.execute(
                    f"SELECT 1 FROM events {BY_STEP} WHERE kind='step' AND step >= ? LIMIT 1", (end,)).fetchone():
                return
            start = end

    def step_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT step FROM events WHERE kind='step' ORDER BY seq")]

    def step_field(self, path: str, start: int = 0) -> list[Any]:
        """One JSON field (e.g. "$.latency_s") of the step events from `start` on, read inside SQLite
        through the step index (no per-event parsing)."""
        sql = f"SELECT json_extract(data, ?) FROM events {BY_STEP} WHERE kind='step' AND step >= ? ORDER BY step"
        return [r[0] for r in self.db.execute(sql, (path, start))]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Transaction:
    """Collects blobs and events; written together when the `commit()` block exits."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.blobs: dict[str, tuple[str, bytes, int]] = {}
        self.rows: list[tuple[str, int | None, float, str]] = []

    def blob(self, data: bytes | str, *, compress: bool = True) -> str:
        raw = _bytes(data)
        ref = blob_ref(raw)
        if ref not in self.blobs and not self.store.has_blob(ref):
            self.blobs[ref] = ("zlib", zlib.compress(raw, 6), len(raw)) if compress else ("raw", raw, len(raw))
        return ref

    def add(self, events: list[BaseEvent], blobs: list[bytes]) -> None:
        """Events and the blobs they refer to (e.g. a harness version and its document)."""
        for blob in blobs:
            self.blob(blob)
        for ev in events:
            self.event(ev)

    def event(self, event: BaseEvent) -> None:
        if not isinstance(event, EVENT_TYPES):
            raise TypeError(f"the run log takes typed events only, not {type(event).__name__}")
        self.rows.append((event.kind, event.step, event.ts, event.model_dump_json()))


class RunStore(RunReader):
    """The writer. `create=True` makes a new run directory (refusing one that holds a run)."""

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
            if create:
                _create(db)
            self.db = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA busy_timeout=5000")  # `harness control` may be writing too
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            version = self.get_meta("schema_version") if self._has_meta() else None
        except sqlite3.Error as e:
            raise StoreError(f"cannot open run store {db}: {e}") from e
        self._check_version(int(version or 0))
        self._known: OrderedDict[str, None] = OrderedDict()

    def _has_meta(self) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() is not None

    # --- writing ---------------------------------------------------------------------------------
    def has_blob(self, ref: str) -> bool:
        if ref in self._known:
            self._known.move_to_end(ref)
            return True
        if self.db.execute("SELECT 1 FROM blobs WHERE ref=?", (ref,)).fetchone() is None:
            return False
        self._remember(ref)
        return True

    def _remember(self, ref: str) -> None:
        self._known[ref] = None
        if len(self._known) > KNOWN_BLOBS_CACHE:
            self._known.popitem(last=False)

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
        for ref in tx.blobs:
            self._remember(ref)

    def append(self, *events: BaseEvent) -> None:
        with self.commit() as tx:
            for ev in events:
                tx.event(ev)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", (key, value))
