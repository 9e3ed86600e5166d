"""The lmstat reader and its findings: hand-written fixtures, every real-world file, properties."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.lmstat import UNPARSED, compare_versions, parse_lmstat, split_lines
from lmdoctor.checks.flexnet.lmutil import lmstat_findings

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "lmstat"
TODAY = dt.date(2024, 12, 20)


def fixture(name: str):
    return parse_lmstat((FIX / name).read_bytes())


def rw(realworld: Path, name: str) -> bytes:
    sub = "other" if name.startswith("mjtrangoni__flexlm_exporter__lmstat_new") or name.startswith(
        "mjtrangoni__flexlm_exporter__lmstat_old") else "lmstat"
    return (realworld / sub / name).read_bytes()


def ids(findings):
    return [f.id for f in findings]


def by_id(findings, fid):
    return [f for f in findings if f.id == fid]


# --------------------------------------------------------------------------- hand-written fixtures


def test_sigasi_healthy_servers_daemon_features_users():
    r = fixture("sigasi_healthy.txt")
    assert r.unparsed == []
    assert r.header.tool == "lmutil" and r.header.company_family == "flexera"
    assert r.header.status_date == dt.date(2024, 3, 4)
    (b,) = r.blocks
    assert b.members == [("27000", "lic1")]
    assert b.license_files[0].path == "/opt/flexnet-sigasi/sigasi.lic"
    (s,) = b.servers
    assert (s.host, s.up, s.master, s.version) == ("lic1", True, True, "v11.16.4")
    (v,) = b.vendors
    assert (v.name, v.up, v.version, v.on_host) == ("sigasi", True, "v11.16.4", "lic1")
    hdt, xl = r.features
    assert (hdt.name, hdt.issued, hdt.in_use) == ("com.sigasi.hdt", 10, 2)
    assert hdt.versions[0].permanent and hdt.versions[0].vendor == "sigasi"
    assert hdt.versions[0].vendor_string == "company:www.example.com;type:floating"
    assert hdt.versions[0].license_type == "floating"
    assert [(u.user, u.host, u.display) for u in hdt.users] == [
        ("alice", "ws-alice", "/dev/pts/1"), ("bob", "ws-bob", "ws-bob")]
    assert hdt.users[1].pid == 4242 and hdt.users[1].handle == 202 and hdt.users[1].server_port == "27000"
    assert xl.versions[0].expiry_date == dt.date(2024, 12, 31)
    assert xl.users[1].display == ":0.0"  # an X display is not an extra token
    dave = xl.users[2]
    assert dave.queued and dave.count == 1 and dave.start is None
    assert b.quorum is None


def test_sigasi_healthy_findings_expiring_and_all_in_use():
    r = fixture("sigasi_healthy.txt")
    f = lmstat_findings(r, warn_days=30, today=TODAY)
    assert "lmstat.server-up" in ids(f) and "lmstat.vendor-up" in ids(f)
    (exp,) = by_id(f, "lmstat.feature-expiring")
    assert exp.status is Status.WARN and "11 day" in exp.title and "com.sigasi.hdt.xl" in exp.title
    (full,) = by_id(f, "lmstat.all-licenses-in-use")
    assert "com.sigasi.hdt.xl" in full.title and "1 request(s) queued" in full.detail
    assert "alice@ws-alice" in full.detail
    assert not by_id(f, "lmstat.server-down")
    # Later, the same feature has expired; with a short warning window nothing warns.
    f2 = lmstat_findings(r, today=dt.date(2025, 1, 2))
    assert by_id(f2, "lmstat.feature-expired")[0].status is Status.FAIL
    f3 = lmstat_findings(r, warn_days=5, today=TODAY)
    assert not by_id(f3, "lmstat.feature-expiring")


def test_single_server_down_is_explained():
    r = fixture("sigasi_down.txt")
    (s,) = r.servers
    assert not s.up and s.error.major == -15 and s.error.ref.errno == 111
    (f,) = by_id(lmstat_findings(r, today=TODAY), "lmstat.server-down")
    assert f.status is Status.FAIL and f.line == 7
    assert "27000@lic1" in f.title
    assert "Cannot connect to license server system" in f.detail
    assert "ECONNREFUSED" in f.detail and "nothing listens" in f.detail


def test_vendor_down_and_unsupported_feature():
    r = fixture("sigasi_vendor_down.txt")
    (v,) = r.vendors
    assert not v.up and v.error.major == -97
    (feat,) = r.features
    assert feat.unsupported and feat.error_count == 10 and feat.issued is None
    f = lmstat_findings(r, today=TODAY)
    (vd,) = by_id(f, "lmstat.vendor-down")
    assert vd.status is Status.FAIL and "sigasi" in vd.title and "-97" in vd.detail
    assert by_id(f, "lmstat.feature-unsupported")[0].status is Status.WARN


def test_triad_quorum_lost():
    r = fixture("triad_quorum_lost.txt")
    (b,) = r.blocks
    q = b.quorum
    assert q.up == 1 and not q.has_quorum and q.down == ["node2.example.com", "node3.example.com"]
    f = lmstat_findings(r, today=TODAY)
    assert len(by_id(f, "lmstat.server-down")) == 2
    (ql,) = by_id(f, "lmstat.quorum-lost")
    assert ql.status is Status.FAIL and "1 of 3" in ql.title
    assert not by_id(f, "lmstat.quorum-degraded")
    # The Winsock errno on the vendor line is read as Winsock, not as a Unix errno.
    (vd,) = by_id(f, "lmstat.vendor-down")
    assert "Winsock 10061" in vd.detail


def test_version_mismatch_vendor_newer_than_lmgrd():
    f = lmstat_findings(fixture("version_mismatch.txt"), today=TODAY)
    (vm,) = by_id(f, "lmstat.version-mismatch")
    assert vm.status is Status.WARN and "v11.16.4" in vm.title and "v11.13.1" in vm.title
    # Same version or lmgrd newer: no finding.
    same = parse_lmstat("License server status: 27000@h\nh: license server UP (MASTER) v11.16.4\n"
                        "Vendor daemon status (on h):\n  sigasi: UP v11.16\n")
    assert not by_id(lmstat_findings(same, today=TODAY), "lmstat.version-mismatch")


def test_compare_versions():
    assert compare_versions("v11.13.1", "v11.13.0") == 1
    assert compare_versions("v11.13", "v11.13.0") == 0
    assert compare_versions("v11.6", "v11.7") == -1
    assert compare_versions(None, "v1") is None


def test_unparsed_lines_are_kept_and_reported():
    text = ("License server status: 27000@lic1\n"
            "lic1: license server UP (MASTER) v11.16.4\n"
            "this line means nothing to lmstat\n"
            "Users of com.sigasi.hdt:  (Total of 1 license issued;  Total of 0 licenses in use)\n")
    r = parse_lmstat(text)
    assert r.unparsed == [(3, "this line means nothing to lmstat")]
    (f,) = by_id(lmstat_findings(r, today=TODAY), "lmstat.unparsed-lines")
    assert f.status is Status.INFO and f.line == 3 and "line 3: this line means nothing" in f.evidence[0]


def test_to_dict_is_json_serialisable_and_carries_error_meaning():
    d = fixture("sigasi_down.txt").to_dict()
    s = json.dumps(d)
    srv = d["blocks"][0]["servers"][0]
    assert srv["up"] is False
    code = srv["error"]["codes"][0]
    assert code["major"] == -15 and code["errno"] == 111 and "Cannot connect" in code["meaning"]
    assert "line_kinds" not in s


# --------------------------------------------------------------------------- real-world files

LMSTAT_FILES = [
    "brian32768__docker-flexlm__lmstat.txt",
    "mjtrangoni__flexlm_exporter__lmstat_app1.txt",
    "mjtrangoni__flexlm_exporter__lmstat_app2.txt",
    "mjtrangoni__flexlm_exporter__lmstat_app3.txt",
    "mjtrangoni__flexlm_exporter__lmstat_app4.txt",
    "mjtrangoni__flexlm_exporter__lmstat_app5.txt",
    "mjtrangoni__flexlm_exporter__lmstat_app6.txt",
    "mjtrangoni__flexlm_exporter__lmstat_i_app1.txt",
    "mjtrangoni__flexlm_exporter__lmstat_i_app2.txt",
    "mjtrangoni__flexlm_exporter__lmstat_server_down.txt",
    "mjtrangoni__flexlm_exporter__lmstat_server_up_win.txt",
    "omnivector-solutions__license-manager__conftest_flexlm_output_2.txt",
    "omnivector-solutions__license-manager__conftest_flexlm_output_3.txt",
    "omnivector-solutions__license-manager__conftest_flexlm_output_4.txt",
    "omnivector-solutions__license-manager__conftest_flexlm_output_bad.txt",
    "mjtrangoni__flexlm_exporter__lmstat_new.txt",
    "mjtrangoni__flexlm_exporter__lmstat_old.txt",
]


@pytest.mark.realworld
def test_every_realworld_file_is_listed_here(realworld):
    on_disk = {p.name for p in (realworld / "lmstat").iterdir()} | {p.name for p in (realworld / "other").iterdir()}
    assert on_disk == set(LMSTAT_FILES)


@pytest.mark.realworld
@pytest.mark.parametrize("name", LMSTAT_FILES)
def test_realworld_file_parses_completely(realworld, name):
    data = rw(realworld, name)
    r = parse_lmstat(data)
    n_lines = len(split_lines(data.decode("utf-8", "replace")))
    assert len(r.line_kinds) == n_lines
    assert r.looks_like_lmstat
    # Every one of these files is fully understood; a regression shows up as an unparsed line.
    assert r.unparsed == []
    # Every user line of the file became a user record.
    user_lines = len(re.findall(rb"\(v[^)\s]*\) \([^ ]*/", data))
    assert len(r.users) == user_lines
    json.dumps(r.to_dict())
    lmstat_findings(r, today=TODAY)


@pytest.mark.realworld
def test_rw_server_down_triad(realworld):
    r = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_server_down.txt"))
    (b,) = r.blocks
    assert b.members == [("28000", "host1"), ("28000", "host2"), ("28000", "host3")]
    q = b.quorum
    assert (q.up, q.members, q.has_quorum, q.down) == (2, 3, True, ["host3"])
    host3 = b.server_for("host3")
    assert not host3.up and host3.error.major == -15
    assert host3.error.ref.minor == 570 and host3.error.ref.errno == 115
    assert b.master.host == "host2" and b.master.version == "v11.13.0"
    assert b.vendors[0].version == "v11.13.1"
    feat2 = r.features[1]
    assert (feat2.issued, feat2.in_use, feat2.users) == (144, 39, [])  # cut off before the users
    assert feat2.versions[0].permanent  # expiry: 1-jan-0
    f = lmstat_findings(r, today=TODAY)
    (down,) = by_id(f, "lmstat.server-down")
    assert "host3" in down.title and "EINPROGRESS" in down.detail and "still has quorum" in down.detail
    assert by_id(f, "lmstat.quorum-degraded")[0].status is Status.WARN
    assert "v11.13.1" in by_id(f, "lmstat.version-mismatch")[0].title
    assert not by_id(f, "lmstat.feature-expired")


@pytest.mark.realworld
def test_rw_app1_reservations_queued_linger_and_odd_names(realworld):
    r = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_app1.txt"))
    assert r.blocks[0].quorum.up == 3 and r.blocks[0].master.host == "host2.domain.net"
    f1 = r.features[0]
    assert f1.name == "feature1" and (f1.issued, f1.in_use) == (1814, 1206)
    assert f1.reservations[0].count == 1 and f1.reservations[0].kind == "HOST"
    assert f1.reservations[0].name == "HOSTPC11" and f1.reservations[0].server_port == "27002"
    assert sum(x.count for x in f1.reservations if x.kind == "GROUP") > 0
    usr9 = f1.users[0]
    assert (usr9.user, usr9.count, usr9.handle) == ("USER9", 5, 7086)
    f5 = next(f for f in r.features if f.name == "feature5")
    q = f5.queued
    assert len(q) == 2 and q[0].extra == ["2017.06"] and q[0].count == 1
    jane = next(u for u in r.users if u.user.startswith("Jane"))
    assert (jane.user, jane.host, jane.ambiguous) == ("Jane Doe Jr.", "jane", True)
    john = next(u for u in r.users if u.user.startswith("John"))
    assert (john.user, john.host) == ("John Doe", "John_D")
    admin = next(u for u in r.users if u.user == "Administrator")
    assert admin.display == "|)8<fZ)=Y[<7L$lY-p\\<6nn^Y" and not admin.ambiguous
    lingers = [u for u in r.users if u.linger]
    assert [u.linger for u in lingers] == [(885098, 1340160)] * 2
    assert lingers[1].count == 16 and lingers[0].count == 1
    f8 = next(f for f in r.features if f.name == "feature8")
    assert f8.in_use == 1  # "Total of 1 license in use" (singular)


@pytest.mark.realworld
def test_rw_app3_two_vendor_daemons(realworld):
    r = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_app3.txt"))
    assert [(v.name, v.version) for v in r.vendors] == [("daemon1", "v11.14"), ("DAEMON2", "v11.13")]
    assert r.blocks[0].members[0] == ("1999", "host1")
    assert not by_id(lmstat_findings(r, today=TODAY), "lmstat.version-mismatch")


@pytest.mark.realworld
def test_rw_app4_comsol_windows_unsupported(realworld):
    r = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_app4.txt"))
    (b,) = r.blocks
    assert b.members == [("port", "licensevm.domain.example")]  # the port was anonymised
    path = b.license_files[0].path
    assert path.startswith("C:\\_Licensesoftware\\") and path.endswith("license.dat")
    serial = r.features[0]
    assert serial.name == "SERIAL" and serial.uncounted and serial.issued is None
    assert serial.versions[0].license_type == "uncounted nodelocked"
    assert serial.versions[0].locked_to == "NOTHING (hostid=ANY)"
    assert serial.versions[0].vendor_string == "REDACTED" and serial.versions[0].permanent
    unsup = [f for f in r.features if f.unsupported]
    assert [f.name for f in unsup] == ["SUBSURFACEFLOW", "SUBSURFACEFLOWBATCH"]
    assert unsup[0].error == "Error: 1 licenses, unsupported by licensed server" and unsup[0].error_count == 1
    f = lmstat_findings(r, today=TODAY)
    assert len(by_id(f, "lmstat.feature-unsupported")) == 2
    assert not by_id(f, "lmstat.feature-expired")  # permanent(no expiration date)


@pytest.mark.realworld
def test_rw_app5_pids_and_trailing_space(realworld):
    r = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_app5.txt"))
    assert len(r.users) == 85 and all(u.pid is not None for u in r.users)
    u1, u2, u3 = r.users[:3]
    assert (u1.user, u1.pid, u1.client_version, u1.handle) == ("user1", 2924522, "v50", 401)
    assert u3.pid == 10088 and u3.leftover == ""  # the line with a trailing space
    matlab = r.features[0]
    assert matlab.issued == 10000 and matlab.versions[0].expiry_date == dt.date(2025, 12, 30)
    assert matlab.versions[0].vendor_string == "vendor string"
    assert [f.name for f in r.features if f.uncounted][:1] == ["RoadRunner"]
    assert r.vendors[0].name == "MLM"
    assert max(f.issued or 0 for f in r.features) == 110000


@pytest.mark.realworld
def test_rw_app6_double_spaced_reads_like_single_spaced(realworld):
    data = rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_app6.txt").decode()
    double = parse_lmstat(data)
    single = parse_lmstat("\n".join(ln for ln in data.split("\n") if ln.strip()))

    def shape(r):
        return ([(s.host, s.up, s.master, s.version) for s in r.servers],
                [(v.name, v.up, v.version) for v in r.vendors],
                [(f.name, f.issued, f.in_use, f.uncounted,
                  [(v.version, v.expiry, v.license_type, v.locked_to, v.vendor_string) for v in f.versions],
                  [(u.user, u.host, u.display, u.client_version, u.handle, u.start, u.feature_version)
                   for u in f.users],
                  [(x.count, x.kind, x.name) for x in f.reservations]) for f in r.features])

    assert shape(double) == shape(single)
    matlab = double.features[0]
    assert [v.version for v in matlab.versions][:3] == ["v12", "v53", "v52"]
    assert matlab.versions[0].permanent and matlab.versions[1].expiry_date == dt.date(2099, 1, 1)
    assert matlab.versions[0].locked_to == '"ID=XXXXXX"'
    assert matlab.reservations[0].kind == "GROUP" and matlab.reservations[0].name == "DED"
    assert double.servers[0].host == "SERVER1" and double.servers[0].master
    assert matlab.users[0].feature_version == "v53"


@pytest.mark.realworld
def test_rw_lmstat_i_both_column_orders(realworld):
    a = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_i_app1.txt"))
    b = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_i_app2.txt"))
    assert a.license_table_columns[-2:] == ["Expires", "Vendor"]
    assert b.license_table_columns[-2:] == ["Vendor", "Expires"]
    assert len(a.license_table) == 17 and len(b.license_table) == 9
    r1 = a.license_table[0]
    assert (r1.feature, r1.version, r1.count, r1.expires, r1.vendor) == (
        "feature1", "2018.12", "2", "31-dec-2018", "vendor1")
    assert r1.expiry_date == dt.date(2018, 12, 31)
    assert a.license_table[-2].permanent and a.license_table[-1].permanent  # 1-jan-0, 01-jan-0000
    perm = b.license_table[7]
    assert (perm.feature, perm.vendor, perm.expires, perm.permanent) == (
        "feature_name_9", "vendor", "permanent(no expiration date)", True)
    assert (b.license_table[0].vendor, b.license_table[0].expires) == ("VENDOR", "12-jun-2020")
    f = lmstat_findings(b, today=dt.date(2020, 6, 1))
    (exp,) = by_id(f, "lmstat.feature-expired")
    assert "feature_name_10" in exp.title
    (soon,) = by_id(f, "lmstat.feature-expiring")
    assert soon.title.startswith("7 features expire in 11 day")


@pytest.mark.realworld
def test_rw_brian_mixed_line_endings_and_garbage_displays(realworld):
    data = rw(realworld, "brian32768__docker-flexlm__lmstat.txt")
    assert b"\r\n" in data and data.split(b"\n", 1)[0].endswith(b"-a")
    r = parse_lmstat(data)
    assert len(r.line_kinds) == 49
    assert r.header.command == "./lmutil lmstat -c service.txt -a"
    assert r.blocks[0].license_files[0].path == "C:\\Program Files (x86)\\ArcGIS\\LicenseManager\\bin\\service.txt"
    arc = next(f for f in r.features if f.name == "ARC/INFO")
    assert [(u.user, u.host, u.display) for u in arc.users] == [
        ("jsmith", "machine1", "w%.=H@QVO!;~_8'"), ("jdoe", "machine2", "8e/^i`qunDiW@tT")]
    assert arc.users[0].server_host == "MYSERVER-GIS" and arc.users[0].handle == 101
    assert all("\r" not in u.display for u in r.users)
    assert r.servers[0].host == "myserver-GIS" and r.servers[0].master


@pytest.mark.realworld
def test_rw_windows_same_host_twice(realworld):
    r = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_server_up_win.txt"))
    assert [(s.host, s.master) for s in r.servers] == [("BVS15004", True), ("bvs15004", False)]
    assert r.blocks[0].license_files[0].path == "licensing\\license.dat"
    assert r.blocks[0].quorum is None
    assert by_id(lmstat_findings(r, today=TODAY), "lmstat.version-mismatch")  # ptc_d v11.14.0 > v11.12


@pytest.mark.realworld
def test_rw_omnivector_excerpts(realworld):
    two = parse_lmstat(rw(realworld, "omnivector-solutions__license-manager__conftest_flexlm_output_2.txt"))
    assert two.placeholders == 2
    assert [u.extra for u in two.users] == [
        ["feature=test_feature"], ["feature=test_feature_2"], ["feature=test_feature_3"]]
    assert [u.count for u in two.users] == [100, 1400, 100]
    assert two.features[0].issued == 42800
    three = parse_lmstat(rw(realworld, "omnivector-solutions__license-manager__conftest_flexlm_output_3.txt"))
    (cc,) = three.features
    assert [v.version for v in cc.versions] == ["v2025.09", "v2024.09"]
    assert [u.feature_version for u in cc.users] == ["v2025.09", "v2024.09", "v2024.09"]
    assert cc.users[0].user == "1nou7p"
    four = parse_lmstat(rw(realworld, "omnivector-solutions__license-manager__conftest_flexlm_output_4.txt"))
    assert [u.extra[0] for u in four.users][:2] == ["MSCONE:ADAMS_View", "MSCONE:ADAMS_Car_Plugin"]
    assert [u.count for u in four.users] == [5, 1, 5, 1, 5, 1]
    assert four.users[0].display == "SESOR045"
    bad = parse_lmstat(rw(realworld, "omnivector-solutions__license-manager__conftest_flexlm_output_bad.txt"))
    assert bad.header.tool == "lmstat" and bad.header.company_family == "macrovision"
    assert bad.header.status_date == dt.date(2021, 3, 31)
    (err,) = bad.errors
    assert err.major == -15 and err.ref.errno == 111
    (f,) = by_id(lmstat_findings(bad, today=TODAY), "lmstat.status-error")
    assert f.status is Status.FAIL and "ECONNREFUSED" in f.detail


@pytest.mark.realworld
def test_rw_lmstat_version_outputs(realworld):
    new = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_new.txt"))
    assert (new.header.version, new.header.build, new.header.platform) == ("11.14.0.1", "188735", "x64_lsb")
    assert new.header.company_family == "flexera"
    old = parse_lmstat(rw(realworld, "mjtrangoni__flexlm_exporter__lmstat_old.txt"))
    assert old.header.version is None and old.header.tool == "lmutil"
    assert old.header.company_family == "macrovision" and old.line_kinds == ["header", "version"]


# --------------------------------------------------------------------------- properties

_LMSTAT_WORDS = st.sampled_from([
    "License server status: 27000@h1,27000@h2,27000@h3", "    License file(s) on h1: /x.lic:",
    "h1: license server UP (MASTER) v11.16", "h3: Cannot connect to license server system. (-15,570:115 \"x\")",
    "Vendor daemon status (on h1):", "  sigasi: UP v11.16", "  sigasi: The desired vendor daemon is down. (-97,121)",
    "Feature usage info:", "Users of f:  (Total of 2 licenses issued;  Total of 2 licenses in use)",
    "Users of g:  (Uncounted, node-locked)", "Users of h:  (Error: 1 licenses, unsupported by licensed server)",
    '  "f" v4.0, vendor: sigasi, expiry: 1-jan-0', "  floating license", "  vendor_string: a:b",
    "    u h d (v1.0) (h1/27000 101), start Mon 3/4 8:02, 2 licenses, PID: 7",
    "    u h d (v1.0) (h1/27000 101) queued for 1 license", "\t3 RESERVATIONs for GROUP G (h1/27000)",
    "Feature Version #licenses Expires Vendor", "f 1.0 2 1-jan-0 v", "...", "", "garbage ((v (x/ @ \" `",
])


_CONTEXT_FREE = {
    "License server status: 27000@h1,27000@h2,27000@h3", "    License file(s) on h1: /x.lic:",
    "h1: license server UP (MASTER) v11.16", "h3: Cannot connect to license server system. (-15,570:115 \"x\")",
    "Vendor daemon status (on h1):", "  sigasi: The desired vendor daemon is down. (-97,121)",
    "Feature usage info:", "Users of f:  (Total of 2 licenses issued;  Total of 2 licenses in use)",
    "Users of g:  (Uncounted, node-locked)", "Users of h:  (Error: 1 licenses, unsupported by licensed server)",
    '  "f" v4.0, vendor: sigasi, expiry: 1-jan-0', "...", "",
    "    u h d (v1.0) (h1/27000 101), start Mon 3/4 8:02, 2 licenses, PID: 7",
    "    u h d (v1.0) (h1/27000 101) queued for 1 license",
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_never_raises_and_every_line_is_accounted_for(text):
    r = parse_lmstat(text)
    lines = split_lines(text)
    assert len(r.line_kinds) == len(lines)
    listed = {n for n, _ in r.unparsed}
    for i, kind in enumerate(r.line_kinds, start=1):
        assert (i in listed) == (kind in (UNPARSED, "user-partial", "feature-odd"))
    for n, t in r.unparsed:
        assert lines[n - 1] == t
    json.dumps(r.to_dict())
    lmstat_findings(r, today=TODAY)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LMSTAT_WORDS, max_size=40), st.sampled_from(["\n", "\r\n", "\r", "\n\n"]))
def test_lmstat_like_input_never_raises(parts, nl):
    text = nl.join(parts)
    r = parse_lmstat(text)
    assert len(r.line_kinds) == len(split_lines(text))
    if nl in ("\n", "\r\n", "\r"):
        # These shapes are understood wherever they appear, whatever came before.
        for kind, p in zip(r.line_kinds, parts):
            if p in _CONTEXT_FREE:
                assert kind != UNPARSED, p
    lmstat_findings(r, today=TODAY)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    r = parse_lmstat(data)
    assert isinstance(r.unparsed, list)


def test_two_server_blocks_keep_their_own_features_and_errors():
    text = (
        "License server status: 27000@a\n    License file(s) on a: /a.lic:\n\n"
        "a: license server UP (MASTER) v11.16.4\n\nVendor daemon status (on a):\n\n  sigasi: UP v11.16.4\n"
        "Feature usage info:\n\nUsers of com.sigasi.hdt:  (Total of 4 licenses issued;  Total of 1 license in use)\n\n"
        "License server status: 27001@b\n    License file(s) on b: /b.lic:\n\n"
        "lmgrd is not running: License server machine is down or not responding. (-96,7)\n"
    )
    r = parse_lmstat(text)
    assert r.unparsed == []
    a, b = r.blocks
    assert [f.name for f in a.features] == ["com.sigasi.hdt"] and b.features == []
    assert b.errors[0].major == -96 and not a.errors
    f = lmstat_findings(r, today=TODAY)
    (err,) = by_id(f, "lmstat.status-error")
    assert "27001@b" in err.title and err.line == 16


def test_line_kinds_name_what_each_line_was():
    r = fixture("sigasi_healthy.txt")
    kinds = r.line_kinds
    assert kinds[0] == "header" and kinds[3] == "note" and kinds[4] == "server-status"
    assert kinds[7] == "server" and kinds[11] == "vendor" and kinds[30] == "user-queued"
