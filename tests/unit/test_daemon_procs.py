"""checks.procs, the one process-launch helper: argv only, own group, timeout, kill-tree."""
from __future__ import annotations

import os
import signal
import sys

import psutil
import pytest

from lmdoctor.checks import procs
from lmdoctor.checks.runtime import CancelToken


def alive(pid: int) -> bool:
    try:
        p = psutil.Process(pid)
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_argv_only():
    with pytest.raises(TypeError):
        procs.run("echo hi")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        procs.run([])


def test_captures_output_and_status():
    r = procs.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert not r.ok and not r.timed_out and r.error is None


def test_no_shell_interpretation(tmp_path):
    marker = tmp_path / "m"
    r = procs.run(["echo", f"; touch {marker}"])
    assert r.stdout.strip() == f"; touch {marker}"
    assert not marker.exists()


def test_missing_program_is_an_error_value_not_an_exception(tmp_path):
    r = procs.run([str(tmp_path / "nope")])
    assert r.error is not None and r.error.errno == 2 and r.returncode is None


def test_runs_in_its_own_session():
    r = procs.run([sys.executable, "-c", "import os; print(os.getsid(0), os.getpgid(0), os.getpid())"])
    sid, pgid, pid = map(int, r.stdout.split())
    assert sid == pgid == pid
    assert sid != os.getsid(0)


def test_timeout_kills_the_whole_tree_including_sigterm_ignorers(tmp_path):
    pidfile = tmp_path / "pids"
    script = (f"trap '' TERM; sh -c 'trap \"\" TERM; echo $$ >> {pidfile}; while :; do sleep 1; done' & "
              f"echo $$ >> {pidfile}; while :; do sleep 1; done")
    r = procs.run(["sh", "-c", script], timeout=0.5, grace=0.2)
    assert r.timed_out and r.returncode == -signal.SIGKILL
    pids = [int(x) for x in pidfile.read_text().split()]
    assert len(pids) == 2
    assert not [p for p in pids if alive(p)]


def test_cancel_token_stops_it():
    tok = CancelToken()
    tok.cancel()
    r = procs.run(["sleep", "1000"], timeout=60, cancel=tok)
    assert r.cancelled and not r.timed_out and r.pid is not None and not alive(r.pid)


def test_output_is_capped_and_decoded():
    r = procs.run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'\\xff' * 5000)"], max_output=100)
    assert len(r.stdout) == 100 and set(r.stdout) == {"\ufffd"}


def test_kill_tree_on_nothing_is_a_no_op():
    res = procs.kill_tree(None, [])
    assert res.survivors == [] and not res.escalated


def test_descendants_survive_reparenting(tmp_path):
    # The middle process exits; its child (re-parented to init) is still found and killed.
    pidfile = tmp_path / "p"
    code = (f"import os, time, subprocess\n"
            f"p = subprocess.Popen(['sleep', '1000'])\nopen({str(pidfile)!r}, 'w').write(str(p.pid))\n"
            "time.sleep(1000)\n")
    import subprocess
    top = subprocess.Popen([sys.executable, "-c", code], **procs.session_kwargs())
    try:
        d = procs.Descendants(top.pid)
        for _ in range(200):
            d.record()
            if pidfile.exists() and pidfile.read_text() and int(pidfile.read_text()) in d.seen:
                break
            import time
            time.sleep(0.02)
        child = int(pidfile.read_text())
        assert child in d.seen
        res = procs.kill_tree(top.pid, d.alive(), grace=1.0, reap=top.poll)
        assert res.survivors == []
        assert not alive(child)
    finally:
        if top.poll() is None:
            top.kill()
        top.wait()


def test_group_members_lists_live_group():
    import subprocess
    p = subprocess.Popen(["sleep", "1000"], **procs.session_kwargs())
    try:
        assert [m.pid for m in procs.group_members(p.pid)] == [p.pid]
    finally:
        p.kill()
        p.wait()
    assert procs.group_members(p.pid) == []
