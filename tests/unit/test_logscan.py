"""The debug-log analyser: real-world logs, line shapes, bulk vs per-line agreement, robustness."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.logscan import LogScanner, parse_since, scan_file, scan_stream, summary_findings
from lmdoctor.checks.runtime import Cancelled, CancelToken

LOGS = ["ImSukh__FlexLM-Log-Parser__debug.log", "lutzpeschlow__parse_lmgrd_log__lmgrd_anonym.log",
        "sergioedo__flexlm-license-elk__sample.log"]


def _scan(data: bytes, since=None, pieces=None):
    sc = LogScanner(since=since)
    if pieces:
        for i in range(0, len(data), pieces):
            sc.feed(data[i:i + pieces])
    else:
        sc.feed(data)
    return sc.finish()


def _ids(summary):
    return [f.id for f in summary_findings(summary)]


@pytest.mark.realworld
@pytest.mark.parametrize("name", LOGS)
def test_every_realworld_log_is_analysed(realworld, name):
    path = realworld / "logs" / name
    s = scan_file(str(path))
    raw = path.read_bytes()
    assert s.lines == raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    assert s.bytes_read == len(raw)
    assert s.first_date is not None
    fs = summary_findings(s)
    assert fs[0].id == "log.summary"
    assert any(f.id == "log.startup" for f in fs)


@pytest.mark.realworld
def test_windows_exit_status_25_invalid_host(realworld):
    s = scan_file(str(realworld / "logs" / "lutzpeschlow__parse_lmgrd_log__lmgrd_anonym.log"))
    assert s.platform == "windows"
    fs = summary_findings(s)
    exits = [f for f in fs if f.id == "log.exit"]
    # EXITING DUE TO SIGNAL 25 Exit reason 2, and lmgrd's "exited with status 25": one fact.
    assert len(exits) == 1 and len(exits[0].evidence_lines) == 2
    assert "wrong host" in exits[0].title and "windows" in exits[0].title and "Invalid host" in exits[0].title
    assert exits[0].status is Status.FAIL
    start = next(f for f in fs if f.id == "log.startup")
    assert start.status is Status.FAIL and "exited" in start.title
    # One fact, one finding: every line meaning "wrong hostid" is evidence of one finding.
    assert "log.wrong-hostid" in _ids(s) and "log.no-valid-hostids" not in _ids(s)
    host = next(f for f in fs if f.id == "log.wrong-hostid")
    assert host.line == 332 and any("No valid hostids" in e for e in host.evidence_lines)
    assert any("SERVER line says cc96e5966f17" in e for e in host.evidence_lines)
    assert s.out_lines == 21 and s.in_lines == 21


@pytest.mark.realworld
def test_imsukh_denied_lines(realworld):
    s = scan_file(str(realworld / "logs" / "ImSukh__FlexLM-Log-Parser__debug.log"))
    assert s.denied.count == 2
    assert s.denied_by_feature == {"64300ACD_F": 1, "86604ACD_2017_0F": 1}
    assert s.denied_by_user == {"TonyMontana@ANOTHERONE": 2}
    assert s.denied_by_code == {"-4,342": 2}
    f = next(f for f in summary_findings(s) if f.id == "log.denied")
    assert f.line == 841 and "TonyMontana@ANOTHERONE" in f.detail
    assert s.denied.first == "2018-07-30 15:28:58"
    assert s.first_date == "2018-07-27" and s.last_date == "2018-08-09"
    st = s.last_startup
    assert st.outcome == "serving" and st.version == "v11.14.1.3"


@pytest.mark.realworld
def test_sergioedo_no_final_newline_and_padded_hours(realworld):
    s = scan_file(str(realworld / "logs" / "sergioedo__flexlm-license-elk__sample.log"))
    assert s.lines == 11800
    assert s.first_date == "2016-03-30" and s.last_date == "2016-04-30"
    assert s.denied.count == 0
    assert s.ignorable.get("log.timestamp") == 252
    assert s.last_startup.when == "2016-03-30 01:56:05"


@pytest.mark.realworld
@pytest.mark.parametrize("name", LOGS)
def test_bulk_and_per_line_paths_agree(realworld, name):
    raw = (realworld / "logs" / name).read_bytes()
    a = _scan(raw)
    b = _scan(raw, since=dt.datetime(1990, 1, 1))  # --since forces every line through classify()
    c = _scan(raw, pieces=997)                      # arbitrary read boundaries
    for k in ("lines", "out_lines", "in_lines", "startup_count", "denied_by_feature",
              "denied_by_user", "unsupported_harmless", "first_date", "last_date"):
        assert getattr(a, k) == getattr(b, k) == getattr(c, k), k
    assert a.classified == c.classified and a.ignorable == c.ignorable
    assert a.usage.to_dict() == c.usage.to_dict()
    # Lines before the first date (the start-up banner) cannot be compared with --since: skipped.
    assert a.classified + a.unrecognised == b.classified + b.unrecognised + b.skipped_before_since
    assert {k: v.count for k, v in a.errors.items()} == {k: v.count for k, v in c.errors.items()}


SIGASI = (
    "10:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) (1/2/2024)\r\n"
    "10:00:00 (lmgrd) lmgrd tcp-port 27000\r\n"
    "10:00:01 (lmgrd) Started sigasi (internet tcp_port 27001 pid 42)\r\n"
    "10:00:02 (sigasi) Server started on srv for:\tcom.sigasi.hdt\r\n"
    '10:05:00 (sigasi) OUT: "com.sigasi.hdt" ann@pc1  \r\n'
    '10:05:00 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) ann@pc1  '
    '(License server system does not support this feature. (-18,327:10054 ""))\r\n'
    '10:05:00 (sigasi) UNSUPPORTED: "com.sigasi.hdt.preview" (PORT_AT_HOST_PLUS   ) ann@pc1  '
    '(License server system does not support this feature. (-18,327:10054 ""))\r\n'
    '10:06:00 (sigasi) UNSUPPORTED: "com.sigasi.hdt.xl" (PORT_AT_HOST_PLUS   ) bob@pc2  '
    '(License server system does not support this feature. (-18,327:10054 ""))\r\n'
    '10:07:00 (sigasi) DENIED: "com.sigasi.hdt" bob@pc2  (Licensed number of users already reached. (-4,342))\r\n'
    '10:08:00 (sigasi) DENIED: "com.sigasi.hdt" carl@pc3  (Licensed number of users already reached. (-4,342))\r\n'
    '10:09:00 (sigasi) DENIED: "com.sigasi.hdt" bob@pc2  (Licensed number of users already reached. (-4,342))\r\n'
    "23:59:00 (sigasi) something\r\n"
    "not a log line at all\r\n"
    " 0:10:00 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9\r\n"
    " 0:10:01 (lmgrd) sigasi exited with status 41 (Exited because another server was running)\r\n"
    "12:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) (1/4/2024)\r\n"
    "12:00:01 (lmgrd) The TCP port number in the license, 27000, is already in use.\r\n"
    "12:05:01 (lmgrd) Failed to open the TCP port number in the license."
).encode()


@pytest.mark.parametrize("pieces", [None, 1, 7, 100])
def test_sigasi_log_report(pieces):
    s = _scan(SIGASI, pieces=pieces)
    assert s.lines == SIGASI.count(b"\n") + 1
    assert s.startup_count == 2
    assert s.startups[0].outcome == "exited" and s.startups[1].outcome == "failed"
    assert s.unsupported_harmless == {"com.sigasi.hdt.custom": 1, "com.sigasi.hdt.preview": 1}
    assert s.unsupported_other == {"com.sigasi.hdt.xl": 1}
    assert s.denied.count == 3 and s.denied_by_user == {"bob@pc2": 2, "carl@pc3": 1}
    assert s.denied.first == "2024-01-02 10:07:00" and s.denied.last == "2024-01-02 10:09:00"
    # The day rolled over between 23:59 and 0:10 without a TIMESTAMP line.
    key = next(k for k in s.exits if k.startswith("41:"))
    assert s.exits[key].first == "2024-01-03 00:10:00"
    assert "another license server" in key and "unix" in key
    assert s.errors["log.port-in-use"].first == "2024-01-04 12:00:01"
    ids = _ids(s)
    assert {"log.restarts", "log.exit", "log.port-in-use", "log.denied",
            "log.unsupported", "log.unsupported-sigasi-probe"} <= set(ids)
    # "in use" and "failed to open" are one cause: one finding with both lines as evidence.
    port = next(f for f in summary_findings(s) if f.id == "log.port-in-use")
    assert len(port.evidence_lines) == 2 and port.status is Status.FAIL and "log.port-open-failed" not in ids
    start = next(f for f in summary_findings(s) if f.id == "log.startup")
    assert start.status is Status.FAIL and "could not open its port" in start.detail and start.line == 16


def test_since_filters_by_date():
    s = _scan(SIGASI, since=dt.datetime(2024, 1, 3))
    assert s.denied.count == 0 and s.out_lines == 0
    assert s.startup_count == 1 and s.errors["log.port-in-use"].count == 1
    assert s.skipped_before_since > 0


def test_parse_since():
    assert parse_since("2024-01-03") == dt.datetime(2024, 1, 3)
    assert parse_since("1/3/2024 10:00") == dt.datetime(2024, 1, 3, 10, 0)
    assert parse_since("3d") is not None
    assert parse_since("yesterday") is None


def test_empty_and_overlong_lines():
    s = _scan(b"")
    assert s.lines == 0 and "log.empty" in _ids(s)
    s = _scan(b"x" * 300_000 + b'\n10:00:00 (s) DENIED: "f" u@h  (x (-4,342))\n', pieces=65536)
    assert s.cut_lines == 1 and s.lines == 2 and s.denied.count == 1


def test_progress_and_cancel():
    seen = []
    s = scan_stream(io.BytesIO(SIGASI * 2000), on_progress=lambda done, total: seen.append(done), total=None)
    assert seen and seen[-1] == len(SIGASI) * 2000 and s.bytes_read == seen[-1]
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(Cancelled):
        scan_stream(io.BytesIO(SIGASI), tok)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(1, 500))
def test_logscan_never_raises_on_arbitrary_bytes(data, piece):
    s = _scan(data, pieces=piece)
    assert s.bytes_read == len(data)
    summary_findings(s)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(SIGASI.split(b"\r\n") + [b"", b"\xff\xfe", b" 9:99:99 (x) TIMESTAMP 13/45/2024"]),
                max_size=40), st.booleans())
def test_logscan_never_raises_on_shuffled_lines(lines, since):
    s = _scan(b"\n".join(lines), since=dt.datetime(2000, 1, 1) if since else None)
    summary_findings(s)
