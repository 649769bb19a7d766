"""Button-press cost of QUEST: the scripted shortest route vs uniform random pressing.

Random pressing is the floor any agent should beat; the route is (near) the ceiling. Both play through the
env the runtime uses (`make_env("quest")`, one press per step, hold 8 frames, release 16, no idle frames)
and count presses the way the runtime does (`info["action_cost"]`), milestones from `info["progress"]`.
Writes bench/results/quest_random.json.

    .venv/bin/python bench/quest_random.py [--seeds 3] [--max-presses 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from envs.gameboy.adapters.quest import QuestAdapter  # noqa: E402
from envs.gameboy.game import BUTTONS  # noqa: E402
from envs.gameboy.quest.route import PRESS_FRAMES, ROUTE  # noqa: E402
from envs.registry import make_env  # noqa: E402


def play(presses: Iterable[str], max_presses: int) -> dict[str, int]:
    """Milestone -> press count at which it first held."""
    env = make_env("quest", frames_per_step=PRESS_FRAMES)  # one press fills the step: no idle frames
    env.reset(seed=0)
    reached: dict[str, int] = {}
    spent = 0
    try:
        for button in presses:
            if spent >= max_presses:
                break
            _, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": [button]}})
            spent += info["action_cost"]
            for m in info["progress"].milestones:
                reached.setdefault(m, spent)
            if len(reached) == len(QuestAdapter.milestones):
                break
    finally:
        env.close()
    return reached


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--max-presses", type=int, default=20_000)
    args = ap.parse_args()
    total = len(QuestAdapter.milestones)
    results: dict = {"route": play(ROUTE, len(ROUTE)), "random": {}}
    print(f"scripted route: {len(results['route'])}/{total} milestones, "
          f"last at press {max(results['route'].values(), default=0)}")
    for seed in range(args.seeds):
        rng = random.Random(seed)
        t0 = time.perf_counter()
        reached = play((rng.choice(BUTTONS) for _ in iter(int, 1)), args.max_presses)
        results["random"][seed] = reached
        last = max(reached.values(), default=0)
        print(
            f"random seed {seed}: {len(reached)}/{total} milestones in {args.max_presses} presses "
            f"(last at {last}; {time.perf_counter() - t0:.0f}s): {reached}"
        )
    out = ROOT / "bench" / "results" / "quest_random.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
