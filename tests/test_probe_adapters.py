"""`harness probe` end-to-end for every Pokemon adapter, on stand-in cartridges.

No commercial ROM exists here, so the SDCC test ROM gets each game's header (title, CGB flag,
region, game code, checksum): the real identify/check path accepts it, the emulator boots it in
the child process, and the adapter decodes whatever is in memory without crashing. Decoding of
real game data is tested on constructed memory images in test_adapter_*.py.
"""

from __future__ import annotations

import json

import pytest

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
    assert out["presses"] == 2 and out["frame_count"] >= 2 * 120
    assert "Location:" in out["text"] and "Map" in out["text"]


@pytest.mark.parametrize("game", sorted(HEADERS))
def test_probe_refuses_another_games_rom(tmp_path, game):
    other = {"pokered": "pokecrystal", "pokeyellow": "pokered", "pokecrystal": "pokeyellow"}[game]
    rom = stand_in(tmp_path, other)
    proc = harness_cli("probe", "--env", game, "--rom", str(rom), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("harness: error: ") and len(proc.stderr.strip().splitlines()) == 1
