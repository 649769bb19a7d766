"""`harness report`: PNG plots and a summary table over short scripted quest runs (three minimal runs, so the
minimal preset earns a median, and a continual one with an applied refiner pass and a gate rollback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from envs.gameboy.quest.route import ROUTE
from harness.config import RunConfig
from harness.log.store import RunReader
from harness.report import downsample, rolling_window, sample_indices, stream_series
from harness.run import start_run
from tests.conftest import harness_cli, press, write_replies
from tests.test_refine import propose

PNGS = ("milestones.png", "cost.png", "tokens_per_step.png", "latency.png")


def _run(root: Path, name: str, replies: list[dict], steps: int, **cfg: object) -> Path:
    script = write_replies(root / f"{name}.jsonl", replies)
    agent = start_run(RunConfig(env="quest", model=f"scripted:{script}", steps=steps, **cfg), root / name)
    try:
        assert agent.run(steps) == "steps_done"
    finally:
        agent.close()
    return root / name


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, quest_rom: Path) -> list[Path]:
    root = tmp_path_factory.mktemp("report-runs")
    minimal = [_run(root, f"min-{n}", [press(b) for b in ROUTE[:n]], n, harness="minimal") for n in (45, 30, 12)]
    # the route for 15 steps, then standing still: the pass at step 15 is applied, the gate rolls it back at 20
    cont = _run(root, "cont", [{"mode": "by_tool"}, *[press(b) for b in ROUTE[:15]], *[press("B")] * 30,
                               propose("go east", ("strategy", "Follow the road east.", "east"))], 30,
                harness="continual", refine={"triggers": False, "warmup": 15, "every": 15, "gate": {"window": 5},
                                             "passes": ["prompt"]})
    return [*minimal, cont]


def test_report_writes_every_png_and_a_summary_row_per_run(runs, tmp_path):
    out = tmp_path / "report"
    proc = harness_cli("report", *map(str, runs), "--out", str(out))
    for name in PNGS:
        png = out / name
        assert png.stat().st_size > 10_000, name
        with Image.open(png) as img:
            img.verify()
            assert img.format == "PNG" and img.size[0] >= 800, name
        assert str(png) in proc.stdout
    summary = (out / "summary.md").read_text()
    rows = [line for line in summary.splitlines() if line.startswith("| min-") or line.startswith("| cont")]
    assert len(rows) == 4 and "| **median of 3** | **minimal**" in summary
    assert str(out / "summary.md") in proc.stdout and "| **median of 3**" in proc.stdout  # the table, printed
    cont = next(r for r in rows if r.startswith("| cont"))
    assert cont.rstrip(" |").endswith("1 / 1")  # one pass applied, one rollback
    assert rows[0].split("|")[-2].strip() == "off"  # minimal: no refiner


def test_report_json_gives_the_rows(runs, tmp_path):
    proc = harness_cli("report", *map(str, runs), "--out", str(tmp_path / "r"), "--json")
    data = json.loads(proc.stdout)
    by_name = {r["run"]: r for r in data["runs"]}
    assert list(by_name) == ["min-45", "min-30", "min-12", "cont"]
    assert by_name["min-45"]["milestones"] >= 4 and by_name["min-12"]["milestones"] < by_name["min-45"]["milestones"]
    assert (by_name["cont"]["passes_applied"], by_name["cont"]["rolled_back"]) == (1, 1)
    assert by_name["min-45"]["steps"] == 45 and by_name["min-45"]["tokens_per_step"] > 0
    [median] = data["medians"]
    assert (median["preset"], median["runs"], median["steps"]) == ("minimal", 3, 30)
    assert sorted(Path(f).name for f in data["files"]) == sorted([*PNGS, "summary.md"])


def test_a_bad_run_dir_is_one_error_line_and_exit_2(runs, tmp_path):
    proc = harness_cli("report", str(runs[0]), str(tmp_path / "nope"), "--out", str(tmp_path / "r"), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"harness: error: {tmp_path / 'nope'} is not a run directory "
                                                "(no run.sqlite)"]
    assert not (tmp_path / "r").exists()  # nothing written before every run opened


@pytest.mark.parametrize("total,n", [(0, 10), (1, 10), (5, 10), (10, 10), (11, 10), (1_000_003, 2000), (7, 2)])
def test_downsample_keeps_at_most_n_points_and_the_first_and_last(total, n):
    seq = list(range(total))
    kept = downsample(seq, n)
    assert len(kept) <= n and kept == sorted(set(kept))
    if total:
        assert kept[0] == 0 and kept[-1] == total - 1
    assert len(kept) == min(total, n)
    assert sample_indices(total, n) == kept


def test_series_are_streamed_and_sampled_to_the_cap(runs):
    with RunReader(runs[0]) as reader:
        xs, tokens, latency = stream_series(reader, 45, window=rolling_window(45), max_points=7)
    assert len(xs) == len(tokens) == len(latency) == 7
    assert xs[0] == 0 and xs[-1] == 44
    assert all(t > 0 for t in tokens) and all(s >= 0 for s in latency)
