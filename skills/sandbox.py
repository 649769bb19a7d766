"""Run model-written Python (a code skill) in a bubblewrap sandbox; it reaches the game only through `GameBridge`.

Nothing the skill does can touch the machine it runs on. The sandbox sees `/usr` and the interpreter's standard
library read-only, a fresh empty `/tmp` (its working directory), private `/proc` and `/dev`, and nothing else:
no repo, no home directory, no run directory, no `/etc`. It has no network (its own network namespace), no
environment beyond what Python needs (PYTHONHASHSEED, PYTHONDONTWRITEBYTECODE, LD_LIBRARY_PATH for a libpython
outside /usr), an unprivileged uid with no capabilities, and rlimits on CPU, address space, processes and file
size. A wall-clock timeout SIGKILLs it; it dies with the parent; killing the sandbox's first
process tears down its pid namespace, so nothing the skill started outlives the run.

When the sandbox cannot start, `sandbox_problem()` says why in one line and `run_code` refuses: code never
runs unconfined as a fallback.

The skill is a function `run(game, args)` (the entry name is configurable). In the sandbox `game` is a proxy
whose methods are JSON-line calls over the child's stdin/stdout to this process, which calls the caller's
`GameBridge` (the runtime steps the real env there, counts presses and logs sub-steps) and enforces the press
and call caps. The skill's own output (print, stderr, subprocesses) goes to a separate pipe and is truncated.
The in-sandbox half is `skills/_runner.py`.

Running as root, the sandbox uses no user namespace (it would map the sandbox to host root, which the kernel
exempts from RLIMIT_NPROC): bubblewrap builds the mounts as root and the runner drops to `nobody` before it
reads the skill; RLIMIT_NPROC then counts every process of `nobody` on the host, so sandboxes running at the
same time share `max_procs`. Otherwise bubblewrap runs unprivileged in a new user namespace (which a skill
cannot nest) and the limit counts the sandbox's processes only.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

RUNNER = Path(__file__).with_name("_runner.py")
NOBODY = 65534
MAX_VALUE_CHARS = 1000
MAX_TRACEBACK_CHARS = 2000
MAX_ERROR_CHARS = 400
MAX_CODE_CHARS = 100_000
MAX_RPC_LINE = 1 << 20  # a longer line from the sandbox is a protocol violation
EXIT_GRACE_S = 2.0  # after the result, how long the sandbox may take to exit before it is killed

LimitName = Literal["cpu", "wall", "memory", "output", "presses", "calls", "procs", "file_size"]
CHILD_LIMITS = {"memory", "procs", "file_size", "presses", "calls"}  # what the runner may report


class Limits(BaseModel):
    """What one skill run may use."""

    model_config = ConfigDict(frozen=True)

    cpu_s: float = Field(5.0, gt=0, description="CPU seconds (RLIMIT_CPU, per process; rounded up)")
    wall_s: float = Field(10.0, gt=0, description="wall-clock seconds, not counting time spent in game calls")
    memory_mb: int = Field(512, ge=64, description="address space per process in MiB (RLIMIT_AS)")
    max_procs: int = Field(32, ge=2, description="processes of the sandbox's uid (RLIMIT_NPROC), runner included")
    max_file_mb: int = Field(8, ge=1, description="largest file the skill may write, MiB (RLIMIT_FSIZE)")
    tmp_mb: int = Field(32, ge=1, description="size of the sandbox's /tmp (a tmpfs, so host memory)")
    max_output_chars: int = Field(4000, ge=0, description="printed output kept; the rest is cut")
    max_presses: int = Field(200, ge=0, description="buttons pressed per run (press(['A', 'B']) counts 2)")
    max_calls: int = Field(500, ge=0, description="game API calls per run, refused ones included")
    max_wait_frames: int = Field(600, ge=0, description="largest frame count one wait() may ask for")


DEFAULT_LIMITS = Limits()


class SandboxResult(BaseModel):
    """The outcome of one skill run."""

    ok: bool
    value: Any = Field(None, description="run()'s return value (JSON); its JSON text cut to 1000 chars if longer")
    stdout: str = Field("", description="what the skill printed, cut to max_output_chars")
    error: str | None = Field(None, description="one line: why the run failed")
    traceback: str = Field("", description="the skill's own frames only, at most 2000 chars")
    presses: int = 0
    calls: int = 0
    wall_s: float = 0.0
    limit_hit: LimitName | None = None
    exit_code: int | None = Field(None, description="bubblewrap's exit status (negative: killed by that signal)")


class GameBridge(Protocol):
    """The game as the parent process serves it to a skill; implemented by the caller (the runtime)."""

    def press(self, buttons: list[str]) -> dict: ...

    def state(self) -> dict: ...

    def text_map(self) -> str: ...

    def wait(self, frames: int) -> None: ...


# --------------------------------------------------------------------------------------------------
# Checks that run no code
# --------------------------------------------------------------------------------------------------


def _syntax_error(code: str) -> str | None:
    try:
        compile(code, "<skill>", "exec", dont_inherit=True)  # compiling executes nothing
    except SyntaxError as e:
        return f"SyntaxError: {e.msg} (line {e.lineno})"
    except (ValueError, RecursionError, MemoryError) as e:  # NUL bytes, absurd nesting
        return f"{type(e).__name__}: {e}"
    return None


def check_code(code: str, entry: str = "run") -> str | None:
    """One line saying what is wrong with a skill's source, or None: it must compile and define a top-level
    `def <entry>(game, args)`."""
    if len(code) > MAX_CODE_CHARS:
        return f"the skill is {len(code)} characters long; at most {MAX_CODE_CHARS}"
    problem = _syntax_error(code)
    if problem:
        return problem
    tree = ast.parse(code)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry), None)
    if fn is None:
        async_fn = any(isinstance(n, ast.AsyncFunctionDef) and n.name == entry for n in tree.body)
        return f"`{entry}` must be a plain function" if async_fn else f"no top-level `def {entry}(game, args)`"
    a = fn.args
    positional = a.posonlyargs + a.args
    required = len(positional) - len(a.defaults)
    kw_required = [k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None]
    if (len(positional) < 2 and a.vararg is None) or required > 2 or kw_required:
        return f"`{entry}` must take (game, args), got ({ast.unparse(a)})"
    return None


# --------------------------------------------------------------------------------------------------
# The sandbox command
# --------------------------------------------------------------------------------------------------


def _interpreter() -> tuple[list[str], dict[str, str], str]:
    """bwrap arguments that bind the interpreter, the environment it needs, and its path inside.

    The venv's python is a link to a base interpreter; the skill gets only the standard library, so the base
    one is run with -s -S (no site-packages) and the venv is not bound at all. An interpreter outside /usr is
    bound at /python (its libpython found through LD_LIBRARY_PATH) so the host path, e.g. /root/.pyenv/...,
    is not visible; its site-packages is covered by an empty read-only tmpfs."""
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    if prefix == "/usr" or prefix.startswith("/usr/"):
        return [], {}, exe
    lib = os.path.join(prefix, "lib")
    site = f"/python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    args = ["--dir", "/python", "--dir", "/python/bin",  # 0755: parents bwrap makes itself are 0700, root's
            "--ro-bind", lib, "/python/lib", "--ro-bind", exe, "/python/bin/python3"]
    if os.path.isdir(lib + site.removeprefix("/python/lib")):
        args += ["--tmpfs", site, "--remount-ro", site]
    return args, {"LD_LIBRARY_PATH": "/python/lib"}, "/python/bin/python3"


def _root_links() -> list[str]:
    """/bin, /lib, /lib64 ... as the host has them: symlinks into /usr (merged /usr) or read-only binds."""
    out: list[str] = []
    for path in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(path):
            out += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            out += ["--ro-bind", path, path]
    return out


def _command(bwrap: str, limits: Limits, info_fd: int) -> list[str]:
    as_root = os.geteuid() == 0
    if as_root:  # no user namespace: the runner drops to NOBODY (with these two capabilities, then none)
        isolation = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                     "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        isolation = ["--unshare-all", "--unshare-user", "--disable-userns"]
    interp_args, env, python = _interpreter()
    env |= {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    config = {"uid": NOBODY if as_root else None, "cpu_s": math.ceil(limits.cpu_s), "memory_mb": limits.memory_mb,
              "max_procs": limits.max_procs, "max_file_mb": limits.max_file_mb}
    return [
        bwrap, *isolation, "--die-with-parent", "--new-session", "--clearenv", "--info-fd", str(info_fd),
        *[a for k, v in env.items() for a in ("--setenv", k, v)],
        "--ro-bind", "/usr", "/usr", *_root_links(), *interp_args,
        "--ro-bind", str(RUNNER), "/runner.py",
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp",
        "--remount-ro", "/dev", "--remount-ro", "/",  # only /tmp is writable (and bounded)
        "--chdir", "/tmp",
        "--", python, "-s", "-S", "-B", "-P", "-u", "/runner.py", json.dumps(config),
    ]


# --------------------------------------------------------------------------------------------------
# Parent side of one run
# --------------------------------------------------------------------------------------------------


class _ProtocolError(Exception):
    """The sandbox sent something that is not the protocol."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _buttons(args: list[Any]) -> list[str]:
    buttons = args[0] if len(args) == 1 else None
    if isinstance(buttons, str):
        buttons = [buttons]
    if not isinstance(buttons, list) or not all(isinstance(b, str) for b in buttons):
        raise ValueError("press() takes a button name or a list of button names")
    return buttons


class _Run:
    """The parent's bookkeeping for one sandbox run: game calls, caps, output."""

    def __init__(self, game: GameBridge | None, limits: Limits) -> None:
        self.game, self.limits = game, limits
        self.presses = self.calls = 0
        self.limit_hit: LimitName | None = None  # presses / calls, as refused here
        self.bridge_s = 0.0  # time spent in the bridge: not the skill's wall-clock time
        self.done: dict[str, Any] | None = None
        self.rpc = bytearray()
        self.output = bytearray()
        self.output_cut = 0  # bytes dropped past the cap

    def add_output(self, data: bytes) -> None:
        room = max(0, self.limits.max_output_chars * 4 + 4 - len(self.output))  # chars are at most 4 bytes
        self.output += data[:room]
        self.output_cut += len(data) - min(room, len(data))

    def stdout(self) -> tuple[str, bool]:
        text = self.output.decode("utf-8", "replace")
        cap = self.limits.max_output_chars
        if len(text) <= cap and not self.output_cut:
            return text, False
        return text[:cap] + f"\n[... output cut at {cap} characters]", True

    def add_rpc(self, data: bytes) -> list[bytes]:
        """Feed bytes from the RPC pipe; returns the reply lines to send."""
        self.rpc += data
        replies = []
        while (nl := self.rpc.find(b"\n")) >= 0:
            line, self.rpc = bytes(self.rpc[:nl]), self.rpc[nl + 1:]
            reply = self.message(line)
            if reply is not None:
                replies.append(reply)
        if len(self.rpc) > MAX_RPC_LINE:
            raise _ProtocolError("a message longer than 1 MiB")
        return replies

    def message(self, line: bytes) -> bytes | None:
        if self.done is not None:
            raise _ProtocolError("a message after the result")
        try:
            msg = json.loads(line)
        except ValueError:
            raise _ProtocolError("a message that is not JSON") from None
        if not isinstance(msg, dict) or msg.get("t") not in ("call", "done"):
            raise _ProtocolError("a message of unknown type")
        if msg["t"] == "done":
            self.done = msg
            return None
        t0 = time.monotonic()
        try:
            reply = self.call(msg.get("m"), msg.get("a"))
        finally:
            self.bridge_s += time.monotonic() - t0
        return (json.dumps(reply, default=str) + "\n").encode()

    def refuse(self, error: str, limit: LimitName | None = None) -> dict[str, Any]:
        if limit:
            self.limit_hit = limit
        return {"ok": False, "error": error, "limit": limit}

    def call(self, method: Any, args: Any) -> dict[str, Any]:
        self.calls += 1
        lim = self.limits
        if self.calls > lim.max_calls:
            return self.refuse(f"game call cap reached: {lim.max_calls} calls per run", "calls")
        if self.game is None:
            return self.refuse("no game is attached to this run")
        if not isinstance(args, list):
            return self.refuse("malformed game call")
        try:
            if method == "press":
                buttons = _buttons(args)
                if self.presses + len(buttons) > lim.max_presses:
                    return self.refuse(f"press cap reached: {self.presses} of {lim.max_presses} buttons pressed, "
                                       f"{len(buttons)} more asked", "presses")
                result: Any = self.game.press(buttons)
                self.presses += len(buttons)
            elif method in ("state", "text_map") and not args:
                result = getattr(self.game, method)()
            elif method == "wait" and len(args) == 1:
                frames = args[0]
                if not isinstance(frames, int) or isinstance(frames, bool) or not 0 <= frames <= lim.max_wait_frames:
                    raise ValueError(f"wait() takes a frame count from 0 to {lim.max_wait_frames}")
                result = self.game.wait(frames)
            else:
                return self.refuse(f"no game call {method!r} with {len(args)} argument(s)")
        except Exception as e:  # the env's trouble goes back to the skill as an exception there
            return self.refuse(_cut(f"{method} failed: {type(e).__name__}: {e}", MAX_ERROR_CHARS))
        return {"ok": True, "r": result}


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _kill(proc: subprocess.Popen[bytes], sandbox_pid: int | None, *, group: bool = False) -> None:
    """SIGKILL the sandbox's first process, pid 1 of its pid namespace: the kernel then kills every process in
    the sandbox, and bubblewrap, seeing its child die, exits and reaps it (no zombie left for a container's
    init that does not reap). With `group`, or while that pid is unknown, also SIGKILL bubblewrap's own
    process group (the sandbox then dies through --die-with-parent)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sandbox_pid and _parent_of(sandbox_pid) == proc.pid:  # still bubblewrap's child, not a reused pid
            os.kill(sandbox_pid, signal.SIGKILL)
        else:
            group = True
        if group:
            os.killpg(proc.pid, signal.SIGKILL)


class _Pipes:
    """The pipes to bubblewrap (stdin/stdout: RPC; stderr: the skill's output; --info-fd: the sandbox's pid),
    served without blocking: replies go out as the sandbox reads them, so a skill that stops reading cannot
    stall the parent past the wall-clock limit."""

    def __init__(self, proc: subprocess.Popen[bytes], info_fd: int, first: bytes) -> None:
        assert proc.stdin and proc.stdout and proc.stderr
        self.files = (proc.stdin, proc.stdout, proc.stderr, os.fdopen(info_fd, "rb", buffering=0))
        self.stdin = proc.stdin.fileno()
        self.outbox = bytearray(first)  # the job line, then replies
        self.info = bytearray()
        self.sandbox_pid: int | None = None  # the host pid of the sandbox's pid 1
        self.draining = False  # after the run: output is still read, game calls are no longer served
        self.sel = selectors.DefaultSelector()
        for f in self.files:
            os.set_blocking(f.fileno(), False)
        self.sel.register(self.stdin, selectors.EVENT_WRITE, "in")
        self.sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "rpc")
        self.sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "out")
        self.sel.register(info_fd, selectors.EVENT_READ, "info")

    @property
    def open(self) -> bool:
        return bool(self.sel.get_map())

    def pump(self, run: _Run, timeout: float) -> bool:
        """One select round. Returns False once the RPC pipe is closed (the sandbox is gone)."""
        alive = True
        for key, _ in self.sel.select(max(0.0, timeout)):
            if key.data == "in":
                self._send()
                continue
            try:
                data = os.read(key.fd, 1 << 16)
            except BlockingIOError:
                continue
            if not data:
                self.sel.unregister(key.fd)
                alive = alive and key.data != "rpc"
                if key.data == "info":
                    self._read_info()
            elif key.data == "out":
                run.add_output(data)
            elif key.data == "rpc" and self.draining:
                continue
            elif key.data == "info":
                self.info += data[: 4096 - len(self.info)]
            elif replies := run.add_rpc(data):
                if not self.outbox:
                    self.sel.register(self.stdin, selectors.EVENT_WRITE, "in")
                self.outbox += b"".join(replies)
        return alive

    def _read_info(self) -> None:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            pid = json.loads(self.info).get("child-pid")
            self.sandbox_pid = pid if isinstance(pid, int) and pid > 1 else None

    def _send(self) -> None:
        try:
            del self.outbox[: os.write(self.stdin, self.outbox)]
        except BlockingIOError:
            return
        except OSError:  # the sandbox closed its end: replies no longer matter
            self.outbox.clear()
        if not self.outbox:
            self.sel.unregister(self.stdin)

    def close(self) -> None:
        self.sel.close()
        for f in self.files:
            with contextlib.suppress(OSError):
                f.close()


def _wait(proc: subprocess.Popen[bytes], pipes: _Pipes, run: _Run, deadline: float) -> tuple[int, float] | None:
    """Wait for bubblewrap to exit (serving its pipes) until `deadline`; (wait status, CPU seconds) or None."""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
            return status, usage.ru_utime + usage.ru_stime
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if pipes.open:
            pipes.pump(run, min(left, 0.05))
        else:
            time.sleep(min(left, 0.02))


def _run(code: str, args: dict, game: GameBridge | None, limits: Limits, entry: str, bwrap: str) -> SandboxResult:
    t0 = time.monotonic()
    run = _Run(game, limits)
    job = (json.dumps({"code": code, "args": args, "entry": entry}) + "\n").encode()
    info_r, info_w = os.pipe()
    try:
        proc = subprocess.Popen(_command(bwrap, limits, info_w), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, bufsize=0, env={}, start_new_session=True,
                                pass_fds=(info_w,))
    except BaseException:
        os.close(info_r)
        raise
    finally:
        os.close(info_w)
    pipes = _Pipes(proc, info_r, job)
    killed_for: str | None = None
    protocol_error: str | None = None
    served = False  # the skill finished or the sandbox exited, rather than something going wrong here
    try:
        alive = True
        while alive and run.done is None:
            left = t0 + limits.wall_s + run.bridge_s - time.monotonic()
            if left <= 0:
                killed_for = "wall"
                break
            alive = pipes.pump(run, left)
        served = killed_for is None
    except _ProtocolError as e:
        protocol_error = str(e)
    finally:
        pipes.draining = True
        if not served:
            _kill(proc, pipes.sandbox_pid)  # also on an exception here (Ctrl-C, a bridge bug)
        waited = _wait(proc, pipes, run, time.monotonic() + EXIT_GRACE_S)
        if waited is None:  # the result came but the sandbox lingers (threads, children), or bwrap hangs
            _kill(proc, pipes.sandbox_pid, group=True)
            waited = _wait(proc, pipes, run, time.monotonic() + 10.0)
        end = time.monotonic() + 0.5
        while pipes.open and time.monotonic() < end:  # the last output; the pipe closes when all are dead
            pipes.pump(run, end - time.monotonic())
        pipes.close()
    status, cpu_used = waited if waited else (None, 0.0)
    return _result(run, limits, killed_for, protocol_error, status, cpu_used, time.monotonic() - t0)


def _result(run: _Run, limits: Limits, killed_for: str | None, protocol_error: str | None, status: int | None,
            cpu_used: float, wall: float) -> SandboxResult:
    stdout, output_cut = run.stdout()
    exit_code = os.waitstatus_to_exitcode(status) if status is not None else None
    base = {"stdout": stdout, "presses": run.presses, "calls": run.calls, "wall_s": round(wall, 3),
            "exit_code": exit_code}
    done = run.done
    ok, value, error, tb, limit = False, None, None, "", None
    if killed_for == "wall":
        error, limit = f"the skill ran past its {limits.wall_s:g} s wall-clock limit and was killed", "wall"
    elif protocol_error:
        error = f"the sandbox broke the protocol ({protocol_error}) and was killed"
    elif done is not None:
        ok = done.get("ok") is True
        value = done.get("value") if ok else None
        text = json.dumps(value)
        if len(text) > MAX_VALUE_CHARS + 20:
            value = text[:MAX_VALUE_CHARS] + "...[truncated]"
        if not ok:
            error = _cut(str(done.get("error") or "the skill failed"), MAX_ERROR_CHARS)
            tb = _cut(str(done.get("traceback") or ""), MAX_TRACEBACK_CHARS)
            limit = done.get("limit") if done.get("limit") in CHILD_LIMITS else None
    elif exit_code == 128 + signal.SIGXCPU or (exit_code == 128 + signal.SIGKILL and cpu_used >= limits.cpu_s):
        error, limit = f"the skill used more than {limits.cpu_s:g} s of CPU time and was killed", "cpu"
    else:
        last = next((ln for ln in reversed(stdout.splitlines()) if ln.strip()), "")
        error = _cut(f"the sandbox exited with code {exit_code} before the skill finished"
                     + (f": {last.strip()}" if last else ""), MAX_ERROR_CHARS)
    limit = limit if limit in ("wall", "cpu") else run.limit_hit or limit or ("output" if output_cut else None)
    return SandboxResult(ok=ok, value=value, error=error, traceback=tb, limit_hit=limit, **base)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------

_PROBE = """
import os
def run(game, args):
    assert os.getuid() != 0, "the sandbox runs as root"
    assert not os.path.exists("/etc") and not os.environ.get("HOME"), "the sandbox sees the host"
    return "ok"
"""


@functools.cache
def sandbox_problem() -> str | None:
    """None when a sandbox can start here; else one line saying why not (checked once by running one)."""
    if not sys.platform.startswith("linux"):
        return "code skills need Linux: the sandbox is bubblewrap"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (apt-get install -y bubblewrap): code skills cannot run"
    try:
        result = _run(_PROBE, {}, None, Limits(wall_s=30), "run", bwrap)
    except OSError as e:
        return f"the bubblewrap sandbox cannot start here: {e}"
    if result.ok and result.value == "ok":
        return None
    return f"the bubblewrap sandbox cannot start here: {result.error}"


def run_code(code: str, args: dict, game: GameBridge | None = None, limits: Limits = DEFAULT_LIMITS,
             entry: str = "run") -> SandboxResult:
    """Run the skill `code`'s `entry(game, args)` in the sandbox. Never raises for anything the skill does;
    refuses (ok=False) when the code does not check out or the sandbox cannot start here."""
    problem = check_code(code, entry)
    if problem is None:
        try:
            json.dumps(args)
        except (TypeError, ValueError) as e:
            problem = f"args are not JSON-serialisable: {e}"
    if problem is None:
        problem = sandbox_problem()
    if problem is not None:
        return SandboxResult(ok=False, error=problem)
    return _run(code, args, game, limits, entry, shutil.which("bwrap") or "bwrap")
