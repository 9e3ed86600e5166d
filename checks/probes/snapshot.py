"""One snapshot of this machine as the probes see it: FlexNet processes, listening sockets, identity.

The lowest layer of ``checks.probes``: it reads the machine (psutil, socket, hostinfo) and holds
what it read as plain data. ``context.ProbeContext`` takes a snapshot lazily, once; the probe
modules read it through the context. Nothing here imports a probe or the context.

Read with psutil only. Other users' processes may refuse some reads (AccessDenied): the
process is kept with ``denied`` naming what was refused. Processes that exit while we look
(NoSuchProcess, ZombieProcess) are left out silently.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..hostinfo import HostIdentity, current_identity, local_addresses, local_macs
from ..procs import ProcessRole

DEFAULT_VENDOR = "sigasi"

@dataclass(frozen=True)
class Listener:
    ip: str
    port: int
    pid: Optional[int]
    family: str  # "ipv4" or "ipv6"

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.ip.split("%", 1)[0]).is_loopback
        except ValueError:
            return False

    @property
    def label(self) -> str:
        return f"[{self.ip}]:{self.port}" if self.family == "ipv6" else f"{self.ip}:{self.port}"


def read_listeners() -> Tuple[List[Listener], int, Optional[str]]:
    """(listening TCP sockets, how many had no visible owner, error). Never raises."""
    try:
        import psutil
    except Exception as exc:  # pragma: no cover
        return [], 0, f"psutil is not available: {exc}"
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return [], 0, "the OS does not let this user read the socket table"
    except Exception as exc:
        return [], 0, f"cannot read the socket table: {exc}"
    out: List[Listener] = []
    unowned = 0
    for c in conns:
        try:
            if c.status != psutil.CONN_LISTEN or not c.laddr:
                continue
            fam = "ipv6" if c.family == getattr(socket, "AF_INET6", object()) else "ipv4"
            out.append(Listener(c.laddr.ip, int(c.laddr.port), c.pid, fam))
            if c.pid is None:
                unowned += 1
        except Exception:
            continue
    return out, unowned, None


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
    listeners: Optional[List[Listener]] = None  # read with the snapshot
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
        scan.listeners, scan.listeners_unowned, scan.listeners_error = read_listeners()
    return scan


def _read_details(psutil, p, name: str, role: ProcessRole) -> Optional[ProcInfo]:
    denied: List[str] = []
    vals: Dict[str, Any] = {}
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


def bounded_identity(timeout: float) -> HostIdentity:
    """current_identity(), but a resolver that hangs on the FQDN costs at most ``timeout``."""
    box: list = []
    done = threading.Event()

    def body() -> None:
        try:
            box.append(current_identity())
        except Exception:  # the caller builds a plainer identity when the box stays empty
            pass
        finally:
            done.set()

    threading.Thread(target=body, daemon=True, name="lmdoctor-identity").start()
    if done.wait(timeout) and box:
        return box[0]
    try:
        short = socket.gethostname()
    except OSError:
        short = ""
    return HostIdentity(short_name=short, fqdn=short, addresses=local_addresses(), macs=local_macs())
