"""The license parser: structure, continuations, encodings, and the lossless round trip."""
from __future__ import annotations

from pathlib import Path

import pytest

from lmdoctor.checks.license import FlexDate, parse_date, parse_license

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "licenses"


def test_manual_node_locked_example():
    lic = parse_license((FIX / "manual_nodelocked.lic").read_bytes())
    assert lic.servers == [] and lic.vendors == []
    (f,) = lic.features
    assert (f.kind, f.name, f.vendor, f.version, f.count_text) == (
        "INCREMENT", "com.sigasi.hdt", "sigasi", "2.0", "uncounted")
    assert f.uncounted and f.hostid == "ANY" and f.major_version == 2
    assert f.expiry.date is not None and (f.expiry.date.year, f.expiry.date.month, f.expiry.date.day) == (2012, 11, 18)
    # The continuation inside the quoted VENDOR_STRING joins into one value with one space.
    assert f.entry.get("VENDOR_STRING") == "company:www.example.com;mac:10f2dd92c5ac;name:John Doe;type:trial"
    vs = f.entry.get_token("VENDOR_STRING")
    assert vs.quoted and not vs.unterminated and vs.line == 2
    assert f.entry.get("ISSUER") == "Sigasi" and f.entry.get("issued") == "21-Oct-2012"
    assert f.entry.get_token("START").line == 4
    groups = f.sign.split()
    assert len(groups) == 30 and groups[0] == "0CCC" and groups[-1] == "49AB"
    assert (f.entry.first_line, f.entry.last_line) == (1, 6)
    assert lic.problems == []


def test_sigasi_floating_example_daemon_first():
    lic = parse_license((FIX / "sigasi_floating_placeholder.lic").read_bytes())
    assert [e.kind for e in lic.entries] == ["DAEMON", "SERVER", "INCREMENT"]
    (v,) = lic.vendors
    assert (v.name, v.port, v.path, v.line) == ("sigasi", 27001, None, 1)
    (s,) = lic.servers
    assert (s.host, s.hostid, s.port, s.line) == ("your_server_name1", "BD41FCF5DE27", 27000, 2)
    (f,) = lic.features
    assert (f.name, f.version, f.count, f.uncounted, f.hostid) == ("com.sigasi.hdt", "2.0", 4, False, "ANY")


def test_vendor_line_forms():
    lic = parse_license("VENDOR acme /opt/acme OPTIONS=/etc/acme.opt PORT=27001\n"
                        "DAEMON sigasi /opt/s/sigasi /opt/s/sigasi.opt 27002\n"
                        "VENDOR prime\n")
    a, s, p = lic.vendors
    assert (a.name, a.path, a.options, a.port) == ("acme", "/opt/acme", "/etc/acme.opt", 27001)
    assert (s.name, s.path, s.options, s.port) == ("sigasi", "/opt/s/sigasi", "/opt/s/sigasi.opt", 27002)
    assert (p.name, p.path, p.options, p.port_text) == ("prime", None, None, None)


def test_server_line_forms():
    lic = parse_license("SERVER lic01 001122aabbcc 27000 PRIMARY_IS_MASTER\n"
                        "SERVER h2 ANY\n"
                        "SERVER h3 ID=1234 PORT=1999\n")
    a, b, c = lic.servers
    assert (a.host, a.hostid, a.port) == ("lic01", "001122aabbcc", 27000)
    assert (b.host, b.hostid, b.port) == ("h2", "ANY", None)
    assert (c.host, c.hostid, c.port) == ("h3", "ID=1234", 1999)


def test_upgrade_line_uses_the_new_version():
    lic = parse_license('UPGRADE f acme 1.0 2.0 permanent 5 SIGN="1A2B 3C4D"\n')
    (f,) = lic.features
    assert (f.kind, f.version, f.expiry.permanent, f.count) == ("UPGRADE", "2.0", True, 5)


def test_keywords_any_case_and_unknown_keywords_kept():
    lic = parse_license('increment f acme 1.0 permanent 5 frobnicate=7 Sign="1A2B" port=1\n')
    (f,) = lic.features
    assert f.entry.kind == "INCREMENT"
    assert f.entry.get("FROBNICATE") == "7" and f.sign == "1A2B"


def test_comments_blanks_and_line_numbers():
    text = "# head\n\nSERVER h 001122334455 27000\n  # indented comment\nVENDOR v\n"
    lic = parse_license(text)
    assert [(e.kind, e.first_line) for e in lic.entries] == [
        ("COMMENT", 1), ("BLANK", 2), ("SERVER", 3), ("COMMENT", 4), ("VENDOR", 5)]


def test_tokens_know_their_physical_line():
    lic = parse_license((FIX / "sigasi_floating.lic").read_bytes())
    f = lic.features[1]
    assert f.line == 9
    assert f.entry.get_token("VENDOR_STRING").line == 10
    assert f.entry.get_token("HOSTID").line == 11
    assert f.entry.get_token("SIGN").line == 12
    assert f.entry.line_at(len(f.entry.text) - 1) == 14


@pytest.mark.parametrize("name,eol", [("sigasi_floating.lic", "\n"), ("sigasi_floating_crlf.lic", "\r\n")])
def test_crlf_and_lf_parse_the_same(name, eol):
    lic = parse_license((FIX / name).read_bytes())
    assert {ln.eol for ln in lic.lines} == {eol}
    assert [f.name for f in lic.features] == ["com.sigasi.hdt", "com.sigasi.hdt.xl"]
    assert all("\r" not in ln.text for ln in lic.lines)
    assert len(lic.features[0].sign.split()) == 30


def test_bom_is_kept_apart():
    lic = parse_license((FIX / "sigasi_floating_bom.lic").read_bytes())
    assert lic.bom == b"\xef\xbb\xbf" and lic.entries[0].kind == "DAEMON"


def test_utf16_is_decoded():
    lic = parse_license((FIX / "sigasi_floating_utf16.lic").read_bytes())
    assert lic.encoding == "utf-16-le" and not lic.is_binary
    assert [f.name for f in lic.features] == ["com.sigasi.hdt", "com.sigasi.hdt.xl"]


def test_utf16_without_bom_is_decoded():
    data = "SERVER h 001122334455 27000\r\nVENDOR v port=1\r\n".encode("utf-16-le")
    lic = parse_license(data)
    assert lic.encoding == "utf-16-le" and lic.servers[0].port == 27000
    assert lic.render() == data


def test_binary_is_flagged_not_parsed():
    lic = parse_license((FIX / "binary.lic").read_bytes())
    assert lic.is_binary and lic.entries == [] and lic.problems[0].code == "binary"


def test_str_input_and_path():
    lic = parse_license("VENDOR v\n", path="x.lic")
    assert lic.path == "x.lic" and lic.render() == b"VENDOR v\n"


def test_unterminated_quote_and_space_after_backslash_problems():
    lic = parse_license('INCREMENT f v 1.0 permanent 1 \\  \n  SIGN="1A2B \n')
    codes = {(p.code, p.line) for p in lic.problems}
    assert codes == {("space-after-backslash", 1), ("unterminated-quote", 2)}
    # Whitespace after the backslash still continues the entry (lmdoctor reads it as FlexNet would intend).
    assert lic.features[0].sign == "1A2B "


@pytest.mark.parametrize("name", sorted(p.name for p in FIX.iterdir()))
def test_every_fixture_round_trips_byte_exact(name):
    data = (FIX / name).read_bytes()
    assert parse_license(data).render() == data


def test_views_are_cached_but_follow_edits():
    lic = parse_license((FIX / "sigasi_floating.lic").read_bytes())
    first = lic.features
    assert [f.entry for f in lic.features] == [f.entry for f in first]
    assert lic.features[0] is first[0]  # no re-parse
    lic.features.append(first[0])  # a caller's list, not the cache
    assert len(lic.features) == 2
    del lic.entries[2]  # the first INCREMENT
    assert [f.name for f in lic.features] == ["com.sigasi.hdt.xl"]


@pytest.mark.parametrize("text,permanent,iso", [
    ("18-nov-2012", False, "2012-11-18"), ("1-JAN-2030", False, "2030-01-01"), ("06-Jul-2006", False, "2006-07-06"),
    ("permanent", True, None), ("PERMANENT", True, None), ("1-jan-0", True, None), ("01-jan-0000", True, None),
    ("31-dec-99", False, "1999-12-31"), ("1-jan-25", False, "2025-01-01"),
])
def test_dates(text, permanent, iso):
    d = parse_date(text)
    assert d.valid and d.permanent is permanent
    assert (d.date.isoformat() if d.date else None) == iso


@pytest.mark.parametrize("text", ["", "2025-01-02", "31-feb-2030", "1-foo-2020", "١-jan-2020", "x" * 100])
def test_bad_dates(text):
    d = parse_date(text)
    assert isinstance(d, FlexDate) and not d.valid and d.days_left(__import__("datetime").date.today()) is None


def test_runs_of_blank_and_comment_lines_are_one_entry_each():
    # A cap's worth of empty or '#' lines must not cost an object per line (it was over a GiB);
    # every physical line keeps its number and text.
    text = "# a\n# b\n#c\n\n\n \nSERVER h 001122334455 27000\n" + "\n" * 100_000 + "VENDOR v\n# tail\n"
    lic = parse_license(text)
    assert [(e.kind, e.first_line, e.last_line) for e in lic.entries] == [
        ("COMMENT", 1, 3), ("BLANK", 4, 6), ("SERVER", 7, 7), ("BLANK", 8, 100_007), ("VENDOR", 100_008, 100_008),
        ("COMMENT", 100_009, 100_009)]
    assert lic.line_text(2) == "# b" and lic.line_text(100_008) == "VENDOR v"
    assert lic.vendors[0].name == "v"
