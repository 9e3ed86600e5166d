"""One target, probed: can its servers be reached, what does lmstat say, and why is it unwell.

A probe of one target, in order:

1. A TCP connect to every lmgrd PORT@HOST it names. The connects are shared by all targets of a
   round (:class:`Round`): a firewalled server behind five targets costs one timeout, once, and
   all connects of a round start together, so ten firewalled servers cost one timeout too.
2. ``lmutil lmstat -a`` against the entries that answered (never against one that timed out:
   lmutil would hang on it), through the project's runner (own process group, timeout, the
   whole tree killed, nothing left behind), read by the project's lmstat parser. Its findings
   are the lmstat findings ``check`` reports.
3. When the server runs on this machine (an lmgrd started with the target's license, or listening
   on its port here): the check engine's listeners probe, its debug-log analysis and its license
   lint, scoped to that license: the "why" (port in use, another server running, ...).

Everything a probe learns is a :class:`TargetResult`; the metric families are drawn from it.
"""
from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..findings import Finding, Status
from ..runtime import CancelToken
from .config import ServeConfig, TargetConfig
from .usage import (
    QuorumSample,
    ServerSample,
    Usage,
    expiry_from_license,
    expiry_from_table,
    expiry_from_versions,
    usage_from_lmstat,
)

# How long `lmstat -i` (the expiry table: it changes when the license file does) is reused.
EXPIRY_TABLE_TTL = 300.0
IDENTITY_TTL = 600.0
MEMO_SIZE = 256
SEED_FLOAT = "Troubleshooting > Floating licenses"


class Outcome:
    """Counter label values (snake case, stable: dashboards and tests read them)."""

    OPEN = "open"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    NAME_NOT_FOUND = "name_not_found"
    ERROR = "error"
    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _outcome_label(reach_outcome: str) -> str:
    from ..probes import reachability as r

    return {r.OPEN: Outcome.OPEN, r.REFUSED: Outcome.REFUSED, r.TIMEOUT: Outcome.TIMEOUT,
            r.UNREACHABLE: Outcome.UNREACHABLE, r.NOT_FOUND: Outcome.NAME_NOT_FOUND}.get(reach_outcome, Outcome.ERROR)


class Stats:
    """Counters since start: endpoint connects and lmutil runs by outcome, probes started, overruns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.endpoint_checks: Dict[str, int] = {}
        self.lmutil_runs: Dict[str, int] = {}
        self.probes_started = 0
        self.overruns = 0
        self.scrapes = 0

    def add(self, table: str, key: str, n: int = 1) -> None:
        with self._lock:
            d = getattr(self, table)
            d[key] = d.get(key, 0) + n

    def bump(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def snapshot(self) -> Dict[str, Any]:
        with self._lock:
            return {"endpoint_checks": dict(self.endpoint_checks), "lmutil_runs": dict(self.lmutil_runs),
                    "probes_started": self.probes_started, "overruns": self.overruns, "scrapes": self.scrapes}


class Memo:
    """A small bounded cache keyed by file signatures: unchanged files are not read twice."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self._lock = threading.Lock()
        self._data: Dict[Any, Any] = {}
        self.size = size

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                return self._data[key]
        value = make()
        with self._lock:
            if len(self._data) >= self.size:
                self._data.pop(next(iter(self._data)))
            self._data[key] = value
        return value


def file_sig(path: Optional[str]) -> Optional[Tuple[str, int, int, int]]:
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class TargetResult:
    name: str
    up: bool = False
    duration: float = 0.0
    findings: List[Finding] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    lmstat_error: bool = False  # lmstat could not be run or gave no status (flexlm_scrape_error)
    overrun: bool = False  # the probe had not finished when the scrape had to answer
    local: bool = False  # the server runs on this machine: its listeners, log and license were read

    def warn_or_fail(self) -> List[Finding]:
        return [f for f in self.findings if f.status in (Status.WARN, Status.FAIL)]


class Shared:
    """What outlives a round: caches, counters, the cancel token, the lmutil locations."""

    def __init__(self, config: ServeConfig, lmutil: Optional[str] = None,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.config = config
        self.lmutil_arg = lmutil  # --lmutil: wins over the config's
        self.env = env
        self.cancel = CancelToken()
        self.stats = Stats()
        self.memo = Memo()
        self._lock = threading.Lock()
        self._identity: Optional[Tuple[float, Any]] = None
        self._lmutil_found: Dict[str, str] = {}
        self._tables: Dict[str, Tuple[float, list]] = {}

    @property
    def lmutil(self) -> Optional[str]:
        return self.lmutil_arg or self.config.lmutil

    def use_config(self, config: ServeConfig) -> None:
        with self._lock:
            self.config = config
            self._lmutil_found.clear()
            self._tables.clear()

    def identity(self):
        from ..probes.snapshot import bounded_identity

        with self._lock:
            got = self._identity
        if got is not None and time.monotonic() - got[0] < IDENTITY_TTL:
            return got[1]
        ident = bounded_identity(2.0)
        with self._lock:
            self._identity = (time.monotonic(), ident)
        return ident

    def lmutil_for(self, target: TargetConfig, refused: Optional[list] = None) -> Optional[str]:
        """The lmutil for a target: its own, the config's (or --lmutil), else one found (never, as root,
        one that another user can change: those go to ``refused``)."""
        if target.lmutil:
            return target.lmutil
        if self.lmutil:
            return self.lmutil
        with self._lock:
            if target.name in self._lmutil_found:
                return self._lmutil_found[target.name]
        from ..flexnet.lmutil import find_lmutil

        loc = find_lmutil(license_path=target.license_file, refused=refused)
        if loc is None:
            return None
        with self._lock:
            self._lmutil_found[target.name] = loc.path  # found once, kept (a miss is looked for again)
        return loc.path

    def table(self, name: str) -> Optional[list]:
        with self._lock:
            got = self._tables.get(name)
        if got is not None and time.monotonic() - got[0] < EXPIRY_TABLE_TTL:
            return got[1]
        return None

    def keep_table(self, name: str, rows: list) -> None:
        with self._lock:
            self._tables[name] = (time.monotonic(), rows)


class Round:
    """The targets probed for one scrape: their endpoint connects, shared, and one process snapshot."""

    def __init__(self, shared: Shared, connect_pool: ThreadPoolExecutor) -> None:
        self.shared = shared
        self.pool = connect_pool
        self._lock = threading.Lock()
        self._endpoints: Dict[Tuple[str, int], "Future[list]"] = {}
        self._scan: Optional[Any] = None
        self._scan_lock = threading.Lock()

    def start_endpoints(self, wanted: Dict[Tuple[str, int], float]) -> None:
        """Start a connect to every endpoint (each once, with the longest timeout any target gives it)."""
        for ep, timeout in wanted.items():
            self.endpoint(ep, timeout)

    def endpoint(self, ep: Tuple[str, int], timeout: float) -> "Future[list]":
        with self._lock:
            fut = self._endpoints.get(ep)
            if fut is None:
                fut = self.pool.submit(self._connect, ep, timeout)
                self._endpoints[ep] = fut
            return fut

    def _connect(self, ep: Tuple[str, int], timeout: float) -> list:
        from ..probes.reachability import probe_endpoints, summarise

        attempts = probe_endpoints([ep], timeout, self.shared.cancel).get(ep, [])
        self.shared.stats.add("endpoint_checks", _outcome_label(summarise(attempts)))
        return attempts

    def prefetch_scan(self, vendors: Sequence[str]) -> None:
        """Read the process table while the connects run, so local targets do not wait for it later."""
        self.pool.submit(self.scan, vendors)

    def scan(self, vendors: Sequence[str]):
        """This machine's process table and listeners, read once per round, by the first local target."""
        from ..probes.snapshot import scan_processes

        with self._scan_lock:
            if self._scan is None:
                self._scan = scan_processes(list(dict.fromkeys(vendors)), with_listeners=True)
            return self._scan


# --------------------------------------------------------------------------- license files


def read_license_cached(shared: Shared, path: Optional[str]):
    """(LicenseFile or None, error text or None), parsed again only when the file changed."""
    if not path:
        return None, None
    sig = file_sig(path)
    if sig is None:
        return None, f"cannot read {path}"

    def make():
        from ..check import read_license
        from ..inputgate import InputError

        try:
            return read_license(path), None
        except (OSError, ValueError, InputError) as exc:
            return None, f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"

    return shared.memo.get(("license",) + sig, make)


def license_endpoints(lic) -> List[Tuple[str, int]]:
    out: Dict[Tuple[str, int], None] = {}
    if lic is None:
        return []
    for s in lic.servers:
        if s.host and s.port and 0 < s.port < 65536:
            out.setdefault((s.host.lower(), s.port), None)
    return list(out)


def target_endpoints(shared: Shared, target: TargetConfig) -> List[Tuple[str, int]]:
    if target.license_file:
        lic, _err = read_license_cached(shared, target.license_file)
        return license_endpoints(lic)
    return target.endpoints


# --------------------------------------------------------------------------- the probe


def probe_target(target: TargetConfig, rnd: Round, endpoint_futures: Dict[Tuple[str, int], "Future[list]"]
                 ) -> TargetResult:
    """Probe one target. Never raises for the machine's sake: what went wrong becomes findings."""
    from ..probes.reachability import OPEN

    shared = rnd.shared
    started = time.monotonic()
    res = TargetResult(target.name)
    lic, lic_error = read_license_cached(shared, target.license_file)
    if lic_error:
        res.findings.append(Finding(
            "check.license-unreadable", Status.FAIL, f"The license file of {target.name} cannot be read",
            detail=lic_error, file=target.license_file,
            fix="Run lmdoctor serve as a user who can read the license file, or correct license_file."))
    # 1. endpoints: which servers answered
    state = _endpoint_states(target, endpoint_futures, res)
    reachable, down = _reachable_specs(target, state, res)
    # 2. lmutil lmstat -a, against the reachable servers only
    refused: list = []
    lmutil = shared.lmutil_for(target, refused)
    lmstat = _lmstat_phase(shared, target, lic, reachable, lmutil, refused, res)
    _take_usage(res, target, lmstat, down)
    if lmstat is None and lmutil is None:
        # No lmutil: an open lmgrd port is the best "up" there is.
        res.up = any(v == OPEN for v in state.values())
    else:
        res.up = res.usage.any_server_up
    # 3. expiry: the license file, else `lmstat -i` (cached), else what lmstat -a showed
    if lic is not None:
        res.usage.expiry = expiry_from_license(lic, target.exclude_features)
    elif lmstat is not None:
        rows = shared.table(target.name)
        if rows is None and res.up and lmutil:
            rows = _expiry_table(shared, target, ":".join(reachable), lmutil)
        res.usage.expiry = rows if rows else expiry_from_versions(lmstat, target.exclude_features)
    # 4. the why, when the server runs here
    try:
        local = _local_findings(rnd, target, lic)
        res.local = local is not None
        res.findings += local or []
    except Exception as exc:  # a bug in a probe must not cost the metrics
        res.findings.append(Finding("check.probe-error", Status.SKIP, f"The local probes of {target.name} failed: "
                                    f"{type(exc).__name__}", detail=str(exc)[:500]))
    # The check's verdict: severity by impact, one fact as one finding (the same series as `check`).
    from ..judge import judge

    res.findings = judge(res.findings, license_served=res.local)
    res.duration = time.monotonic() - started
    return res


def _endpoint_states(target: TargetConfig, endpoint_futures: Dict[Tuple[str, int], "Future[list]"],
                     res: TargetResult) -> Dict[Tuple[str, int], str]:
    """The round's connect outcome per lmgrd PORT@HOST; a finding for each one that did not open."""
    from ..probes.reachability import OPEN, closed_finding, summarise

    state: Dict[Tuple[str, int], str] = {}
    for ep, fut in endpoint_futures.items():
        try:
            attempts = fut.result()
        except Exception:  # cancelled on shutdown
            attempts = []
        outcome = summarise(attempts) if attempts else "error"
        state[ep] = outcome
        if outcome != OPEN:
            res.findings.append(closed_finding(f"{ep[1]}@{ep[0]}", "lmgrd port", outcome,
                                               [a.label for a in attempts] + [f"target: {target.name}"]))
    return state


def _reachable_specs(target: TargetConfig, state: Dict[Tuple[str, int], str], res: TargetResult
                     ) -> Tuple[List[str], List[ServerSample]]:
    """What lmutil may be pointed at (never a server that timed out: it would hang), and the servers down."""
    from ..probes.reachability import OPEN

    def open_(host: str, port: Optional[int]) -> Optional[bool]:
        if port is None:
            return None  # '@host': lmutil finds the port; nothing to pre-test
        return state.get((host.lower(), port)) == OPEN

    down: List[ServerSample] = []
    if target.license_file:
        reachable = [target.license_file] if (not state or any(v == OPEN for v in state.values())) else []
        for (host, port), outcome in state.items():
            if outcome != OPEN:
                down.append(ServerSample(host, str(port), False, "", False))
        return reachable, down
    reachable = []
    for e in target.servers:
        flags = [open_(h, p) for h, p in e.members]
        if any(f is not False for f in flags):
            reachable.append(e.text)  # a triad goes whole to lmutil: it needs all three names
        for (h, p), f in zip(e.members, flags):
            if f is False and not any(f2 is not False for f2 in flags):
                down.append(ServerSample(h.lower(), str(p), False, "", False))
        if e.is_triad and not any(f is not False for f in flags):
            res.usage.quorum.append(QuorumSample(e.text, 0, 3))
    return reachable, down


def _lmstat_phase(shared: Shared, target: TargetConfig, lic: Any, reachable: List[str], lmutil: Optional[str],
                  refused: list, res: TargetResult):
    """Run lmstat -a when something answered and a trusted lmutil exists; else say why not."""
    if reachable and lmutil is None and refused:
        from ..check import untrusted_lmutil_finding

        res.lmstat_error = True
        res.findings += [untrusted_lmutil_finding(why, "lmutil = \"...\" in the config, or lmdoctor serve --lmutil")
                         for why in refused]
    elif reachable and lmutil is None:
        res.lmstat_error = True
        res.findings.append(Finding(
            "check.lmutil-absent", Status.INFO, "lmutil not found: lmstat was not run",
            detail="lmdoctor looked next to the license file, next to a running lmgrd and on PATH.",
            fix="Set lmutil = \"/path/to/lmutil\" in the config (from the same FlexNet zip as the daemons)."))
    elif reachable and lmutil is not None:
        return _run_lmstat(shared, target, ":".join(reachable), lmutil, res)
    else:
        res.lmstat_error = True  # nothing answered: lmstat would only hang on it
        if lic is not None and len(lic.servers) == 3:
            res.usage.quorum.append(QuorumSample(",".join(f"{s.port_text or ''}@{s.host}" for s in lic.servers), 0, 3))
    return None


def _take_usage(res: TargetResult, target: TargetConfig, lmstat: Any, down: List[ServerSample]) -> None:
    """Usage from lmstat, plus the servers that did not answer (lmstat cannot list those)."""
    if lmstat is not None:
        used = usage_from_lmstat(lmstat, target.exclude_features)
        res.usage.servers = used.servers
        res.usage.vendors = used.vendors
        res.usage.features = used.features
        res.usage.users = used.users if target.per_user else []
        res.usage.group_reservations = used.group_reservations
        res.usage.reservations = used.reservations
        res.usage.quorum = used.quorum + res.usage.quorum
    known = {(s.fqdn, s.port) for s in res.usage.servers}
    res.usage.servers += [s for s in down if (s.fqdn, s.port) not in known]


def _run_lmstat(shared: Shared, target: TargetConfig, spec: str, lmutil: str, res: TargetResult):
    from ..flexnet.lmutil import run_lmstat

    run = run_lmstat(spec, lmutil, timeout=target.timeout, cancel=shared.cancel)
    r = run.run
    shared.stats.add("lmutil_runs", Outcome.OK if r.ok else Outcome.TIMEOUT if r.timed_out
                     else Outcome.CANCELLED if r.cancelled else Outcome.FAILED)
    res.findings += run.findings
    if run.lmstat is None or not run.lmstat.blocks:
        res.lmstat_error = True
    return run.lmstat


def _expiry_table(shared: Shared, target: TargetConfig, spec: str, lmutil: str) -> list:
    """``lmstat -i``: the server's license file as a table. Kept for EXPIRY_TABLE_TTL seconds."""
    from ..flexnet.lmstat import parse_lmstat
    from ..flexnet.lmutil import run_lmutil

    base = os.path.basename(lmutil).lower()
    argv = [lmutil, "lmstat", "-i", "-c", spec] if base.startswith("lmutil") else [lmutil, "-i", "-c", spec]
    run = run_lmutil(argv, timeout=target.timeout, cancel=shared.cancel)
    shared.stats.add("lmutil_runs", Outcome.OK if run.ok else Outcome.TIMEOUT if run.timed_out
                     else Outcome.CANCELLED if run.cancelled else Outcome.FAILED)
    if not run.ok:
        return []
    rows = expiry_from_table(parse_lmstat(run.output), target.exclude_features)
    shared.keep_table(target.name, rows)
    return rows


def _local_license(rnd: Round, target: TargetConfig, lic, scan) -> Tuple[Optional[str], Any, List[int]]:
    """(license path, LicenseFile, pids of the lmgrds serving it here) or (None, None, [])."""
    from ..probes.context import ProbeContext
    from ..procs import ProcessRole

    if target.license_file:
        ctx = ProbeContext(license=lic, license_path=target.license_file, env={}, scan=scan)
        return target.license_file, lic, [g.pid for g in ctx.serves_this_license()]
    ident = rnd.shared.identity()
    lmgrds = {g.pid: g for g in scan.by_role(ProcessRole.LMGRD)}
    for e in target.servers:
        for host, port in e.members:
            if port is None or not ident.is_this_host(host):
                continue
            for lst in scan.listeners or []:
                g = lmgrds.get(lst.pid)
                if lst.port != port or g is None or not g.license_arg:
                    continue
                for part in g.license_arg.replace(";", ":").split(":"):
                    if part and "@" not in part and os.path.isfile(part):
                        found, _err = read_license_cached(rnd.shared, part)
                        if found is not None:
                            return part, found, [g.pid]
    return None, None, []


def local_candidate(shared: Shared, target: TargetConfig) -> bool:
    """Could the target's server run on this machine (then its listeners, log and license are read)?"""
    return bool(target.license_file) or any(
        shared.identity().is_this_host(h) for e in target.servers for h, _p in e.members)


def scan_vendors(target: TargetConfig, lic) -> List[str]:
    from ..probes.context import DEFAULT_VENDOR

    vendors = [v for v in (target.vendor, DEFAULT_VENDOR) if v]
    if lic is not None:
        vendors += lic.vendor_names()
    return vendors


def _local_findings(rnd: Round, target: TargetConfig, lic) -> Optional[List[Finding]]:
    """The check engine's listeners probe, debug-log analysis and license lint, for a server running here.

    None when the target's server does not run on this machine.
    """
    from ..check import LicenseChoice, debug_log_findings, debug_log_paths, lint_findings
    from ..probes.context import ProbeContext
    from ..probes.listeners import probe_listeners

    shared = rnd.shared
    if not local_candidate(shared, target):
        return None
    vendors = scan_vendors(target, lic)
    scan = rnd.scan(vendors)
    path, lic, pids = _local_license(rnd, target, lic, scan)
    if lic is None or not pids:
        return None
    ctx = ProbeContext(license=lic, license_path=path, vendors=list(dict.fromkeys(vendors)), servers=[],
                       timeout=target.timeout, env={}, scan=scan, identity=shared.identity())
    choice = LicenseChoice(path=path, source=f"config target {target.name}", license=lic, lmgrd_pids=pids)
    out = list(probe_listeners(ctx, shared.cancel))
    logs = tuple(file_sig(p) for p in debug_log_paths(ctx, choice))
    out += shared.memo.get(("log", logs), lambda: debug_log_findings(ctx, choice, shared.cancel))
    today = _dt.date.today()
    out += shared.memo.get(("lint", file_sig(path), today, bool(pids)), lambda: lint_findings(lic, choice, ctx, today))
    return out
