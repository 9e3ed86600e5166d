"""`lmdoctor sandbox list|start|status|stop` run as a user would, in a subprocess."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import psutil

from lmdoctor.checks.sandbox import SCENARIOS
from lmdoctor.checks.sandbox.sandbox import _pid_alive


def lmdoctor(*args, timeout=90):
    return subprocess.run([sys.executable, "-m", "lmdoctor", "sandbox", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_list_prints_one_line_per_scenario():
    out = lmdoctor("list")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == list(SCENARIOS)
    assert all(len(ln.split(None, 1)) == 2 for ln in lines)
    data = json.loads(lmdoctor("list", "--format", "json").stdout)
    assert {d["name"] for d in data} == set(SCENARIOS)


def test_start_status_stop_with_daemonized_lmgrd(tmp_path):
    d = str(tmp_path / "sb")
    out = lmdoctor("start", "--dir", d, "--format", "json")
    try:
        assert out.returncode == 0, out.stderr
        info = json.loads(out.stdout)
        assert info["port_at_host"] == f"{info['lmgrd_port']}@127.0.0.1"
        assert info["stop_command"] == f"lmdoctor sandbox stop --dir {d}"
        lm = psutil.Process(info["lmgrd_pid"])
        # Detached like the real one: not a child of the lmdoctor that started it, own session.
        assert lm.name() == "lmgrd" and lm.ppid() != os.getpid()
        assert os.getsid(lm.pid) != os.getsid(0)
        assert lm.cmdline() == [f"{d}/lmgrd", "-c", f"{d}/sigasi.lic", "-l", f"{d}/debug.log"]
        st = lmdoctor("status", "--dir", d)
        assert st.returncode == 0 and "lmgrd" in st.stdout and "sigasi" in st.stdout
        assert str(info["lmgrd_port"]) in st.stdout
    finally:
        stop = lmdoctor("stop", "--dir", d)
    assert stop.returncode == 0 and "Stopped 2 sandbox process(es)" in stop.stdout
    assert not _pid_alive(info["lmgrd_pid"]) and not _pid_alive(info["vendor_pid"])
    again = lmdoctor("stop", "--dir", d)
    assert again.returncode == 0 and "Nothing running" in again.stdout
    assert "Nothing running" in lmdoctor("status", "--dir", d).stdout


def test_start_text_output_tells_what_to_use_and_how_to_stop(tmp_path):
    d = str(tmp_path / "sb")
    out = lmdoctor("start", "--dir", d, "--scenario", "expired-feature")
    try:
        assert out.returncode == 0, out.stderr
        assert "port@host:" in out.stdout and "@127.0.0.1" in out.stdout
        assert re.search(rf"license:\s+{re.escape(d)}/sigasi.lic", out.stdout)
        assert re.search(rf"debug log:\s+{re.escape(d)}/debug.log", out.stdout)
        assert f"lmdoctor sandbox stop --dir {d}" in out.stdout
        assert "sigasi:" in out.stdout and "exited" in out.stdout
    finally:
        lmdoctor("stop", "--dir", d)


def test_unknown_scenario_is_a_usage_error(tmp_path):
    out = lmdoctor("start", "--dir", str(tmp_path / "x"), "--scenario", "nope")
    assert out.returncode == 3 and "unknown scenario" in out.stderr


def test_stop_of_a_missing_dir_is_harmless(tmp_path):
    out = lmdoctor("stop", "--dir", str(tmp_path / "never"))
    assert out.returncode == 0 and "Nothing running" in out.stdout
