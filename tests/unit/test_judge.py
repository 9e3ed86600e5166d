"""judge(): severity by impact and one finding per fact, on findings as the probes write them."""
from __future__ import annotations

from lmdoctor.checks.findings import Finding, Status, exit_code_for
from lmdoctor.checks.judge import judge, merge_facts, serving_state

F, W, INFO, OK = Status.FAIL, Status.WARN, Status.INFO, Status.OK

SERVING = [
    Finding("process.lmgrd", INFO, "lmgrd lmgrd running (pid 14)", evidence=["pid 14 lmgrd user=flexlm"]),
    Finding("lmstat.vendor-up", OK, "Vendor daemon MLM is UP v11.19.6"),
    Finding("log.startup", OK, "Last start-up succeeded: the vendor daemon is serving"),
]
USR_TMP = Finding("system.usr-tmp-missing", F, "/usr/tmp does not exist", detail="lmgrd needs write access",
                  fix="ln -s /tmp /usr/tmp")
LOG_USR_TMP = Finding("log.usr-tmp", F, "lmgrd cannot make its lock directory (1x)",
                      evidence=["9:00:01 (lmgrd) Can't make directory /usr/tmp/.flexlm, errno: 2"], file="debug.log",
                      line=7)


def by_id(findings):
    out = {}
    for f in findings:
        out.setdefault(f.id, []).append(f)
    return out


def test_latent_risk_of_a_serving_server_is_a_warning():
    out = judge(SERVING + [USR_TMP])
    (f,) = by_id(out)["system.usr-tmp-missing"]
    assert f.status is W and "serves now" in f.detail and f.fix == USR_TMP.fix
    assert int(exit_code_for(out)) == 1


def test_the_same_risk_is_a_failure_when_nothing_serves():
    not_serving = [SERVING[0], Finding("lmstat.vendor-down", F, "Vendor daemon MLM is down on lic1")]
    out = judge(not_serving + [USR_TMP])
    assert by_id(out)["system.usr-tmp-missing"][0].status is F
    assert judge([USR_TMP])[0].status is F


def test_a_latent_risk_the_log_shows_biting_stays_a_failure_and_is_one_finding():
    out = judge(SERVING + [USR_TMP, LOG_USR_TMP])
    found = by_id(out)
    assert "system.usr-tmp-missing" not in found
    (f,) = found["log.usr-tmp"]
    assert f.status is F and any("/usr/tmp does not exist" in e for e in f.evidence_lines)
    assert f.fix == USR_TMP.fix  # the log entry had none; the file-system probe says what to do


def test_license_start_predictions_are_latent_only_for_the_served_license():
    wrong = Finding("license.host-not-this-machine", F, "SERVER host 'old-srv' is not this machine's name")
    assert judge(SERVING + [wrong], license_served=True)[-1].status is W
    assert judge(SERVING + [wrong], license_served=False)[-1].status is F
    expired = Finding("license.expired", F, "MATLAB expired on 1-mar-2025")
    assert judge(SERVING + [expired], license_served=True)[-1].status is F  # broken now for that feature


def test_runs_as_root_is_one_finding_with_every_evidence():
    found = [
        Finding("process.running-as-root", W, "lmgrd (pid 14) runs as root", evidence=["pid 14 lmgrd user=root"]),
        Finding("process.lmgrd", INFO, "lmgrd lmgrd running (pid 14)"),
        Finding("process.running-as-root", W, "MLM (pid 15) runs as root", evidence=["pid 15 MLM user=root"]),
        Finding("log.running-as-root", W, "Debug log: lmgrd runs as root (1x)",
                evidence=["8:50:07 (lmgrd) running as root: This is a potential security problem"],
                file="/var/log/lmgrd.log", line=13),
    ]
    out = merge_facts(found)
    (f,) = [x for x in out if "root" in x.id]
    assert f.id == "process.running-as-root" and f.status is W
    assert f.title == "The license server runs as root: lmgrd (pid 14), MLM (pid 15); its debug log says so too"
    ev = f.evidence_lines
    assert "pid 14 lmgrd user=root" in ev and "pid 15 MLM user=root" in ev
    assert "also: Debug log: lmgrd runs as root (1x) (/var/log/lmgrd.log:13)" in ev
    assert any("potential security problem" in e for e in ev)
    assert [x.id for x in out] == ["process.running-as-root", "process.lmgrd"]  # in place, order kept


def test_vendor_down_from_three_sides_is_one_finding_per_vendor():
    found = [
        Finding("lmstat.vendor-down", F, "Vendor daemon adskflex is down on lic1", evidence="adskflex: DOWN (-97)"),
        Finding("process.lmgrd-without-vendor", F, "lmgrd (pid 16) runs without its vendor daemon"),
        Finding("lmdiag.cannot-checkout", F, "87545ACD_2024_0F cannot be checked out: The desired vendor daemon "
                "is down."),
        Finding("lmdiag.cannot-checkout", F, "64300ACD_F cannot be checked out: all licenses in use (-4)"),
    ]
    out = merge_facts(found)
    assert [x.id for x in out] == ["lmstat.vendor-down", "lmdiag.cannot-checkout"]
    assert "seen by lmdiag, lmstat, the process table" in out[0].title
    assert "-4" in out[1].title  # another fact stays its own finding


def test_two_vendors_down_are_two_findings_and_unnamed_sources_are_not_guessed():
    found = [
        Finding("lmstat.vendor-down", F, "Vendor daemon saltd is down on eda1"),
        Finding("lmstat.vendor-down", F, "Vendor daemon mgcld is down on eda1"),
        Finding("process.lmgrd-without-vendor", F, "lmgrd (pid 16) runs without its vendor daemon"),
    ]
    assert [x.id for x in merge_facts(found)] == [x.id for x in found]


def test_serving_state():
    assert serving_state(SERVING).serving
    assert not serving_state(SERVING[1:]).serving  # no lmgrd here
    assert not serving_state(SERVING[:1]).serving  # nothing says it serves
    down = SERVING + [Finding("lmstat.vendor-down", F, "Vendor daemon MLM is down on lic1")]
    assert not serving_state(down).serving


def test_loopback_only_listeners_of_one_server_are_one_finding():
    found = [
        Finding("listener.loopback-only", W, "lmgrd (pid 14) listens on 27000 on the loopback address only",
                evidence=["listening on 127.0.0.1:27000"], fix="Let the server listen on all addresses"),
        Finding("listener.loopback-only", W, "MLM (pid 15) listens on 27010 on the loopback address only",
                evidence=["listening on 127.0.0.1:27010"], fix="Let the server listen on all addresses"),
    ]
    (f,) = merge_facts(found)
    assert f.title == "The license server listens on the loopback address only: lmgrd (pid 14) on 27000, " \
                      "MLM (pid 15) on 27010"
    assert "listening on 127.0.0.1:27010" in f.evidence_lines
