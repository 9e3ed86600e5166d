"""The sandbox lmgrd: reads the license with the checks parser, binds the SERVER port,
starts the vendor daemon and answers "where is vendor X" like the real port hand-off.

Command line as FlexNet's: ``lmgrd [-c license] [-l [+]logfile] [-z] [-v]``
(other real options are accepted and ignored). Without ``-z`` it detaches (double
fork, the parent exits 0). SIGTERM stops the vendor daemons and exits 15.
"""
from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Dict, List, Optional, Tuple

from .common import (
    REASONS,
    LineReader,
    Log,
    build_text,
    lmgrd_lock_dir,
    lmgrd_version,
    lock_root,
    port_retry_seconds,
    send_lines,
    set_process_title,
)

if TYPE_CHECKING:  # annotations only; these modules are imported where they are used
    from ..hostinfo import HostIdentity
    from ..license import ServerLine, VendorLine

BIND_HOST = "127.0.0.1"  # the sandbox never listens beyond this machine
DEFAULT_PORTS = range(27000, 27010)
VENDOR_HANDSHAKE_TIMEOUT = 15.0


@dataclass
class Options:
    license: Optional[str] = None
    log: Optional[str] = None
    append: bool = False
    foreground: bool = False
    version: bool = False


def parse_args(args: List[str]) -> Options:
    o = Options()
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-c" and i + 1 < len(args):
            o.license = args[i + 1]
            i += 1
        elif a == "-l" and i + 1 < len(args):
            v = args[i + 1]
            o.append, o.log = (True, v[1:]) if v.startswith("+") else (False, v)
            i += 1
        elif a == "-z":
            o.foreground = True
        elif a in ("-v", "-version"):
            o.version = True
        elif a in ("-x",) and i + 1 < len(args):
            i += 1  # -x lmdown / -x lmremove: accepted, not enforced
        i += 1
    return o


@dataclass
class VendorChild:
    name: str
    path: str
    proc: subprocess.Popen
    control: socket.socket
    port: Optional[int] = None
    version: str = ""
    reported: bool = False  # its exit has been logged


@dataclass
class Server:
    log: Log
    version: str
    license_path: str
    host: str
    port: int = 0
    sock: Optional[socket.socket] = None
    vendors: Dict[str, VendorChild] = field(default_factory=dict)
    stop_reason: Optional[str] = None  # "signal N" or "lmdown"
    stop_signal: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _open_log(o: Options) -> IO[str]:
    if o.log:
        return open(o.log, "a" if o.append else "w", encoding="utf-8", errors="replace", buffering=1)
    return sys.stdout


def _daemonize(log_stream: IO[str]) -> None:
    sys.stdout.flush()
    child = os.fork()
    if child > 0:
        # Reap the intermediate child so no defunct "lmgrd" lingers, then return to the shell.
        os.waitpid(child, 0)
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    if log_stream is not sys.stdout:
        # Whatever escapes (tracebacks) lands in the log, as a real daemon's stderr would.
        os.dup2(log_stream.fileno(), 1)
        os.dup2(log_stream.fileno(), 2)
    os.close(devnull)


def _write_pid_file(sandbox_dir: Optional[str], o: Options) -> Optional[str]:
    if not sandbox_dir:
        return None
    pid_dir = os.path.join(sandbox_dir, "pids")
    try:
        os.makedirs(pid_dir, exist_ok=True)
        path = os.path.join(pid_dir, f"lmgrd.{os.getpid()}")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
            json.dump({"pid": os.getpid(), "pgid": os.getpgrp(), "license": o.license, "log": o.log,
                       "started": time.time()}, fh)
        return path
    except OSError:
        return None


def _remove(path: Optional[str]) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def _banner(log: Log, version: str, host: str, license_path: str) -> None:
    now = _dt.datetime.now()
    log("-----------------------------------------------")
    log("  Please Note:")
    log("")
    log("  This log is intended for debug purposes only.")
    log("  (lmdoctor sandbox: an imitation of FlexNet's lmgrd for tests and training.)")
    log("-----------------------------------------------")
    log("")
    log(f"Server's System Date and Time: {now.strftime('%a %b %d %Y %H:%M:%S')} {time.strftime('%Z')}")
    log(f"pid {os.getpid()}")
    log(f"FlexNet Licensing ({build_text(version)}) started on {host} (linux) ({now.month}/{now.day}/{now.year})")
    log(f"Copyright (c) 1988-{now.year} Flexera. All Rights Reserved.")
    log(f"License file(s): {license_path}")


def _make_lock_dir(log: Log, root: str, host: str, port: int, license_path: str) -> Optional[str]:
    lock_dir = lmgrd_lock_dir(root)
    try:
        # Like the real one, lmgrd makes .flexlm only; a missing /usr/tmp is the admin's to fix.
        if not os.path.isdir(lock_dir):
            os.mkdir(lock_dir, 0o777)
        path = os.path.join(lock_dir, f"lmgrd.{os.getpid()}")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(f"{port}@{host}\n{license_path}\n")
        return path
    except OSError as exc:
        code = exc.errno or 0
        log(f"Can't make directory {lock_dir}, errno: {code}({os.strerror(code)})")
        return None


def _bind(log: Log, port: Optional[int]) -> Optional[socket.socket]:
    """Bind the SERVER port; a busy port is retried for a while, with the real messages."""
    candidates = [port] if port else list(DEFAULT_PORTS)
    deadline = time.monotonic() + port_retry_seconds()
    announced = False
    while True:
        for p in candidates:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((BIND_HOST, p))
                s.listen(64)
                return s
            except OSError as exc:
                s.close()
                if exc.errno != errno.EADDRINUSE:
                    log(f"Failed to open the TCP port number in the license. ({exc.strerror})")
                    return None
        if port is None:
            log("No free TCP port in 27000-27009 for lmgrd.")
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            log("Failed to open the TCP port number in the license.")
            return None
        if not announced:
            log(f"The TCP port number in the license, {port}, is already in use.")
            if left >= 60:
                minutes = max(1, round(left / 60))
                log(f"Retrying for about {minutes} more minute{'s' if minutes > 1 else ''}")
            else:
                log(f"Retrying for about {max(1, round(left))} more seconds")
            announced = True
        time.sleep(min(1.0, max(0.05, left)))


def _start_vendor(srv: Server, name: str, path: str, lmgrd_dir: str,
                  requested_port: Optional[int]) -> Optional[VendorChild]:
    ours, theirs = socket.socketpair()
    argv = [path, "-T", srv.host, srv.version.rsplit(".", 2)[0], str(theirs.fileno()), "-c", srv.license_path,
            "--lmgrd_start", format(int(time.time()), "x")]
    stream = srv.log.stream
    try:
        out = stream.fileno()
    except (OSError, ValueError, AttributeError):
        out = None
    try:
        proc = subprocess.Popen(argv, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, cwd=lmgrd_dir)
    except OSError as exc:
        srv.log(f"Failed to start {name}: {path}: {exc.strerror}")
        ours.close()
        theirs.close()
        return None
    finally:
        pass
    theirs.close()
    child = VendorChild(name, path, proc, ours)
    ours.settimeout(VENDOR_HANDSHAKE_TIMEOUT)
    line = LineReader(ours).readline()
    if line and line.startswith("PORT "):
        parts = line.split()
        child.port = int(parts[1])
        child.version = parts[3] if len(parts) > 3 else ""
        srv.log(f"Started {name} (internet tcp_port {child.port} pid {proc.pid})")
        try:
            send_lines(ours, ["GO"])
        except OSError:
            pass
        srv.log(f"{name} using TCP-port {child.port}")
    elif requested_port:
        srv.log(f"Started {name} (internet tcp_port {requested_port} pid {proc.pid})")
    else:
        srv.log(f"Started {name} (pid {proc.pid})")
    return child


def _vendor_exited(srv: Server, child: VendorChild) -> None:
    rc = child.proc.returncode
    child.reported = True
    if rc is None:
        return
    status = rc if rc >= 0 else -rc
    reason = REASONS.get(status - 32, "Exited because of a signal" if rc < 0 else f"exit code {status}")
    srv.log(f"{child.name} exited with status {status} ({reason})")
    if status == 41:
        srv.log(f'MULTIPLE "{child.name}" license server systems running.')
        srv.log("Please kill, and run lmreread")
        srv.log("")
        srv.log("This error probably results from either:")
        srv.log("  1. Another copy of lmgrd running")
        srv.log('  2. A prior lmgrd was killed with "kill -9"')
        srv.log("      (which leaves the vendor daemon running)")
        srv.log(f'To correct this, do a "ps -ax | grep {child.name}"')
        srv.log(f'  (or equivalent command) and kill the "{child.name}" process,')
        srv.log('  and then "lmreread"')


def _handle(srv: Server, conn: socket.socket) -> None:
    conn.settimeout(10.0)
    try:
        line = LineReader(conn).readline() or ""
        words = line.split()
        cmd = words[0].upper() if words else ""
        out: List[str] = []
        if cmd == "STATUS":
            out.append(f"LMGRD {srv.version} {srv.host} {srv.port} MASTER")
            out.append(f"LICENSE {srv.license_path}")
            for vc in srv.vendors.values():
                up = vc.proc.poll() is None and vc.port is not None
                out.append(f"VENDOR {vc.name} {'UP' if up else 'DOWN'} {vc.version or '-'} {vc.port or 0}")
        elif cmd == "WHERE" and len(words) > 1:
            v = srv.vendors.get(words[1])
            if v is None:
                out.append("UNKNOWN")
            elif v.proc.poll() is None and v.port:
                out.append(f"PORT {v.port}")
            else:
                out.append("DOWN")
        elif cmd == "DOWN":
            who = words[1] if len(words) > 1 else "unknown"
            node = words[2] if len(words) > 2 else "unknown"
            srv.log(f"SHUTDOWN request from {who} at node {node}")
            with srv.lock:
                srv.stop_reason = "lmdown"
            out.append("OK")
        else:
            out.append("ERROR unknown request")
        send_lines(conn, out + ["END"])
    except OSError:
        pass
    finally:
        conn.close()


def _shutdown(srv: Server, sig: int) -> None:
    if sig:
        srv.log(f"EXITING DUE TO SIGNAL {sig}")
    else:
        srv.log("lmgrd will now shut down all the vendor daemons")
    for v in srv.vendors.values():
        if v.proc.poll() is None:
            srv.log(f"Shutting down {v.name} pid={v.proc.pid} because of signal {sig or 15}")
            try:
                v.proc.terminate()
            except OSError:
                pass
    for v in srv.vendors.values():
        try:
            v.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            v.proc.kill()
            v.proc.wait()
        v.control.close()


def main(argv: Optional[List[str]] = None, *, version: Optional[str] = None, sandbox_dir: Optional[str] = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    script, args = (argv[0] if argv else "lmgrd"), argv[1:]
    set_process_title(script, args)
    version = lmgrd_version(version or "11.16.4.0")
    o = parse_args(args)
    if o.version:
        print(f"lmgrd {build_text(version)} - Copyright (c) 1988-{_dt.date.today().year} Flexera. All Rights Reserved.")
        return 0
    try:
        stream = _open_log(o)
    except OSError as exc:
        print(f"lmgrd: cannot open log file {o.log}: {exc.strerror}", file=sys.stderr)
        return 1
    if not o.foreground:
        _daemonize(stream)
    log = Log(stream, "lmgrd")
    license_path = os.path.abspath(o.license or os.environ.get("LM_LICENSE_FILE") or "license.dat")
    pid_file = _write_pid_file(sandbox_dir, Options(license_path, os.path.abspath(o.log) if o.log else None))
    try:
        return _run(log, version, license_path, script, sandbox_dir)
    finally:
        _remove(pid_file)


def _run(log: Log, version: str, license_path: str, script: str, sandbox_dir: Optional[str]) -> int:
    from ..hostinfo import current_identity

    def exit_now(signum, _frame):  # noqa: ANN001
        # Until the main loop runs (e.g. while retrying a busy port) a signal ends lmgrd at once.
        log(f"EXITING DUE TO SIGNAL {signum}")
        raise SystemExit(signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, exit_now)
    identity = current_identity()
    host = identity.short_name or socket.gethostname()
    _banner(log, version, host, license_path)
    if os.name == "posix" and os.geteuid() == 0:
        log("running as root: This is a potential security problem")
    checked = _checked_license(log, license_path, identity, host)
    if checked is None:
        return 1
    server, vendors = checked

    root = lock_root(os.path.join(sandbox_dir, "root") if sandbox_dir else "/")
    sock = _bind(log, server.port)
    if sock is None:
        return 1
    port = sock.getsockname()[1]
    srv = Server(log, version, license_path, server.host, port, sock)
    lock_file = _make_lock_dir(log, root, server.host, port, license_path)
    log(f"lmgrd tcp-port {port}")

    stop: Dict[str, int] = {"sig": 0}

    def on_signal(signum, _frame):  # noqa: ANN001
        stop["sig"] = signum

    # From here on a signal is a request: the main loop stops the vendor daemons first.
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    _start_vendors(srv, vendors, script)
    try:
        return _serve_until_stopped(srv, sock, stop)
    finally:
        _remove(lock_file)


def _checked_license(log: Log, license_path: str, identity: HostIdentity, host: str
                     ) -> Optional[Tuple[ServerLine, List[VendorLine]]]:
    """(first SERVER line, VENDOR lines) when lmgrd may start with this license; else None, with
    the messages a real lmgrd logs for each reason it refuses (the debug-log analyser reads them)."""
    from ..inputgate import InputError, read_license

    try:
        lic = read_license(license_path)
    except InputError as exc:
        log("license manager: can't initialize:Cannot find license file.")
        log(f'License Path: "{license_path}"')
        log(f'FlexNet Licensing error:-1,359.  System Error: {exc.errno or 2} "{exc.strerror or exc}"')
        return None
    servers = lic.servers
    if not servers:
        log("license manager: can't initialize:No SERVER lines in license file.")
        log(f'License Path: "{license_path}"')
        log("FlexNet Licensing error:-13,66")
        return None
    server = servers[0]
    if not identity.is_this_host(server.host):
        log(f'"{server.host}": Not a valid server hostname, exiting.')
        log(f'Valid license server system hosts are: "{host}"')
        return None
    hostid = server.hostid.strip('"')
    ids = hostid.split()
    if not any(i.upper() == "ANY" or identity.has_mac(i) for i in ids):
        log(f"Wrong hostid on SERVER line for license file: {license_path}")
        macs = " ".join(sorted(identity.macs)) or "none"
        log(f"SERVER line says {hostid}, hostid is {macs}")
        log("Invalid hostid on SERVER line")
        return None
    vendors = [v for v in lic.vendors if v.name]
    if not vendors:
        log("license manager: can't initialize:No VENDOR (DAEMON) lines in license file.")
        log(f'License Path: "{license_path}"')
        return None
    return server, vendors


def _start_vendors(srv: Server, vendors: List[VendorLine], script: str) -> None:
    lmgrd_dir = os.path.dirname(os.path.abspath(script))
    srv.log("Starting vendor daemons ... ")
    for v in vendors:
        path = v.path or os.path.join(lmgrd_dir, v.name)
        if os.path.dirname(os.path.realpath(path)) != os.path.realpath(lmgrd_dir):
            # The sandbox only ever starts its own vendor daemon scripts.
            srv.log(f"Can't start {v.name}: {path} is not in the sandbox directory {lmgrd_dir}")
            continue
        child = _start_vendor(srv, v.name, path, lmgrd_dir, v.port)
        if child:
            srv.vendors[v.name] = child


def _serve_until_stopped(srv: Server, sock: socket.socket, stop: Dict[str, int]) -> int:
    """Answer lmutil/clients (a thread each) and watch the vendor daemons until a signal or lmdown.

    Returns the exit code: the signal number, or 0 after lmdown.
    """
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    try:
        while True:
            if stop["sig"]:
                _shutdown(srv, stop["sig"])
                return stop["sig"]
            with srv.lock:
                lmdown = srv.stop_reason == "lmdown"
            if lmdown:
                _shutdown(srv, 0)
                return 0
            for child in srv.vendors.values():
                if not child.reported and child.proc.poll() is not None:
                    _vendor_exited(srv, child)
            for _key, _ev in sel.select(timeout=0.2):
                try:
                    conn, _addr = sock.accept()
                except OSError:
                    continue
                threading.Thread(target=_handle, args=(srv, conn), daemon=True).start()
    finally:
        sel.close()
        sock.close()
