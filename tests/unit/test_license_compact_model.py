"""The license model keeps one buffer and compact tables (issue 10 item 2, memory proportional to
what matters). These tests pin that the compact model reads exactly what the list-of-lines model
before it read: the same lines, the same entries, and the same lint output on real files."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Report
from lmdoctor.checks.hostinfo import HostIdentity
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import LintOptions, lint_license
from lmdoctor.checks.license.model import LineTable
from lmdoctor.checks.render import report_dict

_EOL = re.compile(r"(\r\n|\n|\r)")


def _reference_lines(text: str):
    """How the model before the line table split text: (body, eol) per line, no empty tail."""
    parts = _EOL.split(text)
    out = []
    for i in range(0, len(parts), 2):
        body = parts[i]
        eol = parts[i + 1] if i + 1 < len(parts) else ""
        if body or eol:
            out.append((body, eol))
    return out


_BYTES = st.lists(st.sampled_from([
    b"SERVER h ANY 27000", b"INCREMENT f v 1.0 permanent 1", b" ", b"\t", b"\\", b'"', b"#", b">",
    b"\n", b"\r\n", b"\r", b"\r\r\n", b"\xff", b"\xe2\x82", b"\xe2\x82\xac", b"\xc3", b"\x00", b"x",
]), max_size=30).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(_BYTES, st.booleans())
def test_line_table_reads_what_a_whole_decode_and_split_reads(data, bom):
    if bom:
        data = b"\xef\xbb\xbf" + data
    lic = parse_license(data)
    assert lic.render() == data
    if lic.encoding != "utf-8":
        return
    text = data[3 if bom else 0:].decode("utf-8", "surrogateescape")
    want = _reference_lines(text)
    lines = lic.lines
    assert [(ln.text, ln.eol) for ln in lines] == want
    assert [ln.number for ln in lines] == list(range(1, len(want) + 1))
    assert [lines.text(i) for i in range(len(lines))] == [b for b, _ in want]
    # Read a few bytes at a time, the block reader gives the same texts as reading line by line.
    assert list(lines.iter_texts(block=3)) == [b for b, _ in want]
    assert lines[-1:] == [lines[len(lines) - 1]] if want else lines[:] == []
    for probe in (">", "\r", "#"):
        assert lines.contains(probe) is any(probe in b or probe in e for b, e in want)


def test_line_table_over_text_and_bytes_agree():
    text = "SERVER h ANY 27000\r\nVENDOR v\rINCREMENT f v 1.0 permanent 1 \\\n  SIGN=\"AB\"\n\nlast"
    a, b = LineTable.build(text), LineTable.build(text.encode())
    assert list(a) == list(b) and len(a) == 6
    assert [a.eol(i) for i in range(6)] == ["\r\n", "\r", "\n", "\n", "\n", ""]


def test_continued_entry_keeps_segment_starts_and_line_numbers():
    lic = parse_license(b'# c\nINCREMENT f v 1.0 permanent 1 \\\n    HOSTID=ANY \\\n\tSIGN="AB CD"\nVENDOR v\n')
    e = lic.entries[1]
    assert e.text == 'INCREMENT f v 1.0 permanent 1 HOSTID=ANY SIGN="AB CD"'
    assert list(e.starts) == [0, 30, 41] and list(e.numbers) == [2, 3, 4]
    assert [e.line_at(o) for o in (0, 29, 30, 40, 41, 60)] == [2, 2, 3, 3, 4, 4]
    assert e.get_token("SIGN").line == 4 and e.get("hostid") == "ANY"
    single = lic.entries[2]
    assert list(single.starts) == [] and list(single.numbers) == [] and single.line_at(3) == 5


def test_entries_with_the_same_keys_share_one_key_map():
    lic = parse_license(b"INCREMENT a v 1 permanent 1 HOSTID=ANY SIGN=1\nINCREMENT b v 1 permanent 1 hostid=X SIGN=2\n")
    a, b = lic.entries
    assert a.get("SIGN") == "1" and b.get("HOSTID") == "X"
    assert a._keys is b._keys  # one dict for the layout, an offsets array each


# Lint's JSON (without the version) on every real-world license, as main produced it before the
# model kept lines in a table over one buffer (computed then with the list-of-lines model). A change
# here means lint now says something else about a real file: intended or not, look at the diff
# (`lmdoctor lint --format json FILE` on this branch and on the commit before it).
BEFORE = {
    ("danofsteel32__goflexlm__conforming.lic", "text"): "e0758d8554fd756b",
    ("danofsteel32__goflexlm__conforming.lic", "server"): "3438984e148b1a27",
    ("danofsteel32__goflexlm__conforming.lic", "client"): "e0758d8554fd756b",
    ("kosmasgiannis__node-flexlm__example_license.lic", "text"): "c20c38760b71b145",
    ("kosmasgiannis__node-flexlm__example_license.lic", "server"): "c20c38760b71b145",
    ("kosmasgiannis__node-flexlm__example_license.lic", "client"): "c20c38760b71b145",
    ("kosmasgiannis__node-flexlm__license.lic", "text"): "1dc3e10c8fbb440a",
    ("kosmasgiannis__node-flexlm__license.lic", "server"): "4ef819793397a6bf",
    ("kosmasgiannis__node-flexlm__license.lic", "client"): "1dc3e10c8fbb440a",
    ("suwanny__flexlm_license_parser__bad.lic", "text"): "1776dddc53a0a4e6",
    ("suwanny__flexlm_license_parser__bad.lic", "server"): "1776dddc53a0a4e6",
    ("suwanny__flexlm_license_parser__bad.lic", "client"): "1776dddc53a0a4e6",
    ("suwanny__flexlm_license_parser__good.lic", "text"): "d64e429cc1f92c31",
    ("suwanny__flexlm_license_parser__good.lic", "server"): "d64e429cc1f92c31",
    ("suwanny__flexlm_license_parser__good.lic", "client"): "d64e429cc1f92c31",
}
_IDENT = HostIdentity(short_name="licsrv01", fqdn="licsrv01.example.com", addresses=frozenset({"192.0.2.7"}),
                      macs={"0011aabbccdd": "eth0"})


def _lint_digest(path, role: str) -> str:
    if role == "text":
        opts = LintOptions(today=dt.date(2025, 6, 1))
    else:
        opts = LintOptions(today=dt.date(2025, 6, 1), identity=_IDENT, on_server=role == "server",
                           port_free=lambda p: p % 2 == 1)
    lic = parse_license(path.read_bytes(), path=path.name)
    doc = report_dict(Report("lint", lint_license(lic, opts), meta={"license": path.name}))
    doc.pop("lmdoctor", None)
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:16]


@pytest.mark.realworld
def test_lint_json_on_real_licenses_is_what_it_was_before_the_compact_model(realworld):
    files = sorted((realworld / "licenses").glob("*.lic"))
    got = {(p.name, role): _lint_digest(p, role) for p in files for role in ("text", "server", "client")}
    known = {k: v for k, v in got.items() if k in BEFORE}
    assert len(known) == len(BEFORE), sorted(set(BEFORE) - set(got))
    assert known == BEFORE
