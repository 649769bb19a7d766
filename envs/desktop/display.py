"""The virtual X display under the desktop env: our own Xvfb, one python-xlib connection, XTEST input,
root-window screenshots, and every process started on it (killed on close, at interpreter exit, on our death).

    with XDisplay(workdir) as xd:                # Xvfb on a free display number (-displayfd), cookie auth
        proc = xd.spawn(["xedit", "notes.txt"], cwd=workdir)
        xd.click(100, 200); xd.type_text("hello"); xd.press_keys(["ctrl+x", "ctrl+s"])
        raw = xd.settle([proc.pid])               # wait until the program is idle and the screen still
        frame = xd.to_rgb(raw)

Cleanup has three layers: `close()` (SIGTERM to Xvfb so it removes its lock and socket, SIGKILL to the
programs); a `weakref.finalize` that does the same at interpreter exit; and PR_SET_PDEATHSIG, so the kernel
signals every child when the process that started it dies (even by SIGKILL). Every child also runs in a
session of its own, so a Ctrl-C at the terminal reaches only the harness, which decides what it means.

Settling: an action's effects are not visible at once (the program reads its X events, redraws, the server
draws). `settle` waits until the program and the server are asleep (/proc state, not R or D) and two grabs of
the screen in a row are equal, which makes observations a function of the actions, not of timing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from envs.base import EnvError

DEFAULT_SIZE: tuple[int, int] = (640, 480)
START_TIMEOUT_S = 30.0  # Xvfb start on a loaded machine
SETTLE_TIMEOUT_S = 5.0
SETTLE_POLL_S = 0.008
MODIFIERS: dict[str, str] = {"ctrl": "Control_L", "control": "Control_L", "shift": "Shift_L", "alt": "Alt_L",
                             "super": "Super_L", "meta": "Meta_L"}
KEY_ALIASES: dict[str, str] = {
    "enter": "Return", "return": "Return", "backspace": "BackSpace", "tab": "Tab", "esc": "Escape",
    "escape": "Escape", "space": "space", "delete": "Delete", "del": "Delete", "up": "Up", "down": "Down",
    "left": "Left", "right": "Right", "home": "Home", "end": "End", "pageup": "Prior", "pagedown": "Next",
    "pgup": "Prior", "pgdn": "Next", "insert": "Insert",
}
_CHAR_KEYSYMS: dict[str, str] = {"\n": "Return", "\t": "Tab", " ": "space"}

_LIBC: Any = None
with contextlib.suppress(OSError):
    _LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _preexec(death_signal: int | None) -> Callable[[], None] | None:
    """In the child before exec: ask the kernel for `death_signal` when our process (thread) dies.

    PR_SET_PDEATHSIG fires when the *thread* that forked exits, so it is only armed from the main thread
    (a worker thread that starts a display and ends would take the display with it); elsewhere the
    finalizer and close() are the cleanup."""
    if death_signal is None or _LIBC is None or threading.current_thread() is not threading.main_thread():
        return None
    libc, parent = _LIBC, os.getpid()

    def arm() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, death_signal)
        if os.getppid() != parent:  # the parent died before prctl: nobody will send the signal
            os.kill(os.getpid(), death_signal)

    return arm


def _stop(procs: list[subprocess.Popen[bytes]], server: list[subprocess.Popen[bytes]],
          paths: list[Path]) -> None:
    """Kill the programs (SIGKILL), then the X server (SIGTERM, so it removes its lock file and socket;
    SIGKILL after 3 s), reap them all and remove our private files. Safe to run twice."""
    for p in procs:
        with contextlib.suppress(OSError):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            p.kill()
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(5)
    procs.clear()
    for p in server:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(5)
    server.clear()
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    paths.clear()


def _xauth_entry(family: int, address: bytes, number: bytes, cookie: bytes) -> bytes:
    """One entry of an Xauthority file (all lengths big-endian shorts)."""
    out = struct.pack(">H", family)
    for part in (address, number, b"MIT-MAGIC-COOKIE-1", cookie):
        out += struct.pack(">H", len(part)) + part
    return out


def proc_state(pid: int) -> str:
    """The one-letter /proc state of `pid` (R running, S sleeping, D disk, Z zombie, ...); 'X' if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return "X"
    return data[data.rfind(b")") + 2:][:1].decode() or "X"


def keysym_of(name: str) -> int:
    """The X keysym of a key name ('Return', 'a', 'F5', 'enter'); 0 if there is none."""
    from Xlib import XK

    name = KEY_ALIASES.get(name.lower(), name)
    ks = XK.string_to_keysym(name)
    if not ks and len(name) == 1:
        ks = XK.string_to_keysym(name.lower())
    return int(ks)


def parse_combo(combo: str) -> tuple[list[str], str]:
    """'ctrl+shift+Tab' -> (['Control_L', 'Shift_L'], 'Tab'); ValueError naming a key that does not exist."""
    parts = [p.strip() for p in combo.strip().split("+")]
    if combo.strip().endswith("+") and len(parts) >= 2:  # 'ctrl++' is ctrl and plus
        parts = [*parts[:-2], "plus"]
    if not parts or any(not p for p in parts):
        raise ValueError(f"bad key {combo!r}; write a key name like 'Return' or a combo like 'ctrl+s'")
    *mods, key = parts
    names = []
    for m in mods:
        if m.lower() not in MODIFIERS:
            raise ValueError(f"unknown modifier {m!r} in {combo!r}; use {', '.join(sorted(set(MODIFIERS)))}")
        names.append(MODIFIERS[m.lower()])
    if not keysym_of(key):
        raise ValueError(f"unknown key {key!r} in {combo!r}; use X key names such as Return, Tab, BackSpace, "
                         "Escape, Up, F5, a, or a combo like ctrl+s")
    return names, key


class XDisplay:
    """An X display we drive: our own Xvfb (display=None) or an existing one (display=':1'), 24-bit RGB."""

    def __init__(self, workdir: Path, display: str | None = None, size: tuple[int, int] = DEFAULT_SIZE,
                 xvfb: str = "Xvfb", start_timeout_s: float = START_TIMEOUT_S) -> None:
        self.workdir = Path(workdir)
        self.width, self.height = size
        self._procs: list[subprocess.Popen[bytes]] = []
        self._server: list[subprocess.Popen[bytes]] = []
        self._paths: list[Path] = []
        self._finalizer = weakref.finalize(self, _stop, self._procs, self._server, self._paths)
        self.xauthority = self.workdir / "Xauthority"
        self._x: Any = None
        try:
            if display is None:
                self.name = self._start_xvfb(xvfb, start_timeout_s)
            else:
                self.name = display
                self.xauthority = Path(os.environ.get("XAUTHORITY", str(Path.home() / ".Xauthority")))
            self._connect()
        except BaseException:
            self.close()
            raise

    # -- the server ------------------------------------------------------------------------------

    @property
    def server_pid(self) -> int | None:
        """The pid of our Xvfb (None on a display we did not start)."""
        return self._server[0].pid if self._server else None

    def _start_xvfb(self, xvfb: str, timeout_s: float) -> str:
        binary = shutil.which(xvfb)
        if binary is None:
            raise EnvError(f"desktop env: no display server available: {xvfb!r} is not installed "
                           "(apt install xvfb, or pass display=':N' to use a running X server)")
        cookie = secrets.token_bytes(16)
        server_auth = self.workdir / "Xvfb.auth"
        server_auth.write_bytes(_xauth_entry(65535, b"", b"", cookie))  # the server reads every entry's cookie
        self._cookie = cookie
        log = self.workdir / "Xvfb.log"
        rfd, wfd = os.pipe()
        try:
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [binary, "-displayfd", str(wfd), "-screen", "0", f"{self.width}x{self.height}x24",
                     "-nolisten", "tcp", "-auth", str(server_auth), "-noreset", "-br", "-nocursor", "-s", "0",
                     "-dpi", "96"],
                    pass_fds=(wfd,), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=_preexec(signal.SIGTERM), cwd=self.workdir,
                )
        except OSError as e:
            os.close(rfd)
            raise EnvError(f"desktop env: no display server available: cannot run {binary} ({e.strerror})") from None
        finally:
            os.close(wfd)
        self._server.append(proc)
        number = b""
        deadline = time.monotonic() + timeout_s
        try:
            while not number.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([rfd], [], [], left)[0]:
                    raise EnvError(f"desktop env: no display server available: {xvfb} did not start within "
                                   f"{timeout_s:.0f} s")
                chunk = os.read(rfd, 16)
                if not chunk:
                    proc.wait(5)
                    tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()][-1:]
                    raise EnvError(f"desktop env: no display server available: {xvfb} exited with code "
                                   f"{proc.returncode}{': ' + tail[0].strip() if tail else ''}")
                number += chunk
        finally:
            os.close(rfd)
        name = f":{int(number)}"
        client_auth = _xauth_entry(65535, b"", b"", cookie)  # libX11 clients take the wildcard entry
        client_auth += _xauth_entry(256, socket.gethostname().encode(), str(int(number)).encode(), cookie)
        self.xauthority.write_bytes(client_auth)  # python-xlib wants the host name and number
        return name

    def _connect(self) -> None:
        from Xlib import display, error

        old = os.environ.get("XAUTHORITY")
        os.environ["XAUTHORITY"] = str(self.xauthority)  # python-xlib reads it from the environment only
        try:
            self._x = display.Display(self.name)
        except (error.DisplayError, OSError) as e:
            raise EnvError(f"desktop env: no display server available: cannot connect to {self.name} ({e})") from None
        finally:
            if old is None:
                del os.environ["XAUTHORITY"]
            else:
                os.environ["XAUTHORITY"] = old
        if not self._x.has_extension("XTEST"):
            raise EnvError(f"desktop env: display {self.name} has no XTEST extension (needed to send input)")
        self.root = self._x.screen().root
        geo = self.root.get_geometry()
        self.width, self.height = geo.width, geo.height
        self.depth = self._x.screen().root_depth

    @property
    def alive(self) -> bool:
        """The X server is up (always True on a display we did not start)."""
        return not self._server or self._server[0].poll() is None

    def child_env(self) -> dict[str, str]:
        """The environment of a program on this display."""
        env = dict(os.environ)
        env.update(DISPLAY=self.name, XAUTHORITY=str(self.xauthority))
        env.pop("WAYLAND_DISPLAY", None)
        return env

    # -- programs ----------------------------------------------------------------------------------

    def spawn(self, argv: Sequence[str], cwd: Path, log: Path | None = None, **kwargs: Any) -> subprocess.Popen[bytes]:
        """Start a program on this display; it is killed with the display (or when we die)."""
        out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it)
        try:
            proc = subprocess.Popen(list(argv), cwd=cwd, env=self.child_env(), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_preexec(signal.SIGKILL), **kwargs)
        finally:
            if log is not None:
                out.close()
        self._procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a program started by `spawn` (and its process group) and reap it."""
        with contextlib.suppress(OSError):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        with contextlib.suppress(ValueError):
            self._procs.remove(proc)

    def remove_on_close(self, path: Path) -> None:
        """Remove `path` (a directory) when the display closes, after its processes are gone."""
        self._paths.append(Path(path))

    def pids(self) -> list[int]:
        """Every process we started that is still ours: the server first, then the programs."""
        return [p.pid for p in self._server + self._procs]

    # -- input -------------------------------------------------------------------------------------

    def _fake(self, kind: int, detail: int = 0, x: int | None = None, y: int | None = None) -> None:
        from Xlib.ext import xtest

        if x is None:
            xtest.fake_input(self._x, kind, detail)
        else:
            xtest.fake_input(self._x, kind, detail, x=x, y=y)

    def move(self, x: int, y: int) -> None:
        from Xlib import X

        self._fake(X.MotionNotify, x=int(x), y=int(y))

    def click(self, x: int, y: int, button: int = 1, count: int = 1) -> None:
        """Move to (x, y) and click `count` times (a double click is count=2, sent back to back)."""
        from Xlib import X

        self.move(x, y)
        for _ in range(count):
            self._fake(X.ButtonPress, button)
            self._fake(X.ButtonRelease, button)
        self._x.flush()

    def _keycode(self, keysym: int) -> tuple[int, bool] | None:
        """(keycode, needs shift) of a keysym in the current keymap, or None."""
        codes = sorted(self._x.keysym_to_keycodes(keysym), key=lambda c: c[1])
        for code, index in codes:
            if index in (0, 1):
                return code, index == 1
        return None

    def _tap(self, keysym: int, modifiers: Iterable[str] = ()) -> bool:
        from Xlib import XK, X

        found = self._keycode(keysym)
        if found is None:
            return False
        code, shifted = found
        mods = [self._x.keysym_to_keycode(XK.string_to_keysym(m)) for m in modifiers]
        if shifted and "Shift_L" not in modifiers:
            mods.append(self._x.keysym_to_keycode(XK.XK_Shift_L))
        mods = [m for m in mods if m]
        for m in mods:
            self._fake(X.KeyPress, m)
        self._fake(X.KeyPress, code)
        self._fake(X.KeyRelease, code)
        for m in reversed(mods):
            self._fake(X.KeyRelease, m)
        return True

    def type_text(self, text: str) -> str:
        """Type `text` into whatever has the keyboard focus ('\\n' is Return, '\\t' Tab); returns the
        characters that have no key on this keyboard (skipped)."""
        from Xlib import XK

        missing = ""
        for ch in text:
            name = _CHAR_KEYSYMS.get(ch)
            ks = XK.string_to_keysym(name) if name else 0
            if not ks:
                ks = XK.string_to_keysym(ch) if ch.isalnum() else 0
            if not ks and 0x20 <= ord(ch) <= 0x7e:
                ks = ord(ch)  # Latin-1 keysyms are the character codes
            if not ks or not self._tap(ks):
                missing += ch
        self._x.flush()
        return missing

    def press_keys(self, combos: Iterable[str]) -> None:
        """Press each combo in turn ('Return', 'ctrl+s'), releasing everything after each."""
        for combo in combos:
            mods, key = parse_combo(combo)
            self._tap(keysym_of(key), mods)
        self._x.flush()

    def reset_input(self, x: int, y: int) -> None:
        """Put the pointer at (x, y) and the keyboard focus back to 'pointer root' (as a fresh server has it)."""
        from Xlib import X

        self.root.warp_pointer(int(x), int(y))
        self._x.set_input_focus(X.PointerRoot, X.RevertToPointerRoot, X.CurrentTime)
        self._x.sync()

    def sync(self) -> None:
        """Round trip to the server: every request we sent has been processed."""
        self._x.sync()

    # -- output ------------------------------------------------------------------------------------

    def grab(self) -> bytes:
        """The root window's pixels as the server holds them (32 bits a pixel, BGRX)."""
        from Xlib import X

        return bytes(self.root.get_image(0, 0, self.width, self.height, X.ZPixmap, 0xFFFFFFFF).data)

    def to_rgb(self, raw: bytes) -> np.ndarray:
        """HxWx3 uint8 RGB of a `grab`."""
        px = np.frombuffer(raw, dtype=np.uint8).reshape(self.height, self.width, 4)
        return np.ascontiguousarray(px[:, :, 2::-1])

    def settle(self, pids: Iterable[int], timeout_s: float = SETTLE_TIMEOUT_S) -> bytes:
        """Wait until the processes `pids` and the server sleep and the screen is the same in two grabs in a
        row; returns the last grab (also on timeout: a program that never rests gets its latest frame)."""
        watch = [p for p in (self.server_pid, *pids) if p is not None]
        self._x.sync()
        deadline = time.monotonic() + timeout_s
        prev: bytes | None = None
        while True:
            busy = any(proc_state(p) in "RD" for p in watch)
            raw = self.grab()
            if not busy and raw == prev:
                return raw
            if time.monotonic() > deadline:
                return raw
            prev = None if busy else raw
            time.sleep(SETTLE_POLL_S)

    def windows(self) -> list[tuple[str, str, int, int, int, int]]:
        """The mapped top-level windows, bottom to top: (title, class, x, y, width, height)."""
        from Xlib import X, error

        out = []
        for w in self.root.query_tree().children:
            try:
                if w.get_attributes().map_state != X.IsViewable:
                    continue
                title = w.get_wm_name() or ""
                cls = w.get_wm_class()
                if isinstance(title, bytes):
                    title = title.decode("latin-1")
                if not title and not cls:
                    continue
                g = w.get_geometry()
                out.append((str(title), cls[1] if cls else "", g.x, g.y, g.width, g.height))
            except error.XError:
                continue  # the window went away while we looked
        return out

    # -- lifetime ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Kill the programs, stop the server, drop the connection. Safe to call twice."""
        if self._x is not None:
            with contextlib.suppress(Exception):
                self._x.close()
            self._x = None
        self._finalizer()

    def __enter__(self) -> XDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
