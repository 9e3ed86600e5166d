"""Command palette (ctrl+p): every action, every symptom, and every step id ("S2.3") of the troubleshooter."""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, List, Tuple, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:  # app.py imports this module
    from .app import LmdoctorApp

Item = Tuple[str, str, Callable[[], object]]


def shorten(text: str, width: int) -> str:
    """``text`` cut at a word boundary with an ellipsis, never mid-word."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


class LmdoctorCommands(Provider):
    async def startup(self) -> None:
        self._cache: List[Item] = []

    def _actions(self) -> List[Item]:
        app = cast("LmdoctorApp", self.app)  # this provider is registered by LmdoctorApp only
        return [
            ("Check this machine", "Run every live probe and lint the license", app.action_run_check),
            ("Diagnose an error message", "The guided troubleshooter", partial(app.action_show_tab, "diagnose")),
            ("Explain an error code", "Paste a FlexLM code or message", partial(app.action_show_tab, "explain")),
            ("Lint a license file", "Check a license file for mistakes", partial(app.action_show_tab, "license")),
            ("Repair this machine's license server", "Plan the repair: every change shown first, then applied, "
             "verified and undoable", partial(app.apply_fix, None)),
        ]

    def _items(self) -> List[Item]:
        if getattr(self, "_cache", None):
            return self._cache
        app = cast("LmdoctorApp", self.app)  # this provider is registered by LmdoctorApp only
        items = self._actions()
        try:
            from lmdoctor.checks.repair.registry import SPECS

            for spec in SPECS:
                items.append((f"Repair: {spec.id}", spec.does, partial(app.apply_fix, spec.id)))
        except Exception:
            pass
        try:
            from lmdoctor.checks.tree.loader import load_tree

            from .tabs.diagnose import _step_key

            tree = load_tree()
            for s in sorted(tree.symptoms.values(), key=lambda s: _step_key(s.start)):
                items.append((f"Diagnose {s.start}: {s.title}", "Start the guided troubleshooter here",
                              partial(app.start_diagnosis, s.id)))
            for n in sorted(tree.nodes.values(), key=lambda n: _step_key(n.id)):
                text = n.title if n.is_leaf else (n.question or n.title)
                items.append((f"Go to step {n.id}: {shorten(text, 70)}", "Stand on this step, as the helpdesk asked",
                              partial(app.goto_step, n.id)))
        except Exception:
            pass  # the palette still offers the actions
        self._cache = items
        return items

    async def discover(self) -> Hits:
        for name, help_text, cb in self._actions():
            yield DiscoveryHit(name, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, cb in self._items():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), cb, help=help_text)
