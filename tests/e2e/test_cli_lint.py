"""`lmdoctor lint` as a user runs it: a real subprocess, exit codes 0/1/2/3, JSON/Markdown/text."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmdoctor.checks import __version__

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "licenses"
FIXED = ["--no-host", "--today", "2025-06-01"]


def lint(*args: str, stdin: bytes = b"", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", "lint", *args], input=stdin, capture_output=True,
                          timeout=timeout)


def as_json(proc: subprocess.CompletedProcess) -> dict:
    doc = json.loads(proc.stdout.decode())
    assert doc["lmdoctor"] == __version__
    assert isinstance(doc["findings"], list) and doc["findings"]
    for f in doc["findings"]:
        assert {"id", "status", "title", "detail", "fix", "evidence"} <= set(f)
        assert f["status"] in ("ok", "info", "skip", "warn", "fail")
    return doc


@pytest.mark.parametrize("fixture,code", [
    ("sigasi_floating.lic", 0),
    ("triad.lic", 0),
    ("vendor_no_port.lic", 1),
    ("sigasi_floating_placeholder.lic", 2),
    ("binary.lic", 2),
])
def test_exit_code_contract(fixture, code):
    proc = lint(str(FIX / fixture), "--format", "json", *FIXED)
    assert proc.returncode == code, proc.stderr.decode()
    doc = as_json(proc)
    assert doc["exit_code"] == code
    worst = {f["status"] for f in doc["findings"]}
    assert ("fail" in worst) == (code == 2)
    assert ("warn" in worst) == (code == 1)
    assert proc.stderr == b""


def test_json_findings_carry_file_and_line():
    path = str(FIX / "sigasi_floating_placeholder.lic")
    doc = as_json(lint(path, "--format", "json", *FIXED))
    (hit,) = [f for f in doc["findings"] if f["id"] == "license.placeholder-host"]
    assert hit["line"] == 2 and hit["file"] == path and hit["status"] == "fail"
    assert "your_server_name1" in hit["fix"] and hit["seed_ref"]


def test_stdin():
    data = (FIX / "sigasi_floating_placeholder.lic").read_bytes()
    proc = lint("-", "--format", "json", *FIXED, stdin=data)
    assert proc.returncode == 2
    doc = as_json(proc)
    assert {f.get("file") for f in doc["findings"]} == {"<stdin>"}
    assert any(f["id"] == "license.placeholder-host" and f["line"] == 2 for f in doc["findings"])


def test_stdin_token_pasted():
    proc = lint("-", "--format", "json", *FIXED, stdin=b"3F9A-K2LM-8QXZ-7T4B-W1NP-C6RD\n")
    assert proc.returncode == 2
    assert [f["id"] for f in as_json(proc)["findings"]] == ["license.token-not-key"]


def test_markdown():
    proc = lint(str(FIX / "dates.lic"), "--format", "markdown", *FIXED)
    assert proc.returncode == 2
    out = proc.stdout.decode()
    assert out.startswith("## lmdoctor lint")
    assert "**FAIL**" in out and "**WARN**" in out and "`license.expired`" in out
    assert "dates.lic:3" in out


def test_text_names_line_and_fix():
    proc = lint(str(FIX / "lost_backslash.lic"), *FIXED)
    assert proc.returncode == 2
    out = proc.stdout.decode()
    assert "lost_backslash.lic:5" in out and "fix:" in out and "[license.missing-backslash]" in out


def test_product_version_and_warn_days_options():
    path = str(FIX / "version_old.lic")
    assert lint(path, "--format", "json", *FIXED).returncode == 0
    proc = lint(path, "--format", "json", "--product-version", "5", *FIXED)
    assert proc.returncode == 2
    assert [f["line"] for f in as_json(proc)["findings"] if f["id"] == "license.version-too-old"] == [3]
    # 31-dec-2030 is 2039 days after 2025-06-01: inside a 3000-day window.
    proc = lint(path, "--format", "json", "--warn-days", "3000", *FIXED)
    assert proc.returncode == 1
    assert {f["id"] for f in as_json(proc)["findings"] if f["status"] == "warn"} == {"license.expiring"}


def test_on_client_asks_for_use_server():
    proc = lint(str(FIX / "client_counted.lic"), "--format", "json", "--on-client", *FIXED)
    assert proc.returncode == 1
    assert [f["id"] for f in as_json(proc)["findings"] if f["status"] == "warn"] == ["license.client-no-use-server"]


def test_real_host_identity_runs():
    # Without --no-host lint reads this machine's names and MACs; the placeholder is still reported.
    proc = lint(str(FIX / "sigasi_floating_placeholder.lic"), "--format", "json", "--today", "2012-11-01")
    assert proc.returncode == 2
    assert any(f["id"] == "license.placeholder-host" for f in as_json(proc)["findings"])


def test_missing_file_exits_3(tmp_path):
    proc = lint(str(tmp_path / "nope.lic"), "--format", "json")
    assert proc.returncode == 3
    assert proc.stdout == b""
    assert b"not found" in proc.stderr and b"nope.lic" in proc.stderr


def test_directory_exits_3(tmp_path):
    proc = lint(str(tmp_path))
    assert proc.returncode == 3 and b"directory" in proc.stderr and proc.stdout == b""


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_exits_3(tmp_path):
    p = tmp_path / "locked.lic"
    p.write_bytes((FIX / "sigasi_floating.lic").read_bytes())
    p.chmod(0)
    try:
        proc = lint(str(p))
    finally:
        p.chmod(0o600)
    assert proc.returncode == 3 and b"permission denied" in proc.stderr


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_file_that_cannot_be_read_exits_3():
    # /proc/self/mem opens (even for root) but reading offset 0 fails with EIO.
    proc = lint("/proc/self/mem")
    assert proc.returncode == 3 and b"cannot read" in proc.stderr and proc.stdout == b""


def test_bad_arguments_exit_3():
    assert lint(str(FIX / "sigasi_floating.lic"), "--today", "yesterday").returncode == 3
    assert lint(str(FIX / "sigasi_floating.lic"), "--on-server", "--on-client").returncode == 3
    assert lint().returncode == 3
    assert lint(str(FIX / "sigasi_floating.lic"), "--warn-days", "-5").returncode == 3
    assert lint(str(FIX / "sigasi_floating.lic"), "--product-version", "five").returncode == 3


def test_help():
    proc = lint("--help")
    assert proc.returncode == 0 and b"--product-version" in proc.stdout and b"--on-server" in proc.stdout
