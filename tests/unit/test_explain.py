"""explain(): one finding per code, exit signal and known message; honest about the unknown."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.explain import explain
from lmdoctor.checks.findings import Status


def _one(text, fid):
    fs = [f for f in explain(text) if f.id == fid]
    assert len(fs) == 1, [f.id for f in explain(text)]
    return fs[0]


def test_bare_code():
    f = _one("-15", "explain.code")
    assert f.status is Status.FAIL
    assert "Cannot connect" in f.title
    assert "127.0.0.1" in f.fix


def test_minor_is_shown_but_never_explained():
    f = _one("-18,327:10054", "explain.code")
    assert "Minor 327" in f.detail and "no public meaning" in f.detail
    assert "WSAECONNRESET" in f.detail and "not a Unix error number" in f.detail


def test_unix_errno_with_text():
    f = _one('(-15,570:115 "Operation now in progress")', "explain.code")
    assert "EINPROGRESS" in f.detail and "not a Winsock error" in f.detail
    assert '"Operation now in progress"' in f.detail


def test_long_form_with_system_error():
    f = _one('FlexNet Licensing error:-15,578. System Error: 10049 "WinSock: Invalid address"', "explain.code")
    assert "WSAEADDRNOTAVAIL" in f.detail


def test_unknown_code_says_unknown():
    f = _one("-150", "explain.code")
    assert "unknown" in f.title and f.status is Status.INFO
    f = _one("-27", "explain.code")
    assert "unknown" in f.detail


def test_exit_signal_and_status():
    f = _one("EXITING DUE TO SIGNAL 41 Exit reason 9", "explain.exit-signal")
    assert "another license server" in f.detail and "Unix" in f.detail
    f = _one("status 36", "explain.exit-signal")
    assert "no features to serve" in f.detail
    f = _one("(lmgrd) MSC exited with status 25 (Invalid host)", "explain.exit-signal")
    assert "Windows" in f.detail and "wrong host" in f.detail and "Invalid host" in f.detail
    f = _one("status 99", "explain.exit-signal")
    assert "unknown" in f.title


def test_manual_messages():
    for text, entry in [
        ("Internal Flexlm Error", "msg.internal-flexlm-error"),
        ("Invalid Message Received From License Server", "msg.invalid-message"),
        ("CreateProcess error code: 0xc1   File= sigasi.exe", "msg.createprocess-0xc1"),
        ("Invalid license key (inconsistent authentication code)", "msg.inconsistent-key"),
        ("No license", "msg.no-license"),
    ]:
        f = _one(text, f"explain.message.{entry}")
        assert f.fix and f.seed_ref


def test_no_server_lines_block_from_the_manual():
    text = ('(lmgrd) license manager: can\'t initialize:No SERVER lines in license file.\n'
            '(lmgrd) License Path: "C:\\FlexLM\\sigasi\\license.dat"\n'
            "(lmgrd) FlexNet Licensing error:-13,66\n")
    ids = {f.id for f in explain(text)}
    assert {"explain.code", "explain.message.log.no-server-lines"} <= ids
    assert "USE_SERVER" in _one(text, "explain.message.log.no-server-lines").fix


def test_harmless_unsupported_is_info():
    line = ('9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) testuser@testmachine  '
            '(License server system does not support this feature. (-18,327:10054 ""))')
    fs = explain(line)
    assert all(f.status is Status.INFO for f in fs), [(f.id, f.status) for f in fs]
    assert {f.id for f in fs} == {"explain.code", "explain.message.log.unsupported-sigasi-probe"}


def test_repeats_are_counted_not_repeated():
    text = "\n".join(['1:00:00 (s) DENIED: "f" u@h  (Licensed number of users already reached. (-4,342))'] * 50)
    fs = explain(text)
    assert [f.id for f in fs].count("explain.code") == 1
    assert "50 times" in _one(text, "explain.message.log.denied").detail


def test_nothing_recognised():
    assert explain("hello world") == []
    assert explain("") == []


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_explain_never_raises(text):
    for f in explain(text):
        assert f.id.startswith("explain.")
