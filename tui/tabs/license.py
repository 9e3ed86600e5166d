"""The License tab: lint a license file, judged as `lmdoctor check` judges it on this machine."""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Set

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, Static

from lmdoctor.checks.findings import Finding, Status

from ..messages import FindingsReady, JobFinished
from ..state import expand_path
from ..widgets.findings_view import FindingsView
from . import TabBody
from .check import counts_text, error_text


class LicensePane(TabBody):
    """Lint a license file for the mistakes the manual describes."""

    TAB_ID = "license"

    def __init__(self, lint_options=None, cursor_blink: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.lint_options = lint_options
        self.cursor_blink = cursor_blink
        self.run_no = 0
        self.path = ""
        self.findings: List[Finding] = []

    def compose(self) -> ComposeResult:
        yield Input(value=self.app.inputs.license_path or "",  # type: ignore[attr-defined]
                    placeholder="Path of a license file (~ works), then Enter", id="license-input", compact=True)
        yield Static("Type the path of a license file and press Enter.", id="license-status",
                     classes="status-line")
        yield FindingsView(id="license-findings", empty="The findings of the lint appear here.")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.cursor_blink
        path = self.app.inputs.license_path  # type: ignore[attr-defined]
        if path:
            self.submit(path)

    def default_focus(self):
        return self.query_one(Input)

    @on(Input.Submitted, "#license-input")
    def do_lint(self, event: Input.Submitted) -> None:
        self.submit(event.value)

    def inputs_changed(self, inputs: Any, changed: Set[str]) -> None:
        if inputs.license_path and changed & {"license_path", "on_server", "warn_days"}:
            self.submit(inputs.license_path)

    def submit(self, text: str) -> None:
        self.query_one(Input).value = text.strip()
        path = expand_path(text) or ""
        if not path:
            self.query_one("#license-status", Static).update("Type the path of a license file first.")
            return
        self.run_no += 1
        self.path = path
        self.query_one("#license-status", Static).update(f"Linting {path}...")
        inputs = self.app.inputs  # type: ignore[attr-defined]
        self.lint(path, self.run_no, inputs.on_server, inputs.warn_days)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lint")
    def lint(self, path: str, run: int, on_server: Optional[bool], warn_days: int) -> None:
        from lmdoctor.checks.check import lint_here, read_license
        from lmdoctor.checks.inputgate import InputError

        try:
            try:
                lic = read_license(path)
            except InputError as exc:
                self.post_message(JobFinished("lint", error=str(exc), run=run))
                return
            if self.lint_options is not None:  # fixed options (tests, screenshots)
                from lmdoctor.checks.license.lint import lint_license

                found = lint_license(lic, dataclasses.replace(self.lint_options, label=path))
            else:
                found = lint_here(lic, path, on_server=on_server, warn_days=warn_days)
            self.post_message(FindingsReady("lint", found, run=run))
        except Exception as exc:
            self.post_message(JobFinished("lint", error=error_text(exc), run=run))

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "lint" or message.run != self.run_no:
            return
        self.findings = list(message.findings)
        self.query_one(FindingsView).set_findings(message.findings)
        self.query_one("#license-status", Static).update(f"{self.path}: {counts_text(message.findings)}")

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job == "lint" and message.run == self.run_no and message.error:
            self.query_one("#license-status", Static).update(message.error)
            # The status line is one row: the whole message (and what to do) goes in the detail box.
            self.query_one(FindingsView).set_findings([Finding(
                "license.unreadable", Status.FAIL, "The license file cannot be read", detail=message.error,
                file=self.path, fix="Check the path (~ is expanded), or pick the file with ctrl+o.")])
            self.findings = []

    def show_findings(self, path: str, findings: List[Finding]) -> None:
        """A lint done elsewhere (a report's), shown as it was."""
        self.run_no += 1
        self.path = path
        self.query_one(Input).value = path
        self.findings = list(findings)
        self.query_one(FindingsView).set_findings(findings)
        self.query_one("#license-status", Static).update(f"{path} (from the report): {counts_text(findings)}")

    def saved_section(self) -> Optional[Dict[str, Any]]:
        if not self.findings:
            return None
        return {"file": self.path, "findings": [f.to_dict() for f in self.findings]}
