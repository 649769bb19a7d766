"""Conformance check for the env contract in envs/base.py (our half of gymnasium's `check_env`).

    check_env(make_env("form"))           # raises EnvCheckError (an AssertionError) naming what is wrong

What it proves, in order: the declared actions are well formed; gymnasium's own checker passes (for envs
whose observations fit their declared space, i.e. that carry a frame); reset / step(each example) /
step(None) return the contract's shapes; an unknown action raises ValueError; and save/load is an EXACT
round trip: save, take `steps` seeded actions recording (text, frame hash, progress, cost), load (which must
return the observation of save time), replay the same actions: everything equal. With `fresh`, the saved
state is also loaded into a new env (a resume in another process) and replayed there.

The env is left reset-and-stepped, not closed; closing it is the caller's business.
"""

from __future__ import annotations

import hashlib
import random
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel

from envs.base import ActionSpec, Progress

# gymnasium warnings that say nothing about the env (it was built directly, not through gymnasium.make).
_BENIGN_GYM_WARNINGS = ("alternative render modes", "different from the unwrapped version")


class EnvCheckError(AssertionError):
    """The env breaks the contract; the message says where."""


Record = tuple[str, str, tuple[Any, ...], str, tuple[str, ...], int]


def _fail(msg: str) -> None:
    raise EnvCheckError(msg)


def check_action_tools(env: Any) -> list[ActionSpec]:
    """action_tools() is a non-empty list of ActionSpec with unique names, object schemas, descriptions."""
    specs = env.action_tools()
    if not isinstance(specs, list) or not specs:
        _fail(f"action_tools() must return a non-empty list, got {specs!r}")
    names = [getattr(s, "name", None) for s in specs]
    for spec in specs:
        if not isinstance(spec, ActionSpec):
            _fail(f"action_tools() item {spec!r} is not an ActionSpec")
        if not spec.name or not spec.name.isidentifier():
            _fail(f"action name {spec.name!r} is not an identifier (models call it as a function)")
        if not spec.description.strip():
            _fail(f"action {spec.name!r} has an empty description")
        if not (isinstance(spec.args, type) and issubclass(spec.args, BaseModel)):
            _fail(f"action {spec.name!r}: args must be a pydantic BaseModel subclass")
        schema = spec.args.model_json_schema()
        if schema.get("type") != "object":
            _fail(f"action {spec.name!r}: the JSON schema of its args is not an object: {schema}")
        if not _examples(spec):
            _fail(f"action {spec.name!r} has no examples and its args have required fields")
        for ex in spec.examples:
            try:
                spec.args.model_validate(ex)
            except ValueError as e:
                _fail(f"action {spec.name!r}: example {ex!r} does not validate: {e}")
    if len(set(names)) != len(names):
        _fail(f"action names are not unique: {names}")
    return specs


def _examples(spec: ActionSpec) -> list[dict[str, Any]]:
    if spec.examples:
        return [dict(e) for e in spec.examples]
    try:
        spec.args.model_validate({})
    except ValueError:
        return []
    return [{}]


def check_obs_info(obs: Any, info: Any, where: str, *, cost_zero: bool = False) -> None:
    """One (obs, info) pair meets the contract."""
    if not isinstance(obs, dict) or "text" not in obs or "frame" not in obs:
        _fail(f"{where}: obs must be a dict with 'text' and 'frame', got {type(obs).__name__} "
              f"{list(obs) if isinstance(obs, dict) else ''}")
    if not isinstance(obs["text"], str):
        _fail(f"{where}: obs['text'] must be str, got {type(obs['text']).__name__}")
    frame = obs["frame"]
    if frame is not None and not (
        isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    ):
        desc = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
        _fail(f"{where}: obs['frame'] must be None or an HxWx3 uint8 array, got {desc}")
    if not isinstance(info, dict):
        _fail(f"{where}: info must be a dict, got {type(info).__name__}")
    p = info.get("progress")
    if not isinstance(p, Progress):
        _fail(f"{where}: info['progress'] must be a Progress, got {type(p).__name__}")
    try:
        hash(p.where)
    except TypeError:
        _fail(f"{where}: progress.where {p.where!r} is not hashable")
    cost = info.get("action_cost")
    if not isinstance(cost, int) or isinstance(cost, bool) or cost < 0:
        _fail(f"{where}: info['action_cost'] must be an int >= 0, got {cost!r}")
    if cost_zero and cost != 0:
        _fail(f"{where}: info['action_cost'] must be 0 when nothing was done, got {cost}")


def _record(obs: dict[str, Any], info: dict[str, Any]) -> Record:
    frame = obs["frame"]
    digest = "none" if frame is None else f"{frame.shape}:{hashlib.sha1(np.ascontiguousarray(frame)).hexdigest()}"
    p: Progress = info["progress"]
    return obs["text"], digest, tuple(p.where), p.label, tuple(p.milestones), info["action_cost"]


def _diff(a: Record, b: Record) -> str:
    fields = ("text", "frame", "progress.where", "progress.label", "progress.milestones", "action_cost")
    return "; ".join(f"{f}: {x!r} != {y!r}" for f, x, y in zip(fields, a, b, strict=True) if x != y)[:2000]


def _step(env: Any, action: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    out = env.step(action)
    if not isinstance(out, tuple) or len(out) != 5:
        _fail(f"{where}: step() must return (obs, reward, terminated, truncated, info)")
    obs, reward, terminated, truncated, info = out
    if not isinstance(terminated, bool | np.bool_) or not isinstance(truncated, bool | np.bool_):
        _fail(f"{where}: terminated / truncated must be bools, got {terminated!r}, {truncated!r}")
    try:
        float(reward)
    except (TypeError, ValueError):
        _fail(f"{where}: reward {reward!r} is not a number")
    check_obs_info(obs, info, where, cost_zero=action is None)
    return obs, info


def _gym_check(env: Any) -> None:
    """gymnasium's own checker, its warnings turned into failures (bar the ones about how env was built)."""
    import gymnasium
    from gymnasium.utils.env_checker import check_env as gym_check_env

    if not isinstance(env, gymnasium.Env):
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(env, skip_render_check=env.render_mode is None, skip_close_check=True)
    bad = [str(w.message) for w in caught if not any(b in str(w.message) for b in _BENIGN_GYM_WARNINGS)]
    bad = [m for m in bad if "SDL2" not in m]
    if bad:
        _fail("gymnasium's check_env warns: " + " | ".join(bad))


def _replay(env: Any, actions: list[Any], label: str) -> list[Record]:
    return [_record(*_step(env, a, f"{label} step {i} ({a!r})")) for i, a in enumerate(actions)]


def check_env(
    env: Any,
    seed: int = 0,
    steps: int = 8,
    *,
    fresh: Callable[[], Any] | None = None,
    gym_check: bool = True,
) -> None:
    """Check `env` against the contract (see the module docstring); raises EnvCheckError."""
    instructions = getattr(env, "instructions", None)
    if not isinstance(instructions, str) or not instructions.strip():
        _fail("env.instructions must be a non-empty str")
    specs = check_action_tools(env)

    obs, info = env.reset(seed=seed)
    check_obs_info(obs, info, "reset()", cost_zero=True)
    if gym_check and obs["frame"] is not None:  # a frame-less obs cannot fit a gymnasium Dict space with "frame"
        try:
            _gym_check(env)
        except EnvCheckError:
            raise
        except AssertionError as e:
            raise EnvCheckError(f"gymnasium's check_env: {e}") from None
        env.reset(seed=seed)

    # Every example of every action, and None, are accepted.
    for spec in specs:
        for ex in _examples(spec):
            _step(env, {"name": spec.name, "arguments": ex}, f"step({spec.name} {ex})")
    _step(env, None, "step(None)")
    for bad in ({"name": "__no_such_action__", "arguments": {}}, {"arguments": {}}):
        try:
            env.step(bad)
        except ValueError:
            pass
        else:
            _fail(f"step({bad!r}) must raise ValueError")

    # Exact save/load round trip.
    rng = random.Random(seed)
    choices: list[Any] = [None] + [{"name": s.name, "arguments": ex} for s in specs for ex in _examples(s)]
    actions = [rng.choice(choices) for _ in range(steps)]
    at_save = _record(*_step(env, None, "step(None) before save"))
    blob = env.save_state()
    if not isinstance(blob, bytes):
        _fail(f"save_state() must return bytes, got {type(blob).__name__}")
    first = _replay(env, actions, "first run")
    loaded = env.load_state(blob)
    if not isinstance(loaded, tuple) or len(loaded) != 2:
        _fail("load_state() must return (obs, info)")
    check_obs_info(*loaded, "load_state()", cost_zero=True)
    after_load = _record(*loaded)
    if after_load[:5] != at_save[:5]:
        _fail(f"load_state() does not return the observation of save time: {_diff(at_save, after_load)}")
    second = _replay(env, actions, "replay after load_state")
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        if a != b:
            _fail(f"replay after load_state differs at step {i} ({actions[i]!r}): {_diff(a, b)}")
    try:
        env.load_state(b"\x00not a state\x00")
    except ValueError:
        pass
    else:
        _fail("load_state(garbage) must raise ValueError")
    env.load_state(blob)  # the env stays usable after refusing garbage

    if fresh is not None:
        other = fresh()
        try:
            other.reset(seed=seed + 1)
            moved = _record(*other.load_state(blob))
            if moved[:5] != at_save[:5]:
                _fail(f"a fresh env loading the state does not show the observation of save time: "
                      f"{_diff(at_save, moved)}")
            third = _replay(other, actions, "replay in a fresh env")
            for i, (a, b) in enumerate(zip(first, third, strict=True)):
                if a != b:
                    _fail(f"replay in a fresh env differs at step {i} ({actions[i]!r}): {_diff(a, b)}")
        finally:
            other.close()
