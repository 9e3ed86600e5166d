"""``check --format openmetrics -o FILE``: the metrics once, for node_exporter's textfile collector.

The collector may read the directory at any moment, so the file is never seen half written: the
text goes to a temp file in the same directory (``.NAME.lmdoctor-tmp.*``; the collector reads
only ``*.prom``), is fsynced, gets the old file's mode (0644 for a new one: node_exporter runs as
another user), and is renamed over the target, as the collector's documentation asks.
"""
from __future__ import annotations

import os
import stat
import tempfile


class TextfileError(Exception):
    """The file could not be written; the message names the path and the next step."""


def check_textfile_path(path: str) -> None:
    """Raise TextfileError now for a path that cannot be written, before any probing starts."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        example = os.path.join(path, "lmdoctor.prom")
        raise TextfileError(f"{path} is a directory; give the file to write, e.g. {example}")
    if not os.path.isdir(directory):
        raise TextfileError(f"cannot write {path}: the directory {directory} does not exist "
                            "(node_exporter's --collector.textfile.directory)")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TextfileError(f"permission denied writing {path} (run as a user who may write to {directory})")


def write_textfile(path: str, data: bytes) -> None:
    check_textfile_path(path)
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o644
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".lmdoctor-tmp.", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
        try:
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass  # some filesystems cannot fsync a directory; the rename is done
    except PermissionError:
        raise TextfileError(f"permission denied writing {path} (run as a user who may write to {directory})") from None
    except OSError as exc:
        raise TextfileError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
