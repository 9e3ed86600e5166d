"""The safe-write helper: atomic, backed up, mode/owner kept, and every fault leaves the original intact."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from lmdoctor.checks import safe_write as sw
from lmdoctor.checks.safe_write import ABSENT, Fault, SafeWriteError, Symlinks, write_file

ORIGINAL = b"SERVER host 02fc00000001 27000\r\nDAEMON sigasi port=27001\n"
NEW = b"SERVER vm 02fc00000001 27000\r\nDAEMON sigasi port=27001\n"
NOBODY = 65534
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _make(tmp_path: Path, name: str = "sigasi.lic", data: bytes = ORIGINAL, mode: int = 0o640) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    os.chmod(p, mode)
    return p


def _no_temps(d: Path) -> None:
    assert [n for n in os.listdir(d) if sw.TEMP_MARK in n] == []


AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def python_runs_as_nobody() -> bool:
    """This interpreter starts as another user (a pyenv build under /root may load libpython from there)."""
    try:
        return subprocess.run(AS_NOBODY + [sys.executable, "-c", "import lmdoctor.checks.safe_write"],
                              capture_output=True, timeout=60, cwd="/").returncode == 0
    except OSError:
        return False


def run_unprivileged(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run Python code as a real unprivileged user (setpriv to nobody when we are root)."""
    prefix = []
    if IS_ROOT:
        if not python_runs_as_nobody():
            pytest.skip(f"{sys.executable} cannot run as an unprivileged user here (its files are private to root)")
        prefix = AS_NOBODY
    return subprocess.run(prefix + [sys.executable, "-c", textwrap.dedent(code)], cwd=str(cwd),
                          capture_output=True, text=True, timeout=60)


def test_write_replaces_bytes_keeps_mode_and_owner_and_backs_up(tmp_path):
    p = _make(tmp_path, mode=0o640)
    if IS_ROOT:
        os.chown(p, NOBODY, NOBODY)
    before = os.stat(p)
    state = sw.snapshot(str(p))
    res = write_file(str(p), NEW, expect=state.expect, backup_to=str(tmp_path / "backup.lic"))
    assert p.read_bytes() == NEW
    after = os.stat(p)
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # a new inode: renamed into place, not rewritten in place
    assert (tmp_path / "backup.lic").read_bytes() == ORIGINAL
    assert stat.S_IMODE(os.stat(tmp_path / "backup.lic").st_mode) == 0o600
    assert res.before_sha256 == sw.sha256_bytes(ORIGINAL) and res.after_sha256 == sw.sha256_bytes(NEW)
    assert not res.created and not res.via_symlink and res.backup == str(tmp_path / "backup.lic")
    _no_temps(tmp_path)


def test_backup_never_overwrites_an_older_backup(tmp_path):
    p = _make(tmp_path)
    (tmp_path / "b").write_bytes(b"older backup")
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), NEW, backup_to=str(tmp_path / "b"))
    assert ei.value.fault is Fault.EXISTS
    assert p.read_bytes() == ORIGINAL and (tmp_path / "b").read_bytes() == b"older backup"


def test_symlinked_file_is_edited_at_its_target_and_reported(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    target = _make(real, "sigasi.lic")
    link = tmp_path / "license.lic"
    link.symlink_to(target)
    state = sw.snapshot(str(link))
    assert state.via_symlink and state.target == str(target)
    res = write_file(str(link), NEW, expect=state.expect)
    assert res.via_symlink and res.target == str(target)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == NEW
    _no_temps(real)


def test_refuse_policy_never_writes_through_a_link(tmp_path):
    target = _make(tmp_path, "elsewhere")
    link = tmp_path / "state.json"
    link.symlink_to(target)
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(link), b"{}", symlinks=Symlinks.REFUSE)
    assert ei.value.fault is Fault.SYMLINK
    assert target.read_bytes() == ORIGINAL


def test_changed_since_plan_stops(tmp_path):
    p = _make(tmp_path)
    state = sw.snapshot(str(p))
    p.write_bytes(ORIGINAL + b"# edited by someone else\n")
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), NEW, expect=state.expect, backup_to=str(tmp_path / "bk"))
    assert ei.value.fault is Fault.CHANGED and "changed after" in str(ei.value)
    assert p.read_bytes() == ORIGINAL + b"# edited by someone else\n"
    assert not (tmp_path / "bk").exists()


def test_change_during_the_write_stops_before_the_rename(tmp_path, monkeypatch):
    p = _make(tmp_path)

    def meddle(_tmp: str) -> None:
        with open(p, "ab") as fh:
            fh.write(b"# appended while lmdoctor wrote\n")

    monkeypatch.setattr(sw, "_before_rename", meddle)
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), NEW)
    assert ei.value.fault is Fault.CHANGED
    assert p.read_bytes().endswith(b"# appended while lmdoctor wrote\n")
    _no_temps(tmp_path)


def test_create_only_and_new_file_mode(tmp_path):
    p = tmp_path / ".flexlmrc"
    res = write_file(str(p), b"SIGASI_LM_LICENSE_FILE=27000@vm\n", expect=ABSENT, mode=0o600)
    assert res.created and res.backup is None
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), b"other\n", expect=ABSENT)
    assert ei.value.fault is Fault.EXISTS
    assert p.read_bytes() == b"SIGASI_LM_LICENSE_FILE=27000@vm\n"
    _no_temps(tmp_path)


def test_missing_file_when_one_was_planned(tmp_path):
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(tmp_path / "gone.lic"), NEW, expect=sw.sha256_bytes(ORIGINAL))
    assert ei.value.fault is Fault.MISSING
    assert not (tmp_path / "gone.lic").exists()


def test_read_only_file_is_left_alone_even_for_root(tmp_path):
    p = _make(tmp_path, mode=0o444)
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), NEW, backup_to=str(tmp_path / "bk"))
    assert ei.value.fault is Fault.READ_ONLY_FILE
    assert "read-only" in str(ei.value) and "chmod u+w" in str(ei.value)
    assert p.read_bytes() == ORIGINAL and stat.S_IMODE(os.stat(p).st_mode) == 0o444
    assert not (tmp_path / "bk").exists()
    _no_temps(tmp_path)


def test_hard_linked_file_is_not_split(tmp_path):
    p = _make(tmp_path)
    os.link(p, tmp_path / "other-name.lic")
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), NEW)
    assert ei.value.fault is Fault.HARDLINKS
    assert p.read_bytes() == ORIGINAL == (tmp_path / "other-name.lic").read_bytes()


def test_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(tmp_path / "fifo"), NEW)
    assert ei.value.fault is Fault.NOT_A_FILE


@pytest.fixture
def open_dir():
    """A directory another user can reach (pytest's own tmp dirs are private to root)."""
    d = Path(tempfile.mkdtemp(prefix="lmdoctor-sw-"))
    os.chmod(d, 0o755)
    yield d
    for root, dirs, _files in os.walk(d):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
    shutil.rmtree(d, ignore_errors=True)


def _unprivileged_dir(tmp_path: Path, dir_mode: int, file_owner: int) -> Path:
    d = tmp_path / "srv"
    d.mkdir()
    p = _make(d, mode=0o644)
    if IS_ROOT:
        os.chown(d, NOBODY, NOBODY)
        os.chown(p, file_owner, file_owner)
    os.chmod(d, dir_mode)
    return p


WRITE_AS_USER = """
    import sys
    from lmdoctor.checks.safe_write import write_file, SafeWriteError
    try:
        write_file({path!r}, b"new\\n")
    except SafeWriteError as exc:
        print(exc.fault.value)
        print(exc)
        sys.exit(3)
    print("written")
"""


def test_read_only_directory_as_a_real_unprivileged_user(open_dir):
    tmp_path = open_dir
    p = _unprivileged_dir(tmp_path, 0o555, NOBODY)
    r = run_unprivileged(WRITE_AS_USER.format(path=str(p)), tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == Fault.READ_ONLY_DIR.value
    assert "not writable" in r.stdout
    assert p.read_bytes() == ORIGINAL
    _no_temps(p.parent)


def test_file_of_another_user_as_a_real_unprivileged_user(open_dir):
    tmp_path = open_dir
    if not IS_ROOT:
        pytest.skip("needs root to give the file to another user")
    # The directory is the user's, the file root's: a rename would hand root's file to nobody.
    p = _unprivileged_dir(tmp_path, 0o755, 0)
    os.chmod(p, 0o666)
    r = run_unprivileged(WRITE_AS_USER.format(path=str(p)), tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == Fault.OWNER.value
    assert p.read_bytes() == ORIGINAL and os.stat(p).st_uid == 0


def test_not_writable_file_as_a_real_unprivileged_user(open_dir):
    tmp_path = open_dir
    p = _unprivileged_dir(tmp_path, 0o755, 0)
    r = run_unprivileged(WRITE_AS_USER.format(path=str(p)), tmp_path)
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == Fault.READ_ONLY_FILE.value
    assert p.read_bytes() == ORIGINAL


def test_disk_full_leaves_the_original_and_no_temp(tmp_path, monkeypatch):
    p = _make(tmp_path)
    real_write = os.write

    def full(fd, data):
        # ENOSPC cannot be made real without a tiny file system: only the temp file's writes fail.
        if sw.TEMP_MARK in os.readlink(f"/proc/self/fd/{fd}"):
            real_write(fd, bytes(data[:3]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(SafeWriteError) as ei:
        write_file(str(p), NEW * 100, backup_to=str(tmp_path / "bk"))
    monkeypatch.undo()
    assert ei.value.fault is Fault.NO_SPACE and "disk is full" in str(ei.value)
    assert p.read_bytes() == ORIGINAL
    _no_temps(tmp_path)


CRASH_CHILD = """
    import sys, time
    from lmdoctor.checks import safe_write as sw

    def pause(tmp):
        print("TEMP " + tmp, flush=True)
        time.sleep(60)

    sw._before_rename = pause
    sw.write_file({path!r}, {data!r})
"""


def test_killed_between_temp_write_and_rename(tmp_path):
    p = _make(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CRASH_CHILD.format(path=str(p), data=NEW))],
                             stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("TEMP "), line
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    temp = line.split(" ", 1)[1].strip()
    assert p.read_bytes() == ORIGINAL  # the original was never touched
    assert sw.leftover_temps(str(p)) == [temp]
    assert Path(temp).read_bytes() == NEW  # the interrupted new copy, complete and fsynced
    # The next write finds it, and removes it once the file holds a fresh copy.
    res = write_file(str(p), NEW, expect=sw.snapshot(str(p)).expect, remove_leftovers=True)
    assert res.leftovers_removed == [temp]
    assert sw.leftover_temps(str(p)) == [] and p.read_bytes() == NEW


def test_leftover_temps_of_a_symlinked_file_are_found_at_the_target(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    target = _make(real, "sigasi.lic")
    link = tmp_path / "license.lic"
    link.symlink_to(target)
    stale = real / (".sigasi.lic" + sw.TEMP_MARK + "123.abcd")
    stale.write_bytes(b"half")
    (real / ".other.lic.lmdoctor-tmp.1.2").write_bytes(b"not ours to report")
    assert sw.leftover_temps(str(link)) == [str(stale)]


def test_remove_file_only_when_unchanged(tmp_path):
    p = _make(tmp_path)
    with pytest.raises(SafeWriteError) as ei:
        sw.remove_file(str(p), expect=sw.sha256_bytes(NEW))
    assert ei.value.fault is Fault.CHANGED and p.exists()
    assert sw.remove_file(str(p), expect=sw.sha256_bytes(ORIGINAL), backup_to=str(tmp_path / "bk")) == str(
        tmp_path / "bk")
    assert not p.exists() and (tmp_path / "bk").read_bytes() == ORIGINAL
    assert sw.remove_file(str(p)) is None  # already gone: nothing to do


def test_private_dir_refuses_a_symlink(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "state").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SafeWriteError) as ei:
        sw.make_private_dir(str(tmp_path / "state"))
    assert ei.value.fault is Fault.SYMLINK
    d = sw.make_private_dir(str(tmp_path / "a" / "b"))
    assert os.path.isdir(d)

