"""The usage-line parser: every documented form, round trips of generated lines, never raises."""
from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.flexnet.events import EventKind, UsageEvent, parse_usage, split_line


def _read(line: str) -> UsageEvent:
    p = split_line(line)
    assert p is not None, line
    ev = parse_usage(line[p.msg_start:])
    assert ev is not None, line
    return ev


# ---------------------------------------------------------------- documented forms (item 4)
FORMS = [
    ('9:04:05 (sigasi) OUT: "com.sigasi.hdt" ann@ws01  ',
     dict(kind=EventKind.OUT, feature="com.sigasi.hdt", user="ann", host="ws01", count=1)),
    ('9:04:05 (MLM) IN: "MATLAB" ann@ws01  (INACTIVE)',
     dict(kind=EventKind.IN, feature="MATLAB", user="ann", host="ws01", reason="INACTIVE")),
    ("10:15:00 (ansyslmd) OUT: aa_r ann@ws01 [ANSYS Mechanical] (3 licenses)",
     dict(kind=EventKind.OUT, feature="aa_r", user="ann", host="ws01", cdstring="ANSYS Mechanical", count=3)),
    ('10:15:00 (MSC) IN: "MSCONE" u1@m1 [MSCONE:NASTRAN] (13 licenses) (SHUTDOWN)',
     dict(kind=EventKind.IN, feature="MSCONE", user="u1", host="m1", cdstring="MSCONE:NASTRAN", count=13,
          reason="SHUTDOWN")),
    ('10:15:00 (ugslmd) IN: "NX_CAM" bob (2 licenses)',
     dict(kind=EventKind.IN, feature="NX_CAM", user="bob", host="", count=2)),
    ('10:15:00 (ugslmd) OUT: "NX_CAM" bob (1 license)',
     dict(kind=EventKind.OUT, feature="NX_CAM", user="bob", count=1)),
    ('11:00:00 (adskflex) DENIED: "64300ACD_F" ann@PC01  (Licensed number of users already reached. (-4,342))',
     dict(kind=EventKind.DENIED, feature="64300ACD_F", user="ann", host="PC01",
          reason="Licensed number of users already reached. (-4,342)")),
    ("11:00:00 (xilinxd) DENIED: 2 Vivado_System_Edition to carl",
     dict(kind=EventKind.DENIED, feature="Vivado_System_Edition", user="carl", count=2)),
    ("11:00:00 (xilinxd) DENIED: 1 ISE to carl (3/4/24 11:00)",
     dict(kind=EventKind.DENIED, feature="ISE", user="carl", count=1, reason="")),
    ('11:00:01 (LMCOMSOL) QUEUED: "COMSOL" dora@lab3',
     dict(kind=EventKind.QUEUED, feature="COMSOL", user="dora", host="lab3")),
    ('11:00:09 (LMCOMSOL) DEQUEUED: "COMSOL" dora@lab3',
     dict(kind=EventKind.DEQUEUED, feature="COMSOL", user="dora", host="lab3")),
    ('11:00:02 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) ed@ws9  '
     '(License server system does not support this feature. (-18,327:10054 ""))',
     dict(kind=EventKind.UNSUPPORTED, feature="com.sigasi.hdt.custom", user="ed", host="ws9",
          reason='License server system does not support this feature. (-18,327:10054 "")')),
    # The verbose trailer names the user; the line itself only says @host.
    ('8:41:54 (demo) OUT: "f1" @BLR-LT-104276 (1 license) ^^^ 1.0 ADas 127.0.0.1 29865 0x12CE 4 10 proj 11 19 '
     '8/8/2023 8:41:54 0 ^^^',
     dict(kind=EventKind.OUT, feature="f1", user="ADas", host="BLR-LT-104276", count=1, version="1.0",
          in_use=4, issued=10)),
    ('8:41:55 (demo) DENIED: "f1" @BLR-LT-104276 (Licensed number of users already reached. (-4,342)) ^^^ 1.0 '
     'ADas 127.0.0.1 29865 0x12CE 10 10 proj 11 19 8/8/2023 8:41:55 0 ^^^',
     dict(kind=EventKind.DENIED, feature="f1", user="ADas", host="BLR-LT-104276",
          reason="Licensed number of users already reached. (-4,342)", issued=10)),
    # FLEXlm before v6.
    ("10:00:00 (acme) OUT: solver by joe (2 licenses) (used: 0:00:12:03)",
     dict(kind=EventKind.OUT, feature="solver", user="joe", host="", count=2)),
    ("10:00:00 (acme) IN server died: solver by joe (2 licenses) (used: 0:01:00:00)",
     dict(kind=EventKind.IN, feature="solver", user="joe", count=2)),
    # A Windows user name with a space.
    ('10:00:00 (adskflex) OUT: "ACD" John Doe@PC-7  ',
     dict(kind=EventKind.OUT, feature="ACD", user="John Doe", host="PC-7")),
]


@pytest.mark.parametrize("line,want", FORMS, ids=[f[0][:40] for f in FORMS])
def test_documented_forms(line, want):
    ev = _read(line)
    for k, v in want.items():
        assert getattr(ev, k) == v, (k, ev)


@pytest.mark.parametrize("line,date,time,tz", [
    ('2023-08-08T08:41:54-04:00 (demo) OUT: "f1" ADas@BLR', "2023-08-08", "08:41:54", "-04:00"),
    ('2023-08-08 08:41:54 (demo) OUT: "f1" ADas@BLR', "2023-08-08", "08:41:54", ""),
    ('8/8/2023 8:41:54 (demo) OUT: "f1" ADas@BLR', "2023-08-08", "8:41:54", ""),
    ('2023-08-08T08:41:54.250Z (demo) OUT: "f1" ADas@BLR', "2023-08-08", "08:41:54", "Z"),
    (' 8:41:54 (demo) OUT: "f1" ADas@BLR', None, "8:41:54", ""),
])
def test_datestamp_prefixes(line, date, time, tz):
    p = split_line(line)
    assert (p.date, p.time, p.tz, p.daemon) == (date, time, tz, "demo")
    assert _read(line).user == "ADas"


@pytest.mark.parametrize("msg", ["TIMESTAMP 1/2/2024", "OUTSIDE: x", 'INFO: "x" y@z', "IN:", "OUT:   ",
                                 "Server started on h for: f"])
def test_other_messages_are_not_usage(msg):
    assert parse_usage(msg) is None


def test_a_line_cut_in_the_feature_is_still_a_checkout():
    ev = parse_usage('OUT: "com.sigasi.h')
    assert ev.kind is EventKind.OUT and ev.feature == "com.sigasi.h" and ev.user == ""


# ---------------------------------------------------------------- properties
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
@example('OUT: "')
@example("DENIED: 99999999999999999999 f to u")
@example("IN: f (²² licenses)")
@example('OUT: "f" u@h ^^^ 1 u 2 3 4 ² ³ ^^^')
@example("UNSUPPORTED: (((")
def test_parse_never_raises(text):
    for msg in (text, "OUT: " + text, 'IN: "' + text, "DENIED: " + text):
        ev = parse_usage(msg)
        assert ev is None or isinstance(ev.feature, str)
    split_line(text)


_NAME = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="_.-+"),
                min_size=1, max_size=20)
_REASON = st.sampled_from(["Licensed number of users already reached. (-4,342)",
                           "No such feature exists. (-5,414)", "User/host on EXCLUDE list for feature. (-38,349)",
                           'License server system does not support this feature. (-18,327:10054 "")'])


@st.composite
def _events(draw):
    kind = draw(st.sampled_from(list(EventKind)))
    user = draw(st.one_of(_NAME, st.builds(lambda a, b: f"{a} {b}", _NAME, _NAME)))
    host = draw(st.one_of(st.just(""), _NAME))
    count = draw(st.integers(1, 500))
    cd = draw(st.one_of(st.just(""), st.builds(lambda a, b: f"{a}:{b}", _NAME, _NAME)))
    reason = ""
    if kind in (EventKind.DENIED, EventKind.UNSUPPORTED):
        reason = draw(_REASON)
    elif kind is EventKind.IN:
        reason = draw(st.sampled_from(["", "INACTIVE", "SHUTDOWN"]))
    return UsageEvent(kind, draw(_NAME), user, host, count, reason, cd)


def _format(ev: UsageEvent, quoted: bool, show_one: bool, verbose: bool) -> str:
    who = f"{ev.user}@{ev.host}" if ev.host else ev.user
    if verbose:
        who = f"@{ev.host}" if ev.host else ""
    parts = [f"{ev.kind.value}:", f'"{ev.feature}"' if quoted else ev.feature]
    if ev.kind is EventKind.UNSUPPORTED:
        parts.append("(PORT_AT_HOST_PLUS   )")
    if who:
        parts.append(who)
    if ev.cdstring:
        parts.append(f"[{ev.cdstring}]")
    if ev.count != 1 or show_one:
        parts.append(f"({ev.count} license{'s' if ev.count != 1 else ''})")
    text = " ".join(parts)
    if ev.reason:
        text += f"  ({ev.reason})"
    if verbose:
        text += f" ^^^ 2.0 {ev.user.replace(' ', '_')} 10.0.0.1 4242 0x1F 3 10 proj 11 19 3/4/2024 9:00:00 0 ^^^"
    return "10:00:00 (vendor) " + text + "  "


@settings(max_examples=300, deadline=None)
@given(_events(), st.booleans(), st.booleans(), st.booleans())
def test_generated_lines_round_trip(ev, quoted, show_one, verbose):
    if verbose:
        ev = UsageEvent(ev.kind, ev.feature, ev.user.replace(" ", "_"), ev.host, ev.count, ev.reason, ev.cdstring)
    got = _read(_format(ev, quoted, show_one, verbose))
    assert (got.kind, got.feature, got.user, got.host, got.count, got.reason, got.cdstring) == \
        (ev.kind, ev.feature, ev.user, ev.host, ev.count, ev.reason, ev.cdstring)
    if verbose:
        assert (got.version, got.in_use, got.issued) == ("2.0", 3, 10)
