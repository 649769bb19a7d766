"""Privileged knowledge of QUEST: the shortest way to the next milestone, from the game's own source.

The player never sees this: it reads the maps, warps and objects of assets.py (the data the ROM is built
from) and knows the story order of the milestones. It answers two questions about a situation:

- `distance(view)`: the fewest button presses from here to the next milestone (moves, the turn to face a
  target, the A that starts its dialog; dialog pages are not counted), and
- `best_buttons(view)`: the buttons that start a shortest way (several when paths tie).

The movement model is quest.c's `try_move`: a direction button turns the player that way and moves one
tile if the tile is walkable and holds no object; stepping on a warp loads the destination map. Objects
vanish when their hide flag is set and stand at their alternative place once their move flag is set.
Outside WALK mode the answer is the key that moves the game on: START on the title, A in dialogs and
battles, B in the START menu.

It backs the `expert:quest` teacher and process reward of co-learning (harness/colearn/), and a test
plays the whole game with it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from envs.gameboy.quest import assets as a

DIRS: dict[str, tuple[int, int]] = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}
MODE_KEY = {"TITLE": "START", "DIALOG": "A", "BATTLE": "A", "MENU": "B"}
FAR = 10_000  # the distance of a goal that cannot be reached from here


@dataclass(frozen=True)
class View:
    """Where the player is and what has happened: map key (HOUSE, TOWN, ROUTE, CAVE), tile, facing, the
    game's mode and the flags set so far (milestones and internal ones)."""

    map: str
    x: int
    y: int
    facing: str = "DOWN"
    mode: str = "WALK"
    flags: frozenset[str] = field(default_factory=frozenset)

    def next_milestone(self) -> str | None:
        return next((m for m in a.MILESTONES if m not in self.flags), None)


@dataclass(frozen=True)
class Goal:
    """Reach a milestone: 'warp' = step onto (x, y) of `map`; 'talk' = face the object at (x, y) and
    press A."""

    kind: str
    map: str
    x: int
    y: int


def _obj(tile: str, map_key: str) -> a.ObjDef:
    return next(o for o in a.OBJECTS if o.tile == tile and o.map == map_key)


def _warp(map_key: str, dest: str) -> a.Warp:
    return next(w for w in a.WARPS if w.map == map_key and w.dest == dest)


def _talk(tile: str, map_key: str) -> Goal:
    o = _obj(tile, map_key)
    return Goal("talk", map_key, o.x, o.y)


def _enter(src: str, dest: str) -> Goal:
    w = _warp(src, dest)
    return Goal("warp", src, w.x, w.y)


GOALS: dict[str, Goal] = {
    "talked_to_mom": _talk("MOM", "HOUSE"),
    "entered_town": _enter("HOUSE", "TOWN"),
    "met_elder": _talk("ELDER", "TOWN"),
    "entered_route": _enter("TOWN", "ROUTE"),
    "got_key": Goal("talk", "ROUTE", 3, 9),
    "opened_gate": _talk("GATE", "ROUTE"),
    "entered_cave": _enter("ROUTE", "CAVE"),
    "beat_boss": _talk("BOSS", "CAVE"),
    "got_orb": _talk("ORB", "CAVE"),
}
assert set(GOALS) == set(a.MILESTONES)


@cache
def _walkable(map_key: str) -> frozenset[tuple[int, int]]:
    legend = a.tile_legend()
    tiles = a.map_tiles(next(m for m in a.MAPS if m.key == map_key))
    return frozenset((i % a.MAP_W, i // a.MAP_W) for i, t in enumerate(tiles)
                     if t < len(a.TERRAIN) and legend.get(t) in (".", "g", "D"))


def objects(map_key: str, flags: frozenset[str]) -> dict[tuple[int, int], a.ObjDef]:
    """The objects standing on `map_key` given the flags, by position (each blocks its tile)."""
    out = {}
    for o in a.OBJECTS:
        if o.map != map_key or (o.hide_flag and o.hide_flag in flags):
            continue
        out[o.alt if o.move_flag and o.move_flag in flags else (o.x, o.y)] = o
    return out


def step(view: View, button: str) -> View:
    """The view after one press of a direction in WALK mode (quest.c's try_move, warps included). Other
    buttons and other modes leave the view as it is (dialogs are not modelled)."""
    if view.mode != "WALK" or button not in DIRS:
        return view
    dx, dy = DIRS[button]
    x, y = view.x + dx, view.y + dy
    turned = View(view.map, view.x, view.y, button, view.mode, view.flags)
    if not (0 <= x < a.MAP_W and 0 <= y < a.MAP_H) or (x, y) not in _walkable(view.map):
        return turned
    if (x, y) in objects(view.map, view.flags):
        return turned
    for w in a.WARPS:
        if w.map == view.map and (w.x, w.y) == (x, y):
            flags = view.flags
            enter = next(m.enter_flag for m in a.MAPS if m.key == w.dest)
            if enter:
                flags = flags | {enter}
            return View(w.dest, w.dest_x, w.dest_y, w.dest_facing, view.mode, flags)
    return View(view.map, x, y, button, view.mode, view.flags)


State = tuple[str, int, int, str]  # map, x, y, facing
OBJECT_FLAGS = frozenset(f for o in a.OBJECTS for f in (o.hide_flag, o.move_flag) if f)


def _states() -> list[State]:
    return [(m.key, x, y, f) for m in a.MAPS for (x, y) in sorted(_walkable(m.key)) for f in DIRS]


@cache
def _field(milestone: str, obj_flags: frozenset[str]) -> dict[State, int]:
    """Presses to `milestone` from every state, for one placement of the objects: a breadth-first search
    backwards from the states that finish it, over the moves `step` makes (turns included)."""
    goal = GOALS[milestone]
    preds: dict[State, list[State]] = {}
    for s in _states():
        v = View(*s, flags=obj_flags)
        for b in DIRS:
            t = step(v, b)
            key = (t.map, t.x, t.y, t.facing)
            if key != s:
                preds.setdefault(key, []).append(s)
    if goal.kind == "talk":
        blocked = objects(goal.map, obj_flags)
        done = {(goal.map, goal.x - dx, goal.y - dy, d): 1 for d, (dx, dy) in DIRS.items()
                if (goal.x - dx, goal.y - dy) in _walkable(goal.map) and (goal.x - dx, goal.y - dy) not in blocked}
    else:
        dest = next(w.dest for w in a.WARPS if (w.map, w.x, w.y) == (goal.map, goal.x, goal.y))
        done = {s: 0 for s in _states() if s[0] == dest}
    dist = dict(done)
    queue = deque(done)
    while queue:
        s = queue.popleft()
        for p in preds.get(s, ()):
            if p not in dist:
                dist[p] = dist[s] + 1
                queue.append(p)
    return dist


def _lookup(view: View) -> tuple[dict[State, int] | None, State]:
    m = view.next_milestone()
    key = (view.map, view.x, view.y, view.facing)
    if m is None:
        return None, key
    return _field(m, view.flags & OBJECT_FLAGS), key


def distance(view: View) -> int:
    """Presses from here to the next milestone: moves, turns and the A that starts its dialog (dialog pages
    not counted); 0 once the last is reached, FAR if the next is out of reach from here."""
    field_, key = _lookup(view)
    return 0 if field_ is None else field_.get(key, FAR)


def best_buttons(view: View) -> list[str]:
    """The buttons that start a shortest way to the next milestone, in a fixed order (the first is the
    teacher's choice). Outside WALK mode: the one key that moves the game on."""
    if view.mode in MODE_KEY:
        return [MODE_KEY[view.mode]]
    field_, key = _lookup(view)
    if field_ is None or key not in field_:
        return []
    here = field_[key]
    goal = GOALS[view.next_milestone() or ""]
    if goal.kind == "talk" and here == 1 and view.map == goal.map:
        dx, dy = DIRS[view.facing]
        if (view.x + dx, view.y + dy) == (goal.x, goal.y):
            return ["A"]
    out = []
    for b in DIRS:
        t = step(view, b)
        if field_.get((t.map, t.x, t.y, t.facing), FAR) == here - 1:
            out.append(b)
    return out


def describe(view: View) -> str:
    """One line of what the teacher knows: the next milestone, how far it is and which way to go."""
    m = view.next_milestone()
    if m is None:
        return "every milestone is reached"
    if view.mode in MODE_KEY:
        what = {"TITLE": "the title screen", "MENU": "the menu"}.get(view.mode, f"the {view.mode.lower()}")
        return f"{MODE_KEY[view.mode]} moves on from {what}; next: {m}"
    buttons = best_buttons(view)
    return f"next: {m} ({distance(view)} presses away); press {' or '.join(buttons) or 'nothing'}"


MAP_KEYS: dict[str, str] = {m.name: m.key for m in a.MAPS}


def view_of(game: Any, extra_flags: frozenset[str] = frozenset()) -> View:
    """The View of a QuestAdapter GameState (the env's info["game"]), or of its model_dump()."""
    if not isinstance(game, dict):
        game = game.model_dump()
    mode = "TITLE" if not game.get("on_map", True) else str(game.get("extra", {}).get("mode", "WALK"))
    return View(a.MAPS[game["map_id"]].key if game["map_id"] < len(a.MAPS) else "HOUSE", game["x"], game["y"],
                game.get("facing", "DOWN"), mode, frozenset(game.get("milestones", ())) | extra_flags)


def view_from_text(text: str, milestones: frozenset[str]) -> View | None:
    """The View of an observation text the agent saw (GameState.to_text()), given the milestones reached
    before it (the text does not list them): what co-learning reads back from a run's log. None when the
    text is not a QUEST observation."""
    import re

    if text.startswith("Location: Title screen"):
        return View("HOUSE", 0, 0, "DOWN", "TITLE", milestones)
    m = re.match(r"Location: (.+?) \(map \d+\)\s+Position: x=(\d+) y=(\d+)\s+Facing: (\w+)", text)
    if not m or m.group(1) not in MAP_KEYS:
        return None
    if "In battle: yes" in text:
        mode = "BATTLE"
    elif "Can move: yes" in text:
        mode = "WALK"
    else:
        mode = "DIALOG" if "\nDialog: " in text else "MENU"
    return View(MAP_KEYS[m.group(1)], int(m.group(2)), int(m.group(3)), m.group(4), mode, milestones)
