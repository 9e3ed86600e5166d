"""The one input gate: every file or standard input lmdoctor reads for a user goes through here.

What it guarantees, for licenses, lmstat output, debug logs and pasted text alike:

* Only regular files are opened (or standard input for ``-``). A FIFO, socket, character or
  block device named as a file is refused at once: the path is checked with ``os.stat`` and
  then opened with ``O_NONBLOCK`` (so a FIFO that appears between the check and the open
  cannot block the open), and the opened descriptor is checked again with ``fstat``.
* Each kind of input has a documented size cap (``CAPS``). A larger file is refused before it
  is read; standard input is read up to the cap and refused past it. Memory therefore stays
  bounded whatever is piped in (``lmdoctor log - < /dev/zero`` ends at the cap).
* Every refusal is an :class:`InputError` whose message is one line that names the problem and
  the next step; the commands print it and exit 3.

``LMDOCTOR_MAX_INPUT_MB`` (an integer number of MiB) replaces every cap, for the rare file that
is legitimately bigger, and for tests.

The gate reads; it does not judge what it read. Deciding that a file "looks like a debug log,
not a license" is the file-kind sniffer's job, which works on the bytes returned here.
"""
from __future__ import annotations

import enum
import errno
import os
import stat
import sys
from typing import IO, TYPE_CHECKING, Iterator, List, Optional

from .exceptions import LmdoctorError

if TYPE_CHECKING:  # pragma: no cover
    from .license import LicenseFile

MiB = 1024 * 1024
GiB = 1024 * MiB
ENV_CAP = "LMDOCTOR_MAX_INPUT_MB"
STDIN = "-"
_READ_BLOCK = 1 * MiB


class Kind(enum.Enum):
    """What is being read: decides the cap and the words of the messages."""

    LICENSE = "license file"
    LMSTAT = "lmstat output"
    LOG = "debug log"
    TEXT = "text"
    CONFIG = "config file"


# The caps, documented in the README ("Input limits"). Real license files are kilobytes and
# lmstat output of a large site a few MB; pasted text is a dialog or a few log lines. A debug
# log is read in constant memory, so its cap only bounds the time a runaway pipe can take.
CAPS = {
    Kind.LICENSE: 16 * MiB,
    Kind.LMSTAT: 64 * MiB,
    Kind.TEXT: 16 * MiB,
    Kind.LOG: 8 * GiB,
    Kind.CONFIG: 1 * MiB,
}

_HINT = {
    Kind.LICENSE: "a license file is a few KB: is this the right file?",
    Kind.LMSTAT: "save only the output of one `lmutil lmstat -a` run",
    Kind.LOG: "cut the part you need, e.g. tail -c 1G debug.log | lmdoctor log -",
    Kind.TEXT: "paste only the message or the lines around it",
    Kind.CONFIG: "an lmdoctor config is a few KB of TOML: is this the right file?",
}


class InputError(LmdoctorError):
    """lmdoctor could not read what it was given. The message is one line: the problem and the next step.

    ``errno``/``strerror`` carry the operating system's error when one caused the refusal.
    """

    def __init__(self, message: str, errno: Optional[int] = None, strerror: Optional[str] = None) -> None:
        super().__init__(message)
        self.errno = errno
        self.strerror = strerror


def cap_for(kind: Kind) -> int:
    """The size cap in bytes for ``kind``: ``CAPS``, or ``LMDOCTOR_MAX_INPUT_MB`` when set to a whole number."""
    raw = os.environ.get(ENV_CAP, "").strip()
    if raw.isascii() and raw.isdigit() and int(raw) > 0:
        return int(raw) * MiB
    return CAPS[kind]


def size_text(n: int) -> str:
    if n >= GiB and n % GiB == 0:
        return f"{n // GiB} GiB"
    if n >= MiB:
        return f"{n / MiB:g} MiB"
    return f"{n:,} bytes"


def label(path: str) -> str:
    return "standard input" if path == STDIN else path


def cap_error(path: str, kind: Kind, cap: int) -> InputError:
    return InputError(f"{label(path)} is larger than the {size_text(cap)} cap for a {kind.value}; "
                      f"{_HINT[kind]} (or set {ENV_CAP} to raise the cap)")


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _what_it_is(mode: int) -> str:
    for test, name in _NOT_REGULAR:
        if test(mode):
            return name
    return "not a regular file"


def _refuse_kind(path: str, kind: Kind, mode: int) -> InputError:
    if stat.S_ISDIR(mode):
        return InputError(f"{path} is a directory, not a {kind.value} (name the file inside it)")
    return InputError(f"{path} is {_what_it_is(mode)}, not a regular file; lmdoctor reads only regular files: "
                      f"save it to a file first, or pipe it in with '-'")


def _os_error(path: str, kind: Kind, exc: OSError) -> InputError:
    err = _os_message(path, kind, exc)
    err.errno, err.strerror = exc.errno, exc.strerror
    return err


def _os_message(path: str, kind: Kind, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{kind.value} not found: {path} (check the path; use '-' to read standard input)")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path} is a directory, not a {kind.value} (name the file inside it)")
    if isinstance(exc, PermissionError):
        return InputError(f"permission denied reading {path} (run as a user who can read it, e.g. with sudo, "
                          "or copy it somewhere readable)")
    if exc.errno == errno.ENOTDIR:
        return InputError(f"{kind.value} not found: {path} (a part of the path is not a directory)")
    if exc.errno == errno.ELOOP:
        return InputError(f"cannot read {path}: too many levels of symbolic links")
    return InputError(f"cannot read {path}: {exc.strerror or exc}")


def _stdin() -> IO[bytes]:
    stream = getattr(sys, "stdin", None)
    buf = getattr(stream, "buffer", None) if stream is not None else None
    if buf is None:
        raise InputError("standard input is closed; give a FILE instead of '-'")
    return buf


class GatedStream:
    """A binary stream that refuses to deliver more than ``cap`` bytes (it raises the cap error).

    ``size`` is the file's size when known (regular files), for progress; ``name`` labels it.
    """

    def __init__(self, raw: IO[bytes], path: str, kind: Kind, cap: int, size: Optional[int], owned: bool) -> None:
        self.raw = raw
        self.path = path
        self.kind = kind
        self.cap = cap
        self.size = size
        self.seen = 0
        self._owned = owned

    @property
    def name(self) -> str:
        return "<stdin>" if self.path == STDIN else self.path

    def read(self, n: int = -1) -> bytes:
        room = self.cap + 1 - self.seen
        if room <= 0:
            raise cap_error(self.path, self.kind, self.cap)
        want = room if n is None or n < 0 else min(n, room)
        if n is None or n < 0:
            chunks = []
            while want > 0:
                chunk = self.raw.read(min(want, _READ_BLOCK * 16))
                if not chunk:
                    break
                chunks.append(chunk)
                want -= len(chunk)
            data = b"".join(chunks)
        else:
            data = self.raw.read(want)
        self.seen += len(data)
        if self.seen > self.cap:
            raise cap_error(self.path, self.kind, self.cap)
        return data

    # A regular file's descriptor and position, for readers that cut it in parts (logparts).
    def fileno(self) -> int:
        return self.raw.fileno()

    def tell(self) -> int:
        return self.raw.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def close(self) -> None:
        if self._owned:
            try:
                self.raw.close()
            except OSError:
                pass

    def __enter__(self) -> "GatedStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_regular(path: str, kind: Kind) -> os.stat_result:
    """``os.stat`` of a path that must be a readable regular file; InputError otherwise. Never opens it."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_error(path, kind, exc) from None
    except ValueError:  # an embedded NUL
        raise InputError(f"{kind.value} path {path!r} contains a NUL byte") from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse_kind(path, kind, st.st_mode)
    return st


def open_input(path: str, kind: Kind) -> GatedStream:
    """Open ``path`` (``-``: standard input) through the gate. The caller closes it (a ``with`` block)."""
    cap = cap_for(kind)
    if path == STDIN:
        return GatedStream(_stdin(), path, kind, cap, None, owned=False)
    return _open_regular(path, kind, cap, refuse_larger=True)


def open_tail(path: str, kind: Kind, tail: int) -> GatedStream:
    """The last ``tail`` bytes of a regular file, from its first whole line: a running server's log,
    where the current session is at the end. Never more than ``tail`` bytes are read."""
    fh = _open_regular(path, kind, tail, refuse_larger=False)
    if fh.size is not None and fh.size > tail:
        fh.raw.seek(fh.size - tail)
        fh.raw.readline(tail)  # drop the partial first line
        fh.seen = 0
    return fh


def _open_regular(path: str, kind: Kind, cap: int, refuse_larger: bool) -> GatedStream:
    check_regular(path, kind)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _os_error(path, kind, exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped for a FIFO or device between stat and open
            raise _refuse_kind(path, kind, st.st_mode)
        if refuse_larger and st.st_size > cap:
            raise cap_error(path, kind, cap)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file never blocks; keep reads ordinary
        raw = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return GatedStream(raw, path, kind, cap, st.st_size, owned=True)


def read_input(path: str, kind: Kind) -> bytes:
    """The whole input as bytes, at most the kind's cap (InputError past it)."""
    with open_input(path, kind) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise _os_error(path, kind, exc) from None


def read_line_blocks(path: str, kind: Kind, block: int = _READ_BLOCK) -> Iterator[bytes]:
    """The input (at most the kind's cap) in pieces of about ``block`` bytes, each cut after its last
    line feed (only the last piece may end otherwise), for readers that go line by line and need
    not hold the whole input. A line longer than ``block`` comes whole, in one larger piece."""
    with open_input(path, kind) as fh:
        pending: List[bytes] = []  # pieces of a line longer than a block, joined once it ends
        while True:
            try:
                data = fh.read(block)
            except OSError as exc:
                raise _os_error(path, kind, exc) from None
            if not data:
                break
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending.append(data)
                continue
            if pending:
                pending.append(data[:cut])
                head = b"".join(pending)
                pending = []
                yield head
                del head
            else:
                yield data[:cut] if cut < len(data) else data
            if cut < len(data):
                pending.append(data[cut:])
            del data
        if pending:
            yield b"".join(pending)


def read_license(path: str) -> "LicenseFile":
    """Read and parse a license file through the gate. InputError when it cannot be read."""
    from .license import parse_license

    return parse_license(read_input(path, Kind.LICENSE), path="<stdin>" if path == STDIN else path)
