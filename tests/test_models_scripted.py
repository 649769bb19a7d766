"""The scripted back-end: any tool per line, call ids, tool_choice "none", by_prompt hashing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harness.models import ModelError, make_model
from harness.models.base import Message, ToolCall
from harness.models.scripted import ScriptedModel, prompt_digest
from tests.conftest import press, write_replies
from tests.loopback import PRESS_BUTTONS

EDIT = {"tool": "edit_prompt_block", "arguments": {"label": "strategy", "value": "Explore north first."}}


def scripted(tmp_path: Path, replies: list[dict]) -> ScriptedModel:
    model = make_model(f"scripted:{write_replies(tmp_path / 'replies.jsonl', replies)}")
    assert isinstance(model, ScriptedModel)
    return model


def test_lines_in_order_with_ids_meta_tools_text_and_errors(tmp_path: Path) -> None:
    model = scripted(tmp_path, [press("A"), EDIT, {"text": "thinking"}, {"error": "boom", "retryable": False}])
    msgs = [Message(role="user", content="go")]
    first, second, third = (model.generate(msgs, [PRESS_BUTTONS]) for _ in range(3))
    assert first.tool_calls == [ToolCall(name="press_buttons", arguments=press("A")["arguments"], id="call_1")]
    assert second.tool_calls == [ToolCall(name="edit_prompt_block", arguments=EDIT["arguments"], id="call_2")]
    assert third.tool_calls == [] and third.text == "thinking"
    with pytest.raises(ModelError, match="boom") as err:
        model.generate(msgs, [PRESS_BUTTONS])
    assert not err.value.retryable
    assert model.generate(msgs, [PRESS_BUTTONS]).tool_calls[0].id == "call_5"  # cycled, ids keep counting


def test_tool_choice_none_gives_text_only(tmp_path: Path) -> None:
    model = scripted(tmp_path, [press("A"), {"text": "an answer"}, {"text": "another"}])
    msgs = [Message(role="user", content="go")]
    first = model.generate(msgs, [], "none")
    assert first.text == "an answer" and first.tool_calls == []
    assert model.generate(msgs, [PRESS_BUTTONS], "none").text == "another"  # its own cursor over text lines
    assert model.generate(msgs, [PRESS_BUTTONS], "press_buttons").tool_calls[0].name == "press_buttons"  # line 1
    assert scripted(tmp_path, [press("A")]).generate(msgs, [], "none").text == ""  # no text line: "", none used


def test_by_prompt_hash_covers_tool_calls_and_results_but_not_ids(tmp_path: Path) -> None:
    model = scripted(tmp_path, [{"mode": "by_prompt"}, *[press(b) for b in ("UP", "DOWN", "LEFT", "RIGHT", "A")]])

    def convo(call_id: str, buttons: list[str], result: str) -> list[Message]:
        call = ToolCall(name="press_buttons", arguments={"buttons": buttons}, id=call_id)
        return [
            Message(role="system", content="sys"),
            Message(role="user", content="step 1"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id=call_id, name="press_buttons", content=result),
        ]

    a = model.generate(convo("call_x", ["UP"], "moved"), [PRESS_BUTTONS])
    b = model.generate(convo("call_y", ["UP"], "moved"), [PRESS_BUTTONS])  # another id: the same reply
    assert a.tool_calls == b.tool_calls and a.tool_calls[0].id.startswith("call_")
    base = prompt_digest(convo("call_x", ["UP"], "moved"))
    assert prompt_digest(convo("call_x", ["DOWN"], "moved")) != base  # the call's arguments count
    assert prompt_digest(convo("call_x", ["UP"], "blocked")) != base  # the result counts
    # a conversation without tool calls hashes as it always did: replays of older runs still match
    plain = [Message(role="system", content="sys"), Message(role="user", content="step 1")]
    assert prompt_digest(plain) == hashlib.sha256("\x00".join(m.role + m.content for m in plain).encode()).digest()
