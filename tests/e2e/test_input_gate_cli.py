"""Every reader meets a FIFO, a device or an endless pipe the same way: exit 3 at once, one line, no hang."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmdoctor.checks.inputgate import ENV_CAP

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "licenses"
# A hang is the bug: 30 s is far above the start-up time, and subprocess.run kills the child at the end.
LIMIT = 30


def lmdoctor(*args, stdin=subprocess.DEVNULL, env=None, timeout=LIMIT):
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], stdin=stdin, capture_output=True,
                          timeout=timeout, env=env)


def one_line_exit_3(cp, *words):
    err = cp.stderr.decode()
    assert cp.returncode == 3, (cp.returncode, err, cp.stdout[:300])
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("lmdoctor: "), err
    for w in words:
        assert w in lines[0], (w, lines[0])


# The file named as a license, log or lmstat output, per reader.
READERS = {
    "lint": lambda p: ["lint", p],
    "log": lambda p: ["log", p],
    "lmstat": lambda p: ["lmstat", p],
    "daemon --license": lambda p: ["daemon", "--license", p, "--seconds", "1", "--no-live"],
    "check --license": lambda p: ["check", "--license", p, "--no-lmutil", "--timeout", "1"],
    "diagnose --license": lambda p: ["diagnose", "-13", "--license", p, "--auto", "--format", "json"],
}


@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "named.pipe"
    os.mkfifo(p)
    return str(p)


@pytest.mark.parametrize("reader", list(READERS))
def test_a_fifo_is_refused_at_once_by_every_reader(reader, fifo):
    cp = lmdoctor(*READERS[reader](fifo))
    if reader == "diagnose --license":
        # The walk goes on without the license; the probe that wanted it says why (no hang).
        assert cp.returncode in (0, 3) and b"FIFO" in cp.stdout, cp.stdout[:500]
        return
    one_line_exit_3(cp, "FIFO", fifo)


@pytest.mark.parametrize("reader", ["lint", "lmstat", "daemon --license", "check --license"])
def test_a_character_device_is_refused_at_once(reader):
    one_line_exit_3(lmdoctor(*READERS[reader]("/dev/zero")), "character device", "/dev/zero")


def test_diagnose_with_dev_zero_as_license_ends():
    cp = lmdoctor("diagnose", "-13", "--license", "/dev/zero", "--auto", "--format", "json")
    assert cp.returncode in (0, 3) and b"character device" in cp.stdout


@pytest.mark.parametrize("cmd", [["lint", "-"], ["lmstat", "-"], ["explain", "-"], ["diagnose", "-"]])
def test_dev_zero_on_stdin_ends_at_the_cap(cmd):
    with open("/dev/zero", "rb") as zero:
        cp = lmdoctor(*cmd, stdin=zero)
    one_line_exit_3(cp, "standard input is larger than the", "MiB cap", ENV_CAP)


def test_log_stdin_from_dev_zero_ends():
    with open("/dev/zero", "rb") as zero:
        cp = lmdoctor("log", "-", stdin=zero)
    one_line_exit_3(cp, "binary")


def test_an_endless_text_pipe_into_log_ends_at_the_cap():
    env = dict(os.environ, **{ENV_CAP: "4"})
    yes = subprocess.Popen(["yes", "10:00:00 (lmgrd) hello"], stdout=subprocess.PIPE)
    try:
        cp = lmdoctor("log", "-", stdin=yes.stdout, env=env)
    finally:
        yes.kill()
        yes.wait()
    one_line_exit_3(cp, "standard input is larger than the 4 MiB cap for a debug log")


def test_a_file_over_the_cap_is_refused_naming_the_cap(tmp_path):
    big = tmp_path / "big.lic"
    with open(big, "wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    one_line_exit_3(lmdoctor("lint", str(big)), "16 MiB cap for a license file")


def test_regular_files_still_read(tmp_path):
    cp = lmdoctor("lint", "--no-host", "--today", "2025-06-01", str(FIX / "sigasi_floating.lic"))
    assert cp.returncode == 0, cp.stderr
    log = tmp_path / "debug.log"
    log.write_text(" 9:14:47 (lmgrd) FlexNet Licensing (v11.16.4.0 build 275116 x64_lsb) started on vm\n")
    cp = lmdoctor("log", str(log))
    assert cp.returncode in (0, 1, 2) and b"Traceback" not in cp.stderr
    with open(log, "rb") as fh:
        cp2 = lmdoctor("log", "-", stdin=fh)
    assert cp2.returncode == cp.returncode


def test_fifos_in_the_search_path_and_flexlmrc_do_not_hang_check(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.mkfifo(home / ".flexlmrc")
    os.mkfifo(tmp_path / "in-path.lic")
    env = dict(os.environ, HOME=str(home), SIGASI_LM_LICENSE_FILE=str(tmp_path / "in-path.lic"))
    env.pop("LM_LICENSE_FILE", None)
    cp = lmdoctor("check", "--no-lmutil", "--timeout", "1", "--format", "json", env=env)
    assert cp.returncode in (0, 1, 2), cp.stderr
    assert b"FIFO" in cp.stdout and b"Traceback" not in cp.stderr
