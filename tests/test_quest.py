"""QUEST, the in-repo game: build, boot, the adapter against the screen, the route to the end."""

from __future__ import annotations

import json
import warnings

import pytest

from envs.gameboy.adapters.quest import QuestAdapter
from envs.gameboy.game import RomError
from envs.gameboy.quest.route import ROUTE, boot, expand, press
from harness.log.store import RunReader
from tests.conftest import harness_cli, inspect_json, write_replies

warnings.filterwarnings("ignore", message=".*SDL2 binaries.*")


@pytest.fixture()
def game(quest_rom):
    from pyboy import PyBoy

    pyboy = PyBoy(str(quest_rom), window="null", sound_emulated=False)
    boot(pyboy)
    yield pyboy, QuestAdapter(quest_rom.read_bytes())
    pyboy.stop(save=False)


def play(game, script: str):
    pyboy, adapter = game
    for button in expand(script):
        press(pyboy, button)
    return adapter.read(pyboy.memory)


def screen_text_map(pyboy, adapter: QuestAdapter) -> str:
    """The text map rebuilt from what is ON SCREEN: BG tile map in VRAM + the player sprite in OAM,
    cropped like the adapter's (which reads WRAM map/object data instead)."""
    w, h = adapter.layout["map_w"], adapter.layout["map_h"]
    grid = [[adapter.tile_chars.get(pyboy.memory[0x9800 + y * 32 + x], "#") for x in range(w)] for y in range(h)]
    oam_y, oam_x = pyboy.memory[0xFE00], pyboy.memory[0xFE01]
    grid[(oam_y - 16) // 8][(oam_x - 8) // 8] = "@"
    rows = [i for i, row in enumerate(grid) if any(c != " " for c in row)]
    cols = [j for j in range(w) if any(row[j] != " " for row in grid)]
    return "\n".join("".join(grid[i][cols[0] : cols[-1] + 1]) for i in range(rows[0], rows[-1] + 1))


def test_build_writes_rom_and_symbols(quest_rom):
    rom = quest_rom.read_bytes()
    assert QuestAdapter.identify(rom) and len(rom) == 32768
    doc = json.loads((quest_rom.parent / "quest.symbols.json").read_text())
    assert tuple(doc["milestones"]) == QuestAdapter.milestones and len(doc["milestones"]) >= 8
    # addresses come from the link map and land in WRAM
    assert all(0xC000 <= a < 0xE000 for a in doc["symbols"].values())


def test_adapter_refuses_a_rom_its_symbols_do_not_describe(quest_rom):
    rom = bytearray(quest_rom.read_bytes())
    rom[0x1000] ^= 0xFF  # same title and header checksum, different code
    assert QuestAdapter.identify(bytes(rom))
    with pytest.raises(RomError, match="rebuild"):
        QuestAdapter(bytes(rom))


def test_title_then_free_movement(game):
    pyboy, adapter = game
    title = adapter.read(pyboy.memory)
    assert title.location == "Title screen" and not title.can_move
    assert title.dialog == "Q U E S T / A TINY ADVENTURE / PRESS START"
    s = play(game, "START DOWN")
    assert s.location == "HOME" and s.can_move and (s.x, s.y) == (6, 6) and s.facing == "DOWN"


@pytest.mark.parametrize(
    "script",
    [
        "START",
        "START DOWN*3 RIGHT*4",
        "START DOWN*3 RIGHT*4 DOWN A A A A DOWN*2 RIGHT*3",
        "START DOWN*3 RIGHT*4 DOWN A A A A DOWN*2 RIGHT*10 A*5 LEFT*5 UP*6 UP*3",
    ],
)
def test_text_map_matches_the_screen(game, script):
    s = play(game, script)
    pyboy, adapter = game
    pyboy.tick(30, True)  # let queued VRAM writes land
    assert adapter.read(pyboy.memory).text_map == screen_text_map(pyboy, adapter)
    assert s.text_map.count("@") == 1


def test_dialog_needs_a_and_is_read_from_the_screen(game):
    s = play(game, "START DOWN*3 RIGHT*4 DOWN A")
    assert s.dialog and s.dialog.startswith("MOM: GOOD MORNING!") and not s.can_move
    s = play(game, "DOWN DOWN")  # no A: the dialog stays, the player stays
    assert s.dialog.startswith("MOM: GOOD MORNING!") and (s.x, s.y) == (10, 8)
    s = play(game, "A")
    assert "POTION" in s.dialog and "talked_to_mom" not in s.milestones
    s = play(game, "A A")
    assert s.dialog is None and s.can_move and "talked_to_mom" in s.milestones and "POTION x1" in s.inventory


def test_gate_blocks_without_the_key(game):
    # straight to the gate, skipping the key in the grass
    s = play(game, "START DOWN*3 RIGHT*4 DOWN A A A A DOWN*2 RIGHT*10 A*5 LEFT*5 UP*6 UP*7 RIGHT*2 UP*3 UP UP")
    assert s.location == "ROUTE 1" and (s.x, s.y) == (11, 6)
    s = play(game, "A")
    assert s.dialog == "THE GATE IS LOCKED" and "opened_gate" not in s.milestones


def test_start_menu_opens_and_closes(game):
    s = play(game, "START DOWN START")
    assert not s.can_move and s.extra["mode"] == "MENU" and "POTION" not in (s.dialog or "")
    s = play(game, "B")
    assert s.can_move and s.dialog is None


def test_route_reaches_every_milestone_in_order(game):
    pyboy, adapter = game
    first: dict[str, int] = {}
    for i, button in enumerate(ROUTE):
        press(pyboy, button)
        for m in adapter.read(pyboy.memory).milestones:
            first.setdefault(m, i + 1)
    assert list(first) == list(QuestAdapter.milestones)
    assert sorted(first.values()) == list(first.values())
    assert first["got_orb"] == len(ROUTE) <= 300
    # every VRAM write of the run fitted in VBlank (the game counts flushes that ran past it)
    assert pyboy.memory[adapter.sym["g_overruns"]] == 0


@pytest.mark.slow
def test_route_through_the_runtime_records_milestone_events(tmp_path, quest_rom):
    """The whole stack: scripted model -> loop -> env (child process) -> adapter -> milestone events."""
    replies = write_replies(
        tmp_path / "route.jsonl",
        [{"tool": "press_buttons", "arguments": {"buttons": [b], "reasoning": "route"}} for b in ROUTE],
    )
    run = tmp_path / "run"
    harness_cli(
        "run",
        "--env",
        "quest",
        "--model",
        f"scripted:{replies}",
        "--steps",
        str(len(ROUTE)),
        "--run-dir",
        str(run),
        "--quiet",
    )
    s = inspect_json(run)
    names = [m["name"] for m in s["milestones"]]
    assert names == list(QuestAdapter.milestones)
    last = s["milestones"][-1]
    assert last["name"] == "got_orb" and last["step"] == len(ROUTE) - 1 and last["button_presses"] == len(ROUTE)
    steps = {e.step: e for e in RunReader(run).steps(0)}
    for m in s["milestones"]:
        assert m["name"] in steps[m["step"]].new_milestones
        assert steps[m["step"]].totals.presses == m["button_presses"]


def test_probe_after_a_scripted_walk(quest_rom, tmp_path):
    walk = "START,DOWN,DOWN,DOWN,RIGHT,RIGHT,RIGHT,RIGHT,DOWN,A"
    out = json.loads(
        harness_cli(
            "probe", "--env", "quest", "--press", walk, "--json", "--save-state", str(tmp_path / "s.state")
        ).stdout
    )
    st = out["state"]
    assert (st["location"], st["x"], st["y"], st["facing"]) == ("HOME", 10, 8, "DOWN")
    assert st["dialog"].startswith("MOM: GOOD MORNING!") and st["milestones"] == []
    assert 'Dialog: "MOM: GOOD MORNING!' in out["text"]
    # continue from the savestate: the remaining pages set the first milestone flag
    out = json.loads(
        harness_cli(
            "probe", "--env", "quest", "--state", str(tmp_path / "s.state"), "--press", "A,A,A,DOWN,DOWN", "--json"
        ).stdout
    )
    assert out["state"]["location"] == "QUEST TOWN"
    assert out["state"]["milestones"] == ["talked_to_mom", "entered_town"]
