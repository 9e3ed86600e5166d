"""The Explain tab: a pasted FlexLM error code, exit signal or message, explained."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Static

from lmdoctor.checks.findings import Finding

from ..messages import FindingsReady, JobFinished
from ..widgets.findings_view import FindingsView
from ..widgets.paste_input import PasteInput
from . import TabBody
from .check import error_text


class ExplainPane(TabBody):
    """Explain a pasted FlexLM error code, exit signal or message."""

    TAB_ID = "explain"

    def __init__(self, cursor_blink: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.cursor_blink = cursor_blink
        self.run_no = 0
        self.findings: List[Finding] = []
        self.text = ""

    def compose(self) -> ComposeResult:
        yield PasteInput(placeholder='Paste an error, then Enter: -15,570:115, "Internal Flexlm Error", a log line...',
                         id="explain-input", compact=True)
        yield Static("lmdoctor explains FlexLM error codes, exit signals and the manual's typical messages.",
                     id="explain-status", classes="status-line")
        yield FindingsView(id="explain-findings", empty="The explanation appears here.")

    def on_mount(self) -> None:
        self.query_one(PasteInput).cursor_blink = self.cursor_blink

    def default_focus(self):
        return self.query_one(PasteInput)

    @on(PasteInput.Submitted, "#explain-input")
    def do_explain(self, event: PasteInput.Submitted) -> None:
        # What Enter was pressed on: keys typed on in the same burst are already in the field.
        self.submit(self.query_one(PasteInput).text_of(event.value), from_field=True)

    def submit(self, text: str, from_field: bool = False) -> None:
        field = self.query_one(PasteInput)
        if not from_field and text != field.full_text:
            field.set_text(text)
        self.text = text
        self.run_no += 1
        self.query_one("#explain-status", Static).update("Explaining...")
        self.explain(text, self.run_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def explain(self, text: str, run: int) -> None:
        from lmdoctor.checks.explain import explain

        try:
            self.post_message(FindingsReady("explain", explain(text) if text.strip() else [], run=run))
        except Exception as exc:
            self.post_message(JobFinished("explain", error=error_text(exc), run=run))

    def on_findings_ready(self, message: FindingsReady) -> None:
        if message.source != "explain" or message.run != self.run_no:
            return
        self.findings = list(message.findings)
        self.query_one(FindingsView).set_findings(message.findings)
        n = len(message.findings)
        self.query_one("#explain-status", Static).update(
            f"{n} explanation{'s' if n != 1 else ''}; move the cursor for each one's detail" if n
            else "Nothing recognised in that text: paste the exact code or message.")

    def on_job_finished(self, message: JobFinished) -> None:
        if message.job == "explain" and message.run == self.run_no and message.error:
            self.query_one("#explain-status", Static).update(f"Could not explain that: {message.error}")

    def saved_section(self) -> Optional[Dict[str, Any]]:
        if not self.findings:
            return None
        return {"text": self.text, "findings": [f.to_dict() for f in self.findings]}
