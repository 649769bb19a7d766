"""GBA env overhead benchmark: GBAEnv steps/s vs a bare in-process mGBA loop doing the same work.

Both sides run the same frames per step (one press: hold 8, release 16, idle to 120, the same button
sequence) and copy one RGB frame per step; the env also runs the game adapter and crosses a process
boundary. Goal: ratio >= 0.8. Also measures boot (cold: new child process; warm: reboot in the same child),
save/load state, and raw mGBA frames/s on this ROM.

    .venv/bin/python bench/bench_gba.py [--steps 300] [--rounds 3]

Runs on the QUEST-GBA ROM (built from source with arm-none-eabi-gcc on first use). Env steps use the
contract's action dict, as the runtime does. Writes bench/results/gba.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import report  # noqa: E402
from envs.gba.emulator import KEY_BITS, rgb_frame  # noqa: E402
from envs.gba.env import GBAEnv  # noqa: E402
from envs.gba.quest.build import ensure_built  # noqa: E402

PRESSES = ["RIGHT", "LEFT", "A", "B", "DOWN", "UP", "START", "R"]
FRAMES, HOLD, RELEASE = 120, 8, 16


def child_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_loop(rom_path: Path, steps: int, adapter: Any | None, boot_frames: int) -> tuple[float, float]:
    """(steps per wall second, steps per CPU second) of mGBA driven in this process; `adapter` adds the same
    memory read the env does."""
    import mgba.core
    import mgba.image
    import mgba.log
    import numpy as np
    from mgba._pylib import ffi

    from envs.gba.emulator import MGBAMemory

    mgba.log.silence()
    core = mgba.core.load_path(str(rom_path))
    w, h = core.desired_video_dimensions()
    image = mgba.image.Image(w, h)
    core.set_video_buffer(image)
    core.reset()
    view = np.frombuffer(ffi.buffer(image.buffer), np.uint8).reshape(h, w, 4)
    memory = MGBAMemory(core)
    for _ in range(boot_frames):
        core.run_frame()
    run_frame = core.run_frame
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(steps):
        core.set_keys(raw=1 << KEY_BITS[PRESSES[i % len(PRESSES)]])
        for _ in range(HOLD):
            run_frame()
        core.set_keys(raw=0)
        for _ in range(FRAMES - HOLD):
            run_frame()
        frame = rgb_frame(view)  # the same copy the env's child makes
        if adapter is not None:
            adapter.read(memory).to_text()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert frame.shape == (160, 240, 3)
    return steps / elapsed, steps / cpu


def raw_frames_per_s(rom_path: Path, frames: int = 3000) -> float:
    """mGBA alone: run_frame() calls per second on this ROM, walking about."""
    import mgba.core
    import mgba.image
    import mgba.log

    mgba.log.silence()
    core = mgba.core.load_path(str(rom_path))
    image = mgba.image.Image(*core.desired_video_dimensions())
    core.set_video_buffer(image)
    core.reset()
    t0 = time.perf_counter()
    for i in range(frames):
        core.set_keys(raw=(1 << KEY_BITS[PRESSES[(i // 24) % len(PRESSES)]]) if i % 24 < HOLD else 0)
        core.run_frame()
    return frames / (time.perf_counter() - t0)


def env_loop(env: GBAEnv, steps: int) -> tuple[float, float]:
    """(steps per wall second, steps per CPU second of this process and the emulator child together)."""
    env.reset(seed=0)
    actions = [{"name": "press_buttons", "arguments": {"buttons": [b]}} for b in PRESSES]
    pid = env.emulator.pid
    t0, c0, k0 = time.perf_counter(), time.process_time(), child_cpu_s(pid)
    for i in range(steps):
        obs, *_ = env.step(actions[i % len(actions)])
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0 + child_cpu_s(pid) - k0
    assert obs["frame"].shape == (160, 240, 3)
    return steps / elapsed, steps / cpu


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
    args = ap.parse_args(argv)

    rom_path = Path(ensure_built())
    t0 = time.perf_counter()
    env = GBAEnv(rom_path, game="quest-gba", frames_per_step=FRAMES, press_frames=HOLD, release_frames=RELEASE)
    env.reset(seed=0)
    boot_cold_s = time.perf_counter() - t0  # includes starting the child interpreter and importing mgba
    boot_warm_s = timed_ms(lambda: env.reset(seed=0), 5) / 1000
    adapter = env.adapter_cls(rom=rom_path.read_bytes())

    bare, bare_adapter, wrapped = [], [], []
    for _ in range(args.rounds):  # alternate so drift (other load on the machine) hits every side
        bare.append(bare_loop(rom_path, args.steps, None, env.emulator.boot_frames))
        bare_adapter.append(bare_loop(rom_path, args.steps, adapter, env.emulator.boot_frames))
        wrapped.append(env_loop(env, args.steps))

    env.reset(seed=0)
    env.step({"name": "press_buttons", "arguments": {"buttons": ["START"]}})
    blob = env.save_state()
    save_ms = timed_ms(env.save_state, 20)
    load_ms = timed_ms(lambda: env.load_state(blob), 20)
    env.close()

    best_bare, best_adapter, best_env = (max(w for w, _ in runs) for runs in (bare, bare_adapter, wrapped))
    cpu_bare, cpu_adapter, cpu_env = (max(c for _, c in runs) for runs in (bare, bare_adapter, wrapped))
    results = {
        "rom": "quest-gba",
        "steps_per_round": args.steps,
        "rounds": args.rounds,
        "frames_per_step": FRAMES,
        "bare_steps_per_s": round(best_bare, 1),
        "bare_with_adapter_steps_per_s": round(best_adapter, 1),
        "env_steps_per_s": round(best_env, 1),
        "ratio_env_vs_bare": round(best_env / best_bare, 3),
        "ratio_env_vs_bare_with_adapter": round(best_env / best_adapter, 3),
        "goal_ratio_0_8": "met" if best_env / best_bare >= 0.8 else "MISSED",
        "env_frames_per_s": round(best_env * FRAMES),
        # CPU time is what the machine's other load cannot steal: the env's overhead on its own
        "bare_steps_per_cpu_s": round(cpu_bare, 1),
        "bare_with_adapter_steps_per_cpu_s": round(cpu_adapter, 1),
        "env_steps_per_cpu_s": round(cpu_env, 1),
        "cpu_ratio_env_vs_bare": round(cpu_env / cpu_bare, 3),
        "cpu_ratio_env_vs_bare_with_adapter": round(cpu_env / cpu_adapter, 3),
        "mgba_raw_frames_per_s": round(raw_frames_per_s(rom_path)),
        "boot_cold_s": round(boot_cold_s, 3),
        "boot_warm_s": round(boot_warm_s, 3),
        "save_state_ms": round(save_ms, 2),
        "load_state_ms": round(load_ms, 2),
        "state_bytes": len(blob),
        "all_rounds_wall": {name: [round(w, 1) for w, _ in runs] for name, runs in
                            (("bare", bare), ("bare_with_adapter", bare_adapter), ("env", wrapped))},
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
    }
    report("gba", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
