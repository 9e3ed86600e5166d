"""The bulk-counting log scanner against a plain line-by-line reading of the same bytes.

The scanner counts usage lines in bulk and reads the others one by one; read boundaries,
over-long lines, odd lines made to fool the counts, full tables and events must all give
exactly what reading every line in order gives.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.flexnet.logscan import MAX_KEYS, MAX_LINE, LogScanner


def reference(data: bytes, since=None, max_line=MAX_LINE, max_keys=MAX_KEYS, events=None):
    """Split at newlines, cut long lines, read each line with the scanner's per-line rules
    (TIMESTAMP lines through the catalogue too, not the scanner's shortcut)."""
    sc = LogScanner(since=since, max_line=max_line, max_keys=max_keys,
                    on_event=events.append if events is not None else None)
    sc._timestamp_ok = False
    s = sc.summary
    s.bytes_read = len(data)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for no, raw in enumerate(lines, 1):
        if len(raw) > max_line:
            s.cut_lines += 1
            raw = raw[:max_line]
        s.lines += 1
        sc._line(raw, no)
    return s


def scan(data: bytes, cuts, since=None, max_line=MAX_LINE, max_keys=MAX_KEYS, events=None):
    sc = LogScanner(since=since, max_line=max_line, max_keys=max_keys,
                    on_event=events.append if events is not None else None)
    prev = 0
    for c in sorted(set(cuts)) + [len(data)]:
        if c > prev:
            sc.feed(data[prev:c])
            prev = c
    return sc.finish()


def assert_same(a, b):
    da, db = dataclasses.asdict(a), dataclasses.asdict(b)
    for k in da:
        assert da[k] == db[k], k


def ev(events):
    return [(e.line_no, e.when, e.match.entry.id, e.decoded) for e in events]


# ------------------------------------------------------------------ generated logs
DAEMONS = ["sigasi", "sigasi", "sigasi", "lmgrd", "adskflex", "SIGASI", "a(b", "x y", "MLM"]
USERS = ["ann", "bob", "carl", "dora", "ed", "fay", "", "b\xf6b", "a b", "t\tab"]
FEATURES = ["com.sigasi.hdt", "com.sigasi.hdt.xl", "f\"q", "", "caf\xe9", "(sigasi) DENIED: \"x"]


def _time(r: random.Random) -> str:
    h, m, s = r.randrange(24), r.randrange(60), r.randrange(60)
    style = r.choice(["pad", "pad", "pad", "zero", "bare", "date", "none", "odd"])
    if style == "pad":
        return f"{h:2d}:{m:02d}:{s:02d} "
    if style == "zero":
        return f"{h:02d}:{m:02d}:{s:02d} "
    if style == "bare":
        return f"{h}:{m:02d}:{s:02d} "
    if style == "date":
        return f"1/2/2024 {h:02d}:{m:02d}:{s:02d} "
    if style == "odd":
        return r.choice(["99:99:99 ", " 1: 2:3 ", "ab:cd:ef "])
    return ""


def _line(r: random.Random) -> str:
    t, d = _time(r), r.choice(DAEMONS)
    u, h, f = r.choice(USERS), r.choice(["pc1", "pc2", "ws\xa0x", "h(1)"]), r.choice(FEATURES)
    reason = r.choice(["(Licensed number of users already reached. (-4,342))", "(No such feature exists. (-5,414))",
                       "", "(x", "(a) (b)", "(t\tab)"])
    kind = r.random()
    if kind < 0.25:
        return f'{t}({d}) OUT: "{f}" {u}@{h}  '
    if kind < 0.45:
        return f'{t}({d}) IN: "{f}" {u}@{h}  '
    if kind < 0.55:
        return f'{t}({d}) DENIED: "{f}" {u}@{h}  {reason}'
    if kind < 0.62:
        p = r.choice(["custom", "preview", "CUSTOM", "xl"])
        return f'{t}({d}) UNSUPPORTED: "com.sigasi.hdt.{p}" (PORT_AT_HOST_PLUS   ) {u}@{h}  (x (-18,327:10054 ""))'
    if kind < 0.70:
        return f"{t}({d}) (@{d}-SLOG@) Statistics: connections {r.randrange(4)}"
    if kind < 0.74:
        date = r.choice([f"{r.randrange(1, 13)}/{r.randrange(1, 29)}/20{r.randrange(10, 30)}", "13/45/2024", "2/30/24",
                         f"{r.randrange(1, 13)}/{r.randrange(1, 29)}/{r.randrange(10, 30)}", "1/2/20245", "1/2"])
        return f"{t}({d}) {r.choice(['TIMESTAMP', 'TIMESTAMP', 'timestamp'])} {date}{r.choice(['', '', ' x', '  '])}"
    return t + r.choice([
        f"({d}) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) ({r.randrange(1, 13)}/3/2024)",
        f"({d}) Server started on srv for:\tcom.sigasi.hdt",
        f"({d}) EXITING DUE TO SIGNAL 41 Exit reason 9",
        f"({d}) sigasi exited with status 25 (Invalid host)",
        f"({d}) The TCP port number in the license, 27000, is already in use.",
        f"({d}) Wrong hostid on SERVER line for license file: /x.lic",
        f"({d}) Oops, nothing to see",
        f'({d}) OUT: "half a line',
        f'({d}) OUT: "f" u@h ({d}) IN: "g" v@w',
        f'({d}) IN: "f" u@h and ({d}) DENIED: "g" v@w (x)',
        f'({d}) denied: "f" u@h (x)',
        f'({d}) UNSUPPORTED: "com.sigasi.hdt.xl" u@h',
        f"({d}) EXPIRED: feature",
        "not a log line at all",
        "",
        "\udcff\udcfe garbage",
    ])


def make_log(seed: int, n: int, crlf: bool, final_nl: bool) -> bytes:
    r = random.Random(seed)
    lines = [_line(r) for _ in range(n)]
    text = ("\r\n" if crlf else "\n").join(lines) + ("\n" if final_nl else "")
    return text.encode("utf-8", "surrogateescape")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10 ** 9), n=st.integers(0, 120), crlf=st.booleans(), final_nl=st.booleans(),
       cuts=st.lists(st.integers(0, 20000), max_size=12), small_line=st.booleans(), small_keys=st.booleans(),
       follow=st.booleans(), since=st.sampled_from([None, dt.datetime(2000, 1, 1), dt.datetime(2024, 3, 1)]))
@example(seed=18, n=16, crlf=False, final_nl=False, cuts=[], small_line=False, small_keys=True, follow=False,
         since=None)  # a DENIED needle inside another usage line once let a daemon into a full table early
def test_bulk_scanner_equals_line_by_line(seed, n, crlf, final_nl, cuts, small_line, small_keys, follow, since):
    data = make_log(seed, n, crlf, final_nl)
    kw = {"max_line": 60 if small_line else MAX_LINE, "max_keys": 3 if small_keys else MAX_KEYS, "since": since}
    ea, eb = ([], []) if follow else (None, None)
    a = scan(data, [c % (len(data) + 1) for c in cuts], events=ea, **kw)
    b = reference(data, events=eb, **kw)
    assert_same(a, b)
    if follow:
        assert ev(ea) == ev(eb)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    b'10:00:00 (sigasi) OUT: "f" u@h', b'10:00:01 (sigasi) IN: "f" u@h',
    b'10:00:02 (sigasi) DENIED: "f" u@h (r (-4,342))',
    b'10:00:03 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" u@h', b'10:00:04 (sigasi) (@sigasi-SLOG@) x',
    b'10:00:05 (sigasi) OUT: "f" u@h (sigasi) IN: "g"', b"10:00:06 (sigasi) nothing", b"",
    b'10:00:07 (sigasi) DENIED: "f" \xc3\xa9@h (r)', b'10:00:08 (sigasi) DENIED: "f" u@h (sigasi) DENIED: "g" v@w',
    b"10:00:09 (lmgrd) TIMESTAMP 1/2/2024", b'1:00:00 (sigasi) OUT: "f" u@h']), max_size=300),
    st.integers(1, 4000))
def test_bulk_scanner_on_shuffled_usage_lines(lines, piece):
    data = b"\n".join(lines)
    a = scan(data, range(piece, len(data), piece))
    assert_same(a, reference(data))


class _Counting(LogScanner):
    """Counts how many lines are read one by one."""

    read_one_by_one = 0

    def _line(self, raw, line_no):
        self.read_one_by_one += 1
        return super()._line(raw, line_no)


def _busy_log(lines: int, seed: int = 3) -> bytes:
    r = random.Random(seed)
    out = ["10:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) (1/2/2024)"]
    for i in range(lines):
        t = f"{(i // 3600) % 24:2d}:{(i // 60) % 60:02d}:{i % 60:02d}"
        k = r.random()
        u = f"user{r.randrange(40)}@pc{r.randrange(9)}"
        if k < 0.4:
            out.append(f'{t} (sigasi) OUT: "com.sigasi.hdt" {u}  ')
        elif k < 0.8:
            out.append(f'{t} (sigasi) IN: "com.sigasi.hdt" {u}  ')
        elif k < 0.9:
            out.append(f'{t} (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) {u}  (x)')
        elif k < 0.97:
            out.append(f'{t} (sigasi) DENIED: "com.sigasi.hdt" {u}  '
                       "(Licensed number of users already reached. (-4,342))")
        else:
            out.append(f"{t} (sigasi) (@sigasi-SLOG@) Statistics: connections {r.randrange(5)}")
        if i % 5000 == 0:
            out.append(f"{t} (lmgrd) TIMESTAMP 1/{2 + i // 86400}/2024")
        if i % 2000 == 1:
            # Lines read one by one that hold usage needles of a known daemon.
            out.append(f'1/2/2024 {t} (sigasi) OUT: "com.sigasi.hdt" {u}')
            out.append(f'{t} (sigasi) (@sigasi-SLOG@) last: (sigasi) IN: "x" (sigasi) DENIED: "y" u@h')
            out.append(f'ab:cd:ef (sigasi) DENIED: "com.sigasi.hdt" {u}  (odd time)')
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize("piece", [None, 65536, 1000])
def test_busy_log_is_counted_in_bulk(piece):
    data = _busy_log(60000)
    sc = _Counting()
    for i in range(0, len(data), piece or len(data)):
        sc.feed(data[i:i + (piece or len(data))])
    s = sc.finish()
    assert_same(s, reference(data))
    # Usage lines are counted, not read: only the others, a few DENIED examples and the
    # last DENIED line of each piece (and, with small pieces, the lines cut across pieces).
    pieces = len(data) // (piece or len(data)) + 1
    assert s.out_lines > 20000 and s.denied.count > 3000
    assert sc.read_one_by_one < 0.05 * s.lines + 2 * pieces + 10


def test_odd_lines_fall_back_to_line_by_line_and_agree():
    # A line with two usage needles and one with none: the counts still add up, so the
    # scanner must notice (the regex) and still give the line-by-line result.
    good = b'10:00:00 (sigasi) OUT: "f" u@h\n' * 500
    tricky = b'10:00:01 (sigasi) OUT: "f" u@h (sigasi) IN: "g" v@w\n10:00:02 (sigasi) Oops\n'
    data = good + tricky + good
    s = scan(data, [])
    assert_same(s, reference(data))
    assert s.out_lines == 1001 and s.in_lines == 0


def test_denied_tables_keep_line_order_when_full():
    lines = [f'10:00:{i % 60:02d} (sigasi) DENIED: "f{i % 7}" u{i}@h  (x (-4,342))' for i in range(400)]
    data = ("\n".join(lines) + "\n").encode()
    for piece in (len(data), 333, 4096):
        s = scan(data, range(piece, len(data), piece), max_keys=5)
        assert_same(s, reference(data, max_keys=5))
        assert set(s.denied_by_user) == {"u0@h", "u1@h", "u2@h", "u3@h", "u4@h", "(other)"}
        assert s.denied_by_user["(other)"] == 395


def test_usage_lines_do_not_move_the_day_forward():
    data = (b"10:00:00 (lmgrd) TIMESTAMP 1/2/2024\n"
            b'23:00:00 (sigasi) OUT: "f" u@h\n'
            b'1:00:00 (sigasi) DENIED: "f" u@h  (x (-4,342))\n'   # dated the next day ...
            b"11:00:00 (lmgrd) The TCP port number in the license, 27000, is already in use.\n")
    s = scan(data, [])
    assert s.denied.first == "2024-01-03 01:00:00"
    # ... but only the TIMESTAMP line at 10:00 counts for the port line: same day.
    assert s.errors["log.port-in-use"].first == "2024-01-02 11:00:00"
    assert_same(s, reference(data))


def test_denied_line_read_alone_keeps_table_order():
    # Bulk DENIED lines, then one the bulk path cannot take (a -datestamp line), then more: the
    # full table must admit users in line order (the first five lines are read as examples).
    first = ['10:00:00 (sigasi) DENIED: "f" a@h  (x (-4,342))'] * 5
    bulk = [f'10:00:0{i} (sigasi) DENIED: "f" u{i}@h  (x (-4,342))' for i in range(8)]
    data = ("\n".join(first + bulk[:4] + ['1/2/2024 10:00:09 (sigasi) DENIED: "f" z@h  (x (-4,342))'] + bulk[4:])
            + "\n").encode()
    s = scan(data, [], max_keys=3)
    assert_same(s, reference(data, max_keys=3))
    assert set(s.denied_by_user) == {"a@h", "u0@h", "u1@h", "(other)"}


def test_line_without_newline_is_held_in_constant_memory():
    for size in (65536, 100):
        sc = LogScanner(max_line=1000)
        for _ in range(200_000 // size + 1):  # no newline
            sc.feed(b"x" * size)
            assert len(sc._carry) <= 1000
        sc.feed(b'\n10:00:00 (s) DENIED: "f" u@h  (x (-4,342))\n')
        s = sc.finish()
        assert s.cut_lines == 1 and s.lines == 2 and s.denied.count == 1


def test_last_denied_line_is_found_past_an_odd_one():
    # Two daemons read in bulk; the last DENIED line has a stray quote in its feature: still a
    # denial (of feature "f"), read alone, and it holds the last DENIED time.
    head = "".join(f'10:00:0{i} (sigasi) DENIED: "f" u@h  (x (-4,342))\n' for i in range(6))
    head += '10:00:09 (adskflex) OUT: "f" u@h\n'
    tail = ('11:00:00 (sigasi) DENIED: "f" v@h  (x (-4,342))\n'
            '12:00:00 (adskflex) DENIED: "f"q" w@h  (x (-4,342))\n')
    data = ("1:00:00 (lmgrd) TIMESTAMP 1/2/2024\n" + head + tail).encode()
    for cuts in ([], [len(data) - len(tail)]):
        s = scan(data, cuts)
        assert_same(s, reference(data))
        assert s.denied.last == "2024-01-02 12:00:00" and s.denied.count == 8


def test_daemons_are_learned_after_a_start_without_usage_lines():
    start = "".join(f"10:00:{i % 60:02d} (lmgrd) Started sigasi (internet tcp_port 27001 pid {i})\n"
                    for i in range(3000))
    usage = "".join(f'11:00:{i % 60:02d} (sigasi) OUT: "f" u{i % 9}@h\n' for i in range(20000))
    data = (start + usage).encode()
    sc = _Counting()
    piece = 64 * 1024
    for i in range(0, len(data), piece):
        sc.feed(data[i:i + piece])
    s = sc.finish()
    assert_same(s, reference(data))
    # The first pieces hold no usage line to learn the daemon from; once it shows up, the
    # OUT lines are counted in bulk.
    assert s.out_lines == 20000 and sc.read_one_by_one < 3000 + 1000


@pytest.mark.parametrize("odd", ['"f" b\xf6b@h  (x)', '"f" a b@h  (x)', '"f" u@  (x)', '"f"q" u@h  (x)',
                                 '"f" u@h\x1c(x)'])
def test_denied_lines_the_bulk_parser_cannot_read_are_read_alone(odd):
    good = [f'10:00:{i:02d} (sigasi) DENIED: "f{i % 3}" u{i}@h  (x (-4,342))' for i in range(40)]
    lines = good[:20] + [f"10:01:00 (sigasi) DENIED: {odd}"] + good[20:] + [f"10:02:00 (sigasi) DENIED: {odd}"]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    for cuts in ([], [len(data) // 2]):
        s = scan(data, cuts)
        assert_same(s, reference(data))
        assert s.denied.last == "10:00:39" or s.denied.last == "10:02:00"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10 ** 9), n=st.integers(0, 200), sub=st.integers(1, 3000),
       cuts=st.lists(st.integers(0, 30000), max_size=6), small_keys=st.booleans())
def test_small_sub_ranges_change_nothing(seed, n, sub, cuts, small_keys):
    # Blocks are bulk-counted in sub-ranges; their edges must not show in the result either.
    from lmdoctor.checks.flexnet import logscan

    data = make_log(seed, n, False, True)
    kw = {"max_keys": 3 if small_keys else MAX_KEYS}
    old = logscan.SUB_RANGE
    logscan.SUB_RANGE = sub
    try:
        a = scan(data, [c % (len(data) + 1) for c in cuts], **kw)
    finally:
        logscan.SUB_RANGE = old
    assert_same(a, reference(data, **kw))


# ------------------------------------------------------------------ time-ordered busy logs
# Real logs are in time order, so whole hours are read in bulk: these generated logs exercise
# that path (hour pieces, usage-line codes, special lines, concurrency, day roll-overs) with
# every kind of odd line in between, and must still read exactly as line by line.
ODD = [
    '({d}) OUT: "{f}" {u}@pc1 [cd:{f}] (3 licenses)',
    '({d}) IN: "{f}" {u}@pc1 [cd:{f}] (3 licenses)',
    '({d}) IN: "{f}" {u}@pc1  (INACTIVE)',
    '({d}) IN: "{f}" {u}@pc1 (2 licenses) (SHUTDOWN)',
    '({d}) QUEUED: "{f}" {u}@pc1',
    '({d}) DEQUEUED: "{f}" {u}@pc1',
    '({d}) OUT: {f} {u}@pc1',
    '({d}) DENIED: 2 {f} to {u}',
    '({d}) UNSUPPORTED: "xl.{f}" (PORT_AT_HOST_PLUS   ) {u}@pc1  (not served (-18,327:10054 ""))',
    '({d}) OUT: "{f}" @pc1 (1 license) ^^^ 1.0 {u} 10.0.0.1 42 0x1 3 9 p 11 19 1/2/2024 9:00:00 0 ^^^',
    '({d}) OUT: "{f}" {u}@pc1 ({d}) IN: "{f}" {u}@pc1',
    '({d}) (@{d}-SLOG@) last: ({d}) DENIED: "{f}" x@y',
    "({d}) (@{d}-SLOG@) Statistics block:",
    "({d}) Something only this vendor says",
    "({d})   indented text",
    "({d}) ",
    "(lmgrd) TIMESTAMP {date}",
    "(lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) ({date})",
    "({d}) Server started on srv for:\tf1",
    "({d}) f2 f3 consisting",
    "({d}) {f} expired -- rereading to update",
    "({d}) Support removed for feature {f}(ABCDEF)",
    "({d}) EXITING DUE TO SIGNAL 41 Exit reason 9",
    "(lmgrd) SHUTDOWN request from admin at node srv",
    "(lmgrd) EXITING DUE TO SIGNAL 15",
    "({d}) ERROR: something odd (-97,121)",
]


def walk_time(r: random.Random, secs: int, day: int):
    """The next line's time in a busy log: mostly a little later, now and then past midnight,
    rarely written a little out of order. (seconds of the day, day, a new day began, "hh:mm:ss")."""
    secs += r.choice([0, 1, 2, 5, 30, 200, 900]) if r.random() < 0.97 else r.randrange(4000)
    new_day = secs >= 86400
    if new_day:
        secs -= 86400
        day += 1
    if r.random() < 0.003:
        secs = max(0, secs - r.randrange(7200))
    h, rest = divmod(secs, 3600)
    return secs, day, new_day, f"{h:2d}:{rest // 60:02d}:{rest % 60:02d}"


def make_ordered_log(seed: int, n: int, crlf: bool) -> bytes:
    r = random.Random(seed)
    secs, day = r.randrange(86400), 0
    out = []
    for _ in range(n):
        secs, day, _, t = walk_time(r, secs, day)
        if r.random() < 0.005:
            t = t.strip()  # a one-digit hour without its pad
        d = r.choice(["sigasi", "sigasi", "sigasi", "MLM"])
        f, u = r.choice(["f1", "f1", "f2", "f3", "com.sigasi.hdt.custom"]), r.choice(["ann", "bob", "carl", "dora"])
        date = f"1/{1 + day % 28}/2024"
        k = r.random()
        if k < 0.40:
            line = f'({d}) OUT: "{f}" {u}@pc{r.randrange(3)}  '
        elif k < 0.78:
            line = f'({d}) IN: "{f}" {u}@pc{r.randrange(3)}  '
        elif k < 0.84:
            line = f'({d}) DENIED: "{f}" {u}@pc1  (Licensed number of users already reached. (-4,342))'
        elif k < 0.89:
            p = r.choice(["custom", "preview"])
            line = (f'({d}) UNSUPPORTED: "com.sigasi.hdt.{p}" (PORT_AT_HOST_PLUS   ) {u}@pc1  '
                    '(License server system does not support this feature. (-18,327:10054 ""))')
        elif k < 0.93:
            line = f"({d}) (@{d}-SLOG@) Statistics: connections {r.randrange(9)}"
        else:
            line = r.choice(ODD).format(d=d, f=f, u=u, date=date)
        out.append(f"{t} {line}")
    return (("\r\n" if crlf else "\n").join(out) + "\n").encode()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10 ** 9), n=st.integers(0, 1500), crlf=st.booleans(),
       cuts=st.lists(st.integers(0, 120000), max_size=6), sub=st.sampled_from([None, 3000, 20000]))
@example(seed=7, n=1500, crlf=False, cuts=[], sub=None)
@example(seed=1221, n=1216, crlf=False, cuts=[], sub=None)  # a day bucket made for a feature with no step that day
def test_ordered_busy_logs_read_in_bulk_equal_line_by_line(seed, n, crlf, cuts, sub):
    from lmdoctor.checks.flexnet import logscan

    data = make_ordered_log(seed, n, crlf)
    old = logscan.SUB_RANGE
    if sub:
        logscan.SUB_RANGE = sub
    try:
        a = scan(data, [c % (len(data) + 1) for c in cuts])
    finally:
        logscan.SUB_RANGE = old
    assert_same(a, reference(data))


def test_ordered_busy_log_is_mostly_read_in_bulk():
    data = make_ordered_log(11, 20000, False)
    sc = _Counting()
    sc.feed(data)
    s = sc.finish()
    assert_same(s, reference(data))
    assert s.usage.events > 15000 and sc.read_one_by_one < 0.3 * s.lines


# ------------------------------------------------------------------ real logs' shapes
# Stretches of the real-world logs (../shared/realworld/logs, read in place), mixed at random and
# optionally given one running clock (so that whole hours are read in bulk), must read exactly
# as line by line: every shape a real vendor writes, in every order.
_REAL_TIME = re.compile(rb"^ ?\d{1,2}:\d\d:\d\d ")


@pytest.fixture(scope="module")
def real_lines(realworld):
    lines = []
    for p in sorted((realworld / "logs").glob("*")):
        lines.extend(p.read_bytes().splitlines())
    assert len(lines) > 10000
    return lines


def _mix(lines, picks, retime, step, start):
    out, secs = [], start
    for i, n, repeat in picks:
        stretch = [lines[i]] * n if repeat else lines[i:i + n]
        for raw in stretch:
            if retime and _REAL_TIME.match(raw):
                secs += step
                h, rest = divmod(secs % 86400, 3600)
                raw = b"%2d:%02d:%02d " % (h, rest // 60, rest % 60) + raw[_REAL_TIME.match(raw).end():]
            out.append(raw)
    return b"\n".join(out) + b"\n"


@pytest.mark.realworld
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), retime=st.booleans(), step=st.sampled_from([1, 7, 60, 600]), start=st.integers(0, 86399),
       small_keys=st.booleans(), cuts=st.lists(st.integers(0, 200000), max_size=5))
def test_real_log_shapes_read_in_bulk_equal_line_by_line(real_lines, data, retime, step, start, small_keys, cuts):
    picks = data.draw(st.lists(st.tuples(st.integers(0, len(real_lines) - 1), st.integers(1, 400), st.booleans()),
                               min_size=1, max_size=12))
    log = _mix(real_lines, picks, retime, step, start)
    kw = {"max_keys": 3 if small_keys else MAX_KEYS}
    assert_same(scan(log, [c % (len(log) + 1) for c in cuts], **kw), reference(log, **kw))


@pytest.mark.realworld
def test_real_log_shapes_are_mostly_read_in_bulk(real_lines):
    # A busy mix of real lines on one clock: the usage lines are counted in bulk (the test above
    # would pass just as well if everything fell back to line by line).
    r = random.Random(5)
    picks = [(r.randrange(len(real_lines)), r.randrange(1, 300), r.random() < 0.3) for _ in range(300)]
    log = _mix(real_lines, picks, True, 7, 3600)
    sc = _Counting()
    sc.feed(log)
    s = sc.finish()
    assert_same(s, reference(log))
    assert s.usage.events > 5000 and sc.read_one_by_one < 0.5 * s.lines


def test_a_feature_is_made_by_its_first_line_even_when_that_line_is_read_alone():
    # The first line of "e" cannot be read in bulk (not UTF-8), the first of "f" can: "e" still
    # comes first, so a full table keeps it and pools "f"; and "h" keeps the daemon that named it
    # first, though that daemon's lines are all read alone.
    lines = [f'10:00:0{i} (sigasi) OUT: "g" u@h' for i in range(9)]
    lines += ['10:00:10 (sigasi) OUT: "e" b\xf6b@h', '10:00:11 (sigasi) OUT: "f" u@h',
              '10:00:12 (x+y) OUT: "h" u@h', '10:00:13 (sigasi) OUT: "h" v@h']
    lines += ['10:00:14 (sigasi) IN: "g" u@h'] * 9
    data = ("\n".join(lines) + "\n").encode("latin-1")
    for max_keys in (3, MAX_KEYS):
        s = scan(data, [], max_keys=max_keys)
        assert_same(s, reference(data, max_keys=max_keys))
    assert set(scan(data, [], max_keys=3).usage.features) == {"g", "e", "(other)"}
    assert scan(data, []).usage.features["h"].daemon == "x+y"


def test_statistics_line_that_opens_a_block_is_read_alone():
    # "...block:" opens a block: the plain line after it at the same second continues it.
    lines = [f'10:00:0{i} (sigasi) OUT: "g" u{i}@h' for i in range(9)]
    lines += ["10:00:09 (sigasi) (@sigasi-SLOG@) Statistics block:", "10:00:09 (sigasi) 12 of 40 in use"]
    lines += [f'10:00:1{i} (sigasi) IN: "g" u{i}@h' for i in range(9)]
    data = ("\n".join(lines) + "\n").encode()
    s = scan(data, [])
    assert_same(s, reference(data))
    assert s.unrecognised == 0 and s.ignorable["log.continuation"] == 1


def test_timestamp_of_a_new_daemon_keeps_its_place_in_a_full_table():
    # Daemons "a" and "b" fill two of three places; then MLM's usage lines and lmgrd's first
    # TIMESTAMP compete for the last one: MLM came first.
    lines = [" 9:00:00 (a) TIMESTAMP 1/2/2024", " 9:00:00 (b) TIMESTAMP 1/2/2024"]
    lines += [f'10:00:0{i} (MLM) OUT: "g" u{i}@h' for i in range(9)]
    lines += ["10:00:09 (lmgrd) TIMESTAMP 1/2/2024"] + [f'10:00:1{i} (MLM) IN: "g" u{i}@h' for i in range(9)]
    data = ("\n".join(lines) + "\n").encode()
    s = scan(data, [], max_keys=3)
    assert_same(s, reference(data, max_keys=3))
    assert set(s.daemons) == {"a", "b", "MLM", "(other)"}


@pytest.mark.parametrize("first_out", ['OUT: "f9" ann@pc1 (2 licenses)', 'OUT: "f9" ann@pc1 [team-a]',
                                       'OUT: "f9" ann@pc1  '])
def test_a_gone_feature_is_served_again_at_its_first_checkout_read_in_bulk(first_out):
    """Read in bulk, the first checkout after a feature went (a special line or a plain one) is when
    it is served again, as line by line; later checkouts of it do not move that time."""
    def hour(h, feats, extra=()):
        return [f"{h:2d}:{m:02d}:00 (sigasi) {k}: \"{f}\" bob@pc2  " for m in range(1, 30) for f in feats
                for k in ("OUT", "IN")] + list(extra)
    lines = [" 7:00:00 (lmgrd) TIMESTAMP 1/2/2024"]
    mlm = ['(MLM) OUT: "f9" dora@pc4  ', '(MLM) IN: "f9" dora@pc4  ']   # another daemon serves it too
    lines += hour(8, ["f1", "f9"], [f" 8:59:00 (sigasi) {first_out}", ' 8:59:30 (sigasi) IN: "f9" ann@pc1  ']
                  + [f" 8:{m:02d}:30 {t}" for m in range(1, 30) for t in mlm])
    lines += hour(9, ["f1"], [" 9:59:00 (sigasi) Support removed for feature f9(ABCDEF)"])
    lines += hour(10, ["f1"], [f"10:40:00 (sigasi) {first_out}", f"10:50:00 {mlm[0]}"]) + hour(11, ["f1", "f9"])
    data = ("\n".join(lines) + "\n").encode()
    sc = LogScanner()
    sc.feed(data)
    got = sc.finish()
    assert sc._hot_read < 20   # most usage lines were read in bulk
    assert got.gone["f9"].served_again == "2024-01-02 10:40:00"
    assert_same(got, reference(data))
