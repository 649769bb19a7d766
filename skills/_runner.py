"""The half of skills/sandbox.py that runs INSIDE the bubblewrap sandbox: standard library only, no repo imports.

Started as `python -s -S -B -P -u /runner.py '<config json>'`. Before it reads a byte of the skill it (1) drops
to an unprivileged uid when the sandbox was started by root (the kernel exempts root from RLIMIT_NPROC, so a
fork bomb would not be contained), (2) sets the resource limits (RLIMIT_NPROC here, not in the parent: set
inside the sandbox's user or pid namespace it counts only the sandbox's processes), (3) moves the RPC pipes off
fds 0/1 so `print`, `os.write(1, ...)` and any subprocess write to the output pipe (fd 2), never into the RPC.

Then it reads one JSON line {"code", "args", "entry"}, runs `entry(game, args)` and writes one JSON line
{"t": "done", ...}. `game` is a proxy: each method is one JSON-line call to the parent, which steps the real
env, enforces the press and call caps and answers {"ok": true, "r": ...} or {"ok": false, "error", "limit"}.
Nothing here is a security boundary (the skill can read and forge anything in this process): bubblewrap, the
uid and the rlimits are; the parent trusts no message from here beyond what it says about the skill itself.
"""

import errno
import json
import linecache
import os
import resource
import sys
import threading
import traceback

SKILL_FILE = "<skill>"
MAX_TRACEBACK = 2000
MAX_VALUE = 1000
MAX_ERROR = 300


class GameCallError(Exception):
    """A game call the parent refused (over a cap, bad arguments) or that failed in the env."""

    def __init__(self, message, limit=None):
        super().__init__(message)
        self.limit = limit


class Game:
    """What a skill sees as `game`: press / state / text_map / wait, each a call to the parent."""

    def __init__(self, rfile, wfd, pid):
        self._rfile, self._wfd, self._pid = rfile, wfd, pid
        self._lock = threading.Lock()

    def press(self, buttons):
        """Press one button ("A") or several in order (["UP", "A"]); returns the env's result dict."""
        return self._call("press", buttons)

    def state(self):
        """The game state as a dict."""
        return self._call("state")

    def text_map(self):
        """The current screen as a text map."""
        return self._call("text_map")

    def wait(self, frames):
        """Let `frames` frames pass without pressing anything."""
        self._call("wait", frames)

    def _call(self, method, *args):
        if os.getpid() != self._pid:
            raise GameCallError("game calls are only allowed from the skill's own process")
        line = (json.dumps({"t": "call", "m": method, "a": list(args)}) + "\n").encode()
        with self._lock:
            _write_all(self._wfd, line)
            reply = self._rfile.readline()
        if not reply:
            raise GameCallError("the game connection is closed")
        reply = json.loads(reply)
        if not reply.get("ok"):
            raise GameCallError(reply.get("error") or "game call failed", reply.get("limit"))
        return reply.get("r")


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def drop_privileges(uid):
    """root -> `uid` (and its gid), then make sure no capability is left."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    with open("/proc/self/status") as f:
        caps = [line.split()[1] for line in f if line.startswith(("CapEff:", "CapPrm:"))]
    if os.getuid() != uid or any(int(c, 16) for c in caps):
        raise SystemExit("sandbox: could not drop privileges")


def set_limits(cfg):
    cpu = int(cfg["cpu_s"])
    limits = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),  # soft: SIGXCPU; hard: SIGKILL if the skill ignores SIGXCPU
        resource.RLIMIT_AS: (cfg["memory_mb"] << 20,) * 2,
        resource.RLIMIT_NPROC: (cfg["max_procs"],) * 2,
        resource.RLIMIT_FSIZE: (cfg["max_file_mb"] << 20,) * 2,
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)
    os.nice(10)  # the harness and the env stay responsive while a skill spins


def take_rpc_fds():
    """Move the RPC pipes off 0/1: fd 0 becomes /dev/null, fd 1 the output pipe (same as fd 2)."""
    rpc_in, rpc_out = os.dup(0), os.dup(1)  # dup'd fds are not inherited by exec'd programs
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return os.fdopen(rpc_in, "rb"), rpc_out


def limit_of(e):
    """Which limit an exception that ended the skill came from, if any."""
    if isinstance(e, MemoryError):
        return "memory"
    if isinstance(e, GameCallError):
        return e.limit
    if isinstance(e, OSError):
        if e.errno in (errno.EFBIG, errno.ENOSPC, errno.EDQUOT):
            return "file_size"
        if e.errno == errno.EAGAIN:  # fork/clone over RLIMIT_NPROC
            return "procs"
    return None


def format_error(e):
    """One line for the model, and a traceback with the skill's frames only."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == SKILL_FILE]
    first = (str(e).splitlines() or [""])[0]
    error = f"{type(e).__name__}: {first}" if first else type(e).__name__
    if len(error) > MAX_ERROR:
        error = error[: MAX_ERROR - 3] + "..."
    if frames:
        error += f" (skill line {frames[-1].lineno})"
    text = "Traceback (skill frames only):\n" + "".join(traceback.format_list(frames))
    text += "".join(traceback.format_exception_only(type(e), e))
    if len(text) > MAX_TRACEBACK:
        text = "..." + text[-(MAX_TRACEBACK - 3):]
    return error, text


def run_skill(code, args, entry, game):
    linecache.cache[SKILL_FILE] = (len(code), None, code.splitlines(True), SKILL_FILE)  # source in tracebacks
    namespace = {"__name__": "skill"}
    exec(compile(code, SKILL_FILE, "exec"), namespace)
    fn = namespace.get(entry)
    if not callable(fn):
        raise NameError(f"the skill defines no function {entry!r}")
    value = fn(game, args)
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{entry}() returned a value that is not JSON-serialisable: {e}") from None
    return value if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "...[truncated]"


def main():
    cfg = json.loads(sys.argv[1])
    if cfg.get("uid") is not None:
        drop_privileges(cfg["uid"])
    set_limits(cfg)
    rfile, wfd = take_rpc_fds()
    pid = os.getpid()
    job = json.loads(rfile.readline())
    try:
        value = run_skill(job["code"], job["args"], job["entry"], Game(rfile, wfd, pid))
        done = {"t": "done", "ok": True, "value": value}
    except BaseException as e:  # SystemExit, KeyboardInterrupt from a skill are its errors too
        if os.getpid() != pid:
            os._exit(1)  # a process the skill forked: only the skill's own process reports
        error, text = format_error(e)
        done = {"t": "done", "ok": False, "error": error, "traceback": text, "limit": limit_of(e)}
    if os.getpid() != pid:
        os._exit(0)
    sys.stdout.flush()
    _write_all(wfd, (json.dumps(done) + "\n").encode())
    os._exit(0)  # threads the skill left running do not keep the sandbox alive


if __name__ == "__main__":
    main()
