"""The message catalogue: loader validation, classification of known lines, speed-safe shapes."""
from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.flexnet import catalogue as catmod
from lmdoctor.checks.flexnet.catalogue import (
    CATALOGUE_PATH,
    CatalogueError,
    classify,
    ere_pattern,
    load_catalogue,
    parse_catalogue,
    search_text,
    tomllib,
)


def _raw():
    with open(CATALOGUE_PATH, "rb") as fh:
        return tomllib.load(fh)


def test_packaged_catalogue_loads_and_is_cached():
    c = load_catalogue()
    assert len(c.entries) >= 35
    assert load_catalogue() is c
    ids = [e.id for e in c.entries]
    assert len(ids) == len(set(ids))
    for e in c.entries:
        assert e.fix and e.meaning and e.title
        for p in e.patterns:
            assert ere_pattern(p) is not None, (e.id, p)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["entry"][0].update(patterns=["(unclosed"]), "bad regex"),
    (lambda d: d["entry"][1].update(id=d["entry"][0]["id"]), "duplicate id"),
    (lambda d: d["entry"][0].pop("fix"), "missing field"),
    (lambda d: d["entry"][0].update(status="maybe"), "status"),
    (lambda d: d["entry"][0].update(ignorable="no"), "ignorable"),
    (lambda d: d["entry"][0].update(patterns=["x*"]), "empty string"),
    (lambda d: d["entry"][0].update(colour="red"), "unknown field"),
    (lambda d: d.update(entry=[]), "no .*entry.* tables"),
    (lambda d: d["entry"][3].update(cause="bad-weather"), "cause 'bad-weather' not one of"),
    (lambda d: d["entry"][3].pop("cause"), "missing field.*cause"),
    (lambda d: d["entry"][3].update(fatal="yes"), "fatal must be true or false"),
    (lambda d: d["entry"][0].update(cause="port-in-use"), "an ignorable line cannot have cause"),
])
def test_loader_rejects_bad_data(mutate, message):
    data = copy.deepcopy(_raw())
    mutate(data)
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(data)


LINES = {
    ' 6:51:39 (adskflex) OUT: "64300ACD_F" USER01@COMPUTER01  ':
        ("log.out", {"feature": "64300ACD_F", "user": "USER01"}),
    '16:12:16 (MSC) IN: "MSCONE" user_01@machine_01 [MSCONE:ADAMS_View] (5 licenses) (SHUTDOWN)':
        ("log.in", {"feature": "MSCONE"}),
    '15:28:58 (adskflex) DENIED: "64300ACD_F" TonyMontana@ANOTHERONE  '
    "(Licensed number of users already reached. (-4,342))":
        ("log.denied", {"feature": "64300ACD_F", "user": "TonyMontana", "host": "ANOTHERONE"}),
    '9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) testuser@testmachine  '
    '(License server system does not support this feature. (-18,327:10054 ""))':
        ("log.unsupported-sigasi-probe", {"feature": "com.sigasi.hdt.custom", "user": "testuser"}),
    '9:14:47 (sigasi) UNSUPPORTED: "com.other" (PORT_AT_HOST_PLUS   ) u@h  (x (-18,327:10054 ""))':
        ("log.unsupported", {"feature": "com.other"}),
    "21:49:10 (lmgrd) TIMESTAMP 7/27/2018": ("log.timestamp", {"date": "7/27/2018"}),
    "15:49:10 (lmgrd) FlexNet Licensing (v11.14.1.3 build 212549 x64_n6) "
    "started on SOME-LICENSE-SERVER (IBM PC) (7/27/2018)":
        ("log.startup", {"version": "v11.14.1.3", "host": "SOME-LICENSE-SERVER", "date": "7/27/2018"}),
    "15:49:10 (lmgrd) lmgrd tcp-port 27000": ("log.lmgrd-port", {"port": "27000"}),
    "10:00:00 (lmgrd) Started sigasi (internet tcp_port 27001 pid 4242)":
        ("log.vendor-started", {"vendor": "sigasi", "port": "27001", "pid": "4242"}),
    "15:49:19 (adskflex) Server started on SOME-LICENSE-SERVER for:\t":
        ("log.server-started", {"host": "SOME-LICENSE-SERVER"}),
    "17:09:27 (MSC) EXITING DUE TO SIGNAL 25 Exit reason 2": ("log.exit-signal", {"signal": "25", "reason": "2"}),
    "17:09:32 (lmgrd) MSC exited with status 25 (Invalid host)":
        ("log.vendor-exited", {"vendor": "MSC", "status": "25", "text": "Invalid host"}),
    '10:00:00 (lmgrd) MULTIPLE "sigasi" license server systems running.':
        ("log.multiple-servers", {"vendor": "sigasi"}),
    "10:00:00 (lmgrd) The TCP port number in the license, 27000, is already in use.":
        ("log.port-in-use", {"port": "27000"}),
    "10:00:00 (lmgrd) Retrying for about 5 more minutes": ("log.port-retrying", {"minutes": "5"}),
    "10:00:00 (lmgrd) Failed to open the TCP port number in the license.": ("log.port-open-failed", {}),
    "17:07:23 (MSC) Wrong hostid on SERVER line for license file:": ("log.wrong-hostid", {}),
    "10:00:00 (lmgrd) Not a valid server hostname, exiting.": ("log.not-valid-server-hostname", {}),
    "10:00:00 (lmgrd) license files have conflicting port numbers": ("log.conflicting-ports", {}),
    "10:00:00 (sigasi) Vendor daemon can't talk to lmgrd (Cannot connect to license server system. (-15,10:61))":
        ("log.vendor-cant-talk", {}),
    "10:00:00 (lmgrd) Can't make directory /usr/tmp/.flexlm, errno: 2(No such file or directory)":
        ("log.usr-tmp", {"path": "/usr/tmp/.flexlm"}),
    "17:09:27 (MSC) No valid hostids, exiting": ("log.no-valid-hostids", {}),
    "10:00:00 (lmgrd) running as root: This is a potential security problem": ("log.running-as-root", {}),
    "(lmgrd) license manager: can't initialize:No SERVER lines in license file.": ("log.no-server-lines", {}),
    "10:00:00 (sigasi) EXPIRED: com.sigasi.hdt": ("log.expired", {"feature": "com.sigasi.hdt"}),
    "Invalid license key (inconsistent authentication code)": ("msg.inconsistent-key", {}),
    "License is not valid (Internal Flexlm Error)": ("msg.internal-flexlm-error", {}),
    "Invalid Message Received From License Server": ("msg.invalid-message", {}),
    'Updating DACL Failed: "Service has been created but failed to update the DACL settings"': ("msg.dacl-failed", {}),
    "CreateProcess error code: 0xc1   File= sigasi.exe": ("msg.createprocess-0xc1", {"path": "sigasi.exe"}),
    "-bash: ./lmgrd: No such file or directory": ("msg.lsb-loader", {"path": "./lmgrd"}),
    "No license": ("msg.no-license", {}),
    'FLEXnet Error: "Exiting due to signal 32" (Exited because another server was running)':
        ("log.exit-signal", {"signal": "32"}),
}


@pytest.mark.parametrize("line", list(LINES))
def test_classify_known_lines(line):
    want_id, want_groups = LINES[line]
    m = classify(line)
    assert m is not None, line
    assert m.id == want_id
    for k, v in want_groups.items():
        assert m.groups.get(k) == v, (k, m.groups)


def test_time_and_daemon_from_prefix():
    m = classify(" 3:49:10 (lmgrd) TIMESTAMP 7/28/2018")
    assert (m.time, m.daemon) == ("3:49:10", "lmgrd")
    m = classify('15:28:58 (adskflex) DENIED: "f" u@h  (x (-4,342))')
    assert (m.time, m.daemon) == ("15:28:58", "adskflex")


def test_unknown_lines_are_none():
    for line in ["", "hello world", "15:49:10 (lmgrd) Frobnicating the quux", "No license plate here for you today"]:
        assert classify(line) is None, line


def test_search_text_finds_several_and_prefers_the_specific_entry():
    text = ("License is not valid (Internal Flexlm Error)\n"
            '9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.preview" '
            '(PORT_AT_HOST_PLUS   ) a@b  (x (-18,327:10054 ""))\n')
    ids = [m.id for m in search_text(text)]
    assert ids == ["msg.internal-flexlm-error", "log.unsupported-sigasi-probe"]


def test_harmless_probe_is_ignorable():
    assert load_catalogue().by_id["log.unsupported-sigasi-probe"].ignorable
    assert not load_catalogue().by_id["log.unsupported"].ignorable


def test_ere_conversion():
    assert ere_pattern(r'(?<![A-Za-z])IN: "(?P<f>[^"]*)"') == '(^|[^A-Za-z])IN: "([^"]*)"'
    assert ere_pattern(r"a\d+?\s(?:b|c)") == "a[0-9]+[[:space:]](b|c)"
    assert ere_pattern(r"[^@\s]") == "[^@[:space:]]"
    assert ere_pattern(r"(?=x)") is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_classify_and_search_never_raise(text):
    classify(text)
    for m in search_text(text):
        assert m.entry.id in catmod.load_catalogue().by_id


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(LINES)), st.text(max_size=20), st.text(max_size=20))
def test_classify_survives_noise_around_known_lines(line, pre, post):
    classify(pre + line + post)


def test_every_entry_names_a_cause_and_the_three_readers_share_it():
    from lmdoctor.checks.flexnet.catalogue import Cause

    c = load_catalogue()
    assert all(isinstance(e.cause, Cause) for e in c.entries)
    # Which message means which cause is decided once: the daemon verdict, the log scanner and
    # the tree's probes all read the entry's cause.
    by = {e.id: e.cause for e in c.entries}
    assert by["log.port-open-failed"] is by["log.port-in-use"] is Cause.PORT_IN_USE
    assert by["log.no-valid-hostids"] is by["log.server-hostid-mismatch"] is Cause.WRONG_HOSTID
    assert by["log.lmgrd-exit-signal"] is Cause.LMGRD_EXIT and by["log.exit-signal"] is Cause.DAEMON_EXIT
    assert {e.cause for e in c.entries if e.ignorable} <= {Cause.NONE, Cause.SIGASI_PROBE}


def test_lines_without_a_literal_are_tried_last():
    c = load_catalogue()
    assert c.classify(" 9:00:00 (lmgrd) ").entry.id == "log.blank"
    assert c.classify("10:00:00 (MSC) A,APP=Tool;check,6c5e08c,cf3072ad").entry.id == "log.vendor-record"
    # a record that names an error is not waved through as a record
    assert c.classify("10:00:00 (MSC) A,APP=Tool;error,6c5e08c,cf3072ad") is None
    # anchorless shapes stay out of pasted-text matching (explain)
    assert [m.id for m in c.search_text(" 9:00:00 (lmgrd) ")] == []
