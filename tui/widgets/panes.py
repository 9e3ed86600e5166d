"""The Check, Explain and License tabs. Each pane owns its inputs and a FindingsView; workers call ``checks``."""
from __future__ import annotations

import dataclasses
from typing import List, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, ProgressBar, Static

from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.checks.runtime import Cancelled, CancelToken

from ..messages import FindingFound, FindingsReady, JobFinished, ProgressChanged
from .findings_view import FindingsView


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _counts(findings: List[Finding]) -> str:
    n = {s: 0 for s in Status}
    for f in findings:
        n[f.status] += 1
    return f"{n[Status.FAIL]} fail, {n[Status.WARN]} warn, {n[Status.OK]} ok, {n[Status.INFO]} info"


class CheckPane(Vertical):
    """Runs `lmdoctor check` in a thread worker; findings stream into the table as probes report them."""

    def __init__(self, license_path: Optional[str] = None, servers=None, **kw) -> None:
        super().__init__(**kw)
        self.license_path = license_path
        self.servers = list(servers or [])
        self.run_no = 0
        self._running = False
        self._token: Optional[CancelToken] = None
        self.last_report: Optional[Report] = None

    @property
    def running(self) -> bool:
        return self._running

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value
        if self.is_attached:
            self.app.refresh_bindings()  # the footer's Stop key follows

    def compose(self) -> ComposeResult:
        with Horizontal(classes="toolbar"):
            yield Button("Check this machine", id="run-check", variant="primary", compact=True,
                         tooltip="Run every live probe and lint the license (r)")
            yield Button("Stop", id="stop-check", disabled=True, compact=True,
                         tooltip="Cancel the running check (escape)")
            yield ProgressBar(total=None, show_eta=False, id="check-progress")
        yield Static("Press r to scan processes, ports, search path, SSH tunnels and the license.",
                     id="check-status", classes="status-line")
        yield FindingsView(id="check-findings", empty="The findings of the check appear here as they are found.")

    @on(Button.Pressed, "#run-check")
    def start_check(self) -> None:
        self.cancel()
        self.run_no += 1
        self._token = CancelToken()
        self.running = True
        self.query_one(FindingsView).clear()
        self.query_one("#run-check", Button).disabled = True
        self.query_one("#stop-check", Button).disabled = False
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.visible = True
        self.query_one("#check-status", Static).update("Checking...")
        self.run_check(self._token, self.run_no)

    @on(Button.Pressed, "#stop-check")
    def stop_check(self) -> None:
        if self.running and self._token is not None:
            self._token.cancel()
            self.query_one("#check-status", Static).update("Stopping...")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).visible = False

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def on_unmount(self) -> None:
        self.cancel()

    @work(thread=True, exclusive=True, exit_on_error=False, group="check")
    def run_check(self, token: CancelToken, run: int) -> None:
        from lmdoctor.checks.check import CheckOptions, run_check

        def progress(ev) -> None:
            self.post_message(ProgressChanged(ev.done, ev.total, f"{ev.title}: {ev.state}", run=run))

        def found(f: Finding) -> None:
            if not token.cancelled:
                self.post_message(FindingFound(f, run=run))

        try:
            report = run_check(CheckOptions(license_path=self.license_path, servers=self.servers),
                               cancel=token, on_finding=found, on_progress=progress)
            token.check()
            self.post_message(JobFinished("check", report=report, run=run))
        except Cancelled:
            self.post_message(JobFinished("check", error="cancelled", run=run))
        except Exception as exc:  # shown to the user, never a crash of the UI
            self.post_message(JobFinished("check", error=_error_text(exc), run=run))

    def on_finding_found(self, message: FindingFound) -> None:
        if message.run == self.run_no:
            self.query_one(FindingsView).add(message.finding)

    def on_progress_changed(self, message: ProgressChanged) -> None:
        if message.run != self.run_no or not self.running:
            return
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)
        self.query_one("#check-status", Static).update(f"Checking... {message.label}")

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job != "check" or message.run != self.run_no:
            return
        self.running = False
        self.query_one("#run-check", Button).disabled = False
        self.query_one("#stop-check", Button).disabled = True
        status = self.query_one("#check-status", Static)
        bar = self.query_one(ProgressBar)
        if message.error:
            bar.visible = False
            status.update("Check stopped by you; press r to run it again." if message.error == "cancelled"
                          else f"The check failed: {message.error}")
            return
        bar.update(total=1, progress=1)
        self.last_report = message.report
        heading = message.report.meta.get("heading", "").replace("lmdoctor check: ", "")
        status.update(f"Done: {_counts(message.report.findings)}" + (f"  ({heading})" if heading else ""))


class ExplainPane(Vertical):
    """Explain a pasted FlexLM error code, exit signal or message."""

    def __init__(self, cursor_blink: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.cursor_blink = cursor_blink
        self.run_no = 0

    def compose(self) -> ComposeResult:
        yield Input(placeholder='Paste an error, then Enter: -15,570:115, "Internal Flexlm Error", a log line...',
                    id="explain-input", compact=True)
        yield Static("lmdoctor explains FlexLM error codes, exit signals and the manual's typical messages.",
                     id="explain-status", classes="status-line")
        yield FindingsView(id="explain-findings", empty="The explanation appears here.")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink

    @on(Input.Submitted, "#explain-input")
    def do_explain(self, event: Input.Submitted) -> None:
        self.submit(event.value)

    def submit(self, text: str) -> None:
        self.query_one(Input).value = text
        self.run_no += 1
        self.query_one("#explain-status", Static).update("Explaining...")
        self.explain(text, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def explain(self, text: str, run: int) -> None:
        from lmdoctor.checks.explain import explain

        try:
            self.post_message(FindingsReady("explain", explain(text) if text.strip() else [], run=run))
        except Exception as exc:
            self.post_message(JobFinished("explain", error=_error_text(exc), run=run))

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "explain" or message.run != self.run_no:
            return
        self.query_one(FindingsView).set_findings(message.findings)
        n = len(message.findings)
        self.query_one("#explain-status", Static).update(
            f"{n} explanation{'s' if n != 1 else ''}; move the cursor for each one's detail" if n
            else "Nothing recognised in that text: paste the exact code or message.")

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job == "explain" and message.run == self.run_no and message.error:
            self.query_one("#explain-status", Static).update(f"Could not explain that: {message.error}")


class LicensePane(Vertical):
    """Lint a license file for the mistakes the manual describes."""

    def __init__(self, license_path: Optional[str] = None, lint_options=None, cursor_blink: bool = True,
                 **kw) -> None:
        super().__init__(**kw)
        self.license_path = license_path
        self.lint_options = lint_options
        self.cursor_blink = cursor_blink
        self.run_no = 0

    def compose(self) -> ComposeResult:
        yield Input(value=self.license_path or "", placeholder="Path of a license file, then Enter",
                    id="license-input", compact=True)
        yield Static("Type the path of a license file and press Enter.", id="license-status",
                     classes="status-line")
        yield FindingsView(id="license-findings", empty="The findings of the lint appear here.")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink
        if self.license_path:
            self.submit(self.license_path)

    @on(Input.Submitted, "#license-input")
    def do_lint(self, event: Input.Submitted) -> None:
        self.submit(event.value.strip())

    def submit(self, path: str) -> None:
        self.query_one(Input).value = path
        if not path:
            self.query_one("#license-status", Static).update("Type the path of a license file first.")
            return
        self.run_no += 1
        self.query_one("#license-status", Static).update(f"Linting {path}...")
        self.lint(path, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lint")
    def lint(self, path: str, run: int) -> None:
        from lmdoctor.checks.check import read_license

        try:
            from lmdoctor.checks.hostinfo import current_identity
            from lmdoctor.checks.inputgate import InputError
            from lmdoctor.checks.license.lint import LintOptions, lint_license

            try:
                lic = read_license(path)
            except InputError as exc:
                self.post_message(JobFinished("lint", error=str(exc), run=run))
                return
            opts = self.lint_options or LintOptions(identity=current_identity())
            opts = dataclasses.replace(opts, label=path)
            self.post_message(FindingsReady("lint", lint_license(lic, opts), run=run))
        except Exception as exc:
            self.post_message(JobFinished("lint", error=_error_text(exc), run=run))

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "lint" or message.run != self.run_no:
            return
        self.query_one(FindingsView).set_findings(message.findings)
        self.query_one("#license-status", Static).update(
            f"{self.query_one(Input).value}: {_counts(message.findings)}")

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job == "lint" and message.run == self.run_no and message.error:
            self.query_one("#license-status", Static).update(message.error)
            self.query_one(FindingsView).clear()
