"""Pilot tests for the defects of issue 12 (each failed before its fix) and the new actions.

Each test names its defect number. They use deterministic content (explain, lint with fixed
options, the troubleshooter with probes off) so they never depend on this machine.
"""
from __future__ import annotations

import json
import os

from rich.color import Color, ColorSystem
from textual.widgets import DataTable, Input, OptionList, Static

from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.tabs.check import CheckPane
from lmdoctor.tui.tabs.diagnose import DiagnosePane
from lmdoctor.tui.tabs.log import LinesReady, LogPane
from lmdoctor.tui.widgets.findings_view import (
    COLOUR_BADGE,
    COLOUR_STYLE,
    MONO_STYLE,
    FindingsView,
    finding_detail,
    status_text,
)

from .helpers import LICENSES, REPO, Recorder, lint_options, post_burst, run_async, started, wait_for

LOG = str(REPO / "tests" / "fixtures" / "logs" / "restarts_denied.log")


def _text(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def _tree(app, pilot) -> DiagnosePane:
    pane = app.query_one(DiagnosePane)
    await wait_for(pilot, lambda: pane.ready, what="the tree to load")
    return pane


async def _pause_after_typing(pilot) -> None:
    from lmdoctor.tui.app import TYPING_PAUSE

    await pilot.pause(TYPING_PAUSE + 0.1)


# 1 -------------------------------------------------------------------------------------------
@run_async
async def test_1_typing_quorum_lost_after_enter_neither_quits_nor_checks():
    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await _tree(app, pilot)
        await pilot.press(*"lmgrd", "enter")
        await pilot.press(*"quorum lost, license server")
        await pilot.pause()
        assert app.is_running, "q quit the app"
        assert app.query_one(CheckPane).run_no == 0, "r started a check"
        field = app.query_one("#diagnose-input", Input)
        assert field.has_focus and field.value.endswith("quorum lost, license server")


@run_async
async def test_1_keys_typed_on_before_enter_is_handled_belong_to_the_next_message():
    # A terminal delivers "lmgrd", Enter and what is typed next in one burst: the field holds more
    # by the time its Submitted message is handled. The match is for what was submitted ("lmgrd":
    # no single symptom), not for the field's text then ("...quorum lost" would start S24).

    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        post_burst(app, [*"lmgrd", "enter", *"quorum lost"])
        field = app.query_one("#diagnose-input", Input)
        await wait_for(pilot, lambda: field.value.endswith("quorum lost"), what="the burst typed")
        await pilot.pause()
        assert pane.walk is None, f"the walk started on {pane.message!r}"
        assert pane.message == "lmgrd" and field.value == "lmgrdquorum lost" and field.has_focus


@run_async
async def test_1_explain_explains_what_enter_was_pressed_on_not_keys_typed_on_in_the_same_burst():

    app = LmdoctorApp(autorun=False, live=False, initial="explain")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        field = app.query_one("#explain-input", Input)
        await wait_for(pilot, lambda: field.has_focus, what="the field focused")
        post_burst(app, [*"-97", "enter", *" and more"])
        pane = field.parent
        while pane is not None and not hasattr(pane, "run_no"):
            pane = pane.parent
        await wait_for(pilot, lambda: getattr(pane, "text", "") != "", what="the explanation to start")
        await pilot.pause()
        assert pane.text == "-97" and field.value == "-97 and more"


@run_async
async def test_1_enter_before_the_tree_is_loaded_is_matched_once_it_is(monkeypatch):
    # A fast typist right after start-up (seen in tmux under load): Enter came while the tree was still
    # loading and was dropped, so nothing ever happened. The tree's load is held back here (the one
    # thing simulated) until the message has been submitted.
    import threading

    import lmdoctor.checks.tree.loader as loader

    release = threading.Event()
    real = loader.load_tree
    monkeypatch.setattr(loader, "load_tree", lambda *a, **k: (release.wait(30), real(*a, **k))[1])
    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = app.query_one(DiagnosePane)
        field = app.query_one("#diagnose-input", Input)
        await wait_for(pilot, lambda: field.has_focus, what="the field focused")
        await pilot.press(*"Exiting due to signal 32", "enter")
        assert pane.ttree is None and "Loading the troubleshooting tree" in _text(app, "#match-status")
        await pilot.press(*" (lmgrd)")  # typed on while it loads: stays in the field
        release.set()
        await wait_for(pilot, lambda: pane.walk is not None, what="the walk of the submitted message")
        assert pane.walk.symptom.id == "another-server" and pane.message == "Exiting due to signal 32"


@run_async
async def test_1_a_path_typed_right_after_a_tab_switch_lands_in_that_tab_not_the_one_left():
    # Seen in tmux: a walk's probes answered just before F7, its focus on the choices was queued and
    # landed after the switch, on the hidden Diagnose tab; the path typed at once was lost there.

    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        await wait_for(pilot, lambda: app.tabs_ready, what="every tab mounted")
        pane.start("another-server")
        choices = app.query_one("#choices", OptionList)
        await wait_for(pilot, lambda: choices.display and choices.option_count > 0, what="a question")
        choices.focus()  # queued, as the walk's update does ...
        app.action_show_tab("daemon")  # ... and the user switches before it is applied
        post_burst(app, "/srv/flex/sigasi.lic")  # typed at once
        field = app.query_one("#daemon-license", Input)
        await wait_for(pilot, lambda: field.value, what="the path to land somewhere visible", timeout=5)
        await pilot.pause()
        assert field.value == "/srv/flex/sigasi.lic" and field.has_focus
        assert pane.walk is not None and pane.walk.current.id == "S12", "a key answered the hidden question"


@run_async
async def test_1_letter_keys_wait_for_a_pause_after_typing(monkeypatch):
    # A long pause: a loaded machine must not let the real one run out between two keys of the test.
    monkeypatch.setattr("lmdoctor.tui.app.TYPING_PAUSE", 600.0)
    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        await pilot.press(*"No license", "enter")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="S2")
        assert app.query_one("#choices", OptionList).has_focus
        await pilot.press("q", "r", "2")  # typed on at once: no quit, no check, no answer
        await pilot.pause()
        assert app.is_running and app.query_one(CheckPane).run_no == 0 and not pane.walk.steps
        app._typed_at = 0.0  # the pause is over
        await pilot.press("2")
        await wait_for(pilot, lambda: pane.walk.done, what="the answer after the pause")


@run_async
async def test_1_quitting_with_unsaved_results_asks_first():
    from lmdoctor.tui.screens.confirm import ConfirmScreen

    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        pane.start("no-license")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="S2")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert app.is_running
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="back")
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
        await pilot.press("q")
    assert app.return_code == 0


# 2 -------------------------------------------------------------------------------------------
def test_2_status_reads_without_colour_and_fail_is_red_on_16_colours():
    for st in Status:
        t = status_text(st, no_color=True)
        assert t.plain in ("FAIL", "WARN", "skip", "info", "ok")
    assert "reverse" in MONO_STYLE[Status.FAIL] and "bold" in MONO_STYLE[Status.FAIL]
    assert "reverse" not in MONO_STYLE[Status.WARN]
    # The 16-colour terminal's nearest colour of the FAIL style is red (1 or 9), never magenta.
    for style in (COLOUR_STYLE[Status.FAIL], COLOUR_BADGE[Status.FAIL].split(" on ")[1]):
        colour = Color.parse(style.split()[-1]).downgrade(ColorSystem.STANDARD)
        assert colour.number in (1, 9), style
    assert Color.parse(COLOUR_STYLE[Status.WARN].split()[-1]).downgrade(ColorSystem.STANDARD).number in (3, 11)


@run_async
async def test_2_no_color_app_draws_fail_reversed(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = LmdoctorApp(autorun=False, initial="explain", cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert app.no_color
        view = app.query_one("#explain-findings", FindingsView)
        view.set_findings([Finding("x.fail", Status.FAIL, "broken"), Finding("x.warn", Status.WARN, "risky")])
        await pilot.pause()
        cell = app.query_one("#explain-findings DataTable", DataTable).get_row_at(0)[0]
        assert cell.plain == "FAIL" and "reverse" in str(cell.style)


# 3 -------------------------------------------------------------------------------------------
@run_async
async def test_3_multi_line_paste_is_matched_on_every_line():
    from textual import events

    excerpt = ("The license dialog of Sigasi Studio said:\n"
               "Exiting due to signal 32\n")
    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        field = app.query_one("#diagnose-input", Input)
        field.post_message(events.Paste(excerpt))
        await wait_for(pilot, lambda: pane.walk is not None, what="the paste to start a walk")
        assert pane.walk.symptom.id == "another-server"
        assert "signal 32" in pane.message and pane.message.count("\n") >= 1


# 4, 5, 6 -------------------------------------------------------------------------------------
@run_async
async def test_4_cut_cells_end_in_an_ellipsis_never_mid_number():
    app = LmdoctorApp(autorun=False, initial="explain")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        view = app.query_one("#explain-findings", FindingsView)
        long = "27001@licserver.example.com (sigasi vendor daemon port): timed out after 3 s, a firewall drops it"
        view.set_findings([Finding("network.timeout", Status.FAIL, long)])
        await pilot.pause()
        title = app.query_one("#explain-findings DataTable", DataTable).get_row_at(0)[2]
        assert title.plain.endswith("…") and len(title.plain) < len(long)
        assert title.plain.startswith("27001@")


@run_async
async def test_5_end_moves_to_the_last_row_and_keeps_rows_drawn():
    app = LmdoctorApp(autorun=False, initial="explain")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        view = app.query_one("#explain-findings", FindingsView)
        view.set_findings([Finding(f"x.{i}", Status.INFO, f"finding number {i}") for i in range(30)])
        table = app.query_one("#explain-findings DataTable", DataTable)
        table.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 29
        assert view.shown.title == "finding number 29"
        lines = [ln for ln in app.export_screenshot().replace("&#160;", " ").splitlines() if "finding number" in ln]
        assert lines, "the rows were blanked"


def test_6_the_fix_comes_right_after_the_title():
    f = Finding("x.y", Status.FAIL, "title", detail="a long detail\n" * 20, fix="do this", evidence=["e"] * 8)
    lines = finding_detail(f).plain.splitlines()
    assert lines[1].startswith("fix: do this")


@run_async
async def test_6_fix_visible_at_80x24_without_scrolling():
    app = LmdoctorApp(autorun=False, initial="check")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        view = app.query_one("#check-findings", FindingsView)
        view.set_findings([Finding("x.y", Status.FAIL, "SERVER hostid is not a MAC of this machine",
                                   detail="lmgrd logs 'Wrong hostid' ...\n" * 6,
                                   fix="Run the server on the licensed MAC",
                                   evidence=[f"local MAC {i}" for i in range(8)])])
        await pilot.pause()
        assert "Run the server on the licensed MAC" in app.export_screenshot().replace("&#160;", " ")


# 7 -------------------------------------------------------------------------------------------
@run_async
async def test_7_quit_is_shown_on_every_tab():
    app = LmdoctorApp(autorun=False, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        for key in ("f3", "f4", "f5", "f6", "f7", "f8"):
            await pilot.press(key)
            await pilot.pause()
            shown = {b.binding.action for b in app.screen.active_bindings.values()
                     if b.binding.show and b.enabled}
            assert "quit" in shown, key


# 8 -------------------------------------------------------------------------------------------
@run_async
async def test_8_screenshot_goes_where_the_user_can_find_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home-without-downloads"))
    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.action_screenshot()
        await pilot.pause()
    shots = list(tmp_path.glob("*.svg"))
    assert len(shots) == 1


# 9 -------------------------------------------------------------------------------------------
@run_async
async def test_9_tilde_is_expanded_in_the_license_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "k.lic").write_bytes((LICENSES / "sigasi_floating_placeholder.lic").read_bytes())
    app = LmdoctorApp(autorun=False, lint_options=lint_options(), initial="license")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.lint_file("~/k.lic")
        await wait_for(pilot, lambda: " fail, " in _text(app, "#license-status"), what="the lint")
        assert app.query_one("#license-findings DataTable", DataTable).row_count > 0


# 10 ------------------------------------------------------------------------------------------
@run_async
async def test_10_escape_during_a_probe_says_you_stopped_it():
    app = LmdoctorApp(autorun=False, live=True, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        pane.start("cannot-connect")
        app.action_stop()  # at once: the probe is still measuring
        await wait_for(pilot, lambda: not pane.busy, what="the walk to stop")
        note = _text(app, "#question-help")
        if not pane.walk.done:
            assert "connection:" not in note.split("\n")[0] or note.strip().endswith(":") is False
            assert "You stopped the measurement" in note


# 12 ------------------------------------------------------------------------------------------
@run_async
async def test_12_license_tab_and_check_judge_the_same_way(tmp_path):
    """One judgement: told (inputs panel) that this machine is the server, the License tab and the
    Check tab give the same license findings for a hostid that is not this machine's; told it is a
    client, neither fails it; and the app has the role the hint names."""
    from lmdoctor.checks.check import CheckOptions, run_check
    from lmdoctor.tui.state import Inputs
    from lmdoctor.tui.tabs.license import LicensePane

    path = str(LICENSES / "sigasi_floating.lic")
    for on_server in (True, False):
        app = LmdoctorApp(autorun=False, live=False, initial="license", inputs=Inputs(on_server=on_server))
        async with app.run_test(size=(80, 24)) as pilot:
            await started(pilot)
            pane = app.query_one(LicensePane)
            app.lint_file(path)
            await wait_for(pilot, lambda pane=pane: pane.findings, what="the lint")
            tab = {(f.id, f.status) for f in pane.findings if f.id.startswith("license.host")}
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
        report = run_check(CheckOptions(license_path=path, on_server=on_server, env=env, home=str(tmp_path),
                                        use_lmutil=False))
        check = {(f.id, f.status) for f in report.findings if f.id.startswith("license.host")}
        assert tab == check, on_server
        assert (("license.hostid-mismatch", Status.FAIL) in tab) is on_server
    import argparse

    from lmdoctor.checks.commands.tui import register

    p = argparse.ArgumentParser()
    register(p)
    assert p.parse_args(["--on-server"]).on_server is True


# 13 ------------------------------------------------------------------------------------------
@run_async
async def test_13_diagnose_at_80x24_keeps_the_path_box_whole():
    app = LmdoctorApp(autorun=False, live=False, initial="diagnose", cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        pane.start("no-license")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="S2")
        box = app.query_one("#transcript")
        assert box.region.bottom <= app.query_one("Footer").region.y
        assert "b back" not in _text(app, "#walk-symptom")


# 14 ------------------------------------------------------------------------------------------
@run_async
async def test_14_palette_pick_asks_before_replacing_a_walk():
    from lmdoctor.tui.screens.confirm import ConfirmScreen

    app = LmdoctorApp(autorun=False, live=False, initial="diagnose")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        pane = await _tree(app, pilot)
        pane.start("no-license")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="S2")
        await _pause_after_typing(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: pane.walk.done, what="a leaf")
        walk = pane.walk
        app.start_diagnosis("another-server")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("escape")
        await pilot.pause()
        assert pane.walk is walk
        app.goto_step("S12")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: pane.walk is not walk and pane.walk.current.id == "S12", what="S12")


# 15 ------------------------------------------------------------------------------------------
def test_15_palette_titles_are_cut_at_a_word():
    from lmdoctor.tui.palette import shorten

    text = "Is the vendor daemon port (DAEMON line port=) open through every firewall between client and server?"
    short = shorten(text, 40)
    assert short.endswith("…") and len(short) <= 40
    assert text.startswith(short[:-1]) and text[len(short) - 1] == " "


# 16 ------------------------------------------------------------------------------------------
def test_16_plain_lmdoctor_takes_the_app_options():
    from lmdoctor.checks.cli import _app_default, build_parser

    args = build_parser().parse_args(_app_default(["--license", "x.lic", "--server", "27000@h"]))
    assert args.command == "tui" and args.license == "x.lic" and args.server == ["27000@h"]
    assert _app_default(["--version"]) == ["--version"]
    assert _app_default(["check"]) == ["check"]


# 17 ------------------------------------------------------------------------------------------
def test_17_no_doubled_words_in_check_titles(tmp_path):
    from lmdoctor.checks.findings import prefix_title
    from lmdoctor.checks.flexnet.logscan import scan_file, summary_findings

    for f in summary_findings(scan_file(LOG)):
        assert not _doubled(prefix_title("Debug log: ", f.title)), f.title
    assert prefix_title("lmgrd ", "lmgrd") == "lmgrd"
    assert prefix_title("vendor daemon ", "sigasi") == "vendor daemon sigasi"


def _doubled(title: str) -> bool:
    import re

    words = re.findall(r"[A-Za-z]+", title.lower())
    return any(a == b for a, b in zip(words, words[1:]))


# 18 ------------------------------------------------------------------------------------------
@run_async
async def test_18_exit_status_follows_the_last_check_and_a_summary_is_printed():
    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.last_check = Report("check", [Finding("a.b", Status.FAIL, "broken"), Finding("a.c", Status.OK, "ok")])
        app.leave()
        await pilot.pause()
    assert app.return_code == 2
    assert "1 fail" in app.summary_line and "exit 2" in app.summary_line


# save, help, filter, copy, view, log ----------------------------------------------------------
@run_async
async def test_save_writes_markdown_json_and_svg_and_says_where(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = LmdoctorApp(autorun=False, initial="explain")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.explain_text("-15,570:115")
        await wait_for(pilot, lambda: "explanation" in _text(app, "#explain-status"), what="explain")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")  # the Save button has the focus
        await wait_for(pilot, lambda: app.saved_to is not None, what="the save")
    saved = app.saved_to
    assert saved.startswith(str(tmp_path))
    names = sorted(os.listdir(saved))
    assert names == ["report.json", "report.md", "screen.svg"]
    doc = json.loads(open(os.path.join(saved, "report.json")).read())
    assert doc["sections"]["explain"]["findings"][0]["title"].startswith("-15,570:115")


@run_async
async def test_save_redacted_hides_host_names(tmp_path, monkeypatch):
    import socket

    monkeypatch.chdir(tmp_path)
    app = LmdoctorApp(autorun=False, initial="explain")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        directory = app.save_now(str(tmp_path), redact=True)
    text = open(os.path.join(directory, "report.json")).read()
    host = socket.gethostname().split(".")[0]
    if len(host) > 2:
        assert host not in text
    assert json.loads(text)["redacted"] is True
    assert not os.path.exists(os.path.join(directory, "screen.svg"))


@run_async
async def test_help_lists_every_binding():
    from lmdoctor.tui.screens.help import HelpScreen, help_groups

    app = LmdoctorApp(autorun=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await started(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        ids = {b.id for _t, bs in help_groups(app) for b in bs}
        assert {"quit", "save", "help", "tab-log", "findings-filter", "diagnose-back", "log-follow"} <= ids
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")


@run_async
async def test_filter_by_status_and_words_then_escape_clears():
    app = LmdoctorApp(autorun=False, initial="check")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        view = app.query_one("#check-findings", FindingsView)
        view.set_findings([Finding("n.a", Status.FAIL, "port 27000 refused"), Finding("n.b", Status.WARN, "port slow"),
                           Finding("n.c", Status.OK, "port fine")])
        table = app.query_one("#check-findings DataTable", DataTable)
        table.focus()
        await pilot.pause()
        await pilot.press("slash")
        await pilot.press(*"warn port")
        await pilot.pause()
        assert table.row_count == 1 and view.shown.id == "n.b"
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 3


@run_async
async def test_copy_id_puts_the_finding_id_on_the_clipboard():
    app = LmdoctorApp(autorun=False, initial="check")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.query_one("#check-findings", FindingsView).set_findings([Finding("network.timeout", Status.FAIL, "t")])
        app.query_one("#check-findings DataTable", DataTable).focus()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == "network.timeout"


@run_async
async def test_log_tab_groups_lines_and_progress():
    rec = Recorder()
    app = LmdoctorApp(autorun=False, initial="log")
    async with app.run_test(size=(100, 36), message_hook=rec) as pilot:
        await started(pilot)
        pane = app.query_one(LogPane)
        app.open_log(LOG)
        await wait_for(pilot, lambda: pane.findings, what="the analysis")
        ids = {f.id for f in pane.findings}
        assert {"log.denied", "log.exit", "log.restarts"} <= ids
        view = app.query_one("#log-findings", FindingsView)
        table = app.query_one("#log-findings DataTable", DataTable)
        table.focus()
        row = next(i for i in range(table.row_count) if table.get_row_at(i)[2].plain.startswith("2 license request"))
        table.move_cursor(row=row)
        await wait_for(pilot, lambda: [m for m in rec.of(LinesReady) if m.finding_id == "log.denied"],
                       what="the DENIED lines")
        msg = [m for m in rec.of(LinesReady) if m.finding_id == "log.denied"][-1]
        assert [n for n, _t in msg.lines] == [9, 11] and msg.total == 2
        assert view.shown.id == "log.denied"


@run_async
async def test_log_follow_shows_new_lines(tmp_path):
    log = tmp_path / "live.log"
    log.write_text(open(LOG).read())
    app = LmdoctorApp(autorun=False, initial="log")
    async with app.run_test(size=(100, 36)) as pilot:
        await started(pilot)
        pane = app.query_one(LogPane)
        app.open_log(str(log))
        await wait_for(pilot, lambda: pane.findings, what="the analysis")
        app.query_one("#log-findings DataTable").focus()
        await _pause_after_typing(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: pane.following, what="follow mode")
        await pilot.pause(0.5)
        with open(log, "a") as fh:
            fh.write("11:00:00 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9\n")
        from textual.widgets import RichLog

        out = app.query_one("#log-lines", RichLog)
        await wait_for(pilot, lambda: any("EXIT" in str(s.text).upper() or "another" in str(s.text)
                                          for s in out.lines), what="the followed line")
        app.action_stop()
        await pilot.pause()
        assert not pane.following


@run_async
async def test_view_a_report_shows_its_findings_read_only(tmp_path):
    from lmdoctor.checks.report import make_document, to_json
    from lmdoctor.tui.view import ViewSpec

    check = {"lmdoctor": "x", "command": "check", "findings": [
        {"id": "network.timeout", "status": "fail", "title": "27000@cust timed out"}]}
    doc = make_document({"check": check, "host": {"name": "custhost"}})
    path = tmp_path / "r.json"
    path.write_text(to_json(doc))
    app = LmdoctorApp(view=ViewSpec("REPORT_JSON", str(path), doc))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.query_one("#check-findings", FindingsView).findings, what="findings")
        assert "From the report" in _text(app, "#check-status")
        assert app.check_action("run_check", ()) is False
        assert app.query_one(CheckPane).run_no == 0
