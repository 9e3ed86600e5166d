"""Who holds the license ports: every listener state, on real sockets on 127.0.0.1.

The holders are real processes whose name is ``lmgrd`` or ``sigasi`` (a symlink of that name to
this Python, which binds the sockets and waits), so the probe reads them from the real socket table
and process table. Only what cannot be made real here is simulated: the OS hiding a socket's owner
(psutil gives ``pid=None`` for another user's socket, as it does after AccessDenied on /proc/PID/fd),
and a non-root user (the suite runs as root in the sandbox). The file name puts these tests in the
"machine" xdist group: they start FlexLM-named processes.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

import psutil
import pytest

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.listeners import probe_listeners

# Binds each given address on one port (SO_REUSEPORT: 127.0.0.1 and 0.0.0.0 side by side, as a
# daemon listening on both would), prints the port, and holds the sockets until stdin closes.
# Arguments after "--" are only there to be seen in the process's command line.
HOLDER = r"""
import socket, sys
port = int(sys.argv[1])
socks = []
args = sys.argv[2:]
for addr in args[:args.index("--")] if "--" in args else args:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((addr, port))
    s.listen(4)
    port = s.getsockname()[1]
    socks.append(s)
print(port, flush=True)
sys.stdin.read()
"""


class Holder:
    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.proc, self.port, self.pid = proc, port, proc.pid


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[Callable[..., Holder]]:
    """hold(name, *addresses, port=0) -> a real process called ``name`` listening on them."""
    started: List[subprocess.Popen] = []

    def start(name: str, *addresses: str, port: int = 0, args: Tuple[str, ...] = ()) -> Holder:
        exe = tmp_path / name
        if not exe.exists():
            exe.symlink_to(os.path.realpath(sys.executable))
        extra = ("--", *args) if args else ()
        proc = subprocess.Popen([str(exe), "-I", "-S", "-c", HOLDER, str(port), *addresses, *extra],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip().isdigit(), f"{name} could not bind {addresses}"
        assert psutil.Process(proc.pid).name() == name
        return Holder(proc, int(line))

    try:
        yield start
    finally:
        for proc in started:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ctx_for(lmgrd_port: int, vendor_port: Optional[int] = None) -> ProbeContext:
    text = (f"SERVER 127.0.0.1 001122334455 {lmgrd_port}\n"
            f"DAEMON sigasi{f' port={vendor_port}' if vendor_port else ''}\n")
    return ProbeContext(license=parse_license(text), env={})


def states(found: List[Finding]) -> List[Tuple[str, Status]]:
    return [(f.id, f.status) for f in found]


def hide_owner_of(monkeypatch: pytest.MonkeyPatch, pid: int) -> None:
    """The OS does not tell us who owns this process's sockets (another user's process, not root)."""
    real = psutil.net_connections

    def net_connections(kind: str = "inet"):
        return [c._replace(pid=None) if c.pid == pid else c for c in real(kind)]

    monkeypatch.setattr(psutil, "net_connections", net_connections)


def test_lmgrd_and_vendor_daemon_on_their_ports_on_every_address_is_ok(hold):
    lm = hold("lmgrd", "127.0.0.1", "0.0.0.0")
    vd = hold("sigasi", "0.0.0.0")
    found = probe_listeners(ctx_for(lm.port, vd.port))
    assert states(found) == [("listener.ok", Status.OK)] * 2
    ok_lm, ok_vd = found
    assert ok_lm.title == f"lmgrd (pid {lm.pid}) listens on the lmgrd port {lm.port}"
    assert ok_vd.title == f"sigasi (pid {vd.pid}) listens on the sigasi vendor daemon port {vd.port}"
    # Both addresses are named, in a stable order.
    assert ok_lm.evidence_lines[0] == f"listening on 0.0.0.0:{lm.port}, 127.0.0.1:{lm.port}"


def test_a_daemon_listening_on_loopback_only_is_a_warning_remote_clients_cannot_connect(hold):
    lm = hold("lmgrd", "127.0.0.1")
    found = probe_listeners(ctx_for(lm.port, free_port()))
    lo = [f for f in found if f.id == "listener.loopback-only"]
    assert [(f.status, f.title) for f in lo] == [
        (Status.WARN, f"lmgrd (pid {lm.pid}) listens on {lm.port} on the loopback address only")]
    assert "/etc/hosts" in lo[0].fix and f"127.0.0.1:{lm.port}" in lo[0].evidence_lines[0]
    assert not [f for f in found if f.id == "listener.ok"]


def test_vendor_daemon_on_the_lmgrd_port_is_the_wrong_daemon(hold):
    vd = hold("sigasi", "0.0.0.0")
    found = probe_listeners(ctx_for(vd.port, free_port()))
    (wrong,) = [f for f in found if f.id == "listener.wrong-daemon"]
    assert wrong.status is Status.WARN
    assert wrong.title == f"The lmgrd port {vd.port} is held by sigasi (pid {vd.pid})"
    assert "different ports" in wrong.detail
    # The vendor port (nothing there) is reported on its own: one fact, one finding.
    assert [f.id for f in found] == ["listener.wrong-daemon", "listener.nothing"]


def test_lmgrd_on_the_vendor_port_is_the_wrong_daemon_too(hold):
    lm = hold("lmgrd", "0.0.0.0")
    other = hold("lmgrd", "0.0.0.0")
    found = probe_listeners(ctx_for(lm.port, other.port))
    assert states(found) == [("listener.ok", Status.OK), ("listener.wrong-daemon", Status.WARN)]
    assert found[1].title == f"The sigasi vendor daemon port {other.port} is held by lmgrd (pid {other.pid})"


def test_port_in_use_by_a_process_the_os_will_not_name_is_owner_unknown(hold, monkeypatch):
    lm = hold("lmgrd", "127.0.0.1")
    hide_owner_of(monkeypatch, lm.pid)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # what a normal user sees (the suite runs as root)
    found = probe_listeners(ctx_for(lm.port, free_port()))
    (unk,) = [f for f in found if f.id == "listener.owner-unknown"]
    assert unk.status is Status.SKIP and unk.title.startswith(f"Port {lm.port} is in use, but the OS does not say")
    assert "sudo lmdoctor check" in unk.fix and unk.evidence_lines == [f"127.0.0.1:{lm.port}"]
    # Not also a "partial" (the same fact) and never an ok or a foreign process (nothing is known).
    assert [f.id for f in found] == ["listener.owner-unknown", "listener.nothing"]


def test_unnamed_sockets_elsewhere_make_the_picture_partial_for_a_normal_user(hold, monkeypatch):
    lm = hold("lmgrd", "0.0.0.0")
    vd = hold("sigasi", "0.0.0.0")
    stranger = hold("lmgrd", "127.0.0.1")  # someone else's server on some other port
    hide_owner_of(monkeypatch, stranger.pid)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # the suite runs as root; a user cannot see more
    found = probe_listeners(ctx_for(lm.port, vd.port))
    assert states(found) == [("listener.ok", Status.OK), ("listener.ok", Status.OK), ("listener.partial", Status.SKIP)]
    assert found[2].title.endswith("listening socket(s) without a visible owner: root would see more")
    assert int(found[2].title.split()[0]) >= 1
    # As root an unnamed socket belongs to another network namespace: nothing more to see, no finding.
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert states(probe_listeners(ctx_for(lm.port, vd.port))) == [("listener.ok", Status.OK)] * 2


def test_lmgrd_port_held_by_another_program_names_it_its_user_and_command(hold):
    squatter = hold("java", "0.0.0.0", args=("-jar", "/opt/app/server.jar"))
    found = probe_listeners(ctx_for(squatter.port, free_port()))
    (foreign,) = [f for f in found if f.id == "listener.foreign-process"]
    assert foreign.status is Status.FAIL
    assert foreign.title == f"The lmgrd port {squatter.port} is held by java (pid {squatter.pid}), not by lmgrd"
    assert f"{squatter.port}, is already in use" in foreign.detail
    assert foreign.fix.startswith(f"Stop java (pid {squatter.pid}) or give the license another port: "
                                  "the SERVER line's port")
    user = psutil.Process(squatter.pid).username()
    ev = foreign.evidence_lines
    assert ev[0] == f"listening on 0.0.0.0:{squatter.port}"
    assert ev[1] == f"pid {squatter.pid} java user={user}"
    assert ev[2].startswith("command: ") and ev[2].endswith(" -- -jar /opt/app/server.jar")


def test_vendor_port_held_by_another_program_proposes_a_new_daemon_port(hold):
    lm = hold("lmgrd", "0.0.0.0")
    squatter = hold("java", "0.0.0.0")
    found = probe_listeners(ctx_for(lm.port, squatter.port))
    assert [f.id for f in found] == ["listener.ok", "listener.foreign-process"]
    assert found[1].title == (f"The sigasi vendor daemon port {squatter.port} is held by java (pid {squatter.pid}), "
                              "not by sigasi")
    assert "DAEMON sigasi port=<free port>" in found[1].fix


def test_a_huge_command_line_is_cut_at_500_characters(hold):
    # Java servers run with class paths of thousands of characters: the finding stays readable.
    classpath = ":".join(f"/opt/app/lib/part{i:04d}.jar" for i in range(60))
    squatter = hold("java", "127.0.0.1", args=("-cp", classpath, "Main"))
    (foreign,) = [f for f in probe_listeners(ctx_for(squatter.port, free_port()))
                  if f.id == "listener.foreign-process"]
    cmd = " ".join(psutil.Process(squatter.pid).cmdline())
    assert len(cmd) > 600
    assert foreign.evidence_lines[2] == "command: " + cmd[:500] + " ..."
    # and a short one is shown whole
    short = hold("java", "127.0.0.1")
    (f2,) = [f for f in probe_listeners(ctx_for(short.port, free_port())) if f.id == "listener.foreign-process"]
    assert f2.evidence_lines[2] == "command: " + " ".join(psutil.Process(short.pid).cmdline())


def test_a_program_that_exits_while_lmdoctor_looks_is_reported_as_exited(hold):
    squatter = hold("java", "127.0.0.1")
    ctx = ctx_for(squatter.port, free_port())
    ctx.get_scan()  # the socket table is read...
    squatter.proc.kill()  # ... and the program is gone before its name is looked up
    squatter.proc.wait()
    (foreign,) = [f for f in probe_listeners(ctx) if f.id == "listener.foreign-process"]
    assert foreign.title == f"The lmgrd port {squatter.port} is held by (exited) (pid {squatter.pid}), not by lmgrd"
    assert foreign.evidence_lines[1:] == [f"pid {squatter.pid}"]


def test_a_running_lmgrd_is_described_by_its_pid_user_and_command(hold):
    lm = hold("lmgrd", "0.0.0.0", args=("-c", "/opt/flexlm/license.lic", "-l", "/var/log/lmgrd.log"))
    (ok,) = [f for f in probe_listeners(ctx_for(lm.port, free_port())) if f.id == "listener.ok"]
    ev = ok.evidence_lines
    assert ev[0] == f"listening on 0.0.0.0:{lm.port}"
    assert ev[1].startswith(f"pid {lm.pid} lmgrd user=")
    assert ev[2].startswith("command: ") and ev[2].endswith("-c /opt/flexlm/license.lic -l /var/log/lmgrd.log")
    assert len(ev) == 3  # the license and log it uses are other findings' business


def test_nothing_on_the_lmgrd_port_and_the_vendor_port_still_checked(hold):
    vd = hold("sigasi", "0.0.0.0")
    found = probe_listeners(ctx_for(free_port(), vd.port))
    # (INFO: no lmgrd runs for this license, so lmdoctor cannot tell this machine is its server)
    assert states(found) == [("listener.nothing", Status.INFO), ("listener.ok", Status.OK)]


def test_every_process_sharing_a_port_is_named(hold):
    # Two programs can hold one port (SO_REUSEPORT, or IPv4 and IPv6 sockets of different programs):
    # lmgrd on loopback only, and a squatter beside it. Each gets its own finding.
    lm = hold("lmgrd", "127.0.0.1")
    squatter = hold("java", "0.0.0.0", port=lm.port)
    other = hold("sigasi", "0.0.0.0", port=lm.port)
    found = [f for f in probe_listeners(ctx_for(lm.port, free_port())) if f.id != "listener.nothing"]
    assert sorted(states(found)) == sorted([("listener.loopback-only", Status.WARN),
                                            ("listener.foreign-process", Status.FAIL),
                                            ("listener.wrong-daemon", Status.WARN)])
    assert {p.pid for p in (lm, squatter, other)} == {int(re.search(r"pid (\d+)", f.title).group(1)) for f in found}
