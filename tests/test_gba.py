"""QUEST-GBA on mGBA: the build, the adapter against the screen, the route to the end through the env, exact
savestates, one clear line for every bad ROM, and the env through the real CLI (probe, run, resume)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from envs.base import RomError
from envs.checker import check_env
from envs.gba.adapters.quest import QuestGBAAdapter
from envs.gba.emulator import GBAEmulator, validate_rom
from envs.gba.env import GBAEnv
from envs.gba.game import EWRAM, EWRAM_SIZE, ImageMemory, header_complement, header_ok, rom_code, rom_title
from envs.gba.quest import assets
from envs.gba.quest.route import ROUTE, expand, route_steps
from harness.log.store import RunReader
from tests.conftest import harness_cli, inspect_json, press, write_replies

SB_ROOM, SB_OBJS = 0x0600E000, 0x0600F000  # the game's BG0 (terrain) and BG2 (objects) screenblocks


@pytest.fixture(scope="session")
def gba_rom() -> Path:
    from envs.gba.quest.build import ensure_built

    return ensure_built()


@pytest.fixture(scope="module")
def booted(gba_rom):
    env = GBAEnv(gba_rom)
    yield env
    env.close()


@pytest.fixture()
def env(booted):
    """The module's env, powered on afresh (a reboot in the same mGBA child: no new process per test)."""
    booted.reset(seed=0)
    return booted


def play(env: GBAEnv, script: str):
    """Press the buttons of `script` ("UP*3 A") through the env's action tool, 5 per step; the last info."""
    buttons = expand(script)
    info = None
    for i in range(0, len(buttons), 5):
        _, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": buttons[i : i + 5]}})
    return info


def derive(rom: bytes, **fields: bytes) -> bytes:
    """The ROM with header fields replaced (title=..., code=...) and the complement fixed again."""
    out = bytearray(rom)
    for name, value in fields.items():
        at = {"title": 0xA0, "code": 0xAC}[name]
        out[at : at + len(value)] = value
    out[0xBD] = header_complement(bytes(out))
    return bytes(out)


def sram(env: GBAEnv) -> bytes:
    """The progress record QUEST-GBA keeps in cartridge SRAM: "QG" and its flags byte."""
    return env.emulator.read_memory(0x0E000000, 3)


def one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert "\n" not in msg and msg, msg
    return msg


# -- the build -----------------------------------------------------------------------------------------


def test_build_writes_rom_and_symbols(gba_rom):
    rom = gba_rom.read_bytes()
    assert QuestGBAAdapter.identify(rom) and header_ok(rom)
    assert (rom_title(rom), rom_code(rom), rom[0xB2]) == ("QUEST GBA", "QGBA", 0x96)
    assert validate_rom(gba_rom) == rom
    doc = json.loads((gba_rom.parent / "quest-gba.symbols.json").read_text())
    assert doc["rom"]["sha1"] == hashlib.sha1(rom).hexdigest()
    assert tuple(doc["milestones"]) == QuestGBAAdapter.milestones == assets.MILESTONES
    assert len(doc["rooms"]) >= 3
    # addresses come from the linked ELF and land in EWRAM, sizes as declared in quest.c
    assert all(a >= EWRAM and a + doc["sizes"][n] <= EWRAM + EWRAM_SIZE for n, a in doc["symbols"].items())
    assert doc["sizes"]["g_room_buf"] == assets.ROOM_W * assets.ROOM_H
    assert doc["sizes"]["g_dialog"] == assets.DIALOG_MAX


def test_adapter_refuses_a_rom_its_symbols_do_not_describe(gba_rom):
    rom = bytearray(gba_rom.read_bytes())
    rom[0x400] ^= 0xFF  # same title and header, different code
    assert QuestGBAAdapter.identify(bytes(rom))
    with pytest.raises(RomError, match="rebuild"):
        QuestGBAAdapter(bytes(rom))


def test_adapter_reads_a_memory_image_built_by_hand(gba_rom):
    """The adapter is pure: state written at the symbol addresses comes back as a GameState."""
    rom = gba_rom.read_bytes()
    adapter = QuestGBAAdapter(rom)
    s = adapter.sym
    mem = ImageMemory(rom)
    mem.write(s["g_mode"], bytes([assets.MODES.index("DIALOG")]))
    mem.write(s["g_room"], bytes([assets.ROOM_ID["GROVE"]]))
    mem.write(s["g_px"], b"\x03")
    mem.write(s["g_py"], b"\x02")
    mem.write(s["g_facing"], bytes([assets.FACING.index("LEFT")]))
    mem.write(s["g_flags"], bytes([0b101]))
    mem.write(s["g_items"], b"\x01\x00")
    mem.write(s["g_room_buf"], bytes(assets.room_cells(assets.ROOMS[assets.ROOM_ID["GROVE"]])))
    mem.write(s["g_obj_count"], b"\x01")
    mem.write(s["g_objs"], bytes([2, 2, assets.OBJ_KINDS.index("NPC"), 0, 0]))
    mem.write(s["g_dialog"], b"HELLO\nTHERE\0")
    st = adapter.read(mem)
    assert (st.location, st.map_id, st.x, st.y, st.facing) == ("GROVE", 2, 3, 2, "LEFT")
    assert not st.can_move and st.dialog == "HELLO / THERE"
    assert st.milestones == ["left_start_room", "got_item"] and st.inventory == ["KEY x1"]
    rows = st.text_map.splitlines()
    assert len(rows) == assets.ROOM_H and all(len(r) == assets.ROOM_W for r in rows)
    assert rows[2][2:4] == "N@" and rows[6][0] == "D" and rows[4][6] == "~"


# -- playing through mGBA --------------------------------------------------------------------------------


def screen_text_map(env: GBAEnv, adapter: QuestGBAAdapter) -> str:
    """The text map rebuilt from what is ON SCREEN: the BG0 / BG2 screenblocks in VRAM and the player
    sprite in OAM (the adapter reads EWRAM room and object tables instead)."""
    emu = env.emulator
    w, h = assets.ROOM_W, assets.ROOM_H
    by_cell = {assets.CELL_TILE0 + 4 * i: name for i, name in enumerate(assets.CELLS)}
    kind_of = {o.art: o.kind for o in assets.OBJECTS}
    legend = assets.cell_legend()
    grid = []
    for cy in range(h):
        terrain = emu.read_memory(SB_ROOM + cy * 2 * 64, 64)
        objects = emu.read_memory(SB_OBJS + cy * 2 * 64, 64)
        row = ""
        for cx in range(w):
            t = int.from_bytes(terrain[cx * 4 : cx * 4 + 2], "little")
            o = int.from_bytes(objects[cx * 4 : cx * 4 + 2], "little")
            row += assets.OBJ_LEGEND[kind_of[by_cell[o]]] if o else legend[assets.CELL[by_cell[t]]]
        grid.append(list(row))
    oam = emu.read_memory(0x07000000, 4)
    y, x = oam[0], int.from_bytes(oam[2:4], "little") & 0x1FF
    grid[y // 16][x // 16] = "@"
    return "\n".join("".join(r) for r in grid)


def test_title_then_free_movement(env):
    st = env.state
    assert st.location == "Title screen" and not st.can_move and not st.on_map
    assert st.dialog == "QUEST GBA / A TINY ADVENTURE / PRESS START"
    info = play(env, "START")
    st = info["game"]
    assert (st.location, st.x, st.y, st.facing, st.can_move) == ("HOME", 7, 5, "DOWN", True)
    assert info["progress"].where == ("HOME", 7, 5) and info["action_cost"] == 1
    st = play(env, "RIGHT*2 UP L R SELECT")["game"]  # the shoulder buttons are accepted and do nothing here
    assert (st.x, st.y, st.facing) == (9, 4, "UP")


@pytest.mark.parametrize("script", ["START", "START DOWN*4 DOWN RIGHT*5", "START DOWN*4 DOWN RIGHT*9 A*4 UP"])
def test_text_map_matches_the_screen(env, script):
    play(env, script)
    env.step(None)  # let the redraw of the last press land
    adapter = QuestGBAAdapter(env.rom_path.read_bytes())
    assert env.state.text_map == screen_text_map(env, adapter)
    assert env.state.text_map.count("@") == 1


def test_dialog_needs_a_and_the_sage_steps_aside(env):
    st = play(env, "START DOWN*4 DOWN RIGHT*9 A")["game"]
    assert st.dialog.startswith("SAGE: AH, A TRAVELLER!") and not st.can_move and st.extra["more_pages"]
    st = play(env, "RIGHT DOWN")["game"]  # no A: the dialog stays, the player stays
    assert st.dialog.startswith("SAGE: AH") and (st.x, st.y) == (12, 6)
    st = play(env, "A")["game"]
    assert "KEY WAS LOST IN THE GROVE" in st.dialog and "talked_to_npc" not in st.milestones
    st = play(env, "A A")["game"]
    assert st.dialog is None and st.can_move and "talked_to_npc" in st.milestones
    assert st.text_map.splitlines()[5][13] == "N" and st.text_map.splitlines()[6][13] == "."


def test_gate_blocks_without_the_key(env):
    st = play(env, "START DOWN*4 DOWN RIGHT*4 UP*4 UP")["game"]
    assert (st.location, st.x, st.y, st.facing) == ("MEADOW", 7, 2, "UP")
    st = play(env, "A")["game"]
    assert st.dialog == "THE GATE IS LOCKED. / IT NEEDS A KEY." and "opened_gate" not in st.milestones
    st = play(env, "A UP")["game"]
    assert (st.x, st.y) == (7, 2)


def test_route_through_the_env_reaches_every_milestone_in_order(env):
    first: dict[str, int] = {}
    presses = 0
    for i, buttons in enumerate(route_steps()):
        _, _, terminated, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": buttons}})
        presses += info["action_cost"]
        for m in info["progress"].milestones:
            first.setdefault(m, i)
        assert not terminated
    assert list(first) == list(QuestGBAAdapter.milestones)
    assert sorted(first.values()) == list(first.values())
    assert presses == len(ROUTE) and first["reached_goal"] == len(route_steps()) - 1
    st = info["game"]
    assert st.location == "SHRINE" and st.inventory == ["KEY x1", "CRYSTAL x1"] and st.can_move


def test_savestate_round_trip_is_exact(env, gba_rom):
    """Frame, text, progress, and the cartridge SRAM the game writes its progress to (which mGBA's raw state
    leaves out) all come back; a fresh env (a resume in another process) gets the same."""
    steps = route_steps()
    for buttons in steps[:6]:
        env.step({"name": "press_buttons", "arguments": {"buttons": buttons}})
    at_save = env.step(None)[0]
    blob = env.save_state()
    assert sram(env) == b"QG\x03"  # left_start_room, talked_to_npc
    first = [env.step({"name": "press_buttons", "arguments": {"buttons": b}}) for b in steps[6:9]]
    assert sram(env) == b"QG\x07"  # + got_item
    obs, info = env.load_state(blob)
    assert obs["text"] == at_save["text"] and np.array_equal(obs["frame"], at_save["frame"])
    assert info["action_cost"] == 0 and sram(env) == b"QG\x03"
    again = [env.step({"name": "press_buttons", "arguments": {"buttons": b}}) for b in steps[6:9]]
    for a, b in zip(first, again, strict=True):
        assert a[0]["text"] == b[0]["text"] and np.array_equal(a[0]["frame"], b[0]["frame"])
        assert a[4]["progress"] == b[4]["progress"] and a[4]["frame_count"] == b[4]["frame_count"]
    assert "got_item" in again[-1][4]["progress"].milestones
    other = GBAEnv(gba_rom)
    try:
        other.reset(seed=1)
        obs, _ = other.load_state(blob)
        assert obs["text"] == at_save["text"] and np.array_equal(obs["frame"], at_save["frame"])
        assert sram(other) == b"QG\x03"
        got = other.step({"name": "press_buttons", "arguments": {"buttons": steps[6]}})
        assert got[0]["text"] == first[0][0]["text"] and np.array_equal(got[0]["frame"], first[0][0]["frame"])
    finally:
        other.close()
    with pytest.raises(ValueError):
        env.load_state(b"CHGA" + bytes(40))
    check_env(env, fresh=lambda: GBAEnv(gba_rom))


def test_memory_view_reads_slices_and_the_bus(env):
    adapter = QuestGBAAdapter(env.rom_path.read_bytes())
    play(env, "START")
    read = env.emulator.read_memory
    assert (read(adapter.sym["g_px"], 1), read(adapter.sym["g_py"], 1)) == (b"\x07", b"\x05")  # EWRAM slices
    assert read(0x080000A0, 9) == b"QUEST GBA"  # the cartridge, a slice too
    assert read(0x04000000, 2) == bytes([0x40, 0x17])  # DISPCNT through the bus: mode 0, BG0-2, OBJ, 1D
    assert read(0x02000000, 0) == b""


# -- bad input: one line each ----------------------------------------------------------------------------


def test_bad_roms_each_raise_one_line(tmp_path, gba_rom):
    with pytest.raises(RomError) as e:
        GBAEnv(tmp_path / "nope.gba")
    assert "nope.gba: no such ROM file" in one_line(e)
    empty = tmp_path / "empty.gba"
    empty.write_bytes(b"")
    with pytest.raises(RomError) as e:
        GBAEnv(empty)
    assert "empty" in one_line(e)
    junk = tmp_path / "junk.gba"
    junk.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(RomError) as e:
        GBAEnv(junk)
    assert "junk.gba: not a GBA ROM" in one_line(e)
    short = tmp_path / "short.gba"
    short.write_bytes(b"\x00" * 100)
    with pytest.raises(RomError) as e:
        GBAEnv(short)
    assert "truncated" in one_line(e)


def test_mgba_refusing_a_file_is_one_line(tmp_path):
    """A file with a valid-looking header that mGBA still cannot load (no ARM entry branch)."""
    rom = bytearray(0x400)
    rom[0xB2] = 0x96
    rom[0xBD] = header_complement(bytes(rom))
    path = tmp_path / "blank.gba"
    path.write_bytes(bytes(rom))
    emu = GBAEmulator()
    try:
        with pytest.raises(RomError) as e:
            emu.boot(path)
        assert one_line(e) == "blank.gba: mGBA cannot load this file as a ROM"
    finally:
        emu.close()


def test_wrong_game_rom_is_refused_with_one_line(tmp_path, gba_rom):
    other = tmp_path / "other.gba"
    other.write_bytes(derive(gba_rom.read_bytes(), title=b"OTHER GAME\0\0", code=b"BPEE"))
    with pytest.raises(RomError) as e:
        GBAEnv(other, game="quest-gba")
    assert "other.gba" in one_line(e) and "'OTHER GAME'" in str(e.value) and "not QUEST-GBA" in str(e.value)
    with pytest.raises(RomError) as e:
        GBAEnv(gba_rom, game="no-such-game")
    assert "no-such-game" in one_line(e)


def test_quest_gba_rom_given_to_emerald(gba_rom):
    pytest.importorskip("envs.gba.adapters.emerald")
    from envs.registry import make_env

    with pytest.raises(RomError) as e:
        make_env("emerald", rom=gba_rom)
    assert "quest-gba.gba" in one_line(e) and "QUEST GBA" in str(e.value)


def test_game_boy_rom_is_not_a_gba_rom(tmp_path, gba_rom):
    gb = tmp_path / "game.gb"
    gb.write_bytes(b"\x00" * 0x100 + b"\xce\xed" + b"\x00" * 0x7EFE)  # a Game Boy-sized file, no GBA header
    with pytest.raises(RomError) as e:
        validate_rom(gb)
    assert "not a GBA ROM" in one_line(e)


# -- the real CLI ----------------------------------------------------------------------------------------


def test_probe_presses_and_screenshots(tmp_path, gba_rom):
    shot = tmp_path / "x.png"
    out = json.loads(harness_cli("probe", "--env", "quest-gba", "--press", "RIGHT,A", "--json", "--screenshot",
                                 str(shot), "--save-state", str(tmp_path / "s.state")).stdout)
    st = out["state"]
    assert (st["location"], st["x"], st["y"], st["facing"]) == ("HOME", 7, 5, "DOWN")
    assert out["progress"]["where"] == ["HOME", 7, 5] and out["steps"] == 2
    assert "Location: HOME" in out["text"] and "@" in out["text"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = json.loads(harness_cli("probe", "--env", "quest-gba", "--state", str(tmp_path / "s.state"), "--press",
                                 "DOWN,DOWN,DOWN,DOWN", "--json").stdout)
    assert out["state"]["location"] == "MEADOW" and out["state"]["milestones"] == ["left_start_room"]


def test_probe_with_a_bad_rom_is_one_line(tmp_path):
    junk = tmp_path / "junk.gba"
    junk.write_bytes(bytes(range(256)) * 64)
    proc = harness_cli("probe", "--env", "quest-gba", "--rom", str(junk), check=False)
    lines = [ln for ln in proc.stderr.strip().splitlines() if "Warning" not in ln and "warnings.warn" not in ln]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("harness: error: "), proc.stderr
    assert "junk.gba: not a GBA ROM" in lines[0]


def test_run_records_milestones_then_resume_continues(tmp_path, gba_rom):
    """The whole stack: scripted model -> loop -> GBAEnv (mGBA child) -> adapter -> milestone events."""
    steps = route_steps()
    replies = write_replies(tmp_path / "route.jsonl", [press(*b, why="route") for b in steps])
    run = tmp_path / "run"
    harness_cli("run", "--env", "quest-gba", "--model", f"scripted:{replies}", "--steps", str(len(steps)),
                "--run-dir", str(run), "--quiet")
    s = inspect_json(run)
    assert (s["env"], s["status"], s["steps"], s["button_presses"]) == ("quest-gba", "done", len(steps), len(ROUTE))
    assert [m["name"] for m in s["milestones"]] == list(QuestGBAAdapter.milestones)
    last = s["milestones"][-1]
    assert last["name"] == "reached_goal" and last["step"] == len(steps) - 1 and last["button_presses"] == len(ROUTE)
    # resume: the env comes back in the shrine (not at power-on) and the step ids go on without a gap
    harness_cli("resume", str(run), "--steps", str(len(steps) + 3), "--quiet")
    s = inspect_json(run)
    assert s["status"] == "done" and s["steps"] == len(steps) + 3 and s["resumes"] == 1
    store = RunReader(run)
    assert store.step_ids() == list(range(len(steps) + 3))
    resumed = list(store.steps(len(steps)))
    assert resumed[0].where[0] == "SHRINE", resumed[0].where  # the script cycles: START, DOWN*4 in the shrine
    assert [m["name"] for m in s["milestones"]] == list(QuestGBAAdapter.milestones)
