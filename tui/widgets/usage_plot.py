"""License usage over time, drawn in block characters: licenses out at once per day (the day's
peak) against the number issued, and denials per day below it.

Readable without colour: the bars' height is the number (0 at the bottom, the issued count or
the highest peak at the top, both written on the axis), a day at the issued count is drawn in
full blocks to the top, and the denials row is its own line. Days are bucketed into the columns
available (the busiest day of each bucket wins), so a year of days fits in 80 columns.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

from rich.text import Text
from textual.widgets import Static

BLOCKS = " ▁▂▃▄▅▆▇█"
AXIS = 5  # "  40 ┤" is 4 digits and the tick


@dataclass
class Series:
    """One feature's days, oldest first, every calendar day between the first and the last."""

    feature: str
    issued: Optional[int]
    peak: int
    peak_when: Optional[str]
    checkouts: int
    denied: int
    dates: List[str]
    peaks: List[int]
    denials: List[int]


def series_of(f: Any) -> Series:
    """A :class:`Series` from a ``checks.flexnet.usage.FeatureUsage``. Days the log has nothing for
    count 0 (nothing was checked out or in that day)."""
    days = f.series()
    dates: List[str] = []
    peaks: List[int] = []
    denials: List[int] = []
    by_day = dict(days)
    if days:
        try:
            first = _dt.date.fromisoformat(days[0][0])
            last = _dt.date.fromisoformat(days[-1][0])
            span = [(first + _dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
        except ValueError:  # not ISO dates: plot the days the log has
            span = [d for d, _b in days]
        for d in span:
            b = by_day.get(d)
            dates.append(d)
            peaks.append(b.peak if b is not None else 0)
            denials.append(b.denied if b is not None else 0)
    return Series(f.feature, f.issued, f.peak, f.peak_when, f.checkouts, f.denied, dates, peaks, denials)


def bucket(values: Sequence[int], width: int) -> List[int]:
    """``values`` fitted to ``width`` columns: squeezed (each column the max of its days) when there are
    more days than columns, else each day widened to the same number of columns."""
    n = len(values)
    if n == 0 or width <= 0:
        return list(values)
    if n <= width:
        k = width // n
        return [v for v in values for _ in range(k)]
    return [max(values[i * n // width:max((i + 1) * n // width, i * n // width + 1)]) for i in range(width)]


def bars(values: Sequence[int], top: int, rows: int) -> List[str]:
    """Rows of block characters, the top row first; a value of ``top`` fills every row."""
    out = []
    eighths = rows * 8
    for r in range(rows - 1, -1, -1):  # r = 0 is the bottom row
        line = []
        for v in values:
            h = 0 if top <= 0 else round(min(v, top) * eighths / top)
            if v > 0 and h == 0:
                h = 1  # a day with any use shows
            line.append(BLOCKS[max(0, min(8, h - r * 8))])
        out.append("".join(line))
    return out


def plot(s: Series, width: int, rows: int = 3, no_color: bool = False) -> Text:
    """The plot of ``s`` in ``width`` columns: peaks (``rows`` high) over denials, dates under them."""
    cols = max(8, width - AXIS - 1)
    peaks = bucket(s.peaks, cols)
    denied = bucket(s.denials, cols)
    top = max([s.issued or 0, s.peak, 1])
    t = Text()
    bar_style = "" if no_color else "#00c0c0"
    full_style = "bold" if no_color else "bold #ff3030"
    for i, row in enumerate(bars(peaks, top, rows)):
        label = f"{top:>4}" if i == 0 else ("   0" if i == rows - 1 else "    ")
        t.append(label + " ┤", style="dim")
        for v, ch in zip(peaks, row):
            t.append(ch, style=full_style if s.issued is not None and v >= s.issued else bar_style)
        t.append("\n")
    dmax = max(denied) if denied else 0
    t.append(" den ┤", style="dim")
    t.append(bars(denied, max(dmax, 1), 1)[0] if dmax else "no denials", style="" if no_color else "bold #e0e000")
    t.append("\n")
    if s.dates:
        first, last = s.dates[0], s.dates[-1]
        gap = max(1, min(len(peaks), cols) - len(first) - len(last))
        t.append(" " * (AXIS + 1) + first + (" " * gap + last if last != first else ""), style="dim")
    return t


def head(s: Series, index: int, count: int, width: int = 200) -> Text:
    """One line: the feature, its peak against the issued count (and when), checkouts, denials."""
    issued = f"/{s.issued} issued" if s.issued is not None else " (issued ?)"
    when = f" {s.peak_when[:16]}" if s.peak_when else ""
    t = Text(no_wrap=True, overflow="ellipsis")
    if count > 1:
        t.append(f"[u {index + 1}/{count}] ", style="dim")
    t.append(s.feature, style="bold")
    t.append(f" peak {s.peak}{issued}{when}, {s.checkouts:,} out, {s.denied:,} denied")
    t.truncate(width, overflow="ellipsis")
    return t


class UsagePlot(Static):
    """The usage of one feature at a time (``u`` shows the next one); the head line, then the plot."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("", **kw)
        self.series: List[Series] = []
        self.index = 0

    def set_series(self, series: List[Series]) -> None:
        self.series = series
        self.index = 0
        self.redraw()

    def next_feature(self) -> Optional[str]:
        if not self.series:
            return None
        self.index = (self.index + 1) % len(self.series)
        self.redraw()
        return self.series[self.index].feature

    @property
    def current(self) -> Optional[Series]:
        return self.series[self.index] if self.series else None

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        s = self.current
        if s is None:
            self.update("No checkouts in this log.")
            return
        width = self.content_size.width or 76
        rows = max(1, min(4, (self.content_size.height or 6) - 3))
        no_color = bool(getattr(self.app, "no_color", False))
        t = head(s, self.index, len(self.series), width)
        t.append("\n")
        t.append_text(plot(s, width, rows=rows, no_color=no_color))
        self.update(t)


def ranked_series(usage: Any, limit: int = 50) -> List[Series]:
    """The plotted features of a ``UsageSummary``: those checked out or denied, most used first."""
    return [series_of(f) for f in usage.ranked()[:limit] if f.checkouts or f.denied]

