"""Every file-reading command meets bad input the same way: a clear stderr line and exit 3 (or a
finding), never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

COMMANDS = [["lint"], ["lmstat"], ["log"]]


def run(args, **kw):
    return subprocess.run([sys.executable, "-m", "lmdoctor"] + args, capture_output=True, text=True, timeout=60,
                          **kw)


@pytest.fixture
def blob(tmp_path):
    p = tmp_path / "blob.bin"
    p.write_bytes(bytes(range(256)) * 64)
    return p


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
def test_missing_file_and_directory_exit_3_with_a_message(cmd, tmp_path):
    for target in (tmp_path / "missing.txt", tmp_path):
        cp = run(cmd + [str(target)])
        assert cp.returncode == 3, (cmd, target, cp.stdout, cp.stderr)
        assert cp.stderr.startswith("lmdoctor: ") and str(target) in cp.stderr
        assert "Traceback" not in cp.stderr and not cp.stdout


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
def test_binary_input_is_named_never_a_traceback(cmd, blob):
    cp = run(cmd + [str(blob)])
    assert "Traceback" not in cp.stderr
    if cmd == ["lint"]:
        # A binary "license" is a finding on line 1: the user pasted the wrong thing.
        assert cp.returncode == 2 and "license.binary" in cp.stdout
    else:
        assert cp.returncode == 3 and "binary" in cp.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
def test_unreadable_file_exit_3(cmd, tmp_path):
    p = tmp_path / "secret.txt"
    p.write_text("x")
    p.chmod(0)
    cp = run(cmd + [str(p)])
    assert cp.returncode == 3 and "permission denied" in cp.stderr


def test_unknown_subcommand_and_option_exit_3():
    assert run(["frobnicate"]).returncode == 3
    assert run(["lint", "--no-such-option", "x"]).returncode == 3
