"""Co-learning's scoring and relabeling on real quest runs: the expert:quest PRM tells a shortest-way run
from a random walk, the teacher relabels the weak windows with the oracle's buttons, and the shard is
chat-format JSONL that `datasets` reads, with no secret in it."""

from __future__ import annotations

import json

import pytest

from envs.gameboy.quest import oracle
from harness.colearn.relabel import (
    ExpertQuestPRM,
    ExpertQuestTeacher,
    PRMSettings,
    Scores,
    Transition,
    make_prm,
    make_teacher,
    read_transitions,
    score_and_relabel,
)
from harness.colearn.shards import REDACTED, read_shard, redact, write_shard
from harness.log.store import RunReader
from tests.conftest import harness_cli, press, random_walk, write_replies

STEPS = 40


def oracle_script(n: int) -> list[dict]:
    """The oracle's first choice at every step from power-on, as scripted replies."""
    from envs.registry import make_env

    env = make_env("quest")
    try:
        _, info = env.reset(seed=0)
        out = []
        for _ in range(n):
            view = oracle.view_of(info["game"])
            b = oracle.best_buttons(view)[0]
            out.append(press(b, why=f"go {b.lower()} toward {view.next_milestone()}"))
            _, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": [b]}})
    finally:
        env.close()
    return out


def quest_tools() -> list:
    from envs.registry import make_env
    from tools.actions import action_tools

    env = make_env("quest")
    try:
        return [t.spec() for t in action_tools(env.action_tools())]
    finally:
        env.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("colearn")
    out = {}
    for name, script in (("good", oracle_script(STEPS)), ("random", random_walk(STEPS, seed=3))):
        replies = write_replies(base / f"{name}.jsonl", script)
        harness_cli("run", "--env", "quest", "--model", f"scripted:{replies}", "--steps", str(STEPS),
                    "--run-dir", str(base / name), "--quiet")
        out[name] = base / name
    return out


def test_prm_prefers_the_shortest_way(runs):
    prm, settings = ExpertQuestPRM(), PRMSettings()
    means = {}
    for name, run in runs.items():
        with RunReader(run) as reader:
            ts = read_transitions(reader, 0, STEPS)
        assert [t.step for t in ts] == list(range(STEPS)) and ts[-1].next_obs_text is None
        assert all(t.next_obs_text for t in ts[:-1])
        rewards = [settings.reward(s) for s in prm.score(ts)]
        means[name] = sum(rewards) / len(rewards)
    good = read_transitions(RunReader(runs["good"]), 0, STEPS)
    assert {m for t in good for m in t.milestones_after} >= {"talked_to_mom", "entered_town"}
    scores = prm.score(good[1:])  # step 0 presses START on the title
    assert sum(s.correctness for s in scores) / len(scores) == 1.0
    assert means["good"] > 0.85 and means["random"] < 0.5, means


def test_weak_windows_are_relabeled_with_the_oracle_and_exported(runs, tmp_path, monkeypatch):
    secret = "sk-test-0123456789abcdefghijklmnop"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "hunter2-hunter2")
    reader = RunReader(runs["random"])
    ts = read_transitions(reader, 0, STEPS)
    ts[5].obs_text += f" (the key is {secret})"  # planted: a secret that reached a transition
    tools = quest_tools()
    settings = PRMSettings()
    rewards, rows = score_and_relabel(reader, ts, make_prm("expert:quest"), make_teacher("expert:quest"), tools,
                                      settings)
    assert len(rewards) == STEPS and rows
    low = [w for w in range(0, STEPS, 8) if sum(rewards[w:w + 8]) / 8 < settings.threshold]
    assert sorted({r.step // 8 * 8 for r in rows}) == low  # exactly the weak windows
    for r in rows:
        view = oracle.view_from_text(next(t for t in ts if t.step == r.step).obs_text,
                                     frozenset(next(t for t in ts if t.step == r.step).milestones_before))
        assert r.reply.arguments["buttons"] == oracle.best_buttons(view)[:1]
    # the planted secret goes in through a message too
    rows[0].messages[-1].content += f"\nnote: my key is {secret} and token hunter2-hunter2"
    shard = tmp_path / "shards" / "iter-1.jsonl"
    n = write_shard(shard, rows, reader, tools, "expert:quest")
    text = shard.read_text()
    assert n == len(rows) and secret not in text and "hunter2-hunter2" not in text and REDACTED in text
    lines = read_shard(shard)
    first = lines[0]
    assert [m["role"] for m in first["messages"]][-1] == "assistant"
    assert first["messages"][0]["role"] == "system" and "Location:" in first["messages"][-2]["content"]
    reply = json.loads(first["messages"][-1]["content"])
    assert reply["tool"] == "press_buttons" and reply["arguments"]["buttons"]
    assert first["teacher"] == "expert:quest" and first["images"] and (shard.parent / first["images"][0]).exists()
    assert {t["name"] for t in json.loads(first["tools"])} == {"press_buttons"}

    import datasets

    ds = datasets.load_dataset("json", data_files=str(shard), split="train")
    assert len(ds) == n and ds[0]["messages"][-1]["role"] == "assistant"


def test_redact_shapes_and_env_values(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "zzzz-very-secret-value")
    text = "a sk-ant-api03-abcdefghijklmnop and AKIAABCDEFGHIJKLMNOP and zzzz-very-secret-value and sk-short"
    out = redact(text)
    assert "abcdefghijklmnop" not in out and "AKIA" not in out and "very-secret" not in out
    assert "sk-short" in out  # too short to be a key


def test_model_prm_falls_back_to_zero_on_an_unreadable_judgement(tmp_path, runs):
    from harness.colearn.relabel import ModelPRM
    from harness.models import make_model

    judge = make_model(f"scripted:{write_replies(tmp_path / 'j.jsonl', [{'text': 'no idea'}])}")
    ts = read_transitions(RunReader(runs["good"]), 0, 8)
    scores = ModelPRM(judge).score(ts)
    assert all(isinstance(s, Scores) and s.progress == 0 and s.format == 1.0 for s in scores)
    assert ExpertQuestTeacher().relabel(ts[3], [], []) is not None


def test_talking_to_mom_again_and_again_is_a_weak_window(quest_rom):
    """Colearn bench, seed 0, window 3: after talked_to_mom the student stood beside Mom opening and closing
    her dialog with A for 250 steps. Closing a dialog used to score progress 1.0, so each open/close pair
    averaged 0.6 and no window of the loop was relabeled."""
    from envs.registry import make_env

    env = make_env("quest")
    try:
        obs, info = env.reset(seed=0)
        while "talked_to_mom" not in info["game"].milestones or oracle.view_of(info["game"]).mode != "WALK":
            b = oracle.best_buttons(oracle.view_of(info["game"]))[0]
            obs, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": [b]}})
        for b in ("RIGHT", "RIGHT", "DOWN", "RIGHT"):  # beside Mom, who now stands at (13, 9), facing her
            obs, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": [b]}})
        done = sorted(info["game"].milestones)
        window, modes = [], []
        for i in range(8):
            before = obs["text"]
            obs, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": ["A"]}})
            modes.append(oracle.view_of(info["game"]).mode)
            window.append(Transition(step=i, action={"name": "press_buttons", "arguments": {"buttons": ["A"]}},
                                     reasoning="talk to mom",
                                     obs_text=before, next_obs_text=obs["text"], prompt_ref="p",
                                     milestones_before=done, milestones_after=done))
    finally:
        env.close()
    assert modes == ["DIALOG", "WALK"] * 4  # the loop is real: A opens her dialog, A closes it
    settings = PRMSettings()
    rewards = [settings.reward(s) for s in ExpertQuestPRM().score(window)]
    assert sum(rewards) / len(rewards) < settings.threshold


def test_a_model_teacher_goes_through_the_same_pipeline(runs, tmp_path):
    """`--teacher SPEC` with a model (here a scripted one): its calls become the shard's assistant turns."""
    reader = RunReader(runs["random"])
    ts = read_transitions(reader, 0, STEPS)
    spec = f"scripted:{write_replies(tmp_path / 't.jsonl', [press('LEFT', why='teacher')] * STEPS)}"
    tools = quest_tools()
    _, rows = score_and_relabel(reader, ts, make_prm("expert:quest"), make_teacher(spec), tools, PRMSettings())
    assert rows and all(r.reply.name == "press_buttons" and r.reply.arguments["buttons"] == ["LEFT"] for r in rows)
    assert all(r.messages and r.messages[0].role == "system" for r in rows)  # the student's own prompt
    write_shard(tmp_path / "shard.jsonl", rows, reader, tools, spec)
    lines = read_shard(tmp_path / "shard.jsonl")
    assert len(lines) == len(rows) and lines[0]["teacher"] == spec
    assert json.loads(lines[0]["messages"][-1]["content"])["arguments"]["buttons"] == ["LEFT"]
