"""The one way lmdoctor launches and stops processes.

Every external program (lmgrd, vendor daemons, lmutil, ``-v`` probes) is started
from an argv list (never a shell), in a session and process group of its own, with
a timeout, and is stopped by killing its whole tree: SIGTERM to the group, a grace
period, then SIGKILL. Descendants recorded while the program ran are signalled too,
because a vendor daemon may leave the group (setsid) and still hold a port.

Zombies count as gone: on some machines PID 1 does not reap orphans, so an exited
grandchild can stay ``<defunct>`` forever although nothing runs any more.
"""
from __future__ import annotations

import enum
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import psutil

from .runtime import CancelToken

DEFAULT_GRACE = 3.0
# After SIGKILL the kernel needs a moment to tear processes down; this bounds the wait.
KILL_WAIT = 3.0
POLL = 0.02
IS_POSIX = os.name == "posix"


class ProcessRole(str, enum.Enum):
    """What a FlexNet-related process is: how the process scan classifies it and how the daemon runner
    records what it started. A str so that JSON, comparisons and dict keys see the plain name."""

    LMGRD = "lmgrd"
    VENDOR = "vendor"      # a vendor daemon (sigasi, ...)
    LMUTIL = "lmutil"
    LMTOOLS = "lmtools"
    SSH = "ssh"            # a tunnel carrying license traffic
    OTHER = "other"

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:  # equal to its value, so {"lmgrd": ...}[role] finds it
        return hash(self.value)


def check_argv(argv: Sequence[str]) -> List[str]:
    """An argv list of strings, or TypeError: a single string would invite shell habits."""
    if isinstance(argv, (str, bytes)) or not argv:
        raise TypeError("argv must be a non-empty list of strings, not a command string")
    out = [os.fspath(a) for a in argv]
    if not all(isinstance(a, str) for a in out):
        raise TypeError("argv items must be str")
    return out


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def group_members(pgid: int) -> List[psutil.Process]:
    """Live (non-zombie) processes whose process group is ``pgid``."""
    if not IS_POSIX or pgid is None or pgid <= 1:
        return []
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    out = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid and _alive(p):
                out.append(p)
        except (ProcessLookupError, PermissionError, OSError, psutil.Error):
            continue
    return out


class Descendants:
    """Processes seen below a root while it ran, kept as psutil handles (safe from pid reuse)."""

    def __init__(self, root_pid: Optional[int] = None):
        self.root_pid = root_pid
        self.seen: Dict[int, psutil.Process] = {}

    def record(self) -> None:
        if self.root_pid is None:
            return
        try:
            root = psutil.Process(self.root_pid)
            kids = root.children(recursive=True)
        except psutil.Error:
            return
        for k in kids:
            old = self.seen.get(k.pid)
            if old is None or not _same(old, k):
                self.seen[k.pid] = k
        # Children of recorded processes that outlived the root (re-parented to init).
        for p in list(self.seen.values()):
            try:
                for k in p.children(recursive=True):
                    self.seen.setdefault(k.pid, k)
            except psutil.Error:
                continue

    def alive(self) -> List[psutil.Process]:
        return [p for p in self.seen.values() if _alive(p)]


def _same(a: psutil.Process, b: psutil.Process) -> bool:
    try:
        return a.create_time() == b.create_time()
    except psutil.Error:
        return False


@dataclass
class KillResult:
    signalled: List[int] = field(default_factory=list)
    escalated: bool = False  # SIGKILL was needed
    survivors: List[int] = field(default_factory=list)


def _signal_all(pgid: Optional[int], procs: Iterable[psutil.Process], sig: int, done: List[int]) -> None:
    if pgid is not None and pgid > 1 and IS_POSIX:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    for p in procs:
        try:
            if _alive(p):
                p.send_signal(sig)
                if p.pid not in done:
                    done.append(p.pid)
        except psutil.Error:
            continue


def _remaining(pgid: Optional[int], tracked: List[psutil.Process]) -> List[psutil.Process]:
    rest = {p.pid: p for p in tracked if _alive(p)}
    if pgid is not None:
        for p in group_members(pgid):
            rest.setdefault(p.pid, p)
    return list(rest.values())


def _wait_gone(pgid: Optional[int], tracked: List[psutil.Process], timeout: float,
               reap: Optional[Callable[[], object]]) -> List[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        if reap is not None:
            try:
                reap()
            except Exception:  # reaping is a courtesy; the process table below decides what is gone
                pass
        rest = _remaining(pgid, tracked)
        if not rest or time.monotonic() >= deadline:
            return rest
        time.sleep(POLL)


def kill_tree(pgid: Optional[int], tracked: Iterable[psutil.Process] = (), grace: float = DEFAULT_GRACE,
              reap: Optional[Callable[[], object]] = None) -> KillResult:
    """SIGTERM the group and every tracked process, wait ``grace`` s, SIGKILL what is left.

    ``reap`` is called while waiting so the caller can collect its direct child (which
    otherwise stays a zombie it alone can reap). A second Ctrl-C during the grace
    period skips straight to SIGKILL; nothing is left behind either way.
    """
    tracked = list(tracked)
    res = KillResult()
    if not _remaining(pgid, tracked):
        return res
    _signal_all(pgid, tracked, signal.SIGTERM, res.signalled)
    try:
        rest = _wait_gone(pgid, tracked, grace, reap)
    except KeyboardInterrupt:
        rest = _remaining(pgid, tracked)
    if rest:
        res.escalated = True
        kill_sig = signal.SIGKILL if IS_POSIX else signal.SIGTERM
        # Some of the rest may sit in other groups (setsid); take them by pid as well.
        _signal_all(pgid, tracked + rest, kill_sig, res.signalled)
        rest = _wait_gone(pgid, tracked + rest, KILL_WAIT, reap)
    res.survivors = sorted(p.pid for p in rest)
    return res


@dataclass
class Completed:
    """What a short-lived program did. ``error`` is set when it could not be started at all."""

    argv: List[str]
    returncode: Optional[int] = None  # exit status, or -N when killed by signal N (subprocess style)
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    cancelled: bool = False
    error: Optional[OSError] = None
    duration: float = 0.0
    pid: Optional[int] = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and not self.cancelled and self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + (("\n" + self.stderr) if self.stderr and self.stdout else self.stderr)


# --------------------------------------------------------------------------- what root may run
@dataclass
class Untrusted:
    """Why a binary found on the machine must not be run by root: path, owner and the reason."""

    path: str
    owner: str
    reason: str

    def text(self) -> str:
        return f"{self.path} (owner {self.owner}): {self.reason}"


def _owner_name(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (KeyError, ImportError):
        return f"uid {uid}"


def _trusted_uids() -> "set[int]":
    """root, and the user who ran sudo (their own files are theirs to run)."""
    uids = {0}
    sudo = os.environ.get("SUDO_UID", "")
    if sudo.isascii() and sudo.isdigit():
        uids.add(int(sudo))
    return uids


def untrusted(path: str) -> Optional[Untrusted]:
    """When lmdoctor runs as root: why ``path`` must not be executed, or None when it may be.

    A binary lmdoctor found by itself (next to a license, next to a running lmgrd, on PATH) is run
    as root only when it and every directory above it belong to root or to the invoking sudo user
    and none of them is writable by group or others (a sticky directory like /tmp counts as safe
    for what others cannot rename). Otherwise anyone who could write it would run code as root.
    Not root: None (a user's lmdoctor runs with that user's rights anyway).
    """
    if not IS_POSIX or os.geteuid() != 0:
        return None
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return None  # not there: running it fails on its own, nothing is executed
    ok = _trusted_uids()
    if st.st_uid not in ok:
        return Untrusted(real, _owner_name(st.st_uid), "not owned by root (or the user who ran sudo)")
    if st.st_mode & 0o022:
        who = {0o022: "its group and others", 0o002: "others", 0o020: "its group"}[st.st_mode & 0o022]
        return Untrusted(real, _owner_name(st.st_uid), f"writable by {who}")
    d = os.path.dirname(real)
    while True:
        try:
            dst = os.stat(d)
        except OSError:
            break
        sticky = bool(dst.st_mode & 0o1000)
        if dst.st_uid not in ok:
            return Untrusted(real, _owner_name(st.st_uid),
                             f"its directory {d} belongs to {_owner_name(dst.st_uid)}")
        if dst.st_mode & 0o022 and not sticky:
            return Untrusted(real, _owner_name(st.st_uid), f"its directory {d} is writable by others")
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return None


# --------------------------------------------------------------------------- dying with lmdoctor
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _load_prctl() -> Optional[Callable[..., int]]:
    """libc's prctl, resolved once in the parent so the child only calls it (no dlopen after fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).prctl
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        return fn
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def die_with_parent(sig: int = signal.SIGKILL) -> Optional[Callable[[], None]]:
    """A ``preexec_fn`` that makes the child receive ``sig`` when lmdoctor dies, even by SIGKILL.

    PR_SET_PDEATHSIG fires when the thread that forked the child ends; lmdoctor waits for its
    children in the thread that started them, so that is when lmdoctor itself is gone. If the
    parent died between fork and prctl, the child exits at once instead of running orphaned.
    None where the kernel has no such thing (then the exit paths' kill_all still stop children).
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def session_kwargs(pdeathsig: Optional[int] = signal.SIGKILL if IS_POSIX else None) -> Dict[str, Any]:
    """Popen keyword arguments: the child in its own session / process group, dying with lmdoctor."""
    if IS_POSIX:
        kw: Dict[str, Any] = {"start_new_session": True}
        pre = die_with_parent(pdeathsig) if pdeathsig else None
        if pre is not None:
            kw["preexec_fn"] = pre
        return kw
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


class _Children:
    """Process groups lmdoctor started and has not stopped yet: every exit path stops them.

    ``run`` and the daemon runner register a child's group while it runs; ``stop_all`` (called by
    the CLI on every way out: normal return, Ctrl-C, SIGTERM/SIGHUP, an exception, atexit) kills
    what is still registered, e.g. an lmutil run by a worker thread when the main thread is
    interrupted. A SIGKILLed lmdoctor runs no code at all: PR_SET_PDEATHSIG covers that.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: Dict[int, int] = {}  # pid -> pgid

    def add(self, pid: int, pgid: Optional[int] = None) -> None:
        with self._lock:
            self._groups[pid] = pgid if pgid is not None else pid

    def discard(self, pid: int) -> None:
        with self._lock:
            self._groups.pop(pid, None)

    def live(self) -> Dict[int, int]:
        with self._lock:
            return dict(self._groups)

    def stop_all(self, grace: float = 0.5) -> List[int]:
        """SIGTERM every registered group, SIGKILL what is left after ``grace`` s. The pids signalled."""
        groups = self.live()
        if not groups or not IS_POSIX:
            return []
        stopped: List[int] = []
        for pid, pgid in groups.items():
            res = kill_tree(pgid, _handles_of([pid]), grace=grace)
            stopped.extend(res.signalled)
            self.discard(pid)
        return stopped


def _handles_of(pids: Iterable[int]) -> List[psutil.Process]:
    out = []
    for pid in pids:
        try:
            out.append(psutil.Process(pid))
        except psutil.Error:
            continue
    return out


CHILDREN = _Children()


def run(argv: Sequence[str], timeout: float = 10.0, cancel: Optional[CancelToken] = None,
        cwd: Optional[str] = None, env: Optional[Mapping[str, str]] = None, stdin: Optional[bytes] = None,
        grace: float = 1.0, max_output: int = 4 * 1024 * 1024) -> Completed:
    """Run a program to completion (or ``timeout``), capture its output, and kill its whole tree.

    Never raises for the program's sake: a missing or non-executable file comes back as
    ``error`` (the OSError with its errno), a hang as ``timed_out``.
    """
    argv = check_argv(argv)
    res = Completed(argv=argv)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
            env=dict(env) if env is not None else None, **session_kwargs())
    except OSError as exc:
        res.error = exc
        res.duration = time.monotonic() - start
        return res
    res.pid = proc.pid
    CHILDREN.add(proc.pid)
    tracker = Descendants(proc.pid)
    out = b""
    err = b""
    deadline = start + max(0.0, timeout)
    first = True
    try:
        while True:
            tracker.record()
            step = min(0.1, max(0.0, deadline - time.monotonic()))
            try:
                o, e = proc.communicate(input=stdin if first else None, timeout=step)
                out, err = o or b"", e or b""
                break
            except subprocess.TimeoutExpired:
                first = False
                if cancel is not None and cancel.cancelled:
                    res.cancelled = True
                    break
                if time.monotonic() >= deadline:
                    res.timed_out = True
                    break
    finally:
        kill_tree(proc.pid if IS_POSIX else None, _handles(proc, tracker), grace=grace, reap=proc.poll)
        if res.timed_out or res.cancelled:
            try:
                o, e = proc.communicate(timeout=KILL_WAIT)
                out, err = o or b"", e or b""
            except (subprocess.TimeoutExpired, ValueError, OSError):
                pass
        try:
            proc.wait(timeout=KILL_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL failed
            pass
        CHILDREN.discard(proc.pid)
    res.returncode = proc.returncode
    res.stdout = out[:max_output].decode("utf-8", "replace")
    res.stderr = err[:max_output].decode("utf-8", "replace")
    res.duration = time.monotonic() - start
    return res



def _handles(proc: subprocess.Popen, tracker: Descendants) -> List[psutil.Process]:
    out = tracker.alive()
    if proc.poll() is None:
        try:
            out.append(psutil.Process(proc.pid))
        except psutil.Error:
            pass
    return out


@dataclass
class Detached:
    """A program started to outlive lmdoctor (a license server repair starts on purpose)."""

    argv: List[str]
    pid: Optional[int] = None
    returncode: Optional[int] = None  # set when the launched process exited within ``settle``
    error: Optional[OSError] = None
    output: str = ""  # what it printed before detaching (a foreground-only program's first words)


def start_detached(argv: Sequence[str], cwd: Optional[str] = None, env: Optional[Mapping[str, str]] = None,
                   user: Optional[str] = None, settle: float = 10.0, output_path: Optional[str] = None) -> Detached:
    """Start a long-running server in a session of its own and leave it running.

    Unlike :func:`run`, nothing is killed when this returns or when lmdoctor exits: no parent-death
    signal is armed (``session_kwargs(pdeathsig=None)``), the group is not in CHILDREN and no tree
    is tracked, because the caller (``lmdoctor repair`` starting lmgrd) wants the server to stay up
    and records its pid in the repair journal so ``--undo`` can stop it. A daemon that forks and
    exits (lmgrd without -z) is waited for up to ``settle`` seconds so its exit status is known; a
    foreground one keeps running and ``returncode`` stays None. ``user`` starts it as that user
    (only root may); ``output_path`` gets its stdout and stderr (appended).
    """
    argv = check_argv(argv)
    res = Detached(argv=argv)
    out_fh = open(output_path, "ab") if output_path else None
    # pdeathsig=None, on purpose and explicitly: this server must outlive lmdoctor, and it is not
    # registered in CHILDREN either (lmdoctor's exit paths stop what it runs, never what it started for good).
    kwargs: Dict[str, Any] = dict(session_kwargs(pdeathsig=None))
    if user is not None and IS_POSIX:
        kwargs["user"] = user
        import pwd

        try:
            kwargs["group"] = pwd.getpwnam(user).pw_gid
            kwargs["extra_groups"] = []
        except KeyError:
            pass
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out_fh or subprocess.DEVNULL,
                                stderr=subprocess.STDOUT if out_fh else subprocess.DEVNULL, cwd=cwd,
                                env=dict(env) if env is not None else None, close_fds=True, **kwargs)
    except OSError as exc:
        res.error = exc
        return res
    except (KeyError, ValueError) as exc:  # an unknown user name
        res.error = OSError(0, str(exc))
        return res
    finally:
        if out_fh is not None:
            out_fh.close()
    res.pid = proc.pid
    try:
        res.returncode = proc.wait(timeout=max(0.0, settle))
    except subprocess.TimeoutExpired:
        pass  # still running in the foreground: that is the server itself
    return res
