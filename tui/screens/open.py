"""ctrl+o: the path of a file a customer sent (report, debug log, lmstat output, license)."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class OpenScreen(ModalScreen):
    """Dismisses with the typed path, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="open-cancel", tooltip="Close without opening")]

    def compose(self) -> ComposeResult:
        with Vertical(id="open-box"):
            yield Static("Open a report, debug log, lmstat output or license file (~ works), then Enter:")
            yield Input(placeholder="/path/to/file", id="open-path", compact=True)

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = getattr(self.app, "input_blink", True)
        field.focus()

    @on(Input.Submitted, "#open-path")
    def _ok(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
