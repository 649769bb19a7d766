"""Memory meta-tools: write, search, forget. Each write or forget is an op the runtime logs with the step
(memory/store.py); a search result counts as a use of the entries it shows. None of them act in the env."""

from __future__ import annotations

from pydantic import BaseModel, Field

from memory.store import Memory
from tools.base import BaseTool, ToolContext, ToolError, ToolResult


def _memory(ctx: ToolContext) -> Memory:
    memory = ctx.memory
    if memory is None:
        raise ToolError("memory is off in this harness (memory.enabled = false)")
    return memory


def _where(ctx: ToolContext) -> str:
    progress = ctx.state().get("progress") or {}
    return str(progress.get("label", ""))[:80]


class MemoryWriteArgs(BaseModel):
    text: str = Field(min_length=3, max_length=600, description="one fact or lesson, self-contained")
    tags: list[str] = Field(default_factory=list, max_length=8, description="a few short keywords")
    importance: int = Field(3, ge=1, le=5, description="1 trivia .. 5 essential")


class MemoryWriteTool(BaseTool):
    name = "memory_write"
    description = ("Remember a fact or lesson for later (places, people, what worked or failed). A near-duplicate "
                   "of an existing memory updates it. Relevant memories are shown to you each step. Does not act.")
    kind = "meta"
    args = MemoryWriteArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, MemoryWriteArgs)
        memory = _memory(ctx)
        try:
            ops = memory.write(args.text, ctx.step, tags=args.tags, importance=args.importance, location=_where(ctx))
        except ValueError as e:
            raise ToolError(str(e)) from None
        first = ops[0]
        evicted = [o.entry.id for o in ops if o.op == "evict"]
        tail = f"; evicted {', '.join(evicted)} (over the cap)" if evicted else ""
        if first.op == "update":
            return ToolResult(content=f"updated memory {first.entry.id} (similarity {first.similarity:.2f} to "
                                      f"what you wrote){tail}", data={"id": first.entry.id, "op": "update"})
        return ToolResult(content=f"saved memory {first.entry.id}{tail}", data={"id": first.entry.id, "op": "add"})


class MemorySearchArgs(BaseModel):
    query: str = Field(min_length=2, max_length=300, description="what you want to recall")
    k: int = Field(5, ge=1, le=20)


class MemorySearchTool(BaseTool):
    name = "memory_search"
    description = "Search your memories by meaning. Does not act."
    kind = "meta"
    args = MemorySearchArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, MemorySearchArgs)
        memory = _memory(ctx)
        hits = memory.search(args.query, args.k)
        if not hits:
            return ToolResult(content="no matching memories")
        memory.note_read(ctx.step, [h.entry.id for h in hits])
        lines = [f"[{h.entry.id}] {h.entry.text} (importance {h.entry.importance}, similarity {h.similarity:.2f})"
                 for h in hits]
        return ToolResult(content="\n".join(lines), data={"ids": [h.entry.id for h in hits]})


class MemoryForgetArgs(BaseModel):
    id: str = Field(pattern=r"^m[0-9]+$", description="the memory's id, e.g. m12")
    why: str = Field(min_length=3, max_length=200, description="why it is wrong or useless")


class MemoryForgetTool(BaseTool):
    name = "memory_forget"
    description = "Forget a memory that is wrong or useless (it stays on record). Does not act."
    kind = "meta"
    args = MemoryForgetArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, MemoryForgetArgs)
        memory = _memory(ctx)
        try:
            memory.forget(args.id, ctx.step, args.why)
        except KeyError:
            raise ToolError(f"no live memory {args.id!r}") from None
        return ToolResult(content=f"forgot memory {args.id}")
