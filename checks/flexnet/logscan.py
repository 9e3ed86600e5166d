"""The debug-log analyser: one pass over an lmgrd/vendor-daemon log in constant memory.

Customers send logs of gigabytes, so the file is read in 16 MB blocks, bulk-counted about
1 MB at a time, and the lines that make up almost all of a busy log never become Python
objects:

* "usage" lines of a vendor daemon that was seen before (``hh:mm:ss (sigasi) OUT: "...``,
  ``IN``, Sigasi's harmless ``UNSUPPORTED`` probes) are counted per daemon and kind with
  ``bytes.count``;
* one compiled regex, run with ``finditer``, finds every *other* line; each of those is
  classified one by one (a line seen before that the catalogue does not know, such as
  ``(@sigasi-SLOG@)`` statistics, is skipped through a small memo);
* DENIED lines (unless events are wanted) are found with ``bytes.find``, parsed by a compiled
  pattern mapped over them in C, and tallied with ``Counter``.

The bulk counts are trusted only when they add up: every line is either one found by the
regex or a usage line with exactly one usage needle in it. When they do not add up (odd
lines made to fool the counts) the DENIED lines are checked one by one, and if that does
not settle it either, the piece is classified line by line.
Either way the result is the one a plain line-by-line reading gives (``_line`` is that
reading; the tests compare the two on generated logs cut at random places).

Dates: a line carries only ``hh:mm:ss``; the date comes from ``TIMESTAMP m/d/yyyy`` lines
and from the start-up line ``(m/d/yyyy)``. Between them, a time more than an hour earlier
than the previous dated line's means the day changed (lmgrd writes a TIMESTAMP only every
few hours). The usage lines (OUT, IN, DENIED, Sigasi's probes) are dated the same way but
do not move the day forward themselves: they are counted in bulk, and every other line
still takes part.
"""
from __future__ import annotations

import datetime as _dt
import operator
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import Any, Callable, Dict, List, Optional, Tuple, cast

from ..errors import decode_exit_signal, find_error_codes
from ..findings import Finding, Status
from ..license.dates import parse_mdy
from ..runtime import NEVER_CANCELLED, CancelToken
from .catalogue import Catalogue, CatalogueMatch, load_catalogue

BLOCK = 16 * 1024 * 1024
MAX_LINE = 64 * 1024          # longer lines are cut: constant memory on a file with no newline
MAX_KEYS = 5000               # distinct features/users kept per table; the rest go to "(other)"
MAX_EXAMPLES = 5
MAX_EVENTS = 50
MAX_DAEMONS = 4               # vendor daemons whose usage lines are counted in bulk
MEMO_SIZE = 4096              # unrecognised lines remembered (without their time)
SAMPLE = 256 * 1024           # bytes looked at to learn which daemons write usage lines
SUB_RANGE = 1 << 20           # bytes bulk-counted at a time
HARMLESS_UNSUPPORTED = "log.unsupported-sigasi-probe"
# Usage lines: counted in bulk on the fast path, so they never move the date forward.
HOT_IDS = frozenset({"log.out", "log.in", "log.denied", HARMLESS_UNSUPPORTED})
_FAIL_BEFORE_SERVING = {"log.port-open-failed", "log.not-valid-server-hostname", "log.no-server-lines",
                        "log.conflicting-ports", "log.no-valid-hostids", "log.wrong-hostid",
                        "log.exit-signal", "log.vendor-exited", "log.multiple-servers", "log.invalid-hostid"}
_EXIT_IDS = {"log.exit-signal", "log.vendor-exited"}
_PROBE_FEATURES = ("com.sigasi.hdt.custom", "com.sigasi.hdt.preview")

# "hh:mm:ss (daemon) OUT: "..." is a checkout whatever follows (a line cut short is still one).
_USAGE_LINE = re.compile(rb'([ \d]?\d:\d\d:\d\d) \(([^()\s]{1,64})\) (OUT|IN): "')
# A TIMESTAMP line as lmgrd writes it (every few hours, from every daemon): read without the
# catalogue when the catalogue reads it the same way (checked when a scanner is made).
_TIMESTAMP_LINE = re.compile(rb'([ \d]?\d:\d\d:\d\d) \(([^()\s]{1,64})\) TIMESTAMP (\d{1,2}/\d{1,2}/\d{2,4})\r*\Z')
# Daemons whose usage lines may be counted in bulk: names that need no escaping anywhere.
_GOOD_DAEMON = re.compile(rb"[A-Za-z0-9_.\-]{1,64}\Z")
_SAMPLE_HOT = re.compile(rb'\n([ \d]?)\d:\d\d:\d\d \(([A-Za-z0-9_.\-]{1,64})\) (?:OUT|IN|DENIED|UNSUPPORTED): "')
# A DENIED line read from its "(daemon) " on, with the catalogue's groups: feature, user@host,
# reason. Only printable ASCII and tabs, so that bytes and str regex semantics (\s, \S) cannot
# differ; the empty alternative matches the other DENIED lines too (user@host then empty), so
# that every DENIED needle is seen.
_DENIED_GROUPS = rb'DENIED: "(?:([\t !#-~]*)" ([!-?A-~]*@[!-~]+)(?:[ \t]+\(([\t -~]*)\))?[\t -~]*\r*\n|)'
# The time before "(daemon)"; [0-9] rather than \d: the regex engine tests it as a bitmap.
_PREFIX = rb'[ 0-9]?[0-9]:[0-9][0-9]:[0-9][0-9] '
# FlexNet pads hours to two characters: a fixed width is cheaper for the regex engine.
_PADDED = rb'[ 0-9][0-9]:[0-9][0-9]:[0-9][0-9] '
# The rest of a line after its time, for the memo of unrecognised lines.
_MEMO_TAIL = rb'(?:' + _PREFIX + rb'(\([^()\s]{1,64}\) [^\n]*))?'

_USERHOST = operator.itemgetter(-2)
_GROUP1 = operator.methodcaller("group", 1)
_GROUPS = operator.methodcaller("groups")
# _Plan.denied_rx.match at a DENIED needle: its last alternative is empty, so it always matches there.
_MatchAt = Callable[[bytes, int], "re.Match[bytes]"]

ProgressCallback = Callable[[int, Optional[int]], None]  # (bytes read, total bytes or None)
EventCallback = Callable[["LogEvent"], None]


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
    """A line worth showing while following a log (start-ups, exits, warnings, failures)."""

    line_no: int
    when: Optional[str]
    match: CatalogueMatch
    decoded: str = ""


@dataclass
class StartUp:
    line_no: int
    when: Optional[str]
    version: Optional[str]
    host: Optional[str]
    outcome: str = "unknown"  # serving | failed | exited | unknown
    detail: str = ""


@dataclass
class LogSummary:
    path: str = ""
    bytes_read: int = 0
    lines: int = 0
    classified: int = 0
    first_date: Optional[str] = None
    last_date: Optional[str] = None
    out_lines: int = 0
    in_lines: int = 0
    startups: List[StartUp] = field(default_factory=list)
    startup_count: int = 0
    exits: Dict[str, Tally] = field(default_factory=dict)       # decoded reason -> tally
    errors: Dict[str, Tally] = field(default_factory=dict)      # catalogue id -> tally
    ignorable: Dict[str, int] = field(default_factory=dict)     # catalogue id -> count
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

    @property
    def last_startup(self) -> Optional[StartUp]:
        return self.startups[-1] if self.startups else None


def _bump(d: Dict[str, int], key: str, n: int = 1, limit: int = MAX_KEYS) -> None:
    if key in d or len(d) < limit:
        d[key] = d.get(key, 0) + n
    else:
        d["(other)"] = d.get("(other)", 0) + n




def _parse_mdy(s: str) -> Optional[_dt.date]:
    return parse_mdy(s)


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
    """The compiled bulk-counting machinery for one set of vendor daemons."""

    def __init__(self, daemons: Tuple[bytes, ...], denied: bool, padded: bool):
        self.daemons = daemons
        self.denied = denied
        names = b"|".join(re.escape(d) for d in daemons)
        kinds = [rb'OUT: "', rb'IN: "', rb'UNSUPPORTED: "com\.sigasi\.hdt\.(?:custom|preview)"']
        if denied:
            kinds.append(rb'DENIED: "')
        # Usage lines whose time has another width are found as other lines (read one by one).
        hot = (_PADDED if padded else _PREFIX) + rb'\((?:' + names + rb')\) (?:' + b"|".join(kinds) + rb')'
        # Every line that is not a bulk-counted usage line; group 1 is the line after its time.
        self.cold = re.compile(rb'\n(?!' + hot + rb')' + _MEMO_TAIL)
        self.first = re.compile(rb'(?!' + hot + rb')' + _MEMO_TAIL)
        # (daemon index, kind, needle); kinds: 0 OUT, 1 IN, 2 and 3 the two probes
        self.needles: List[Tuple[int, int, bytes]] = []
        for i, d in enumerate(daemons):
            for k, lit in enumerate((b'OUT: "', b'IN: "', b'UNSUPPORTED: "com.sigasi.hdt.custom"',
                                     b'UNSUPPORTED: "com.sigasi.hdt.preview"')):
                self.needles.append((i, k, b"(" + d + b") " + lit))
        self.denied_needles = [b"(" + d + b') DENIED: "' for d in daemons]
        # Run at a needle: (daemon,) feature, user@host, reason, as the catalogue reads them.
        grp = rb"\((" + names + rb")\) " if len(daemons) > 1 else rb"\((?:" + names + rb")\) "
        self.denied_rx = re.compile(grp + _DENIED_GROUPS)


class LogScanner:
    """Feed bytes in any pieces; read ``summary`` at any time (``finish()`` flushes the last line)."""

    def __init__(self, since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None,
                 catalogue: Optional[Catalogue] = None, path: str = "", max_line: int = MAX_LINE,
                 max_keys: int = MAX_KEYS):
        self.cat = catalogue or load_catalogue()
        self.summary = LogSummary(path=path, since=since.isoformat(sep=" ") if since else None)
        self.since = since
        self.on_event = on_event
        self.max_line = max(1, max_line)
        self.max_keys = max_keys
        self._carry = bytearray()
        self._cutting = False  # inside an over-long line: drop bytes until the next newline
        self._line_no = 0
        self._date: Optional[_dt.date] = None
        self._date_iso = ""
        self._code_cache: Dict[str, str] = {}
        self._last_secs = -1
        # Bulk counting: only without --since (every line must then be dated and compared).
        self._bulk = since is None
        self._daemons: List[bytes] = []
        self._plans: Dict[Tuple[Tuple[bytes, ...], bool, bool], _Plan] = {}
        self._memo: set = set()
        # Bulk DENIED features, users (bytes) and reasons (bytes, or None when the line has none).
        self._pend: Tuple[Counter[Any], Counter[Any], Counter[Any]] = (Counter(), Counter(), Counter())
        self._resample = True   # look for daemons writing usage lines in the next range
        self._padded = False    # their times all have two-character hours
        self._hot_read = 0      # usage lines read one by one (e.g. from a daemon not yet known)
        # Unrecognised lines are remembered without their time only when no anchor could be
        # indexed by a word of digits (the time's words); true of the packaged catalogue.
        self._memo_ok = not any(w.isdigit() for w in getattr(self.cat, "_words", ())) and not any(
            c.isdigit() for e in self.cat.entries for c in e.anchor)
        self._dates: Dict[str, Optional[_dt.date]] = {}
        self._timestamp_ok = self._check_timestamp_shortcut()

    # ----------------------------------------------------------------- input
    def feed(self, data: bytes) -> None:
        if not data:
            return
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
        if self._pend[0]:
            self._flush_denied()

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
        if self._pend[0]:
            self._flush_denied()
        return self.summary

    # ----------------------------------------------------------------- blocks
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
        """Whole lines buf[a:b], none longer than max_line."""
        while b - a > SUB_RANGE:
            # A piece at a time: measured a little cheaper than whole blocks (the passes over
            # it stay in the CPU cache), and the lists of lines read one by one stay short.
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
        n = self._fast(buf, a, b) if self._bulk else -1
        if n < 0:
            n = self._slow(buf, a, b)
        self.summary.lines += n
        self._line_no += n
        if self._hot_read - hot_read > 64 + n // 100:
            self._resample = True  # many usage lines were read one by one: another daemon?

    def _slow(self, buf: bytes, a: int, b: int) -> int:
        line_no, line = self._line_no, self._line
        for raw in buf[a:b - 1].split(b"\n"):
            line_no += 1
            line(raw, line_no)
        return line_no - self._line_no

    def _plan(self, buf: bytes, a: int, b: int) -> Optional[_Plan]:
        # Learn which daemons write usage lines from the start of the range (speed only:
        # usage lines of other daemons are found by the regex and classified one by one).
        if self._resample:
            self._resample = False
            found = _SAMPLE_HOT.findall(buf, max(0, a - 1), min(b, a + SAMPLE))
            for d, _ in Counter(d for _, d in found).most_common():
                if d not in self._daemons and len(self._daemons) < MAX_DAEMONS and _GOOD_DAEMON.match(d):
                    self._daemons.append(d)
            if found:
                self._padded = all(h for h, _ in found)
        if not self._daemons:
            self._resample = True
            return None
        key = (tuple(self._daemons), self.on_event is None, self._padded)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(*key)
        return plan

    def _fast(self, buf: bytes, a: int, b: int, by_position: bool = False) -> int:
        """Bulk-count buf[a:b]: its number of lines, or -1, having changed nothing, when the
        counts do not add up.

        DENIED lines are parsed a stretch at a time (_denied_in); when that cannot be trusted
        (a DENIED line the bulk parser cannot read exactly, a DENIED needle inside another
        line), again ``by_position``: each needle checked, such lines then read one by one.
        """
        plan = self._plan(buf, a, b)
        if plan is None:
            return -1
        s = self.summary
        memo = self._memo
        nd = len(plan.daemons)
        # 1. The lines that are not bulk-counted usage lines, minus those known to mean nothing.
        ms = list(plan.cold.finditer(buf, a, b))
        if ms and ms[-1].start() == b - 1:
            ms.pop()  # the range's last newline: no line after it
        m = plan.first.match(buf, a, b)
        cold_n = len(ms) + (m is not None)
        cold: List[Tuple[int, Optional[bytes]]] = []
        if m is not None and m.group(1) not in memo:
            cold.append((a, m.group(1)))
        # Only the lines not in the memo go on (filtered in C: there may be many).
        for m in compress(ms, map(operator.not_, map(memo.__contains__, map(_GROUP1, ms)))):
            cold.append((m.start() + 1, m.group(1)))
        del ms
        # 2. DENIED lines read one by one: the first (examples), the last (its time) and, by
        # position, any the bulk parser cannot read exactly. A DENIED needle opens its line
        # when it comes right after the time (nine bytes at most) on a line let through above.
        full: List[int] = []
        den: List[Tuple[int, tuple]] = []
        if plan.denied:
            coldset = {ls for ls, _ in cold}
            find, rfind = buf.find, buf.rfind
            if by_position:
                rx = cast(_MatchAt, plan.denied_rx.match)
                for x in plan.denied_needles:
                    h = find(x, a, b)
                    while h >= 0:
                        ls = rfind(b"\n", a, h) + 1 or a
                        if h - ls <= 9 and ls not in coldset:
                            t = rx(buf, h).groups()
                            if t[-2] is None:
                                full.append(ls)
                            else:
                                den.append((ls, t))
                        h = find(x, h + 1, b)
                den.sort()
                want = MAX_EXAMPLES - len(s.denied.examples)
                if want > 0:
                    full.extend(ls for ls, _ in den[:want])
                    del den[:want]
                if den:
                    full.append(den.pop()[0])
            else:
                # Per daemon, the first ones and the last one the bulk parser reads (with any
                # it cannot read on the way: those are read one by one anyway).
                want = MAX_EXAMPLES - len(s.denied.examples)
                rx = cast(_MatchAt, plan.denied_rx.match)
                for x in plan.denied_needles:
                    got, h = 0, find(x, a, b)
                    while h >= 0 and got < want:
                        ls = rfind(b"\n", a, h) + 1 or a
                        if h - ls <= 9 and ls not in coldset:
                            full.append(ls)
                            got += rx(buf, h).groups()[-2] is not None
                        h = find(x, h + 1, b)
                    h = rfind(x, a, b)
                    while h >= 0:
                        ls = rfind(b"\n", a, h) + 1 or a
                        if h - ls <= 9 and ls not in coldset:
                            full.append(ls)
                            if rx(buf, h).groups()[-2] is not None:
                                break
                        h = rfind(x, a, h)
            full = sorted(set(full))
        # 3. The lines read one by one and the needles in them; DENIED lines read one by one
        # split the bulk DENIED lines into stretches tallied in order around them.
        # Counting the newlines between them gives their line numbers and the range's lines.
        lines: List[Tuple[int, bytes, Optional[bytes], bool, int]] = []  # start, raw, memo key, DENIED?, number
        counts = [[0, 0, 0, 0] for _ in range(nd)]
        fullset = set(full)
        count = buf.count
        no, prev = self._line_no + 1, a
        for ls, key in (sorted(cold + [(x, None) for x in full]) if full else cold):
            le = buf.find(b"\n", ls, b)
            raw = buf[ls:le]
            no += count(b"\n", prev, ls)
            prev = ls
            brk = ls in fullset
            if b': "' in raw:
                for i, k, needle in plan.needles:
                    c = raw.count(needle)
                    if c:
                        counts[i][k] -= c
                if plan.denied and b'denied: "' in raw.lower():
                    brk = True
                key = None
            lines.append((ls, raw, key, brk, no))
        n = no - 1 - self._line_no + count(b"\n", prev, b)
        for i, k, needle in plan.needles:
            counts[i][k] += buf.count(needle, a, b)
        # 4. Trust the counts only if every line let through holds exactly one usage needle
        # (the DENIED ones counted by _denied_in, which sees every DENIED needle).
        stretches: List[List[tuple]] = []
        if plan.denied:
            if by_position:
                pos = [x[0] for x in lines if x[3]] + [b]
                j = 0
                for p in pos:
                    j2 = j
                    while j2 < len(den) and den[j2][0] < p:
                        j2 += 1
                    stretches.append([t for _, t in den[j:j2]])
                    j = j2
            else:
                seg = a
                for ls, raw, _, brk, _ in lines:
                    if brk:
                        stretches.append(self._denied_in(buf, seg, ls, plan))
                        seg = ls + len(raw) + 1
                stretches.append(self._denied_in(buf, seg, b, plan))
        denied = [len(x) for x in stretches]
        if sum(map(sum, counts)) + sum(denied) != n - cold_n - len(full) or min(min(c) for c in counts) < 0:
            if plan.denied and not by_position:
                return self._fast(buf, a, b, True)
            return -1
        if not by_position and not all(all(map(_USERHOST, x)) for x in stretches):
            return self._fast(buf, a, b, True)  # a DENIED line to read one by one
        per_daemon = [sum(c) for c in counts]
        for stretch in stretches:
            if nd == 1:
                per_daemon[0] += len(stretch)
            else:
                for t in stretch:
                    per_daemon[plan.daemons.index(t[0])] += 1
        names = [d.decode("ascii") for d in plan.daemons]
        # Tables that refuse new keys when full depend on the order keys arrive in: a bulk key
        # new to its table is let in where its first line is, between the lines read one by one.
        admit: List[Tuple[int, Dict[str, int], str]] = []
        skip = {x[0] for x in lines}
        for i, name in enumerate(names):
            if per_daemon[i] and name not in s.daemons:
                nds = [y for j, _, y in plan.needles if j == i] + ([plan.denied_needles[i]] if plan.denied else [])
                admit.append((self._first_bulk(buf, a, b, nds, skip), s.daemons, name))
        for k, feat in enumerate(_PROBE_FEATURES):
            if feat not in s.unsupported_harmless and any(c[2 + k] for c in counts):
                nds = [y for _, kk, y in plan.needles if kk == 2 + k]
                admit.append((self._first_bulk(buf, a, b, nds, skip), s.unsupported_harmless, feat))
        admit.sort(key=lambda e: e[0])
        # 5. Apply, in line order.
        line = self._line
        memo_ok = self._memo_ok
        mk = self.max_keys
        st = iter(stretches)
        for ls, raw, key, brk, no in lines:
            while admit and admit[0][0] < ls:
                _, table, k2 = admit.pop(0)
                if k2 not in table and len(table) < mk:
                    table[k2] = 0
            if brk:
                self._tally_denied(next(st), nd)
            if key is not None and memo_ok:
                if key in memo:
                    continue
                if not line(raw, no):
                    if len(memo) >= MEMO_SIZE:
                        memo.clear()
                    memo.add(key)
                continue
            line(raw, no)
        if plan.denied:
            self._tally_denied(next(st), nd)
        for _, table, k2 in admit:
            if k2 not in table and len(table) < mk:
                table[k2] = 0
        probes = 0
        for per_kind in counts:
            s.out_lines += per_kind[0]
            s.in_lines += per_kind[1]
            probes += per_kind[2] + per_kind[3]
            for feat, k in zip(_PROBE_FEATURES, per_kind[2:4]):
                if k:
                    _bump(s.unsupported_harmless, feat, k, mk)
            s.classified += per_kind[0] + per_kind[1] + per_kind[2] + per_kind[3]
        if probes:
            s.ignorable[HARMLESS_UNSUPPORTED] = s.ignorable.get(HARMLESS_UNSUPPORTED, 0) + probes
        for name, lines_of_daemon in zip(names, per_daemon):
            if lines_of_daemon:
                _bump(s.daemons, name, lines_of_daemon, mk)
        return n

    @staticmethod
    def _denied_in(buf: bytes, a: int, b: int, plan: "_Plan") -> List[tuple]:
        """The groups of every DENIED needle in buf[a:b], in order: bytes.find jumps from one
        to the next (faster than the regex engine's own search), the parsing runs in C."""
        find, starts = buf.find, []
        for x in plan.denied_needles:
            h = find(x, a, b)
            while h >= 0:
                starts.append(h)
                h = find(x, h + 1, b)
        if not starts:
            return []
        if len(plan.denied_needles) > 1:
            starts.sort()
        return list(map(_GROUPS, map(plan.denied_rx.match, repeat(buf), starts)))

    @staticmethod
    def _first_bulk(buf: bytes, a: int, b: int, needles: List[bytes], skip: set) -> int:
        """Where the first bulk-counted line opening with one of ``needles`` is (lines in
        ``skip`` are read one by one)."""
        best = b
        for x in needles:
            p = a
            while True:
                h = buf.find(x, p, best)
                if h < 0:
                    break
                ls = buf.rfind(b"\n", a, h) + 1 or a
                if h - ls <= 9 and ls not in skip:
                    best = h
                    break
                p = h + 1
        return best

    def _tally_denied(self, found: List[tuple], nd: int) -> None:
        """Count bulk DENIED lines; their features, users and codes wait in Counters (added to
        in C, in line order) until the tables are brought up to date by _flush_denied()."""
        if not found:
            return
        s = self.summary
        k = len(found)
        s.denied.count += k
        s.classified += k
        off = 1 if nd > 1 else 0
        for pend, col in zip(self._pend, (off, off + 1, off + 2)):
            pend.update(map(operator.itemgetter(col), found))

    def _flush_denied(self) -> None:
        """Bring the DENIED tables up to date: keys in the order they first came, so that a
        full table lets in the same keys a line-by-line reading would."""
        s = self.summary
        mk = self.max_keys
        for table, pend, how in ((s.denied_by_feature, self._pend[0], 0), (s.denied_by_user, self._pend[1], 1),
                                 (s.denied_by_code, self._pend[2], 2)):
            if not pend:
                continue
            other = 0
            room = mk - len(table)
            for key, c in pend.items():
                if how == 0:
                    key = key.decode("utf-8", "replace")
                elif how == 1:
                    key = key.decode("ascii")
                else:
                    key = self._code_of((key or b"").decode("ascii"))
                if key in table:
                    table[key] += c
                elif room > 0:
                    table[key] = c
                    room -= 1
                else:
                    other += c
            if other:
                table["(other)"] = table.get("(other)", 0) + other
            pend.clear()

    def _code_of(self, reason: str) -> str:
        code = self._code_cache.get(reason)
        if code is None:
            codes = find_error_codes(reason)
            code = (f"{codes[0].major},{codes[0].minor}" if codes and codes[0].minor is not None
                    else (str(codes[0].major) if codes else "no code"))
            if len(self._code_cache) < MAX_KEYS:
                self._code_cache[reason] = code
        return code

    # ----------------------------------------------------------------- lines
    def _when(self, t: Optional[str], hot: bool = False) -> Tuple[Optional[str], Optional[_dt.datetime]]:
        if not t:
            return (self._date.isoformat() if self._date else None), None
        try:
            h, mi, se = int(t[:-6]), int(t[-5:-3]), int(t[-2:])
        except ValueError:
            return t, None
        secs = h * 3600 + mi * 60 + se
        date, iso = self._date, self._date_iso
        if date is not None and self._last_secs >= 0 and secs + 3600 < self._last_secs:
            # Time went backwards by more than an hour with no TIMESTAMP: a new day.
            date = date + _dt.timedelta(days=1)
            iso = date.isoformat()
            if not hot:
                self._date, self._date_iso = date, iso
        if not hot:
            self._last_secs = secs
        if date is None:
            return f"{h:02d}:{mi:02d}:{se:02d}", None
        when = f"{iso} {h:02d}:{mi:02d}:{se:02d}"
        if self.since is None:
            return when, None
        try:
            return when, _dt.datetime.combine(date, _dt.time(h % 24, mi % 60, se % 60))
        except ValueError:
            return when, None

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

    def _set_date(self, text: Optional[str]) -> None:
        text = text or ""
        if text in self._dates:
            d = self._dates[text]
        else:
            d = _parse_mdy(text)
            if len(self._dates) >= 1000:
                self._dates.clear()
            self._dates[text] = d
        if d is None:
            return
        self._date = d
        self._date_iso = iso = d.isoformat()
        self._last_secs = -1
        s = self.summary
        if s.first_date is None:
            s.first_date = iso
        s.last_date = iso

    def _line(self, raw: bytes, line_no: int) -> bool:
        """Read one line (no newline); True when it was recognised."""
        s = self.summary
        u = _USAGE_LINE.match(raw)
        if u is not None:
            self._hot_read += 1
            when, full = self._when(u.group(1).decode("ascii").strip(), True)
            if self.since is not None and (full is None or full < self.since):
                s.skipped_before_since += 1
                return True
            s.classified += 1
            _bump(s.daemons, u.group(2).decode("utf-8", "replace"), 1, self.max_keys)
            if u.group(3) == b"OUT":
                s.out_lines += 1
            else:
                s.in_lines += 1
            return True
        if self._timestamp_ok and b"TIMESTAMP" in raw:
            u = _TIMESTAMP_LINE.match(raw)
            if u is not None:
                # What the catalogue's log.timestamp entry gives, without the catalogue.
                self._set_date(u.group(3).decode("ascii"))
                when, full = self._when(u.group(1).decode("ascii").strip())
                if self.since is not None and (full is None or full < self.since):
                    s.skipped_before_since += 1
                    return True
                s.classified += 1
                _bump(s.daemons, u.group(2).decode("utf-8", "replace"), 1, self.max_keys)
                s.ignorable["log.timestamp"] = s.ignorable.get("log.timestamp", 0) + 1
                return True
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        m = self.cat.classify(text)
        if m is None:
            return False
        eid = m.entry.id
        if eid == "log.timestamp":
            self._set_date(m.groups.get("date"))
        elif eid == "log.startup":
            self._set_date(m.groups.get("date"))
            if s.platform is None:
                low = text.lower()
                s.platform = ("windows" if "(ibm pc)" in low
                              else "unix" if "(linux)" in low or "_lsb" in text else None)
        hot = eid in HOT_IDS
        if hot:
            self._hot_read += 1
        when, full = self._when(m.time, hot)
        if self.since is not None:
            if full is None or full < self.since:
                s.skipped_before_since += 1
                return True
        mk = self.max_keys
        s.classified += 1
        if m.daemon:
            _bump(s.daemons, m.daemon, 1, mk)
        if eid == "log.out":
            s.out_lines += 1
            return True
        if eid == "log.in":
            s.in_lines += 1
            return True
        decoded = ""
        if eid == "log.startup":
            s.startup_count += 1
            s.startups.append(StartUp(line_no, when, m.groups.get("version"), m.groups.get("host")))
            del s.startups[:-MAX_EVENTS]
        elif eid == "log.server-started":
            st = s.last_startup
            if st is not None and st.outcome == "unknown":
                st.outcome = "serving"
                st.detail = (f"vendor daemon {m.daemon or ''} serving at {when or '?'} (line {line_no})"
                             .replace("  ", " "))
        elif eid in _EXIT_IDS:
            decoded = self._exit(m, when, text, line_no)
        if eid in _FAIL_BEFORE_SERVING:
            st = s.last_startup
            if st is not None:
                if st.outcome == "unknown":
                    st.outcome = "failed"
                    st.detail = (f"{m.entry.title} at {when or '?'} (line {line_no})"
                                 + (f": {decoded}" if decoded else ""))
                elif st.outcome == "serving" and eid in _EXIT_IDS:
                    st.outcome = "exited"
                    st.detail = (f"served, then the vendor daemon exited at {when or '?'} (line {line_no})"
                                 + (f": {decoded}" if decoded else ""))
        if eid == "log.denied":
            if self._pend[0]:
                self._flush_denied()
            s.denied.add(when, text.strip(), line_no)
            _bump(s.denied_by_feature, m.groups.get("feature", "?"), 1, mk)
            _bump(s.denied_by_user, m.groups.get("user", "?") + "@" + m.groups.get("host", "?"), 1, mk)
            _bump(s.denied_by_code, self._code_of(m.groups.get("reason", "")), 1, mk)
        elif eid == HARMLESS_UNSUPPORTED:
            _bump(s.unsupported_harmless, m.groups.get("feature", "?"), 1, mk)
        elif eid == "log.unsupported":
            _bump(s.unsupported_other, m.groups.get("feature", "?"), 1, mk)
            t = s.unsupported_other_tally
            t.add(when, text.strip(), line_no)
        if m.entry.ignorable:
            s.ignorable[eid] = s.ignorable.get(eid, 0) + 1
        elif (m.entry.status in ("warn", "fail") and eid not in ("log.denied", "log.unsupported")
              and eid not in _EXIT_IDS):
            t = s.errors.setdefault(eid, Tally())
            t.add(when, text.strip(), line_no)
        if self.on_event is not None and (m.entry.status in ("warn", "fail") or m.entry.kind == "startup"
                                          and eid in ("log.startup", "log.server-started")):
            self.on_event(LogEvent(line_no, when, m, decoded))
        return True

    def _exit(self, m: CatalogueMatch, when: Optional[str], text: str, line_no: int) -> str:
        g = m.groups
        try:
            sig = int(g.get("signal") or g.get("status") or "-1")
            reason = int(g["reason"]) if g.get("reason") else None
        except ValueError:
            return ""
        decodes = decode_exit_signal(sig, reason, self.summary.platform)
        if decodes:
            decoded = " / ".join(f"{d.reason_text} ({d.platform or '?'}: {sig} = {d.base} + {d.reason})"
                                 for d in decodes)
        else:
            decoded = f"unknown exit reason {sig}"
        if g.get("text"):
            decoded += f"; lmgrd says \"{g['text']}\""
        key = f"{'signal' if g.get('signal') else 'status'} {sig}: {decoded}"
        self.summary.exits.setdefault(key, Tally()).add(when, text.strip(), line_no)
        return decoded



def scan_stream(fh, cancel: CancelToken = NEVER_CANCELLED, on_progress: Optional[ProgressCallback] = None,
                since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None,
                total: Optional[int] = None, path: str = "", scanner: Optional[LogScanner] = None) -> LogSummary:
    """Scan a binary stream to its end. ``cancel`` is checked between blocks (raises Cancelled)."""
    sc = scanner or LogScanner(since=since, on_event=on_event, path=path)
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
              since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None) -> LogSummary:
    """Scan a log file (raises OSError when it cannot be opened)."""
    with open(path, "rb") as fh:
        try:
            total: Optional[int] = os.fstat(fh.fileno()).st_size
        except OSError:
            total = None
        return scan_stream(fh, cancel, on_progress, since, on_event, total, path)


def follow_file(path: str, cancel: CancelToken, on_event: Optional[EventCallback] = None,
                since: Optional[_dt.datetime] = None, poll: float = 0.5,
                on_progress: Optional[ProgressCallback] = None, from_end: bool = False) -> LogSummary:
    """Like ``tail -f``: scan what is there, then keep reading appended data until cancelled.

    A truncated or replaced file (log rotation) is reopened from its start.
    """
    sc = LogScanner(since=since, on_event=on_event, path=path)
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
                pass
            if cancel.wait(poll):
                break
    finally:
        fh.close()
    return sc.finish()


# --------------------------------------------------------------------- findings
def _top(d: Dict[str, int], n: int = 10) -> List[str]:
    return [f"{k}: {v}" for k, v in sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _span(t: Tally) -> str:
    if t.first and t.last and t.first != t.last:
        return f"first {t.first}, last {t.last}"
    return f"at {t.first}" if t.first else "time unknown"


def summary_findings(s: LogSummary) -> List[Finding]:
    cat = load_catalogue()
    out: List[Finding] = []
    f = s.path or None
    dates = f"{s.first_date} .. {s.last_date}" if s.first_date else "dates unknown (no TIMESTAMP line)"
    detail = (f"{s.lines:,} lines, {s.bytes_read:,} bytes, {dates}. {s.out_lines:,} checkouts (OUT), "
              f"{s.in_lines:,} checkins (IN); {s.classified:,} lines recognised.")
    if s.cut_lines:
        detail += f" {s.cut_lines} over-long line(s) were cut at {MAX_LINE // 1024} KB."
    if s.since:
        detail += f" Only lines from {s.since} on are counted ({s.skipped_before_since:,} recognised lines before it)."
    out.append(Finding("log.summary", Status.INFO, "Debug log read", detail, file=f))
    if s.lines == 0:
        out.append(Finding("log.empty", Status.WARN, "The log is empty",
                           "No lines at all: lmgrd has not written to it, or this is the wrong file.",
                           fix="Check the -l path lmgrd was started with (lmtools 'Config Services' on Windows).",
                           file=f))
        return out
    st = s.last_startup
    if st is None:
        out.append(Finding("log.startup", Status.INFO, "No lmgrd start-up in this log",
                           "The log does not contain a 'FlexNet Licensing ... started on' line (it may have "
                           "been rotated or started with + to append).", file=f))
    else:
        status = {"serving": Status.OK, "failed": Status.FAIL, "exited": Status.FAIL}.get(st.outcome, Status.WARN)
        title = {"serving": "Last start-up succeeded: the vendor daemon is serving",
                 "failed": "Last start-up failed",
                 "exited": "Last start-up served, then the vendor daemon exited"}.get(
            st.outcome, "Last start-up: no 'Server started' line after it")
        d = f"lmgrd {st.version or ''} started on {st.host or '?'} at {st.when or '?'}. {st.detail}".strip()
        fix = "" if st.outcome == "serving" else "See the exit and error findings below for the cause and its fix."
        out.append(Finding("log.startup", status, title, d, fix=fix, file=f, line=st.line_no))
    if s.startup_count > 1:
        ev = [f"line {x.line_no}: {x.when or '?'} {x.outcome}" for x in s.startups[-20:]]
        out.append(Finding("log.restarts", Status.WARN if s.startup_count > 3 else Status.INFO,
                           f"lmgrd started {s.startup_count} times ({s.startup_count - 1} restart(s))",
                           "Each start-up line is a (re)start of lmgrd; frequent restarts point to a crash, "
                           "a service manager restarting it, or an admin.", evidence=ev, file=f))
    for key, t in s.exits.items():
        out.append(Finding("log.exit", Status.FAIL, f"Vendor daemon exit: {key}",
                           f"Seen {t.count} time(s), {_span(t)}.",
                           fix=_exit_fix(key), evidence=t.examples, file=f, line=t.line_no,
                           seed_ref="Troubleshooting > Typical error messages"))
    for eid, t in s.errors.items():
        e = cat.by_id[eid]
        fid = eid if eid.startswith("log.") else "log." + eid
        out.append(Finding(fid, Status(e.status), f"{e.title} ({t.count}x)",
                           f"{e.meaning}\nSeen {t.count} time(s), {_span(t)}.", fix=e.fix,
                           evidence=t.examples, file=f, line=t.line_no, seed_ref=e.seed_ref or None))
    if s.denied.count:
        d = (f"{s.denied.count} denied request(s), {_span(s.denied)}."
             + "\nBy feature: " + "; ".join(_top(s.denied_by_feature))
             + "\nBy user: " + "; ".join(_top(s.denied_by_user)) + "\nBy code: " + "; ".join(_top(s.denied_by_code)))
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
    if s.ignorable:
        out.append(Finding("log.ignorable", Status.INFO, f"{sum(s.ignorable.values())} ignorable line(s) counted apart",
                           "; ".join(f"{cat.by_id[k].title}: {v}" for k, v in sorted(s.ignorable.items())), file=f))
    return out


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
