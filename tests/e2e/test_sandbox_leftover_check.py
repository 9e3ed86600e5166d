"""The session-wide leftover check itself: a test session that leaks a sandbox server fails."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LEAKY = '''
import json
from lmdoctor.checks.sandbox import Sandbox

def test_leaks(tmp_path):
    info = Sandbox(str(tmp_path / "sb")).start("healthy")
    with open({out!r}, "w") as fh:
        json.dump([info.lmgrd_pid, info.vendor_pid], fh)
'''


def _proc_state(pid: int):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2:].split()[0]


def _run_inner(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    test = tmp_path / "inner" / "test_inner.py"
    test.parent.mkdir()
    test.write_text(body)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.sandbox_fixtures", "-p", "no:cacheprovider",
         "--rootdir", str(test.parent), "--basetemp", str(tmp_path / "inner-tmp"), str(test)],
        capture_output=True, text=True, env=env, timeout=180, cwd=str(test.parent))


def test_a_leaked_sandbox_fails_the_session_and_is_killed(tmp_path):
    pids_file = tmp_path / "pids.json"
    out = _run_inner(tmp_path, LEAKY.format(out=str(pids_file)))
    assert out.returncode != 0, out.stdout
    assert "sandbox processes left running by the tests" in out.stdout
    pids = json.loads(pids_file.read_text())
    alive = [p for p in pids if _proc_state(p) not in (None, "Z")]
    for p in alive:  # never leak from this test, even when the check under test failed
        os.kill(p, 9)
    assert not alive, out.stdout


def test_a_clean_session_passes(tmp_path):
    out = _run_inner(tmp_path, "def test_ok(sandbox):\n    assert sandbox.lmgrd_pid\n")
    assert out.returncode == 0, out.stdout
