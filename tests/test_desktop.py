"""The desktop env (envs/desktop): real programs (our Tk app, Debian's xedit) on our own Xvfb.

A scripted solver that reads only the text observation plays a Tk task and an xedit task, success read
from the programs' state; the checker proves save/load replays to the same text and pixels (also in a
fresh env); every process the env starts is gone after close() and when its parent is SIGKILLed; a real
`harness run` with a scripted model records the task milestones.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envs.base import EnvError, parse_task_milestone
from envs.checker import check_env
from envs.desktop import DesktopEnv, Task, make_task
from envs.desktop.env import sweep_stale_workdirs
from envs.registry import make_env
from tests.conftest import REPO, harness_cli, inspect_json, write_replies

needs_x = pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xedit") is None,
                             reason="needs Xvfb and xedit (apt-get install xvfb x11-apps)")

LINE = re.compile(r'^\[(\d+)\] (\w+) "((?:[^"\\]|\\.)*)"(.*)$')
# Refs of our Tk app's widgets (its layout is fixed; test_solver_reads_refs_from_the_text checks these).
NAME, SAVE, NEW_ITEM, ADD, FIRST_CHECK = 3, 9, 14, 15, 6
XEDIT_TEXT = (320, 400)  # below the file's last line: a click there puts the cursor at the end


def widgets(text: str) -> dict[str, tuple[int, str, str]]:
    """label -> (ref, class, rest of the line), from the text observation."""
    out = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out[m.group(3)] = (int(m.group(1)), m.group(2), m.group(4))
    return out


def act(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def solve(text: str) -> list[dict[str, Any]]:
    """The actions that solve the task on screen, from the text observation only."""
    task = text.splitlines()[0]
    (target,) = re.findall(r"'([^']*)'", task)
    w = widgets(text)
    if "(tk-name" in task:
        return [act("click", ref=w["Name"][0]), act("type", text=target), act("click", ref=w["Save"][0])]
    if "(tk-checkbox" in task:
        return [act("click", ref=w[target][0]), act("click", ref=w["Save"][0])]
    if "(tk-todo" in task:
        return [act("click", ref=w["New item"][0]), act("type", text=target), act("click", ref=w["Add"][0])]
    assert "(xedit-line" in task
    return [act("click_xy", x=XEDIT_TEXT[0], y=XEDIT_TEXT[1]), act("type", text=target),
            act("press_key", key="ctrl+x ctrl+s")]


def plan(task: Task) -> list[dict[str, Any]]:
    """The same solution from the task alone (for a scripted model file written before the run)."""
    if task.type == "tk-name":
        return [act("click", ref=NAME), act("type", text=task.target), act("click", ref=SAVE)]
    if task.type == "tk-checkbox":
        return [act("click", ref=FIRST_CHECK + list(task.config["checks"]).index(task.target)),
                act("click", ref=SAVE)]
    if task.type == "tk-todo":
        return [act("click", ref=NEW_ITEM), act("type", text=task.target), act("click", ref=ADD)]
    return [act("click_xy", x=XEDIT_TEXT[0], y=XEDIT_TEXT[1]), act("type", text=task.target),
            act("press_key", key="ctrl+x ctrl+s")]


def gone(pid: int) -> bool:
    """The process no longer exists (a zombie still counts as there: nobody reaped it)."""
    return not Path(f"/proc/{pid}").exists()


def wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


@pytest.fixture
def env() -> Any:
    e = DesktopEnv(seed=0)
    yield e
    e.close()


# -- the contract ---------------------------------------------------------------------------------------


@needs_x
def test_checker_passes_on_the_tk_app_with_a_fresh_env() -> None:
    env = make_env("desktop", tasks=["tk-name", "tk-checkbox"])
    try:
        check_env(env, seed=0, steps=8, fresh=lambda: make_env("desktop", tasks=["tk-name", "tk-checkbox"]))
    finally:
        env.close()


@needs_x
@pytest.mark.slow
def test_checker_passes_on_xedit_with_a_fresh_env() -> None:
    env = DesktopEnv(tasks=["xedit-line"], frames=True)
    try:
        check_env(env, seed=1, steps=8, fresh=lambda: DesktopEnv(tasks=["xedit-line"]))
    finally:
        env.close()


# -- solving tasks, success read from the programs --------------------------------------------------------


@needs_x
def test_solver_plays_a_tk_task_and_an_xedit_task(env: DesktopEnv) -> None:
    assert [make_task(0, i).type for i in range(4)] == ["tk-name", "tk-todo", "tk-checkbox", "xedit-line"]
    obs, info = env.reset(seed=0)
    assert obs["frame"].shape == (480, 640, 3) and obs["frame"].dtype == np.uint8
    assert env.observation_space.contains(obs)
    assert obs["text"].startswith("Task 1 (tk-name, action 0 of 20): Type '")
    assert 'Window "Settings" (Tkapp) @(0,0 640x480)' in obs["text"]
    assert info["progress"].where == (0, 0) and info["progress"].milestones == []
    # Task 1 (Tk): the app reports its widgets; the solver's refs are the app's fixed layout.
    w = widgets(obs["text"])
    assert (w["Name"][0], w["Save"][0], w["New item"][0], w["Add"][0]) == (NAME, SAVE, NEW_ITEM, ADD)
    task = make_task(0, 0)
    steps = solve(obs["text"])
    assert steps == plan(task)
    obs, reward, _, _, info = env.step(steps[0])
    assert info["progress"].where == (0, NAME) and '[3] Entry "Name" value="" @' in obs["text"]
    assert obs["text"].splitlines()[w["Name"][0] + 1].endswith("(focused)")
    obs, reward, _, _, info = env.step(steps[1])
    assert f'[3] Entry "Name" value="{task.target}"' in obs["text"] and reward == 0.0
    assert env._program.state()["saved"]["name"] == ""  # typed, not saved: not done yet
    obs, reward, _, _, info = env.step(steps[2])  # Save: the app's saved state holds the name
    assert reward == 1.0 and info["progress"].milestones == [
        "task:0000:tk-name:success:1.00", "solved_1", "solved_tk-name"]
    assert "Message: Task 1 done: success. Next task." in obs["text"]
    assert obs["text"].startswith("Task 2 (tk-todo, action 0 of 20)") and info["game"]["solved"] == 1
    # Tasks 2 and 3 (Tk), then task 4 on xedit: success is the line in the file on disk.
    for i in (1, 2):
        for a in solve(obs["text"]):
            obs, reward, _, _, info = env.step(a)
        assert reward == 1.0 and info["progress"].milestones[0] == f"task:000{i}:{make_task(0, i).type}:success:1.00"
    assert obs["text"].startswith("Task 4 (xedit-line") and 'Window "xedit" (Xedit)' in obs["text"]
    task = make_task(0, 3)
    path = env._program.path
    assert path.read_text() == "".join(line + "\n" for line in task.config["lines"])
    click, typing, save = solve(obs["text"])
    env.step(click)
    obs, reward, _, _, info = env.step(typing)
    assert reward == 0.0 and task.target not in path.read_text()  # typed in xedit, not saved
    assert f"| {task.target}" not in obs["text"]
    obs, reward, _, _, info = env.step(save)
    assert info["action_cost"] == 2 and reward == 1.0  # two key combos
    assert "task:0003:xedit-line:success:1.00" in info["progress"].milestones
    assert info["game"] == {"task": 4, "type": make_task(0, 4).type, "solved": 4, "failed": 0, "actions": 0}


@needs_x
def test_tasks_fail_on_the_step_limit_and_when_the_program_exits() -> None:
    env = DesktopEnv(tasks=["xedit-line", "tk-todo"], seed=3, max_task_steps=2)
    try:
        obs, _ = env.reset()
        first = make_task(3, 0, ("xedit-line", "tk-todo"))
        env.step(act("press_key", key="Tab"))
        obs, reward, _, _, info = env.step(None)  # waiting costs nothing and counts for nothing
        assert info["action_cost"] == 0 and info["game"]["actions"] == 1
        obs, reward, _, _, info = env.step(act("click", ref=42))
        assert reward == 0.0 and info["progress"].milestones == [f"task:0000:{first.type}:fail:0.00"]
        assert "Message: Task 1 failed: not done within 2 actions. Next task." in obs["text"]
        # xedit's Quit button (top left) on an unchanged file quits: the task ends, failed.
        while not obs["text"].startswith(f"Task {info['game']['task'] + 1} (xedit-line"):
            obs, _, _, _, info = env.step(act("press_key", key="Tab"))
        index = info["game"]["task"]
        obs, reward, _, _, info = env.step(act("click_xy", x=12, y=9))
        assert info["progress"].milestones[0] == f"task:{index:04d}:xedit-line:fail:0.00"
        assert "failed: the program exited" in obs["text"] and info["game"]["failed"] >= 2
    finally:
        env.close()


@needs_x
def test_actions_answer_in_the_observation_or_raise_on_bad_schema(env: DesktopEnv) -> None:
    env.reset(seed=0)
    obs, _, _, _, info = env.step(act("click", ref=99))
    assert "Message: there is no widget [99] in this window" in obs["text"] and info["action_cost"] == 1
    obs, *_ = env.step(act("click_xy", x=700, y=10))
    assert "Message: (700, 10) is off the screen (640x480)" in obs["text"]
    obs, _, _, _, info = env.step(act("click", ref=NAME, double=True))
    assert info["action_cost"] == 2
    obs, *_ = env.step(act("type", text="Zoë!\n"))  # accents stripped; '\n' is Enter
    assert '[3] Entry "Name" value="Zoe!"' in obs["text"]
    obs, _, _, _, info = env.step(act("press_key", key="BackSpace shift+Tab"))
    assert '[3] Entry "Name" value="Zoe"' in obs["text"] and info["action_cost"] == 2
    obs, _, _, _, info = env.step(5)  # the legacy int action clicks that ref
    assert info["progress"].where == (0, 5) and obs["text"].splitlines()[6].endswith("(focused)")
    for bad, pattern in [(act("press_key", key="Hyper+q"), "unknown modifier"),
                         (act("press_key", key="NoSuchKey"), "unknown key 'NoSuchKey'"),
                         (act("press_key", key=""), "1 to 8 keys"),
                         (act("click", ref=0), "greater than or equal to 1"),
                         (act("type", text="x" * 201), "at most 200"),
                         (act("scroll", dy=1), "offers click, click_xy, type, press_key")]:
        with pytest.raises(ValueError, match=pattern):
            env.step(bad)


@needs_x
def test_save_load_restarts_the_program_and_replays(env: DesktopEnv) -> None:
    env.reset(seed=0)
    env.step(act("click", ref=NAME))
    env.step(act("type", text="Grace"))
    blob = env.save_state()
    state = json.loads(blob)
    assert state["format"] == "desktop/1" and state["task"] == 0 and len(state["actions"]) == 2
    saved = env.step(None)
    pid = env._program.pid
    env.step(act("click", ref=SAVE))  # solves? only if the name is right: it is not
    env.step(act("type", text="more"))
    obs, info = env.load_state(blob)
    assert env._program.pid != pid and gone(pid)  # a fresh program, the old one killed and reaped
    assert obs["text"] == saved[0]["text"] and np.array_equal(obs["frame"], saved[0]["frame"])
    assert info["progress"] == saved[4]["progress"] and info["game"] == saved[4]["game"]
    other = DesktopEnv(tasks=["xedit-line"], seed=9, frames=False)
    try:
        other.reset()
        obs2, _ = other.load_state(blob)  # the seed and the task types travel with the state
        assert obs2["text"] == saved[0]["text"] and obs2["frame"] is None
        assert other.seed == 0 and other.types == env.types
    finally:
        other.close()
    for garbage in (b"", b"{}", b"[1]", b'{"format": "desktop/1"}', b"\xff",
                    json.dumps({**state, "types": ["nope"]}).encode(),
                    json.dumps({**state, "actions": [{"name": "fly", "arguments": {}}]}).encode()):
        with pytest.raises(ValueError, match="not a desktop env state"):
            env.load_state(garbage)


# -- processes and errors ----------------------------------------------------------------------------------


@needs_x
def test_close_leaves_no_process_and_no_file() -> None:
    env = DesktopEnv(tasks=["xedit-line", "tk-name"])
    env.reset()
    pids = env.pids()
    display = env.display_name
    workdir = env._workdir
    env.step(act("press_key", key="Tab"))
    env.load_state(env.save_state())  # restarts the program: the old one must not linger
    pids += env.pids()
    assert len(set(pids)) == 3 and all(not gone(p) for p in env.pids())
    env.close()
    assert wait_gone(pids) == []
    assert not workdir.exists()
    assert not Path(f"/tmp/.X11-unix/X{display[1:]}").exists() and not Path(f"/tmp/.X{display[1:]}-lock").exists()
    env.close()  # twice is fine


_ORPHAN = """
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from envs.desktop import DesktopEnv
env = DesktopEnv(tasks=[sys.argv[2]])
env.reset()
print(env._workdir, " ".join(map(str, env.pids())), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit: only the kernel can clean up now
"""


@needs_x
@pytest.mark.parametrize("task", ["tk-todo", "xedit-line"])
def test_a_killed_parent_takes_its_display_and_programs_along(task: str) -> None:
    proc = subprocess.run([sys.executable, "-c", _ORPHAN, str(REPO), task], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    workdir, *pids = proc.stdout.split()
    assert len(pids) == 2 and Path(workdir).is_dir()
    assert wait_gone([int(p) for p in pids]) == []  # the kernel signalled Xvfb and the program
    assert Path(workdir) in sweep_stale_workdirs() and not Path(workdir).exists()  # the next env's sweep


def test_no_display_server_is_one_line() -> None:
    before = set(Path(tempfile.gettempdir()).glob("desktop-env-*"))
    with pytest.raises(EnvError) as e:
        DesktopEnv(xvfb="/nonexistent/Xvfb")
    assert str(e.value) == ("desktop env: no display server available: '/nonexistent/Xvfb' is not installed "
                            "(apt install xvfb, or pass display=':N' to use a running X server)")
    with pytest.raises(EnvError, match=r"^desktop env: no display server available: false exited with code 1$"):
        DesktopEnv(xvfb="false")
    assert set(Path(tempfile.gettempdir()).glob("desktop-env-*")) <= before  # no private directory left behind


def test_unknown_task_is_one_line() -> None:
    with pytest.raises(EnvError) as e:
        make_env("desktop", tasks=["tk-name", "fly-to-the-moon"])
    assert str(e.value) == ("desktop env: unknown task 'fly-to-the-moon'; known: tk-name, tk-checkbox, tk-todo, "
                            "xedit-line")
    with pytest.raises(EnvError, match="no task given"):
        DesktopEnv(tasks=[])


def test_seeded_stream_is_balanced_and_reproducible() -> None:
    a = [make_task(5, i) for i in range(12)]
    assert a == [make_task(5, i) for i in range(12)] and a != [make_task(6, i) for i in range(12)]
    for block in range(3):
        assert sorted(t.type for t in a[4 * block: 4 * block + 4]) == sorted(
            ["tk-name", "tk-checkbox", "tk-todo", "xedit-line"])
    only = [make_task(5, i, ("tk-todo",)).type for i in range(5)]
    assert only == ["tk-todo"] * 5


# -- through the real loop ---------------------------------------------------------------------------------


@needs_x
@pytest.mark.slow
def test_harness_run_with_a_scripted_model_records_task_milestones(tmp_path: Path) -> None:
    types = ("tk-name", "tk-todo", "tk-checkbox", "xedit-line")
    script = [{"tool": a["name"], "arguments": {**a["arguments"], "reasoning": "plan"}}
              for i in range(4) for a in plan(make_task(0, i, types))]
    replies = write_replies(tmp_path / "desktop.jsonl", script)
    run = tmp_path / "run"
    harness_cli("run", "--env", "desktop", "--tasks", ",".join(types), "--harness", "continual", "--no-refine",
                "--model", f"scripted:{replies}", "--steps", str(len(script)), "--run-dir", str(run), "--quiet")
    s = inspect_json(run)
    assert (s["env"], s["status"], s["steps"], s["format_failures"]) == ("desktop", "done", len(script), 0)
    tasks = [parse_task_milestone(m["name"]) for m in s["milestones"]]
    assert [t for t in tasks if t] == [(i, types[i], True, 1.0) for i in range(4)]
    assert {"solved_1", "solved_xedit-line"} <= {m["name"] for m in s["milestones"]}
    assert s["tasks"]["all"] == {"tasks": 4, "successes": 4, "success_rate": 1.0, "mean_reward": 1.0}


@needs_x
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_xedit_jail_writes_only_its_task_directory(tmp_path) -> None:
    """What xedit could be made to do (save under any typed path) done by a shell in the same jail."""
    from envs.desktop.display import XDisplay
    from envs.desktop.programs import jailed

    (REPO / "runs").mkdir(exist_ok=True)
    keep = Path(tempfile.mkdtemp(dir=REPO / "runs", prefix="jail-"))  # not under /tmp, which the jail replaces
    outside, in_tmp = keep / "outside.txt", tmp_path / "outside.txt"
    for f in (outside, in_tmp):
        f.write_text("keep")
    task = tmp_path / "task"
    task.mkdir()
    xd = XDisplay(tmp_path)
    try:
        script = (f"echo new > {outside} 2>/dev/null && echo WROTE-OUTSIDE; echo new > {in_tmp} 2>/dev/null; "
                  "echo ok > inside.txt; env | sort | tr '\\n' ' '; xdpyinfo >/dev/null 2>&1 && echo X-OK")
        out = subprocess.run(jailed(["/bin/sh", "-c", script], task, xd), capture_output=True, text=True,
                             timeout=30, cwd=task)
    finally:
        xd.close()
        real = outside.read_text()
        shutil.rmtree(keep)
    assert out.returncode == 0, out.stderr
    assert "WROTE-OUTSIDE" not in out.stdout and real == "keep"  # the file system is read-only
    assert in_tmp.read_text() == "keep"  # /tmp in the jail is its own
    assert (task / "inside.txt").read_text() == "ok\n"
    env = out.stdout.split()
    assert not [v for v in env if v.startswith(("OPENAI", "ANTHROPIC", "VIRTUAL_ENV"))]  # no parent environment
    if shutil.which("xdpyinfo"):
        assert "X-OK" in out.stdout  # the display is still reachable through its unix socket
