"""Pure checks of the sandbox's data and parsers: scenarios, the licenses they write, argv parsing."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.license import parse_license
from lmdoctor.checks.sandbox import common, lmgrd, lmutil, scenarios, vendor
from lmdoctor.checks.sandbox.scenarios import SCENARIOS, LicenseParams, render_license


def test_every_scenario_says_what_goes_wrong_and_what_to_look_for():
    assert {"healthy", "placeholder-host", "no-server-lines", "wrong-hostid", "server-port-in-use",
            "vendor-port-in-use", "duplicate", "no-lock-dir", "expired-feature", "unsupported-probe",
            "old-lmgrd"} <= set(SCENARIOS)
    for sc in SCENARIOS.values():
        assert sc.summary and "\n" not in sc.summary
        assert sc.expect, sc.name
        assert sc.settled, sc.name


def test_failing_scenarios_stop_the_processes_they_are_about():
    assert not SCENARIOS["no-server-lines"].lmgrd_up
    assert not SCENARIOS["placeholder-host"].lmgrd_up
    assert SCENARIOS["duplicate"].lmgrd_up and not SCENARIOS["duplicate"].vendor_up
    assert SCENARIOS["healthy"].lmgrd_up and SCENARIOS["healthy"].vendor_up


def test_old_lmgrd_has_a_vendor_daemon_newer_than_lmgrd():
    sc = SCENARIOS["old-lmgrd"]
    assert tuple(map(int, sc.vendor_version.split("."))) > tuple(map(int, sc.lmgrd_version.split(".")))


def test_rendered_license_parses_with_the_checks_parser():
    text = render_license(LicenseParams("myhost", "02fc00000001", 27000, 27001))
    lic = parse_license(text.encode())
    assert [(s.host, s.hostid, s.port) for s in lic.servers] == [("myhost", "02fc00000001", 27000)]
    assert [(v.name, v.port) for v in lic.vendors] == [("sigasi", 27001)]
    assert [(f.name, f.vendor, f.count) for f in lic.features] == [
        ("com.sigasi.hdt", "sigasi", 4), ("com.sigasi.hdt.xl", "sigasi", 2)]
    for f in lic.features:
        assert f.expiry.never_expires
        groups = f.sign.split()
        assert len(groups) == 30 and all(re.fullmatch(r"[0-9A-F]{4}", g) for g in groups)


def test_license_without_server_or_daemon_port():
    lic = parse_license(render_license(LicenseParams("", "ANY", None, None)).encode())
    assert lic.servers == []
    assert lic.vendors[0].port is None


def test_expired_feature_gets_a_past_date():
    sc = SCENARIOS["expired-feature"]
    lic = parse_license(render_license(LicenseParams("h", "ANY", 1, 2, sc.features)).encode())
    import datetime as dt

    assert all(f.expiry.date and f.expiry.date < dt.date.today() for f in lic.features)


def test_lmgrd_options():
    o = lmgrd.parse_args(["-c", "/x/sigasi.lic", "-l", "+/x/debug.log", "-z"])
    assert (o.license, o.log, o.append, o.foreground, o.version) == ("/x/sigasi.lic", "/x/debug.log", True, True, False)
    o = lmgrd.parse_args(["-l", "/x/d.log", "-v"])
    assert (o.log, o.append, o.version, o.foreground) == ("/x/d.log", False, True, False)


def test_vendor_daemon_arguments_as_lmgrd_passes_them():
    assert vendor._args(["-T", "vm", "11.16", "6", "-c", "/x.lic", "--lmgrd_start", "ab"]) == ("vm", 6, False, "/x.lic")
    assert vendor._args(["-v"])[2] is True


def test_exit_status_is_base_plus_reason():
    assert common.EXIT_BASE + 9 == 41
    assert common.REASONS[9] == "Exited because another server was running"
    assert common.REASONS[4] == "No features to serve"


def test_version_short_and_log_time():
    assert common.version_short("11.16.4.0") == "v11.16.4"
    import datetime as dt

    assert common.hms(dt.datetime(2024, 1, 1, 9, 14, 47)) == " 9:14:47"
    assert common.hms(dt.datetime(2024, 1, 1, 19, 4, 7)) == "19:04:07"


def test_lmutil_targets_accept_port_at_host_and_license_files(tmp_path):
    assert [(t.host, t.port) for t in lmutil._targets("27000@lic1")[0]] == [("lic1", 27000)]
    assert [(t.host, t.port) for t in lmutil._targets("@lic1")[0]] == [("lic1", 27000)]
    assert [(t.host, t.port) for t in lmutil._targets("1@a:2@b")[0]] == [("a", 1), ("b", 2)]
    lic = tmp_path / "s.lic"
    lic.write_text(render_license(LicenseParams("srv", "ANY", 28000, None)))
    assert [(t.host, t.port) for t in lmutil._targets(str(lic))[0]] == [("srv", 28000)]


def test_cannot_connect_message_is_flexnets():
    from lmdoctor.checks.sandbox.client import ClientError

    assert lmutil.cannot_connect(ClientError("refused", 111)) == \
        'Cannot connect to license server system. (-15,570:111 "Connection refused")'


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=8))
def test_argument_parsers_never_raise(args):
    lmgrd.parse_args(args)
    vendor._args(args)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_lmutil_target_parser_never_raises(spec):
    targets, _ = lmutil._targets(spec if spec.strip() else "x")
    for t in targets:
        assert isinstance(t.port, int)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(list(SCENARIOS)), st.integers(1, 65535), st.integers(1, 65535))
def test_every_scenario_license_round_trips_through_the_parser(name, p1, p2):
    sc = scenarios.get(name)
    lic = parse_license(render_license(LicenseParams("h", "ANY", p1, p2, sc.features)).encode())
    assert lic.servers[0].port == p1 and lic.vendors[0].port == p2
    assert lic.render().decode() == render_license(LicenseParams("h", "ANY", p1, p2, sc.features))
