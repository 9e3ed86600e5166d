"""The Check tab: `lmdoctor check` in a thread worker, findings streaming into the table."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Set

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static

from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.checks.runtime import Cancelled, CancelToken, RunState

from ..messages import FindingFound, JobFinished, ProgressChanged
from ..widgets.findings_view import FindingsView
from . import TabBody

# A check that found none of these has nothing to look at: no license, no lmgrd, no server to ask.
EMPTY_MACHINE_IDS = {"check.no-license", "process.no-lmgrd", "network.no-targets"}
DEMO_SCENARIO = "duplicate"  # a real fault to find, diagnose and repair: a second lmgrd for one license


def empty_machine(report: Report) -> bool:
    ids = {f.id for f in report.findings}
    return EMPTY_MACHINE_IDS <= ids


class DemoStarted(Message):
    """The sandbox demo runs (``info``) or could not start (``error``)."""

    def __init__(self, info: Any = None, error: str = "") -> None:
        super().__init__()
        self.info, self.error = info, error


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def counts_text(findings: List[Finding]) -> str:
    n = {s: 0 for s in Status}
    for f in findings:
        n[f.status] += 1
    return f"{n[Status.FAIL]} fail, {n[Status.WARN]} warn, {n[Status.OK]} ok, {n[Status.INFO]} info"


class CheckPane(TabBody):
    """Runs `lmdoctor check` in a thread worker; findings stream into the table as probes report them."""

    TAB_ID = "check"
    BINDINGS: ClassVar[List[BindingType]] = [
        Binding("f", "apply_fix", "Apply fix", id="check-apply-fix",
                tooltip="Open the Repair tab with the action for this finding ticked (shown first, then applied)"),
    ]

    def check_action(self, action: str, parameters) -> Optional[bool]:
        if action == "apply_fix":
            if self.app.typing():  # type: ignore[attr-defined]
                return False
            return True if self._fix_for() else None
        return True

    def _fix_for(self) -> str:
        from lmdoctor.checks.repair.registry import action_for_finding

        f = self.query_one(FindingsView).shown
        return action_for_finding(f.id) if f is not None and f.status in (Status.FAIL, Status.WARN) else ""

    def action_apply_fix(self) -> None:
        f = self.query_one(FindingsView).shown
        if f is not None and self._fix_for():
            self.app.apply_fix(f.id)  # type: ignore[attr-defined]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.run_no = 0
        self._checking = False
        self._token: Optional[CancelToken] = None
        self.last_report: Optional[Report] = None
        self.read_only = False  # showing a report's findings (lmdoctor view): no check of this machine
        self.demo: Any = None  # the sandbox demo's Sandbox, while it runs
        self.demo_info: Any = None

    @property
    def running(self) -> bool:
        return self._checking

    @running.setter
    def running(self, value: bool) -> None:
        self._checking = value
        self.set_busy_flag()

    @property
    def busy(self) -> bool:
        return self._checking

    def compose(self) -> ComposeResult:
        with Horizontal(classes="toolbar"):
            yield Button("Check this machine", id="run-check", variant="primary", compact=True,
                         tooltip="Run every live probe and lint the license (r)")
            yield Button("Stop", id="stop-check", disabled=True, compact=True,
                         tooltip="Cancel the running check (escape)")
            # Determinate while hidden: an indeterminate bar animates (a 15 Hz timer) even when not shown.
            yield ProgressBar(total=100, show_eta=False, id="check-progress")
        yield Static("Press r to scan processes, ports, search path, SSH tunnels and the license.",
                     id="check-status", classes="status-line")
        with Vertical(id="welcome"):
            yield Static("Nothing to check here: no license file found, no lmgrd running, no server given. "
                         "Where to start?", id="welcome-text")
            with Horizontal(classes="toolbar"):
                yield Button("Pick a license file", id="welcome-license", compact=True,
                             tooltip="Type the path of a license (and servers) in the inputs panel; the check runs "
                                     "again")
                yield Button("Start the sandbox demo", id="welcome-demo", compact=True,
                             tooltip=f"A real lmgrd + sigasi on 127.0.0.1 (scenario {DEMO_SCENARIO}), checked at "
                                     "once; stopped when you quit")
                yield Button("Paste an error", id="welcome-paste", compact=True,
                             tooltip="The guided troubleshooter: paste the message a user sees")
        yield FindingsView(id="check-findings", empty="The findings of the check appear here as they are found.")

    def default_focus(self):
        return self.query_one("#check-findings .findings-table")

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
        inputs = self.app.inputs  # type: ignore[attr-defined]
        self.run_check(self._token, self.run_no, inputs.license_path, list(inputs.servers), inputs.timeout,
                       inputs.on_server, inputs.warn_days)

    @on(Button.Pressed, "#stop-check")
    def stop_check(self) -> None:
        if self.running and self._token is not None:
            self._token.cancel()
            self.query_one("#check-status", Static).update("Stopping...")

    def stop(self) -> None:
        self.stop_check()

    def inputs_changed(self, inputs: Any, changed: Set[str]) -> None:
        # A check already shown was of the old inputs: run it again (never over a report being viewed).
        if not self.read_only and (self.running or self.last_report is not None) and \
                changed & {"license_path", "servers", "on_server", "warn_days", "timeout"}:
            self.start_check()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).visible = False
        self.query_one("#welcome").display = False

    # ------------------------------------------------------------------ an empty machine
    def show_welcome(self, show: bool) -> None:
        box = self.query_one("#welcome")
        box.display = show
        if show and self.shown():
            self.query_one("#welcome-license", Button).focus()

    @on(Button.Pressed, "#welcome-license")
    def _pick_license(self) -> None:
        self.app.action_inputs()  # type: ignore[attr-defined]

    @on(Button.Pressed, "#welcome-paste")
    def _paste_error(self) -> None:
        self.app.action_show_tab("diagnose")  # type: ignore[attr-defined]

    @on(Button.Pressed, "#welcome-demo")
    def start_demo(self) -> None:
        if self.demo is not None:
            return
        self.query_one("#welcome-demo", Button).disabled = True
        self.query_one("#check-status", Static).update(
            f"Starting the sandbox demo (scenario {DEMO_SCENARIO}: lmgrd + sigasi on 127.0.0.1)...")
        self._start_demo()

    @work(thread=True, exclusive=True, exit_on_error=False, group="demo")
    def _start_demo(self) -> None:
        from lmdoctor.checks.sandbox import Sandbox

        sb = Sandbox()
        self.demo = sb  # stopped when the app quits, even while it starts
        try:
            self.post_message(DemoStarted(info=sb.start(DEMO_SCENARIO)))
        except Exception as exc:  # SandboxError says what and why; anything else is shown too
            self.post_message(DemoStarted(error=str(exc) or type(exc).__name__))

    def on_demo_started(self, message: DemoStarted) -> None:
        status = self.query_one("#check-status", Static)
        if message.error:
            self.query_one("#welcome-demo", Button).disabled = False
            self.demo = None
            status.update(f"The sandbox demo did not start: {message.error}")
            return
        import dataclasses

        info = message.info
        self.demo_info = info
        self.show_welcome(False)
        app = self.app
        # The demo's license, server and log become the inputs: every tab works on the demo now.
        app.set_inputs(dataclasses.replace(app.inputs, license_path=info.license_path,  # type: ignore[attr-defined]
                                           log_path=info.log_path))
        if not self.running:
            self.start_check()

    def stop_demo(self) -> None:
        sb, self.demo = self.demo, None
        if sb is not None:
            try:
                sb.stop(grace=2.0)
            except Exception:
                pass  # the sandbox's own leftover check reports what survived

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def on_unmount(self) -> None:
        self.cancel()
        self.stop_demo()  # never leave the demo's lmgrd behind

    @work(thread=True, exclusive=True, exit_on_error=False, group="check")
    def run_check(self, token: CancelToken, run: int, license_path: Optional[str], servers: List[str],
                  timeout: float, on_server: Optional[bool] = None, warn_days: Optional[int] = None) -> None:
        from lmdoctor.checks.check import CheckOptions, LicenseArgumentError, run_check

        def progress(ev) -> None:
            self.post_message(ProgressChanged(ev.done, ev.total, f"{ev.title}: {ev.state}", run=run))

        def found(f: Finding) -> None:
            if not token.cancelled:
                self.post_message(FindingFound(f, run=run))

        opts = CheckOptions(license_path=license_path, servers=servers, timeout=timeout, on_server=on_server,
                            warn_days=warn_days)
        try:
            try:
                report = run_check(opts, cancel=token, on_finding=found, on_progress=progress)
            except LicenseArgumentError as exc:
                # The file given cannot be read: say so in full, and still check everything else.
                bad = Finding("check.license-unreadable", Status.FAIL, "The license file you gave cannot be read",
                              detail=str(exc), file=license_path,
                              fix="Check the path (Inputs panel: i), or run lmdoctor as a user who can read it.")
                found(bad)
                opts.license_path = None
                report = run_check(opts, cancel=token, on_finding=found, on_progress=progress)
                report.findings.insert(0, bad)
            token.check()
            self.post_message(JobFinished("check", report=report, run=run))
        except Cancelled:
            self.post_message(JobFinished("check", state=RunState.CANCELLED, run=run))
        except Exception as exc:  # shown to the user, never a crash of the UI
            self.post_message(JobFinished("check", error=error_text(exc), run=run))

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
        if message.state is not RunState.FINISHED:
            bar.visible = False
            bar.update(total=100, progress=0)  # no animation behind the hidden bar
            status.update("Check stopped by you; press r to run it again." if message.cancelled
                          else f"The check failed: {message.error}")
            if not message.cancelled:
                self.query_one(FindingsView).add(Finding("check.error", Status.SKIP, "The check failed",
                                                         detail=message.error or "",
                                                         fix="This is a bug in lmdoctor; please report it."))
            return
        bar.update(total=1, progress=1)
        report = message.report
        assert report is not None
        self.last_report = report
        self.unsaved = True
        self.app.last_check = report  # type: ignore[attr-defined]
        # The streamed findings were each probe's own; the report's are judged (one fact, one finding;
        # severity by impact): the table ends with exactly what `lmdoctor check` prints.
        self.query_one(FindingsView).set_findings(report.findings)
        heading = report.meta.get("heading", "").replace("lmdoctor check: ", "")
        status.update(f"Done: {counts_text(report.findings)}" + (f"  ({heading})" if heading else ""))
        self.show_welcome(self.demo is None and empty_machine(report))

    def show_findings(self, findings: List[Finding], status: str) -> None:
        """Findings from elsewhere (a report, lmstat output), read-only: r stays off while they are shown."""
        self.cancel()
        self.read_only = True
        self.query_one(FindingsView).set_findings(findings)
        self.query_one("#check-status", Static).update(status)
        self.query_one("#run-check", Button).disabled = True
        self.app.refresh_bindings()

    def saved_section(self) -> Optional[Dict[str, Any]]:
        if self.last_report is None:
            return None
        from lmdoctor.checks.render import report_dict

        return report_dict(self.last_report)
