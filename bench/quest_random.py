"""Button-press cost of QUEST: the scripted shortest route vs uniform random pressing.

Random pressing is the floor any agent should beat; the route is (near) the ceiling. Same press
contract as the runtime (hold 8 frames, release 16). Writes bench/results/quest_random.json.

    .venv/bin/python bench/quest_random.py [--seeds 3] [--max-presses 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")

from pyboy import PyBoy  # noqa: E402

from envs.gameboy.adapters.quest import QuestAdapter  # noqa: E402
from envs.gameboy.game import BUTTONS  # noqa: E402
from envs.gameboy.quest.build import ensure_built  # noqa: E402
from envs.gameboy.quest.route import ROUTE, boot, press  # noqa: E402


def play(presses, max_presses: int) -> dict[str, int]:
    """Milestone -> press count at which it first held."""
    rom = ensure_built()
    adapter = QuestAdapter(rom.read_bytes())
    pyboy = PyBoy(str(rom), window="null", sound_emulated=False)
    boot(pyboy)
    reached: dict[str, int] = {}
    for i, button in enumerate(presses):
        if i >= max_presses:
            break
        press(pyboy, button)
        for m in adapter.read(pyboy.memory).milestones:
            reached.setdefault(m, i + 1)
        if len(reached) == len(QuestAdapter.milestones):
            break
    pyboy.stop(save=False)
    return reached


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--max-presses", type=int, default=20_000)
    args = ap.parse_args()
    results: dict = {"route": play(ROUTE, len(ROUTE)), "random": {}}
    print(f"scripted route: {len(results['route'])}/9 milestones, last at press {max(results['route'].values())}")
    for seed in range(args.seeds):
        rng = random.Random(seed)
        t0 = time.perf_counter()
        reached = play((rng.choice(BUTTONS) for _ in iter(int, 1)), args.max_presses)
        results["random"][seed] = reached
        last = max(reached.values(), default=0)
        print(
            f"random seed {seed}: {len(reached)}/9 milestones in {args.max_presses} presses "
            f"(last at {last}; {time.perf_counter() - t0:.0f}s): {reached}"
        )
    out = ROOT / "bench" / "results" / "quest_random.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
