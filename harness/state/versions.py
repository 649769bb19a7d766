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
from skills.tools import MAX_SKILLS
from tools import TOOLS
from tools.subagents import MAX_SUBAGENTS

# (events, blobs) to be written together; blobs are the documents the events refer to
Sink = Callable[[list[BaseEvent], list[bytes]], None]
# triggers that may change read-only blocks: the user's own edits and starting documents
PRIVILEGED_TRIGGERS = {"preset", "user", "bootstrap", "rollback"}
# tools a sub-agent may never be given: no nesting beyond depth 1, no editing of sub-agents from inside one
SUBAGENT_FORBIDDEN = {"call_subagent", "define_subagent", "delete_subagent"}


class Versions:
    def __init__(self, current: HarnessState, version: int, sink: Sink,
                 load: Callable[[int], HarnessState] | None = None) -> None:
        self.current = current
        self.version = version
        self.sink = sink
        self._load = load
        # the env's action tool names, set by the runtime: then an edit naming a tool that the run does not
        # have is refused. None: only the meta-tool registry is checked (documents on their own).
        self.action_tools: set[str] | None = None
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
        the edit breaks a rule (limits are checked by the document itself; here: read-only and refiner-only
        blocks, sub-agents without instructions, more than MAX_SUBAGENTS sub-agents or MAX_SKILLS skills)."""
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
            blank = sorted(s.name for s in new.subagents.values() if not s.instructions.strip())
            if blank:
                raise HarnessEditError(f"sub-agent {blank[0]!r} needs instructions (what it is for, when to return)")
            # a full roster or library may be rewritten (and an older, larger one still loads), never grown
            for what, cap, now, then in (("sub-agents", MAX_SUBAGENTS, new.subagents, self.current.subagents),
                                         ("skills", MAX_SKILLS, new.skills, self.current.skills)):
                if len(now) > max(cap, len(then)):
                    raise HarnessEditError(f"at most {cap} {what}: delete one first ({', '.join(sorted(then))})")
            if trigger != "refiner":  # the acting agent (and its sub-agents)
                for label, block in before.items():
                    if block.refiner_only and after.get(label) != block:
                        raise HarnessEditError(f"block {label!r} is the refiner's: you can read it, not edit it")
                added = [lbl for lbl, b in after.items() if b.refiner_only and before.get(lbl) != b]
                if added:
                    raise HarnessEditError(f"only the refiner may make a block its own: {', '.join(added)}")
        self.check_tools(new)
        if new.content_hash() == self.current.content_hash():
            return None
        data = new.canonical_json().encode()
        event = HarnessVersion(version=self.version + 1, parent=self.version, hash=new.content_hash(),
                               doc_ref=blob_ref(data), patch=diff(self.current, new), reason=reason,
                               trigger=trigger, step=step)
        self._advance(event.version, new)
        self.sink([event], [data])
        return event

    def check_tools(self, doc: HarnessState) -> None:
        """Sub-agents get a subset of the tools that exist, never one that would nest or edit sub-agents."""
        for spec in doc.subagents.values():
            if spec.name in TOOLS or spec.name in (self.action_tools or ()):
                raise HarnessEditError(f"sub-agent {spec.name!r}: that is a tool's name; pick a name for the chore")
            nested = sorted(set(spec.tools) & SUBAGENT_FORBIDDEN)
            if nested:
                raise HarnessEditError(f"sub-agent {spec.name!r} may not use {', '.join(nested)} "
                                       "(sub-agents do not nest)")
        unknown = sorted(set(doc.tools) - set(TOOLS))
        if unknown:
            raise HarnessEditError(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(sorted(TOOLS))}")
        if self.action_tools is None:
            return
        offered = set(doc.tools) | self.action_tools  # the orchestrator's tools
        for spec in doc.subagents.values():
            unknown = sorted(set(spec.tools) - offered)
            if unknown:
                raise HarnessEditError(f"sub-agent {spec.name!r}: {', '.join(unknown)} is not one of the agent's "
                                       f"tools ({', '.join(sorted(offered - SUBAGENT_FORBIDDEN))})")

    def rollback(self, to: int, reason: str, step: int | None, trigger: str = "rollback",
                 undo: int | None = None) -> HarnessVersion:
        """A new version with version `to`'s document; with `undo` (a later version), only the parts that
        changed between `to` and `undo` go back to `to`'s, and edits made after `undo` to other parts stay
        (the gate undoes a refiner pass without dropping the agent's own later notes)."""
        if not 0 <= to <= self.version:
            raise HarnessEditError(f"no harness version {to} (current is {self.version})")
        old, target = self.version, self.get(to)
        if undo is not None and undo != old:
            target = undo_parts(self.current, target, self.get(undo))
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


def undo_parts(current: HarnessState, parent: HarnessState, changed: HarnessState) -> HarnessState:
    """`current` with every part that differs between `parent` and `changed` (a block by label, a sub-agent
    or skill by name, the tool list, the memory settings) set back to `parent`'s."""
    doc, p, c = current.doc(), parent.doc(), changed.doc()
    p_blocks, c_blocks = {b["label"]: b for b in p["blocks"]}, {b["label"]: b for b in c["blocks"]}
    undone = {label for label in p_blocks.keys() | c_blocks.keys() if p_blocks.get(label) != c_blocks.get(label)}
    blocks = [p_blocks[b["label"]] if b["label"] in undone else b for b in doc["blocks"] if
              b["label"] not in undone or b["label"] in p_blocks]
    blocks += [b for label, b in p_blocks.items() if label in undone and label not in {x["label"] for x in blocks}]
    doc["blocks"] = blocks
    for key in ("subagents", "skills"):
        for name in p[key].keys() | c[key].keys():
            if p[key].get(name) != c[key].get(name):
                if name in p[key]:
                    doc[key][name] = p[key][name]
                else:
                    doc[key].pop(name, None)
    for key in ("tools", "memory"):
        if p[key] != c[key]:
            doc[key] = p[key]
    return HarnessState.model_validate(doc)


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
