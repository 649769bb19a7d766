"""navigate_to(x, y): a macro action that walks to a tile by A* over the text map, so the expert harness
spends one model call, not one per few tiles, on walking (the paper's H_expert ships an A* pathfinder).

Plans over every tile seen so far in the current location (`ExploredMap`), not just the visible window,
then presses directions through the env's own press_buttons action, re-reading the state and replanning
after each press batch. The explored map lives on the tool instance (one per run): after a resume it
starts again from the current screen. Works on any env whose state has the Game Boy shape (location, x, y,
facing, can_move, text_map with '@' and the MAP_LEGEND characters of envs/gameboy/game.py).
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from tools.base import BaseTool, ToolContext, ToolError, ToolResult

Pos = tuple[int, int]
Grid = Mapping[Pos, str]

DIRS: dict[str, Pos] = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}  # neighbour order
STAND = frozenset(".g@")  # tiles one can stand on and walk across
DOOR, LEDGE = "D", "_"  # a door warps you: only ever the goal; a ledge is crossed moving DOWN only
PRESS_ACTION = "press_buttons"


def astar(grid: Grid | Callable[[Pos], bool], start: Pos, goal: Pos, *, max_nodes: int = 50_000) -> list[Pos] | None:
    """Shortest 4-connected path [start, ..., goal], or None (unreachable, or over `max_nodes` expansions).

    `grid` is either tiles by position (MAP_LEGEND characters; missing = unknown = blocked) or a
    `walkable(pos)` predicate. With tiles: '.', 'g', '@' are walkable, a door 'D' only as the goal, and
    a ledge '_' is entered and left moving DOWN only. Ties on length go to the path with fewest turns,
    then to the earliest move in the order UP, DOWN, LEFT, RIGHT: the same input always gives the same path.
    """
    can_step = _stepper(grid, goal)
    if start == goal:
        return [start]
    order = itertools.count()
    # state: (position, index of the move that entered it; -1 at the start); cost: (steps, turns)
    begin = (start, -1)
    best: dict[tuple[Pos, int], tuple[int, int]] = {begin: (0, 0)}
    parent: dict[tuple[Pos, int], tuple[Pos, int]] = {}
    heap = [(_manhattan(start, goal), 0, next(order), begin)]
    closed: set[tuple[Pos, int]] = set()
    while heap and len(closed) < max_nodes:
        _, _, _, node = heapq.heappop(heap)
        if node in closed:
            continue
        closed.add(node)
        pos, came = node
        if pos == goal:
            path = [pos]
            while node in parent:
                node = parent[node]
                path.append(node[0])
            return path[::-1]
        steps, turns = best[node]
        for i, (dx, dy) in enumerate(DIRS.values()):
            nxt = (pos[0] + dx, pos[1] + dy)
            if not can_step(pos, nxt):
                continue
            child, cost = (nxt, i), (steps + 1, turns + (came not in (-1, i)))
            if child in closed or cost >= best.get(child, (1 << 30, 0)):
                continue
            best[child], parent[child] = cost, node
            heapq.heappush(heap, (cost[0] + _manhattan(nxt, goal), cost[1], next(order), child))
    return None


def _manhattan(a: Pos, b: Pos) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def _stepper(grid: Grid | Callable[[Pos], bool], goal: Pos) -> Callable[[Pos, Pos], bool]:
    if callable(grid) and not isinstance(grid, Mapping):
        walkable = grid
        return lambda a, b: walkable(b)
    tiles = grid

    def can_step(a: Pos, b: Pos) -> bool:
        down = b[1] == a[1] + 1
        if tiles.get(a) == LEDGE and not down:
            return False
        ch = tiles.get(b)
        return ch in STAND or (ch == DOOR and b == goal) or (ch == LEDGE and down)

    return can_step


class ExploredMap:
    """Tiles seen so far, per location name, in game coordinates; a newer observation wins.

    Bounded: at most `max_tiles` per location (the least recently seen go first) and `max_locations`
    locations (the least recently visited go first).
    """

    def __init__(self, max_tiles: int = 8192, max_locations: int = 64) -> None:
        self.max_tiles = max_tiles
        self.max_locations = max_locations
        self._maps: OrderedDict[str, dict[Pos, str]] = OrderedDict()

    def update(self, location: str, text_map: str, x: int, y: int) -> dict[Pos, str]:
        """Merge a text map whose '@' stands at game (x, y); returns the location's tiles.
        Unknown cells (' ') never overwrite what was seen; the player's own cell keeps its known
        walkable character (a door, grass) or becomes '.'. ValueError if the map has no '@'."""
        rows = text_map.split("\n")
        at = next(((r, row.index("@")) for r, row in enumerate(rows) if "@" in row), None)
        if at is None:
            raise ValueError("the text map has no '@' (player)")
        tiles = self._maps.pop(location, None) or {}
        self._maps[location] = tiles
        while len(self._maps) > self.max_locations:
            self._maps.popitem(last=False)
        ox, oy = x - at[1], y - at[0]
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                if ch == " ":
                    continue
                pos = (ox + c, oy + r)
                old = tiles.pop(pos, None)
                tiles[pos] = (old if old in (".", "g", DOOR, LEDGE) else ".") if ch == "@" else ch
        while len(tiles) > self.max_tiles:
            del tiles[next(iter(tiles))]
        return tiles

    def tiles(self, location: str) -> dict[Pos, str]:
        return self._maps.get(location, {})

    def __len__(self) -> int:
        return len(self._maps)


class NavigateArgs(BaseModel):
    reasoning: str = Field("", max_length=160, description="one short sentence: why")
    x: int = Field(description="target tile x (columns grow to the right; your own x is in the observation)")
    y: int = Field(description="target tile y (rows grow downward)")


@dataclass(frozen=True)
class Press:
    button: str
    lands: Pos  # where the player should stand after it
    last: bool = False  # end the batch after it (a ledge jump: re-read where we landed)


@dataclass(frozen=True)
class Plan:
    presses: list[Press]
    stand: Pos  # the tile to end on
    face: str | None  # the direction to face at the end (a target one cannot stand on), else None


class NavigateTo(BaseTool):
    """A macro action: several press_buttons steps of the env inside one agent step (each is recorded
    and replayed by the runtime). Stops at the target, when the game takes control (dialog, battle,
    menu), on a map change, when blocked twice in a row, or after `press_cap` presses.

    Whether a direction press that changes facing also moves (QUEST, most games) or only turns
    (Pokémon Red from a standstill) is learnt from the game: until it is known, each batch is one
    straight run, which is right either way.
    """

    name = "navigate_to"
    description = ("Walk to tile (x, y) of the current location by the shortest known path (A* over every tile "
                   "seen here so far). If the tile is a person, sign, item or wall, you stop next to it facing it: "
                   "press A next to interact. Stops early when a dialog or battle starts, on a door, or when blocked. "
                   "Acts in the game (ends your turn).")
    kind = "action"
    args = NavigateArgs

    def __init__(self, max_presses: int = 5, press_cap: int = 40) -> None:
        self.max_presses = max_presses  # per press_buttons step: the Game Boy env's default limit
        self.press_cap = press_cap  # per navigate_to call
        self.explored = ExploredMap()
        self.turns_in_place: bool | None = None  # does a press that changes facing only turn?

    def run(self, ctx: ToolContext, args: BaseModel) -> ToolResult:
        assert isinstance(args, NavigateArgs)
        target = (args.x, args.y)
        state = ctx.state()
        if not all(k in state for k in ("x", "y", "text_map", "location")):
            raise ToolError("navigate_to needs a map with x, y (Game Boy games)")
        if not state.get("can_move"):
            raise ToolError(f"you cannot walk now ({_busy(state)}): press A or B first")
        if state.get("on_map") is False or "@" not in (state["text_map"] or ""):
            raise ToolError(f"no map to walk on now ({state.get('screen') or 'not on a map'})")
        where = self._where(state)
        plan = self._plan(where, target, set())
        if not plan.presses:
            raise ToolError(f"already at {_xy(target)}" if plan.face is None
                            else f"already next to {_xy(target)} facing it: press A to interact")
        door = self.explored.tiles(where[0]).get(target) == DOOR
        pressed, stalls, blocked = 0, 0, set()
        while True:
            batch = self._batch(plan.presses, min(self.max_presses, self.press_cap - pressed))
            buttons = [p.button for p in batch]
            try:
                ctx.act({"name": PRESS_ACTION, "arguments": {"buttons": buttons}})
            except ToolError as e:
                if not pressed:
                    raise
                return self._stop(where, pressed, f"the runtime refused more presses ({e})")
            pressed += len(buttons)
            before, state = where, ctx.state()
            where = self._where(state)
            if where[0] != before[0]:
                if door:
                    return ToolResult(content=f"reached the door {_xy(target)} in {pressed} presses: now in "
                                              f"{where[0]} at {_xy(where[1])}", data=_data(where, pressed, True))
                return self._stop(where, pressed, f"went through a door; now in {where[0]} (was {before[0]})")
            self._learn(before, where, buttons)
            if not state.get("can_move"):
                return self._stop(where, pressed, _busy(state))
            if where[1] == plan.stand and where[2] == (plan.face or where[2]):
                return self._reached(where, target, plan, pressed, door)
            if where[1:] == before[1:]:  # neither moved nor turned
                stalls += 1
                blocked |= {p.lands for p in batch[:1]} - {where[1]}
                if stalls >= 2:
                    return self._stop(where, pressed, f"blocked (pressed {' '.join(buttons)} without moving)")
            else:
                stalls = 0
            if pressed >= self.press_cap:
                return self._stop(where, pressed, f"press cap of {self.press_cap} per call; call again to go on")
            try:
                plan = self._plan(where, target, blocked)
            except ToolError as e:
                return self._stop(where, pressed, str(e))
            if not plan.presses:
                return self._reached(where, target, plan, pressed, door)

    # --- planning ---------------------------------------------------------------------------------
    def _where(self, state: dict[str, Any]) -> tuple[str, Pos, str]:
        """(location, (x, y), facing); the state's text map, when it shows the player, joins the explored map."""
        location, x, y = str(state["location"]), int(state["x"]), int(state["y"])
        if state.get("on_map") is not False and "@" in (state.get("text_map") or ""):
            self.explored.update(location, state["text_map"], x, y)
        return location, (x, y), str(state.get("facing", "")).upper()

    def _plan(self, where: tuple[str, Pos, str], target: Pos, blocked: set[Pos]) -> Plan:
        """The presses from here to `target` (or, for a tile one cannot stand on, to its nearest
        walkable neighbour, then a press to face it). ToolError when the explored map has no path."""
        location, start, facing = where
        tiles = dict(self.explored.tiles(location))
        for pos in blocked - {target}:
            tiles[pos] = "#"
        ch = tiles.get(target)
        if ch is None:
            xs, ys = [p[0] for p in tiles], [p[1] for p in tiles]
            raise ToolError(f"{_xy(target)} has not been seen in {location} (tiles seen: x {min(xs)}..{max(xs)}, "
                            f"y {min(ys)}..{max(ys)})")
        if ch in STAND or ch == DOOR:
            path = astar(tiles, start, target)
            if path is None:
                raise ToolError(f"no known path from {_xy(start)} to {_xy(target)} over the tiles seen so far")
            return Plan(self._presses(path, tiles, facing), target, None)
        routes = []
        for i, (name, (dx, dy)) in enumerate(DIRS.items()):
            stand = (target[0] - dx, target[1] - dy)  # facing `name` from here looks at the target
            if tiles.get(stand) in STAND and (path := astar(tiles, start, stand)) is not None:
                routes.append((len(path), i, path, name))
        if not routes:
            raise ToolError(f"{_xy(target)} is {ch!r} and no walkable tile next to it is reachable from {_xy(start)}")
        _, _, path, face = min(routes)
        presses = self._presses(path, tiles, facing)
        if (presses[-1].button if presses else facing) != face:
            presses.append(Press(face, path[-1]))  # the target blocks the way: this only turns
        return Plan(presses, path[-1], face)

    def _presses(self, path: list[Pos], tiles: Grid, facing: str) -> list[Press]:
        """Buttons walking `path`: one per tile, a ledge crossing is one press (the jump), and an extra
        press before a change of direction where the game only turns on it."""
        out: list[Press] = []
        i = 0
        while i + 1 < len(path):
            (x0, y0), nxt = path[i], path[i + 1]
            button = next(b for b, d in DIRS.items() if (x0 + d[0], y0 + d[1]) == nxt)
            if self.turns_in_place and button != facing:
                out.append(Press(button, path[i]))
            if tiles.get(nxt) == LEDGE and i + 2 < len(path):
                out.append(Press(button, path[i + 2], last=True))
                i += 2
            else:
                out.append(Press(button, nxt))
                i += 1
            facing = button
        return out

    def _batch(self, presses: list[Press], limit: int) -> list[Press]:
        """The next presses to send: up to `limit`, ending after a ledge jump; a single straight run while
        it is unknown whether changing direction costs a press."""
        batch: list[Press] = []
        for p in presses[:limit]:
            if batch and self.turns_in_place is None and p.button != batch[0].button:
                break
            batch.append(p)
            if p.last:
                break
        return batch

    def _learn(self, before: tuple[str, Pos, str], after: tuple[str, Pos, str], buttons: list[str]) -> None:
        """From a straight run of presses that started facing another way: moved on every press (turning
        costs nothing), or one tile short with the next tile free (the first press only turned)."""
        if self.turns_in_place is not None or len(set(buttons)) != 1 or buttons[0] == before[2]:
            return
        (dx, dy), (x0, y0), (x1, y1) = DIRS[buttons[0]], before[1], after[1]
        moved = (x1 - x0) * dx + (y1 - y0) * dy
        if moved == len(buttons):
            self.turns_in_place = False
        elif moved == len(buttons) - 1 and self.explored.tiles(after[0]).get((x1 + dx, y1 + dy)) in STAND:
            self.turns_in_place = True

    # --- results ----------------------------------------------------------------------------------
    @staticmethod
    def _reached(where: tuple[str, Pos, str], target: Pos, plan: Plan, pressed: int, door: bool) -> ToolResult:
        if plan.face is None:
            text = f"reached {_xy(target)} in {pressed} presses"
            if door:  # a door mat or an exit at the map's edge warps on a press towards it, not on arrival
                text += ": a door that did not take you anywhere yet; press the direction of the exit"
        else:
            text = f"reached {_xy(where[1])} facing {_xy(target)} in {pressed} presses: press A to interact"
        return ToolResult(content=text, data=_data(where, pressed, True))

    @staticmethod
    def _stop(where: tuple[str, Pos, str], pressed: int, why: str) -> ToolResult:
        return ToolResult(ok=False, content=f"stopped at {_xy(where[1])} after {pressed} presses: {why}",
                          data=_data(where, pressed, False))


def _busy(state: dict[str, Any]) -> str:
    if state.get("in_battle"):
        return "a battle started"
    if state.get("dialog"):
        return f"a dialog or menu is open: {str(state['dialog'])[:80]}"
    return "the game has taken control (menu, cutscene or screen change)"


def _xy(pos: Pos) -> str:
    return f"({pos[0]}, {pos[1]})"


def _data(where: tuple[str, Pos, str], pressed: int, reached: bool) -> dict[str, Any]:
    return {"location": where[0], "x": where[1][0], "y": where[1][1], "presses": pressed, "reached": reached}
