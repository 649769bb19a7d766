"""`harness report RUN_DIR... [--out DIR] [--json]`: PNG plots and a markdown summary of one or more runs.

Written to --out:
- milestones.png       milestone index against cumulative button presses, runs overlaid (the paper's Figure 5),
                       with a bold median line per harness preset that 3 or more runs share;
- cost.png             cumulative $ and tokens at each milestone (two panels);
- tokens_per_step.png  tokens per step over steps (rolling mean), per run;
- latency.png          step latency over steps (rolling median), per run;
  both time plots mark the refiner's applied passes (dotted, in the run's colour) and rollbacks (black, dashed);
- summary.md           one row per run (and a median row per preset with 3 or more runs), also printed.

The table rows come from `harness.run.summarize` (what `harness inspect` shows). Per-step series are streamed
from SQLite one row at a time and sampled to at most MAX_POINTS points per series, so a run of a million
steps plots in seconds with bounded memory. Runs are only read (a live run included), never written.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.log.events import RefinePass, Rollback
from harness.log.store import RunReader

MAX_POINTS = 2000  # most points drawn per series
MEDIAN_MIN_RUNS = 3  # runs of one preset that earn a median line and a median row
MEDIAN_STYLES = ("-", "--", "-.", ":")
T = TypeVar("T")


@dataclass
class RunData:
    """What the report needs of one run: its inspect summary plus sampled per-step series."""

    name: str
    summary: dict[str, Any]
    preset: str
    refining: bool
    passes: list[tuple[int, str]] = field(default_factory=list)  # (at_step, status) of every refiner pass
    rollbacks: list[int] = field(default_factory=list)  # steps at which the gate rolled back
    x: list[int] = field(default_factory=list)  # sampled step ids
    tokens: list[float] = field(default_factory=list)  # rolling mean of tokens per step at x
    latency: list[float] = field(default_factory=list)  # rolling median of step latency (s) at x

    @property
    def milestones(self) -> list[dict[str, Any]]:
        return self.summary["milestones"]

    @property
    def total_tokens(self) -> int:
        return self.summary["tokens_in"] + self.summary["tokens_out"]

    @property
    def label(self) -> str:
        return f"{self.name} [{self.preset}]"


# --- reading ----------------------------------------------------------------------------------------

def sample_indices(total: int, n: int = MAX_POINTS) -> list[int]:
    """At most n indices into a sequence of `total`, evenly spread, the first and the last always among them."""
    if total <= n:
        return list(range(total))
    if n < 2:
        return [total - 1] if n == 1 else []
    return sorted({round(i * (total - 1) / (n - 1)) for i in range(n)})


def downsample(seq: Sequence[T], n: int = MAX_POINTS) -> list[T]:
    """At most n items of seq, evenly spread, keeping the first and the last."""
    return [seq[i] for i in sample_indices(len(seq), n)]


def rolling_window(longest: int) -> int:
    """Steps the rolling mean / median spans: 0.5% of the longest run, at least 10 and at most 1,000 (a median
    over 1,000 values at each of MAX_POINTS points stays well under a second)."""
    return min(1000, max(10, longest // 200))


def stream_series(reader: RunReader, steps: int, window: int, max_points: int = MAX_POINTS,
                  ) -> tuple[list[int], list[float], list[float]]:
    """(step ids, rolling mean tokens per step, rolling median latency) at no more than max_points steps,
    read one row at a time (the cursor is never fetched whole), holding only `window` values per series."""
    keep = sample_indices(steps, max_points)
    xs: list[int] = []
    tokens: list[float] = []
    latency: list[float] = []
    tok_win: deque[float] = deque(maxlen=window)
    lat_win: deque[float] = deque(maxlen=window)
    tok_sum = 0.0
    k = 0
    rows = reader.db.execute(  # one JSON parse per row: SQLite reuses it for the three paths
        "SELECT step, COALESCE(json_extract(data, '$.tokens_in'), 0) + COALESCE(json_extract(data, '$.tokens_out'), 0),"
        " COALESCE(json_extract(data, '$.latency_s'), 0.0) FROM events WHERE kind='step' AND step < ? ORDER BY step",
        (steps,))
    for i, (step, tok, lat) in enumerate(rows):
        if k >= len(keep):
            break
        if len(tok_win) == window:
            tok_sum -= tok_win[0]
        tok_win.append(tok)
        tok_sum += tok
        lat_win.append(lat)
        if i == keep[k]:
            xs.append(step)
            tokens.append(tok_sum / len(tok_win))
            latency.append(statistics.median(lat_win))
            k += 1
    return xs, tokens, latency


def run_names(run_dirs: Sequence[Path]) -> list[str]:
    """The folder name of each run; its parent too where two share a name; #k where still ambiguous."""
    names = [d.resolve().name for d in run_dirs]
    names = [f"{d.resolve().parent.name}/{n}" if names.count(n) > 1 else n for d, n in zip(run_dirs, names,
                                                                                             strict=True)]
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if names.count(n) == 1 else f"{n}#{seen[n]}")
    return out


def load_run(run_dir: Path, name: str) -> RunData:
    """The summary, refiner passes and rollbacks of a run (series come later, with a shared window)."""
    from harness.run import load_config, summarize

    summary = summarize(run_dir)
    with RunReader(run_dir) as reader:
        cfg = load_config(reader)
        passes = [(e.at_step, e.status) for _, e in reader.events("refine_pass") if isinstance(e, RefinePass)]
        rollbacks = [e.step or 0 for _, e in reader.events("rollback") if isinstance(e, Rollback)]
    preset = f"bootstrap:{Path(cfg.bootstrap_from).name}" if cfg.bootstrap_from else cfg.harness
    return RunData(name=name, summary=summary, preset=preset, refining=cfg.refining, passes=passes,
                   rollbacks=rollbacks)


def load_runs(run_dirs: Sequence[Path]) -> list[RunData]:
    runs = [load_run(d, n) for d, n in zip(run_dirs, run_names(run_dirs), strict=True)]
    window = rolling_window(max(r.summary["steps"] for r in runs))
    for d, run in zip(run_dirs, runs, strict=True):
        with RunReader(d) as reader:
            run.x, run.tokens, run.latency = stream_series(reader, run.summary["steps"], window)
    return runs


# --- the table --------------------------------------------------------------------------------------

def model_name(spec: str) -> str:
    """The model spec, a scripted model's reply file by its name only (the table stays narrow)."""
    kind, sep, rest = spec.partition(":")
    return f"{kind}:{Path(rest).name}" if sep and kind == "scripted" else spec


def table_row(run: RunData) -> dict[str, Any]:
    s = run.summary
    n_ms = len(run.milestones)
    tokens = run.total_tokens
    return {
        "run": run.name, "run_dir": s["run_dir"], "preset": run.preset, "model": model_name(s["model"]),
        "status": s["status"],
        "steps": s["steps"], "presses": s["button_presses"], "milestones": n_ms, "cost_usd": s["cost_usd"],
        "usd_per_milestone": round(s["cost_usd"] / n_ms, 6) if n_ms else None,
        "tokens": tokens, "tokens_per_step": round(tokens / s["steps"], 1) if s["steps"] else None,
        "refining": run.refining, "refiner_passes": len(run.passes),
        "passes_applied": sum(status == "applied" for _, status in run.passes), "rolled_back": len(run.rollbacks),
    }


def _median(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def median_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per preset that MEDIAN_MIN_RUNS or more runs share: the median of each number."""
    out = []
    for preset in dict.fromkeys(r["preset"] for r in rows):
        group = [r for r in rows if r["preset"] == preset]
        if len(group) < MEDIAN_MIN_RUNS:
            continue
        models = {r["model"] for r in group}
        row: dict[str, Any] = {"run": f"median of {len(group)}", "preset": preset,
                               "model": models.pop() if len(models) == 1 else "(mixed)", "runs": len(group),
                               "refining": any(r["refining"] for r in group)}
        for key in ("steps", "presses", "milestones", "cost_usd", "usd_per_milestone", "tokens", "tokens_per_step",
                    "refiner_passes", "passes_applied", "rolled_back"):
            row[key] = _median([r[key] for r in group])
        out.append(row)
    return out


def _num(v: float | None, fmt: str = ",.0f") -> str:
    if v is None:
        return "-"
    return f"{v:,.1f}" if fmt == ",.0f" and v != int(v) else format(v, fmt)


COLUMNS = ("run", "preset", "model", "steps", "presses", "milestones", "$ / milestone", "tokens / step",
           "refiner passes applied / rollbacks")


def _cells(r: dict[str, Any]) -> list[str]:
    usd = "-" if r["usd_per_milestone"] is None else f"${r['usd_per_milestone']:.4f}"
    refine = f"{_num(r['passes_applied'])} / {_num(r['rolled_back'])}" if r["refining"] else "off"
    return [str(r["run"]), str(r["preset"]), str(r["model"]), _num(r["steps"]), _num(r["presses"]),
            _num(r["milestones"]), usd, _num(r["tokens_per_step"], ",.1f"), refine]


def markdown_table(rows: list[dict[str, Any]], medians: list[dict[str, Any]]) -> str:
    body = [_cells(r) for r in rows] + [[f"**{c}**" for c in _cells(m)] for m in medians]
    widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(COLUMNS)]
    right = {3, 4, 5, 6, 7, 8}

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(COLUMNS), rule, *(line(b) for b in body)])


def write_summary(path: Path, table: str, pngs: list[Path]) -> None:
    notes = [
        "# Run report", "", table, "",
        "- **presses**: button presses (the env's action cost); **$ / milestone**: all money spent / milestones "
        "reached (\"-\": none reached); **tokens / step**: tokens in + out of every model call (refiner and "
        "summaries included) / steps.",
        "- **refiner passes applied / rollbacks**: refiner passes that changed the harness / versions the gate "
        "rolled back (\"off\": the run had no refiner). Bold rows: the median over the runs of a preset "
        f"(presets with {MEDIAN_MIN_RUNS} or more runs).", "",
        *(f"![{p.stem}]({p.name})" for p in pngs), "",
    ]
    path.write_text("\n".join(notes))


# --- the plots --------------------------------------------------------------------------------------

def _figure(ncols: int = 1) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(11 if ncols == 1 else 13, 5.5), dpi=110, squeeze=False)


def _colors(n: int) -> list[Any]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _legend(ax: Any, entries: int) -> None:
    """Inside the axes for a few entries, to the right of it for many."""
    if entries > 7:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    else:
        ax.legend(loc="best", fontsize="small")


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _count_axis(axis: Any) -> None:
    """Integer ticks written 250, 1.5k, 2M (no offset text such as "1e6" in the corner)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(_count))


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize="large", color="0.35",
            bbox={"boxstyle": "round", "facecolor": "0.95", "edgecolor": "0.7"})


def _staircase(run: RunData) -> tuple[list[int], list[int]]:
    """(presses, milestone index) corners of the run's step function, from (0, 0) to its last press."""
    presses = [0] + [m["button_presses"] for m in run.milestones]
    index = list(range(len(presses)))
    end = max(run.summary["button_presses"], presses[-1])
    return downsample(presses + [end]), downsample(index + [index[-1]])


def plot_milestones(runs: list[RunData], path: Path) -> Path:
    from matplotlib.ticker import MaxNLocator

    fig, axes = _figure()
    ax = axes[0][0]
    colors = _colors(len(runs))
    groups = {p: [r for r in runs if r.preset == p] for p in dict.fromkeys(r.preset for r in runs)}
    medians = {p: g for p, g in groups.items() if len(g) >= MEDIAN_MIN_RUNS}
    for run, color in zip(runs, colors, strict=True):
        xs, ys = _staircase(run)
        suffix = "" if run.milestones else " - no milestones"
        ax.step(xs, ys, where="post", color=color, lw=1.2 if run.preset in medians else 1.8,
                alpha=0.55 if run.preset in medians else 0.95, label=run.label + suffix)
        ax.plot(xs[-1:], ys[-1:], "o", color=color, ms=5)  # where the run ends (so far)
    for k, (preset, group) in enumerate(medians.items()):
        grid, med = _median_staircase(group)
        ax.step(grid, med, where="post", color="black", lw=3, ls=MEDIAN_STYLES[k % len(MEDIAN_STYLES)],
                label=f"median of {len(group)} {preset} runs")
    if not any(r.milestones for r in runs):
        _note(ax, "no run reached a milestone")
        ax.set_ylim(-0.5, 2)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _count_axis(ax.xaxis)
    ax.set_xlim(left=0)
    ax.set_xlabel("cumulative button presses")
    ax.set_ylabel("milestones reached (count)")
    ax.set_title("Milestones against button presses (dot: the run's last press)")
    ax.grid(alpha=0.3)
    _legend(ax, len(runs) + len(medians))
    return _save(fig, path)


def _median_staircase(group: list[RunData], points: int = 400) -> tuple[list[float], list[float]]:
    """The median milestone count over a run group on a press grid up to the group's median last press; a run
    that ended before x counts with the milestones it had reached."""
    end = statistics.median(r.summary["button_presses"] for r in group)
    corners = [[m["button_presses"] for m in r.milestones] for r in group]
    grid = [end * i / (points - 1) for i in range(points)] if end else [0.0]
    return grid, [statistics.median(bisect_right(c, x) for c in corners) for x in grid]


def _usd(v: float, _pos: object = None) -> str:
    return f"${v:,.2f}" if abs(v) >= 1 or v == 0 else f"${v:.3g}"


def _count(v: float, _pos: object = None) -> str:
    """1234567 -> 1.23M, 45000 -> 45k."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{unit}"
    return f"{v:.0f}"


def plot_cost(runs: list[RunData], path: Path) -> Path:
    """Cumulative $ and tokens at each milestone (two panels); runs without milestones are named in the legend,
    or, when no run has one, listed with their totals."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig, axes = _figure(ncols=2)
    colors = _colors(len(runs))
    panels = ((axes[0][0], "cost_usd", "$ spent (cumulative, USD)", "$ at each milestone", _usd),
              (axes[0][1], "tokens", "tokens (cumulative, in + out)", "Tokens at each milestone", _count))
    reached = any(r.milestones for r in runs)
    for ax, key, ylabel, title, fmt in panels:
        ax.set_title(title)
        if not reached:
            totals = [f"{r.name}: {_usd(r.summary['cost_usd'])}, {_count(r.total_tokens)} tokens, "
                      f"{r.summary['steps']:,} steps" for r in runs[:8]]
            _note(ax, "\n".join(["no run reached a milestone", "", *totals, *(["..."] if len(runs) > 8 else [])]))
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        for run, color in zip(runs, colors, strict=True):
            idx = sample_indices(len(run.milestones))
            ax.plot([i + 1 for i in idx], [run.milestones[i][key] for i in idx], "o-", color=color, ms=4,
                    label=run.label if run.milestones else f"{run.label} - no milestones")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(fmt))
        ax.set_ylim(bottom=0)
        ax.set_xlabel("milestone index (1 = first milestone)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        _legend(ax, len(runs))
    if reached and all(m["cost_usd"] == 0 for r in runs for m in r.milestones):
        _note(axes[0][0], "$0 at every milestone\n(local or scripted model)")
    return _save(fig, path)


def _mark_refinements(ax: Any, runs: list[RunData], colors: list[Any]) -> None:
    """Applied refiner passes (dotted, run colour) and rollbacks (black, dashed) as vertical lines, with legend
    entries that say so."""
    from matplotlib.lines import Line2D

    applied = rolled = False
    for run, color in zip(runs, colors, strict=True):
        steps = [s for s, status in run.passes if status == "applied"]
        if steps:
            ax.vlines(steps, 0, 1, transform=ax.get_xaxis_transform(), colors=[color], linestyles=":", lw=1.1,
                      alpha=0.7)
            applied = True
        if run.rollbacks:
            ax.vlines(run.rollbacks, 0, 1, transform=ax.get_xaxis_transform(), colors="black", linestyles="--",
                      lw=1.5)
            rolled = True
    if applied:
        ax.add_line(Line2D([], [], color="0.3", ls=":", label="refiner pass applied (run's colour)"))
    if rolled:
        ax.add_line(Line2D([], [], color="black", ls="--", lw=1.5, label="gate rollback (any run)"))


def plot_series(runs: list[RunData], path: Path, which: str) -> Path:
    """tokens per step (rolling mean) or step latency (rolling median) over steps, per run."""
    fig, axes = _figure()
    ax = axes[0][0]
    colors = _colors(len(runs))
    window = rolling_window(max(r.summary["steps"] for r in runs))
    for run, color in zip(runs, colors, strict=True):
        ys = run.tokens if which == "tokens" else run.latency
        label = run.label if run.x else f"{run.label} - no steps yet"
        ax.plot(run.x, ys, color=color, lw=1.4, label=label)
    _mark_refinements(ax, runs, colors)
    if which == "tokens":
        ax.set_ylabel(f"tokens per step (in + out; rolling mean over {window} steps)")
        ax.set_title("Tokens per step")
    else:
        ax.set_ylabel(f"step latency (s; rolling median over {window} steps)")
        ax.set_title("Step latency")
    if not any(r.x for r in runs):
        _note(ax, "no steps yet")
    _count_axis(ax.xaxis)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    _legend(ax, len(runs) + 2)
    return _save(fig, path)


# --- the command ------------------------------------------------------------------------------------

def write_report(run_dirs: Sequence[Path], out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str,
                                                                 list[Path]]:
    """Reads the runs, writes the PNGs and summary.md; returns (rows, median rows, table, files written)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    runs = load_runs(run_dirs)  # every run is opened (and refused with one line) before anything is written
    out.mkdir(parents=True, exist_ok=True)
    pngs = [plot_milestones(runs, out / "milestones.png"), plot_cost(runs, out / "cost.png"),
            plot_series(runs, out / "tokens_per_step.png", "tokens"), plot_series(runs, out / "latency.png", "latency")]
    rows = [table_row(r) for r in runs]
    medians = median_rows(rows)
    table = markdown_table(rows, medians)
    write_summary(out / "summary.md", table, pngs)
    return rows, medians, table, [*pngs, out / "summary.md"]


def main(args: argparse.Namespace) -> int:
    rows, medians, table, files = write_report(args.run_dirs, args.out)
    if args.json:
        print(json.dumps({"runs": rows, "medians": medians, "files": [str(f) for f in files]}, indent=2))
        print("wrote " + ", ".join(str(f) for f in files), file=sys.stderr)
    else:
        print(table)
        print("\nwrote:\n" + "\n".join(f"  {f}" for f in files))
    return 0
