"""`lmdoctor diagnose --auto` against the sandbox server scenarios: the probes walk the tree to
the leaf each scenario is about, from the live processes, sockets, license and debug log."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

SERVER = "the floating license server does not work"


def diagnose(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if "LICENSE_FILE" not in k}
    env["HOME"] = str(tmp_path)
    p = subprocess.run([sys.executable, "-m", "lmdoctor", "diagnose", *args, "--auto", "--format", "json",
                        "--timeout", "2"], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert p.stdout, p.stderr
    return p.returncode, json.loads(p.stdout)


def path_of(d):
    return [(s["id"], s["answer"], s["answered_by"]) for s in d["steps"]]


# scenario -> (message, extra args (with {log} / {server}), leaf, steps that probes must have answered)
CASES = {
    "duplicate": (SERVER, [], "S12.1", [("S5", "running"), ("S5.1", "yes")]),
    "vendor-port-in-use": (SERVER, [], "S13.1",
                           [("S5", "running"), ("S5.1", "no"), ("S5.2", "not-running"), ("S5.10", "port-in-use"),
                            ("S13", "foreign")]),
    "server-port-in-use": (SERVER, ["--log", "{log}"], "S13.1",
                           [("S5", "not-running"), ("S5.10", "port-in-use"), ("S13", "foreign")]),
    "placeholder-host": (SERVER, ["--log", "{log}"], "S3.2",
                         [("S5", "not-running"), ("S5.10", "wrong-host"), ("S14", "placeholder")]),
    "wrong-hostid": (SERVER, ["--log", "{log}"], "S14.2",
                     [("S5.10", "wrong-host"), ("S14", "ok"), ("S14.1", "mismatch")]),
    "expired-feature": (SERVER, [], "S1.10",
                        [("S5.2", "not-running"), ("S5.10", "exited"), ("S15", "no-features"), ("S15.2", "yes")]),
    "no-server-lines": ("(lmgrd) FlexNet Licensing error:-13,66", [], "S9.1", [("S9", "missing")]),
    "unsupported-probe": ("UNSUPPORTED: in the server log", ["--log", "{log}"], "S16.1", [("S16", "sigasi-probe")]),
    "old-lmgrd": ("License is not valid (Internal Flexlm Error)", [], "S5.30", [("S4", "lmgrd-older")]),
    "healthy": (SERVER, ["--server", "{server}", "--answer", "S5.5=ok", "--answer", "S5.7=valid"], "S5.26",
                [("S5", "running"), ("S5.1", "no"), ("S5.2", "running"), ("S5.3", "open"), ("S5.4", "open"),
                 ("S5.6", "no")]),
}


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_auto_reaches_the_scenarios_leaf(scenario, sandbox_factory, tmp_path):
    info = sandbox_factory(scenario)
    message, extra, leaf, measured = CASES[scenario]
    extra = [a.replace("{log}", info.log_path).replace("{server}", info.port_at_host) for a in extra]
    code, d = diagnose([message, "--license", info.license_path, *extra], tmp_path)
    steps = {(i, a): by for i, a, by in path_of(d)}
    assert d["leaf"] is not None, (scenario, path_of(d), d["pending"])
    assert d["leaf"]["id"] == leaf, (scenario, path_of(d))
    assert code == 0
    for step in measured:
        assert steps.get(step) == "probe", (scenario, step, path_of(d))
    # Every measured step carries the evidence it was decided on.
    for s in d["steps"]:
        if s["answered_by"] == "probe":
            assert s["evidence"], s


def test_duplicate_from_the_signal_message(sandbox_factory, tmp_path):
    info = sandbox_factory("duplicate")
    code, d = diagnose(['FLEXnet Error: "Exiting due to signal 32" (Exited because another server was running)',
                        "--license", info.license_path], tmp_path)
    assert d["symptom"]["id"] == "another-server"
    assert path_of(d) == [("S12", "yes", "probe")]
    assert d["leaf"]["id"] == "S12.1" and code == 0
    ev = " ".join(d["steps"][0]["evidence"])
    assert "lmgrd runs without its vendor daemon" in ev and str(info.lmgrd_pid) in ev


def test_lock_dir_message_checks_this_machines_usr_tmp(sandbox_factory, tmp_path):
    # The sandbox keeps its lock dir private; lmdoctor checks the machine's real /usr/tmp, as it would
    # for a real lmgrd, and the leaf follows what it finds there.
    info = sandbox_factory("no-lock-dir")
    code, d = diagnose(["Can't make directory /usr/tmp/.flexlm, errno: 2", "--license", info.license_path],
                       tmp_path)
    ok = os.path.isdir("/usr/tmp") and os.access("/usr/tmp", os.W_OK)
    assert path_of(d) == [("S11", "ok" if ok else "broken", "probe")]
    assert d["leaf"]["id"] == ("S11.2" if ok else "S11.1")


def test_stopped_server_without_log_asks_for_it(sandbox_factory, tmp_path):
    info = sandbox_factory("placeholder-host")
    code, d = diagnose([SERVER, "--license", info.license_path], tmp_path)
    # lmgrd is gone and nobody said where its log is: the walk measures what it can, then asks.
    assert path_of(d) == [("S5", "not-running", "probe")]
    assert code == 3 and d["pending"]["id"] == "S5.10"
    assert "--log FILE" in " ".join(d["pending"]["probe_unknown"])
