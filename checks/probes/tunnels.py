"""Probe 5: SSH tunnels that carry license traffic.

Forwards are read from the ssh processes' command lines (``-L``/``-R``, flag clusters
like ``-fNL``, ``-o LocalForward=...``). A tunnel to a license server must forward the
lmgrd port *and* the vendor daemon port (so the DAEMON line needs a fixed ``port=``),
and the client should use 127.0.0.1 rather than ``localhost`` when the forward listens
on IPv4 only (the manual's advice).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Set

from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from ..serverspec import parse_port
from .context import SEED_FLOAT, ProbeContext
from .snapshot import ProcessScan, ProcInfo

# ssh options that take an argument (from ssh(1)); a flag cluster ends at the first of them.
_ARG_FLAGS = set("BbcDEeFIiJLlmOoPpQRSWw")


@dataclass(frozen=True)
class Forward:
    kind: str  # "L" (local: listen here) or "R" (remote: listen on the ssh server)
    bind: Optional[str]
    listen_port: int
    dest_host: str
    dest_port: int
    spec: str

    def text(self) -> str:
        return f"-{self.kind} {self.spec}"


def _split_spec(spec: str) -> List[str]:
    # [bind:]port:host:hostport with bind or host possibly '[v6]'
    parts: List[str] = []
    buf = ""
    depth = 0
    for ch in spec:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch == ":" and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return [p[1:-1] if p.startswith("[") and p.endswith("]") else p for p in parts]


def parse_forward(kind: str, spec: str) -> Optional[Forward]:
    spec = spec.strip()
    if " " in spec:  # LocalForward style: '27000 server:27000'
        a, b = spec.split(None, 1)
        spec = f"{a}:{b}"
    parts = _split_spec(spec)
    if len(parts) == 3:
        bind, port, host, hport = None, parts[0], parts[1], parts[2]
    elif len(parts) == 4:
        bind, port, host, hport = parts
    else:
        return None  # unix sockets, dynamic forwards and garbage
    lport, rport = parse_port(port), parse_port(hport)
    if lport is None or rport is None:
        return None
    return Forward(kind, bind or None, lport, host, rport, spec)


def parse_ssh_forwards(argv: Sequence[str]) -> List[Forward]:
    """Every -L/-R forward in an ssh command line. Never raises."""
    out: List[Forward] = []
    args = list(argv)[1:]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if not a.startswith("-") or a == "-" or a.startswith("--"):
            if not a.startswith("-"):
                break  # the destination: what follows is the remote command
            continue
        cluster = a[1:]
        for j, ch in enumerate(cluster):
            if ch not in _ARG_FLAGS:
                continue
            value = cluster[j + 1:]
            if not value:
                value = args[i] if i < len(args) else ""
                i += 1
            if ch in "LR":
                f = parse_forward(ch, value)
                if f:
                    out.append(f)
            elif ch == "o":
                m = re.match(r"^\s*(LocalForward|RemoteForward)\s*[= ]\s*(.+)$", value, re.I)
                if m:
                    f = parse_forward("L" if m.group(1).lower().startswith("local") else "R", m.group(2))
                    if f:
                        out.append(f)
            break
    return out


def ipv4_only(argv: Sequence[str]) -> bool:
    """True when ssh was given -4 (forwards then listen on IPv4 only)."""
    args = list(argv)[1:]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if not a.startswith("-") or a.startswith("--") or a == "-":
            if not a.startswith("-"):
                return False
            continue
        cluster = a[1:]
        for j, ch in enumerate(cluster):
            if ch == "4":
                return True
            if ch in _ARG_FLAGS:
                if j == len(cluster) - 1:
                    i += 1  # the value is the next argument
                break
    return False


def probe_tunnels(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                  on_finding: FindingSink = discard) -> List[Finding]:
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    scan = ctx.get_scan()
    lm_ports = set(ctx.lmgrd_ports())
    vendor_ports = ctx.vendor_ports()
    fixed_vendor_ports = {p for p in vendor_ports.values() if p}
    client_uses_localhost = _client_uses_localhost(ctx)
    found_any = False
    for p in scan.by_role("ssh"):
        cancel.check()
        fwds = parse_ssh_forwards(p.cmdline)
        lm = [f for f in fwds if f.dest_port in lm_ports or f.listen_port in lm_ports]
        if not lm:
            continue
        found_any = True
        for f in _tunnel_findings(p, fwds, lm, fixed_vendor_ports, list(vendor_ports)):
            emit(f)
        if client_uses_localhost and _listens_ipv4_only(p, lm, scan):
            emit(Finding(
                "tunnel.localhost-ipv4", Status.WARN,
                "The client uses 'localhost', but the tunnel listens on IPv4 only",
                detail="'localhost' may resolve to ::1 first; the client then misses the tunnel.",
                fix="Use 127.0.0.1 instead of localhost, e.g. SIGASI_LM_LICENSE_FILE=27000@127.0.0.1.",
                evidence=_evidence(p, fwds), seed_ref=SEED_FLOAT))
    if not found_any:
        emit(Finding("tunnel.none", Status.OK, "No SSH tunnel carries a license port"))
    return out


def _evidence(p: ProcInfo, fwds: List[Forward]) -> List[str]:
    return [f"pid {p.pid} user={p.user or '?'}: {p.command_text()[:300]}"] + [f.text() for f in fwds]


def _tunnel_findings(p: ProcInfo, fwds: List[Forward], lm: List[Forward], fixed_vendor_ports: Set[int],
                     vendor_names: List[str]) -> List[Finding]:
    """One ssh that forwards lmgrd: does it carry the vendor daemon's port too, unrenumbered?"""
    vd = [f for f in fwds if f.dest_port in fixed_vendor_ports]
    ev = _evidence(p, fwds)
    out = [Finding("tunnel.found", Status.INFO, f"SSH tunnel (pid {p.pid}) forwards license port(s) "
                   + ", ".join(str(f.dest_port) for f in lm), evidence=ev, seed_ref=SEED_FLOAT)]
    if not fixed_vendor_ports:
        out.append(Finding(
            "tunnel.vendor-port-random", Status.FAIL,
            "The tunnel forwards lmgrd, but the vendor daemon has no fixed port to forward",
            detail="Clients ask lmgrd, then connect to the vendor daemon's port; without port= on the DAEMON "
                   "line that port changes on every start and no tunnel can carry it.",
            fix=f"Add port=27001 to the DAEMON line (DAEMON {(vendor_names or ['<vendor>'])[0]} port=27001), restart "
                "lmgrd, and forward 27001 as well.", evidence=ev, seed_ref=SEED_FLOAT))
    elif not vd:
        ports = ", ".join(str(x) for x in sorted(fixed_vendor_ports))
        out.append(Finding(
            "tunnel.vendor-port-missing", Status.FAIL,
            f"The tunnel forwards lmgrd but not the vendor daemon port {ports}",
            detail="Checkouts reach lmgrd through the tunnel, then fail connecting to the vendor daemon.",
            fix=f"Forward it too, with the same port on both sides: -L {ports}:<server>:{ports}.",
            evidence=ev, seed_ref=SEED_FLOAT))
    for f in lm + vd:
        if f.kind == "L" and f.listen_port != f.dest_port:
            out.append(Finding(
                "tunnel.port-renumbered", Status.WARN if f in vd else Status.INFO,
                f"Forward {f.spec} changes the port number ({f.listen_port} -> {f.dest_port})",
                detail="lmgrd tells clients the vendor daemon's port as written in the license; a renumbered "
                       "forward of that port is never used.",
                fix=f"Use the same number on both sides: -L {f.dest_port}:{f.dest_host}:{f.dest_port}.",
                evidence=ev))
    return out


def _listens_ipv4_only(p: ProcInfo, lm: List[Forward], scan: ProcessScan) -> bool:
    """Whether the tunnel listens on IPv4 only: its real sockets when seen, else its -4 flag or bind address."""
    socks = [sock for sock in scan.listeners or [] if sock.pid == p.pid]
    if socks:
        return all(sock.family == "ipv4" for sock in socks)
    return bool(ipv4_only(p.cmdline) or any(f.bind and re.match(r"^\d+\.\d+\.\d+\.\d+$", f.bind) for f in lm))


def _client_uses_localhost(ctx: ProbeContext) -> bool:
    from .searchpath import collect_sources, parse_search_path

    sources, _ = collect_sources(ctx.env, ctx.home_dir(), ctx.all_vendors(), ctx.is_windows)
    for s in sources:
        if s.origin == "default":
            continue
        for e in parse_search_path(s.value, ctx.is_windows).entries:
            if any(sv.host.lower() == "localhost" for sv in e.servers):
                return True
    return any("@localhost" in s.lower() for s in ctx.servers)
