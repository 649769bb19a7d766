"""The `harness watch` Textual app. It only reads the run's event log (and writes control requests
through `harness.control.request`); the run never waits for it."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from harness import control
from harness.diff import render as render_doc
from harness.diff import unified
from harness.log.events import Step
from harness.watch import render
from harness.watch.feed import MAX_STEPS, MAX_TIMELINE, Feed
from harness.watch.screens import DiffScreen, HelpScreen

TRIM_SLACK = 200  # rows the steps table may hold over MAX_STEPS before it is rebuilt
TABS = ("steps", "progress", "versions", "blocks", "skills", "subagents", "memory")
MAIN_ONLY = {"control", "back", "forward", "first", "live", "diff", "help", "tab"}


class FrameView(Static):
    """The game frame as half-block characters, rescaled whenever the panel's size changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.image: Image.Image | None = None

    def show(self, png: bytes | None) -> None:
        self.image = render.decode_png(png) if png else None
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        w, h = self.content_size
        if self.image is None:
            self.update(Text("(no frame)", style="dim"))
        elif w > 0 and h > 0:
            self.update(render.frame(self.image, w, h))


class StepsTable(DataTable):
    """The recent steps; keeps the shown step's row in view when the terminal is resized."""

    def on_resize(self) -> None:
        # the row is read when the refresh comes, not now: rows may have arrived and the cursor moved since,
        # and moving it back to a stale row would look like the user picking that step (history mode)
        self.call_after_refresh(self.keep_cursor_in_view)

    def keep_cursor_in_view(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.cursor_row, animate=False)


class WatchApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "harness watch"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("p", "control('pause')", "Pause"),
        Binding("r", "control('resume')", "Resume"),
        Binding("s", "control('stop')", "Stop"),
        Binding("left,k", "back(1)", "Back", key_display="←", priority=True),
        Binding("right,j", "forward(1)", "Fwd", key_display="→", priority=True),
        Binding("shift+left", "back(10)", "Back 10", show=False, priority=True),
        Binding("shift+right", "forward(10)", "Fwd 10", show=False, priority=True),
        Binding("home", "first", "First step", show=False, priority=True),
        Binding("l,end", "live", "Live", key_display="l", priority=True),
        Binding("d", "diff", "Diff"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        *(Binding(str(i + 1), f"tab({i})", TABS[i], show=False) for i in range(len(TABS))),
    ]

    def __init__(self, run_dir: str | Path, poll: float = 0.5) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.poll_s = poll
        self.feed = Feed.open(self.run_dir)  # StoreError here, before the terminal is taken over
        self.selected: int | None = None  # a step shown from history; None: live, the newest step
        self.shown: Step | None = None
        self._table_steps: list[int] = []  # step ids in the steps table, in order
        self._timeline_seq = 0
        self._cursor_target: int | None = None  # the row the app moved the cursor to itself
        self._code: dict[str, str] = {}
        cfg = self.feed.config()
        self.title = f"harness watch · {self.run_dir.name}"
        self.sub_title = f"{cfg.get('env', '?')} · {render.model_name(cfg)} · {cfg.get('harness', '?')}"

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        with Horizontal(id="top"):
            yield FrameView(id="frame")
            with VerticalScroll(id="obs-box"):
                yield Static(id="obs")
            with Vertical(id="side"):
                yield Static(id="side-stats")
                yield DataTable(id="side-milestones", cursor_type="none", zebra_stripes=True)
        with TabbedContent(id="tabs"):
            with TabPane("Steps", id="steps"):
                yield StepsTable(id="steps-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Progress", id="progress"), VerticalScroll():
                yield Static(id="stats")
                yield DataTable(id="milestones", cursor_type="row", zebra_stripes=True)
            with TabPane("Versions", id="versions"):
                yield Static(id="version-head")
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
            for pane, title in (("blocks", "Blocks"), ("skills", "Skills"), ("subagents", "Sub-agents")):
                with TabPane(title, id=pane), VerticalScroll():
                    yield Static(id=f"{pane}-body")
            with TabPane("Memory", id="memory"):
                yield DataTable(id="memory-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#frame").border_title = "frame"
        self.query_one("#side").border_title = "run"
        self.table("steps-table").add_columns("step", "action", "where", "reasoning", "tools")
        for name in ("milestones", "side-milestones"):
            self.table(name).add_columns("milestone", "step", "presses", "tokens", "$")
        self.table("timeline").add_columns("step", "event", "detail")
        self.table("memory-table").add_columns("id", "imp", "where", "tags", "text")
        self.add_steps()
        self.fill_milestones()
        self.add_timeline()
        self.draw_document()
        self.show_step()
        self.draw_stats()
        self.table("steps-table").focus()
        self.poll_timer = self.set_interval(self.poll_s, self.follow)

    def table(self, name: str) -> DataTable:
        return self.query_one(f"#{name}", DataTable)

    # --- following the log -----------------------------------------------------------------------
    def follow(self) -> None:
        changes = self.feed.poll()
        if not changes.any():
            return
        if changes.steps:
            self.add_steps()
            if self.selected is None:
                self.show_step()
        if changes.milestones:
            self.fill_milestones()
        if changes.timeline:
            self.add_timeline()
        if changes.version:
            self.draw_document()
        if changes.memory:
            self.fill_memory()
        self.draw_stats()

    def add_steps(self) -> None:
        table = self.table("steps-table")
        last = self._table_steps[-1] if self._table_steps else -1
        new = [step for step in self.feed.steps if step.step > last]
        if len(self._table_steps) + len(new) > MAX_STEPS + TRIM_SLACK:  # one rebuild, not a remove_row per row
            table.clear()  # (remove_row costs O(rows) each: 75% of the app's CPU on a fast run)
            self._table_steps.clear()
            new = list(self.feed.steps)
        for step in new:
            table.add_row(*render.step_row(step), key=str(step.step))
            self._table_steps.append(step.step)
        if self._table_steps:  # rows added or trimmed: the cursor stays on the shown step
            self.move_cursor(self._table_steps[-1] if self.selected is None else self.selected)

    def move_cursor(self, step: int) -> None:
        table = self.table("steps-table")
        if str(step) in table.rows:
            self._cursor_target = step
            table.move_cursor(row=table.get_row_index(str(step)), animate=False)

    def fill_milestones(self) -> None:
        for name in ("milestones", "side-milestones"):
            table = self.table(name)
            table.clear()
            for m in self.feed.milestones:
                table.add_row(*render.milestone_row(m))

    def add_timeline(self) -> None:
        table = self.table("timeline")
        for row in self.feed.timeline:
            if row.seq > self._timeline_seq:
                table.add_row(Text("" if row.step is None else str(row.step), justify="right"), row.what,
                              render.clip(row.detail, 200), key=str(row.seq))
                self._timeline_seq = row.seq
        while table.row_count > MAX_TIMELINE:
            table.remove_row(next(iter(table.rows)))
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def draw_document(self) -> None:
        doc, ev = self.feed.doc(), self.feed.version
        head = Text("no harness version yet", style="dim")
        if ev is not None:
            head = Text(f"current harness v{ev.version}", style="bold")
            head.append(f"  {ev.trigger}" + (f" at step {ev.step}" if ev.step is not None else "") + f": {ev.reason}")
            head.append("  (d: diff)", style="dim")
        self.query_one("#version-head", Static).update(head)
        if doc is None:
            return
        for s in doc.skills.values():
            if s.current.ref not in self._code:
                try:
                    self._code[s.current.ref] = self.feed.text(s.current.ref)
                except Exception as e:  # a missing blob is shown in place of the code
                    self._code[s.current.ref] = f"(code unavailable: {e})"
        self.query_one("#blocks-body", Static).update(render.blocks(doc))
        self.query_one("#skills-body", Static).update(render.skills(doc, self._code))
        self.query_one("#subagents-body", Static).update(render.subagents(doc))

    def fill_memory(self) -> None:
        table = self.table("memory-table")
        table.clear()
        entries = self.feed.load_memory()
        for e in sorted(entries.values(), key=lambda e: int(e.id[1:]) if e.id[1:].isdigit() else 0):
            table.add_row(e.id, str(e.importance), render.clip(e.location, 16), render.clip(", ".join(e.tags), 20),
                          render.clip(e.text, 200), key=e.id)

    def draw_stats(self) -> None:
        self.query_one("#status", Static).update(render.status_line(self.feed, self.selected))
        stats = render.stats(self.feed)
        self.query_one("#stats", Static).update(stats)
        self.query_one("#side-stats", Static).update(stats)

    def show_step(self) -> None:
        """The frame and observation of the selected step (the newest one when live)."""
        step = self.feed.last_step if self.selected is None else self.feed.step(self.selected)
        self.shown = step
        box = self.query_one("#obs-box")
        frame = self.query_one("#frame", FrameView)
        if step is None:
            frame.show(None)
            self.query_one("#obs", Static).update(Text("no steps yet: waiting for the run", style="dim"))
            box.border_title = "observation"
            return
        try:
            frame.show(self.feed.blob(step.frame_ref) if step.frame_ref else None)
        except Exception:  # a missing frame blob: shown as no frame
            frame.show(None)
        where = "history" if self.selected is not None else "live" if self.feed.state != "stopped" else "latest"
        frame.border_title = f"frame · step {step.step}"
        box.border_title = f"step {step.step} · {where} · {step.label_before}"
        self.query_one("#obs", Static).update(render.observation(self.feed, step))
        box.scroll_home(animate=False)

    # --- history ---------------------------------------------------------------------------------
    def select(self, step_id: int) -> None:
        last = self.feed.last_step
        if last is None:
            return
        if step_id >= last.step:
            self.action_live()
            return
        if self.feed.step(max(0, step_id)) is None:
            return
        self.selected = max(0, step_id)
        self.show_step()
        self.move_cursor(self.selected)
        self.draw_stats()

    def action_back(self, n: int) -> None:
        last = self.feed.last_step
        if last is not None:
            self.select((self.selected if self.selected is not None else last.step) - n)

    def action_forward(self, n: int) -> None:
        if self.selected is not None:
            self.select(self.selected + n)

    def action_first(self) -> None:
        first = self.feed.first_step() if self.feed.steps else None
        if first is not None:
            self.select(first.step)

    def action_live(self) -> None:
        self.selected = None
        self.show_step()
        if self._table_steps:
            self.move_cursor(self._table_steps[-1])
        self.draw_stats()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Moving the cursor in the steps table shows that step (the app's own cursor moves are skipped)."""
        table = event.data_table
        if table.id != "steps-table" or event.cursor_row != table.cursor_row or event.row_key.value is None:
            return
        step = int(event.row_key.value)
        if step == self._cursor_target:
            return
        self._cursor_target = None
        if step != self.selected:
            self.select(step)

    # --- actions ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in MAIN_ONLY and self.screen is not self.screen_stack[0])  # a modal: its keys only

    def action_control(self, action: str) -> None:
        f = self.feed
        why = None
        if f.state in ("stopped", "stopping"):
            why = "the run is not running (harness resume continues it)"
        elif f.pending is not None and f.pending.action == action:
            why = f"{action} already requested; waiting for the run's next step boundary"
        elif action == "pause" and f.state == "paused":
            why = "the run is already paused"
        elif action == "resume" and f.state != "paused" and not (f.pending and f.pending.action == "pause"):
            why = "the run is not paused"
        if why:
            self.notify(why, severity="warning")
            return
        f.pending = control.request(self.run_dir, action, source="tui")
        self.notify(f"{action} requested: applied at the run's next step boundary", timeout=3)
        self.draw_stats()

    def action_diff(self) -> None:
        """The shown step's harness version against its parent, in a modal."""
        step = self.shown
        if step is None:
            self.notify("no step to diff yet", severity="warning")
            return
        seq, ev = self.feed.version_event(step.harness_version, self.feed.step_seq(step.step))
        doc = self.feed.document(ev)
        made = f"v{ev.version}: {ev.trigger}" + (f" at step {ev.step}" if ev.step is not None else "")
        head = Text(f"{made}: {ev.reason}\n\n", style="bold")
        if ev.parent is None:
            title = f"harness v{ev.version} (step {step.step}'s prompt): the run's first version"
            body = Text("\n".join(render_doc(doc)))
        else:
            _, parent = self.feed.version_event(ev.parent, seq)
            title = f"diff v{ev.parent} → v{ev.version} (step {step.step}'s prompt)"
            body = render.diff_text(unified(self.feed.document(parent), doc, f"v{ev.parent}", f"v{ev.version}")
                                    or "(no change)")
        self.push_screen(DiffScreen(title, Text.assemble(head, body)))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_tab(self, index: int) -> None:
        self.query_one(TabbedContent).active = TABS[index]

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "memory" and self.feed.memory is None:
            self.fill_memory()

    def on_unmount(self) -> None:
        self.feed.close()
