"""Find and run lmutil (``lmstat -a``, ``lmdiag -n``), and turn their output into findings.

lmutil is known to hang for minutes when one member of a triad is down, so every run has a
timeout, honours a CancelToken, and on either kills lmutil's whole process group.
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from .lmstat import (
    ErrorNote,
    Feature,
    LmstatResult,
    ServerBlock,
    ServerStatus,
    VendorDaemon,
    compare_versions,
    explain_ref,
    parse_lmstat,
)

SEED_FLOATING = "Troubleshooting > Floating licenses"
SEED_TROUBLE = "Troubleshooting"
DEFAULT_TIMEOUT = 30.0
DEFAULT_WARN_DAYS = 30

_EXE_NAMES = ("lmutil", "lmutil.exe")


# --------------------------------------------------------------------------- finding lmutil


@dataclass
class LmutilLocation:
    path: str
    how: str  # "argument", "next to the license file", "next to running lmgrd", "PATH"


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _running_lmgrd_dirs() -> List[str]:
    dirs: List[str] = []
    try:
        import psutil
    except Exception:
        return dirs
    try:
        for p in psutil.process_iter(["name", "exe"]):
            try:
                name = (p.info.get("name") or "").lower()
                if name not in ("lmgrd", "lmgrd.exe"):
                    continue
                exe = p.info.get("exe")
                if exe:
                    d = os.path.dirname(exe)
                    if d not in dirs:
                        dirs.append(d)
            except Exception:
                continue
    except Exception:  # no process table to read: lmutil is still looked for beside the license and on PATH
        pass
    return dirs


def find_lmutil(explicit: Optional[str] = None, license_path: Optional[str] = None,
                look_at_processes: bool = True, refused: Optional[List[Any]] = None) -> Optional[LmutilLocation]:
    """Where lmutil is: the argument, beside the license file, beside a running lmgrd, on PATH.

    Run as root, a candidate lmdoctor found by itself that root must not execute (owned by another
    user, writable by others, in a directory others can write: ``procs.untrusted``) is skipped and
    appended to ``refused``; one named with ``explicit`` (``--lmutil PATH``) is the user's choice.
    """
    from ..procs import untrusted

    if explicit:
        if os.path.isdir(explicit):
            for n in _EXE_NAMES:
                c = os.path.join(explicit, n)
                if _executable(c):
                    return LmutilLocation(c, "argument")
            return None
        return LmutilLocation(explicit, "argument") if _executable(explicit) else None

    def found(c: str) -> bool:
        if not _executable(c):
            return False
        why = untrusted(c)
        if why is None:
            return True
        if refused is not None and all(r.path != why.path for r in refused):
            refused.append(why)
        return False

    if license_path and "@" not in license_path:
        d = os.path.dirname(os.path.abspath(license_path))
        for n in _EXE_NAMES:
            c = os.path.join(d, n)
            if found(c):
                return LmutilLocation(c, "next to the license file")
    if look_at_processes:
        for d in _running_lmgrd_dirs():
            for n in _EXE_NAMES:
                c = os.path.join(d, n)
                if found(c):
                    return LmutilLocation(c, "next to running lmgrd")
    for n in _EXE_NAMES:
        w = shutil.which(n)
        if w and found(w):
            return LmutilLocation(w, "PATH")
    return None


# --------------------------------------------------------------------------- running it


@dataclass
class RunResult:
    argv: List[str]
    returncode: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    cancelled: bool = False
    error: Optional[str] = None  # could not start it at all

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and not self.cancelled

    @property
    def output(self) -> str:
        return self.stdout + ("\n" + self.stderr if self.stderr.strip() else "")


def run_lmutil(argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT,
               cancel: CancelToken = NEVER_CANCELLED, env: Optional[dict] = None) -> RunResult:
    """Run an argv list through checks.procs (own process group; the tree is killed on timeout/cancel)."""
    from .. import procs

    argv = [str(a) for a in argv]
    done = procs.run(argv, timeout=timeout, cancel=cancel, env=env, grace=1.0)
    res = RunResult(argv=argv, returncode=done.returncode, stdout=done.stdout, stderr=done.stderr,
                    timed_out=done.timed_out, cancelled=done.cancelled)
    exc = done.error
    if exc is not None:
        if isinstance(exc, FileNotFoundError):
            # ENOENT for a file that exists: a missing LSB loader (the seed's lsb advice).
            res.error = (f"{argv[0]} not found" if not os.path.exists(argv[0])
                         else f"cannot start {argv[0]}: No such file or directory (its ELF interpreter is missing)")
        elif isinstance(exc, PermissionError):
            res.error = f"{argv[0]} is not executable (check its permissions)"
        else:
            res.error = f"cannot start {argv[0]}: {exc.strerror or exc}"
    return res


@dataclass
class LmutilRun:
    """One lmutil call: how it ran, what it said, and the findings drawn from it."""

    run: RunResult
    lmstat: Optional[LmstatResult] = None
    lmdiag: Any = None  # lmdiag.LmdiagResult
    findings: List[Finding] = field(default_factory=list)


def _run_failed_finding(kind: str, spec: str, run: RunResult, timeout: float) -> Finding:
    cmd = " ".join(run.argv)
    if run.error:
        return Finding(
            id=f"{kind}.not-run", status=Status.SKIP, title=f"lmutil {kind} could not be run",
            detail=run.error, evidence=cmd,
            fix="Check the lmutil path; on Linux a 'No such file or directory' for an existing lmutil "
                "means the LSB loader is missing: install lsb (or link ld-lsb-x86-64.so.3 as the manual says).",
            seed_ref=SEED_FLOATING,
        )
    if run.cancelled:
        return Finding(id=f"{kind}.cancelled", status=Status.SKIP, title=f"lmutil {kind} was cancelled", evidence=cmd)
    return Finding(
        id=f"{kind}.timeout", status=Status.FAIL,
        title=f"lmutil {kind} against {spec} did not answer within {timeout:g} s",
        detail="lmutil hangs like this when a license server (often one member of a triad) accepts the "
               "connection but does not answer, or a firewall silently drops packets. lmdoctor stopped it.",
        evidence=cmd,
        fix=f"Check every host in {spec} is up and lmgrd runs there; check firewalls between this machine "
            "and the lmgrd and vendor daemon ports.",
        seed_ref=SEED_FLOATING,
    )


def _lmutil_argv(lmutil: str, tool: str, spec: str, extra: Sequence[str]) -> List[str]:
    base = os.path.basename(lmutil).lower()
    if base.startswith("lmutil"):
        return [lmutil, tool, *extra, "-c", spec]
    return [lmutil, *extra, "-c", spec]  # an `lmstat`/`lmdiag` binary of its own


def run_lmstat(spec: str, lmutil: str, timeout: float = DEFAULT_TIMEOUT,
               cancel: CancelToken = NEVER_CANCELLED, on_finding: FindingSink = discard,
               warn_days: int = DEFAULT_WARN_DAYS, today: Optional[_dt.date] = None) -> LmutilRun:
    """``lmutil lmstat -a -c SPEC``, parsed, with findings streamed to ``on_finding``."""
    run = run_lmutil(_lmutil_argv(lmutil, "lmstat", spec, ["-a"]), timeout=timeout, cancel=cancel)
    out = LmutilRun(run=run)
    if not run.ok and not (run.timed_out and run.stdout):
        f = _run_failed_finding("lmstat", spec, run, timeout)
        out.findings.append(f)
        on_finding(f)
        return out
    if run.timed_out:
        f = _run_failed_finding("lmstat", spec, run, timeout)
        out.findings.append(f)
        on_finding(f)
    out.lmstat = parse_lmstat(run.output)
    for f in lmstat_findings(out.lmstat, warn_days=warn_days, today=today, source=f"lmstat -c {spec}"):
        out.findings.append(f)
        on_finding(f)
    return out


def run_lmdiag(spec: str, lmutil: str, timeout: float = DEFAULT_TIMEOUT,
               cancel: CancelToken = NEVER_CANCELLED, on_finding: FindingSink = discard,
               feature: Optional[str] = None) -> LmutilRun:
    """``lmutil lmdiag -n -c SPEC [feature]``, parsed, with findings streamed to ``on_finding``."""
    from .lmdiag import parse_lmdiag

    argv = _lmutil_argv(lmutil, "lmdiag", spec, ["-n"])
    if feature:
        argv.append(feature)
    run = run_lmutil(argv, timeout=timeout, cancel=cancel)
    out = LmutilRun(run=run)
    if not run.ok:
        f = _run_failed_finding("lmdiag", spec, run, timeout)
        out.findings.append(f)
        on_finding(f)
        if not run.stdout:
            return out
    out.lmdiag = parse_lmdiag(run.output)
    for f in lmdiag_findings(out.lmdiag, source=f"lmdiag -c {spec}"):
        out.findings.append(f)
        on_finding(f)
    return out


# --------------------------------------------------------------------------- findings


def _explain(note: Optional[ErrorNote]) -> str:
    if note is None or not note.refs:
        return ""
    return "\n".join(x for x in (explain_ref(r) for r in note.refs) if x)


def _practical(note: Optional[ErrorNote]) -> str:
    if note is None or note.major is None:
        return ""
    try:
        from ..errors import practical_meaning

        return practical_meaning(note.major, note.text) or ""
    except Exception:
        return ""


def _errno_hint(note: Optional[ErrorNote]) -> str:
    ref = note.ref if note else None
    eno = getattr(ref, "errno", None)
    if eno in (111, 10061, 61):
        return ("Connection refused: the host answered but nothing listens on that port "
                "(lmgrd not running, or on another port).")
    if eno in (110, 10060, 115, 36, 150):
        return "No answer: the host is down, unreachable, or a firewall silently drops the packets."
    if eno in (113, 10065, 65, 148):
        return "No route to the host: a network or firewall problem between here and the server."
    if eno in (11001, 11004):
        return "The host name does not resolve: fix DNS or the hosts file, or use the IP address."
    return ""


def _feature_list(names: Sequence[str], limit: int = 30) -> str:
    """The first `limit` feature names, comma-separated, with '...' when there are more."""
    return ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")


def _where(block: ServerBlock, host: str) -> str:
    for port, h in block.members:
        if h.lower() == host.lower() or h.lower().split(".")[0] == host.lower().split(".")[0]:
            return f"{port}@{h}"
    return host


@dataclass(frozen=True)
class AsOf:
    """The day expiry is judged against: the output's own date when it has one (a saved snapshot
    is judged as it was when taken), else today, or the day the user gave."""

    date: _dt.date
    source: str  # "output", "today" or "given"
    taken: Optional[str] = None  # the output's status line, as printed

    @property
    def phrase(self) -> str:
        return "this output was taken" if self.source == "output" else "today" if self.source == "today" \
            else f"{self.date.isoformat()} (--today)"

    def to_dict(self) -> Dict[str, Any]:
        return {"date": self.date.isoformat(), "source": self.source, "taken": self.taken}


def lmstat_as_of(result: LmstatResult, today: Optional[_dt.date] = None,
                 real_today: Optional[_dt.date] = None) -> AsOf:
    real = real_today or _dt.date.today()
    if today is not None:
        return AsOf(today, "given")
    taken = result.header.status_date
    if taken is not None and taken != real:
        return AsOf(taken, "output", result.header.status_time)
    return AsOf(real, "today", result.header.status_time)


def lmstat_findings(result: LmstatResult, warn_days: int = DEFAULT_WARN_DAYS,
                    today: Optional[_dt.date] = None, source: Optional[str] = None,
                    real_today: Optional[_dt.date] = None) -> List[Finding]:
    """Findings for parsed lmstat output. Pure: no processes, no network.

    Expiry is judged as of ``today`` when given, else as of the output's own date (``Flexible
    License Manager status on ...``), so a snapshot from a ticket reads as it did when it was taken.
    """
    as_of = lmstat_as_of(result, today, real_today)
    out: List[Finding] = []
    if as_of.source == "output":
        out.append(_as_of_finding(result, as_of, source))
    # Order is what the user reads: errors first, then each server block, then features.
    out.extend(_status_error(e, "lmstat could not get the server status",
                             "Check that lmgrd runs on the server and that its port is reachable from here.",
                             source) for e in result.errors)
    for b in result.blocks:
        out.extend(_block_findings(b, source))
    out.extend(_feature_findings(result, warn_days, as_of, source, real_today or _dt.date.today()))
    if result.unparsed:
        out.append(_unparsed_finding(result, source))
    return out


def _as_of_finding(result: LmstatResult, as_of: AsOf, source: Optional[str]) -> Finding:
    today = as_of.date
    return Finding(
        id="lmstat.as-of", status=Status.INFO,
        title=f"Dates judged as of {today.isoformat()}, the day this output was taken",
        detail=f"The output says 'status on {as_of.taken}'. What expired or expires is counted from that day; "
               "it may have changed since (run lmstat again for today's view).",
        evidence=f"Flexible License Manager status on {as_of.taken}", file=source,
        line=result.header.status_line,
    )


def _status_error(e: ErrorNote, title: str, default_fix: str, source: Optional[str]) -> Finding:
    """One lmstat error line: what it means, the errno's hint, and the practical fix if known."""
    return Finding(
        id="lmstat.status-error", status=Status.FAIL, title=title,
        detail="\n".join(x for x in (_explain(e), _errno_hint(e)) if x),
        fix=_practical(e) or default_fix,
        evidence=e.text, file=source, line=e.line, seed_ref=SEED_FLOATING,
    )


def _block_findings(b: ServerBlock, source: Optional[str]) -> List[Finding]:
    """One server block (a single server or a triad): servers, its errors, quorum, vendors."""
    label = b.spec or (b.servers[0].host if b.servers else "license server")
    out = [_server_down(b, s, source) for s in b.servers if not s.up]
    out.extend(_status_error(e, f"lmstat reported an error for {label}",
                             "Check the license server's debug log.", source) for e in b.errors)
    if b.quorum is not None:
        out.append(_quorum_finding(b, source))
    ups = [s for s in b.servers if s.up]
    # A triad's health is said by its quorum finding; "UP" is for a single server.
    if ups and b.quorum is None:
        m = b.master
        out.append(Finding(
            id="lmstat.server-up", status=Status.OK,
            title=f"License server {label} is UP"
            + (f" (MASTER {m.host} {m.version or ''}".rstrip() + ")" if m else ""),
            evidence=[s.text for s in ups], file=source, line=ups[0].line,
        ))
    for v in b.vendors:
        out.extend(_vendor_findings(b, v, source))
    return out


def _server_down(b: ServerBlock, s: ServerStatus, source: Optional[str]) -> Finding:
    detail = [f"lmstat said: {s.text}"]
    for x in (_explain(s.error), _errno_hint(s.error)):
        if x:
            detail.append(x)
    q = b.quorum
    if q is not None and q.has_quorum:
        detail.append(f"The triad still has quorum ({q.up} of 3 up), so licenses are served, "
                      "but one more failure stops them.")
    return Finding(
        id="lmstat.server-down", status=Status.FAIL,
        title=f"License server {_where(b, s.host)} is down",
        detail="\n".join(detail),
        fix=_practical(s.error) or f"Start lmgrd on {s.host} (run it with -z to see why it stops) "
            "and check that its port is open in the firewall.",
        evidence=s.text, file=source, line=s.line, seed_ref=SEED_FLOATING,
    )


def _quorum_finding(b: ServerBlock, source: Optional[str]) -> Finding:
    """A triad serves only while 2 of 3 are up: lost (FAIL), degraded (WARN) or all up (OK)."""
    q = b.quorum
    assert q is not None
    members = ", ".join(f"{p}@{h}" for p, h in b.members)
    missing = ((f" Down: {', '.join(q.down)}." if q.down else "")
               + (f" No status printed for: {', '.join(q.unknown)}." if q.unknown else ""))
    if not q.has_quorum:
        return Finding(
            id="lmstat.quorum-lost", status=Status.FAIL,
            title=f"Redundant triad has lost quorum: {q.up} of 3 servers up",
            detail=f"A triad serves licenses only while 2 of its 3 servers are up. Members: {members}." + missing,
            fix="Bring at least two of the three servers back up (same license file, same SERVER "
                "lines in the same order on every node).",
            evidence=b.spec, file=source, line=b.line, seed_ref=SEED_FLOATING,
        )
    if q.degraded:
        return Finding(
            id="lmstat.quorum-degraded", status=Status.WARN,
            title=f"Redundant triad runs degraded: {q.up} of 3 servers up",
            detail=f"Licenses are still served (quorum is 2 of 3), but one more failure stops them. "
                   f"Members: {members}." + missing,
            fix="Bring the missing server back up before another one fails.",
            evidence=b.spec, file=source, line=b.line, seed_ref=SEED_FLOATING,
        )
    m = b.master
    return Finding(
        id="lmstat.quorum-ok", status=Status.OK,
        title="Redundant triad has all 3 servers up" + (f" (MASTER {m.host})" if m else ""),
        evidence=b.spec, file=source, line=b.line,
    )


def _vendor_findings(b: ServerBlock, v: VendorDaemon, source: Optional[str]) -> List[Finding]:
    """A vendor daemon's state, and whether it is newer than the lmgrd that runs it."""
    if not v.up:
        return [Finding(
            id="lmstat.vendor-down", status=Status.FAIL,
            title=f"Vendor daemon {v.name} is down" + (f" on {v.on_host}" if v.on_host else ""),
            detail="\n".join(x for x in (f"lmstat said: {v.text}", _explain(v.error)) if x),
            fix=f"Look in the lmgrd debug log for why {v.name} exited (wrong hostid, port in use, "
                f"another server running); check the DAEMON line's path and port, then `lmreread` "
                "or restart lmgrd.",
            evidence=v.text, file=source, line=v.line, seed_ref=SEED_FLOATING,
        )]
    out = [Finding(
        id="lmstat.vendor-up", status=Status.OK,
        title=f"Vendor daemon {v.name} is UP" + (f" {v.version}" if v.version else ""),
        evidence=v.text, file=source, line=v.line,
    )]
    # Compare with the lmgrd on the vendor's own host; else the master's, else the first listed.
    srv = b.server_for(v.on_host) if v.on_host else None
    srv = srv or b.master or (b.servers[0] if b.servers else None)
    if srv is not None and srv.version and v.version and compare_versions(v.version, srv.version) == 1:
        out.append(Finding(
            id="lmstat.version-mismatch", status=Status.WARN,
            title=f"Vendor daemon {v.name} {v.version} is newer than lmgrd {srv.version} on {srv.host}",
            detail="lmgrd must be the same version as the vendor daemon or newer. A newer vendor "
                   "daemon under an older lmgrd can fail to start or misbehave after an upgrade.",
            fix="Use lmgrd and the vendor daemon from the same download"
                + (" (for Sigasi: the same zip from download.sigasi.com)" if v.name.lower() == "sigasi"
                   else "") + ", or upgrade lmgrd.",
            evidence=[srv.text, f"{v.name}: {v.text}"], file=source, line=v.line, seed_ref=SEED_FLOATING,
        ))
    return out


def _unparsed_finding(result: LmstatResult, source: Optional[str]) -> Finding:
    return Finding(
        id="lmstat.unparsed-lines", status=Status.INFO,
        title=f"{len(result.unparsed) + result.unparsed_more} line(s) of the lmstat output were not understood",
        detail="They are listed here so nothing is silently dropped; the rest was read normally."
               + (f" The first {len(result.unparsed)} are shown." if result.unparsed_more else ""),
        evidence=[f"line {n}: {t[:200]}" for n, t in result.unparsed],
        file=source, line=result.unparsed[0][0],
    )


def _feature_findings(result: LmstatResult, warn_days: int, as_of: AsOf, source: Optional[str],
                      real_today: _dt.date) -> List[Finding]:
    out: List[Finding] = []
    # Features that expire on the same day are one finding: a 100-feature key renews as one.
    by_date: Dict[_dt.date, List[Tuple[str, Optional[str], int]]] = {}
    seen = set()

    def expiry(name: str, version: str, exp_text: Optional[str], exp_date: Optional[_dt.date], line: int) -> None:
        if exp_date is None or (name, version, exp_date) in seen:
            return
        seen.add((name, version, exp_date))
        by_date.setdefault(exp_date, []).append((f"{name} {version}".strip(), exp_text, line))

    for f in result.features:
        for v in f.versions:
            expiry(v.name, v.version, v.expiry, v.expiry_date, v.line)
    for row in result.license_table:
        expiry(row.feature, row.version, row.expires, row.expiry_date, row.line)
    for exp_date in sorted(by_date):
        found = _expiry_finding(exp_date, by_date[exp_date], warn_days, as_of, source, real_today)
        if found is not None:
            out.append(found)
    for f in result.features:
        if f.unsupported or (f.error and not f.uncounted and f.issued is None):
            out.append(Finding(
                id="lmstat.feature-unsupported", status=Status.WARN,
                title=f"Feature {f.name}: {f.error}",
                detail="The license file lists this feature but the vendor daemon does not serve it "
                       "(wrong hostid for that line, a version the daemon is too old for, or a bad signature).",
                fix="Look for the feature in the vendor daemon's debug log at start-up; check the "
                    "INCREMENT line's hostid and version.",
                evidence=f.status_text, file=source, line=f.line,
            ))
        if f.issued and f.in_use is not None and f.in_use >= f.issued:
            out.append(_all_in_use(f, source))
    return out


def _expiry_finding(exp_date: _dt.date, items: List[Tuple[str, Optional[str], int]], warn_days: int,
                    as_of: AsOf, source: Optional[str], real_today: _dt.date) -> Optional[Finding]:
    """Expired (FAIL) or expiring within ``warn_days`` (WARN), counted from ``as_of``; else None."""
    days = (exp_date - as_of.date).days
    names = [n for n, _t, _l in items]
    what = names[0] if len(names) == 1 else f"{len(names)} features"
    evidence = [f"line {ln}: {n} expiry {t}" for n, t, ln in items]
    when = "ago" if as_of.source == "today" else f"before {as_of.phrase}"
    if days < 0:
        return Finding(
            id="lmstat.feature-expired", status=Status.FAIL,
            title=f"{what} expired on {exp_date.isoformat()}, {-days} day(s) {when}",
            detail=f"Expired {-days} day(s) {when}. Clients get 'Feature has expired' (-10)."
                   + ("" if len(names) == 1 else " Features: " + _feature_list(names)),
            fix="Request a renewed license key and install it on the server (then lmreread).",
            evidence=evidence, file=source, line=items[0][2], seed_ref=SEED_TROUBLE,
        )
    if days > warn_days:
        return None
    after = "" if as_of.source == "today" else f" after {as_of.phrase}"
    # An old snapshot's "expires in 5 days" may be over by now: say so.
    since = (f" It has expired since ({(real_today - exp_date).days} day(s) before today)."
             if as_of.source == "output" and exp_date < real_today else "")
    return Finding(
        id="lmstat.feature-expiring", status=Status.WARN,
        title=f"{what} expire{'s' if len(names) == 1 else ''} in {days} day(s){after}, on "
              f"{exp_date.isoformat()}",
        detail=(f"{days} day(s){after or ' from today'}.{since}"
                + ("" if len(names) == 1 else " Features: " + _feature_list(names))),
        fix="Request a renewed license key before it expires.",
        evidence=evidence, file=source, line=items[0][2], seed_ref=SEED_TROUBLE,
    )


def _all_in_use(f: Feature, source: Optional[str]) -> Finding:
    """Every seat taken: who holds them (at most 20 named) and how many wait in the queue."""
    holders = sorted({f"{u.user}@{u.host}" for u in f.users if not u.queued})
    queued = len([u for u in f.users if u.queued]) + f.queued_more
    detail = f"{f.in_use} of {f.issued} in use."
    if holders:
        more = len(holders) > 20 or f.users_more
        detail += " Held by: " + ", ".join(holders[:20]) + (" ..." if more else "") + "."
    if queued:
        detail += f" {queued} request(s) queued."
    return Finding(
        id="lmstat.all-licenses-in-use", status=Status.WARN,
        title=f"All {f.issued} license(s) of {f.name} are in use",
        detail=detail + " New checkouts get 'Licensed number of users already reached' (-4).",
        fix="Ask a user to close the application, or buy more seats.",
        evidence=f.status_text, file=source, line=f.line,
    )


def lmdiag_findings(result: Any, source: Optional[str] = None) -> List[Finding]:
    """Findings for parsed ``lmdiag -n`` output: one per feature it tried."""
    out: List[Finding] = []
    for f in getattr(result, "features", []):
        what = f"{f.name} {f.version or ''}".strip() or (f.details or {}).get("Feature") or "The license"
        if f.can_checkout is True:
            out.append(Finding(
                id="lmdiag.can-checkout", status=Status.OK,
                title=f"{what} can be checked out" + (f" from {f.license_file}" if f.license_file else ""),
                evidence=f.verdict_text, file=source, line=f.verdict_line or f.line,
            ))
        elif f.can_checkout is False:
            reason = " ".join(f.reason_lines).strip()
            expl = "\n".join(x for x in (explain_ref(r) for r in f.errors) if x)
            fix = ""
            if f.errors:
                try:
                    from ..errors import practical_meaning

                    fix = practical_meaning(f.errors[0].major, reason) or ""
                except Exception:
                    fix = ""
            out.append(Finding(
                id="lmdiag.cannot-checkout", status=Status.FAIL,
                title=f"{what} cannot be checked out" + (f": {reason}" if reason else ""),
                detail=expl,
                fix=fix or "Run `lmutil lmdiag -n -c <port>@<server>` on the client and check the server's debug log.",
                evidence=[f.verdict_text] + list(f.reason_lines), file=source, line=f.verdict_line or f.line,
                seed_ref=SEED_FLOATING,
            ))
    for e in getattr(result, "errors", []):
        out.append(Finding(
            id="lmdiag.error", status=Status.FAIL, title="lmdiag reported an error",
            detail="\n".join(x for x in (explain_ref(r) for r in e.refs) if x),
            fix=_practical(e) or "Check that lmgrd runs on the server and its port is reachable.",
            evidence=e.text, file=source, line=e.line, seed_ref=SEED_FLOATING,
        ))
    if getattr(result, "unparsed", None):
        out.append(Finding(
            id="lmdiag.unparsed-lines", status=Status.INFO,
            title=f"{len(result.unparsed)} line(s) of the lmdiag output were not understood",
            evidence=[f"line {n}: {t[:200]}" for n, t in result.unparsed], file=source,
            line=result.unparsed[0][0],
        ))
    return out
