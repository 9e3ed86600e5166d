"""Scrape rounds against real sockets and real lmutil processes on 127.0.0.1.

Firewalls are listeners whose accept queue is full (connects time out, nothing leaves the
machine); lmutil is a small script named lmutil that prints lmstat output, or hangs. The tests
count connects, lmutil runs and probes rather than timing them.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import List

import psutil
import pytest

from lmdoctor.checks.metrics.config import parse_config
from lmdoctor.checks.metrics.scheduler import Exporter

from .test_probes_network import make_blackhole

pytestmark = pytest.mark.xdist_group(name="machine")  # starts processes named lmutil

FAKE_LMUTIL = r'''
import json, os, sys, time
args = sys.argv[1:]
spec = args[args.index("-c") + 1]
log = os.environ.get("FAKE_LMUTIL_LOG")
start = time.time()
if "hang" in os.environ.get("FAKE_LMUTIL_MODE", "") :
    time.sleep(60)
if os.environ.get("FAKE_LMUTIL_SLEEP"):
    time.sleep(float(os.environ["FAKE_LMUTIL_SLEEP"]))
if "-i" in args:
    print("Feature  Version  #licenses  Expires  Vendor")
    print("_______  _______  _________  _______  ______")
    print("feat1    1.0      5          31-dec-2030  demo")
else:
    for entry in spec.split(":"):
        port, host = entry.split("@")
        print(f"License server status: {port}@{host}")
        print(f"    License file(s) on {host}: /x/demo.lic:")
        print(f"{host}: license server UP (MASTER) v11.19.1")
        print(f"Vendor daemon status (on {host}):")
        print("    demo: UP v11.19.1")
        print("Feature usage info:")
        print("Users of feat1:  (Total of 5 licenses issued;  Total of 2 licenses in use)")
if log:
    with open(log, "a") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "start": start, "end": time.time(), "spec": spec}) + "\n")
'''


@pytest.fixture
def lmutil(tmp_path: Path) -> str:
    p = tmp_path / "bin" / "lmutil"
    p.parent.mkdir()
    p.write_text(f"#!{sys.executable}\n" + FAKE_LMUTIL)
    p.chmod(0o755)
    return str(p)


@pytest.fixture
def holes():
    made: List[list] = []

    def make() -> int:
        port, socks = make_blackhole()
        made.append(socks)
        return port

    yield make
    for socks in made:
        for s in socks:
            s.close()


@pytest.fixture
def listeners():
    made: List[socket.socket] = []

    def make() -> int:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        made.append(s)
        return s.getsockname()[1]

    yield make
    for s in made:
        s.close()


def config(lmutil: str, targets: str, parallel: int = 8, deadline: float = 8.0):
    return parse_config(f'lmutil = "{lmutil}"\nparallel = {parallel}\ndeadline = {deadline}\n' + targets, "t.toml")


def target(name: str, *servers: str, timeout: float = 10.0) -> str:
    return f'[[target]]\nname = "{name}"\nservers = {json.dumps(list(servers))}\ntimeout = {timeout}\n'


def my_lmutils() -> List[psutil.Process]:
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.name() == "lmutil" or any("lmutil" in a for a in p.cmdline()[:2]):
                if p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
        except psutil.Error:
            continue
    return out


def test_a_firewalled_server_costs_one_connect_and_one_timeout_whatever_stands_behind_it(lmutil, holes, listeners):
    fw, fw2, fw3, ok = holes(), holes(), holes(), listeners()
    t = 2.0
    cfg = config(lmutil, target("a", f"{fw}@127.0.0.1", timeout=t) + target("b", f"{fw}@127.0.0.1", timeout=t)
                 + target("c", f"{fw2}@127.0.0.1", timeout=t) + target("e", f"{fw3}@127.0.0.1", timeout=t)
                 + target("d", f"{ok}@127.0.0.1"))  # lmutil on a busy machine may need more than a second
    with Exporter(cfg) as exp:
        s = exp.scrape()
        stats = exp.stats.snapshot()
    by = {r.name: r for r in s.results}
    # Three firewalled servers, one connect each, though four targets name them; the open one once.
    assert stats["endpoint_checks"] == {"timeout": 3, "open": 1}
    # lmutil ran only against the server that answered (lmstat -a, then lmstat -i for the expiry table).
    assert stats["lmutil_runs"] == {"ok": 2}
    assert [by[n].up for n in "abced"] == [False, False, False, False, True]
    for n in "abce":
        assert [f.id for f in by[n].warn_or_fail()] == ["network.timeout"]
        assert by[n].lmstat_error and by[n].usage.servers[0].up is False
    assert [(f.name, f.issued, f.used) for f in by["d"].usage.features] == [("feat1", 5, 2)]
    assert [r.feature for r in by["d"].usage.expiry] == ["feat1"]
    # All connects started together: each firewalled target is done after about one timeout, where one
    # connect after another would take three.
    assert max(by[n].duration for n in "abce") < 2 * t
    assert s.started == 5


def test_a_probe_past_the_deadline_is_not_waited_for_twice_and_its_lmutil_is_killed(lmutil, listeners,
                                                                                    monkeypatch):
    ok = listeners()
    monkeypatch.setenv("FAKE_LMUTIL_MODE", "hang")
    cfg = config(lmutil, target("slow", f"{ok}@127.0.0.1", timeout=30), deadline=1.0)
    exp = Exporter(cfg)
    try:
        s1 = exp.scrape()
        (r1,) = s1.results
        assert r1.overrun and not r1.up and [f.id for f in r1.findings] == ["serve.probe-overrun"]
        assert "did not finish within the scrape deadline" in r1.findings[0].title
        assert s1.started == 1 and exp.stats.snapshot()["overruns"] == 1
        deadline = time.monotonic() + 5
        while not my_lmutils() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert my_lmutils(), "the hanging lmutil should still run"
        s2 = exp.scrape()
        (r2,) = s2.results
        # The second scrape starts no second probe and does not wait for the first one again.
        assert (s2.started, s2.overrun, s2.joined) == (0, 1, 0)
        assert r2.overrun and "still running" in r2.findings[0].title
        assert s2.seconds < s2.deadline / 2
        assert exp.stats.snapshot()["probes_started"] == 1 and exp.stats.snapshot()["overruns"] == 1
    finally:
        exp.close()
    # Closing cancels the probe: lmutil's process group is killed and reaped, no zombie left.
    assert my_lmutils() == []
    assert exp.stats.snapshot()["lmutil_runs"] == {"cancelled": 1}


def test_concurrent_scrapes_join_the_same_probes(lmutil, listeners, monkeypatch):
    monkeypatch.setenv("FAKE_LMUTIL_SLEEP", "0.3")
    ports = [listeners() for _ in range(3)]
    cfg = config(lmutil, "".join(target(f"t{i}", f"{p}@127.0.0.1", timeout=5) for i, p in enumerate(ports)))
    with Exporter(cfg) as exp:
        got = []
        threads = [threading.Thread(target=lambda: got.append(exp.scrape())) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(got) == 2
        assert sorted((s.started, s.joined) for s in got) == [(0, 3), (3, 0)]
        assert exp.stats.snapshot()["probes_started"] == 3
        for s in got:
            assert [r.up for r in s.results] == [True, True, True]


def test_at_most_parallel_lmutil_processes_run_at_once(lmutil, listeners, monkeypatch, tmp_path):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("FAKE_LMUTIL_SLEEP", "0.25")
    monkeypatch.setenv("FAKE_LMUTIL_LOG", str(log))
    ports = [listeners() for _ in range(6)]
    cfg = config(lmutil, "".join(target(f"t{i}", f"{p}@127.0.0.1", timeout=10) for i, p in enumerate(ports)),
                 parallel=2, deadline=30)
    with Exporter(cfg) as exp:
        s = exp.scrape()
    assert all(r.up for r in s.results)
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(runs) == 12  # lmstat -a and -i for each of six targets
    events = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs])
    running = peak = 0
    for _t, step in events:
        running += step
        peak = max(peak, running)
    assert peak <= 2


def test_reload_uses_the_new_targets_from_the_next_scrape(lmutil, listeners):
    a, b = listeners(), listeners()
    with Exporter(config(lmutil, target("a", f"{a}@127.0.0.1"))) as exp:
        assert [r.name for r in exp.scrape().results] == ["a"]
        exp.reload(config(lmutil, target("b", f"{b}@127.0.0.1") + target("c", f"{a}@127.0.0.1")))
        assert [(r.name, r.up) for r in exp.scrape().results] == [("b", True), ("c", True)]


def test_no_lmutil_found_means_up_from_the_port_and_a_scrape_error(listeners, holes, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no lmutil on PATH
    ok, fw = listeners(), holes()
    cfg = parse_config(target("ok", f"{ok}@127.0.0.1") + target("fw", f"{fw}@127.0.0.1", timeout=1), "t.toml")
    with Exporter(cfg) as exp:
        monkeypatch.setattr("lmdoctor.checks.flexnet.lmutil._running_lmgrd_dirs", lambda: [])
        by = {r.name: r for r in exp.scrape().results}
    assert by["ok"].up and by["ok"].lmstat_error and not by["fw"].up
    assert "check.lmutil-absent" in [f.id for f in by["ok"].findings]
    assert os.environ["PATH"] == str(tmp_path)
