"""navigate_to: A* over the text map, the explored map across windows, the macro loop against a small
grid world, and one walk on the real QUEST emulator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tools.base import ToolError, ToolResult
from tools.navigate import DIRS, ExploredMap, NavigateArgs, NavigateTo, astar


def grid_of(*rows: str, origin: tuple[int, int] = (0, 0)) -> dict[tuple[int, int], str]:
    return {(origin[0] + c, origin[1] + r): ch for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != " "}


# --- A* -------------------------------------------------------------------------------------------

def test_astar_straight_path():
    grid = grid_of(".....")
    assert astar(grid, (0, 0), (4, 0)) == [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]
    assert astar(grid, (2, 0), (2, 0)) == [(2, 0)]


def test_astar_goes_around_walls():
    grid = grid_of(
        ".#...",
        ".#.#.",
        "...#.",
    )
    path = astar(grid, (0, 0), (4, 0))
    assert path is not None and path[0] == (0, 0) and path[-1] == (4, 0)
    assert len(path) == 9 and all(grid[p] != "#" for p in path)
    assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in zip(path, path[1:], strict=False))


def test_astar_no_path_and_unknown_tiles_block():
    assert astar(grid_of("..#.."), (0, 0), (4, 0)) is None
    assert astar(grid_of(".. .."), (0, 0), (4, 0)) is None  # ' ' is unknown: not walked over
    assert astar(grid_of("..~.."), (0, 0), (4, 0)) is None  # water
    # a predicate instead of tiles; max_nodes bounds an open world
    assert astar(lambda p: p != (1, 0), (0, 0), (2, 0)) == [(0, 0), (0, -1), (1, -1), (2, -1), (2, 0)]
    assert astar(lambda p: p[0] < 5, (0, 0), (9, 0), max_nodes=500) is None


def test_astar_ledges_only_downward():
    grid = grid_of(
        "...",
        "_#.",
        "...",
    )
    assert astar(grid, (0, 0), (0, 2)) == [(0, 0), (0, 1), (0, 2)]  # jump down
    up = astar(grid, (0, 2), (0, 0))
    assert up is not None and (0, 1) not in up and len(up) == 7  # the long way round
    assert astar(grid_of(".", "_", "."), (0, 2), (0, 0)) is None
    assert astar(grid_of("._."), (0, 0), (2, 0)) is None  # not sideways either


def test_astar_doors_only_as_the_goal():
    grid = grid_of("..D..", ".....")
    path = astar(grid, (0, 0), (4, 0))
    assert path is not None and (2, 0) not in path
    assert astar(grid, (0, 0), (2, 0)) == [(0, 0), (1, 0), (2, 0)]


def test_astar_tie_break_is_deterministic_and_prefers_few_turns():
    grid = grid_of(*["....."] * 5)
    paths = {tuple(astar(grid, (0, 0), (3, 3)) or []) for _ in range(5)}
    assert len(paths) == 1
    path = list(paths.pop())
    moves = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(path, path[1:], strict=False)]
    assert len(path) == 7 and sum(m != n for m, n in zip(moves, moves[1:], strict=False)) == 1
    assert moves == [DIRS["DOWN"]] * 3 + [DIRS["RIGHT"]] * 3  # DOWN comes before RIGHT in the order


# --- the explored map -----------------------------------------------------------------------------

def test_explored_map_merges_windows_and_plans_to_a_tile_seen_earlier():
    world = [
        "#########",
        "#.......#",
        "#.##.##.#",
        "#.......#",
        "#########",
    ]
    em = ExploredMap()
    # window 1: columns 0..4 around the player at game (1, 1) (world origin at game (10, 20))
    first = "\n".join(row[0:5] for row in world).replace(".", "@", 1)
    em.update("CAVE", first, 11, 21)
    # window 2: columns 4..8, player at column 7 row 3 = game (17, 23)
    rows = [list(row[4:9]) for row in world]
    rows[3][3] = "@"
    tiles = em.update("CAVE", "\n".join("".join(r) for r in rows), 17, 23)
    assert tiles == grid_of(*world, origin=(10, 20))  # both windows, the '@' cells stored as floor
    path = astar(tiles, (17, 23), (11, 21))  # only seen in the first window
    assert path is not None and path[-1] == (11, 21) and len(path) == 9
    # newer wins; unknown never overwrites; the player's cell keeps a known door
    em.update("CAVE", "N @", 12, 21)
    assert em.tiles("CAVE")[(10, 21)] == "N" and em.tiles("CAVE")[(11, 21)] == "."
    em.update("CAVE", "D@", 1, 0)
    em.update("CAVE", "@.", 0, 0)
    assert em.tiles("CAVE")[(0, 0)] == "D"
    with pytest.raises(ValueError, match="no '@'"):
        em.update("CAVE", "...", 0, 0)


def test_explored_map_is_bounded():
    em = ExploredMap(max_tiles=10, max_locations=2)
    em.update("A", "@" + "." * 20, 0, 0)
    assert len(em.tiles("A")) == 10 and (20, 0) in em.tiles("A") and (0, 0) not in em.tiles("A")
    em.update("B", "@", 0, 0)
    em.update("C", "@", 0, 0)
    assert len(em) == 2 and em.tiles("A") == {}


# --- the macro loop against a grid world ---------------------------------------------------------

class GridWorld:
    """A tiny Game Boy-like world behind the ToolContext protocol. Moves as QUEST does (a press turns and
    moves), or only turns when the facing changes (turns_in_place); '_' is jumped over moving DOWN; 'D'
    warps to location 'INSIDE' (unless `mats`: then nothing happens); walking onto a `trap` opens a dialog;
    `invisible` walls show as '.'.
    Game coords are the grid's plus `origin`; `radius` crops the text map around the player."""

    def __init__(self, *rows: str, origin: tuple[int, int] = (5, 3), radius: int | None = None,
                 turns_in_place: bool = False, traps: tuple[tuple[int, int], ...] = (),
                 invisible: tuple[tuple[int, int], ...] = (), frozen: bool = False, mats: bool = False) -> None:
        self.cells = [list(r) for r in rows]
        r = next(i for i, row in enumerate(rows) if "@" in row)
        self.pos = (rows[r].index("@") + origin[0], r + origin[1])
        self.cells[r][rows[r].index("@")] = "."
        self.origin, self.radius, self.turns_in_place = origin, radius, turns_in_place
        self.traps, self.invisible, self.frozen, self.mats = set(traps), set(invisible), frozen, mats
        self.facing, self.location, self.dialog = "DOWN", "TOWN", None
        self.acts: list[list[str]] = []

    def char(self, p: tuple[int, int]) -> str:
        c, r = p[0] - self.origin[0], p[1] - self.origin[1]
        if 0 <= r < len(self.cells) and 0 <= c < len(self.cells[r]):
            return self.cells[r][c]
        return " "

    def state(self) -> dict[str, Any]:
        grid = [row[:] for row in self.cells]
        c, r = self.pos[0] - self.origin[0], self.pos[1] - self.origin[1]
        grid[r][c] = "@"
        if self.radius is not None:
            k = self.radius
            grid = [row[max(0, c - k): c + k + 1] for row in grid[max(0, r - k): r + k + 1]]
        return {"game": "grid", "location": self.location, "map_id": 0, "x": self.pos[0], "y": self.pos[1],
                "facing": self.facing, "on_map": True, "text_map": "\n".join("".join(row) for row in grid),
                "dialog": self.dialog, "can_move": self.dialog is None, "in_battle": False,
                "progress": {"where": [self.location, *self.pos]}}

    def act(self, action: dict[str, Any]) -> ToolResult:
        assert action["name"] == "press_buttons"
        buttons = action["arguments"]["buttons"]
        assert 1 <= len(buttons) <= 5
        self.acts.append(buttons)
        for b in buttons:
            if self.dialog or self.location != "TOWN" or self.frozen:
                continue
            if self.turns_in_place and b != self.facing:
                self.facing = b
                continue
            self.facing = b
            dx, dy = DIRS[b]
            nxt = (self.pos[0] + dx, self.pos[1] + dy)
            ch = self.char(nxt)
            if ch == "_" and b == "DOWN":
                nxt = (nxt[0], nxt[1] + 1)
                ch = self.char(nxt)
            if ch not in ".gD" or nxt in self.invisible:
                continue
            self.pos = nxt
            if ch == "D" and not self.mats:
                self.location, self.pos, self.facing = "INSIDE", (1, 1), "UP"
                self.cells = [list("..."), list(".@."), list("...")]
                self.cells[1][1] = "."
                self.origin = (0, 0)
            if nxt in self.traps:
                self.dialog = "HELLO THERE"
        return ToolResult(content=f"now at {self.pos}")

    @property
    def presses(self) -> int:
        return sum(len(a) for a in self.acts)


def navigate(world: GridWorld, x: int, y: int, tool: NavigateTo | None = None) -> ToolResult:
    return (tool or NavigateTo()).run(world, NavigateArgs(x=x, y=y))


ROOM = (
    "#########",
    "#@......#",
    "#.###...#",
    "#...#.N.#",
    "#.#.#...#",
    "#########",
)


def test_navigate_reaches_a_target_around_walls():
    world = GridWorld(*ROOM)  # '@' at grid (1, 1) = game (6, 4)
    result = navigate(world, 8, 8)  # grid (3, 5)? a wall: the target below is in the room
    assert "facing" in result.content  # a wall tile: stand next to it and face it
    world = GridWorld(*ROOM)
    result = navigate(world, 8, 6)  # grid (3, 3): DOWN DOWN RIGHT RIGHT
    assert result.ok and result.content == "reached (8, 6) in 4 presses"
    assert world.pos == (8, 6) and world.acts == [["DOWN", "DOWN"], ["RIGHT", "RIGHT"]]
    assert result.data == {"location": "TOWN", "x": 8, "y": 6, "presses": 4, "reached": True}
    # once the game is known to move on the press that turns, a batch spans turns
    tool = NavigateTo()
    tool.turns_in_place = False
    world = GridWorld(*ROOM)
    assert navigate(world, 8, 6, tool).ok and world.acts == [["DOWN", "DOWN", "RIGHT", "RIGHT"]]
    assert all(len(a) <= 5 for a in world.acts)


def test_navigate_faces_a_person_and_reports_it():
    world = GridWorld(*ROOM)
    result = navigate(world, 11, 6)  # the N at grid (6, 3)
    assert result.ok and "facing (11, 6)" in result.content and "press A" in result.content
    assert world.pos in {(11, 5), (10, 6), (12, 6), (11, 7)}
    dx, dy = DIRS[world.facing]
    assert (world.pos[0] + dx, world.pos[1] + dy) == (11, 6)
    with pytest.raises(ToolError, match="already next to .* press A"):
        navigate(world, 11, 6)


def test_navigate_in_a_game_where_turning_costs_a_press():
    world = GridWorld(*ROOM, turns_in_place=True)
    tool = NavigateTo()
    result = navigate(world, 8, 6, tool)  # DOWN DOWN, then RIGHT turns and RIGHT RIGHT move
    assert result.ok and world.pos == (8, 6) and tool.turns_in_place is True
    assert world.acts == [["DOWN", "DOWN"], ["RIGHT", "RIGHT"], ["RIGHT"]]
    world.acts.clear()
    result = navigate(world, 6, 4, tool)  # back: planned with a turn press before each change of direction
    assert result.ok and world.pos == (6, 4) and world.acts == [["LEFT", "LEFT", "LEFT", "UP", "UP"], ["UP"]]
    quest_like = NavigateTo()
    navigate(GridWorld(*ROOM), 8, 6, quest_like)
    assert quest_like.turns_in_place is False


def test_navigate_plans_to_a_tile_outside_the_window():
    rows = ("###########", "#@........#", "#.#######.#", "#.........#", "###########")
    world = GridWorld(*rows, radius=2)  # 5x5 windows; '@' at grid (1, 1) = game (6, 4)
    tool = NavigateTo()
    with pytest.raises(ToolError, match=r"\(14, 4\) has not been seen in TOWN \(tiles seen: x 5..8, y 3..6\)"):
        navigate(world, 14, 4, tool)
    for x in (8, 10, 12, 14):  # east along the corridor, each target at the window's edge
        assert navigate(world, x, 4, tool).ok
    assert world.pos == (14, 4) and "(6, 6)" not in world.state()["text_map"]
    fresh = NavigateTo()
    with pytest.raises(ToolError, match="has not been seen"):
        navigate(world, 6, 6, fresh)  # grid (1, 3): only in the first window
    result = navigate(world, 6, 6, tool)
    assert result.ok and world.pos == (6, 6) and result.content == "reached (6, 6) in 10 presses"


def test_navigate_stops_when_a_dialog_opens():
    world = GridWorld(*ROOM, traps=((8, 4),))  # grid (3, 1), on the way right
    result = navigate(world, 12, 4)
    assert not result.ok and result.content.startswith("stopped at (8, 4) after")
    assert "dialog" in result.content and "HELLO THERE" in result.content
    with pytest.raises(ToolError, match="cannot walk now"):
        navigate(world, 12, 4)
    assert world.pos == (8, 4)


def test_navigate_reports_blocked_and_invisible_walls():
    world = GridWorld("#####", "#@..#", "#...#", "#...#", "#####", frozen=True)
    result = navigate(world, 8, 6)
    assert not result.ok and world.acts == [["DOWN", "DOWN"], ["RIGHT", "RIGHT"]]  # the second tried around
    assert result.content == "stopped at (6, 4) after 4 presses: blocked (pressed RIGHT RIGHT without moving)"
    # a wall the map does not show: marked blocked, planned around, or given up on when no way is left
    world = GridWorld("#####", "#@..#", "#####", invisible=((8, 4),))
    result = navigate(world, 8, 4)
    assert not result.ok and result.content.startswith("stopped at (7, 4)") and world.presses <= 6


def test_navigate_errors_before_acting():
    world = GridWorld("#####", "#@#.#", "#####")
    with pytest.raises(ToolError, match="no known path"):
        navigate(world, 8, 4)
    with pytest.raises(ToolError, match="no walkable tile next to it"):
        navigate(GridWorld("#######", "#@#.N.#", "#######"), 9, 4)
    with pytest.raises(ToolError, match="has not been seen"):
        navigate(world, 50, 50)
    with pytest.raises(ToolError, match="already at"):
        navigate(world, 6, 4)
    assert world.acts == []

    class NoMap:
        def state(self) -> dict[str, Any]:
            return {"url": "https://example.org", "progress": {}}

    with pytest.raises(ToolError, match="needs a map with x, y"):
        NavigateTo().run(NoMap(), NavigateArgs(x=1, y=1))  # type: ignore[arg-type]


def test_navigate_through_a_door_ledges_and_the_press_cap():
    world = GridWorld("#####", "#@..#", "#..D#", "#####")
    result = navigate(world, 8, 5)
    assert result.ok and result.content == "reached the door (8, 5) in 3 presses: now in INSIDE at (1, 1)"
    assert world.location == "INSIDE"
    # a door mat warps on a press towards the exit, not on arrival: say so
    world = GridWorld("#####", "#@..#", "#..D#", "#####", mats=True)
    result = navigate(world, 8, 5)
    assert result.ok and "did not take you anywhere yet; press the direction of the exit" in result.content
    # walking past a door is not going through it
    world = GridWorld("#####", "#@D.#", "#...#", "#####")
    result = navigate(world, 8, 4)
    assert result.ok and world.location == "TOWN" and world.pos == (8, 4)
    # one press jumps the ledge; the batch stops there and replans from where it landed
    world = GridWorld("#...#", "#.@.#", "#_#.#", "#...#", "#...#")
    result = navigate(world, 6, 7)
    assert result.ok and world.pos == (6, 7) and world.acts == [["LEFT"], ["DOWN"], ["DOWN"]]
    tool = NavigateTo()
    tool.turns_in_place = False
    world = GridWorld("#...#", "#.@.#", "#_#.#", "#...#", "#...#")
    assert navigate(world, 6, 7, tool).ok and world.acts == [["LEFT", "DOWN"], ["DOWN"]]
    # long walks stop at the cap
    world = GridWorld("#" * 62, "#@" + "." * 59 + "#", "#" * 62)
    result = NavigateTo(press_cap=40).run(world, NavigateArgs(x=64, y=4))
    assert not result.ok and "press cap of 40" in result.content and world.presses == 40 and world.pos == (46, 4)
    assert NavigateTo().run(world, NavigateArgs(x=64, y=4)).ok


def test_navigate_tool_spec():
    spec = NavigateTo().spec()
    assert spec.name == "navigate_to" and NavigateTo.kind == "action"
    assert list(spec.parameters["properties"]) == ["reasoning", "x", "y"]
    assert spec.parameters["properties"]["reasoning"]["maxLength"] == 160


# --- the real emulator -----------------------------------------------------------------------------

class EnvContext:
    """The runtime's ToolContext reduced to what navigate_to uses, over a real env."""

    def __init__(self, env: Any, info: dict[str, Any]) -> None:
        self.env, self.info, self.steps = env, info, 0

    def state(self) -> dict[str, Any]:
        return {**self.info["game"].model_dump(mode="json"), "progress": self.info["progress"].model_dump()}

    def act(self, action: dict[str, Any]) -> ToolResult:
        _, _, _, _, self.info = self.env.step(action)
        self.steps += 1
        return ToolResult(content=self.info["progress"].text())


def test_navigate_on_the_quest_rom(quest_rom):
    from envs.registry import make_env

    t0 = time.monotonic()
    env = make_env("quest")
    try:
        _, info = env.reset(seed=0)
        _, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": ["START"]}})
        game = info["game"]
        assert game.location == "HOME" and game.can_move and (game.x, game.y) == (6, 5)
        ctx, tool = EnvContext(env, info), NavigateTo()
        # around the table to the far corner of the room
        result = tool.run(ctx, NavigateArgs(x=14, y=8))
        assert result.ok and result.content == "reached (14, 8) in 11 presses", result.content
        assert (ctx.info["game"].x, ctx.info["game"].y) == (14, 8)
        assert tool.turns_in_place is False  # QUEST: a press that changes facing also moves
        # Mom blocks the door: stop next to her, facing her, and A talks
        result = tool.run(ctx, NavigateArgs(x=10, y=9))
        game = ctx.info["game"]
        assert result.ok and "facing (10, 9)" in result.content, result.content
        assert (game.x, game.y, game.facing) == (10, 8, "DOWN")
        _, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": ["A"]}})
        assert info["game"].dialog.startswith("MOM: GOOD MORNING!")
        ctx.info = info
        with pytest.raises(ToolError, match="cannot walk now"):
            tool.run(ctx, NavigateArgs(x=6, y=5))
    finally:
        env.close()
    assert time.monotonic() - t0 < 20


# --- the expert presets ----------------------------------------------------------------------------

def test_expert_presets_load():
    from harness.state import preset

    for env in ("quest", "pokered"):
        h = preset("expert", env)
        assert h.tools == ["navigate_to", "call_subagent"]
        blocks = {b.label: b for b in h.blocks}
        assert blocks["role"].read_only and blocks["objectives"].read_only
        assert not blocks["strategy"].read_only and blocks["notes"].value == ""
        battle = h.subagents["battle"]
        assert battle.tools == ["press_buttons"] and battle.max_turns == 8 and "HP left" in battle.returns


QUEST_PLAY = [  # the expert objectives, as navigate_to targets and A presses (None: just press)
    (None, ["START"]), ((10, 9), ["A"] * 4), ((10, 10), []), ((15, 6), ["A"] * 5), ((9, 0), []),
    ((3, 9), ["A"] * 2), ((11, 5), ["A"] * 2), ((13, 1), []), ((2, 3), ["A"] * 2), (None, ["A"] * 13),
    ((1, 1), ["A"] * 4),
]


def test_expert_quest_objectives_play_to_the_end(quest_rom):
    """Every navigate_to target in the quest objectives is a person, thing or door of the game's own data,
    and following them with navigate_to and A reaches every milestone."""
    import re

    from envs.gameboy.quest.assets import MILESTONES, OBJECTS, WARPS
    from envs.registry import make_env
    from harness.state import preset

    objectives = preset("expert", "quest").block("objectives").value
    named = {(int(x), int(y)) for x, y in re.findall(r"navigate_to\((\d+), (\d+)\)", objectives)}
    assert named == {t for t, _ in QUEST_PLAY if t}
    assert named <= {(o.x, o.y) for o in OBJECTS} | {(w.x, w.y) for w in WARPS}
    env = make_env("quest")
    try:
        _, info = env.reset(seed=0)
        ctx, tool, reached = EnvContext(env, info), NavigateTo(), set()
        for target, buttons in QUEST_PLAY:
            if target:
                result = tool.run(ctx, NavigateArgs(x=target[0], y=target[1]))
                assert result.ok, (target, result.content)
            for i in range(0, len(buttons), 5):
                ctx.act({"name": "press_buttons", "arguments": {"buttons": buttons[i:i + 5]}})
            reached |= set(ctx.info["game"].milestones)
        assert reached == set(MILESTONES)
    finally:
        env.close()


def test_the_expert_preset_runs_through_the_runtime_with_navigate_to(tmp_path, quest_rom):
    """navigate_to as the agent's tool: one step walks the path, the step records the tool call as its
    action and every press it made (replayed on resume), and the milestone lands on the step that got it."""
    from harness.config import RunConfig
    from harness.log.store import RunReader
    from harness.run import restore_env, start_run
    from tests.conftest import press, write_replies

    nav = {"tool": "navigate_to", "arguments": {"x": 10, "y": 9, "reasoning": "Mom"}}
    replies = write_replies(tmp_path / "r.jsonl", [press("START"), nav, *[press("A")] * 4])
    cfg = RunConfig(env="quest", harness="expert", model=f"scripted:{replies}", steps=6)
    agent = start_run(cfg, tmp_path / "run")
    with agent:
        agent.run(6)
    r = RunReader(tmp_path / "run")
    steps = list(r.steps(0))
    walk = steps[1]
    assert walk.action == {"name": "navigate_to", "arguments": {"x": 10, "y": 9, "reasoning": ""}}
    assert walk.env_actions and walk.action_cost == sum(len(a["arguments"]["buttons"]) for a in walk.env_actions)
    assert walk.calls[0].kind == "action" and walk.calls[0].result.startswith("reached")
    assert steps[-1].new_milestones == ["talked_to_mom"]
    env, _, info, _, _ = restore_env(r, cfg, 6)
    with env:
        assert list(info["progress"].where) == steps[-1].where
