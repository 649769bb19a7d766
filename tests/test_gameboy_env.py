"""GameBoyEnv / GameBoyEmulator / registry on real PyBoy with a ROM built here by SDCC (tests/roms/tiny.c).

The tiny cartridge moves the player one cell per new d-pad press, counts A/START presses and frames in
WRAM, and executes an undefined opcode when SELECT is held 20 frames (which hangs PyBoy's tick() for
good; the default press holds 8 frames, so random actions never trigger it).
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs.gameboy.adapters
from envs.base import Progress
from envs.checker import check_env as check_contract
from envs.gameboy.emulator import EmulatorHang, GameBoyEmulator, validate_rom
from envs.gameboy.env import TEXT_CHARSET, GameBoyEnv, PressButtons, sanitize_text
from envs.gameboy.game import BUTTONS, GameState, RomError
from envs.registry import ENVS, env_names, env_options, make_env
from tests.roms.build import build_tiny_rom, hanging_rom, random_rom, sdcc_available
from tests.roms.tiny_adapter import TinyAdapter

HANG_TIMEOUT_S = 1.5
START_SLACK_S = 8.0  # interpreter start + imports in the child on a loaded 2-core CI box


@pytest.fixture(scope="session")
def tiny_rom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sdcc_available():
        pytest.skip("SDCC not installed (apt-get install sdcc)")
    return build_tiny_rom(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def env(tiny_rom: Path):
    e = GameBoyEnv(tiny_rom, game=TinyAdapter)
    e.reset(seed=0)
    yield e
    e.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); check its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _one_line(e: BaseException) -> str:
    msg = str(e)
    assert msg and "\n" not in msg, msg
    return msg


# -- ROM validation (parent side, no emulator) -------------------------------------------------------


def test_bad_rom_files_fail_fast_with_one_line(tmp_path: Path, tiny_rom: Path) -> None:
    good = tiny_rom.read_bytes()
    cases = {
        "missing.gb": (None, "no such ROM file"),
        "empty.gb": (b"", "empty"),
        "truncated.gb": (good[:20_000], "truncated"),
        "odd.gb": (good + b"\0" * 100, "truncated"),
        "badsum.gb": (good[:0x134] + b"X" + good[0x135:], "header checksum"),
    }
    for name, (content, expect) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        t0 = time.monotonic()
        with pytest.raises(RomError) as ei:
            GameBoyEnv(path, game=TinyAdapter)
        assert time.monotonic() - t0 < 1.0
        msg = _one_line(ei.value)
        assert name in msg and expect in msg, msg
    with pytest.raises(RomError, match="not a file"):
        validate_rom(tmp_path)


# -- hangs -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_hanging_rom_is_killed_at_boot(tmp_path: Path) -> None:
    path = tmp_path / "hang.gb"
    path.write_bytes(hanging_rom())
    emu = GameBoyEmulator(timeout_s=HANG_TIMEOUT_S)
    t0 = time.monotonic()
    with pytest.raises(EmulatorHang) as ei:
        emu.boot(path)
    elapsed = time.monotonic() - t0
    pid = emu.pid
    msg = _one_line(ei.value)
    assert "hang.gb" in msg and "killed" in msg
    assert isinstance(ei.value, RomError)
    assert HANG_TIMEOUT_S <= elapsed < HANG_TIMEOUT_S + START_SLACK_S
    assert pid is None and not emu.alive  # forgotten after the kill
    emu.close()


@pytest.mark.slow
def test_hang_in_the_middle_of_a_run_then_recover(tiny_rom: Path) -> None:
    env = GameBoyEnv(tiny_rom, game=TinyAdapter, timeout_s=HANG_TIMEOUT_S, press_frames=24)
    try:
        env.reset()
        env.step("RIGHT")
        pid = env.emulator.pid
        assert pid is not None and _pid_alive(pid)
        t0 = time.monotonic()
        with pytest.raises(EmulatorHang) as ei:
            env.step("SELECT")  # held 24 frames: the cartridge executes opcode 0xD3
        elapsed = time.monotonic() - t0
        assert "tiny.gb" in _one_line(ei.value)
        assert HANG_TIMEOUT_S <= elapsed < HANG_TIMEOUT_S + 3.0
        assert not _pid_alive(pid)
        # A fresh boot starts a new child and the env works again.
        _, info = env.reset()
        assert env.emulator.pid != pid
        _, _, _, _, info = env.step("RIGHT")
        assert info["game"].x == 1
    finally:
        env.close()


@pytest.mark.slow
def test_corrupted_roms_never_hang_the_caller(tmp_path: Path) -> None:
    """Random bytes behind a valid header: each boots or fails with a RomError, in bounded time."""
    outcomes = []
    emu = GameBoyEmulator(timeout_s=HANG_TIMEOUT_S)
    try:
        for seed in range(3):
            path = tmp_path / f"random{seed}.gb"
            path.write_bytes(random_rom(seed))
            t0 = time.monotonic()
            try:
                frame, _ = emu.boot(path)
                emu.step(["A", "START"])
                outcomes.append("ran")
                assert frame.shape == (144, 160, 3)
            except RomError as e:
                _one_line(e)
                outcomes.append(type(e).__name__)
            print(seed, outcomes[-1], f"{time.monotonic() - t0:.2f} s")
            assert time.monotonic() - t0 < 2 * HANG_TIMEOUT_S + START_SLACK_S
    finally:
        emu.close()
    assert "EmulatorHang" in outcomes, outcomes  # with these seeds, at least one really hangs PyBoy


# -- gymnasium conformance -----------------------------------------------------------------------------


def test_check_env_direct_and_through_make(tiny_rom: Path) -> None:
    env = GameBoyEnv(tiny_rom, game=TinyAdapter, render_mode="rgb_array")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any checker warning fails the test
            warnings.filterwarnings("ignore", message=".*alternative render modes.*")
            check_env(env)
    finally:
        env.close()
    env_id = "harness-test/Tiny-v0"
    if env_id not in gymnasium.registry:
        gymnasium.register(env_id, entry_point="envs.gameboy.env:GameBoyEnv")
    wrapped = gymnasium.make(env_id, rom_path=tiny_rom, game=TinyAdapter, render_mode="rgb_array")
    try:
        check_env(wrapped.unwrapped)
        obs, _ = wrapped.reset(seed=3)
        obs, reward, terminated, truncated, _ = wrapped.step(2)
        assert wrapped.observation_space.contains(obs)
        assert (reward, terminated, truncated) == (0.0, False, False)
    finally:
        wrapped.close()


def test_env_contract_on_the_test_cartridge(tiny_rom: Path) -> None:
    env = GameBoyEnv(tiny_rom, game=TinyAdapter, frames_per_step=30)
    try:
        check_contract(env, steps=6, fresh=lambda: GameBoyEnv(tiny_rom, game=TinyAdapter, frames_per_step=30))
    finally:
        env.close()


def test_spaces_and_observation(env: GameBoyEnv) -> None:
    assert env.action_space.n == len(BUTTONS)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs["frame"].shape == (144, 160, 3) and obs["frame"].dtype == np.uint8
    assert "Position: x=0 y=0" in obs["text"] and "Test Room" in obs["text"]
    assert info["frame_count"] == env.emulator.boot_frames and info["presses"] == []
    assert info["progress"] == Progress(where=("Test Room", 0, 0), label="Test Room (0, 0)", milestones=["booted"])
    assert info["action_cost"] == 0 and isinstance(info["game"], GameState)
    assert "state" not in info and "milestones" not in info
    before = obs["frame"]
    obs, _, _, _, info = env.step("RIGHT")
    assert "Position: x=1 y=0" in obs["text"] and "Facing: RIGHT" in obs["text"]
    # The cartridge scrolls the background with the player, so the rendered frame must change.
    assert not np.array_equal(before, obs["frame"])
    assert env.render() is obs["frame"]
    assert env.state is info["game"]
    assert info["progress"].where == ("Test Room", 1, 0) and info["action_cost"] == 1


# -- the press contract ----------------------------------------------------------------------------------


def test_press_contract_and_frame_accounting(env: GameBoyEnv) -> None:
    _, info0 = env.reset()
    game_frames0 = info0["game"].extra["frames"]
    _, _, _, _, info = env.step(["RIGHT", "RIGHT", "RIGHT"])
    assert info["game"].x == 3 and info["presses"] == ["RIGHT"] * 3 and info["action_cost"] == 3
    assert "moved_right_3" in info["progress"].milestones
    assert info["frame_count"] == info0["frame_count"] + 120
    # The cartridge counts its own frames: the emulator really ran 120 of them.
    assert info["game"].extra["frames"] - game_frames0 == pytest.approx(120, abs=1)

    _, _, _, _, info = env.step(["A", "A", "START", "LEFT", "UP"])  # 5 x (8 + 16) = 120 exactly
    s = info["game"]
    assert (s.extra["a_presses"], s.extra["start_presses"], s.x, s.y) == (2, 1, 2, -1)
    assert info["frame_count"] == info0["frame_count"] + 240
    assert s.extra["joypad"] == 0  # the last press was released before the frame was taken

    with pytest.raises(ValueError, match="at most 5"):
        env.step(["A"] * 6)
    _, _, _, _, info = env.step(["SELECT"] * 5)  # 8-frame presses: below the cartridge's 20-frame hang trap
    assert info["frame_count"] == info0["frame_count"] + 360


def test_long_press_lists_take_more_frames(tiny_rom: Path) -> None:
    env = GameBoyEnv(tiny_rom, game=TinyAdapter, frames_per_step=60, press_frames=4, release_frames=6,
                     max_presses=8)
    try:
        _, info0 = env.reset()
        _, _, _, _, info = env.step(["DOWN"] * 8)  # 8 x 10 = 80 frames > 60
        assert info["game"].y == 8
        assert info["frame_count"] - info0["frame_count"] == 80
        assert info["game"].extra["frames"] - info0["game"].extra["frames"] == pytest.approx(80, abs=1)
        _, _, _, _, info2 = env.step([])  # an empty list waits one step
        assert info2["frame_count"] - info["frame_count"] == 60 and info2["presses"] == []
        _, _, _, _, info3 = env.step(None)  # so does None (the contract's "no action")
        assert info3["frame_count"] - info2["frame_count"] == 60 and info3["action_cost"] == 0
        # The action tool's length limit follows max_presses.
        (spec,) = env.action_tools()
        assert spec.args.model_json_schema()["properties"]["buttons"]["maxItems"] == 8
        _, _, _, _, info4 = env.step(spec.call(buttons=["UP"] * 8))
        assert info4["game"].y == 0 and info4["action_cost"] == 8
    finally:
        env.close()


def test_action_forms(env: GameBoyEnv) -> None:
    assert env.parse_action(3) == ["RIGHT"]
    assert env.parse_action(np.int64(4)) == ["A"]
    assert env.parse_action(np.array(5)) == ["B"]
    assert env.parse_action("start") == ["START"]
    assert env.parse_action(["a", 0, np.int32(7)]) == ["A", "UP", "SELECT"]
    assert env.parse_action([]) == []
    for bad, pattern in [(8, "out of range"), ("JUMP", "unknown button"), (True, "not a button"),
                         (1.5, "action must be"), (["A", None], "unknown button")]:
        with pytest.raises(ValueError, match=pattern) as ei:
            env.parse_action(bad)
        _one_line(ei.value)
    _, _, _, _, info = env.step(np.int64(3))
    assert info["game"].x == 1
    assert env.parse_action(None) == []
    assert env.parse_action({"name": "press_buttons", "arguments": {"buttons": "up, a"}}) == ["UP", "A"]


def test_press_buttons_action_tool(env: GameBoyEnv) -> None:
    (spec,) = env.action_tools()
    assert spec.name == "press_buttons" and "START opens the menu" in spec.description
    schema = spec.args.model_json_schema()
    assert schema["type"] == "object" and schema["required"] == ["buttons"]
    buttons = schema["properties"]["buttons"]
    assert (buttons["minItems"], buttons["maxItems"], buttons["items"]["enum"]) == (1, 5, list(BUTTONS))
    assert PressButtons(buttons="right a").buttons == ["RIGHT", "A"]
    assert PressButtons(buttons=[" down ", "Start"]).buttons == ["DOWN", "START"]
    for bad, pattern in [(["A", "JUMP"], "unknown button 'JUMP'"), ([], "at least 1"),
                         (["A"] * 6, "at most 5"), ("", "at least 1"), ([3], "unknown button 3")]:
        with pytest.raises(ValueError, match=pattern):
            env.step({"name": "press_buttons", "arguments": {"buttons": bad}})
    with pytest.raises(ValueError, match="unknown action 'click'; this env offers press_buttons"):
        env.step({"name": "click", "arguments": {"ref": 1}})
    _, _, _, _, info = env.step({"name": "press_buttons", "arguments": {"buttons": ["RIGHT", "DOWN"]}})
    assert info["progress"].where == ("Test Room", 1, 1) and info["action_cost"] == 2
    assert info["presses"] == ["RIGHT", "DOWN"]
    assert "@ you" in env.instructions and "A talks" in env.instructions


def test_step_before_reset_is_an_error(tiny_rom: Path) -> None:
    env = GameBoyEnv(tiny_rom, game=TinyAdapter)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        env.save_state()
    env.close()


# -- save / load ----------------------------------------------------------------------------------------


def test_save_load_restores_emulator_and_frame_counter(
    env: GameBoyEnv, tiny_rom: Path, tmp_path: Path
) -> None:
    obs, _, _, _, info = env.step(["RIGHT", "DOWN"])
    blob = env.save_state()
    saved_frame, saved_count = obs["frame"].copy(), info["frame_count"]
    after_save = env.step(["RIGHT", "A"])
    env.step(["LEFT"] * 4)

    obs2, info2 = env.load_state(blob)
    assert info2["frame_count"] == saved_count
    assert (info2["game"].x, info2["game"].y) == (1, 1) and info2["progress"].where == ("Test Room", 1, 1)
    assert np.array_equal(obs2["frame"], saved_frame)
    # Deterministic replay: the same action from the restored state gives the same result.
    replay = env.step(["RIGHT", "A"])
    assert np.array_equal(replay[0]["frame"], after_save[0]["frame"])
    assert replay[0]["text"] == after_save[0]["text"] and replay[4] == after_save[4]

    # A state survives a new env (and a new child process) on the same ROM.
    other = GameBoyEnv(tiny_rom, game=TinyAdapter)
    try:
        other.reset()
        _, info3 = other.load_state(blob)
        assert info3["frame_count"] == saved_count and info3["game"].x == 1
    finally:
        other.close()

    with pytest.raises(ValueError, match="not a Game Boy env state"):
        env.load_state(b"garbage")
    with pytest.raises(ValueError, match="usable PyBoy save state"):
        env.load_state(blob[:40] + b"\xff" * 100)
    # Same cartridge title, different bytes: the state is refused.
    variant = tmp_path / "variant.gb"
    rom = bytearray(tiny_rom.read_bytes())
    rom[-1] ^= 0xFF
    variant.write_bytes(bytes(rom))
    third = GameBoyEnv(variant, game=TinyAdapter)
    try:
        third.reset()
        with pytest.raises(ValueError, match="different ROM"):
            third.load_state(blob)
    finally:
        third.close()


# -- adapters and the registry ----------------------------------------------------------------------------


def test_identify_by_rom(tiny_rom: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(RomError, match="no game adapter recognises") as ei:
        GameBoyEnv(tiny_rom)
    assert "HARNESSTEST" in _one_line(ei.value)
    monkeypatch.setitem(envs.gameboy.adapters.ADAPTERS, "tiny", "tests.roms.tiny_adapter:TinyAdapter")
    env = GameBoyEnv(tiny_rom)
    assert env.adapter_cls is TinyAdapter and env.game == "tiny"
    env.close()
    env = GameBoyEnv(tiny_rom, game="tiny")
    assert env.adapter_cls is TinyAdapter
    env.close()
    hang = tmp_path / "hang.gb"
    hang.write_bytes(hanging_rom())
    with pytest.raises(RomError, match="is not a tiny ROM"):
        GameBoyEnv(hang, game="tiny")
    with pytest.raises(RomError, match="unknown game"):
        GameBoyEnv(tiny_rom, game="zelda")


def test_registry_names_and_ids(tiny_rom: Path) -> None:
    for name in ("pokered", "pokeyellow", "pokecrystal"):
        with pytest.raises(RomError) as ei:
            make_env(name)
        assert _one_line(ei.value) == f"{name} needs --rom FILE (bring your own ROM)"
        # Our test cartridge is not a Pokémon ROM, whichever state the adapter modules are in.
        with pytest.raises(RomError):
            make_env(name, rom=tiny_rom)
    with pytest.raises(RomError, match="unknown env 'zelda'; known: quest, pokered") as ei:
        make_env("zelda")
    assert _one_line(ei.value).endswith("form, quest-gba, emerald, miniwob, desktop")
    assert env_names() == ["quest", "pokered", "pokeyellow", "pokecrystal", "form", "quest-gba", "emerald", "miniwob",
                           "desktop"]
    for entry in ENVS.values():
        assert entry.gym_id in gymnasium.registry and entry.description
    with pytest.raises(RomError, match="pokered needs --rom FILE"):
        gymnasium.make("harness/PokemonRed-v0")
    assert "frames_per_step" in env_options("pokered") and "rom_path" not in env_options("pokered")
    with pytest.raises(ValueError, match="'pokered' does not take option.s. frame_rate; it takes game, frames_"):
        make_env("pokered", rom=tiny_rom, frame_rate=60)
    with pytest.raises(ValueError, match="'form' does not take option.s. frames_per_step"):
        make_env("form", frames_per_step=60)
    with pytest.raises(ValueError, match="takes no ROM"):
        make_env("form", rom=tiny_rom)


def test_sanitize_text() -> None:
    text = sanitize_text("NIDORAN♂ Pokémon\tend\n@.#")
    assert text == "NIDORAN(M) Pokemon?end\n@.#"
    assert set(text) <= set(TEXT_CHARSET)
    assert len(sanitize_text("x" * 20_000)) == 16_384


def test_close_kills_the_child(tiny_rom: Path) -> None:
    env = GameBoyEnv(tiny_rom, game=TinyAdapter)
    env.reset()
    pid = env.emulator.pid
    assert pid is not None and _pid_alive(pid)
    env.close()
    env.close()  # twice is fine
    assert not _pid_alive(pid)


def test_emulator_calls(tiny_rom: Path) -> None:
    with GameBoyEmulator() as emu:
        frame, state = emu.boot(tiny_rom)  # no adapter: frames only
        assert state is None and frame.shape == (144, 160, 3)
        assert emu.read_memory(0xC000, 1) == b"\x42"
        assert emu.press(["RIGHT", "RIGHT"]) == 48
        emu.tick(30, render=True)
        assert emu.read_memory(0xC003, 1) == b"\x02"
        assert emu.screen().shape == (144, 160, 3)
        assert emu.read_state() is None
        with pytest.raises(ValueError, match="outside"):
            emu.read_memory(0xFFFF, 2)
        assert emu.read_memory(0xC000, 0) == b"" and emu.read_memory(0x10000, 0) == b""
        with pytest.raises(ValueError, match="unknown button"):
            emu.press(["JUMP"])


@pytest.mark.slow
def test_quest_env_through_gymnasium_make() -> None:
    env = gymnasium.make("harness/Quest-v0")
    try:
        check_env(env.unwrapped)
        obs, info = env.reset(seed=0)
        assert info["game"].game == "quest"
        for b in ["START", "A", "DOWN", "RIGHT"]:
            obs, _, _, _, info = env.step(b)
        assert env.observation_space.contains(obs)
        assert info["progress"].where[0] == info["game"].location
    finally:
        env.close()
    direct = make_env("quest")
    assert direct.game == "quest"
    direct.close()
