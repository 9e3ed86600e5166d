"""Every sandbox scenario, started for real: its log says what it is about and the right
processes run under the right names on the right ports."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from lmdoctor.checks.sandbox import SCENARIOS, Sandbox
from lmdoctor.checks.sandbox.sandbox import _pid_alive


def _listening(pid: int) -> set:
    p = psutil.Process(pid)
    conns = p.net_connections("tcp") if hasattr(p, "net_connections") else p.connections("tcp")
    return {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_produces_its_messages_and_process_states(sandbox_factory, name):
    sc = SCENARIOS[name]
    info = sandbox_factory(name)
    log = info.log_text()
    assert info.settled, log
    for needle in sc.expect:
        assert needle in log, f"{name}: {needle!r} missing from\n{log}"
    assert info.lmgrd_pid, log
    assert _pid_alive(info.lmgrd_pid) == sc.lmgrd_up, log
    if sc.lmgrd_up:
        lm = psutil.Process(info.lmgrd_pid)
        assert lm.name() == "lmgrd"
        assert lm.cmdline()[:5] == [info.lmgrd_path, "-c", info.license_path, "-l", info.log_path]
        assert info.lmgrd_port in _listening(info.lmgrd_pid)
    if sc.vendor_up:
        assert info.vendor_pid and _pid_alive(info.vendor_pid), log
        vd = psutil.Process(info.vendor_pid)
        assert vd.name() == "sigasi"
        assert vd.cmdline()[0] == info.vendor_path
        assert vd.ppid() == info.lmgrd_pid
        assert info.vendor_port in _listening(info.vendor_pid)
    elif info.vendor_pid:
        assert not _pid_alive(info.vendor_pid), log


def test_healthy_log_has_real_timestamps_and_lock_files(sandbox):
    import re

    log = sandbox.log_text()
    lines = [ln for ln in log.splitlines() if ln.strip()]
    assert all(re.match(r"^[ \d]\d:\d\d:\d\d \((lmgrd|sigasi)\) ", ln) for ln in lines), log
    assert f"lmgrd tcp-port {sandbox.lmgrd_port}" in log
    assert f"Started sigasi (internet tcp_port {sandbox.vendor_port} pid {sandbox.vendor_pid})" in log
    assert Path(sandbox.lock_dir, f"lmgrd.{sandbox.lmgrd_pid}").is_file()
    assert Path(sandbox.lock_root, "var", "tmp", "locksigasi").is_file()


def test_no_lock_dir_names_the_missing_directory(sandbox_factory):
    info = sandbox_factory("no-lock-dir")
    assert f"Can't make directory {info.lock_dir}, errno: 2(No such file or directory)" in info.log_text()
    assert not Path(info.lock_dir).exists()


def test_wrong_hostid_names_the_license_file(sandbox_factory):
    info = sandbox_factory("wrong-hostid")
    assert f"Wrong hostid on SERVER line for license file: {info.license_path}" in info.log_text()


def test_duplicate_keeps_the_first_server_serving(sandbox_factory):
    info = sandbox_factory("duplicate")
    first = Path(info.first_log_path).read_text()
    assert "(sigasi) Server started on" in first
    names = sorted(p.info["name"] for p in psutil.process_iter(["name", "cmdline", "status"])
                   if p.info["name"] in ("lmgrd", "sigasi") and p.info["status"] != psutil.STATUS_ZOMBIE
                   and info.dir in " ".join(p.info["cmdline"] or []))
    assert names == ["lmgrd", "lmgrd", "sigasi"]


def test_server_port_in_use_names_the_port(sandbox_factory):
    info = sandbox_factory("server-port-in-use")
    assert f"The TCP port number in the license, {info.lmgrd_port}, is already in use." in info.log_text()
    assert info.holder_pids and _pid_alive(info.holder_pids[0])


def test_stop_leaves_nothing_running_and_is_idempotent(tmp_path):
    sb = Sandbox(str(tmp_path / "sb"))
    info = sb.start("duplicate")
    pids = [p.pid for p in sb.status().processes]
    assert len(pids) == 3 and info.lmgrd_pid in pids
    stopped = sb.stop()
    assert sorted(stopped) == sorted(pids)
    assert not any(_pid_alive(p) for p in pids)
    assert sb.status().processes == []
    assert sb.stop() == []
    assert list(Path(tmp_path / "sb" / "pids").iterdir()) == []


def test_context_manager_stops(tmp_path):
    with Sandbox(str(tmp_path / "sb")) as sb:
        info = sb.start("vendor-port-in-use")
        holder = info.holder_pids[0]
        assert _pid_alive(info.lmgrd_pid) and _pid_alive(holder)
    assert not _pid_alive(info.lmgrd_pid) and not _pid_alive(holder)


def test_starting_twice_in_one_dir_is_refused(sandbox_factory):
    from lmdoctor.checks.sandbox import SandboxError

    info = sandbox_factory("healthy")
    with pytest.raises(SandboxError, match="already running"):
        Sandbox(info.dir).start("healthy")


def test_foreground_lmgrd_exits_15_on_sigterm_and_stops_its_vendor_daemon(sandbox_factory):
    info = sandbox_factory("healthy", foreground=True)
    proc = sandbox_factory.last._procs[0]
    assert proc.pid == info.lmgrd_pid  # -z: no fork
    os.kill(info.lmgrd_pid, signal.SIGTERM)
    assert proc.wait(timeout=15) == 15
    deadline = time.monotonic() + 5
    while _pid_alive(info.vendor_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(info.vendor_pid)
    log = info.log_text()
    assert "(lmgrd) EXITING DUE TO SIGNAL 15" in log
    assert "(sigasi) daemon shutdown requested - shutting down" in log


def test_lmgrd_z_without_l_logs_to_stdout(sandbox_factory, tmp_path):
    info = sandbox_factory("healthy")
    sandbox_factory.last.stop()
    proc = subprocess.Popen([info.lmgrd_path, "-z", "-c", info.license_path], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, cwd=info.dir)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "(sigasi) Server started on" in line:
                break
        assert any("(lmgrd) lmgrd tcp-port" in ln for ln in seen), seen
        assert psutil.Process(proc.pid).name() == "lmgrd"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 15
        proc.stdout.close()


def test_lmgrd_and_vendor_daemon_answer_v(sandbox_factory):
    info = sandbox_factory("old-lmgrd")
    out = subprocess.run([info.lmgrd_path, "-v"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("lmgrd v11.13.1.2 build ")
    out = subprocess.run([info.vendor_path, "-v"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("sigasi v11.16.4.0 build ")


def test_vendor_daemon_started_by_hand_cannot_talk_to_lmgrd(sandbox_factory):
    info = sandbox_factory("healthy")
    out = subprocess.run([info.vendor_path, "-c", info.license_path], capture_output=True, text=True, timeout=30)
    assert out.returncode == 37
    assert "(sigasi) Vendor daemon can't talk to lmgrd" in out.stdout
    assert "EXITING DUE TO SIGNAL 37 Exit reason 5" in out.stdout


def test_scripts_run_with_this_python(sandbox):
    first = Path(sandbox.lmgrd_path).read_text().splitlines()[0]
    assert first == f"#!{sys.executable}"
    assert os.access(sandbox.lmgrd_path, os.X_OK)


def test_sigterm_while_retrying_a_busy_port_exits_15(sandbox_factory):
    info = sandbox_factory("healthy")
    sb = sandbox_factory.last
    sb.stop()
    import socket

    from lmdoctor.checks.sandbox.sandbox import free_ports  # noqa: F401 - the port below is the license's own

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", info.lmgrd_port))
    blocker.listen(1)
    env = dict(os.environ, LMDOCTOR_SANDBOX_PORT_RETRY="60", LMDOCTOR_SANDBOX_ROOT=info.lock_root)
    proc = subprocess.Popen([info.lmgrd_path, "-z", "-c", info.license_path, "-l", info.log_path], env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while "Retrying for about 1 more minute" not in info.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "is already in use." in info.log_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        blocker.close()
