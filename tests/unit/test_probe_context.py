"""One context: the tree's ProbeEnv sees the machine through the probes' ProbeContext.

The process snapshot and the identity are read once, and "is this the license server" has one
answer, whether `lmdoctor check` (the live probes) or the troubleshooter (the tree) asks.
"""
from __future__ import annotations

from lmdoctor.checks.hostinfo import HostIdentity
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.snapshot import ProcessScan, ProcInfo
from lmdoctor.checks.tree.probes import ProbeEnv, run_probe

LIC = "SERVER licbox 001122334455 27000\nDAEMON sigasi port=27001\nINCREMENT com.sigasi.hdt sigasi 5.0 permanent 4\n"


def _lmgrd(pid: int, lic: str, ppid: int = 1) -> ProcInfo:
    return ProcInfo(pid=pid, name="lmgrd", role="lmgrd", ppid=ppid, cmdline=("lmgrd", "-c", lic), license_arg=lic)


def _vendor(pid: int, ppid: int, lic: str) -> ProcInfo:
    return ProcInfo(pid=pid, name="sigasi", role="vendor", ppid=ppid, cmdline=("sigasi", "-c", lic), license_arg=lic)


def _env(tmp_path, procs, host: str = "client7") -> ProbeEnv:
    lic = tmp_path / "sigasi.lic"
    lic.write_text(LIC)
    env = ProbeEnv(license_path=str(lic), live=True)
    ctx = env.context()
    ctx.scan = ProcessScan(processes=procs, listeners=[])
    ctx.identity = HostIdentity(short_name=host, fqdn=host)
    return env


def test_the_env_and_the_live_probes_share_one_context(tmp_path):
    env = _env(tmp_path, [])
    ctx = env.context()
    scan = ctx.scan
    assert env.context() is ctx
    assert env.live_findings("processes") is not None
    assert env.context().scan is scan  # the live probe used the same snapshot: no second scan
    lic, path = env.license()
    assert lic is not None and ctx.license is lic and ctx.license_path == path


def test_the_server_of_this_license_is_found_through_the_context(tmp_path):
    lic = str(tmp_path / "sigasi.lic")
    other = str(tmp_path / "other.lic")
    env = _env(tmp_path, [_lmgrd(10, lic), _vendor(11, 10, lic), _lmgrd(20, other), _vendor(21, 20, other)])
    lmgrds, vendors, _ = env.own_processes()
    assert [p.pid for p in lmgrds] == [10] and [p.pid for p in vendors] == [11]
    assert env.context().serving_processes() == (lmgrds, vendors)
    assert env.server_here() is True and env.context().server_here() is True
    assert run_probe("process.lmgrd", env).outcome == "running"


def test_an_lmgrd_of_a_list_of_licenses_serves_each_of_them(tmp_path):
    lic = str(tmp_path / "sigasi.lic")
    env = _env(tmp_path, [_lmgrd(10, str(tmp_path / "a.lic") + ":" + lic)])
    assert [p.pid for p in env.own_processes()[0]] == [10]


def test_a_client_is_not_the_server_and_the_tree_cannot_tell(tmp_path):
    other = str(tmp_path / "other.lic")
    env = _env(tmp_path, [_lmgrd(20, other)])
    assert env.own_processes()[:2] == ([], [])
    assert env.context().server_here() is False
    assert env.server_here() is None  # the tree asks the person instead of guessing "no"


def test_the_license_naming_this_host_makes_it_the_server(tmp_path):
    env = _env(tmp_path, [], host="licbox")
    assert env.server_here() is True
    assert env.context().license_names_this_host() is True
    assert run_probe("process.lmgrd", env).outcome == "not-running"


def test_the_context_alone_answers_the_same(tmp_path):
    from lmdoctor.checks.license import parse_license

    ctx = ProbeContext(license=parse_license(LIC), env={}, scan=ProcessScan(),
                       identity=HostIdentity(short_name="build7", fqdn="build7.corp.example"))
    assert ctx.license_names_this_host() is False  # another machine
    ctx.identity = HostIdentity(short_name="LICBOX", fqdn="licbox.corp.example")
    assert ctx.license_names_this_host() is True
