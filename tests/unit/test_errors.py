"""FlexLM code table, errno/Winsock tables, code finding in text, exit-signal decoding."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.errors import (
    FLEXLM_CODES,
    decode_exit_signal,
    errno_interpretations,
    errno_meaning,
    find_error_codes,
    find_exit_signals,
    flexlm_meaning,
    flexlm_range_hint,
    practical_meaning,
)
from tests.conftest import shared_root

FACTS = shared_root() / "reference" / "flexlm-facts.md"


def test_every_code_in_the_facts_file_is_in_the_table():
    text = FACTS.read_text(encoding="utf-8")
    section = text.split("## 3. Error codes", 1)[1].split("## 4.", 1)[0]
    body = section.split("Major codes", 1)[1]
    listed = {int(m.group(1)) for m in re.finditer(r"(?<![\d.])(-\d{1,3}) [a-z\"(]", body)}
    assert len(listed) > 60
    missing = sorted(listed - set(FLEXLM_CODES))
    assert not missing, missing


def test_the_table_holds_exactly_the_codes_of_the_facts_file_with_their_meaning():
    # "Any other code is reported as unknown rather than guessed": no code beyond the facts file.
    text = FACTS.read_text(encoding="utf-8")
    body = text.split("## 3. Error codes", 1)[1].split("## 4.", 1)[0].split("Major codes", 1)[1]
    pairs = {int(m.group(1)): m.group(2) for m in
             re.finditer(r"(?<![\d.])(-\d{1,3}) ([A-Za-z\"(][^;]*?)(?:;|\.\s|$)", body)}
    assert set(FLEXLM_CODES) == set(pairs) - {-235}  # "-102..-235 cover ..." is a range, not a code
    skip = {"the", "a", "an", "of", "for", "to", "in", "or", "and", "no", "not", "is", "has", "been", "this",
            "on", "from", "with", "does", "than", "too", "set", "back", "cannot", "invalid", "license", "server"}
    for code, facts in sorted(pairs.items()):
        if code == -235:
            continue
        words = {w for w in re.findall(r"[a-z]{3,}", facts.lower()) if w not in skip}
        assert words & set(re.findall(r"[a-z]{3,}", FLEXLM_CODES[code].lower())), (code, facts, FLEXLM_CODES[code])


def test_unix_errno_names_are_the_operating_systems():
    import errno

    from lmdoctor.checks.errors import UNIX_ERRNO

    for n, (name, _text) in UNIX_ERRNO.items():
        assert errno.errorcode.get(n) == name, (n, name)  # "Linux numbering", as the table says
    for n in (2, 13, 110, 111, 113, 115):  # the ones the facts file names
        assert errno_meaning(n).startswith(f"Unix errno {n} {errno.errorcode[n]}: ")


# Windows Sockets error codes (Microsoft's list): number -> name.
WINSOCK_DOC = {
    10004: "WSAEINTR", 10009: "WSAEBADF", 10013: "WSAEACCES", 10014: "WSAEFAULT", 10022: "WSAEINVAL",
    10024: "WSAEMFILE", 10035: "WSAEWOULDBLOCK", 10036: "WSAEINPROGRESS", 10037: "WSAEALREADY",
    10038: "WSAENOTSOCK", 10047: "WSAEAFNOSUPPORT", 10048: "WSAEADDRINUSE", 10049: "WSAEADDRNOTAVAIL",
    10050: "WSAENETDOWN", 10051: "WSAENETUNREACH", 10052: "WSAENETRESET", 10053: "WSAECONNABORTED",
    10054: "WSAECONNRESET", 10055: "WSAENOBUFS", 10056: "WSAEISCONN", 10057: "WSAENOTCONN",
    10058: "WSAESHUTDOWN", 10060: "WSAETIMEDOUT", 10061: "WSAECONNREFUSED", 10064: "WSAEHOSTDOWN",
    10065: "WSAEHOSTUNREACH", 10091: "WSASYSNOTREADY", 10093: "WSANOTINITIALISED", 10101: "WSAEDISCON",
    11001: "WSAHOST_NOT_FOUND", 11002: "WSATRY_AGAIN", 11003: "WSANO_RECOVERY", 11004: "WSANO_DATA",
}


@pytest.mark.parametrize("n,name", sorted(WINSOCK_DOC.items()))
def test_winsock_numbers_name_microsofts_codes(n, name):
    assert errno_meaning(n).startswith(f"Winsock {n} {name}: ")
    assert errno_interpretations(n)[0].startswith(f"Winsock {n} {name}: ")


# What explain says to do for each code (the words a helpdesk looks for).
PRACTICAL_GIST = {
    -1: "search path", -2: "lmdoctor lint", -3: "does not serve this feature", -4: "in use",
    -5: "FEATURE/INCREMENT", -7: "No connection to lmgrd", -8: "signature", -9: "lmhostid", -10: "expired",
    -13: "no SERVER line", -14: "does not resolve", -15: "cannot reach the license server",
    -16: "while reading", -17: "while writing", -18: "does not serve this feature", -21: "older version",
    -25: "feature version in the license is lower", -31: "START date", -34: "clocks differ",
    -38: "EXCLUDE", -39: "INCLUDE", -83: "vendor daemon is older", -88: "clock was set back",
    -90: "syntax", -92: "lmreread", -95: "THIS_HOST", -96: "down or not answering",
    -97: "vendor daemon is down", -114: "SIGN=",
}


@pytest.mark.parametrize("code,gist", sorted(PRACTICAL_GIST.items()))
def test_practical_meaning_of_each_code(code, gist):
    text = practical_meaning(code)
    assert gist in text and "Next:" in text and "Sigasi" not in text


# Sigasi's own advice, only for text about Sigasi.
SIGASI_GIST = {
    -1: "SIGASI_LM_LICENSE_FILE", -4: "close it", -5: "XL or XPRT", -10: "renewed key", -15: "27001",
    -18: "harmless", -21: "Sigasi 2.x key", -25: "Sigasi 2.x key", -83: "same zip", -97: "sigasi vendor daemon",
}


@pytest.mark.parametrize("code,gist", sorted(SIGASI_GIST.items()))
def test_sigasi_notes_for_sigasi_text_only(code, gist):
    assert gist in practical_meaning(code, f"Sigasi Studio: license error ({code},1)")
    assert gist in practical_meaning(code, sigasi=True)
    assert gist not in practical_meaning(code, f"ModelSim: license error ({code},1)")


def test_no_sigasi_note_for_codes_sigasi_says_nothing_about():
    for code in set(PRACTICAL_GIST) - set(SIGASI_GIST):
        assert practical_meaning(code, sigasi=True) == practical_meaning(code, sigasi=False)


def test_unix_signal_names_are_the_operating_systems():
    import signal

    from lmdoctor.checks.errors import UNIX_SIGNALS, unix_signal

    for n, (name, _meaning, _orderly) in UNIX_SIGNALS.items():
        assert signal.Signals(n).name == name
    assert unix_signal(15)[2] is True and unix_signal(9)[2] is False  # SIGTERM orderly, SIGKILL not
    assert unix_signal(2)[2] is True and unix_signal(11)[0] == "SIGSEGV"
    assert unix_signal(64) == ("signal 64", "stopped by a signal lmdoctor has no description for", False)


def test_unlisted_codes_are_unknown_not_invented():
    assert flexlm_meaning(-27) is None
    assert flexlm_meaning(-150) is None
    assert flexlm_range_hint(-150) is not None  # inside -102..-235: the range's subject is named
    assert flexlm_range_hint(-15) is None
    assert flexlm_meaning(-9999) is None and flexlm_range_hint(-9999) is None


def test_known_meanings():
    assert "Cannot connect" in flexlm_meaning(-15)
    assert "SERVER lines" in flexlm_meaning(-13)
    assert "users already reached" in flexlm_meaning(-4)
    assert flexlm_meaning(15) == flexlm_meaning(-15)
    assert "Next:" in practical_meaning(-15)
    # Sigasi's notes only for text about Sigasi; the general truth for everyone else.
    assert "harmless" in practical_meaning(-18, 'UNSUPPORTED: "com.sigasi.hdt.preview"')
    assert "harmless" not in practical_meaning(-18) and "sigasi" not in practical_meaning(-18).lower()
    assert practical_meaning(-76) is None


def test_practical_meanings_are_vendor_neutral_unless_sigasi():
    from lmdoctor.checks.errors import PRACTICAL

    for code in PRACTICAL:
        text = practical_meaning(code)
        assert "sigasi" not in text.lower(), code
        assert "Next:" in text, code
    assert "SIGASI_LM_LICENSE_FILE" in practical_meaning(-1, sigasi=True)
    assert "com.sigasi.hdt.xl" in practical_meaning(-5, "(sigasi) DENIED: com.sigasi.hdt.xl (-5,357)")


@pytest.mark.parametrize("code, text, words", [
    (-9, "License Manager Error -9. Your username does not match the username in the license file.", "user name"),
    (-9, "Invalid host. The hostid of this system does not match the hostid in the license (-9,57)", "lmhostid"),
    (-114, "This version of MATLAB requires a network license manager update. (-114)", "license manager"),
    (-16, "Cannot read data from license server system (-16,287) flexnetls on :7070", "FlexNet Embedded"),
    (-16, "Cannot read data from license server system (-16,287)", "firewalls"),
    (-1, "(lmgrd) license manager: can't initialize: Cannot find license file (-1,359)", "-c /full/path"),
    (-1, "Cannot find license file (-1,359:2)", "search path"),
])
def test_the_vendors_own_words_choose_the_meaning(code, text, words):
    assert words in practical_meaning(code, text)


@pytest.mark.parametrize("text, major, minor", [
    ("License Manager Error -9. Your username", -9, None),  # a sentence ends after the code
    ("Checkout failed (-39, 147)", -39, 147),  # a space after the comma
    ("(-4, 342)", -4, 342),
])
def test_codes_in_vendor_wording(text, major, minor):
    (ref,) = find_error_codes(text)
    assert (ref.major, ref.minor) == (major, minor)


@pytest.mark.parametrize("text, major", [
    ("Sigasi Studio: license checkout failed with error -15", -15),  # what a user types from a dialog
    ("FlexNet Licensing error: -15", -15),
    ("lmgrd: license error -96", -96),
    ("Error code -97 when starting lmgrd", -97),
    ("ERROR -5", -5),
])
def test_a_bare_code_after_the_word_error_is_found(text, major):
    # Without ",minor" a "-N" is noise in most lines (dates, "from -1 to 0"); after "error" it is the code.
    (ref,) = find_error_codes(text)
    assert (ref.major, ref.minor, ref.errno) == (major, None, None)
    assert ref.raw == f"{major}" and ref.raw in text


def test_errno_unix_and_winsock():
    assert "ECONNREFUSED" in errno_meaning(111) and "Unix" in errno_meaning(111)
    assert "EINPROGRESS" in errno_meaning(115)
    assert "WSAECONNRESET" in errno_meaning(10054) and "Winsock" in errno_meaning(10054)
    assert "Host not found" in errno_meaning(11001)
    assert errno_meaning(9999) is None
    both = errno_interpretations(10061)
    assert any("WSAECONNREFUSED" in t for t in both) and any("not a Unix" in t for t in both)
    both = errno_interpretations(113)
    assert any("EHOSTUNREACH" in t for t in both) and any("not a Winsock" in t for t in both)


def test_find_forms():
    (r,) = find_error_codes("-15")
    assert (r.major, r.minor, r.errno) == (-15, None, None)
    (r,) = find_error_codes("-18,327:10054")
    assert (r.major, r.minor, r.errno) == (-18, 327, 10054)
    (r,) = find_error_codes('Cannot connect to license server system. (-15,570:115 "Operation now in progress")')
    assert (r.major, r.minor, r.errno, r.errno_text) == (-15, 570, 115, "Operation now in progress")
    (r,) = find_error_codes("(lmgrd) FlexNet Licensing error:-13,66")
    assert (r.major, r.minor, r.errno) == (-13, 66, None)
    (r,) = find_error_codes('FlexNet Licensing error:-15,578. System Error: 10049 "WinSock: Invalid address"')
    assert (r.major, r.minor, r.errno, r.errno_text) == (-15, 578, 10049, "WinSock: Invalid address")
    refs = find_error_codes("-15 -4")
    assert [x.major for x in refs] == [-15, -4]
    (r,) = find_error_codes('UNSUPPORTED: "x" (PORT_AT_HOST_PLUS   ) u@h  (License server system does not '
                            'support this feature. (-18,327:10054 ""))')
    assert (r.major, r.errno, r.errno_text) == (-18, 10054, None)


def test_no_codes_in_ordinary_numbers():
    assert find_error_codes("16:11:46 (lmgrd) Changing message security level from -1 to 0") == []
    assert find_error_codes("expiry: 1-jan-0, 2018-15,3") == []
    assert find_error_codes("") == []


def test_exit_decoding_from_the_facts():
    (d,) = decode_exit_signal(41)
    assert (d.platform, d.reason) == ("unix", 9)
    (d,) = decode_exit_signal(32)
    assert (d.platform, d.reason) == ("windows", 9)
    (d,) = decode_exit_signal(25, 2)
    assert (d.platform, d.reason) == ("windows", 2) and "wrong host" in d.reason_text
    (d,) = decode_exit_signal(36)
    assert (d.platform, d.reason) == ("unix", 4) and "no features" in d.reason_text
    (d,) = decode_exit_signal(41, 9)
    assert d.platform == "unix"
    assert len(decode_exit_signal(37)) == 2  # 32+5 on Unix, 23+14 on Windows
    assert [d.platform for d in decode_exit_signal(37, platform_hint="Windows")] == ["windows"]
    assert decode_exit_signal(99) == []
    assert decode_exit_signal(15) == []  # lmgrd's own SIGTERM status is not a vendor reason


# facts section 5: n = base + k, base 32 on Unix and 23 on Windows, and what each reason k means.
EXIT_FACTS = {1: "bad configuration", 2: "wrong host", 3: "port in use", 4: "no features to serve",
              5: "communication error", 8: "signal", 9: "another license server", 14: "lmgrd asked"}


@pytest.mark.parametrize("reason,words", sorted(EXIT_FACTS.items()))
def test_every_exit_reason_on_both_platforms(reason, words):
    for platform, base in (("unix", 32), ("windows", 23)):
        (d,) = decode_exit_signal(base + reason, reason)
        assert (d.platform, d.base, d.reason) == (platform, base, reason)
        assert words in d.reason_text and d.fix
        readings = decode_exit_signal(base + reason, platform_hint=platform)
        assert [(r.platform, r.reason) for r in readings] == [(platform, reason)]


def test_an_exit_reason_with_an_odd_base_is_still_named():
    # "EXITING DUE TO SIGNAL 50 Exit reason 9": 41 would be Unix; the reason alone still says what happened.
    (d,) = decode_exit_signal(50, 9)
    assert (d.platform, d.base, d.reason) == (None, 41, 9) and "another license server" in d.reason_text
    assert decode_exit_signal(50, 7) == []  # reason 7 is no documented reason


def test_find_exit_signals():
    refs = find_exit_signals("17:09:27 (MSC) EXITING DUE TO SIGNAL 25 Exit reason 2")
    assert [(r.signal, r.reason) for r in refs] == [(25, 2)]
    (r,) = find_exit_signals("17:09:32 (lmgrd) MSC exited with status 25 (Invalid host)")
    assert (r.signal, r.reason, r.text) == (25, None, "Invalid host")
    (r,) = find_exit_signals("status 36")
    assert r.signal == 36


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_find_error_codes_never_raises(text):
    for r in find_error_codes(text):
        assert r.major < 0
    find_exit_signals(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.one_of(st.none(), st.integers(-100, 100)),
       st.sampled_from([None, "win", "linux", "unix"]))
def test_decode_exit_never_raises(sig, reason, hint):
    for d in decode_exit_signal(sig, reason, hint):
        assert d.reason in (1, 2, 3, 4, 5, 8, 9, 14)


def test_which_stops_are_orderly():
    from lmdoctor.checks.errors import unix_signal

    # An orderly stop (someone asked) is not a crash: the daemon verdict says which it was.
    orderly = {1: False, 2: True, 3: False, 6: False, 9: False, 11: False, 13: False, 15: True}
    assert {n: unix_signal(n)[2] for n in orderly} == orderly


def test_codes_typed_without_the_minus_sign():
    # "explain 15": people drop the minus.
    assert flexlm_meaning(1) == flexlm_meaning(-1) and flexlm_meaning(1)
    assert practical_meaning(1) == practical_meaning(-1) and practical_meaning(15) == practical_meaning(-15)
    assert flexlm_range_hint(150) == flexlm_range_hint(-150)


def test_the_documented_range_runs_from_102_to_235():
    assert flexlm_range_hint(-102) and flexlm_range_hint(-235) and flexlm_range_hint(-103)
    assert flexlm_range_hint(-236) is None and flexlm_range_hint(-101) is None  # -101 has its own meaning
    assert flexlm_range_hint(-100) is None


def test_errno_zero_and_the_winsock_boundary():
    assert errno_interpretations(0)[0] == "errno 0: no OS error was recorded"
    assert errno_interpretations(1)[0].startswith("Unix errno 1 EPERM")
    assert errno_interpretations(10000) == ["Winsock 10000: not in lmdoctor's Winsock table (unknown)",
                                            "Unix: no errno is this high, so it is not a Unix error number"]
    assert errno_interpretations(9999)[0] == "Unix errno 9999: not in lmdoctor's errno table (unknown)"


def test_a_number_in_prose_before_the_real_code_does_not_hide_it():
    log = (' 9:14:47 (lmgrd) Changing message security level from -1 to 0\n'
           ' 9:15:02 (sigasi) DENIED: "com.sigasi.hdt.xl" jdoe@ws17  (No such feature exists. (-5,346))\n')
    assert [(r.major, r.minor) for r in find_error_codes(log)] == [(-5, 346)]


def test_not_text_is_no_codes_and_no_crash():
    assert find_error_codes(None) == [] and find_exit_signals(None) == []  # type: ignore[arg-type]
    assert find_error_codes(b"-15,570") == []  # type: ignore[arg-type]


def test_exit_lines_keep_their_words():
    (r,) = find_exit_signals("17:09:27 (MSC) EXITING DUE TO SIGNAL 25 Exit reason 2")
    assert r.raw == "EXITING DUE TO SIGNAL 25 Exit reason 2"
    (r,) = find_exit_signals("17:09:27 (MSC) EXITING DUE TO SIGNAL 41")
    assert (r.signal, r.reason, r.raw) == (41, None, "EXITING DUE TO SIGNAL 41")
    (r,) = find_exit_signals("lmgrd exited, status 36")
    assert (r.signal, r.raw) == (36, "status 36")
