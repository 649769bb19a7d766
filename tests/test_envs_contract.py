"""The env contract (envs/base.py) on every registered env, the checker's own teeth, and the child-process RPC.

Pokémon envs need a commercial ROM: they run here on stand-in cartridges (the SDCC test ROM with each
game's header, as in test_probe_adapters.py), which proves the env + adapter path meets the contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from envs._child import ChildCrashed, ChildHang, ChildProcess
from envs.base import ActionSpec, Env, Progress
from envs.checker import EnvCheckError, check_env
from envs.registry import ENVS, env_names, make_env
from tests.roms.build import sdcc_available

REPO = Path(__file__).resolve().parents[1]


# -- every registered env ---------------------------------------------------------------------------------


def _rom_for(name: str, tmp_path: Path) -> Path | None:
    if ENVS[name].rom != "required":
        return None
    if not sdcc_available():
        pytest.skip("SDCC not installed: no stand-in cartridge for a bring-your-own-ROM env")
    from tests.test_probe_adapters import HEADERS, stand_in

    if name not in HEADERS:
        pytest.skip(f"{name} needs a ROM and has no stand-in cartridge here")
    return stand_in(tmp_path, name)


@pytest.mark.parametrize("name", env_names())
def test_every_registered_env_meets_the_contract(name: str, tmp_path: Path) -> None:
    rom = _rom_for(name, tmp_path)
    env = make_env(name, rom=rom)
    try:
        assert isinstance(env, Env)
        check_env(env, seed=0, steps=8, fresh=lambda: make_env(name, rom=rom))
    finally:
        env.close()


def test_text_only_form_meets_the_contract() -> None:
    check_env(make_env("form", frames=False), seed=3, steps=12, fresh=lambda: make_env("form", frames=False))


# -- the checker catches what it claims to ------------------------------------------------------------------


class Add(BaseModel):
    k: int = 1


class CounterEnv:
    """The smallest env that meets the contract: a counter; subclasses below each break one rule."""

    instructions = "The text shows the counter n; add(k) adds k."

    def __init__(self) -> None:
        self.n = 0
        self.noise = 0  # state the broken variants forget to save

    def action_tools(self) -> list[ActionSpec]:
        return [ActionSpec(name="add", description="add k to the counter", args=Add, examples=({"k": 1}, {"k": 2}))]

    def _obs(self, cost: int) -> tuple[dict[str, Any], dict[str, Any]]:
        info = {"progress": Progress(where=(self.n,), label=f"n={self.n}"), "action_cost": cost}
        return {"text": f"n={self.n} noise={self.noise}", "frame": None}, info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self.n = self.noise = 0
        return self._obs(0)

    def step(self, action: dict[str, Any] | None):
        if action is not None:
            if action.get("name") != "add":
                raise ValueError(f"unknown action {action.get('name')!r}")
            self.n += Add.model_validate(action["arguments"]).k
            self.noise += 1
        obs, info = self._obs(0 if action is None else 1)
        return obs, 0.0, False, False, info

    def save_state(self) -> bytes:
        return json.dumps([self.n, self.noise]).encode()

    def load_state(self, data: bytes):
        self.n, self.noise = json.loads(data)
        return self._obs(0)

    def close(self) -> None:
        pass


class ForgetsState(CounterEnv):
    def save_state(self) -> bytes:
        return json.dumps([self.n, 0]).encode()


class WrongLoadObs(CounterEnv):
    def load_state(self, data: bytes):
        super().load_state(data)
        self.n += 1
        return self._obs(0)


class NoCost(CounterEnv):
    def _obs(self, cost: int):
        obs, info = super()._obs(cost)
        del info["action_cost"]
        return obs, info


class DictProgress(CounterEnv):
    def _obs(self, cost: int):
        obs, info = super()._obs(cost)
        info["progress"] = info["progress"].model_dump()
        return obs, info


class BadFrame(CounterEnv):
    def _obs(self, cost: int):
        import numpy as np

        obs, info = super()._obs(cost)
        obs["frame"] = np.zeros((4, 4), np.float32)
        return obs, info


class DuplicateActions(CounterEnv):
    def action_tools(self) -> list[ActionSpec]:
        return super().action_tools() * 2


class AcceptsAnything(CounterEnv):
    def step(self, action):
        if action is not None and action.get("name") != "add":
            action = None
        return super().step(action)


class NoneCosts(CounterEnv):
    def step(self, action):
        obs, r, t, tr, info = super().step(action)
        info["action_cost"] = 1
        return obs, r, t, tr, info


class NoInstructions(CounterEnv):
    instructions = ""


class GarbageLoads(CounterEnv):
    def load_state(self, data: bytes):
        try:
            return super().load_state(data)
        except ValueError:
            return self._obs(0)


def test_checker_passes_a_conforming_env() -> None:
    assert isinstance(CounterEnv(), Env)
    check_env(CounterEnv(), fresh=CounterEnv)


@pytest.mark.parametrize(
    ("cls", "pattern"),
    [
        (ForgetsState, "replay after load_state differs at step 0|does not return the observation of save time"),
        (WrongLoadObs, "load_state\\(\\) does not return the observation of save time: text"),
        (NoCost, "info\\['action_cost'\\] must be an int >= 0, got None"),
        (DictProgress, "info\\['progress'\\] must be a Progress, got dict"),
        (BadFrame, "obs\\['frame'\\] must be None or an HxWx3 uint8 array, got float32 \\(4, 4\\)"),
        (DuplicateActions, "action names are not unique"),
        (AcceptsAnything, "must raise ValueError"),
        (NoneCosts, "must be 0 when nothing was done"),
        (NoInstructions, "instructions must be a non-empty str"),
        (GarbageLoads, "load_state\\(garbage\\) must raise ValueError"),
    ],
)
def test_checker_catches(cls: type[CounterEnv], pattern: str) -> None:
    with pytest.raises(EnvCheckError, match=pattern):
        check_env(cls(), fresh=cls)
    assert issubclass(EnvCheckError, AssertionError)


class KeepsStateInTheObject(CounterEnv):
    """Round-trips in the same object only: part of the state stays outside the blob."""

    def save_state(self) -> bytes:
        self._kept = self.noise
        return json.dumps([self.n]).encode()

    def load_state(self, data: bytes):
        (self.n,) = json.loads(data)
        self.noise = getattr(self, "_kept", 0)
        return self._obs(0)


def test_checker_catches_a_state_that_does_not_move_to_a_fresh_env() -> None:
    check_env(KeepsStateInTheObject())  # without `fresh` it looks fine
    with pytest.raises(EnvCheckError, match="a fresh env loading the state does not show the observation"):
        check_env(KeepsStateInTheObject(), fresh=KeepsStateInTheObject)


# -- the child-process RPC (envs/_child.py) -------------------------------------------------------------------


class NotPortable(Exception):
    """Defined in a module the parent may not import: it must come back as RuntimeError."""


class EchoServer:
    def __init__(self, marker: str = "", fail: bool = False) -> None:
        if fail:
            raise ValueError("asked to fail")
        self.marker = marker

    def op_echo(self, *args: Any) -> Any:
        return args

    def op_sleep(self, seconds: float) -> str:
        time.sleep(seconds)
        return "slept"

    def op_exit(self, code: int) -> None:
        os._exit(code)

    def op_raise(self, portable: bool) -> None:
        raise ValueError("bad value") if portable else NotPortable("local error")

    def op_pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        if self.marker:
            Path(self.marker).write_text("closed")


SERVER = f"{__name__}:EchoServer"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_child_calls_errors_and_close(tmp_path: Path) -> None:
    marker = tmp_path / "closed"
    with ChildProcess(SERVER, {"marker": str(marker)}, name="echo") as child:
        child.start()
        pid = child.pid
        assert pid is not None and child.call("pid") == pid and child.alive
        assert child.call("echo", 1, "two", b"3", [4]) == (1, "two", b"3", [4])
        with pytest.raises(ValueError, match="bad value") as ei:
            child.call("raise", True)
        assert "in the echo child process" in "".join(ei.value.__notes__)
        with pytest.raises(RuntimeError, match="NotPortable: local error"):
            child.call("raise", False)
        with pytest.raises(AttributeError, match="no operation 'nope'"):
            child.call("nope")
        assert child.call("echo", "still") == ("still",)  # errors leave the child serving
    assert marker.read_text() == "closed" and not _alive(pid) and child.pid is None
    child.close()  # twice is fine
    with pytest.raises(RuntimeError, match="echo process is not running"):
        child.call("echo")


def test_child_hang_is_killed_and_a_new_child_starts() -> None:
    child = ChildProcess(SERVER, name="echo", timeout_s=0.5, hang_hint="it sleeps")
    child.label = "nap.bin"
    try:
        child.start()
        pid = child.pid
        assert child.call("sleep", 0.05) == "slept"
        t0 = time.monotonic()
        with pytest.raises(ChildHang) as ei:
            child.call("sleep", 30)
        assert 0.5 <= time.monotonic() - t0 < 3
        assert str(ei.value) == "nap.bin: echo did not answer 'sleep' within 0.5 s (it sleeps); child process killed"
        assert child.pid is None and not _alive(pid)
        child.start()
        assert child.pid != pid and child.call("sleep", 0.8, timeout=5) == "slept"
    finally:
        child.close()


def test_child_crash_and_failed_start() -> None:
    child = ChildProcess(SERVER, name="echo")
    try:
        child.start()
        with pytest.raises(ChildCrashed, match="echo: echo process died during 'exit' \\(exit code 3\\)"):
            child.call("exit", 3)
        assert child.pid is None
    finally:
        child.close()
    with pytest.raises(ChildCrashed, match="cannot build its server .*asked to fail"):
        ChildProcess(SERVER, {"fail": True}, name="echo").start()
    with pytest.raises(ChildCrashed, match="cannot build its server"):
        ChildProcess("tests.no_such_module:Nothing", name="echo").start()


def test_child_dies_with_its_parent() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from envs._child import ChildProcess; "
        f"c = ChildProcess({SERVER!r}); c.start(); print(c.pid, flush=True); import os; os._exit(0)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, timeout=60,
                         cwd=REPO)
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
