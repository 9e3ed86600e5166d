"""A one-line field that keeps a multi-line paste whole (a debug-log excerpt, an error dialog).

Textual's Input keeps only the first line of a paste. Here the field shows the lines joined
(with " | "), remembers the text as pasted, and submits it at once: a log excerpt is meant to be
read as a whole, and the engine matches on every line.
"""
from __future__ import annotations

from typing import Optional

from textual import events
from textual.widgets import Input

JOIN = " | "


class PasteInput(Input):
    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._pasted: str = ""
        self._shown: str = ""
        self.pasted_lines = 0
        self._at_enter: Optional[str] = None

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            # Enter is a binding, run once the key has bubbled up to the app; keys typed on in the
            # same burst from the terminal reach this field before that. Submit what Enter was
            # pressed on, not the text typed after it.
            self._at_enter = self.value
        await super()._on_key(event)

    async def action_submit(self) -> None:
        value = self.value if self._at_enter is None else self._at_enter
        self._at_enter = None
        result = self.validate(value) if "submitted" in self.validate_on else None
        self.post_message(self.Submitted(self, value, result))

    @property
    def full_text(self) -> str:
        """What to match: the paste as it was, unless the user edited the field since."""
        if self._pasted and self.value == self._shown:
            return self._pasted
        return self.value

    def text_of(self, value: str) -> str:
        """What a Submitted ``value`` means: the whole paste when it is the paste as shown, else the value.

        The submit is handled after keys typed meanwhile have changed the field: read the event's
        value, never the field's current one."""
        if self._pasted and value == self._shown:
            return self._pasted
        return value

    def set_text(self, text: str) -> None:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:
            self._pasted, self._shown = text, JOIN.join(ln.strip() for ln in lines)
            self.pasted_lines = len(lines)
            self.value = self._shown
        else:
            self._pasted = self._shown = ""
            self.pasted_lines = 0
            self.value = text.strip("\r\n")
        self.cursor_position = len(self.value)

    def _on_paste(self, event: events.Paste) -> None:
        lines = [ln for ln in event.text.splitlines() if ln.strip()]
        if len(lines) <= 1:
            super()._on_paste(event)
            return
        event.stop()
        event.prevent_default()  # not Input's own handler too (it would insert the first line)
        before = self.value.strip()
        self.set_text((before + "\n" if before else "") + event.text)
        self.post_message(self.Submitted(self, self.value))
