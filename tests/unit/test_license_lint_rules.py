"""One test per lint rule: the fixture file, the finding id, its status and the line it points at.

Fixtures live in tests/fixtures/licenses/ (written for these tests; see the comments in each case).
All dates are checked as of TODAY so the results never depend on the calendar.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List

import pytest

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.hostinfo import HostIdentity
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import LintOptions, _token_text, lint_license
from lmdoctor.checks.license.placeholders import is_placeholder_host

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "licenses"
TODAY = dt.date(2025, 6, 1)

# This machine, for the host checks: named licsrv01, MAC BD41FCF5DE27 (the SERVER hostid of
# sigasi_floating.lic).
HERE = HostIdentity(short_name="licsrv01", fqdn="licsrv01.example.com", addresses=frozenset({"10.1.2.3"}),
                    macs={"bd41fcf5de27": "eth0", "0242ac110002": "docker0"})
ELSEWHERE = HostIdentity(short_name="otherbox", fqdn="otherbox.example.com", addresses=frozenset({"10.9.9.9"}),
                         macs={"0a0b0c0d0e0f": "eth0"})
# A workstation whose network card is the one a node-locked key names (mac:10f2dd92c5ac).
WS1 = HostIdentity(short_name="ws1", macs={"10f2dd92c5ac": "eth0"})


def lint_fixture(name: str, **kw) -> List[Finding]:
    kw.setdefault("today", TODAY)
    data = (FIX / name).read_bytes()
    lic = parse_license(data, path=name)
    assert lic.render() == data
    return lint_license(lic, LintOptions(**kw))


def lint_text(text: str, **kw) -> List[Finding]:
    kw.setdefault("today", TODAY)
    return lint_license(parse_license(text), LintOptions(**kw))


def problems(findings: List[Finding]) -> List[Finding]:
    return [f for f in findings if f.status in (Status.WARN, Status.FAIL)]


def find(findings: List[Finding], id: str) -> List[Finding]:
    return [f for f in findings if f.id == id]


# (fixture, lint options, finding id, status, line)
RULES = [
    # structure and copy damage
    ("binary.lic", {}, "license.binary", Status.FAIL, 1),
    ("sigasi_floating_utf16.lic", {}, "license.utf16", Status.FAIL, 1),
    ("sigasi_floating_bom.lic", {}, "license.bom", Status.WARN, 1),
    ("token_pasted.lic", {}, "license.token-not-key", Status.FAIL, 1),
    ("token_pasted_plain.lic", {}, "license.token-not-key", Status.FAIL, 1),
    ("truncated.lic", {}, "license.unterminated-quote", Status.FAIL, 4),
    ("truncated.lic", {}, "license.backslash-at-eof", Status.WARN, 4),
    ("backslash_blank.lic", {}, "license.backslash-before-blank", Status.FAIL, 3),
    ("backslash_blank.lic", {}, "license.unknown-line", Status.FAIL, 5),
    ("space_after_backslash.lic", {}, "license.space-after-backslash", Status.WARN, 3),
    ("lost_backslash.lic", {}, "license.missing-backslash", Status.FAIL, 5),
    ("unknown_line.lic", {}, "license.unknown-line", Status.FAIL, 4),
    ("mail_quoted.lic", {}, "license.mail-quote", Status.FAIL, 1),
    ("sigasi_floating_cr.lic", {}, "license.cr-line-endings", Status.WARN, 1),
    ("curly_quotes.lic", {}, "license.typographic-quotes", Status.FAIL, 4),
    ("non_ascii.lic", {}, "license.non-ascii", Status.WARN, 2),
    # One physical line past the documented 2048 (lost continuations): a warning, not a failure;
    # the vendor's own continued PACKAGE of 3,000+ characters is information only.
    ("line_too_long.lic", {}, "license.line-too-long", Status.WARN, 3),
    ("../vendors/autodesk_package_one_line.lic", {}, "license.line-too-long", Status.WARN, 4),
    ("../vendors/autodesk_package.lic", {}, "license.long-entry", Status.INFO, 4),
    ("inline_comment.lic", {}, "license.text-after-backslash", Status.FAIL, 5),
    ("inline_comment.lic", {}, "license.inline-comment", Status.FAIL, 5),
    ("inline_comment.lic", {}, "license.missing-backslash", Status.FAIL, 6),
    ("joined_lines.lic", {}, "license.joined-lines", Status.FAIL, 3),
    ("damaged_sign.lic", {}, "license.sign-damaged", Status.FAIL, 13),  # 9EOF: letter O for zero
    ("damaged_sign.lic", {}, "license.sign-length", Status.WARN, 6),  # one group lost on line 7
    # servers
    ("sigasi_floating_placeholder.lic", {}, "license.placeholder-host", Status.FAIL, 2),
    # Other vendors' templates (issue 13 item 6)
    ("../vendors/ansys_template.lic", {}, "license.placeholder-host", Status.FAIL, 2),  # HERESHOULDBEIP
    ("../vendors/ansys_template.lic", {}, "license.placeholder-hostid", Status.FAIL, 2),  # 000000000000
    ("../vendors/partek_template.lic", {}, "license.placeholder-host", Status.FAIL, 1),  # {Name or IP}
    ("../vendors/partek_template.lic", {}, "license.placeholder-hostid", Status.FAIL, 1),  # <optional-mac-address>
    ("../vendors/xilinx_template.lic", {}, "license.this-host", Status.WARN, 2),
    ("../vendors/xilinx_template.lic", {}, "license.placeholder-hostid", Status.FAIL, 2),  # xxxxxxxxxxxx
    ("../vendors/libero_template.lic", {}, "license.placeholder-path", Status.FAIL, 4),  # PATH/actlmgrd
    # "SERVER host 28000" lacks the hostid; two hostids on one line (item 7)
    ("../vendors/siemens_port_no_hostid.lic", {}, "license.server-no-hostid", Status.FAIL, 1),
    ("../vendors/two_hostids.lic", {}, "license.server-two-hostids", Status.FAIL, 1),
    ("placeholders.lic", {}, "license.placeholder-host", Status.FAIL, 1),
    ("two_servers.lic", {}, "license.two-servers", Status.FAIL, 2),
    ("triad_port_conflict.lic", {}, "license.server-port-conflict", Status.FAIL, 3),
    ("server_no_port.lic", {}, "license.server-no-port", Status.WARN, 1),
    ("no_server_counted.lic", {}, "license.no-server-lines", Status.FAIL, 2),
    ("client_counted.lic", {"on_server": False}, "license.client-no-use-server", Status.WARN, 1),
    ("sigasi_floating.lic", {"identity": ELSEWHERE, "on_server": True}, "license.host-not-this-machine",
     Status.FAIL, 2),
    ("sigasi_floating.lic", {"identity": ELSEWHERE, "on_server": True}, "license.hostid-mismatch", Status.FAIL, 2),
    ("sigasi_floating.lic", {"identity": ELSEWHERE}, "license.hostid-elsewhere", Status.INFO, 2),
    ("sigasi_floating.lic", {"identity": HERE}, "license.hostid-matches", Status.OK, 2),
    # mac: in VENDOR_STRING (line 4) and HOSTID=<mac> (line 9) of node-locked keys used on a client
    ("hostid_in_vendor_string.lic", {"identity": ELSEWHERE, "on_server": False}, "license.mac-mismatch",
     Status.WARN, 4),
    ("uncounted_on_server.lic", {"identity": ELSEWHERE, "on_server": False}, "license.mac-mismatch",
     Status.WARN, 9),
    # vendor daemons
    ("vendor_no_port.lic", {}, "license.vendor-no-port", Status.WARN, 2),
    ("port_clash.lic", {}, "license.port-clash", Status.FAIL, 2),
    ("daemon_path_spaces.lic", {}, "license.daemon-path-spaces", Status.FAIL, 2),
    ("daemon_path_spaces_unquoted.lic", {}, "license.daemon-path-spaces", Status.FAIL, 2),
    ("win_daemon_dir.lic", {}, "license.daemon-dir-named-like-daemon", Status.WARN, 2),
    ("win_daemon_dir.lic", {}, "license.flexlm-folder", Status.WARN, 2),
    ("win_daemon_root.lic", {}, "license.daemon-not-in-c-sigasi", Status.INFO, 2),
    ("feature_vendor_missing.lic", {}, "license.feature-vendor-missing", Status.FAIL, 8),
    # features
    ("dates.lic", {}, "license.expired", Status.FAIL, 3),
    ("dates.lic", {}, "license.expiring", Status.WARN, 8),
    ("dates.lic", {}, "license.start-in-future", Status.FAIL, 14),
    ("bad_dates.lic", {}, "license.bad-date", Status.FAIL, 3),
    ("version_old.lic", {"product_version": 5}, "license.version-too-old", Status.FAIL, 3),
    ("uncounted_on_server.lic", {}, "license.uncounted-on-server", Status.WARN, 3),  # Sigasi's node-locked key
    ("../vendors/comsol_server.lic", {}, "license.uncounted-on-server", Status.INFO, 5),  # COMSOL's SERIAL
    ("uncounted_no_hostid.lic", {}, "license.uncounted-no-hostid", Status.FAIL, 1),
    ("no_sign.lic", {}, "license.no-sign", Status.WARN, 3),
    ("feature_malformed.lic", {}, "license.feature-malformed", Status.FAIL, 3),
    ("feature_name_long.lic", {}, "license.feature-name-long", Status.WARN, 3),
]

# Rules that once had no test at all (issue 9): every id in lint.py is in RULES, no exemptions.
RULES += [
    ("sigasi_floating.lic", {}, "license.ok", Status.OK, None),  # the summary has no line
    ("comments_only.lic", {}, "license.empty", Status.FAIL, 1),
    ("server_bad_port.lic", {}, "license.bad-port", Status.FAIL, 2),  # 65536: one past the last port
    ("vendor_bad_port.lic", {}, "license.bad-port", Status.FAIL, 3),  # port=270001
    ("four_servers.lic", {}, "license.too-many-servers", Status.FAIL, 5),  # the fourth SERVER line
    ("no_vendor_line.lic", {}, "license.no-vendor-line", Status.FAIL, 1),
    ("server_malformed.lic", {}, "license.server-malformed", Status.FAIL, 2),
    ("vendor_malformed.lic", {}, "license.vendor-malformed", Status.FAIL, 3),
    ("hostid_in_vendor_string.lic", {"identity": WS1, "on_server": False}, "license.mac-matches", Status.OK, 4),
]


@pytest.mark.parametrize("fixture,opts,rule,status,line", RULES,
                         ids=[f"{r[2].split('.', 1)[1]}:{r[0]}" for r in RULES])
def test_rule_fires_on_its_line(fixture, opts, rule, status, line):
    findings = lint_fixture(fixture, **opts)
    hits = find(findings, rule)
    assert hits, f"{rule} not reported for {fixture}: {[(f.id, f.line) for f in findings]}"
    assert any(f.line == line for f in hits), [(f.id, f.line) for f in hits]
    hit = next(f for f in hits if f.line == line)
    assert hit.status is status
    if status in (Status.WARN, Status.FAIL):
        assert hit.fix, f"{rule} has no fix"
    assert hit.file == fixture


def test_every_rule_id_in_lint_has_a_fixture_test():
    """A rule added to lint.py without a test here fails this test."""
    import re

    src = (Path(__file__).resolve().parents[2] / "checks" / "license" / "lint.py").read_text()
    ids = set(re.findall(r'"(license\.[a-z0-9\-]+)"', src))
    assert len(ids) > 50  # the pattern still finds the ids
    # No exemptions: a parser crash cannot be a fixture (a crash is a bug to fix), so its finding is
    # tested by the named test below, which makes the parser crash.
    tested = {r[2] for r in RULES} | {"license.parse-error"}
    assert callable(globals().get("test_a_parser_crash_is_one_finding_not_a_traceback"))
    assert ids <= tested, sorted(ids - tested)


def test_a_parser_crash_is_one_finding_not_a_traceback(monkeypatch):
    # A bug in the parser (simulated: a real one would be fixed) must leave lint with one clear
    # finding that asks for the file, not a traceback.
    import lmdoctor.checks.license.parser as parser

    def crash(data, path):
        raise IndexError("list index out of range")

    monkeypatch.setattr(parser, "_parse", crash)
    findings = lint_license(parser.parse_license(b"SERVER licsrv01 BD41FCF5DE27 27000\n", path="odd.lic"),
                            LintOptions(today=TODAY))
    (hit,) = find(findings, "license.parse-error")
    assert hit.status is Status.FAIL and hit.line == 1 and hit.file == "odd.lic"
    assert "IndexError" in hit.detail and "report this file" in hit.fix
    assert not find(findings, "license.ok")


@pytest.mark.parametrize("port,valid", [("1", True), ("27000", True), ("65535", True), ("0", False),
                                        ("65536", False), ("270000", False)])
def test_server_and_vendor_ports_must_be_real_tcp_ports(port, valid):
    server = lint_text(f"SERVER licsrv01 BD41FCF5DE27 {port}\nDAEMON sigasi port=27001\n")
    vendor = lint_text(f"SERVER licsrv01 BD41FCF5DE27 27000\nDAEMON sigasi port={port}\n")
    for findings, line in ((server, 1), (vendor, 2)):
        bad = find(findings, "license.bad-port")
        if valid:
            assert not bad, (port, [f.title for f in bad])
        else:
            assert [(f.line, f.status) for f in bad] == [(line, Status.FAIL)], (port, findings)
            assert f"'{port}' is not a valid port" in bad[0].title and "65535" in bad[0].fix


def test_too_many_servers_names_the_count_and_the_fourth_line():
    (hit,) = find(lint_fixture("four_servers.lic"), "license.too-many-servers")
    assert hit.title == "4 SERVER lines" and "exactly three" in hit.fix
    three = "".join(ln for ln in (FIX / "four_servers.lic").read_text().splitlines(keepends=True)
                    if "oldlic" not in ln)
    assert not find(lint_text(three), "license.too-many-servers")  # a triad is fine


def test_no_vendor_line_proposes_one_per_vendor_of_the_features():
    (hit,) = find(lint_fixture("no_vendor_line.lic"), "license.no-vendor-line")
    assert "VENDOR sigasi port=27001" in hit.fix
    # A server line alone (nothing to serve yet) is not this problem.
    assert not find(lint_text("SERVER licsrv01 BD41FCF5DE27 27000\n"), "license.no-vendor-line")


# ------------------------------------------------------------------ files that must be clean

CLEAN = [
    ("sigasi_floating.lic", {}),
    ("sigasi_floating_crlf.lic", {}),
    ("triad.lic", {}),
    ("multi_vendor.lic", {}),
    ("client_use_server.lic", {}),
    ("legacy_key.lic", {}),
    ("win_daemon_ok.lic", {}),
    ("version_old.lic", {"product_version": 4}),
    # The manual's node-locked example, checked while it was valid and more than a week from expiry.
    ("manual_nodelocked.lic", {"today": dt.date(2012, 10, 22), "warn_days": 7}),
]


@pytest.mark.parametrize("fixture,opts", CLEAN, ids=[c[0] for c in CLEAN])
def test_clean_files_have_no_warning(fixture, opts):
    findings = lint_fixture(fixture, **opts)
    assert problems(findings) == [], [(f.id, f.line, f.title) for f in problems(findings)]
    assert find(findings, "license.ok")


def test_clean_floating_key_on_its_own_server_is_clean():
    findings = lint_fixture("sigasi_floating.lic", identity=HERE)
    assert problems(findings) == []
    assert find(findings, "license.hostid-matches")


# ------------------------------------------------------------------ rule details

@pytest.mark.parametrize("host", ["your_server_name1", "your_server_name", "<hostname>", "server_name",
                                  "YOUR_SERVER_NAME2", "your_hostname", "<server>", "[hostname]", "hostname",
                                  "SERVER_NAME_HERE", "license_server"])
def test_placeholder_hosts(host):
    assert is_placeholder_host(host)
    findings = lint_text(f"SERVER {host} BD41FCF5DE27 27000\nDAEMON sigasi port=27001\n")
    (hit,) = find(findings, "license.placeholder-host")
    assert hit.line == 1 and hit.status is Status.FAIL
    assert "does not break the signature" in hit.fix


@pytest.mark.parametrize("host", ["licsrv01", "Maple", "server01", "lic-a.example.com", "10.1.2.3", "hostserver",
                                  "yourcompany-lic", "myserver"])
def test_real_hosts_are_not_placeholders(host):
    assert not is_placeholder_host(host)


def test_placeholder_fix_names_this_machine_on_the_server():
    findings = lint_fixture("sigasi_floating_placeholder.lic", identity=HERE, on_server=True)
    (hit,) = find(findings, "license.placeholder-host")
    assert "licsrv01" in hit.fix


def test_server_with_this_hostid_is_guessed_to_be_the_server():
    # The hostid matches a local MAC, so lmdoctor knows it runs on the server and checks the name.
    text = (FIX / "sigasi_floating.lic").read_text().replace("licsrv01", "oldname")
    findings = lint_text(text, identity=HERE)
    (hit,) = find(findings, "license.host-not-this-machine")
    assert hit.line == 2 and "licsrv01" in hit.fix
    assert "does not break" in hit.fix or "without breaking" in hit.fix


def test_hostid_mismatch_lists_local_macs():
    findings = lint_fixture("sigasi_floating.lic", identity=ELSEWHERE, on_server=True)
    (hit,) = find(findings, "license.hostid-mismatch")
    assert any("0a0b0c0d0e0f" in e for e in hit.evidence_lines)


def test_node_locked_mac_matches_on_its_machine():
    me = HostIdentity(short_name="ws1", macs={"10f2dd92c5ac": "eth0"})
    findings = lint_fixture("manual_nodelocked.lic", identity=me, today=dt.date(2012, 10, 22), warn_days=7)
    assert find(findings, "license.mac-matches")
    assert problems(findings) == []


@pytest.mark.parametrize("text", [
    "3F9AK2LM8QXZ7T4BW1NPC6RD",
    "  3F9A-K2LM-8QXZ-7T4B-W1NP-C6RD  ",
    "3F9A K2LM 8QXZ 7T4B W1NP C6RD",
    '"3F9AK2LM8QXZ7T4BW1NPC6RD"',
    "\t3F9AK2LM8QXZ7T4BW1NPC6RD\r\n",
])
def test_license_token_forms(text):
    assert _token_text(text)
    findings = lint_text(text)
    (hit,) = find(findings, "license.token-not-key")
    assert hit.line == 1 and hit.status is Status.FAIL
    assert "activate" in hit.fix.lower()


@pytest.mark.parametrize("text", ["ABCDEFGHIJKLMNOPQRSTUVWX", "123456789012345678901234", "3F9AK2LM8QXZ7T4BW1NPC6R",
                                  "3F9AK2LM8QXZ7T4BW1NPC6RDX", "27000@licsrv01"])
def test_not_a_token(text):
    assert not _token_text(text)
    assert not find(lint_text(text), "license.token-not-key")


def test_token_after_comments_points_at_its_line():
    findings = lint_text("# my Sigasi license\n\n3F9A-K2LM-8QXZ-7T4B-W1NP-C6RD\n")
    (hit,) = find(findings, "license.token-not-key")
    assert hit.line == 3


def test_floating_hostid_any_with_count_is_normal_but_uncounted_is_not():
    # Sigasi's floating keys carry HOSTID=ANY with a count: that is not a node-locked key.
    assert not find(lint_fixture("sigasi_floating.lic"), "license.uncounted-on-server")
    hits = find(lint_fixture("uncounted_on_server.lic"), "license.uncounted-on-server")
    assert [f.line for f in hits] == [3, 8]  # uncounted+HOSTID=ANY, and count 0 locked to a MAC


def test_uncounted_without_server_is_fine_but_counted_is_not():
    assert not find(lint_fixture("manual_nodelocked.lic"), "license.no-server-lines")
    (hit,) = find(lint_fixture("no_server_counted.lic"), "license.no-server-lines")
    assert "-13" in hit.detail


def test_product_version_only_flags_older_keys():
    assert not find(lint_fixture("version_old.lic", product_version=4), "license.version-too-old")
    hits = find(lint_fixture("version_old.lic", product_version=5), "license.version-too-old")
    assert [f.line for f in hits] == [3]
    hits = find(lint_fixture("version_old.lic", product_version=6), "license.version-too-old")
    assert [f.line for f in hits] == [3, 8]


def test_manual_example_expiry_window():
    assert find(lint_fixture("manual_nodelocked.lic", today=dt.date(2012, 11, 10)), "license.expiring")
    assert find(lint_fixture("manual_nodelocked.lic", today=dt.date(2012, 11, 19)), "license.expired")
    (hit,) = find(lint_fixture("manual_nodelocked.lic", today=dt.date(2012, 10, 1)), "license.start-in-future")
    assert hit.line == 4  # START= sits on the fourth physical line


@pytest.mark.parametrize("exp", ["permanent", "1-jan-0", "01-jan-0000", "1-JAN-0000"])
def test_never_expiring_dates(exp):
    findings = lint_text(f"INCREMENT f sigasi 5.0 {exp} uncounted HOSTID=ANY SIGN=\"1A2B 3C4D\"\n",
                         today=dt.date(2999, 1, 1))
    assert problems(findings) == []


def test_sign_length_tie_names_both_lines():
    text = (FIX / "damaged_sign.lic").read_text().split("\n")
    two = "\n".join(text[:14]) + "\n"  # first two features only: 29 and 30 groups
    (hit,) = find(lint_text(two), "license.sign-length")
    assert hit.line == 12 and "line 6" in hit.title


def test_sign_of_other_vendor_may_differ_in_length():
    assert not find(lint_fixture("multi_vendor.lic"), "license.sign-length")


def test_windows_daemon_rules_accept_the_manuals_good_paths():
    for path in (r"c:\flexlm\vhdl_editor\sigasi.exe", r"C:\Sigasi\sigasi.exe", r"C:\Sigasi\license\sigasi.exe"):
        findings = lint_text(f"SERVER licsrv01 BD41FCF5DE27 27000\nDAEMON sigasi {path} port=27001\n")
        assert not find(findings, "license.daemon-dir-named-like-daemon"), path
    findings = lint_text("SERVER h BD41FCF5DE27 27000\nDAEMON sigasi C:/FlexLM/sigasi/sigasi.exe port=27001\n")
    assert find(findings, "license.daemon-dir-named-like-daemon") and find(findings, "license.flexlm-folder")


def test_unix_daemon_path_without_spaces_is_fine():
    findings = lint_text("SERVER licsrv01 BD41FCF5DE27 27000\n"
                         "DAEMON sigasi /opt/flexnet-sigasi/sigasi /opt/flexnet-sigasi/sigasi.opt port=27001\n")
    assert problems(findings) == []


def test_findings_are_capped_per_id():
    text = "".join(f"junk line {i}\n" for i in range(1000))
    findings = lint_text("SERVER h 001122334455 27000\n" + text)
    unknown = find(findings, "license.unknown-line")
    assert len(unknown) == 26  # 25 shown and one summary
    assert "975 more" in unknown[-1].title


def test_lost_backslash_does_not_also_report_missing_sign():
    findings = lint_fixture("lost_backslash.lic")
    assert not find(findings, "license.no-sign")
    assert not find(findings, "license.unterminated-quote")
