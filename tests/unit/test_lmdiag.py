"""lmdiag -n and lmhostid readers, and the lmdiag findings."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.lmdiag import parse_lmdiag, parse_lmhostid
from lmdoctor.checks.flexnet.lmstat import UNPARSED, split_lines
from lmdoctor.checks.flexnet.lmutil import lmdiag_findings

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "lmdiag"


def diag(name):
    return parse_lmdiag((FIX / name).read_bytes())


def hostid(name):
    return parse_lmhostid((FIX / name).read_bytes())


def test_sigasi_mixed_one_can_one_cannot():
    r = diag("sigasi_mixed.txt")
    assert r.unparsed == [] and r.errors == []
    assert r.diagnostics_time == "Mon 3/4/2024 9:20" and r.tool == "lmutil"
    assert r.license_files == [(5, "27000@lic1")]
    hdt, xl = r.features
    assert (hdt.name, hdt.version, hdt.vendor, hdt.can_checkout) == ("com.sigasi.hdt", "v4.0", "sigasi", True)
    assert hdt.permanent and hdt.license_server == "lic1" and hdt.license_type == "floating"
    assert (hdt.starts, hdt.expires) == ("1-jan-1990", "1-jan-0") and hdt.license_file == "27000@lic1"
    assert xl.can_checkout is False and xl.expiry_date == dt.date(2024, 12, 31)
    assert xl.reason_lines == ["License server system does not support this version of this feature."]
    assert xl.details["License path"] == "27000@lic1"
    assert [e.major for e in xl.errors] == [-25]
    f = lmdiag_findings(r, source="x")
    ok = [x for x in f if x.id == "lmdiag.can-checkout"]
    bad = [x for x in f if x.id == "lmdiag.cannot-checkout"]
    assert len(ok) == 1 and ok[0].status is Status.OK and "com.sigasi.hdt v4.0" in ok[0].title
    assert len(bad) == 1 and bad[0].status is Status.FAIL and "com.sigasi.hdt.xl" in bad[0].title
    assert "-25" in bad[0].detail and bad[0].line == 17
    assert "version" in bad[0].fix.lower()  # the practical advice for -25


def test_down_server_reason_and_errno():
    r = diag("down.txt")
    (f,) = r.features
    assert f.can_checkout is False
    assert f.reason_lines[0] == "Cannot connect to license server system."
    assert len(f.reason_lines) == 4  # the boilerplate "For further information" lines are not reasons
    (e,) = f.errors
    assert (e.major, e.minor, e.errno) == (-15, 570, 111)
    (fd,) = lmdiag_findings(r)
    assert fd.id == "lmdiag.cannot-checkout" and "ECONNREFUSED" in fd.detail
    json.dumps(r.to_dict())


def test_old_flexlm_nodelocked():
    r = diag("old_nodelocked.txt")
    (f,) = r.features
    assert f.license_type == "uncounted nodelocked" and f.locked_to == 'Ethernet address "10f2dd92c5ac"'
    assert (f.starts, f.expires, f.can_checkout) == ("1-jan-1990", "26-mar-2008", True)
    assert f.license_file == "/home/flex/sigasi.lic" and f.expiry is None
    assert r.company.startswith("Macrovision")


def test_lmdiag_connection_error_without_feature_block():
    text = ("-----------------------------------------------------\nLicense file: 27000@nohost\n"
            "-----------------------------------------------------\n"
            "lmdiag: Cannot find SERVER hostname in network database (-14,7)\nwhat\n")
    r = parse_lmdiag(text)
    assert r.features == [] and r.errors[0].major == -14
    assert r.unparsed == [(5, "what")]
    f = lmdiag_findings(r)
    assert [x.id for x in f] == ["lmdiag.error", "lmdiag.unparsed-lines"]
    assert f[0].status is Status.FAIL


def test_lmhostid_single():
    r = hostid("lmhostid_single.txt")
    assert r.brand == "FlexNet" and r.ethernet == ["00123f7c25ed"] and not r.only_use_one
    assert r.unparsed == []


def test_lmhostid_several_in_one_quoted_string():
    r = hostid("lmhostid_multi.txt")
    assert r.ethernet == ["00155d90a4a9", "f889d2da54e1", "0242ac110002"] and r.only_use_one
    assert r.raw == "00155d90a4a9 f889d2da54e1 0242ac110002"


def test_lmhostid_vm_uuid_hostname_nested_and_flexnet_spelling():
    vm = hostid("lmhostid_vm_uuid.txt")
    assert [(h.kind, h.value) for h in vm.hostids] == [("VM_UUID", "VM_UUID=1A2B3C4D-0000-1111-2222-333344445555")]
    hn = hostid("lmhostid_hostname.txt")
    assert hn.brand == "FLEXnet" and [(h.kind, h.value) for h in hn.hostids] == [("HOSTNAME", "HOSTNAME=storage")]
    nested = hostid("lmhostid_nested.txt")
    assert [h.value for h in nested.hostids] == ["#########", "########"] and nested.only_use_one
    assert all(h.kind == "other" for h in nested.hostids)
    json.dumps(nested.to_dict())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_lmdiag_arbitrary_text_never_raises(text):
    r = parse_lmdiag(text)
    lines = split_lines(text)
    assert len(r.line_kinds) == len(lines)
    assert [n for n, _ in r.unparsed] == [i for i, k in enumerate(r.line_kinds, 1) if k == UNPARSED]
    json.dumps(r.to_dict())
    lmdiag_findings(r)


_DIAG_PARTS = st.sampled_from([
    "License file: 27000@h", "-" * 53, '"f" v1.0, vendor: sigasi', "License server: h",
    "floating license  starts: 1-jan-1990,   expires: 1-jan-0", "This license can be checked out",
    "This license cannot be checked out because:", "\tCannot connect to license server system.",
    "FlexNet Licensing error:-15,570.  System Error: 111 \"x\"", "Feature:       f", "", "junk",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_DIAG_PARTS, max_size=30))
def test_lmdiag_shuffled_blocks_never_raise(parts):
    r = parse_lmdiag("\n".join(parts))
    for f in r.features:
        assert f.can_checkout in (True, False, None)
    lmdiag_findings(r)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_lmhostid_arbitrary_text_never_raises(text):
    r = parse_lmhostid(text)
    assert len(r.line_kinds) == len(split_lines(text))
    assert [n for n, _ in r.unparsed] == [i for i, k in enumerate(r.line_kinds, 1) if k == UNPARSED]
    json.dumps(r.to_dict())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[0-9a-f]{12}", fullmatch=True), min_size=1, max_size=5), st.integers(1, 2))
def test_lmhostid_round_trip(ids, quotes):
    q = '"' * quotes
    r = parse_lmhostid(f"The FlexNet host ID of this machine is {q}{' '.join(ids)}{q}\n")
    assert r.ethernet == ids
