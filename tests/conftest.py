"""Shared fixtures: scripted reply files and running the real `harness` CLI in a subprocess."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DIRECTIONS = ["UP", "DOWN", "LEFT", "RIGHT"]


def write_replies(path: Path, replies: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in replies))
    return path


def press(*buttons: str, why: str = "scripted") -> dict:
    return {"tool": "press_buttons", "arguments": {"buttons": list(buttons), "reasoning": why}}


def edit_note(text: str, mode: str = "append") -> dict:
    return {"tool": "edit_prompt_block", "arguments": {"label": "notes", "text": text, "mode": mode}}


def random_walk(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [press(*rng.choices(DIRECTIONS + ["A", "B"], k=rng.randint(1, 3))) for _ in range(n)]


def harness_cli(*args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"harness {' '.join(args)} -> {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc


def inspect_json(run_dir: Path) -> dict:
    return json.loads(harness_cli("inspect", str(run_dir), "--json").stdout)


@pytest.fixture(scope="session")
def quest_rom() -> Path:
    from envs.gameboy.quest.build import ensure_built

    return ensure_built()
