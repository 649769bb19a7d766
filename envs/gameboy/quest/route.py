"""The scripted shortest route through QUEST, and the press helper that follows the runtime's
press contract (a button held HOLD_FRAMES, then released RELEASE_FRAMES).

`ROUTE` goes from power-on (title screen included) to the last milestone. Each segment is
written as "BUTTON*count" tokens with a comment saying why, so a change to a map in
assets.py shows up as a failing route test rather than a silent detour.
"""

from __future__ import annotations

from typing import Any

from envs.gameboy.game import BUTTONS

HOLD_FRAMES = 8
RELEASE_FRAMES = 16
PRESS_FRAMES = HOLD_FRAMES + RELEASE_FRAMES
BOOT_FRAMES = 120  # boot logo (~65 frames) plus the game's own start-up


def expand(script: str) -> list[str]:
    """'UP*3 A' -> ['UP', 'UP', 'UP', 'A']."""
    out: list[str] = []
    for token in script.split():
        name, _, count = token.partition("*")
        if name not in BUTTONS:
            raise ValueError(f"unknown button {name!r} in route script; known: {', '.join(BUTTONS)}")
        out += [name] * (int(count) if count else 1)
    return out


_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("START", "title screen"),
    ("DOWN*3 RIGHT*4 DOWN", "bedroom -> face Mom (she blocks the door)"),
    ("A A A A", "Mom's 3 pages + the potion: talked_to_mom, she steps aside"),
    ("DOWN*2", "through the door: entered_town"),
    ("RIGHT*10", "walk east to face the Elder"),
    ("A A A A A", "Elder's 4 pages: met_elder, the guard steps aside"),
    ("LEFT*5 UP*6", "north through the guard's gap: entered_route"),
    ("UP*7 LEFT*5", "into the tall grass, facing the key"),
    ("A A", "pick up the key: got_key"),
    ("RIGHT*7 UP*3", "walk to the gate, facing it"),
    ("A A", "unlock it: opened_gate"),
    ("UP*4 RIGHT*2 UP", "through the gate to the cave mouth: entered_cave"),
    ("UP*5 LEFT UP*7 LEFT*6 UP", "through the cave, facing the Cave King"),
    ("A A", "his 2 pages start the battle"),
    ("A*13", "battle intro, then FIGHT x4 (menu, hit, his hit): beat_boss"),
    ("UP*2 LEFT UP", "walk to the Sun Orb and face it"),
    ("A A A A", "3 pages: got_orb (the end)"),
)
ROUTE: list[str] = [button for script, _why in _SEGMENTS for button in expand(script)]


def press(pyboy: Any, button: str) -> None:
    """One press as the runtime does it: hold HOLD_FRAMES, release for RELEASE_FRAMES."""
    if button not in BUTTONS:
        raise ValueError(f"unknown button {button!r}; known: {', '.join(BUTTONS)}")
    name = button.lower()
    pyboy.button_press(name)
    pyboy.tick(HOLD_FRAMES, False)
    pyboy.button_release(name)
    pyboy.tick(RELEASE_FRAMES, False)


def boot(pyboy: Any) -> None:
    """Run the boot logo so the title screen accepts START."""
    pyboy.tick(BOOT_FRAMES, False)
