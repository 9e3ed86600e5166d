"""lmdoctor's own state, in the user's state directory: ``$XDG_STATE_HOME/lmdoctor`` (an absolute
``XDG_STATE_HOME`` only, as the XDG spec says), else ``~/.local/state/lmdoctor``.

Records of what lmdoctor started (the daemon runner's lmgrd, the last sandbox) live here, one small
JSON file each. The directory is private (0700) and must be a plain directory owned by this user;
files are written through the one safe-write helper with symlinks refused (a link planted by
someone else never redirects a write), and read with ``O_NOFOLLOW`` and a size limit.
"""
from __future__ import annotations

import json
import os
import stat
from typing import Any, Dict, List, Optional

from .exceptions import LmdoctorError

APP = "lmdoctor"
MAX_STATE_BYTES = 1024 * 1024


class StateDirError(LmdoctorError):
    """The state directory cannot be used safely; the message says why."""


def state_dir(create: bool = True, env: Optional[Dict[str, str]] = None) -> str:
    """The directory path; created (0700, this user's, not a symlink) when ``create``."""
    base = (os.environ if env is None else env).get("XDG_STATE_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    path = os.path.join(base, APP)
    if create:
        _ensure_private(path)
    return path


def _ensure_private(path: str) -> None:
    from .safe_write import SafeWriteError, make_private_dir

    try:
        make_private_dir(path)
        st = os.lstat(path)
    except (OSError, SafeWriteError) as exc:
        raise StateDirError(f"cannot use the state directory {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise StateDirError(f"the state directory {path} belongs to uid {st.st_uid}, not to this user; "
                            "lmdoctor will not keep its state there")
    if stat.S_IMODE(st.st_mode) & 0o022:
        os.chmod(path, 0o700)


def write_state(name: str, data: Dict[str, Any]) -> str:
    """Write ``name`` (a plain file name) atomically as JSON; returns its path. Raises StateDirError."""
    from .safe_write import SafeWriteError, Symlinks, write_file

    path = _path(name)
    try:
        write_file(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"),
                   symlinks=Symlinks.REFUSE, mode=0o600, remove_leftovers=True)
    except SafeWriteError as exc:
        raise StateDirError(str(exc)) from None
    return path


def read_state(name: str) -> Optional[Dict[str, Any]]:
    """The JSON object in ``name``, or None when absent, a symlink, too big or not JSON."""
    try:
        path = _path(name, create=False)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except (OSError, StateDirError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_STATE_BYTES:
            return None
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            raw = fh.read(MAX_STATE_BYTES + 1)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def remove_state(name: str) -> None:
    try:
        os.unlink(_path(name, create=False))
    except (OSError, StateDirError):
        pass


def list_state(prefix: str, suffix: str = ".json") -> List[str]:
    """Names of the state files that start with ``prefix``, sorted."""
    try:
        names = os.listdir(state_dir(create=False))
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(prefix) and n.endswith(suffix))


def _path(name: str, create: bool = True) -> str:
    if not name or os.sep in name or name in (".", "..") or (os.altsep and os.altsep in name):
        raise StateDirError(f"bad state file name {name!r}")
    return os.path.join(state_dir(create=create), name)
