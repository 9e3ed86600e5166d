"""Starting, restarting and stopping license servers, and proving the result with lmstat.

Every launch goes through checks.procs (argv lists, a session of its own). A server repair
starts is *detached* (procs.start_detached): it must outlive lmdoctor, so no parent-death
signal applies to it; its pid and start time go into the journal so ``--undo`` can stop exactly
that process and no other that reused the pid.

Stopping is gentle and exact: ``lmutil lmdown -c PORT@HOST -q`` for a server (the port it listens
on now, which a license edit may be about to change), SIGTERM to the one pid otherwise, and never
SIGKILL: a killed lmgrd leaves its vendor daemon running, the very duplicate the manual warns about.
"""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .. import procs
from ..probes.snapshot import ProcInfo, parse_args
from ..runtime import NEVER_CANCELLED, CancelToken

UP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
POLL = 0.1


@dataclass
class Launch:
    """How to start lmgrd for a license, and where those arguments came from."""

    argv: List[str]
    cwd: str
    env: Optional[Dict[str, str]] = None  # None: lmdoctor's own environment
    user: Optional[str] = None  # start as this user (lmdoctor is root, the server was not)
    source: str = ""
    log: Optional[str] = None


def appending(argv: Sequence[str]) -> List[str]:
    """The same arguments with ``-l +LOG``: a restart must never truncate the log of earlier runs."""
    out = list(argv)
    for i, a in enumerate(out[:-1]):
        if a == "-l" and not out[i + 1].startswith("+"):
            out[i + 1] = "+" + out[i + 1]
    return out


def launch_from_process(g: ProcInfo) -> Optional[Launch]:
    """The argv a running lmgrd was started with (kept as it was, but appending to its log)."""
    if not g.cmdline or not os.path.isabs(g.cmdline[0]):
        return None
    env = cwd = None
    try:
        import psutil

        p = psutil.Process(g.pid)
        env = dict(p.environ())
        cwd = p.cwd()
    except Exception:  # gone or not ours to read: relaunch with lmdoctor's own environment and cwd
        pass
    user = g.user if g.user and not (hasattr(os, "geteuid") and uid_of(g.user) == os.geteuid()) else None
    _lic, log = parse_args(g.cmdline)
    return Launch(appending(g.cmdline), cwd or os.path.dirname(g.cmdline[0]), env, user,
                  f"the running lmgrd's own arguments (pid {g.pid})", log)


def uid_of(user: str) -> Optional[int]:
    """The uid of a user name (None where unknown, or on Windows)."""
    try:
        import pwd

        return pwd.getpwnam(user).pw_uid
    except (ImportError, KeyError):
        return None


def is_mine(user: Optional[str]) -> bool:
    """A process of this user (or lmdoctor is root): lmdoctor may signal it."""
    if not hasattr(os, "geteuid"):
        return True
    return os.geteuid() == 0 or (user is not None and uid_of(user) == os.geteuid())


def launch_for_license(lmgrd: str, license_path: str, log: str, user: Optional[str] = None,
                       source: str = "") -> Launch:
    """The manual's start line: lmgrd -c LICENSE -l +LOG, from the license's directory."""
    return Launch([lmgrd, "-c", license_path, "-l", "+" + log], os.path.dirname(license_path), None, user,
                  source or "the manual's start line (lmgrd -c FILE -l +LOG)", log)


@dataclass
class Outcome:
    ok: bool
    detail: str
    pid: Optional[int] = None
    create_time: Optional[float] = None
    lines: List[str] = field(default_factory=list)  # what lmstat / the log said


def _realpath(p: str) -> str:
    try:
        return os.path.realpath(p)
    except (OSError, ValueError):
        return p


def find_lmgrd(license_path: str, since: float = 0.0, exclude: Sequence[int] = ()) -> Optional[Tuple[int, float]]:
    """(pid, create_time) of the newest running lmgrd started with this license after ``since``."""
    import psutil

    real = _realpath(license_path)
    best = None
    for p in psutil.process_iter(["pid", "name", "cmdline", "create_time", "status"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE or p.info["pid"] in exclude:
                continue
            name = os.path.basename(p.info["name"] or "").lower()
            if name not in ("lmgrd", "lmgrd.exe"):
                continue
            lic, _log = parse_args(p.info["cmdline"] or [])
            if not lic or real not in [_realpath(x) for x in lic.replace(";", ":").split(":") if x]:
                continue
            ct = p.info["create_time"] or 0.0
            if ct + 1.0 < since:
                continue
            if best is None or ct > best[1]:
                best = (p.info["pid"], ct)
        except (psutil.Error, TypeError):
            continue
    return best


def alive(pid: int, create_time: Optional[float]) -> bool:
    """The very process (pid and start time) still runs; a reused pid is not it."""
    import psutil

    try:
        p = psutil.Process(pid)
        if create_time is not None and abs(p.create_time() - create_time) > 0.01:
            return False
        return p.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def lmstat_up(license_spec: str, lmutil: str, vendors: Sequence[str], timeout: float = 10.0,
              cancel: CancelToken = NEVER_CANCELLED) -> Tuple[bool, List[str]]:
    """Does ``lmutil lmstat -a -c SPEC`` say the server and every vendor daemon are UP?"""
    from ..flexnet.lmstat import parse_lmstat
    from ..flexnet.lmutil import _lmutil_argv, run_lmutil

    run = run_lmutil(_lmutil_argv(lmutil, "lmstat", license_spec, ["-a"]), timeout=timeout, cancel=cancel)
    if not run.ok:
        return False, [run.error or "lmstat did not finish"]
    res = parse_lmstat(run.output)
    ups = [s for s in res.servers if s.up]
    want = {v.lower() for v in vendors}
    vup = {v.name.lower() for v in res.vendors if v.up}
    lines = [f"{s.host}: license server {'UP' if s.up else 'DOWN'}" + (f" {s.version}" if s.version else "")
             for s in res.servers]
    lines += [f"{v.name}: {'UP' if v.up else 'DOWN'}" + (f" {v.version}" if v.version else "") for v in res.vendors]
    return bool(ups) and want <= vup, lines


def wait_up(license_path: str, lmutil: Optional[str], vendors: Sequence[str], pid: Optional[int],
            create_time: Optional[float], timeout: float = UP_TIMEOUT,
            cancel: CancelToken = NEVER_CANCELLED) -> Outcome:
    """Poll lmstat until the server and its vendor daemons say UP (or lmgrd exits, or time runs out)."""
    deadline = time.monotonic() + timeout
    lines: List[str] = []
    while True:
        if lmutil:
            ok, lines = lmstat_up(license_path, lmutil, vendors, timeout=min(10.0, max(2.0, timeout / 4)),
                                  cancel=cancel)
            if ok:
                return Outcome(True, "lmstat -a: " + "; ".join(lines), pid, create_time, lines)
        elif pid is not None and _listens(pid):
            return Outcome(True, f"lmgrd (pid {pid}) listens (lmutil not found: lmstat was not run)", pid,
                           create_time)
        if pid is not None and not alive(pid, create_time):
            return Outcome(False, f"lmgrd (pid {pid}) exited; read its debug log for why", pid, create_time, lines)
        if time.monotonic() >= deadline or cancel.cancelled:
            return Outcome(False, f"not UP after {timeout:g} s: " + ("; ".join(lines) or "no answer"), pid,
                           create_time, lines)
        time.sleep(0.3)


def _listens(pid: int) -> bool:
    import psutil

    try:
        conns = psutil.Process(pid).net_connections("tcp") if hasattr(psutil.Process, "net_connections") \
            else psutil.Process(pid).connections("tcp")
        return any(c.status == psutil.CONN_LISTEN for c in conns)
    except psutil.Error:
        return False


def start(launch: Launch, license_path: str, lmutil: Optional[str], vendors: Sequence[str],
          timeout: float = UP_TIMEOUT, cancel: CancelToken = NEVER_CANCELLED,
          exclude: Sequence[int] = ()) -> Outcome:
    """Start lmgrd detached, find its pid, and wait until lmstat says UP."""
    t0 = time.time()
    d = procs.start_detached(launch.argv, cwd=launch.cwd, env=launch.env, user=launch.user,
                             settle=min(10.0, timeout))
    if d.error is not None:
        return Outcome(False, f"cannot start {launch.argv[0]}: {d.error.strerror or d.error}")
    pid = ct = None
    deadline = time.monotonic() + min(15.0, timeout)
    while time.monotonic() < deadline:
        found = find_lmgrd(license_path, since=t0, exclude=exclude)
        if found:
            pid, ct = found
            break
        if d.returncode not in (None, 0):
            break
        time.sleep(POLL)
    if pid is None:
        how = f"exited with status {d.returncode}" if d.returncode is not None else "is not running"
        return Outcome(False, f"lmgrd {how} right after the start; read its debug log"
                              + (f" {launch.log}" if launch.log else ""))
    out = wait_up(license_path, lmutil, vendors, pid, ct, timeout=timeout, cancel=cancel)
    out.pid, out.create_time = pid, ct
    return out


def wait_gone(pid: int, create_time: Optional[float], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid, create_time):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True


def terminate(pid: int, create_time: Optional[float], timeout: float = STOP_TIMEOUT) -> Outcome:
    """SIGTERM to exactly this process (lmgrd then stops its vendor daemons and exits 15); no SIGKILL."""
    if not alive(pid, create_time):
        return Outcome(True, f"pid {pid} is not running")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return Outcome(True, f"pid {pid} is not running")
    except PermissionError:
        return Outcome(False, f"not allowed to stop pid {pid} (it belongs to another user): run as its owner or root")
    if wait_gone(pid, create_time, timeout):
        return Outcome(True, f"stopped pid {pid} (SIGTERM)")
    return Outcome(False, f"pid {pid} did not stop within {timeout:g} s of SIGTERM; it was left running "
                          "(lmdoctor never kills a server with SIGKILL)")


def lmdown(spec: str, lmutil: str, pid: int, create_time: Optional[float],
           timeout: float = STOP_TIMEOUT) -> Outcome:
    """``lmutil lmdown -c SPEC -q``, then wait for the lmgrd to be gone; SIGTERM when lmdown did not do it."""
    from ..flexnet.lmutil import _lmutil_argv, run_lmutil

    run = run_lmutil(_lmutil_argv(lmutil, "lmdown", spec, ["-q"]), timeout=15.0)
    said = (run.output or run.error or "").strip().splitlines()[-1:] or [""]
    if wait_gone(pid, create_time, timeout / 2):
        return Outcome(True, f"lmutil lmdown -c {spec} -q: {said[0]}".rstrip(": "))
    out = terminate(pid, create_time, timeout / 2)
    out.detail = f"lmdown did not stop it ({said[0] or 'no answer'}); " + out.detail
    return out


def vendor_children(pid: int) -> List[Tuple[int, float]]:
    import psutil

    try:
        return [(c.pid, c.create_time()) for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []
