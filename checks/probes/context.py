"""What every probe gets: the license in use, the targets, the timeout, shared snapshots.

The process snapshot and the host identity are read once, lazily, by whichever probe
asks first; the others reuse it. Both are guarded by a lock because probes run in
threads.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..hostinfo import HostIdentity
from ..license import LicenseFile

DEFAULT_LMGRD_PORT = 27000
DEFAULT_VENDOR_PORT = 27001
DEFAULT_VENDOR = "sigasi"

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
    scan: Optional[object] = None  # a processes.ProcessScan; read lazily when None
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

    def get_scan(self):
        from .processes import scan_processes

        with self._scan_lock:
            if self.scan is None:
                self.scan = scan_processes(self.all_vendors())
            return self.scan

    def get_identity(self) -> HostIdentity:
        from .identity import bounded_identity

        with self._id_lock:
            if self.identity is None:
                self.identity = bounded_identity(min(self.timeout, 2.0))
            return self.identity
