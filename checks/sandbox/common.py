"""What the sandbox lmgrd, vendor daemon and lmutil share: log lines, versions, the wire, process titles.

The sandbox imitates FlexNet's *interface* (command lines, log lines, lmutil
output) from the public facts in shared/reference/flexlm-facts.md; the wire
protocol between the sandbox processes is our own and line based.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import os
import socket
import sys
from typing import IO, List, Optional, Tuple

# Environment the sandbox processes read. A person running DIR/lmgrd by hand gets the
# values baked into the scripts; tests and `sandbox start` override them.
ENV_ROOT = "LMDOCTOR_SANDBOX_ROOT"  # stands in for "/" (usr/tmp/.flexlm, var/tmp/lock<vendor>)
ENV_PORT_RETRY = "LMDOCTOR_SANDBOX_PORT_RETRY"  # seconds lmgrd retries a busy SERVER port (real: 300)
ENV_LMGRD_VERSION = "LMDOCTOR_SANDBOX_LMGRD_VERSION"
ENV_VENDOR_VERSION = "LMDOCTOR_SANDBOX_VENDOR_VERSION"

DEFAULT_VERSION = "11.16.4.0"
OLD_VERSION = "11.13.1.2"  # the other FlexNet release Sigasi publishes (seed manual)
BUILD = {"11.16.4.0": "275116", "11.13.1.2": "212259"}
DEFAULT_PORT_RETRY = 300.0
IO_TIMEOUT = 5.0

# Vendor daemon exit reasons: exit status = 32 + reason on Unix (facts file, section 5).
EXIT_BASE = 32
REASONS = {
    1: "Invalid license file syntax",
    2: "Invalid host",
    3: "Vendor daemon port in use",
    4: "No features to serve",
    5: "Communications error",
    8: "Exited because of a signal",
    9: "Exited because another server was running",
    14: "lmgrd asked the vendor daemon to exit",
}


def version_short(version: str) -> str:
    """'11.16.4.0' -> 'v11.16.4' as lmstat prints it."""
    parts = version.split(".")
    return "v" + ".".join(parts[:3])


def build_text(version: str) -> str:
    return f"v{version} build {BUILD.get(version, '270000')} x64_lsb"


def lmgrd_version(default: str = DEFAULT_VERSION) -> str:
    return os.environ.get(ENV_LMGRD_VERSION) or default


def vendor_version(default: str = DEFAULT_VERSION) -> str:
    return os.environ.get(ENV_VENDOR_VERSION) or default


def port_retry_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_PORT_RETRY, DEFAULT_PORT_RETRY)))
    except ValueError:
        return DEFAULT_PORT_RETRY


def lock_root(default: str) -> str:
    return os.environ.get(ENV_ROOT) or default


def lmgrd_lock_dir(root: str) -> str:
    return os.path.join(root, "usr", "tmp", ".flexlm")


def vendor_lock_path(root: str, vendor: str) -> str:
    return os.path.join(root, "var", "tmp", f"lock{vendor}")


def hms(now: Optional[_dt.datetime] = None) -> str:
    """FlexNet log time: hour padded with a space, ' 9:14:47'."""
    t = now or _dt.datetime.now()
    return f"{t.hour:2d}:{t.minute:02d}:{t.second:02d}"


def mdy(now: Optional[_dt.datetime] = None) -> str:
    t = now or _dt.datetime.now()
    return f"{t.month}/{t.day}/{t.year}"


class Log:
    """Writes `hh:mm:ss (daemon) message` lines, flushed at once (tests tail the file)."""

    def __init__(self, stream: IO[str], daemon: str) -> None:
        self.stream = stream
        self.daemon = daemon

    def __call__(self, message: str = "") -> None:
        try:
            self.stream.write(f"{hms()} ({self.daemon}) {message}\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a log on a full disk or closed pipe must not stop the server


def user_at_host() -> str:
    try:
        import getpass

        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


# -- the wire: one request line, answer lines ending with "END" ------------------------------

def send_lines(sock: socket.socket, lines: List[str]) -> None:
    sock.sendall(("".join(line + "\n" for line in lines)).encode("utf-8", "replace"))


class LineReader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def readline(self, limit: int = 65536) -> Optional[str]:
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                return None
            try:
                chunk = self.sock.recv(4096)
            except (OSError, socket.timeout):
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace").rstrip("\r")


def request(
    host: str, port: int, line: str, timeout: float = IO_TIMEOUT
) -> Tuple[Optional[List[str]], Optional[OSError]]:
    """Send one request, read answer lines up to END. Returns (lines, None) or (None, error)."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return None, exc
    try:
        send_lines(sock, [line])
        reader = LineReader(sock)
        out: List[str] = []
        while True:
            got = reader.readline()
            if got is None:
                return None, ConnectionResetError(104, "Connection reset by peer")
            if got == "END":
                return out, None
            out.append(got)
    except OSError as exc:
        return None, exc
    finally:
        sock.close()


# -- process titles --------------------------------------------------------------------------

def set_process_title(script: str, args: List[str]) -> None:
    """Make ps/psutil see `/dir/lmgrd -c ...` instead of `python /dir/lmgrd -c ...`.

    The kernel names a script started through its shebang after the script file
    (/proc/PID/comm), but the interpreter stays in argv. We overwrite the argv area
    in place (what setproctitle does): the title, a NUL, and a non-NUL last byte so
    the kernel reads up to the first NUL. Best effort: any failure leaves argv alone.
    """
    name = os.path.basename(script)[:15].encode()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
    except Exception:  # best effort (see above): no libc or no prctl leaves the name as it is
        pass
    if not sys.platform.startswith("linux"):
        return
    try:
        with open("/proc/self/stat", "rb") as fh:
            stat = fh.read()
        fields = stat[stat.rfind(b")") + 2:].split()
        arg_start, arg_end = int(fields[45]), int(fields[46])  # fields 48 and 49 of proc(5)
        size = arg_end - arg_start
        title = os.fsencode(" ".join([script] + list(args)))  # a non-UTF-8 path keeps its bytes
        if size < 2 or len(title) + 2 > size:
            return
        buf = title + b"\0" * (size - len(title) - 1) + b" "
        ctypes.memmove(arg_start, buf, size)
    except Exception:  # best effort (see above): an unreadable /proc leaves argv alone
        pass
