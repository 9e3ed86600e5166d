"""`lmdoctor log` on a log big enough to be read in parts by child processes (twice the default
part size): the report is byte for byte the one-process report."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

PY = sys.executable


def busy_chunk(seed: int, day: str) -> str:
    """One day of a busy sigasi server: checkouts and checkins around the issued count,
    denials, Sigasi's probes, statistics, a TIMESTAMP line every hour."""
    r = random.Random(seed)
    held: list = []
    out = [f" 0:00:00 (lmgrd) TIMESTAMP {day}"]
    for secs in range(0, 86400, 3):
        t = f"{secs // 3600:2d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        if secs % 3600 == 0 and secs:
            out.append(f"{t} (lmgrd) TIMESTAMP {day}")
        k = r.random()
        if k < 0.8:
            if held and (r.random() < 0.5 or len(held) >= 40):
                out.append(f'{t} (sigasi) IN: "com.sigasi.hdt" {held.pop(r.randrange(len(held)))}  ')
            else:
                held.append(f"user{r.randrange(60)}@pc{r.randrange(9)}")
                out.append(f'{t} (sigasi) OUT: "com.sigasi.hdt" {held[-1]}  ')
        elif k < 0.9:
            out.append(f'{t} (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) '
                       f'user{r.randrange(60)}@pc1  (License server system does not support this feature. '
                       '(-18,327:10054 ""))')
        elif k < 0.95:
            out.append(f'{t} (sigasi) DENIED: "com.sigasi.hdt" user{r.randrange(60)}@pc2  '
                       "(Licensed number of users already reached. (-4,342))")
        else:
            out.append(f"{t} (sigasi) (@sigasi-SLOG@) Statistics: connections {r.randrange(40)}")
    out += [f'23:59:59 (sigasi) IN: "com.sigasi.hdt" {who}  ' for who in held]   # the night: all back
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    from lmdoctor.checks.flexnet import logparts

    path = tmp_path_factory.mktemp("parts") / "debug.log"
    days = [busy_chunk(seed, "1/1/2024").encode() for seed in range(4)]
    start = (b" 0:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on srv (linux) (1/1/2024)\n"
             b" 0:00:01 (sigasi) Server started on srv for:\tcom.sigasi.hdt\n")
    day = dt.date(2024, 1, 1)
    with open(path, "wb") as fh:
        fh.write(start)
        n = 0
        while fh.tell() < 2 * logparts.MIN_PART + len(days[0]):
            fh.write(days[n % 4].replace(b" 1/1/2024", f" {day.month}/{day.day}/{day.year}".encode()))
            day += dt.timedelta(days=1)
            n += 1
        # The busiest moment of all late in the log, in the last part: its time is read there.
        fh.write(b"".join(b'23:59:%02d (sigasi) OUT: "com.sigasi.hdt" late%d@pc1  \n' % (i % 60, i)
                          for i in range(100)))
    return path
    return path


@pytest.mark.slow
def test_log_report_read_in_parts_is_the_one_process_report(big_log):
    def run(n: str, watch: bool = False):
        env = {**os.environ, "LMDOCTOR_LOG_PROCESSES": n}
        proc = subprocess.Popen([PY, "-m", "lmdoctor", "log", str(big_log), "--format", "json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        readers = set()
        while watch and proc.poll() is None:   # the children that read parts, seen while they run
            try:
                readers.update(c.pid for c in psutil.Process(proc.pid).children()
                               if "child_main" in " ".join(c.cmdline()))
            except psutil.Error:
                pass
            time.sleep(0.05)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err, readers

    one = run("1")
    parts = run("2", watch=True)
    assert parts[3], "no child process read a part"
    assert parts[:2] == one[:2], parts[2]
    feature = json.loads(one[1])["usage"]["features"][0]
    assert (feature["feature"], feature["peak"], feature["open_at_end"]) == ("com.sigasi.hdt", 100, 100)
    assert feature["peak_when"].endswith(" 23:59:39")
