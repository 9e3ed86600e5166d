"""License usage from a debug log: the engine behind ``lmdoctor log``'s usage summary and the
app's Log tab plot.

What admins buy commercial license monitors for, read from the log lmgrd already writes: per
feature the peak number of licenses checked out at once (and when it was first reached), the
issued count where the log or a given license says it, checkouts, denials per day, queued
requests, and the busiest hours of the day.

The API is incremental and bounded, so a follow mode can feed it line by line and a
multi-gigabyte log never grows it: the state is per feature (24 hour counters and one bucket
per day, at most ``MAX_DAYS``), never per user or per checkout::

    tracker = UsageTracker()
    tracker.add(event, daemon="sigasi", date="2024-03-04", time="09:15:02")   # one usage line
    tracker.restart(None, "2024-03-05 07:00:00")   # lmgrd restarted: what was open is closed
    summary = tracker.summary                        # read at any time (a live object)
    summary.busiest_hours(), summary.features["f"].series()

Concurrency pairs checkouts with checkins per feature: OUT adds its licenses, IN takes them
back. A checkin with nothing open returns a license taken before the log began (counted as
``unmatched``: the peak may then be higher than the log shows). A restart of lmgrd (or of the
feature's vendor daemon) closes whatever was still open: the daemon forgot those checkouts.
Scanning is cancellable through the scanner that feeds the tracker (``logscan.scan_file``).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .events import EventKind, UsageEvent

# Recorded operations of a part of a log (UsageTracker.ops): (STEP, feature, date, delta, when),
# (RESTART, daemon, when), (SEQ, feature, date, deltas (typecode, zlib of the array), start, end,
# lowest, highest, index of the highest, last of their running sums) with the file offsets of the
# lines the deltas come from (read again only if one of them sets the feature's peak).
STEP, RESTART, SEQ = 1, 2, 3
MAX_FEATURES = 5000   # distinct features tracked; later ones are pooled under OTHER
MAX_DAYS = 3700       # day buckets kept per feature (ten years); the oldest go first
OTHER = "(other)"

# Faster attribute access in the hot loop where the interpreter allows it (3.10+).
_SLOTS: Dict[str, Any] = {"slots": True} if sys.version_info >= (3, 10) else {}


@dataclass(**_SLOTS)
class DayUsage:
    """One feature on one day."""

    peak: int = 0          # most licenses out at once that day
    checkouts: int = 0     # OUT lines
    denied: int = 0        # DENIED lines


@dataclass(eq=False, **_SLOTS)  # identity: the scanner keys its per-hour work by the object
class FeatureUsage:
    """Everything the log says about one feature. Updated in place as lines arrive."""

    feature: str
    daemon: str = ""
    checkouts: int = 0          # OUT lines
    licenses_out: int = 0       # licenses checked out (an OUT may take several)
    checkins: int = 0           # IN lines
    denied: int = 0
    queued: int = 0
    dequeued: int = 0
    unsupported: int = 0        # requests for it while the server did not serve it
    inactive: int = 0           # checkins forced by the inactivity TIMEOUT
    shutdown: int = 0           # checkins because the daemon shut down
    unmatched: int = 0          # licenses checked in that the log never saw go out
    closed_by_restart: int = 0  # licenses still out when the daemon restarted
    open: int = 0               # licenses out now (at the end of what was read)
    peak: int = 0
    peak_when: Optional[str] = None
    issued: Optional[int] = None
    issued_source: str = ""     # "license FILE", "log (verbose trailer)"
    hours: List[int] = field(default_factory=lambda: [0] * 24)   # checkouts per hour of day
    days: Dict[str, DayUsage] = field(default_factory=dict)      # ISO date -> that day
    day: Optional[str] = None   # the day ``day_peak`` belongs to
    day_peak: int = 0           # most licenses out at once so far on ``day``

    def bucket(self, date: str) -> DayUsage:
        b = self.days.get(date)
        if b is None:
            if len(self.days) >= MAX_DAYS:
                del self.days[min(self.days)]
            b = self.days[date] = DayUsage()
        return b

    def enter_day(self, date: Optional[str]) -> None:
        """Close the running day's peak and start ``date`` (events carry their date in order)."""
        if date == self.day:
            return
        if self.day is not None:
            b = self.bucket(self.day)
            b.peak = max(b.peak, self.day_peak)
        self.day = date
        self.day_peak = self.open

    def series(self) -> List[Tuple[str, DayUsage]]:
        """Per day, oldest first, the running day included: what the app plots."""
        out = {d: DayUsage(b.peak, b.checkouts, b.denied) for d, b in self.days.items()}
        if self.day is not None:
            b = out.setdefault(self.day, DayUsage())
            b.peak = max(b.peak, self.day_peak)
        return sorted(out.items())

    def to_dict(self) -> Dict[str, Any]:
        return {
            "feature": self.feature, "daemon": self.daemon, "checkouts": self.checkouts,
            "licenses_out": self.licenses_out, "checkins": self.checkins, "denied": self.denied,
            "queued": self.queued, "dequeued": self.dequeued, "unsupported": self.unsupported,
            "inactive_checkins": self.inactive, "shutdown_checkins": self.shutdown,
            "unmatched_checkins": self.unmatched, "closed_by_restart": self.closed_by_restart,
            "open_at_end": self.open, "peak": self.peak, "peak_when": self.peak_when,
            "issued": self.issued, "issued_source": self.issued_source or None,
            "checkouts_by_hour": list(self.hours),
            "days": [{"date": d, "peak": b.peak, "checkouts": b.checkouts, "denied": b.denied}
                     for d, b in self.series()],
        }


@dataclass
class UsageSummary:
    """The usage of every feature in one log (a live object while a scan runs)."""

    features: Dict[str, FeatureUsage] = field(default_factory=dict)
    hours: List[int] = field(default_factory=lambda: [0] * 24)   # checkouts per hour, all features
    denied_days: Dict[str, int] = field(default_factory=dict)    # ISO date -> denials, all features
    events: int = 0        # usage lines read
    restarts: int = 0      # restarts that closed open checkouts

    def busiest_hours(self, n: int = 3) -> List[Tuple[int, int]]:
        """The ``n`` hours of the day with the most checkouts: (hour, checkouts), busiest first."""
        ranked = sorted(((c, -h) for h, c in enumerate(self.hours) if c), reverse=True)[:n]
        return [(-h, c) for c, h in ranked]

    @property
    def checkouts(self) -> int:
        return sum(f.checkouts for f in self.features.values())

    @property
    def denials(self) -> int:
        return sum(f.denied for f in self.features.values())

    def ranked(self) -> List[FeatureUsage]:
        """Features that were used, asked for or issued, most used first (peak, checkouts, denials).
        Features only ever refused as UNSUPPORTED are left out (the UNSUPPORTED finding lists them)."""
        used = (f for f in self.features.values()
                if f.checkouts or f.checkins or f.denied or f.queued or f.issued is not None)
        return sorted(used, key=lambda f: (-f.peak, -f.checkouts, -f.denied, f.feature))

    def to_dict(self) -> Dict[str, Any]:
        return {
            "events": self.events, "checkouts": self.checkouts, "denials": self.denials,
            "restarts_closing_checkouts": self.restarts,
            "checkouts_by_hour": list(self.hours),
            "busiest_hours": [{"hour": h, "checkouts": c} for h, c in self.busiest_hours()],
            "denials_by_day": dict(sorted(self.denied_days.items())),
            "features": [f.to_dict() for f in sorted(self.features.values(),
                                                     key=lambda f: (-f.peak, -f.checkouts, -f.denied, f.feature))],
        }


class UsageTracker:
    """Feeds a :class:`UsageSummary` from usage events in log order (see the module docstring)."""

    def __init__(self, max_features: int = MAX_FEATURES):
        self.summary = UsageSummary()
        self.max_features = max(2, max_features)
        # A part of a log read in another process (logparts): the open counts depend on the
        # lines before the part, so checkouts, checkins and restarts are recorded in order
        # (STEP, RESTART ops; the scanner adds SEQ) for the merge to replay, not counted here.
        self.ops: Optional[List[tuple]] = None

    # ------------------------------------------------------------------ features
    def feature(self, name: str, daemon: str = "") -> FeatureUsage:
        fs = self.summary.features
        f = fs.get(name)
        if f is None:
            if len(fs) >= self.max_features - 1:  # one place is kept for OTHER
                name = OTHER
                f = fs.get(name)
            if f is None:
                f = fs[name] = FeatureUsage(name, daemon)
        return f

    def set_issued(self, name: str, count: Optional[int], source: str) -> None:
        """The issued count of a feature from a license file (``--license``)."""
        f = self.feature(name)
        f.issued = count if f.issued is None or count is None else max(f.issued, count)
        f.issued_source = source

    # ------------------------------------------------------------------ events
    def tally(self, ev: UsageEvent, f: FeatureUsage, times: int, date: Optional[str], hour: Optional[int]) -> None:
        """The order-free part of ``times`` identical events on one day and hour."""
        self.count(ev, f, times)
        self.place(ev, f, times, date, hour)

    def count(self, ev: UsageEvent, f: FeatureUsage, times: int) -> None:
        """The totals of ``times`` identical events (what does not depend on their time)."""
        self.summary.events += times
        k = ev.kind
        if k is EventKind.OUT:
            f.checkouts += times
            f.licenses_out += times * ev.count
        elif k is EventKind.IN:
            f.checkins += times
            r = ev.reason.upper()
            if r == "INACTIVE":
                f.inactive += times
            elif r == "SHUTDOWN":
                f.shutdown += times
        elif k is EventKind.DENIED:
            f.denied += times
        elif k is EventKind.QUEUED:
            f.queued += times
        elif k is EventKind.DEQUEUED:
            f.dequeued += times
        elif k is EventKind.UNSUPPORTED:
            f.unsupported += times
        if ev.issued is not None and (f.issued is None or ev.issued > f.issued):
            f.issued = ev.issued
            f.issued_source = "log (verbose trailer)"

    def place(self, ev: UsageEvent, f: FeatureUsage, times: int, date: Optional[str], hour: Optional[int]) -> None:
        """The hour and day of ``times`` identical events: checkouts per hour and day, denials per day."""
        k = ev.kind
        if k is EventKind.OUT:
            if hour is not None:
                f.hours[hour] += times
                self.summary.hours[hour] += times
            if date is not None:
                f.bucket(date).checkouts += times
        elif k is EventKind.DENIED and date is not None:
            f.bucket(date).denied += times
            s = self.summary
            s.denied_days[date] = s.denied_days.get(date, 0) + times

    def add(self, ev: UsageEvent, daemon: str = "", date: Optional[str] = None, time: Optional[str] = None) -> None:
        """One usage line, in log order. ``time`` is "hh:mm:ss" (hours may have one digit)."""
        f = self.feature(ev.feature, daemon)
        if not f.daemon:
            f.daemon = daemon
        hour = _hour(time)
        self.tally(ev, f, 1, date, hour)
        delta = change(ev)
        if delta:
            when = f"{date} {_pad(time)}" if date and time else (_pad(time) if time else date)
            if self.ops is not None:
                self.ops.append((STEP, f.feature, date, delta, when))
                return
            f.enter_day(date)
            step(f, delta, when)

    def restart(self, daemon: Optional[str], when: Optional[str] = None) -> None:
        """lmgrd (``daemon`` None) or one vendor daemon restarted: its open checkouts are gone."""
        if self.ops is not None:
            self.ops.append((RESTART, daemon, when))
            return
        closed = 0
        for f in self.summary.features.values():
            if f.open and (daemon is None or f.daemon == daemon):
                f.closed_by_restart += f.open
                closed += f.open
                f.open = 0
        if closed:
            self.summary.restarts += 1


def change(ev: UsageEvent) -> int:
    """Licenses this event adds to (OUT) or takes from (IN) the feature's open count."""
    if ev.kind is EventKind.OUT:
        return ev.count
    if ev.kind is EventKind.IN:
        return -ev.count
    return 0


def step(f: FeatureUsage, delta: int, when: Optional[str]) -> bool:
    """Apply one checkout/checkin to the open count; True when it set a new peak.

    The scanner's bulk path inlines these same few lines for speed; both are compared line by
    line in the tests.
    """
    v = f.open + delta
    new_peak = False
    if v > f.day_peak:
        f.day_peak = v
        if v > f.peak:
            f.peak = v
            f.peak_when = when
            new_peak = True
    elif v < 0:
        f.unmatched -= v
        v = 0
    f.open = v
    return new_peak


def _hour(t: Optional[str]) -> Optional[int]:
    if not t:
        return None
    i = t.find(":")
    h = t[:i].strip() if i > 0 else ""
    return int(h) if h.isascii() and h.isdigit() and int(h) < 24 else None


def _pad(t: Optional[str]) -> str:
    """'9:04:05' -> '09:04:05' (the report's times have two-digit hours)."""
    if not t:
        return ""
    t = t.strip()
    return "0" + t if len(t) == 7 and t[1] == ":" else t
