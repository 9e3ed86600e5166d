"""``check --format openmetrics -o FILE``: the metrics once, for node_exporter's textfile collector.

The collector may read the directory at any moment, so the file is never seen half written: the
project's safe-write helper puts the text in a temp file in the same directory (``.NAME.lmdoctor-
tmp.*``; the collector reads only ``*.prom``), fsyncs it, gives it the old file's mode (0644 for a
new one: node_exporter runs as another user) and renames it over the target, as the collector's
documentation asks.
"""
from __future__ import annotations

import os

from ..exceptions import LmdoctorError


class TextfileError(LmdoctorError):
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
    """Replace ``path`` atomically through the one safe-write helper (a planted symlink is refused)."""
    from ..safe_write import SafeWriteError, Symlinks, write_file

    check_textfile_path(path)
    try:
        write_file(path, data, symlinks=Symlinks.REFUSE, mode=0o644, remove_leftovers=True)
    except SafeWriteError as exc:
        raise TextfileError(str(exc)) from None
