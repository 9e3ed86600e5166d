"""`sandbox start` validates first, stops what it started on every failure, locks its directory, says
at once when its port is taken, keeps its state in the user's state directory (atomically, never through a
symlink), and handles directories whose names are not UTF-8."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import psutil
import pytest

from lmdoctor.checks.sandbox import sandbox as sandbox_mod
from lmdoctor.checks.sandbox.sandbox import Sandbox, SandboxError


def lmdoctor(*args, env=None, timeout=90):
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], capture_output=True, timeout=timeout, env=env)


def procs_in(d) -> List[psutil.Process]:
    key = os.fsencode(str(d))
    out = []
    for p in psutil.process_iter(["name", "cmdline", "status"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(key in os.fsencode(a) for a in p.info["cmdline"] or []):
                out.append(p)
        except psutil.Error:
            continue
    return out


def nothing_left(d, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while procs_in(d) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not procs_in(d)


@pytest.fixture
def state_env(tmp_path, monkeypatch):
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return dict(os.environ, XDG_STATE_HOME=str(state))


def test_bad_timeouts_are_refused_before_anything_starts(tmp_path, state_env):
    d = tmp_path / "sb"
    for bad in (["--timeout", "-1"], ["--timeout", "nan"], ["--timeout", "0"], ["--port-retry", "-2"]):
        cp = lmdoctor("sandbox", "start", "--dir", str(d), *bad, env=state_env)
        assert cp.returncode == 3 and b"Traceback" not in cp.stderr, (bad, cp.stderr)
        assert not procs_in(d), bad
    with pytest.raises(SandboxError, match="--timeout"):
        Sandbox(str(d)).start("healthy", timeout=-1)
    assert not procs_in(d) and not (d / "lmgrd").exists()


def test_a_scenario_that_does_not_settle_in_time_is_stopped(tmp_path, state_env):
    d = tmp_path / "slow"
    cp = lmdoctor("sandbox", "start", "--dir", str(d), "--timeout", "0.05", env=state_env)
    assert cp.returncode == 3 and b"was stopped" in cp.stderr, cp.stderr
    assert nothing_left(d)


def test_a_failure_while_starting_stops_what_was_started(tmp_path, monkeypatch):
    sb = Sandbox(str(tmp_path / "boom"))

    def boom(*_a, **_k):
        raise RuntimeError("probe failed")

    monkeypatch.setattr(sb, "_probe", boom)  # the last step of a scenario that probes: lmgrd already runs
    with pytest.raises(RuntimeError):
        sb.start("unsupported-probe", timeout=30)
    assert nothing_left(sb.dir)


def test_two_starts_in_one_directory_one_wins_the_other_names_it(tmp_path, state_env):
    d = tmp_path / "shared"
    cmd = [sys.executable, "-m", "lmdoctor", "sandbox", "start", "--dir", str(d), "--format", "json"]
    ps = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=state_env) for _ in range(2)]
    try:
        outs = [p.communicate(timeout=90) for p in ps]
        codes = sorted(p.returncode for p in ps)
        assert codes == [0, 3], [o[1] for o in outs]
        loser = next(o for p, o in zip(ps, outs) if p.returncode == 3)[1].decode()
        assert ("another 'lmdoctor sandbox start' (pid" in loser or "a sandbox is already running in" in loser), loser
        said = [ln for ln in loser.splitlines() if ln.startswith("lmdoctor: ") and "starting sandbox" not in ln]
        assert len(said) == 1, loser
        winner = json.loads(next(o for p, o in zip(ps, outs) if p.returncode == 0)[0])
        lmgrds = [p for p in procs_in(d) if p.info["name"] == "lmgrd"]
        assert [p.pid for p in lmgrds] == [winner["lmgrd_pid"]]
    finally:
        Sandbox(str(d)).stop()
    assert nothing_left(d)


def test_a_taken_port_is_said_at_once(tmp_path, monkeypatch):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    real = sandbox_mod.free_ports
    # Someone takes the port between the pick and lmgrd's bind: the race made certain.
    monkeypatch.setattr(sandbox_mod, "free_ports", lambda n: [port] + real(n - 1))
    sb = Sandbox(str(tmp_path / "busy"))
    t0 = time.monotonic()
    try:
        with pytest.raises(SandboxError) as e:
            sb.start("healthy", timeout=30, port_retry=20)
        took = time.monotonic() - t0
    finally:
        holder.close()
    assert f"port {port} on 127.0.0.1 is taken by pid {os.getpid()}" in str(e.value)
    assert took < 10, took  # not the 20 s retry nor the 30 s timeout
    assert nothing_left(sb.dir)


def test_last_state_goes_to_the_users_state_dir_and_never_through_a_symlink(tmp_path, state_env, monkeypatch):
    state = Path(state_env["XDG_STATE_HOME"]) / "lmdoctor"
    state.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("root's file\n")
    (state / "sandbox-last.json").symlink_to(victim)
    sb = Sandbox(str(tmp_path / "one"))
    try:
        sb.start("healthy")
    finally:
        sb.stop()
    assert victim.read_text() == "root's file\n"
    (state / "sandbox-last.json").unlink()
    sb2 = Sandbox(str(tmp_path / "two"))
    try:
        sb2.start("healthy")
        f = state / "sandbox-last.json"
        assert not f.is_symlink() and oct(f.stat().st_mode & 0o777) == "0o600"
        assert json.loads(f.read_text())["dir"] == sb2.dir and sandbox_mod.last_dir() == sb2.dir
        cp = lmdoctor("sandbox", "stop", env=state_env)  # no --dir: the last one, from the state dir
        assert cp.returncode == 0 and sb2.dir.encode() in cp.stdout
    finally:
        sb2.stop()


def test_a_directory_name_that_is_not_utf8(tmp_path, state_env):
    d = os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9")
    dstr = os.fsdecode(d)
    cp = lmdoctor("sandbox", "start", "--dir", dstr, env=state_env)
    try:
        assert cp.returncode == 0 and b"Traceback" not in cp.stderr, cp.stderr
        assert b"caf\xe9" in cp.stdout  # the name as its own bytes
        st = lmdoctor("sandbox", "status", "--dir", dstr, "--format", "json", env=state_env)
        names = sorted(p["name"] for p in json.loads(st.stdout)["processes"])
        assert names == ["lmgrd", "sigasi"], st.stdout
        lic = os.path.join(dstr, "sigasi.lic")
        dm = lmdoctor("daemon", "--license", lic, "--lmgrd", os.path.join(dstr, "lmgrd"), "--seconds", "1",
                      "--no-versions", "--format", "json", env=state_env)
        assert dm.returncode in (0, 1, 2) and b"Traceback" not in dm.stderr, dm.stderr
        assert json.loads(dm.stdout)["run"]["pid"]
    finally:
        lmdoctor("sandbox", "stop", "--dir", dstr, env=state_env)
    assert nothing_left(dstr)
