"""`check --format openmetrics -o FILE`: the textfile is replaced whole, never half written."""
from __future__ import annotations

import os

import pytest

from lmdoctor.checks.metrics.textfile import TextfileError, check_textfile_path, write_textfile


def test_written_whole_with_a_readable_mode_and_no_temp_left(tmp_path):
    out = tmp_path / "lmdoctor.prom"
    old_umask = os.umask(0o022)
    try:
        write_textfile(str(out), b"a 1\n# EOF\n")
    finally:
        os.umask(old_umask)
    assert out.read_bytes() == b"a 1\n# EOF\n" and (out.stat().st_mode & 0o777) == 0o644
    out.chmod(0o640)
    ino = out.stat().st_ino
    write_textfile(str(out), b"a 2\n# EOF\n")
    assert out.read_bytes() == b"a 2\n# EOF\n"
    assert out.stat().st_ino != ino  # renamed over, not rewritten in place: a reader sees old or new
    assert (out.stat().st_mode & 0o777) == 0o640  # the admin's mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lmdoctor.prom"]


def test_a_planted_symlink_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    link = tmp_path / "lmdoctor.prom"
    link.symlink_to(target)
    with pytest.raises(TextfileError):
        write_textfile(str(link), b"x 1\n")
    assert target.read_text() == "keep"


def test_paths_that_cannot_be_written_are_refused_before_probing(tmp_path):
    with pytest.raises(TextfileError, match="does not exist"):
        check_textfile_path(str(tmp_path / "no" / "x.prom"))
    with pytest.raises(TextfileError, match="is a directory"):
        check_textfile_path(str(tmp_path))
