"""The debug-log analyser: one pass over an lmgrd/vendor-daemon log in constant memory.

Every line is read as :meth:`LogScanner._line` reads it (the plain line-by-line meaning); busy
logs of gigabytes are read the same way a megabyte at a time in phases that keep almost all
lines out of Python (the tests compare the two on generated and real logs cut at random places):

1. **Cut the range into hour pieces** (``_piece``): where the next hour starts is found with
   ``bytes.find``; one ``findall`` per piece (a literal newline and the hour first, so the
   regex engine jumps from line to line) gives every line's text after its time, and the sum
   of the lengths proves every line has that hour. Lines of another shape (no time, a date,
   another hour) are found only then, and read alone.
2. **Code the texts** (``_code``): one memo maps each text to one byte: a feature's plain
   checkout/checkin/probe, a special usage line (DENIED, counts, reasons), noise remembered
   from ``_line``'s verdict, a statistics line. New texts are learned in line order; the
   lines no code fits are *barriers*, read alone by ``_line`` in their place. A TIMESTAMP
   line only dates the pieces after it and does not end a run.
3. **Read a run of pieces at once** (``_run``): codes are counted with ``bytes.count`` (the
   tallies), checkouts placed per hour piece, and each feature's checkouts and checkins
   paired in order with ``translate`` and ``accumulate`` (the concurrency). Times are needed
   only for new peaks and the first/last DENIED line, found afterwards from their position.

A piece whose date is ambiguous (only some of its lines roll over to the next day) is read
line by line instead.

Dates: lines carry ``hh:mm:ss``; the date comes from ``TIMESTAMP m/d/yyyy`` lines, the
start-up line, lmgrd's ``Server's System Date and Time`` and ``-datestamp`` prefixes. A time
more than an hour earlier than the previous dated line's means the next day. Usage lines are
dated that way but do not move the day forward themselves; noise takes no part in dating.
"""
from __future__ import annotations

import datetime as _dt
import enum
import os
import re
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, compress, islice, repeat
from operator import itemgetter
from typing import Callable, Dict, List, Optional, Set, Tuple

from ..errors import BELOW_EXIT_BASE, decode_exit_signal, find_error_codes, unix_signal
from ..findings import Finding, Status
from ..license.dates import parse_mdy
from ..runtime import NEVER_CANCELLED, CancelToken
from .catalogue import Catalogue, CatalogueEntry, CatalogueMatch, Cause, load_catalogue
from .events import EventKind, LinePrefix, UsageEvent, parse_usage, split_line
from .usage import SEQ, FeatureUsage, UsageSummary, UsageTracker

BLOCK = 16 * 1024 * 1024
MAX_LINE = 64 * 1024          # longer lines are cut: constant memory on a file with no newline
MAX_KEYS = 5000               # distinct features/users kept per table; the rest go to "(other)"
MAX_EXAMPLES = 5
MAX_EVENTS = 50
MAX_SHAPES = 200              # distinct shapes of unrecognised lines kept
MAX_DAEMONS = 4               # vendor daemons whose usage lines are read in bulk
MEMO_SIZE = 8192              # noise lines remembered
HOT_MEMO_SIZE = 1 << 16       # usage-line texts remembered (user x host x feature x kind)
SAMPLE = 256 * 1024           # bytes looked at to learn which daemons write usage lines
SUB_RANGE = 1 << 20           # bytes read in bulk at a time
MIN_HOUR_LINES = 8            # shorter hour pieces are read line by line
HARMLESS_UNSUPPORTED = "log.unsupported-sigasi-probe"
CONTINUATION = "log.continuation"
EMPTY_LINE = "log.empty-line"
# Shapes the scanner recognises from the lines around them (not in the catalogue).
SHAPE_TITLES = {CONTINUATION: "Continuation of the line above (feature lists, banners, paths)",
                EMPTY_LINE: "Empty line"}
_PROBE_FEATURES = ("com.sigasi.hdt.custom", "com.sigasi.hdt.preview")
_USAGE_IDS = frozenset({"log.out", "log.in", "log.denied", "log.queued", "log.dequeued", "log.unsupported",
                        HARMLESS_UNSUPPORTED})
_KINDS = rb"(?:OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED): "
# "hh:mm:ss (daemon) OUT: ..." is a usage line whatever follows.
_USAGE_LINE = re.compile(rb"[ \d]?\d:\d\d:\d\d \(([^()\s]{1,64})\) " + _KINDS)
# A TIMESTAMP line as lmgrd writes it: read without the catalogue when the catalogue reads it
# the same way (checked when a scanner is made).
_TIMESTAMP_LINE = re.compile(rb'([ \d]?\d:\d\d:\d\d) \(([^()\s]{1,64})\) TIMESTAMP (\d{1,2}/\d{1,2}/\d{2,4})\r*\Z')
_TIMESTAMP_TEXT = re.compile(rb'\(([^()\s]{1,64})\) TIMESTAMP (\d{1,2}/\d{1,2}/\d{2,4})\r*\Z')
# Daemons whose usage lines may be read in bulk: names that need no escaping anywhere.
_GOOD_DAEMON = re.compile(rb"[A-Za-z0-9_.\-]{1,64}\Z")
_SAMPLE_HOT = re.compile(rb"\n([ \d]?)\d:\d\d:\d\d \(([A-Za-z0-9_.\-]{1,64})\) " + _KINDS)
# The time before "(daemon)"; [0-9] rather than \d: the regex engine tests it as a bitmap.
_PREFIX = rb"[ 0-9]?[0-9]:[0-9][0-9]:[0-9][0-9] "
_TIME_AT = re.compile(rb"[ 0-9]?[0-9]:[0-9][0-9]:[0-9][0-9]")
_HOUR_AT = re.compile(rb"[ 0-9]?[0-9]:")
_SHAPE_QUOTED = re.compile(r'"[^"]*"')
_SHAPE_NUMBER = re.compile(r"\d+")
_SHAPE_SPACE = re.compile(r"\s+")

ProgressCallback = Callable[[int, Optional[int]], None]  # (bytes read, total bytes or None)
EventCallback = Callable[["LogEvent"], None]
UsageCallback = Callable[["UsageRecord"], None]


class Outcome(str, enum.Enum):
    """How an lmgrd start-up ended, as far as the log tells."""

    UNKNOWN = "unknown"    # no "Server started" after it (yet)
    SERVING = "serving"
    FAILED = "failed"      # a fatal line before the vendor daemon served
    EXITED = "exited"      # served, then a vendor daemon exited on its own
    STOPPED = "stopped"    # stopped on purpose (lmdown, SIGTERM): not a failure
    KILLED = "killed"      # lmgrd died from a signal that is not an orderly stop

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass
class Tally:
    """How often one kind of line was seen, and when."""

    count: int = 0
    first: Optional[str] = None
    last: Optional[str] = None
    examples: List[str] = field(default_factory=list)
    line_no: Optional[int] = None

    def add(self, when: Optional[str], line: str, line_no: int) -> None:
        self.count += 1
        if self.first is None:
            self.first = when
            self.line_no = line_no
        self.last = when or self.last
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(line)


@dataclass
class LogEvent:
    """A line worth showing while following a log (start-ups, stops, warnings, failures)."""

    line_no: int
    when: Optional[str]
    match: CatalogueMatch
    decoded: str = ""


@dataclass
class UsageRecord:
    """One usage line for ``lmdoctor log --events`` (NDJSON): the event with its place and time."""

    line_no: int
    time: Optional[str]      # ISO "2024-03-04T09:15:02" (with the date when known), or "09:15:02"
    daemon: str
    event: UsageEvent

    def to_dict(self) -> Dict[str, object]:
        e = self.event
        d: Dict[str, object] = {"time": self.time, "daemon": self.daemon, "kind": e.kind.value,
                                "feature": e.feature, "user": e.user or None, "host": e.host or None,
                                "count": e.count, "reason": e.reason or None, "line": self.line_no}
        if e.cdstring:
            d["cdstring"] = e.cdstring
        codes = find_error_codes(e.reason) if e.reason else []
        if codes:
            d["code"] = _code_text(codes[0].major, codes[0].minor)
        if e.version:
            d["version"] = e.version
        if e.issued is not None:
            d["in_use"], d["issued"] = e.in_use, e.issued
        return d


@dataclass
class StartUp:
    line_no: int
    when: Optional[str]
    version: Optional[str]
    host: Optional[str]
    outcome: Outcome = Outcome.UNKNOWN
    detail: str = ""
    stop_requested: str = ""   # "admin at node srv01" when a SHUTDOWN request was logged
    served_line: int = 0       # the last "Server started" line after it


@dataclass
class Stop:
    """lmgrd's own exit: a Unix signal (item 1), never a vendor exit code."""

    line_no: int
    when: Optional[str]
    signal: int
    name: str                 # "SIGTERM"
    meaning: str
    orderly: bool
    requested_by: str = ""    # from a SHUTDOWN request just before
    text: str = ""


@dataclass
class GoneFeature:
    """A feature the server stopped serving while it ran (expired, or removed by a reread)."""

    feature: str
    how: str                  # "expired" | "removed"
    when: Optional[str]
    line_no: int
    text: str
    served_again: Optional[str] = None   # a later checkout shows it is served again


# What lines after a start-up do to it. Functions, so a part of a log read in another process
# (logparts) can record them while the start-up they belong to is in an earlier part, and the
# merge can apply them to it there.
def _st_served(st: StartUp, daemon: str, when: Optional[str], line_no: int) -> None:
    if st.outcome in (Outcome.UNKNOWN, Outcome.EXITED):
        again = st.outcome is Outcome.EXITED
        st.outcome = Outcome.SERVING
        st.detail = (f"vendor daemon {daemon} serving at {when or '?'} (line {line_no})"
                     .replace("  ", " ")) + (" again, after lmgrd restarted it" if again else "")
    st.served_line = line_no


def _st_stop_requested(st: StartUp, by: str) -> None:
    st.stop_requested = by


def _st_lmgrd_exit(st: StartUp, orderly: bool, by: str, name: str, meaning: str, when: Optional[str],
                   line_no: int) -> None:
    st.outcome = Outcome.STOPPED if orderly else Outcome.KILLED
    what = f"stopped by {by}" if by and orderly else f"{name}: {meaning}"
    st.detail = f"lmgrd {what} at {when or '?'} (line {line_no})"


def _st_fatal(st: StartUp, title: str, decoded: str, daemon_exit: bool, when: Optional[str], line_no: int) -> None:
    if st.outcome is Outcome.UNKNOWN:
        st.outcome = Outcome.FAILED
        st.detail = f"{title} at {when or '?'} (line {line_no})" + (f": {decoded}" if decoded else "")
    elif st.outcome is Outcome.SERVING and daemon_exit:
        st.outcome = Outcome.EXITED
        st.detail = (f"served, then the vendor daemon exited at {when or '?'} (line {line_no})"
                     + (f": {decoded}" if decoded else ""))


STARTUP_STEPS = {f.__name__: f for f in (_st_served, _st_stop_requested, _st_lmgrd_exit, _st_fatal)}


@dataclass
class LogSummary:
    path: str = ""
    bytes_read: int = 0
    lines: int = 0
    classified: int = 0       # lines recognised: catalogue entries, usage lines, continuations
    unrecognised: int = 0
    shapes: Dict[str, int] = field(default_factory=dict)   # shape of unrecognised lines -> count
    first_date: Optional[str] = None
    last_date: Optional[str] = None
    out_lines: int = 0
    in_lines: int = 0
    startups: List[StartUp] = field(default_factory=list)
    startup_count: int = 0
    stops: List[Stop] = field(default_factory=list)
    exits: Dict[str, Tally] = field(default_factory=dict)       # "number: decoded reason" -> tally
    exit_words: Dict[str, str] = field(default_factory=dict)    # the same key -> lmgrd's own words
    orderly_exits: int = 0    # vendor-daemon exits while lmgrd was shutting down
    errors: Dict[str, Tally] = field(default_factory=dict)      # catalogue id -> tally
    ignorable: Dict[str, int] = field(default_factory=dict)     # catalogue id -> count
    gone: Dict[str, GoneFeature] = field(default_factory=dict)  # feature -> how it went
    denied: Tally = field(default_factory=Tally)
    denied_by_feature: Dict[str, int] = field(default_factory=dict)
    denied_by_user: Dict[str, int] = field(default_factory=dict)
    denied_by_code: Dict[str, int] = field(default_factory=dict)
    unsupported_harmless: Dict[str, int] = field(default_factory=dict)
    unsupported_other: Dict[str, int] = field(default_factory=dict)
    unsupported_other_tally: Tally = field(default_factory=Tally)
    daemons: Dict[str, int] = field(default_factory=dict)
    platform: Optional[str] = None
    cut_lines: int = 0
    since: Optional[str] = None
    skipped_before_since: int = 0
    usage: UsageSummary = field(default_factory=UsageSummary)

    @property
    def last_startup(self) -> Optional[StartUp]:
        return self.startups[-1] if self.startups else None

    @property
    def recognised_share(self) -> float:
        """Recognised lines out of all lines read (1.0 for an empty log)."""
        seen = self.classified + self.unrecognised
        return self.classified / seen if seen else 1.0

    def top_shapes(self, n: int = 5) -> List[Tuple[str, int]]:
        return sorted(self.shapes.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def _bump(d: Dict[str, int], key: str, n: int = 1, limit: int = MAX_KEYS) -> None:
    if key in d or len(d) < limit:
        d[key] = d.get(key, 0) + n
    else:
        d["(other)"] = d.get("(other)", 0) + n


def _code_text(major: int, minor: Optional[int]) -> str:
    return f"{major},{minor}" if minor is not None else str(major)


def _pad(t: str) -> str:
    t = t.strip()
    return "0" + t if len(t) == 7 and t[1] == ":" else t


def shape_of(msg: str) -> str:
    """What an unrecognised line looks like, numbers and quoted text masked: 'OUT-of-band N ms'."""
    s = _SHAPE_NUMBER.sub("N", _SHAPE_QUOTED.sub('"…"', msg))
    return _SHAPE_SPACE.sub(" ", s).strip()[:80] or "(empty)"


def _opens_block(entry: CatalogueEntry, msg: str) -> bool:
    """A line whose unrecognised followers at the same second continue it (lists, banners)."""
    return entry.id == "log.server-started" or msg.rstrip().endswith(":")


def parse_since(text: str) -> Optional[_dt.datetime]:
    """``YYYY-MM-DD[ HH:MM[:SS]]``, ``m/d/yyyy[ HH:MM]`` or ``Nd``/``Nh`` (days/hours ago)."""
    s = (text or "").strip()
    m = re.fullmatch(r"(\d+)([dh])", s)
    if m:
        n = int(m.group(1))
        try:
            delta = _dt.timedelta(days=n) if m.group(2) == "d" else _dt.timedelta(hours=n)
            return _dt.datetime.now().replace(microsecond=0) - delta
        except OverflowError:  # "99999999999d" lies before year 1: not a time lmdoctor can compare with
            return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return _dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


class _Plan:
    """The compiled bulk-reading machinery for one set of vendor daemons."""

    def __init__(self, daemons: Tuple[bytes, ...]):
        self.daemons = daemons
        names = rb"\((?:" + b"|".join(re.escape(d) for d in daemons) + rb")\) "
        # A line's text after its time that makes it a usage line of these daemons.
        self.text = re.compile(names + _KINDS)
        # A usage line at its start: group 1 is its text (the memo key).
        self.line = re.compile(_PREFIX + rb"(" + names + _KINDS + rb"[^\n]*)")


class _Hot:
    """What one usage-line text (after its time) means, worked out once."""

    __slots__ = ("ev", "daemon", "feat", "delta", "who", "code", "harmless")

    def __init__(self, ev: UsageEvent, daemon: str, feat: FeatureUsage, delta: int, code: str, harmless: bool):
        self.ev, self.daemon, self.feat, self.delta = ev, daemon, feat, delta
        self.who = f"{ev.user}@{ev.host}" if ev.host else ev.user
        self.code, self.harmless = code, harmless


_SLOG = 252                     # a statistics line: noise whose verdict its text gives
_NOISE = 253                    # a text remembered as noise (its verdict in the noise memo)
_UNKNOWN = 254                  # a text not read yet, or a line to read alone (a barrier)
_UNKNOWN_BYTE = bytes([_UNKNOWN])
_SPECIAL = 255                  # a usage-line text read with its details
_MAX_SLOTS = 63                 # (daemon, feature) pairs with codes: 4 * 63 = 252 codes
# Licenses a plain line adds to its feature's open count, by code (variant = code % 4).
_STEP = tuple(0 if c >= 4 * _MAX_SLOTS else (1, -1, -1, 0)[c % 4] for c in range(256))
_STEP_BYTES = bytes(s & 0xFF for s in _STEP)
# bytes.translate tables turning a run's codes into 0/1 selectors for itertools.compress: the
# selection stays in C (a map of a Python-level predicate costs a call per line).
_SPECIAL_MASK = bytes(c == _SPECIAL for c in range(256))
_UNKNOWN_MASK = bytes(c == _UNKNOWN for c in range(256))
_NOISE_MASK = bytes(c in (_SLOG, _NOISE) for c in range(256))
# An hour piece gathered for bulk reading: (start, end, hour, texts after the time, their codes,
# the width of a line's time and newline); or a TIMESTAMP line read in its place: (start, end,
# _STAMP, [time, daemon, date], b"", 0).
_Piece = Tuple[int, int, int, List[bytes], bytes, int]
# A run's hour piece: (date, hour, index of its first text, index after its last, start, width).
_Hour = Tuple[Optional[str], int, int, int, int, int]
_STAMP = -2
# A run read at once: its code counts, codes, texts, hour pieces, the buffer, its special texts.
_Run = Tuple[Dict[int, int], bytes, List[bytes], List[_Hour], bytes, Dict[bytes, int]]


def _variant(ev: UsageEvent) -> Optional[int]:
    """0 plain checkout, 1 plain checkin, 2 checkin by the inactivity timeout, 3 UNSUPPORTED;
    None for lines whose details matter (counts, other reasons, DENIED, queue, verbose)."""
    if ev.issued is not None or ev.in_use is not None:
        return None
    if ev.kind is EventKind.UNSUPPORTED:
        return 3
    if ev.count != 1:
        return None
    if ev.kind is EventKind.OUT:
        return 0
    if ev.kind is EventKind.IN:
        r = ev.reason.upper()
        return 1 if not r else 2 if r == "INACTIVE" else None
    return None
# A statistics line's memo key: "(daemon) (@vendor-SLOG@) ..." or "(daemon) SLOG: ...".
_SLOG_KEY = re.compile(rb"\(([^()\s]{1,64})\) (?:\(@[^()@\s]*-SLOG@\)|SLOG:)")


def _code_counts(codes: bytes, in_use: Set[int]) -> Dict[int, int]:
    """Counter(codes), in the same order (first occurrence): counted by bytes.count (memchr
    speed) when the codes in use are few beside the run's length."""
    if len(in_use) * 16 > len(codes):
        return Counter(codes)
    found = [(codes.find(c), c) for c in in_use]
    return {c: codes.count(c) for i, c in sorted(found) if i >= 0}


def _slog_verdict(key: bytes) -> Tuple[str, str]:
    m = _SLOG_KEY.match(key)
    return "log.slog", m.group(1).decode("utf-8", "replace") if m else ""


class _Before:
    """The line before a barrier, read only if a continuation line needs its time and daemon."""

    __slots__ = ("buf", "end")

    def __init__(self, buf: bytes, end: int):
        self.buf, self.end = buf, end

    def prefix(self) -> Optional[Tuple[str, str]]:
        ps = self.buf.rfind(b"\n", 0, self.end - 1) + 1
        p = split_line(self.buf[ps:min(self.end - 1, ps + 300)].decode("utf-8", "replace"))
        return (p.time, p.daemon) if p else None


def _date_at(hours: List[_Hour], pos: int) -> Optional[str]:
    """The date of the hour piece (date, hour, first key, end key, start) holding ``pos``."""
    i = bisect_left([h[4] for h in hours], pos + 1) - 1
    return hours[max(i, 0)][0]


@lru_cache(maxsize=4096)
def _hour_prefixes(pre: bytes, hour: int) -> Tuple[bytes, ...]:
    """How a line of ``hour`` starts in a log whose hour ``pre`` starts " 9:", "09:", "9:", "10:"."""
    styles: Tuple[str, ...]
    if len(pre) == 2:
        styles = ("bare",)
    elif pre[:1] == b" ":
        styles = ("padded",)
    elif pre[:1] == b"0":
        styles = ("zero",)
    else:
        styles = ("padded", "zero", "bare")
    out = []
    for st in styles:
        p = (b"%02d:" % hour if st == "zero" else b" %d:" % hour if st == "padded" and hour < 10
             else b"%d:" % hour)
        if p not in out:
            out.append(p)
    return tuple(out)


def _next_hour(buf: bytes, p: int, y: int, pre: bytes, hour: int) -> int:
    """Where the first line of a later hour starts, or y. Lines are in time order, so that is
    usually the next hour; when a gap skips hours, the earliest line of any later hour. Each
    search stops at the best place found so far."""
    best = y - 1
    for later in range(hour + 1, hour + 24):
        for x in _hour_prefixes(pre, later % 24):
            q = buf.find(b"\n" + x, p, best)
            if q >= 0:
                best = q
        if later == hour + 1 and best < y - 1:
            break
    return best + 1 if best < y - 1 else y


def _piece(buf: bytes, p: int, y: int, guess: int = 0) -> Tuple[int, int, bytes]:
    """(end, hour, how the hour is written) of the lines from p that start with the hour of the
    line at p (hour -1: read that line alone). Lines are in time order, so the next hour is
    looked for; the caller proves there is no other hour inside. ``guess``: how long the last
    hour was; the search starts from where this one probably ends (it then reads a few lines
    around the change instead of the whole hour)."""
    m = _HOUR_AT.match(buf, p)
    if m is None:
        return buf.find(b"\n", p, y) + 1, -1, b""
    pre = m.group()
    hour = int(pre[:-1])
    last = buf.rfind(b"\n", p, y - 1) + 1
    if buf.startswith(pre, last):
        e = y
    elif p + guess < last:
        nl = buf.rfind(b"\n", p, p + guess)
        g = nl + 1 if nl >= 0 else p           # the line the guess falls in
        if buf.startswith(pre, g):   # still this hour there: on from it
            e = _next_hour(buf, g, y, pre, hour)
        else:                        # past it: after the last line of this hour before the guess
            q = buf.rfind(b"\n" + pre, max(p - 1, 0), g)
            e = buf.find(b"\n", q + 1 if q >= 0 else p, y) + 1
    else:
        e = _next_hour(buf, p, y, pre, hour)
    return e, hour if hour < 24 else -1, pre


class LogScanner:
    """Feed bytes in any pieces; read ``summary`` at any time (``finish()`` flushes the last line).

    ``on_event`` gets start-ups, stops, warnings and failures as they are read (follow mode);
    ``on_usage`` gets every usage line (``log --events``; it makes every line be read alone).
    """

    def __init__(self, since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None,
                 catalogue: Optional[Catalogue] = None, path: str = "", max_line: int = MAX_LINE,
                 max_keys: int = MAX_KEYS, on_usage: Optional[UsageCallback] = None):
        self.cat = catalogue or load_catalogue()
        self.usage = UsageTracker(max_features=max_keys)
        self.summary = LogSummary(path=path, since=since.isoformat(sep=" ") if since else None,
                                  usage=self.usage.summary)
        self.since = since
        self.on_event = on_event
        self.on_usage = on_usage
        self.max_line = max(1, max_line)
        self.max_keys = max_keys
        self._carry = bytearray()
        self._cutting = False  # inside an over-long line: drop bytes until the next newline
        self._line_no = 0
        self._date: Optional[_dt.date] = None
        self._date_iso = ""
        self._next_iso = ""
        self._last_secs = -1
        self._code_cache: Dict[str, str] = {}
        self._dates: Dict[str, Optional[_dt.date]] = {}
        # Lines around: the block a line opened (its time and daemon) and the previous line's.
        self._block: Optional[Tuple[str, str]] = None
        # (time, daemon) of the previous line, or where it is when it was read in bulk.
        self._prev: "Optional[Tuple[str, str] | _Before]" = None
        self._stopping = False   # a SHUTDOWN request or lmgrd stopping its vendor daemons was read
        self._stop_by = ""
        # Bulk reading: only without --since and per-line callbacks.
        self._bulk = since is None and on_usage is None
        self._daemons: List[bytes] = []
        self._plans: Dict[Tuple[bytes, ...], _Plan] = {}
        # "10:" -> the texts of that hour's lines, and the starts of the other lines
        self._hour_rx: Dict[bytes, Tuple["re.Pattern[bytes]", ...]] = {}
        self._noise: Dict[bytes, Tuple[str, str]] = {}   # text -> (catalogue id or "", daemon or shape)
        # Texts after the time ("(daemon) ...") -> a one-byte code: 4 * slot + variant for a
        # feature's plain usage lines (slot: a daemon's feature), _SPECIAL for usage lines read
        # with their details, _NOISE and _SLOG for noise.
        self._codes: Dict[bytes, int] = {}
        self._special: Dict[bytes, _Hot] = {}
        self._in_use: Set[int] = {_SLOG, _NOISE}   # every code ever given (slots outlive _forget)
        self._code_info: List[Optional[_Hot]] = [None] * 256
        self._slots: Dict[Tuple[str, str], int] = {}
        self._feat_slots: Dict[FeatureUsage, List[int]] = {}   # a feature's slots (one per daemon)
        self._delete: Dict[Tuple[int, ...], bytes] = {}
        self._resample = True   # look for daemons writing usage lines in the next range
        self._hot_read = 0      # usage lines read one by one (e.g. from a daemon not yet known)
        self._range_base = self._range_start = 0  # line number before, and start of, the range walked
        self._cursor = (0, 0)                    # a place in that range and the lines before it
        # Per feature: the last new peak read in bulk in this range, found by position at its end.
        self._peak_at: Dict[FeatureUsage, tuple] = {}
        self._timestamp_ok = self._check_timestamp_shortcut()
        self._slog_ok = self._check_slog_shortcut()
        # Reading one part of a log in another process (logparts.read_part): what depends on the
        # lines before the part is recorded for the merge, not done. The start-up those lines
        # belong to (steps on it), the first checkout of each feature (a feature gone earlier is
        # served again), the platforms exit codes were decoded for (the earlier parts may know it).
        self._part = False
        self._hour_len = 0           # bytes of the last hour piece (where to look for the next hour)
        self._origin = 0             # file offset of the first byte fed (part mode)
        self._at = 0                 # file offset of the data fed now
        self.st_ops: List[tuple] = []
        self.first_out: Dict[str, Optional[str]] = {}
        self.platforms_used: Set[Optional[str]] = set()

    # ================================================================= input
    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._at = self._origin + self.summary.bytes_read
        self.summary.bytes_read += len(data)
        pos = 0
        if self._cutting:
            nl = data.find(b"\n")
            if nl < 0:
                return
            pos = nl + 1
            self._cutting = False
        if self._carry:
            nl = data.find(b"\n", pos)
            if nl < 0:
                self._carry += data[pos:]
                if len(self._carry) > self.max_line:
                    self._cut_carry()
                return
            self._carry += data[pos:nl]
            line = bytes(self._carry)
            self._carry = bytearray()
            self._one(line)
            pos = nl + 1
        last = data.rfind(b"\n", pos)
        if last >= 0:
            self._lines(data, pos, last + 1)
            pos = last + 1
        if pos < len(data):
            self._carry += data[pos:]
            if len(self._carry) > self.max_line:
                self._cut_carry()

    def _cut_carry(self) -> None:
        # An over-long line: classify its head, count it once, skip to the next newline.
        head = bytes(self._carry[:self.max_line])
        self._carry = bytearray()
        self._one(head, cut=True)
        self._cutting = True

    def _one(self, line: bytes, cut: bool = False) -> None:
        s = self.summary
        if cut or len(line) > self.max_line:
            s.cut_lines += 1
            line = line[:self.max_line]
        s.lines += 1
        self._line_no += 1
        self._line(line, self._line_no)

    def finish(self) -> LogSummary:
        if self._carry:
            line = bytes(self._carry)
            self._carry = bytearray()
            self._one(line)
        return self.summary

    # ================================================================= blocks
    def _lines(self, buf: bytes, a: int, b: int) -> None:
        """Whole lines buf[a:b] (b - 1 is a newline); over-long ones are cut."""
        ml = self.max_line
        p = seg = a
        while p + ml + 1 < b:
            q = buf.rfind(b"\n", p, p + ml + 1)
            if q >= 0:
                p = q + 1
                continue
            self._range(buf, seg, p)
            e = buf.find(b"\n", p, b)
            self._one(buf[p:e], cut=True)
            p = seg = e + 1
        self._range(buf, seg, b)

    def _range(self, buf: bytes, a: int, b: int) -> None:
        """Whole lines buf[a:b], none longer than max_line, a megabyte at a time."""
        while b - a > SUB_RANGE:
            e = buf.rfind(b"\n", a, a + SUB_RANGE) + 1
            if e <= a:
                break
            self._range1(buf, a, e)
            a = e
        self._range1(buf, a, b)

    def _range1(self, buf: bytes, a: int, b: int) -> None:
        if a >= b:
            return
        hot_read = self._hot_read
        plan = self._plan(buf, a, b) if self._bulk else None
        base = self._line_no
        if plan is not None:
            self._bulk_range(plan, buf, a, b)
        else:
            self._slow(buf, a, b, base)
        n = buf.count(b"\n", a, b)
        self.summary.lines += n
        self._line_no = base + n
        if self._hot_read - hot_read > 64 + n // 100:
            self._resample = True  # many usage lines were read one by one: another daemon?

    def _slow(self, buf: bytes, a: int, b: int, line_no: int) -> None:
        """Lines buf[a:b] one by one, numbered from line_no + 1 (the caller counts them)."""
        line = self._line
        for raw in buf[a:b - 1].split(b"\n"):
            line_no += 1
            line(raw, line_no)

    def _plan(self, buf: bytes, a: int, b: int) -> Optional[_Plan]:
        # Learn which daemons write usage lines from the start of the range (speed only: usage
        # lines of other daemons are barriers, read one by one).
        if self._resample:
            self._resample = False
            found = _SAMPLE_HOT.findall(buf, max(0, a - 1), min(b, a + SAMPLE))
            for d, _ in Counter(d for _, d in found).most_common():
                if d not in self._daemons and len(self._daemons) < MAX_DAEMONS and _GOOD_DAEMON.match(d):
                    self._daemons.append(d)
        if not self._daemons:
            self._resample = True
            return None
        key = tuple(self._daemons)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(key)
        return plan

    # ================================================================= bulk phases
    def _bulk_range(self, plan: _Plan, buf: bytes, a: int, b: int) -> None:
        """Phases 1 and 2: the range in hour pieces; each piece's texts coded, its barriers read
        one by one in order, the rest gathered into runs read at once."""
        self._range_base, self._range_start = self._line_no, a
        self._cursor = (a, self._line_no)
        run: List[_Piece] = []
        pos = a
        while pos < b:
            if self._block is not None:
                self._flush(plan, buf, run)
                pos = self._block_run(buf, pos, b)
                continue
            e, hour, pre = _piece(buf, pos, b, self._hour_len)
            got = self._texts(buf, pos, e, hour, pre)
            if (got is None or got[1]) and hour >= 0:
                e2 = _next_hour(buf, pos, e, pre, hour)   # the same hour of another day ends it
                if e2 < e:
                    e, got = e2, self._texts(buf, pos, e2, hour, pre)
            self._hour_len = e - pos
            if got is None:
                self._flush(plan, buf, run)
                self._slow_counted(buf, pos, e)
                pos = e
            elif got[1]:
                pos = self._odd_piece(plan, buf, run, (pos, e, hour, len(pre) + 7), *got)
            else:
                pos = self._code_piece(plan, buf, run, (pos, e, hour, len(pre) + 7), got[0])
        self._flush(plan, buf, run)
        if self._peak_at:
            self._resolve_peaks(plan, buf)

    def _texts(self, buf: bytes, p: int, e: int, hour: int, pre: bytes) -> Optional[Tuple[List[bytes], List[int]]]:
        """The text after the time of every line of [p, e) that has the hour ``pre`` (one
        findall), and where the other lines start (found only when the count says there are
        some); None to read the piece line by line."""
        if hour < 0:
            return None
        rx = self._hour_rx.get(pre)
        if rx is None:
            # "\n" first, not "^": a literal start lets the regex engine jump from line to line.
            t = re.escape(pre) + rb"[0-9][0-9]:[0-9][0-9] "
            rx = self._hour_rx[pre] = (re.compile(rb"\n" + t + rb"(.*)"), re.compile(t + rb"(.*)"),
                                       re.compile(rb"^(?!" + t + rb")", re.MULTILINE))
        if p:
            texts = rx[0].findall(buf, p - 1, e)
        else:  # the first line of the data has no newline before it
            m = rx[1].match(buf, 0, e)
            texts = ([m.group(1)] if m else []) + rx[0].findall(buf, 0, e)
        if sum(map(len, texts)) + len(texts) * (len(pre) + 7) == e - p:   # every line has that hour
            return (texts, []) if len(texts) >= MIN_HOUR_LINES else None
        n = buf.count(b"\n", p, e)
        if n < MIN_HOUR_LINES:
            return None
        if 2 * len(texts) < n:
            return None
        return texts, [m.start() for m in rx[2].finditer(buf, p, e) if m.start() < e]

    def _odd_piece(self, plan: _Plan, buf: bytes, run: List[_Piece], piece: Tuple[int, int, int, int],
                   texts: List[bytes], odd: List[int]) -> int:
        """A piece with lines of another shape (no time, a date, another hour): those are read
        alone, the stretches between them as pieces. Returns where to go on."""
        p, e, hour, width = piece
        i, x = 0, p
        for o in odd:
            n = buf.count(b"\n", x, o)
            if n:
                y = self._code_piece(plan, buf, run, (x, o, hour, width), texts[i:i + n])
                i += n
                if y != o:
                    return y
            self._flush(plan, buf, run)
            le = buf.find(b"\n", o, e)
            self._line(buf[o:le], self._line_no_at(buf, o))
            x = le + 1
            if self._block is not None:
                return x
        return self._code_piece(plan, buf, run, (x, e, hour, width), texts[i:]) if x < e else e

    def _code_piece(self, plan: _Plan, buf: bytes, run: List[_Piece], piece: Tuple[int, int, int, int],
                    texts: List[bytes]) -> int:
        """Phase 2: a piece's texts coded from the memo (new texts learned); the lines no code
        fits (barriers) are read one by one, the others join the run. Returns where to go on."""
        p, e, hour, width = piece   # width: the time before a text and the newline after it
        if len(self._codes) + len(texts) > HOT_MEMO_SIZE:
            self._flush(plan, buf, run)
            self._forget()
        codes = self._code(plan, texts)
        i, x, n = 0, p, len(texts)
        while True:
            j = codes.find(_UNKNOWN_BYTE, i)
            if j < 0:
                self._add(run, buf, (x, e, hour, texts[i:] if i else texts, codes[i:] if i else codes, width))
                return e
            xs = x + sum(map(len, islice(texts, i, j))) + (j - i) * width
            if j > i:
                self._add(run, buf, (x, xs, hour, texts[i:j], codes[i:j], width))
            le = xs + width - 1 + len(texts[j])
            stamp = self._stamp_at(buf, xs, width, texts[j])
            if stamp is not None:  # dates the pieces after it in the run: no need to end the run
                self._add(run, buf, (xs, le + 1, _STAMP, stamp, b"", 0))
                i, x = j + 1, le + 1
                if i >= n:
                    return x
                continue
            self._flush(plan, buf, run)
            forgot = self._remember(texts[j], self._line(buf[xs:le], self._line_no_at(buf, xs)))
            i, x = j + 1, le + 1
            if i >= n or forgot or self._block is not None:
                return x   # the rest of the piece is looked at again (its codes may be gone)

    def _stamp_at(self, buf: bytes, xs: int, width: int, text: bytes) -> Optional[List[bytes]]:
        """[time, daemon, date] of a TIMESTAMP line a run can hold: its daemon is counted
        already (so the order of counts cannot change which keys a full table keeps)."""
        if not self._timestamp_ok:
            return None
        u = _TIMESTAMP_TEXT.match(text)
        if u is None or u.group(1).decode("utf-8", "replace") not in self.summary.daemons:
            return None
        return [buf[xs:xs + width - 2], u.group(1), u.group(2)]

    def _code(self, plan: _Plan, texts: List[bytes]) -> bytes:
        """One code per text: a usage line's, _NOISE/_SLOG for noise, _UNKNOWN for a barrier."""
        get = self._codes.get
        if len(texts) > 1:
            try:  # every text known: the common case, and itemgetter is the fastest lookup
                return bytes(itemgetter(*texts)(self._codes))
            except KeyError:
                pass
        codes = bytes(map(get, texts, repeat(_UNKNOWN)))
        if codes.find(_UNKNOWN_BYTE) < 0:
            return codes
        seen = set()
        learned = False
        fresh = True   # no barrier before: new features may be made (in line order)
        for t in compress(texts, codes.translate(_UNKNOWN_MASK)):
            if t not in seen:
                seen.add(t)
                code = self._learn_text(plan, t, fresh)
                learned = learned or code is not None
                fresh = fresh and code is not None
        return bytes(map(get, texts, repeat(_UNKNOWN))) if learned else codes

    def _learn_text(self, plan: _Plan, t: bytes, fresh: bool) -> Optional[int]:
        if plan.text.match(t):
            return self._learn(t, fresh)
        if self._slog_ok and _SLOG_KEY.match(t) and not t.rstrip().endswith(b":"):
            # Statistics lines: their verdict needs no context and comes from their text.
            self._codes[t] = _SLOG
            return _SLOG
        return None

    def _add(self, run: List[_Piece], buf: bytes, piece: _Piece) -> None:
        run.append(piece)
        self._prev = _Before(buf, piece[1])

    def _flush(self, plan: _Plan, buf: bytes, run: List[_Piece]) -> None:
        """Phase 3: the gathered pieces read at once, in runs of pieces of one date each; a
        piece whose lines only partly roll over to the next day is read line by line."""
        if not run:
            return
        pieces = run[:]
        run.clear()
        prev = self._prev
        seg: List[_Piece] = []
        dates: List[Optional[str]] = []
        for pc in pieces:
            if pc[2] == _STAMP:
                t, daemon, date = (x.decode("utf-8", "replace") for x in pc[3])
                self._timestamp(t.strip(), daemon, date)
                continue
            d = self._segment_date(pc[2])
            if d is not False:
                seg.append(pc)
                dates.append(d)
                continue
            if seg:
                self._run(plan, buf, seg, dates)
                seg, dates = [], []
            self._prev = _Before(buf, pc[0])
            self._slow_counted(buf, pc[0], pc[1])
        if seg:
            self._run(plan, buf, seg, dates)
        self._prev = prev

    def _block_run(self, buf: bytes, pos: int, b: int) -> int:
        """After a line that opens a block, read the lines that follow one by one until one
        closes it (another time or daemon, or a recognised line)."""
        while pos < b and self._block is not None:
            le = buf.find(b"\n", pos, b)
            self._line(buf[pos:le], self._line_no_at(buf, pos))
            pos = le + 1
        return pos

    def _remember(self, key: Optional[bytes], verdict: Optional[Tuple[str, str]]) -> bool:
        """Keep a noise line's verdict for its text; True when the memory was full and is
        started again (the codes of texts are then gone too)."""
        if key is None or verdict is None:
            return False
        forgot = len(self._noise) >= MEMO_SIZE
        if forgot:
            self._noise.clear()
            self._forget()
        self._noise[key] = verdict
        self._codes[key] = _NOISE
        return forgot

    def _slow_counted(self, buf: bytes, s: int, e: int) -> None:
        self._slow(buf, s, e, self._line_no_at(buf, s) - 1)
        self._prev = _Before(buf, e)

    def _run(self, plan: _Plan, buf: bytes, pieces: List[_Piece], dates: List[Optional[str]]) -> None:
        """Phase 3: hour pieces of usage lines and noise read at once (one date each)."""
        S, E = pieces[0][0], pieces[-1][1]
        if len(pieces) == 1:
            keys, codes = pieces[0][3], pieces[0][4]
        else:
            keys = list(chain.from_iterable(pc[3] for pc in pieces))
            codes = b"".join(pc[4] for pc in pieces)
        hours: List[_Hour] = []
        k = 0
        for (s, _, hour, t, _, width), date in zip(pieces, dates):
            hours.append((date, hour, k, k + len(t), s, width))
            k += len(t)
        self._usage_counts(codes, keys, hours, buf, S, E, plan)

    def _segment_date(self, hour: int):
        """The date of every line of an hour piece; False when only some roll over to the next day."""
        if self._date is None:
            return None
        last = self._last_secs
        lo = hour * 3600
        if last < 0 or lo + 3600 >= last:
            return self._date_iso
        if lo + 3599 + 3600 < last:
            return self._next_iso
        return False

    def _forget(self) -> None:
        """Bound the memory of usage-line texts: start again (the features' codes stay)."""
        self._codes.clear()
        self._special.clear()

    def _learn(self, key: bytes, fresh: bool = True) -> Optional[int]:
        """The code of a usage line's text ("(daemon) OUT: ..."): a feature's plain OUT/IN/INACTIVE
        checkin/UNSUPPORTED line, or _SPECIAL for lines read with their details (DENIED, counts,
        reasons, verbose trailers). None when the text cannot be read in bulk, or (not ``fresh``:
        a line before it is read alone first) when it would make or change a feature."""
        j = key.find(b") ")
        try:
            daemon = key[1:j].decode("ascii")
            msg = key[j + 2:].decode("utf-8")
        except UnicodeDecodeError:
            return None  # read alone: the line-by-line reading decodes with replacement
        ev = parse_usage(msg.rstrip("\r"))
        if ev is None:
            return None
        harmless = ev.kind is EventKind.UNSUPPORTED and ev.feature in _PROBE_FEATURES
        if not fresh:
            known = self.usage.summary.features.get(ev.feature)
            if known is None or not known.daemon:
                return None
        feat = self.usage.feature(ev.feature, daemon)
        if not feat.daemon:
            feat.daemon = daemon
        variant = _variant(ev)
        code = _SPECIAL
        if variant is not None:
            slot = self._slots.get((daemon, feat.feature))
            if slot is None and len(self._slots) < _MAX_SLOTS:
                slot = self._slots[(daemon, feat.feature)] = len(self._slots)
                self._feat_slots.setdefault(feat, []).append(slot)
            if slot is not None:
                code = 4 * slot + variant
                if self._code_info[code] is None:
                    self._code_info[code] = _Hot(ev, daemon, feat, _STEP[code], "", harmless)

        if code == _SPECIAL:
            d = ev.count if ev.kind is EventKind.OUT else -ev.count if ev.kind is EventKind.IN else 0
            c = self._code_of(ev.reason) if ev.kind is EventKind.DENIED else ""
            self._special[key] = _Hot(ev, daemon, feat, d, c, harmless)
        self._codes[key] = code
        self._in_use.add(code)
        return code

    def _noise_counts(self, texts: List[bytes]) -> None:
        if not texts:
            return
        s, mk = self.summary, self.max_keys
        for key, c in Counter(texts).items():
            what, detail = self._noise.get(key) or _slog_verdict(key)
            if what:
                s.classified += c
                s.ignorable[what] = s.ignorable.get(what, 0) + c
                if detail:
                    _bump(s.daemons, detail, c, mk)
            else:
                s.unrecognised += c
                _bump(s.shapes, detail, c, MAX_SHAPES)

    def _usage_counts(self, codes: bytes, keys: List[bytes], hours: List[_Hour],
                      buf: bytes, S: int, E: int, plan: _Plan) -> None:
        """The tallies of a run's usage lines (counted by code; checkouts and denials also per
        hour), then their concurrency, day by day."""
        sm = self.summary
        info = self._code_info
        moves: Dict[FeatureUsage, Optional[Dict[bytes, int]]] = {}   # feature -> texts of its special lines
        denied = other = probes = 0
        specials: Dict[bytes, int] = {}
        cc = _code_counts(codes, self._in_use)
        noise = cc.get(_SLOG, 0) + cc.get(_NOISE, 0)
        if noise:
            self._noise_counts(list(compress(keys, codes.translate(_NOISE_MASK))))
        sm.classified += len(keys) - noise
        mask = b""
        for code, c in cc.items():
            if code == _SPECIAL:
                mask = codes.translate(_SPECIAL_MASK)
                specials = Counter(compress(keys, mask))
                d, o, p = self._tally_specials(specials, moves)
                denied, other, probes = denied + d, other + o, probes + p
                continue
            if code >= _SLOG:
                continue  # noise, counted above
            hc = info[code]
            assert hc is not None  # every code in use was given its meaning by _learn
            _, o, p = self._tally_one(hc, c)
            other, probes = other + o, probes + p
            if hc.delta and hc.feat not in moves:
                moves[hc.feat] = None
        self._place(cc, codes, keys, hours, specials, mask)
        if probes:
            sm.ignorable[HARMLESS_UNSUPPORTED] = sm.ignorable.get(HARMLESS_UNSUPPORTED, 0) + probes
        if denied:
            self._bulk_tally(sm.denied, denied, b") DENIED: ", buf, S, E, plan, None, hours)
        if other:
            self._bulk_tally(sm.unsupported_other_tally, other, b") UNSUPPORTED: ", buf, S, E, plan, False, hours)
        if sm.gone or self._part:
            self._served_again((cc, codes, keys, hours, buf, specials))
        for f, dm in moves.items():
            self._concurrency(f, dm, codes, keys, hours, (codes, keys, hours), E)

    def _place(self, cc: Dict[int, int], codes: bytes, keys: List[bytes], hours: List[_Hour],
               specials: Dict[bytes, int], mask: bytes) -> None:
        """Checkouts per hour of the day and per day, denials per day: plain checkouts counted by
        code per hour piece; special lines per piece when some are checkouts, else per day."""
        usage, info = self.usage, self._code_info
        placed = [(c, info[c]) for c in cc if c < 4 * _MAX_SLOTS and c % 4 == 0]
        for date, hour, k0, k1, _, _ in hours:
            part = codes[k0:k1]
            for c, hp in placed:
                n = part.count(c)
                if n and hp is not None:
                    usage.place(hp.ev, hp.feat, n, date, hour)
        if not specials:
            return
        by_hour = any(self._special[k].ev.kind is EventKind.OUT for k in specials)
        i = 0
        while i < len(hours):  # pieces of one date together (one hour each when by_hour)
            date, hour, k0 = hours[i][:3]
            i += 1
            while not by_hour and i < len(hours) and hours[i][0] == date:
                i += 1
            k1 = hours[i - 1][3]
            if mask.find(1, k0, k1) >= 0:
                for k, n in Counter(compress(keys[k0:k1], mask[k0:k1])).items():
                    h = self._special[k]
                    usage.place(h.ev, h.feat, n, date, hour)

    def _concurrency(self, f: FeatureUsage, dm: Optional[Dict[bytes, int]], codes: bytes, keys: List[bytes],
                     hours: List[_Hour], ctx: tuple, end: int) -> None:
        """One feature's open count through a run, day by day (usage.step() is the line-by-line
        meaning): its steps come from its codes (C: translate, accumulate), or from its texts
        when some of its lines are special; line by line only when a checkin finds nothing open."""
        slots = tuple(self._feat_slots.get(f, ()))
        slot = slots or None
        if dm is not None and slots:  # plain lines too: their texts give their steps
            dm = dict(dm)
            mask = frozenset(c for sl in slots for c in range(4 * sl, 4 * sl + 4))
            for k in set(compress(keys, map(mask.__contains__, codes))):
                dm[k] = _STEP[self._codes[k]]
        ops = self.usage.ops
        i = 0
        while i < len(hours):
            date, k0, i0 = hours[i][0], hours[i][2], i
            while i < len(hours) and hours[i][0] == date:
                i += 1
            k1 = hours[i - 1][3]
            seq: "array[int] | List[int]"
            if dm is None:  # signed bytes, +1 / -1, of this feature's steps only (C all through)
                seq = array("b", codes[k0:k1].translate(_STEP_BYTES, self._others(slot)))  # type: ignore[arg-type]
            else:
                seq = list(map(dm.get, keys[k0:k1], repeat(0)))
            if not any(seq):
                continue  # no checkout or checkin of it this day (the line-by-line reading's day stays)
            if ops is not None:  # part mode: this day's steps in order, and where their lines are
                steps = seq if dm is None else array("q", filter(None, seq))
                sums = list(accumulate(steps))
                top = max(sums)
                # Kept packed (a few bytes per thousand steps): unpacked only when a checkin finds
                # nothing open in the replay, so a child's memory hardly grows with its part.
                packed = (steps.typecode, zlib.compress(steps.tobytes(), 1))  # type: ignore[union-attr]
                ops.append((SEQ, f.feature, date, packed, self._at + hours[i0][4],
                            self._at + (hours[i][4] if i < len(hours) else end),
                            min(sums), top, sums.index(top), sums[-1]))
                continue
            f.enter_day(date)
            acc = list(accumulate(seq, initial=f.open))
            if min(acc) < 0:
                self._steps(f, seq, (k0, date, slot if dm is None else None) + ctx)
                continue
            top = max(acc)
            if top > f.day_peak:
                f.day_peak = top
                if top > f.peak:
                    f.peak = top
                    self._peak_at[f] = (top, acc.index(top) - 1, k0, date, slot if dm is None else None) + ctx
            f.open = acc[-1]

    def _tally_specials(self, specials: Dict[bytes, int],
                        moves: Dict[FeatureUsage, Optional[Dict[bytes, int]]]) -> Tuple[int, int, int]:
        """_tally_one of each special text, the daemon and DENIED tables' counts summed per key
        first (mostly DENIED lines, each text its own user: a table admits keys in the order
        they first appear either way)."""
        sm, count = self.summary, self.usage.count
        sums: Tuple[Dict[str, int], ...] = ({}, {}, {}, {})
        daemons, feats, users, codes = sums
        denied = other = probes = 0
        for k, n in specials.items():
            h = self._special[k]
            ev = h.ev
            daemons[h.daemon] = daemons.get(h.daemon, 0) + n
            if ev.kind is EventKind.DENIED:
                count(ev, h.feat, n)
                feats[ev.feature] = feats.get(ev.feature, 0) + n
                users[h.who] = users.get(h.who, 0) + n
                codes[h.code] = codes.get(h.code, 0) + n
                denied += n
            else:
                _, o, p = self._tally_one(h, n, daemon=False)
                other, probes = other + o, probes + p
            if h.delta:
                dm = moves.get(h.feat)
                if dm is None:
                    dm = moves[h.feat] = {}
                dm[k] = h.delta
        for table, sum_ in zip((sm.daemons, sm.denied_by_feature, sm.denied_by_user, sm.denied_by_code), sums):
            for key, n in sum_.items():
                _bump(table, key, n, self.max_keys)
        return denied, other, probes

    def _tally_one(self, h: _Hot, n: int, daemon: bool = True) -> Tuple[int, int, int]:
        """The totals of n lines meaning h: (denied, other unsupported, harmless probes) among them."""
        sm, mk = self.summary, self.max_keys
        ev = h.ev
        kind = ev.kind
        if daemon:
            _bump(sm.daemons, h.daemon, n, mk)
        self.usage.count(ev, h.feat, n)
        if kind is EventKind.OUT:
            sm.out_lines += n
        elif kind is EventKind.IN:
            sm.in_lines += n
        elif kind is EventKind.DENIED:
            _bump(sm.denied_by_feature, ev.feature, n, mk)
            _bump(sm.denied_by_user, h.who, n, mk)
            _bump(sm.denied_by_code, h.code, n, mk)
            return n, 0, 0
        elif kind is EventKind.UNSUPPORTED:
            if h.harmless:
                _bump(sm.unsupported_harmless, ev.feature, n, mk)
                return 0, 0, n
            _bump(sm.unsupported_other, ev.feature, n, mk)
            return 0, n, 0
        return 0, 0, 0

    def _others(self, slots: Tuple[int, ...]) -> bytes:
        """The codes to delete to keep only one feature's (a bytes.translate delete table)."""
        t = self._delete.get(slots)
        if t is None:
            t = self._delete[slots] = bytes(c for c in range(256)
                                            if c // 4 not in slots or c >= 4 * _MAX_SLOTS or not _STEP[c])
        return t

    def _steps(self, f: FeatureUsage, seq: "array[int] | List[int]", where: tuple) -> None:
        """One feature's checkouts and checkins of a day in order (usage.step() inlined)."""
        i = -1
        for d in seq:
            i += 1
            if not d:
                continue
            v = f.open + d
            if v > f.day_peak:
                f.day_peak = v
                if v > f.peak:
                    f.peak = v
                    self._peak_at[f] = (v, i) + where
            elif v < 0:
                f.unmatched -= v
                v = 0
            f.open = v

    def _resolve_peaks(self, plan: _Plan, buf: bytes) -> None:
        """When each new peak of the range was reached: only the last per feature is looked up,
        and only if no line read alone has raised the peak since."""
        for f, (v, i, k0, date, slot, codes, keys, hours) in self._peak_at.items():
            if f.peak != v:
                continue
            if slot is not None:  # i counts this feature's lines only: find its place among all
                i = next(islice((j for j, c in enumerate(codes[k0:]) if c // 4 in slot and _STEP[c]), i, None))
            f.peak_when = self._when_at(self._nth(hours, keys, k0 + i), buf, date)
        self._peak_at.clear()

    @staticmethod
    def _nth(hours: List[_Hour], keys: List[bytes], i: int) -> int:
        """Where the i-th line of a run starts: its hour piece's start and the lengths before it."""
        h = hours[bisect_right([x[2] for x in hours], i) - 1]
        return h[4] + sum(map(len, islice(keys, h[2], i))) + (i - h[2]) * h[5]

    @staticmethod
    def _when_at(ls: int, buf: bytes, date: Optional[str]) -> str:
        t = _pad(_TIME_AT.match(buf, ls).group().decode("ascii"))  # type: ignore[union-attr]
        return f"{date} {t}" if date else t

    def _usage_line_at(self, needle: bytes, buf: bytes, s: int, e: int, plan: _Plan, harmless: Optional[bool],
                       last: bool):
        """Starts of the usage lines of [s, e) with ``needle``, first to last (or last to first);
        Sigasi's probes are left out when ``harmless`` is False."""
        find = buf.rfind if last else buf.find
        lo, hi = s, e
        while True:
            h = find(needle, lo, hi)
            if h < 0:
                return
            ls = buf.rfind(b"\n", s, h) + 1 or s
            m = plan.line.match(buf, ls)
            # The needle must be the line's own kind, not text further on.
            kind = m is not None and h == m.start(1) + m.group(1).find(b") ")
            if kind:
                ok = True
                if harmless is not None:
                    ev = self._event_of(m.group(1))  # type: ignore[union-attr]
                    ok = ev is not None and (ev.kind is EventKind.UNSUPPORTED
                                             and ev.feature in _PROBE_FEATURES) == harmless
                if ok:
                    yield ls
            if last:  # the line before, or an earlier needle in this line
                hi = (ls - 1 if ls > s else s) if kind else h + len(needle) - 1
                if hi <= s:
                    return
            else:
                lo = buf.find(b"\n", h, e) + 1
                if lo <= 0:
                    return

    def _event_of(self, key: bytes) -> Optional[UsageEvent]:
        code = self._codes.get(key)
        if code is None:
            return None
        h = self._special.get(key) if code == _SPECIAL else self._code_info[code]
        return h.ev if h is not None else None

    def _bulk_tally(self, t: Tally, n: int, needle: bytes, buf: bytes, S: int, E: int, plan: _Plan,
                    harmless: Optional[bool], hours: List[_Hour]) -> None:
        """Tally n usage lines of a run: the first ones and the last one are found by position."""
        want = max(MAX_EXAMPLES - len(t.examples), 1 if t.first is None else 0)
        firsts = list(islice(self._usage_line_at(needle, buf, S, E, plan, harmless, False), want)) if want > 0 else []
        for ls in firsts:
            le = buf.find(b"\n", ls, E)
            when = self._when_at(ls, buf, _date_at(hours, ls))
            if t.first is None:
                t.first = when
                t.line_no = self._line_no_at(buf, ls)
            if len(t.examples) < MAX_EXAMPLES:
                t.examples.append(buf[ls:le].decode("utf-8", "replace").rstrip("\r\n").strip())
        t.count += n
        ls = next(self._usage_line_at(needle, buf, S, E, plan, harmless, True), None)
        if ls is not None:
            t.last = self._when_at(ls, buf, _date_at(hours, ls))

    def _line_no_at(self, buf: bytes, ls: int) -> int:
        """The line number of the line at ``ls`` while a range is walked, counting newlines
        from the last place asked about (the walk moves forward)."""
        p, no = self._cursor
        if ls < p:
            p, no = self._range_start, self._range_base
        no += buf.count(b"\n", p, ls)
        self._cursor = (ls, no)
        return no + 1

    def _first_checkouts(self, run: "_Run", wanted: Callable[[str], bool]) -> Dict[str, str]:
        """When each ``wanted`` feature was first checked out in a run: its plain checkouts found
        by their code (bytes.find), its special ones by their text; no line walked in Python."""
        cc, codes, keys, hours, buf, specials = run
        info = self._code_info
        first: Dict[str, int] = {}
        for c in cc:
            h = info[c] if c < 4 * _MAX_SLOTS and c % 4 == 0 else None
            if h is not None and wanted(h.ev.feature):
                i = codes.find(c)
                if 0 <= i < first.get(h.ev.feature, len(codes)):
                    first[h.ev.feature] = i
        for k in specials:
            ev = self._special[k].ev
            if ev.kind is EventKind.OUT and wanted(ev.feature):
                i = keys.index(k)
                if i < first.get(ev.feature, len(codes)):
                    first[ev.feature] = i
        out = {}
        for feat, i in first.items():
            ls = self._nth(hours, keys, i)
            out[feat] = self._when_at(ls, buf, _date_at(hours, ls))
        return out

    def _served_again(self, run: "_Run") -> None:
        """A feature gone earlier is served again at its first checkout after it went."""
        gone = self.summary.gone
        if any(g.served_again is None for g in gone.values()):
            def unserved(feat: str) -> bool:
                g = gone.get(feat)
                return g is not None and g.served_again is None
            for feat, when in self._first_checkouts(run, unserved).items():
                gone[feat].served_again = when
        if self._part:   # what would serve again a feature gone in an earlier part
            fo = self.first_out
            fo.update(self._first_checkouts(run, lambda f: f not in fo))

    # ================================================================= one line
    def _line(self, raw: bytes, line_no: int) -> Optional[Tuple[str, str]]:
        """Read one line (no newline). Returns what a memo may keep for its text (noise or an
        unrecognised line that needs no context), else None."""
        s = self.summary
        if self._timestamp_ok and b"TIMESTAMP" in raw:
            u = _TIMESTAMP_LINE.match(raw)
            if u is not None:
                t, daemon = u.group(1).decode("ascii").strip(), u.group(2).decode("utf-8", "replace")
                self._block = None
                self._prev = (t, daemon)
                self._timestamp(t, daemon, u.group(3).decode("ascii"))
                return None
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        pre = split_line(text)
        prev, here = self._prev, ((pre.time, pre.daemon) if pre else None)
        self._prev = here
        if isinstance(prev, _Before):
            indented = pre is not None and text[pre.msg_start:pre.msg_start + 1] in (" ", "\t")
            prev = prev.prefix() if indented else None
        if self._block is not None and here != self._block:
            self._block = None
        if pre is not None and pre.date:
            self._set_date_iso(pre.date)
        msg = text[pre.msg_start:] if pre else text
        if pre is not None and msg.lstrip()[:1] in ("O", "I", "D", "Q", "U"):
            ev = parse_usage(msg)
            if ev is not None:
                self._block = None
                self._usage_line(ev, pre, text, line_no)
                return None
        m = self.cat.classify(text) if text.strip() else None
        if self.since is not None and (m is None or m.entry.noise):
            # Noise takes no part in dating; --since still counts it only from its time on.
            full = self._when(pre.time, hot=True)[2] if pre is not None else None
            if full is None or full < self.since:
                s.skipped_before_since += 1
                return None
        if not text.strip():
            s.classified += 1
            s.ignorable[EMPTY_LINE] = s.ignorable.get(EMPTY_LINE, 0) + 1
            return None
        if m is None or m.entry.id in _USAGE_IDS:
            return self._unrecognised(msg, here, prev, pre)
        e = m.entry
        if e.noise:
            if _opens_block(e, msg) and here is not None:
                self._block = here
            s.classified += 1
            s.ignorable[e.id] = s.ignorable.get(e.id, 0) + 1
            if m.daemon:
                _bump(s.daemons, m.daemon, 1, self.max_keys)
            return None if self._block is not None else (e.id, m.daemon or "")
        self._block = here if here is not None and _opens_block(e, msg) else None
        self._entry(m, text, line_no)
        return None

    def _timestamp(self, t: str, daemon: str, date: str) -> None:
        """A TIMESTAMP line: what the catalogue's log.timestamp entry gives, without the catalogue."""
        self._set_date(date)
        full = self._when(t)[2]
        s = self.summary
        if self.since is not None and (full is None or full < self.since):
            s.skipped_before_since += 1
            return
        s.classified += 1
        _bump(s.daemons, daemon, 1, self.max_keys)
        s.ignorable["log.timestamp"] = s.ignorable.get("log.timestamp", 0) + 1

    def _unrecognised(self, msg: str, here, prev, pre: Optional[LinePrefix]) -> Optional[Tuple[str, str]]:
        s = self.summary
        if here is not None and (self._block == here or (msg[:1] in " \t" and prev == here)):
            s.classified += 1
            s.ignorable[CONTINUATION] = s.ignorable.get(CONTINUATION, 0) + 1
            return None
        shape = shape_of(f"({pre.daemon}) {msg}" if pre else msg)
        s.unrecognised += 1
        _bump(s.shapes, shape, 1, MAX_SHAPES)
        # Indented lines may continue the line before: only the others may be remembered.
        return None if msg[:1] in " \t" else ("", shape)

    def _usage_line(self, ev: UsageEvent, pre: LinePrefix, text: str, line_no: int) -> None:
        s = self.summary
        self._hot_read += 1
        date, when, full = self._when(pre.time, hot=True)
        if self.since is not None and (full is None or full < self.since):
            s.skipped_before_since += 1
            return
        s.classified += 1
        mk = self.max_keys
        _bump(s.daemons, pre.daemon, 1, mk)
        k = ev.kind
        if k is EventKind.OUT:
            s.out_lines += 1
            if self._part and ev.feature not in self.first_out:
                self.first_out[ev.feature] = when
            g = s.gone.get(ev.feature)
            if g is not None and g.served_again is None:
                g.served_again = when
        elif k is EventKind.IN:
            s.in_lines += 1
        elif k is EventKind.DENIED:
            s.denied.add(when, text.strip(), line_no)
            _bump(s.denied_by_feature, ev.feature, 1, mk)
            _bump(s.denied_by_user, f"{ev.user}@{ev.host}" if ev.host else ev.user, 1, mk)
            _bump(s.denied_by_code, self._code_of(ev.reason), 1, mk)
        elif k is EventKind.UNSUPPORTED:
            if ev.feature in _PROBE_FEATURES:
                _bump(s.unsupported_harmless, ev.feature, 1, mk)
                s.ignorable[HARMLESS_UNSUPPORTED] = s.ignorable.get(HARMLESS_UNSUPPORTED, 0) + 1
            else:
                _bump(s.unsupported_other, ev.feature, 1, mk)
                s.unsupported_other_tally.add(when, text.strip(), line_no)
        self.usage.add(ev, pre.daemon, date, pre.time)
        if self.on_usage is not None:
            iso = f"{date}T{_pad(pre.time)}" if date else _pad(pre.time)
            self.on_usage(UsageRecord(line_no, iso + (pre.tz if pre.date else ""), pre.daemon, ev))

    def _entry(self, m: CatalogueMatch, text: str, line_no: int) -> None:
        """A recognised line that is not noise: dates, start-ups, stops, exits, errors."""
        s = self.summary
        e = m.entry
        eid = e.id
        if eid == "log.timestamp":
            self._set_date(m.groups.get("date"))
        elif eid == "log.startup":
            self._set_date(m.groups.get("date"))
            if s.platform is None:
                low = text.lower()
                s.platform = ("windows" if "(ibm pc)" in low
                              else "unix" if "(linux)" in low or "_lsb" in text else None)
        elif eid == "log.system-time":
            g = m.groups
            d = _month_date(g.get("year", ""), g.get("month", ""), g.get("day", ""))
            if d:
                self._set_date_iso(d)
        _, when, full = self._when(m.time)
        if self.since is not None and (full is None or full < self.since):
            s.skipped_before_since += 1
            return
        mk = self.max_keys
        s.classified += 1
        if m.daemon:
            _bump(s.daemons, m.daemon, 1, mk)
        decoded = ""
        cause = e.cause
        if eid == "log.startup":
            s.startup_count += 1
            s.startups.append(StartUp(line_no, when, m.groups.get("version"), m.groups.get("host")))
            del s.startups[:-MAX_EVENTS]
            self.usage.restart(None, when)
            self._stopping, self._stop_by = False, ""
        elif eid == "log.server-started":
            self._to_startup(_st_served, m.daemon or "", when, line_no)
            self.usage.restart(m.daemon, when)
        elif cause is Cause.SHUTDOWN:
            self._stopping = True
            if eid == "log.shutdown-request":
                g = m.groups
                self._stop_by = (f"{g.get('user', '?')} at node {g.get('node', '?')}" if g.get("node")
                                 else g.get("user", ""))
                self._to_startup(_st_stop_requested, self._stop_by)
        elif cause is Cause.LMGRD_EXIT:
            decoded = self._lmgrd_exit(m, when, text, line_no)
        elif cause is Cause.DAEMON_EXIT and eid != "log.vendor-restarted":
            decoded = self._exit(m, when, text, line_no)
        elif cause in (Cause.FEATURE_EXPIRED, Cause.FEATURE_REMOVED):
            feat = m.groups.get("feature", "?")
            gf = s.gone.get(feat)
            how = "expired" if cause is Cause.FEATURE_EXPIRED else "removed"
            if gf is None or gf.served_again is not None:
                if len(s.gone) < MAX_KEYS or feat in s.gone:
                    s.gone[feat] = GoneFeature(feat, how, when, line_no, text.strip())
            elif how == "expired":
                gf.how = "expired"
        if e.fatal and not (cause is Cause.DAEMON_EXIT and self._stopping):
            self._to_startup(_st_fatal, e.title, decoded, cause is Cause.DAEMON_EXIT, when, line_no)
        if e.ignorable:
            s.ignorable[eid] = s.ignorable.get(eid, 0) + 1
        elif e.status in ("warn", "fail") and cause not in (Cause.DAEMON_EXIT, Cause.LMGRD_EXIT, Cause.FEATURE_EXPIRED,
                                                            Cause.FEATURE_REMOVED):
            s.errors.setdefault(eid, Tally()).add(when, text.strip(), line_no)
        if self.on_event is not None and (e.status in ("warn", "fail") or e.kind == "startup"
                                          and eid in ("log.startup", "log.server-started") or cause in
                                          (Cause.SHUTDOWN, Cause.LMGRD_EXIT)):
            self.on_event(LogEvent(line_no, when, m, decoded))

    def _to_startup(self, step: Callable[..., None], *args: object) -> None:
        """A step on the last start-up; in part mode before the part's own first one, recorded."""
        st = self.summary.last_startup
        if st is not None:
            step(st, *args)
        elif self._part:
            self.st_ops.append((step.__name__,) + args)

    def _lmgrd_exit(self, m: CatalogueMatch, when: Optional[str], text: str, line_no: int) -> str:
        s = self.summary
        try:
            sig = int(m.groups.get("signal") or "-1")
        except ValueError:
            return ""
        name, meaning, orderly = unix_signal(sig)
        by = self._stop_by if self._stopping else ""
        s.stops.append(Stop(line_no, when, sig, name, meaning, orderly, by, text.strip()))
        del s.stops[:-MAX_EVENTS]
        self._to_startup(_st_lmgrd_exit, orderly, by, name, meaning, when, line_no)
        return f"{name} ({meaning})"

    def _exit(self, m: CatalogueMatch, when: Optional[str], text: str, line_no: int) -> str:
        g = m.groups
        try:
            sig = int(g.get("signal") or g.get("status") or "-1")
            reason = int(g["reason"]) if g.get("reason") else None
        except ValueError:
            return ""
        if 0 <= sig < BELOW_EXIT_BASE and reason is None:
            name, meaning, orderly = unix_signal(sig)
            decoded = f"{name}: {meaning}"
            if self._stopping or orderly:
                self.summary.orderly_exits += 1
                return decoded
        else:
            decodes = decode_exit_signal(sig, reason, self.summary.platform)
            if self._part:
                self.platforms_used.add(self.summary.platform)
            if decodes:
                decoded = " / ".join(f"{d.reason_text} ({d.platform or '?'}: {sig} = {d.base} + {d.reason})"
                                     for d in decodes)
            else:
                decoded = f"unknown exit reason {sig}"
            if self._stopping and any(d.reason in (8, 14) for d in decodes):
                self.summary.orderly_exits += 1  # lmgrd asked it to exit, or it got lmgrd's signal
                return decoded
        # The vendor daemon's own EXITING line and lmgrd's "exited with status" report of it are one
        # fact: one tally per exit number and meaning, with lmgrd's words kept beside.
        key = f"{sig}: {decoded}"
        s = self.summary
        s.exits.setdefault(key, Tally()).add(when, text.strip(), line_no)
        if g.get("text") and key not in s.exit_words:
            s.exit_words[key] = g["text"]
        return decoded + (f"; lmgrd says \"{g['text']}\"" if g.get("text") else "")

    def _code_of(self, reason: str) -> str:
        code = self._code_cache.get(reason)
        if code is None:
            codes = find_error_codes(reason)
            code = _code_text(codes[0].major, codes[0].minor) if codes else "no code"
            if len(self._code_cache) < MAX_KEYS:
                self._code_cache[reason] = code
        return code

    # ================================================================= dates
    def _when(self, t: Optional[str], hot: bool = False) -> Tuple[Optional[str], Optional[str], Optional[_dt.datetime]]:
        """(date, "date time" or time, full datetime when --since needs it) of a line's time."""
        if not t:
            iso = self._date.isoformat() if self._date else None
            return iso, iso, None
        try:
            h, mi, se = int(t[:-6]), int(t[-5:-3]), int(t[-2:])
        except ValueError:
            return None, t, None
        secs = h * 3600 + mi * 60 + se
        date, iso = self._date, self._date_iso
        if date is not None and self._last_secs >= 0 and secs + 3600 < self._last_secs:
            # Time went backwards by more than an hour with no TIMESTAMP: a new day.
            date = date + _dt.timedelta(days=1)
            iso = date.isoformat()
            if not hot:
                self._date, self._date_iso = date, iso
                self._next_iso = (date + _dt.timedelta(days=1)).isoformat()
        if not hot:
            self._last_secs = secs
        if date is None:
            return None, f"{h:02d}:{mi:02d}:{se:02d}", None
        when = f"{iso} {h:02d}:{mi:02d}:{se:02d}"
        if self.since is None:
            return iso, when, None
        try:
            return iso, when, _dt.datetime.combine(date, _dt.time(h % 24, mi % 60, se % 60))
        except ValueError:
            return iso, when, None

    def _check_timestamp_shortcut(self) -> bool:
        e = self.cat.by_id.get("log.timestamp")
        if e is None or not e.ignorable or e.status in ("warn", "fail") or e.kind == "startup":
            return False
        for line in (" 9:04:05 (lmgrd) TIMESTAMP 12/31/2024", "10:04:05 (a.b-c) TIMESTAMP 1/2/24\r"):
            m = self.cat.classify(line.rstrip("\r\n"))
            u = _TIMESTAMP_LINE.match(line.encode())
            if m is None or m.entry is not e or u is None or m.groups != {"date": u.group(3).decode()} \
                    or m.time != u.group(1).decode().strip() or m.daemon != u.group(2).decode():
                return False
        return True

    def _check_slog_shortcut(self) -> bool:
        """Statistics lines ((@vendor-SLOG@), SLOG:) are each unique, so no memo finds them again:
        they are known as noise from their start, when the catalogue reads them so first."""
        for line in (" 9:04:05 (adskflex) (@adskflex-SLOG@) 32 ms at 10:12:02(4/1/2016),#2,(3512K)",
                     "10:04:05 (lmgrd) SLOG: Summary LOG statistics is enabled.",
                     " 9:04:05 (lmgrd) (@lmgrd-SLOG@) License file(s): /x EXITING DUE TO SIGNAL 41 Exit reason 9"):
            m = self.cat.classify(line)
            if m is None or m.entry.id != "log.slog" or not m.entry.noise:
                return False
        return True

    def _set_date(self, text: Optional[str]) -> None:
        text = text or ""
        if text in self._dates:
            d = self._dates[text]
        else:
            d = parse_mdy(text)
            if len(self._dates) >= 1000:
                self._dates.clear()
            self._dates[text] = d
        if d is not None:
            self._date_is(d)

    def _set_date_iso(self, iso: str) -> None:
        try:
            d = _dt.date.fromisoformat(iso)
        except ValueError:
            return
        if d != self._date:
            self._date_is(d)

    def _date_is(self, d: _dt.date) -> None:
        self._date = d
        self._date_iso = iso = d.isoformat()
        self._next_iso = (d + _dt.timedelta(days=1)).isoformat()
        self._last_secs = -1
        s = self.summary
        if s.first_date is None:
            s.first_date = iso
        s.last_date = iso


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), 1)}


def _month_date(year: str, month: str, day: str) -> Optional[str]:
    try:
        return _dt.date(int(year), _MONTHS[month[:3].lower()], int(day)).isoformat()
    except (KeyError, ValueError):
        return None


# ===================================================================== reading whole files
def scan_stream(fh, cancel: CancelToken = NEVER_CANCELLED, on_progress: Optional[ProgressCallback] = None,
                since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None,
                total: Optional[int] = None, path: str = "", scanner: Optional[LogScanner] = None,
                on_usage: Optional[UsageCallback] = None) -> LogSummary:
    """Scan a binary stream to its end. ``cancel`` is checked between blocks (raises Cancelled)."""
    sc = scanner or LogScanner(since=since, on_event=on_event, path=path, on_usage=on_usage)
    if total is not None:
        from .logparts import scan_in_parts  # a big regular file: one process per core

        if scan_in_parts(fh, sc, total, cancel, on_progress):
            return sc.finish()
    read = fh.read
    while True:
        cancel.check()
        data = read(BLOCK)
        if not data:
            break
        sc.feed(data)
        if on_progress is not None:
            on_progress(sc.summary.bytes_read, total)
    return sc.finish()


def scan_file(path: str, cancel: CancelToken = NEVER_CANCELLED, on_progress: Optional[ProgressCallback] = None,
              since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None,
              on_usage: Optional[UsageCallback] = None) -> LogSummary:
    """Scan a log file (raises OSError when it cannot be opened, Cancelled when cancelled)."""
    with open(path, "rb") as fh:
        try:
            total: Optional[int] = os.fstat(fh.fileno()).st_size
        except OSError:
            total = None
        return scan_stream(fh, cancel, on_progress, since, on_event, total, path, on_usage=on_usage)


def follow_file(path: str, cancel: CancelToken, on_event: Optional[EventCallback] = None,
                since: Optional[_dt.datetime] = None, poll: float = 0.5,
                on_progress: Optional[ProgressCallback] = None, from_end: bool = False,
                on_usage: Optional[UsageCallback] = None, scanner: Optional[LogScanner] = None) -> LogSummary:
    """Like ``tail -f``: scan what is there, then keep reading appended data until cancelled.

    A truncated or replaced file (log rotation) is reopened from its start. The scanner's
    ``summary`` (and its ``usage``) can be read at any time from another thread for a live view.
    """
    sc = scanner or LogScanner(since=since, on_event=on_event, path=path, on_usage=on_usage)
    fh = open(path, "rb")
    try:
        if from_end:
            fh.seek(0, os.SEEK_END)
        ino = os.fstat(fh.fileno()).st_ino
        while not cancel.cancelled:
            data = fh.read(BLOCK)
            if data:
                sc.feed(data)
                if on_progress is not None:
                    on_progress(sc.summary.bytes_read, None)
                continue
            try:
                st = os.stat(path)
                if st.st_ino != ino or st.st_size < fh.tell():
                    fh.close()
                    fh = open(path, "rb")
                    ino = os.fstat(fh.fileno()).st_ino
                    continue
            except OSError:
                pass  # the file is being rotated: look again after the poll interval
            if cancel.wait(poll):
                break
    finally:
        fh.close()
    return sc.finish()


# ===================================================================== findings
def _top(d: Dict[str, int], n: int = 10) -> List[str]:
    return [f"{k}: {v}" for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _span(t: Tally) -> str:
    if t.first and t.last and t.first != t.last:
        return f"first {t.first}, last {t.last}"
    return f"at {t.first}" if t.first else "time unknown"


def _after_last_start(s: LogSummary, line_no: Optional[int]) -> bool:
    st = s.last_startup
    return st is None or (line_no or 0) >= st.line_no


def summary_findings(s: LogSummary) -> List[Finding]:
    cat = load_catalogue()
    out: List[Finding] = []
    f = s.path or None
    dates = f"{s.first_date} .. {s.last_date}" if s.first_date else "dates unknown (no TIMESTAMP line)"
    detail = (f"{s.lines:,} lines, {s.bytes_read:,} bytes, {dates}. {s.out_lines:,} checkouts (OUT), "
              f"{s.in_lines:,} checkins (IN); {s.classified:,} lines recognised ({100 * s.recognised_share:.1f}%).")
    if s.cut_lines:
        detail += f" {s.cut_lines} over-long line(s) were cut at {MAX_LINE // 1024} KB."
    if s.since:
        detail += f" Only lines from {s.since} on are counted ({s.skipped_before_since:,} lines before it)."
    title = f"Debug log read: {s.lines:,} lines, {100 * s.recognised_share:.1f}% recognised"
    out.append(Finding("log.summary", Status.INFO, title, detail, file=f))
    if s.lines == 0:
        out.append(Finding("log.empty", Status.WARN, "The log is empty",
                           "No lines at all: lmgrd has not written to it, or this is the wrong file.",
                           fix="Check the -l path lmgrd was started with (lmtools 'Config Services' on Windows).",
                           file=f))
        return out
    out.extend(_startup_findings(s, f))
    out.extend(_exit_findings(s, f))
    out.extend(_gone_findings(s, f))
    out.extend(_error_findings(s, f, cat))
    if s.denied.count:
        per_day = "; ".join(f"{d}: {n}" for d, n in sorted(s.usage.denied_days.items())[-14:])
        d = (f"{s.denied.count} denied request(s), {_span(s.denied)}."
             + "\nBy feature: " + "; ".join(_top(s.denied_by_feature))
             + "\nBy user: " + "; ".join(_top(s.denied_by_user)) + "\nBy code: " + "; ".join(_top(s.denied_by_code))
             + (f"\nPer day: {per_day}" if per_day else ""))
        out.append(Finding("log.denied", Status.WARN, f"{s.denied.count} license request(s) denied", d,
                           fix=cat.by_id["log.denied"].fix, evidence=s.denied.examples, file=f, line=s.denied.line_no))
    if s.unsupported_other:
        t = s.unsupported_other_tally
        out.append(Finding("log.unsupported", Status.WARN,
                           f"{t.count} request(s) for features this server does not serve",
                           "By feature: " + "; ".join(_top(s.unsupported_other)) + f"\n{_span(t)}.",
                           fix=cat.by_id["log.unsupported"].fix, evidence=t.examples, file=f, line=t.line_no))
    if s.unsupported_harmless:
        n = sum(s.unsupported_harmless.values())
        out.append(Finding("log.unsupported-sigasi-probe", Status.INFO,
                           f"{n} harmless UNSUPPORTED line(s) for Sigasi's probe features",
                           "By feature: " + "; ".join(_top(s.unsupported_harmless))
                           + "\nSigasi Studio pre-emptively tries com.sigasi.hdt.custom and com.sigasi.hdt.preview.",
                           fix="Nothing to do: these lines can be safely ignored.", file=f,
                           seed_ref="Troubleshooting > Floating licenses"))
    u = usage_finding(s.usage, f)
    if u is not None:
        out.append(u)
    if s.ignorable:
        out.append(Finding("log.ignorable", Status.INFO,
                           f"{sum(s.ignorable.values()):,} ignorable line(s) counted apart",
                           "; ".join(f"{_ignorable_title(cat, k)}: {v:,}"
                                     for k, v in sorted(s.ignorable.items(), key=lambda kv: (-kv[1], kv[0]))), file=f))
    if s.unrecognised:
        shapes = [f"{n:,}x {shape}" for shape, n in s.top_shapes(5)]
        top = "; ".join(f"{shape[:40]} ({n:,})" for shape, n in s.top_shapes(3))
        out.append(Finding("log.unrecognised", Status.INFO,
                           f"{s.unrecognised:,} line(s) lmdoctor does not recognise "
                           f"({100 * (1 - s.recognised_share):.1f}% of the log): {top}",
                           "The most common shapes (numbers shown as N) are listed below; they were counted, "
                           "not interpreted. An unknown ERROR/WARNING line is reported as an error, not here.",
                           evidence=shapes, file=f))
    return out


def _ignorable_title(cat: Catalogue, eid: str) -> str:
    e = cat.by_id.get(eid)
    return e.title if e is not None else SHAPE_TITLES.get(eid, eid)


def _startup_findings(s: LogSummary, f: Optional[str]) -> List[Finding]:
    out: List[Finding] = []
    st = s.last_startup
    if st is None:
        out.append(Finding("log.startup", Status.INFO, "No lmgrd start-up in this log",
                           "The log does not contain a 'FlexNet Licensing ... started on' line (it may have "
                           "been rotated or started with + to append).", file=f))
    else:
        last_stop = s.stops[-1] if s.stops and s.stops[-1].line_no >= st.line_no else None
        status = {Outcome.SERVING: Status.OK, Outcome.FAILED: Status.FAIL, Outcome.EXITED: Status.FAIL,
                  Outcome.STOPPED: Status.INFO}.get(st.outcome, Status.WARN)
        if st.outcome is Outcome.KILLED and last_stop is not None:
            status = Status.WARN if last_stop.signal == 1 else Status.FAIL
        title = {Outcome.SERVING: "Last start-up succeeded: the vendor daemon is serving",
                 Outcome.FAILED: "Last start-up failed",
                 Outcome.EXITED: "Last start-up served, then the vendor daemon exited",
                 Outcome.STOPPED: "lmgrd was stopped on purpose",
                 Outcome.KILLED: "lmgrd stopped without being asked to"}.get(
            st.outcome, "Last start-up: no 'Server started' line after it")
        if last_stop is not None:
            who = f"by {last_stop.requested_by}" if last_stop.requested_by else f"by {last_stop.name}"
            if st.outcome is Outcome.STOPPED:
                title = f"lmgrd was stopped {who} at {last_stop.when or '?'}"
            else:
                title = f"lmgrd died from {last_stop.name} at {last_stop.when or '?'}"
        d = f"lmgrd {st.version or ''} started on {st.host or '?'} at {st.when or '?'}. {st.detail}".strip()
        if last_stop is not None:
            d += (f"\nlmgrd's exit is a Unix signal, not a vendor exit code: {last_stop.signal} = {last_stop.name}, "
                  f"{last_stop.meaning}.")
        fix = {Outcome.SERVING: "",
               Outcome.STOPPED: "Nothing to do if the stop was intended; start lmgrd again to serve."}
        fx = fix.get(st.outcome, "See the exit and error findings below for the cause and its fix.")
        if st.outcome is Outcome.KILLED and last_stop is not None and last_stop.signal == 1:
            fx = ("Start lmgrd detached from the terminal (nohup, or as a systemd/Windows service) so that closing "
                  "the session does not stop it.")
        out.append(Finding("log.startup", status, title, d, fix=fx, file=f, line=st.line_no,
                           evidence=[last_stop.text] if last_stop is not None else ()))
    if s.startup_count > 1:
        ev = [f"line {x.line_no}: {x.when or '?'} {x.outcome.value}" for x in s.startups[-20:]]
        out.append(Finding("log.restarts", Status.WARN if s.startup_count > 3 else Status.INFO,
                           f"lmgrd started {s.startup_count} times ({s.startup_count - 1} restart(s))",
                           "Each start-up line is a (re)start of lmgrd; frequent restarts point to a crash, "
                           "a service manager restarting it, or an admin.", evidence=ev, file=f))
    older = [x for x in s.stops if st is None or x.line_no < st.line_no]
    if older:
        bad = [x for x in older if not x.orderly]
        ev = [f"line {x.line_no}: {x.when or '?'} {x.name}" + (f" (requested by {x.requested_by})" if x.requested_by
                                                                  else "") for x in older[-20:]]
        out.append(Finding("log.stops", Status.WARN if bad else Status.INFO,
                           f"lmgrd stopped {len(older)} time(s) before the last start-up"
                           + (f", {len(bad)} without being asked to" if bad else ""),
                           "lmgrd's own exit number is a Unix signal: 15 (SIGTERM) is lmdown or a service stop; "
                           "1 (SIGHUP) a closed terminal; 9 (SIGKILL) a forced kill; 11/6 a crash.",
                           evidence=ev, file=f))
    return out


def _exit_findings(s: LogSummary, f: Optional[str]) -> List[Finding]:
    out: List[Finding] = []
    st = s.last_startup
    for key, t in s.exits.items():
        sig, _, decoded = key.partition(": ")
        words = s.exit_words.get(key)
        # An exit the daemon recovered from (a later start-up or lmgrd's restart served) is history.
        recovered = st is not None and st.outcome is Outcome.SERVING and (t.line_no or 0) < st.served_line \
            and all(ln < st.served_line for ln in [t.line_no or 0])
        status = Status.WARN if recovered else Status.FAIL
        detail = f"Seen {t.count} line(s), {_span(t)}." + (f' lmgrd\'s own words: "{words}".' if words else "")
        if recovered:
            detail += " The vendor daemon served again afterwards."
        title = f"Vendor daemon exit {sig}: {decoded}" + (f' ("{words}")' if words else "")
        out.append(Finding("log.exit", status, title, detail, fix=_exit_fix(key), evidence=t.examples, file=f,
                           line=t.line_no, seed_ref="Troubleshooting > Typical error messages"))
    return out


def _gone_findings(s: LogSummary, f: Optional[str]) -> List[Finding]:
    out: List[Finding] = []
    for how, status, title in (("expired", Status.FAIL, "expired while the server ran"),
                               ("removed", Status.WARN, "no longer served after a license re-read")):
        gone = [g for g in s.gone.values() if g.how == how]
        still = [g for g in gone if g.served_again is None]
        back = [g for g in gone if g.served_again is not None]
        if still:
            names = ", ".join(g.feature for g in still[:10])
            if len(still) > 10:
                names += f" and {len(still) - 10} more"
            out.append(Finding(
                f"log.feature-{how}", status, f"{len(still)} feature(s) {title}: {names}",
                "The server serves fewer features than it started with, even though it kept running:\n"
                + "\n".join(f"{g.feature}: {how} at {g.when or '?'} (line {g.line_no})" for g in still[:20]),
                fix=("Install a renewed license containing the feature(s), then `lmutil lmreread -c <port>@<server>`."
                     if how == "expired" else
                     "If users still need them, put a license with these features on the server and run "
                     "`lmutil lmreread`."),
                evidence=[g.text for g in still[:MAX_EXAMPLES]], file=f, line=still[0].line_no))
        if back:
            out.append(Finding(
                f"log.feature-{how}-recovered", Status.INFO,
                f"{len(back)} feature(s) {title}, served again later",
                "\n".join(f"{g.feature}: {how} at {g.when or '?'}, checked out again at {g.served_again}"
                          for g in back[:20]), file=f, line=back[0].line_no))
    return out


def _error_findings(s: LogSummary, f: Optional[str], cat: Catalogue) -> List[Finding]:
    """One finding per cause (one fact, all its evidence); lines without a cause one per entry."""
    groups: Dict[str, List[Tuple[CatalogueEntry, Tally]]] = {}
    for eid, t in s.errors.items():
        e = cat.by_id[eid]
        key = e.id if e.cause is Cause.NONE else cat.primary_id[e.cause]
        groups.setdefault(key, []).append((e, t))
    out: List[Finding] = []
    for key, items in groups.items():
        items.sort(key=lambda it: it[1].line_no or 0)
        e0, t0 = items[0]
        status = max((Status(e.status) for e, _ in items), key=lambda st: st.rank)
        count = sum(t.count for _, t in items)
        first = min((t.first for _, t in items if t.first), default=None)
        last = max((t.last for _, t in items if t.last), default=None)
        when = f"first {first}, last {last}" if first and last and first != last else (f"at {first}" if first else
                                                                                      "time unknown")
        evidence: List[str] = []
        for _, t in items:
            evidence.extend(t.examples[:MAX_EXAMPLES])
        fid = key
        if fid.startswith("msg."):
            fid = "log." + fid
        title = e0.title + (f" ({count}x)" if count > 1 else "")
        if e0.cause is Cause.UNKNOWN_ERROR and t0.examples:  # say which: the line is all there is
            msg = t0.examples[0]
            j = msg.upper().find("ERROR:") if "ERROR:" in msg.upper() else msg.upper().find("WARNING:")
            title += ": " + (msg[j:] if j >= 0 else msg)[:100]
        meaning = e0.meaning
        if len(items) > 1:
            meaning += "\nThe same cause in other words: " + "; ".join(e.title for e, _ in items[1:])
        out.append(Finding(fid, status, title, f"{meaning}\nSeen {count} time(s), {when}.", fix=e0.fix,
                           evidence=evidence[:12], file=f, line=t0.line_no, seed_ref=e0.seed_ref or None))
    return out


def usage_finding(u: UsageSummary, f: Optional[str] = None) -> Optional[Finding]:
    """The usage summary as one finding (the full tables are in ``--format json`` and the text report)."""
    if not u.events and not any(x.issued for x in u.features.values()):
        return None
    ranked = u.ranked()
    lines = []
    for x in ranked[:10]:
        issued = f" of {x.issued}" if x.issued is not None else ""
        when = f" at {x.peak_when}" if x.peak_when else ""
        lines.append(f"{x.feature}: peak {x.peak}{issued}{when}; {x.checkouts:,} checkout(s)"
                     + (f", {x.denied:,} denied" if x.denied else ""))
    if len(ranked) > 10:
        lines.append(f"... and {len(ranked) - 10} more feature(s)")
    hours = u.busiest_hours()
    total = sum(u.hours) or 1
    if hours:
        lines.append("Busiest hours (checkouts): " + ", ".join(f"{h:02d}-{(h + 1) % 24:02d} {100 * c // total}%"
                                                              for h, c in hours))
    unmatched = sum(x.unmatched for x in u.features.values())
    if unmatched:
        lines.append(f"{unmatched:,} license(s) checked in that the log never saw checked out (taken before the log "
                     "began): peaks may be higher than shown.")
    top = ranked[0] if ranked else None
    title = f"License usage: {len(u.features)} feature(s), {u.checkouts:,} checkout(s)"
    if top is not None and top.peak:
        title += f"; peak {top.peak}" + (f" of {top.issued}" if top.issued is not None else "") + f" for {top.feature}"
    return Finding("log.usage", Status.INFO, title, "\n".join(lines), file=f)


def _exit_fix(key: str) -> str:
    from ..errors import EXIT_FIX, EXIT_REASONS

    fixes = [EXIT_FIX[k] for k, txt in EXIT_REASONS.items() if txt in key and k in EXIT_FIX]
    return "\n".join(fixes) or "Read the lines just before the exit in the log for the cause."


def describe_event(ev: LogEvent) -> str:
    """One line for a followed event: time, status, title, decoded reason."""
    m = ev.match
    s = f"{ev.when or '?'}  {m.entry.status.upper():4}  {m.entry.title}"
    if ev.decoded:
        s += f": {ev.decoded}"
    return s + f"  [line {ev.line_no}]"
