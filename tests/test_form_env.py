"""The form env (envs/form): a scripted solver that reads only the text observation plays the task stream."""

from __future__ import annotations

import json
import re
from typing import Any

import gymnasium
import numpy as np
import pytest

from envs.base import Progress
from envs.form import FormEnv, make_task
from envs.form.env import FRAME_SHAPE
from envs.registry import make_env

ELEMENT = re.compile(r'^\[(\d+)\] (\w+) "([^"]*)"(.*)$')


def elements(text: str) -> dict[str, tuple[int, str, str]]:
    """label -> (ref, role, rest of the line), from the text observation."""
    out = {}
    for line in text.splitlines():
        m = ELEMENT.match(line)
        if m:
            out[m.group(3)] = (int(m.group(1)), m.group(2), m.group(4))
    return out


def solve(text: str) -> list[dict[str, Any]]:
    """The actions that solve the task on screen (as the model would call them)."""
    task = text.splitlines()[0]
    els = elements(text)
    actions: list[dict[str, Any]] = []
    if "Enter " in task:
        for value, label in re.findall(r"'([^']*)' into (?:the )?(\w+)", task):
            actions.append({"name": "type", "arguments": {"ref": els[label][0], "text": value}})
    elif "Select only" in task:
        wanted = re.findall(r"'([^']*)'", task.split(" among ")[0])
        for label, (ref, role, rest) in els.items():
            if role == "checkbox" and ("checked=true" in rest) != (label in wanted):
                actions.append({"name": "click", "arguments": {"ref": ref}})
    else:
        (wanted,) = re.findall(r"Choose '([^']*)'", task)
        actions.append({"name": "click", "arguments": {"ref": els[wanted][0]}})
    actions.append({"name": "click", "arguments": {"ref": els["Submit"][0]}})
    return actions


@pytest.fixture
def env() -> FormEnv:
    e = FormEnv()
    e.reset(seed=0)
    return e


def _first_task_of(kind: str, seed: int = 0) -> int:
    return next(i for i in range(100) if make_task(seed, i).kind == kind)


def _goto(env: FormEnv, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    obs, info = env.reset(seed=env.seed)
    for _ in range(index):
        for a in solve(obs["text"]):
            obs, _, _, _, info = env.step(a)
    assert info["game"]["task"] == index
    return obs, info


def test_scripted_solver_plays_the_stream_without_reset() -> None:
    env = make_env("form", seed=7)
    obs, info = env.reset()
    assert info["progress"] == Progress(where=(0, 0), label=f"task 1 ({info['game']['kind']})", milestones=[])
    seen_milestones: list[str] = []
    cost = 0
    for n in range(1, 31):
        rewards = []
        for a in solve(obs["text"]):
            obs, reward, terminated, truncated, info = env.step(a)
            rewards.append(reward)
            cost += info["action_cost"]
            assert not terminated and not truncated
        assert rewards[-1] == 1.0 and sum(rewards) == 1.0
        assert info["game"]["solved"] == n and info["game"]["task"] == n and info["game"]["rejected"] == 0
        assert info["progress"].where == (n, 0)
        assert obs["text"].startswith(f"Task {n + 1}: ") and f"Message: Task {n} done." in obs["text"]
        seen_milestones += [m for m in info["progress"].milestones if m not in seen_milestones]
    assert seen_milestones[:1] == ["solved_1"]
    assert {"solved_1", "solved_5", "solved_10", "solved_25", "solved_fill", "solved_checkbox",
            "solved_radio"} == set(seen_milestones)
    assert set(seen_milestones) <= set(FormEnv.milestones)
    assert cost >= 30


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    a, b, c = FormEnv(seed=3), FormEnv(seed=3), FormEnv()
    ta, tb = a.reset()[0]["text"], b.reset()[0]["text"]
    assert ta == tb and c.reset(seed=3)[0]["text"] == ta
    assert [make_task(3, i).utterance for i in range(20)] != [make_task(4, i).utterance for i in range(20)]
    assert {make_task(0, i).kind for i in range(30)} == {"fill", "checkbox", "radio"}


def test_wrong_submit_is_rejected_and_the_page_stays(env: FormEnv) -> None:
    index = _first_task_of("fill")
    obs, _ = _goto(env, index)
    task_line = obs["text"].splitlines()[0]
    submit = elements(obs["text"])["Submit"][0]
    obs, reward, _, _, info = env.step({"name": "click", "arguments": {"ref": submit}})
    assert reward == 0.0 and info["game"] == {"task": index, "kind": "fill", "solved": index, "rejected": 1}
    assert obs["text"].splitlines()[0] == task_line
    assert re.search(r"Message: Submit rejected: \w+ is empty\.", obs["text"])
    # A wrong value: "check <field>".
    (value, label), *_ = re.findall(r"'([^']*)' into (?:the )?(\w+)", task_line)
    ref = elements(obs["text"])[label][0]
    obs, *_ = env.step({"name": "type", "arguments": {"ref": ref, "text": value + "x"}})
    obs, *_ = env.step({"name": "press_key", "arguments": {"key": "enter"}})  # Enter in a textbox submits
    assert f"Submit rejected: check {label}." in obs["text"]


def test_click_type_and_keys(env: FormEnv) -> None:
    obs, _ = _goto(env, _first_task_of("fill"))
    els = elements(obs["text"])
    first = min(ref for ref, role, _ in els.values() if role == "textbox")
    label = next(k for k, v in els.items() if v[0] == first)
    obs, _, _, _, info = env.step({"name": "type", "arguments": {"ref": first, "text": "Zoë\nSmith"}})
    assert f'[{first}] textbox "{label}" value="Zoe Smith" (focused)' in obs["text"]
    assert info["progress"].where[1] == first and info["action_cost"] == 1
    obs, *_ = env.step({"name": "press_key", "arguments": {"key": "Backspace"}})
    assert 'value="Zoe Smit"' in obs["text"]
    obs, *_ = env.step({"name": "press_key", "arguments": {"key": "SPACE"}})
    assert 'value="Zoe Smit "' in obs["text"]
    obs, _, _, _, info = env.step({"name": "press_key", "arguments": {"key": "Tab"}})
    assert info["progress"].where[1] == first + 1 and f"[{first + 1}] " in obs["text"]
    # Mistakes that make sense to the schema are answered on the page, not raised.
    button = els["Submit"][0]
    obs, _, _, _, info = env.step({"name": "type", "arguments": {"ref": button, "text": "x"}})
    assert f"Message: [{button}] is a button; type works on textboxes" in obs["text"] and info["action_cost"] == 1
    obs, *_ = env.step({"name": "click", "arguments": {"ref": 42}})
    assert "Message: there is no element [42] on this page" in obs["text"]
    # Clear empties the textboxes.
    obs, *_ = env.step({"name": "click", "arguments": {"ref": els["Clear"][0]}})
    assert 'value="Zoe' not in obs["text"] and "Message: Form cleared." in obs["text"]
    # Schema errors are ValueErrors naming the problem.
    for bad, pattern in [({"name": "press_key", "arguments": {"key": "Esc"}}, "unknown key 'Esc'"),
                         ({"name": "click", "arguments": {"ref": "one"}}, "ref"),
                         ({"name": "click", "arguments": {"ref": 0}}, "greater than or equal to 1"),
                         ({"name": "type", "arguments": {"ref": 1}}, "text"),
                         ({"name": "press_buttons", "arguments": {"buttons": ["A"]}}, "offers click, type, press_key")]:
        with pytest.raises(ValueError, match=pattern):
            env.step(bad)


def test_checkboxes_and_radios(env: FormEnv) -> None:
    obs, _ = _goto(env, _first_task_of("checkbox"))
    label, (ref, _, rest) = next((k, v) for k, v in elements(obs["text"]).items() if v[1] == "checkbox")
    was = "checked=true" in rest
    obs, *_ = env.step(ref)  # the legacy int form clicks that ref
    assert (f'checkbox "{label}" checked={"false" if was else "true"}') in obs["text"]
    obs, *_ = env.step({"name": "press_key", "arguments": {"key": "Space"}})  # Space clicks the focused box
    assert (f'checkbox "{label}" checked={"true" if was else "false"}') in obs["text"]

    obs, _ = _goto(env, _first_task_of("radio"))
    radios = [v[0] for v in elements(obs["text"]).values() if v[1] == "radio"]
    env.step({"name": "click", "arguments": {"ref": radios[0]}})
    obs, *_ = env.step({"name": "click", "arguments": {"ref": radios[1]}})
    assert obs["text"].count("checked=true") == 1 and f"[{radios[1]}] radio" in obs["text"]


def test_none_waits_and_save_load_round_trip(env: FormEnv) -> None:
    obs, _ = _goto(env, 3)
    obs, reward, _, _, info = env.step(None)
    assert info["action_cost"] == 0 and reward == 0.0
    env.step({"name": "press_key", "arguments": {"key": "Tab"}})
    blob = env.save_state()
    saved = env.step(None)
    for a in solve(saved[0]["text"]):
        obs, _, _, _, info = env.step(a)
    env.step({"name": "click", "arguments": {"ref": 1}})
    assert info["game"]["task"] == 4
    obs2, info2 = env.load_state(blob)
    assert obs2["text"] == saved[0]["text"] and np.array_equal(obs2["frame"], saved[0]["frame"])
    assert info2["progress"] == saved[4]["progress"] and info2["game"] == saved[4]["game"]
    other = FormEnv(seed=99)
    other.reset()
    assert other.load_state(blob)[0]["text"] == saved[0]["text"] and other.seed == 0  # the seed travels
    wrong_length = json.dumps({**json.loads(blob), "values": [""] * 9}).encode()
    for garbage in (b"", b"{}", b"[1]", b'{"format": "form/1"}', b"\xff", wrong_length):
        with pytest.raises(ValueError, match="not a form env state"):
            env.load_state(garbage)


def test_frames_and_text_only() -> None:
    env = make_env("form")
    obs, _ = env.reset()
    assert obs["frame"].shape == FRAME_SHAPE and obs["frame"].dtype == np.uint8
    assert env.observation_space.contains(obs) and np.array_equal(env.render(), obs["frame"])
    obs2, *_ = env.step({"name": "click", "arguments": {"ref": 1}})
    assert not np.array_equal(obs["frame"], obs2["frame"])  # the focus box is drawn
    text_only = make_env("form", frames=False)
    obs, _ = text_only.reset()
    assert obs["frame"] is None and set(text_only.observation_space.spaces) == {"text"}
    assert "click(ref)" in text_only.instructions and "type(ref, text)" in text_only.instructions
    made = gymnasium.make("harness/Form-v0", seed=5)
    try:
        obs, _ = made.reset()
        assert obs["text"] == FormEnv(seed=5).reset()[0]["text"]
    finally:
        made.close()
