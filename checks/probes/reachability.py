"""Probe 4: can the license servers be reached? DNS, then a TCP connect to every address.

Every target (lmgrd port and vendor daemon port of every server we know of) is tried
at the same time, each address of a name too, so ten dead servers cost one timeout,
not ten. Blocking calls (getaddrinfo, connect) run in daemon threads and the probe
waits for them with a deadline, so a hung resolver never holds lmdoctor up.
"""
from __future__ import annotations

import errno
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..findings import Finding, Status
from ..license.placeholders import usable_host
from ..runtime import NEVER_CANCELLED, Cancelled, CancelToken, FindingSink, discard
from .context import SEED_CUSTOM, SEED_FLOAT, SEED_TROUBLE, ProbeContext, Target

DEFAULT_RANGE = tuple(range(27000, 27010))  # '@host': lmgrd takes the first free port of these

OPEN, REFUSED, TIMEOUT, UNREACHABLE, NOT_FOUND, NO_IPV6, ERROR = (
    "open", "refused", "timed out", "unreachable", "name not found", "no IPv6", "error")

SocketFactory = Callable[[int, int], socket.socket]


@dataclass(frozen=True)
class Attempt:
    host: str
    port: int
    address: Optional[str]  # None when the name did not resolve
    family: str  # "ipv4", "ipv6", ""
    outcome: str  # OPEN, REFUSED, ...
    detail: str = ""

    @property
    def label(self) -> str:
        if self.address is None:
            return f"{self.port}@{self.host}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")
        addr = f"[{self.address}]" if self.family == "ipv6" else self.address
        return f"{self.port}@{self.host} -> {addr}:{self.port}: {self.outcome}" + (
            f" ({self.detail})" if self.detail and self.outcome != OPEN else "")


def _run_daemon(fn, *args) -> Tuple[threading.Event, list]:
    box: list = []
    done = threading.Event()

    def body() -> None:
        try:
            box.append(fn(*args))
        except BaseException as exc:  # reported by the caller
            box.append(exc)
        finally:
            done.set()

    threading.Thread(target=body, daemon=True, name="lmdoctor-net").start()
    return done, box


def _wait_all(events: Sequence[threading.Event], deadline: float, cancel: CancelToken) -> None:
    for ev in events:
        while not ev.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if cancel.cancelled:
                raise Cancelled()
            ev.wait(min(left, 0.05))


def resolve(host: str, port: int) -> List[Tuple[int, tuple]]:
    """getaddrinfo in resolver order, TCP only, duplicates dropped. Raises socket.gaierror."""
    seen = set()
    out: List[Tuple[int, tuple]] = []
    for fam, _type, _proto, _canon, sa in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        key = (fam, sa[0])
        if key in seen:
            continue
        seen.add(key)
        out.append((fam, sa))
    return out


def connect_once(family: int, sockaddr: tuple, timeout: float,
                 factory: Optional[SocketFactory] = None) -> Tuple[str, str]:
    """(outcome, detail) of one TCP connect. Never raises."""
    factory = factory or socket.socket
    v6 = family == getattr(socket, "AF_INET6", -1)
    try:
        s = factory(family, socket.SOCK_STREAM)
    except OSError as exc:
        if v6 and exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.EADDRNOTAVAIL):
            return NO_IPV6, "this machine has no IPv6"
        return ERROR, exc.strerror or str(exc)
    try:
        s.settimeout(timeout)
        s.connect(sockaddr)
        return OPEN, ""
    except socket.timeout:
        return TIMEOUT, f"no answer within {timeout:g} s"
    except ConnectionRefusedError:
        return REFUSED, "connection refused: nothing listens there"
    except OSError as exc:
        e = exc.errno
        if e in (errno.EHOSTUNREACH, errno.ENETUNREACH, getattr(errno, "EHOSTDOWN", -1)):
            return UNREACHABLE, exc.strerror or "no route to host"
        if e == errno.ETIMEDOUT:
            return TIMEOUT, exc.strerror or "timed out"
        if v6 and e in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT, errno.ENETUNREACH):
            return NO_IPV6, "this machine has no IPv6"
        if e == errno.ECONNREFUSED:
            return REFUSED, "connection refused: nothing listens there"
        return ERROR, exc.strerror or str(exc)
    finally:
        try:
            s.close()
        except OSError:  # closing a socket that failed to connect: nothing to release
            pass


def probe_endpoints(endpoints: Sequence[Tuple[str, int]], timeout: float, cancel: CancelToken = NEVER_CANCELLED,
                    factory: Optional[SocketFactory] = None,
                    resolver: Optional[Callable[[str, int], List[Tuple[int, tuple]]]] = None,
                    ) -> Dict[Tuple[str, int], List[Attempt]]:
    """Resolve and connect every (host, port) concurrently. Returns attempts per endpoint in resolver order."""
    hosts = list(dict.fromkeys(h for h, _ in endpoints))
    lookups = {h: _run_daemon(resolver or resolve, h, 0) for h in hosts}
    _wait_all([ev for ev, _ in lookups.values()], time.monotonic() + timeout, cancel)
    resolved: Dict[str, Union[List[Tuple[int, tuple]], BaseException]] = {}
    for h, (ev, box) in lookups.items():
        resolved[h] = box[0] if ev.is_set() and box else TimeoutError("name lookup timed out")
    pending: List[Tuple[Tuple[str, int], int, tuple, threading.Event, list]] = []
    out: Dict[Tuple[str, int], List[Attempt]] = {}
    for host, port in dict.fromkeys(endpoints):
        r = resolved[host]
        if isinstance(r, BaseException):
            if isinstance(r, TimeoutError):
                out[(host, port)] = [Attempt(host, port, None, "", NOT_FOUND, f"name lookup gave no answer within "
                                                                              f"{timeout:g} s")]
            elif isinstance(r, socket.gaierror):
                out[(host, port)] = [Attempt(host, port, None, "", NOT_FOUND, r.strerror or str(r))]
            else:
                out[(host, port)] = [Attempt(host, port, None, "", ERROR, str(r)[:200])]
            continue
        out[(host, port)] = []
        for fam, sa in r:
            sa = (sa[0], port) + tuple(sa[2:])
            ev, box = _run_daemon(connect_once, fam, sa, timeout, factory)
            pending.append(((host, port), fam, sa, ev, box))
    _wait_all([p[3] for p in pending], time.monotonic() + timeout + 0.5, cancel)
    for key, fam, sa, ev, box in pending:
        famname = "ipv6" if fam == getattr(socket, "AF_INET6", -1) else "ipv4"
        if ev.is_set() and box and isinstance(box[0], tuple):
            outcome, detail = box[0]
        elif ev.is_set() and box:
            outcome, detail = ERROR, str(box[0])[:200]
        else:
            outcome, detail = TIMEOUT, f"no answer within {timeout:g} s"
        out[key].append(Attempt(key[0], key[1], sa[0], famname, outcome, detail))
    return out


def _targets(ctx: ProbeContext) -> Tuple[List[Target], List[Finding]]:
    from .searchpath import collect_sources, parse_entry, server_targets

    notes: List[Finding] = []
    targets: List[Target] = []
    explicit_hosts: List[str] = []
    for raw in ctx.servers:
        e = parse_entry(raw)
        if not e.is_server or "bad-host" in e.problems or "semicolon" in e.problems:
            notes.append(Finding("network.bad-server-argument", Status.FAIL, f"--server {raw!r} is not PORT@HOST",
                                 fix="Write it as 27000@licserver (a triad as 27000@a,27000@b,27000@c)."))
            continue
        group = raw.strip() if e.kind == "triad" else None
        for s in e.servers:
            targets.append(Target(s.host, s.port, "--server", "lmgrd", group))
            explicit_hosts.append(s.host.lower())
    sources, _ = collect_sources(ctx.env, ctx.home_dir(), ctx.all_vendors(), ctx.is_windows)
    targets += server_targets(sources, ctx.is_windows)
    lic_hosts: List[str] = []
    if ctx.license is not None:
        servers = ctx.license.servers
        group = ",".join(f"{s.port or ''}@{s.host}" for s in servers) if len(servers) == 3 else None
        for sl in servers:
            # Templates (your_server_name1, {Name or IP}) and this_host name no machine to connect to.
            if not usable_host(sl.host) or len(sl.host) > 253 or not re.match(
                    r"^[A-Za-z0-9_.\-]+$", sl.host):
                continue
            port = sl.port if sl.port and 0 < sl.port < 65536 else None
            targets.append(Target(sl.host, port, f"license line {sl.line}", "lmgrd", group))
            lic_hosts.append(sl.host.lower())
    # The vendor daemon port: on the license's servers and on servers named with --server.
    vendor_hosts = list(dict.fromkeys(lic_hosts + explicit_hosts))
    if ctx.license is not None and ctx.license.servers:
        for vname, vport in ctx.vendor_ports().items():
            if vport is None:
                continue
            for h in vendor_hosts:
                targets.append(Target(h, vport, f"DAEMON {vname} port=", "vendor", None, vname))
    # One target per (host, port, role); remember every source.
    merged: Dict[Tuple[str, Optional[int], str], Target] = {}
    for t in targets:
        key = (t.host.lower(), t.port, t.role)
        if key in merged:
            old = merged[key]
            if t.source not in old.source.split("; "):
                merged[key] = Target(old.host, old.port, old.source + "; " + t.source, old.role,
                                     old.group or t.group, old.vendor or t.vendor)
        else:
            merged[key] = t
    return list(merged.values()), notes


def summarise(attempts: Sequence[Attempt]) -> str:
    """One outcome for an endpoint tried at several addresses: open if any address opened."""
    outcomes = [a.outcome for a in attempts if a.outcome != NO_IPV6] or [a.outcome for a in attempts]
    if OPEN in outcomes:
        return OPEN
    return outcomes[0] if outcomes else ERROR


_FAIL_TEXT = {
    REFUSED: ("network.refused", "refused: nothing listens there",
              "Nothing listens on that port: lmgrd is not running there, or runs on another port. Start lmgrd on the "
              "server, or correct the port (it is the SERVER line's port)."),
    TIMEOUT: ("network.timeout", "timed out: a firewall drops the connection, or the host is down",
              "Check the host is up, and open the port in the server's firewall (and any firewall between)."),
    UNREACHABLE: ("network.unreachable", "unreachable: no route to the host",
                  "Check the network path to the server (VPN, routing) and that the address is right."),
    NOT_FOUND: ("network.name-not-found", "the host name does not resolve",
                "Use the server's real host name or IP address (FlexNet error -14: cannot find SERVER hostname)."),
    NO_IPV6: ("network.no-ipv6", "only IPv6 addresses, and this machine has no IPv6",
              "Use the server's IPv4 address or a name that resolves to it."),
    ERROR: ("network.error", "could not be tried", "See the detail; this may be a local network problem."),
}


def closed_finding(label: str, what: str, outcome: str, evidence: Sequence[str]) -> Finding:
    """The finding for an endpoint that did not open: the same words in check and in serve."""
    fid, text, fix = _FAIL_TEXT.get(outcome, _FAIL_TEXT[ERROR])
    return Finding(fid, Status.FAIL, f"{label} ({what}): {text}", fix=fix, evidence=list(evidence),
                   seed_ref=SEED_FLOAT if outcome == TIMEOUT else None)


def probe_reachability(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                       on_finding: FindingSink = discard, factory: Optional[SocketFactory] = None,
                       resolver: Optional[Callable[[str, int], List[Tuple[int, tuple]]]] = None) -> List[Finding]:
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    targets, notes = _targets(ctx)
    for n in notes:
        emit(n)
    if not targets:
        emit(Finding("network.no-targets", Status.INFO, "No license server to contact",
                     detail="No port@host in the search path, no --server and no SERVER line in the license.",
                     fix="Give one with --server 27000@<server> to test the connection."))
        return out
    # All endpoints are tried together (one timeout for many firewalled ports), then judged per target.
    endpoints = [(t.host, p) for t in targets for p in _ports(t)]
    results = probe_endpoints(endpoints, ctx.timeout, cancel, factory, resolver)
    state: Dict[Tuple[str, Optional[int], str], str] = {}  # (host, port, role) -> summary outcome
    for t in targets:
        summary, finding = _endpoint_finding(t, [a for p in _ports(t) for a in results.get((t.host, p), [])])
        state[(t.host.lower(), t.port, t.role)] = summary
        emit(finding)
    specs: Dict[str, None] = {}
    for t in targets:
        if t.role == "lmgrd" and t.port is not None and state.get((t.host.lower(), t.port, "lmgrd")) == OPEN:
            specs.setdefault(t.group or t.label, None)
    ctx.open_servers = list(specs)
    for t in targets:
        if t.role == "vendor":
            f = _vendor_port_finding(t, state)
            if f is not None:
                emit(f)
    for f in _triad_findings(targets, state):
        emit(f)
    return out


def _ports(t: Target) -> List[int]:
    """The target's port, or lmgrd's default range when the spec names none ('@host')."""
    return [t.port] if t.port is not None else list(DEFAULT_RANGE)


def _endpoint_finding(t: Target, attempts: List[Attempt]) -> Tuple[str, Finding]:
    """(summary outcome, finding) for one target from its connect attempts."""
    if t.port is None:
        # A range was scanned: one open port is the answer; the closed rest is noise.
        opened = [a for a in attempts if a.outcome == OPEN]
        summary = OPEN if opened else summarise(attempts)
        shown = opened or attempts[:4]
    else:
        summary = summarise(attempts)
        shown = attempts
    what = "lmgrd port" if t.role == "lmgrd" else f"{t.vendor} vendor daemon port"
    ev = [a.label for a in shown] + [f"from: {t.source}"]
    if summary != OPEN:
        return summary, closed_finding(t.label, what, summary, ev)
    first = attempts[0] if attempts else None
    if first is not None and first.outcome not in (OPEN, NO_IPV6) and t.port is not None:
        return summary, Finding(
            "network.first-address-fails", Status.WARN,
            f"{t.label} ({what}): the first address {first.address} is {first.outcome}, a later one is open",
            detail="Clients try the addresses in resolver order; the first one failing costs a timeout or an "
                   "error. With SSH tunnels this is the 'localhost' trap: ::1 first, tunnel on IPv4 only.",
            fix="Use 127.0.0.1 (or the IPv4 address) instead of the name.", evidence=ev,
            seed_ref=SEED_FLOAT)
    return summary, Finding("network.open", Status.OK, f"{t.label} ({what}) is open", evidence=ev)


def _vendor_port_finding(t: Target, state: Dict[Tuple[str, Optional[int], str], str]) -> Optional[Finding]:
    """The manual's firewall case: lmgrd answers, the vendor daemon's port does not."""
    lm_states = [v for (h, _p, r), v in state.items() if h == t.host.lower() and r == "lmgrd"]
    lm = OPEN if OPEN in lm_states else (lm_states[0] if lm_states else None)
    vd = state.get((t.host.lower(), t.port, "vendor"))
    if lm == OPEN and vd == TIMEOUT:
        return Finding(
            "network.vendor-port-blocked", Status.FAIL,
            f"lmgrd on {t.host} answers, but the {t.vendor} port {t.port} times out: a firewall",
            detail="Clients reach lmgrd, which sends them to the vendor daemon's port; that port is blocked, so "
                   "checkouts hang and fail.",
            fix=f"Open port {t.port} (the DAEMON line's port=) in the firewall, as well as the lmgrd port.",
            seed_ref=SEED_FLOAT)
    if lm == OPEN and vd == REFUSED:
        return Finding(
            "network.vendor-down", Status.FAIL,
            f"lmgrd on {t.host} answers, but nothing listens on the {t.vendor} port {t.port}",
            detail="The vendor daemon is not running (or uses another port): checkouts fail.",
            fix="Look at the debug log on the server for the vendor daemon's exit reason "
                "(lmdoctor log FILE), and check the DAEMON line's port=.", seed_ref=SEED_CUSTOM)
    return None


def _triad_findings(targets: List[Target], state: Dict[Tuple[str, Optional[int], str], str]) -> List[Finding]:
    """Triads: two of three are needed."""
    groups: Dict[str, List[Target]] = {}
    for t in targets:
        if t.group and t.role == "lmgrd":
            groups.setdefault(t.group, []).append(t)
    out = []
    for g, members in groups.items():
        up = [m for m in members if state.get((m.host.lower(), m.port, "lmgrd")) == OPEN]
        ok = len(up) >= 2
        out.append(Finding(
            "network.triad-quorum", Status.OK if ok else Status.FAIL,
            f"Triad {g}: {len(up)} of {len(members)} servers answer" + ("" if ok else ": no quorum"),
            detail="A redundant triad serves licenses while 2 of its 3 servers are up.",
            fix="" if ok else "Bring up at least two of the three servers (error -20: no majority).",
            evidence=[f"{m.label}: {state.get((m.host.lower(), m.port, 'lmgrd'))}" for m in members],
            seed_ref=SEED_TROUBLE))
    return out
