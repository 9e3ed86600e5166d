"""Run as root, lmdoctor never executes a binary it found that another user could have changed (owned
by someone else, group/world-writable, in a directory others can write); it names it (path, owner) and
runs it only when the user names it (--lmutil PATH, --lmgrd PATH). Tests run as root here, so the
nobody-owned binaries are real."""
from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
NOBODY = pwd.getpwnam("nobody").pw_uid


def exe(path: Path, body: str = "exit 0\n", mode: int = 0o755) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(mode)
    return path


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def test_check_does_not_run_a_nobody_owned_lmutil_unless_named(tmp_path, listener):
    d = tmp_path / "opt"
    d.mkdir(mode=0o755)
    lic = d / "sigasi.lic"
    lic.write_text(f"SERVER 127.0.0.1 ANY {listener}\nDAEMON sigasi\nINCREMENT com.sigasi.hdt sigasi 5.0 "
                   "permanent 1 SIGN=0\n")
    marker = tmp_path / "ran"
    lmutil = exe(d / "lmutil", f"echo \"$@\" >> {marker}\nexit 1\n")
    os.chown(lmutil, NOBODY, -1)
    base = [sys.executable, "-m", "lmdoctor", "check", "--license", str(lic), "--server", f"{listener}@127.0.0.1",
            "--timeout", "1", "--format", "json"]
    env = dict(os.environ)
    env.pop("SUDO_UID", None)
    cp = subprocess.run(base, capture_output=True, text=True, timeout=120, env=env)
    doc = json.loads(cp.stdout)
    found = [f for f in doc["findings"] if f["id"] == "check.lmutil-untrusted"]
    assert len(found) == 1, [f["id"] for f in doc["findings"]]
    f = found[0]
    assert f["status"] == "warn" and str(lmutil) in f["title"] and f"nobody (uid {NOBODY})" in f["detail"]
    assert f"lmdoctor check --lmutil {lmutil}" in f["fix"]
    assert not marker.exists(), "the nobody-owned lmutil was executed"

    cp = subprocess.run(base + ["--lmutil", str(lmutil)], capture_output=True, text=True, timeout=120, env=env)
    assert marker.exists() and "lmstat" in marker.read_text(), cp.stderr
    assert "check.lmutil-untrusted" not in cp.stdout


def test_daemon_does_not_run_a_nobody_owned_lmgrd_unless_named(tmp_path):
    d = tmp_path / "opt"
    d.mkdir(mode=0o755)
    lic = d / "sigasi.lic"
    lic.write_text("SERVER localhost ANY 27000\nDAEMON sigasi\n")
    marker = tmp_path / "ran"
    lmgrd = exe(d / "lmgrd", f"echo ran > {marker}\necho '10:00:00 (lmgrd) hello'\nsleep 5\n")
    os.chown(lmgrd, NOBODY, -1)
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("SUDO_UID", None)
    cp = subprocess.run([sys.executable, "-m", "lmdoctor", "daemon", "--license", str(lic), "--seconds", "0.5",
                         "--no-versions"], capture_output=True, text=True, timeout=60, env=env)
    assert cp.returncode == 3 and not marker.exists()
    line = cp.stderr.strip()
    assert line.startswith(f"lmdoctor: not running {lmgrd} as root: owned by nobody") and f"--lmgrd {lmgrd}" in line
    cp = subprocess.run([sys.executable, "-m", "lmdoctor", "daemon", "--license", str(lic), "--lmgrd", str(lmgrd),
                         "--seconds", "0.5", "--no-versions"], capture_output=True, text=True, timeout=60, env=env)
    assert marker.exists(), cp.stderr
