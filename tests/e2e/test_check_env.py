"""`lmdoctor check`: where the license comes from, absurd environments, --redact."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from .checkhelp import check_json, clean_env, run_check, with_id, write_license

# The SERVER host is this machine's own name (resolved from /etc/hosts): tests contact nothing but loopback.
HOST = socket.gethostname()
SECRET_LIC = (
    f"SERVER {HOST} 001122334455 27000\nDAEMON sigasi port=27001\n"
    "INCREMENT com.sigasi.hdt sigasi 5.0 permanent 4 VENDOR_STRING=\"company:Acme Rockets;name:Jane Roe\" "
    "HOSTID=ANY SIGN=\"0CCC 87EA 9BB6 256E\"\n")


def _from_lmgrd(rep) -> bool:
    return rep["license"] is not None and rep["license"]["source"].startswith("lmgrd -c")


def test_license_from_the_environment_and_from_flexlmrc(tmp_path):
    lic = write_license(tmp_path / "env.lic", 27000, 27001, host="your_server_name1")
    code, rep = check_json(["--timeout", "0.5"], tmp_path, SIGASI_LM_LICENSE_FILE=str(lic))
    assert {"path": str(lic), "source": "SIGASI_LM_LICENSE_FILE (environment)"} in rep["license_candidates"]
    if not _from_lmgrd(rep):  # a running lmgrd (another test's) would come first
        assert rep["license"] == {"path": str(lic), "source": "SIGASI_LM_LICENSE_FILE (environment)"}
        assert with_id(rep, "license.placeholder-host")  # the lint ran on it
    (tmp_path / ".flexlmrc").write_text(f"SIGASI_LM_LICENSE_FILE={lic}\n")
    code, rep = check_json(["--timeout", "0.5"], tmp_path)
    assert {"path": str(lic), "source": "SIGASI_LM_LICENSE_FILE (~/.flexlmrc)"} in rep["license_candidates"]


def test_absurdly_long_environment_variable(tmp_path):
    value = "/nonexistent/" + "x" * 100_000
    code, rep = check_json(["--timeout", "0.5"], tmp_path, LM_LICENSE_FILE=value, SIGASI_LM_LICENSE_FILE="27000@" +
                           "h" * 60_000)
    assert code in (0, 1, 2)
    assert len(with_id(rep, "searchpath.too-long")) == 2
    blob = json.dumps(rep)
    assert len(blob) < 200_000  # the value is shown cut, not echoed whole


def test_unreadable_or_binary_license_does_not_crash(tmp_path):
    blob = tmp_path / "blob.lic"
    blob.write_bytes(os.urandom(5000) + b"\x00")
    code, rep = check_json(["--license", str(blob), "--timeout", "0.5"], tmp_path)
    assert rep["license"]["path"] == str(blob)
    assert any(f["id"].startswith("license.") for f in rep["findings"])


def test_redact_hides_customer_sign_hosts_and_users(tmp_path):
    lic = tmp_path / "secret.lic"
    lic.write_text(SECRET_LIC)
    cp = run_check(["--license", str(lic), "--timeout", "0.5", "--no-lmutil", "--redact", "--format", "markdown"],
                   tmp_path)
    assert cp.returncode in (0, 1, 2), cp.stderr
    for secret in ("Acme", "Jane Roe", "0CCC 87EA", f"@{HOST} "):
        assert secret not in cp.stdout, secret
    plain = run_check(["--license", str(lic), "--timeout", "0.5", "--no-lmutil", "--format", "markdown"], tmp_path)
    assert f"@{HOST} " in plain.stdout  # the test can fail: without --redact the name is there


def test_progress_line_only_on_a_terminal(tmp_path):
    import pty
    import subprocess

    from .checkhelp import clean_env

    master, slave = pty.openpty()
    try:
        cp = subprocess.run([sys.executable, "-m", "lmdoctor", "check", "--format", "json", "--no-lmutil"],
                            stdout=subprocess.PIPE, stderr=slave, env=clean_env(tmp_path), cwd=str(tmp_path),
                            timeout=60)
    finally:
        os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert b"probes done" in err and b"\r" in err
    json.loads(cp.stdout)  # stdout stays clean data


def test_a_unicode_digit_in_the_search_path_is_a_finding_not_a_traceback(tmp_path):
    # str.isdigit() accepts '²'; int() then raised inside the search-path parser.
    code, rep = check_json(["--timeout", "0.5"], tmp_path, SIGASI_LM_LICENSE_FILE="²@host")
    bad = with_id(rep, "searchpath.bad-port")
    assert bad and "SIGASI_LM_LICENSE_FILE" in bad[0]["title"]


def test_a_bad_server_argument_is_one_line_and_exit_3_for_every_command(tmp_path):
    for argv in (["check", "--server", "²@host"], ["diagnose", "--server", "²@host", "x"],
                 ["check", "--server", "27000@a,27000@b"], ["diagnose", "--server", "99999@licbox", "x"]):
        cp = subprocess.run([sys.executable, "-m", "lmdoctor"] + argv, capture_output=True, text=True,
                            env=clean_env(tmp_path), timeout=60, cwd=str(tmp_path), stdin=subprocess.DEVNULL)
        assert cp.returncode == 3, (argv, cp.stderr)
        last = cp.stderr.strip().splitlines()[-1]  # argparse's usage, then one line naming the problem
        assert "Traceback" not in cp.stderr and argv[2] in last and "--server" in last, cp.stderr
        assert not cp.stdout


def test_diagnose_accepts_at_host_like_check(tmp_path):
    # One validator: '@host' (FlexNet tries 27000-27009) was refused by diagnose and accepted by check.
    cp = subprocess.run([sys.executable, "-m", "lmdoctor", "diagnose", "--server", "@127.0.0.1",
                         "--format", "json", "Exiting due to signal 32"], capture_output=True, text=True,
                        env=clean_env(tmp_path), timeout=60, cwd=str(tmp_path), stdin=subprocess.DEVNULL)
    assert "argument --server" not in cp.stderr and cp.stdout.lstrip().startswith("{"), cp.stderr
