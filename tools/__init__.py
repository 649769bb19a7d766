"""The agent's tools: types and protocols (base.py), the one tool-call parser (parse.py), action tools
built from the env's own actions (actions.py), meta-tools that edit the harness (harness_edit.py),
sub-agents (subagents.py), and macro actions such as navigate_to (navigate.py).

Meta-tools are found by name through `TOOLS` (name -> "module:Class"), imported lazily; the harness
document lists which ones the agent may call.
"""

from __future__ import annotations

import importlib

from tools.base import AUTO, NONE, REQUIRED, BaseTool, Tool, ToolCall, ToolContext, ToolError, ToolResult, ToolSpec

TOOLS: dict[str, str] = {
    "edit_prompt_block": "tools.harness_edit:EditPromptBlock",
    "request_refinement": "tools.harness_edit:RequestRefinement",
    "define_subagent": "tools.subagents:DefineSubagent",
    "delete_subagent": "tools.subagents:DeleteSubagent",
    "call_subagent": "tools.subagents:CallSubagent",
    "navigate_to": "tools.navigate:NavigateTo",
    # skills (a higher layer, named here by string and imported only when a harness uses them)
    "add_skill": "skills.tools:AddSkill",
    "delete_skill": "skills.tools:DeleteSkill",
    "run_skill": "skills.tools:RunSkill",
    "run_code": "skills.tools:RunCode",
    "memory_write": "memory.tools:MemoryWriteTool",
    "memory_search": "memory.tools:MemorySearchTool",
    "memory_forget": "memory.tools:MemoryForgetTool",
}

__all__ = ["AUTO", "NONE", "REQUIRED", "TOOLS", "BaseTool", "Tool", "ToolCall", "ToolContext", "ToolError",
           "ToolResult", "ToolSpec", "load_tool"]


def load_tool(name: str) -> Tool:
    """A meta-tool instance by its registered name."""
    try:
        target = TOOLS[name]
    except KeyError:
        raise ValueError(f"unknown tool {name!r}; known: {', '.join(sorted(TOOLS))}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()
