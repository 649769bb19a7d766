"""`harness probe` end-to-end for every Pokemon adapter, on stand-in cartridges.

No commercial ROM exists here, so the SDCC test ROM gets each game's header (title, CGB flag,
region, game code, checksum): the real identify/check path accepts it, the emulator boots it in
the child process, and the adapter decodes whatever is in memory without crashing. Decoding of
real game data is tested on constructed memory images in test_adapter_*.py; the last test here
writes such an image into a running PyBoy and decodes PyBoy's own memory view, which refuses
things a bytearray accepts (a zero-length slice).
"""

from __future__ import annotations

import json

import pytest

from envs.gameboy.adapters import adapter_class
from tests.conftest import harness_cli
from tests.roms.build import build_tiny_rom, fix_header_checksum

HEADERS = {
    "pokered": {"title": b"POKEMON RED", "cgb": 0x00},
    "pokeyellow": {"title": b"POKEMON YELLOW", "cgb": 0x80},
    "pokecrystal": {"title": b"PM_CRYSTAL", "code": b"BYTE", "cgb": 0xC0},
}


def stand_in(tmp_path, game: str):
    rom = bytearray(build_tiny_rom(tmp_path).read_bytes())
    h = HEADERS[game]
    rom[0x134:0x144] = bytes(16)
    rom[0x134 : 0x134 + len(h["title"])] = h["title"]
    if "code" in h:
        rom[0x13F:0x143] = h["code"]
    rom[0x143] = h["cgb"]
    rom[0x14A] = 0x01  # non-Japanese
    path = tmp_path / f"{game}-standin.gb"
    path.write_bytes(fix_header_checksum(rom))
    return path


@pytest.mark.parametrize("game", sorted(HEADERS))
def test_probe_boots_each_adapter(tmp_path, game):
    rom = stand_in(tmp_path, game)
    out = json.loads(harness_cli("probe", "--env", game, "--rom", str(rom), "--press", "A,START", "--json").stdout)
    assert out["state"]["game"] == game
    assert out["steps"] == 2 and out["frame_count"] >= 2 * 120
    assert "Location:" in out["text"] and "Map" in out["text"]


@pytest.mark.parametrize("game", sorted(HEADERS))
def test_probe_refuses_another_games_rom(tmp_path, game):
    other = {"pokered": "pokecrystal", "pokeyellow": "pokered", "pokecrystal": "pokeyellow"}[game]
    rom = stand_in(tmp_path, other)
    proc = harness_cli("probe", "--env", game, "--rom", str(rom), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("harness: error: ") and len(proc.stderr.strip().splitlines()) == 1


def _bedroom_image(game: str) -> bytearray:
    """WRAM of a new game the step the player enters the bedroom: in the overworld, party count 0."""
    if game == "pokecrystal":
        from tests.test_adapter_pokecrystal import new_bark

        im = new_bark()
        im.u8(0xDCB6, 7)  # PLAYERS_HOUSE_2F (group 24, map 7)
        im.mem[0xDCD7:0xDCD9] = bytes([0, 0xFF])  # wPartyCount 0, empty species list
        return im.mem
    from tests.test_adapter_pokered import RED, YELLOW, Scene

    scene = Scene(RED if game == "pokered" else YELLOW)
    scene.overworld(0x26, x=3, y=6)  # REDS_HOUSE_2F
    scene.poke(scene.s.wCurMapTileset, 4, 4, 4)  # REDS_HOUSE_2 tileset, 4 x 4 blocks
    scene.poke(scene.s.wPartyCount, 0, 0xFF)
    return scene.mem


@pytest.mark.parametrize("game", sorted(HEADERS))
def test_adapters_read_real_pyboy_memory_with_an_empty_party(tmp_path, game):
    """Regression: entering the bedroom of a new game raised PyBoyInvalidInputException ('Start address
    has to come before end address'): the empty party made a zero-length read, which PyBoy's memory
    view refuses and the bytearray images of test_adapter_*.py accept."""
    from pyboy import PyBoy

    rom_path = stand_in(tmp_path, game)
    image = _bedroom_image(game)
    pyboy = PyBoy(str(rom_path), window="null", sound_emulated=False, log_level="ERROR")
    try:
        pyboy.tick(60, False, False)
        for addr in range(0xC000, 0xE000):  # bank 1 is mapped at $D000 (the stand-in never switches)
            pyboy.memory[addr] = image[addr]
        with pytest.raises(Exception, match="Start address"):
            pyboy.memory[0xD000:0xD000]  # what the adapters must never ask for
        adapter = adapter_class(game)(rom_path.read_bytes())
        state = adapter.read(pyboy.memory)
        assert state.party == [] and state.on_map and "starter_obtained" not in state.milestones
        assert state.text_map and "@" in state.text_map
        expected = adapter_class(game)(rom_path.read_bytes()).read(image)
        assert (state.location, state.x, state.y, state.text_map, state.dialog, state.can_move) == (
            expected.location, expected.x, expected.y, expected.text_map, expected.dialog, expected.can_move)
        if game != "pokecrystal":
            assert state.location == "Red's House 2F" and state.text_map.split("\n")[3][4] == "?"  # the SNES
    finally:
        pyboy.stop(save=False)
