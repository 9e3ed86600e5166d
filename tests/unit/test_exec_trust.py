"""procs.untrusted: what root may run among the binaries lmdoctor finds by itself (real files, real owners)."""
from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from lmdoctor.checks.procs import untrusted

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
NOBODY = pwd.getpwnam("nobody").pw_uid


def exe(path: Path, body: str = "exit 0\n", mode: int = 0o755) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(mode)
    return path


def test_what_root_may_run(tmp_path, monkeypatch):
    monkeypatch.delenv("SUDO_UID", raising=False)
    safe = tmp_path / "safe"
    safe.mkdir(mode=0o755)
    good = exe(safe / "lmutil")
    assert untrusted(str(good)) is None

    theirs = exe(safe / "theirs")
    os.chown(theirs, NOBODY, -1)
    why = untrusted(str(theirs))
    assert why and why.path == str(theirs) and why.owner == f"nobody (uid {NOBODY})"
    assert "not owned by root" in why.reason
    monkeypatch.setenv("SUDO_UID", str(NOBODY))  # the invoking user's own file is theirs to run
    assert untrusted(str(theirs)) is None
    monkeypatch.delenv("SUDO_UID")

    for mode, words in ((0o775, "its group"), (0o757, "others"), (0o777, "its group and others")):
        f = exe(safe / f"w{mode:o}", mode=mode)
        f.chmod(mode)
        why = untrusted(str(f))
        assert why and why.reason == f"writable by {words}", (mode, why)

    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    assert "is writable by others" in untrusted(str(exe(open_dir / "lmutil"))).reason
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    assert untrusted(str(exe(sticky / "lmutil"))) is None  # like /tmp: others cannot rename root's file

    their_dir = tmp_path / "theirdir"
    their_dir.mkdir(mode=0o755)
    os.chown(their_dir, NOBODY, -1)
    why = untrusted(str(exe(their_dir / "lmutil")))
    assert why and f"belongs to nobody (uid {NOBODY})" in why.reason

    link = tmp_path / "safe" / "link"
    link.symlink_to(theirs)
    assert untrusted(str(link)).path == str(theirs)  # judged at the target, named by it


def test_not_root_trusts_everything(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # another user cannot be made real without root
    f = exe(tmp_path / "x", mode=0o777)
    assert untrusted(str(f)) is None
