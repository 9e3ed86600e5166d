"""This machine's identity as FlexNet sees it: host names, addresses and interface MACs.

Read with socket and netifaces (no shelling out to ip/ifconfig). Every call is
defensive: a container with no interfaces, or a resolver that hangs on the FQDN,
must still give an answer.
"""
from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional

_HEX12 = re.compile(r"^[0-9a-fA-F]{12}$")


def normalize_mac(text: str) -> Optional[str]:
    """'00:1A:2b-3c.4d5e' -> '001a2b3c4d5e'; None when it is not a 48-bit MAC."""
    t = re.sub(r"[:\-\.\s]", "", text or "").lower()
    if _HEX12.match(t):
        return t
    return None


@dataclass(frozen=True)
class HostIdentity:
    short_name: str = ""
    fqdn: str = ""
    addresses: FrozenSet[str] = frozenset()
    macs: Dict[str, str] = field(default_factory=dict)  # normalized mac -> interface name

    @property
    def names(self) -> FrozenSet[str]:
        out = {n.lower() for n in (self.short_name, self.fqdn) if n}
        out |= {n.split(".", 1)[0] for n in list(out)}
        return frozenset(out)

    def is_this_host(self, host: str) -> bool:
        h = (host or "").strip().lower()
        if not h:
            return False
        return h in self.names or h.split(".", 1)[0] in self.names or h in self.addresses or h in (
            "localhost", "127.0.0.1", "::1")

    def has_mac(self, hostid: str) -> bool:
        m = normalize_mac(hostid)
        return m is not None and m in self.macs

    def mac_list(self) -> List[str]:
        return [f"{mac} ({iface})" for mac, iface in sorted(self.macs.items())]


def local_macs() -> Dict[str, str]:
    macs: Dict[str, str] = {}
    try:
        import netifaces  # netifaces-plus

        link = getattr(netifaces, "AF_LINK", 17)
        for iface in netifaces.interfaces():
            try:
                for a in netifaces.ifaddresses(iface).get(link, []):
                    m = normalize_mac(a.get("addr", ""))
                    if m and m != "000000000000":
                        macs.setdefault(m, iface)
            except (ValueError, OSError):
                continue  # interface vanished between listing and reading
    except Exception:  # no netifaces or no readable interfaces: no MACs known, the callers say 'unknown'
        pass
    return macs


def local_addresses() -> FrozenSet[str]:
    out = set()
    try:
        import netifaces

        for iface in netifaces.interfaces():
            try:
                addrs = netifaces.ifaddresses(iface)
            except (ValueError, OSError):
                continue
            for fam in (netifaces.AF_INET, getattr(netifaces, "AF_INET6", 10)):
                for a in addrs.get(fam, []):
                    ip = a.get("addr", "").split("%", 1)[0]
                    if ip:
                        out.add(ip.lower())
    except Exception:  # no netifaces: only names and resolved addresses identify this host
        pass
    return frozenset(out)


def current_identity() -> HostIdentity:
    try:
        short = socket.gethostname()
    except OSError:
        short = ""
    # getfqdn() can block on a broken resolver; only use it when the short name has no dot.
    fqdn = short
    try:
        if short and "." not in short:
            cand = socket.getfqdn(short)
            # Some resolvers answer "localhost" for the host's own name: not an FQDN of it.
            if cand.lower().startswith(short.lower() + "."):
                fqdn = cand
    except OSError:
        pass
    return HostIdentity(short_name=short, fqdn=fqdn, addresses=local_addresses(), macs=local_macs())


def tcp_port_free(port: int) -> bool:
    """Whether a server could listen on TCP ``port`` here (nothing else listens on it).

    A bind without listen, closed at once: the port is never held. SO_REUSEADDR so a socket
    in TIME_WAIT does not count as taken; on Linux it still refuses a port someone listens on.
    """
    if not 0 < port < 65536:
        return False
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", port))
        return True
    except PermissionError:
        return True  # a privileged port: not ours to judge, and lint never proposes one
    except OSError:
        return False
    finally:
        s.close()
