"""Sub-agent meta-tools: define (or redefine), delete and call a sub-agent.

A sub-agent is a named, narrower agent in the harness document (harness/state: instructions, allowed
tools, capped turns, a return condition). Defining and deleting go through the versions API like any
edit (a versioned event with a patch and a reason; tool names, nesting and caps are checked there).
Calling one runs a nested, bounded loop in the runtime (ToolContext.call_subagent) inside a span of
its own; if the sub-agent acted in the env, the call ends the agent's step as an action would.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.base import BaseTool, NamesOneOf, ToolContext, ToolError, ToolResult

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


# Every sub-agent is a line of the system prompt and a name in call_subagent's enum: without a cap a weak
# model fills the roster with junk (the preset bench's continual seed 2 defined a new one every few steps).
MAX_SUBAGENTS = 8


class DefineArgs(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="short snake_case name, e.g. battle")
    instructions: str = Field(max_length=1500, description="what the sub-agent does and how")
    tools: list[str] = Field(description="tools it may use: a subset of yours (not call_subagent)")
    max_turns: int = Field(5, ge=1, le=20, description="most model turns per call")
    returns: str = Field("a short summary of what was done and seen", max_length=200,
                         description="when to stop and what to report back")


class DefineSubagent(BaseTool):
    name = "define_subagent"
    description = ("Create or redefine a sub-agent: a helper with its own instructions and a subset of your tools "
                   f"that you can hand a task with call_subagent. At most {MAX_SUBAGENTS}: delete one you no longer "
                   "use before adding another. Does not act in the game.")
    kind = "meta"
    args = DefineArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, DefineArgs)
        doc = ctx.harness_doc()
        verb = "redefined" if args.name in doc["subagents"] else "defined"
        doc["subagents"][args.name] = args.model_dump()
        version = ctx.commit_harness(doc, reason=f"{verb} sub-agent {args.name!r}")
        return ToolResult(content=f"sub-agent {args.name!r} {verb} (harness v{version}); "
                                  f"call it with call_subagent")


class DeleteArgs(BaseModel):
    name: str = Field(description="the sub-agent to delete")
    why: str = Field(max_length=200, description="why it is no longer useful")


class DeleteSubagent(NamesOneOf):
    name = "delete_subagent"
    description = "Delete one of your sub-agents, saying why. Does not act in the game."
    kind = "meta"
    args = DeleteArgs
    doc_key = "subagents"

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, DeleteArgs)
        doc = ctx.harness_doc()
        if args.name not in doc["subagents"]:
            raise ToolError(f"no sub-agent {args.name!r}; sub-agents: {', '.join(doc['subagents']) or 'none'}")
        del doc["subagents"][args.name]
        version = ctx.commit_harness(doc, reason=f"deleted sub-agent {args.name!r}: {args.why}")
        return ToolResult(content=f"sub-agent {args.name!r} deleted (harness v{version})")


class CallArgs(BaseModel):
    name: str = Field(description="the sub-agent to call")
    task: str = Field(max_length=300, description="what it should do now")


class CallSubagent(NamesOneOf):
    name = "call_subagent"
    description = ("Hand a task to one of your sub-agents (listed in your prompt). It works for a few turns with "
                   "its own tools and reports back; if it acted in the game, your turn ends with its report.")
    kind = "meta"
    args = CallArgs
    doc_key = "subagents"

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, CallArgs)
        return ctx.call_subagent(args.name, args.task)


class ReturnArgs(BaseModel):
    summary: str = Field(max_length=300, description="what was done and seen, for the agent that called you")


class ReturnToCaller(BaseTool):
    """Offered only inside a sub-agent call: the runtime ends the nested loop with this summary."""

    name = "return_to_caller"
    description = "Stop and report back to the agent that called you, when your return condition is met."
    kind = "meta"
    args = ReturnArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, ReturnArgs)
        return ToolResult(content=args.summary)
