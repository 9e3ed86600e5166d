"""The lmdoctor Textual app: tabs over the same engine calls the CLI makes."""
from __future__ import annotations

from typing import List, Optional

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, TabbedContent, TabPane

from .palette import LmdoctorCommands
from .widgets.panes import CheckPane, ExplainPane, LicensePane


class LmdoctorApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "lmdoctor"
    SUB_TITLE = "FlexNet license server doctor"
    COMMANDS = App.COMMANDS | {LmdoctorCommands}

    BINDINGS = [
        Binding("r", "run_check", "Run check", id="run-check", tooltip="Scan this machine and lint its license"),
        Binding("escape", "stop", "Stop", id="stop", tooltip="Cancel the running check"),
        Binding("f1", "show_tab('check')", "Check", id="tab-check", tooltip="Live check"),
        Binding("f2", "show_tab('diagnose')", "Diagnose", id="tab-diagnose",
                tooltip="Guided troubleshooter"),
        Binding("f3", "show_tab('explain')", "Explain", id="tab-explain",
                tooltip="Explain an error code or message"),
        Binding("f4", "show_tab('license')", "License", id="tab-license",
                tooltip="Lint a license file"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave lmdoctor"),
    ]

    def __init__(self, license_path: Optional[str] = None, servers: Optional[List[str]] = None,
                 symptom: Optional[str] = None, autorun: bool = True, lint_options=None) -> None:
        super().__init__()
        self.license_path = license_path
        self.servers = servers or []
        self.symptom = symptom
        self.autorun = autorun
        self.lint_options = lint_options

    def compose(self) -> ComposeResult:
        from .widgets.diagnose import DiagnosePane

        yield Header()
        with TabbedContent(initial="diagnose" if self.symptom else "check"):
            with TabPane("Check", id="check"):
                yield CheckPane(license_path=self.license_path, servers=self.servers)
            with TabPane("Diagnose", id="diagnose"):
                yield DiagnosePane(symptom_text=self.symptom)
            with TabPane("Explain", id="explain"):
                yield ExplainPane()
            with TabPane("License", id="license"):
                yield LicensePane(license_path=self.license_path, lint_options=self.lint_options)
        yield Footer()

    def on_mount(self) -> None:
        if self.autorun and not self.symptom:
            self.action_run_check()

    def action_run_check(self) -> None:
        self.query_one(TabbedContent).active = "check"
        self.query_one(CheckPane).start_check()

    def action_stop(self) -> None:
        self.query_one(CheckPane).stop_check()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def start_diagnosis(self, symptom_id: str) -> None:
        from .widgets.diagnose import DiagnosePane

        self.query_one(TabbedContent).active = "diagnose"
        self.query_one(DiagnosePane).start(symptom_id)
