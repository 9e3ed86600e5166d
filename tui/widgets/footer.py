"""The key bar, rebuilt only when the keys it shows change.

Textual's Footer recomposes (new widgets, their styles, a layout) on every bindings refresh: each
focus change, each ``refresh_bindings()``, several in a row at start-up. Most of them show the same
keys again. Here a burst of refreshes is one check, and the bar is rebuilt only when what it would
show differs (keys, labels, enabled or not, tooltips): the first frame and every key typed while a
worker reports its state cost less.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

from textual.app import ComposeResult
from textual.widgets import Footer

if TYPE_CHECKING:  # pragma: no cover
    from textual.screen import Screen


class KeyFooter(Footer):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._drawn: Optional[Tuple[Any, ...]] = None  # what the last compose showed
        self._check_pending = False

    def _shown_keys(self) -> Tuple[Any, ...]:
        """Everything Footer.compose reads, as a value to compare."""
        active = self.screen.active_bindings
        rows = tuple((b.key, b.action, b.description, b.group, enabled, tooltip, b.key_display)
                     for (_node, b, enabled, tooltip) in active.values() if b.show)
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            palette = found[1:] if found is not None else None
        return rows, palette, self.compact, self._bindings_ready

    def compose(self) -> ComposeResult:
        self._drawn = self._shown_keys()
        yield from super().compose()

    def bindings_changed(self, screen: "Screen") -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if self.is_attached and self._shown_keys() != self._drawn:
            await self.recompose()
