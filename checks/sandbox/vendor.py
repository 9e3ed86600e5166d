"""The sandbox vendor daemon (``sigasi``): serves the license's features on the DAEMON port.

lmgrd starts it as ``sigasi -T host 11.16 FD -c license --lmgrd_start HEX``; FD is
a socket to lmgrd over which it reports its port and learns that it may start.
It holds ``<root>/var/tmp/lock<vendor>`` with flock: a second server for the
same vendor exits with signal 41 (exit reason 9), as FlexNet's does on Unix.
"""
from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import itertools
import os
import selectors
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from .common import (
    EXIT_BASE,
    LineReader,
    Log,
    build_text,
    lock_root,
    send_lines,
    set_process_title,
    vendor_lock_path,
    vendor_version,
)

if TYPE_CHECKING:  # annotations only; the license modules are imported where they are used
    from ..license import LicenseFile

BIND_HOST = "127.0.0.1"


@dataclass
class Feature:
    name: str
    version: str
    expiry: str
    total: int  # 0 for uncounted


@dataclass
class Holder:
    handle: int
    feature: str
    user: str
    host: str
    display: str
    version: str
    start: float


@dataclass
class State:
    log: Log
    vendor: str
    features: Dict[str, Feature]
    server_host: str
    server_port: int
    holders: Dict[int, Holder] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    handles: "itertools.count[int]" = field(default_factory=lambda: itertools.count(101))

    def in_use(self, feature: str) -> int:
        return sum(1 for h in self.holders.values() if h.feature == feature)


def _exit(log: Log, reason: int) -> int:
    log(f"EXITING DUE TO SIGNAL {EXIT_BASE + reason} Exit reason {reason}")
    return EXIT_BASE + reason


def _args(args: List[str]) -> Tuple[Optional[str], Optional[int], bool, Optional[str]]:
    """(lmgrd host, control fd, -v, license path)"""
    host = lic = None
    fd: Optional[int] = None
    ver = False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-T" and i + 3 < len(args):
            host = args[i + 1]
            fd = int(args[i + 3]) if args[i + 3].isdigit() else None
            i += 3
        elif a == "-c" and i + 1 < len(args):
            lic = args[i + 1]
            i += 1
        elif a in ("-v", "-version"):
            ver = True
        i += 1
    return host, fd, ver, lic


def main(argv: Optional[List[str]] = None, *, version: Optional[str] = None, sandbox_dir: Optional[str] = None,
         vendor: str = "sigasi") -> int:
    argv = list(sys.argv if argv is None else argv)
    script, args = (argv[0] if argv else vendor), argv[1:]
    set_process_title(script, args)
    version = vendor_version(version or "11.16.4.0")
    _host, fd, want_version, license_path = _args(args)
    if want_version:
        year = _dt.date.today().year
        print(f"{vendor} {build_text(version)} - Copyright (c) 1988-{year} Flexera. All Rights Reserved.")
        return 0
    log = Log(sys.stdout, vendor)
    if fd is None or license_path is None:
        log("Vendor daemon can't talk to lmgrd (started without lmgrd; start lmgrd instead)")
        return _exit(log, 5)
    try:
        control = socket.socket(fileno=fd)
    except OSError:
        log("Vendor daemon can't talk to lmgrd (invalid control channel)")
        return _exit(log, 5)
    return _serve(log, control, vendor, version, license_path, sandbox_dir)


class _Stop(Exception):
    """A start-up step failed: the daemon exits with this FlexLM exit reason (already logged)."""

    def __init__(self, reason: int):
        super().__init__(reason)
        self.reason = reason


def _serve(log: Log, control: socket.socket, vendor: str, version: str, license_path: str,
           sandbox_dir: Optional[str]) -> int:
    # Start-up in the order a real vendor daemon does it, each step with its own exit reason:
    # the lock (another server running: 9), the license (unreadable: 1, no features: 4), the port
    # (in use: 3), the handshake with lmgrd (communication error: 5).
    log(f"FlexNet Licensing version {build_text(version)}")
    try:
        lock_fd = _take_lock(log, sandbox_dir, vendor)
        lic, features = _read_features(log, license_path, vendor)
        sock = _listen(log, lic, vendor)
        _handshake(log, control, sock.getsockname()[1], version)
    except _Stop as stop:
        return _exit(log, stop.reason)
    control.setblocking(False)

    host = socket.gethostname()
    log(f"Server started on {host} for:\t" + "\t".join(features))
    log("EXTERNAL FILTERS are OFF")
    server = lic.servers[0] if lic.servers else None
    state = State(log, vendor, features, server.host if server else host,
                  (server.port or 0) if server else 0)
    _run_until_stopped(log, control, sock, state)
    log("daemon shutdown requested - shutting down")
    os.close(lock_fd)
    return 0


def _take_lock(log: Log, sandbox_dir: Optional[str], vendor: str) -> int:
    """The vendor's lock file, as FlexLM keeps one: a second daemon of the same vendor must not start."""
    root = lock_root(os.path.join(sandbox_dir, "root") if sandbox_dir else "/")
    lock_path = vendor_lock_path(root, vendor)
    try:
        os.makedirs(os.path.dirname(lock_path), exist_ok=True)
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        log(f"Cannot open daemon lock file {lock_path}: {exc.strerror} (errno {exc.errno})")
        raise _Stop(1) from None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise _Stop(9) from None
        raise
    os.ftruncate(lock_fd, 0)
    os.write(lock_fd, f"{os.getpid()}\n".encode())
    return lock_fd


def _read_features(log: Log, license_path: str, vendor: str) -> Tuple["LicenseFile", Dict[str, Feature]]:
    """The license and the features this vendor serves from it (expired ones are logged and left out)."""
    from ..inputgate import InputError, read_license

    try:
        lic = read_license(license_path)
    except InputError as exc:
        log(f"Cannot read license file {license_path}: {exc.strerror or exc}")
        raise _Stop(1) from None
    today = _dt.date.today()
    features: Dict[str, Feature] = {}
    for f in lic.features:
        if f.vendor != vendor or not f.name:
            continue
        if f.expiry.valid and not f.expiry.never_expires and f.expiry.date and f.expiry.date < today:
            log(f"EXPIRED: {f.name}")
            continue
        total = 0 if f.uncounted else (f.count or 0)
        if f.name in features and f.entry.kind == "INCREMENT":
            features[f.name].total += total  # INCREMENT lines add up into pools
        else:
            features.setdefault(f.name, Feature(f.name, f.version, f.expiry.text, total))
    if not features:
        raise _Stop(4)
    return lic, features


def _listen(log: Log, lic: "LicenseFile", vendor: str) -> socket.socket:
    """The DAEMON line's port, or any free one when it names none (lmgrd is told which)."""
    port = None
    for v in lic.vendors:
        if v.name == vendor:
            port = v.port
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((BIND_HOST, port or 0))
        sock.listen(64)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            log(f"The TCP port number in the license, {port}, is already in use.")
        log("Failed to open the TCP port number in the license.")
        raise _Stop(3) from None
    return sock


def _handshake(log: Log, control: socket.socket, port: int, version: str) -> None:
    """Tell lmgrd our port and version over the control channel; it answers GO."""
    control.settimeout(15.0)
    try:
        send_lines(control, [f"PORT {port} VERSION {version}"])
        if LineReader(control).readline() != "GO":
            raise OSError("no answer")
    except OSError:
        log("Vendor daemon can't talk to lmgrd")
        raise _Stop(5) from None


def _run_until_stopped(log: Log, control: socket.socket, sock: socket.socket, state: State) -> None:
    """Serve clients (a thread each) until SIGTERM/SIGINT, or until lmgrd closes the control channel."""
    stop = {"sig": 0}

    def on_signal(signum, _frame):  # noqa: ANN001
        stop["sig"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, "listen")
    sel.register(control, selectors.EVENT_READ, "control")
    try:
        while not stop["sig"]:
            for key, _ev in sel.select(timeout=0.2):
                if key.data == "control":
                    try:
                        data = control.recv(4096)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        # lmgrd is gone: a vendor daemon does not outlive it.
                        log("Lost connection to lmgrd, exiting")
                        stop["sig"] = -1
                        break
                    continue
                try:
                    conn, _addr = sock.accept()
                except OSError:
                    continue
                threading.Thread(target=_client, args=(state, conn), daemon=True).start()
    finally:
        sel.close()
        sock.close()


def _client(state: State, conn: socket.socket) -> None:
    """One client connection: several requests; licenses it checked out return when it closes."""
    conn.settimeout(300.0)
    reader = LineReader(conn)
    mine: List[int] = []
    try:
        while True:
            line = reader.readline()
            if line is None:
                break
            out = _answer(state, line.split(), mine)
            send_lines(conn, out + ["END"])
    except OSError:
        pass
    finally:
        for handle in mine:
            _checkin(state, handle)
        conn.close()


def _checkin(state: State, handle: int) -> bool:
    with state.lock:
        h = state.holders.pop(handle, None)
    if h:
        state.log(f'IN: "{h.feature}" {h.user}@{h.host}')
    return h is not None


def _answer(state: State, words: List[str], mine: List[int]) -> List[str]:
    cmd = words[0].upper() if words else ""
    if cmd == "VERSION":
        return [f"VERSION {vendor_version()}"]
    if cmd == "FEATURES":
        out = []
        with state.lock:
            for feat in state.features.values():
                out.append(f"FEATURE {feat.name} {feat.version} {feat.expiry} {feat.total} {state.in_use(feat.name)}")
            for h in state.holders.values():
                out.append(f"USER {h.feature} {h.user} {h.host} {h.display} {h.version} {h.handle} {int(h.start)}")
        return out
    if cmd == "DIAG" and len(words) > 1:
        f = state.features.get(words[1])
        if f is None:
            return ["NO -18,327 - - License server system does not support this feature."]
        with state.lock:
            used = state.in_use(f.name)
        if f.total and used >= f.total:
            return [f"NO -4,342 {f.version} {f.expiry} Licensed number of users already reached."]
        return [f"OK {f.version} {f.expiry} {f.total}"]
    if cmd == "CHECKOUT" and len(words) >= 6:
        name, ver, user, host, display = words[1:6]
        who = f"{user}@{host}"
        f = state.features.get(name)
        if f is None:
            state.log(f'UNSUPPORTED: "{name}" (PORT_AT_HOST_PLUS   ) {who}  '
                      f'(License server system does not support this feature. (-18,327:10054 ""))')
            return ["DENIED -18,327 License server system does not support this feature."]
        with state.lock:
            if f.total and state.in_use(name) >= f.total:
                denied = True
            else:
                denied = False
                handle = next(state.handles)
                state.holders[handle] = Holder(handle, name, user, host, display, ver, time.time())
                mine.append(handle)
        if denied:
            state.log(f'DENIED: "{name}" {who}  (Licensed number of users already reached. (-4,342))')
            return ["DENIED -4,342 Licensed number of users already reached."]
        state.log(f'OUT: "{name}" {who}  ')
        return [f"GRANTED {handle}"]
    if cmd == "CHECKIN" and len(words) > 1 and words[1].isdigit():
        handle = int(words[1])
        if handle in mine:
            mine.remove(handle)
            _checkin(state, handle)
            return ["OK"]
        return ["ERROR -41 feature never checked out"]
    return ["ERROR unknown request"]
