"""Action tools, built from what the env declares (`env.action_tools()`): the agent never knows
what a button or a click is. Every action tool takes an optional short `reasoning` besides the env's
own arguments; the reasoning is logged with the step and shown in the model's history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from envs.base import ActionSpec
from tools.base import ToolContext, ToolResult, ToolSpec, schema_of

REASONING_CHARS = 160


class ActionTool:
    kind = "action"

    def __init__(self, spec: ActionSpec) -> None:
        self.name = spec.name
        self.description = spec.description
        self.args: type[BaseModel] = spec.args
        params = schema_of(spec.args)
        # reasoning first: grammar-constrained models write it before they choose
        self._spec = ToolSpec(name=spec.name, description=spec.description, parameters={
            **params,
            "properties": {"reasoning": {"type": "string", "maxLength": REASONING_CHARS,
                                         "description": "one short sentence: why"}, **params["properties"]},
            "required": ["reasoning", *params.get("required", [])],
        })

    def spec(self) -> ToolSpec:
        return self._spec

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        return ctx.act(action_dict(self.name, args))


def action_dict(name: str, args: BaseModel) -> dict[str, Any]:
    """The action as the env's step() and the log take it."""
    return {"name": name, "arguments": args.model_dump(mode="json")}


def action_tools(specs: list[ActionSpec]) -> list[ActionTool]:
    return [ActionTool(s) for s in specs]
