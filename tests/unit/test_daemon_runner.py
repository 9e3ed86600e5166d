"""The daemon runner against small fake lmgrd programs written into tmp_path.

The fakes print canned FlexNet start-up lines the way lmgrd -z does and then behave
badly in the ways real daemons do: ignore SIGTERM, spawn children that ignore it too,
leave the process group, exit with -13,66. Every test checks that nothing it started
is still running afterwards (zombies count as gone: PID 1 here may not reap them).
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import List

import psutil
import pytest

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.daemon import (
    DaemonRun,
    DaemonRunner,
    diagnose_daemon,
    elf_interpreter,
    find_lmgrd,
    launch_failure,
    preflight,
    verdict,
)
from lmdoctor.checks.runtime import CancelToken


def run_daemon(license_path, lmgrd, on_line=None, cancel=None, stop_when=None, **settings) -> DaemonRun:
    return DaemonRunner(license_path, lmgrd, **settings).run(on_line=on_line, cancel=cancel, stop_when=stop_when)


STARTUP = [
    "10:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 275384 x64_lsb) started on myhost (linux) (1/2/2025)",
    "10:00:00 (lmgrd) License file(s): sigasi.lic",
    "10:00:00 (lmgrd) lmgrd tcp-port 27000",
    "10:00:00 (lmgrd) Starting vendor daemons ... ",
    "10:00:00 (lmgrd) Started sigasi (internet tcp_port 27001 pid 4242)",
    "10:00:01 (sigasi) Server started on myhost for:\tcom.sigasi.hdt",
]


def sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def write_exe(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def echo_lines(lines: List[str]) -> str:
    return "".join(f"printf '%s\\n' {sh_quote(ln)}\n" for ln in lines)


def fake_lmgrd(tmp_path: Path, body: str, lines: List[str] = STARTUP, name: str = "lmgrd", pre: str = "") -> Path:
    """A /bin/sh lmgrd: records its pid, runs ``pre``, prints ``lines``, then runs ``body``."""
    pids = tmp_path / "pids"
    text = "#!/bin/sh\n" + f"echo $$ >> {sh_quote(str(pids))}\n" + pre + echo_lines(lines) + body + "\n"
    return write_exe(tmp_path / name, text)


def license_file(tmp_path: Path) -> Path:
    p = tmp_path / "sigasi.lic"
    p.write_text("SERVER localhost ANY 27000\nDAEMON sigasi port=27001\n"
                 "INCREMENT com.sigasi.hdt sigasi 4.0 1-jan-0 4 SIGN=0\n")
    return p


def recorded_pids(tmp_path: Path) -> List[int]:
    f = tmp_path / "pids"
    if not f.exists():
        return []
    return [int(x) for x in f.read_text().split() if x.strip().isdigit()]


def running(pid: int) -> bool:
    try:
        p = psutil.Process(pid)
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(tmp_path: Path, extra: List[int] = ()) -> None:
    pids = recorded_pids(tmp_path) + list(extra)
    alive = [p for p in pids if running(p)]
    # Clean up before failing so one broken test does not leak into the others.
    for p in alive:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    assert not alive, f"left running: {alive}"


def server_started(ln) -> bool:
    return ln.id == "log.server-started"


# ------------------------------------------------------------------ healthy start and stop
def test_healthy_run_streams_classified_lines_and_stops(tmp_path):
    # The "vendor daemon" is spawned before the start-up lines, so its pid is on file when we stop.
    lmgrd = fake_lmgrd(tmp_path, "wait", pre=f"sleep 1000 &\necho $! >> {sh_quote(str(tmp_path / 'pids'))}\n")
    lic = license_file(tmp_path)
    seen = []
    run = run_daemon(str(lic), str(lmgrd), seconds=30, on_line=seen.append, stop_when=server_started, grace=2)
    assert [ln.text for ln in seen] == STARTUP
    assert [ln.id for ln in seen] == ["log.startup", "log.license-files", "log.lmgrd-port",
                                      "log.starting-vendors", "log.vendor-started", "log.server-started"]
    assert all(ln.time and ln.offset >= 0 for ln in seen)
    assert run.argv == [str(lmgrd), "-z", "-c", str(lic)]
    assert run.pid == recorded_pids(tmp_path)[0]
    assert run.stopped_by_us and run.stop_reason == "stop-condition"
    assert run.exit_signal == signal.SIGTERM
    assert len(recorded_pids(tmp_path)) == 2  # lmgrd and its "vendor daemon"
    assert_all_gone(tmp_path)
    ids = [f.id for f in verdict(run)]
    assert ids[0] == "daemon.started"
    assert not [f for f in verdict(run) if f.status is Status.FAIL]


def test_seconds_limit_stops_a_quiet_daemon(tmp_path):
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000", lines=STARTUP[:3])
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=0.5, grace=2)
    assert run.stop_reason == "seconds" and run.stopped_by_us
    assert [f.id for f in verdict(run) if f.status is not Status.INFO] == ["daemon.vendor-not-started"]
    assert_all_gone(tmp_path)


# ------------------------------------------------------------------ stubborn daemons
def test_sigterm_ignoring_daemon_and_child_are_killed(tmp_path):
    pids = sh_quote(str(tmp_path / "pids"))
    body = (f"trap '' TERM\n"
            f"sh -c 'trap \"\" TERM; while :; do sleep 1; done' &\necho $! >> {pids}\n"
            f"printf '%s\\n' 'ready'\n"
            "while :; do sleep 1; done")
    lmgrd = fake_lmgrd(tmp_path, body)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30, grace=0.3,
                     stop_when=lambda ln: ln.text == "ready")
    assert run.stopped_by_us
    assert run.escalated, "SIGTERM was ignored, so SIGKILL must have been needed"
    assert run.exit_signal == signal.SIGKILL
    assert len(recorded_pids(tmp_path)) == 2
    assert run.leftovers == []
    assert_all_gone(tmp_path)


def test_daemon_that_leaves_the_process_group_is_still_killed(tmp_path):
    # A vendor daemon that calls setsid() is out of lmgrd's group: only the recorded
    # descendants list can find it.
    escaper = write_exe(tmp_path / "escaper", f"""#!{sys.executable}
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.setsid()
with open({str(tmp_path / 'pids')!r}, 'a') as fh:
    fh.write(str(os.getpid()) + '\\n')
with open({str(tmp_path / 'escaped')!r}, 'w') as fh:
    fh.write(str(os.getpgid(0)))
while True:
    time.sleep(1)
""")
    body = (f"{sh_quote(str(escaper))} &\n"
            f"while [ ! -e {sh_quote(str(tmp_path / 'escaped'))} ]; do sleep 0.05; done\n"
            "printf '%s\\n' 'ready'\nwait")
    lmgrd = fake_lmgrd(tmp_path, body)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30, grace=0.3,
                     stop_when=lambda ln: ln.text == "ready")
    pids = recorded_pids(tmp_path)
    assert len(pids) == 2
    assert int((tmp_path / "escaped").read_text()) != pids[0]  # it really left lmgrd's group
    assert pids[1] in run.descendants
    assert pids[1] in run.signalled
    assert_all_gone(tmp_path)


@pytest.mark.slow
def test_hundred_start_stop_cycles_leave_nothing_running(tmp_path):
    pids = sh_quote(str(tmp_path / "pids"))
    lmgrd = fake_lmgrd(tmp_path, "wait", pre=f"sleep 1000 &\necho $! >> {pids}\n")
    lic = str(license_file(tmp_path))
    reasons = set()
    for _ in range(100):
        run = run_daemon(lic, str(lmgrd), seconds=30, grace=2, stop_when=server_started)
        reasons.add(run.stop_reason)
        assert run.leftovers == []
    assert reasons == {"stop-condition"}
    assert len(recorded_pids(tmp_path)) == 200
    assert_all_gone(tmp_path)


def test_cancel_token_from_another_thread_stops_the_run(tmp_path):
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000")
    token = CancelToken()

    def on_line(ln):
        if ln.id == "log.server-started":
            threading.Thread(target=token.cancel).start()

    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=60, cancel=token, on_line=on_line)
    assert run.stop_reason == "cancelled" and run.stopped_by_us
    assert_all_gone(tmp_path)


def test_ctrl_c_stops_cleanly_and_returns_what_was_captured(tmp_path):
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        pytest.skip("signals need the main thread")
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000")

    def on_line(ln):
        if ln.id == "log.server-started":
            os.kill(os.getpid(), signal.SIGINT)

    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=60, on_line=on_line)
    finally:
        signal.signal(signal.SIGINT, old)
    assert run.stop_reason == "interrupted"
    assert [ln.text for ln in run.lines] == STARTUP
    assert "daemon.interrupted" in [f.id for f in verdict(run)]
    assert_all_gone(tmp_path)


def test_callback_error_still_stops_everything(tmp_path):
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000")

    def boom(_ln):
        raise RuntimeError("view crashed")

    with pytest.raises(RuntimeError):
        run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=60, on_line=boom)
    assert recorded_pids(tmp_path)
    assert_all_gone(tmp_path)


# ------------------------------------------------------------------ failures lmgrd reports
NO_SERVER = [
    "10:00:00 (lmgrd) license manager: can't initialize:No SERVER lines in license file.",
    '10:00:00 (lmgrd) License Path: "/tmp/sigasi.lic"',
    "10:00:00 (lmgrd) FlexNet Licensing error:-13,66",
]


def test_exit_with_no_server_lines(tmp_path):
    lmgrd = fake_lmgrd(tmp_path, "exit 1", lines=NO_SERVER)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30)
    assert run.stop_reason == "exited" and not run.stopped_by_us
    assert run.exit_status == 1
    fs = verdict(run)
    ids = [f.id for f in fs]
    assert ids[0] == "daemon.no-server-lines"
    assert "daemon.exited" in ids
    exited = next(f for f in fs if f.id == "daemon.exited")
    assert "status 1" in exited.detail
    assert "daemon.started" not in ids
    assert_all_gone(tmp_path)


def test_another_server_decoded_from_exit_signal(tmp_path):
    lines = STARTUP[:5] + [
        "10:00:01 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9",
        "10:00:01 (lmgrd) sigasi exited with status 41 (Exited because another server was running)",
        '10:00:01 (lmgrd) MULTIPLE "sigasi" license server systems running.',
    ]
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000", lines=lines)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30,
                     stop_when=lambda ln: ln.id == "log.multiple-servers")
    fs = verdict(run)
    ids = [f.id for f in fs]
    assert "daemon.another-server" in ids
    assert "daemon.started" not in ids
    assert "daemon.exited" not in ids  # the exit is explained by the other server, not repeated
    assert_all_gone(tmp_path)


def test_vendor_exit_reason_is_decoded(tmp_path):
    lines = STARTUP[:5] + ["10:00:01 (sigasi) EXITING DUE TO SIGNAL 36 Exit reason 4",
                           "10:00:01 (lmgrd) sigasi exited with status 36"]
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000", lines=lines)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30,
                     stop_when=lambda ln: ln.id == "log.vendor-exited")
    ex = [f for f in verdict(run) if f.id == "daemon.exited"]
    assert len(ex) == 1 and ex[0].status is Status.FAIL
    assert "no features to serve" in ex[0].detail
    assert ex[0].fix
    assert_all_gone(tmp_path)


@pytest.mark.parametrize("lines,expected", [
    (["10:00:00 (lmgrd) The TCP port number in the license, 27000, is already in use.",
      "10:00:00 (lmgrd) Retrying for about 5 more minutes"], "daemon.port-in-use"),
    (["10:00:00 (lmgrd) Wrong hostid on SERVER line for license file:", "10:00:00 (lmgrd) \t/tmp/sigasi.lic"],
     "daemon.wrong-hostid"),
    (["10:00:00 (lmgrd) Not a valid server hostname, exiting."], "daemon.wrong-host"),
    (["10:00:00 (lmgrd) Can't make directory /usr/tmp/.flexlm, errno: 2(No such file or directory)"],
     "daemon.lock-dir"),
])
def test_failures_lmgrd_prints(tmp_path, lines, expected):
    lmgrd = fake_lmgrd(tmp_path, "exit 1", lines=lines)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30)
    fs = verdict(run)
    assert fs[0].id == expected and fs[0].status is Status.FAIL
    assert fs[0].evidence_lines
    assert_all_gone(tmp_path)


def test_unsupported_sigasi_probes_are_harmless_but_others_warn(tmp_path):
    lines = STARTUP + [
        '9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) u@h  '
        '(License server system does not support this feature. (-18,327:10054 ""))',
        '9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.preview" (PORT_AT_HOST_PLUS   ) u@h  '
        '(License server system does not support this feature. (-18,327:10054 ""))',
        '9:14:48 (sigasi) UNSUPPORTED: "com.other.thing" (PORT_AT_HOST_PLUS   ) u@h  (x (-18,327:10054 ""))',
        '9:14:49 (sigasi) DENIED: "com.sigasi.hdt" u@h  (Licensed number of users already reached. (-4,342))',
        "9:14:50 (sigasi) some line nobody knows",
    ]
    lmgrd = fake_lmgrd(tmp_path, "exec sleep 1000", lines=lines)
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30,
                     stop_when=lambda ln: "nobody knows" in ln.text)
    fs = {f.id: f for f in verdict(run)}
    assert fs["daemon.unsupported-harmless"].status is Status.INFO
    assert len(fs["daemon.unsupported-harmless"].evidence_lines) == 2
    assert fs["daemon.unsupported"].status is Status.WARN and "com.other.thing" in fs["daemon.unsupported"].title
    assert fs["daemon.denied"].status is Status.WARN
    assert fs["daemon.unrecognised-lines"].evidence_lines == ["9:14:50 (sigasi) some line nobody knows"]
    assert fs["daemon.started"].status is Status.OK
    assert_all_gone(tmp_path)


def test_lines_without_newline_and_crlf_are_kept(tmp_path):
    body = "printf 'one\\r\\ntwo\\rTWO\\nlast-without-newline'\nexit 0"
    lmgrd = fake_lmgrd(tmp_path, body, lines=[])
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30)
    assert [ln.text for ln in run.lines] == ["one", "TWO", "last-without-newline"]
    assert run.exit_status == 0


def test_binary_garbage_output_does_not_break_the_run(tmp_path):
    body = "head -c 20000 /dev/urandom\nprintf '\\n'\nexit 3"
    lmgrd = fake_lmgrd(tmp_path, body, lines=[])
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=30)
    assert run.exit_status == 3
    assert run.lines
    assert all(len(ln.text) <= 8192 for ln in run.lines)
    assert "daemon.exited" in [f.id for f in verdict(run)]


# ------------------------------------------------------------------ launch failures
def test_non_executable_file(tmp_path):
    lmgrd = tmp_path / "lmgrd"
    lmgrd.write_text("#!/bin/sh\necho hi\n")
    lmgrd.chmod(0o644)
    lic = str(license_file(tmp_path))
    if os.access(str(lmgrd), os.X_OK):  # pragma: no cover - root ignores mode bits for x only if some x is set
        pytest.skip("this user can execute a 0644 file")
    f = preflight(str(lmgrd))
    assert f is not None and f.id == "daemon.not-executable" and "chmod +x" in f.fix
    run, findings = diagnose_daemon(lic, str(lmgrd), seconds=1)
    assert run.pid is None and [x.id for x in findings] == ["daemon.not-executable"]
    # Without the preflight, the exec error itself is decoded the same way.
    run = run_daemon(lic, str(lmgrd), seconds=1)
    assert run.pid is None and run.stop_reason == "launch-failed"
    assert [x.id for x in verdict(run)] == ["daemon.not-executable"]


def _patched_true(tmp_path: Path) -> Path:
    src = shutil.which("true") or "/bin/true"
    interp = elf_interpreter(src)
    if not interp:
        pytest.skip("/bin/true has no ELF interpreter here")
    data = bytearray(Path(src).read_bytes())
    old = interp.encode()
    missing = b"/no/ld-lsb-x86-64.so.3"
    if len(missing) > len(old):
        missing = b"/no/ld-lsb.so.3"
    assert len(missing) <= len(old)
    i = data.find(old + b"\0")
    assert i > 0
    data[i:i + len(old)] = missing + b"\0" * (len(old) - len(missing))
    dst = tmp_path / "lmgrd"
    dst.write_bytes(bytes(data))
    dst.chmod(0o755)
    assert not os.path.exists(missing.decode())
    return dst


def test_missing_elf_interpreter_is_the_lsb_loader_finding(tmp_path):
    lmgrd = _patched_true(tmp_path)
    assert elf_interpreter(str(lmgrd)).startswith("/no/ld-lsb")
    assert preflight(str(lmgrd)) is None  # the file exists and is executable ...
    run = run_daemon(str(license_file(tmp_path)), str(lmgrd), seconds=1)
    assert run.pid is None and run.launch_errno == 2  # ... yet exec says "No such file or directory"
    fs = verdict(run)
    assert [f.id for f in fs] == ["daemon.lsb-loader-missing"]
    assert "ld-lsb" in fs[0].title and "lsb" in fs[0].fix
    assert fs[0].seed_ref == "Troubleshooting > Floating licenses"


def test_launch_failure_for_a_script_with_missing_interpreter(tmp_path):
    lmgrd = write_exe(tmp_path / "lmgrd", "#!/no/such/interpreter\n")
    f = launch_failure(str(lmgrd), OSError(2, "No such file or directory"))
    assert f.id == "daemon.loader-missing" and "/no/such/interpreter" in f.title


# ------------------------------------------------------------------ locating lmgrd
def test_find_lmgrd_order(tmp_path, monkeypatch):
    lic = license_file(tmp_path)
    given = tmp_path / "elsewhere" / "mylmgrd"
    assert find_lmgrd(str(lic), str(given)).how == "given"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    write_exe(bindir / "lmgrd", "#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(bindir))
    loc = find_lmgrd(str(lic))
    assert (loc.path, loc.how) == (str(bindir / "lmgrd"), "PATH")
    write_exe(tmp_path / "lmgrd", "#!/bin/sh\n")
    loc = find_lmgrd(str(lic))
    assert (loc.path, loc.how) == (str(tmp_path / "lmgrd"), "next to the license")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    (tmp_path / "lmgrd").unlink()
    assert find_lmgrd(str(lic)).path is None


def test_lmgrd_named_in_license_is_never_used(tmp_path, monkeypatch):
    # A license whose DAEMON line points at a binary does not make that binary lmgrd.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    evil = write_exe(tmp_path / "evil", "#!/bin/sh\n")
    lic = tmp_path / "x.lic"
    lic.write_text(f"SERVER h ANY 27000\nDAEMON lmgrd {evil}\n")
    assert find_lmgrd(str(lic)).path is None


def test_daemonrun_json_shape():
    r = DaemonRun(argv=["lmgrd", "-z", "-c", "x"], license="x")
    d = r.to_dict()
    assert d["argv"] == ["lmgrd", "-z", "-c", "x"] and d["stopped_by_us"] is False
