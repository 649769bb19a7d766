"""Tools: the one parser, action tools built from env action specs, the edit_prompt_block meta-tool."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from envs.base import ActionSpec
from tools import TOOLS, ToolCall, ToolError, load_tool
from tools.actions import ActionTool
from tools.harness_edit import EditPromptBlock
from tools.parse import FormatError, parse_call


class ClickArgs(BaseModel):
    ref: int = Field(ge=0, description="element ref")


CLICK = ActionTool(ActionSpec(name="click", description="Click an element.", args=ClickArgs))
EDIT = EditPromptBlock()
TOOLSET = {"click": CLICK, "edit_prompt_block": EDIT}


def test_action_tool_schema_comes_from_the_env_args_with_reasoning_first():
    params = CLICK.spec().parameters
    assert list(params["properties"]) == ["reasoning", "ref"]
    assert params["required"] == ["reasoning", "ref"]
    assert params["properties"]["ref"] == {"type": "integer", "minimum": 0, "description": "element ref"}
    assert "title" not in str(params)


def test_parser_accepts_native_calls_json_text_and_bare_arguments():
    p = parse_call([ToolCall(name="click", arguments={"ref": 3, "reasoning": "submit"})], "", TOOLSET)
    assert p.tool is CLICK and p.args.ref == 3 and p.reasoning == "submit"
    p = parse_call([], 'sure: {"tool": "edit_prompt_block", "arguments": {"label": "notes", "text": "hi"}}', TOOLSET)
    assert p.tool is EDIT and p.args.text == "hi" and p.call.id
    p = parse_call([], '{"ref": 2}', TOOLSET)  # bare arguments: the only action tool
    assert p.tool is CLICK and p.args.ref == 2


@pytest.mark.parametrize(("calls", "text", "message"), [
    ([], "I click the button", "no tool call in the reply; call one of: click, edit_prompt_block"),
    ([ToolCall(name="jump", arguments={})], "", "unknown tool 'jump'"),
    ([ToolCall(name="click", arguments={"ref": -1})], "", "click arguments invalid: ref: Input should be greater"),
    ([], '{"tool": "fly", "arguments": {}}', "unknown tool 'fly'"),
])
def test_parser_errors_say_what_to_fix(calls, text, message):
    with pytest.raises(FormatError, match=message.replace("(", r"\(")):
        parse_call(calls, text, TOOLSET)


class FakeContext:
    def __init__(self, doc):
        self.doc, self.commits = doc, []

    step = 0

    def act(self, action):
        raise AssertionError("meta tools do not act")

    def harness_doc(self):
        import copy

        return copy.deepcopy(self.doc)

    def commit_harness(self, doc, reason):
        self.commits.append((doc, reason))
        self.doc = doc
        return len(self.commits)


def test_edit_prompt_block_appends_replaces_and_names_bad_labels():
    from harness.state import preset

    ctx = FakeContext(preset("continual").doc())
    r = EDIT.run(ctx, EDIT.args(label="notes", text="mom is upstairs"))
    r = EDIT.run(ctx, EDIT.args(label="notes", text="key in cave"))
    assert "v2" in r.content and ctx.doc["blocks"][2]["value"] == "mom is upstairs\nkey in cave"
    EDIT.run(ctx, EDIT.args(label="notes", text="fresh", mode="replace"))
    assert ctx.doc["blocks"][2]["value"] == "fresh"
    with pytest.raises(ToolError, match="no prompt block 'diary'; editable blocks: strategy, notes"):
        EDIT.run(ctx, EDIT.args(label="diary", text="x"))
    with pytest.raises(ToolError, match="you cannot edit block 'guidance'; editable blocks: strategy, notes"):
        EDIT.run(ctx, EDIT.args(label="guidance", text="x"))  # the refiner's block
    assert len(ctx.commits) == 3


def test_registry_loads_every_tool():
    for name in TOOLS:
        tool = load_tool(name)
        assert tool.name == name and tool.kind in ("action", "meta") and tool.spec().parameters["type"] == "object"
    with pytest.raises(ValueError, match="unknown tool 'nope'"):
        load_tool("nope")


def test_tools_bound_to_the_document_name_only_what_exists():
    from harness.state import preset

    doc = preset("continual").doc()
    assert "enum" not in load_tool("edit_prompt_block").spec().parameters["properties"]["label"]  # unbound
    bound = load_tool("edit_prompt_block").bind(doc)
    assert bound.spec().parameters["properties"]["label"]["enum"] == ["strategy", "notes"]
    assert "enum" not in load_tool("edit_prompt_block").spec().parameters["properties"]["label"]  # per instance
    call = load_tool("call_subagent").bind(doc)
    assert "enum" not in call.spec().parameters["properties"]["name"]  # no sub-agents yet: nothing to name
    doc["subagents"] = {"battle": {"name": "battle", "instructions": "fight"}, "menu": {"name": "menu",
                                                                                      "instructions": "close"}}
    assert load_tool("call_subagent").bind(doc).spec().parameters["properties"]["name"]["enum"] == ["battle", "menu"]
    assert load_tool("delete_subagent").bind(doc).spec().parameters["properties"]["name"]["enum"] == ["battle",
                                                                                                      "menu"]
