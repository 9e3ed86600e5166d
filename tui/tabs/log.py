"""The Log tab: analyse a debug log (restarts, exits with reasons, DENIED, UNSUPPORTED, errors) in a
cancellable worker with progress, show the raw lines behind a group with their line numbers, and
follow the log live (f). A 1 GB log never freezes a key: all reading happens in thread workers."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Set

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, ProgressBar, RichLog, Static

from lmdoctor.checks.findings import Finding
from lmdoctor.checks.runtime import Cancelled, CancelToken

from ..messages import FindingsReady, JobFinished, ProgressChanged
from ..state import expand_path
from ..widgets.findings_view import FindingsView
from ..widgets.usage_plot import UsagePlot
from . import TabBody
from .check import counts_text, error_text


class LinesReady(Message):
    def __init__(self, finding_id: str, lines: List[tuple], total: int, run: int) -> None:
        super().__init__()
        self.finding_id, self.lines, self.total, self.run = finding_id, lines, total, run


class UsageReady(Message):
    """The usage per feature of the log just read (``series``: tui.widgets.usage_plot.Series, most used first)."""

    def __init__(self, series: List[Any], run: int) -> None:
        super().__init__()
        self.series, self.run = series, run


class FollowedLine(Message):
    def __init__(self, text: str, run: int) -> None:
        super().__init__()
        self.text, self.run = text, run


class LogPane(TabBody):
    TAB_ID = "log"
    BINDINGS = [
        Binding("f", "follow", "Follow", id="log-follow",
                tooltip="Follow the log: new start-ups, exits, warnings and failures appear as they are written"),
        Binding("u", "usage", "Usage", id="log-usage",
                tooltip="License usage over time: peak licenses out per day against those issued, denials per "
                        "day; again: the next feature"),
    ]

    def __init__(self, cursor_blink: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.cursor_blink = cursor_blink
        self.run_no = 0
        self.path = ""
        self.findings: List[Finding] = []
        self._token: Optional[CancelToken] = None
        self._lines_token: Optional[CancelToken] = None
        self._busy = False
        self.following = False

    @property
    def busy(self) -> bool:
        return self._busy or self.following

    def _set_busy(self, value: bool) -> None:
        self._busy = value
        self.set_busy_flag()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Path of the debug log (lmgrd -l FILE; ~ works), then Enter", id="log-input",
                    compact=True)
        yield Static("Type the path of a debug log and press Enter (f follows it live).", id="log-status",
                     classes="status-line")
        yield ProgressBar(total=100, show_eta=False, id="log-progress")
        yield FindingsView(id="log-findings", empty="The groups of the log appear here: restarts, exits, DENIED ...")
        yield RichLog(id="log-lines", max_lines=2000, wrap=False, markup=False)
        yield UsagePlot(id="log-usage")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink
        self.query_one(ProgressBar).display = False
        self.query_one("#log-lines", RichLog).border_title = "lines (select a group)"
        plot = self.query_one(UsagePlot)
        plot.display = False
        plot.border_title = "license usage per day"
        path = self.app.inputs.log_path  # type: ignore[attr-defined]
        if path:
            self.analyse(path)

    def default_focus(self):
        return self.query_one(Input) if not self.findings else self.query_one("#log-findings .findings-table")

    def check_action(self, action: str, parameters) -> Optional[bool]:
        if action == "follow" and (self.app.typing() or not self.path):  # type: ignore[attr-defined]
            return False
        if action == "usage":
            if self.app.typing():  # type: ignore[attr-defined]
                return False
            return True if self.query_one(UsagePlot).series else None
        return True

    def inputs_changed(self, inputs: Any, changed: Set[str]) -> None:
        if inputs.log_path and inputs.log_path != self.path:
            self.analyse(inputs.log_path)

    @on(Input.Submitted, "#log-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.analyse(event.value)

    # ------------------------------------------------------------------ analysis
    def analyse(self, text: str) -> None:
        path = expand_path(text) or ""
        self.query_one(Input).value = text.strip()
        if not path:
            self.query_one("#log-status", Static).update("Type the path of a debug log first.")
            return
        self.cancel()
        self.run_no += 1
        self.path = path
        self._token = CancelToken()
        self._set_busy(True)
        bar = self.query_one(ProgressBar)
        bar.update(total=100, progress=0)
        bar.display = True
        self.query_one("#log-status", Static).update(f"Reading {path}... (escape stops)")
        self.query_one(UsagePlot).set_series([])
        self._show_usage(False)
        self._scan(path, self._token, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-scan")
    def _scan(self, path: str, token: CancelToken, run: int) -> None:
        from lmdoctor.checks.flexnet.logscan import scan_stream, summary_findings

        from ..pacing import PacedReader, Throttle, ui_first

        throttle = Throttle()

        def progress(done: int, total) -> None:
            if throttle.due():
                self.post_message(ProgressChanged(done, total or 0, f"{done / 1e6:,.0f} MB", run=run))

        try:
            # What scan_file does, read through PacedReader: keys stay quick while a 1 GB log is read.
            with ui_first(), open(path, "rb") as fh:
                try:
                    total: Optional[int] = os.fstat(fh.fileno()).st_size
                except OSError:
                    total = None
                summary = scan_stream(PacedReader(fh), token, progress, total=total, path=path)
            from ..widgets.usage_plot import ranked_series

            self.post_message(UsageReady(ranked_series(summary.usage), run=run))
            self.post_message(FindingsReady("log", summary_findings(summary), run=run))
        except Cancelled:
            self.post_message(JobFinished("log", error="cancelled", run=run))
        except OSError as exc:
            self.post_message(JobFinished("log", error=f"cannot read {path}: {exc.strerror or exc}", run=run))
        except Exception as exc:
            self.post_message(JobFinished("log", error=error_text(exc), run=run))

    def on_progress_changed(self, message: ProgressChanged) -> None:
        if message.run != self.run_no or not self._busy:
            return
        message.stop()
        bar = self.query_one(ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done)
        self.query_one("#log-status", Static).update(f"Reading {self.path}: {message.label}... (escape stops)")

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "log" or message.run != self.run_no:
            return
        message.stop()
        self._set_busy(False)
        self.query_one(ProgressBar).display = False
        self.findings = list(message.findings)
        self.unsaved = True
        self.query_one(FindingsView).set_findings(message.findings)
        usage = "u usage per day, " if self.query_one(UsagePlot).series else ""
        self.query_one("#log-status", Static).update(
            f"{os.path.basename(self.path)}: {counts_text(message.findings)}; {usage}f follows")

    def on_usage_ready(self, message: UsageReady) -> None:
        if message.run == self.run_no:
            message.stop()
            self.query_one(UsagePlot).set_series(message.series)

    # ------------------------------------------------------------------ usage over time
    def _show_usage(self, show: bool) -> None:
        self.query_one(UsagePlot).display = show
        self.query_one("#log-lines", RichLog).display = not show

    def action_usage(self) -> None:
        """Show the usage plot (on the usage group); pressed again, the next feature."""
        plot = self.query_one(UsagePlot)
        if not plot.series:
            return
        view = self.query_one(FindingsView)
        if plot.display:
            plot.next_feature()
        elif view.shown is None or view.shown.id != "log.usage":
            view.select("log.usage")  # its lines box is the plot
        self._show_usage(True)

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job != "log" or message.run != self.run_no:
            return
        message.stop()
        self._set_busy(False)
        self.query_one(ProgressBar).display = False
        self.query_one("#log-status", Static).update(
            "Stopped by you; press Enter in the path field to read it again." if message.error == "cancelled"
            else message.error or "")

    # ------------------------------------------------------------------ the lines of a group
    def on_finding_shown(self, event) -> None:
        f = event.finding
        if not self.path:
            return
        # The usage group has no lines of its own: its box is the plot of usage over time.
        self._show_usage(f.id == "log.usage" and bool(self.query_one(UsagePlot).series) and not self.following)
        if f.id == "log.usage":
            return
        if self._lines_token is not None:
            self._lines_token.cancel()
        self._lines_token = CancelToken()
        self._lines(self.path, f.id, self._lines_token, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-lines")
    def _lines(self, path: str, finding_id: str, token: CancelToken, run: int) -> None:
        from lmdoctor.checks.loglines import catalogue_ids, find_lines

        from ..pacing import ui_first

        ids = catalogue_ids(finding_id)
        if not ids:
            self.post_message(LinesReady(finding_id, [], 0, run))
            return
        try:
            with ui_first():  # it reads the whole log again
                lines, total = find_lines(path, ids, cancel=token)
        except (Cancelled, OSError):
            return
        self.post_message(LinesReady(finding_id, lines, total, run))

    def on_lines_ready(self, message: LinesReady) -> None:
        if message.run != self.run_no or self.following:
            return
        out = self.query_one("#log-lines", RichLog)
        out.clear()
        if not message.lines:
            out.border_title = "lines (this group has no lines of its own)"
            return
        more = f", first {len(message.lines)} shown" if message.total > len(message.lines) else ""
        out.border_title = f"{message.total} line(s) of {message.finding_id}{more}"
        width = len(str(message.lines[-1][0]))
        for n, text in message.lines:
            out.write(f"{n:>{width}}  {text}")
        out.scroll_home(animate=False)

    # ------------------------------------------------------------------ follow
    def action_follow(self) -> None:
        if self.following:
            self.stop()
            return
        self.cancel()
        self.following = True
        self.set_busy_flag()
        self._token = CancelToken()
        self._show_usage(False)
        out = self.query_one("#log-lines", RichLog)
        out.clear()
        out.border_title = f"following {os.path.basename(self.path)} (f or escape stops)"
        self.query_one("#log-status", Static).update(f"Following {self.path}: new lines appear below.")
        self._follow(self.path, self._token, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-follow")
    def _follow(self, path: str, token: CancelToken, run: int) -> None:
        from lmdoctor.checks.flexnet.logscan import describe_event, follow_file

        def show(ev) -> None:
            self.post_message(FollowedLine(describe_event(ev), run))

        try:
            follow_file(path, token, on_event=show, from_end=True, poll=0.25)
        except OSError as exc:
            self.post_message(FollowedLine(f"cannot follow {path}: {exc.strerror or exc}", run))

    def on_followed_line(self, message: FollowedLine) -> None:
        if message.run == self.run_no and self.following:
            self.query_one("#log-lines", RichLog).write(message.text)

    # ------------------------------------------------------------------ stopping
    def stop(self) -> None:
        self.cancel()
        if self.following:
            self.following = False
            self.set_busy_flag()
            self.query_one("#log-status", Static).update("Stopped following.")

    def cancel(self) -> None:
        for t in (self._token, self._lines_token):
            if t is not None:
                t.cancel()

    def saved_section(self) -> Optional[Dict[str, Any]]:
        if not self.findings:
            return None
        return {"path": self.path, "findings": [f.to_dict() for f in self.findings]}
