"""Tool types shared by the model back-ends, the agent loop and every tool.

A tool is an object with a name, a description, a pydantic args model (the JSON schema the model
sees is derived from it, once), a kind (`action`: ends the step by acting on the env; `meta`: edits
or reads the harness and returns a result to the model, the env does not advance) and
`run(ctx, args) -> ToolResult`. Tools reach the runtime only through `ToolContext`, a protocol
defined here and implemented by harness/ (so tools never import harness).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

ToolKind = Literal["action", "meta"]
# tool_choice for Model.generate: "auto" (text or any tool), "required" (some tool), "none" (text only),
# or the name of one tool (forced: how a refiner pass asks for structured JSON).
ToolChoice = str
AUTO, REQUIRED, NONE = "auto", "required", "none"


class ToolSpec(BaseModel):
    """A function the model may call; `parameters` is a JSON schema object."""

    name: str
    description: str
    parameters: dict[str, Any]


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    id: str = Field("", description="provider's call id (tool results answer it); back-ends without one make one up")


class ToolResult(BaseModel):
    """What a tool run returns. `content` goes back to the model (meta tools) or into the log."""

    ok: bool = True
    content: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class ToolError(Exception):
    """A tool call that cannot be carried out (bad target, over a limit); the message goes back to the model."""


@dataclass
class SpanInfo:
    id: str
    status: Literal["ok", "error"] = "ok"
    summary: str = ""


@runtime_checkable
class ToolContext(Protocol):
    """The runtime as a tool sees it."""

    @property
    def step(self) -> int: ...

    def act(self, action: dict[str, Any]) -> ToolResult:
        """Step the env with `{"name", "arguments"}`; the runtime counts the cost and logs the step.
        A macro tool (kind `action`, e.g. navigate_to) may act several times in one step: every env
        action is recorded in the step (`env_actions`) and replayed in order on resume."""
        ...

    def state(self) -> dict[str, Any]:
        """The env's current parsed state as plain JSON: `info["game"]` (for Game Boy games: location,
        x, y, text_map, can_move, in_battle, dialog, ...) plus `progress` (where, label, milestones)."""
        ...

    def span(self, name: str, kind: str) -> AbstractContextManager[SpanInfo]:
        """A span around work that may act several times, e.g. a skill run: each env action inside it is
        logged as a sub-step of the span as it happens; the SpanInfo yielded sets how it ends (status,
        summary). A kill inside leaves it open, and resume closes it as cut."""
        ...

    def call_subagent(self, name: str, task: str) -> ToolResult:
        """Run the harness's sub-agent `name` on `task` (a nested, bounded loop); its summary comes back."""
        ...

    def put_text(self, text: str) -> str:
        """Store `text` in the run store (content-addressed; written with the step) and return its ref."""
        ...

    def get_text(self, ref: str) -> str:
        """Text stored under `ref` (e.g. a skill version's code)."""
        ...

    @property
    def memory(self) -> Any:
        """The run's memory (memory.store.Memory) when the harness has memory on, else None. Its writes
        are logged with the step that makes them."""
        ...

    def harness_doc(self) -> dict[str, Any]:
        """A copy of the current harness document (plain JSON)."""
        ...

    def commit_harness(self, doc: dict[str, Any], reason: str) -> int:
        """Propose a new harness document; validated (limits, read-only blocks) and versioned.
        Returns the new version number; raises ToolError with the reason when refused."""
        ...


class Tool(Protocol):
    name: str
    description: str
    kind: ToolKind
    args: type[BaseModel]

    def spec(self) -> ToolSpec: ...

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult: ...


class BaseTool:
    """Convenience base: subclasses set name/description/kind/args and write `run`."""

    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[ToolKind] = "meta"
    args: ClassVar[type[BaseModel]]
    _spec: ClassVar[ToolSpec | None] = None

    def spec(self) -> ToolSpec:
        cls = type(self)
        if cls.__dict__.get("_spec") is None:
            cls._spec = ToolSpec(name=self.name, description=self.description, parameters=schema_of(self.args))
        return cls._spec  # type: ignore[return-value]

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def bind(self, doc: dict[str, Any]) -> BaseTool:
        """Narrow the schema to the harness document at hand (e.g. the names of its editable blocks as an
        enum, so a grammar-bound model cannot name one that does not exist). The runtime binds again
        whenever the document's names change; the default does nothing."""
        return self

    def with_enum(self, field: str, values: list[str]) -> ToolSpec:
        """This tool's spec with `field` limited to `values` (unchanged when there are none)."""
        base = BaseTool.spec(self)
        if not values:
            return base
        params = {**base.parameters, "properties": {**base.parameters["properties"]}}
        params["properties"][field] = {**params["properties"][field], "enum": values}
        return ToolSpec(name=base.name, description=base.description, parameters=params)


class NamesOneOf(BaseTool):
    """A tool whose `name` argument names an item of the harness document's `doc_key` mapping (sub-agents,
    skills): bound to a document, the schema lists the names that exist."""

    doc_key: ClassVar[str]
    names: list[str] = []

    def bind(self, doc: dict[str, Any]) -> BaseTool:
        self.names = sorted(doc[self.doc_key])
        return self

    def spec(self) -> ToolSpec:
        return self.with_enum("name", self.names)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A compact JSON schema for an args model: no titles, `$defs` inlined (grammar converters and
    small models cope better with flat schemas)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return clean(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: clean(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    out = clean(schema)
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out
