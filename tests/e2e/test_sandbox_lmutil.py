"""The sandbox lmutil's verbs against healthy and broken sandbox servers, read back with the
real-world-tolerant parsers lmdoctor uses on real lmutil output."""
from __future__ import annotations

import subprocess
import time

import pytest

from lmdoctor.checks.flexnet.lmdiag import parse_lmdiag, parse_lmhostid
from lmdoctor.checks.flexnet.lmstat import parse_lmstat
from lmdoctor.checks.hostinfo import current_identity
from lmdoctor.checks.sandbox.client import Checkout
from lmdoctor.checks.sandbox.sandbox import _pid_alive, free_ports

DOWN = 'Cannot connect to license server system. (-15,570:111 "Connection refused")'


def lmutil(info, *args, stdin=None):
    return subprocess.run([info.lmutil_path, *args], capture_output=True, text=True, input=stdin, timeout=60)


def test_lmstat_a_on_healthy_server_with_a_user(sandbox):
    with Checkout(sandbox.host, sandbox.vendor_port) as co:
        assert co.checkout("com.sigasi.hdt")[0]
        out = lmutil(sandbox, "lmstat", "-a", "-c", sandbox.port_at_host)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("lmutil - Copyright (c) 1989-")
    res = parse_lmstat(out.stdout)
    assert res.unparsed == []
    block = res.blocks[0]
    assert block.servers[0].up and block.servers[0].master and block.servers[0].version == "v11.16.4"
    assert [(v.name, v.up) for v in block.vendors] == [("sigasi", True)]
    feats = {f.name: f for f in block.features}
    assert (feats["com.sigasi.hdt"].issued, feats["com.sigasi.hdt"].in_use) == (4, 1)
    assert (feats["com.sigasi.hdt.xl"].issued, feats["com.sigasi.hdt.xl"].in_use) == (2, 0)
    assert len(feats["com.sigasi.hdt"].users) == 1
    assert block.license_files[0].path == sandbox.license_path


def test_checkout_and_checkin_are_logged(sandbox):
    with Checkout(sandbox.host, sandbox.vendor_port) as co:
        co.checkout("com.sigasi.hdt.xl")
        co.checkout("com.sigasi.hdt.xl")
        ok, why = co.checkout("com.sigasi.hdt.xl")
        assert not ok and why.startswith("DENIED -4,342")
    deadline = time.monotonic() + 5
    while sandbox.log_text().count('IN: "com.sigasi.hdt.xl"') < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    log = sandbox.log_text()
    assert log.count('(sigasi) OUT: "com.sigasi.hdt.xl"') == 2
    assert '(sigasi) DENIED: "com.sigasi.hdt.xl"' in log
    assert "(Licensed number of users already reached. (-4,342))" in log
    assert log.count('(sigasi) IN: "com.sigasi.hdt.xl"') == 2


def test_lmstat_on_a_down_server():
    port = free_ports(1)[0]
    from lmdoctor.checks.sandbox import lmutil as mod

    lines, rc = mod.lmstat(["-a", "-c", f"{port}@127.0.0.1"])
    assert rc == 1
    assert f"127.0.0.1: {DOWN}" in lines
    res = parse_lmstat("\n".join(lines))
    assert res.blocks[0].servers[0].up is False


def test_lmstat_and_lmdiag_after_the_server_went_down(sandbox_factory):
    info = sandbox_factory("healthy")
    sandbox_factory.last.stop()
    out = lmutil(info, "lmstat", "-a", "-c", info.port_at_host)
    assert out.returncode == 1 and DOWN in out.stdout
    out = lmutil(info, "lmdiag", "-c", info.port_at_host, "-n", "com.sigasi.hdt")
    diag = parse_lmdiag(out.stdout)
    assert out.returncode == 1 and diag.features[0].can_checkout is False
    assert 'FlexNet Licensing error:-15,570.  System Error: 111 "Connection refused"' in out.stdout


def test_lmstat_shows_the_vendor_daemon_down(sandbox_factory):
    info = sandbox_factory("vendor-port-in-use")
    out = lmutil(info, "lmstat", "-a", "-c", info.port_at_host)
    assert "    sigasi: The desired vendor daemon is down. (-97,121)" in out.stdout
    res = parse_lmstat(out.stdout)
    assert res.blocks[0].servers[0].up and res.blocks[0].vendors[0].up is False
    out = lmutil(info, "lmdiag", "-c", info.port_at_host, "-n", "com.sigasi.hdt")
    assert "FlexNet Licensing error:-97,121" in out.stdout and out.returncode == 1


def test_lmstat_f_unknown_feature_gives_minus_5(sandbox):
    out = lmutil(sandbox, "lmstat", "-a", "-c", sandbox.port_at_host, "-f", "com.sigasi.hdt.custom")
    assert "No such feature exists. (-5,222)" in out.stdout and out.returncode == 1


def test_lmstat_reads_the_license_file_for_its_target(sandbox):
    out = lmutil(sandbox, "lmstat", "-a", "-c", sandbox.license_path)
    assert out.returncode == 0 and "license server UP (MASTER)" in out.stdout


def test_lmdiag_n_on_healthy_server(sandbox):
    out = lmutil(sandbox, "lmdiag", "-c", sandbox.port_at_host, "-n")
    diag = parse_lmdiag(out.stdout)
    assert out.returncode == 0
    assert [(f.name, f.can_checkout) for f in diag.features] == [("com.sigasi.hdt", True), ("com.sigasi.hdt.xl", True)]
    assert diag.unparsed == []


def test_lmdiag_on_a_feature_nobody_serves_gives_minus_18(sandbox):
    out = lmutil(sandbox, "lmdiag", "-c", sandbox.port_at_host, "-n", "com.sigasi.hdt.preview")
    diag = parse_lmdiag(out.stdout)
    assert out.returncode == 1
    assert "This license cannot be checked out because:" in out.stdout
    assert "License server system does not support this feature." in out.stdout
    assert any(e.major == -18 for f in diag.features for e in f.errors)


def test_lmdiag_when_all_licenses_are_taken(sandbox):
    with Checkout(sandbox.host, sandbox.vendor_port) as co:
        co.checkout("com.sigasi.hdt.xl")
        co.checkout("com.sigasi.hdt.xl")
        out = lmutil(sandbox, "lmdiag", "-c", sandbox.port_at_host, "-n", "com.sigasi.hdt.xl")
    diag = parse_lmdiag(out.stdout)
    assert diag.features[0].name == "com.sigasi.hdt.xl" and diag.features[0].can_checkout is False
    assert "FlexNet Licensing error:-4,342" in out.stdout


def test_lmhostid_lists_this_machines_macs(sandbox):
    out = lmutil(sandbox, "lmhostid")
    res = parse_lmhostid(out.stdout)
    macs = set(current_identity().macs)
    if not macs:
        pytest.skip("this machine has no MAC addresses")
    assert {h.value for h in res.hostids} == macs
    assert out.stdout.splitlines()[1].startswith('The FlexNet host ID of this machine is "')


def test_lmhostid_hostname(sandbox):
    out = lmutil(sandbox, "lmhostid", "-hostname")
    assert f'"HOSTNAME={current_identity().short_name}"' in out.stdout


def test_lmver_reports_each_binarys_version(sandbox_factory):
    info = sandbox_factory("old-lmgrd")
    assert "FlexNet Licensing v11.13.1.2 build" in lmutil(info, "lmver", info.lmgrd_path).stdout
    assert "FlexNet Licensing v11.16.4.0 build" in lmutil(info, "lmver", info.vendor_path).stdout
    res = parse_lmstat(lmutil(info, "lmstat", "-a", "-c", info.port_at_host).stdout)
    assert res.blocks[0].servers[0].version == "v11.13.1"
    assert res.blocks[0].vendors[0].version == "v11.16.4"


def test_lmdown_asks_first_and_n_keeps_the_server(sandbox):
    out = lmutil(sandbox, "lmdown", "-c", sandbox.port_at_host, stdin="n\n")
    assert "Are you sure (y/n)?" in out.stdout
    assert "shut down" not in out.stdout
    assert _pid_alive(sandbox.lmgrd_pid)


def test_lmdown_y_stops_lmgrd_and_vendor_daemon(sandbox):
    out = lmutil(sandbox, "lmdown", "-c", sandbox.port_at_host, stdin="y\n")
    assert "1 FlexNet License Server shut down" in out.stdout and out.returncode == 0
    _gone(sandbox.lmgrd_pid, sandbox.vendor_pid)
    assert "(lmgrd) SHUTDOWN request from" in sandbox.log_text()


def test_lmdown_q_does_not_ask(sandbox):
    out = lmutil(sandbox, "lmdown", "-c", sandbox.port_at_host, "-q")
    assert "Are you sure" not in out.stdout and "shut down" in out.stdout
    _gone(sandbox.lmgrd_pid, sandbox.vendor_pid)


def test_lmdown_on_a_down_server(sandbox_factory):
    info = sandbox_factory("no-server-lines")
    out = lmutil(info, "lmdown", "-c", f"{free_ports(1)[0]}@127.0.0.1", "-q")
    assert out.returncode == 1 and DOWN in out.stdout


def test_lmutil_shows_in_the_process_table_as_lmutil(sandbox):
    import psutil

    proc = subprocess.Popen([sandbox.lmutil_path, "lmdown", "-c", sandbox.port_at_host],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("lmutil - Copyright")
        p = psutil.Process(proc.pid)
        assert p.name() == "lmutil"
        assert p.cmdline() == [sandbox.lmutil_path, "lmdown", "-c", sandbox.port_at_host]
    finally:
        proc.communicate("n\n", timeout=30)


def _gone(*pids):
    deadline = time.monotonic() + 10
    while any(_pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_pid_alive(p) for p in pids)
