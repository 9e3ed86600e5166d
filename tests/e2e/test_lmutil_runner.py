"""The lmutil runner against tiny fake lmutil scripts: canned output, hangs, cancel, SIGTERM-proof."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import psutil
import pytest

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.lmutil import find_lmutil, run_lmdiag, run_lmstat, run_lmutil
from lmdoctor.checks.runtime import CancelToken

FIX = Path(__file__).resolve().parent.parent / "fixtures"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fake lmutil is a POSIX script")


def fake_lmutil(tmp_path: Path, body: str, name: str = "lmutil") -> Path:
    """A python script named lmutil; it records its argv in argv.txt, then runs ``body``."""
    p = tmp_path / name
    p.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time, signal, subprocess\n"
        f"HERE = {str(tmp_path)!r}\n"
        "open(os.path.join(HERE, 'argv.txt'), 'w').write('\\n'.join(sys.argv[1:]))\n"
        "open(os.path.join(HERE, 'pid.txt'), 'w').write(str(os.getpid()))\n"
        + body
    )
    p.chmod(0o755)
    return p


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int) -> bool:
    # A reparented grandchild is reaped by init asynchronously; allow it a moment.
    for _ in range(100):
        if gone(pid):
            return True
        threading.Event().wait(0.05)
    return gone(pid)


def test_canned_lmstat_output_is_parsed_into_findings(tmp_path):
    canned = (FIX / "lmstat" / "sigasi_down.txt").read_text()
    exe = fake_lmutil(tmp_path, f"sys.stdout.write({canned!r})\n")
    seen = []
    out = run_lmstat("27000@lic1", str(exe), timeout=30, on_finding=seen.append)
    assert (tmp_path / "argv.txt").read_text().split("\n") == ["lmstat", "-a", "-c", "27000@lic1"]
    assert out.run.ok and out.run.returncode == 0
    assert out.lmstat.servers[0].host == "lic1" and not out.lmstat.servers[0].up
    assert [f.id for f in out.findings] == [f.id for f in seen]
    assert "lmstat.server-down" in [f.id for f in out.findings]


def test_canned_lmdiag_output(tmp_path):
    canned = (FIX / "lmdiag" / "sigasi_mixed.txt").read_text()
    exe = fake_lmutil(tmp_path, f"sys.stdout.write({canned!r})\n")
    out = run_lmdiag("27000@lic1", str(exe), timeout=30)
    assert (tmp_path / "argv.txt").read_text().split("\n") == ["lmdiag", "-n", "-c", "27000@lic1"]
    ids = [f.id for f in out.findings]
    assert ids.count("lmdiag.can-checkout") == 1 and ids.count("lmdiag.cannot-checkout") == 1


def test_hanging_lmutil_is_killed_with_its_children(tmp_path):
    body = (
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "open(os.path.join(HERE, 'child.txt'), 'w').write(str(child.pid))\n"
        "print('License server status: 27000@h1,27000@h2,27000@h3', flush=True)\n"
        "time.sleep(300)\n"
    )
    exe = fake_lmutil(tmp_path, body)
    out = run_lmstat("27000@h1,27000@h2,27000@h3", str(exe), timeout=1.5)
    assert out.run.timed_out and not out.run.ok
    (t,) = [f for f in out.findings if f.id == "lmstat.timeout"]
    assert t.status is Status.FAIL and "27000@h1,27000@h2,27000@h3" in t.title
    # What it printed before hanging is still read.
    assert out.lmstat is not None and len(out.lmstat.blocks[0].members) == 3
    assert wait_gone(int((tmp_path / "pid.txt").read_text()))
    assert wait_gone(int((tmp_path / "child.txt").read_text()))


def test_lmutil_ignoring_sigterm_is_killed(tmp_path):
    exe = fake_lmutil(tmp_path, "signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(300)\n")
    res = run_lmutil([str(exe), "lmstat", "-a"], timeout=1.0)
    assert res.timed_out and res.returncode == -9
    assert wait_gone(int((tmp_path / "pid.txt").read_text()))


def test_cancel_stops_a_running_lmutil(tmp_path):
    exe = fake_lmutil(tmp_path, "time.sleep(300)\n")
    token = CancelToken()
    timer = threading.Timer(0.5, token.cancel)
    timer.start()
    try:
        out = run_lmstat("27000@lic1", str(exe), timeout=120, cancel=token)
    finally:
        timer.cancel()
    assert out.run.cancelled and not out.run.timed_out
    assert [f.id for f in out.findings] == ["lmstat.cancelled"]
    assert out.findings[0].status is Status.SKIP
    assert wait_gone(int((tmp_path / "pid.txt").read_text()))


def test_missing_or_unexecutable_lmutil_is_a_skip_finding(tmp_path):
    out = run_lmstat("27000@lic1", str(tmp_path / "no-such-lmutil"), timeout=5)
    assert [f.id for f in out.findings] == ["lmstat.not-run"] and "not found" in out.findings[0].detail
    plain = tmp_path / "lmutil"
    plain.write_text("not a program")
    out = run_lmstat("27000@lic1", str(plain), timeout=5)
    assert out.findings[0].id == "lmstat.not-run" and "not executable" in out.findings[0].detail


def test_find_lmutil_order(tmp_path, monkeypatch):
    lic_dir = tmp_path / "server"
    lic_dir.mkdir()
    (lic_dir / "sigasi.lic").write_text("SERVER h 001122334455 27000\n")
    path_dir = tmp_path / "bin"
    path_dir.mkdir()
    on_path = fake_lmutil(path_dir, "")
    monkeypatch.setenv("PATH", str(path_dir))
    loc = find_lmutil(license_path=str(lic_dir / "sigasi.lic"), look_at_processes=False)
    assert loc.how == "PATH" and loc.path == str(on_path)
    beside = fake_lmutil(lic_dir, "")
    loc = find_lmutil(license_path=str(lic_dir / "sigasi.lic"), look_at_processes=False)
    assert loc.how == "next to the license file" and loc.path == str(beside)
    loc = find_lmutil(explicit=str(on_path), license_path=str(lic_dir / "sigasi.lic"))
    assert loc.how == "argument" and loc.path == str(on_path)
    assert find_lmutil(explicit=str(path_dir)).path == str(on_path)
    assert find_lmutil(explicit=str(tmp_path / "missing")) is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_lmutil(license_path="27000@h", look_at_processes=False) is None
