"""A client of the sandbox daemons (lmutil and the scenarios use it): the port hand-off,
status, diagnostics and check-outs over the sandbox's line protocol."""
from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..exceptions import LmdoctorError
from .common import IO_TIMEOUT, LineReader, request, send_lines


@dataclass
class VendorStatus:
    name: str
    up: bool
    version: str
    port: int


@dataclass
class ServerStatus:
    version: str
    host: str
    port: int
    license_path: str = ""
    vendors: List[VendorStatus] = field(default_factory=list)


@dataclass
class FeatureUse:
    name: str
    version: str
    expiry: str
    total: int
    in_use: int


@dataclass
class UserUse:
    feature: str
    user: str
    host: str
    display: str
    version: str
    handle: int
    start: int


class ClientError(LmdoctorError):
    """A failed exchange; ``errno`` is the OS error behind it (111 refused ...)."""

    def __init__(self, message: str, errno: int = 0) -> None:
        super().__init__(message)
        self.errno = errno


def _ask(host: str, port: int, line: str, timeout: float) -> List[str]:
    lines, err = request(host, port, line, timeout)
    if lines is None:
        code = getattr(err, "errno", 0) or 0
        raise ClientError(getattr(err, "strerror", None) or str(err), code)
    return lines


def server_status(host: str, port: int, timeout: float = IO_TIMEOUT) -> ServerStatus:
    lines = _ask(host, port, "STATUS", timeout)
    st: Optional[ServerStatus] = None
    for ln in lines:
        w = ln.split()
        if w and w[0] == "LMGRD" and len(w) >= 4:
            st = ServerStatus(w[1], w[2], int(w[3]) if w[3].isdigit() else port)
        elif w and w[0] == "LICENSE" and st:
            st.license_path = ln.split(" ", 1)[1] if " " in ln else ""
        elif w and w[0] == "VENDOR" and st and len(w) >= 5:
            st.vendors.append(VendorStatus(w[1], w[2] == "UP", "" if w[3] == "-" else w[3],
                                           int(w[4]) if w[4].isdigit() else 0))
    if st is None:
        raise ClientError("Invalid returned data from license server", 0)
    return st


def where(host: str, port: int, vendor: str, timeout: float = IO_TIMEOUT) -> Optional[int]:
    """The vendor daemon's port, or None when lmgrd knows it but it is down / does not know it."""
    lines = _ask(host, port, f"WHERE {vendor}", timeout)
    for ln in lines:
        if ln.startswith("PORT "):
            return int(ln.split()[1])
    return None


def features(host: str, vport: int, timeout: float = IO_TIMEOUT) -> Tuple[List[FeatureUse], List[UserUse]]:
    feats: List[FeatureUse] = []
    users: List[UserUse] = []
    for ln in _ask(host, vport, "FEATURES", timeout):
        w = ln.split()
        if w[:1] == ["FEATURE"] and len(w) >= 6:
            feats.append(FeatureUse(w[1], w[2], w[3], int(w[4]), int(w[5])))
        elif w[:1] == ["USER"] and len(w) >= 8:
            users.append(UserUse(w[1], w[2], w[3], w[4], w[5], int(w[6]), int(w[7])))
    return feats, users


def diag(host: str, vport: int, feature: str, timeout: float = IO_TIMEOUT) -> List[str]:
    """['OK', version, expiry, total] or ['NO', '-18,327', text...]."""
    lines = _ask(host, vport, f"DIAG {feature}", timeout)
    return lines[0].split() if lines else ["NO", "-12,0", "Invalid returned data from license server"]


def lmdown(host: str, port: int, timeout: float = IO_TIMEOUT) -> bool:
    return "OK" in _ask(host, port, f"DOWN {getpass.getuser()} {socket.gethostname()}", timeout)


class Checkout:
    """A held license: the connection stays open until close() (or the process ends)."""

    def __init__(self, host: str, vport: int, timeout: float = IO_TIMEOUT) -> None:
        self.sock = socket.create_connection((host, vport), timeout=timeout)
        self.reader = LineReader(self.sock)
        self.handles: List[int] = []

    def _exchange(self, line: str) -> List[str]:
        send_lines(self.sock, [line])
        out: List[str] = []
        while True:
            got = self.reader.readline()
            if got is None or got == "END":
                return out
            out.append(got)

    def checkout(self, feature: str, version: str = "4.0", user: Optional[str] = None,
                 host: Optional[str] = None, display: str = "/dev/tty") -> Tuple[bool, str]:
        user = user or getpass.getuser()
        host = host or socket.gethostname()
        ans = self._exchange(f"CHECKOUT {feature} {version} {user} {host} {display}")
        first = ans[0] if ans else "DENIED -12,0 no answer"
        if first.startswith("GRANTED "):
            self.handles.append(int(first.split()[1]))
            return True, first
        return False, first

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Checkout":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
