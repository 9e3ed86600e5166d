"""`lmdoctor daemon` as a real subprocess, against the sandbox server and small fake lmgrds.

Each sandbox test replays a scenario with lmdoctor as the one starting lmgrd:
``lmdoctor daemon --license <sandbox license> --lmgrd <sandbox dir>/lmgrd --seconds 3``.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import psutil
import pytest

from lmdoctor.checks.sandbox.common import ENV_PORT_RETRY

REPO = Path(__file__).resolve().parent.parent.parent


def env(**extra: str) -> Dict[str, str]:
    e = {**os.environ, "NO_COLOR": "1"}
    e.update(extra)
    return e


def lmdoctor(*args, timeout: float = 60, **env_extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", "daemon", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=env(**env_extra))


def run_json(info, *extra, **env_extra) -> dict:
    p = lmdoctor("--license", info.license_path, "--lmgrd", info.lmgrd_path, "--seconds", "3", "--format", "json",
                 *extra, **env_extra)
    assert p.returncode in (0, 1, 2), p.stderr
    d = json.loads(p.stdout)
    assert d["exit_code"] == p.returncode
    return d


def ids(d: dict) -> List[str]:
    return [f["id"] for f in d["findings"]]


def statuses(d: dict) -> Dict[str, str]:
    return {f["id"]: f["status"] for f in d["findings"]}


def alive(pid: int) -> bool:
    try:
        p = psutil.Process(pid)
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_run_left_nothing(d: dict) -> None:
    run = d["run"]
    assert run["leftovers"] == []
    assert run["pid"] and not alive(run["pid"])
    # The vendor daemon lmgrd started (its pid is in the transcript) is gone too.
    for ln in d["transcript"]:
        pid = ln.get("groups", {}).get("pid")
        if ln.get("id") == "log.vendor-started" and pid:
            assert not alive(int(pid)), f"vendor daemon {pid} left running"


# ------------------------------------------------------------------ sandbox scenarios
def test_healthy(sandbox_factory):
    info = sandbox_factory("healthy")
    sandbox_factory.last.stop()  # keep its files, free its ports: lmdoctor starts lmgrd itself
    d = run_json(info)
    st = statuses(d)
    assert st["daemon.started"] == "ok"
    assert st["daemon.version-match"] == "ok"
    assert "fail" not in st.values()
    assert d["run"]["stopped_by_us"] is True and d["run"]["stop_reason"] == "seconds"
    assert d["run"]["argv"] == [info.lmgrd_path, "-z", "-c", info.license_path]
    assert any(ln.get("id") == "log.server-started" for ln in d["transcript"])
    # lmgrd's own "EXITING DUE TO SIGNAL 15" is our stop, shown but not held against the server.
    late = [ln for ln in d["transcript"] if ln.get("after_stop")]
    assert all(ln.get("id") != "log.server-started" for ln in late)
    assert "daemon.exited" not in st
    assert_run_left_nothing(d)


def test_duplicate(sandbox_factory):
    info = sandbox_factory("duplicate")
    # The scenario's second lmgrd holds the SERVER port; stop it so lmdoctor's lmgrd takes its place
    # while the first server keeps running.
    assert info.lmgrd_pid and info.first_license_path
    os.kill(info.lmgrd_pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while alive(info.lmgrd_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    d = run_json(info)
    st = statuses(d)
    assert st["daemon.another-server"] == "fail"
    assert "daemon.started" not in st
    assert d["exit_code"] == 2
    assert_run_left_nothing(d)


def test_server_port_in_use(sandbox_factory):
    info = sandbox_factory("server-port-in-use", port_retry=1.0)
    assert info.holder_pids and all(alive(p) for p in info.holder_pids)
    d = run_json(info, **{ENV_PORT_RETRY: "1"})
    st = statuses(d)
    assert st["daemon.port-in-use"] == "fail"
    port_f = next(f for f in d["findings"] if f["id"] == "daemon.port-in-use")
    assert str(info.lmgrd_port) in port_f["title"]
    assert "daemon.started" not in st
    assert_run_left_nothing(d)
    assert all(alive(p) for p in info.holder_pids), "lmdoctor must not kill what it did not start"


def test_no_server_lines(sandbox_factory):
    info = sandbox_factory("no-server-lines")
    d = run_json(info)
    assert ids(d)[0] == "daemon.no-server-lines"
    assert statuses(d)["daemon.exited"] == "fail"
    assert d["run"]["stopped_by_us"] is False and d["run"]["stop_reason"] == "exited"
    assert d["exit_code"] == 2


def test_wrong_hostid(sandbox_factory):
    info = sandbox_factory("wrong-hostid")
    d = run_json(info)
    assert ids(d)[0] == "daemon.wrong-hostid"
    assert "daemon.started" not in ids(d)
    assert d["exit_code"] == 2


def test_placeholder_host(sandbox_factory):
    info = sandbox_factory("placeholder-host")
    d = run_json(info)
    assert ids(d)[0] == "daemon.wrong-host"
    assert d["exit_code"] == 2


def test_old_lmgrd_version_mismatch(sandbox_factory):
    info = sandbox_factory("old-lmgrd")
    sandbox_factory.last.stop()
    d = run_json(info, "--seconds", "1")
    assert statuses(d)["daemon.version-mismatch"] == "fail"


def test_text_output_has_transcript_then_verdict(sandbox_factory):
    info = sandbox_factory("no-server-lines")
    p = lmdoctor("--license", info.license_path, "--lmgrd", info.lmgrd_path, "--seconds", "3")
    assert p.returncode == 2, p.stderr
    out = p.stdout
    assert out.startswith("Transcript (")
    assert out.index("-13,66") < out.index("[daemon]") < out.index("daemon.no-server-lines")
    assert "Summary:" in out.splitlines()[-1]


def test_markdown_output(sandbox_factory):
    info = sandbox_factory("wrong-hostid")
    p = lmdoctor("--license", info.license_path, "--lmgrd", info.lmgrd_path, "--seconds", "3",
                 "--format", "markdown")
    assert p.returncode == 2
    assert "```text" in p.stdout and "daemon.wrong-hostid" in p.stdout


# ------------------------------------------------------------------ CLI behaviour with a fake lmgrd
def _fake(tmp_path: Path) -> Path:
    pids = tmp_path / "pids"
    lm = tmp_path / "lmgrd"
    lm.write_text("#!/bin/sh\n"
                  f"echo $$ >> '{pids}'\n"
                  f"sleep 1000 & echo $! >> '{pids}'\n"
                  "echo '10:00:00 (lmgrd) lmgrd tcp-port 27000'\n"
                  "echo '10:00:01 (sigasi) Server started on h for:\tcom.sigasi.hdt'\n"
                  "wait\n")
    lm.chmod(0o755)
    (tmp_path / "sigasi.lic").write_text("SERVER h ANY 27000\nDAEMON sigasi\n")
    return lm


def test_ctrl_c_stops_lmgrd_and_prints_what_was_captured(tmp_path):
    _fake(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "lmdoctor", "daemon", "--license", str(tmp_path / "sigasi.lic"),
                             "--seconds", "120", "--live", "--no-versions", "--format", "json"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    try:
        # Wait for the live transcript to show the vendor daemon up, then press "Ctrl-C".
        seen = b""
        while b"Server started" not in seen:
            line = proc.stderr.readline()
            assert line, "lmdoctor ended before the daemon started: " + seen.decode(errors="replace")
            seen += line
        proc.send_signal(signal.SIGINT)
        out, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    d = json.loads(out)
    assert d["run"]["stop_reason"] == "interrupted"
    assert "daemon.interrupted" in ids(d)
    assert [ln["text"] for ln in d["transcript"]][:2] == ["10:00:00 (lmgrd) lmgrd tcp-port 27000",
                                                          "10:00:01 (sigasi) Server started on h for:\tcom.sigasi.hdt"]
    pids = [int(x) for x in (tmp_path / "pids").read_text().split()]
    assert len(pids) == 2 and not [p for p in pids if alive(p)]
    assert proc.returncode == 0


def test_sigterm_to_lmdoctor_also_stops_lmgrd(tmp_path):
    lm = _fake(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "lmdoctor", "daemon", "--license", str(tmp_path / "sigasi.lic"),
                             "--lmgrd", str(lm), "--seconds", "120", "--live", "--no-versions"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    try:
        while b"Server started" not in proc.stderr.readline():
            assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"daemon.interrupted" in out
    pids = [int(x) for x in (tmp_path / "pids").read_text().split()]
    assert not [p for p in pids if alive(p)]


def test_live_lines_go_to_stderr_only_when_asked(tmp_path):
    _fake(tmp_path)
    lic = str(tmp_path / "sigasi.lic")
    quiet = lmdoctor("--license", lic, "--seconds", "0.5", "--no-versions")
    assert "Server started" not in quiet.stderr and "Server started" in quiet.stdout
    live = lmdoctor("--license", lic, "--seconds", "0.5", "--no-versions", "--live")
    assert "Server started" in live.stderr and "Server started" in live.stdout


def test_usage_errors_exit_3(tmp_path):
    assert lmdoctor("--license", tmp_path / "missing.lic").returncode == 3
    (tmp_path / "x.lic").write_text("SERVER h ANY 27000\n")
    p = lmdoctor("--license", tmp_path / "x.lic", "--lmgrd", tmp_path / "no-lmgrd")
    assert p.returncode == 3 and "lmgrd not found" in p.stderr
    p = lmdoctor("--license", tmp_path / "x.lic", "--lmgrd", tmp_path / "x.lic", "--seconds", "-1")
    assert p.returncode == 3
    p = lmdoctor("--license", tmp_path / "x.lic", "--lmgrd", tmp_path / "x.lic", "--seconds", "1")
    assert p.returncode == 2 and "daemon.not-executable" in p.stdout  # 0644 license given as lmgrd


@pytest.mark.skipif(not os.path.exists("/bin/true"), reason="needs /bin/true")
def test_lsb_loader_missing_through_the_cli(tmp_path):
    from lmdoctor.checks.flexnet.daemon import elf_interpreter
    src = "/bin/true"
    interp = elf_interpreter(src)
    if not interp:
        pytest.skip("no ELF interpreter on /bin/true")
    data = bytearray(Path(src).read_bytes())
    old = interp.encode()
    new = b"/no/ld-lsb.so.3"
    i = data.find(old + b"\0")
    data[i:i + len(old)] = new + b"\0" * (len(old) - len(new))
    lm = tmp_path / "lmgrd"
    lm.write_bytes(bytes(data))
    lm.chmod(0o755)
    (tmp_path / "x.lic").write_text("SERVER h ANY 27000\n")
    p = lmdoctor("--license", tmp_path / "x.lic", "--lmgrd", lm, "--format", "json")
    assert p.returncode == 2
    d = json.loads(p.stdout)
    assert ids(d) == ["daemon.lsb-loader-missing"]
    assert "ln -s ld-linux-x86-64.so.2 ld-lsb-x86-64.so.3" in d["findings"][0]["fix"]
