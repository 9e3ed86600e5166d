"""`lmdoctor check`: find the license, run every live probe concurrently, then lint it.

The license is the one given with --license, else the one a running lmgrd was started
with (-c), else the first file in the search path (environment, ~/.flexlmrc), else the
default location. The report says which one it used and why.
"""
from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from . import inputgate
from .exceptions import LmdoctorError
from .findings import Finding, Report, Status, prefix_title
from .license import LicenseFile
from .probes.context import DEFAULT_VENDOR, ProbeContext
from .probes.runner import ProgressCallback, run_probes
from .runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard

if TYPE_CHECKING:  # annotation only: lmutil's module is loaded when a server answered
    from .flexnet.lmutil import LmutilLocation


class LicenseArgumentError(LmdoctorError):
    """--license names a file lmdoctor cannot read (the CLI exits 3)."""


@dataclass
class CheckOptions:
    license_path: Optional[str] = None
    servers: List[str] = field(default_factory=list)
    vendor: Optional[str] = None
    timeout: float = 3.0
    use_lmutil: bool = True
    lmutil_path: Optional[str] = None  # --lmutil: the user's choice, run even where root would not run a found one
    env: Optional[Mapping[str, str]] = None  # default: os.environ
    home: Optional[str] = None
    today: Optional[_dt.date] = None
    on_server: Optional[bool] = None   # the user said which role this machine has (the app's inputs)
    warn_days: Optional[int] = None    # expiry warnings this many days ahead (default: the lint's)
    # Called with (PORT@HOST, parsed lmstat -a output) for every server lmstat ran against: how
    # `check --format openmetrics` gets the usage numbers without running lmstat twice.
    on_lmstat: Optional[Callable[[str, Any], None]] = None


@dataclass
class LicenseChoice:
    path: Optional[str] = None
    source: str = ""  # '--license', 'lmgrd -c (pid N)', 'SIGASI_LM_LICENSE_FILE (environment)', 'default'
    license: Optional[LicenseFile] = None
    error: Optional[str] = None
    candidates: List[Dict[str, str]] = field(default_factory=list)
    lmgrd_pids: List[int] = field(default_factory=list)  # running lmgrds started with this file


def read_license(path: str) -> LicenseFile:
    """Parse a license file through the input gate; raises InputError with a readable one-line message."""
    return inputgate.read_license(path)


def _file_entries(value: str) -> List[str]:
    from .probes.searchpath import parse_search_path

    out = []
    for e in parse_search_path(value).entries:
        if e.kind == "path" and e.path:
            out.append(e.path)
    return out


def find_license(opts: CheckOptions, ctx: ProbeContext) -> LicenseChoice:
    from .probes.searchpath import collect_sources
    from .probes.snapshot import ProcInfo

    choice = LicenseChoice()
    cands: List[Dict[str, str]] = []
    if opts.license_path:
        cands.append({"path": opts.license_path, "source": "--license"})
    scan = ctx.get_scan()
    for g in scan.by_role("lmgrd"):
        assert isinstance(g, ProcInfo)
        for p in _file_entries(g.license_arg or ""):
            cands.append({"path": p, "source": f"lmgrd -c (pid {g.pid})"})
    sources, _ = collect_sources(ctx.env, ctx.home_dir(), ctx.all_vendors(), ctx.is_windows)
    for s in sources:
        for p in _file_entries(s.value):
            if os.path.isdir(p):
                try:
                    lics = sorted(n for n in os.listdir(p) if n.lower().endswith(".lic"))
                except OSError:
                    lics = []
                for n in lics:
                    cands.append({"path": os.path.join(p, n), "source": f"{s.name} ({s.origin})"})
            else:
                cands.append({"path": p, "source": s.origin if s.origin == "default" else f"{s.name} ({s.origin})"})
    choice.candidates = cands
    for c in cands:
        path = c["path"]
        explicit = c["source"] == "--license"
        if not explicit and not os.path.isfile(path):
            continue
        try:
            lic = read_license(path)
        except inputgate.InputError as exc:
            msg = str(exc)
            if explicit:
                raise LicenseArgumentError(msg) from None
            if choice.error is None:
                choice.error = msg
            continue
        choice.path, choice.source, choice.license = path, c["source"], lic
        break
    if choice.path:
        real = os.path.realpath(choice.path)
        for g in scan.by_role("lmgrd"):
            if any(os.path.realpath(p) == real for p in _file_entries(g.license_arg or "")):
                choice.lmgrd_pids.append(g.pid)
    return choice


def _license_finding(choice: LicenseChoice) -> Finding:
    if choice.path:
        return Finding("check.license", Status.INFO, f"License file: {choice.path}",
                       detail=f"Found via {choice.source}.", file=choice.path,
                       evidence=[f"{c['source']}: {c['path']}" for c in choice.candidates[:10]])
    if choice.error:
        return Finding("check.license-unreadable", Status.FAIL, "The license file in use cannot be read",
                       detail=choice.error, fix="Run lmdoctor as a user who can read it (or sudo), or pass "
                                                "--license FILE.")
    return Finding("check.no-license", Status.INFO, "No license file found on this machine",
                   detail="Looked at running lmgrd processes (-c), SIGASI_LM_LICENSE_FILE / LM_LICENSE_FILE, "
                          "~/.flexlmrc and the default location. A client that uses port@server needs none.",
                   fix="Pass --license FILE to check a license file too.",
                   evidence=[f"{c['source']}: {c['path']} (absent)" for c in choice.candidates[:10]])


def lint_findings(lic: LicenseFile, choice: LicenseChoice, ctx: ProbeContext,
                  today: Optional[_dt.date] = None, on_server: Optional[bool] = None,
                  warn_days: Optional[int] = None) -> List[Finding]:
    """The lint rules for the license in use, told what the probes learned about this machine.

    ``on_server`` given (the user said so) wins over what the machine suggests.
    """
    from .license.lint import LintOptions, lint_license

    if on_server is None:
        on_server = True if choice.lmgrd_pids else None
    if on_server is None:
        # The license names this machine (host or hostid): judge it as the server's license.
        on_server = True if ctx.license_names_this_host() else None
    opts = LintOptions(on_server=on_server, identity=ctx.get_identity(), today=today, label=choice.path)
    if warn_days is not None:
        opts.warn_days = warn_days
    try:
        return list(lint_license(lic, opts))
    except Exception as exc:
        return [Finding("check.lint-error", Status.SKIP, f"The license lint failed: {type(exc).__name__}",
                        detail=str(exc)[:500], fix="This is a bug in lmdoctor; please report it.")]


def lint_here(lic: LicenseFile, path: str, on_server: Optional[bool] = None, warn_days: Optional[int] = None,
              today: Optional[_dt.date] = None, env: Optional[Mapping[str, str]] = None) -> List[Finding]:
    """Lint ``lic`` as `check` judges it on this machine (a running lmgrd serving it, the SERVER line
    naming this host): one judgement for `check` and the app's License tab."""
    vendors = [DEFAULT_VENDOR] + [v for v in lic.vendor_names() if v and v.lower() != DEFAULT_VENDOR]
    ctx = ProbeContext(license=lic, license_path=path, vendors=vendors,
                       env=dict(env if env is not None else os.environ))
    choice = LicenseChoice(path=path, source="given", license=lic)
    try:
        real = os.path.realpath(path)
        for g in ctx.get_scan().by_role("lmgrd"):
            if any(os.path.realpath(p) == real for p in _file_entries(g.license_arg or "")):
                choice.lmgrd_pids.append(g.pid)
    except Exception:  # no process table (a container without /proc): judge from the file alone
        pass
    return lint_findings(lic, choice, ctx, today, on_server=on_server, warn_days=warn_days)


LOG_TAIL_BYTES = 8 * 1024 * 1024


def debug_log_paths(ctx: ProbeContext, choice: LicenseChoice) -> List[str]:
    """The -l debug logs of the lmgrds serving the license in use (what the server itself wrote)."""
    paths: List[str] = []
    for g in ctx.get_scan().by_role("lmgrd"):
        if g.pid not in choice.lmgrd_pids or not g.log_arg:
            continue
        p = g.log_arg[1:] if g.log_arg.startswith("+") else g.log_arg
        if p and os.path.isabs(p) and p not in paths:
            paths.append(p)
    return paths


def current_session_findings(data: bytes, path: str, cancel: CancelToken = NEVER_CANCELLED) -> List[Finding]:
    """Findings of the log's last lmgrd session: a running server is judged by what it logged since it started.

    A log appended to across restarts (``-l +LOG``) keeps the errors of earlier runs; they are history,
    not the state of the server now (only the restart count is kept from the whole text).
    """
    import io

    from .flexnet.logscan import scan_stream, summary_findings

    whole = scan_stream(io.BytesIO(data), cancel=cancel, path=path)
    last = whole.last_startup
    if whole.startup_count < 2 or last is None or last.line_no <= 1:
        return summary_findings(whole)
    start = 0
    for _ in range(last.line_no - 1):
        start = data.index(b"\n", start) + 1
    session = scan_stream(io.BytesIO(data[start:]), cancel=cancel, path=path)
    shift = last.line_no - 1
    found = [f.with_(line=f.line + shift) if f.line else f for f in summary_findings(session)]
    return found + [f for f in summary_findings(whole) if f.id == "log.restarts"]


def debug_log_findings(ctx: ProbeContext, choice: LicenseChoice, cancel: CancelToken) -> List[Finding]:
    """Analyse the end of each running lmgrd's debug log: the server's own account of what failed.

    Only the last few MB are read so a log of months costs the same as a log of minutes; the
    current session is at the end.
    """
    out: List[Finding] = []
    for path in debug_log_paths(ctx, choice):
        try:
            with inputgate.open_tail(path, inputgate.Kind.LOG, LOG_TAIL_BYTES) as fh:
                data = fh.read(LOG_TAIL_BYTES)
            found = current_session_findings(data, path, cancel)
        except (OSError, inputgate.InputError) as exc:
            out.append(Finding("check.debug-log-unreadable", Status.SKIP, f"Cannot read the debug log {path}",
                               detail=getattr(exc, "strerror", None) or str(exc), file=path,
                               fix="Run lmdoctor as the license server's user (or sudo) to read its log."))
            continue
        except Exception as exc:  # a scanner bug must not cost the rest of the check
            out.append(Finding("check.debug-log-error", Status.SKIP, f"Analysing {path} failed",
                               detail=f"{type(exc).__name__}: {exc}"[:500], file=path))
            continue
        for f in found:
            out.append(f.with_(title=prefix_title("Debug log: ", f.title), file=f.file or path))
    return out


def daemon_leftover_findings() -> List[Finding]:
    """What an earlier `lmdoctor daemon` started and left running because lmdoctor was killed."""
    from .flexnet.daemon import leftover_records

    out: List[Finding] = []
    for rec in leftover_records():
        live = rec.running()
        out.append(Finding(
            "check.daemon-leftover", Status.WARN,
            f"{len(live)} process(es) started by lmdoctor daemon, left running",
            detail=f"An `lmdoctor daemon` run of {rec.started_at} with {rec.license} was killed before it could "
                   "stop what it started. A leftover lmgrd holds the license port and makes the real server's "
                   "start fail with 'port in use' or 'another server running'.",
            fix=f"Stop them with `{rec.stop_command()}` (by hand: {rec.manual_stop_command()}).",
            evidence=[f"pid {p.pid} (pgid {p.pgid}, {p.role}): {' '.join(p.argv)[:300]}" for p in live],
            file=rec.license or None))
    return out


def untrusted_lmutil_finding(why: Any, how: str = "lmdoctor check --lmutil") -> Finding:
    """An lmutil found but not run as root (``procs.untrusted``): the same words in check and serve."""
    return Finding("check.lmutil-untrusted", Status.WARN, f"lmutil not run as root: {why.path} is not safe to run",
                   detail=f"{why.path} is owned by {why.owner}; {why.reason}. Running it as root would run code "
                          "that another user can change, so lmdoctor did not run it.",
                   fix=f"If you trust it, run it on purpose: {how} {why.path} (or make it root's: "
                       f"chown root: {why.path}; chmod go-w {why.path} and its directory).",
                   file=why.path, evidence=[why.text()])


def lmutil_findings(ctx: ProbeContext, choice: LicenseChoice, cancel: CancelToken,
                    on_finding: FindingSink = discard, lmutil_path: Optional[str] = None,
                    on_lmstat: Optional[Callable[[str, Any], None]] = None) -> List[Finding]:
    """``lmutil lmstat -a`` and ``lmdiag -n`` against every server that answered, all at once.

    Nothing when lmutil is absent (one info finding says so).
    """
    specs = list(ctx.open_servers)
    if not specs:
        return []  # nothing answered: nothing to ask (and no need to load the lmstat parser)
    loc, found = _locate_lmutil(choice, lmutil_path, on_finding)
    if loc is None:
        return found
    # One server reached under several names (27000@vm, 27000@127.0.0.1, 27000@localhost) is
    # asked once: one finding per fact, not one per name it answers to.
    specs = [g[0] for g in same_server_groups(specs, ctx)]
    return found + _ask_servers(specs, loc.path, max(5.0, ctx.timeout * 3), cancel, on_finding, on_lmstat)


def _locate_lmutil(choice: LicenseChoice, lmutil_path: Optional[str], on_finding: FindingSink
                   ) -> Tuple[Optional[LmutilLocation], List[Finding]]:
    """(where lmutil is, or None; the findings said on the way: refused candidates, absent)."""
    from .flexnet.lmutil import find_lmutil

    out: List[Finding] = []
    refused: List[Any] = []
    loc = find_lmutil(explicit=lmutil_path, license_path=choice.path, refused=refused)
    for why in refused:
        f = untrusted_lmutil_finding(why)
        on_finding(f)
        out.append(f)
    if loc is None and lmutil_path:
        # The user named it: not finding it is a failure of the run, not a missing optional tool.
        f = Finding("check.lmutil-absent", Status.FAIL, f"--lmutil {lmutil_path} is not an executable lmutil",
                    fix="Give the path of lmutil itself (or the directory that holds it) with --lmutil PATH.")
        on_finding(f)
        out.append(f)
    elif loc is None:
        f = Finding("check.lmutil-absent", Status.INFO, "lmutil not found: lmstat was not run",
                    detail="lmdoctor looked next to the license file, next to a running lmgrd and on PATH.",
                    fix="Put lmutil (from the same FlexNet zip as the daemons) on PATH to let 'check' ask the "
                        "servers what they serve, or run 'lmutil lmdiag -c \"<port>@<server>\" -n' yourself.",
                    seed_ref="Troubleshooting > Floating licenses")
        on_finding(f)
        out.append(f)
    return loc, out


def _ask_servers(specs: List[str], lmutil: str, timeout: float, cancel: CancelToken, on_finding: FindingSink,
                 on_lmstat: Optional[Callable[[str, Any], None]]) -> List[Finding]:
    """Every server asked at once, in a thread each; each finding said once, in the order of ``specs``."""
    from .flexnet.lmutil import run_lmdiag, run_lmstat

    results: Dict[str, List[Finding]] = {}
    # Two servers (or one under two names) can answer the same: say each thing once.
    seen: set = set()
    seen_lock = threading.Lock()

    def first_time(f: Finding) -> bool:
        key = (f.id, f.title, f.detail)
        with seen_lock:
            if key in seen:
                return False
            seen.add(key)
            return True

    def stream(f: Finding) -> None:
        if first_time(f):
            on_finding(f)

    def one(spec: str) -> None:
        # lmstat -a says what the server runs; lmdiag -n (the manual's own test) says whether each
        # feature can actually be checked out from here.
        try:
            stat = run_lmstat(spec, lmutil, timeout=timeout, cancel=cancel, on_finding=stream)
            results[spec] = list(stat.findings)
            if on_lmstat is not None and stat.lmstat is not None:
                on_lmstat(spec, stat.lmstat)
            results[spec] += list(run_lmdiag(spec, lmutil, timeout=timeout, cancel=cancel,
                                             on_finding=stream).findings)
        except Exception as exc:
            results[spec] = [Finding("check.lmutil-error", Status.SKIP, f"Running lmutil failed: "
                                     f"{type(exc).__name__}", detail=str(exc)[:500])]
            on_finding(results[spec][0])

    threads = [threading.Thread(target=one, args=(s,), daemon=True) for s in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The streamed copies were for the live display; the returned list is deduplicated afresh.
    seen.clear()
    return [f for s in specs for f in results.get(s, []) if first_time(f)]


def same_server_groups(specs: List[str], ctx: ProbeContext) -> List[List[str]]:
    """Specs grouped by the server they reach: same port on this machine (any of its names or
    addresses), or the same remote host name. Triads stay as given."""
    from .probes.searchpath import parse_entry

    try:
        ident = ctx.get_identity()
    except Exception:  # no identity: every spec is its own server
        ident = None
    groups: Dict[Any, List[str]] = {}
    for spec in specs:
        e = parse_entry(spec)
        if e.kind != "port_at_host" or len(e.servers) != 1:
            key: Any = ("spec", spec)
        else:
            srv = e.servers[0]
            host = srv.host.lower().rstrip(".")
            here = ident is not None and ident.is_this_host(host)
            key = (srv.port, "this machine" if here else host)
        groups.setdefault(key, []).append(spec)
    return list(groups.values())


@dataclass
class CheckRun:
    """A check with what it learned on the way: the repair plans from the very same facts."""

    report: Report
    ctx: ProbeContext  # license, process scan (with listeners), identity, servers that answered
    choice: LicenseChoice
    # Every probe's own findings before judge() merged facts and weighed severity: what planners
    # match on (the report says each fact once; a plan needs to know which sides saw it).
    raw_findings: List[Finding] = field(default_factory=list)


def run_check(opts: CheckOptions, cancel: CancelToken = NEVER_CANCELLED, on_finding: FindingSink = discard,
              on_progress: Optional[ProgressCallback] = None) -> Report:
    """The whole check. Raises LicenseArgumentError only for an unreadable --license."""
    return check_machine(opts, cancel, on_finding, on_progress).report


def check_machine(opts: CheckOptions, cancel: CancelToken = NEVER_CANCELLED, on_finding: FindingSink = discard,
                  on_progress: Optional[ProgressCallback] = None) -> CheckRun:
    """run_check(), keeping the probe context and the license choice for callers that act on them."""
    started = time.monotonic()
    env = dict(opts.env if opts.env is not None else os.environ)
    vendors = [v for v in ([opts.vendor] if opts.vendor else []) + [DEFAULT_VENDOR] if v]
    ctx = ProbeContext(license=None, license_path=None, vendors=list(dict.fromkeys(vendors)),
                       servers=list(opts.servers), timeout=opts.timeout, env=env, home=opts.home)
    report = Report("check")

    def put(f: Finding) -> None:
        report.add(f)
        on_finding(f)

    choice = find_license(opts, ctx)
    if choice.license is not None:
        ctx.license, ctx.license_path = choice.license, choice.path
        extra = [v for v in choice.license.vendor_names() if v.lower() not in {x.lower() for x in ctx.vendors}]
        if extra:
            ctx.scan = None  # the license names more vendor daemons: look for them too
    put(_license_finding(choice))
    # Stream as they come; keep the report in probe order so output is the same run to run.
    report.extend(run_probes(ctx, cancel=cancel, on_finding=on_finding, on_progress=on_progress))
    if choice.license is not None:
        for f in lint_findings(choice.license, choice, ctx, opts.today, on_server=opts.on_server,
                                warn_days=opts.warn_days):
            put(f if f.file else f.with_(file=choice.path))
    if choice.lmgrd_pids:
        for f in debug_log_findings(ctx, choice, cancel):
            put(f)
    for f in daemon_leftover_findings():
        put(f)
    if opts.use_lmutil:
        report.extend(lmutil_findings(ctx, choice, cancel, on_finding, opts.lmutil_path, opts.on_lmstat))
    # Severity by impact and one finding per fact, now that every side has spoken (see judge.py;
    # the findings streamed above are the raw ones).
    from .judge import judge

    raw = list(report.findings)
    report.findings = judge(raw, license_served=bool(choice.lmgrd_pids))
    report.meta.update(_meta(choice, ctx, time.monotonic() - started))
    return CheckRun(report, ctx, choice, raw)


def _meta(choice: LicenseChoice, ctx: ProbeContext, seconds: float) -> Dict[str, Any]:
    ident = ctx.identity
    return {
        "heading": "lmdoctor check: " + (f"license {choice.path} ({choice.source})" if choice.path
                                         else "no license file found"),
        "license": {"path": choice.path, "source": choice.source} if choice.path else None,
        "license_candidates": choice.candidates[:20],
        "servers": list(ctx.servers),
        "timeout": ctx.timeout,
        "host": {"name": ident.short_name, "fqdn": ident.fqdn} if ident else None,
        "seconds": round(seconds, 3),
        # What `lmdoctor report` asks next: the servers that answered, the running lmgrd's -l logs.
        "open_servers": list(ctx.open_servers),
        "debug_logs": debug_log_paths(ctx, choice) if choice.lmgrd_pids else [],
    }
