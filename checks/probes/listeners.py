"""Probe 2: who listens on the lmgrd port and the vendor daemon port.

Ports come from the license (SERVER port, DAEMON port=), else 27000 and 27001.
The socket table is psutil's; the OS may not tell an unprivileged user which
process owns a socket, which becomes a ``skip`` saying root would see more.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from .context import SEED_CUSTOM, SEED_FLOAT, ProbeContext
from .snapshot import Listener, ProcessScan, ProcInfo, base_name


def _owner(scan: ProcessScan, pid: Optional[int]) -> Tuple[str, Optional[ProcInfo], List[str]]:
    """(process name, ProcInfo if it is a FlexNet process we know, evidence lines)."""
    if pid is None:
        return "", None, []
    known = scan.find(pid)
    if known is not None:
        return known.name, known, known.describe()[:2]
    import psutil

    try:
        p = psutil.Process(pid)
        name = p.name()
        ev = [f"pid {pid} {name}"]
        try:
            ev[0] += f" user={p.username()}"
        except psutil.Error:  # another user's process (AccessDenied): the name is evidence enough
            pass
        try:
            cmd = " ".join(p.cmdline())
            ev.append("command: " + (cmd[:500] + " ..." if len(cmd) > 500 else cmd))
        except psutil.Error:  # AccessDenied or gone since: the name is evidence enough
            pass
        return name, None, ev
    except psutil.Error:  # it exited between the socket scan and this look (or cannot be read)
        return "(exited)", None, [f"pid {pid}"]


def probe_listeners(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                    on_finding: FindingSink = discard) -> List[Finding]:
    scan = ctx.get_scan()
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    if scan.listeners_error:
        emit(Finding("listener.unreadable", Status.SKIP, "Could not read the listening sockets",
                     detail=scan.listeners_error, fix="Run lmdoctor as root to see who holds the license ports."))
        return out
    here = ctx.server_here()
    vendor_names = {v.lower() for v in ctx.all_vendors()}
    wanted: List[Tuple[int, str, str]] = [(p, "lmgrd", "lmgrd") for p in ctx.lmgrd_ports()]
    for vname, vport in ctx.vendor_ports().items():
        if vport is not None:
            wanted.append((vport, "vendor", vname))
    for port, role, daemon in wanted:
        cancel.check()
        holders = [sock for sock in scan.listeners or [] if sock.port == port]
        what = "lmgrd port" if role == "lmgrd" else f"{daemon} vendor daemon port"
        if not holders:
            emit(Finding(
                "listener.nothing", Status.FAIL if here else Status.INFO,
                f"Nothing listens on the {what} {port}",
                detail=("This machine is the license server, so clients will get 'Cannot connect to license server "
                        "(-15)'." if here else "Normal on a client; this machine is not the license server."),
                fix=("Start lmgrd (lmgrd -c <license> -l <log>) and read its debug log if the port still stays "
                     "closed." if here else ""),
                seed_ref=SEED_CUSTOM if here else None))
            continue
        by_pid: Dict[Optional[int], List[Listener]] = {}
        for sock in holders:
            by_pid.setdefault(sock.pid, []).append(sock)
        for pid, socks in by_pid.items():
            addrs = ", ".join(sorted({s.label for s in socks}))
            if pid is None:
                emit(Finding(
                    "listener.owner-unknown", Status.SKIP,
                    f"Port {port} is in use, but the OS does not say by which process: root would see more",
                    fix="Run 'sudo lmdoctor check' to see who holds the port.", evidence=addrs))
                continue
            name, known, ev = _owner(scan, pid)
            b = base_name(name)
            is_flex = b == "lmgrd" or b in vendor_names
            if not is_flex:
                emit(Finding(
                    "listener.foreign-process", Status.FAIL,
                    f"The {what} {port} is held by {name or '?'} (pid {pid}), not by {daemon}",
                    detail=(f"{daemon} cannot open its port: the debug log says 'The TCP port number in the license, "
                            f"{port}, is already in use'."),
                    fix=(f"Stop {name} (pid {pid}) or give the license another port: "
                         + ("the SERVER line's port" if role == "lmgrd" else f"DAEMON {daemon} port=<free port>")
                         + " (changing ports does not break the signature); open the new port in the firewall."),
                    evidence=[f"listening on {addrs}"] + ev, seed_ref=SEED_CUSTOM))
                continue
            if (role == "lmgrd") != (b == "lmgrd"):
                emit(Finding(
                    "listener.wrong-daemon", Status.WARN, f"The {what} {port} is held by {name} (pid {pid})",
                    detail="lmgrd and the vendor daemon need different ports (Sigasi: 27000 and 27001).",
                    fix="Give the SERVER line and the DAEMON line different ports.",
                    evidence=[f"listening on {addrs}"] + ev, seed_ref=SEED_CUSTOM))
                continue
            if all(s.loopback for s in socks):
                emit(Finding(
                    "listener.loopback-only", Status.WARN,
                    f"{name} (pid {pid}) listens on {port} on the loopback address only",
                    detail="Only this machine can connect; remote clients get 'Cannot connect to license server'. "
                           "(Fine when clients reach it through an SSH tunnel.)",
                    fix="Let the server listen on all addresses: check the SERVER host name resolves to the "
                        "machine's network address, not 127.0.0.1, in /etc/hosts.",
                    evidence=[f"listening on {addrs}"] + ev, seed_ref=SEED_FLOAT))
                continue
            emit(Finding("listener.ok", Status.OK, f"{name} (pid {pid}) listens on the {what} {port}",
                         evidence=[f"listening on {addrs}"] + ev))
    if scan.listeners_unowned and not _is_root() and not any(f.id == "listener.owner-unknown" for f in out):
        # Sockets of other users' processes (or other network namespaces) come without a pid.
        emit(Finding(
            "listener.partial", Status.SKIP,
            f"{scan.listeners_unowned} listening socket(s) without a visible owner: root would see more",
            fix="Run 'sudo lmdoctor check' for the full picture."))
    return out


def _is_root() -> bool:
    # As root, an ownerless socket belongs to another network namespace: nothing more to see.
    geteuid = getattr(os, "geteuid", None)
    return bool(geteuid and geteuid() == 0)
