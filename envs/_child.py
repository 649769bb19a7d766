"""A server object in a child process we can always kill: the RPC under PyBoy (and later mGBA, the skill sandbox).

Why a child process: native code (an emulator core spinning on a garbage ROM, a skill stuck in a C loop) can
hold no Python-level checkpoint, so neither SIGALRM nor KeyboardInterrupt reach it. The only reliable cure is
a process boundary: every request carries a timeout, and on timeout the child gets SIGKILL and the caller a
`ChildHang` (or the subclass the user asked for).

The child is a fresh interpreter (subprocess, not multiprocessing's "spawn": spawn re-runs the caller's
`__main__`, which breaks scripts without an `if __name__ == "__main__"` guard). It imports the server class
named by "module:Class", builds it with JSON keyword arguments, and serves its `op_<name>` methods:
one request, one reply over a socket pair, each reply tagged with the request number so a reply left over
from an interrupted call is never mistaken for the next one. It asks the kernel to SIGKILL it when the
parent dies, ignores SIGINT (the parent decides what Ctrl-C means), and calls the server's `close()` on
"close" or EOF. Exceptions come back with the child's traceback as a note; ones the parent might not be
able to unpickle come back as RuntimeError.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import multiprocessing.connection
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
import traceback
import weakref
from typing import Any, NoReturn

from envs.base import EnvError

# Exceptions from these modules travel as they are (the parent imports them too); others become RuntimeError.
PORTABLE_ERROR_MODULES: tuple[str, ...] = ("builtins", "envs.", "pydantic_core")


class ChildHang(EnvError):
    """The child did not answer in time; it has been killed."""


class ChildCrashed(EnvError):
    """The child process died (or never started) while serving a request."""


def import_object(path: str) -> Any:
    """'module:Qual.Name' -> the object (the child cannot unpickle a class defined in a function)."""
    module, _, qualname = path.partition(":")
    if not module or not qualname:
        raise ValueError(f"expected 'module:Name', got {path!r}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def object_path(obj: Any) -> str:
    """The 'module:QualName' of a module-level class or function, for `import_object` in the child."""
    if "<locals>" in obj.__qualname__ or obj.__module__ == "__main__":
        raise ValueError(f"{obj.__qualname__} must be defined at module level in an importable module")
    return f"{obj.__module__}:{obj.__qualname__}"


# --------------------------------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------------------------------


def _portable(e: BaseException) -> BaseException:
    """An exception the parent can unpickle without importing what the child imported."""
    module = type(e).__module__
    ok = any(module == m or (m.endswith(".") and module.startswith(m)) for m in PORTABLE_ERROR_MODULES)
    if ok:
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:
            ok = False
    out = e if ok else RuntimeError(f"{type(e).__name__}: {e}")
    return out.with_traceback(None)


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL us when the parent dies, even mid-hang (best effort)."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _close_server(server: Any) -> None:
    close = getattr(server, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


def child_main(fd: int, server_path: str, kwargs_json: str) -> None:
    """Serve requests on the socket `fd` until 'close' or EOF (the body of the child interpreter)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = multiprocessing.connection.Connection(fd)
    try:
        server = import_object(server_path)(**json.loads(kwargs_json))
    except Exception as e:
        conn.send((0, "err", (_portable(e), traceback.format_exc(limit=8))))
        return
    conn.send((0, "ok", os.getpid()))
    while True:
        try:
            seq, op, args = conn.recv()
        except (EOFError, OSError):
            break  # parent went away
        if op == "close":
            _close_server(server)
            with contextlib.suppress(OSError):
                conn.send((seq, "ok", None))
            return
        try:
            method = getattr(server, "op_" + op, None)
            if method is None:
                raise AttributeError(f"{type(server).__name__} has no operation {op!r}")
            conn.send((seq, "ok", method(*args)))
        except Exception as e:
            conn.send((seq, "err", (_portable(e), traceback.format_exc(limit=8))))
    _close_server(server)


# sys.path is handed over so the child imports what the parent imports.
_CHILD_CODE = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[2]); "
    "from envs._child import child_main; child_main(int(sys.argv[1]), sys.argv[3], sys.argv[4])"
)


# --------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL (a hung native loop ignores everything gentler) and reap."""
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


class ChildProcess:
    """One server object living in a killable child process.

    `call(op, *args)` runs `server.op_<op>(*args)` in the child and returns its result (arguments and
    results are pickled). A call that takes longer than its timeout kills the child and raises
    `hang_error`; a child that dies raises `crash_error`. After either, `start()` begins a fresh child.
    Messages start with `label` (e.g. the ROM's file name) so the user sees what was being run.
    """

    def __init__(
        self,
        server: str,
        kwargs: dict[str, Any] | None = None,
        *,
        name: str = "child",
        timeout_s: float = 10.0,
        start_timeout_s: float = 60.0,
        hang_error: type[ChildHang] = ChildHang,
        crash_error: type[ChildCrashed] = ChildCrashed,
        hang_hint: str = "",
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.server = server
        self.kwargs_json = json.dumps(kwargs or {})
        self.name = name
        self.label = name
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s  # interpreter start + imports: not the server's fault
        self.hang_error, self.crash_error, self.hang_hint = hang_error, crash_error, hang_hint
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._seq = itertools.count(1)
        self._finalizer: weakref.finalize | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid while we hold one (None after close, a hang or a crash)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start a fresh child (killing any current one); raises `crash_error` if it cannot start."""
        self.kill()
        ours, theirs = socket.socketpair()
        path = [p or os.getcwd() for p in sys.path]
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(theirs.fileno()), json.dumps(path), self.server,
                 self.kwargs_json],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # keep a TUI's terminal clean; stderr stays for crash reports
            )
        finally:
            theirs.close()  # the child holds its own copy; closing ours makes a dead child read as EOF
        conn = multiprocessing.connection.Connection(ours.detach())
        self._proc, self._conn = proc, conn
        self._finalizer = weakref.finalize(self, _kill, proc)
        if not conn.poll(self.start_timeout_s):
            self.kill()
            raise self.crash_error(f"{self.name} process did not start within {self.start_timeout_s:.0f} s")
        try:
            _, status, payload = conn.recv()
        except (EOFError, OSError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            code = proc.returncode
            self.kill()
            raise self.crash_error(f"{self.name} process died while starting (exit code {code})") from None
        if status != "ok":
            self.kill()
            err, child_tb = payload
            raise self.crash_error(f"{self.name} process cannot build its server {self.server}: {err}") from None

    def ensure_started(self) -> None:
        if not self.alive:
            self.start()

    def kill(self) -> None:
        """SIGKILL the child (if any) and forget it."""
        if self._finalizer is not None:
            self._finalizer()  # runs _kill once
            self._finalizer = None
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        """`server.op_<op>(*args)` in the child, waiting at most `timeout` (default `timeout_s`) seconds."""
        if self._conn is None or self._proc is None:
            raise RuntimeError(f"{self.name} process is not running")
        timeout = self.timeout_s if timeout is None else timeout
        seq = next(self._seq)
        try:
            self._conn.send((seq, op, args))
        except OSError:  # BrokenPipeError included
            self._died(op)
        deadline = time.monotonic() + timeout
        while True:  # replies to other numbers belong to calls interrupted in the parent: skip them
            left = deadline - time.monotonic()
            if left <= 0 or not self._conn.poll(left):
                self.kill()
                hint = f" ({self.hang_hint})" if self.hang_hint else ""
                raise self.hang_error(
                    f"{self.label}: {self.name} did not answer {op!r} within {timeout:.1f} s{hint}; "
                    "child process killed"
                )
            try:
                got, status, payload = self._conn.recv()
            except (EOFError, OSError):
                self._died(op)
            if got == seq:
                break
        if status == "ok":
            return payload
        err, child_tb = payload
        err.add_note(f"in the {self.name} child process:\n{child_tb}")
        raise err

    def _died(self, op: str) -> NoReturn:
        code = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(2)
            code = self._proc.returncode
        self.kill()
        raise self.crash_error(f"{self.label}: {self.name} process died during {op!r} (exit code {code})")

    def close(self, timeout: float = 2.0) -> None:
        """Ask the server to close, then make sure the child is gone. Safe to call twice."""
        if self._conn is not None and self.alive:
            with contextlib.suppress(EnvError, RuntimeError, OSError):
                self.call("close", timeout=timeout)
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout)
        self.kill()

    def __enter__(self) -> ChildProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
