"""What the planner knows: the check's findings and the facts the check read on the way.

The repair plans from the very same run as ``lmdoctor check`` (checks.check.check_machine): the
license it found, the process snapshot with the listening sockets, this machine's identity. Only
what the check does not keep is read here: the license's bytes (hashed for the plan), the debug
logs that name the license, the running servers' environment and working directory.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

from .. import inputgate
from ..check import CheckRun, current_session_findings
from ..findings import Finding, Status
from ..hostinfo import HostIdentity
from ..license import LicenseFile, parse_license
from ..probes.snapshot import ProcessScan, ProcInfo, base_name
from ..safe_write import FileState, SafeWriteError, leftover_temps, snapshot

LOG_SNIFF_BYTES = 256 * 1024
_CANT_MAKE = re.compile(r"Can't make directory (\S+?)/\.flexlm\b")
_LICENSE_FILES = re.compile(r"License file\(s\): (.+)$|License Path: \"([^\"]+)\"", re.M)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class ServerLog:
    """A debug log that belongs to the license: named on a running lmgrd's -l, or naming the license."""

    path: str
    session: List[Finding] = field(default_factory=list)  # findings of its last session
    text_tail: str = ""
    lock_parents: List[str] = field(default_factory=list)  # "<dir>" of "Can't make directory <dir>/.flexlm"


@dataclass
class RepairContext:
    run: CheckRun
    findings: List[Finding]
    license_path: Optional[str] = None
    data: Optional[bytes] = None  # the license's bytes at plan time
    license: Optional[LicenseFile] = None
    state: Optional[FileState] = None
    identity: HostIdentity = field(default_factory=HostIdentity)
    scan: ProcessScan = field(default_factory=ProcessScan)
    servers: List[ProcInfo] = field(default_factory=list)  # running lmgrds started with this license
    logs: List[ServerLog] = field(default_factory=list)
    root: bool = False
    env: Dict[str, str] = field(default_factory=dict)
    home: str = ""
    leftovers: List[str] = field(default_factory=list)  # temp files of an interrupted write of the license
    lmutil: Optional[str] = None
    vendor: str = "sigasi"

    def has(self, *ids: str, statuses=(Status.FAIL, Status.WARN)) -> List[Finding]:
        return [f for f in self.findings if f.id in ids and f.status in statuses]

    @property
    def ids(self) -> Set[str]:
        return {f.id for f in self.findings if f.status in (Status.FAIL, Status.WARN)}

    def vendors(self) -> List[str]:
        if self.license is not None:
            names = [v.name for v in self.license.vendors if v.name]
            if names:
                return names
        return [self.vendor]

    def lmgrd_dirs(self) -> List[str]:
        """Where lmgrd (and, beside it, the vendor daemon and lmutil) live: running servers, then the license's dir."""
        out: List[str] = []
        for g in self.servers + self.scan.by_role("lmgrd"):
            p = g.cmdline[0] if g.cmdline and os.path.isabs(g.cmdline[0]) else (g.exe or "")
            if p and base_name(p) == "lmgrd":
                d = os.path.dirname(p)
                if d not in out:
                    out.append(d)
        if self.license_path:
            d = os.path.dirname(os.path.abspath(self.license_path))
            if d not in out:
                out.append(d)
        return out

    def find_lmgrd(self) -> Optional[str]:
        """The lmgrd binary: a running one's, beside the license, on PATH. Never a path the license names."""
        for d in self.lmgrd_dirs():
            c = os.path.join(d, "lmgrd")
            if os.path.isfile(c) and os.access(c, os.X_OK):
                return c
        return shutil.which("lmgrd")

    def vendor_daemon_beside(self, vendor: str) -> Optional[str]:
        for d in self.lmgrd_dirs():
            c = os.path.join(d, vendor)
            if os.path.isfile(c) and os.access(c, os.X_OK):
                return c
        return None


def _read_tail(path: str, limit: int = LOG_SNIFF_BYTES) -> bytes:
    """The end of a log, through the input gate (a FIFO or device named like a log is refused)."""
    try:
        with inputgate.open_tail(path, inputgate.Kind.LOG, limit) as fh:
            return fh.read(limit)
    except inputgate.InputError as exc:
        raise OSError(str(exc)) from exc


def names_license(text: str, license_path: str) -> bool:
    real = os.path.realpath(license_path)
    for m in _LICENSE_FILES.finditer(text):
        for part in re.split(r"[:;]", (m.group(1) or m.group(2) or "").strip()):
            if part and os.path.realpath(part.strip()) == real:
                return True
    return False


def find_logs(license_path: Optional[str], servers: List[ProcInfo]) -> List[ServerLog]:
    """The debug logs of this license's server: each running lmgrd's -l, else a log beside the license naming it."""
    paths: List[str] = []
    for g in servers:
        if g.log_arg and os.path.isabs(g.log_arg):
            paths.append(g.log_arg)
    if not paths and license_path:
        d = os.path.dirname(os.path.abspath(license_path))
        try:
            cands = [os.path.join(d, n) for n in os.listdir(d) if n.lower().endswith((".log", ".txt"))]
        except OSError:
            cands = []
        for c in sorted(cands, key=lambda p: -_mtime(p)):
            try:
                if names_license(_read_tail(c, 64 * 1024).decode("utf-8", "replace"), license_path):
                    paths.append(c)
                    break
            except OSError:
                continue
    out = []
    for p in dict.fromkeys(paths):
        try:
            data = _read_tail(p)
        except OSError:
            continue
        log = ServerLog(p, current_session_findings(data, p), data.decode("utf-8", "replace"))
        # Only the last session's complaint counts (an earlier one may be fixed already).
        tail = _last_session(log.text_tail)
        log.lock_parents = list(dict.fromkeys(m.group(1) for m in _CANT_MAKE.finditer(tail)))
        out.append(log)
    return out


def _last_session(text: str) -> str:
    i = text.rfind(") started on ")
    if i < 0:
        return text
    return text[text.rfind("\n", 0, i) + 1:]


def _mtime(p: str) -> float:
    try:
        return os.stat(p).st_mtime
    except OSError:
        return 0.0


def build_context(run: CheckRun, env: Optional[Dict[str, str]] = None, home: Optional[str] = None) -> RepairContext:
    ctx = run.ctx
    choice = run.choice
    scan = ctx.get_scan()
    rc = RepairContext(run=run, findings=list(run.raw_findings or run.report.findings), scan=scan, root=is_root(),
                       env=dict(env if env is not None else ctx.env), home=home or ctx.home_dir())
    try:
        rc.identity = ctx.get_identity()
    except Exception:
        rc.identity = HostIdentity()
    if choice.path:
        rc.license_path = os.path.abspath(choice.path)
        try:
            rc.state = snapshot(rc.license_path)
            rc.data = inputgate.read_input(rc.state.target, inputgate.Kind.LICENSE)
            rc.license = parse_license(rc.data, path=rc.license_path)
        except (OSError, SafeWriteError, inputgate.InputError):
            rc.data = None
        rc.leftovers = leftover_temps(rc.license_path)
        rc.servers = [g for g in scan.by_role("lmgrd") if g.pid in choice.lmgrd_pids]
    rc.logs = find_logs(rc.license_path, rc.servers)
    if rc.license is not None and rc.license.vendors:
        rc.vendor = rc.license.vendors[0].name or rc.vendor
    try:
        from ..flexnet.lmutil import find_lmutil

        loc = find_lmutil(license_path=rc.license_path)
        rc.lmutil = loc.path if loc else None
    except Exception:
        rc.lmutil = None
    return rc
