"""The scripted shortest route through QUEST-GBA, and the press helper that follows the runtime's press
contract (a button held HOLD_FRAMES, then released RELEASE_FRAMES).

`ROUTE` goes from power-on (title screen included) to the last milestone. Each segment is written as
"BUTTON*count" tokens with a comment saying why, so a change to a room in assets.py shows up as a failing
route test rather than a silent detour. `route_steps()` packs the route into env steps of up to 5 presses.
"""

from __future__ import annotations

from typing import Any

from envs.gba.game import GBA_BUTTONS

HOLD_FRAMES = 8
RELEASE_FRAMES = 16
PRESS_FRAMES = HOLD_FRAMES + RELEASE_FRAMES
KEY_BITS = {"A": 0, "B": 1, "SELECT": 2, "START": 3, "RIGHT": 4, "LEFT": 5, "UP": 6, "DOWN": 7, "R": 8, "L": 9}


def expand(script: str) -> list[str]:
    """'UP*3 A' -> ['UP', 'UP', 'UP', 'A']."""
    out: list[str] = []
    for token in script.split():
        name, _, count = token.partition("*")
        if name not in GBA_BUTTONS:
            raise ValueError(f"unknown button {name!r} in route script; known: {', '.join(GBA_BUTTONS)}")
        out += [name] * (int(count) if count else 1)
    return out


_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("START", "title screen"),
    ("DOWN*4", "out of the house door: left_start_room (MEADOW, 3,5)"),
    ("DOWN RIGHT*9", "along the path to face the sage, who blocks the way east"),
    ("A A A A", "the sage's 3 pages: talked_to_npc, he steps aside"),
    ("RIGHT*2", "east exit: GROVE (1,6)"),
    ("RIGHT*9 UP*2 RIGHT*2 UP", "round the trees to stand below the key, facing it"),
    ("A A", "pick up the key: got_item"),
    ("DOWN LEFT*2 DOWN*2 LEFT*10", "back to the west exit: MEADOW (13,6)"),
    ("LEFT*6 UP*4", "up the path to face the gate"),
    ("A A", "unlock it: opened_gate"),
    ("UP*2", "through the gate to the north exit: SHRINE (7,8)"),
    ("UP*4", "walk up to the crystal, facing it"),
    ("A A A", "2 pages: reached_goal (the end)"),
)
ROUTE: list[str] = [button for script, _why in _SEGMENTS for button in expand(script)]


def route_steps(max_presses: int = 5) -> list[list[str]]:
    """ROUTE as env steps of up to `max_presses` presses each (fewer round trips, same presses)."""
    return [ROUTE[i : i + max_presses] for i in range(0, len(ROUTE), max_presses)]


def press(core: Any, button: str) -> None:
    """One press on a bare mGBA core, as the runtime does it: hold HOLD_FRAMES, release for RELEASE_FRAMES."""
    if button not in KEY_BITS:
        raise ValueError(f"unknown button {button!r}; known: {', '.join(GBA_BUTTONS)}")
    core.set_keys(raw=1 << KEY_BITS[button])
    for _ in range(HOLD_FRAMES):
        core.run_frame()
    core.set_keys(raw=0)
    for _ in range(RELEASE_FRAMES):
        core.run_frame()
