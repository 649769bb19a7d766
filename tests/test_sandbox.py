"""The code-skill sandbox, attacked for real: real bubblewrap, real limits, real processes.

Each test has the skill try something it must not manage (or must manage, to prove the skill really ran) and
looks from the host side too: the listener that never accepts, the processes that are gone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from skills import sandbox
from skills.sandbox import Limits, check_code, run_code, sandbox_problem
from tests.conftest import REPO

PROBLEM = sandbox_problem()
if PROBLEM:
    pytest.skip(PROBLEM, allow_module_level=True)

pytestmark = pytest.mark.timeout(60)


class FakeGame:
    """A GameBridge that records what the skill did."""

    def __init__(self) -> None:
        self.pressed: list[str] = []
        self.waited = 0

    def press(self, buttons: list[str]) -> dict:
        self.pressed += buttons
        return {"pressed": buttons, "total": len(self.pressed)}

    def state(self) -> dict:
        return {"map": "PALLET TOWN", "x": 3, "y": len(self.pressed), "party": [{"name": "PIKACHU", "hp": 20}]}

    def text_map(self) -> str:
        return "####\n#@.#\n####"

    def wait(self, frames: int) -> None:
        self.waited += frames


def pids_matching(marker: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains `marker`."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            out.append(int(d.name))
    return out


def children_of(ppid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def uid_process_count(uid: int) -> int:
    n = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                status = (d / "status").read_text()
            except OSError:
                continue
            if f"\nUid:\t{uid}\t" in status and "\nState:\tZ" not in status:
                n += 1
    return n


def sandbox_uid() -> int:
    return sandbox.NOBODY if os.geteuid() == 0 else os.geteuid()


# --------------------------------------------------------------------------------------------------
# The protocol
# --------------------------------------------------------------------------------------------------


def test_a_skill_presses_buttons_reads_state_and_returns_a_value():
    game = FakeGame()
    code = '''
def run(game, args):
    print("start", args["steps"])
    for _ in range(args["steps"]):
        game.press(["UP", "A"])
    game.press("B")
    game.wait(30)
    state = game.state()
    print("at", state["map"])
    return {"y": state["y"], "party": state["party"], "map": game.text_map().splitlines()[1]}
'''
    r = run_code(code, {"steps": 3}, game)
    assert r.ok, r.error
    assert r.value == {"y": 7, "party": [{"name": "PIKACHU", "hp": 20}], "map": "#@.#"}
    assert game.pressed == ["UP", "A"] * 3 + ["B"] and game.waited == 30
    assert r.presses == 7 and r.calls == 7
    assert r.stdout == "start 3\nat PALLET TOWN\n"
    assert r.limit_hit is None and r.error is None and r.exit_code == 0


def test_the_skill_gets_only_the_standard_library_an_empty_tmp_and_no_game_without_a_bridge():
    code = '''
import os, sys
def run(game, args):
    tmp = os.listdir("/tmp")
    try:
        import pydantic
        third_party = "imported"
    except ImportError:
        third_party = "missing"
    open("/tmp/scratch.txt", "w").write("scratch works")
    try:
        game.state()
        call = "answered"
    except Exception as e:
        call = type(e).__name__ + ": " + str(e)
    return {"tmp": tmp, "third_party": third_party, "scratch": open("/tmp/scratch.txt").read(),
            "cwd": os.getcwd(), "call": call, "json": __import__("json").dumps([1])}
'''
    r = run_code(code, {})
    assert r.ok, r.error
    assert r.value["tmp"] == [] and r.value["scratch"] == "scratch works" and r.value["cwd"] == "/tmp"
    assert r.value["third_party"] == "missing" and r.value["json"] == "[1]"
    assert r.value["call"] == "GameCallError: no game is attached to this run"


def test_values_must_be_json_and_long_ones_are_cut():
    r = run_code("def run(game, args):\n    return {1, 2}\n", {})
    assert not r.ok and "JSON" in r.error
    r = run_code("def run(game, args):\n    return 'x' * 5000\n", {})
    assert r.ok and isinstance(r.value, str) and 1000 <= len(r.value) <= 1020 and r.value.endswith("[truncated]")


# --------------------------------------------------------------------------------------------------
# Isolation: network, files, environment
# --------------------------------------------------------------------------------------------------


def test_no_network_not_even_the_hosts_loopback():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = '''
import socket
def run(game, args):
    out = {}
    for host, port in [("127.0.0.1", args["port"]), ("1.1.1.1", 53)]:
        try:
            socket.create_connection((host, port), timeout=2).close()
            out[host] = "connected"
        except OSError as e:
            out[host] = type(e).__name__
    return out
'''
    try:
        r = run_code(code, {"port": port})
        assert r.ok, r.error
        assert "connected" not in r.value.values(), r.value
        assert r.value["127.0.0.1"] == "ConnectionRefusedError"  # a loopback of its own, with nothing on it
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    finally:
        listener.close()


def test_no_host_files_readable_and_nothing_writable_outside_tmp():
    code = '''
import os
def run(game, args):
    out = {}
    for path in args["read"]:
        try:
            if os.path.isdir(path):
                out["read " + path] = "listed " + ",".join(os.listdir(path))
            else:
                out["read " + path] = "read " + open(path).read(40)
        except OSError as e:
            out["read " + path] = type(e).__name__
    for path in args["write"]:
        try:
            with open(path, "w") as f:
                f.write("x")
            out["write " + path] = "written"
        except OSError as e:
            out["write " + path] = type(e).__name__
    return out
'''
    home = os.path.expanduser("~")
    read = ["/etc/passwd", "/etc/hostname", "/root", "/root/.bashrc", home, str(REPO / "README.md"), str(REPO),
            os.getcwd(), "/work", sys.prefix, "/proc/1/root/etc/passwd", "/sys/class/net"]
    write = ["/x", "/usr/x", "/dev/x", "/dev/shm/x", "/runner.py", "/python/x", "/proc/x", str(REPO / "x")]
    r = run_code(code, {"read": read, "write": write})
    assert r.ok, r.error
    leaked = {k: v for k, v in r.value.items() if v.startswith(("listed", "read ", "written"))}
    assert not leaked, leaked
    assert len(r.value) == len(set(read) | set(write))  # every probe ran
    assert not (REPO / "x").exists()


def test_no_environment_from_the_parent(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted")
    code = '''
import os
def run(game, args):
    out = {"env": dict(os.environ)}
    for path in ["/proc/1/environ", "/proc/self/environ", "/proc/1/cmdline"]:
        try:
            text = open(path, "rb").read().decode(errors="replace")
            out[path] = text if "cmdline" not in path else "bwrap" in text
        except OSError as e:
            out[path] = type(e).__name__
    return out
'''
    r = run_code(code, {})
    assert r.ok, r.error
    assert "OPENAI_API_KEY" not in r.value["env"]
    assert set(r.value["env"]) <= {"PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "LD_LIBRARY_PATH", "PWD", "LC_CTYPE"}
    assert "sk-test-planted" not in str(r.value)
    assert r.value["/proc/1/cmdline"] is True  # the probes did read /proc: pid 1 is the sandbox's own


def test_the_skill_has_no_privileges():
    code = '''
import os
def run(game, args):
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    try:
        os.setuid(0)
        setuid = "became root"
    except OSError as e:
        setuid = type(e).__name__
    return {"uid": os.getuid(), "setuid": setuid,
            **{k: status[k].split()[0] for k in ("CapEff", "CapPrm", "CapAmb", "NoNewPrivs")}}
'''
    r = run_code(code, {})
    assert r.ok, r.error
    assert r.value["uid"] != 0 and r.value["setuid"] == "PermissionError"
    assert int(r.value["CapEff"], 16) == int(r.value["CapPrm"], 16) == int(r.value["CapAmb"], 16) == 0
    assert r.value["NoNewPrivs"] == "1"  # setuid programs under /usr cannot raise it either


# --------------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------------


def test_an_endless_loop_is_stopped_by_the_cpu_limit():
    r = run_code("def run(game, args):\n    while True:\n        pass\n", {}, limits=Limits(cpu_s=1, wall_s=6))
    assert not r.ok and r.limit_hit in ("cpu", "wall"), r
    assert r.limit_hit == "cpu" or r.wall_s < 8
    assert r.wall_s < 8


def test_a_skill_that_sleeps_and_ignores_signals_is_stopped_by_the_wall_clock():
    code = '''
import signal, time
def run(game, args):
    for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    time.sleep(60)
'''
    t0 = time.monotonic()
    r = run_code(code, {}, limits=Limits(wall_s=1.0))
    assert not r.ok and r.limit_hit == "wall" and "wall-clock" in r.error
    assert time.monotonic() - t0 < 4


def test_memory_hogs_hit_the_address_space_limit():
    r = run_code("def run(game, args):\n    x = bytearray(2 * 1024**3)\n    return len(x)\n", {})
    assert not r.ok and r.limit_hit == "memory" and r.error.startswith("MemoryError"), r
    code = "def run(game, args):\n    keep = []\n    while True:\n        keep.append(bytearray(8 << 20))\n"
    r = run_code(code, {}, limits=Limits(memory_mb=128))
    assert not r.ok and r.limit_hit == "memory", r


def test_a_fork_bomb_is_contained():
    uid = sandbox_uid()
    before = uid_process_count(uid)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], uid_process_count(uid) - before)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        limits = Limits(wall_s=3, max_procs=16)
        t0 = time.monotonic()
        r = run_code("import os\ndef run(game, args):\n    while True:\n        os.fork()\n", {}, limits=limits)
        assert not r.ok and r.limit_hit == "procs" and "BlockingIOError" in r.error, r
        code = "import os\ndef run(game, args):\n    while True:\n        try:\n            os.fork()\n" \
               "        except OSError:\n            pass\n"
        r2 = run_code(code, {}, limits=limits)  # a bomb that survives the refusals spins until the wall clock
        assert not r2.ok and r2.limit_hit == "wall", r2
        assert time.monotonic() - t0 < 2 * limits.wall_s + 4
    finally:
        stop.set()
        sampler.join()
    assert 3 <= peak[0] <= limits.max_procs, peak  # the bomb did fork, and no further than the limit
    assert subprocess.run(["true"]).returncode == 0  # the host still forks
    assert uid_process_count(uid) <= before  # and nothing of the bomb is left


def test_big_files_hit_the_file_size_limit():
    code = '''
def run(game, args):
    with open("/tmp/big", "wb") as f:
        for _ in range(50):
            f.write(b"x" * (1 << 20))
'''
    r = run_code(code, {})
    assert not r.ok and r.limit_hit == "file_size" and "File too large" in r.error, r
    code = '''
def run(game, args):
    for i in range(10):
        with open(f"/tmp/f{i}", "wb") as f:
            f.write(b"x" * (6 << 20))
'''
    r = run_code(code, {}, limits=Limits(tmp_mb=16))  # many files under the per-file limit fill /tmp instead
    assert not r.ok and r.limit_hit == "file_size" and "No space left" in r.error, r


def test_printed_output_is_cut():
    code = "def run(game, args):\n    for _ in range(1024):\n        print('y' * 1023)\n    return 'done'\n"
    r = run_code(code, {}, limits=Limits(max_output_chars=1000))
    assert r.ok and r.value == "done" and r.limit_hit == "output"
    assert r.stdout.startswith("y" * 1000) and len(r.stdout) < 1100 and "output cut" in r.stdout


def test_the_press_cap_raises_inside_the_skill():
    game = FakeGame()
    code = '''
def run(game, args):
    for i in range(20):
        game.press(["A"])
'''
    r = run_code(code, {}, game, limits=Limits(max_presses=5))
    assert not r.ok and r.limit_hit == "presses" and r.error.startswith("GameCallError: press cap reached")
    assert r.presses == 5 and game.pressed == ["A"] * 5 and r.calls == 6
    assert "game.press" in r.traceback


def test_the_call_cap_holds_even_when_the_skill_swallows_the_refusals():
    code = '''
def run(game, args):
    refused = 0
    for i in range(50):
        try:
            game.state()
        except Exception:
            refused += 1
    return refused
'''
    r = run_code(code, {}, FakeGame(), limits=Limits(max_calls=10))
    assert r.ok and r.value == 40 and r.calls == 50 and r.limit_hit == "calls"


def test_bad_game_calls_are_refused_without_reaching_the_game():
    game = FakeGame()
    code = '''
def run(game, args):
    out = []
    for bad in [lambda: game.press([1, 2]), lambda: game.wait(10**9), lambda: game.wait("x")]:
        try:
            bad()
            out.append("accepted")
        except Exception as e:
            out.append(str(e))
    return out
'''
    r = run_code(code, {}, game)
    assert r.ok and "accepted" not in r.value and game.pressed == [] and game.waited == 0, r.value


def test_time_spent_in_game_calls_does_not_count_against_the_wall_clock():
    class SlowGame(FakeGame):
        def press(self, buttons: list[str]) -> dict:
            time.sleep(0.3)  # a slow env step in the parent
            return super().press(buttons)

    code = "def run(game, args):\n    for _ in range(5):\n        game.press('A')\n    return 'all pressed'\n"
    r = run_code(code, {}, SlowGame(), limits=Limits(wall_s=1.0))
    assert r.ok and r.value == "all pressed" and r.presses == 5 and r.wall_s >= 1.5, r


def test_forged_protocol_messages_end_the_run_not_the_parent():
    code = '''
import os
def run(game, args):
    for fd in range(3, 10):
        try:
            os.write(fd, b"not json\\n")
        except OSError:
            pass
    return game.state()
'''
    r = run_code(code, {}, FakeGame())
    assert not r.ok and "broke the protocol" in r.error and r.exit_code is not None, r


def test_everything_the_skill_started_dies_at_the_timeout():
    marker = f"sandbox-orphan-{uuid.uuid4().hex}"
    code = f'''
import subprocess, sys, time
def run(game, args):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "{marker}"], start_new_session=True)
    time.sleep(60)
'''
    seen = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.extend(pids_matching(marker))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        r = run_code(code, {}, limits=Limits(wall_s=1.5))
    finally:
        done.set()
        watcher.join()
    assert r.limit_hit == "wall"
    assert seen, "the skill's child never started, so the test proves nothing"
    assert pids_matching(marker) == []


def test_the_sandbox_dies_with_its_parent(tmp_path):
    marker = f"sandbox-parent-{uuid.uuid4().hex}"
    skill = (f"import subprocess, sys, time\ndef run(game, args):\n"
             f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{marker}'])\n"
             f"    time.sleep(60)\n")
    script = f"from skills.sandbox import Limits, run_code\nrun_code({skill!r}, {{}}, limits=Limits(wall_s=60))\n"
    (tmp_path / "parent.py").write_text(script)  # not -c: the marker must not be in the parent's command line
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py")], cwd=REPO,
                              env=os.environ | {"PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 15
        while not pids_matching(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pids_matching(marker), "the sandbox never started"
        children = children_of(parent.pid)
        assert children, "no bubblewrap process under the parent"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 2
        while pids_matching(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pids_matching(marker) == []
        for pid in children:  # bubblewrap itself: gone (or a zombie nobody has reaped yet)
            stat = Path(f"/proc/{pid}/stat")
            assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    finally:
        if parent.poll() is None:
            parent.kill()


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


def test_an_exception_comes_back_with_the_skills_own_frames():
    code = '''
def helper(n):
    raise ValueError(f"bad value {n}")

def run(game, args):
    return helper(args["n"])
'''
    r = run_code(code, {"n": 7})
    assert not r.ok and r.limit_hit is None
    assert r.error == "ValueError: bad value 7 (skill line 3)"
    assert 'line 3, in helper' in r.traceback and 'raise ValueError(f"bad value {n}")' in r.traceback
    assert "line 6, in run" in r.traceback and "runner" not in r.traceback


def test_a_deep_traceback_is_cut():
    code = "def ping(n):\n    return pong(n + 1)\n\ndef pong(n):\n    return ping(n + 1)\n\n" \
           "def run(game, args):\n    return ping(0)\n"
    r = run_code(code, {})
    assert not r.ok and r.error.startswith("RecursionError") and len(r.traceback) <= 2000
    assert r.traceback.startswith("...") and "RecursionError" in r.traceback


def test_syntax_errors_are_reported_without_starting_the_sandbox(monkeypatch):
    def no_sandbox(*a, **k):
        raise AssertionError("the sandbox was started")

    monkeypatch.setattr(sandbox.subprocess, "Popen", no_sandbox)
    r = run_code("def run(game, args):\n    x = 1\n    return x +\n", {})
    assert not r.ok and r.error == "SyntaxError: invalid syntax (line 3)" and r.exit_code is None
    r = run_code("def go(game, args):\n    return 1\n", {})
    assert not r.ok and r.error == "no top-level `def run(game, args)`"


def test_check_code():
    assert check_code("def run(game, args):\n    return 1\n") is None
    assert check_code("def run(game, args, extra=3):\n    pass\n") is None
    assert check_code("def act(game, args):\n    pass\n", entry="act") is None
    assert check_code("def run(game):\n    pass\n") == "`run` must take (game, args), got (game)"
    assert check_code("async def run(game, args):\n    pass\n") == "`run` must be a plain function"
    assert check_code("if True:\n    def run(game, args):\n        pass\n") == "no top-level `def run(game, args)`"
    assert check_code("def run(game, args)\n    pass\n").startswith("SyntaxError: ")
    assert check_code("x" * 200_000).startswith("the skill is 200000 characters long")


def test_without_bubblewrap_code_skills_are_refused_not_run_unconfined(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox_problem.cache_clear()
    try:
        problem = sandbox_problem()
        assert problem and "bubblewrap is not installed" in problem
        r = run_code("def run(game, args):\n    return 1\n", {})
        assert not r.ok and r.error == problem and r.value is None
    finally:
        sandbox_problem.cache_clear()
    monkeypatch.undo()
    assert sandbox_problem() is None


def test_startup_overhead_is_small():
    runs = [run_code("def run(game, args):\n    return 1\n", {}) for _ in range(5)]
    assert all(r.ok for r in runs)
    best_ms = min(r.wall_s for r in runs) * 1000
    print(f"sandbox round trip: best {best_ms:.0f} ms of {[round(r.wall_s * 1000) for r in runs]}")
    assert best_ms < 1000
