"""The only way the harness document changes: commit, rollback, diff.

Each change is a `HarnessVersion` event (full document by blob ref + the JSON patch from its parent,
the trigger, the reason and the step), handed to a sink: the agent's sink adds it to the step being
committed (so a step and the edits made during it land in one transaction, or neither does);
a refiner pass between steps writes it at once. Versions only ever go up: a rollback is a new
version whose document equals the old one's, plus a `Rollback` event saying so.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from harness.log.events import BaseEvent, HarnessVersion, Rollback
from harness.log.store import RunReader, StoreError, blob_ref
from harness.state import HarnessEditError, HarnessState, diff

# (events, blobs) to be written together; blobs are the documents the events refer to
Sink = Callable[[list[BaseEvent], list[bytes]], None]
# triggers that may change read-only blocks: the user's own edits and starting documents
PRIVILEGED_TRIGGERS = {"preset", "user", "bootstrap", "rollback"}


class Versions:
    def __init__(self, current: HarnessState, version: int, sink: Sink,
                 load: Callable[[int], HarnessState] | None = None) -> None:
        self.current = current
        self.version = version
        self.sink = sink
        self._load = load
        self._recent: OrderedDict[int, HarnessState] = OrderedDict({version: current})

    @classmethod
    def first(cls, doc: HarnessState, reason: str, sink: Sink, trigger: str = "preset",
              load: Callable[[int], HarnessState] | None = None) -> Versions:
        """Version 0 of a run."""
        v = cls(doc, 0, sink, load)
        data = doc.canonical_json().encode()
        sink([HarnessVersion(version=0, parent=None, hash=doc.content_hash(), doc_ref=blob_ref(data), patch=[],
                             reason=reason, trigger=trigger, step=None)], [data])
        return v

    def get(self, version: int) -> HarnessState:
        if version in self._recent:
            return self._recent[version]
        if self._load is None:
            raise HarnessEditError(f"harness version {version} is not available")
        return self._load(version)

    def commit(self, new: HarnessState, reason: str, trigger: str, step: int | None) -> HarnessVersion | None:
        """Make `new` the current document; None when nothing changed. Raises HarnessEditError when
        the edit breaks a rule (limits are checked by the document itself; read-only blocks here)."""
        new = HarnessState.parse(new.doc())  # re-validate: callers may have built it with model_copy
        if trigger not in PRIVILEGED_TRIGGERS:
            before = {b.label: b for b in self.current.blocks}
            after = {b.label: b for b in new.blocks}
            for label, block in before.items():
                if block.read_only and after.get(label) != block:
                    raise HarnessEditError(f"block {label!r} is read-only")
            added = [lbl for lbl, b in after.items() if lbl not in before and b.read_only]
            if added:
                raise HarnessEditError(f"new blocks may not be read-only: {', '.join(added)}")
        if new.content_hash() == self.current.content_hash():
            return None
        data = new.canonical_json().encode()
        event = HarnessVersion(version=self.version + 1, parent=self.version, hash=new.content_hash(),
                               doc_ref=blob_ref(data), patch=diff(self.current, new), reason=reason,
                               trigger=trigger, step=step)
        self._advance(event.version, new)
        self.sink([event], [data])
        return event

    def rollback(self, to: int, reason: str, step: int | None, trigger: str = "rollback") -> HarnessVersion:
        """A new version with exactly version `to`'s document."""
        if not 0 <= to <= self.version:
            raise HarnessEditError(f"no harness version {to} (current is {self.version})")
        old, target = self.version, self.get(to)
        data = target.canonical_json().encode()
        event = HarnessVersion(version=old + 1, parent=old, hash=target.content_hash(), doc_ref=blob_ref(data),
                               patch=diff(self.current, target), reason=f"rollback to v{to}: {reason}",
                               trigger=trigger, step=step)
        self._advance(event.version, target)
        self.sink([event, Rollback(from_version=old, to_version=to, new_version=event.version, reason=reason,
                                   step=step)], [data])
        return event

    def _advance(self, version: int, doc: HarnessState) -> None:
        self.version, self.current = version, doc
        self._recent[version] = doc
        while len(self._recent) > 8:  # a few recent versions for rollbacks; older ones load from the log
            self._recent.popitem(last=False)


def load_version(reader: RunReader, version: int) -> HarnessState:
    """Harness version `version` of a run, from its log."""
    row = reader.db.execute(
        "SELECT data FROM events WHERE kind='harness_version' AND json_extract(data, '$.version')=? "
        "ORDER BY seq DESC LIMIT 1", (version,)).fetchone()
    if row is None:
        last = reader.last(HarnessVersion)
        raise StoreError(f"{reader.run_dir} has no harness version {version} "
                         f"(it has versions 0..{last.version if last else -1})")
    event = HarnessVersion.model_validate_json(row[0])
    return HarnessState.model_validate_json(reader.get_blob(event.doc_ref))
