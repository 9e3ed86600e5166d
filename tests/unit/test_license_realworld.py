"""Real license files from public projects (../shared/realworld/licenses, read in place)."""
from __future__ import annotations

import datetime as dt

import pytest

from lmdoctor.checks.findings import Status
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import LintOptions, lint_license

pytestmark = pytest.mark.realworld

TODAY = dt.date(2025, 6, 1)

# Findings that mean "the text of the file is broken" (syntax or copy damage), as opposed to
# findings about its meaning (expired, placeholder host, uncounted key on a server ...).
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

VALID = [
    "suwanny__flexlm_license_parser__good.lic",
    "kosmasgiannis__node-flexlm__license.lic",
    "danofsteel32__goflexlm__conforming.lic",
]


def _files(realworld):
    files = sorted((realworld / "licenses").glob("*.lic"))
    assert len(files) >= 5
    return files


def _lint(path):
    data = path.read_bytes()
    lic = parse_license(data, path=path.name)
    return data, lic, lint_license(lic, LintOptions(today=TODAY))


def test_every_file_parses_lints_and_round_trips(realworld):
    for path in _files(realworld):
        data, lic, findings = _lint(path)
        assert lic.render() == data, path.name
        assert lic.entries, path.name
        n = len(lic.lines)
        for f in findings:
            assert f.line is None or 1 <= f.line <= n, (path.name, f)
        # Bytes and text input agree.
        assert parse_license(data.decode("utf-8", "surrogateescape")).render() == data


@pytest.mark.parametrize("name", VALID)
def test_valid_files_have_no_syntax_or_copy_damage_finding(realworld, name):
    _, lic, findings = _lint(realworld / "licenses" / name)
    bad = [(f.id, f.line) for f in findings if f.id in SYNTAX_OR_COPY_DAMAGE]
    assert bad == []
    assert lic.features


def test_good_lic_content(realworld):
    _, lic, findings = _lint(realworld / "licenses" / "suwanny__flexlm_license_parser__good.lic")
    assert [(s.host, s.hostid, s.port) for s in lic.servers] == [("this_host", "ANY", 27000)]
    assert [(v.name, v.port) for v in lic.vendors] == [("VMWARELM", 27010)]
    assert len(lic.features) == 6
    f = lic.features[0]
    assert f.entry.get("VENDOR_STRING") == "licenseType=Server;capacityType=cpuPackage;gp=14;exclude=BACKUP"
    assert f.entry.get("NOTICE") == "FulfillmentId=1203"
    assert len(f.sign.split()) == 31
    # Node-locked (uncounted) keys in a server file are reported, not as syntax problems.
    assert [x.line for x in findings if x.id == "license.uncounted-on-server"] == [21, 34, 42]


def test_bad_lic_flagged_on_the_right_lines(realworld):
    # cat -n suwanny__flexlm_license_parser__bad.lic:
    #   24  SIGN="0D24 ... \          the quoted SIGN value opens here ...
    #   25  0000 ... 0000             ... and this line lost its trailing backslash,
    #   26  EAC1 ... CED2"            so this tail is read as a new, unknown entry
    #   34  UNKNOWN KEYWORD AJDF...   stray line
    #   36  AJDFKJADFJADF             stray line
    #   40  ...count=2 \              backslash followed by the blank line 41
    #   42  SIGN="0D24 ...            the rest of that entry, cut off by the blank line
    _, _, findings = _lint(realworld / "licenses" / "suwanny__flexlm_license_parser__bad.lic")
    got = {(f.id, f.line) for f in findings if f.id in SYNTAX_OR_COPY_DAMAGE}
    assert got == {
        ("license.unterminated-quote", 24),
        ("license.missing-backslash", 26),
        ("license.unknown-line", 34),
        ("license.unknown-line", 36),
        ("license.backslash-before-blank", 40),
        ("license.unknown-line", 42),
    }
    missing = next(f for f in findings if f.id == "license.missing-backslash")
    assert "line 25" in missing.fix
    assert all(f.status is Status.FAIL for f in findings if f.id in SYNTAX_OR_COPY_DAMAGE)


def test_example_with_comments_after_backslash_flagged_on_the_right_lines(realworld):
    # cat -n kosmasgiannis__node-flexlm__example_license.lic:
    #    7  INCREMENT venus ... ISSUED=17-sep-2013 \  # one more comment
    #    8          START=17-sep-2013 SIGN=7F69336673D2  # and another comment
    #   23          CA2C 7B61 BDD6 C2A5 F8BA"  # comment comment comment
    _, lic, findings = _lint(realworld / "licenses" / "kosmasgiannis__node-flexlm__example_license.lic")
    got = {(f.id, f.line) for f in findings if f.id in SYNTAX_OR_COPY_DAMAGE}
    assert got == {
        ("license.text-after-backslash", 7),
        ("license.inline-comment", 7),
        ("license.missing-backslash", 8),
        ("license.inline-comment", 8),
        ("license.inline-comment", 23),
    }
    missing = next(f for f in findings if f.id == "license.missing-backslash")
    assert "text after the backslash" in missing.fix and "line 7" in missing.fix
    # The lowercase port= is understood, and counted features without SERVER are reported (-13,66).
    assert lic.vendors[0].port == 1234
    assert any(f.id == "license.no-server-lines" and f.line == 4 for f in findings)
