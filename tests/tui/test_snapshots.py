"""SVG snapshots of the tabs with deterministic content only (never live check results).

Update after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs in tests/tui/__snapshots__/ before committing them.
"""
from __future__ import annotations

from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.tabs.diagnose import DiagnosePane

from .helpers import PLACEHOLDER_LIC, REPO, lint_options, started, wait_for


def _app(**kw) -> LmdoctorApp:
    return LmdoctorApp(autorun=False, live=False, cursor_blink=False, lint_options=lint_options(), **kw)


def _status(app, selector: str) -> str:
    return str(app.query_one(selector).render())


def test_explain_tab(snap_compare):
    async def run_before(pilot) -> None:
        await started(pilot)
        pilot.app.explain_text("-15,570:115")
        await wait_for(pilot, lambda: "explanation" in _status(pilot.app, "#explain-status"), what="explain")

    assert snap_compare(_app(initial="explain"), terminal_size=(80, 24), run_before=run_before)


def test_license_tab(snap_compare, monkeypatch):
    monkeypatch.chdir(REPO)  # the path on screen is relative: the same on every machine

    async def run_before(pilot) -> None:
        await started(pilot)
        pilot.app.lint_file(PLACEHOLDER_LIC)
        await wait_for(pilot, lambda: " fail, " in _status(pilot.app, "#license-status"), what="lint")

    assert snap_compare(_app(initial="license"), terminal_size=(100, 30), run_before=run_before)


def test_diagnose_symptom_list(snap_compare):
    async def run_before(pilot) -> None:
        await started(pilot)
        await wait_for(pilot, lambda: pilot.app.query_one(DiagnosePane).ready, what="the tree")

    assert snap_compare(_app(initial="diagnose"), terminal_size=(80, 24), run_before=run_before)


def test_diagnose_walked_to_a_leaf(snap_compare):
    async def run_before(pilot) -> None:
        await started(pilot)
        pane = pilot.app.query_one(DiagnosePane)
        await wait_for(pilot, lambda: pane.ready, what="the tree")
        pane.start("no-license")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="step S2")
        await pilot.press("2")  # "No path or variable is set"
        await wait_for(pilot, lambda: pane.walk.done and not pane.busy, what="the leaf")

    assert snap_compare(_app(initial="diagnose"), terminal_size=(120, 40), run_before=run_before)
