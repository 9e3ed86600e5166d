"""The lmdoctor Textual app: tabs over the same engine calls the CLI makes."""
from __future__ import annotations

from typing import List, Optional

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from .palette import LmdoctorCommands
from .widgets.diagnose import DiagnosePane
from .widgets.panes import CheckPane, ExplainPane, LicensePane

TABS = ("check", "diagnose", "explain", "license")


class Tabs(TabbedContent):
    """TabbedContent whose tab changes only when the user (or the app) picks a tab.

    Plain TabbedContent switches to whichever tab a newly focused widget lives on. A widget
    focused at start-up reports that a moment late, so a key pressed meanwhile (F3) would be
    undone. Here a focus on a hidden tab is moved back to the visible tab instead.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # not TabbedContent's handler as well
        if event.tab_pane.id != self.active:
            focus_tab = getattr(self.app, "_focus_tab", None)
            if focus_tab is not None:
                self.app.call_after_refresh(focus_tab, self.active)


class LmdoctorApp(App):
    """Check, Diagnose, Explain and License tabs.

    ``live=False`` keeps the troubleshooter's probes off this machine (the steps are asked
    instead); ``cursor_blink=False`` and ``lint_options`` make screenshots reproducible.
    """

    CSS_PATH = "app.tcss"
    TITLE = "lmdoctor"
    SUB_TITLE = "FlexNet license server doctor"
    COMMANDS = App.COMMANDS | {LmdoctorCommands}

    BINDINGS = [
        Binding("r", "run_check", "Run check", id="run-check", tooltip="Scan this machine and lint its license"),
        Binding("escape", "stop", "Stop", id="stop", tooltip="Cancel the running check or probe"),
        Binding("f1", "show_tab('check')", "Check", id="tab-check", show=False, tooltip="Live check of this machine"),
        Binding("f2", "show_tab('diagnose')", "Diagnose", id="tab-diagnose", show=False,
                tooltip="Guided troubleshooter, from an error message to its fix"),
        Binding("f3", "show_tab('explain')", "Explain", id="tab-explain", show=False,
                tooltip="Explain an error code or message"),
        Binding("f4", "show_tab('license')", "License", id="tab-license", show=False,
                tooltip="Lint a license file"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Stop everything and leave lmdoctor"),
        Binding("ctrl+q", "quit", "Quit", id="quit-anywhere", show=False, priority=True,
                tooltip="Leave lmdoctor, even while typing in a field"),
    ]

    def __init__(self, license_path: Optional[str] = None, servers: Optional[List[str]] = None,
                 symptom: Optional[str] = None, autorun: bool = True, lint_options=None, live: bool = True,
                 cursor_blink: bool = True, initial: Optional[str] = None) -> None:
        super().__init__()
        self.license_path = license_path
        self.servers = list(servers or [])
        self.symptom = symptom
        self.autorun = autorun
        self.lint_options = lint_options
        self.live = live
        self.input_blink = cursor_blink
        self.initial = initial if initial in TABS else ("diagnose" if symptom else "check")

    def compose(self) -> ComposeResult:
        yield Header()
        with Tabs(initial=self.initial):
            with TabPane("Check F1", id="check"):
                yield CheckPane(license_path=self.license_path, servers=self.servers)
            with TabPane("Diagnose F2", id="diagnose"):
                yield DiagnosePane(symptom_text=self.symptom, live=self.live, license_path=self.license_path,
                                   servers=self.servers, cursor_blink=self.input_blink)
            with TabPane("Explain F3", id="explain"):
                yield ExplainPane(cursor_blink=self.input_blink)
            with TabPane("License F4", id="license"):
                yield LicensePane(license_path=self.license_path, lint_options=self.lint_options,
                                  cursor_blink=self.input_blink)
        yield Footer()

    def on_mount(self) -> None:
        if self.autorun and self.initial == "check":
            self.action_run_check()
        self.call_after_refresh(self._focus_tab, self.initial)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # The pane is shown on the next refresh; a hidden widget cannot take focus.
        self.call_after_refresh(self._focus_tab, event.pane.id or "")

    def _focus_tab(self, tab: str) -> None:
        """Put the cursor where the user types next on that tab (only if it is still the active one:
        focusing a widget on another tab would switch to that tab)."""
        if self.query_one(TabbedContent).active != tab:
            return
        target = None
        if tab == "check":
            target = self.query_one("#check-findings .findings-table")
        elif tab == "diagnose":
            target = self.query_one(DiagnosePane).default_focus()
        elif tab in ("explain", "license"):
            target = self.query_one(f"#{tab}-input", Input)
        if target is not None and target.focusable:
            # At once, not via focus() (which is queued): keys typed right after F3 belong to the field.
            self.screen.set_focus(target)
        elif target is not None:
            target.focus()

    # ------------------------------------------------------------------ actions
    def action_run_check(self) -> None:
        self.action_show_tab("check")
        self.query_one(CheckPane).start_check()

    def check_action(self, action: str, parameters) -> Optional[bool]:
        if action == "stop" and not self.is_busy():
            return None  # shown dimmed: nothing to stop
        return True

    def is_busy(self) -> bool:
        try:
            return self.query_one(CheckPane).running or self.query_one(DiagnosePane).busy
        except Exception:  # before compose or after unmount
            return False

    def action_stop(self) -> None:
        self.query_one(CheckPane).stop_check()
        diagnose = self.query_one(DiagnosePane)
        if diagnose.busy:
            diagnose.cancel()

    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != tab:
            tabs.active = tab
        self._focus_tab(tab)

    async def action_quit(self) -> None:
        self.cancel_all()
        self.exit()

    def cancel_all(self) -> None:
        """Cancel every engine call still running, so worker threads end and the app exits at once."""
        for pane in self.query(CheckPane):
            pane.cancel()
        for d in self.query(DiagnosePane):
            d.cancel()

    def on_unmount(self) -> None:
        self.cancel_all()

    # ------------------------------------------------------------------ entry points for the palette
    def start_diagnosis(self, symptom_id: str) -> None:
        self.action_show_tab("diagnose")
        self.query_one(DiagnosePane).start(symptom_id)

    def goto_step(self, step_id: str) -> None:
        self.action_show_tab("diagnose")
        if not self.query_one(DiagnosePane).goto_step(step_id):
            self.notify(f"There is no step {step_id}.", severity="warning")

    def explain_text(self, text: str) -> None:
        self.action_show_tab("explain")
        self.query_one(ExplainPane).submit(text)

    def lint_file(self, path: str) -> None:
        self.action_show_tab("license")
        self.query_one(LicensePane).submit(path)
