"""The Daemon tab: `lmgrd -z` under the same runner as `lmdoctor daemon`, its lines streaming with the
known ones marked and explained beside them, a stop key, and the verdict at the end.

lmgrd comes from the path typed (with completion), else the running server's lmgrd, else next to
the license (never a path a license file names). Nothing is left running: the stop key, escape,
leaving the tab's run or quitting the app all cancel the run, and quitting waits (a few seconds at
most) until the runner has stopped lmgrd and its vendor daemons.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Optional, Set

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, RichLog, Static

from lmdoctor.checks.findings import Finding
from lmdoctor.checks.runtime import CancelToken

from ..messages import FindingsReady
from ..state import expand_path
from ..widgets.findings_view import COLOUR_STYLE, MONO_STYLE, FindingsView
from ..widgets.path_suggester import PathSuggester
from . import TabBody
from .check import counts_text, error_text

RUN_SECONDS = 24 * 3600.0  # the console runs until the user stops it
STOP_WAIT = 15.0           # quitting waits this long at most for lmgrd's tree to be stopped


class DaemonLine(Message):
    def __init__(self, line: Any, run: int) -> None:
        super().__init__()
        self.line, self.run = line, run


class DaemonDone(Message):
    def __init__(self, run: int, findings: List[Finding], summary: Dict[str, Any], error: str = "") -> None:
        super().__init__()
        self.run, self.findings, self.summary, self.error = run, findings, summary, error


def running_lmgrd() -> Optional[str]:
    """The executable of a running lmgrd on this machine (the one the admin uses), if one runs."""
    try:
        from lmdoctor.checks.probes.snapshot import scan_processes

        for p in scan_processes(with_listeners=False).by_role("lmgrd"):
            if p.exe and os.path.isfile(p.exe):
                return p.exe
    except Exception:
        return None
    return None


class DaemonPane(TabBody):
    TAB_ID = "daemon"
    BINDINGS = [
        Binding("ctrl+r", "start", "Start lmgrd -z", id="daemon-start", priority=True,
                tooltip="Start lmgrd -z -c LICENSE in the foreground and stream what it says"),
        Binding("ctrl+x", "stop_daemon", "Stop lmgrd", id="daemon-stop", priority=True,
                tooltip="Stop lmgrd and its vendor daemons, then show the verdict"),
    ]

    def __init__(self, cursor_blink: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.cursor_blink = cursor_blink
        self.run_no = 0
        self._token: Optional[CancelToken] = None
        self._done = threading.Event()
        self._done.set()
        self.running = False
        self.started = False  # a "Server started" line was seen in this run
        self.findings: List[Finding] = []
        self.lines: List[Any] = []
        self.summary: Dict[str, Any] = {}

    @property
    def busy(self) -> bool:
        return self.running

    def compose(self) -> ComposeResult:
        lic = self.app.inputs.license_path or ""  # type: ignore[attr-defined]
        lmgrd = self.app.inputs.lmgrd_path or ""  # type: ignore[attr-defined]
        yield Input(value=lic, placeholder="License file for lmgrd -c (~ and tab completion work)",
                    id="daemon-license", compact=True, suggester=PathSuggester())
        yield Input(value=lmgrd, placeholder="lmgrd to run (empty: the running server's, else next to the license)",
                    id="daemon-lmgrd", compact=True, suggester=PathSuggester())
        with Horizontal(classes="toolbar"):
            yield Button("Start lmgrd -z", id="daemon-start", variant="primary", compact=True,
                         tooltip="Start lmgrd in the foreground (ctrl+r)")
            yield Button("Stop", id="daemon-stop", disabled=True, compact=True, tooltip="Stop lmgrd (ctrl+x)")
        yield Static("Do not start a second lmgrd while the real server runs: it would only report the port "
                     "in use.", id="daemon-status", classes="status-line")
        yield RichLog(id="daemon-lines", max_lines=5000, wrap=False, markup=False)
        yield FindingsView(id="daemon-findings", empty="The verdict appears here when lmgrd is stopped.")

    def on_mount(self) -> None:
        for i in self.query(Input):
            i.cursor_blink = self.cursor_blink
        self.query_one("#daemon-lines", RichLog).border_title = "lmgrd says"

    def default_focus(self):
        return self.query_one("#daemon-license", Input)

    def check_action(self, action: str, parameters) -> Optional[bool]:
        if action == "start":
            return None if self.running else True
        if action == "stop_daemon":
            return True if self.running else None
        return True

    def inputs_changed(self, inputs: Any, changed: Set[str]) -> None:
        if "license_path" in changed and inputs.license_path and not self.running:
            self.query_one("#daemon-license", Input).value = inputs.license_path

    # ------------------------------------------------------------------ start
    @on(Button.Pressed, "#daemon-start")
    @on(Input.Submitted, "#daemon-lmgrd")
    def action_start(self) -> None:
        if self.running:
            return
        lic = expand_path(self.query_one("#daemon-license", Input).value) or ""
        lmgrd = expand_path(self.query_one("#daemon-lmgrd", Input).value) or ""
        status = self.query_one("#daemon-status", Static)
        if not lic or not os.path.isfile(lic):
            status.update(f"License file not found: {lic or '(empty)'}; type its path first.")
            return
        self.run_no += 1
        self._token = CancelToken()
        self._done.clear()
        self.running = True
        self.started = False
        self.lines = []
        self.set_busy_flag()
        self.query_one("#daemon-start", Button).disabled = True
        self.query_one("#daemon-stop", Button).disabled = False
        self.query_one("#daemon-lines", RichLog).clear()
        self.query_one(FindingsView).clear()
        status.update("Starting lmgrd -z ... (ctrl+x or escape stops it)")
        self._run(lic, lmgrd, self._token, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="daemon")
    def _run(self, lic: str, lmgrd: str, token: CancelToken, run: int) -> None:
        try:
            from lmdoctor.checks.flexnet.daemon import diagnose_daemon, find_lmgrd

            if not lmgrd:
                lmgrd = running_lmgrd() or ""
            if not lmgrd:
                loc = find_lmgrd(lic)
                lmgrd = loc.path or ""
                if not lmgrd:
                    self.post_message(DaemonDone(run, [], {}, f"lmgrd not found ({loc.note}); type its path"))
                    return
            def show(ln) -> None:
                self.post_message(DaemonLine(ln, run))

            drun, findings = diagnose_daemon(lic, lmgrd, seconds=RUN_SECONDS, cancel=token, versions=True,
                                             on_line=show)
            summary = drun.to_dict()
            summary["lmgrd"] = lmgrd
            self.post_message(DaemonDone(run, list(findings), summary))
        except Exception as exc:  # shown, never a crash; the runner has stopped lmgrd already
            self.post_message(DaemonDone(run, [], {}, error_text(exc)))
        finally:
            self._done.set()

    def on_daemon_line(self, message: DaemonLine) -> None:
        if message.run != self.run_no:
            return
        ln = message.line
        self.lines.append(ln)
        out = self.query_one("#daemon-lines", RichLog)
        no_color = bool(getattr(self.app, "no_color", False))
        # lmgrd's own lines start with their time; the runner's time goes only before the others.
        head = ln.text.lstrip()[:8]
        t = Text(ln.text if head.count(":") == 2 and head[:1].isdigit() else f"{ln.time[11:19]} {ln.text}")
        if ln.id:
            status = (ln.status or "info").lower()
            style = {"fail": "FAIL", "warn": "WARN", "ok": "ok"}.get(status)
            mark = f"  <- {status.upper() if status in ('fail', 'warn') else status}: {ln.title}"
            from lmdoctor.checks.findings import Status

            st = {"fail": Status.FAIL, "warn": Status.WARN, "ok": Status.OK}.get(status, Status.INFO)
            t.append(mark, style=(MONO_STYLE if no_color else COLOUR_STYLE)[st] if style else "dim")
        out.write(t)
        if ln.id == "log.server-started" and not self.started:
            self.started = True
            self.query_one("#daemon-status", Static).update(
                "Vendor daemon started: the server is serving. ctrl+x stops it and shows the verdict.")

    # ------------------------------------------------------------------ stop and verdict
    @on(Button.Pressed, "#daemon-stop")
    def action_stop_daemon(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self.running and self._token is not None:
            self._token.cancel()
            self.query_one("#daemon-status", Static).update("Stopping lmgrd and its vendor daemons...")

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def on_unmount(self) -> None:
        # Quitting: the runner must have stopped lmgrd's whole tree before the app is gone.
        self.cancel()
        self._done.wait(STOP_WAIT)

    def on_daemon_done(self, message: DaemonDone) -> None:
        if message.run != self.run_no:
            return
        self.running = False
        self.set_busy_flag()
        self.query_one("#daemon-start", Button).disabled = False
        self.query_one("#daemon-stop", Button).disabled = True
        status = self.query_one("#daemon-status", Static)
        if message.error:
            status.update(message.error)
            return
        self.findings = message.findings
        self.summary = message.summary
        self.unsaved = True
        self.query_one(FindingsView).set_findings(message.findings)
        left = message.summary.get("leftovers") or []
        reason = str(message.summary.get("stop_reason") or "done")
        reason = "stopped by you" if reason.lower() in ("cancelled", "canceled") else reason
        status.update(f"lmgrd stopped ({reason}): "
                      f"{counts_text(message.findings)}" + (f"; {len(left)} process(es) survived" if left else
                                                             "; nothing left running"))
        self.post_message(FindingsReady("daemon", message.findings, run=message.run))

    def saved_section(self) -> Optional[Dict[str, Any]]:
        if not self.findings and not self.lines:
            return None
        return {"run": self.summary, "findings": [f.to_dict() for f in self.findings],
                "transcript": [ln.to_dict() for ln in self.lines]}
