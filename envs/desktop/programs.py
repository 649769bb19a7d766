"""The programs a desktop task runs, each behind one small interface the env drives.

`TkProgram` is our Tk app (tkapp.py): it reports its widget tree and data over a socket, so click(ref)
works and success is read from the app. `XeditProgram` is Debian's xedit on a file in a private directory:
no widget tree (the model acts on the screenshot), success is read from the file on disk. xedit can save
under any name the model types, so it runs in a bubblewrap jail (`jailed`): the whole file system read-only
except its task directory, no network, an empty environment but for the display.

Both start fresh on every call to `start` (a task's first step, and every load_state), in a directory
that is wiped first, so a program's state is a function of the input it got since it started.
"""

from __future__ import annotations

import contextlib
import json
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from envs.base import EnvError
from envs.desktop.display import XDisplay
from envs.desktop.tasks import Task

READY_TIMEOUT_S = 30.0  # a program's first window, on a loaded machine
REPLY_TIMEOUT_S = 10.0
TKAPP = Path(__file__).with_name("tkapp.py")


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def jailed(argv: list[str], workdir: Path, xd: XDisplay, bwrap: str | None = None) -> list[str]:
    """`argv` under bubblewrap: / read-only, `workdir` the one writable place (and the home), a private /tmp
    holding only the X socket directory, no network (the X server is reached through its unix socket),
    no environment but DISPLAY, XAUTHORITY, HOME, PATH and LANG; it dies with its parent."""
    bwrap = bwrap or shutil.which("bwrap")
    if bwrap is None:
        raise EnvError("desktop env: bubblewrap is not installed (apt install bubblewrap); xedit runs in it")
    workdir = workdir.resolve()
    auth = ["--ro-bind", str(xd.xauthority), str(xd.xauthority)] if xd.xauthority.exists() else []
    return [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--bind", "/tmp/.X11-unix", "/tmp/.X11-unix", *auth,
            "--bind", str(workdir), str(workdir), "--chdir", str(workdir),
            "--unshare-all", "--die-with-parent", "--clearenv", "--setenv", "DISPLAY", xd.name,
            "--setenv", "XAUTHORITY", str(xd.xauthority), "--setenv", "HOME", str(workdir),
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8", "--", *argv]


def _log_tail(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return f": {lines[-1]}" if lines else ""


class Program:
    """A program on the display for one task (subclasses: TkProgram, XeditProgram)."""

    name = "program"
    # Clicks of separate actions are kept this far apart, so no program sees a double click whatever the pace
    # (Tk: NEARBY_MS 500, NEARBY_PIXELS 5; Xaw's Text: MULTI_CLICK_TIME 500, anywhere in the selection).
    click_gap_s = 0.6
    click_radius: int | None = 5  # ... when they are this near; None: wherever they are
    has_tree = False

    def __init__(self, xd: XDisplay, task: Task, workdir: Path) -> None:
        self.xd, self.task, self.workdir = xd, task, workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        raise NotImplementedError

    def sync(self) -> None:
        """Wait until the program has handled the input the server delivered so far (best effort)."""

    def state(self) -> dict[str, Any]:
        """What success is checked on."""
        return {}

    def lines(self) -> list[str]:
        """The program's part of the text observation."""
        return []

    def focused_ref(self) -> int:
        return 0

    def center_of(self, ref: int) -> tuple[int, int] | str:
        """Where click(ref) clicks, or why it cannot."""
        return f"{self.name} exposes no widget tree: use click_xy(x, y) on the screenshot"

    def stop(self) -> None:
        if self.proc is not None:
            self.xd.kill(self.proc)
        self.proc = None

    def _fresh_dir(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)


class TkProgram(Program):
    """Our Tk app; its widget tree and data come over a socket pair (one JSON object a line)."""

    name = "tkapp"
    has_tree = True

    def __init__(self, xd: XDisplay, task: Task, workdir: Path) -> None:
        super().__init__(xd, task, workdir)
        self._sock: socket.socket | None = None
        self._buf = b""
        self._state: dict[str, Any] = {}

    def start(self) -> None:
        self._fresh_dir()
        ours, theirs = socket.socketpair()
        try:
            self.proc = self.xd.spawn([sys.executable, "-I", str(TKAPP), str(theirs.fileno()),
                                       json.dumps(self.task.config)], cwd=self.workdir, log=self.log,
                                      pass_fds=(theirs.fileno(),))
        finally:
            theirs.close()
        self._sock, self._buf = ours, b""
        self._state = self._reply(READY_TIMEOUT_S, "start")

    def _reply(self, timeout_s: float, what: str) -> dict[str, Any]:
        assert self._sock is not None
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._sock], [], [], left)[0]:
                raise EnvError(f"desktop env: the Tk app did not {what} within {timeout_s:.0f} s"
                               f"{_log_tail(self.log)}")
            chunk = self._sock.recv(1 << 20)
            if not chunk:
                raise EnvError(f"desktop env: the Tk app exited{_log_tail(self.log)}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def sync(self) -> None:
        """Ask for the state: the app first handles every pending event and redraws (see tkapp.py)."""
        if self._sock is None or not self.alive:
            return
        try:
            self._sock.sendall(b'{"op": "state"}\n')
            self._state = self._reply(REPLY_TIMEOUT_S, "answer")
        except (OSError, EnvError):
            assert self.proc is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2)  # the socket closes a moment before the process is gone
            if self.alive:
                raise

    def state(self) -> dict[str, Any]:
        return self._state

    def focused_ref(self) -> int:
        return next((w["ref"] for w in self._state.get("widgets", []) if w.get("focused")), 0)

    def center_of(self, ref: int) -> tuple[int, int] | str:
        for w in self._state.get("widgets", []):
            if w["ref"] == ref:
                return w["x"] + w["w"] // 2, w["y"] + w["h"] // 2
        return f"there is no widget [{ref}] in this window"

    def lines(self) -> list[str]:
        out = []
        for w in self._state.get("widgets", []):
            cls = w["class"]
            label = w.get("text") if cls in ("Label", "Button", "Checkbutton") else w.get("name", "")
            line = f"[{w['ref']}] {cls} {_quote(str(label))}"
            if cls == "Entry":
                line += f" value={_quote(w.get('value', ''))}"
            elif cls == "Checkbutton":
                line += f" checked={'true' if w.get('checked') else 'false'}"
            elif cls == "Listbox":
                items = ", ".join(_quote(i) for i in w.get("items", []))
                line += f" items=[{items}] selected={w.get('selected', [])}"
            line += f" @({w['x']},{w['y']} {w['w']}x{w['h']})"
            out.append(line + (" (focused)" if w.get("focused") else ""))
        return out

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        super().stop()


class XeditProgram(Program):
    """Debian's xedit on the task's file; the observation shows the file as saved on disk."""

    name = "xedit"
    click_radius = None  # Xaw's Text does not look at where the clicks were

    @property
    def path(self) -> Path:
        return self.workdir / self.task.config["file"]

    def start(self) -> None:
        self._fresh_dir()
        self.path.write_text("".join(line + "\n" for line in self.task.config["lines"]))
        binary = shutil.which("xedit")
        if binary is None:
            raise EnvError("desktop env: xedit is not installed (apt install x11-apps)")
        argv = [binary, "-geometry", f"{self.xd.width}x{self.xd.height}+0+0", self.path.name]
        self.proc = self.xd.spawn(jailed(argv, self.workdir, self.xd), cwd=self.workdir, log=self.log)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not any(cls == "Xedit" for _, cls, *_ in self.xd.windows()):
            if not self.alive:
                raise EnvError(f"desktop env: xedit exited at start{_log_tail(self.log)}")
            if time.monotonic() > deadline:
                raise EnvError(f"desktop env: xedit showed no window within {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.01)

    def state(self) -> dict[str, Any]:
        try:
            return {"lines": self.path.read_text(errors="replace").splitlines()}
        except OSError:
            return {"lines": []}

    def lines(self) -> list[str]:
        saved = self.state()["lines"]
        out = [f"xedit exposes no widget tree: act on the screenshot (click_xy, type, press_key). "
               f"File {self.task.config['file']} as saved on disk ({len(saved)} lines):"]
        return out + [f"| {line}" for line in saved[:40]]


PROGRAMS: dict[str, type[Program]] = {"tkapp": TkProgram, "xedit": XeditProgram}
