"""`lmdoctor check` against every sandbox scenario: each reports the finding that scenario is about.

The sandbox runs real lmgrd / sigasi / lmutil processes on 127.0.0.1; `check` finds them the way it
finds a real FlexNet server (process table, sockets, the license, lmgrd's debug log, lmutil lmstat).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Dict, List

import pytest

# scenario -> (finding id that must be there, its status)
EXPECTED = {
    "placeholder-host": ("license.placeholder-host", "fail"),
    "no-server-lines": ("license.no-server-lines", "fail"),
    "wrong-hostid": ("license.hostid-mismatch", "fail"),
    "server-port-in-use": ("listener.foreign-process", "fail"),
    "vendor-port-in-use": ("listener.foreign-process", "fail"),
    "duplicate": ("process.vendor-conflict", "fail"),
    "no-lock-dir": ("log.usr-tmp", "fail"),
    "expired-feature": ("license.expired", "fail"),
    "unsupported-probe": ("log.unsupported-sigasi-probe", "info"),
    "old-lmgrd": ("lmstat.version-mismatch", "warn"),
}


def run_check(license_path: str, home) -> Dict:
    env = {k: v for k, v in os.environ.items() if not k.endswith("LICENSE_FILE")}
    env["HOME"] = str(home)
    cp = subprocess.run([sys.executable, "-m", "lmdoctor", "check", "--license", license_path, "--timeout", "1",
                         "--format", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert cp.returncode in (0, 1, 2), cp.stderr
    return json.loads(cp.stdout)


def ids(report: Dict) -> Dict[str, List[Dict]]:
    out: Dict[str, List[Dict]] = {}
    for f in report["findings"]:
        out.setdefault(f["id"], []).append(f)
    return out


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_check_reports_what_the_scenario_is_about(sandbox_factory, tmp_path, scenario):
    info = sandbox_factory(scenario)
    report = run_check(info.license_path, tmp_path)
    found = ids(report)
    want_id, want_status = EXPECTED[scenario]
    assert want_id in found, f"{scenario}: {sorted(found)}"
    assert want_status in {f["status"] for f in found[want_id]}
    assert report["license"]["path"] == info.license_path


def test_healthy_server_has_no_server_side_failure(sandbox_factory, tmp_path):
    info = sandbox_factory("healthy")
    report = run_check(info.license_path, tmp_path)
    found = ids(report)
    # This machine's own state (/usr/tmp, running as root) is not the sandbox's doing.
    about_server = [f for f in report["findings"] if f["status"] == "fail"
                    and f["id"].split(".")[0] in ("license", "listener", "network", "lmstat", "log")]
    assert about_server == []
    running = [f for f in found.get("process.lmgrd", []) if f"pid {info.lmgrd_pid})" in f["title"]]
    assert running, sorted(found)
    assert any(f"pid {info.vendor_pid})" in f["title"] for f in found.get("process.vendor-daemon", []))
    assert "lmstat.server-up" in found and "log.startup" in found
    # lmdiag -n, the manual's own test, ran against the server and could check out its features.
    assert "lmdiag.can-checkout" in found and "lmdiag.cannot-checkout" not in found
    assert {f["status"] for f in found["log.startup"]} == {"ok"}


def test_vendor_daemon_older_than_lmgrd_is_an_allowed_mix(sandbox_factory, tmp_path):
    """The manual: lmgrd equal to or newer than the vendor daemon is fine; only the reverse is a fault."""
    info = sandbox_factory("old-vendor")
    found = ids(run_check(info.license_path, tmp_path))
    assert "lmstat.version-mismatch" not in found
    assert "lmstat.vendor-up" in found or "lmstat.server-up" in found


def test_every_sandbox_scenario_is_checked_here():
    from lmdoctor.checks.sandbox import SCENARIOS

    assert set(SCENARIOS) == set(EXPECTED) | {"healthy", "old-vendor"}
