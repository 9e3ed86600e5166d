"""`lmdoctor lmstat` run as a real subprocess: exit codes, JSON shape, text listing, bad input."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
FIX = Path(__file__).resolve().parent.parent / "fixtures" / "lmstat"


def lmdoctor(*args, stdin: bytes = b""):
    import os
    import sys

    # sys.executable is the venv's python (/work/venv/bin/python here, .venv in CI).
    return subprocess.run([sys.executable, "-m", "lmdoctor", "lmstat", *map(str, args)], input=stdin, cwd=REPO,
                          capture_output=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.realworld
def test_json_server_down_triad(realworld):
    p = lmdoctor(realworld / "lmstat" / "mjtrangoni__flexlm_exporter__lmstat_server_down.txt", "--format", "json")
    assert p.returncode == 2, p.stderr
    d = json.loads(p.stdout)
    assert d["command"] == "lmstat" and d["exit_code"] == 2
    block = d["lmstat"]["blocks"][0]
    assert block["quorum"]["up"] == 2 and block["quorum"]["has_quorum"] is True
    host3 = [s for s in block["servers"] if s["host"] == "host3"][0]
    assert host3["up"] is False and host3["error"]["codes"][0]["major"] == -15
    assert "Cannot connect" in host3["error"]["codes"][0]["meaning"]
    fids = {f["id"] for f in d["findings"]}
    assert {"lmstat.server-down", "lmstat.quorum-degraded", "lmstat.version-mismatch"} <= fids
    assert d["lmstat"]["unparsed"] == []


@pytest.mark.realworld
def test_every_realworld_file_through_the_cli(realworld):
    files = sorted((realworld / "lmstat").iterdir()) + sorted((realworld / "other").iterdir())
    for f in files:
        p = lmdoctor(f, "--format", "json", "--today", "2020-01-01")
        assert p.returncode in (0, 1, 2), (f.name, p.stderr)
        d = json.loads(p.stdout)
        assert "lmstat" in d and d["exit_code"] == p.returncode
        assert b"Traceback" not in p.stderr


def test_text_listing_from_stdin_shows_servers_features_and_users():
    p = lmdoctor("-", "--today", "2024-03-05", stdin=(FIX / "sigasi_healthy.txt").read_bytes())
    out = p.stdout.decode()
    assert p.returncode == 1  # com.sigasi.hdt.xl: all licenses in use
    assert "lic1" in out and "UP MASTER" in out and "v11.16.4" in out
    assert "com.sigasi.hdt.xl" in out and "carol@ws-carol" in out and "QUEUED for 1" in out
    assert "[lmstat.all-licenses-in-use]" in out


def test_quorum_lost_fails_and_unparsed_lines_are_listed(tmp_path):
    f = tmp_path / "t.txt"
    f.write_bytes((FIX / "triad_quorum_lost.txt").read_bytes() + b"what is this line\n")
    p = lmdoctor(f)
    out = p.stdout.decode()
    assert p.returncode == 2
    assert "QUORUM LOST" in out and "[lmstat.quorum-lost]" in out
    assert "Not understood:" in out and "what is this line" in out


def test_markdown_format(tmp_path):
    p = lmdoctor(FIX / "version_mismatch.txt", "--format", "markdown")
    assert p.returncode == 1
    assert p.stdout.decode().startswith("## lmdoctor lmstat") and "lmstat.version-mismatch" in p.stdout.decode()


def test_bad_inputs_exit_3(tmp_path):
    missing = lmdoctor(tmp_path / "nope.txt")
    assert missing.returncode == 3 and b"not found" in missing.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n")
    p = lmdoctor(junk)
    assert p.returncode == 3 and b"does not look like lmstat output" in p.stderr and p.stdout == b""
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    p = lmdoctor(binary)
    assert p.returncode == 3 and b"binary" in p.stderr
    p = lmdoctor(FIX / "sigasi_down.txt", "--warn-days", "-1")
    assert p.returncode == 3
    p = lmdoctor(tmp_path)
    assert p.returncode == 3 and b"directory" in p.stderr
