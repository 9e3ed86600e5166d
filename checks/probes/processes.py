"""Probe 1: the FlexNet processes on this machine (lmgrd, vendor daemons, lmtools, lmutil, ssh).

Read with psutil only. Other users' processes may refuse some reads (AccessDenied):
that becomes one ``skip`` finding saying root would see more. Processes that exit
while we look (NoSuchProcess, ZombieProcess) are left out silently.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..findings import Finding, Status
from ..procs import ProcessRole
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from .context import DEFAULT_VENDOR, SEED_FLOAT, SEED_TYPICAL, ProbeContext

LMGRD = "lmgrd"
TOOL_NAMES = ("lmtools", "lmutil")
MAX_CMDLINE_CHARS = 4096  # an absurd command line is shown cut, never held whole in findings


def base_name(name: str) -> str:
    """'/opt/x/LMGRD.EXE' -> 'lmgrd'."""
    b = os.path.basename((name or "").replace("\\", "/")).lower()
    return b[:-4] if b.endswith(".exe") else b


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    name: str
    role: ProcessRole
    ppid: Optional[int] = None
    user: Optional[str] = None
    create_time: Optional[float] = None
    cmdline: Tuple[str, ...] = ()
    exe: Optional[str] = None
    license_arg: Optional[str] = None  # the -c value
    log_arg: Optional[str] = None  # the -l value
    denied: Tuple[str, ...] = ()  # which details the OS would not give us

    @property
    def base(self) -> str:
        return base_name(self.name)

    @property
    def license_key(self) -> str:
        """What identifies 'the same license' between processes."""
        if not self.license_arg:
            return "(default search path)"
        parts = [p for p in self.license_arg.replace(";", ":").split(":") if p]
        out = []
        for p in parts:
            try:
                out.append(os.path.realpath(p) if "@" not in p else p.lower())
            except (OSError, ValueError):
                out.append(p)
        return ":".join(out) or self.license_arg

    def command_text(self) -> str:
        text = " ".join(self.cmdline) if self.cmdline else self.name
        if len(text) > MAX_CMDLINE_CHARS:
            text = text[:MAX_CMDLINE_CHARS] + f" ... ({len(text)} characters)"
        return text

    def describe(self) -> List[str]:
        started = ""
        if self.create_time:
            try:
                started = _dt.datetime.fromtimestamp(self.create_time).strftime("%Y-%m-%d %H:%M:%S")
            except (OverflowError, OSError, ValueError):
                started = ""
        lines = [f"pid {self.pid} {self.name} user={self.user or '?'}" + (f" started {started}" if started else "")]
        lines.append(f"command: {self.command_text()}")
        if self.license_arg:
            lines.append(f"license (-c): {self.license_arg}")
        if self.log_arg:
            lines.append(f"log (-l): {self.log_arg}")
        if self.denied:
            lines.append("not readable without root: " + ", ".join(self.denied))
        return lines


@dataclass
class ProcessScan:
    processes: List[ProcInfo] = field(default_factory=list)
    denied_pids: List[int] = field(default_factory=list)  # relevant processes we could not read fully
    unreadable_names: int = 0  # processes whose very name was denied
    error: Optional[str] = None  # psutil itself missing or failing
    listeners: Optional[list] = None  # listeners.Listener list, read with the snapshot
    listeners_error: Optional[str] = None
    listeners_unowned: int = 0  # listening sockets whose owner the OS did not tell us

    def by_role(self, role: str) -> List[ProcInfo]:
        return [p for p in self.processes if p.role == role]

    def find(self, pid: int) -> Optional[ProcInfo]:
        for p in self.processes:
            if p.pid == pid:
                return p
        return None


def parse_args(cmdline: Sequence[str]) -> Tuple[Optional[str], Optional[str]]:
    """(-c value, -l value) from a FlexNet command line; interpreter prefixes are fine."""
    lic = log = None
    args = list(cmdline)
    for i, a in enumerate(args):
        nxt = args[i + 1] if i + 1 < len(args) else None
        if a == "-c" and nxt is not None and lic is None:
            lic = nxt
        elif a == "-l" and nxt is not None and log is None:
            log = nxt.lstrip("+")  # '+' means append
    if lic is not None:
        lic = lic.strip()
        # Vendor daemons are handed the list wrapped in ':' by lmgrd on some versions.
        if lic.startswith(":") and lic.endswith(":") and len(lic) > 2:
            lic = lic.strip(":")
    return lic, log


def classify(name: str, cmdline: Sequence[str], vendors: Iterable[str]) -> Optional[ProcessRole]:
    b = base_name(name)
    vset = {v.lower() for v in vendors}
    if b == LMGRD:
        return ProcessRole.LMGRD
    if b in vset:
        return ProcessRole.VENDOR
    if b in TOOL_NAMES:
        return ProcessRole(b)
    if b == "ssh":
        return ProcessRole.SSH
    return None


def scan_processes(vendors: Iterable[str] = (DEFAULT_VENDOR,), with_listeners: bool = True) -> ProcessScan:
    """One snapshot of the interesting processes. Never raises."""
    scan = ProcessScan()
    vendors = list(vendors) or [DEFAULT_VENDOR]
    try:
        import psutil
    except Exception as exc:  # pragma: no cover - psutil is a dependency
        scan.error = f"psutil is not available: {exc}"
        return scan
    try:
        it = psutil.process_iter(["pid", "name"])
        procs = list(it)
    except Exception as exc:
        scan.error = f"cannot list processes: {exc}"
        return scan
    for p in procs:
        try:
            name = p.info.get("name")
            if name is None:
                name = p.name()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        except psutil.AccessDenied:
            scan.unreadable_names += 1
            continue
        except Exception:
            continue
        role = classify(name or "", (), vendors)
        if role is None:
            continue
        info = _read_details(psutil, p, name, role)
        if info is None:
            continue  # exited meanwhile
        if info.denied:
            scan.denied_pids.append(info.pid)
        scan.processes.append(info)
    if with_listeners:
        from .listeners import read_listeners

        scan.listeners, scan.listeners_unowned, scan.listeners_error = read_listeners()
    return scan


def _read_details(psutil, p, name: str, role: ProcessRole) -> Optional[ProcInfo]:
    denied: List[str] = []
    vals: Dict[str, object] = {}
    for attr, call in (("cmdline", p.cmdline), ("user", p.username), ("create_time", p.create_time),
                       ("ppid", p.ppid), ("exe", p.exe)):
        try:
            vals[attr] = call()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return None
        except psutil.AccessDenied:
            denied.append(attr)
        except Exception:
            vals[attr] = None
    cmdline = tuple(str(a) for a in (vals.get("cmdline") or ()))
    lic, log = parse_args(cmdline)
    return ProcInfo(
        pid=p.pid, name=name, role=role, ppid=vals.get("ppid"), user=vals.get("user"),
        create_time=vals.get("create_time"), cmdline=cmdline, exe=vals.get("exe") or None,
        license_arg=lic, log_arg=log, denied=tuple(denied),
    )


def _listening_ports(scan: ProcessScan, pid: int) -> List[str]:
    out = []
    for sock in scan.listeners or []:
        if sock.pid == pid:
            out.append(f"{sock.ip}:{sock.port}")
    return sorted(set(out))


def probe_processes(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                    on_finding: FindingSink = discard) -> List[Finding]:
    scan = ctx.get_scan()
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    if scan.error:
        emit(Finding("process.scan-failed", Status.SKIP, "Could not list processes", detail=scan.error,
                     fix="Install psutil (pip install psutil) or run lmdoctor from its own environment."))
        return out
    lmgrds = scan.by_role("lmgrd")
    vendors = scan.by_role("vendor")
    for p in lmgrds + vendors + scan.by_role("lmtools") + scan.by_role("lmutil"):
        ev = p.describe()
        ports = _listening_ports(scan, p.pid)
        ev.append("listening on: " + (", ".join(ports) if ports else "nothing seen"))
        what = {"lmgrd": "lmgrd", "vendor": "vendor daemon", "lmtools": "lmtools", "lmutil": "lmutil"}[p.role]
        emit(Finding(f"process.{'vendor-daemon' if p.role == 'vendor' else p.role}", Status.INFO,
                     f"{what} {p.name} running (pid {p.pid})", evidence=ev))
    if not lmgrds and not vendors:
        server_here = _license_says_server_here(ctx)
        emit(Finding(
            "process.no-lmgrd", Status.WARN if server_here else Status.INFO, "No lmgrd or vendor daemon running",
            detail=("The license names this machine as its server, but no license server is running."
                    if server_here else "Normal on a client machine; on the license server, lmgrd must run."),
            fix=("Start it: lmgrd -c <license file> -l <debug log> (add -z to see what goes wrong in the "
                 "foreground)." if server_here else ""),
            seed_ref=SEED_FLOAT if server_here else None))
    # lmgrd without its vendor daemon
    for g in lmgrds:
        kids = [v for v in vendors if v.ppid == g.pid or v.license_key == g.license_key]
        # Vendor daemons of other lmgrds: a vendor name can be served once per machine, so an
        # lmgrd whose daemon is gone while another server's daemon runs is the signal 32/41 case.
        names = _served_vendor_names(g)
        rivals = [v for v in vendors if v.ppid != g.pid and v.ppid in {x.pid for x in lmgrds}
                  and v.base.lower() in names]
        if not kids and rivals:
            emit(Finding(
                "process.vendor-conflict", Status.FAIL,
                f"lmgrd (pid {g.pid}) lost its vendor daemon while another server's {rivals[0].base} runs",
                detail="Only one vendor daemon of a name can run on a machine; the second one exits with "
                       "'Exiting due to signal 32' (Windows) or 41 (Linux): 'Exited because another server was "
                       "running', and lmgrd logs MULTIPLE \"" + rivals[0].base + "\" license server systems running.",
                fix=f"Stop every lmgrd and {rivals[0].base} (also lmtools.exe on Windows), then start one lmgrd. "
                    "If it still happens on Windows, rename a C:\\FlexLM folder to e.g. C:\\LMFlex.",
                evidence=g.describe()[:2] + [ln for v in rivals for ln in v.describe()[:2]],
                seed_ref=SEED_TYPICAL))
            continue
        if not kids:
            emit(Finding(
                "process.lmgrd-without-vendor", Status.FAIL,
                f"lmgrd (pid {g.pid}) runs without its vendor daemon",
                detail="lmgrd starts the vendor daemon (sigasi); when it is missing the daemon failed to start or "
                       "exited. Its reason is in the debug log.",
                fix=("Read the debug log" + (f" {g.log_arg}" if g.log_arg else "") + " for the vendor daemon's "
                     "exit reason (run 'lmdoctor log FILE'); check the DAEMON line's path and that the daemon "
                     "binary is the same FlexNet version as lmgrd."),
                evidence=g.describe(), seed_ref=SEED_FLOAT))
    lmgrd_pids = {g.pid for g in lmgrds}
    lmgrd_keys = {g.license_key for g in lmgrds}
    for v in vendors:
        if v.ppid in lmgrd_pids or v.license_key in lmgrd_keys:
            continue
        emit(Finding(
            "process.vendor-without-lmgrd", Status.FAIL,
            f"Vendor daemon {v.name} (pid {v.pid}) runs without lmgrd",
            detail="Clients reach the vendor daemon through lmgrd; an orphaned vendor daemon is left over from an "
                   "lmgrd that died, and it blocks a fresh start ('Exiting due to signal 32/41').",
            fix=f"Stop it (kill {v.pid}), then start lmgrd again so it starts its own vendor daemon.",
            evidence=v.describe(), seed_ref=SEED_TYPICAL))
    # duplicates for the same license
    _duplicates(emit, lmgrds, "process.duplicate-lmgrd", "lmgrd")
    by_name: Dict[str, List[ProcInfo]] = {}
    for v in vendors:
        by_name.setdefault(v.base, []).append(v)
    for name, group in by_name.items():
        # A vendor daemon and the copy lmgrd forks briefly share a license: compare per parent lmgrd.
        _duplicates(emit, group, "process.duplicate-vendor", f"vendor daemon {name}", by_parent=True)
    # running as root
    for p in lmgrds + vendors:
        if (p.user or "").lower() in ("root", "system", "nt authority\\system"):
            emit(Finding(
                "process.running-as-root", Status.WARN, f"{p.name} (pid {p.pid}) runs as {p.user}",
                detail="FlexNet logs 'running as root: This is a potential security problem'. A root lmgrd also "
                       "leaves /var/tmp/lock files that a later non-root start cannot remove.",
                fix="Run the license server as an unprivileged user (e.g. a 'flexlm' account), ports above 1024 "
                    "need no root.", evidence=p.describe()[:2]))
    if scan.denied_pids:
        emit(Finding(
            "process.access-denied", Status.SKIP,
            f"{len(scan.denied_pids)} FlexNet process(es) could not be read fully: root would see more",
            detail="Another user's processes hide their details (command line, executable) from this account.",
            fix="Run 'sudo lmdoctor check' to see the license file and ports of every license server process.",
            evidence=[f"pid {pid}" for pid in scan.denied_pids[:20]]))
    if not out:
        emit(Finding("process.none", Status.OK, "No FlexNet processes to report"))
    return out


def _served_vendor_names(g: ProcInfo) -> Set[str]:
    """Vendor names in the DAEMON/VENDOR lines of the license files an lmgrd was started with.

    Empty when they cannot be read: then no conflict is claimed.
    """
    from ..inputgate import InputError, read_license

    names: Set[str] = set()
    for part in (g.license_arg or "").replace(";", ":").split(":"):
        if not part or "@" in part:
            continue
        try:
            lic = read_license(part)
        except InputError:
            continue
        names.update(v.name.lower() for v in lic.vendors if v.name)
    return names


def _duplicates(emit, procs: List[ProcInfo], fid: str, what: str, by_parent: bool = False) -> None:
    groups: Dict[str, List[ProcInfo]] = {}
    for p in procs:
        groups.setdefault(p.license_key, []).append(p)
    for key, group in groups.items():
        if len(group) < 2:
            continue
        if by_parent and len({p.ppid for p in group}) < 2:
            continue
        emit(Finding(
            fid, Status.FAIL, f"{len(group)} copies of {what} for the same license",
            detail=f"License: {key}. Only one may run; the second vendor daemon exits with 'Exiting due to signal "
                   "32' (Windows) or 41 (Linux): 'Exited because another server was running'.",
            fix="Stop all of them (also lmtools.exe on Windows), then start one lmgrd. If it still happens on "
                "Windows, rename a C:\\FlexLM folder to e.g. C:\\LMFlex and update lmtools.",
            evidence=[ln for p in group for ln in p.describe()[:2]], seed_ref=SEED_TYPICAL))


def serves_this_license(ctx: ProbeContext, scan: ProcessScan) -> List[ProcInfo]:
    """The running lmgrds started with the license in use (all of them when no license is known)."""
    lmgrds = scan.by_role("lmgrd")
    if not ctx.license_path:
        return lmgrds
    try:
        real = os.path.realpath(ctx.license_path)
    except (OSError, ValueError):
        return []
    return [g for g in lmgrds if real in g.license_key.split(":")]


def server_here(ctx: ProbeContext, scan: ProcessScan) -> bool:
    """Is this machine the license server: an lmgrd runs for this license, or the license names us."""
    return bool(serves_this_license(ctx, scan)) or _license_says_server_here(ctx)


def license_says_server_here(ctx: ProbeContext) -> bool:
    """The license's SERVER line names this machine, by host name or by hostid."""
    return _license_says_server_here(ctx)


def _license_says_server_here(ctx: ProbeContext) -> bool:
    if ctx.license is None or not ctx.license.servers:
        return False
    try:
        ident = ctx.get_identity()
    except Exception:
        return False
    return any(ident.is_this_host(s.host) and s.host.lower() not in ("localhost", "127.0.0.1", "::1")
               for s in ctx.license.servers) or any(ident.has_mac(s.hostid) for s in ctx.license.servers)
