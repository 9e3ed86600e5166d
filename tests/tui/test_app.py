"""Pilot tests of the lmdoctor app: real engine calls in thread workers, results as messages."""
from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList, ProgressBar, Static

from lmdoctor.checks.findings import Status
from lmdoctor.checks.runtime import RunState
from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.messages import FindingFound, FindingsReady, JobFinished, ProgressChanged, TreeLoaded, WalkUpdated
from lmdoctor.tui.tabs.check import CheckPane
from lmdoctor.tui.tabs.diagnose import DiagnosePane, path_to_step
from lmdoctor.tui.widgets.findings_view import FindingsView

from .helpers import PLACEHOLDER_LIC, REPO, Recorder, lint_options, run_async, started, wait_for


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


@run_async
async def test_check_streams_findings_from_the_sandbox_server(sandbox):
    rec = Recorder()
    app = LmdoctorApp(license_path=sandbox.license_path, servers=[sandbox.port_at_host], autorun=False)
    async with app.run_test(size=(120, 40), message_hook=rec) as pilot:
        await started(pilot)
        pane = app.query_one(CheckPane)
        await pilot.press("r")
        assert pane.run_no == 1  # the key started a run (it may already have finished)
        await wait_for(pilot, lambda: rec.of(JobFinished), what="the check to finish")
        assert not pane.running
        done = rec.of(JobFinished)[0]
        assert done.error is None, done.error
        found = rec.of(FindingFound)
        # Streamed: findings arrived as messages before the job ended; the report's are the judged ones
        # (one fact, one finding), each from a streamed probe finding.
        assert found and rec.messages.index(found[0]) < rec.messages.index(done)
        assert {f.id for f in done.report.findings} <= {f.finding.id for f in found}
        # The sandbox's lmgrd is seen by the process probe.
        assert any(str(sandbox.lmgrd_pid) in f.finding.title for f in found if f.finding.area == "process")
        table = app.query_one("#check-findings DataTable", DataTable)
        assert table.row_count == len(done.report.findings)  # the table ends with the judged findings
        ranks = [_row_rank(table, i) for i in range(table.row_count)]
        assert ranks == sorted(ranks, reverse=True), "worst first"
        bar = app.query_one("#check-progress", ProgressBar)
        assert bar.progress == bar.total
        assert _text(app, "#check-status").startswith("Done: ")
        assert rec.of(ProgressChanged)


def _row_rank(table: DataTable, row: int) -> int:
    label = table.get_row_at(row)[0].plain
    return {"FAIL": Status.FAIL.rank, "WARN": Status.WARN.rank, "skip": Status.SKIP.rank,
            "info": Status.INFO.rank, "ok": Status.OK.rank}[label]


@run_async
async def test_detail_follows_the_cursor():
    from lmdoctor.checks.explain import explain

    app = LmdoctorApp(autorun=False, initial="explain")
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        view = app.query_one("#explain-findings", FindingsView)
        findings = explain("-15,570:115 and later lmgrd said -97,121 and Internal Flexlm Error")
        assert len(findings) >= 2
        view.set_findings(findings)
        await pilot.pause()
        table = view.query_one(DataTable)
        table.focus()
        first = view.shown
        assert first is not None and first.title in str(view.query_one(".finding-detail", Static).render())
        await pilot.press("down")
        await wait_for(pilot, lambda: view.shown is not first, what="the detail to follow the cursor")
        second = view.shown
        assert second.title in str(view.query_one(".finding-detail", Static).render())
        await pilot.press("up")
        await wait_for(pilot, lambda: view.shown is first, what="the detail to follow the cursor back")


@run_async
async def test_progress_messages_collapse():
    rec = Recorder()
    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        pane = app.query_one(CheckPane)
        pane.run_no = 7
        pane.running = True
        # A flood posted faster than the UI handles it: newer ones replace older ones still queued.
        for i in range(1, 301):
            pane.post_message(ProgressChanged(i, 300, f"probe {i}", run=7))
        bar = app.query_one("#check-progress", ProgressBar)
        await wait_for(pilot, lambda: bar.progress == 300, what="the last progress")
        handled = rec.of(ProgressChanged)
        assert handled[-1].done == 300
        assert len(handled) < 300, "the queue should have collapsed the flood"
        assert "probe 300" in _text(app, "#check-status")
        # A stale run's progress is ignored.
        pane.post_message(ProgressChanged(1, 300, "old run", run=6))
        await pilot.pause()
        assert app.query_one("#check-progress", ProgressBar).progress == 300
        pane.running = False


@run_async
async def test_new_run_and_quit_cancel_tokens():
    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = app.query_one(CheckPane)
        pane.start_check()
        first = pane._token
        pane.start_check()
        second = pane._token
        assert first is not None and first.cancelled
        assert second is not None and not second.cancelled
        await pilot.press("q")
        await pilot.pause()
    assert second.cancelled
    assert app.return_code in (0, None)


@run_async
async def test_stop_cancels_a_running_check():
    rec = Recorder()
    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        pane = app.query_one(CheckPane)
        pane.start_check()
        token = pane._token
        app.action_stop()  # what escape does; called at once so the check cannot have finished yet
        assert token.cancelled
        await wait_for(pilot, lambda: rec.of(JobFinished), what="the check to end")
        done = rec.of(JobFinished)[0]
        assert done.state is RunState.CANCELLED and done.cancelled and done.error is None
        assert _text(app, "#check-status").startswith("Check stopped by you")
        assert app.query_one("#run-check").disabled is False
        assert not pane.running


@run_async
async def test_bad_license_is_a_finding_in_full_and_the_rest_is_checked(tmp_path):
    """Defect 11: a bad --license was "The check failed: LicenseArgumentError: ..." cut at 80 columns."""
    rec = Recorder()
    missing = str(tmp_path / "no-such-license-file-with-a-long-name-to-see-it-whole.lic")
    app = LmdoctorApp(license_path=missing, autorun=False)
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: any(m.job == "check" for m in rec.of(JobFinished)), what="check end")
        check_end = [m for m in rec.of(JobFinished) if m.job == "check"][0]
        assert check_end.error is None
        first = check_end.report.findings[0]
        assert first.id == "check.license-unreadable" and first.status is Status.FAIL
        assert missing in first.detail
        # The rest of the check ran: the probes reported too.
        assert {f.area for f in check_end.report.findings} > {"check"}
        view = app.query_one("#check-findings", FindingsView)
        assert view.shown is not None and view.shown.id == "check.license-unreadable"
        detail = str(app.query_one("#check-findings .finding-detail", Static).render())
        assert "no-such-license-file-with-a-long-name-to-see-it-whole.lic" in detail.replace("\n", "")
        await wait_for(pilot, lambda: any(m.job == "lint" for m in rec.of(JobFinished)), what="lint end")
        assert "not found" in _text(app, "#license-status")
        assert app.is_running


@run_async
async def test_explain_tab_explains_a_code():
    rec = Recorder()
    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.focused, Input), what="the explain input to take focus")
        assert app.focused.id == "explain-input"
        await pilot.press(*"-15,570:115")
        await pilot.press("enter")
        await wait_for(pilot, lambda: rec.of(FindingsReady), what="the explanation")
        findings = rec.of(FindingsReady)[0].findings
        assert findings[0].title.startswith("-15,570:115")
        detail = str(app.query_one("#explain-findings .finding-detail", Static).render())
        assert "Cannot connect to license server system" in detail
        assert "Minor 570" in detail


@run_async
async def test_license_tab_lints_a_fixture(monkeypatch):
    monkeypatch.chdir(REPO)
    rec = Recorder()
    app = LmdoctorApp(autorun=False, lint_options=lint_options())
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: getattr(app.focused, "id", None) == "license-input", what="focus")
        await pilot.press(*PLACEHOLDER_LIC)
        await pilot.press("enter")
        await wait_for(pilot, lambda: rec.of(FindingsReady), what="the lint")
        ids = {f.id for f in rec.of(FindingsReady)[0].findings}
        assert "license.placeholder-host" in ids
        table = app.query_one("#license-findings DataTable", DataTable)
        assert table.row_count == len(rec.of(FindingsReady)[0].findings)
        assert "fail" in _text(app, "#license-status")


@run_async
async def test_license_tab_reports_an_unreadable_file(tmp_path):
    app = LmdoctorApp(autorun=False, lint_options=lint_options())
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        missing = tmp_path / "a-license-file-with-a-name-far-too-long-for-one-status-line-at-80-columns.lic"
        app.lint_file(str(missing))
        await wait_for(pilot, lambda: "not found" in _text(app, "#license-status"), what="the error")
        # The status line is cut at 80 columns; the whole message is the one finding's detail.
        assert app.query_one("#license-findings DataTable", DataTable).row_count == 1
        view = app.query_one("#license-findings", FindingsView)
        (f,) = view.visible_findings
        assert f.id == "license.unreadable" and f.status is Status.FAIL and str(missing) in f.detail


async def _walk_ready(app, pilot) -> DiagnosePane:
    pane = app.query_one(DiagnosePane)
    await wait_for(pilot, lambda: pane.ready, what="the tree to load")
    return pane


@run_async
async def test_walk_reaches_a_leaf_with_the_keyboard():
    rec = Recorder()
    app = LmdoctorApp(autorun=False, live=False)
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        await pilot.press("f3")
        pane = await _walk_ready(app, pilot)
        assert rec.of(TreeLoaded)
        # Choose "No license" in the symptom list with the keyboard.
        await pilot.press("tab")
        symptoms = app.query_one("#symptoms", OptionList)
        await wait_for(pilot, lambda: symptoms.has_focus, what="the symptom list")
        target = symptoms.get_option_index("no-license")
        while symptoms.highlighted != target:
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="the walk to stop at S2")
        assert pane.walk.current.id == "S2"
        assert _text(app, "#step-id").strip() == "S2"
        assert rec.of(WalkUpdated)
        # Answer "2. No path or variable is set" by moving the cursor, then Enter.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: pane.walk.done, what="the leaf")
        assert pane.walk.current.id == "S2.3"
        assert _text(app, "#step-id").strip() == "S2.3"
        assert "Diagnosis" in _text(app, "#question")
        assert [s.by for s in pane.walk.steps] == ["person"]
        # b goes back to the question; a digit answers it again.
        await pilot.press("b")
        await wait_for(pilot, lambda: not pane.walk.done, what="back to S2")
        assert pane.walk.current.id == "S2" and not pane.walk.steps
        await pilot.press("3")
        await wait_for(pilot, lambda: pane.walk.done, what="the leaf again")
        assert pane.walk.steps[-1].choice.key == "bad"


@run_async
async def test_pasted_message_starts_the_matching_symptom():
    app = LmdoctorApp(autorun=False, live=False, symptom="Exiting due to signal 32")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _walk_ready(app, pilot)
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="the walk")
        assert pane.walk.symptom.id == "another-server"
        assert pane.walk.current.id.startswith("S12")


@run_async
async def test_goto_step_stands_on_that_step():
    app = LmdoctorApp(autorun=False, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _walk_ready(app, pilot)
        target = next(n for n in pane.ttree.nodes.values() if not n.is_leaf and "." in n.id)
        symptom_id, answers = path_to_step(pane.ttree, target.id)
        app.goto_step(target.id)
        await pilot.pause()
        assert pane.walk.current.id == target.id
        assert _text(app, "#step-id").strip() == target.id
        assert len(pane.walk.steps) == len(answers)


@run_async
async def test_palette_goes_to_a_step():
    app = LmdoctorApp(autorun=False, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = await _walk_ready(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to step S2.3")
        from textual.command import CommandList

        await wait_for(pilot, lambda: app.screen.query(CommandList)
                       and app.screen.query_one(CommandList).option_count > 0, what="palette hits")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.walk is not None and pane.walk.current.id == "S2.3",
                       what="the palette to go to S2.3")


def test_every_binding_has_an_id_and_a_tooltip():
    from lmdoctor.tui.screens.help import HelpScreen
    from lmdoctor.tui.tabs import TABS
    from lmdoctor.tui.widgets.findings_view import FindingsTable

    panes = [LmdoctorApp, FindingsView, FindingsTable, HelpScreen] + [t.load() for t in TABS]
    seen = []
    for cls in panes:
        for b in cls.__dict__.get("BINDINGS", []):
            seen.append(b)
            assert b.id, f"{cls.__name__}: {b.key} has no id"
            assert b.tooltip, f"{cls.__name__}: {b.key} has no tooltip"
    ids = [b.id for b in seen]
    assert len(ids) == len(set(ids))
    assert {"run-check", "stop", "quit", "diagnose-back"} <= set(ids)
