"""A big debug log read in parts, one process per core, with exactly the result of one pass.

One Python process reads a log at one core's speed. A large regular file is cut at TIMESTAMP
lines into parts; this process reads the first part while child processes read the others
(:func:`read_part`), and their results are merged in file order (:func:`merge`). The result is
the one a single pass gives, field for field (the tests compare them on cut real and generated
logs), because a part starts where the state that crosses lines is known again:

* A TIMESTAMP line sets the date and the time of day; it closes a multi-line block, and the
  previous line's time and daemon are its own.
* What still depends on the lines before the part is recorded instead of done, and the merge
  does it with the state the earlier parts left: the checkouts, checkins and restarts that
  move each feature's open count (replayed in order; a peak reached inside a part is dated by
  reading its lines again only at the end, once per feature), what later lines do to the last
  start-up (served, stopped, failed), and when each feature was first checked out (a feature
  gone in an earlier part is served again).
* The few states a part cannot know make the merge refuse it (lmgrd shutting down across the
  cut, a feature gone in an earlier part going again, full tables, a platform guessed
  differently for an exit code); this process then reads that part itself. So do a child
  that fails or is cut short: the result never depends on the children.

Only whole regular files with no ``--since`` and no per-line callbacks are read this way; small
ones, pipes and follow mode read in one pass. ``LMDOCTOR_LOG_PROCESSES`` sets the number of
processes (1: one pass). The children die with lmdoctor (own process group, PR_SET_PDEATHSIG)
and are killed when the read is cancelled.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import zlib
from array import array
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple

from ..runtime import NEVER_CANCELLED, CancelToken
from .events import parse_usage
from .logscan import (
    BLOCK,
    MAX_EVENTS,
    MAX_EXAMPLES,
    MAX_KEYS,
    MAX_SHAPES,
    STARTUP_STEPS,
    LogScanner,
    LogSummary,
    Tally,
    _Before,
    _bump,
    _pad,
)
from .usage import MAX_DAYS, OTHER, RESTART, SEQ, STEP, FeatureUsage, change, step

MIN_PART = 48 * 1024 * 1024     # a smaller log (or part) is read in one pass: a child costs ~0.2 s
MAX_PROCESSES = 8
SEARCH = 64 * 1024 * 1024       # how far after a cut point a TIMESTAMP line is looked for
_WINDOW = 1024 * 1024
COUNT_COST = 0.04               # counting a byte's newlines beside reading it (bytes.count vs the scan)
HEAD = 1024 * 1024              # read before the children start (the platform is said there)
# A TIMESTAMP line as the scanner reads it without the catalogue (logscan._TIMESTAMP_LINE).
_CUT = re.compile(rb"\n([ 0-9]?[0-9]:[0-9][0-9]:[0-9][0-9]) \([^()\s]{1,64}\) TIMESTAMP "
                  rb"(\d{1,2}/\d{1,2}/\d{2,4})\r*\n")
_COUNTED = ("bytes_read", "lines", "classified", "unrecognised", "out_lines", "in_lines", "startup_count",
            "orderly_exits", "cut_lines", "skipped_before_since")
_FEATURE_COUNTS = ("checkouts", "licenses_out", "checkins", "denied", "queued", "dequeued", "unsupported",
                   "inactive", "shutdown")
_STATE = ("_date", "_date_iso", "_next_iso", "_last_secs", "_block", "_prev", "_stopping", "_stop_by", "_line_no")


@dataclass
class Part:
    """What a child read: the part's summary and what the merge must do with earlier state."""

    start: int
    end: int
    line_base: int                      # lines before the part
    summary: LogSummary
    ops: List[tuple]                    # usage.py's STEP / RESTART / SEQ, in order
    st_ops: List[tuple]                 # steps on the last start-up of the earlier parts
    first_out: Dict[str, Optional[str]]
    platforms_used: Set[Optional[str]]
    state: Dict[str, object] = field(default_factory=dict)   # the scanner's state at the part's end


class _LazyWhen(str):
    """A peak reached inside a part: its time is read from the file once it is the final one.
    A str (empty) so it stands where ``peak_when`` does until then."""

    where: Tuple[int, int, Optional[str], str, int]

    def __new__(cls, start: int, end: int, date: Optional[str], feature: str, index: int) -> "_LazyWhen":
        obj = super().__new__(cls, "")
        obj.where = (start, end, date, feature, index)
        return obj


# ------------------------------------------------------------------ planning
def processes() -> int:
    env = os.environ.get("LMDOCTOR_LOG_PROCESSES", "").strip()
    if env.isdigit():
        return max(1, min(int(env), MAX_PROCESSES))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def cuts(fd: int, start: int, size: int, n: int, min_part: Optional[int] = None) -> List[int]:
    """Up to n - 1 offsets in (start, size) where a TIMESTAMP line with a readable date starts,
    near equal shares; each part at least ``min_part`` bytes (MIN_PART, read when called)."""
    from ..license.dates import parse_mdy

    if min_part is None:
        min_part = MIN_PART
    n = min(n, (size - start) // max(min_part, 1))
    out: List[int] = []
    targets = _targets(start, size, n)
    for k in range(1, n):
        target = targets[k - 1]
        lo = max(target, out[-1] + min_part if out else start + min_part)
        p, stop = lo, min(size - min_part, lo + SEARCH)
        while p < stop:
            data = os.pread(fd, _WINDOW + 256, p - 1)
            m = next((m for m in _CUT.finditer(data) if parse_mdy(m.group(2).decode()) is not None), None)
            if m is not None:
                at = p - 1 + m.start() + 1
                if at < stop:
                    out.append(at)
                break
            p += _WINDOW
    return out


def _targets(start: int, size: int, n: int) -> List[int]:
    """Where to cut so each process has as much to do: a child first counts the lines before
    its part (COUNT_COST of reading them), so later parts are a little shorter."""
    x = (size - start) / n
    for _ in range(30):
        at, c = [], start + x
        for _k in range(1, n):
            at.append(c)
            c += x - COUNT_COST * c
        x *= (size - start) / max(c - start, 1.0)
    return [int(a) for a in at]


# ------------------------------------------------------------------ a child's work
def count_lines(fd: int, end: int, cancel: CancelToken = NEVER_CANCELLED) -> int:
    n = p = 0
    while p < end:
        cancel.check()
        data = os.pread(fd, min(BLOCK, end - p), p)
        if not data:
            break
        n += data.count(b"\n")
        p += len(data)
    return n


def read_part(fd: int, start: int, end: int, cancel: CancelToken = NEVER_CANCELLED,
              on_progress: Optional[Callable[[int], None]] = None, path: str = "",
              platform: Optional[str] = None) -> Part:
    """Read bytes [start, end) of a log (start: a TIMESTAMP line) as a part of the whole.
    ``platform``: what the lines before the part said (exit codes are decoded for it)."""
    base = count_lines(fd, start, cancel)
    sc = LogScanner(path=path)
    sc.summary.platform = platform
    sc._part = True
    sc._origin = start
    sc._line_no = base
    sc.usage.ops = []
    p = start
    while p < end:
        cancel.check()
        data = os.pread(fd, min(BLOCK, end - p), p)
        if not data:
            break
        sc.feed(data)
        p += len(data)
        if on_progress is not None:
            on_progress(p - start)
    sc.finish()
    state = {k: getattr(sc, k) for k in _STATE}
    if isinstance(state["_prev"], _Before):
        state["_prev"] = state["_prev"].prefix()
    return Part(start, end, base, sc.summary, sc.usage.ops, sc.st_ops, sc.first_out, sc.platforms_used, state)


# ------------------------------------------------------------------ merging
def refusal(sc: LogScanner, part: Part) -> str:
    """Why ``part`` cannot be merged after what ``sc`` has read ("" when it can)."""
    s, p = sc.summary, part.summary
    if sc._line_no != part.line_base or sc._carry or sc._cutting:
        return "not where the part starts"
    if sc._stopping:
        return "lmgrd is shutting down across the cut"
    if s.platform is not None and part.platforms_used - {s.platform}:
        return "exit codes decoded for another platform"
    if {f for f, g in s.gone.items() if g.served_again is None} & p.gone.keys():
        return "a feature gone earlier goes again"
    if len(s.gone.keys() | p.gone.keys()) >= MAX_KEYS:
        return "the table of gone features is full"
    # A full table pools the part's later keys under "(other)", though the lines before the
    # part may have made some of them keys of their own (one pass counts those there).
    if any(OTHER in t for t in (p.shapes, p.daemons, p.denied_by_feature, p.denied_by_user, p.denied_by_code,
                                p.unsupported_harmless, p.unsupported_other)):
        return "a table of the part is full"
    fs, pfs = sc.usage.summary.features, p.usage.features
    if OTHER in fs or OTHER in pfs or len(fs.keys() | pfs.keys()) >= sc.usage.max_features - 1:
        return "the feature table is full"
    for name, pf in pfs.items():
        mf = fs.get(name)
        if len(pf.days.keys() | (mf.days.keys() if mf else set())) + 2 >= MAX_DAYS:
            return "a feature's day table is full"
    return ""


def merge(sc: LogScanner, part: Part) -> bool:
    """Add a part read elsewhere to what ``sc`` read before it; False (nothing changed) when the
    part cannot be merged exactly: the caller reads it in this process instead."""
    if refusal(sc, part):
        return False
    s, p = sc.summary, part.summary
    st = s.last_startup
    if st is not None:
        for name, *args in part.st_ops:
            STARTUP_STEPS[name](st, *args)
    s.startups.extend(p.startups)
    del s.startups[:-MAX_EVENTS]
    s.stops.extend(p.stops)
    del s.stops[:-MAX_EVENTS]
    for k in _COUNTED:
        setattr(s, k, getattr(s, k) + getattr(p, k))
    if s.first_date is None:
        s.first_date = p.first_date
    s.last_date = p.last_date or s.last_date
    if s.platform is None:
        s.platform = p.platform
    for key, n in p.shapes.items():
        _bump(s.shapes, key, n, MAX_SHAPES)
    mk = sc.max_keys
    for mine, theirs in ((s.daemons, p.daemons), (s.denied_by_feature, p.denied_by_feature),
                         (s.denied_by_user, p.denied_by_user), (s.denied_by_code, p.denied_by_code),
                         (s.unsupported_harmless, p.unsupported_harmless),
                         (s.unsupported_other, p.unsupported_other)):
        for key, n in theirs.items():
            _bump(mine, key, n, mk)
    for key, n in p.ignorable.items():
        s.ignorable[key] = s.ignorable.get(key, 0) + n
    for mine_t, theirs_t in ((s.exits, p.exits), (s.errors, p.errors)):
        for key, t in theirs_t.items():
            _merge_tally(mine_t.setdefault(key, Tally()), t)
    for key, words in p.exit_words.items():
        s.exit_words.setdefault(key, words)
    _merge_tally(s.denied, p.denied)
    _merge_tally(s.unsupported_other_tally, p.unsupported_other_tally)
    for feat, g in s.gone.items():
        if g.served_again is None and feat in part.first_out:
            g.served_again = part.first_out[feat]
    s.gone.update(p.gone)
    _merge_usage(sc, part)
    for k, v in part.state.items():
        setattr(sc, k, v)
    return True


def _merge_tally(t: Tally, u: Tally) -> None:
    if not u.count:
        return
    if t.first is None:   # Tally.add keeps the first line with a time (or the last without)
        t.first, t.line_no = u.first, u.line_no
    t.last = u.last or t.last
    room = MAX_EXAMPLES - len(t.examples)
    if room > 0:
        t.examples.extend(u.examples[:room])
    t.count += u.count


def _merge_usage(sc: LogScanner, part: Part) -> None:
    u, pu = sc.usage, part.summary.usage
    us = u.summary
    for name, pf in pu.features.items():   # in the order the part met them, after the earlier ones
        mf = u.feature(name, pf.daemon)
        if not mf.daemon:
            mf.daemon = pf.daemon
        for k in _FEATURE_COUNTS:
            setattr(mf, k, getattr(mf, k) + getattr(pf, k))
        if pf.issued is not None and (mf.issued is None or pf.issued > mf.issued):
            mf.issued, mf.issued_source = pf.issued, pf.issued_source
        mf.hours = [a + b for a, b in zip(mf.hours, pf.hours)]
        for date, b in pf.days.items():
            mb = mf.bucket(date)
            mb.checkouts += b.checkouts
            mb.denied += b.denied
    us.hours = [a + b for a, b in zip(us.hours, pu.hours)]
    for date, n in pu.denied_days.items():
        us.denied_days[date] = us.denied_days.get(date, 0) + n
    us.events += pu.events
    features = us.features
    for op in part.ops:
        if op[0] == RESTART:
            u.restart(op[1], op[2])
        elif op[0] == STEP:
            f = features[op[1]]
            f.enter_day(op[2])
            step(f, op[3], op[4])
        elif op[0] == SEQ:
            _replay_seq(features[op[1]], op)


def _replay_seq(f: FeatureUsage, op: tuple) -> None:
    """One day's checkouts and checkins of a feature, as the scanner's _concurrency does them:
    from the part's sums of them (lowest, highest and where, last) unless a checkin finds
    nothing open (then step by step)."""
    _, name, date, packed, start, end, low, high, at, total = op
    f.enter_day(date)
    if f.open + low >= 0:
        top = f.open + high
        if top > f.day_peak:
            f.day_peak = top
            if top > f.peak:
                f.peak = top
                f.peak_when = _LazyWhen(start, end, date, name, at)
        f.open += total
        return
    for i, d in enumerate(array(packed[0], zlib.decompress(packed[1]))):
        if step(f, d, None):
            f.peak_when = _LazyWhen(start, end, date, name, i)


_TIME = re.compile(rb"([ 0-9]?[0-9]:[0-9][0-9]:[0-9][0-9]) \(([^()]*)\) ")


def date_peaks(summary: LogSummary, fd: int) -> None:
    """Give each peak reached inside a part its time: the index-th checkout or checkin of the
    feature among the lines the part read in bulk there."""
    for f in summary.usage.features.values():
        lazy = f.peak_when
        if not isinstance(lazy, _LazyWhen):
            continue
        start, end, date, feature, index = lazy.where
        f.peak_when = None
        n = -1
        for line in os.pread(fd, end - start, start).split(b"\n"):
            m = _TIME.match(line)
            if m is None or feature.encode("utf-8", "replace") not in line:
                continue
            try:
                ev = parse_usage(line[m.end():].decode("utf-8").rstrip("\r"))
            except UnicodeDecodeError:
                continue
            if ev is None or ev.feature != feature or not change(ev):
                continue
            n += 1
            if n == index:
                t = _pad(m.group(1).decode("ascii"))
                f.peak_when = f"{date} {t}" if date else t
                break


# ------------------------------------------------------------------ children
_CHILD = ("import json, sys; sys.path[:0] = [p for p in json.loads(sys.argv[1]) if p not in sys.path]; "
          "from {mod} import child_main; child_main(sys.argv[2:])")
_HEAD = struct.Struct("<cQ")   # b"P" bytes read so far, or b"R" and the length of the pickled Part


def child_main(argv: List[str]) -> None:
    """A child: read one part from the inherited descriptor, report progress, send the Part."""
    fd, start, end, path, platform = int(argv[0]), int(argv[1]), int(argv[2]), argv[3], argv[4] or None
    out = sys.stdout.buffer

    def progress(n: int) -> None:
        out.write(_HEAD.pack(b"P", n))
        out.flush()
    part = read_part(fd, start, end, on_progress=progress, path=path, platform=platform)
    blob = pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEAD.pack(b"R", len(blob)))
    out.write(blob)
    out.flush()


class _Child:
    def __init__(self, fd: int, start: int, end: int, path: str, platform: Optional[str]):
        from ..procs import CHILDREN, session_kwargs

        self.start, self.end = start, end
        self.done = 0
        self.part: Optional[Part] = None
        self.failed = False
        self.finished = False
        self._buf = bytearray()
        code = _CHILD.format(mod=__name__)
        self.proc: Optional["subprocess.Popen[bytes]"] = None
        self.out = -1
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(sys.path), str(fd), str(start),
                                          str(end), path, platform or ""], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=(fd,),
                                         **session_kwargs())
        except OSError:  # no interpreter to start (embedded Python), a process limit: read here
            self.failed = self.finished = True
            return
        CHILDREN.add(self.proc.pid)
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.fileno()

    def pump(self, timeout: float) -> bool:
        """Read what the child sent; True once it is finished (with a Part or failed)."""
        if self.finished:
            return True
        r, _, _ = select.select([self.out], [], [], timeout)
        if not r:
            return False
        data = os.read(self.out, 1 << 20)
        if not data:
            self.failed = True
            self.stop()
            return True
        self._buf += data
        while len(self._buf) >= _HEAD.size:
            kind, n = _HEAD.unpack_from(self._buf)
            if kind == b"P":
                self.done = n
                del self._buf[:_HEAD.size]
                continue
            if len(self._buf) < _HEAD.size + n:
                break
            try:
                self.part = pickle.loads(bytes(self._buf[_HEAD.size:_HEAD.size + n]))
            except Exception:  # noqa: BLE001 - a broken child: this process reads the part itself
                self.failed = True
            self._buf = bytearray()
            self.done = self.end - self.start
            self.stop()
            return True
        return False

    def stop(self) -> None:
        from ..procs import CHILDREN, kill_tree

        if self.finished or self.proc is None:
            return
        self.finished = True
        if self.proc.poll() is None:
            kill_tree(self.proc.pid, grace=0.2)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - killed above
            pass
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        CHILDREN.discard(self.proc.pid)


def scan_in_parts(fh, sc: LogScanner, size: int, cancel: CancelToken,
                  on_progress: Optional[Callable[[int, Optional[int]], None]]) -> bool:
    """Read the rest of ``fh`` (a regular file of ``size`` bytes, read up to its position) in
    parts when it is big enough; False when it was not tried (the caller reads it in one pass)."""
    n = processes()
    if os.name != "posix" or not hasattr(os, "pread"):
        return False
    try:
        fd = fh.fileno()
        pos = fh.tell()
    except (AttributeError, OSError, ValueError):
        return False
    if n < 2 or size - pos < 2 * MIN_PART or sc.since is not None or sc.on_event is not None \
            or sc.on_usage is not None or not sc._bulk or not sc._timestamp_ok or sc._part:
        return False
    at = cuts(fd, pos, size, n)
    if not at:
        return False
    bounds = [pos] + at + [size]
    children: List[_Child] = []
    try:
        # The platform (for exit codes) comes from the first start-up line, near the top.
        _read_range(fh, sc, min(pos + HEAD, bounds[1]), cancel, lambda _d, _t: None)
        for a, b in zip(bounds[1:], bounds[2:]):
            children.append(_Child(fd, a, b, sc.summary.path, sc.summary.platform))

        def progress(_done: int, _total: Optional[int]) -> None:
            for c in children:
                c.pump(0)
            if on_progress is not None:
                on_progress(sc.summary.bytes_read + sum(c.done for c in children), size)
        _read_range(fh, sc, bounds[1], cancel, progress)
        for c in children:
            while not c.pump(0.05):
                cancel.check()
                progress(0, size)
            c.done = 0   # from now on in sc.summary.bytes_read
            if c.part is None or not merge(sc, c.part):
                fh.seek(c.start)
                _read_range(fh, sc, c.end, cancel, progress)
            else:
                fh.seek(c.end)
            c.part = None
        date_peaks(sc.summary, fd)
    finally:
        for c in children:
            c.stop()
    return True


def _read_range(fh, sc: LogScanner, end: int, cancel: CancelToken,
                progress: Callable[[int, Optional[int]], None]) -> None:
    """Feed ``sc`` from the file's position up to ``end``."""
    while True:
        cancel.check()
        left = end - fh.tell()
        if left <= 0:
            return
        data = fh.read(min(BLOCK, left))
        if not data:
            return
        sc.feed(data)
        progress(0, None)
