"""lmdoctor's metrics against flexlm_exporter's: the same names and label sets where they overlap, and
the same values for the lmstat outputs flexlm_exporter's own tests use (read in place from
../shared/realworld), so a dashboard or alert written for it keeps working."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lmdoctor.checks.flexnet.lmstat import parse_lmstat
from lmdoctor.checks.metrics.families import FLEXLM, LMDOCTOR, build, exposition
from lmdoctor.checks.metrics.probe import TargetResult
from lmdoctor.checks.metrics.usage import expiry_from_table, usage_from_lmstat

# flexlm_exporter (github.com/mjtrangoni/flexlm_exporter), collector/lmstat.go and
# collector/lmstat_feature_exp.go: prometheus.NewDesc(BuildFQName("flexlm", ...), ..., labels).
FLEXLM_EXPORTER = {
    "flexlm_server_status": ("app", "fqdn", "master", "port", "version"),
    "flexlm_vendor_status": ("app", "name", "version"),
    "flexlm_feature_issued": ("app", "name"),
    "flexlm_feature_used": ("app", "name"),
    "flexlm_feature_used_users": ("app", "name", "user", "since"),  # without monitor_versions
    "flexlm_feature_reserved_groups": ("app", "name", "group"),
    "flexlm_feature_expiration_seconds": ("app", "name", "index", "licenses", "vendor", "version"),
    "flexlm_feature_aggregate_expiration_seconds": ("app", "index", "licenses", "features"),
    "flexlm_scrape_error": ("collector", "name"),
}
# What flexlm_exporter has and lmdoctor leaves out, and why.
NOT_EXPORTED = {
    "flexlm_lmstat_info": "the lmutil binary's own version (lmstat -v), not the servers'",
    "flexlm_scrape_collector_duration_seconds": "per Go collector; lmdoctor_probe_duration_seconds is per target",
    "flexlm_scrape_collector_success": "per Go collector; lmdoctor_target_up is per target",
}


def rw(realworld: Path, name: str) -> bytes:
    return (realworld / "lmstat" / f"mjtrangoni__flexlm_exporter__{name}").read_bytes()


def scrape(results) -> Dict[str, List[Tuple[Dict[str, str], float]]]:
    text = exposition(build(results), openmetrics=False).decode()
    out: Dict[str, List[Tuple[Dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text):
        assert fam.documentation, f"{fam.name} has no HELP"
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def one(samples, **labels) -> float:
    got = [v for lab, v in samples if all(lab.get(k) == str(x) for k, x in labels.items())]
    assert len(got) == 1, (labels, got)
    return got[0]


def test_every_shared_metric_has_flexlm_exporters_name_and_labels():
    ours = {m.name: m.labels for m in FLEXLM}
    assert ours == FLEXLM_EXPORTER
    assert not set(NOT_EXPORTED) & set(ours)
    # lmdoctor's own names never collide with flexlm_exporter's namespace.
    assert all(m.name.startswith("lmdoctor_") for m in LMDOCTOR)


def test_every_metric_has_help_even_without_samples():
    fams = {f.name: f for f in text_string_to_metric_families(
        exposition(build([TargetResult("empty")]), openmetrics=False).decode())}
    for m in FLEXLM + LMDOCTOR:
        name = m.name + ("_info" if m.kind == "info" else "")
        assert name in fams, name
        assert len(fams[name].documentation) > 20, name


@pytest.mark.realworld
def test_triad_app1_values_match_flexlm_exporters_tests(realworld):
    r = parse_lmstat(rw(realworld, "lmstat_app1.txt"))
    res = TargetResult("app1", up=True, usage=usage_from_lmstat(r))
    res.usage.users = usage_from_lmstat(r).users  # per_user on
    m = scrape([res])
    srv = m["flexlm_server_status"]
    for host in ("host-1.domain.net", "host3.domain.net"):
        assert one(srv, app="app1", fqdn=host, master="false", port="27002", version="v11.7") == 1
    assert one(srv, fqdn="host2.domain.net", master="true", version="v11.7") == 1
    assert one(m["flexlm_vendor_status"], app="app1", name="VENDOR1", version="v11.6") == 1
    assert one(m["flexlm_feature_issued"], name="feature11") == 16384
    assert one(m["flexlm_feature_used"], name="feature11") == 80
    users = m["flexlm_feature_used_users"]
    assert set(users[0][0]) == set(FLEXLM_EXPORTER["flexlm_feature_used_users"])
    for feat, user, n in [("feature34", "user1", 16), ("feature34", "user11", 26), ("feature34", "user17", 12),
                          ("feature31", "user33", 16), ("feature31", "cmfy211", 1), ("feature31", "cmfy212", 16),
                          ("feature100", "user13", 1)]:
        assert one(users, name=feat, user=user) == n
    names100 = {lab["user"] for lab, _v in users if lab["name"] == "feature100"}
    assert {"Administrator", "John Doe", "Jane Doe Jr."} <= names100
    assert not [lab for lab, _v in users if lab["name"] == "feature12"]
    assert one(m["flexlm_feature_reserved_groups"], name="feature38", group="GROUP10") == 8
    assert not [lab for lab, _v in m["flexlm_feature_reserved_groups"] if lab["name"] == "feature11"]
    assert one(m["lmdoctor_quorum"], target="app1") == 1
    assert one(m["lmdoctor_quorum_servers_up"], target="app1") == 3


@pytest.mark.realworld
def test_user_since_is_the_local_checkout_time(realworld):
    import time

    r = parse_lmstat(rw(realworld, "lmstat_app1.txt"))
    since = {(u.feature, u.user): u.since for u in usage_from_lmstat(r).users}
    for key, (mon, day, hh, mm) in {("feature34", "user1"): (10, 20, 14, 12),
                                    ("feature34", "user17"): (10, 20, 12, 36)}.items():
        t = time.localtime(since[key])
        assert (t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min) == (mon, day, hh, mm)
        assert since[key] <= time.time()


@pytest.mark.realworld
def test_triad_with_a_node_down(realworld):
    r = parse_lmstat(rw(realworld, "lmstat_server_down.txt"))
    m = scrape([TargetResult("app2", usage=usage_from_lmstat(r))])
    srv = m["flexlm_server_status"]
    assert one(srv, fqdn="host1", master="false", version="v11.13.0") == 1
    assert one(srv, fqdn="host2", master="true", version="v11.13.0") == 1
    assert one(srv, fqdn="host3", master="false", version="", port="28000") == 0
    assert one(m["lmdoctor_quorum"], target="app2") == 1  # 2 of 3: still served
    assert one(m["lmdoctor_quorum_servers_up"], target="app2") == 2


@pytest.mark.realworld
def test_windows_server_listed_twice_in_two_cases(realworld):
    r = parse_lmstat(rw(realworld, "lmstat_server_up_win.txt"))
    srv = scrape([TargetResult("ptc", usage=usage_from_lmstat(r))])["flexlm_server_status"]
    assert [(lab["fqdn"], lab["version"], lab["master"], v) for lab, v in srv] == [("bvs15004", "v11.12", "true", 1)]


@pytest.mark.realworld
def test_expiry_from_lmstat_i_matches_flexlm_exporters_tests(realworld):
    res = TargetResult("app1")
    res.usage.expiry = expiry_from_table(parse_lmstat(rw(realworld, "lmstat_i_app1.txt")))
    exp = scrape([res])["flexlm_feature_expiration_seconds"]
    assert one(exp, name="feature_11", version="2018.12", licenses="150", vendor="vendor2") == 1546214400
    assert one(exp, name="feature12", index="12", licenses="50") == 1546214400
    assert one(exp, name="feature12", index="13", licenses="2") == 1538265600
    assert math.isinf(one(exp, name="feature15", version="2018.09", licenses="2"))
    assert math.isinf(one(exp, name="feature16", version="0.1", licenses="1"))
    res2 = TargetResult("app2")
    res2.usage.expiry = expiry_from_table(parse_lmstat(rw(realworld, "lmstat_i_app2.txt")))
    exp2 = scrape([res2])["flexlm_feature_expiration_seconds"]
    assert one(exp2, name="FEATURE_NAME_2_38_05", index="1", version="1.1", vendor="VENDOR") == 1591920000
    assert math.isinf(one(exp2, name="feature_name_9", index="8", version="15.0", licenses="2"))
    agg = scrape([res2])["flexlm_feature_aggregate_expiration_seconds"]
    # 7 lines on 12-jun-2020, 1 on 30-apr-2020, 1 permanent: sorted by date.
    assert [(lab["index"], lab["features"], v) for lab, v in agg] == [
        ("0", "1", 1588204800), ("1", "7", 1591920000), ("2", "1", math.inf)]
