"""Modal screens of `harness watch`: the key help and a harness version diff."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

KEYS = [
    ("p / r / s", "pause / resume / stop the run (at its next step boundary; shown as pending until it is applied)"),
    ("← / k", "back one step: the frame and observation of an older step"),
    ("→ / j", "forward one step (past the newest: back to live)"),
    ("shift+← / shift+→", "back / forward ten steps"),
    ("home", "the run's first step"),
    ("l / end", "back to live: follow the newest step"),
    ("↑ / ↓", "move in the focused table (in the steps table: show that step)"),
    ("d", "diff of the shown step's harness version against its parent"),
    ("1 … 7", "tabs: steps, progress, versions, blocks, skills, sub-agents, memory"),
    ("tab", "move the focus (tables, tabs, panels)"),
    ("?", "this help"),
    ("q", "quit (the run goes on)"),
]


class Modal(ModalScreen[None]):
    """A titled, scrollable box over the app; escape or q closes it."""

    BINDINGS = [Binding("escape", "dismiss", "Close", key_display="esc"), Binding("q", "dismiss", "Close", show=False)]
    DEFAULT_CSS = """
    Modal { align: center middle; }
    Modal > Vertical { width: 90%; max-width: 110; height: 90%; border: thick $accent; background: $surface;
                       padding: 0 1; }
    Modal VerticalScroll { height: 1fr; }
    """

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            with VerticalScroll():
                yield Static(self.body, id="modal-body")
        yield Footer()


class HelpScreen(Modal):
    BINDINGS = [*Modal.BINDINGS, Binding("question_mark", "dismiss", "Close", show=False)]

    def __init__(self) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        super().__init__("harness watch: keys", table)


class DiffScreen(Modal):
    BINDINGS = [*Modal.BINDINGS, Binding("d", "dismiss", "Close", show=False)]
