"""Listeners and reachability against real sockets on 127.0.0.1 held by this test process."""
from __future__ import annotations

import errno
import os
import socket

import psutil
import pytest

from lmdoctor.checks.findings import Status
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.listeners import probe_listeners
from lmdoctor.checks.probes.reachability import (
    NO_IPV6,
    NOT_FOUND,
    OPEN,
    REFUSED,
    TIMEOUT,
    connect_once,
    probe_endpoints,
    probe_reachability,
)
from lmdoctor.checks.probes.snapshot import ProcessScan, read_listeners


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s, s.getsockname()[1]
    s.close()


def make_blackhole():
    """A listener whose accept queue is full: further connects time out (a firewall on loopback)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    held = []
    for _ in range(4):
        c = socket.socket()
        c.settimeout(0.2)
        try:
            c.connect(("127.0.0.1", port))
            held.append(c)
        except OSError:
            c.close()
            break
    return port, [s] + held


@pytest.fixture
def blackhole():
    port, socks = make_blackhole()
    yield port
    for c in socks:
        c.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def lic(lm: int, vd=None, host="127.0.0.1"):
    text = f"SERVER {host} 001122334455 {lm}\nDAEMON sigasi" + (f" port={vd}" if vd else "") + "\n"
    return parse_license(text)


def test_port_held_by_this_python_is_a_foreign_process(listener):
    _, port = listener
    ctx = ProbeContext(license=lic(port), env={})
    found = probe_listeners(ctx)
    foreign = [f for f in found if f.id == "listener.foreign-process"]
    assert foreign and f"pid {os.getpid()}" in foreign[0].title and foreign[0].status is Status.FAIL
    assert psutil.Process().name() in foreign[0].title


def test_nothing_listening_is_info_on_a_client():
    ctx = ProbeContext(license=lic(closed_port(), host="elsewhere.invalid"), env={})
    from lmdoctor.checks.hostinfo import HostIdentity

    ctx.identity = HostIdentity(short_name="me", fqdn="me")
    ctx.scan = ProcessScan(listeners=read_listeners()[0])  # no lmgrd in this snapshot
    found = [f for f in probe_listeners(ctx) if f.id == "listener.nothing"]
    assert found and all(f.status is Status.INFO for f in found)


def test_socket_table_denied_is_a_skip(monkeypatch):
    # macOS and hardened systems refuse the socket table to normal users.
    def refuse(*a, **k):
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "net_connections", refuse)
    assert read_listeners()[2] is not None
    ctx = ProbeContext(env={})
    found = probe_listeners(ctx)
    assert [f.id for f in found] == ["listener.unreadable"] and found[0].status is Status.SKIP


def test_connect_outcomes(listener, blackhole):
    _, port = listener
    assert connect_once(socket.AF_INET, ("127.0.0.1", port), 1)[0] == OPEN
    assert connect_once(socket.AF_INET, ("127.0.0.1", closed_port()), 1)[0] == REFUSED
    assert connect_once(socket.AF_INET, ("127.0.0.1", blackhole), 0.3)[0] == TIMEOUT


def test_no_ipv6_on_this_machine_is_classified():
    def no_v6(family, kind):
        if family == socket.AF_INET6:
            raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")
        return socket.socket(family, kind)

    assert connect_once(socket.AF_INET6, ("::1", 1, 0, 0), 1, no_v6)[0] == NO_IPV6

    def resolver(host, port):
        return [(socket.AF_INET6, ("::1", 0, 0, 0))]

    res = probe_endpoints([("v6only", 27000)], 1, factory=no_v6, resolver=resolver)
    assert [a.outcome for a in res[("v6only", 27000)]] == [NO_IPV6]


def test_name_not_found_without_asking_any_dns_server():
    def resolver(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    res = probe_endpoints([("nohost", 27000)], 1, resolver=resolver)
    (a,) = res[("nohost", 27000)]
    assert a.outcome == NOT_FOUND and a.address is None


def test_every_address_is_tried_in_resolver_order(listener):
    _, port = listener
    dead = closed_port()

    def resolver(host, p):
        return [(socket.AF_INET, ("127.0.0.2", 0)), (socket.AF_INET, ("127.0.0.1", 0))]

    res = probe_endpoints([("two", port), ("two", dead)], 1, resolver=resolver)
    assert [a.address for a in res[("two", port)]] == ["127.0.0.2", "127.0.0.1"]
    assert res[("two", port)][1].outcome == OPEN


def test_eight_timeouts_are_concurrent_and_all_reported():
    holes = [make_blackhole() for _ in range(8)]
    try:
        ctx = ProbeContext(env={}, servers=[f"{p}@127.0.0.1" for p, _ in holes], timeout=0.4)
        found = probe_reachability(ctx)
    finally:
        for _, socks in holes:
            for c in socks:
                c.close()
    timed = sorted(f.title.split(" ", 1)[0] for f in found if f.id == "network.timeout")
    assert timed == sorted(f"{p}@127.0.0.1" for p, _ in holes)


def test_firewall_case_and_vendor_down(listener, blackhole):
    _, port = listener
    ctx = ProbeContext(license=lic(port, blackhole), env={}, timeout=0.4)
    ids = [f.id for f in probe_reachability(ctx)]
    assert "network.vendor-port-blocked" in ids
    ctx = ProbeContext(license=lic(port, closed_port()), env={}, timeout=0.4)
    ids = [f.id for f in probe_reachability(ctx)]
    assert "network.vendor-down" in ids and "network.vendor-port-blocked" not in ids
    assert ctx.open_servers == [f"{port}@127.0.0.1"]


def test_placeholder_server_is_not_contacted():
    ctx = ProbeContext(license=parse_license("SERVER your_server_name1 001122334455 27000\nDAEMON sigasi\n"),
                       env={})
    found = probe_reachability(ctx)
    assert [f.id for f in found] == ["network.no-targets"]


def test_at_host_tries_the_default_range(listener):
    # '@host' means ports 27000-27009; none of them answers on 127.0.0.1 here unless someone runs a server.
    ctx = ProbeContext(env={"SIGASI_LM_LICENSE_FILE": "@127.0.0.1"}, timeout=0.5)
    found = [f for f in probe_reachability(ctx) if "@127.0.0.1" in f.title]
    assert found and found[0].title.startswith("@127.0.0.1")
