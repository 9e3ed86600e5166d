"""Transcript -> findings, without running anything: properties and the catalogue wiring."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.flexnet.daemon import DaemonRun, _LineSplitter, make_line, verdict

FLEX_LINES = [
    "10:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on h (linux) (1/2/2025)",
    "10:00:00 (sigasi) Server started on h for:\tcom.sigasi.hdt",
    "10:00:00 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9",
    "10:00:00 (lmgrd) sigasi exited with status 41 (Exited because another server was running)",
    "10:00:00 (lmgrd) sigasi exited with status 999",
    "10:00:00 (lmgrd) The TCP port number in the license, 27000, is already in use.",
    "10:00:00 (lmgrd) FlexNet Licensing error:-13,66",
    '10:00:00 (sigasi) DENIED: "x" u@h  (Licensed number of users already reached. (-4,342))',
    "10:00:00 (lmgrd) running as root: This is a potential security problem",
]


def run_of(lines, stopped=True, exit_status=None, exit_signal=None, **kw) -> DaemonRun:
    r = DaemonRun(argv=["lmgrd", "-z", "-c", "x.lic"], license="x.lic", pid=1234,
                  stopped_by_us=stopped, exit_status=exit_status, exit_signal=exit_signal,
                  stop_reason="seconds" if stopped else "exited", **kw)
    r.lines = [make_line(t, i * 0.1) for i, t in enumerate(lines)]
    return r


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FLEX_LINES), st.text(max_size=200)), max_size=30),
       st.booleans(), st.one_of(st.none(), st.integers(-5, 300)))
def test_verdict_never_raises_and_returns_daemon_findings(lines, stopped, status):
    fs = verdict(run_of(lines, stopped=stopped, exit_status=None if stopped else status))
    assert all(isinstance(f, Finding) and f.id.startswith("daemon.") for f in fs)
    ids = [f.id for f in fs]
    if "daemon.started" in ids:
        assert not [f for f in fs if f.status is Status.FAIL]


@given(st.lists(st.text(max_size=300), max_size=20))
def test_line_splitter_keeps_every_line(chunks):
    sp = _LineSplitter()
    out = []
    for c in chunks:
        out += sp.feed(c)
    out += sp.flush()
    joined = "".join(chunks)
    # every newline-terminated line comes out (CR rewrites collapse to their last part)
    assert len(out) >= joined.count("\n")
    assert all("\n" not in ln and len(ln) <= 8192 for ln in out)


def test_splitter_chunk_boundaries():
    sp = _LineSplitter()
    assert sp.feed("ab") == [] and sp.feed("c\r") == [] and sp.feed("\nde") == ["abc"]
    assert sp.flush() == ["de"]


def test_started_only_when_stopped_by_us_and_served():
    ok = verdict(run_of(FLEX_LINES[:2]))
    assert ok[0].id == "daemon.started" and ok[0].status is Status.OK
    exited = verdict(run_of(FLEX_LINES[:2], stopped=False, exit_status=0))
    assert "daemon.started" not in [f.id for f in exited]
    assert "daemon.exited" in [f.id for f in exited]


def test_unknown_exit_status_is_reported_as_unknown():
    fs = verdict(run_of([FLEX_LINES[0], FLEX_LINES[4]]))
    ex = [f for f in fs if f.id == "daemon.exited"]
    assert ex and "999" in ex[0].title and "unknown reason" in ex[0].title


def test_other_warnings_pass_through_with_catalogue_fix():
    fs = {f.id: f for f in verdict(run_of(FLEX_LINES[:2] + [FLEX_LINES[8]]))}
    assert fs["daemon.message.running-as-root"].status is Status.WARN
    assert "daemon.started" in fs


def test_lmgrd_killed_by_signal_is_named():
    fs = verdict(run_of([FLEX_LINES[0]], stopped=False, exit_signal=9))
    ex = [f for f in fs if f.id == "daemon.exited"][0]
    assert "SIGKILL" in ex.title


def test_transcript_dict_carries_classification():
    ln = make_line(FLEX_LINES[5], 1.5)
    d = ln.to_dict()
    assert d["id"] == "log.port-in-use" and d["status"] == "fail" and d["groups"]["port"] == "27000"
    assert d["offset"] == 1.5 and "T" in d["time"]
    plain = make_line("hello", 0).to_dict()
    assert "id" not in plain and plain["text"] == "hello"


def test_verdict_groups_lines_by_their_catalogue_cause():
    # Three different wordings of "wrong hostid" are one finding with all three lines.
    fs = verdict(run_of(["10:00:00 (ugslmd) Wrong hostid on SERVER line for license file: /x.lic",
                         '10:00:00 (ugslmd) SERVER line says 0123456789ab, hostid is "a1b2c3d4e5f6"',
                         "10:00:01 (ugslmd) No valid hostids, exiting"], stopped=False, exit_status=0))
    host = [f for f in fs if f.id == "daemon.wrong-hostid"]
    assert len(host) == 1 and len(host[0].evidence_lines) == 3 and host[0].status is Status.FAIL


def test_verdict_wording_is_vendor_aware():
    other = {f.id: f for f in verdict(run_of(["10:00:00 (ugslmd) No valid hostids, exiting",
                                              "10:00:00 (lmgrd) Not a valid server hostname, exiting."]))}
    fix = other["daemon.wrong-hostid"].fix
    assert "Sigasi" not in fix and "the software vendor" in fix
    assert "your_server_name1" not in other["daemon.wrong-host"].detail
    sig = {f.id: f for f in verdict(run_of(["10:00:00 (sigasi) No valid hostids, exiting",
                                            "10:00:00 (lmgrd) Not a valid server hostname, exiting."]))}
    assert "ask Sigasi" in sig["daemon.wrong-hostid"].fix and "your_server_name1" in sig["daemon.wrong-host"].detail


def test_other_warnings_pass_through_one_per_cause():
    fs = verdict(run_of(["10:00:00 (v) ERROR: something odd", "10:00:01 (v) WARNING: odd again",
                         "10:00:02 (v) Lost quorum"]))
    ids = [f.id for f in fs]
    assert ids.count("daemon.message.error-line") == 1 and "daemon.message.warning-line" not in ids
    assert "daemon.message.triad-lost" in ids
