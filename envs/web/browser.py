"""One headless Chromium, driven through ChromeDriver (selenium), that opens MiniWoB++ task pages.

The `miniwob` package ships the task pages (file:// URLs) and the JavaScript core they share; its gymnasium
env starts one browser per task type, so the stream env drives a browser of its own: `Browser.open(task,
seed)` loads the task's page afresh, seeds `Math.random`, stretches the episode timer and starts the episode,
so a page's state is a function of (task, seed, the actions applied) and nothing else. What makes a page the
same page on every replay, text and pixels: CSS animations, transitions, smooth scrolling and the text caret
are off; jQuery animations run instantly; the images a page uses are loaded before its episode starts; a
snapshot waits until the short timers an action set off have run (a jQuery UI tab a key activates after
70 ms, an autocomplete list that opens after 300 ms); and the mouse waits outside the task area, before each
episode and after each click_xy (hover styles that Chromium re-tests on a timer would differ otherwise).

Process hygiene: ChromeDriver and Chromium start under `setpriv --pdeathsig KILL` (util-linux), so a
`kill -9` of this process takes the browser with it (Chromium's crash handlers included) instead of leaving
orphans; `close()` quits them and removes the profile directory (a killed owner's is removed by the next
Browser to start). The death signal follows the thread that started the browser: start it on a thread that
lives as long as the env (the main thread, as the runtime does).
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from envs.base import EnvError

TASK_WIDTH, TASK_HEIGHT = 160, 210  # the task area at the page's top left (miniwob.constants)
WINDOW_SIZE = (800, 600)
PARK_XY = (400, 300)  # where the mouse waits at the start of each task: outside the task area
EPISODE_TIME_MS = 2_000_000_000  # ~23 days (setTimeout's limit is 2**31 - 1 ms): the task timer never fires
PROFILE_PREFIX = "miniwob-chrome-"  # temp directories of our browsers: wrappers, profile, owner.pid
SHORT_TIMER_MS = 1000  # a setTimeout this short is part of the action that set it: snapshots wait for it
QUIET_WAIT_MS = 2000  # the longest a snapshot waits for the short timers to run out
READY_POLLS = 40  # x 50 ms: how long a page may take to say WOB_TASK_READY
INSTALL_HINT = ("apt-get install -y chromium chromium-driver (or set MINIWOB_CHROME_BINARY and "
                "MINIWOB_CHROMEDRIVER to a Chromium and its ChromeDriver)")
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# disable-partial-raster: a tile an action dirties is drawn whole, so its pixels cannot depend on which
# smaller rects were dirtied before (a replay takes no screenshots between actions). Added while chasing
# rows of pixels that differed on replay (the focus ring, in the end: see Emulation.setFocusEmulationEnabled
# in open()); kept as a guard, it costs nothing measurable here (bench/bench_web.py).
CHROME_ARGS: tuple[str, ...] = ("headless", "disable-gpu", "no-sandbox", "disable-dev-shm-usage", "hide-scrollbars",
                                "force-device-scale-factor=1", "mute-audio", "disable-extensions",
                                "disable-smooth-scrolling", "disable-partial-raster")
_STABLE_CSS = ("*, *::before, *::after { caret-color: transparent !important; animation: none !important; "
               "transition: none !important; scroll-behavior: auto !important; }")
_OPEN_JS = """
var style = document.createElement('style');
style.textContent = arguments[0];
document.head.appendChild(style);
if (window.jQuery) { jQuery.fx.off = true; }
(function (shortMs) {  // count the short timers in flight: jQuery UI's delays, a task's setTimeout(f, 300)
  var set = window.setTimeout, clear = window.clearTimeout, live = {};
  window.__wobSetTimeout = set;
  window.__wobPending = 0;
  window.setTimeout = function (fn, ms) {
    var args = Array.prototype.slice.call(arguments, 2), id;
    id = set(function () {
      if (live[id]) { delete live[id]; window.__wobPending--; }
      if (typeof fn === 'function') { fn.apply(window, args); } else { (0, eval)(fn); }
    }, ms);
    if (!(ms > shortMs)) { live[id] = true; window.__wobPending++; }
    return id;
  };
  window.clearTimeout = function (id) {
    if (live[id]) { delete live[id]; window.__wobPending--; }
    return clear(id);
  };
})(arguments[4]);
core.EPISODE_MAX_TIME = arguments[1];
Math.seedrandom(arguments[2]);
core.setDataMode(arguments[3]);
core.startEpisodeReal();
return WOB_TASK_READY;
"""
_PRELOAD_JS = """
var urls = arguments[0], done = arguments[arguments.length - 1];
window.__wobPreload = urls.map(function (u) {
  var img = new Image();
  img.__done = new Promise(function (ok) { img.onload = img.onerror = function () { ok(); }; });
  img.src = u;
  return img;
});
Promise.all(window.__wobPreload.map(function (img) {
  return img.__done.then(function () { return img.decode ? img.decode().catch(function () {}) : null; });
})).then(function () { done(true); });
"""
_SNAPSHOT_JS = """
var done = WOB_DONE_GLOBAL;
return {done: done, reward: WOB_REWARD_GLOBAL, raw_reward: WOB_RAW_REWARD_GLOBAL,
        reason: WOB_REWARD_REASON === null ? null : String(WOB_REWARD_REASON),
        utterance: done ? '' : core.getUtterance(), dom: done ? null : core.getDOMInfo()};
"""
_QUIET_SNAPSHOT_JS = """
var frames = arguments[0] ? 2 : 0, maxWait = arguments[1], finish = arguments[arguments.length - 1];
var t0 = Date.now();
function snap() {""" + _SNAPSHOT_JS + """}
function frame() {
  if (frames-- > 0) { requestAnimationFrame(frame); } else { finish(snap()); }
}
function quiet() {
  if (window.__wobPending > 0 && Date.now() - t0 < maxWait) { window.__wobSetTimeout(quiet, 5); } else { frame(); }
}
quiet();
"""
_SELECT_JS = """
var el = core.previousDOMInfo[arguments[0]];
if (el && typeof el.select === 'function') { el.select(); }
"""


def _miniwob_html() -> Path:
    try:
        import miniwob
    except ImportError:
        raise EnvError("miniwob needs the miniwob and selenium packages: pip install miniwob==1.1.0") from None
    return Path(miniwob.__file__).parent / "html" / "miniwob"


def task_names() -> list[str]:
    """Every MiniWoB++ task the package ships as a page (the flight.* tasks need a web server: not these)."""
    return sorted(p.stem for p in _miniwob_html().glob("*.html"))


def task_url(task: str) -> str:
    return (_miniwob_html() / f"{task}.html").as_uri()


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
_images_of: dict[str, list[str]] = {}


def task_images(task: str) -> list[str]:
    """file:// URLs of the images `task`'s page may show: jQuery UI's icon sprites and every image in the
    common/special/<dir> folders its page names. Preloaded before each episode: an image that loads while
    the episode runs changes the layout (CSS `content: url()` has no size until it loads) at a moment that
    depends on timing, and so would a replay's DOM."""
    if task not in _images_of:
        html = _miniwob_html()
        page = (html / f"{task}.html").read_text(errors="replace")
        folders = [html.parent / "core" / "jquery-ui" / "images"]
        folders += [html.parent / "common" / "special" / d for d in sorted(set(re.findall(
            r"common/special/([\w.-]+)/", page)))]
        _images_of[task] = [p.as_uri() for d in folders if d.is_dir() for p in sorted(d.rglob("*"))
                            if p.suffix.lower() in _IMAGE_SUFFIXES]
    return _images_of[task]


def find_binaries(chrome_binary: str | None = None, chromedriver: str | None = None) -> tuple[str, str]:
    """(chromium, chromedriver) paths: the arguments, else MINIWOB_CHROME_BINARY / MINIWOB_CHROMEDRIVER, else
    the PATH. EnvError (one line, saying what to install) when either is missing."""
    chrome = chrome_binary or os.environ.get("MINIWOB_CHROME_BINARY") or next(
        (p for p in map(shutil.which, CHROME_NAMES) if p), None)
    driver = chromedriver or os.environ.get("MINIWOB_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [f"{what} ({path or 'not on PATH'})" for what, path in (("Chromium", chrome), ("ChromeDriver", driver))
               if not path or not os.access(path, os.X_OK) or os.path.isdir(path)]
    if missing:
        raise EnvError(f"miniwob needs Chromium and ChromeDriver; missing: {', '.join(missing)}. "
                       f"Install: {INSTALL_HINT}")
    assert chrome is not None and driver is not None
    return chrome, driver


def sweep_stale_profiles() -> None:
    """Remove the profile directories of browsers whose owner process is gone (a kill -9 leaves them)."""
    for d in Path(tempfile.gettempdir()).glob(PROFILE_PREFIX + "*"):
        try:
            pid = int((d / "owner.pid").read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being set up
        if not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


def one_line(e: BaseException) -> str:
    """An exception's message on one line (selenium's carry a stack trace after the first line)."""
    text = " ".join(str(getattr(e, "msg", None) or e).split())
    return text[:300] or type(e).__name__


class Browser:
    """A headless Chromium showing one MiniWoB++ task page at a time (see the module docstring)."""

    def __init__(self, chrome_binary: str | None = None, chromedriver: str | None = None) -> None:
        chrome, driver_path = find_binaries(chrome_binary, chromedriver)
        _miniwob_html()
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service

        self.driver: Any = None
        sweep_stale_profiles()
        self._dir = Path(tempfile.mkdtemp(prefix=PROFILE_PREFIX))
        (self._dir / "owner.pid").write_text(str(os.getpid()))
        setpriv = shutil.which("setpriv")
        if setpriv:  # the browser dies with this process, even on kill -9
            chrome, driver_path = (self._wrap(setpriv, name, path)
                                   for name, path in (("chromium", chrome), ("chromedriver", driver_path)))
        options = webdriver.ChromeOptions()
        for arg in (*CHROME_ARGS, f"window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
                    f"user-data-dir={self._dir / 'profile'}"):
            options.add_argument(arg)
        options.binary_location = chrome
        logging.getLogger("selenium").setLevel(logging.WARNING)
        try:
            self.driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
            self.driver.implicitly_wait(0)
            self.inner = tuple(self.driver.execute_script("return [window.innerWidth, window.innerHeight];"))
        except WebDriverException as e:
            self.close()
            raise EnvError(f"miniwob: Chromium did not start ({one_line(e)}). Install: {INSTALL_HINT}") from None
        except BaseException:
            self.close()
            raise
        self.park = (min(PARK_XY[0], self.inner[0] - 1), min(PARK_XY[1], self.inner[1] - 1))

    def _wrap(self, setpriv: str, name: str, path: str) -> str:
        script = self._dir / name
        script.write_text(f'#!/bin/sh\nexec "{setpriv}" --pdeathsig KILL -- "{path}" "$@"\n')
        script.chmod(0o755)
        return str(script)

    # -- a task page ------------------------------------------------------------------------------

    def open(self, task: str, seed: int, data_mode: str = "train") -> None:
        """Load `task`'s page afresh and start its episode with `seed` (the same page for the same seed)."""
        from selenium.webdriver.common.action_chains import ActionChains

        self.driver.get(task_url(task))
        # The page counts as focused whatever the headless window's focus does: :focus styles (the focus ring
        # of a clicked section header) came and went with it, between a run and its replay.
        self.driver.execute_cdp_cmd("Emulation.setFocusEmulationEnabled", {"enabled": True})
        chain = ActionChains(self.driver, duration=0)
        chain.w3c_actions.pointer_action.move_to_location(*self.park)
        chain.w3c_actions.perform()
        self.driver.set_script_timeout(10)
        self.driver.execute_async_script(_PRELOAD_JS, task_images(task))
        ready = self.driver.execute_script(_OPEN_JS, _STABLE_CSS, EPISODE_TIME_MS, seed, data_mode, SHORT_TIMER_MS)
        for _ in range(READY_POLLS):
            if ready:
                return
            time.sleep(0.05)
            ready = self.driver.execute_script("return WOB_TASK_READY;")
        raise EnvError(f"miniwob task {task} did not get ready in {READY_POLLS * 0.05:.0f} s")

    def snapshot(self, settle: bool = False) -> dict[str, Any]:
        """{done, reward, raw_reward, reason, utterance, dom}: the episode's status and, while it runs, the
        utterance and `core.getDOMInfo()` (which also assigns refs to elements seen for the first time).
        Taken once the page is quiet: no short timer in flight (a jQuery UI tab that a key activates after
        70 ms, say), up to QUIET_WAIT_MS. `settle` also waits two animation frames (~30 ms), so images the
        last action showed are laid out: pages with CSS `content: url()` icons (email-inbox) need it."""
        return self.driver.execute_async_script(_QUIET_SNAPSHOT_JS, settle, QUIET_WAIT_MS)

    def screenshot(self) -> np.ndarray:
        """The task area as an RGB uint8 array (TASK_HEIGHT x TASK_WIDTH x 3)."""
        from PIL import Image

        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "optimizeForSpeed": True,
            "clip": {"x": 0, "y": 0, "width": TASK_WIDTH, "height": TASK_HEIGHT, "scale": 1}})
        with Image.open(io.BytesIO(base64.b64decode(shot["data"]))) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()

    def end_episode(self, reward: float, reason: str) -> None:
        """End the episode as miniwob's own timer would (`core.endEpisode`)."""
        self.driver.execute_script("core.endEpisode(arguments[0], false, arguments[1]);", reward, reason)

    # -- input -------------------------------------------------------------------------------------

    def click_ref(self, ref: int) -> None:
        """miniwob's element click: `element.click()` and focus, wherever the element is."""
        from miniwob.selenium_actions import execute_click_element

        execute_click_element(ref, self.driver)

    def type_into(self, ref: int, text: str) -> None:
        """Click the field `ref`, select what it holds and type `text` over it (Backspace when empty)."""
        from miniwob.selenium_actions import execute_press_key, execute_type_text

        self.click_ref(ref)
        self.driver.execute_script(_SELECT_JS, ref)
        if text:
            execute_type_text(text, self.driver)
        else:
            execute_press_key("<Backspace>", self.driver)

    def press_key(self, key: str) -> None:
        """A key (miniwob's syntax: "<Enter>", "a", "C-a") to the focused element."""
        from miniwob.selenium_actions import execute_press_key

        execute_press_key(key, self.driver)

    def click_xy(self, x: int, y: int) -> None:
        """A real mouse click at page coordinates (x, y), then the mouse goes back to its parking place:
        hover styles left under a resting mouse change when Chromium gets to re-test them (a timer), so a
        replay would not draw the same page."""
        from selenium.webdriver.common.action_chains import ActionChains

        chain = ActionChains(self.driver, duration=0)
        chain.w3c_actions.pointer_action.move_to_location(x, y)
        chain.w3c_actions.pointer_action.click()
        chain.w3c_actions.pointer_action.move_to_location(*self.park)
        chain.w3c_actions.perform()

    def close(self) -> None:
        """Quit ChromeDriver and Chromium and remove the profile (idempotent)."""
        driver, self.driver = self.driver, None
        if driver is not None:
            with contextlib.suppress(Exception):  # a browser that already died
                driver.quit()
        shutil.rmtree(self._dir, ignore_errors=True)
