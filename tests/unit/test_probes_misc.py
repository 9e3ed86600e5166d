"""Tunnels, identity, system files and the runner, on snapshots and temp files."""
from __future__ import annotations

import os
import threading

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.hostinfo import HostIdentity
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.identity import probe_identity
from lmdoctor.checks.probes.runner import Probe, run_probes
from lmdoctor.checks.probes.snapshot import Listener, ProcessScan, ProcInfo
from lmdoctor.checks.probes.system import check_loaders, check_locks, check_usr_tmp
from lmdoctor.checks.probes.tunnels import ipv4_only, parse_ssh_forwards, probe_tunnels
from lmdoctor.checks.runtime import CancelToken, RunState

LIC = "SERVER srv 001122334455 27000\nDAEMON sigasi port=27001\nINCREMENT com.sigasi.hdt sigasi 5.0 permanent 4\n"


# ---------------------------------------------------------------- tunnels

def test_parse_ssh_forwards_all_spellings():
    fw = parse_ssh_forwards(["ssh", "-fNL", "27000:srv:27000", "-L27001:srv:27001", "-o",
                             "LocalForward=27002 srv:27002", "-R", "[::1]:9000:localhost:9001", "-p", "22",
                             "-D", "1080", "user@gw", "-L", "1:2:3"])
    assert [(f.kind, f.listen_port, f.dest_host, f.dest_port) for f in fw] == [
        ("L", 27000, "srv", 27000), ("L", 27001, "srv", 27001), ("L", 27002, "srv", 27002),
        ("R", 9000, "localhost", 9001)]
    assert fw[3].bind == "::1"
    assert parse_ssh_forwards(["ssh", "-L", "garbage", "-L"]) == []
    assert ipv4_only(["ssh", "-4fN", "-L", "1:h:2", "gw"]) and not ipv4_only(["ssh", "-L", "4:h:4", "gw"])


def _ssh(pid, *args):
    return ProcInfo(pid=pid, name="ssh", role="ssh", user="me", cmdline=("ssh",) + args)


def test_tunnel_without_the_vendor_port_and_localhost_trap():
    scan = ProcessScan(processes=[_ssh(7, "-4", "-N", "-L", "27000:srv:27000", "gw")], listeners=[
        Listener("127.0.0.1", 27000, 7, "ipv4")])
    ctx = ProbeContext(license=parse_license(LIC), scan=scan, env={"SIGASI_LM_LICENSE_FILE": "27000@localhost"})
    ids = [f.id for f in probe_tunnels(ctx)]
    assert ids[:2] == ["tunnel.found", "tunnel.vendor-port-missing"]
    assert "tunnel.localhost-ipv4" in ids


def test_tunnel_with_both_ports_and_127_is_fine_but_renumbering_is_flagged():
    scan = ProcessScan(processes=[_ssh(8, "-L", "27000:srv:27000", "-L", "27011:srv:27001", "gw")], listeners=[])
    ctx = ProbeContext(license=parse_license(LIC), scan=scan, env={"SIGASI_LM_LICENSE_FILE": "27000@127.0.0.1"})
    found = {f.id: f for f in probe_tunnels(ctx)}
    assert "tunnel.vendor-port-missing" not in found and "tunnel.localhost-ipv4" not in found
    assert found["tunnel.port-renumbered"].status is Status.WARN


def test_tunnel_when_the_vendor_port_is_random():
    scan = ProcessScan(processes=[_ssh(9, "-L", "27000:srv:27000", "gw")], listeners=[])
    ctx = ProbeContext(license=parse_license("SERVER srv 001122334455 27000\nDAEMON sigasi\n"), scan=scan, env={})
    assert "tunnel.vendor-port-random" in [f.id for f in probe_tunnels(ctx)]


def test_the_random_vendor_port_fix_names_the_license_vendor_not_sigasi():
    scan = ProcessScan(processes=[_ssh(9, "-L", "27000:srv:27000", "gw")], listeners=[])
    ctx = ProbeContext(license=parse_license("SERVER srv 001122334455 27000\nVENDOR ansyslmd\n"), scan=scan, env={})
    (f,) = [f for f in probe_tunnels(ctx) if f.id == "tunnel.vendor-port-random"]
    assert "DAEMON ansyslmd port=27001" in f.fix and "sigasi" not in f.fix


def test_no_tunnels():
    ctx = ProbeContext(scan=ProcessScan(processes=[_ssh(3, "gw", "ls")]), env={})
    assert [f.id for f in probe_tunnels(ctx)] == ["tunnel.none"]


# ---------------------------------------------------------------- identity

def test_no_interfaces_is_a_warning():
    ctx = ProbeContext(env={}, identity=HostIdentity(short_name="box", fqdn="box", macs={}))
    found = {f.id: f for f in probe_identity(ctx)}
    assert found["identity.no-interfaces"].status is Status.WARN and "identity.macs" not in found


def test_server_host_here_or_elsewhere():
    ident = HostIdentity(short_name="box", fqdn="box.example.com", macs={"001122334455": "eth0"})
    lic = parse_license("SERVER box.example.com 001122334455 27000\nSERVER other 001122334456 27000\n"
                        "SERVER your_server_name1 001122334457 27000\n")
    found = probe_identity(ProbeContext(license=lic, env={}, identity=ident))
    ids = [f.id for f in found]
    assert ids.count("identity.server-is-here") == 1 and ids.count("identity.server-elsewhere") == 1
    assert "001122334455 (eth0)" in [e for f in found if f.id == "identity.macs" for e in f.evidence_lines]


# ---------------------------------------------------------------- system

def test_usr_tmp_missing_writable_and_flexlm_subdir(tmp_path):
    out = []
    check_usr_tmp(out.append, True, root=str(tmp_path / "nope"))
    assert out[-1].id == "system.usr-tmp-missing" and out[-1].status is Status.FAIL
    check_usr_tmp(out.append, False, root=str(tmp_path / "nope"))
    assert out[-1].status is Status.INFO
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    check_usr_tmp(out.append, True, root=str(tmp_path / "link"))
    assert "broken symbolic link" in out[-1].title
    check_usr_tmp(out.append, True, root=str(tmp_path))
    assert out[-1].id == "system.usr-tmp"


def test_missing_lsb_loader_read_from_the_binary(tmp_path):
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from test_elf import craft

    b = tmp_path / "lmgrd"
    b.write_bytes(craft(b"/nonexistent-dir/ld-lsb-x86-64.so.3\0"))
    ok = tmp_path / "fine"
    import shutil

    shutil.copy(shutil.which("ls") or "/bin/ls", ok)
    out = []
    check_loaders(out.append, {str(b): "test", str(ok): "test"})
    by = {f.id: f for f in out}
    assert by["system.lsb-loader-missing"].status is Status.FAIL
    assert "ln -s ld-linux-x86-64.so.2 ld-lsb-x86-64.so.3" in by["system.lsb-loader-missing"].fix
    assert by["system.loader"].status is Status.OK


def test_lock_files(tmp_path):
    lock = tmp_path / "locksigasi"
    lock.write_text("")
    out = []
    check_locks(out.append, ["sigasi"], ProcessScan(), lock_dir=str(tmp_path))
    # Owned by us (root or not): left over but harmless for this user.
    assert [f.id for f in out] == ["system.lock-leftover"]
    out = []
    check_locks(out.append, ["other"], ProcessScan(), lock_dir=str(tmp_path))
    assert out == []


def test_not_linux_skips_linux_only_checks(monkeypatch):
    import lmdoctor.checks.probes.system as system

    monkeypatch.setattr(system.sys, "platform", "win32")
    found = system.probe_system(ProbeContext(scan=ProcessScan(), env={}))
    assert [f.id for f in found] == ["system.not-linux"]


# ---------------------------------------------------------------- runner

def test_runner_streams_reports_progress_and_survives_a_broken_probe():
    seen, events = [], []
    lock = threading.Lock()

    def good(ctx, cancel, sink):
        f = Finding("x.good", Status.OK, "good")
        sink(f)
        return [f]

    def bad(ctx, cancel, sink):
        raise RuntimeError("boom")

    def quiet_return(ctx, cancel, sink):
        return [Finding("x.returned", Status.INFO, "only returned")]

    def record(ev):
        with lock:
            events.append((ev.probe, ev.state))

    out = run_probes(ProbeContext(env={}), [Probe("good", "good", good), Probe("bad", "bad", bad),
                                            Probe("ret", "ret", quiet_return)],
                     on_finding=seen.append, on_progress=record)
    assert [f.id for f in out] == ["x.good", "check.probe-error", "x.returned"]
    assert sorted(f.id for f in seen) == sorted(f.id for f in out)
    assert "boom" in out[1].detail and out[1].status is Status.SKIP
    S = RunState
    assert sorted(events) == sorted([("good", S.STARTED), ("good", S.FINISHED), ("bad", S.STARTED),
                                     ("bad", S.FAILED), ("ret", S.STARTED), ("ret", S.FINISHED)])
    assert all(isinstance(state, RunState) for _, state in events)


def test_runner_cancel():
    token = CancelToken()

    def waits(ctx, cancel, sink):
        token.cancel()
        cancel.check()
        return []

    states = []
    run_probes(ProbeContext(env={}), [Probe("w", "w", waits)], cancel=token,
               on_progress=lambda ev: states.append(ev.state))
    assert states == [RunState.STARTED, RunState.CANCELLED]
    assert run_probes(ProbeContext(env={}), [Probe("w", "w", waits)], cancel=token) == []
