"""Meta-tools that edit the harness document. Every edit goes through the runtime's versions API
(ToolContext.commit_harness), so it is a versioned event with a patch, a trigger and a reason, and
limits and read-only blocks are enforced in one place."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import BaseTool, ToolContext, ToolError, ToolResult, ToolSpec


class EditBlockArgs(BaseModel):
    label: str = Field(description="the prompt block to edit, e.g. notes or strategy")
    text: str = Field(max_length=800, description="the new text (replace) or the text to add (append)")
    mode: Literal["replace", "append"] = Field("append", description="replace the block or append a line")


def editable_labels(doc: dict[str, Any]) -> list[str]:
    """The blocks the acting agent may edit: neither read-only nor the refiner's."""
    return [b["label"] for b in doc["blocks"] if not (b.get("read_only") or b.get("refiner_only"))]


class EditPromptBlock(BaseTool):
    name = "edit_prompt_block"
    description = ("Edit one of your prompt blocks (e.g. notes, strategy). The change shows in your prompt from "
                   "the next turn. Does not act in the game: call an action tool afterwards.")
    kind = "meta"
    args = EditBlockArgs
    labels: list[str] = []

    def bind(self, doc: dict[str, Any]) -> EditPromptBlock:
        self.labels = editable_labels(doc)
        return self

    def spec(self) -> ToolSpec:
        return self.with_enum("label", self.labels)

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, EditBlockArgs)
        doc = ctx.harness_doc()
        block = next((b for b in doc["blocks"] if b["label"] == args.label), None)
        labels = editable_labels(doc)
        if args.label not in labels:
            what = "no prompt block" if block is None else "you cannot edit block"
            raise ToolError(f"{what} {args.label!r}; editable blocks: {', '.join(labels)}")
        assert block is not None
        if args.mode == "append" and block["value"]:
            block["value"] = f"{block['value']}\n{args.text}"
        else:
            block["value"] = args.text
        version = ctx.commit_harness(doc, reason=f"{args.mode} block {args.label!r}")
        return ToolResult(content=f"block {args.label!r} now has {len(block['value'])}/{block['limit']} characters "
                                  f"(harness v{version}); it shows from your next turn")


class RefinementArgs(BaseModel):
    reason: str = Field(max_length=200, description="what is going wrong, for the refiner to fix")


class RequestRefinement(BaseTool):
    """The runtime reads this call from the step's record: the refiner runs before the next step and
    gets the reason in its prompt (the reference code only logged it)."""

    name = "request_refinement"
    description = ("Ask for your prompt to be revised before your next turn, saying what keeps going wrong. "
                   "Does not act in the game: call an action tool afterwards.")
    kind = "meta"
    args = RefinementArgs

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        return ToolResult(content="refinement requested: the refiner revises your prompt before your next turn")
