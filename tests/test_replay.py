"""`harness replay`: the step listing, GIF / MP4 export and --verify on a real short scripted quest run,
and --verify catching a tampered log at exactly the step that was changed."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

from harness import replay
from harness.cli import main as cli
from harness.config import RunConfig
from harness.log.events import Step, Totals
from harness.log.store import DB_NAME, RunReader
from harness.run import start_run
from tests.conftest import harness_cli, press, random_walk, write_replies

STEPS = 30


def record(root: Path, steps: int, **cfg: object) -> Path:
    replies = write_replies(root / "r.jsonl", [{"mode": "by_tool"}, *random_walk(steps)])
    run_dir = root / "run"
    agent = start_run(RunConfig(env="quest", model=f"scripted:{replies}", steps=steps, **cfg), run_dir)
    with agent:
        agent.run(steps)
    return run_dir


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, quest_rom) -> Path:
    """30 random-walk steps, a savestate every 10 (after steps 9, 19, 29), frames stored."""
    return record(tmp_path_factory.mktemp("replay"), STEPS, savestate_every=10)


@pytest.fixture
def copy(recorded, tmp_path) -> Path:
    run_dir = tmp_path / "run"
    shutil.copytree(recorded, run_dir)
    return run_dir


def tamper(run_dir: Path, step: int, path: str, value: object) -> None:
    """Rewrite one field of one Step event in place (the log is append-only; this is what a bug or a
    hand edit would do)."""
    with sqlite3.connect(run_dir / DB_NAME) as db:
        db.execute("UPDATE events SET data = json_set(data, ?, json(?)) WHERE kind='step' AND step=?",
                   (path, json.dumps(value), step))


def test_listing_a_range(recorded, capsys):
    assert cli(["replay", str(recorded), "--from", "3", "--to", "12"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [int(line.split()[0]) for line in lines] == list(range(3, 13))
    assert all("press_buttons" in line and "| scripted" in line for line in lines)
    assert any("->" in line for line in lines) and any("(stayed)" in line for line in lines)

    assert cli(["replay", str(recorded), "--from", "27", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["from"], out["to"]) == (27, STEPS - 1) and [s["step"] for s in out["steps"]] == [27, 28, 29]
    assert out["steps"][0]["action"]["name"] == "press_buttons" and out["steps"][0]["label"]

    for args, message in ((["--from", "30"], "--from 30 is outside the run (steps 0..29)"),
                          (["--from", "5", "--to", "40"], "--to 40 is outside steps 5..29"),
                          (["--from", "5", "--to", "4"], "--to 4 is outside steps 5..29")):
        assert cli(["replay", str(recorded), *args]) == 2
        assert capsys.readouterr().err.strip() == f"harness: error: {message}"


def test_step_line_shows_macros_meta_calls_and_milestones():
    ev = Step(step=7, action={"name": "navigate_to", "arguments": {"x": 3, "y": 4}},
              env_actions=[{"name": "press_buttons", "arguments": {"buttons": ["UP"]}}] * 5, reasoning="go\nnorth",
              action_cost=5, where_before=["TOWN", 3, 9], label_before="TOWN (3, 9)", where=["TOWN", 3, 4],
              label="TOWN (3, 4)", obs_ref="o", prompt_ref="p", harness_version=0, totals=Totals(),
              new_milestones=["left_home"], calls=[{"name": "edit_prompt_block", "arguments": {}, "kind": "meta"}])
    assert replay.step_line(ev) == ("     7  [edit_prompt_block] navigate_to 3 4 (5 env actions)  "
                                    "TOWN (3, 9) -> TOWN (3, 4)  5p  ** left_home  | go north")


def test_verify_passes_on_the_recorded_run(recorded):
    out = harness_cli("replay", str(recorded), "--verify").stdout  # the real CLI, in a subprocess
    assert out.startswith(f"verified steps 0..{STEPS - 1}: {STEPS} observations match")
    out = json.loads(harness_cli("replay", str(recorded), "--from", "12", "--to", "20", "--verify", "--json").stdout)
    assert out["ok"] and out["checked"] == 9 and out["mismatch"] is None
    assert (out["savestate_step"], out["replayed_to_start"]) == (9, 2)  # savestate after step 9, then 10 and 11


def test_verify_fails_at_a_tampered_observation_or_frame(copy, capsys):
    with RunReader(copy) as r:
        first = next(r.steps(0, 1))  # the title screen: never seen again in the walk
    tamper(copy, 25, "$.frame_ref", first.frame_ref)
    assert cli(["replay", str(copy), "--from", "20", "--verify", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["mismatch"] == {"step": 25, "what": ["frame"], "diff": ""}
    tamper(copy, 17, "$.obs_ref", first.obs_ref)
    assert cli(["replay", str(copy), "--from", "10", "--verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("MISMATCH at step 17 (after 7 matching steps): observation text")
    assert "--- logged" in out and "+Location: HOME" in out and "-Location: Title screen" in out

    assert cli(["replay", str(copy), "--verify", "--json", "--to", "16"]) == 0  # before the tampered step: fine
    assert json.loads(capsys.readouterr().out)["checked"] == 17
    assert cli(["replay", str(copy), "--verify", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert not out["ok"] and out["checked"] == 17 and out["mismatch"]["step"] == 17
    assert out["mismatch"]["what"] == ["observation text"] and "Title screen" in out["mismatch"]["diff"]


def test_verify_fails_at_a_changed_action(copy, capsys):
    with RunReader(copy) as r:  # a step that moved the player: pressing B there instead leaves it in place
        moved = next(s for s in r.steps(12, STEPS) if s.where != s.where_before)
    tamper(copy, moved.step, "$.action", {"name": "press_buttons", "arguments": {"buttons": ["B"]}})
    assert cli(["replay", str(copy), "--from", "10", "--verify", "--json"]) == 1
    mismatch = json.loads(capsys.readouterr().out)["mismatch"]
    assert mismatch["step"] == moved.step
    assert mismatch["what"] == [f"place after: logged {moved.label}, replayed {moved.label_before}"]


def test_gif_and_mp4_export(recorded, tmp_path, capsys, monkeypatch):
    gif, mp4 = tmp_path / "out" / "seg.gif", tmp_path / "seg.mp4"
    assert cli(["replay", str(recorded), "--from", "5", "--to", "24", "--gif", str(gif), "--mp4", str(mp4)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"wrote {gif}: 20 frames (steps 5..24), 320x310, 8 fps")
    assert out[1].startswith(f"wrote {mp4}: 20 frames (steps 5..24), 320x320, 8 fps")  # padded to the macro block
    with Image.open(gif) as im:
        assert (im.n_frames, im.size, im.info["loop"]) == (20, (320, 310), 0)
        assert im.info["duration"] in (120, 125)  # 1000 / 8 fps, in GIF hundredths
    assert imageio_ffmpeg.count_frames_and_secs(str(mp4))[0] == 20

    monkeypatch.setattr(replay, "GIF_MAX_FRAMES", 10)
    assert cli(["replay", str(recorded), "--gif", str(gif)]) == 2
    assert "30 frames is over the GIF cap of 10" in capsys.readouterr().err


def test_export_without_frames_is_one_error(tmp_path, quest_rom, capsys):
    run_dir = record(tmp_path, 3, store_frames=False)
    assert cli(["replay", str(run_dir), "--gif", str(tmp_path / "x.gif")]) == 2
    assert capsys.readouterr().err.strip() == (f"harness: error: {run_dir} stored no frames (it ran with store_frames "
                                               "off); nothing to export")
    assert not (tmp_path / "x.gif").exists()


def test_macro_steps_and_format_failures_replay(tmp_path, quest_rom, capsys):
    """navigate_to (many env actions in one step), a step with no usable action (time passes), a milestone."""
    nav = {"tool": "navigate_to", "arguments": {"x": 10, "y": 9, "reasoning": "Mom"}}
    junk = {"text": "no tool call here"}
    replies = write_replies(tmp_path / "r.jsonl", [press("START"), nav, junk, junk, junk, *[press("A")] * 4])
    agent = start_run(RunConfig(env="quest", harness="expert", model=f"scripted:{replies}", steps=7), tmp_path / "run")
    with agent:
        agent.run(7)
    assert cli(["replay", str(tmp_path / "run")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "navigate_to 10 9 (" in lines[1] and " env actions)  HOME" in lines[1]
    assert "(no valid action)" in lines[2] and any("** talked_to_mom" in line for line in lines[3:])
    assert cli(["replay", str(tmp_path / "run"), "--verify"]) == 0
    assert capsys.readouterr().out.startswith("verified steps 0..6: 7 observations match")
