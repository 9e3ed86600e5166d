"""ctrl+s: save what is on screen into a directory the dialog names, with a redaction toggle."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static


class SaveScreen(ModalScreen):
    """Dismisses with (directory, redact) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save-cancel", tooltip="Close without saving")]

    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = directory

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static("Save what is on screen: report.json + report.md (+ screen.svg) in a new folder under:")
            yield Input(value=self.directory, id="save-dir", compact=True)
            yield Checkbox("Redact host, user and customer names, IPs, SIGN (no screenshot then)", id="save-redact",
                           compact=True)
            with Horizontal(id="save-buttons"):
                yield Button("Save", id="save-ok", variant="primary", compact=True)
                yield Button("Cancel", id="save-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#save-dir", Input).cursor_blink = getattr(self.app, "input_blink", True)
        self.query_one("#save-ok", Button).focus()

    @on(Button.Pressed, "#save-ok")
    @on(Input.Submitted, "#save-dir")
    def _ok(self) -> None:
        from ..state import expand_path

        self.dismiss((expand_path(self.query_one("#save-dir", Input).value) or ".",
                      self.query_one("#save-redact", Checkbox).value))

    @on(Button.Pressed, "#save-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
