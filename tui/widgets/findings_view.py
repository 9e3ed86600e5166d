"""A findings table (worst first) with the fix and detail of the finding under the cursor.

Readable without colour: the status is a word (FAIL, WARN in capitals), and under NO_COLOR a
failure is drawn reversed and bold rather than by a colour that monochrome turns grey. On a
16-colour terminal (TERM=xterm, vt100) the colours are exact RGB values whose nearest ANSI
colour is the right one: red for FAIL, not the theme's magenta-ish error colour.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from lmdoctor.checks.findings import Finding, Status, sort_worst_first

LABEL = {Status.FAIL: "FAIL", Status.WARN: "WARN", Status.SKIP: "skip", Status.INFO: "info", Status.OK: "ok"}
# RGB, so Textual's ANSI-theme conversion leaves them alone; each one's nearest 16-colour ANSI
# colour is the intended one (checked by a test).
COLOUR_STYLE = {
    Status.FAIL: "bold #ff3030",
    Status.WARN: "bold #e0e000",
    Status.SKIP: "#808080",
    Status.INFO: "#00c0c0",
    Status.OK: "#00c000",
}
COLOUR_BADGE = {
    Status.FAIL: "bold #ffffff on #c00000",
    Status.WARN: "bold #000000 on #e0e000",
    Status.SKIP: "bold #ffffff on #606060",
    Status.INFO: "bold #000000 on #00c0c0",
    Status.OK: "bold #000000 on #00c000",
}
# Without colour: weight and reverse carry the severity.
MONO_STYLE = {Status.FAIL: "bold reverse", Status.WARN: "bold underline", Status.SKIP: "dim", Status.INFO: "",
              Status.OK: ""}
MONO_BADGE = {Status.FAIL: "bold reverse", Status.WARN: "bold reverse", Status.SKIP: "reverse",
              Status.INFO: "reverse", Status.OK: "reverse"}
_RANK_BY_LABEL = {label: st.rank for st, label in LABEL.items()}
EMPTY_DETAIL = "Select a finding to see its detail and fix."
STATUS_WORDS = {s.value: s for s in Status}


def status_text(status: Status, no_color: bool = False) -> Text:
    return Text(LABEL[status], style=(MONO_STYLE if no_color else COLOUR_STYLE)[status])


def finding_detail(f: Finding, no_color: bool = False) -> Text:
    """Title, then the fix (visible without scrolling even at 80x24), then detail and evidence."""
    t = Text()
    t.append(f" {LABEL[f.status]} ", style=(MONO_BADGE if no_color else COLOUR_BADGE)[f.status])
    t.append(f" {f.title}\n", style="bold")
    if f.fix:
        t.append("fix: ", style="bold" if no_color else "bold #00c000")
        t.append(f"{f.fix}\n")
    t.append(f.id, style="dim")
    if f.file or f.line:
        t.append(f"   {f.file or ''}{':' + str(f.line) if f.line else ''}", style="dim")
    t.append("\n")
    if f.detail:
        t.append(f"{f.detail}\n")
    lines = f.evidence_lines
    for ev in lines[:8]:
        t.append("seen: ", style="dim")
        t.append(f"{ev}\n")
    if len(lines) > 8:
        t.append(f"      ... {len(lines) - 8} more\n", style="dim")
    if f.seed_ref:
        t.append(f"manual: {f.seed_ref}", style="italic dim")
    return t


def _rank(cell: object) -> int:
    return _RANK_BY_LABEL.get(getattr(cell, "plain", str(cell)), 0)


def parse_filter(text: str):
    """(statuses, words): status names select statuses, the other words must all appear."""
    statuses: Set[Status] = set()
    words: List[str] = []
    for w in text.lower().split():
        if w in STATUS_WORDS:
            statuses.add(STATUS_WORDS[w])
        else:
            words.append(w)
    return statuses, words


def matches(f: Finding, statuses: Set[Status], words: List[str]) -> bool:
    if statuses and f.status not in statuses:
        return False
    if not words:
        return True
    hay = " ".join([f.id, f.title, f.detail, f.fix, f.file or "", *f.evidence_lines]).lower()
    return all(w in hay for w in words)


class FindingsTable(DataTable):
    """The table; End/Home move the cursor to the last/first row (and keep the rows drawn)."""

    BINDINGS = [
        Binding("end", "last_row", "Last", id="findings-end", show=False, tooltip="Go to the last finding"),
        Binding("home", "first_row", "First", id="findings-home", show=False, tooltip="Go to the first finding"),
    ]

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)


class FindingShown(Message):
    """The finding under the cursor changed (its detail is now shown)."""

    def __init__(self, view: "FindingsView", finding: Finding) -> None:
        super().__init__()
        self.view, self.finding = view, finding


class FindingsView(Vertical):
    """Findings added one by one (streaming) or replaced as a whole list; the detail follows the cursor.

    ``/`` shows a filter field (words and status names: ``fail warn port``); escape clears it.
    """

    DEFAULT_CLASSES = "findings-view"
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="findings-filter",
                tooltip="Show only findings with these words or statuses (fail, warn, ok, info, skip)"),
        Binding("y", "copy_id", "Copy id", id="findings-copy", show=False,
                tooltip="Copy the id of the finding under the cursor to the clipboard (works over SSH)"),
    ]

    def __init__(self, empty: str = "No findings yet.", **kwargs) -> None:
        super().__init__(**kwargs)
        self._findings: Dict[str, Finding] = {}
        self._shown: Optional[str] = None
        self._empty = empty
        self._filter = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: words, or fail / warn / ok / info / skip; escape clears",
                    classes="findings-filter", compact=True)
        yield FindingsTable(cursor_type="row", zebra_stripes=True, classes="findings-table")
        with VerticalScroll(classes="finding-detail-box"):
            yield Static(self._empty, classes="finding-detail")

    def on_mount(self) -> None:
        self.query_one(".findings-filter", Input).display = False
        table = self.query_one(DataTable)
        table.add_column("status", width=6, key="status")
        table.add_column("area", width=10, key="area")
        table.add_column("finding", key="title")

    def on_resize(self) -> None:
        self._refill()

    @property
    def no_color(self) -> bool:
        return bool(getattr(self.app, "no_color", False))

    @property
    def findings(self) -> List[Finding]:
        return list(self._findings.values())

    @property
    def visible_findings(self) -> List[Finding]:
        """The findings the filter lets through. (Not `visible`: that is Textual's own property.)"""
        statuses, words = parse_filter(self._filter)
        return [f for f in self._findings.values() if matches(f, statuses, words)]

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

    def _title_width(self) -> int:
        table = self.query_one(DataTable)
        # status 6 + area 10, two cells of padding per column, the border and a scrollbar's room.
        return max(10, table.size.width - 6 - 10 - 6 - 2) if table.size.width else 60

    def _cells(self, f: Finding):
        width = self._title_width()
        title = Text(f.title, no_wrap=True, overflow="ellipsis")
        title.truncate(width, overflow="ellipsis")
        area = Text(f.area, no_wrap=True, overflow="ellipsis")
        area.truncate(10, overflow="ellipsis")
        return status_text(f.status, self.no_color), area, title

    def add(self, f: Finding) -> None:
        key = str(len(self._findings))
        self._findings[key] = f
        statuses, words = parse_filter(self._filter)
        if not matches(f, statuses, words):
            return
        table = self.query_one(DataTable)
        table.add_row(*self._cells(f), key=key)
        # Worst first while results stream in; the sort is stable, so equal ones keep arrival order.
        table.sort("status", key=lambda cell: -_rank(cell))
        self._follow_cursor()

    def set_findings(self, findings: List[Finding]) -> None:
        self.clear()
        for f in sort_worst_first(findings):
            self.add(f)
        if findings and self.query_one(DataTable).row_count:
            self.query_one(DataTable).move_cursor(row=0)
            self._follow_cursor()

    def _refill(self) -> None:
        """Redraw the rows (after a filter change or a resize), keeping the cursor's finding."""
        if not self.is_mounted:
            return
        table = self.query_one(DataTable)
        keep = self._shown
        table.clear()
        statuses, words = parse_filter(self._filter)
        rows = [(k, f) for k, f in self._findings.items() if matches(f, statuses, words)]
        rows.sort(key=lambda kf: -kf[1].status.rank)
        for k, f in rows:
            table.add_row(*self._cells(f), key=k)
        if not rows:
            self._shown = None
            self.query_one(".finding-detail", Static).update(
                "No finding matches the filter." if self._findings else self._empty)
            return
        index = next((i for i, (k, _f) in enumerate(rows) if k == keep), 0)
        table.move_cursor(row=index)
        self._show(rows[index][0])

    def select(self, finding_id: str) -> bool:
        """Put the cursor on the first shown finding with this id; False when none is shown."""
        table = self.query_one(DataTable)
        for row in range(table.row_count):
            key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
            f = self._findings.get(key or "")
            if f is not None and f.id == finding_id:
                table.move_cursor(row=row)
                self._show(key or "")
                return True
        return False

    def set_filter(self, text: str) -> None:
        self._filter = text
        self._refill()

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
            changed = key != self._shown
            self._shown = key
            self.query_one(".finding-detail", Static).update(finding_detail(f, self.no_color))
            if changed:
                self.post_message(FindingShown(self, f))
            self.query_one(".finding-detail-box", VerticalScroll).scroll_home(animate=False)

    # ------------------------------------------------------------------ filter and copy
    def check_action(self, action: str, parameters) -> Optional[bool]:
        typing = getattr(self.app, "typing", None)
        if action in ("filter", "copy_id") and typing is not None and typing():
            return False
        return True

    def action_filter(self) -> None:
        box = self.query_one(".findings-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, ".findings-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.set_filter(event.value)

    @on(Input.Submitted, ".findings-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()
        if not event.value.strip():
            event.input.display = False

    def on_key(self, event) -> None:
        box = self.query_one(".findings-filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            box.display = False
            self.set_filter("")
            self.query_one(DataTable).focus()

    def action_copy_id(self) -> None:
        f = self.shown
        if f is None:
            return
        self.app.copy_to_clipboard(f.id)
        self.app.notify(f"Copied {f.id} to the clipboard.", timeout=3)
