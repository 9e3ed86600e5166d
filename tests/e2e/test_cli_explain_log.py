"""`lmdoctor explain` and `lmdoctor log` as a user runs them: real subprocesses, stdout, exit codes, JSON."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

PY = sys.executable


def lmd(*args, stdin=None, timeout=60):
    return subprocess.run([PY, "-m", "lmdoctor", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def test_explain_bare_and_full_codes():
    r = lmd("explain", "-15")
    assert r.returncode == 2 and "Cannot connect to license server system" in r.stdout
    r = lmd("explain", "-18,327:10054")
    assert r.returncode == 2, r.stderr
    assert "Minor 327" in r.stdout and "WSAECONNRESET" in r.stdout


def test_explain_json():
    r = lmd("explain", '(-15,570:115 "Operation now in progress")', "--format", "json")
    d = json.loads(r.stdout)
    assert d["command"] == "explain" and d["exit_code"] == r.returncode == 2
    (f,) = d["findings"]
    assert f["id"] == "explain.code" and "EINPROGRESS" in f["detail"]


def test_explain_exit_signal_and_stdin():
    r = lmd("explain", "EXITING", "DUE", "TO", "SIGNAL", "41", "Exit", "reason", "9")
    assert r.returncode == 2 and "explain.exit-signal" in r.stdout and "another license server" in r.stdout
    r = lmd("explain", "-", "--format", "json",
            stdin="17:09:32 (lmgrd) MSC exited with status 25 (Invalid host)\nInternal Flexlm Error\n")
    ids = {f["id"] for f in json.loads(r.stdout)["findings"]}
    assert ids == {"explain.exit-signal", "explain.message.msg.internal-flexlm-error"}


def test_explain_harmless_probe_exits_zero():
    line = ('9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.preview" (PORT_AT_HOST_PLUS   ) u@m  '
            '(License server system does not support this feature. (-18,327:10054 ""))')
    r = lmd("explain", line)
    assert r.returncode == 0, r.stdout
    assert "harmless" in r.stdout


def test_explain_nothing_recognised_exits_3():
    r = lmd("explain", "hello", "world")
    assert r.returncode == 3 and r.stdout == ""
    assert "nothing recognised" in r.stderr
    r = lmd("explain")
    assert r.returncode == 3


def test_explain_help_documents_exit_codes():
    r = lmd("explain", "--help")
    assert r.returncode == 0 and "nothing in the text was recognised" in r.stdout


@pytest.mark.realworld
def test_log_windows_exit_reason(realworld):
    r = lmd("log", str(realworld / "logs" / "lutzpeschlow__parse_lmgrd_log__lmgrd_anonym.log"), "--format", "json")
    assert r.returncode == 2, r.stderr
    d = json.loads(r.stdout)
    exits = [f for f in d["findings"] if f["id"] == "log.exit"]
    assert exits and all("wrong host" in f["title"] for f in exits)
    assert any("Invalid host" in f["title"] for f in exits)


@pytest.mark.realworld
def test_log_denied_text(realworld):
    r = lmd("log", str(realworld / "logs" / "ImSukh__FlexLM-Log-Parser__debug.log"))
    assert r.returncode == 1, r.stderr
    assert "2 license request(s) denied" in r.stdout and "TonyMontana@ANOTHERONE: 2" in r.stdout


@pytest.mark.realworld
def test_log_from_stdin_and_since(realworld):
    sample = realworld / "logs" / "sergioedo__flexlm-license-elk__sample.log"
    data = sample.read_text(encoding="utf-8", errors="replace")
    r = lmd("log", "-", "--since", "2016-04-29", "--format", "json", stdin=data)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    summ = next(f for f in d["findings"] if f["id"] == "log.summary")
    assert "Only lines from 2016-04-29" in summ["detail"]


def test_log_errors_exit_3(tmp_path):
    r = lmd("log", str(tmp_path / "missing.log"))
    assert r.returncode == 3 and "not found" in r.stderr
    r = lmd("log", str(tmp_path))
    assert r.returncode == 3 and "directory" in r.stderr
    r = lmd("log", "-", "--since", "someday", stdin="")
    assert r.returncode == 3 and "--since" in r.stderr


def test_log_binary_garbage_does_not_crash(tmp_path):
    p = tmp_path / "garbage.log"
    p.write_bytes(bytes(range(256)) * 400 + b"\r\n\x00\xff" * 100)
    r = lmd("log", str(p), "--format", "json")
    # Nothing in it is a log line: named as binary on stderr, exit 3, no traceback.
    assert r.returncode == 3 and "binary" in r.stderr and "Traceback" not in r.stderr


def test_log_with_a_crash_hole_of_nul_bytes_is_still_read(tmp_path):
    p = tmp_path / "debug.log"
    p.write_bytes(b"10:00:00 (lmgrd) TIMESTAMP 1/2/2024\n" + b"\x00" * 4096
                  + b"\n10:00:01 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9\n")
    r = lmd("log", str(p), "--format", "json")
    assert r.returncode == 2, r.stderr
    assert any(f["id"] == "log.exit" for f in json.loads(r.stdout)["findings"])


def test_log_follow_sees_appended_lines_and_stops_on_ctrl_c(tmp_path):
    p = tmp_path / "debug.log"
    p.write_text("10:00:00 (lmgrd) TIMESTAMP 1/2/2024\n")
    proc = subprocess.Popen([PY, "-m", "lmdoctor", "log", str(p), "--follow"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        with open(p, "a") as fh:
            fh.write("10:00:05 (lmgrd) The TCP port number in the license, 27000, is already in use.\n")
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "already in use" in line or "port" in line.lower():
                break
        assert "License port already in use" in line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 2, err
        assert "log.port-in-use" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
