"""Keys stay quick while a worker crunches: tui/pacing.py (switch interval, paced reads, throttled progress)."""
from __future__ import annotations

import dataclasses
import sys
import threading
from pathlib import Path

import pytest

from lmdoctor.checks.flexnet.logscan import scan_file, scan_stream, summary_findings
from lmdoctor.tui import pacing
from lmdoctor.tui.pacing import PacedReader, Throttle, ui_first

from .helpers import REPO

LOGS = sorted((REPO / "tests" / "fixtures" / "logs").glob("*.log"))


def _findings(summary):
    return [(f.id, f.status, f.title, f.detail, tuple(f.evidence_lines)) for f in summary_findings(summary)]


@pytest.mark.parametrize("log", LOGS, ids=lambda p: p.name)
def test_a_paced_scan_finds_what_scan_file_finds(log: Path):
    # Slices of 7 bytes cut nearly every line in two: the scanner must carry them over exactly.
    want = scan_file(str(log))
    with open(log, "rb") as fh:
        got = scan_stream(PacedReader(fh, chunk=7), total=log.stat().st_size, path=str(log))
    assert got.bytes_read == want.bytes_read == log.stat().st_size
    assert _findings(got) == _findings(want)
    assert dataclasses.asdict(got.usage) == dataclasses.asdict(want.usage)  # usage over time, per feature


def test_paced_reader_slices_and_pauses(tmp_path, monkeypatch):
    data = bytes(range(256)) * 40  # 10240 bytes
    f = tmp_path / "data.bin"
    f.write_bytes(data)
    sleeps = []
    monkeypatch.setattr(pacing.time, "sleep", sleeps.append)
    with open(f, "rb") as fh:
        r = PacedReader(fh, chunk=1000, every=0.0, pause=0.002)
        parts = []
        while True:
            part = r.read(4096)
            if not part:
                break
            parts.append(part)
    assert b"".join(parts) == data
    assert max(len(p) for p in parts) == 1000 and len(parts) == 11
    assert sleeps and set(sleeps) == {0.002}  # every read after `every` seconds of work gives the GIL away
    with open(f, "rb") as fh:
        assert len(PacedReader(fh, chunk=1000).read(10)) == 10  # never more than asked


def test_ui_first_shortens_the_switch_interval_while_any_worker_runs():
    before = sys.getswitchinterval()
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with ui_first():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    with ui_first():
        assert sys.getswitchinterval() == pytest.approx(min(before, pacing.BUSY_SWITCH_INTERVAL))
        t.start()
        inside.wait(10)
    # The first one ended, the worker still runs: still short.
    assert sys.getswitchinterval() == pytest.approx(min(before, pacing.BUSY_SWITCH_INTERVAL))
    release.set()
    t.join(10)
    assert sys.getswitchinterval() == pytest.approx(before)


def test_ui_first_puts_the_interval_back_after_an_error():
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError):
        with ui_first():
            raise RuntimeError("boom")
    assert sys.getswitchinterval() == pytest.approx(before)


def test_throttle_lets_one_through_per_interval(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(pacing.time, "monotonic", lambda: now[0])
    th = Throttle(every=0.1)
    assert th.due()  # the first one at once
    assert not th.due()
    now[0] += 0.05
    assert not th.due()
    now[0] += 0.06
    assert th.due()
    assert not th.due()

