"""``--listen HOST:PORT``: read and judged without loading the HTTP server (``--check-config`` stays quick)."""
from __future__ import annotations

import ipaddress
from typing import Tuple

from ..exceptions import LmdoctorError

DEFAULT_LISTEN = "127.0.0.1:9319"


class ListenError(LmdoctorError, ValueError):
    """--listen is not HOST:PORT, or the address cannot be used."""


def parse_listen(text: str) -> Tuple[str, int]:
    """``127.0.0.1:9319``, ``[::1]:9319``, ``0.0.0.0:9319`` or ``:9319`` (all addresses) -> (host, port)."""
    t = text.strip()
    if t.startswith("["):
        host, sep, rest = t[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ListenError(f"{text!r} is not [IPV6]:PORT")
        port_text = rest[1:]
    else:
        host, sep, port_text = t.rpartition(":")
        if not sep:
            raise ListenError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9319)")
        if ":" in host:
            raise ListenError(f"{text!r}: write an IPv6 address in brackets, e.g. [::1]:9319")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ListenError(f"{text!r} has no valid port (0-65535)")
    return host or "0.0.0.0", int(port_text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
