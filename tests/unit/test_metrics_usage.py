"""Usage numbers from lmstat and license files, and the families drawn from them."""
from __future__ import annotations

import datetime as dt
import math
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.flexnet.lmstat import parse_lmstat
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.metrics.families import EXPORTER_ONLY, LabelHasher, build, exposition
from lmdoctor.checks.metrics.probe import TargetResult
from lmdoctor.checks.metrics.usage import (
    ExpiryRow,
    expiry_from_license,
    expiry_from_versions,
    soonest_expiry,
    start_seconds,
    usage_from_lmstat,
)

LMSTAT = """\
lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.
Flexible License Manager status on Mon 3/4/2024 10:00

License server status: 27000@lic1
    License file(s) on lic1: /opt/lic/sigasi.lic:

lic1: license server UP (MASTER) v11.19.1

Vendor daemon status (on lic1):

    sigasi: UP v11.19.1
Feature usage info:

Users of com.sigasi.hdt:  (Total of 4 licenses issued;  Total of 3 licenses in use)

  "com.sigasi.hdt" v4.0, vendor: sigasi, expiry: 31-dec-2030
  floating license

    alice ws1 /dev/pts/1 (v4.0) (lic1/27000 101), start Mon 3/4 9:00
    alice ws2 /dev/pts/2 (v4.0) (lic1/27000 102), start Mon 3/4 8:00, 2 licenses
    bob ws3 /dev/pts/3 (v4.0) (lic1/27000 103), start Mon 3/4 9:30
    carol ws4 /dev/pts/4 (v4.0) (lic1/27000 104) queued for 1 license
    2 RESERVATIONs for GROUP eda (lic1/27000)
    1 RESERVATION for USER dave (lic1/27000)

Users of com.sigasi.hdt.xl:  (Total of 2 licenses issued;  Total of 0 licenses in use)

Users of com.sigasi.hdt.preview:  (Uncounted, node-locked)
"""


def test_usage_from_lmstat_counts_held_licenses_not_queued_ones():
    now = time.mktime((2024, 3, 4, 10, 0, 0, 0, 0, -1))
    u = usage_from_lmstat(parse_lmstat(LMSTAT), now=now)
    servers = [(s.fqdn, s.port, s.master, s.version, s.up) for s in u.servers]
    assert servers == [("lic1", "27000", True, "v11.19.1", True)]
    assert {(f.name, f.issued, f.used) for f in u.features} == {("com.sigasi.hdt", 4, 3), ("com.sigasi.hdt.xl", 2, 0)}
    users = {(x.feature, x.user): x for x in u.users}
    assert users[("com.sigasi.hdt", "alice")].count == 3  # one plus two licenses
    assert time.localtime(users[("com.sigasi.hdt", "alice")].since)[3:5] == (8, 0)  # the earliest start
    assert users[("com.sigasi.hdt", "bob")].count == 1
    assert ("com.sigasi.hdt", "carol") not in users  # queued: holds nothing
    assert u.group_reservations == [("com.sigasi.hdt", "eda", 2)]
    assert sorted(u.reservations) == [("com.sigasi.hdt", "GROUP", 2), ("com.sigasi.hdt", "USER", 1)]
    excluded = usage_from_lmstat(parse_lmstat(LMSTAT), exclude=["com.sigasi.hdt"], now=now)
    assert [f.name for f in excluded.features] == ["com.sigasi.hdt.xl"] and not excluded.users
    (row,) = expiry_from_versions(parse_lmstat(LMSTAT))
    assert (row.feature, row.version, row.licenses, row.vendor) == ("com.sigasi.hdt", "4.0", "4", "sigasi")
    assert row.expires == 1924905600  # 31-dec-2030 00:00 UTC, as flexlm_exporter reports dates


def test_two_blocks_of_one_feature_are_one_pool_and_a_down_copy_wins():
    two = LMSTAT + "\n" + LMSTAT.replace("lic1", "lic2").replace("sigasi: UP v11.19.1", "sigasi: The desired "
                                                                  "vendor daemon is down. (-97,121)")
    u = usage_from_lmstat(parse_lmstat(two))
    assert {(f.name, f.issued, f.used) for f in u.features} == {("com.sigasi.hdt", 8, 6), ("com.sigasi.hdt.xl", 4, 0)}
    assert [(v.name, v.up) for v in u.vendors] == [("sigasi", False)]
    assert sorted(s.fqdn for s in u.servers) == ["lic1", "lic2"]


def test_start_seconds_guesses_the_year_like_lmstat_readers_must():
    now = time.mktime((2024, 1, 5, 12, 0, 0, 0, 0, -1))
    dec = start_seconds("Fri 12/29 16:44", now)  # no year: last December, not next
    assert time.localtime(dec)[:5] == (2023, 12, 29, 16, 44)
    jan = start_seconds("Fri 1/5 11:00", now)
    assert time.localtime(jan)[:5] == (2024, 1, 5, 11, 0)
    assert start_seconds("Wed 10/20/2021 9:05", now) == time.mktime((2021, 10, 20, 9, 5, 0, 0, 0, -1))
    assert start_seconds("", now) is None and start_seconds("yesterday", now) is None
    assert start_seconds("Mon 13/45 10:00", now) is None


def test_leap_day_without_a_year_is_the_last_real_one():
    now = time.mktime((2025, 3, 1, 12, 0, 0, 0, 0, -1))
    # 2/29 is no date in 2025: the reader must not normalise it to 3/1, but take 2024's.
    got = start_seconds("Thu 2/29 10:00", now)
    assert time.localtime(got)[:3] == (2024, 2, 29)


def test_soonest_expiry_is_the_next_date_ahead_and_leaves_out_permanent():
    now = 1_000_000.0
    rows = [ExpiryRow("a", "1.0", "2", "v", 900_000.0), ExpiryRow("a", "1.0", "3", "v", 2_000_000.0),
            ExpiryRow("a", "1.0", "1", "v", 3_000_000.0), ExpiryRow("b", "1.0", "1", "v", math.inf),
            ExpiryRow("c", "2.0", "1", "v", 500_000.0), ExpiryRow("c", "2.0", "1", "v", 600_000.0)]
    assert soonest_expiry(rows, now) == {("a", "1.0", "v"): 2_000_000.0, ("c", "2.0", "v"): 600_000.0}


def test_expiry_from_a_license_file():
    lic = parse_license("SERVER h ANY 27000\nVENDOR sigasi\n"
                        "INCREMENT f1 sigasi 4.0 31-dec-2030 5 SIGN=0\n"
                        "INCREMENT f2 sigasi 4.0 permanent uncounted HOSTID=ANY SIGN=0\n"
                        "INCREMENT f3 sigasi 4.0 1-jan-0 2 SIGN=0\n"
                        "INCREMENT f4 sigasi 4.0 notadate 2 SIGN=0\n")
    rows = {r.feature: r for r in expiry_from_license(lic)}
    assert rows["f1"].expires == 1924905600 and rows["f1"].licenses == "5"
    assert math.isinf(rows["f2"].expires) and math.isinf(rows["f3"].expires)
    assert "f4" not in rows
    assert [r.feature for r in expiry_from_license(lic, exclude=["f1"])] == ["f2", "f3"]


def _result() -> TargetResult:
    r = TargetResult("sig", up=True, duration=0.25)
    r.usage = usage_from_lmstat(parse_lmstat(LMSTAT))
    r.findings = [
        Finding("lmstat.vendor-down", Status.FAIL, "Vendor daemon sigasi is down on lic1"),
        Finding("lmstat.vendor-down", Status.FAIL, "Vendor daemon sigasi is down on lic2"),  # same series
        Finding("lmstat.feature-expiring", Status.WARN, "expires in 3 days"),
        Finding("lmstat.server-up", Status.OK, "License server lic1 is UP"),
        Finding("check.lmutil-absent", Status.INFO, "no lmutil"),
    ]
    return r


def test_findings_become_one_series_per_id_and_status():
    fams = {f.name: f for f in text_string_to_metric_families(exposition(build([_result()]), False).decode())}
    got = sorted((s.labels["id"], s.labels["area"], s.labels["status"], s.value)
                 for s in fams["lmdoctor_finding"].samples)
    assert got == [("lmstat.feature-expiring", "lmstat", "warn", 1.0), ("lmstat.vendor-down", "lmstat", "fail", 1.0)]


def test_redact_hashes_hosts_and_users_the_same_way_every_time():
    r = _result()
    r.usage.users = usage_from_lmstat(parse_lmstat(LMSTAT)).users
    h1, h2 = LabelHasher(b"salt"), LabelHasher(b"salt")
    t1 = exposition(build([r], hasher=h1), False).decode()
    t2 = exposition(build([r], hasher=h2), False).decode()
    assert t1 == t2
    assert "lic1" not in t1 and "alice" not in t1 and "bob" not in t1
    assert h1.host("lic1") in t1 and h1.user("alice") in t1 and h1.host("LIC1") == h1.host("lic1")
    assert LabelHasher(b"other").host("lic1") != h1.host("lic1")
    assert 'app="sig"' in t1 and 'name="com.sigasi.hdt"' in t1  # target and feature names stay


def test_check_output_is_gauges_only_and_both_parsers_read_it_alike():
    text = exposition(build([_result()], exporter=False), openmetrics=True).decode()
    assert text.endswith("# EOF\n")
    a = {(f.name, f.type) for f in text_string_to_metric_families(text)}
    b = {(f.name, f.type) for f in om_families(text)}
    assert a == b and {t for _n, t in a} == {"gauge"}
    assert not {n for n, _t in a} & set(EXPORTER_ONLY)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(LMSTAT) + ["\n", "(", ")", "@", "/", "-", "x", "9"]), max_size=1500))
def test_any_lmstat_text_gives_usage_that_renders_and_parses(text):
    r = parse_lmstat(text)
    res = TargetResult("t", usage=usage_from_lmstat(r))
    res.usage.expiry = expiry_from_versions(r)
    for om in (False, True):
        out = exposition(build([res], hasher=LabelHasher(b"s") if om else None), openmetrics=om).decode()
        parse = om_families if om else text_string_to_metric_families
        names = {f.name for f in parse(out)}
        assert "lmdoctor_target_up" in names


def test_dates_are_utc_midnight():
    from lmdoctor.checks.metrics.usage import date_seconds

    assert date_seconds(dt.date(2018, 12, 31)) == 1546214400 and date_seconds(None) is None
