"""License-file mistakes as users make them, one change at a time to a real-shaped Sigasi key.

Each case starts from tests/fixtures/licenses/sigasi_floating.lic (the shape of the key Sigasi
sends: DAEMON, SERVER, two INCREMENTs continued over four lines each with a 30-group SIGN=) and
breaks it the way the seed manual (../shared/seed/license-server-management.md, Troubleshooting)
and the FlexNet facts (../shared/reference/flexlm-facts.md) describe: copied through a mail
client, edited in Notepad, cut in a ticket form. The mutation run of bench/bench_mutation.py
found each of these behaviours untested before.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List

import pytest

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import MAX_PER_ID, LintOptions, lint_license

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "licenses"
KEY = (FIX / "sigasi_floating.lic").read_text()
TODAY = dt.date(2025, 6, 1)
FIRST_INCREMENT = "INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4 \\\n"


def lint(text, **kw) -> List[Finding]:
    kw.setdefault("today", TODAY)
    return lint_license(parse_license(text), LintOptions(**kw))


def ids(findings) -> List[str]:
    return [f.id for f in findings]


def only(findings, id: str) -> Finding:
    (f,) = [f for f in findings if f.id == id]
    return f


def none_of(findings, id: str) -> bool:
    return all(f.id != id for f in findings)


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if needle in ln)


def test_the_key_as_sent_reads_cleanly():
    out = lint(KEY)
    assert [(f.id, f.status) for f in out] == [("license.ok", Status.OK)]
    assert out[0].title == "License file reads cleanly: 1 SERVER, 1 DAEMON/VENDOR, 2 FEATURE/INCREMENT line(s)"


# --------------------------------------------------------------------------- ports
def test_a_server_line_without_port_gets_the_default_port_proposed():
    text = KEY.replace("SERVER licsrv01 BD41FCF5DE27 27000", "SERVER licsrv01 BD41FCF5DE27")
    f = only(lint(text), "license.server-no-port")
    assert f.status is Status.WARN and f.line == 2
    assert f.fix == "Add the port at the end: SERVER licsrv01 BD41FCF5DE27 27000"


def test_two_daemons_without_port_get_two_different_ports_in_order():
    # The manual's example uses port=27001 for the vendor daemon; a second daemon needs its own.
    text = KEY.replace("DAEMON sigasi port=27001", "DAEMON sigasi\nVENDOR mgcld")
    out = lint(text)
    fixes = [f.fix for f in out if f.id == "license.vendor-no-port"]
    assert fixes[0].startswith("Add a fixed port: DAEMON sigasi port=27001 ")
    assert fixes[1].startswith("Add a fixed port: VENDOR mgcld port=27002 ")


def test_a_proposed_port_skips_the_ports_busy_on_the_server():
    text = KEY.replace("DAEMON sigasi port=27001", "DAEMON sigasi")
    busy = {27001, 27002}
    f = only(lint(text, on_server=True, port_free=lambda p: p not in busy), "license.vendor-no-port")
    assert "DAEMON sigasi port=27003 " in f.fix


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize("expiry,days,finding", [
    ("1-jul-2025", 30, "license.expiring"),  # 30 days after TODAY: inside the default 30-day window
    ("2-jul-2025", 31, None),
    ("31-may-2025", -1, "license.expired"),
    ("1-jun-2025", 0, "license.expiring"),  # the last day it works
])
def test_expiry_is_warned_thirty_days_ahead_by_default(expiry, days, finding):
    text = KEY.replace("31-dec-2030", expiry, 1)
    out = lint(text)
    assert (TODAY + dt.timedelta(days=days)).strftime("%-d-%b-%Y").lower() == expiry
    got = [f for f in out if f.id in ("license.expiring", "license.expired")]
    assert [f.id for f in got] == ([finding] if finding else [])
    if finding == "license.expiring":
        assert got[0].title == f"com.sigasi.hdt expires in {days} day(s) ({expiry})" and got[0].line == 3


# --------------------------------------------------------------------------- names and lengths
def test_feature_names_longer_than_thirty_characters_warn():
    # flexlm-facts.md section 1: feature names at most 30 characters (older versions).
    name30, name31 = "com.sigasi.hdt.extension.vhdl2", "com.sigasi.hdt.extension.vhdl20"
    assert (len(name30), len(name31)) == (30, 31)
    assert none_of(lint(KEY.replace("INCREMENT com.sigasi.hdt ", f"INCREMENT {name30} ")), "license.feature-name-long")
    f = only(lint(KEY.replace("INCREMENT com.sigasi.hdt ", f"INCREMENT {name31} ")), "license.feature-name-long")
    assert f.status is Status.WARN and f.line == 3 and "longer than 30 characters" in f.title


def test_an_entry_of_exactly_the_documented_limit_is_fine_and_one_more_character_is_not():
    # flexlm-facts.md section 1: a line is at most 2048 characters after joining.
    head = "INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4 HOSTID=ANY SIGN=\"1A2B\" NOTICE=\""
    for size, expect in ((2048, None), (2049, "license.line-too-long")):
        entry = head + "x" * (size - len(head) - 1) + '"'
        assert len(entry) == size
        text = "SERVER licsrv01 BD41FCF5DE27 27000\nDAEMON sigasi port=27001\n" + entry + "\n"
        got = [f.id for f in lint(text) if f.id in ("license.line-too-long", "license.long-entry")]
        assert got == ([expect] if expect else [])


# --------------------------------------------------------------------------- too many findings
def test_a_file_of_junk_shows_the_first_findings_and_counts_the_rest():
    junk = "".join(f"<td>row {i}</td>\n" for i in range(MAX_PER_ID + 5))  # an HTML page saved as .lic
    out = lint(KEY + junk)
    unknown = [f for f in out if f.id == "license.unknown-line"]
    assert len(unknown) == MAX_PER_ID + 1
    first = line_of(KEY + junk, "<td>row 0<")
    assert [f.line for f in unknown[:MAX_PER_ID]] == list(range(first, first + MAX_PER_ID))
    summary = unknown[-1]
    assert summary.title.startswith("... and 5 more like this")
    assert summary.line == first + MAX_PER_ID and summary.evidence == [f"lines {first + MAX_PER_ID}..{first + 29}"]


# --------------------------------------------------------------------------- a token where the key belongs
def test_a_token_pasted_above_the_key_is_an_unknown_line_and_the_key_is_still_checked():
    text = "ABCD-1234-EFGH-5678-IJKL-9012\n" + KEY.replace("SERVER licsrv01 BD41FCF5DE27 27000", "SERVER licsrv01")
    out = lint(text)
    assert none_of(out, "license.token-not-key")
    assert only(out, "license.unknown-line").line == 1
    assert only(out, "license.server-no-hostid").line == 3


# --------------------------------------------------------------------------- copy damage
def test_a_lost_backslash_in_the_first_entry_of_a_node_locked_key():
    # A node-locked key has no SERVER line: the entry cut by a lost backslash is the file's first.
    text = ("INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 uncounted HOSTID=ANY\n"
            '        SIGN="1A2B 3C4D 5E6F 7A8B"\n')
    out = lint(text)
    f = only(out, "license.missing-backslash")
    assert f.line == 2 and f.fix == "Add a backslash at the end of line 1 (or join the two lines)."
    assert none_of(out, "license.no-sign")  # its SIGN= is on the cut-off line: reported there


def test_a_lost_backslash_after_a_comment_line_is_still_found():
    text = KEY.replace(FIRST_INCREMENT, "# Sigasi Studio 5\n" + FIRST_INCREMENT).replace(
        'name:John Doe;type:floating" \\\n        HOSTID=ANY ISSUER=Sigasi ISSUED=02-Jan-2025 START=02-Jan-2025 \\\n',
        'name:John Doe;type:floating" \\\n        HOSTID=ANY ISSUER=Sigasi ISSUED=02-Jan-2025 START=02-Jan-2025\n', 1)
    f = only(lint(text), "license.missing-backslash")
    assert f.line == 7 and "line 6 does not end with '\\'" in f.detail.lower()


def test_a_comment_after_the_backslash_is_told_apart_from_a_lost_one():
    text = KEY.replace('START=02-Jan-2025 \\\n', 'START=02-Jan-2025 \\  # renewed\n', 1)
    out = lint(text)
    f = only(out, "license.missing-backslash")
    assert f.fix == "Remove the text after the backslash at the end of line 5, so the backslash is the last character."
    assert f.detail.startswith("Line 5 has text after its backslash")


@pytest.mark.parametrize("quote", ["> ", "  > "])
def test_a_key_forwarded_inline_counts_every_quoted_line(quote):
    text = "".join(quote + ln + "\n" for ln in KEY.splitlines())
    f = only(lint(text), "license.mail-quote")
    assert f.line == 1 and f.detail.startswith(f"{len(KEY.splitlines())} line(s) carry a mail-quote prefix")
    assert none_of(lint(text), "license.unknown-line")


def test_a_mail_quote_further_down_and_an_unknown_line_after_it_are_both_reported():
    text = KEY + "> Thanks, the key is attached.\nRegards, the license desk\n"
    out = lint(text)
    quote = only(out, "license.mail-quote")
    assert quote.line == line_of(text, "> Thanks") and quote.detail.startswith("1 line(s)")
    assert only(out, "license.unknown-line").line == line_of(text, "Regards")


def test_curly_quotes_and_other_non_ascii_characters_are_separate_findings():
    curly = KEY.replace('VENDOR_STRING="company', "VENDOR_STRING=\u201ccompany", 1)
    out = lint(curly)
    assert only(out, "license.typographic-quotes").line == 4 and none_of(out, "license.non-ascii")
    nbsp = KEY.replace("HOSTID=ANY ISSUER", "HOSTID=ANY\u00a0ISSUER", 1)
    out = lint(nbsp)
    f = only(out, "license.non-ascii")
    assert f.line == 5 and "U+00A0" in f.detail and none_of(out, "license.typographic-quotes")


def test_each_damaged_line_is_reported_once():
    text = KEY.replace('VENDOR_STRING="company', "VENDOR_STRING=\u201ccompany")
    assert [f.line for f in lint(text) if f.id == "license.typographic-quotes"] == [4, 10]


def test_a_euro_sign_saved_by_a_windows_editor_is_named_by_its_byte():
    # Windows-1252 writes the euro sign as byte 0x80, which is no UTF-8 character.
    data = KEY.replace('name:John Doe', 'name:Price 100\u20ac', 1).encode("cp1252")
    out = lint_license(parse_license(data), LintOptions(today=TODAY))
    f = only(out, "license.non-ascii")
    assert f.line == 4 and "byte 0x80" in f.detail


# --------------------------------------------------------------------------- signatures
SIGN_LINE_2 = "        5C6D 7E8F 9A0B 1C2D 3E4F 5A6B 7C8D 9E0F 1A2B 3C4D 5E6F 7A8B \\\n"


def test_a_mistyped_group_at_the_start_of_a_continuation_line_points_at_that_line():
    # O for 0 in the first group of the signature's second line (line 7 of the key).
    text = KEY.replace(SIGN_LINE_2, SIGN_LINE_2.replace("5C6D", "5C6O"), 1)
    f = only(lint(text), "license.sign-damaged")
    assert f.line == 7 and f.detail.endswith("these are not: 5C6O") and f.evidence.startswith("5C6O 7E8F")


def test_a_signature_with_a_tab_between_groups_has_the_same_length():
    # An editor turned one blank into a tab: still 30 groups, so no length warning.
    text = KEY.replace("SIGN=\"1A2B 3C4D", "SIGN=\"1A2B\t3C4D", 1)
    out = lint(text)
    assert none_of(out, "license.sign-length") and none_of(out, "license.sign-damaged")


def test_two_signatures_of_different_length_and_no_majority():
    last = " 9C0D 1E2F 3A4B 5C6D 7E8F 9A0B 1C2D 3E4F 5A6B 7C8D"
    text = KEY.replace(last + ' 9E0F"', last + '"', 1)  # the first signature lost its last group
    f = only(lint(text), "license.sign-length")
    assert f.status is Status.WARN and f.line == 12
    assert f.title == "sigasi signatures differ in length: 29 groups on line 6, 30 here"


def test_an_empty_signature_does_not_hide_the_next_entrys_damage():
    text = KEY.replace('SIGN="1A2B 3C4D 5E6F 7A8B 9C0D 1E2F 3A4B \\\n' + SIGN_LINE_2 +
                       '        9C0D 1E2F 3A4B 5C6D 7E8F 9A0B 1C2D 3E4F 5A6B 7C8D 9E0F"', 'SIGN=""', 1)
    text = text.replace("0F1E 2D3C", "0F1E 2D3X", 1)
    out = lint(text)
    assert [(f.line, f.title) for f in out if f.id == "license.sign-damaged"] == [
        (6, "SIGN= value is empty"), (line_of(text, "2D3X"), "SIGN= value is damaged")]


def test_a_signature_without_blanks_is_checked_for_hex_and_the_next_one_still_is():
    text = KEY.replace('SIGN="1A2B 3C4D 5E6F 7A8B 9C0D 1E2F 3A4B \\\n' + SIGN_LINE_2 +
                       '        9C0D 1E2F 3A4B 5C6D 7E8F 9A0B 1C2D 3E4F 5A6B 7C8D 9E0F"', 'SIGN=1A2B3C4D5E6F7A8G', 1)
    text = text.replace("0F1E 2D3C", "0F1E 2D3X", 1)
    assert [f.title for f in lint(text) if f.id == "license.sign-damaged"] == [
        "SIGN= value is damaged", "SIGN= value is damaged"]


# --------------------------------------------------------------------------- servers
@pytest.mark.parametrize("hostid,title", [
    ("000000000000", "SERVER hostid '000000000000' is all zeros"),  # lmhostid without a network card
    ("00:00:00:00:00:00", "SERVER hostid '00:00:00:00:00:00' is all zeros"),
    ("<hostid>", "SERVER hostid '<hostid>' is a template placeholder"),
])
def test_a_hostid_that_names_no_machine(hostid, title):
    f = only(lint(KEY.replace("BD41FCF5DE27", hostid)), "license.placeholder-hostid")
    assert (f.title, f.line, f.status) == (title, 2, Status.FAIL)


@pytest.mark.parametrize("second", ["0242AC110002", "ANY", "VM_UUID=564D1F2A-0B9C-4E2D-8F00-1A2B3C4D5E6F"])
def test_two_hostids_from_lmhostid_pasted_on_one_server_line(second):
    # lmhostid may list several ids ("Only use ONE from the list of hostids").
    f = only(lint(KEY.replace("BD41FCF5DE27 27000", f"BD41FCF5DE27 {second} 27000")), "license.server-two-hostids")
    assert f.title == f"Two hostids on one SERVER line: BD41FCF5DE27 and {second}"


def test_a_server_line_without_host_does_not_hide_the_next_server_line():
    text = "SERVER\nSERVER licsrv02 BD41FCF5DE27\n" + KEY.split("\n", 2)[2]
    out = lint(text)
    assert only(out, "license.server-malformed").line == 1
    assert only(out, "license.server-no-port").line == 2


@pytest.mark.parametrize("ports,odd_line,title", [
    ((27000, 27001, 27002), 2, "SERVER lines use different ports (27001 here, 27000 on the others)"),
    ((27005, 27000, 27000), 1, "SERVER lines use different ports (27005 here, 27000 on the others)"),
])
def test_triad_ports_that_differ(ports, odd_line, title):
    servers = "".join(f"SERVER lic-{c} 0011223344{c.upper()*2} {p}\n" for c, p in zip("abc", ports))
    f = only(lint(servers + KEY.split("\n", 2)[2]), "license.server-port-conflict")
    assert (f.line, f.title) == (odd_line, title)


def test_a_triad_none_of_whose_hosts_is_this_machine():
    from lmdoctor.checks.hostinfo import HostIdentity

    here = HostIdentity(short_name="licsrv09", macs={"bd41fcf5de27": "eth0"})
    servers = "".join(f"SERVER lic-{c} 0011223344{c.upper()*2} 27000\n" for c in "abc")
    text = servers + KEY.split("\n", 2)[2]
    f = only(lint(text, identity=here, on_server=True), "license.host-not-this-machine")
    assert f.line == 1 and f.evidence == ["this machine: licsrv09"]
    assert none_of(lint(text, on_server=True), "license.host-not-this-machine")  # no identity: not judged
    ok = lint(text.replace("lic-b", "licsrv09"), identity=here, on_server=True)
    assert none_of(ok, "license.host-not-this-machine")


def test_a_client_file_of_a_triad_proposes_all_three_servers():
    servers = "".join(f"SERVER lic-{c} 0011223344{c.upper()*2} 27000\n" for c in "abc")
    f = only(lint(servers + KEY.split("\n", 2)[2], on_server=False), "license.client-no-use-server")
    assert "27000@lic-a,27000@lic-b,27000@lic-c" in f.fix


def test_server_lines_without_vendor_line_list_each_vendor_to_add():
    text = KEY.replace("DAEMON sigasi port=27001\n", "").replace(
        "INCREMENT com.sigasi.hdt.xl sigasi", "INCREMENT questa mgcld")
    f = only(lint(text), "license.no-vendor-line")
    assert f.fix.startswith("Add the vendor line after the SERVER line: "
                            "VENDOR sigasi port=27001; VENDOR mgcld port=27002 ")


# --------------------------------------------------------------------------- MAC addresses
@pytest.mark.parametrize("uncounted,on_server,status", [
    (True, False, Status.WARN),   # a node-locked key on a workstation that is not its machine
    (True, True, Status.INFO),    # a node-locked key looked at on the server: not for this machine anyway
    (False, True, Status.WARN),   # a floating key on a server that is not its machine
    (False, False, Status.INFO),  # a floating key on a client: the server's MAC is expected to differ
])
def test_a_mac_in_the_key_that_is_not_this_machines(uncounted, on_server, status):
    from lmdoctor.checks.hostinfo import HostIdentity

    ws = HostIdentity(short_name="ws1", macs={"0a0b0c0d0e0f": "eth0"})
    text = KEY.replace("type:floating", "mac:10f2dd92c5ac;type:floating", 1)
    if uncounted:
        text = text.replace("31-dec-2030 4 \\", "31-dec-2030 uncounted \\", 1)
    got = [f for f in lint(text, identity=ws, on_server=on_server) if f.id == "license.mac-mismatch"]
    assert [(f.status, f.line, f.title) for f in got] == [
        (status, 4, "mac:10f2dd92c5ac of com.sigasi.hdt is not a MAC of this machine")]
    assert got[0].evidence == ["local MACs: 0a0b0c0d0e0f (eth0)"]


def test_a_machine_without_network_cards_says_so():
    from lmdoctor.checks.hostinfo import HostIdentity

    bare = HostIdentity(short_name="licsrv01", macs={})
    out = lint(KEY.replace("type:floating", "mac:10f2dd92c5ac;type:floating", 1), identity=bare, on_server=True)
    assert only(out, "license.mac-mismatch").evidence == ["local MACs: none found"]
    assert only(out, "license.hostid-mismatch").evidence == ["local MACs: none found"]


# --------------------------------------------------------------------------- evidence fits a report
ONE_LINE_KEY = KEY.replace(" \\\n        ", " ")  # each INCREMENT on one physical line, as a copy leaves it


@pytest.mark.parametrize("damage,id", [
    (lambda k: k.replace("INCREMENT com.sigasi.hdt.xl ", "INCREMNT com.sigasi.hdt.xl "), "license.unknown-line"),
    (lambda k: k.replace('VENDOR_STRING="company', "VENDOR_STRING=\u201ccompany", 1), "license.typographic-quotes"),
    (lambda k: k.replace("HOSTID=ANY ISSUER", "HOSTID=ANY\u00a0ISSUER", 1), "license.non-ascii"),
    (lambda k: k.replace("9E0F\"\n", "9E0F\" # renewed in 2025\n", 1), "license.inline-comment"),
    (lambda k: k.replace("7C8D 9E0F 1A2B", "7C8D 9EOF 1A2B", 1), "license.sign-damaged"),
    (lambda k: k.replace("START=02-Jan-2025", "START=31-Feb-2025", 1), "license.bad-date"),
    (lambda k: k.replace("31-dec-2030", "31-dec-2020", 1), "license.expired"),
    (lambda k: k.replace(" 5A6B 7C8D 9E0F\"", " 5A6B 7C8D\"", 1), "license.sign-length"),
    (lambda k: k.replace("SERVER licsrv01 BD41FCF5DE27 27000\n", ""), "license.no-server-lines"),
    (lambda k: k.replace("INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4 VENDOR",
                         "INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4\n        VENDOR", 1),
     "license.missing-backslash"),
    (lambda k: k.replace("START=02-Jan-2025 SIGN", "START=02-Jan-2025 \\ x SIGN", 1), "license.text-after-backslash"),
])
def test_evidence_shows_the_first_120_characters_of_a_long_line(damage, id):
    text = damage(ONE_LINE_KEY)
    assert text != ONE_LINE_KEY
    f = [f for f in lint(text) if f.id == id][0]
    line = text.splitlines()[f.line - 1]
    assert len(line.strip()) > 120 and f.evidence == line.strip()[:120]


def test_a_lost_closing_quote_and_its_orphan_are_one_finding():
    # The backslash after the signature's first line was lost: the quote opens on line 6 and the
    # rest of the signature (with the closing quote) reads as a new line 7.
    text = KEY.replace("3A4B \\\n" + SIGN_LINE_2, "3A4B\n" + SIGN_LINE_2, 1)
    out = lint(text)
    assert only(out, "license.missing-backslash").line == 7
    assert [f.line for f in out if f.id == "license.unterminated-quote"] == [6]


def test_a_single_line_of_exactly_the_limit_in_a_continued_entry_is_information_only():
    notice = 'NOTICE="' + "x" * (2048 - len('        NOTICE="') - len('" \\')) + '" \\'
    text = KEY.replace("        HOSTID=ANY ISSUER", "        " + notice + "\n        HOSTID=ANY ISSUER", 1)
    assert max(len(ln) for ln in text.splitlines()) == 2048
    out = lint(text)
    f = only(out, "license.long-entry")
    assert f.status is Status.INFO and f.line == 3 and none_of(out, "license.line-too-long")
    assert f.evidence == "INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4 \\"[:80] + "..."
    assert "split over 7 lines" in f.detail
    longer = text.replace('x" \\', 'xx" \\', 1)
    f = only(lint(longer), "license.line-too-long")
    assert f.line == 3 and f.title.startswith("A physical line of 2049 characters")
    assert f.evidence.startswith("INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4") and len(f.evidence) == 80 + 3


# --------------------------------------------------------------------------- more copy damage
def test_a_backslash_lost_at_the_end_of_a_truncated_key_is_not_text_after_a_backslash():
    text = KEY[:KEY.index('        SIGN="0F1E')]  # the mail was cut: the key ends on a backslash
    out = lint(text)
    assert only(out, "license.backslash-at-eof").status is Status.WARN
    assert none_of(out, "license.text-after-backslash")


def test_a_windows_path_ending_in_a_backslash_joins_the_next_line():
    f = only(lint((FIX / "joined_lines.lic").read_text()), "license.joined-lines")
    assert (f.line, f.title) == (3, "A backslash joins a USE_SERVER line to the line above")
    assert f.fix == "Remove the trailing backslash at the end of line 2."
    assert f.evidence == "DAEMON sigasi C:\\Sigasi\\ \\"
    assert none_of(lint((FIX / "joined_lines.lic").read_text()), "license.daemon-path-spaces")


def test_a_comment_after_use_server():
    text = KEY.replace("DAEMON sigasi port=27001\n", "DAEMON sigasi port=27001\nUSE_SERVER # ask licsrv01\n")
    f = only(lint(text), "license.inline-comment")
    assert f.line == 2 and f.evidence == "USE_SERVER # ask licsrv01"


def test_bare_carriage_returns_show_the_end_of_the_first_such_line():
    data = (FIX / "sigasi_floating_cr.lic").read_bytes()
    f = only(lint_license(parse_license(data), LintOptions(today=TODAY)), "license.cr-line-endings")
    first = data.split(b"\r")[0].decode()
    assert f.line == 1 and f.evidence == repr(first[-40:] + "\r")


# --------------------------------------------------------------------------- signatures, more
def test_the_one_signature_of_three_that_lost_a_group_is_the_one_reported():
    third = KEY.split("\n", 2)[2].split("INCREMENT com.sigasi.hdt.xl ")[1]
    text = KEY + "INCREMENT com.sigasi.hdt.doc " + third.replace(" 8796 A5B4\"", " 8796\"")
    got = [f for f in lint(text) if f.id == "license.sign-length"]
    third_sign = [i for i, ln in enumerate(text.splitlines(), start=1) if 'SIGN="' in ln][2]
    assert [(f.line, f.title) for f in got] == [
        (third_sign, "This signature has 29 groups; the other sigasi signatures have 30")]


@pytest.mark.parametrize("key,legacy", [
    ("0123456789AB", True), ("0123456789ABCDEF0123", True),  # 12 and 20 hex digits
    ("0123456789A", False), ("0123456789ABCDEF01234", False),
])
def test_a_pre_7_1_key_of_12_to_20_hex_digits_is_a_signature(key, legacy):
    # flexlm-facts.md: pre-7.1 files carry a 12-20 hex key as a 6th positional field instead of SIGN=.
    text = f"SERVER licsrv01 BD41FCF5DE27 27000\nDAEMON sigasi port=27001\nFEATURE hdt sigasi 5.0 31-dec-2030 4 {key}\n"
    assert none_of(lint(text), "license.no-sign") is legacy


# --------------------------------------------------------------------------- features
def test_a_feature_line_cut_after_its_expiry_and_the_next_one_still_checked():
    text = KEY.replace("INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030 4 \\\n",
                       "INCREMENT com.sigasi.hdt sigasi 5.0 31-dec-2030\n", 1)
    text = text.replace("com.sigasi.hdt.xl sigasi 5.0 31-dec-2030", "com.sigasi.hdt.xl sigasi 5.0 1-jan-2025")
    out = lint(text)
    assert only(out, "license.feature-malformed").title == "INCREMENT line is missing fields"
    assert only(out, "license.expired").title == "com.sigasi.hdt.xl expired on 1-jan-2025"


@pytest.mark.parametrize("start,future", [("1-jun-2025", False), ("2-jun-2025", True)])
def test_a_key_that_starts_tomorrow_is_not_valid_yet(start, future):
    out = lint(KEY.replace("START=02-Jan-2025", f"START={start}", 1))
    assert (not none_of(out, "license.start-in-future")) is future


def test_a_node_locked_key_needs_no_server_line():
    out = lint((FIX / "manual_nodelocked.lic").read_text(), today=dt.date(2012, 11, 1), warn_days=7)  # the trial key
    assert none_of(out, "license.no-server-lines") and out[0].id == "license.ok"


@pytest.mark.parametrize("hostid,detail", [
    ("ANY", "Any machine that reads this file may use it; "),
    ("0242ac110002", "It is locked to the host it names; "),
])
def test_an_uncounted_helper_feature_in_a_comsol_server_file(hostid, detail):
    text = ("SERVER licsrv01 BD41FCF5DE27 1718\nVENDOR LMCOMSOL port=1719\n"
            f'FEATURE SERIAL LMCOMSOL 6.2 permanent uncounted HOSTID={hostid} SIGN="1A2B 3C4D"\n')
    out = lint(text)
    f = only(out, "license.uncounted-on-server")
    assert f.status is Status.INFO and f.detail.startswith(detail)
    assert out[0].id == "license.ok"  # information does not stop the file reading cleanly


# --------------------------------------------------------------------------- vendor daemons
def test_a_vendor_line_without_name_does_not_hide_the_next_one():
    text = KEY.replace("DAEMON sigasi port=27001\n", "VENDOR\nVENDOR sigasi port=27000\n")
    out = lint(text)
    assert only(out, "license.vendor-malformed").line == 1
    assert only(out, "license.port-clash").line == 2


def test_an_options_file_next_to_lmgrd_is_not_part_of_the_daemon_path():
    out = lint(KEY.replace("DAEMON sigasi port=27001", "DAEMON sigasi /opt/sigasi/sigasi sigasi.opt port=27001"))
    assert none_of(out, "license.daemon-path-spaces")


def test_an_unquoted_program_files_path_is_read_whole():
    out = lint(KEY.replace("DAEMON sigasi port=27001", r"DAEMON sigasi C:\Program Files\Sigasi\sigasi.exe port=27001"))
    spaces = only(out, "license.daemon-path-spaces")
    assert "C:\\Sigasi\\license\\sigasi.exe or /opt/flexnet-sigasi/sigasi" in spaces.fix
    # The whole path was read: the daemon sits in a folder named like itself, and not in C:\Sigasi.
    assert only(out, "license.daemon-dir-named-like-daemon").title == \
        "The daemon sits in a folder named 'Sigasi', like the daemon itself"
    assert only(out, "license.daemon-not-in-c-sigasi").status is Status.INFO


@pytest.mark.parametrize("path,c_sigasi_note", [
    (r"C:\Sigasi\sigasi.exe", False),
    (r"C:\Sigasi\license\sigasi.exe", False),
    (r"D:\tools\sigasi.exe", True),
    (r"C:\sigasi.exe", True),
])
def test_where_the_sigasi_daemon_sits_on_windows(path, c_sigasi_note):
    out = lint(KEY.replace("DAEMON sigasi port=27001", f"DAEMON sigasi {path} port=27001"))
    assert (not none_of(out, "license.daemon-not-in-c-sigasi")) is c_sigasi_note


def test_another_vendors_daemon_in_a_folder_of_its_own_name():
    text = KEY.replace("DAEMON sigasi port=27001",
                       "DAEMON sigasi port=27001\nVENDOR mgcld C:\\flexlm\\mgcld\\mgcld.exe port=27002")
    out = lint(text)
    f = only(out, "license.daemon-dir-named-like-daemon")
    assert "c:\\flexlm\\mgcld\\mgcld.exe" in f.detail
    assert only(out, "license.flexlm-folder").line == 2
    assert none_of(out, "license.daemon-not-in-c-sigasi")  # that note is Sigasi's only
    spaced = lint(text.replace("C:\\flexlm\\mgcld\\mgcld.exe", '"C:\\Mentor Tools\\mgcld.exe"'))
    assert "C:\\flexnet\\mgcld.exe or /opt/flexnet/mgcld" in only(spaced, "license.daemon-path-spaces").fix


# --------------------------------------------------------------------------- this machine
def test_a_server_hostid_of_another_machine_on_a_machine_of_unknown_role():
    from lmdoctor.checks.hostinfo import HostIdentity

    here = HostIdentity(short_name="ws1", macs={"0a0b0c0d0e0f": "eth0"})
    guessed = lint(KEY, identity=here)
    f = only(guessed, "license.hostid-elsewhere")
    assert f.status is Status.INFO and "treated as a client" in f.title
    told = lint(KEY, identity=here, on_server=False)  # the user said: a client
    assert none_of(told, "license.hostid-elsewhere") and none_of(told, "license.hostid-mismatch")


def test_a_probe_that_cannot_tell_whether_a_port_is_free_does_not_stop_the_lint():
    def probe(port):
        raise PermissionError("cannot read the socket table")

    f = only(lint(KEY.replace("DAEMON sigasi port=27001", "DAEMON sigasi"), on_server=True, port_free=probe),
             "license.vendor-no-port")
    assert "DAEMON sigasi port=27001 " in f.fix


def test_macs_of_two_features_are_each_judged():
    from lmdoctor.checks.hostinfo import HostIdentity

    ws = HostIdentity(short_name="ws1", macs={"10f2dd92c5ac": "eth0"})
    first, second = KEY.split("INCREMENT com.sigasi.hdt.xl ")
    text = (first.replace("type:floating", "mac:10f2dd92c5ac;type:floating") + "INCREMENT com.sigasi.hdt.xl "
            + second.replace("type:floating", "mac:0a0b0c0d0e0f;type:floating"))
    out = lint(text, identity=ws, on_server=False)
    assert [(f.id, f.line) for f in out if f.id.startswith("license.mac-")] == [
        ("license.mac-matches", 4), ("license.mac-mismatch", 10)]


# --------------------------------------------------------------------------- more of the same
def test_trailing_blanks_after_every_backslash_of_a_long_package_are_counted_to_the_last_line():
    # An editor that adds a blank to each line, on a PACKAGE of 230 components (Autodesk ships such).
    comps = "".join(f"        comp{i:03d}:5.0 \\ \n" for i in range(230))
    text = KEY + 'PACKAGE suite sigasi 5.0 COMPONENTS="\\ \n' + comps + '        comp999:5.0" SIGN="1A2B 3C4D"\n'
    got = [f for f in lint(text) if f.id == "license.space-after-backslash"]
    assert len(got) == MAX_PER_ID + 1 and got[0].line == 15
    assert got[-1].title == "... and 206 more like this (Whitespace after a continuation backslash)"
    assert got[-1].evidence == ["lines 40..245"]


def test_a_backslash_after_the_signature_joins_the_next_increment():
    text = KEY.replace('5A6B 7C8D 9E0F"\n', '5A6B 7C8D 9E0F" \\\n', 1)
    f = only(lint(text), "license.joined-lines")
    assert (f.line, f.title) == (9, "A backslash joins a INCREMENT line to the line above")


def test_one_comment_finding_per_entry():
    text = KEY.replace('7C8D 9E0F"\n', '7C8D 9E0F" # renewed # by IT\n', 1)
    assert [f.line for f in lint(text) if f.id == "license.inline-comment"] == [8]


def test_another_vendors_single_signature_does_not_hide_uneven_sigasi_signatures():
    # Mentor's mgcld and Sigasi served by one lmgrd; the Mentor feature comes first.
    text = KEY.replace("SERVER licsrv01 BD41FCF5DE27 27000\n", "SERVER licsrv01 BD41FCF5DE27 27000\n"
                       "VENDOR mgcld port=27002\n"
                       'FEATURE questa mgcld 2024.1 31-dec-2030 10 SIGN="AAAA BBBB CCCC DDDD"\n')
    text = text.replace(' 5A6B 7C8D 9E0F"', ' 5A6B 7C8D"', 1)
    assert [f.title for f in lint(text) if f.id == "license.sign-length"] == [
        "sigasi signatures differ in length: 29 groups on line 8, 30 here"]


def test_a_server_finding_shows_the_server_line():
    f = only(lint(KEY.replace("SERVER licsrv01 BD41FCF5DE27 27000", "SERVER licsrv01 27000")),
             "license.server-no-hostid")
    assert f.evidence == "SERVER licsrv01 27000" and "followed by the port 27000 and no hostid" in f.detail


def test_a_disk_serial_of_zeros_is_all_zeros():
    f = only(lint(KEY.replace("BD41FCF5DE27", "DISK_SERIAL_NUM=00000000")), "license.placeholder-hostid")
    assert f.title == "SERVER hostid 'DISK_SERIAL_NUM=00000000' is all zeros"


def test_a_reply_with_the_renewed_entry_after_the_signature_block():
    # The mail's quoted line and signature sit between the key and a renewed INCREMENT whose
    # continuation lost its backslash.
    renewed = ("INCREMENT com.sigasi.hdt.doc sigasi 5.0 31-dec-2031 4\n"
               '        HOSTID=ANY SIGN="1A2B 3C4D"\n')
    text = KEY + "> Thanks, the key is attached.\nRegards, the license desk\n" + renewed
    f = only(lint(text), "license.missing-backslash")
    assert f.line == line_of(text, 'HOSTID=ANY SIGN="1A2B 3C4D"')


def test_an_old_node_locked_key_with_count_0_needs_no_server_line():
    # flexlm-facts.md: count `uncounted` or `0` means node-locked, needs a HOSTID, no server.
    text = (FIX / "manual_nodelocked.lic").read_text().replace(" 18-nov-2012 uncounted", " 18-nov-2012 0")
    out = lint(text, today=dt.date(2012, 11, 1), warn_days=7)
    assert none_of(out, "license.no-server-lines") and out[0].id == "license.ok"


def test_sign2_is_checked_like_sign():
    empty_sign = KEY.replace('SIGN="0F1E 2D3C', 'SIGN="" SIGN2="0F1E 2D3X', 1)
    assert [f.title for f in lint(empty_sign) if f.id == "license.sign-damaged"] == [
        "SIGN= value is empty", "SIGN2= value is damaged"]
    compact_sign = KEY.replace('SIGN="0F1E 2D3C', 'SIGN=0F1E2D3C SIGN2="0F1E 2D3X', 1)
    assert [f.title for f in lint(compact_sign) if f.id == "license.sign-damaged"] == ["SIGN2= value is damaged"]
    only_sign2 = KEY.replace('SIGN="0F1E 2D3C', 'SIGN2="0F1E 2D3X', 1)
    assert [f.title for f in lint(only_sign2) if f.id == "license.sign-damaged"] == ["SIGN2= value is damaged"]


def test_each_hostid_of_a_hostid_list_is_judged():
    from lmdoctor.checks.hostinfo import HostIdentity

    ws = HostIdentity(short_name="ws1", macs={"10f2dd92c5ac": "eth0"})
    text = KEY.replace("HOSTID=ANY", 'HOSTID="10f2dd92c5ac 0a0b0c0d0e0f"', 1)
    out = lint(text, identity=ws, on_server=False)
    assert [(f.id, f.title.split(" of ")[0]) for f in out if f.id.startswith("license.mac-")] == [
        ("license.mac-matches", "HOSTID=10f2dd92c5ac"), ("license.mac-mismatch", "HOSTID=0a0b0c0d0e0f")]


def test_a_machine_without_network_cards_of_unknown_role():
    from lmdoctor.checks.hostinfo import HostIdentity

    bare = HostIdentity(short_name="ws1", macs={})
    assert only(lint(KEY, identity=bare), "license.hostid-elsewhere").evidence == ["local MACs: none found"]
