"""Pilot tests for the actions issue 12 added after the first round: the inputs panel (i), the theme
remembered between runs, an empty machine's three offers (and the sandbox demo behind one), the
Diagnose step id copied, ctrl+o, and the Log tab's usage over time (u)."""
from __future__ import annotations

import os

import psutil
from textual.widgets import Button, DataTable, Input, Static

from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.messages import JobFinished
from lmdoctor.tui.screens.inputs import InputsScreen, read_form
from lmdoctor.tui.state import Inputs
from lmdoctor.tui.tabs.check import EMPTY_MACHINE_IDS, CheckPane
from lmdoctor.tui.tabs.diagnose import DiagnosePane
from lmdoctor.tui.tabs.license import LicensePane
from lmdoctor.tui.tabs.log import LogPane, UsageReady
from lmdoctor.tui.widgets.usage_plot import UsagePlot, bars, bucket, plot, series_of

from .helpers import LICENSES, REPO, Recorder, run_async, started, wait_for

LOG = str(REPO / "tests" / "fixtures" / "logs" / "restarts_denied.log")


async def _not_typing(app, pilot) -> None:
    app._typed_at = 0.0  # the typing pause is over (tests of the pause itself are in test_defects)
    await pilot.pause()


# ------------------------------------------------------------------ the inputs panel (i)
@run_async
async def test_inputs_panel_changes_the_inputs_and_the_tabs_follow(tmp_path):
    lic = str(LICENSES / "sigasi_floating_placeholder.lic")
    rec = Recorder()
    app = LmdoctorApp(autorun=False, live=False, initial="log")
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        app.query_one("#log-findings DataTable").focus()
        await _not_typing(app, pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), what="the inputs panel")
        assert app.focused.id == "inputs-license"
        await pilot.press(*lic, "tab", *"27000@licserver 27001@backup", "tab", "tab", "ctrl+a", "ctrl+k", *"60",
                          "tab", *LOG)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, InputsScreen), what="the panel to close")
        assert app.inputs.license_path == lic and app.inputs.servers == ["27000@licserver", "27001@backup"]
        assert app.inputs.warn_days == 60 and app.inputs.log_path == LOG
        # The License tab lints the new license, the Log tab reads the new log; no check had run: none starts.
        lint = app.query_one(LicensePane)
        await wait_for(pilot, lambda: lint.path == lic and lint.findings, what="the new license's lint")
        await wait_for(pilot, lambda: app.query_one(LogPane).findings, what="the new log")
        assert app.query_one(CheckPane).run_no == 0
        # After a check, a changed input runs it again.
        app.query_one(CheckPane).last_report = Report("check", [])
        app.set_inputs(Inputs(license_path=lic, servers=["27000@other"]))
        await pilot.pause()
        assert app.query_one(CheckPane).run_no == 1
        app.query_one(CheckPane).cancel()


@run_async
async def test_inputs_panel_names_a_bad_server_and_applies_nothing():
    app = LmdoctorApp(autorun=False, live=False, initial="check")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.action_inputs()
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), what="the inputs panel")
        app.screen.query_one("#inputs-servers", Input).value = "licserver"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, InputsScreen), "a bad server was applied"
        assert "Not applied" in str(app.screen.query_one("#inputs-error", Static).render())
        assert "licserver" in str(app.screen.query_one("#inputs-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.inputs.servers == []


def test_read_form_role_days_and_timeout():
    before = Inputs()
    form = {"license": "~/x.lic", "servers": "27000@a;27000@b", "role": "client", "warn_days": "7", "log": "",
            "timeout": "1.5"}
    new = read_form(form, before)
    assert new.license_path == os.path.expanduser("~/x.lic") and new.servers == ["27000@a", "27000@b"]
    assert new.on_server is False and new.warn_days == 7 and new.timeout == 1.5 and new.log_path is None
    for bad in ({"warn_days": "soon"}, {"timeout": "0"}, {"servers": "27000@"}):
        try:
            read_form(dict(form, **bad), before)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_check_takes_the_role_and_warn_days_of_the_inputs(tmp_path):
    """The Check tab's lint honours the panel's role: told 'server', a foreign hostid is a FAIL."""
    from lmdoctor.checks.check import CheckOptions, run_check

    path = str(LICENSES / "sigasi_floating.lic")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    told = {f.id: f.status for f in run_check(CheckOptions(license_path=path, on_server=True, env=env,
                                                           home=str(tmp_path), use_lmutil=False)).findings}
    assert told.get("license.hostid-mismatch") is Status.FAIL


# ------------------------------------------------------------------ the theme is remembered
@run_async
async def test_theme_is_remembered_between_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = LmdoctorApp(autorun=False, live=False, initial="explain", remember=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.theme = "nord"
        await pilot.pause()
    again = LmdoctorApp(autorun=False, live=False, initial="explain", remember=True)
    async with again.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert again.theme == "nord"
    assert (tmp_path / "state" / "lmdoctor" / "app.json").exists()
    default = LmdoctorApp(autorun=False, live=False, initial="explain")  # tests and screenshots: never read
    async with default.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert default.theme != "nord"


# ------------------------------------------------------------------ an empty machine
def _empty_report() -> Report:
    return Report("check", [Finding(i, Status.INFO, i) for i in sorted(EMPTY_MACHINE_IDS)])


@run_async
async def test_empty_machine_offers_license_demo_or_paste():
    app = LmdoctorApp(autorun=False, live=False, initial="check")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = app.query_one(CheckPane)
        assert not pane.busy, "nothing runs: escape must not look busy"
        assert not app.query_one("#welcome").display
        pane.run_no = 1
        pane.post_message(JobFinished("check", report=_empty_report(), run=1))
        await wait_for(pilot, lambda: app.query_one("#welcome").display, what="the offers")
        assert app.focused.id == "welcome-license"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InputsScreen), what="pick a license")
        await pilot.press("escape")
        await pilot.pause()
        app.query_one("#welcome-paste", Button).press()
        await wait_for(pilot, lambda: isinstance(app.focused, Input) and app.focused.id == "diagnose-input",
                       what="the Diagnose field")
        # A machine with a license is not empty: no offers.
        pane.run_no = 2
        pane.post_message(JobFinished("check", report=Report("check", [Finding("check.license", Status.OK, "x")]),
                                      run=2))
        await wait_for(pilot, lambda: pane.last_report is not None and not pane.last_report.findings[0].id
                       .startswith("check.no"), what="the second report")
        assert not app.query_one("#welcome").display


def _flexlm_pids() -> list:
    names = ("lmgrd", "sigasi")
    return [p.pid for p in psutil.process_iter(["name", "cmdline"])
            if any(n in " ".join(p.info["cmdline"] or [p.info["name"] or ""]) for n in names)
            and "pytest" not in " ".join(p.info["cmdline"] or [])]


@run_async
async def test_sandbox_demo_runs_checks_and_is_stopped_on_quit(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    before = set(_flexlm_pids())
    app = LmdoctorApp(autorun=False, live=False, initial="check")
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(CheckPane)
        pane.run_no = 1
        pane.post_message(JobFinished("check", report=_empty_report(), run=1))
        await wait_for(pilot, lambda: app.query_one("#welcome").display, what="the offers")
        app.query_one("#welcome-demo", Button).press()
        await wait_for(pilot, lambda: pane.demo_info is not None, what="the demo to start")
        info = pane.demo_info
        assert app.inputs.license_path == info.license_path and app.inputs.log_path == info.log_path
        await wait_for(pilot, lambda: pane.last_report is not None and pane.run_no >= 2 and not pane.busy,
                       what="the check of the demo")
        ids = {f.id for f in pane.last_report.findings}
        assert "check.no-license" not in ids and not app.query_one("#welcome").display
        assert set(_flexlm_pids()) - before, "the demo's lmgrd runs"
        app.leave()
    left = set(_flexlm_pids()) - before
    assert not [p for p in left if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


# ------------------------------------------------------------------ Diagnose: copy the step id
@run_async
async def test_y_copies_the_step_id_on_diagnose():
    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = app.query_one(DiagnosePane)
        await wait_for(pilot, lambda: pane.ready, what="the tree")
        app.query_one("#symptoms").focus()
        app.query_one("#symptoms").highlighted = 0
        await _not_typing(app, pilot)
        await pilot.press("y")
        await pilot.pause()
        first = pane.ttree.symptoms[pane.query_one("#symptoms").get_option_at_index(0).id].start
        assert app.clipboard == first
        pane.goto_step("S2.3")
        await wait_for(pilot, lambda: pane.walk is not None and pane.walk.current.id == "S2.3", what="S2.3")
        await _not_typing(app, pilot)
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == "S2.3"
        # Typed into the field, a y is a letter, never a copy.
        pane.action_new()
        field = app.query_one("#diagnose-input", Input)
        await wait_for(pilot, lambda: field.has_focus, what="the message field")
        await pilot.press("y")
        await pilot.pause()
        assert field.value.endswith("y") and app.clipboard == "S2.3"


# ------------------------------------------------------------------ ctrl+o
@run_async
async def test_ctrl_o_opens_a_license_in_the_license_tab_and_a_log_in_the_log_tab(tmp_path):
    from lmdoctor.tui.screens.open import OpenScreen

    lic = str(LICENSES / "sigasi_floating_placeholder.lic")
    app = LmdoctorApp(autorun=False, live=False, initial="check")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenScreen), what="the open dialog")
        await pilot.press(*lic, "enter")
        lint = app.query_one(LicensePane)
        await wait_for(pilot, lambda: lint.findings and lint.path == lic, what="the lint")
        assert app.query_one("Tabs").active == "license"
        app.open_path(LOG)
        await wait_for(pilot, lambda: app.query_one(LogPane).findings, what="the log")
        assert app.query_one("Tabs").active == "log"
        not_ours = tmp_path / "x.bin"
        not_ours.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 64)
        app.open_path(str(not_ours))
        await pilot.pause()
        assert app.query_one("Tabs").active == "log"  # refused with a message, nothing replaced


# ------------------------------------------------------------------ usage over time (u)
def _usage_log(path) -> None:
    """Three days of checkouts of a feature with 2 seats: day 1 peaks at 1, day 2 at 2 (every seat)
    with a denial, day 3 nothing but a checkin; a day without lines between them."""
    lines = [" 9:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 252457 x64_lsb) started on h (IBM PC) (1/15/2024)",
             " 9:00:01 (sigasi) Server started on h for:\tcom.sigasi.hdt",
             " 9:10:00 (sigasi) OUT: \"com.sigasi.hdt\" a@w1",
             " 9:20:00 (sigasi) IN: \"com.sigasi.hdt\" a@w1",
             " 0:00:00 (lmgrd) TIMESTAMP 1/16/2024",
             " 0:00:00 (lmgrd) TIMESTAMP 1/17/2024",
             " 9:10:00 (sigasi) OUT: \"com.sigasi.hdt\" a@w1",
             " 9:11:00 (sigasi) OUT: \"com.sigasi.hdt\" b@w2",
             " 9:12:00 (sigasi) DENIED: \"com.sigasi.hdt\" c@w3  (Licensed number of users already reached. (-4,342))",
             " 0:00:00 (lmgrd) TIMESTAMP 1/18/2024",
             " 9:20:00 (sigasi) IN: \"com.sigasi.hdt\" a@w1"]
    path.write_text("\n".join(lines) + "\n")


def test_usage_plot_scales_to_the_issued_count_and_fits_the_width():
    assert bucket([1, 5, 2, 0], 2) == [5, 2] and bucket([1, 2], 6) == [1, 1, 1, 2, 2, 2]
    assert bars([0, 4, 8], 8, 1) == [" ▄█"]
    two = bars([8, 4], 8, 2)
    assert two[0] == "█ " and two[1] == "██"
    assert bars([1], 100, 1) == ["▁"], "a day with any use shows"


@run_async
async def test_log_tab_plots_usage_per_day_with_peaks_and_denials(tmp_path):
    from lmdoctor.checks.flexnet.logscan import scan_file

    log = tmp_path / "usage.log"
    _usage_log(log)
    f = scan_file(str(log)).usage.features["com.sigasi.hdt"]
    s = series_of(f)
    assert s.dates == ["2024-01-15", "2024-01-16", "2024-01-17", "2024-01-18"]
    assert s.peaks[:3] == [1, 0, 2] and s.denials == [0, 0, 1, 0]
    drawn = plot(s, 40, rows=2, no_color=True).plain.splitlines()
    assert drawn[0].startswith("   2 ┤") and "2024-01-15" in drawn[-1] and "2024-01-18" in drawn[-1]

    rec = Recorder()
    app = LmdoctorApp(autorun=False, initial="log")
    async with app.run_test(size=(80, 24), message_hook=rec) as pilot:
        await started(pilot)
        pane = app.query_one(LogPane)
        app.open_log(str(log))
        await wait_for(pilot, lambda: pane.findings, what="the analysis")
        got = rec.of(UsageReady)[-1].series
        assert [x.feature for x in got] == ["com.sigasi.hdt"] and got[0].peak == 2
        app.query_one("#log-findings DataTable", DataTable).focus()
        await _not_typing(app, pilot)
        usage = app.query_one(UsagePlot)
        assert not usage.display
        await pilot.press("u")
        await wait_for(pilot, lambda: usage.display, what="the plot")
        text = str(usage.render())
        head, *rows = text.split("\n")
        assert "com.sigasi.hdt peak 2" in head and "2024-01-17 09:11" in head and "1 denied" in head
        assert rows[0].startswith("   2 ┤") and "2024-01-15" in rows[-1] and "2024-01-18" in rows[-1]
        assert app.query_one("#log-findings", type(app.query_one("#log-findings"))).shown.id == "log.usage"
        # Another group: its lines come back in place of the plot.
        await pilot.press("home")
        await wait_for(pilot, lambda: not usage.display, what="the lines box")


# ------------------------------------------------------------------ focus stays where the user types
@run_async
async def test_a_walk_ending_on_a_hidden_tab_does_not_move_the_focus():
    """A probe that answers after the user went to another tab must not pull the focus: the focus used to
    bounce to that tab's first field, and the path typed next landed in the wrong one (seen in tmux)."""
    from lmdoctor.tui.messages import WalkUpdated

    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        pane = app.query_one(DiagnosePane)
        await wait_for(pilot, lambda: pane.ready, what="the tree")
        pane.start("no-license")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="S2")
        await pilot.press("f7")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "daemon-license", what="F7")
        await pilot.press("tab")
        assert app.focused.id == "daemon-lmgrd"
        pane.post_message(WalkUpdated(pane.walk))  # the walk moves on while the Daemon tab is shown
        await pilot.pause(0.2)
        await pilot.press(*"/x")
        await pilot.pause()
        assert app.focused.id == "daemon-lmgrd" and app.query_one("#daemon-lmgrd", Input).value == "/x"
        assert app.query_one("#daemon-license", Input).value == ""
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "choices", what="F3")


@run_async
async def test_keys_typed_right_after_a_tab_key_stay_in_the_field_they_went_to():
    """F7, a path, Tab, another path, all before the next refresh and before a key could bubble up from
    the field: the second path lands in the second field (seen in tmux on a loaded machine)."""
    app = LmdoctorApp(autorun=False, live=False, initial="check")
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        app.action_show_tab("daemon")  # focuses the license field at once; the refresh's focus comes later
        for ch in "/a":
            await app.on_event(_key(ch))
        await app.on_event(_key("tab"))  # handled as it arrives, before the keys after it
        for ch in "/b":
            await app.on_event(_key(ch))
        await pilot.pause(0.2)
        assert app.focused.id == "daemon-lmgrd"
        assert app.query_one("#daemon-license", Input).value == "/a"


def _key(key: str):
    from textual import events

    return events.Key(key, key if len(key) == 1 else ("\t" if key == "tab" else None))
