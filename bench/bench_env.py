"""Env overhead benchmark: GameBoyEnv steps/s vs a bare in-process PyBoy loop doing the same work.

Both sides run the same frames per step (one press: hold 8, release 16, idle to 120) and render one
frame per step; the env also runs the game adapter and crosses a process boundary. Goal: ratio >= 0.8.
Also measures boot (cold: new child process; warm: reboot in the same child) and save/load state.

    .venv/bin/python bench/bench_env.py [--steps 300] [--rounds 3]

Runs on the quest ROM (built from source with SDCC on first use). Env steps use the contract's action
dict, as the runtime does. Writes bench/results/env.json.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from envs.gameboy.env import GameBoyEnv  # noqa: E402
from envs.gameboy.quest.build import ensure_built  # noqa: E402

PRESSES = ["RIGHT", "LEFT", "A", "B", "DOWN", "UP"]
FRAMES, HOLD, RELEASE = 120, 8, 16


def bare_loop(rom: bytes, steps: int, adapter: Any | None, boot_frames: int) -> float:
    """Steps/s of PyBoy driven in this process; `adapter` adds the same memory read the env does."""
    from pyboy import PyBoy

    pyboy = PyBoy(io.BytesIO(rom), window="null", sound_emulated=False, sound_volume=0, log_level="ERROR")
    pyboy.tick(boot_frames, True, False)
    t0 = time.perf_counter()
    for i in range(steps):
        b = PRESSES[i % len(PRESSES)].lower()
        pyboy.button_press(b)
        pyboy.tick(HOLD, False, False)
        pyboy.button_release(b)
        pyboy.tick(RELEASE, False, False)
        pyboy.tick(FRAMES - HOLD - RELEASE, True, False)
        frame = pyboy.screen.ndarray[:, :, :3].copy()
        if adapter is not None:
            adapter.read(pyboy.memory).to_text()
    elapsed = time.perf_counter() - t0
    pyboy.stop(save=False)
    assert frame.shape == (144, 160, 3)
    return steps / elapsed


def env_loop(env: GameBoyEnv, steps: int) -> float:
    env.reset(seed=0)
    t0 = time.perf_counter()
    actions = [{"name": "press_buttons", "arguments": {"buttons": [b]}} for b in PRESSES]
    for i in range(steps):
        obs, *_ = env.step(actions[i % len(actions)])
    elapsed = time.perf_counter() - t0
    assert obs["frame"].shape == (144, 160, 3)
    return steps / elapsed


def timed_ms(fn: Any, n: int) -> float:
    """Median wall time of `fn()` in ms over n calls."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300, help="env steps per round")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each side counts")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "env.json")
    args = ap.parse_args(argv)

    rom_path, label = Path(ensure_built()), "quest"
    rom = rom_path.read_bytes()

    t0 = time.perf_counter()
    env = GameBoyEnv(rom_path, game="quest")
    env.reset(seed=0)
    boot_cold_s = time.perf_counter() - t0  # includes starting the child interpreter
    boot_warm_s = timed_ms(lambda: env.reset(seed=0), 5) / 1000
    cls = env.adapter_cls
    adapter = cls(rom=rom) if "rom" in inspect.signature(cls).parameters else cls()

    bare, bare_adapter, wrapped = [], [], []
    for _ in range(args.rounds):  # alternate so drift (thermal, other load) hits both sides
        bare.append(bare_loop(rom, args.steps, None, env.emulator.boot_frames))
        bare_adapter.append(bare_loop(rom, args.steps, adapter, env.emulator.boot_frames))
        wrapped.append(env_loop(env, args.steps))

    env.reset(seed=0)
    env.step({"name": "press_buttons", "arguments": {"buttons": ["RIGHT"]}})
    blob = env.save_state()
    save_ms = timed_ms(env.save_state, 20)
    load_ms = timed_ms(lambda: env.load_state(blob), 20)
    env.close()

    result = {
        "rom": label,
        "steps_per_round": args.steps,
        "rounds": args.rounds,
        "frames_per_step": FRAMES,
        "bare_steps_per_s": round(max(bare), 1),
        "bare_with_adapter_steps_per_s": round(max(bare_adapter), 1),
        "env_steps_per_s": round(max(wrapped), 1),
        "ratio_env_vs_bare": round(max(wrapped) / max(bare), 3),
        "ratio_env_vs_bare_with_adapter": round(max(wrapped) / max(bare_adapter), 3),
        "env_frames_per_s": round(max(wrapped) * FRAMES),
        "boot_cold_s": round(boot_cold_s, 3),
        "boot_warm_s": round(boot_warm_s, 3),
        "save_state_ms": round(save_ms, 2),
        "load_state_ms": round(load_ms, 2),
        "state_bytes": len(blob),
        "all_rounds": {"bare": bare, "bare_with_adapter": bare_adapter, "env": wrapped},
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    goal = "meets" if result["ratio_env_vs_bare"] >= 0.8 else "MISSES"
    print(f"ROM: {label}  ({args.rounds} rounds x {args.steps} steps, best of each)")
    print(f"bare PyBoy      {result['bare_steps_per_s']:8.1f} steps/s")
    print(f"bare + adapter  {result['bare_with_adapter_steps_per_s']:8.1f} steps/s")
    print(f"GameBoyEnv      {result['env_steps_per_s']:8.1f} steps/s  {result['env_frames_per_s']} frames/s")
    print(f"ratio env/bare  {result['ratio_env_vs_bare']:.3f}  ({goal} the 0.8 goal); "
          f"env/bare+adapter {result['ratio_env_vs_bare_with_adapter']:.3f}")
    print(f"boot cold {boot_cold_s:.3f} s  warm {boot_warm_s:.3f} s   "
          f"save {save_ms:.2f} ms  load {load_ms:.2f} ms  state {len(blob)} bytes")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
