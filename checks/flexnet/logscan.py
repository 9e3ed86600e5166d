"""The debug-log analyser: one pass over an lmgrd/vendor-daemon log in constant memory.

Speed matters (customers send logs of gigabytes), so the file is read in blocks and most
of the work happens in C: the OUT/IN lines that make up most of a busy log are counted
with ``bytes.count`` and never become Python strings. Only lines that contain one of the
catalogue's anchors (a ``bytes.find`` per anchor over the lower-cased block) are decoded
and classified. With ``since`` every line must be dated, so every line is classified.

Dates: a line carries only ``hh:mm:ss``; the date comes from ``TIMESTAMP m/d/yyyy`` lines
and from the start-up line ``(m/d/yyyy)``. Between them, a time that goes backwards means
the day changed (lmgrd writes a TIMESTAMP only every few hours).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..errors import decode_exit_signal, find_error_codes
from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, CancelToken
from .catalogue import Catalogue, CatalogueMatch, load_catalogue

BLOCK = 4 * 1024 * 1024
MAX_LINE = 64 * 1024          # longer lines are cut: constant memory on a file with no newline
MAX_KEYS = 5000               # distinct features/users kept per table; the rest go to "(other)"
MAX_EXAMPLES = 5
MAX_EVENTS = 50
HARMLESS_UNSUPPORTED = "log.unsupported-sigasi-probe"
_FAIL_BEFORE_SERVING = {"log.port-open-failed", "log.not-valid-server-hostname", "log.no-server-lines",
                        "log.conflicting-ports", "log.no-valid-hostids", "log.wrong-hostid",
                        "log.exit-signal", "log.vendor-exited", "log.multiple-servers", "log.invalid-hostid"}
_EXIT_IDS = {"log.exit-signal", "log.vendor-exited"}
_OUT = b') OUT: "'
_IN = b') IN: "'
_PROBES = (("com.sigasi.hdt.custom", b') UNSUPPORTED: "com.sigasi.hdt.custom"'),
           ("com.sigasi.hdt.preview", b') UNSUPPORTED: "com.sigasi.hdt.preview"'))
# A line that needs a closer look: after a newline, either the usual "hh:mm:ss (daemon) " prefix
# followed by anything but the hot messages counted in bulk (OUT, IN, Sigasi's probes) or the
# "(@vendor-SLOG@)" statistics, or a line of any other shape. Starting with a literal newline
# lets the regex engine jump from line to line with a fast search.
_DENIED = b') DENIED: "'
_DENIED_LINE = re.compile(rb'\) DENIED: "([^"\n]*)" ([^@\s]*)@(\S+)[ \t]*(?:\((.*)\))?')
_SLOG = b") (@"
_COLD_STD = re.compile(
    rb'\n[ \d]?\d:\d\d:\d\d \([^)\n]{0,64}\) '
    rb'(?!OUT: "|IN: "|DENIED: "|UNSUPPORTED: "com\.sigasi\.hdt\.(?:custom|preview)"|\(@)')
_COLD_LINE = re.compile(
    rb'\n(?:[ \d]?\d:\d\d:\d\d \([^)\n]{0,64}\) '
    rb'(?!OUT: "|IN: "|DENIED: "|UNSUPPORTED: "com\.sigasi\.hdt\.(?:custom|preview)"|\(@)'
    rb'|(?![ \d]?\d:\d\d:\d\d \())')

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


def _bump(d: Dict[str, int], key: str, n: int = 1) -> None:
    if key in d or len(d) < MAX_KEYS:
        d[key] = d.get(key, 0) + n
    else:
        d["(other)"] = d.get("(other)", 0) + n


_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2,4})$")


def _parse_mdy(s: str) -> Optional[_dt.date]:
    m = _DATE_RE.match(s.strip())
    if not m:
        return None
    mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if y < 100:
        y += 2000
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None


def parse_since(text: str) -> Optional[_dt.datetime]:
    """``YYYY-MM-DD[ HH:MM[:SS]]``, ``m/d/yyyy[ HH:MM]`` or ``Nd``/``Nh`` (days/hours ago)."""
    s = (text or "").strip()
    m = re.fullmatch(r"(\d+)([dh])", s)
    if m:
        n = int(m.group(1))
        delta = _dt.timedelta(days=n) if m.group(2) == "d" else _dt.timedelta(hours=n)
        return _dt.datetime.now().replace(microsecond=0) - delta
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return _dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


class LogScanner:
    """Feed bytes in any pieces; read ``summary`` at any time (``finish()`` flushes the last line)."""

    def __init__(self, since: Optional[_dt.datetime] = None, on_event: Optional[EventCallback] = None,
                 catalogue: Optional[Catalogue] = None, path: str = ""):
        self.cat = catalogue or load_catalogue()
        self.summary = LogSummary(path=path, since=since.isoformat(sep=" ") if since else None)
        self.since = since
        self.on_event = on_event
        self._carry = b""
        self._cutting = False  # inside an over-long line: drop bytes until the next newline
        self._line_no = 0
        self._date: Optional[_dt.date] = None
        self._date_iso = ""
        self._code_cache: Dict[str, str] = {}
        self._last_secs = -1
        self._serving_since_start = False
        anchors = []
        for a in {e.anchor.lower() for e in self.cat.entries}:
            b = a.encode("utf-8")
            if since is None and b in (b'out: "', b'in: "'):
                continue  # counted in bulk
            anchors.append(b)
        self._anchors = sorted(anchors, key=len, reverse=True)
        self._bulk = since is None

    # ----------------------------------------------------------------- input
    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.summary.bytes_read += len(data)
        buf = self._carry + data if self._carry else data
        self._carry = b""
        if self._cutting:
            nl = buf.find(b"\n")
            if nl < 0:
                return
            buf = buf[nl + 1:]
            self._cutting = False
        last = buf.rfind(b"\n")
        if last < 0:
            if len(buf) > MAX_LINE:
                self._cut(buf)
            else:
                self._carry = buf
            return
        block, rest = buf[:last + 1], buf[last + 1:]
        if len(rest) > MAX_LINE:
            self._process_block(block)
            self._cut(rest)
        else:
            self._carry = rest
            self._process_block(block)

    def _cut(self, buf: bytes) -> None:
        # An over-long line: classify its head, count it once, skip to the next newline.
        self.summary.cut_lines += 1
        self._process_block(buf[:MAX_LINE] + b"\n")
        self._cutting = True

    def finish(self) -> LogSummary:
        if self._carry:
            self._process_block(self._carry + b"\n")
            self._carry = b""
        return self.summary

    # ----------------------------------------------------------------- blocks
    def _process_block(self, block: bytes) -> None:
        s = self.summary
        n = block.count(b"\n")
        base_line = self._line_no
        self._line_no += n
        s.lines += n
        if self._bulk:
            outs, ins = block.count(_OUT), block.count(_IN)
            s.out_lines += outs
            s.in_lines += ins
            probes = 0
            for feat, needle in _PROBES:
                k = block.count(needle)
                if k:
                    probes += k
                    _bump(s.unsupported_harmless, feat, k)
            if probes:
                s.ignorable[HARMLESS_UNSUPPORTED] = s.ignorable.get(HARMLESS_UNSUPPORTED, 0) + probes
            s.classified += outs + ins + probes
            # DENIED lines: the first and last of the block are classified (for times and
            # examples), the ones between are only counted, straight from the bytes.
            data = b"\n" + block
            starts = [m.start() for m in _COLD_STD.finditer(data)]
            # Lines of another shape (no "hh:mm:ss (daemon) " prefix) are rare: look for them
            # only when the lines counted so far do not add up to the block's line count.
            known = outs + ins + probes + len(starts) + block.count(_SLOG) + block.count(_DENIED)
            if known != n:
                starts = [m.start() for m in _COLD_LINE.finditer(data)]
            d1 = block.find(_DENIED)
            if d1 >= 0:
                d1 = block.rfind(b"\n", 0, d1) + 1
                d2 = block.rfind(b"\n", 0, block.rfind(_DENIED)) + 1
                starts.append(d1)
                if d2 != d1:
                    starts.append(d2)
                    self._count_denied(block[block.find(b"\n", d1) + 1:d2])
                starts.sort()
            # Every other line except the hot ones (and SLOG statistics) is classified one by one.
            prev, line_no, end = 0, base_line, len(block)
            cnt, find, line = block.count, block.find, self._line
            for ls in starts:
                if ls >= end:
                    break
                line_no += cnt(b"\n", prev, ls)
                prev = ls
                line(block[ls:find(b"\n", ls)], line_no + 1)
        else:
            line_no = base_line
            for raw in block.split(b"\n")[:-1]:
                line_no += 1
                self._line(raw, line_no)

    def _count_denied(self, chunk: bytes) -> None:
        s = self.summary
        n = 0
        for feat, user, host, reason in _DENIED_LINE.findall(chunk):
            n += 1
            _bump(s.denied_by_feature, feat.decode("utf-8", "replace"))
            _bump(s.denied_by_user, (user + b"@" + host).decode("utf-8", "replace"))
            _bump(s.denied_by_code, self._code_of(reason.decode("utf-8", "replace")))
        # A DENIED line too odd for the pattern still counts as a denial.
        odd = chunk.count(_DENIED) - n
        if odd > 0:
            _bump(s.denied_by_feature, "?", odd)
            _bump(s.denied_by_code, "no code", odd)
            n += odd
        s.denied.count += n
        s.classified += n

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
    def _when(self, m: CatalogueMatch) -> Tuple[Optional[str], Optional[_dt.datetime]]:
        t = m.time
        if not t:
            return (self._date.isoformat() if self._date else None), None
        try:
            h, mi, se = int(t[:-6]), int(t[-5:-3]), int(t[-2:])
        except ValueError:
            return t, None
        secs = h * 3600 + mi * 60 + se
        if self._date is not None and self._last_secs >= 0 and secs + 3600 < self._last_secs:
            # Time went backwards by more than an hour with no TIMESTAMP: a new day.
            self._date = self._date + _dt.timedelta(days=1)
            self._date_iso = self._date.isoformat()
        self._last_secs = secs
        if self._date is None:
            return f"{h:02d}:{mi:02d}:{se:02d}", None
        when = f"{self._date_iso} {h:02d}:{mi:02d}:{se:02d}"
        if self.since is None:
            return when, None
        try:
            return when, _dt.datetime.combine(self._date, _dt.time(h % 24, mi % 60, se % 60))
        except ValueError:
            return when, None

    def _set_date(self, text: Optional[str]) -> None:
        d = _parse_mdy(text or "")
        if d is None:
            return
        self._date = d
        self._date_iso = d.isoformat()
        self._last_secs = -1
        s = self.summary
        iso = d.isoformat()
        if s.first_date is None:
            s.first_date = iso
        s.last_date = iso

    def _line(self, raw: bytes, line_no: int) -> None:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        m = self.cat.classify(text)
        if m is None:
            return
        s = self.summary
        eid = m.entry.id
        if eid == "log.timestamp":
            self._set_date(m.groups.get("date"))
        elif eid == "log.startup":
            self._set_date(m.groups.get("date"))
            if s.platform is None:
                s.platform = "windows" if "(ibm pc)" in text.lower() else ("unix" if "(linux)" in text.lower() or "_lsb" in text else None)
        when, full = self._when(m)
        if self.since is not None:
            if full is None or full < self.since:
                s.skipped_before_since += 1
                return
        s.classified += 1
        if m.daemon:
            _bump(s.daemons, m.daemon)
        if eid == "log.out":
            s.out_lines += 1
            return
        if eid == "log.in":
            s.in_lines += 1
            return
        decoded = ""
        if eid == "log.startup":
            s.startup_count += 1
            s.startups.append(StartUp(line_no, when, m.groups.get("version"), m.groups.get("host")))
            del s.startups[:-MAX_EVENTS]
            self._serving_since_start = False
        elif eid == "log.server-started":
            st = s.last_startup
            if st is not None and st.outcome == "unknown":
                st.outcome = "serving"
                st.detail = f"vendor daemon {m.daemon or ''} serving at {when or '?'} (line {line_no})".replace("  ", " ")
        elif eid in _EXIT_IDS:
            decoded = self._exit(m, when, text, line_no)
        if eid in _FAIL_BEFORE_SERVING:
            st = s.last_startup
            if st is not None:
                if st.outcome == "unknown":
                    st.outcome = "failed"
                    st.detail = f"{m.entry.title} at {when or '?'} (line {line_no})" + (f": {decoded}" if decoded else "")
                elif st.outcome == "serving" and eid in _EXIT_IDS:
                    st.outcome = "exited"
                    st.detail = f"served, then the vendor daemon exited at {when or '?'} (line {line_no})" + (f": {decoded}" if decoded else "")
        if eid == "log.denied":
            s.denied.add(when, text.strip(), line_no)
            _bump(s.denied_by_feature, m.groups.get("feature", "?"))
            _bump(s.denied_by_user, m.groups.get("user", "?") + "@" + m.groups.get("host", "?"))
            _bump(s.denied_by_code, self._code_of(m.groups.get("reason", "")))
        elif eid == HARMLESS_UNSUPPORTED:
            _bump(s.unsupported_harmless, m.groups.get("feature", "?"))
        elif eid == "log.unsupported":
            _bump(s.unsupported_other, m.groups.get("feature", "?"))
            s.unsupported_other_tally.add(when, text.strip(), line_no)
        if m.entry.ignorable:
            s.ignorable[eid] = s.ignorable.get(eid, 0) + 1
        elif m.entry.status in ("warn", "fail") and eid not in ("log.denied", "log.unsupported") and eid not in _EXIT_IDS:
            s.errors.setdefault(eid, Tally()).add(when, text.strip(), line_no)
        if self.on_event is not None and (m.entry.status in ("warn", "fail") or m.entry.kind == "startup"
                                          and eid in ("log.startup", "log.server-started")):
            self.on_event(LogEvent(line_no, when, m, decoded))

    def _exit(self, m: CatalogueMatch, when: Optional[str], text: str, line_no: int) -> str:
        g = m.groups
        try:
            sig = int(g.get("signal") or g.get("status") or "-1")
            reason = int(g["reason"]) if g.get("reason") else None
        except ValueError:
            return ""
        decodes = decode_exit_signal(sig, reason, self.summary.platform)
        if decodes:
            decoded = " / ".join(f"{d.reason_text} ({d.platform or '?'}: {sig} = {d.base} + {d.reason})" for d in decodes)
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
                           fix="Check the -l path lmgrd was started with (lmtools 'Config Services' on Windows).", file=f))
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
        d = (f"{s.denied.count} denied request(s), {_span(s.denied)}.\nBy feature: " + "; ".join(_top(s.denied_by_feature))
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
