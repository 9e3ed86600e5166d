"""Bad arguments end cleanly: exit 3 and one line on stderr, never a traceback."""
from __future__ import annotations

import os
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


# ------------------------------------------------------------------ standard output full or closed
def _commands():
    from lmdoctor.checks.cli import COMMANDS

    return list(COMMANDS)


def _real_run(cmd: str, tmp_path):
    """A run of each command that produces output on stdout (or --help for ones added later)."""
    lic = tmp_path / "a.lic"
    lic.write_text("SERVER this_host ANY 27000\nDAEMON sigasi\nINCREMENT f sigasi 1.0 permanent 1 SIGN=0\n")
    log = tmp_path / "debug.log"
    log.write_text(" 9:14:47 (lmgrd) FlexNet Licensing (v11.16.4.0 build 275116 x64_lsb) started on vm\n" * 50)
    lmstat = tmp_path / "lmstat.txt"
    lmstat.write_text("License server status: 27000@vm\n\nvm: license server UP (MASTER) v11.16.4\n\n"
                      "Users of f:  (Total of 1 license issued;  Total of 0 licenses in use)\n")
    return {
        "check": ["check", "--no-lmutil", "--timeout", "1", "--license", str(lic)],
        "lint": ["lint", "--no-host", str(lic)],
        "explain": ["explain", "-15"],
        "diagnose": ["diagnose", "-13"],
        "daemon": ["daemon", "--cleanup"],
        "lmstat": ["lmstat", str(lmstat)],
        "log": ["log", str(log)],
        "sandbox": ["sandbox", "list"],
    }.get(cmd, [cmd, "--help"])


def test_every_command_with_stdout_on_a_full_disk_says_so_in_one_line(tmp_path):
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    assert len(_commands()) >= 9
    for cmd in _commands():
        for args in (_real_run(cmd, tmp_path), [cmd, "--help"]):
            with open("/dev/full", "w") as full:
                cp = subprocess.run([sys.executable, "-m", "lmdoctor", *args], stdout=full, stderr=subprocess.PIPE,
                                    timeout=120, env=env)
            err = cp.stderr.decode()
            if cmd == "tui" and args == _real_run(cmd, tmp_path) and args[-1] != "--help":
                continue
            assert cp.returncode == 3, (args, cp.returncode, err)
            lines = [ln for ln in err.splitlines() if ln.strip()]
            assert "Traceback" not in err and "Exception ignored" not in err, (args, err)
            assert lines[-1] == ("lmdoctor: cannot write the output to standard output: No space left on device "
                                 "(free some space, or send the output elsewhere)"), (args, err)


def test_every_command_with_stdout_closed_says_so_in_one_line(tmp_path):
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    for cmd in _commands():
        for args in (_real_run(cmd, tmp_path), [cmd, "--help"]):
            cp = subprocess.run([sys.executable, "-m", "lmdoctor", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, timeout=120, env=env,
                                preexec_fn=lambda: os.close(1))
            err = cp.stderr.decode()
            assert cp.returncode == 3, (args, cp.returncode, err)
            assert "Traceback" not in err
            assert err.strip().splitlines() == ["lmdoctor: standard output is closed (>&-): nothing could be "
                                                "shown; redirect it to a file or /dev/null instead"], (args, err)


def test_a_closed_pipe_stays_quiet():
    p = subprocess.Popen([sys.executable, "-m", "lmdoctor", "diagnose", "--list"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) in (0, 3) and "Traceback" not in err and "Exception ignored" not in err


# ------------------------------------------------------------------ daemon arguments
def test_daemon_seconds_must_be_a_finite_number(tmp_path):
    lic = tmp_path / "a.lic"
    lic.write_text("SERVER h ANY 27000\n")
    for bad in ("nan", "inf", "-inf", "NaN", "0", "-1"):
        cp = lmdoctor("daemon", "--license", str(lic), "--seconds", bad)
        assert cp.returncode == 3 and b"--seconds" in cp.stderr and b"Traceback" not in cp.stderr, bad


def test_daemon_lmgrd_that_is_a_directory_is_exit_3(tmp_path):
    lic = tmp_path / "a.lic"
    lic.write_text("SERVER h ANY 27000\n")
    one_line_exit_3(lmdoctor("daemon", "--license", str(lic), "--lmgrd", str(tmp_path)), "is a directory, not lmgrd")


def test_daemon_needs_a_license_unless_cleaning_up(tmp_path):
    one_line_exit_3(lmdoctor("daemon"), "--license FILE")
