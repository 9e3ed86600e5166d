"""Free TCP ports for a license: checked free now (bind test and the listening-socket table)."""
from __future__ import annotations

import errno
import socket
from typing import Iterable, Optional, Set

SEARCH = 200  # how far from the wanted port to look


def bindable(port: int) -> bool:
    """Nothing listens on the port on any address (IPv4 and, where there is one, IPv6)."""
    families = [(socket.AF_INET, "0.0.0.0")]
    if socket.has_ipv6:
        families.append((socket.AF_INET6, "::"))
    for fam, addr in families:
        try:
            s = socket.socket(fam, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 stack here
        try:
            if fam == socket.AF_INET6:
                try:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                except OSError:
                    pass
            s.bind((addr, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            if fam == socket.AF_INET6:
                continue  # IPv6 present but unusable: IPv4 decides
            return False
        finally:
            s.close()
    return True


def listening_ports(listeners: Optional[Iterable[object]]) -> Set[int]:
    return {getattr(x, "port", None) for x in listeners or []} - {None}  # type: ignore[return-value]


def free_port(near: int, avoid: Iterable[int] = (), busy: Iterable[int] = ()) -> Optional[int]:
    """The first free port after ``near`` (then before it), skipping ``avoid`` (ports the license uses)."""
    skip = set(avoid) | set(busy)
    order = [p for p in range(near + 1, min(65536, near + SEARCH))] + \
        [p for p in range(near - 1, max(1024, near - SEARCH), -1)]
    for p in order:
        if p in skip or not 1024 < p < 65536:
            continue
        if bindable(p):
            return p
    return None


def is_free(port: int, busy: Iterable[int] = ()) -> bool:
    return port not in set(busy) and bindable(port)
