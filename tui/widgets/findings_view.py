"""A findings table (worst first) with the detail and fix of the finding under the cursor."""
from __future__ import annotations

from typing import Dict, List, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from lmdoctor.checks.findings import Finding, Status, sort_worst_first

ICON = {
    Status.FAIL: ("FAIL", "bold red"),
    Status.WARN: ("WARN", "bold yellow"),
    Status.SKIP: ("skip", "dim"),
    Status.INFO: ("info", "cyan"),
    Status.OK: ("ok", "green"),
}
# Explicit colours, not "reverse": the badge must not depend on what reverse inherits.
BADGE = {
    Status.FAIL: "bold white on red",
    Status.WARN: "bold black on yellow",
    Status.SKIP: "bold white on grey37",
    Status.INFO: "bold black on cyan",
    Status.OK: "bold black on green",
}
_RANK_BY_LABEL = {label: st.rank for st, (label, _style) in ICON.items()}
EMPTY_DETAIL = "Select a finding to see its detail and fix."


def status_text(status: Status) -> Text:
    label, style = ICON[status]
    return Text(label, style=style)


def finding_detail(f: Finding) -> Text:
    t = Text()
    label, _style = ICON[f.status]
    t.append(f" {label} ", style=BADGE[f.status])
    t.append(f" {f.title}\n", style="bold")
    t.append(f.id, style="dim")
    if f.file or f.line:
        t.append(f"   {f.file or ''}{':' + str(f.line) if f.line else ''}", style="dim")
    t.append("\n")
    if f.detail:
        t.append(f"\n{f.detail}\n")
    lines = f.evidence_lines
    for ev in lines[:8]:
        t.append("seen: ", style="dim")
        t.append(f"{ev}\n")
    if len(lines) > 8:
        t.append(f"      ... {len(lines) - 8} more\n", style="dim")
    if f.fix:
        t.append("\nfix: ", style="bold green")
        t.append(f"{f.fix}\n")
    if f.seed_ref:
        t.append(f"\nmanual: {f.seed_ref}", style="italic dim")
    return t


def _rank(cell: object) -> int:
    return _RANK_BY_LABEL.get(getattr(cell, "plain", str(cell)), 0)


class FindingsView(Vertical):
    """Findings added one by one (streaming) or replaced as a whole list; the detail follows the cursor."""

    DEFAULT_CLASSES = "findings-view"

    def __init__(self, empty: str = "No findings yet.", **kwargs) -> None:
        super().__init__(**kwargs)
        self._findings: Dict[str, Finding] = {}
        self._shown: Optional[str] = None
        self._empty = empty

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True, classes="findings-table")
        with VerticalScroll(classes="finding-detail-box"):
            yield Static(self._empty, classes="finding-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("status", width=6, key="status")
        table.add_column("area", width=10, key="area")
        table.add_column("finding", key="title")

    @property
    def findings(self) -> List[Finding]:
        return list(self._findings.values())

    @property
    def shown(self) -> Optional[Finding]:
        """The finding whose detail is on screen."""
        return self._findings.get(self._shown) if self._shown else None

    def clear(self, empty: Optional[str] = None) -> None:
        if empty is not None:
            self._empty = empty
        self._findings.clear()
        self._shown = None
        self.query_one(DataTable).clear()
        self.query_one(".finding-detail", Static).update(self._empty)

    def add(self, f: Finding) -> None:
        key = str(len(self._findings))
        self._findings[key] = f
        table = self.query_one(DataTable)
        table.add_row(status_text(f.status), f.area, f.title, key=key)
        # Worst first while results stream in; the sort is stable, so equal ones keep arrival order.
        table.sort("status", key=lambda cell: -_rank(cell))
        self._follow_cursor()

    def set_findings(self, findings: List[Finding]) -> None:
        self.clear()
        for f in sort_worst_first(findings):
            self.add(f)
        if findings:
            self.query_one(DataTable).move_cursor(row=0)
            self._follow_cursor()

    def _follow_cursor(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # the cursor is off the table for a moment while rows change
            return
        if key is not None and key != self._shown:
            self._show(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            self._show(event.row_key.value)

    def _show(self, key: str) -> None:
        f = self._findings.get(key)
        if f is not None:
            self._shown = key
            self.query_one(".finding-detail", Static).update(finding_detail(f))
            self.query_one(".finding-detail-box", VerticalScroll).scroll_home(animate=False)
