"""The QUEST oracle (privileged shortest ways, from the game's source) against the real game: following
its first choice from power-on reaches every milestone, in no more presses than the hand-written route."""

from __future__ import annotations

from envs.gameboy.quest import assets
from envs.gameboy.quest.oracle import FAR, View, best_buttons, distance, step, view_from_text, view_of
from envs.gameboy.quest.route import ROUTE


def test_distances_at_the_start():
    v = View("HOUSE", *assets.START[1:], "DOWN")
    assert distance(v) == 8 and best_buttons(v) == ["DOWN", "RIGHT"]  # 4 right + 3 down, then A (no turn)
    assert distance(View("HOUSE", 10, 8, "DOWN")) == 1 and best_buttons(View("HOUSE", 10, 8, "DOWN")) == ["A"]
    assert best_buttons(View("HOUSE", 10, 8, "LEFT")) == ["DOWN"]  # turn to face Mom
    # Mom stands in the door until talked to; afterwards she is at (13, 9) and the door is free
    after = frozenset({"talked_to_mom"})
    assert distance(View("HOUSE", 10, 9, "DOWN", flags=after)) == 1
    assert step(View("HOUSE", 10, 9, "DOWN", flags=after), "DOWN").map == "TOWN"
    assert distance(View("HOUSE", 6, 5, flags=frozenset(assets.MILESTONES))) == 0
    assert distance(View("CAVE", 9, 16, flags=frozenset())) == FAR  # the cave before Mom: out of reach
    for mode, key in (("TITLE", "START"), ("DIALOG", "A"), ("BATTLE", "A"), ("MENU", "B")):
        assert best_buttons(View("TOWN", 5, 5, mode=mode)) == [key]


def test_following_the_oracle_finishes_the_game(quest_rom):
    from envs.registry import make_env

    env = make_env("quest")
    try:
        obs, info = env.reset(seed=0)
        presses, seen = 0, []
        while len(info["game"].milestones) < len(assets.MILESTONES) and presses < 2 * len(ROUTE):
            view = view_of(info["game"])
            parsed = view_from_text(obs["text"], frozenset(info["game"].milestones))
            assert parsed is not None and (parsed.map, parsed.mode) == (view.map, view.mode)
            if view.mode == "WALK":
                assert (parsed.x, parsed.y, parsed.facing) == (view.x, view.y, view.facing)
            button = best_buttons(view)[0]
            obs, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": [button]}})
            presses += 1
            seen += [m for m in info["game"].milestones if m not in seen]
    finally:
        env.close()
    assert seen == list(assets.MILESTONES)
    assert presses <= len(ROUTE), (presses, len(ROUTE))
