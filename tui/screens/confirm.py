"""A yes/no question with single keys (y / n, or the keys given), escape meaning no."""
from __future__ import annotations

from typing import List, Tuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen):
    """Dismisses with the chosen key's value (a string), or None on escape."""

    BINDINGS = [Binding("escape", "choose('')", "Cancel", id="confirm-cancel", tooltip="Close without doing it")]

    def __init__(self, question: str, choices: List[Tuple[str, str, str]]) -> None:
        """``choices``: (key, value, label) for each answer, e.g. ("q", "quit", "quit without saving")."""
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question")
            keys = "   ".join(f"[b]{k}[/b] {label}" for k, _v, label in self.choices)
            yield Static(keys + "   [b]esc[/b] back", id="confirm-keys")

    def on_key(self, event) -> None:
        for key, value, _label in self.choices:
            if event.key == key or (event.character and event.character == key):
                event.stop()
                self.dismiss(value)
                return

    def action_choose(self, value: str) -> None:
        self.dismiss(value or None)
