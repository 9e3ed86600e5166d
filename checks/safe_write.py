"""The one way lmdoctor writes a file: backup, temp file beside it, fsync, rename, mode and owner kept.

Every file the product writes (a repaired license, ~/.flexlmrc, a systemd unit, a state or journal
file) goes through :func:`write_file`; files it made and must take back go through
:func:`remove_file`. The sequence is the classic crash-safe one:

1. Resolve the path. A symlinked file is edited at its target (``WriteResult.via_symlink`` says so,
   and callers report it), or refused when the caller asks (``symlinks=Symlinks.REFUSE``, for state
   files, where a planted link must never redirect a write).
2. Open the current file with ``O_NOFOLLOW``, read it, and compare its SHA-256 with the one the
   caller saw when it planned the change (``expect``): a file that changed since is never
   overwritten. ``expect=ABSENT`` means "create, never replace".
3. Refuse up front what cannot be done without damage: a read-only file (no write bit, or not
   writable for this user), a directory that is not writable, an owner this user cannot keep,
   a file with several hard links (a rename would split them), something that is not a regular file.
4. Copy the original to ``backup_to`` (``O_EXCL``; never overwrites an older backup) and fsync it.
5. Write the new bytes to ``.NAME.lmdoctor-tmp.PID.RANDOM`` in the same directory (``O_EXCL |
   O_NOFOLLOW``, mode 0600 while being written), give it the original's owner and mode, fsync it.
6. Hash the original once more (nothing may change it while we wrote), rename the temp file over
   it, fsync the directory.

Any failure before the rename removes the temp file and leaves the original byte for byte as it
was; the exception is a :class:`SafeWriteError` whose message names the problem and the next step.
A process killed between steps 5 and 6 leaves only the temp file behind, never a half-written
original: :func:`leftover_temps` finds it on the next run (the repair plan reports it).
"""
from __future__ import annotations

import enum
import errno
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from .exceptions import LmdoctorError

TEMP_MARK = ".lmdoctor-tmp."
ABSENT = "absent"  # ``expect`` value: the file must not exist (create, never replace)
MAX_BYTES = 64 * 1024 * 1024  # far above any license, unit or state file
_CHUNK = 1024 * 1024

# Test seam: called with the temp path after it is written and fsynced, right before the rename.
# The crash test sets it in a child process that is then SIGKILLed at exactly that moment.
_before_rename: Optional[Callable[[str], None]] = None


class Symlinks(str, enum.Enum):
    FOLLOW = "follow"  # edit the link's target (the license case); the result says so
    REFUSE = "refuse"  # never write through a link (state and journal files)


class Fault(str, enum.Enum):
    """Why a write was refused or failed; the CLI and the journal report it by name."""

    READ_ONLY_FILE = "read-only-file"
    READ_ONLY_DIR = "read-only-dir"
    READ_ONLY_FS = "read-only-filesystem"
    NO_SPACE = "no-space"
    CHANGED = "changed-since-plan"
    EXISTS = "exists"
    MISSING = "missing"
    SYMLINK = "symlink-refused"
    OWNER = "owner-cannot-be-kept"
    HARDLINKS = "hard-links"
    NOT_A_FILE = "not-a-regular-file"
    TOO_LARGE = "too-large"
    IO = "io-error"


class SafeWriteError(LmdoctorError):
    """A write did not happen; the original is intact. ``str()`` is one line for the user."""

    def __init__(self, fault: Fault, path: str, message: str, err: Optional[int] = None) -> None:
        super().__init__(message)
        self.fault = fault
        self.path = path
        self.errno = err


@dataclass(frozen=True)
class FileState:
    """A file as it is now: what a plan records and what the write is checked against."""

    path: str  # as given
    target: str  # the file that is really written (symlinks resolved)
    via_symlink: bool
    exists: bool
    sha256: Optional[str] = None
    size: int = 0
    mode: Optional[int] = None  # permission bits only
    uid: Optional[int] = None
    gid: Optional[int] = None
    nlink: int = 1

    @property
    def expect(self) -> str:
        """The ``expect=`` value that makes a write stop when the file changed after this snapshot."""
        return self.sha256 if self.exists and self.sha256 else ABSENT


@dataclass
class WriteResult:
    path: str
    target: str
    via_symlink: bool
    created: bool  # there was no file before
    before_sha256: Optional[str]
    after_sha256: str
    backup: Optional[str] = None
    mode: int = 0
    uid: int = -1
    gid: int = -1
    leftovers_removed: List[str] = field(default_factory=list)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fault_for(exc: OSError, in_dir: bool) -> Fault:
    if exc.errno == errno.EROFS:
        return Fault.READ_ONLY_FS
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Fault.NO_SPACE
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Fault.READ_ONLY_DIR if in_dir else Fault.READ_ONLY_FILE
    return Fault.IO


def _err(exc: OSError, path: str, what: str, in_dir: bool = False) -> SafeWriteError:
    fault = _fault_for(exc, in_dir)
    why = exc.strerror or str(exc)
    hint = {
        Fault.READ_ONLY_FS: "the file system is mounted read-only; remount it read-write or copy the file elsewhere",
        Fault.NO_SPACE: "the disk is full; free some space and run again",
        Fault.READ_ONLY_DIR: "run as the directory's owner (or with sudo)",
        Fault.READ_ONLY_FILE: "run as the file's owner (or with sudo)",
    }.get(fault, "nothing was changed")
    return SafeWriteError(fault, path, f"cannot {what} {path}: {why}; {hint}", exc.errno)


def resolve(path: str, symlinks: Symlinks = Symlinks.FOLLOW) -> "tuple[str, bool]":
    """(the file really written, whether a symlink led there)."""
    path = os.path.abspath(path)
    if not os.path.islink(path):
        return path, False
    if symlinks is Symlinks.REFUSE:
        raise SafeWriteError(Fault.SYMLINK, path, f"{path} is a symbolic link; lmdoctor does not write through "
                             "links here (remove the link, or point lmdoctor at the real file)")
    return os.path.realpath(path), True


def _read_nofollow(target: str, limit: int = MAX_BYTES) -> "tuple[bytes, os.stat_result]":
    """Read a regular file without following a last-component symlink (a swap after resolve())."""
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SafeWriteError(Fault.NOT_A_FILE, target, f"{target} is not a regular file; nothing was changed")
        if st.st_size > limit:
            raise SafeWriteError(Fault.TOO_LARGE, target, f"{target} is larger than {limit // (1024 * 1024)} MB; "
                                 "lmdoctor does not rewrite it")
        chunks = []
        while True:
            b = os.read(fd, _CHUNK)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def _read_current(target: str) -> "tuple[Optional[bytes], Optional[os.stat_result]]":
    """(bytes, stat) of the file now, or (None, None) when there is none. Raises SafeWriteError."""
    try:
        return _read_nofollow(target)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SafeWriteError(Fault.SYMLINK, target, f"{target} became a symbolic link; nothing was "
                                 "changed") from None
        raise _err(exc, target, "read") from exc


def snapshot(path: str, symlinks: Symlinks = Symlinks.FOLLOW) -> FileState:
    """The file's state now (hash, mode, owner, where a symlink leads). Raises SafeWriteError."""
    target, via = resolve(path, symlinks)
    data, st = _read_current(target)
    if data is None or st is None:
        return FileState(os.path.abspath(path), target, via, False)
    return FileState(os.path.abspath(path), target, via, True, sha256_bytes(data), len(data),
                     stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_nlink)


def leftover_temps(path: str) -> List[str]:
    """Temp files an interrupted write of ``path`` (or of its symlink target) left beside it."""
    out: List[str] = []
    try:
        targets = {os.path.abspath(path), os.path.realpath(path)}
    except OSError:
        targets = {os.path.abspath(path)}
    for t in sorted(targets):
        d, base = os.path.split(t)
        prefix = "." + base + TEMP_MARK
        try:
            names = os.listdir(d or ".")
        except OSError:
            continue
        out += [os.path.join(d, n) for n in sorted(names) if n.startswith(prefix)]
    return sorted(set(out))


def _fsync_dir(d: str) -> None:
    try:
        fd = os.open(d or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some file systems (and Windows) cannot open a directory: the rename itself stands
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:_CHUNK])
        view = view[n:]


def _create_exclusive(path: str, data: bytes, mode: int) -> None:
    """A new file with exactly these bytes, fsynced; never replaces anything."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(path)
        raise
    os.close(fd)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _check_can_write(target: str, st: Optional[os.stat_result]) -> None:
    d = os.path.dirname(target) or "."
    if st is not None:
        if stat.S_IMODE(st.st_mode) & 0o222 == 0:
            # Read-only on purpose (even root could write it): lmdoctor respects that.
            raise SafeWriteError(Fault.READ_ONLY_FILE, target,
                                 f"{target} is read-only (mode {stat.S_IMODE(st.st_mode):04o}); nothing was changed. "
                                 f"Make it writable first (chmod u+w {target}) if it should be repaired")
        if not os.access(target, os.W_OK):
            fault = Fault.READ_ONLY_FS if _is_rofs(d) else Fault.READ_ONLY_FILE
            msg = f"{target} is not writable for this user; nothing was changed. Run as its owner (or with sudo)" \
                if fault is Fault.READ_ONLY_FILE else f"{target} is on a read-only file system; nothing was changed"
            raise SafeWriteError(fault, target, msg)
        if st.st_nlink > 1:
            raise SafeWriteError(Fault.HARDLINKS, target,
                                 f"{target} has {st.st_nlink} hard links; replacing it would leave the other names "
                                 "with the old content. Nothing was changed; edit it by hand or remove the extra links")
        if not _is_root():
            groups = set(os.getgroups()) | {os.getegid()}
            if st.st_uid != os.geteuid() or st.st_gid not in groups:
                raise SafeWriteError(Fault.OWNER, target,
                                     f"{target} belongs to uid {st.st_uid} gid {st.st_gid}; rewriting it as uid "
                                     f"{os.geteuid()} would change its owner. Nothing was changed; run as its "
                                     "owner (or with sudo)")
    if not os.access(d, os.W_OK | os.X_OK):
        fault = Fault.READ_ONLY_FS if _is_rofs(d) else Fault.READ_ONLY_DIR
        msg = (f"the directory {d} is not writable for this user (a new copy of the file is written beside it); "
               "nothing was changed. Run as its owner (or with sudo)") if fault is Fault.READ_ONLY_DIR else \
            f"{d} is on a read-only file system; nothing was changed"
        raise SafeWriteError(fault, target, msg)


def _is_rofs(d: str) -> bool:
    try:
        return bool(os.statvfs(d).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        return False


def _check_expect(target: str, expect: Optional[str], before: Optional[str]) -> None:
    if expect is None:
        return
    if expect == ABSENT and before is not None:
        raise SafeWriteError(Fault.EXISTS, target, f"{target} exists now but did not when the change was planned; "
                             "nothing was changed. Plan again")
    if expect != ABSENT and before is None:
        raise SafeWriteError(Fault.MISSING, target, f"{target} was removed after the change was planned; "
                             "nothing was changed")
    if expect != ABSENT and before != expect:
        raise SafeWriteError(Fault.CHANGED, target, f"{target} changed after the change was planned (someone "
                             "edited it meanwhile); nothing was changed. Plan again to see the current file")


def _backup(backup_to: str, old: bytes) -> None:
    try:
        _create_exclusive(backup_to, old, 0o600)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise SafeWriteError(Fault.EXISTS, backup_to, f"the backup {backup_to} exists already; nothing was "
                                 "changed") from None
        raise _err(exc, backup_to, "back up to", in_dir=True) from exc
    _fsync_dir(os.path.dirname(backup_to))


def _new_file_mode(mode: Optional[int]) -> int:
    if mode is not None:
        return mode
    um = os.umask(0)
    os.umask(um)
    return 0o644 & ~um


def _write_temp(target: str, data: bytes, mode: int, owner: Optional["tuple[int, int]"]) -> str:
    """The new bytes in a fresh temp file beside ``target``, with the final owner and mode, fsynced."""
    d = os.path.dirname(target) or "."
    tmp = os.path.join(d, "." + os.path.basename(target) + TEMP_MARK + f"{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise _err(exc, d, "write a new copy in", in_dir=True) from exc
    try:
        try:
            _write_all(fd, data)
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                os.fchown(fd, *owner)
            # After fchown: changing the owner clears set-id bits, so the mode goes on last.
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _err(exc, target, "write", in_dir=exc.errno in (errno.EACCES, errno.EPERM)) from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _commit(tmp: str, target: str, before: Optional[str]) -> None:
    """Put the temp file in place: rename over an unchanged original, or link where there was none."""
    if before is not None:
        # Nothing may have changed the original while the copy was written.
        now, _st = _read_current(target)
        if now is None or sha256_bytes(now) != before:
            raise SafeWriteError(Fault.CHANGED, target, f"{target} changed while lmdoctor was writing; "
                                 "nothing was changed. Plan again")
        os.replace(tmp, target)
        return
    # Create-only: link() fails if a file appeared meanwhile, where rename would clobber it.
    try:
        os.link(tmp, target)
    except OSError as exc:
        if exc.errno != errno.EEXIST and exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        # EEXIST, or a file system without hard links, where rename is the best left.
        if exc.errno == errno.EEXIST or os.path.lexists(target):
            raise SafeWriteError(Fault.EXISTS, target, f"{target} appeared while lmdoctor was writing; "
                                 "nothing was changed") from None
        os.replace(tmp, target)
    _unlink_quietly(tmp)


def write_file(path: str, data: bytes, *, expect: Optional[str] = None, backup_to: Optional[str] = None,
               symlinks: Symlinks = Symlinks.FOLLOW, mode: Optional[int] = None,
               remove_leftovers: bool = False) -> WriteResult:
    """Replace (or create) ``path`` with ``data`` atomically. Raises SafeWriteError, original intact.

    ``expect``: the SHA-256 the caller planned against (``FileState.expect``), ``ABSENT`` for
    create-only, None for "whatever is there" (state files). ``backup_to``: where the original
    goes first (must not exist). ``mode``: permission bits of a new file (default 0644 less the
    umask); an existing file keeps its own mode and owner. ``remove_leftovers``: after a
    successful write, delete temp files an earlier, interrupted write left beside it.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("write_file takes bytes")
    data = bytes(data)
    target, via = resolve(path, symlinks)
    old, st = _read_current(target)
    before = sha256_bytes(old) if old is not None else None
    _check_expect(target, expect, before)
    _check_can_write(target, st)
    if backup_to is not None and old is not None:
        _backup(backup_to, old)
    if st is not None:
        new_mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
    else:
        new_mode, owner = _new_file_mode(mode), None
    tmp = _write_temp(target, data, new_mode, owner)
    try:
        if _before_rename is not None:
            _before_rename(tmp)
        _commit(tmp, target, before)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _err(exc, target, "replace", in_dir=True) from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(os.path.dirname(target) or ".")
    removed: List[str] = []
    if remove_leftovers:
        for t in leftover_temps(target):
            try:
                os.unlink(t)
                removed.append(t)
            except OSError:
                pass
    final = os.stat(target)
    return WriteResult(os.path.abspath(path), target, via, old is None, before, sha256_bytes(data),
                       backup_to if old is not None else None, stat.S_IMODE(final.st_mode), final.st_uid,
                       final.st_gid, removed)


def remove_file(path: str, *, expect: Optional[str] = None, backup_to: Optional[str] = None,
                symlinks: Symlinks = Symlinks.REFUSE) -> Optional[str]:
    """Remove a file lmdoctor made, only if it still holds what lmdoctor wrote (``expect``).

    Returns the backup path (when ``backup_to`` was given) or None. Raises SafeWriteError.
    """
    target, _via = resolve(path, symlinks)
    old, _st = _read_current(target)
    if old is None:
        return None
    if expect is not None and sha256_bytes(old) != expect:
        raise SafeWriteError(Fault.CHANGED, target, f"{target} was changed after lmdoctor wrote it; it was left "
                             "in place")
    d = os.path.dirname(target) or "."
    if not os.access(d, os.W_OK | os.X_OK):
        raise SafeWriteError(Fault.READ_ONLY_DIR, target, f"cannot remove {target}: the directory {d} is not "
                             "writable for this user")
    if backup_to is not None:
        try:
            _create_exclusive(backup_to, old, 0o600)
        except OSError as exc:
            raise _err(exc, backup_to, "back up to", in_dir=True) from exc
    try:
        os.unlink(target)
    except OSError as exc:
        raise _err(exc, target, "remove", in_dir=True) from exc
    _fsync_dir(d)
    return backup_to


def make_private_dir(path: str, mode: int = 0o700) -> str:
    """Create a directory (and parents) for lmdoctor's own state; refuses a symlink in its place."""
    path = os.path.abspath(path)
    os.makedirs(path, mode=mode, exist_ok=True)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise SafeWriteError(Fault.SYMLINK, path, f"{path} is not a plain directory; lmdoctor will not write there")
    return path
