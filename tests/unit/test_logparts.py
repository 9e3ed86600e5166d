"""A big log read in parts (logparts) against one pass over the same bytes.

The promise: cutting a log at TIMESTAMP lines, reading the other parts elsewhere
(``read_part``), merging them in order (``merge``, or reading a part here when the merge
refuses it) and dating the peaks found inside parts (``date_peaks``) gives exactly what one
pass gives, field for field. Generated and real logs are cut at random sets of TIMESTAMP lines
in process (mirroring ``scan_in_parts`` step by step); each refusal is shown to be needed; and
the real path with child processes is read with small parts.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pickle
import random
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmdoctor.checks import procs
from lmdoctor.checks.flexnet import logparts, logscan
from lmdoctor.checks.flexnet.logscan import LogScanner, scan_file
from lmdoctor.checks.license.dates import parse_mdy
from lmdoctor.checks.runtime import Cancelled, CancelToken
from tests.unit.test_logscan_bulk import ODD, _line, assert_same, walk_time

_STAMP = re.compile(rb"([ \d]?\d:\d\d:\d\d) \(([^()\s]{1,64})\) TIMESTAMP (\d{1,2}/\d{1,2}/\d{2,4})\r*$")


# ------------------------------------------------------------------ reading in parts, in this process
def one_pass(data: bytes) -> logscan.LogSummary:
    sc = LogScanner()
    sc.feed(data)
    return sc.finish()


def stamp_starts(data: bytes) -> List[int]:
    """Where the lines the scanner reads as TIMESTAMP lines with a real date start (not the
    first line): the places a log may be cut. Found here, not with logparts' own pattern."""
    out, p = [], 0
    for line in data.split(b"\n")[:-1]:
        m = _STAMP.match(line)
        if p and m is not None and parse_mdy(m.group(3).decode()) is not None:
            out.append(p)
        p += len(line) + 1
    return out


def read_in_parts(path: str, at: List[int], head: int = logparts.HEAD, merged: Optional[List[str]] = None,
                  lazy: Optional[List[str]] = None) -> logscan.LogSummary:
    """What scan_in_parts does, the children read here: the parent reads ``head`` bytes of the
    first part, the others are read with the platform known then (and sent through pickle, as
    from a child), the parent reads the rest of its part, then merges each part in order or
    reads it itself. ``merged`` gets each part's refusal ("" when merged), ``lazy`` the features
    whose peak is dated by date_peaks."""
    size = os.path.getsize(path)
    bounds = [0] + sorted(at) + [size]
    with open(path, "rb") as fh:
        fd = fh.fileno()
        sc = LogScanner(path=path)
        sc.feed(fh.read(min(head, bounds[1])))
        parts = [pickle.loads(pickle.dumps(logparts.read_part(fd, a, b, path=path, platform=sc.summary.platform)))
                 for a, b in zip(bounds[1:], bounds[2:])]
        sc.feed(fh.read(bounds[1] - fh.tell()))
        for part in parts:
            why = logparts.refusal(sc, part)
            ok = logparts.merge(sc, part)
            assert ok is (why == ""), why
            if merged is not None:
                merged.append(why)
            if not ok:
                fh.seek(part.start)
                sc.feed(fh.read(part.end - part.start))
        if lazy is not None:
            lazy.extend(f.feature for f in sc.usage.summary.features.values()
                        if isinstance(f.peak_when, logparts._LazyWhen))
        logparts.date_peaks(sc.summary, fd)
        return sc.finish()


@contextmanager
def on_disk(data: bytes) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "debug.log")
        with open(p, "wb") as fh:
            fh.write(data)
        yield p


def assert_same_in_order(a: logscan.LogSummary, b: logscan.LogSummary) -> None:
    """Field for field, and the tables the findings list in their order in the same order
    (the others are ranked by count and name)."""
    assert_same(a, b)
    for name in ("exits", "errors", "gone"):
        assert list(getattr(a, name)) == list(getattr(b, name)), name


def assert_parts_equal_one_pass(data: bytes, at: List[int], head: int = logparts.HEAD,
                                want: Optional[logscan.LogSummary] = None) -> List[str]:
    merged: List[str] = []
    with on_disk(data) as p:
        got = read_in_parts(p, at, head, merged)
        want = want or one_pass(data)
        want.path = p
        assert_same_in_order(got, want)
    return merged


# ------------------------------------------------------------------ generated logs
# A server's life in time order: usage lines (read in bulk), TIMESTAMP lines now and then and
# at each new day, start-ups (Unix and Windows), vendor daemons serving, SHUTDOWN requests, lmgrd
# stopping, vendor daemons exiting (codes decoded per platform), features expiring and removed,
# checkouts of several licenses, INACTIVE checkins, checkins with nothing open, unrecognised
# lines of many shapes, and now and then a line of any kind at any time (test_logscan_bulk's).
LIFE = [
    "(lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) ({date})",
    "(lmgrd) FlexNet Licensing (v11.19.6.0 build 293152 x64_n6) started on srv (IBM PC) ({date})",
    "(lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv ({date})",
    "({d}) Server started on srv for:\t{f}",
    "(lmgrd) SHUTDOWN request from admin at node srv",
    "(lmgrd) EXITING DUE TO SIGNAL 15",
    "(lmgrd) EXITING DUE TO SIGNAL 9",
    "({d}) EXITING DUE TO SIGNAL 41 Exit reason 9",
    "({d}) EXITING DUE TO SIGNAL 25 Exit reason 2",
    "({d}) EXITING DUE TO SIGNAL 9",
    "(lmgrd) {d} exited with status 44 (Exited because another server was running)",
    "(lmgrd) {d} exited with status 25 (Invalid host)",
    "(lmgrd) {d} exited with status 34",
    "(lmgrd) {d} exited with status 34 (said {w})",
    "({d}) {f} expired -- rereading to update",
    "({d}) Support removed for feature {f}(ABCDEF)",
    "(lmgrd) Wrong hostid on SERVER line for license file: /x.lic",
    "(lmgrd) The TCP port number in the license, 27000, is already in use.",
    '({d}) IN: "{f}" {u}@pc1  (INACTIVE)',
    '({d}) OUT: "{f}" {u}@pc1  (3 licenses)',
    '({d}) IN: "{f}" {u}@pc1  (2 licenses)',
    "({d}) odd word {w}",
    "({d}) (@{d}-SLOG@) Statistics block:",
    "({d})   indented text",
]
WORDS = [a + b for a in "abcdefghijklmnopqrst" for b in "uvwxyz"]


def make_log(seed: int, n: int, crlf: bool = False, stamps: float = 0.03, odd: float = 0.08,
             chaos: float = 0.0) -> bytes:
    r = random.Random(seed)
    secs, day = r.randrange(86400), r.randrange(300)
    out = []
    if r.random() < 0.7:
        out.append(" 0:00:01 " + r.choice(LIFE[:3]).format(date=f"1/{1 + day % 28}/2024"))
    words = WORDS[:r.choice([5, 40, len(WORDS)])]
    for _ in range(n):
        secs, day, new_day, t = walk_time(r, secs, day)
        d = r.choice(["sigasi", "sigasi", "sigasi", "MLM"])
        f, u = r.choice(["f1", "f1", "f2", "f3", "com.sigasi.hdt.custom"]), r.choice(["ann", "bob", "carl", "dora"])
        date = f"{1 + (day // 28) % 12}/{1 + day % 28}/{2020 + day // 336}"
        k = r.random()
        if new_day and r.random() < 0.7 or k < stamps:   # else the day rolls over with no TIMESTAMP line
            line = f"({r.choice(['lmgrd', 'lmgrd', d])}) TIMESTAMP {date}"
        elif k < stamps + 0.38:
            line = f'({d}) OUT: "{f}" {u}@pc{r.randrange(3)}  '
        elif k < stamps + 0.74:
            line = f'({d}) IN: "{f}" {u}@pc{r.randrange(3)}  '
        elif k < stamps + 0.80:
            line = f'({d}) DENIED: "{f}" {u}@pc1  (Licensed number of users already reached. (-4,342))'
        elif k < stamps + 0.84:
            line = (f'({d}) UNSUPPORTED: "com.sigasi.hdt.{r.choice(["custom", "preview"])}" (PORT_AT_HOST_PLUS   ) '
                    f'{u}@pc1  (License server system does not support this feature. (-18,327:10054 ""))')
        elif k < stamps + 0.84 + odd:
            line = r.choice(LIFE + ODD).format(d=d, f=f, u=u, date=date, w=r.choice(words))
        elif r.random() < chaos:  # any line at any time, now and then one over MAX_LINE
            out.append(_line(r) if r.random() < 0.98 else t + " (sigasi) long " + "x" * logscan.MAX_LINE)
            continue
        else:
            line = f"({d}) (@{d}-SLOG@) Statistics: connections {r.randrange(9)}"
        out.append(f"{t} {line}")
    return (("\r\n" if crlf else "\n").join(out) + "\n").encode("utf-8", "surrogateescape")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10 ** 9), n=st.integers(0, 1500), crlf=st.booleans(),
       stamps=st.sampled_from([0.005, 0.03, 0.1]), odd=st.sampled_from([0.0, 0.08, 0.3]),
       chaos=st.sampled_from([0.0, 0.0, 0.3]), sub=st.sampled_from([None, 3000, 20000]), data=st.data())
def test_generated_logs_read_in_parts_equal_one_pass(seed, n, crlf, stamps, odd, chaos, sub, data):
    log = make_log(seed, n, crlf, stamps, odd, chaos)
    starts = stamp_starts(log)
    at = data.draw(st.lists(st.sampled_from(starts), unique=True, max_size=12)) if starts else []
    head = data.draw(st.integers(0, 1 << 17))
    old = logscan.SUB_RANGE
    if sub:
        logscan.SUB_RANGE = sub
    try:
        assert_parts_equal_one_pass(log, at, head)
    finally:
        logscan.SUB_RANGE = old


def test_ordinary_log_is_merged_part_by_part_and_its_peaks_dated(monkeypatch):
    # A busy log with nothing unusual: every part is merged (none is read again here), and the
    # peaks reached inside later parts get their time from date_peaks.
    monkeypatch.setattr(logscan, "SUB_RANGE", 3000)   # a part's first range learns its daemons
    log = make_log(3, 6000, odd=0.0)
    r = random.Random(3)
    climb = [f'23:59:{i % 60:02d} (sigasi) OUT: "peak" u{i % 4}@pc1  ' for i in range(1000)]
    log += ("23:59:00 (lmgrd) TIMESTAMP 12/31/2030\n" + "\n".join(climb) + "\n").encode()
    starts = stamp_starts(log)
    at = sorted(r.sample(starts, 8)) + [starts[-1]]
    merged = assert_parts_equal_one_pass(log, at)
    assert merged == [""] * len(at)
    lazy: List[str] = []
    with on_disk(log) as p:
        s = read_in_parts(p, at, lazy=lazy)
    assert "peak" in lazy and "f1" in lazy
    assert s.usage.features["peak"].peak == 1000
    assert s.usage.features["peak"].peak_when == "2030-12-31 23:59:39"
    assert s.usage.features["f1"].peak_when and s.out_lines > 2000


@pytest.mark.parametrize("every", [1, 7])
def test_cut_at_every_timestamp_of_a_generated_log(every):
    log = make_log(11, 3000, stamps=0.05, odd=0.1)
    starts = stamp_starts(log)
    assert len(starts) > 100
    merged = assert_parts_equal_one_pass(log, starts[::every])
    assert merged.count("") > len(merged) // 3


@pytest.mark.parametrize("crlf", [False, True])
def test_cuts_are_the_first_timestamp_lines_after_equal_shares(tmp_path, monkeypatch, crlf):
    monkeypatch.setattr(logparts, "_WINDOW", 1000)   # TIMESTAMP lines across the windows read
    log = make_log(5, 20000, crlf, stamps=0.01, odd=0.0)
    path = tmp_path / "debug.log"
    path.write_bytes(log)
    starts = stamp_starts(log)
    with open(path, "rb") as fh:
        fd = fh.fileno()
        for start, n, min_part in ((0, 2, 1000), (0, 3, 1000), (0, 7, len(log) // 10), (len(log) // 3, 4, 1000),
                                   (0, 4, len(log) // 3), (0, 2, len(log) // 2 + 1)):
            # Each cut: the first TIMESTAMP line from its target on, leaving min_part bytes to
            # both sides; the targets near equal shares (later ones a little shorter: a child
            # counts the lines before its part first).
            at = logparts.cuts(fd, start, len(log), n, min_part)
            n = min(n, (len(log) - start) // min_part)
            targets = logparts._targets(start, len(log), n)
            share = (len(log) - start) / n
            assert all(0.8 * share < b - a < 1.2 * share for a, b in zip([start] + targets, targets + [len(log)]))
            want: List[int] = []
            for target in targets:
                lo = max(target, (want[-1] if want else start) + min_part)
                want += [s for s in starts if lo <= s < len(log) - min_part][:1]
            assert at == want and (at or n < 2)


def test_over_long_lines_in_parts_are_cut_and_counted_once():
    # Lines over MAX_LINE in several parts, one just before a cut: each counted once as cut.
    long = "x" * (logscan.MAX_LINE + 500)
    log = lines(START, SERVED, f"10:00:00 (sigasi) {long}", *USE, f"10:59:00 (sigasi) Oops {long}",
                "11:00:00 (lmgrd) TIMESTAMP 1/2/2024", *USE, f"{long} (sigasi)",
                "12:00:00 (lmgrd) TIMESTAMP 1/2/2024", f"12:00:01 (sigasi) {long}")
    assert assert_parts_equal_one_pass(log, cut_at_stamps(log)) == ["", ""]
    assert one_pass(log).cut_lines == 4


def test_a_peak_before_midnight_in_a_run_that_crosses_it_is_dated(monkeypatch):
    # No TIMESTAMP at midnight: the day rolls over inside one bulk run, and the peak is reached
    # in the last hour of the first day; date_peaks must look at that hour's lines too.
    monkeypatch.setattr(logscan, "SUB_RANGE", 4000)
    text = ["21:00:00 (lmgrd) TIMESTAMP 1/2/2024"]
    text += [f'{21 + i // 60:2d}:{i % 60:02d}:00 (sigasi) OUT: "f1" u{i % 5}@pc1  ' for i in range(120)]
    text += [f'{23 + i // 60:2d}:{i % 60:02d}:30 (sigasi) OUT: "f1" u{i % 5}@pc1  ' for i in range(60)]
    text += [f' {i // 60}:{i % 60:02d}:00 (sigasi) IN: "f1" u{i % 5}@pc1  ' for i in range(150)]
    log = lines(START, *USE, *text)
    assert assert_parts_equal_one_pass(log, cut_at_stamps(log)) == [""]
    f = one_pass(log).usage.features["f1"]
    assert f.peak_when == "2024-01-02 23:59:30"


def test_a_peak_after_a_checkin_of_nothing_open_is_dated(monkeypatch):
    # A day of a part's bulk run where checkins find nothing open, then the peak: the merge
    # replays it step by step (not from its sums) and date_peaks dates that peak. Runs begin at
    # several places (the first lines of a part are learned, read one by one).
    monkeypatch.setattr(logscan, "SUB_RANGE", 6000)
    dated = 0
    for lead in range(0, 160, 16):
        text = ["10:00:00 (lmgrd) TIMESTAMP 1/2/2024"]
        text += [f'10:{i // 60:02d}:{i % 60:02d} (sigasi) {"OUT" if i % 2 else "IN"}: "f1" u{i % 5}@pc1  '
                 for i in range(lead)]
        text += [f'11:00:{i:02d} (sigasi) OUT: "f1" u{i % 5}@pc1  ' for i in range(5)]
        text += [f'11:01:{i:02d} (sigasi) IN: "f1" u{i % 5}@pc1  ' for i in range(30)]
        text += [f'11:02:{i:02d} (sigasi) OUT: "f1" u{i % 5}@pc1  ' for i in range(40)]
        log = lines(START, *USE[:30], *text)
        lazy: List[str] = []
        with on_disk(log) as p:
            got = read_in_parts(p, cut_at_stamps(log), lazy=lazy)
        want = one_pass(log)
        want.path = got.path
        assert_same(got, want)
        assert want.usage.features["f1"].peak_when == "2024-01-02 11:02:39"
        dated += "f1" in lazy
    assert dated


# ------------------------------------------------------------------ real logs
REAL = ["ImSukh__FlexLM-Log-Parser__debug.log", "sergioedo__flexlm-license-elk__sample.log"]


@pytest.mark.realworld
@pytest.mark.parametrize("name", REAL)
def test_real_log_cut_at_every_timestamp_equals_one_pass(realworld, name):
    # Read in place: every TIMESTAMP line starts a part, each merged after the ones before.
    path = str(realworld / "logs" / name)
    data = Path(path).read_bytes()
    starts = stamp_starts(data)
    assert len(starts) > 100
    merged: List[str] = []
    got = read_in_parts(path, starts, merged=merged)
    want = one_pass(data)
    want.path = path
    assert_same(got, want)
    assert merged.count("") > len(merged) // 2


@pytest.mark.realworld
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(REAL), data=st.data())
def test_real_log_cut_at_some_timestamps_equals_one_pass(realworld, name, data):
    path = str(realworld / "logs" / name)
    raw = Path(path).read_bytes()
    starts = stamp_starts(raw)
    at = data.draw(st.lists(st.sampled_from(starts), min_size=1, max_size=4, unique=True))
    head = data.draw(st.sampled_from([0, 200, logparts.HEAD]))
    got = read_in_parts(path, at, head)
    want = one_pass(raw)
    want.path = path
    assert_same(got, want)


@pytest.fixture(scope="module")
def real_lines(realworld):
    lines = []
    for p in sorted((realworld / "logs").glob("*")):
        lines.extend(p.read_bytes().splitlines())
    return lines


@pytest.mark.realworld
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_real_lines_mixed_and_cut_equal_one_pass(real_lines, data):
    # Stretches of every real log (one of them has no TIMESTAMP line at all) with a TIMESTAMP
    # line between stretches: every vendor's shapes on both sides of a cut.
    picks = data.draw(st.lists(st.tuples(st.integers(0, len(real_lines) - 1), st.integers(1, 300)),
                               min_size=1, max_size=10))
    out: List[bytes] = []
    for k, (i, n) in enumerate(picks):
        out.append(b"%2d:00:00 (lmgrd) TIMESTAMP %d/%d/2024" % (k % 24, 1 + k % 12, 1 + k % 28))
        out.extend(real_lines[i:i + n])
    log = b"\n".join(out) + b"\n"
    starts = stamp_starts(log)
    at = data.draw(st.lists(st.sampled_from(starts), unique=True)) if starts else []
    assert_parts_equal_one_pass(log, at, data.draw(st.sampled_from([0, logparts.HEAD])))


# ------------------------------------------------------------------ refusals
def lines(*text: str) -> bytes:
    return ("\n".join(text) + "\n").encode()


def cut_at_stamps(log: bytes, which: Optional[List[int]] = None) -> List[int]:
    starts = stamp_starts(log)
    return starts if which is None else [starts[i] for i in which]


def refused(log: bytes, at: List[int], reason: str, head: int = logparts.HEAD, needed: bool = True,
            monkeypatch=None) -> None:
    """The merge refuses a part for ``reason`` (and merges no part for another), the part read
    here instead gives the one-pass result; ``needed``: merging it anyway would not."""
    one = one_pass(log)
    merged = assert_parts_equal_one_pass(log, at, head, one)
    assert reason in merged and set(merged) <= {"", reason}, merged
    if needed:
        assert monkeypatch is not None
        monkeypatch.setattr(logparts, "refusal", lambda sc, part: "")
        with on_disk(log) as p:
            try:
                forced = dataclasses.asdict(read_in_parts(p, at, head))
            except KeyError:  # a feature pooled under "(other)" by one side only
                return
        want = dataclasses.asdict(one)
        want["path"] = forced["path"]
        assert forced != want


START = " 9:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) (1/2/2024)"
SERVED = " 9:00:01 (sigasi) Server started on srv for:\tf1"
USE = [f'{9 + i // 60:2d}:{i % 60:02d}:00 (sigasi) {"OUT" if i % 3 else "IN"}: "f1" u{i % 7}@pc1  ' for i in range(60)]


def test_refused_when_lmgrd_is_shutting_down_across_the_cut(monkeypatch):
    # One pass reads the vendor daemon's SIGKILL as part of the orderly stop and names who asked
    # for it on lmgrd's exit; a part read alone cannot know lmgrd was stopping.
    log = lines(START, SERVED, *USE, "10:00:00 (lmgrd) SHUTDOWN request from admin at node srv",
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", "10:00:01 (sigasi) EXITING DUE TO SIGNAL 9",
                "10:00:02 (lmgrd) EXITING DUE TO SIGNAL 15")
    refused(log, cut_at_stamps(log), "lmgrd is shutting down across the cut", monkeypatch=monkeypatch)
    s = one_pass(log)
    assert s.orderly_exits == 1 and s.stops[0].requested_by == "admin at node srv"
    assert s.startups[0].outcome is logscan.Outcome.STOPPED


def test_a_stop_within_one_part_is_merged():
    # The start-up is in the first part; the stop, all of it, in the second: merged, and the
    # start-up ends stopped (steps on it recorded in the part and done by the merge).
    log = lines(START, SERVED, *USE, "10:00:01 (lmgrd) TIMESTAMP 1/2/2024",
                "10:00:01 (lmgrd) SHUTDOWN request from admin at node srv",
                "10:00:01 (sigasi) EXITING DUE TO SIGNAL 9", "10:00:02 (lmgrd) EXITING DUE TO SIGNAL 15")
    assert assert_parts_equal_one_pass(log, cut_at_stamps(log)) == [""]
    st = one_pass(log).startups[0]
    assert st.outcome is logscan.Outcome.STOPPED and st.stop_requested == "admin at node srv"


def test_startup_steps_from_a_later_part_reach_the_startup(monkeypatch):
    # Served, then the vendor daemon exits (a later part), lmgrd restarts it (another part).
    log = lines(START, " 9:00:02 (lmgrd) TIMESTAMP 1/2/2024", SERVED, *USE,
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", "10:00:02 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9",
                "10:00:03 (lmgrd) sigasi exited with status 41 (Exited because another server was running)",
                "10:05:00 (lmgrd) TIMESTAMP 1/2/2024", "10:05:01 (sigasi) Server started on srv for:\tf1")
    assert assert_parts_equal_one_pass(log, cut_at_stamps(log)) == ["", "", ""]
    st = one_pass(log).startups[0]
    assert st.outcome is logscan.Outcome.SERVING and "again" in st.detail
    # Without the steps recorded in the parts, the start-up would stay served once.
    monkeypatch.setattr(logparts, "STARTUP_STEPS", {k: (lambda st, *a: None) for k in logscan.STARTUP_STEPS})
    with on_disk(log) as p:
        assert read_in_parts(p, cut_at_stamps(log)).startups[0].detail != st.detail


def test_refused_when_a_feature_gone_earlier_goes_again(monkeypatch):
    # One pass keeps how f1 first went (expired) until it is served again; a part alone
    # would record it anew (removed).
    log = lines(START, SERVED, *USE, "10:00:00 (sigasi) f1 expired -- rereading to update",
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", "10:00:02 (sigasi) Support removed for feature f1(ABC)",
                '10:05:00 (sigasi) OUT: "f1" ann@pc1  ')
    refused(log, cut_at_stamps(log), "a feature gone earlier goes again", monkeypatch=monkeypatch)
    g = one_pass(log).gone["f1"]
    assert g.how == "expired" and g.served_again == "2024-01-02 10:05:00"


def test_a_feature_gone_earlier_is_served_again_in_a_later_part():
    log = lines(START, SERVED, *USE, "10:00:00 (sigasi) f1 expired -- rereading to update",
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", "10:00:01 (sigasi) Oops", *USE[:9],
                "11:00:01 (lmgrd) TIMESTAMP 1/3/2024", *USE[9:40])
    for at in (cut_at_stamps(log), cut_at_stamps(log, [1])):
        assert set(assert_parts_equal_one_pass(log, at)) == {""}
    assert one_pass(log).gone["f1"].served_again == "2024-01-02 09:01:00"


def test_a_feature_gone_earlier_is_served_again_in_a_later_parts_bulk_run(monkeypatch):
    # The first checkout after it went is read in bulk in the part.
    monkeypatch.setattr(logscan, "SUB_RANGE", 4000)
    churn = [f'11:{i // 60:02d}:{i % 60:02d} (sigasi) {"OUT" if i % 2 else "IN"}: "f{1 + (i < 200)}" u{i % 5}@pc1  '
             for i in range(300)]
    log = lines(START, SERVED, *USE, "10:00:00 (sigasi) f1 expired -- rereading to update",
                "11:00:00 (lmgrd) TIMESTAMP 1/2/2024", *churn)
    assert assert_parts_equal_one_pass(log, cut_at_stamps(log)) == [""]
    assert one_pass(log).gone["f1"].served_again == "2024-01-02 11:03:21"


def test_refused_when_exit_codes_were_decoded_for_another_platform(monkeypatch):
    # Status 25 is 23 + 2 (wrong host) on Windows, nothing on Unix. The platform is said after
    # what the parent read before starting the children (head): the child decoded it for none.
    log = lines(" 9:00:00 (lmgrd) TIMESTAMP 1/2/2024", *USE, START, SERVED,
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", "10:00:02 (lmgrd) sigasi exited with status 25 (Invalid host)")
    at = cut_at_stamps(log)
    refused(log, at, "exit codes decoded for another platform", head=100, monkeypatch=monkeypatch)
    assert assert_parts_equal_one_pass(log, at, head=len(log)) == [""]   # said in the head: merged


def test_platform_said_in_a_merged_part_holds_for_the_parts_after(monkeypatch):
    # No platform in the first part: the second says Windows, and its children were told none;
    # the third part decoded its exit for no platform (34 = 32 + 2 on Unix), so it is read again.
    win = " 9:00:00 (lmgrd) FlexNet Licensing (v11.19.6.0 build 1 x64_n6) started on srv (IBM PC) (1/2/2024)"
    log = lines(" 8:00:00 (lmgrd) TIMESTAMP 1/2/2024", *USE[:20], " 9:00:00 (lmgrd) TIMESTAMP 1/2/2024", win,
                SERVED, "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", "10:00:02 (lmgrd) sigasi exited with status 34")
    refused(log, cut_at_stamps(log), "exit codes decoded for another platform", monkeypatch=monkeypatch)
    assert one_pass(log).platform == "windows"


def test_refused_when_the_table_of_gone_features_is_full(monkeypatch):
    n = logscan.MAX_KEYS // 2 + 50
    log = lines(*(f"10:00:00 (sigasi) Support removed for feature a{i}" for i in range(n)),
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024",
                *(f"10:00:02 (sigasi) Support removed for feature b{i}" for i in range(n)))
    refused(log, cut_at_stamps(log), "the table of gone features is full", monkeypatch=monkeypatch)
    assert len(one_pass(log).gone) == logscan.MAX_KEYS


def test_refused_when_the_feature_table_is_full(monkeypatch):
    n = logscan.MAX_KEYS // 2 + 50
    # (Denials make the features: checkouts of thousands of features in one hour are slow.)
    log = lines(*(f'10:00:00 (sigasi) DENIED: "a{i}" u@h  (x)' for i in range(n)),
                "10:00:01 (lmgrd) TIMESTAMP 1/2/2024",
                *(f'10:00:02 (sigasi) DENIED: "b{i}" u@h  (x)' for i in range(n)),
                f'10:00:03 (sigasi) OUT: "b{n - 1}" u@h')
    refused(log, cut_at_stamps(log), "the feature table is full", monkeypatch=monkeypatch)
    assert "(other)" in one_pass(log).usage.features


def test_refused_when_a_features_day_table_is_full():
    import datetime as dt

    from lmdoctor.checks.flexnet.usage import MAX_DAYS

    day0 = dt.date(2010, 1, 1)
    days = [day0 + dt.timedelta(days=i) for i in range(MAX_DAYS + 100)]
    text = [f"10:00:00 (lmgrd) TIMESTAMP {d.month}/{d.day}/{d.year}\n10:00:01 (sigasi) DENIED: \"f1\" u@h  (x)"
            for d in days]
    log = lines(*text)
    starts = stamp_starts(log)
    merged = assert_parts_equal_one_pass(log, [starts[len(starts) // 2]])
    assert merged == ["a feature's day table is full"]
    assert len(one_pass(log).usage.features["f1"].days) == MAX_DAYS


def test_refused_when_not_read_up_to_where_the_part_starts():
    log = lines(START, SERVED, *USE, "10:00:01 (lmgrd) TIMESTAMP 1/2/2024", *USE,
                "11:00:01 (lmgrd) TIMESTAMP 1/2/2024", *USE)
    a, b = stamp_starts(log)
    with on_disk(log) as p, open(p, "rb") as fh:
        fd = fh.fileno()
        p1, p2 = logparts.read_part(fd, a, b, path=p), logparts.read_part(fd, b, len(log), path=p)
        sc = LogScanner(path=p)
        sc.feed(log[:a - 1])                 # all but the last newline: a line not ended
        assert logparts.refusal(sc, p1) == "not where the part starts" and not logparts.merge(sc, p1)
        sc.feed(log[a - 1:a])
        early = LogScanner(path=p)           # the part's first line begun: the line count is right
        early.feed(log[:a + 5])
        assert early._line_no == p1.line_base and logparts.refusal(early, p1) == "not where the part starts"
        assert logparts.refusal(sc, p2) == "not where the part starts" and not logparts.merge(sc, p2)
        assert logparts.merge(sc, p1) and logparts.merge(sc, p2)
        logparts.date_peaks(sc.summary, fd)
        want = one_pass(log)
        want.path = p
        assert_same(sc.finish(), want)


def test_refused_when_a_part_pooled_shapes_under_other(monkeypatch):
    # A part that met more shapes of unrecognised lines than the table keeps pooled the rest
    # under "(other)": a shape the lines before the part had already made its own key would
    # lose this part's lines to "(other)" in the merge, one pass counts them to their key.
    words = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    log = lines(START, "10:00:00 (sigasi) odd word zz", "10:00:01 (lmgrd) TIMESTAMP 1/2/2024",
                *(f"10:00:02 (sigasi) odd word {w}" for w in words[:logscan.MAX_SHAPES + 10]),
                "10:00:03 (sigasi) odd word zz")
    refused(log, cut_at_stamps(log), "a table of the part is full", monkeypatch=monkeypatch)
    assert one_pass(log).shapes["(sigasi) odd word zz"] == 2


def test_refused_when_a_part_pooled_denied_users_under_other(monkeypatch):
    # The same for the tables keyed by user, feature, daemon...: max_keys keys each.
    log = lines(START, '10:00:00 (sigasi) DENIED: "f1" ann@pc1  (x (-4,342))', "10:00:01 (lmgrd) TIMESTAMP 1/2/2024",
                *(f'10:00:02 (sigasi) DENIED: "f1" u{i}@pc1  (x (-4,342))' for i in range(logscan.MAX_KEYS)),
                '10:00:03 (sigasi) DENIED: "f1" ann@pc1  (x (-4,342))')
    refused(log, cut_at_stamps(log), "a table of the part is full", monkeypatch=monkeypatch)
    assert one_pass(log).denied_by_user["ann@pc1"] == 2


# ------------------------------------------------------------------ the real path: child processes
# A ~5 MB log with parts of at least 512 KB (the defaults would need a 100 MB log): children
# really read the parts, send them through a pipe, and the result is still the one pass.
@pytest.fixture(scope="module")
def big_logs(tmp_path_factory):
    chunks = [make_log(seed, 12000, stamps=0.01, odd=0.01) for seed in range(4)]
    data = b"".join(chunks[i % 4] for i in range(8))
    plain = [line for line in data.split(b"\n") if b"SHUTDOWN request" not in line]
    # The second half stops before each TIMESTAMP line: a part starting there cannot be merged.
    stopping: List[bytes] = []
    for i, line in enumerate(plain):
        if i > len(plain) // 2 and b") TIMESTAMP " in line:
            stopping.append(line[:8] + b" (lmgrd) SHUTDOWN request from admin at node srv")
        stopping.append(line)
    out = []
    for log in (b"\n".join(stopping), b"\n".join(plain)):
        path = tmp_path_factory.mktemp("logparts") / "debug.log"
        path.write_bytes(log)
        sc = LogScanner(path=str(path))
        sc.feed(log)
        out.append((str(path), dataclasses.asdict(sc.finish())))
    return out


@pytest.fixture
def big_log(big_logs):
    return big_logs[1]


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(logparts, "MIN_PART", 512 * 1024)
    monkeypatch.setattr(logparts, "HEAD", 64 * 1024)
    merged: List[bool] = []
    real = logparts.merge

    def merge(sc, part):
        merged.append(real(sc, part))
        return merged[-1]
    monkeypatch.setattr(logparts, "merge", merge)
    return merged


def children() -> List[psutil.Process]:
    return psutil.Process().children(recursive=True)


def assert_no_child_left() -> None:
    assert children() == []
    assert not set(procs.CHILDREN.live()) - BEFORE


BEFORE = set(procs.CHILDREN.live())


@pytest.mark.parametrize("n", [2, 3])
def test_children_read_the_parts_and_the_result_is_the_one_pass(big_log, small_parts, monkeypatch, n):
    path, want = big_log
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", str(n))
    seen: List[int] = []
    kids = set()

    def progress(done, total):
        seen.append(done)
        kids.update(c.pid for c in children())
    got = dataclasses.asdict(scan_file(path, on_progress=progress))
    assert got == want
    assert len(small_parts) == n - 1 and all(small_parts)   # every part read by a child and merged
    assert len(kids) == n - 1
    size = os.path.getsize(path)
    assert seen and all(0 < d <= size for d in seen)          # no part counted twice
    assert_no_child_left()


def test_a_part_the_merge_refuses_is_read_here(big_logs, small_parts, monkeypatch):
    path, want = big_logs[0]
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", "3")
    with open(path, "rb") as fh:
        at = logparts.cuts(fh.fileno(), 0, os.path.getsize(path), 3)
    refusals: List[str] = []
    read_in_parts(path, at, logparts.HEAD, refusals)
    assert refusals == ["", "lmgrd is shutting down across the cut"]
    del small_parts[:]
    seen: List[int] = []
    assert dataclasses.asdict(scan_file(path, on_progress=lambda done, total: seen.append(done))) == want
    assert small_parts == [True, False]
    # The merged part counted once, the part read again here once: the end is the size.
    assert max(seen) == seen[-1] == os.path.getsize(path)
    assert_no_child_left()


def test_one_process_reads_in_one_pass(big_log, small_parts, monkeypatch):
    path, want = big_log
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", "1")
    assert dataclasses.asdict(scan_file(path)) == want
    assert small_parts == []


def test_cancel_while_children_read_stops_them(big_log, small_parts, monkeypatch):
    path, _ = big_log
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", "3")
    token = CancelToken()
    running: List[psutil.Process] = []

    def progress(done, total):
        running.extend(children())
        token.cancel()
    with pytest.raises(Cancelled):
        scan_file(path, cancel=token, on_progress=progress)
    assert len(running) == 2
    assert_no_child_left()


def test_a_child_killed_midway_is_read_here(big_log, small_parts, monkeypatch):
    # The OOM killer, an admin's kill: the part is read in this process instead.
    path, want = big_log
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", "2")
    killed: List[int] = []

    def progress(done, total):
        for c in children():
            if not killed:
                c.kill()
                killed.append(c.pid)
    assert dataclasses.asdict(scan_file(path, on_progress=progress)) == want
    assert killed and small_parts == []
    assert_no_child_left()


@pytest.mark.parametrize("code", [
    "import sys; sys.exit(1)",                                                       # dies at once
    "import struct, sys; sys.stdout.buffer.write(struct.pack('<cQ', b'R', 3) + b'abc')",  # sends no Part
])
def test_a_failing_child_falls_back_to_this_process(big_log, small_parts, monkeypatch, code):
    path, want = big_log
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", "3")
    monkeypatch.setattr(logparts, "_CHILD", code)
    assert dataclasses.asdict(scan_file(path)) == want
    assert small_parts == []
    assert_no_child_left()


def test_no_child_can_be_started(big_log, small_parts, monkeypatch):
    # No interpreter to start (an embedded Python, a process limit): read here, not a crash.
    path, want = big_log
    monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", "2")
    monkeypatch.setattr(sys, "executable", os.path.join(os.path.dirname(path), "no-such-python"))
    assert dataclasses.asdict(scan_file(path)) == want
    assert small_parts == []
    assert_no_child_left()


def test_log_command_output_is_the_same_with_children(big_log, small_parts, monkeypatch, capsys):
    # The CLI's own reading (through the input gate, after sniffing the head) in parts, in this
    # process: the JSON report is the one-process one. (A subprocess run would need a 100 MB log
    # for the default part size: too slow for the unit suite.)
    from lmdoctor.checks import cli

    path, _ = big_log
    out = {}
    for n in ("1", "3"):
        monkeypatch.setenv("LMDOCTOR_LOG_PROCESSES", n)
        code = cli.main(["log", path, "--format", "json"])
        out[n] = (code, json.loads(capsys.readouterr().out))
    assert out["1"] == out["3"]
    assert small_parts and all(small_parts)
    assert_no_child_left()
