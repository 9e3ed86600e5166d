"""Property tests and robustness: the parser and lint never raise, the round trip is exact,
findings point inside the file, and generated valid files are read as valid."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Status
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import MAX_PER_ID, LintOptions, lint_license
from lmdoctor.checks.license.placeholders import usable_host

TODAY = dt.date(2025, 6, 1)

# Same set as the real-world test: findings that mean the text itself is damaged.
SYNTAX_OR_COPY_DAMAGE = {
    "license.binary", "license.utf16", "license.bom", "license.empty", "license.parse-error",
    "license.token-not-key", "license.unterminated-quote", "license.backslash-before-blank",
    "license.backslash-at-eof", "license.space-after-backslash", "license.missing-backslash",
    "license.unknown-line", "license.mail-quote", "license.typographic-quotes", "license.non-ascii",
    "license.line-too-long", "license.text-after-backslash", "license.inline-comment", "license.joined-lines",
    "license.sign-damaged", "license.sign-length", "license.cr-line-endings", "license.feature-malformed",
    "license.server-malformed",
    "license.vendor-malformed", "license.bad-date", "license.no-sign",
}
# Findings about the whole file rather than a line (no line at all when the file is empty).
WHOLE_FILE = {"license.ok", "license.empty", "license.bom", "license.utf16"}


def check_all(data: bytes):
    lic = parse_license(data)
    assert lic.render() == data
    findings = lint_license(lic, LintOptions(today=TODAY))
    n = len(lic.lines)
    for f in findings:
        if f.line is None:
            assert f.id in WHOLE_FILE, f
        else:
            assert 1 <= f.line <= n, (f.id, f.line, n)
        assert f.id.startswith("license.")
    return lic, findings


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise_and_round_trip(data):
    check_all(data)


# Bytes that look like license text: keywords, quotes, backslashes, comments, odd characters.
_PIECES = st.sampled_from([
    "SERVER", "VENDOR", "DAEMON", "USE_SERVER", "FEATURE", "INCREMENT", "UPGRADE", "PACKAGE", "sigasi",
    "host", "27000", "port=", "PORT=27001", "SIGN=", '"', "\\", " ", "  ", "\t", "#", ">", "=", "HOSTID=ANY",
    "uncounted", "permanent", "1-jan-0", "18-nov-2012", "31-feb-2030", "ABCD", "0CCC 87EA", "\u201c", "\u00a0",
    "\udcff", "C:\\FlexLM\\sigasi\\sigasi.exe", "your_server_name1", "\x00", "\x0b", "\u2028", "\ufeff",
])
_EOLS = st.sampled_from(["\n", "\r\n", "\r", ""])


@st.composite
def license_like(draw):
    lines = draw(st.lists(st.tuples(st.lists(_PIECES, max_size=12).map("".join), _EOLS), max_size=30))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]))
    text = "".join(body + eol for body, eol in lines)
    return bom + text.encode("utf-8", "surrogateescape")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(license_like())
def test_license_like_bytes_never_raise_and_round_trip(data):
    check_all(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=st.characters(blacklist_characters="\r\n",
                                                          blacklist_categories=("Cs",)), max_size=40),
                          st.sampled_from(["\n", "\r\n", "\r"])), max_size=20),
       st.booleans())
def test_text_input_round_trips_with_any_line_endings(lines, bom):
    text = ("\ufeff" if bom else "") + "".join(b + e for b, e in lines)
    lic = parse_license(text)
    assert lic.render() == text.encode("utf-8")
    assert parse_license(text.encode("utf-8")).render() == text.encode("utf-8")
    # Line numbers are dense and every physical line keeps its own ending.
    assert [ln.number for ln in lic.lines] == list(range(1, len(lic.lines) + 1))
    assert all(ln.eol in ("\n", "\r\n", "\r", "") for ln in lic.lines)
    assert all(ln.eol for ln in lic.lines[:-1])


# ------------------------------------------------------------------ generated valid files

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_HEXD = "0123456789ABCDEF"
_HOST = st.tuples(st.sampled_from(list(_LOWER)), st.text(_LOWER + "0123456789-", min_size=2, max_size=12)).map(
    "".join).map(lambda h: h.rstrip("-") or "h")
# An all-zero hostid is lmhostid's "no network card" answer, never issued: lint rightly flags it.
_HEX12 = st.text(_HEXD, min_size=12, max_size=12).filter(lambda h: h.strip("0"))
_NAME = st.tuples(st.sampled_from(list(_LOWER)), st.text(_LOWER + "0123456789_.", max_size=20)).map("".join)
_WORD = st.text(_LOWER + "0123456789:.@", min_size=1, max_size=10)
_GROUP = st.text(_HEXD, min_size=4, max_size=4)
_VENDOR = st.tuples(st.sampled_from(list(_LOWER)), st.text(_LOWER + "0123456789", min_size=2, max_size=8)).map(
    "".join)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


@st.composite
def valid_license(draw):
    """A valid license file and what it holds: (text, feature names, vendor strings)."""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["  ", "\t", "        "]))
    port = draw(st.integers(1024, 60000))
    vendors = draw(st.lists(_VENDOR, min_size=1, max_size=3, unique=True))
    sign_len = {v: draw(st.integers(2, 30)) for v in vendors}
    out = []
    if draw(st.booleans()):
        out.append("# generated license" + eol)
    n_servers = draw(st.sampled_from([1, 3]))
    hosts = [draw(_HOST.filter(lambda h: usable_host(h + "0"))) for _ in range(n_servers)]
    servers = [f"SERVER {h}{i} {draw(_HEX12)} {port}{eol}" for i, h in enumerate(hosts)]
    daemons = [f"DAEMON {v} port={port + 1 + k}{eol}" for k, v in enumerate(vendors)]
    # Sigasi writes DAEMON first; FlexNet's own order is SERVER first. Both are valid.
    out += (daemons + servers) if draw(st.booleans()) else (servers + daemons)
    names, vstrings = [], []
    for i in range(draw(st.integers(1, 8))):
        v = draw(st.sampled_from(vendors))
        name = draw(_NAME)[:25] + str(i)
        day = draw(st.integers(1, 28))
        exp = draw(st.sampled_from(["permanent", "1-jan-0", f"{day}-{draw(st.sampled_from(_MONTHS))}-2031"]))
        count = draw(st.sampled_from([str(draw(st.integers(1, 500)))]))
        vs = " ".join(draw(st.lists(_WORD, min_size=1, max_size=6)))
        groups = [draw(_GROUP) for _ in range(sign_len[v])]
        words = [f"INCREMENT {name} {v} {draw(st.integers(1, 9))}.{draw(st.integers(0, 9))} {exp} {count}",
                 f'VENDOR_STRING="{vs}"', "HOSTID=ANY", "ISSUER=Sigasi", "ISSUED=02-Jan-2025",
                 f'SIGN="{" ".join(groups)}"']
        # Break the logical line with backslashes at random spaces (also inside quoted values).
        logical = " ".join(words)
        spaces = [k for k, c in enumerate(logical) if c == " "]
        cuts = sorted(draw(st.lists(st.sampled_from(spaces), max_size=6, unique=True)))
        parts, last = [], 0
        for k in cuts:
            parts.append(logical[last:k])
            last = k + 1
        parts.append(logical[last:])
        sep = draw(st.sampled_from([" \\", "\\"]))
        out.append((sep + eol + indent).join(parts) + eol)
        if draw(st.booleans()):
            out.append(eol)
        names.append(name)
        vstrings.append(vs)
    return "".join(out), names, vstrings


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_license())
def test_generated_valid_files_parse_and_lint_clean(case):
    text, names, vstrings = case
    data = text.encode()
    lic, findings = check_all(data)
    bad = [(f.id, f.line, f.evidence) for f in findings if f.id in SYNTAX_OR_COPY_DAMAGE]
    assert bad == []
    assert [f.name for f in lic.features] == names
    # Quoted values broken across lines join back into the original value.
    assert [f.entry.get("VENDOR_STRING") for f in lic.features] == vstrings
    assert all(f.status in (Status.OK, Status.INFO) for f in findings), [(f.id, f.line) for f in findings]


# ------------------------------------------------------------------ robustness

def _bounded(findings):
    ids = {f.id for f in findings}
    assert len(findings) <= len(ids) * (MAX_PER_ID + 1)
    assert len(findings) < 400


@pytest.mark.slow
def test_fifty_megabyte_log_passed_by_mistake():
    line = b'12:34:56 (sigasi) OUT: "com.sigasi.hdt" user@workstation-042  \n'
    data = line * (50 * 1024 * 1024 // len(line) + 1)
    assert len(data) >= 50 * 1024 * 1024
    lic, findings = check_all(data)
    _bounded(findings)
    summary = [f for f in findings if f.id == "license.unknown-line" and "more like this" in f.title]
    assert len(summary) == 1 and str(len(lic.lines) - MAX_PER_ID) in summary[0].title


def test_one_megabyte_line():
    data = b"INCREMENT f sigasi 5.0 permanent 4 NOTICE=\"" + b"x" * (1024 * 1024) + b"\"\n"
    lic, findings = check_all(data)
    _bounded(findings)
    assert any(f.id == "license.line-too-long" and f.line == 1 for f in findings)
    data = b"y" * (1024 * 1024)  # no newline at all
    lic, findings = check_all(data)
    assert any(f.id == "license.unknown-line" and f.line == 1 for f in findings)


def test_invalid_utf8():
    data = b"SERVER lic\xff\xfe01 BD41FCF5DE27 27000\nDAEMON sigasi port=27001\n\x80\x81\x82\n"
    lic, findings = check_all(data)
    _bounded(findings)
    assert any(f.id == "license.non-ascii" and f.line == 1 and "0xFF" in f.detail for f in findings)
    assert any(f.id == "license.unknown-line" and f.line == 3 for f in findings)


def test_empty_and_blank_files():
    for data in (b"", b"\n\n\r\n", b"# only a comment\n", b"\xef\xbb\xbf"):
        lic, findings = check_all(data)
        assert any(f.id == "license.empty" and f.status is Status.FAIL for f in findings), data


def test_binary_blob():
    data = bytes(range(256)) * 4096  # 1 MiB with NUL and control bytes
    lic, findings = check_all(data)
    assert [f.id for f in findings] == ["license.binary"]
    assert lic.is_binary


def test_odd_utf16_is_not_a_crash():
    for data in (b"\xff\xfe" + b"S\x00E\x00", b"\xff\xfeS", b"\xfe\xff\x00S\x00E", b"\xff\xfe\x00\xd8\x00\xd8"):
        check_all(data)
