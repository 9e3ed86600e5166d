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


# ------------------------------------------------------------------ the screens issue 12 added
def _check_report():
    from lmdoctor.checks.findings import Finding, Report, Status

    return Report("check", [
        Finding("network.timeout", Status.FAIL, "27001@licserver (sigasi vendor daemon port): timed out after 3 s",
                detail="The lmgrd port answers but the vendor daemon port does not: a firewall drops it.",
                fix="Open TCP 27001 from the clients to licserver, or pin the port (DAEMON sigasi port=27001).",
                evidence=["connect 27001@licserver: timed out"]),
        Finding("license.expiring", Status.WARN, "com.sigasi.hdt expires in 12 days (2024-01-27)",
                fix="Renew the key before it expires."),
        Finding("process.lmgrd", Status.OK, "lmgrd runs (pid 4242), started with -c /opt/sigasi/sigasi.lic"),
        Finding("identity.host", Status.INFO, "This machine: licserver"),
    ])


async def _finished_check(pilot, report) -> None:
    from lmdoctor.tui.messages import JobFinished
    from lmdoctor.tui.tabs.check import CheckPane

    await started(pilot)
    pane = pilot.app.query_one(CheckPane)
    pane.run_no = 1
    pane.post_message(JobFinished("check", report=report, run=1))
    await wait_for(pilot, lambda: pane.last_report is report, what="the check")


def test_check_tab(snap_compare):
    report = _check_report()
    assert snap_compare(_app(initial="check"), terminal_size=(80, 24),
                        run_before=lambda pilot: _finished_check(pilot, report))


def test_check_tab_without_colour(snap_compare, monkeypatch):
    """NO_COLOR=1: FAIL reversed and bold, WARN bold underlined, the words carry the status."""
    monkeypatch.setenv("NO_COLOR", "1")
    report = _check_report()
    app = _app(initial="check")
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=lambda pilot: _finished_check(pilot, report))


def test_empty_machine_offers(snap_compare):
    from lmdoctor.checks.findings import Finding, Report, Status
    from lmdoctor.tui.tabs.check import EMPTY_MACHINE_IDS

    report = Report("check", [Finding(i, Status.INFO, t) for i, t in zip(
        sorted(EMPTY_MACHINE_IDS), ("No license file found on this machine", "No license server to contact",
                                    "No lmgrd or vendor daemon running"))])
    assert snap_compare(_app(initial="check"), terminal_size=(80, 24),
                        run_before=lambda pilot: _finished_check(pilot, report))


def test_inputs_panel(snap_compare):
    from lmdoctor.tui.screens.inputs import InputsScreen
    from lmdoctor.tui.state import Inputs

    async def run_before(pilot) -> None:
        await started(pilot)
        pilot.app.action_inputs()
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputsScreen), what="the panel")

    app = _app(initial="explain", inputs=Inputs(license_path="/opt/sigasi/sigasi.lic", servers=["27000@licserver"],
                                                on_server=True))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_help_screen(snap_compare):
    from lmdoctor.tui.screens.help import HelpScreen

    async def run_before(pilot) -> None:
        await started(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), what="help")

    assert snap_compare(_app(initial="explain"), terminal_size=(100, 30), run_before=run_before)


def test_log_tab_usage_plot(snap_compare, tmp_path, monkeypatch):
    from lmdoctor.tui.tabs.log import LogPane
    from lmdoctor.tui.widgets.usage_plot import UsagePlot

    from .test_inputs_and_usage import _usage_log

    monkeypatch.chdir(tmp_path)  # the path on screen is relative: the same on every run
    _usage_log(tmp_path / "debug.log")

    async def run_before(pilot) -> None:
        await started(pilot)
        app = pilot.app
        pane = app.query_one(LogPane)
        app.open_log("debug.log")
        await wait_for(pilot, lambda: pane.findings, what="the analysis")
        app.query_one("#log-findings .findings-table").focus()
        app._typed_at = 0.0
        await pilot.press("u")
        await wait_for(pilot, lambda: app.query_one(UsagePlot).display, what="the plot")

    assert snap_compare(_app(initial="log"), terminal_size=(100, 30), run_before=run_before)
