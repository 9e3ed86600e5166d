"""Command palette: jump to any symptom of the troubleshooter, or any action."""
from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class LmdoctorCommands(Provider):
    def _items(self):
        app = self.app
        items = [
            ("Check this machine", "Run every live probe and lint the license", app.action_run_check),
            ("Explain an error code", "Paste a FlexLM code or message", partial(app.action_show_tab, "explain")),
            ("Lint a license file", "Check a license file for mistakes", partial(app.action_show_tab, "license")),
        ]
        try:
            from checks.tree.loader import load_tree

            tree = load_tree()
            for s in tree.symptoms.values():
                items.append((f"Diagnose: {s.title}", "Start the guided troubleshooter here",
                              partial(app.start_diagnosis, s.id)))
        except Exception:
            pass  # the palette still offers the actions
        return items

    async def discover(self) -> Hits:
        for name, help_text, cb in self._items()[:3]:
            yield DiscoveryHit(name, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, cb in self._items():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), cb, help=help_text)
