"""The one input gate: regular files or '-', refused at once otherwise, a cap per kind, one-line errors."""
from __future__ import annotations

import io
import os
import socket
import threading

import pytest

from lmdoctor.checks import inputgate
from lmdoctor.checks.inputgate import CAPS, ENV_CAP, InputError, Kind, MiB, open_input, open_tail, read_input


def _in_thread(fn, timeout=5.0):
    """Run fn in a thread; fail (instead of hanging the suite) if it blocks."""
    box = {}

    def go():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the gate blocked"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def test_regular_file_is_read_whole(tmp_path):
    p = tmp_path / "a.lic"
    p.write_bytes(b"SERVER host ANY 27000\n")
    assert read_input(str(p), Kind.LICENSE) == b"SERVER host ANY 27000\n"


def test_fifo_is_refused_at_once_without_a_writer(tmp_path):
    fifo = tmp_path / "pipe.lic"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as e:
        _in_thread(lambda: read_input(str(fifo), Kind.LICENSE))
    msg = str(e.value)
    assert "FIFO" in msg and str(fifo) in msg and "\n" not in msg


def test_fifo_swapped_in_after_the_stat_is_refused_by_fstat_without_blocking(tmp_path, monkeypatch):
    # The race between os.stat and open cannot be timed for real; skipping the stat check
    # stands in for it. The O_NONBLOCK open must not wait for a writer, and fstat must refuse.
    fifo = tmp_path / "late.log"
    os.mkfifo(fifo)
    monkeypatch.setattr(inputgate, "check_regular", lambda path, kind: None)
    with pytest.raises(InputError) as e:
        _in_thread(lambda: open_input(str(fifo), Kind.LOG))
    assert "FIFO" in str(e.value)


def test_socket_and_character_device_are_refused(tmp_path):
    sock_path = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock_path))
    try:
        with pytest.raises(InputError, match="a socket, not a regular file"):
            read_input(str(sock_path), Kind.LMSTAT)
    finally:
        s.close()
    for dev in ("/dev/zero", "/dev/urandom", "/dev/null"):
        with pytest.raises(InputError, match="a character device, not a regular file"):
            _in_thread(lambda dev=dev: read_input(dev, Kind.LICENSE))


def test_directory_missing_and_nul_paths_are_one_line_errors(tmp_path):
    cases = [(str(tmp_path), "is a directory"), (str(tmp_path / "nope.lic"), "not found"),
             (str(tmp_path / "nope" / "x"), "not found"), ("a\0b", "NUL")]
    for path, words in cases:
        with pytest.raises(InputError) as e:
            read_input(path, Kind.LICENSE)
        assert words in str(e.value) and "\n" not in str(e.value)


def test_symlink_to_a_regular_file_is_read_and_to_a_fifo_refused(tmp_path):
    real = tmp_path / "real.lic"
    real.write_bytes(b"x")
    (tmp_path / "link.lic").symlink_to(real)
    assert read_input(str(tmp_path / "link.lic"), Kind.LICENSE) == b"x"
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "fifo-link").symlink_to(tmp_path / "fifo")
    with pytest.raises(InputError, match="FIFO"):
        _in_thread(lambda: read_input(str(tmp_path / "fifo-link"), Kind.LICENSE))


def test_a_file_over_the_cap_is_refused_before_reading_naming_the_cap(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CAP, "1")
    p = tmp_path / "big.lic"
    with open(p, "wb") as fh:
        fh.truncate(MiB + 1)  # sparse: the size alone must decide
    with pytest.raises(InputError) as e:
        read_input(str(p), Kind.LICENSE)
    msg = str(e.value)
    assert "1 MiB cap for a license file" in msg and ENV_CAP in msg and "\n" not in msg
    p.write_bytes(b"x" * MiB)  # exactly at the cap: read
    assert len(read_input(str(p), Kind.LICENSE)) == MiB


def test_stdin_is_read_up_to_the_cap_and_refused_past_it(monkeypatch):
    monkeypatch.setenv(ENV_CAP, "1")

    class Endless(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def readinto(self, b):
            n = len(b)
            b[:n] = b"\0" * n
            Endless.served += n
            return n

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    with pytest.raises(InputError, match="standard input is larger than the 1 MiB cap for a text"):
        read_input("-", Kind.TEXT)
    assert Endless.served < 3 * MiB  # it stopped at the cap, not at the end of an endless stream


def test_streamed_reads_stop_at_the_cap(monkeypatch):
    monkeypatch.setenv(ENV_CAP, "1")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"y\n" * MiB)))
    got = 0
    with pytest.raises(InputError, match="cap for a debug log"):
        with open_input("-", Kind.LOG) as fh:
            while fh.read(4096):
                got += 4096
    assert got <= MiB + 4096


def test_closed_stdin_is_an_input_error(monkeypatch):
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(InputError, match="standard input is closed"):
        read_input("-", Kind.TEXT)


def test_caps_are_documented_per_kind_and_the_override_is_validated(monkeypatch):
    assert set(CAPS) == set(Kind)
    assert CAPS[Kind.LICENSE] < CAPS[Kind.LMSTAT] < CAPS[Kind.LOG]
    for bad in ("", "0", "-5", "x", "1e3", "²"):
        monkeypatch.setenv(ENV_CAP, bad)
        assert inputgate.cap_for(Kind.LICENSE) == CAPS[Kind.LICENSE]
    monkeypatch.setenv(ENV_CAP, "3")
    assert inputgate.cap_for(Kind.LOG) == 3 * MiB


def test_tail_reads_whole_lines_from_the_end_only(tmp_path):
    p = tmp_path / "debug.log"
    p.write_bytes(b"".join(b"line %05d\n" % i for i in range(1000)))
    with open_tail(str(p), Kind.LOG, 100) as fh:
        data = fh.read()
    assert data.startswith(b"line ") and data.endswith(b"line 00999\n") and len(data) <= 100
    os.mkfifo(tmp_path / "fifo.log")
    with pytest.raises(InputError, match="FIFO"):
        _in_thread(lambda: open_tail(str(tmp_path / "fifo.log"), Kind.LOG, 100))


def test_the_license_readers_all_use_the_gate(tmp_path):
    """Every 'read a license' helper refuses a FIFO the same way (no copies with their own limits)."""
    from lmdoctor.checks.check import read_license as check_read
    from lmdoctor.checks.license import parse_license_file

    os.mkfifo(tmp_path / "x.lic")
    for fn in (check_read, parse_license_file, inputgate.read_license):
        with pytest.raises(InputError, match="FIFO"):
            _in_thread(lambda fn=fn: fn(str(tmp_path / "x.lic")))


def test_no_reader_opens_user_files_on_its_own():
    """'read up to N bytes and parse a license' lives in the gate only."""
    import re
    from pathlib import Path

    root = Path(inputgate.__file__).resolve().parent
    offenders = []
    pattern = re.compile(r"parse_license\((?:fh|f)\.read\(|\.read\(\d+ \* 1024 \* 1024\)")
    for py in root.rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        if pattern.search(text):
            offenders.append(str(py.relative_to(root)))
    assert offenders == []
