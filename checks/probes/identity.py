"""Probe 6: this machine's identity as FlexNet sees it, against the license.

Host names and interface MACs come from ``checks.hostinfo`` (socket + netifaces).
The license-side comparison of SERVER hostids and ``mac:`` values is the lint's job
(it receives the identity read here); this probe reports what the machine is and
whether Sigasi Studio's own MAC lookup (``ip``, or ``ifconfig`` before 4.3) can work.
"""
from __future__ import annotations

import os
import shutil
import sys
from typing import List, Optional

from ..findings import Finding, Status
from ..license.placeholders import usable_host
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from .context import SEED_TROUBLE, ProbeContext

SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")


def find_tool(name: str, path: Optional[str] = None) -> Optional[str]:
    """Like `which`, but also looks in sbin: a normal user's PATH often lacks it."""
    found = shutil.which(name, path=path)
    if found:
        return found
    for d in SBIN_DIRS:
        cand = os.path.join(d, name)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def probe_identity(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                   on_finding: FindingSink = discard) -> List[Finding]:
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    ident = ctx.get_identity()
    names = ident.short_name + (f" ({ident.fqdn})" if ident.fqdn and ident.fqdn != ident.short_name else "")
    emit(Finding("identity.host", Status.INFO, f"This machine: {names or 'no host name'}",
                 evidence=["addresses: " + (", ".join(sorted(ident.addresses)) or "none")]))
    if ident.macs:
        emit(Finding("identity.macs", Status.INFO, f"{len(ident.macs)} network interface MAC(s)",
                     detail="These are the host ids FlexNet can match (SERVER hostid, HOSTID=, mac: in VENDOR_STRING).",
                     evidence=ident.mac_list(), seed_ref=SEED_TROUBLE))
    else:
        emit(Finding("identity.no-interfaces", Status.WARN, "No network interface with a MAC address found",
                     detail="FlexNet then cannot find an Ethernet host id (error -29): a license bound to a MAC "
                            "cannot work here. Containers and some VMs look like this.",
                     fix="Run on the machine (or VM with a fixed MAC) the license was issued for.",
                     seed_ref=SEED_TROUBLE))
    cancel.check()
    if ctx.license is not None:
        for s in ctx.license.servers:
            if not usable_host(s.host):
                continue  # the lint names placeholders and this_host
            if ident.is_this_host(s.host):
                emit(Finding("identity.server-is-here", Status.INFO, f"SERVER host {s.host} is this machine",
                             detail="This machine is the license server for this file.", line=s.line,
                             file=ctx.license_path))
            else:
                emit(Finding("identity.server-elsewhere", Status.INFO,
                             f"SERVER host {s.host} is another machine: this one is a client", line=s.line,
                             file=ctx.license_path,
                             evidence=["this machine: " + (", ".join(sorted(ident.names)) or "?")]))
    if sys.platform.startswith("linux"):
        ip = find_tool("ip")
        ifc = find_tool("ifconfig")
        if ip:
            emit(Finding("identity.ip-command", Status.OK, f"The ip command is present ({ip})",
                         detail="Sigasi Studio 4.3 and later list MAC addresses with it."))
        else:
            emit(Finding("identity.ip-command", Status.WARN, "The ip command is missing",
                         detail="Sigasi Studio 4.3 and later use 'ip' to list MAC addresses; without it a "
                                "node-locked key cannot be matched.",
                         fix="Install the iproute2 package.", seed_ref=SEED_TROUBLE))
        if ifc:
            emit(Finding("identity.ifconfig", Status.OK, f"ifconfig is present ({ifc})"))
        else:
            emit(Finding("identity.ifconfig", Status.INFO, "ifconfig is missing (only Sigasi Studio before 4.3 "
                                                           "needs it)",
                         fix="For Sigasi Studio older than 4.3: install net-tools (Arch, Debian, Ubuntu) or "
                             "net-tools-deprecated (openSUSE).", seed_ref=SEED_TROUBLE))
    return out
