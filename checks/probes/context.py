"""What every probe gets: the license in use, the targets, the timeout, shared snapshots.

The process snapshot and the host identity are read once, lazily, by whichever probe
asks first; the others reuse it. Both are guarded by a lock because probes run in
threads. "Is this machine the license server?" is answered here, once, for every probe
and for the troubleshooting tree (``tree.probes.ProbeEnv`` is built on this context).

Layering: the probe modules import this context; it imports only the snapshot readers
(``snapshot``) and plain data modules, never a probe (an import-linter contract in
pyproject.toml keeps it so).
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..hostinfo import HostIdentity
from ..license import LicenseFile
from .snapshot import DEFAULT_VENDOR, ProcessScan, ProcInfo, bounded_identity, scan_processes

DEFAULT_LMGRD_PORT = 27000
DEFAULT_VENDOR_PORT = 27001
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")  # a SERVER line naming these says nothing about the host

SEED_TROUBLE = "Troubleshooting"
SEED_FLOAT = "Troubleshooting > Floating licenses"
SEED_TYPICAL = "Troubleshooting > Typical error messages"
SEED_CUSTOM = "License server setup > Customize License Server settings"
SEED_LINUX = "License server setup > Starting the FlexNet and Sigasi daemon on Linux"


@dataclass(frozen=True)
class Target:
    """One TCP endpoint to try: a license server's lmgrd port or its vendor daemon port."""

    host: str
    port: Optional[int]  # None for '@host': FlexNet tries 27000-27009
    source: str  # where it came from: '--server', 'SIGASI_LM_LICENSE_FILE', 'license line 3'
    role: str = "lmgrd"  # "lmgrd" or "vendor"
    group: Optional[str] = None  # the triad this target belongs to (its raw text)
    vendor: Optional[str] = None  # for role "vendor": the daemon's name

    @property
    def label(self) -> str:
        return f"{self.port if self.port is not None else ''}@{self.host}"


@dataclass
class ProbeContext:
    license: Optional[LicenseFile] = None
    license_path: Optional[str] = None
    vendors: List[str] = field(default_factory=lambda: [DEFAULT_VENDOR])
    servers: List[str] = field(default_factory=list)  # --server PORT@HOST as given
    timeout: float = 3.0
    env: Dict[str, str] = field(default_factory=lambda: dict(os.environ))
    home: Optional[str] = None
    is_windows: bool = sys.platform.startswith("win")
    scan: Optional[ProcessScan] = None  # read lazily when None
    identity: Optional[HostIdentity] = None  # read lazily (with a bounded FQDN lookup) when None
    # Filled by the reachability probe: lmgrd endpoints (port@host, triads whole) that answered.
    open_servers: List[str] = field(default_factory=list)
    # Separate locks: a slow FQDN lookup must not hold up the process snapshot.
    _scan_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _id_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def home_dir(self) -> str:
        return self.home or self.env.get("HOME") or os.path.expanduser("~")

    def all_vendors(self) -> List[str]:
        names: Dict[str, None] = {}
        for v in self.vendors:
            if v:
                names.setdefault(v, None)
        if self.license is not None:
            for v in self.license.vendor_names():
                if v and len(v) <= 64:
                    names.setdefault(v, None)
        return list(names)

    def lmgrd_ports(self) -> List[int]:
        if self.license is not None:
            ports = [s.port for s in self.license.servers if s.port and 0 < s.port < 65536]
            if ports:
                return sorted(set(ports))
        return [DEFAULT_LMGRD_PORT]

    def vendor_ports(self) -> Dict[str, Optional[int]]:
        """vendor -> fixed port (None: the DAEMON line has no port=, the daemon picks one)."""
        out: Dict[str, Optional[int]] = {}
        if self.license is not None:
            for v in self.license.vendors:
                if v.name:
                    p = v.port if v.port and 0 < v.port < 65536 else None
                    out.setdefault(v.name, p)
        if not out:
            out[self.vendors[0] if self.vendors else DEFAULT_VENDOR] = DEFAULT_VENDOR_PORT
        return out

    def get_scan(self) -> ProcessScan:
        with self._scan_lock:
            if self.scan is None:
                self.scan = scan_processes(self.all_vendors())
            return self.scan

    def get_identity(self) -> HostIdentity:
        with self._id_lock:
            if self.identity is None:
                self.identity = bounded_identity(min(self.timeout, 2.0))
            return self.identity

    # ------------------------------------------------------------------ is this the server?
    def license_real_path(self) -> Optional[str]:
        """The license file's real path (symlinks resolved), or None when there is no file."""
        if not self.license_path:
            return None
        try:
            return os.path.realpath(self.license_path)
        except (OSError, ValueError):
            return None

    def serves_this_license(self) -> List[ProcInfo]:
        """The running lmgrds started with the license in use (all of them when no license is known)."""
        lmgrds = self.get_scan().by_role("lmgrd")
        if not self.license_path:
            return lmgrds
        real = self.license_real_path()
        if real is None:
            return []
        return [g for g in lmgrds if real in g.license_key.split(":")]

    def serving_processes(self) -> Tuple[List[ProcInfo], List[ProcInfo]]:
        """(lmgrds, vendor daemons) serving the license in use: the vendor daemons are the
        children of those lmgrds or were started with the same license (all of them when no
        license is known)."""
        lmgrds = self.serves_this_license()
        vendors = self.get_scan().by_role("vendor")
        real = self.license_real_path()
        if not self.license_path:
            return lmgrds, vendors
        pids = {g.pid for g in lmgrds}
        return lmgrds, [v for v in vendors
                        if v.ppid in pids or (real is not None and real in v.license_key.split(":"))]

    def license_names_this_host(self) -> bool:
        """The license's SERVER line names this machine, by host name or by hostid."""
        if self.license is None or not self.license.servers:
            return False
        try:
            ident = self.get_identity()
        except Exception:  # hostinfo reads sockets and interfaces; any failure means "cannot tell"
            return False
        servers = self.license.servers
        return (any(s.host and s.host.lower() not in LOOPBACK_NAMES and ident.is_this_host(s.host) for s in servers)
                or any(s.hostid and ident.has_mac(s.hostid) for s in servers))

    def server_here(self) -> bool:
        """Is this machine the license server: an lmgrd runs for this license, or the license names us."""
        return bool(self.serves_this_license()) or self.license_names_this_host()
