"""The app's tabs. Each pane owns its inputs and a FindingsView; workers call ``checks``."""
from __future__ import annotations

from typing import Optional

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Static

from checks.findings import Report
from checks.runtime import Cancelled, CancelToken

from ..messages import FindingFound, FindingsReady, JobFinished, ProgressChanged
from .findings_view import FindingsView


class CheckPane(Vertical):
    """Runs `lmdoctor check` in a thread worker; findings stream into the table."""

    def __init__(self, license_path: Optional[str] = None, servers=None, **kw) -> None:
        super().__init__(**kw)
        self.license_path = license_path
        self.servers = list(servers or [])
        self._token: Optional[CancelToken] = None
        self.last_report: Optional[Report] = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="toolbar"):
            yield Button("Check this machine", id="run-check", variant="primary",
                         tooltip="Run every live probe and lint the license (r)")
            yield Button("Stop", id="stop-check", disabled=True, tooltip="Cancel the running check (escape)")
            yield Label("Press r to scan processes, ports, search path, tunnels and the license.",
                        id="check-status", classes="status-line")
        yield ProgressBar(total=1, show_eta=False, id="check-progress")
        yield FindingsView(id="check-findings")

    @on(Button.Pressed, "#run-check")
    def start_check(self) -> None:
        if self._token is not None:
            self._token.cancel()
        self._token = CancelToken()
        self.query_one(FindingsView).clear()
        self.query_one("#run-check", Button).disabled = True
        self.query_one("#stop-check", Button).disabled = False
        self.query_one("#check-status", Label).update("Checking...")
        self.run_check(self._token)

    @on(Button.Pressed, "#stop-check")
    def stop_check(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self.query_one("#check-status", Label).update("Stopping...")

    @work(thread=True, exclusive=True, exit_on_error=False, group="check")
    def run_check(self, token: CancelToken) -> None:
        from checks.check import CheckOptions, run_check

        def progress(ev) -> None:
            self.post_message(ProgressChanged(ev.done, ev.total, f"{ev.title}: {ev.state}"))

        try:
            report = run_check(CheckOptions(license_path=self.license_path, servers=self.servers),
                               cancel=token, on_finding=lambda f: self.post_message(FindingFound(f)),
                               on_progress=progress)
            self.post_message(JobFinished("check", report=report))
        except Cancelled:
            self.post_message(JobFinished("check", error="cancelled"))
        except Exception as exc:  # shown to the user, never a crash of the UI
            self.post_message(JobFinished("check", error=f"{type(exc).__name__}: {exc}"))

    def on_finding_found(self, message: FindingFound) -> None:
        self.query_one(FindingsView).add(message.finding)

    def on_progress_changed(self, message: ProgressChanged) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#check-status", Label).update(message.label)

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job != "check":
            return
        self.query_one("#run-check", Button).disabled = False
        self.query_one("#stop-check", Button).disabled = True
        status = self.query_one("#check-status", Label)
        if message.error:
            status.update(f"Check stopped: {message.error}")
            return
        self.last_report = message.report
        c = message.report.counts()
        status.update(f"Done: {c['fail']} fail, {c['warn']} warn, {c['ok']} ok"
                      + (f"  ({message.report.meta.get('heading', '')})" if message.report.meta.get("heading") else ""))


class ExplainPane(Vertical):
    def compose(self) -> ComposeResult:
        yield Input(placeholder='Paste an error: -15,570:115, "Internal Flexlm Error", a log line...',
                    id="explain-input")
        yield Static("", id="explain-status", classes="status-line")
        yield FindingsView(id="explain-findings")

    @on(Input.Submitted, "#explain-input")
    def do_explain(self, event: Input.Submitted) -> None:
        self.explain(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def explain(self, text: str) -> None:
        from checks.explain import explain

        self.post_message(FindingsReady("explain", explain(text) if text.strip() else []))

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "explain":
            return
        self.query_one(FindingsView).set_findings(message.findings)
        self.query_one("#explain-status", Static).update(
            f"{len(message.findings)} explanation(s)" if message.findings else "Nothing recognised in that text.")


class LicensePane(Vertical):
    def __init__(self, license_path: Optional[str] = None, lint_options=None, **kw) -> None:
        super().__init__(**kw)
        self.license_path = license_path
        self.lint_options = lint_options

    def compose(self) -> ComposeResult:
        yield Input(value=self.license_path or "", placeholder="Path of a license file, then Enter",
                    id="license-input")
        yield Static("", id="license-status", classes="status-line")
        yield FindingsView(id="license-findings")

    def on_mount(self) -> None:
        if self.license_path:
            self.lint(self.license_path)

    @on(Input.Submitted, "#license-input")
    def do_lint(self, event: Input.Submitted) -> None:
        self.lint(event.value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="lint")
    def lint(self, path: str) -> None:
        from checks.hostinfo import current_identity
        from checks.license import parse_license
        from checks.license.lint import LintOptions, lint_license

        try:
            with open(path, "rb") as fh:
                data = fh.read(64 * 1024 * 1024)
        except OSError as exc:
            self.post_message(JobFinished("lint", error=f"cannot read {path}: {exc.strerror or exc}"))
            return
        opts = self.lint_options or LintOptions(identity=current_identity())
        opts.label = path
        self.post_message(FindingsReady("lint", lint_license(parse_license(data, path=path), opts)))

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "lint":
            return
        self.query_one(FindingsView).set_findings(message.findings)
        fails = sum(1 for f in message.findings if f.status.value == "fail")
        warns = sum(1 for f in message.findings if f.status.value == "warn")
        self.query_one("#license-status", Static).update(f"{fails} fail, {warns} warn")

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job == "lint" and message.error:
            self.query_one("#license-status", Static).update(message.error)
            self.query_one(FindingsView).clear()
