"""A findings table (worst first) with the selected finding's detail and fix beneath it."""
from __future__ import annotations

from typing import Dict, List

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from checks.findings import Finding, Status, sort_worst_first

ICON = {
    Status.FAIL: ("FAIL", "bold red"),
    Status.WARN: ("WARN", "bold yellow"),
    Status.SKIP: ("skip", "dim"),
    Status.INFO: ("info", "cyan"),
    Status.OK: ("ok", "green"),
}


def status_text(status: Status) -> Text:
    label, style = ICON[status]
    return Text(label, style=style)


def finding_detail(f: Finding) -> Text:
    t = Text()
    t.append(f"{f.title}\n", style="bold")
    t.append(f"{f.id}", style="dim")
    if f.file or f.line:
        t.append(f"   {f.file or ''}{':' + str(f.line) if f.line else ''}", style="dim")
    t.append("\n")
    if f.detail:
        t.append(f"\n{f.detail}\n")
    for ev in f.evidence_lines[:8]:
        t.append("seen: ", style="dim")
        t.append(f"{ev}\n")
    if f.fix:
        t.append("\nfix: ", style="bold green")
        t.append(f"{f.fix}\n")
    if f.seed_ref:
        t.append(f"\nmanual: {f.seed_ref}", style="italic dim")
    return t


class FindingsView(Vertical):
    """Findings can be added one by one (streaming) or replaced as a whole list."""

    DEFAULT_CLASSES = "findings-view"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._findings: Dict[str, Finding] = {}

    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, classes="findings-table")
        yield table
        with VerticalScroll(classes="finding-detail-box"):
            yield Static("Select a finding to see its detail and fix.", classes="finding-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("status", width=6, key="status")
        table.add_column("area", width=12, key="area")
        table.add_column("finding", key="title")

    @property
    def findings(self) -> List[Finding]:
        return list(self._findings.values())

    def clear(self) -> None:
        self._findings.clear()
        self.query_one(DataTable).clear()
        self.query_one(".finding-detail", Static).update("Select a finding to see its detail and fix.")

    def add(self, f: Finding) -> None:
        key = f"{len(self._findings)}"
        self._findings[key] = f
        table = self.query_one(DataTable)
        table.add_row(status_text(f.status), f.area, f.title, key=key)
        # Keep worst first while results stream in.
        table.sort("status", key=lambda s: -_rank(s))
        if len(self._findings) == 1:
            self._show(key)

    def set_findings(self, findings: List[Finding]) -> None:
        self.clear()
        for f in sort_worst_first(findings):
            self.add(f)
        if findings:
            self.query_one(DataTable).move_cursor(row=0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show(event.row_key.value)

    def _show(self, key: str) -> None:
        f = self._findings.get(key)
        if f is not None:
            self.query_one(".finding-detail", Static).update(finding_detail(f))


def _rank(cell: Text) -> int:
    for st, (label, _style) in ICON.items():
        if cell.plain == label:
            return st.rank
    return 0
