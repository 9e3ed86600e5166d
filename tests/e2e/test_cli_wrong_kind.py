"""Wrong file kind: `lint` on a debug log, `log` on a license, `lmstat` on either -> exit 3 naming
what the file looks like and the command that reads it (issue 13 item 14)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import FIXTURES

V = FIXTURES / "vendors"
LOG, LIC, LMSTAT = V / "ansys_debug.log", V / "matlab_network.lic", V / "matlab_lmstat_expired.txt"


def run(args, stdin=None):
    return subprocess.run([sys.executable, "-m", "lmdoctor"] + args, capture_output=True, timeout=60,
                          input=stdin)


@pytest.mark.parametrize("cmd, path, looks, hint", [
    ("lint", LOG, "debug log", "lmdoctor log"),
    ("lint", LMSTAT, "lmstat", "lmdoctor lmstat"),
    ("log", LIC, "license file", "lmdoctor lint"),
    ("log", LMSTAT, "lmstat", "lmdoctor lmstat"),
    ("lmstat", LOG, "debug log", "lmdoctor log"),
    ("lmstat", LIC, "license file", "lmdoctor lint"),
])
def test_wrong_kind_exits_3_with_the_right_command(cmd, path, looks, hint):
    cp = run([cmd, str(path)])
    err = cp.stderr.decode()
    assert cp.returncode == 3, (cp.stdout, err)
    assert not cp.stdout and "Traceback" not in err
    assert err.count("\n") == 1 and looks in err and f"try `{hint} {path}`" in err


@pytest.mark.parametrize("cmd, data, hint", [("log", LIC, "lmdoctor lint -"), ("lint", LOG, "lmdoctor log -"),
                                             ("lmstat", LOG, "lmdoctor log -")])
def test_wrong_kind_on_stdin(cmd, data, hint):
    cp = run([cmd, "-"], stdin=data.read_bytes())
    assert cp.returncode == 3 and f"try `{hint}`" in cp.stderr.decode()


@pytest.mark.parametrize("cmd, path", [("lint", LIC), ("log", LOG), ("lmstat", LMSTAT)])
def test_right_kind_is_read(cmd, path):
    cp = run([cmd, "--today", "2023-03-15", str(path)] if cmd == "lmstat" else [cmd, str(path)])
    assert cp.returncode in (0, 1, 2), cp.stderr
    assert cp.stdout
