"""The process probe: argument parsing, classification, and what the OS throws at it.

psutil is monkeypatched only to simulate AccessDenied and another OS; vanished and zombie
processes are real.
"""
from __future__ import annotations

import subprocess
import sys
import time

import psutil

from lmdoctor.checks.findings import Status
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.processes import probe_processes
from lmdoctor.checks.probes.snapshot import (
    ProcessScan,
    ProcInfo,
    _read_details,
    base_name,
    classify,
    parse_args,
    scan_processes,
)


def test_parse_args_finds_license_and_log_behind_an_interpreter():
    assert parse_args(["/usr/bin/python3", "/x/lmgrd", "-c", "/a/s.lic", "-l", "+/a/debug.log"]) == (
        "/a/s.lic", "/a/debug.log")
    assert parse_args(["sigasi", "-T", "h", "11.16", "3", "-c", ":/a/s.lic:", "--lmgrd_start", "x"])[0] == "/a/s.lic"
    assert parse_args(["lmgrd", "-c"]) == (None, None)
    assert parse_args([]) == (None, None)


def test_classify_and_base_name():
    assert base_name("C:\\FlexLM\\LMGRD.EXE") == "lmgrd"
    assert classify("lmgrd", (), ["sigasi"]) == "lmgrd"
    assert classify("sigasi.exe", (), ["sigasi"]) == "vendor"
    assert classify("MLM", (), ["sigasi", "mlm"]) == "vendor"
    assert classify("lmtools.exe", (), []) == "lmtools"
    assert classify("ssh", (), []) == "ssh"
    assert classify("bash", (), ["sigasi"]) is None


def _named_sleeper(tmp_path, name: str) -> subprocess.Popen:
    exe = tmp_path / name
    exe.write_text(f"#!{sys.executable}\nimport sys; sys.stdin.read()\n")
    exe.chmod(0o755)
    return subprocess.Popen([str(exe), "-c", str(tmp_path / "x.lic")], stdin=subprocess.PIPE)


def _wait_named(pid: int, name: str) -> None:
    for _ in range(100):
        try:
            if psutil.Process(pid).name() == name:
                return
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} never got the name {name}")


def test_access_denied_becomes_a_skip_saying_root_would_see_more(tmp_path, monkeypatch):
    proc = _named_sleeper(tmp_path, "lmgrd")
    try:
        _wait_named(proc.pid, "lmgrd")
        real = psutil.Process.cmdline

        def denied(self):
            if self.pid == proc.pid:
                raise psutil.AccessDenied(self.pid)
            return real(self)

        monkeypatch.setattr(psutil.Process, "cmdline", denied)
        scan = scan_processes(["sigasi"])
        mine = scan.find(proc.pid)
        assert mine is not None and "cmdline" in mine.denied and mine.license_arg is None
        found = probe_processes(ProbeContext(scan=scan, env={}))
        skip = [f for f in found if f.id == "process.access-denied"]
        assert skip and skip[0].status is Status.SKIP and "root would see more" in skip[0].title
        assert f"pid {proc.pid}" in skip[0].evidence_lines
    finally:
        proc.stdin.close()
        proc.wait(5)


def test_a_process_that_exits_mid_scan_is_skipped_silently(tmp_path):
    proc = _named_sleeper(tmp_path, "lmgrd")
    _wait_named(proc.pid, "lmgrd")
    p = psutil.Process(proc.pid)
    proc.stdin.close()
    proc.wait(5)  # gone (and reaped) between listing and reading its details
    assert _read_details(psutil, p, "lmgrd", "lmgrd") is None


def test_a_zombie_named_lmgrd_does_not_break_the_scan(tmp_path):
    proc = _named_sleeper(tmp_path, "lmgrd")
    try:
        _wait_named(proc.pid, "lmgrd")
        proc.stdin.close()
        for _ in range(100):  # exited, not reaped: a zombie
            if psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE:
                break
            time.sleep(0.02)
        assert psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE
        scan = scan_processes(["sigasi"])
        assert scan.error is None
        z = scan.find(proc.pid)
        assert z is None or z.cmdline == ()  # left out, or kept without details
        probe_processes(ProbeContext(scan=scan, env={}))
    finally:
        proc.wait(5)


def test_psutil_refusing_to_list_processes_is_a_skip(monkeypatch):
    # Another OS (or a hardened /proc) may refuse the process list altogether.
    def refuse(*a, **k):
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "process_iter", refuse)
    scan = scan_processes(["sigasi"])
    assert scan.error and "cannot list processes" in scan.error
    found = probe_processes(ProbeContext(scan=scan, env={}))
    assert [f.id for f in found] == ["process.scan-failed"] and found[0].status is Status.SKIP


def _p(pid, name, role, ppid=1, lic="/l/a.lic", user="flex"):
    return ProcInfo(pid=pid, name=name, role=role, ppid=ppid, user=user, cmdline=(name, "-c", lic),
                    license_arg=lic)


def test_duplicate_orphan_and_root_rules_on_a_snapshot():
    scan = ProcessScan(processes=[
        _p(10, "lmgrd", "lmgrd"), _p(11, "lmgrd", "lmgrd", user="root"), _p(12, "sigasi", "vendor", ppid=10),
        _p(20, "lmgrd", "lmgrd", lic="/l/other.lic"),  # another license: not a duplicate, but no vendor daemon
        _p(30, "sigasi", "vendor", lic="/l/third.lic"),  # no lmgrd for it
    ], listeners=[])
    found = probe_processes(ProbeContext(scan=scan, env={}))
    by = {}
    for f in found:
        by.setdefault(f.id, []).append(f)
    dup = by["process.duplicate-lmgrd"]
    assert len(dup) == 1 and "pid 10 " in " ".join(dup[0].evidence_lines) and "pid 11 " in " ".join(
        dup[0].evidence_lines)
    assert [f.title for f in by["process.lmgrd-without-vendor"]] == ["lmgrd (pid 20) runs without its vendor daemon"]
    assert "(sigasi)" in by["process.lmgrd-without-vendor"][0].detail  # no license: the name looked for
    assert [f.title for f in by["process.vendor-without-lmgrd"]] == [
        "Vendor daemon sigasi (pid 30) runs without lmgrd"]
    assert [f.title for f in by["process.running-as-root"]] == ["lmgrd (pid 11) runs as root"]


def test_lmgrd_without_its_vendor_daemon_names_the_license_vendor():
    from lmdoctor.checks.license import parse_license

    scan = ProcessScan(processes=[_p(20, "lmgrd", "lmgrd")], listeners=[])
    lic = parse_license(b"SERVER srv 001122334455 27000\nVENDOR mlm port=27001\n", path="/l/a.lic")
    (f,) = [f for f in probe_processes(ProbeContext(license=lic, scan=scan, env={}))
            if f.id == "process.lmgrd-without-vendor"]
    assert "vendor daemon (mlm)" in f.detail and "sigasi" not in f.detail


def test_absurd_command_line_is_cut_in_findings():
    p = ProcInfo(pid=5, name="lmgrd", role="lmgrd", cmdline=("lmgrd", "-c", "x" * 1_000_000))
    text = " ".join(p.describe())
    assert len(text) < 5000 and "characters" in text
