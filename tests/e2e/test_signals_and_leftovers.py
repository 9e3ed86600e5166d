"""Nothing lmdoctor starts outlives it: Ctrl-C (to the process or its group), SIGTERM and SIGKILL of
`check` while a slow lmutil runs; `daemon` SIGKILLed while an lmgrd that ignores SIGHUP and SIGTERM
runs leaves a record, `check` names the leftovers with the stop command, `daemon --cleanup` stops them.
Real processes and real signals; waits poll in small steps."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional

import psutil
import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")


def poll(cond: Callable[[], object], timeout: float = 15.0, step: float = 0.02) -> object:
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got or time.monotonic() >= deadline:
            return got
        time.sleep(step)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def read_pid(path: Path) -> Optional[int]:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def kill_quietly(pids: List[int]) -> None:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def slow_lmutil(d: Path) -> Path:
    """An lmutil that ignores SIGTERM, SIGINT and SIGHUP and never finishes: only SIGKILL ends it."""
    p = d / "lmutil"
    p.write_text(f"#!{sys.executable}\n"
                 "import os, signal, time\n"
                 "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
                 "    signal.signal(s, signal.SIG_IGN)\n"
                 f"open({str(d / 'lmutil.pid')!r}, 'w').write(str(os.getpid()))\n"
                 "while True:\n"
                 "    time.sleep(0.05)\n")
    p.chmod(0o755)
    return p


def start_check(d: Path, port: int) -> subprocess.Popen:
    lic = d / "sigasi.lic"
    lic.write_text(f"SERVER 127.0.0.1 ANY {port}\nDAEMON sigasi\nINCREMENT com.sigasi.hdt sigasi 5.0 permanent 1 "
                   "SIGN=0\n")
    slow_lmutil(d)
    return subprocess.Popen([sys.executable, "-m", "lmdoctor", "check", "--license", str(lic), "--server",
                             f"{port}@127.0.0.1", "--timeout", "2", "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def interrupt_process(p: subprocess.Popen) -> None:
    p.send_signal(signal.SIGINT)


def interrupt_group(p: subprocess.Popen) -> None:  # what Ctrl-C on a terminal does
    os.killpg(p.pid, signal.SIGINT)


def terminate(p: subprocess.Popen) -> None:
    p.send_signal(signal.SIGTERM)


def sigkill(p: subprocess.Popen) -> None:
    p.send_signal(signal.SIGKILL)


@pytest.mark.parametrize("stop", [interrupt_process, interrupt_group, terminate, sigkill],
                         ids=["ctrl-c", "ctrl-c-group", "sigterm", "sigkill"])
def test_stopping_check_while_lmutil_runs_stops_lmutil(stop, tmp_path, listener):
    proc = start_check(tmp_path, listener)
    lmutil_pid = None
    try:
        lmutil_pid = poll(lambda: read_pid(tmp_path / "lmutil.pid"), timeout=30)
        assert lmutil_pid, "check never ran lmutil: " + proc.stderr.read().decode() if proc.poll() is not None else ""
        assert running(lmutil_pid)
        stop(proc)
        code = proc.wait(timeout=15)
        err = proc.stderr.read().decode()
        if stop is not sigkill:
            assert code == 3 and "interrupted" in err and "Traceback" not in err, (code, err)
        # Gone at once: the child is in its own session, ignores TERM/INT/HUP, and still does not survive.
        assert poll(lambda: not running(lmutil_pid), timeout=5), "lmutil outlived lmdoctor"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if lmutil_pid:
            kill_quietly([lmutil_pid])


# ---------------------------------------------------------------------------------------- daemon
STARTUP = ("10:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 275384 x64_lsb) started on myhost (linux) (1/2/2025)",
           "10:00:00 (lmgrd) Starting vendor daemons ... ")


def stubborn_lmgrd(d: Path) -> Path:
    """An lmgrd that ignores SIGHUP and SIGTERM (so neither the closed pty nor PDEATHSIG ends it) and
    starts a vendor daemon in a session of its own that ignores them too."""
    vendor = d / "sigasi"
    vendor.write_text("#!/bin/sh\ntrap '' HUP TERM INT\n"
                      f"echo $$ > {d / 'vendor.pid'}\nwhile :; do sleep 0.1; done\n")
    vendor.chmod(0o755)
    lmgrd = d / "lmgrd"
    lines = "".join(f"echo '{ln}'\n" for ln in STARTUP)
    lmgrd.write_text("#!/bin/sh\ntrap '' HUP TERM INT\n"
                     f"echo $$ > {d / 'lmgrd.pid'}\n" + lines +
                     f"setsid {vendor} &\nwhile :; do sleep 0.1; done\n")
    lmgrd.chmod(0o755)
    return lmgrd


def lmdoctor(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_daemon_killed_leaves_a_record_check_names_it_and_cleanup_stops_it(tmp_path):
    state = tmp_path / "state"
    env = dict(os.environ, XDG_STATE_HOME=str(state))
    lic = tmp_path / "sigasi.lic"
    lic.write_text("SERVER localhost ANY 27000\nDAEMON sigasi\nINCREMENT com.sigasi.hdt sigasi 5.0 permanent 1 "
                   "SIGN=0\n")
    lmgrd = stubborn_lmgrd(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "lmdoctor", "daemon", "--license", str(lic), "--lmgrd", str(lmgrd),
                             "--seconds", "60", "--no-live", "--no-versions"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    pids: List[int] = []
    try:
        vendor_pid = poll(lambda: read_pid(tmp_path / "vendor.pid"), timeout=30)
        lmgrd_pid = read_pid(tmp_path / "lmgrd.pid")
        assert vendor_pid and lmgrd_pid
        pids = [lmgrd_pid, vendor_pid]
        records = state / "lmdoctor"

        def recorded() -> bool:
            for f in records.glob("daemon-*.json"):
                d = json.loads(f.read_text())
                if {p["pid"] for p in d["processes"]} >= set(pids):
                    return True
            return False

        assert poll(recorded, timeout=10), "the running daemon did not record what it started"
        rec = next(records.glob("daemon-*.json"))
        assert oct(rec.stat().st_mode & 0o777) == "0o600" and oct(records.stat().st_mode & 0o777) == "0o700"
        proc.kill()
        proc.wait(timeout=10)
        time.sleep(0.3)
        assert running(lmgrd_pid) and running(vendor_pid), "this lmgrd ignores SIGTERM: it should survive"

        cp = lmdoctor("check", "--no-lmutil", "--timeout", "1", "--format", "json", env=env)
        found = [f for f in json.loads(cp.stdout)["findings"] if f["id"] == "check.daemon-leftover"]
        assert len(found) == 1, cp.stdout[:2000]
        f = found[0]
        assert "started by lmdoctor daemon, left running" in f["title"] and f["status"] == "warn"
        assert "lmdoctor daemon --cleanup" in f["fix"] and "kill -TERM" in f["fix"]
        assert any(str(lmgrd_pid) in e for e in f["evidence"]) and any(str(vendor_pid) in e for e in f["evidence"])

        cp = lmdoctor("daemon", "--cleanup", "--grace", "0.3", env=env)
        assert cp.returncode == 0, cp.stderr
        assert str(lmgrd_pid) in cp.stdout and str(vendor_pid) in cp.stdout
        assert poll(lambda: not running(lmgrd_pid) and not running(vendor_pid), timeout=5)
        assert not list(records.glob("daemon-*.json"))
        cp = lmdoctor("daemon", "--cleanup", env=env)
        assert cp.returncode == 0 and "Nothing to clean up" in cp.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_quietly(pids)


def test_a_finished_daemon_run_leaves_no_record(tmp_path):
    state = tmp_path / "state"
    env = dict(os.environ, XDG_STATE_HOME=str(state))
    lic = tmp_path / "sigasi.lic"
    lic.write_text("SERVER localhost ANY 27000\nDAEMON sigasi\n")
    lmgrd = tmp_path / "lmgrd"
    lmgrd.write_text("#!/bin/sh\n" + "".join(f"echo '{ln}'\n" for ln in STARTUP) + "sleep 30\n")
    lmgrd.chmod(0o755)
    cp = lmdoctor("daemon", "--license", str(lic), "--lmgrd", str(lmgrd), "--seconds", "0.5", "--no-versions",
                  "--format", "json", env=env)
    assert cp.returncode in (0, 1, 2), cp.stderr
    assert json.loads(cp.stdout)["run"]["stop_reason"] == "seconds"
    assert not list((state / "lmdoctor").glob("daemon-*.json"))
