"""envs/romkit.py: rebuild only when stale, outputs moved into place together, a missing tool is one line."""

from __future__ import annotations

import os

import pytest

from envs.romkit import RomBuild


def make(tmp_path, calls, tools=("sh",), fail=False):
    src = tmp_path / "game.c"
    if not src.exists():
        src.write_text("int main;")

    def build(tmp):
        calls.append(tmp)
        (tmp / "game.map").write_text("map")
        if fail:
            raise RuntimeError("cc failed (1): game.c:1: error")
        (tmp / "game.bin").write_bytes(b"ROM" + src.read_bytes())
        (tmp / "game.json").write_text("{}")

    return RomBuild(tmp_path / "build", "game.bin", "game.json", tools=tools, install_hint="install cc",
                    sources=lambda: [src], build=build, keep=("game.map",)), src


def test_builds_once_then_only_when_a_source_is_newer(tmp_path):
    calls: list = []
    rom, src = make(tmp_path, calls)
    assert rom.ensure_built().read_bytes() == b"ROMint main;"
    assert (rom.build_dir / "game.map").exists() and rom.symbols_path.exists()
    assert sorted(p.name for p in rom.build_dir.iterdir()) == [".lock", "game.bin", "game.json", "game.map"]
    rom.ensure_built()
    assert len(calls) == 1
    src.write_text("int main2;")
    built = rom.rom_path.stat().st_mtime
    os.utime(src, (built + 10, built + 10))
    assert rom.ensure_built().read_bytes() == b"ROMint main2;" and len(calls) == 2
    rom.ensure_built(force=True)
    assert len(calls) == 3


def test_a_failed_build_keeps_the_last_good_rom(tmp_path):
    calls: list = []
    good, src = make(tmp_path, calls)
    good.ensure_built()
    bad, _ = make(tmp_path, calls, fail=True)
    with pytest.raises(RuntimeError, match="cc failed"):
        bad.ensure_built(force=True)
    assert good.rom_path.read_bytes() == b"ROMint main;"
    assert [p.name for p in good.build_dir.iterdir() if p.name.startswith("tmp-")] == []


def test_missing_tools_named_with_the_install_hint(tmp_path, capsys):
    rom, _ = make(tmp_path, [], tools=("no-such-compiler-xyz",))
    assert rom.main("build", "build it", []) == 1
    assert capsys.readouterr().err.strip() == "error: no-such-compiler-xyz not found: install cc"
