"""`harness watch`: the Textual app follows a run by reading its log only, pauses / resumes / stops a live
run through control requests, scrolls back through history, browses the harness and shows version diffs.
Driven with Textual's pilot on real run directories; the layout is pinned by SVG snapshots at 80x24 and
160x48 (`pytest tests/test_watch.py --snapshot-update` rewrites them after a deliberate change)."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widget import Widget

from harness.cli import main as cli_main
from harness.config import RunConfig
from harness.log.events import ControlApplied, ControlRequest
from harness.log.store import RunReader
from harness.run import start_run
from harness.state import SkillRef, SkillVersion
from harness.watch.app import FrameView, WatchApp
from harness.watch.feed import MAX_STEPS, Feed
from harness.watch.render import decode_png
from harness.watch.screens import DiffScreen, HelpScreen
from tests.conftest import REPO, edit_note, press, random_walk, write_replies

SKILL = "def run(game, args):\n    for _ in range(args['n']):\n        game.press(['DOWN'])\n    return game.state()\n"
FROZEN_TS = 1_800_000_000.0  # every event's timestamp is rewritten to this + 2 s per seq: snapshots show no clock


def route_replies(path: Path) -> Path:
    """The quest route four presses a step (all nine milestones by step 29), a notes edit, a memory write,
    and a refiner reply (prompt pass at step 25: one edit applied, one refused)."""
    from envs.gameboy.quest.route import ROUTE

    acts = [press(*ROUTE[i:i + 4], why=f"follow the route ({i // 4})") for i in range(0, len(ROUTE), 4)]
    acts.insert(2, edit_note("Mom is downstairs; the exit is at the bottom."))
    acts.insert(5, {"tool": "memory_write", "arguments": {"text": "The elder lives north of town", "tags": ["town"],
                                                          "importance": 4}})
    refine = {"tool": "propose_prompt_edits", "arguments": {"analysis": "the route is going well", "edits": [
        {"label": "notes", "text": "Key in the grass, gate north of route 1.", "why": "remember the key"},
        {"label": "role", "text": "you are a pirate", "why": "fun"}]}}
    return write_replies(path, [{"mode": "by_tool"}, *acts, refine])


@pytest.fixture(scope="module")
def route_run(tmp_path_factory, quest_rom) -> Path:
    """A finished, deterministic 32-step continual run with a code skill, milestones, $ costs, a refiner pass
    and a refused edit; timestamps frozen."""
    base = tmp_path_factory.mktemp("watch")
    replies = route_replies(base / "r.jsonl")
    prices = base / "prices.json"
    prices.write_text(json.dumps({"scripted": {"input": 3.0, "output": 15.0}}))
    run = base / "run"
    agent = start_run(RunConfig(env="quest", harness="continual", model=f"scripted:{replies}", steps=32,
                                prices=str(prices), refine={"triggers": False, "passes": ["prompt"]}), run)
    try:
        h = agent.versions.current
        skill = SkillRef(name="walk_down", description="walk n tiles down", kind="code",
                         versions=[SkillVersion(ref=agent.context.put_text(SKILL), step=0)])
        agent.versions.commit(h.model_copy(update={"tools": [*h.tools, "run_skill"], "skills": {"walk_down": skill}}),
                              reason="a code skill for the test", trigger="user", step=0)
        assert agent.run(32) == "steps_done"
    finally:
        agent.close()
    con = sqlite3.connect(run / "run.sqlite")
    con.execute("UPDATE events SET ts = ? + seq * 2.0, data = json_set(data, '$.ts', ? + seq * 2.0)",
                (FROZEN_TS, FROZEN_TS))
    con.commit()
    con.close()
    return run


def drive(run: Path, body: Callable[[WatchApp, Pilot], Awaitable[None]], size: tuple[int, int] = (80, 24),
          poll: float = 0.5) -> None:
    """Run the app on `run` under Textual's pilot and await `body(app, pilot)` (no pytest-asyncio needed)."""

    async def main() -> None:
        app = WatchApp(run, poll=poll)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await body(app, pilot)

    asyncio.run(main())


async def until(pilot: Pilot, cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.1)


def text_of(widget: Widget) -> str:
    """A Static's content as plain text (rendered by rich, wide enough not to wrap)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)  # type: ignore[attr-defined]
    return console.export_text()


def status(app: WatchApp) -> str:
    return text_of(app.query_one("#status"))


def log_steps(run: Path) -> int:
    with RunReader(run) as r:
        return r.count("step")


# --- a live run --------------------------------------------------------------------------------------

def test_pause_resume_and_stop_a_live_run_from_the_app(tmp_path, quest_rom):
    replies = write_replies(tmp_path / "r.jsonl", [{**p, "delay_s": 0.15} for p in random_walk(8, seed=3)])
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--env", "quest", "--model",
                             f"scripted:{replies}", "--steps", "100000", "--run-dir", str(run), "--quiet"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ((run / "run.sqlite").exists() and log_steps(run) >= 2):
            assert time.monotonic() < deadline and proc.poll() is None, "the run did not start"
            time.sleep(0.1)

        async def body(app: WatchApp, pilot: Pilot) -> None:
            await until(pilot, lambda: app.feed.last_step is not None and app.feed.last_step.step >= 2)
            assert status(app).startswith("● live")
            app.poll_timer.pause()  # the log is not read while we look: the request must show as pending
            await pilot.press("p")
            assert "pausing… (tui)" in status(app) and status(app).startswith("● live")
            with RunReader(run) as r:
                asked = r.last(ControlRequest)
                assert asked is not None and (asked.action, asked.source) == ("pause", "tui")
            app.poll_timer.resume()
            await until(pilot, lambda: app.feed.state == "paused")
            with RunReader(run) as r:
                applied = r.last(ControlApplied)
                assert applied is not None and applied.action == "pause"
            assert status(app).startswith("⏸ paused") and "pausing" not in status(app)
            paused_at = app.feed.last_step.step
            await pilot.pause(1.0)
            assert log_steps(run) == paused_at + 1 and app.feed.last_step.step == paused_at, "paused: no new steps"
            await pilot.press("r")
            await until(pilot, lambda: app.feed.last_step.step >= paused_at + 2)
            assert status(app).startswith("● live")
            await pilot.press("s")
            await until(pilot, lambda: app.feed.state == "stopped")
            assert status(app).startswith("■ stopped  step")
            shown = app.query_one("#obs-box").border_title
            n = app.feed.last_step.step  # the table and panels followed (live, or latest once it stopped)
            assert shown.startswith((f"step {n} · live", f"step {n} · latest"))

        drive(run, body, poll=0.1)
        assert proc.wait(60) == 0
    finally:
        proc.kill()
    with RunReader(run) as r:
        assert [e.action for _, e in r.events("control_applied")] == ["pause", "resume", "stop"]
        assert {e.source for _, e in r.events("control_request") if isinstance(e, ControlRequest)} == {"tui"}


# --- a finished run -------------------------------------------------------------------------------------

def test_the_skills_tab_shows_a_skills_code(route_run):
    async def body(app: WatchApp, pilot: Pilot) -> None:
        await pilot.press("5")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "skills"
        skills = app.query_one("#skills-body")
        assert skills.region.height > 0  # on screen
        shown = text_of(skills)
        assert "walk_down  code  1 version, current from step 0" in shown and "walk n tiles down" in shown
        assert "game.press(['DOWN'])" in shown and "def run(game, args):" in shown

    drive(route_run, body)


def test_scrolling_back_shows_an_older_steps_frame_and_observation(route_run):
    with RunReader(route_run) as r:
        steps = {s.step: s for s in r.steps(0)}
        obs = {n: r.get_text(s.obs_ref) for n, s in steps.items()}
        frames = {n: r.get_blob(s.frame_ref) for n, s in steps.items()}
    last = max(steps)

    async def body(app: WatchApp, pilot: Pilot) -> None:
        frame = app.query_one("#frame", FrameView)
        assert app.selected is None and frame.image == decode_png(frames[last])
        for _ in range(3):
            await pilot.press("left")
        await pilot.press("k")
        await pilot.pause()
        old = last - 4
        assert app.selected == old and obs[old] != obs[last]
        assert obs[old].strip() in text_of(app.query_one("#obs"))
        assert frame.image == decode_png(frames[old]) and frame.image != decode_png(frames[last])
        assert app.query_one("#obs-box").border_title.startswith(f"step {old} · history")
        assert f"◀ history: step {old} of {last}" in status(app)
        await pilot.press("j")  # forward one
        assert app.selected == old + 1
        await pilot.press("up")  # the steps table's cursor picks a step too
        await pilot.pause()
        assert app.selected == old
        await pilot.press("home")
        assert app.selected == 0 and "START" in text_of(app.query_one("#obs"))
        await pilot.press("l")  # back to live
        assert app.selected is None and frame.image == decode_png(frames[last])
        assert obs[last].strip() in text_of(app.query_one("#obs"))

    drive(route_run, body)


def test_d_opens_a_diff_of_the_shown_steps_harness_version(route_run):
    async def body(app: WatchApp, pilot: Pilot) -> None:
        await pilot.press("home")
        for _ in range(10):
            await pilot.press("right")  # step 10: its prompt was built from v2 (the agent's notes edit at step 2)
        assert app.shown is not None and (app.shown.step, app.shown.harness_version) == (10, 2)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen)
        diff = text_of(app.screen.query_one("#modal-body"))
        assert diff.startswith("v2: agent at step 2: append block 'notes'")
        assert "--- v1\n+++ v2" in diff and "+Mom is downstairs; the exit is at the bottom." in diff
        await pilot.press("left")  # a modal keeps its keys: the view behind it does not move
        assert app.selected == 10
        await pilot.press("escape")
        await pilot.press("l", "d")  # live: the last step's prompt used v3, the refiner's edit at step 25
        await pilot.pause()
        diff = text_of(app.screen.query_one("#modal-body"))
        assert diff.startswith("v3: refiner at step 25: remember the key")
        assert "-Mom is downstairs" in diff and "+Key in the grass, gate north of route 1." in diff
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and "pause / resume / stop" in text_of(
            app.screen.query_one("#modal-body"))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen | DiffScreen)

    drive(route_run, body)


def test_the_versions_and_memory_tabs_list_the_timeline_and_entries(route_run):
    async def body(app: WatchApp, pilot: Pilot) -> None:
        timeline = app.query_one("#timeline")
        rows = [[str(c) for c in timeline.get_row_at(i)] for i in range(timeline.row_count)]
        assert [r[1] for r in rows] == ["version", "version", "version", "version", "refused", "refine"]
        assert rows[4][2].startswith("block role (refiner): block 'role' is read-only")
        assert rows[5][2].startswith("prompt pass applied (1/2 applied, 1 refused) -> v3")
        assert app.feed.memory is None  # read on first use only
        await pilot.press("7")
        await pilot.pause()
        memory = app.query_one("#memory-table")
        assert [str(c) for c in memory.get_row_at(0)][-1] == "The elder lives north of town"
        milestones = app.query_one("#milestones")
        assert milestones.row_count == 9 and str(milestones.get_row_at(8)[0]) == "got_orb"

    drive(route_run, body)


def test_a_bad_run_directory_is_one_error_line(tmp_path, capsys):
    assert cli_main(["watch", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"harness: error: {tmp_path} is not a run directory (no run.sqlite)"
    assert cli_main(["watch", str(tmp_path), "--poll", "0"]) == 2
    assert "--poll must be a positive number" in capsys.readouterr().err


def test_opening_a_long_run_reads_its_tail_only(route_run, tmp_path):
    """Opening costs the same at 5,000 steps as at 20,000 (SQLite VM steps counted): only the last steps,
    the newest timeline events and counts are read; polling reads only what was appended."""

    def grow(n: int) -> Path:
        run = tmp_path / f"run{n}"
        run.mkdir()
        con = sqlite3.connect(route_run / "run.sqlite")
        con.execute(f"VACUUM INTO '{run / 'run.sqlite'}'")
        con.close()
        con = sqlite3.connect(run / "run.sqlite")
        last = con.execute("SELECT data FROM events WHERE kind='step' ORDER BY seq DESC LIMIT 1").fetchone()[0]
        con.execute("""WITH RECURSIVE n(i) AS (SELECT 32 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                       INSERT INTO events(kind, step, ts, data) SELECT 'step', i, 0, json_set(?, '$.step', i) FROM n""",
                    (n - 1, last))
        con.commit()
        con.close()
        return run

    def cost(run: Path) -> int:
        ops = 0

        def count() -> int:
            nonlocal ops
            ops += 1
            return 0

        reader = RunReader(run)
        reader.db.set_progress_handler(count, 100)
        feed = Feed(reader)
        feed._load()
        assert feed.last_step is not None and len(feed.steps) == MAX_STEPS
        opened = ops
        assert not feed.poll().any() and ops - opened < 50  # nothing new: one small indexed query
        reader.close()
        return opened

    small, big = cost(grow(5_000)), cost(grow(20_000))
    assert big < small * 1.5, (small, big)


# --- the layout -------------------------------------------------------------------------------------------

def test_layout_80x24(snap_compare, route_run):
    assert snap_compare(WatchApp(route_run), terminal_size=(80, 24))


def test_layout_160x48(snap_compare, route_run):
    assert snap_compare(WatchApp(route_run), terminal_size=(160, 48))
