"""Build, start, inspect and stop a sandbox license server in a directory.

``Sandbox(dir).start("healthy")`` writes ``lmgrd``, ``sigasi``, ``lmutil`` and a
license into the directory, starts lmgrd the way the Sigasi manual does
(``lmgrd -c DIR/sigasi.lic -l DIR/debug.log``), and waits until the scenario has
played out. ``stop()`` ends every process group it started (SIGTERM, then SIGKILL
after a grace period); it is idempotent. Use it as a context manager in tests.
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

import lmdoctor

from ..exceptions import LmdoctorError
from . import scenarios as _sc
from .common import ENV_LMGRD_VERSION, ENV_PORT_RETRY, ENV_ROOT, ENV_VENDOR_VERSION, lmgrd_lock_dir

if TYPE_CHECKING:  # psutil loads only where processes are read
    import psutil

CONNECT_HOST = "127.0.0.1"
EXECUTABLES = {"lmgrd": "lmgrd", "sigasi": "vendor", "lmutil": "lmutil", "portholder": "portholder"}
SANDBOX_NAMES = ("lmgrd", "sigasi", "lmutil", "portholder")
DEFAULT_TIMEOUT = 30.0
DEFAULT_PORT_RETRY = 2.0  # seconds; the real lmgrd retries a busy port for about 5 minutes
_STARTED = re.compile(r"Started (\S+) \((?:internet tcp_port (\d+) )?pid (\d+)\)")
_LMGRD_PID = re.compile(r"\(lmgrd\) pid (\d+)")
# The directory that holds the `lmdoctor` package, so the sandbox executables import the same copy.
_IMPORT_ROOT = str(Path(lmdoctor.__file__ or ".").resolve().parents[1])


class SandboxError(LmdoctorError):
    """The sandbox could not do what was asked; the message says why and what to do."""


@dataclass
class SandboxInfo:
    dir: str
    scenario: str
    summary: str
    license_path: str
    log_path: str
    server_host: str  # the host name written on the SERVER line
    host: str  # where clients connect: always 127.0.0.1
    lmgrd_port: Optional[int]
    vendor_port: Optional[int]
    lmgrd_pid: Optional[int]
    vendor_pid: Optional[int]
    lmgrd_path: str
    vendor_path: str
    lmutil_path: str
    lock_root: str
    lock_dir: str
    settled: bool  # the scenario's last expected message appeared before the timeout
    expect: List[str] = field(default_factory=list)
    first_log_path: Optional[str] = None  # duplicate: the server that was running first
    first_license_path: Optional[str] = None
    first_lmgrd_port: Optional[int] = None
    holder_pids: List[int] = field(default_factory=list)

    @property
    def port_at_host(self) -> str:
        return f"{self.lmgrd_port}@{self.host}" if self.lmgrd_port else ""

    @property
    def stop_command(self) -> str:
        return f"lmdoctor sandbox stop --dir {self.dir}"

    def log_text(self) -> str:
        try:
            return Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def to_dict(self) -> Dict[str, object]:
        d = asdict(self)
        d["port_at_host"] = self.port_at_host
        d["stop_command"] = self.stop_command
        return d


@dataclass
class ProcState:
    pid: int
    name: str
    cmdline: List[str]
    pgid: int
    listening: List[int]


@dataclass
class SandboxStatus:
    dir: str
    processes: List[ProcState]

    @property
    def running(self) -> bool:
        return bool(self.processes)

    def to_dict(self) -> Dict[str, object]:
        return asdict(self)


def free_ports(n: int) -> List[int]:
    """n distinct free TCP ports on 127.0.0.1 (held together while picking, so distinct)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((CONNECT_HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


LAST_STATE = "sandbox-last.json"  # in the user's state directory (checks/statedir.py)
LOCK_NAME = ".lmdoctor-sandbox.lock"


def last_dir() -> Optional[str]:
    """The directory of the last sandbox this user started, from the user's own state directory."""
    from ..statedir import read_state

    data = read_state(LAST_STATE) or {}
    d = data.get("dir")
    return d if isinstance(d, str) and d else None


def _remember(d: str) -> None:
    """Written atomically, never through a symlink (a link planted in a shared /tmp once redirected it)."""
    from ..statedir import StateDirError, write_state

    try:
        write_state(LAST_STATE, {"dir": d})
    except (StateDirError, OSError):
        pass  # only a convenience for `sandbox stop` without --dir


def _check_seconds(name: str, value: float, allow_zero: bool) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise SandboxError(f"{name} must be a number of seconds {'>= 0' if allow_zero else '> 0'}, not {value!r}")


def _port_holder(port: int) -> str:
    """Who listens on 127.0.0.1:port, for the message ("pid 123 python3"), or "another program"."""
    try:
        import psutil

        for c in psutil.net_connections("tcp"):
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid:
                return f"pid {c.pid} ({psutil.Process(c.pid).name()})"
    except Exception:  # noqa: BLE001 - only decoration for the message
        pass
    return "another program"


def this_host_id() -> str:
    from ..hostinfo import current_identity

    macs = sorted(current_identity().macs)
    return macs[0] if macs else "ANY"


def wrong_host_id() -> str:
    from ..hostinfo import current_identity

    macs = current_identity().macs
    cand = _sc.WRONG_HOSTID
    while cand in macs:
        cand = format((int(cand, 16) + 1) % (1 << 48), "012x")
    return cand


# Linux before 5.1 (RHEL 8's 4.18 among them) reads at most 127 bytes of a "#!" line, and the
# interpreter of lmdoctor's single-file build lives in a venv under ~/.cache/pex whose path is
# often longer; a "#!" line cannot hold a space either.
_SHEBANG_MAX = 127
_UNQUOTABLE = ('"', "'", "$", "`", "\\")


def _shebang(python: str) -> str:
    """The first lines of a sandbox script: they start ``python`` on the script with its own argv.

    When the interpreter cannot be named on a "#!" line, /bin/sh starts it instead (the pip/distlib
    idiom: the second line is an ``exec`` to the shell and a string to Python). Either way the
    interpreter sees ``python DIR/lmgrd ARGS``, so the process title (common.set_process_title) and
    the command line stay FlexNet's.
    """
    if len(python) + 2 <= _SHEBANG_MAX and not any(c.isspace() for c in python):
        return f"#!{python}\n"
    if any(c in python for c in _UNQUOTABLE):
        raise SandboxError(f"cannot write the sandbox scripts: the interpreter path {python!r} cannot be quoted "
                           "for /bin/sh; run lmdoctor from a Python at a plainer path")
    return f"#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\"\n' '''\n"


def _script(module: str, sandbox_dir: str, version: Optional[str], vendor: Optional[str] = None) -> str:
    kw = f"version={version!r}, sandbox_dir={sandbox_dir!r}"
    if vendor:
        kw += f", vendor={vendor!r}"
    return (
        _shebang(sys.executable)
        + f"# lmdoctor sandbox: imitates FlexNet's {module} for tests, training and demos. Not FlexNet.\n"
        "import sys\n"
        f"sys.path.insert(0, {_IMPORT_ROOT!r})\n"
        f"from lmdoctor.checks.sandbox.{module} import main\n"
        f"sys.exit(main(sys.argv, {kw}))\n"
    )


def _pid_alive(pid: int) -> bool:
    """True while pid runs (zombies count as gone: only their exit status is left)."""
    import psutil

    try:
        p = psutil.Process(pid)
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


class Sandbox:
    def __init__(self, dir: Optional[str] = None) -> None:  # noqa: A002 - the CLI calls it --dir
        self.dir = os.path.abspath(dir) if dir else tempfile.mkdtemp(prefix="lmdoctor-sandbox-")
        self.info: Optional[SandboxInfo] = None
        self._procs: List[subprocess.Popen] = []

    # -- paths ----------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    @property
    def pid_dir(self) -> str:
        return self.path("pids")

    def write_executables(self, lmgrd_version: str = "11.16.4.0", vendor_version: str = "11.16.4.0") -> None:
        os.makedirs(self.dir, exist_ok=True)
        versions = {"lmgrd": lmgrd_version, "sigasi": vendor_version, "lmutil": lmgrd_version, "portholder": None}
        for name, module in EXECUTABLES.items():
            p = self.path(name)
            text = _script(module, self.dir, versions[name], _sc.VENDOR if name == "sigasi" else None)
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    # -- start ----------------------------------------------------------------------------
    def start(self, scenario: str = "healthy", *, foreground: bool = False, timeout: float = DEFAULT_TIMEOUT,
              port_retry: float = DEFAULT_PORT_RETRY) -> SandboxInfo:
        """Validate, lock the directory, start; on any failure stop whatever was started and raise."""
        sc = _sc.get(scenario)
        if sc is None:
            raise SandboxError(f"unknown scenario {scenario!r}; 'lmdoctor sandbox list' shows them: "
                               + ", ".join(_sc.names()))
        _check_seconds("--timeout", timeout, allow_zero=False)
        _check_seconds("--port-retry", port_retry, allow_zero=True)
        os.makedirs(self.dir, exist_ok=True)
        with self._locked():
            if self.status().running:
                raise SandboxError(f"a sandbox is already running in {self.dir}; stop it first "
                                   f"(lmdoctor sandbox stop --dir {self.dir})")
            try:
                return self._start(sc, foreground, timeout, port_retry)
            except BaseException:
                self.stop(grace=1.0)
                raise

    def _locked(self) -> "_DirLock":
        return _DirLock(self.path(LOCK_NAME), self.dir)

    def _start(self, sc: "_sc.Scenario", foreground: bool, timeout: float, port_retry: float) -> SandboxInfo:
        self.write_executables(sc.lmgrd_version, sc.vendor_version)
        for old in ("debug.log", "first/debug.log"):
            try:
                os.unlink(self.path(old))
            except OSError:
                pass
        root = self._make_root(sc)
        env = dict(os.environ)
        env[ENV_ROOT] = root
        env[ENV_PORT_RETRY] = str(port_retry)
        for k in (ENV_LMGRD_VERSION, ENV_VENDOR_VERSION):
            env.pop(k, None)

        server_port, vendor_port, first_port, first_vport = free_ports(4)
        from ..hostinfo import current_identity

        hostname = current_identity().short_name or socket.gethostname()
        host = {"this": hostname, "placeholder": _sc.PLACEHOLDER_HOST, "none": ""}[sc.server]
        hostid = wrong_host_id() if sc.hostid == "wrong" else this_host_id()
        _remember(self.dir)

        info_first: Dict[str, object] = {}
        holders: List[int] = []
        if sc.duplicate:
            info_first = self._start_first(hostname, hostid, first_port, first_vport, env, foreground, timeout)
        if sc.block_server_port:
            holders.append(self._hold(server_port, env, timeout))
        if sc.block_vendor_port:
            holders.append(self._hold(vendor_port, env, timeout))

        lic_path = self.path("sigasi.lic")
        log_path = self.path("debug.log")
        Path(lic_path).write_text(_sc.render_license(_sc.LicenseParams(
            host, hostid, server_port, vendor_port if sc.daemon_port else None, sc.features,
            comment=f"lmdoctor sandbox license, scenario {sc.name}: {sc.summary}. Not a real key.")),
            encoding="utf-8")
        self._launch(lic_path, log_path, env, foreground)
        settled = self._settle(sc, log_path, server_port, timeout)
        lmgrd_pid, vendor_pid, actual_vport = self._settled_pids(sc, log_path)
        self.info = SandboxInfo(
            dir=self.dir, scenario=sc.name, summary=sc.summary, license_path=lic_path, log_path=log_path,
            server_host=host, host=CONNECT_HOST, lmgrd_port=server_port if sc.server != "none" else None,
            vendor_port=actual_vport or (vendor_port if sc.daemon_port else None),
            lmgrd_pid=lmgrd_pid, vendor_pid=vendor_pid, lmgrd_path=self.path("lmgrd"),
            vendor_path=self.path(_sc.VENDOR), lmutil_path=self.path("lmutil"), lock_root=root,
            lock_dir=lmgrd_lock_dir(root), settled=settled, expect=list(sc.expect), holder_pids=holders,
            **info_first)  # type: ignore[arg-type]
        return self.info

    def _make_root(self, sc: "_sc.Scenario") -> str:
        """The sandbox's own file-system root for lock files, with or without /usr/tmp per scenario."""
        root = self.path("root")
        os.makedirs(os.path.join(root, "var", "tmp"), exist_ok=True)
        # A root like a machine's: /tmp (sticky, world-writable) and /usr, so `ln -s /tmp /usr/tmp`
        # (the manual's fix for a missing /usr/tmp) has the same meaning inside it.
        os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        usr_tmp = os.path.join(root, "usr", "tmp")
        if sc.lock_dir_missing:
            os.makedirs(os.path.join(root, "usr"), exist_ok=True)
            if os.path.islink(usr_tmp) or os.path.isfile(usr_tmp):
                os.unlink(usr_tmp)
            else:
                import shutil

                shutil.rmtree(usr_tmp, ignore_errors=True)
        else:
            os.makedirs(usr_tmp, exist_ok=True)
        return root

    def _start_first(self, hostname: str, hostid: str, port: int, vport: int, env: Dict[str, str],
                     foreground: bool, timeout: float) -> Dict[str, object]:
        """The duplicate scenario's server that was running first; its paths for SandboxInfo."""
        os.makedirs(self.path("first"), exist_ok=True)
        first_lic = self.path("first", "sigasi.lic")
        Path(first_lic).write_text(_sc.render_license(_sc.LicenseParams(
            hostname, hostid, port, vport,
            comment="lmdoctor sandbox: the server that was running first")), encoding="utf-8")
        first_log = self.path("first", "debug.log")
        self._launch(first_lic, first_log, env, foreground)
        if not _wait_for(first_log, "(sigasi) Server started on", timeout):
            raise SandboxError(f"the first server of the duplicate scenario did not start; see {first_log}")
        return {"first_log_path": first_log, "first_license_path": first_lic, "first_lmgrd_port": port}

    def _settle(self, sc: "_sc.Scenario", log_path: str, server_port: int, timeout: float) -> bool:
        """Wait until the debug log shows the scenario's settled state (False on timeout)."""
        # A port taken in the moment between picking and binding is said at once, not after the timeout.
        busy = None if sc.block_server_port else f"port number in the license, {server_port}, is already in use"
        if sc.probe:
            return (_wait_for(log_path, "(sigasi) Server started on", timeout, busy)
                    and self._probe(log_path, sc, timeout))
        return _wait_for(log_path, sc.settled, timeout, busy)

    def _settled_pids(self, sc: "_sc.Scenario", log_path: str
                      ) -> Tuple[Optional[int], Optional[int], Optional[int]]:
        """(lmgrd pid, vendor pid, vendor port) as the debug log says them."""
        text = _read(log_path)
        m = _LMGRD_PID.search(text)
        lmgrd_pid = int(m.group(1)) if m else None
        started = _STARTED.findall(text)
        vendor_pid = int(started[-1][2]) if started else None
        actual_vport = int(started[-1][1]) if started and started[-1][1] else None
        # Failing scenarios: let the processes that are meant to end, end, so states are stable.
        deadline = time.monotonic() + 5
        for pid, up in ((lmgrd_pid, sc.lmgrd_up), (vendor_pid, sc.vendor_up)):
            while pid and not up and _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        return lmgrd_pid, vendor_pid, actual_vport

    def _launch(self, lic: str, log: str, env: Dict[str, str], foreground: bool) -> None:
        argv = [self.path("lmgrd"), "-c", lic, "-l", log] + (["-z"] if foreground else [])
        out = open(self.path("lmgrd.out"), "ab")
        try:
            proc = subprocess.Popen(argv, cwd=self.dir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            out.close()
        if foreground:
            self._procs.append(proc)
        else:
            try:
                proc.wait(timeout=15)  # the parent exits as soon as it has forked
            except subprocess.TimeoutExpired:
                self._procs.append(proc)

    def _hold(self, port: int, env: Dict[str, str], timeout: float) -> int:
        proc = subprocess.Popen([self.path("portholder"), str(port)], cwd=self.dir, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self._procs.append(proc)
        line = proc.stdout.readline() if proc.stdout else b""
        if not line.startswith(b"holding"):
            raise SandboxError(f"could not hold port {port} for the scenario: {line.decode(errors='replace').strip()}")
        return proc.pid

    def _probe(self, log_path: str, sc: "_sc.Scenario", timeout: float) -> bool:
        from .client import Checkout

        m = _STARTED.findall(_read(log_path))
        if not m:
            return False
        if not m[-1][1]:
            return False
        with Checkout(CONNECT_HOST, int(m[-1][1])) as co:
            for feat in sc.probe:
                co.checkout(feat)
        return _wait_for(log_path, sc.settled, timeout)

    # -- stop / status --------------------------------------------------------------------
    def _pid_files(self) -> List[Path]:
        try:
            return sorted(p for p in Path(self.pid_dir).iterdir() if p.is_file())
        except OSError:
            return []

    def _group_members(self, pgid: int) -> List["psutil.Process"]:
        import psutil

        out: List[psutil.Process] = []
        for p in psutil.process_iter(["pid", "name", "cmdline"]):
            try:
                if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except (OSError, psutil.Error):
                continue
        return out

    def _ours(self, procs: List["psutil.Process"]) -> bool:
        # A recycled pgid must never be killed: one member must be a sandbox process of this dir.
        for p in procs:
            try:
                cmd = " ".join(p.info.get("cmdline") or [])
                if p.info.get("name") in SANDBOX_NAMES and self.dir in cmd:
                    return True
            except Exception:
                continue
        return False

    def stop(self, grace: float = 5.0) -> List[int]:
        """Stop everything this sandbox started. Returns the pids that were signalled."""
        import psutil

        signalled: List[int] = []
        groups: Dict[int, Path] = {}
        for pf in self._pid_files():
            try:
                data = json.loads(pf.read_text(encoding="utf-8"))
                groups[int(data["pgid"])] = pf
            except (OSError, ValueError, KeyError, TypeError):
                pf.unlink()
        for proc in self._procs:
            try:
                groups.setdefault(os.getpgid(proc.pid), Path(os.devnull))
            except OSError:
                pass
        for pgid in groups:
            members = self._group_members(pgid)
            if not members or not self._ours(members):
                continue
            try:
                os.killpg(pgid, signal.SIGTERM)
                signalled.extend(p.pid for p in members)
            except OSError:
                continue
        deadline = time.monotonic() + grace
        for pgid in groups:
            while self._group_members(pgid) and time.monotonic() < deadline:
                self._reap()
                time.sleep(0.05)
            if self._group_members(pgid):
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except OSError:
                    pass
        for proc in self._procs:
            try:
                proc.wait(timeout=grace)
            except (subprocess.TimeoutExpired, OSError):
                pass
        self._procs = []
        for pf in self._pid_files():
            try:
                pf.unlink()
            except OSError:
                pass
        del psutil
        return signalled

    def _reap(self) -> None:
        for proc in self._procs:
            proc.poll()

    def status(self) -> SandboxStatus:
        import psutil

        procs: List[ProcState] = []
        seen = set()
        pgids = set()
        for pf in self._pid_files():
            try:
                pgids.add(int(json.loads(pf.read_text(encoding="utf-8"))["pgid"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        for pgid in sorted(pgids):
            members = self._group_members(pgid)
            if not self._ours(members):
                continue
            for p in members:
                if p.pid in seen:
                    continue
                seen.add(p.pid)
                try:
                    # psutil < 6 has only connections() (renamed net_connections() in 6.0).
                    conns = p.net_connections("tcp") if hasattr(p, "net_connections") else p.connections("tcp")
                    ports = sorted({c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN})
                except psutil.Error:
                    ports = []
                procs.append(ProcState(p.pid, p.info.get("name") or "", p.info.get("cmdline") or [], pgid, ports))
        return SandboxStatus(self.dir, procs)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _wait_for(path: str, needle: str, timeout: float, busy: Optional[str] = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = _read(path)
        if needle in text:
            return True
        if busy and busy in text:
            port = int(re.search(r"license, (\d+), is", busy).group(1))  # type: ignore[union-attr]
            raise SandboxError(f"the sandbox's port {port} on {CONNECT_HOST} is taken by {_port_holder(port)}; "
                               "run 'lmdoctor sandbox start' again (it picks new free ports)")
        time.sleep(0.05)
    return False


class _DirLock:
    """An exclusive fcntl lock on DIR/.lmdoctor-sandbox.lock for the length of a start: a second
    `sandbox start --dir DIR` fails at once, naming the first (its pid is in the lock file)."""

    def __init__(self, path: str, d: str) -> None:
        self.path, self.dir = path, d
        self.fd = -1

    def __enter__(self) -> "_DirLock":
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise SandboxError(f"cannot lock {self.dir}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = ""
            # The winner writes its pid just after it takes the lock: give it a moment to do so, so the
            # message can name it.
            for _ in range(20):
                try:
                    holder = os.pread(self.fd, 64, 0).decode("ascii", "replace").strip()
                except OSError:
                    break
                if holder.isdigit():
                    break
                time.sleep(0.05)
            os.close(self.fd)
            self.fd = -1
            who = f"pid {holder}" if holder.isdigit() else "another lmdoctor"
            raise SandboxError(f"another 'lmdoctor sandbox start' ({who}) is starting a sandbox in {self.dir}; "
                               "wait for it, or use another --dir") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # closing releases the lock
            self.fd = -1
