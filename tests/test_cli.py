"""The `harness` CLI: help text, and one clear error line for bad input."""

from __future__ import annotations

from tests.conftest import harness_cli


def _one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if "UserWarning" not in ln and "warnings.warn" not in ln]
    assert len(lines) == 1 and lines[0].startswith("harness: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_help_explains_commands_and_model_specs():
    out = harness_cli("--help").stdout
    for word in ("run", "resume", "inspect", "probe", "openai:<model>", "anthropic:<model>", "scripted:"):
        assert word in out
    assert "--budget-usd" in harness_cli("run", "--help").stdout


def test_missing_rom_for_a_pokemon_game(tmp_path):
    _one_line_error(harness_cli("probe", "--env", "pokered", check=False), "--rom")
    _one_line_error(harness_cli("probe", "--env", "pokered", "--rom", str(tmp_path / "nope.gb"), check=False),
                    "nope.gb")


def test_wrong_game_rom_is_refused(quest_rom):
    _one_line_error(harness_cli("probe", "--env", "pokered", "--rom", str(quest_rom), check=False), "QUEST")
    _one_line_error(harness_cli("probe", "--env", "pokecrystal", "--rom", str(quest_rom), check=False), "QUEST")


def test_garbage_rom_and_empty_rom(tmp_path):
    empty = tmp_path / "empty.gb"
    empty.write_bytes(b"")
    _one_line_error(harness_cli("probe", "--env", "pokered", "--rom", str(empty), check=False), "empty.gb")
    junk = tmp_path / "junk.gb"
    junk.write_bytes(bytes(range(256)) * 128)
    _one_line_error(harness_cli("probe", "--env", "pokered", "--rom", str(junk), check=False), "junk.gb")


def test_not_a_run_dir(tmp_path):
    _one_line_error(harness_cli("inspect", str(tmp_path), "--json", check=False), "not a run directory")
    _one_line_error(harness_cli("resume", str(tmp_path), check=False), "not a run directory")


def test_unknown_model_spec(tmp_path):
    _one_line_error(harness_cli("run", "--model", "gpt5", "--run-dir", str(tmp_path / "r"), check=False), "gpt5")


def test_probe_any_env_with_act_and_clear_errors():
    import json

    out = json.loads(harness_cli("probe", "--env", "form", "--json", "--act",
                                 '{"name": "click", "arguments": {"ref": 2}}').stdout)
    assert out["steps"] == 1 and out["progress"]["where"] == [0, 2] and "(focused)" in out["text"]
    _one_line_error(harness_cli("probe", "--env", "form", "--press", "A", check=False), "has no buttons", "click")
    _one_line_error(harness_cli("probe", "--env", "form", "--act", '{"name": "fly"}', check=False),
                    "unknown action 'fly'")
    _one_line_error(harness_cli("probe", "--env", "form", "--act", "{nope", check=False), "is not JSON")
