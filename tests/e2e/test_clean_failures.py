"""Bad arguments end cleanly: exit 3 and one line on stderr, never a traceback."""
from __future__ import annotations

import subprocess
import sys


def lmdoctor(*args, timeout=60, **kw):
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], capture_output=True, timeout=timeout, **kw)


def one_line_exit_3(cp, *words):
    err = cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 3, (cp.returncode, err)
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_log_since_far_in_the_past_is_not_a_time(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text(" 9:14:47 (lmgrd) hello\n")
    for since in ("99999999999d", "99999999999h", "9" * 40 + "d"):
        one_line_exit_3(lmdoctor("log", "--since", since, str(log)), "--since", "is not a time")
