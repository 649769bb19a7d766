"""The miniwob env (envs/web): MiniWoB++ tasks in one headless Chromium, chained into a seeded task stream.

A scripted solver that reads only the text observation (as a model would) plays the stream; the checker
proves save/load replays to the same DOM and pixels; a real `harness run` is killed mid-stream and resumed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envs.base import EnvError, parse_task_milestone
from envs.checker import check_env
from envs.registry import make_env
from envs.web.browser import find_binaries, task_names
from envs.web.miniwob import FRAME_SHAPE, SUPPORTED_TASKS, MiniWoBEnv, task_at
from harness.log.store import RunReader
from tests.conftest import REPO, harness_cli, inspect_json, write_replies

try:
    find_binaries()
    HAVE_BROWSER = True
except EnvError:
    HAVE_BROWSER = False

needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="needs chromium and chromium-driver (apt-get install)")

LINE = re.compile(r'^\[(\d+)\] (\S+)(?: "((?:[^"\\]|\\.)*)")?(.*)$')


class El:
    """One `[ref] role "text" rest` line of the observation."""

    def __init__(self, ref: int, role: str, text: str, rest: str) -> None:
        self.ref, self.role, self.text, self.rest = ref, role, text, rest

    @property
    def checked(self) -> bool:
        return "checked=true" in self.rest

    @property
    def focused(self) -> bool:
        return self.rest.endswith("(focused)")

    @property
    def value(self) -> str:
        m = re.search(r'value="((?:[^"\\]|\\.)*)"', self.rest)
        return m.group(1) if m else ""


def parse(text: str) -> tuple[str, str, list[El], list[str]]:
    """(task type, utterance, elements, text lines) of an observation."""
    head, *lines = text.splitlines()
    m = re.match(r"Task \d+ \(([\w-]+)\): (.*)$", head)
    assert m, head
    els, texts = [], []
    for line in lines:
        e = LINE.match(line)
        if e:
            els.append(El(int(e.group(1)), e.group(2), (e.group(3) or "").replace('\\"', '"'), e.group(4)))
        elif line.startswith("text "):
            texts.append(line[6:-1])
    return m.group(1), m.group(2), els, texts


def click(ref: int) -> dict[str, Any]:
    return {"name": "click", "arguments": {"ref": ref}}


def type_(ref: int, text: str) -> dict[str, Any]:
    return {"name": "type", "arguments": {"ref": ref, "text": text}}


def quoted(utterance: str) -> list[str]:
    return re.findall(r'"([^"]*)"', utterance)


class Solver:
    """A scripted player: the next action from the observation text alone (plus what it clicked in this task)."""

    def __init__(self) -> None:
        self.task_line = ""
        self.tried: set[int] = set()
        self.memo: dict[str, Any] = {}

    def act(self, text: str) -> dict[str, Any]:
        if text.splitlines()[0] != self.task_line:
            self.task_line, self.tried, self.memo = text.splitlines()[0], set(), {}
        kind, utt, els, texts = parse(text)
        action = getattr(self, "_" + kind.replace("-", "_"))(utt, els, texts)
        if action["name"] == "click":
            self.tried.add(action["arguments"]["ref"])
        return action

    # helpers
    @staticmethod
    def by_text(els: list[El], text: str, role: str | None = None) -> El:
        return next(e for e in els if e.text == text and (role is None or e.role == role))

    @staticmethod
    def submit(els: list[El], names: tuple[str, ...] = ("Submit", "Search", "Login", "OK", "Go!")) -> dict[str, Any]:
        return click(next(e for e in els if e.text in names and e.role.split(".")[0] in ("button", "div")).ref)

    def fill(self, els: list[El], pairs: list[tuple[El, str]]) -> dict[str, Any]:
        for box, want in pairs:
            if box.value != want:
                return type_(box.ref, want)
        return self.submit(els)

    def toggle(self, els: list[El], wanted: set[str]) -> dict[str, Any]:
        for e in els:
            if e.role in ("checkbox", "radio") and e.checked != (e.text in wanted):
                return click(e.ref)
        return self.submit(els)

    # one method per task type
    def _click_button(self, utt, els, texts):
        return click(self.by_text(els, quoted(utt)[0], "button").ref)

    def _click_button_sequence(self, utt, els, texts):
        one = self.by_text(els, "ONE")
        return click(self.by_text(els, "TWO").ref if one.ref in self.tried else one.ref)

    def _click_checkboxes(self, utt, els, texts):
        m = re.match(r"Select (.*) and click Submit\.", utt)
        return self.toggle(els, set() if m.group(1) == "nothing" else set(m.group(1).split(", ")))

    _click_checkboxes_large = _click_checkboxes
    _click_checkboxes_transfer = _click_checkboxes

    def _click_option(self, utt, els, texts):
        return self.toggle(els, {re.match(r"Select (.*) and click Submit\.", utt).group(1)})

    def _click_collapsible(self, utt, els, texts):
        header = next(e for e in els if e.role == "h3")
        return click(header.ref) if header.ref not in self.tried else self.submit(els)

    _click_collapsible_nodelay = _click_collapsible

    def _click_collapsible_2(self, utt, els, texts):
        target = [e for e in els if e.text == quoted(utt)[0] and e.role.startswith("span")]
        if target:
            return click(target[0].ref)
        return click(next(e.ref for e in els if e.role == "h3" and e.ref not in self.tried))

    _click_collapsible_2_nodelay = _click_collapsible_2

    def _click_tab_2(self, utt, els, texts):
        target = [e for e in els if e.text == quoted(utt)[0] and e.role.startswith("span")]
        if target:
            return click(target[0].ref)
        return click(next(e.ref for e in els if e.role == "link" and e.text.startswith("Tab") and
                          e.ref not in self.tried))

    def _click_dialog(self, utt, els, texts):
        return click(next(e.ref for e in els if e.role == "button" and "closethick" in e.rest))

    def _click_dialog_2(self, utt, els, texts):
        want = quoted(utt)[0]
        if want == "x":
            return self._click_dialog(utt, els, texts)
        return click(self.by_text(els, want, "button").ref)

    def _click_link(self, utt, els, texts):
        return click(self.by_text(els, quoted(utt)[0]).ref)

    def _click_tab(self, utt, els, texts):
        n = re.match(r"Click on Tab #(\d+)\.", utt).group(1)
        return click(self.by_text(els, f"Tab #{n}", "link").ref)

    def _click_test(self, utt, els, texts):
        return click(next(e.ref for e in els if e.role == "button"))

    def _click_test_2(self, utt, els, texts):
        return click(self.by_text(els, re.match(r"Click button (\w+)\.", utt).group(1)).ref)

    def _click_widget(self, utt, els, texts):
        want = quoted(utt)[0]
        role = {"text": "textbox", "textarea": "textarea"}.get(want, want)
        return click(next(e.ref for e in els if e.role == role))

    def _enter_text(self, utt, els, texts):
        return self.fill(els, [(next(e for e in els if e.role == "textbox"), quoted(utt)[0])])

    _enter_text_dynamic = _enter_text

    def _enter_text_2(self, utt, els, texts):
        word = quoted(utt)[0]
        word = word.upper() if "upper case" in utt else word.lower()
        return self.fill(els, [(next(e for e in els if e.role == "textbox"), word)])

    def _enter_password(self, utt, els, texts):
        word = quoted(utt)[0]
        return self.fill(els, [(e, word) for e in els if e.role == "password"])

    def _login_user(self, utt, els, texts):
        user, password = quoted(utt)[:2]
        boxes = [e for e in els if e.role in ("textbox", "password")]
        return self.fill(els, [(boxes[0], user), (boxes[1], password)])

    def _focus_text(self, utt, els, texts):
        return click(next(e.ref for e in els if e.role == "textbox"))

    def _focus_text_2(self, utt, els, texts):
        n = int(re.search(r"the (\d+)\w\w input", utt).group(1))
        return click([e for e in els if e.role == "textbox"][n - 1].ref)

    def _multi_layouts(self, utt, els, texts):
        m = re.match(r"Search for (.*) movies directed by (.*) from year (.*)\.", utt)
        want = {"genre": m.group(1), "director": m.group(2), "year": m.group(3), "date": m.group(3)}
        fields = [e for e in els if e.role == "textbox" or any(k in e.text.lower() for k in want)]
        boxes, labels = (fields[::2], fields[1::2]) if fields[0].role == "textbox" else (fields[1::2], fields[::2])
        pairs = [(box, next(v for k, v in want.items() if k in label.text.lower()))  # one layout puts each
                 for box, label in zip(boxes, labels, strict=True)]  # label under its field, the others above
        return self.fill(els, pairs)

    _multi_orderings = _multi_layouts

    def _navigate_tree(self, utt, els, texts):
        want = quoted(utt)[0]
        target = [e for e in els if e.text == want and e.role in ("span.file", "span.folder")]
        if target:
            return click(target[0].ref)
        return click(next(e.ref for e in els if e.role == "span.folder" and e.ref not in self.tried))

    def _simple_arithmetic(self, utt, els, texts):
        problem = next(e.text for e in els if e.role == "div#math-problem" or e.text.endswith("="))
        a, op, b = problem.rstrip("= ").split()
        value = {"+": int(a) + int(b), "-": int(a) - int(b), "x": int(a) * int(b)}[op]
        return self.fill(els, [(next(e for e in els if e.role == "textbox"), str(value))])

    def _find_word(self, utt, els, texts):
        n = int(re.search(r"the (\d+)\w\w word", utt).group(1))
        paragraph = next(e.text for e in els if e.role == "p")
        word = re.findall(r"[\w']+", paragraph)[n - 1]
        return self.fill(els, [(next(e for e in els if e.role == "textbox"), word)])

    def _simple_algebra(self, utt, els, texts):
        problem = next(e.text for e in els if e.role == "div#math-problem")
        (a, op, b), c = problem.split("=")[0].split(), int(problem.split("=")[1])
        x = (c - int(b) if op == "+" else c + int(b)) if a == "x" else (c - int(a) if op == "+" else int(a) - c)
        return self.fill(els, [(next(e for e in els if e.role == "textbox"), str(x))])

    def _read_table(self, utt, els, texts):
        cells = [e.text for e in els if e.role == "td"]
        table = dict(zip(cells[::2], cells[1::2], strict=True))
        want = re.match(r"Enter the value of (.*) into the text field", utt).group(1)
        return self.fill(els, [(next(e for e in els if e.role == "textbox"), table[want])])

    def _read_table_2(self, utt, els, texts):
        cells = [e.text for e in els if e.role == "td"]
        table = dict(zip(cells[::2], cells[1::2], strict=True))
        pairs, label = [], ""
        for e in els:
            if e.role.startswith("label"):
                label = e.text.rstrip(":")
            elif e.role == "textbox":
                pairs.append((e, table[label]))
        return self.fill(els, pairs)

    def _odd_or_even(self, utt, els, texts):
        for i, e in enumerate(els):
            if e.role == "div.display-number":
                odd, even = els[i - 1], els[i + 1]
                pick = odd if int(e.text) % 2 else even
                if pick.ref not in self.tried:
                    return click(pick.ref)
        return self.submit(els)

    def _text_transform(self, utt, els, texts):
        box = next(e for e in els if e.role == "textbox")
        word = "".join(e.text for e in els if e.role == "span" and e.ref < box.ref)
        return self.fill(els, [(box, word)])

    def _buy_ticket(self, utt, els, texts):
        def minutes(text: str) -> int:
            h, m = re.match(r"(\d+)h (\d+)m", text).groups()
            return int(h) * 60 + int(m)

        tickets = []  # (duration, price, ref) in page order: a duration line, then its "Book for $n" button
        for i, e in enumerate(els):
            if e.role == "div.time-duration":
                button = next(b for b in els[i:] if b.text.startswith("Book for $"))
                tickets.append((minutes(e.text), int(button.text[len("Book for $"):]), button.ref))
        key = {"most expensive": lambda t: -t[1], "cheapest": lambda t: t[1], "shortest": lambda t: t[0],
               "longest": lambda t: -t[0]}
        order = next(v for k, v in key.items() if k in utt)
        return click(min(tickets, key=order)[2])

    def _login_user_popup(self, utt, els, texts):
        cancel = [e for e in els if e.text == "Cancel" and e.role == "button"]
        return click(cancel[0].ref) if cancel else self._login_user(utt, els, texts)

    def _guess_number(self, utt, els, texts):
        m = self.memo.setdefault("range", [0, 9])
        box = next(e for e in els if e.role == "number")
        if self.memo.get("submitted"):  # the page's answer to the last guess
            feedback = " ".join(texts).lower()  # "The number is higher than" [span "4"] "."
            guess = self.memo.pop("submitted")
            if "higher" in feedback:
                m[0] = guess + 1
            elif "lower" in feedback:
                m[1] = guess - 1
        guess = (m[0] + m[1]) // 2
        if box.value != str(guess):
            return type_(box.ref, str(guess))
        self.memo["submitted"] = guess
        return self.submit(els)

    def _email_inbox(self, utt, els, texts):
        by = re.match(r"Find the email by (.*?) and ", utt).group(1)
        icon = re.search(r"click the (\w+) icon", utt)
        if icon:  # delete (trash) or mark as important (star), from the inbox list
            i = next(i for i, e in enumerate(els) if e.role == "div.email-sender" and e.text == by)
            return click(next(e.ref for e in els[i:] if e.role == f"span.{icon.group(1)}"))
        reply = re.search(r'reply to them with the text "(.*)"\.', utt)
        mode = "reply" if reply else "forward"
        area = [e for e in els if e.role == f"textarea#{mode}-text"]
        if area:  # the reply / forward pane is open
            if reply:
                pairs = [(area[0], reply.group(1))]
            else:
                pairs = [(next(e for e in els if e.role == "textbox"), re.search(r"email to (.*)\.", utt).group(1))]
            for box, want in pairs:
                if box.value != want:
                    return type_(box.ref, want)
            return click(next(e.ref for e in els if e.role == f"span#send-{mode}"))
        button = [e for e in els if e.text == mode.capitalize() and e.role == "div"]
        if button:  # the email is open
            return click(button[0].ref)
        return click(next(e.ref for e in els if e.role == "div.email-sender" and e.text == by))

    _email_inbox_delete = _email_inbox
    _email_inbox_important = _email_inbox
    _email_inbox_noscroll = _email_inbox
    _email_inbox_reply = _email_inbox
    _email_inbox_forward = _email_inbox

    def _use_autocomplete(self, utt, els, texts):
        start = quoted(utt)[0]
        end = quoted(utt)[1] if "ends with" in utt else ""
        box = next(e for e in els if e.role == "textbox")
        if box.value.startswith(start) and box.value.endswith(end) and len(box.value) > len(start):
            return self.submit(els)
        items = [e for e in els if e.role == "div.ui-menu-item-wrapper"]
        match = [e for e in items if e.text.startswith(start) and e.text.endswith(end)]
        return click(match[0].ref) if match else type_(box.ref, start)

    _use_autocomplete_nodelay = _use_autocomplete



# -- helpers ---------------------------------------------------------------------------------------

THREE = ["click-button", "click-checkboxes", "enter-text"]
SIX = ["click-button", "click-checkboxes", "enter-text", "click-link", "click-dialog", "click-tab"]


def play(env: MiniWoBEnv, tasks: int, solver: Solver | None = None, limit: int = 200,
         ) -> tuple[list[tuple[int, str, bool, float]], list[dict[str, Any]]]:
    """Solve `tasks` tasks of the stream from where env is: (the task milestones seen, the infos)."""
    solver = solver or Solver()
    obs, info = env.step(None)[0::4]
    ended: list[tuple[int, str, bool, float]] = []
    infos = []
    for _ in range(limit):
        obs, reward, terminated, truncated, info = env.step(solver.act(obs["text"]))
        assert not terminated and not truncated
        infos.append(info)
        for m in info["progress"].milestones:
            parsed = parse_task_milestone(m)
            if parsed:
                ended.append(parsed)
                assert reward == pytest.approx(parsed[3], abs=0.005)
        if len(ended) >= tasks:
            return ended, infos
    raise AssertionError(f"only {len(ended)} tasks ended in {limit} steps")


def browser_pids() -> set[int]:
    """Processes of any miniwob browser (its profile lives in a miniwob-chrome-* directory) or a chromedriver."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        exe = cmd.split(b" ")[0]
        if state != "Z" and (b"miniwob-chrome-" in cmd or b"chromedriver" in exe or b"chrome_crashpad" in exe):
            pids.add(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def env() -> Iterator[MiniWoBEnv]:
    e = MiniWoBEnv(tasks=THREE, seed=3)
    e.reset()
    yield e
    e.close()


# -- the env ---------------------------------------------------------------------------------------


@needs_browser
def test_check_env_passes_with_a_fresh_env_loading_the_state() -> None:
    tasks = ["click-button", "enter-text", "click-checkboxes", "click-dialog", "click-tab", "focus-text"]
    env = MiniWoBEnv(tasks=tasks, max_task_steps=4)
    try:
        check_env(env, steps=10, fresh=lambda: MiniWoBEnv(tasks=["click-link"], seed=9))
    finally:
        env.close()


@needs_browser
def test_scripted_solver_solves_click_button_checkboxes_and_enter_text(env: MiniWoBEnv) -> None:
    obs, info = env.reset(seed=3)
    assert obs["text"].startswith("Task 1 (") and info["progress"].where == (0, 0) and info["action_cost"] == 0
    assert obs["frame"].shape == FRAME_SHAPE and obs["frame"].dtype == np.uint8
    ended, infos = play(env, 9)
    assert [i for i, *_ in ended] == list(range(9)), "one milestone per task, in stream order"
    assert {kind for _, kind, _, _ in ended} == set(THREE)
    assert all(ok and reward > 0.5 for _, _, ok, reward in ended), ended
    assert [kind for _, kind, _, _ in ended] == [task_at(3, i, tuple(THREE))[0] for i in range(9)]
    last = infos[-1]
    assert last["game"]["task"] == 9 and last["game"]["solved"] == 9 and last["game"]["failed"] == 0
    assert {"solved_1", "solved_5", "solved_click-button", "solved_enter-text"} <= set(last["progress"].milestones)
    assert sum(i["action_cost"] for i in infos) == len(infos)


@needs_browser
def test_text_observation_and_actions() -> None:
    env = MiniWoBEnv(tasks=["enter-text"])
    try:
        _observation_and_actions(env)
    finally:
        env.close()


def _observation_and_actions(env: MiniWoBEnv) -> None:
    obs, info = env.reset(seed=1)
    kind, utt, els, _ = parse(obs["text"])
    assert kind == "enter-text" and utt.startswith('Enter "')
    box, button = next(e for e in els if e.role == "textbox"), next(e for e in els if e.role == "button")
    assert box.value == "" and button.text == "Submit"
    obs, _, _, _, info = env.step(type_(box.ref, "Zoë\nSmith"))
    assert f'[{box.ref}] textbox value="Zoe Smith" (focused)' in obs["text"]
    assert info["progress"].where == (0, box.ref)
    assert info["progress"].label == f"task 1 (enter-text), focus [{box.ref}]"
    obs, *_ = env.step(type_(box.ref, "ab"))  # type replaces what is there
    assert 'value="ab" (focused)' in obs["text"]
    obs, *_ = env.step({"name": "press_key", "arguments": {"key": "backspace"}})
    assert 'value="a" (focused)' in obs["text"]
    obs, *_ = env.step({"name": "press_key", "arguments": {"key": "<Space>"}})
    assert 'value="a " (focused)' in obs["text"]
    obs, _, _, _, info = env.step({"name": "type", "arguments": {"ref": button.ref, "text": "x"}})
    assert f"Message: [{button.ref}] is a button; type works on textboxes" in obs["text"] and info["action_cost"] == 1
    obs, *_ = env.step(click(299))
    assert "Message: there is no element [299] on this page" in obs["text"]
    obs, _, _, _, info = env.step({"name": "click_xy", "arguments": {"x": 3, "y": 1527}})
    assert "Message: (3, 1527) is off the picture; x is 0..159, y 0..209" in obs["text"] and info["action_cost"] == 1
    obs, reward, _, _, info = env.step(None)
    assert reward == 0.0 and info["action_cost"] == 0 and "Message" not in obs["text"]
    for bad, pattern in [({"name": "press_key", "arguments": {"key": "F13"}}, "unknown key 'F13'"),
                         ({"name": "click", "arguments": {"ref": 0}}, "greater than or equal to 1"),
                         ({"name": "click_xy", "arguments": {"x": "left", "y": 5}}, "x"),
                         ({"name": "type", "arguments": {"ref": 1}}, "text"),
                         ({"name": "press_buttons", "arguments": {}}, "offers click, type, press_key, click_xy")]:
        with pytest.raises(ValueError, match=pattern):
            env.step(bad)
    # click_xy on the Submit button (the picture's coordinates are the page's) ends the task as failed
    obs, reward, _, _, info = env.step({"name": "click_xy", "arguments": {"x": 20, "y": 118}})
    (milestone,) = [m for m in info["progress"].milestones if m.startswith("task:")]
    assert milestone.startswith("task:0000:enter-text:fail:") and reward < 0 and info["game"]["task"] == 1
    assert "Message: Task 1 (enter-text) ended: fail" in obs["text"] and obs["text"].startswith("Task 2 (enter-text)")


@needs_browser
def test_step_limit_ends_a_stuck_task_and_the_stream_goes_on() -> None:
    env = MiniWoBEnv(tasks=["enter-text"], max_task_steps=3, frames=False)
    try:
        obs, info = env.reset(seed=2)
        assert obs["frame"] is None and set(env.observation_space.spaces) == {"text"}
        for step in range(1, 3):
            obs, reward, _, _, info = env.step(None)
            assert info["game"]["task_step"] == step and reward == 0
        obs, reward, _, _, info = env.step(None)
        assert info["progress"].milestones == ["task:0000:enter-text:fail:-1.00"] and reward == -1.0
        assert "ended: fail, reward -1.00 (the 3-step limit). Task 2 follows." in obs["text"]
        assert info["game"] == {"task": 1, "type": "enter-text", "episode_seed": task_at(2, 1, ("enter-text",))[1],
                                "task_step": 0, "ended": 1, "solved": 0, "failed": 1}
        obs, _, _, _, info = env.step(None)
        assert info["progress"].milestones == [] and "Message" not in obs["text"]  # reported once, on its step
    finally:
        env.close()


@needs_browser
def test_save_load_round_trip_replays_the_task_and_refuses_garbage(env: MiniWoBEnv) -> None:
    env.reset(seed=5)
    solver = Solver()
    obs, info = env.step(None)[0::4]
    for _ in range(4):  # into the stream, mid-task
        obs, _, _, _, info = env.step(solver.act(obs["text"]))
    blob = env.save_state()
    saved = env.step(None)
    state = json.loads(blob)
    assert state["format"] == "miniwob/1" and state["task"] == info["game"]["task"]
    assert len(state["actions"]) == info["game"]["task_step"]
    play(env, 3, solver)
    obs, info = env.load_state(blob)
    again = env.step(None)
    assert again[0]["text"] == saved[0]["text"] and np.array_equal(again[0]["frame"], saved[0]["frame"])
    assert again[4]["progress"] == saved[4]["progress"] and again[4]["game"] == saved[4]["game"]
    other = json.dumps({**state, "tasks": ["no-such-task"]}).encode()
    for garbage in (b"", b"{}", b"[1]", b'{"format": "miniwob/1"}', b"\xff", other):
        with pytest.raises(ValueError, match="not a miniwob env state"):
            env.load_state(garbage)


@needs_browser
def test_stream_of_six_task_types_reports_each_task_with_its_outcome() -> None:
    env = MiniWoBEnv(tasks=SIX, seed=11)
    try:
        env.reset()
        ended, infos = play(env, 12)
    finally:
        env.close()
    assert [i for i, *_ in ended] == list(range(12))
    kinds = {kind for _, kind, ok, _ in ended if ok}
    assert len(kinds) >= 5 and all(ok for _, _, ok, _ in ended), ended
    assert infos[-1]["game"]["solved"] == 12 and "solved_10" in infos[-1]["progress"].milestones


def test_task_stream_is_a_pure_function_of_seed_and_index() -> None:
    tasks = tuple(SIX)
    assert [task_at(4, i, tasks) for i in range(30)] == [task_at(4, i, tasks) for i in range(30)]
    assert [task_at(4, i, tasks) for i in range(30)] != [task_at(5, i, tasks) for i in range(30)]
    assert {task_at(0, i, SUPPORTED_TASKS)[0] for i in range(200)} == set(SUPPORTED_TASKS)
    assert len(SUPPORTED_TASKS) >= 15 and set(SUPPORTED_TASKS) <= set(task_names())


def test_unknown_task_is_a_one_line_error() -> None:
    with pytest.raises(EnvError) as e:
        MiniWoBEnv(tasks=["click-button", "click-buton"])
    msg = str(e.value)
    assert "\n" not in msg and "'click-buton'" in msg and "click-button" in msg
    with pytest.raises(EnvError, match="unknown task 'enter_text'.*enter-text"):
        make_env("miniwob", tasks=["enter_text"])


def test_missing_chromium_is_a_one_line_error(monkeypatch) -> None:
    with pytest.raises(EnvError) as e:
        MiniWoBEnv(tasks=["click-button"], chrome_binary="/nonexistent/chromium")
    msg = str(e.value)
    assert "\n" not in msg and "/nonexistent/chromium" in msg and "apt-get install -y chromium chromium-driver" in msg
    monkeypatch.setenv("MINIWOB_CHROMEDRIVER", "/nonexistent/chromedriver")
    with pytest.raises(EnvError, match="ChromeDriver .*/nonexistent/chromedriver.*apt-get install"):
        make_env("miniwob")
    monkeypatch.delenv("MINIWOB_CHROMEDRIVER")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("MINIWOB_CHROME_BINARY", raising=False)
    with pytest.raises(EnvError, match=r"Chromium \(not on PATH\)"):
        make_env("miniwob")


@needs_browser
def test_close_leaves_no_browser_behind() -> None:
    before = browser_pids()
    env = MiniWoBEnv(tasks=["click-button"])
    env.reset()
    mine = browser_pids() - before
    assert len(mine) >= 3, "chromedriver and chromium's processes"
    profile = env._browser._dir
    env.close()
    env.close()  # idempotent
    deadline = time.monotonic() + 10
    while browser_pids() & mine and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not browser_pids() & mine and not profile.exists()


@needs_browser
def test_kill9_takes_the_browser_with_it(tmp_path) -> None:
    """A process holding the env dies by SIGKILL: its chromedriver and chromium go too (no orphans), and the
    next env to start removes the profile directory it left."""
    before = browser_pids()
    code = ("from envs.web import MiniWoBEnv; e = MiniWoBEnv(tasks=['click-button']); e.reset(); "
            "print(e._browser._dir, flush=True); import time; time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        profile = Path(proc.stdout.readline().strip())
        mine = browser_pids() - before
        assert mine and profile.is_dir()
        os.kill(proc.pid, signal.SIGKILL)  # the process only, not its group
        proc.wait()
        deadline = time.monotonic() + 10
        while browser_pids() & mine and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not browser_pids() & mine
    finally:
        proc.kill()
        proc.wait()
    assert profile.is_dir()
    MiniWoBEnv(tasks=["click-button"]).close()
    assert not profile.exists()


# -- through the real loop -------------------------------------------------------------------------

E2E_TASKS = "click-button,click-test-2,click-dialog-2,click-link,enter-text,focus-text"


def _e2e_replies(path: Path) -> Path:
    """A by_prompt script: each prompt's hash picks one of these (so a resumed run that restored the page
    exactly makes the same choices as an uninterrupted one); clicks end most of these tasks quickly."""
    pool = [{"tool": "click", "arguments": {"ref": r, "reasoning": "try it"}} for r in range(4, 13)]
    pool += [{"tool": "type", "arguments": {"ref": 5, "text": "abc", "reasoning": "fill"}},
             {"tool": "press_key", "arguments": {"key": "Tab", "reasoning": "next"}},
             {"tool": "click_xy", "arguments": {"x": 30, "y": 110, "reasoning": "there"}}]
    return write_replies(path, [{"mode": "by_prompt"}, *pool])


def _task_milestones(run: Path) -> list[tuple[int, str, bool, float]]:
    names = [m["name"] for m in inspect_json(run)["milestones"]]
    return [p for p in map(parse_task_milestone, names) if p]


@pytest.mark.slow
@needs_browser
def test_kill9_mid_stream_then_resume_continues_the_stream(tmp_path) -> None:
    """`harness run --env miniwob --tasks ...` with a scripted model, SIGKILLed mid-stream and resumed: the
    log matches an uninterrupted run step for step (actions, prompts, frames), task milestones come in
    stream order with none repeated or skipped, and the killed run's browser died with it."""
    replies = _e2e_replies(tmp_path / "r.jsonl")
    target = 36
    common = ["--env", "miniwob", "--tasks", E2E_TASKS, "--model", f"scripted:{replies}", "--steps", str(target),
              "--no-refine", "--quiet"]
    ref, run = tmp_path / "ref", tmp_path / "run"
    harness_cli("run", *common, "--run-dir", str(ref))
    before = browser_pids()
    cmd = [sys.executable, "-m", "harness.cli", "run", *common, "--run-dir", str(run), "--savestate-every", "5"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once a dozen steps are committed
        time.sleep(0.05)
        try:
            if (run / "run.sqlite").exists() and len(RunReader(run).step_ids()) >= 13:
                break
        except Exception:
            pass
    mine = browser_pids() - before
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(RunReader(run).step_ids())
    assert 0 < killed_at < target and mine
    deadline = time.monotonic() + 10
    while browser_pids() & mine and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not browser_pids() & mine, "the killed run's browser is gone"
    harness_cli("resume", str(run), "--steps", str(target), "--quiet")
    store = RunReader(run)
    assert store.step_ids() == list(range(target))
    steps, reference = list(store.steps(0)), list(RunReader(ref).steps(0))
    for got, want in zip(steps, reference, strict=True):
        assert (got.frame_ref, got.prompt_ref, got.action, got.where) == (
            want.frame_ref, want.prompt_ref, want.action, want.where), f"diverged at step {got.step}"
    ended = _task_milestones(run)
    assert ended == _task_milestones(ref)
    assert [i for i, *_ in ended] == list(range(len(ended))) and len(ended) >= 3, ended
    index = [e.where[0] for e in steps]  # the task on screen after each step: never back, never two ahead
    assert all(b - a in (0, 1) for a, b in zip(index, index[1:], strict=False)) and index[-1] == len(ended)
    s = inspect_json(run)
    assert s["status"] == "done" and s["resumes"] == 1 and s["tasks"]["all"]["tasks"] == len(ended)


# -- every supported task type ---------------------------------------------------------------------

UNSCRIPTED = {"click-checkboxes-soft"}  # word similarity: a model's job, not a regex's


@pytest.mark.slow
@needs_browser
def test_every_supported_type_is_solvable_and_replays_exactly() -> None:
    """The scripted solver solves two tasks of each supported type from the text alone, and a state saved
    mid-task loads to the same text and pixels after random actions (the checker's test, per type)."""
    import hashlib
    import random

    rng = random.Random(0)
    env = MiniWoBEnv(tasks=["click-button"])
    failures = []
    try:
        for kind in SUPPORTED_TASKS:
            env.tasks = (kind,)
            if kind not in UNSCRIPTED:
                for seed in range(2):
                    obs, info = env.reset(seed=seed)
                    solver = Solver()
                    try:
                        for _ in range(env.max_task_steps):
                            obs, reward, _, _, info = env.step(solver.act(obs["text"]))
                            if info["game"]["ended"]:
                                break
                    except pytest.skip.Exception:
                        continue
                    if info["game"]["solved"] != 1:
                        failures.append(f"{kind} seed {seed}: not solved")
            obs, info = env.reset(seed=50)
            _, _, els, _ = parse(obs["text"])
            actions = [rng.choice([None, click(rng.choice(els).ref), {"name": "press_key", "arguments": {"key": "Tab"}},
                                   {"name": "click_xy", "arguments": {"x": rng.randrange(160),
                                                                      "y": rng.randrange(50, 210)}}])
                       for _ in range(6)]
            env.step(actions[0])
            blob = env.save_state()
            first = [env.step(a) for a in actions[1:]]
            env.load_state(blob)
            second = [env.step(a) for a in actions[1:]]
            for a, b in zip(first, second, strict=True):
                if (a[0]["text"], hashlib.sha1(a[0]["frame"]).digest(), a[4]["progress"]) != (
                        b[0]["text"], hashlib.sha1(b[0]["frame"]).digest(), b[4]["progress"]):
                    failures.append(f"{kind}: replay differs")
                    break
    finally:
        env.close()
    assert not failures, failures
