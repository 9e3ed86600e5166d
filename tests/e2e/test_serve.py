"""`lmdoctor serve` and `check --format openmetrics` against real sandbox servers on 127.0.0.1.

Three sandbox servers, each in its own directory: a healthy one (with a license checked out), one
whose vendor daemon port another program holds, and a duplicate (a second lmgrd while a first one
runs). Three firewalled ports (listeners with a full accept queue: connects time out), one of them
behind two targets. One config names them all; the HTTP answer is read with prometheus_client's
own parser.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families

from lmdoctor.checks.sandbox import Sandbox, SandboxInfo
from lmdoctor.checks.sandbox.client import Checkout

from ..unit.test_probes_network import make_blackhole
from .checkhelp import clean_env

pytestmark = pytest.mark.slow

TIMEOUT = 3.0  # per target; a scrape that waited for the firewalls one after another would take 3x


Samples = Dict[str, List[Tuple[Dict[str, str], float]]]


class Fleet:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.sandboxes: List[Sandbox] = []
        self.info: Dict[str, SandboxInfo] = {}
        self.holes: List[list] = []
        self.fw: List[int] = []
        self.config = root / "serve.toml"

    def start(self) -> None:
        for scenario in ("healthy", "vendor-port-in-use", "duplicate"):
            sb = Sandbox(str(self.root / scenario))
            self.sandboxes.append(sb)
            self.info[scenario] = sb.start(scenario)
        for _ in range(3):
            port, socks = make_blackhole()
            self.fw.append(port)
            self.holes.append(socks)
        h, v, d = self.info["healthy"], self.info["vendor-port-in-use"], self.info["duplicate"]
        self.config.write_text(f'''
lmutil = "{h.lmutil_path}"
deadline = 20

[[target]]
name = "healthy"
servers = ["{h.port_at_host}"]
per_user = true
timeout = {TIMEOUT}

[[target]]
name = "vendor-port-in-use"
license_file = "{v.license_path}"
timeout = {TIMEOUT}

[[target]]
name = "duplicate"
servers = ["{d.port_at_host}"]
timeout = {TIMEOUT}

[[target]]
name = "firewalled"
servers = ["{self.fw[0]}@127.0.0.1"]
timeout = {TIMEOUT}

[[target]]
name = "firewalled-too"
servers = ["{self.fw[0]}@127.0.0.1"]
timeout = {TIMEOUT}

[[target]]
name = "firewalled-triad"
servers = ["{self.fw[1]}@127.0.0.1,{self.fw[2]}@127.0.0.1,{self.fw[0]}@127.0.0.1"]
timeout = {TIMEOUT}
''')

    def stop(self) -> None:
        for sb in self.sandboxes:
            sb.stop()
        for socks in self.holes:
            for s in socks:
                s.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[Fleet]:
    f = Fleet(tmp_path_factory.mktemp("fleet"))
    try:
        f.start()
        yield f
    finally:
        f.stop()


def lmdoctor(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], capture_output=True, text=True,
                          env=clean_env(home), timeout=timeout, cwd=str(home))


class Server:
    def __init__(self, config: Path, home: Path, *extra: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "lmdoctor", "serve", "--config", str(config),
                                      "--listen", "127.0.0.1:0", *extra], stderr=subprocess.PIPE, text=True,
                                     env=clean_env(home), cwd=str(home))
        line = self.proc.stderr.readline()
        assert "metrics at http://" in line, line + self.proc.stderr.read()
        self.url = line.split("metrics at ", 1)[1].split()[0]

    def scrape(self, header: float = 25.0) -> Tuple[str, Samples]:
        req = urllib.request.Request(self.url, headers={"X-Prometheus-Scrape-Timeout-Seconds": str(header)})
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read().decode()
        return text, samples(text_string_to_metric_families(text))

    def stop(self) -> Tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return rc, self.proc.stderr.read()


def samples(families) -> Samples:
    out: Samples = {}
    for fam in families:
        assert fam.documentation, f"{fam.name} has no HELP"
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def values(m: Samples, metric: str, **labels: str) -> List[float]:
    return [v for lab, v in m.get(metric, []) if all(lab.get(k) == x for k, x in labels.items())]


def finding_ids(m: Samples, target: str, status: str = "") -> List[str]:
    return sorted(lab["id"] for lab, v in m.get("lmdoctor_finding", [])
                  if lab["target"] == target and v == 1 and (not status or lab["status"] == status))


def test_one_scrape_has_the_usage_of_the_healthy_server_and_the_why_of_every_fault(fleet, tmp_path):
    h = fleet.info["healthy"]
    server = Server(fleet.config, tmp_path)
    try:
        with Checkout(h.host, h.vendor_port) as co:
            assert co.checkout("com.sigasi.hdt", user="alice")[0]
            text, m = server.scrape()
        _text2, m2 = server.scrape()
    finally:
        rc, err = server.stop()
    assert rc == 0 and "SIGTERM, shut down" in err, err

    # Usage of the healthy server, under flexlm_exporter's names and labels.
    assert values(m, "flexlm_server_status", app="healthy", port=str(h.lmgrd_port), master="true") == [1]
    assert values(m, "flexlm_vendor_status", app="healthy", name="sigasi") == [1]
    assert values(m, "flexlm_feature_issued", app="healthy", name="com.sigasi.hdt") == [4]
    assert values(m, "flexlm_feature_issued", app="healthy", name="com.sigasi.hdt.xl") == [2]
    assert values(m, "flexlm_feature_used", app="healthy", name="com.sigasi.hdt") == [1]
    assert values(m, "flexlm_feature_used_users", app="healthy", name="com.sigasi.hdt", user="alice") == [1]
    exp = values(m, "flexlm_feature_expiration_seconds", app="healthy", name="com.sigasi.hdt", version="4.0")
    assert exp == [float("inf")]  # lmstat -i of the sandbox license: 1-jan-0, never expires
    assert values(m, "lmdoctor_target_up", target="healthy") == [1]
    assert values(m, "flexlm_scrape_error", name="healthy") == [0]
    assert finding_ids(m, "healthy", "fail") == []

    # The why of each fault.
    vp = finding_ids(m, "vendor-port-in-use", "fail")
    assert "lmstat.vendor-down" in vp and "listener.foreign-process" in vp and "log.port-in-use" in vp
    assert values(m, "flexlm_vendor_status", app="vendor-port-in-use", name="sigasi") == [0]
    dup = finding_ids(m, "duplicate", "fail")
    assert "lmstat.vendor-down" in dup and "log.another-server-running" in dup
    for name in ("firewalled", "firewalled-too"):
        assert finding_ids(m, name) == ["network.timeout"]
        assert values(m, "lmdoctor_target_up", target=name) == [0]
        assert values(m, "flexlm_server_status", app=name, port=str(fleet.fw[0])) == [0]
    assert values(m, "lmdoctor_quorum", target="firewalled-triad") == [0]
    assert values(m, "lmdoctor_target_up", target="vendor-port-in-use") == [1]  # lmgrd answers

    # Three firewalled servers, four targets behind them: three connects, all at once.
    assert values(m, "lmdoctor_endpoint_checks_total", outcome="timeout") == [3]
    assert values(m, "lmdoctor_probes_started_total") == [6]
    # Each firewalled target's probe ended after about one timeout (one after another would be 3).
    for name in ("firewalled", "firewalled-too", "firewalled-triad"):
        (took,) = values(m, "lmdoctor_probe_duration_seconds", target=name)
        assert TIMEOUT * 0.9 < took < 2 * TIMEOUT, (name, took)
    # lmutil never ran against a firewalled server, so none timed out; the second scrape started all again.
    assert values(m2, "lmdoctor_lmutil_runs_total", outcome="timeout") == []
    assert values(m2, "lmdoctor_probes_started_total") == [12]


def test_redact_hashes_hosts_and_users_stably(fleet, tmp_path):
    h = fleet.info["healthy"]
    server = Server(fleet.config, tmp_path, "--redact")
    try:
        with Checkout(h.host, h.vendor_port) as co:
            assert co.checkout("com.sigasi.hdt", user="alice")[0]
            text1, m1 = server.scrape()
            text2, m2 = server.scrape()
    finally:
        server.stop()
    hosts1 = sorted({lab["fqdn"] for lab, _v in m1["flexlm_server_status"]})
    hosts2 = sorted({lab["fqdn"] for lab, _v in m2["flexlm_server_status"]})
    assert hosts1 == hosts2 and all(x.startswith("host-") for x in hosts1)
    assert "127.0.0.1" not in text1 and 'user="alice"' not in text1
    (user,) = {lab["user"] for lab, _v in m1["flexlm_feature_used_users"]}
    assert user.startswith("user-") and user in text2


def test_textfile_for_node_exporter_passes_both_parsers(fleet, tmp_path):
    out = tmp_path / "textfile" / "lmdoctor.prom"
    out.parent.mkdir()
    cp = lmdoctor("check", "--config", str(fleet.config), "--format", "openmetrics", "-o", str(out), home=tmp_path)
    assert cp.returncode == 2, cp.stderr  # failures found: the exit code says so, the file says which
    assert cp.stdout == ""
    text = out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in out.parent.iterdir()] == ["lmdoctor.prom"]  # no temp file left
    m = samples(text_string_to_metric_families(text))
    assert samples(om_families(text)).keys() == m.keys()
    assert values(m, "flexlm_feature_issued", app="healthy", name="com.sigasi.hdt") == [4]
    assert "listener.foreign-process" in finding_ids(m, "vendor-port-in-use")
    assert finding_ids(m, "firewalled") == ["network.timeout"]
    assert not [n for n in m if n.endswith("_total")]  # the exporter's own counters: serve only


def test_check_config_as_a_report_names_the_targets(fleet, tmp_path):
    cp = lmdoctor("check", "--config", str(fleet.config), "--format", "json", home=tmp_path)
    assert cp.returncode == 2, cp.stderr
    report = json.loads(cp.stdout)
    assert [t["name"] for t in report["targets"]] == ["healthy", "vendor-port-in-use", "duplicate", "firewalled",
                                                      "firewalled-too", "firewalled-triad"]
    titles = [f["title"] for f in report["findings"] if f["status"] == "fail"]
    assert any(t.startswith("[vendor-port-in-use] ") for t in titles)
    assert any(t.startswith("[firewalled] ") for t in titles)


def test_check_of_this_machine_as_openmetrics(fleet, tmp_path):
    h = fleet.info["healthy"]
    cp = lmdoctor("check", "--license", h.license_path, "--timeout", "1", "--format", "openmetrics", home=tmp_path)
    assert cp.returncode in (0, 1, 2), cp.stderr
    m = samples(om_families(cp.stdout))
    assert values(m, "lmdoctor_target_up", target="local") == [1]
    assert values(m, "flexlm_feature_issued", app="local", name="com.sigasi.hdt") == [4]
    assert values(m, "flexlm_feature_expiration_seconds", app="local", name="com.sigasi.hdt") == [float("inf")]
    assert "lmstat.server-down" not in finding_ids(m, "local")


def test_serve_exits_3_when_the_port_is_taken(fleet, tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        cp = lmdoctor("serve", "--config", str(fleet.config), "--listen", f"127.0.0.1:{s.getsockname()[1]}",
                      home=tmp_path, timeout=60)
    finally:
        s.close()
    assert cp.returncode == 3 and "cannot listen on 127.0.0.1:" in cp.stderr and "--listen" in cp.stderr


def test_no_exporter_lmutil_is_left_behind(fleet):
    import psutil

    left = [p for p in psutil.process_iter(["name", "ppid"]) if p.info["name"] == "lmutil"]
    assert left == [], left
    assert os.path.exists(fleet.config)
