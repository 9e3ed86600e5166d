"""Probe 1: the FlexNet processes on this machine (lmgrd, vendor daemons, lmtools, lmutil, ssh).

The processes come from the context's snapshot (``snapshot.scan_processes``). Processes
that refused some reads (AccessDenied) become one ``skip`` finding saying root would see more.
"""
from __future__ import annotations

from typing import Dict, List, Set

from ..findings import Finding, Status, prefix_title
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from .context import SEED_FLOAT, SEED_TYPICAL, ProbeContext
from .snapshot import ProcessScan, ProcInfo


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
    # What runs, then what is wrong with how it runs: pairing, duplicates, root, unreadable.
    for f in _running_findings(ctx, scan, lmgrds, vendors):
        emit(f)
    for f in _pairing_findings(lmgrds, vendors, _expected_vendors(ctx)):
        emit(f)
    # duplicates for the same license
    _duplicates(emit, lmgrds, "process.duplicate-lmgrd", "lmgrd")
    by_name: Dict[str, List[ProcInfo]] = {}
    for v in vendors:
        by_name.setdefault(v.base, []).append(v)
    for name, group in by_name.items():
        # A vendor daemon and the copy lmgrd forks briefly share a license: compare per parent lmgrd.
        _duplicates(emit, group, "process.duplicate-vendor", f"vendor daemon {name}", by_parent=True)
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


def _running_findings(ctx: ProbeContext, scan: ProcessScan, lmgrds: List[ProcInfo],
                      vendors: List[ProcInfo]) -> List[Finding]:
    """One INFO per FlexNet process with what it listens on; "none running" judged by where we are."""
    out = []
    for p in lmgrds + vendors + scan.by_role("lmtools") + scan.by_role("lmutil"):
        ev = p.describe()
        ports = _listening_ports(scan, p.pid)
        ev.append("listening on: " + (", ".join(ports) if ports else "nothing seen"))
        what = {"lmgrd": "lmgrd", "vendor": "vendor daemon", "lmtools": "lmtools", "lmutil": "lmutil"}[p.role]
        out.append(Finding(f"process.{'vendor-daemon' if p.role == 'vendor' else p.role}", Status.INFO,
                           f"{prefix_title(what + ' ', p.name)} running (pid {p.pid})", evidence=ev))
    if not lmgrds and not vendors:
        # Only a machine the license names as its server must run lmgrd; a client need not.
        server_here = ctx.license_names_this_host()
        out.append(Finding(
            "process.no-lmgrd", Status.WARN if server_here else Status.INFO, "No lmgrd or vendor daemon running",
            detail=("The license names this machine as its server, but no license server is running."
                    if server_here else "Normal on a client machine; on the license server, lmgrd must run."),
            fix=("Start it: lmgrd -c <license file> -l <debug log> (add -z to see what goes wrong in the "
                 "foreground)." if server_here else ""),
            seed_ref=SEED_FLOAT if server_here else None))
    return out


def _expected_vendors(ctx: ProbeContext) -> List[str]:
    """The vendor daemon(s) lmgrd should start: the license's own names when there is a license (so an
    ANSYS server is not told about sigasi), else the names lmdoctor was asked to look for."""
    names = ctx.license.vendor_names() if ctx.license is not None else []
    return [n for n in names if n and len(n) <= 64] or [v for v in ctx.vendors if v]


def _pairing_findings(lmgrds: List[ProcInfo], vendors: List[ProcInfo], expected: List[str]) -> List[Finding]:
    """lmgrd without its vendor daemon (lost to a rival, or failed), and vendor daemons without lmgrd."""
    out = []
    for g in lmgrds:
        kids = vendor_kids(g, vendors)
        rivals = rival_daemons(g, lmgrds, vendors)
        if not kids and rivals:
            out.append(Finding(
                "process.vendor-conflict", Status.FAIL,
                f"lmgrd (pid {g.pid}) lost its vendor daemon while another server's {rivals[0].base} runs",
                detail="Only one vendor daemon of a name can run on a machine; the second one exits with "
                       "'Exiting due to signal 32' (Windows) or 41 (Linux): 'Exited because another server was "
                       "running', and lmgrd logs MULTIPLE \"" + rivals[0].base + "\" license server systems running.",
                fix=f"Stop every lmgrd and {rivals[0].base} (also lmtools.exe on Windows), then start one lmgrd. "
                    "If it still happens on Windows, rename a C:\\FlexLM folder to e.g. C:\\LMFlex.",
                evidence=g.describe()[:2] + [ln for v in rivals for ln in v.describe()[:2]],
                seed_ref=SEED_TYPICAL))
        elif not kids:
            out.append(Finding(
                "process.lmgrd-without-vendor", Status.FAIL,
                f"lmgrd (pid {g.pid}) runs without its vendor daemon",
                detail=(f"lmgrd starts the vendor daemon ({', '.join(expected) or 'named on the DAEMON line'}); "
                        "when it is missing the daemon failed to start or exited. Its reason is in the debug log."),
                fix=("Read the debug log" + (f" {g.log_arg}" if g.log_arg else "") + " for the vendor daemon's "
                     "exit reason (run 'lmdoctor log FILE'); check the DAEMON line's path and that the daemon "
                     "binary is the same FlexNet version as lmgrd."),
                evidence=g.describe(), seed_ref=SEED_FLOAT))
    for v in orphan_vendors(lmgrds, vendors):
        out.append(Finding(
            "process.vendor-without-lmgrd", Status.FAIL,
            f"Vendor daemon {v.name} (pid {v.pid}) runs without lmgrd",
            detail="Clients reach the vendor daemon through lmgrd; an orphaned vendor daemon is left over from an "
                   "lmgrd that died, and it blocks a fresh start ('Exiting due to signal 32/41').",
            fix=f"Stop it (kill {v.pid}), then start lmgrd again so it starts its own vendor daemon.",
            evidence=v.describe(), seed_ref=SEED_TYPICAL))
    return out


def vendor_kids(g: ProcInfo, vendors: List[ProcInfo]) -> List[ProcInfo]:
    """The vendor daemons an lmgrd runs (its children, or started for the same license)."""
    return [v for v in vendors if v.ppid == g.pid or v.license_key == g.license_key]


def rival_daemons(g: ProcInfo, lmgrds: List[ProcInfo], vendors: List[ProcInfo]) -> List[ProcInfo]:
    """Other lmgrds' vendor daemons serving a vendor this lmgrd's license names.

    A vendor name can be served once per machine, so an lmgrd whose daemon is gone while another
    server's daemon runs is the signal 32/41 case (the repair stops exactly that lmgrd).
    """
    names = _served_vendor_names(g)
    pids = {x.pid for x in lmgrds}
    return [v for v in vendors if v.ppid != g.pid and v.ppid in pids and v.base.lower() in names]


def orphan_vendors(lmgrds: List[ProcInfo], vendors: List[ProcInfo]) -> List[ProcInfo]:
    """Vendor daemons no running lmgrd owns (left by an lmgrd that died)."""
    pids = {g.pid for g in lmgrds}
    keys = {g.license_key for g in lmgrds}
    return [v for v in vendors if v.ppid not in pids and v.license_key not in keys]


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
