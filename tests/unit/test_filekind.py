"""The file-kind sniffer: license, debug log, lmstat output, lmdoctor report, binary, unknown."""
from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lmdoctor.checks.filekind import FileKind, sniff, wrong_kind_message
from tests.conftest import FIXTURES

VENDORS = FIXTURES / "vendors"


@pytest.mark.parametrize("path, kind", [
    (VENDORS / "matlab_network.lic", FileKind.LICENSE),
    (VENDORS / "autodesk_package.lic", FileKind.LICENSE),
    (VENDORS / "comsol_server.lic", FileKind.LICENSE),
    (VENDORS / "partek_template.lic", FileKind.LICENSE),
    (FIXTURES / "licenses" / "mail_quoted.lic", FileKind.LICENSE),  # "> SERVER ..." is still a license
    (FIXTURES / "licenses" / "manual_nodelocked.lic", FileKind.LICENSE),
    (VENDORS / "ansys_debug.log", FileKind.DEBUG_LOG),
    (VENDORS / "matlab_lmstat_expired.txt", FileKind.LMSTAT),
    (FIXTURES / "lmstat" / "triad_quorum_lost.txt", FileKind.LMSTAT),
    (FIXTURES / "lmdiag" / "down.txt", FileKind.LMSTAT),  # lmdiag output: lmutil output, read by `lmstat`
    (FIXTURES / "licenses" / "binary.lic", FileKind.BINARY),
    (FIXTURES / "licenses" / "token_pasted.lic", FileKind.UNKNOWN),  # lint names a token itself
], ids=lambda v: getattr(v, "name", str(v)))
def test_fixture_kinds(path, kind):
    s = sniff(path.read_bytes())
    assert s.kind is kind, (s.kind, s.evidence, s.scores)
    if kind not in (FileKind.UNKNOWN,):
        assert s.evidence and all(isinstance(e, str) for e in s.evidence)


def test_realworld_files_are_their_kind(realworld):
    """Every public sample is recognised as what its folder says (lmstat -i tables included)."""
    expected = {"licenses": FileKind.LICENSE, "logs": FileKind.DEBUG_LOG, "lmstat": FileKind.LMSTAT,
                "other": FileKind.LMSTAT}
    seen = 0
    for folder, kind in expected.items():
        for p in sorted((realworld / folder).iterdir()):
            got = sniff(p.read_bytes())
            assert got.kind is kind, (p.name, got.kind, got.scores)
            seen += 1
    assert seen >= 20


def test_datestamp_and_space_padded_logs():
    iso = (b"2023-08-08T08:41:54-04:00 (lmgrd) lmgrd tcp-port 27000\n"
           b"2023-08-08T08:41:55-04:00 (MLM) OUT: \"MATLAB\" a@b\n")
    assert sniff(iso).kind is FileKind.DEBUG_LOG
    padded = (b" 3:49:10 (adskflex) OUT: \"64300ACD_F\" JohnDoe@PC01  \r\n"
              b" 3:49:11 (adskflex) IN: \"64300ACD_F\" J@P  \r\n")
    assert sniff(padded).kind is FileKind.DEBUG_LOG


def test_evidence_names_the_line_that_decided():
    s = sniff((VENDORS / "ansys_debug.log").read_bytes())
    assert s.evidence[0] == "line 1: 9:02:11 (lmgrd) -----------------------------------------------"


def test_a_license_quoted_in_a_log_stays_a_log():
    log = (VENDORS / "ansys_debug.log").read_bytes()
    mixed = log + b"SERVER ansys-lic 001122334455 1055\nVENDOR ansyslmd\n"
    assert sniff(mixed).kind is FileKind.DEBUG_LOG


def test_half_and_half_is_unknown_not_a_guess():
    text = (b"SERVER a 001122334455 27000\nVENDOR x\nINCREMENT f x 1.0 permanent 1 SIGN=\"AB12\"\n"
            b"10:00:00 (lmgrd) pid 1\n10:00:01 (x) OUT: \"f\" u@h\n10:00:02 (x) IN: \"f\" u@h\n")
    s = sniff(text)
    assert s.kind is FileKind.UNKNOWN and "mixed" in s.evidence[0]


def test_lmdoctor_json_report():
    report = {"lmdoctor": "0.9", "command": "check", "findings": [], "summary": {}, "exit_code": 0}
    assert sniff(json.dumps(report, indent=2).encode()).kind is FileKind.REPORT_JSON
    # Larger than the sniffed head: recognised from its first keys.
    big = json.dumps({"lmdoctor": "0.9", "command": "log", "findings": [{"id": "x" * 100}] * 2000})
    assert sniff(big.encode()).kind is FileKind.REPORT_JSON
    # Other JSON is not a report.
    assert sniff(b'{"name": "x", "findings": []}').kind is FileKind.UNKNOWN


def test_utf16_license_is_a_license():
    data = (VENDORS / "matlab_network.lic").read_text().encode("utf-16")
    assert sniff(data).kind is FileKind.LICENSE


def test_empty_and_blank():
    assert sniff(b"").kind is FileKind.EMPTY
    assert sniff(b"\n \n\t\n").kind is FileKind.EMPTY


def test_nul_holes_in_a_log_do_not_make_it_binary():
    log = (VENDORS / "ansys_debug.log").read_bytes()
    assert sniff(log[:300] + b"\x00" * 500 + log[300:]).kind is FileKind.DEBUG_LOG


def test_wrong_kind_message_names_kind_evidence_and_command():
    log = (VENDORS / "ansys_debug.log").read_bytes()
    msg = wrong_kind_message(log, FileKind.LICENSE, "/var/log/ansys debug.log")
    assert msg.startswith("/var/log/ansys debug.log looks like an lmgrd / vendor-daemon debug log, not a license file")
    assert "(line 1: " in msg and msg.endswith("try `lmdoctor log '/var/log/ansys debug.log'`")
    lic = (VENDORS / "matlab_network.lic").read_bytes()
    assert wrong_kind_message(lic, FileKind.DEBUG_LOG, "-").endswith("try `lmdoctor lint -`")
    assert "not lmstat output" in wrong_kind_message(lic, FileKind.LMSTAT, "x.txt")
    lm = (VENDORS / "matlab_lmstat_expired.txt").read_bytes()
    assert "try `lmdoctor lmstat x.lic`" in wrong_kind_message(lm, FileKind.LICENSE, "x.lic")
    # The right kind, unknown text and binary data are left to the reader.
    assert wrong_kind_message(lic, FileKind.LICENSE, "x.lic") is None
    assert wrong_kind_message(b"hello world\n", FileKind.LICENSE, "x") is None
    assert wrong_kind_message(bytes(range(256)), FileKind.DEBUG_LOG, "x") is None


@given(st.binary(max_size=4096))
@example(b"\xff\xfe\x00")  # a UTF-16 BOM with an odd byte count
@example(b"\xfe\xff" + b"\xd8\x00")  # a lone surrogate in UTF-16
@example(b"{" * 3000)
@example(b'{"lmdoctor": ')
def test_never_raises_on_any_bytes(data):
    s = sniff(data)
    assert isinstance(s.kind, FileKind)
    assert wrong_kind_message(data, FileKind.LICENSE, "f") is None or "looks like" in wrong_kind_message(
        data, FileKind.LICENSE, "f")


@given(st.text(alphabet=st.sampled_from(list("SERVERINCREMENT ()0123456789:\n\t\"=abc/>#")), max_size=2000))
def test_never_raises_on_license_like_text(text):
    assert isinstance(sniff(text.encode("utf-8")).kind, FileKind)
