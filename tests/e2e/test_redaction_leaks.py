"""`--redact` holds: every format of a redacted `check`, `log` (and `report`, when the command exists) on
the sandbox is grepped for every host name, IP, MAC and user name of the run. Keywords, ports, error
codes and versions stay readable; the same MAC is always the same alias."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from typing import List, Set

from lmdoctor.checks.cli import COMMANDS
from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.checks.hostinfo import current_identity
from lmdoctor.checks.redact import Redactor, redact_report

FORMATS = ("text", "markdown", "json")


def mac_spellings(mac12: str) -> List[str]:
    pairs = [mac12[i:i + 2] for i in range(0, 12, 2)]
    out = [mac12, ":".join(pairs), "-".join(pairs)]
    return out + [x.upper() for x in out]


def secrets_of_the_run(log_text: str) -> Set[str]:
    ident = current_identity()
    found = {socket.gethostname(), ident.short_name, ident.fqdn}
    for a in ident.addresses:
        a = a.split("%", 1)[0]
        if not (a.startswith("127.") or a in ("::1", "0.0.0.0", "::")):
            found.add(a)
    for m in ident.macs:
        found.update(mac_spellings(m))
    for user, host in re.findall(r"\b([A-Za-z_][\w.-]*)@([\w.-]+)", log_text):
        if not host[0].isdigit() or re.fullmatch(r"\d+(\.\d+){3}", host):
            found.update({user, host})
    # root identifies nobody and appears in prose ("runs as root") and paths (/root): kept on purpose.
    return {s for s in found if s and len(s) > 1 and s.lower() not in ("root", "localhost", "127.0.0.1")}


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", *args], capture_output=True, text=True, timeout=180,
                          env=env)


def test_nothing_of_the_run_leaks_through_any_format(sandbox_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGNAME", "bob.hidden")  # the sandbox's client checks out as bob.hidden@<this host>
    info = sandbox_factory("unsupported-probe")  # checkouts by user@host are in its log
    env = dict(os.environ, SIGASI_LM_LICENSE_FILE=info.port_at_host, XDG_STATE_HOME=str(tmp_path / "state"))
    with open(info.log_path, encoding="utf-8", errors="replace") as fh:
        log_text = fh.read()
    secrets = secrets_of_the_run(log_text)
    assert any(":" in s or len(s) == 12 for s in secrets), secrets  # MACs are among them
    assert "bob.hidden" in secrets and socket.gethostname() in secrets, secrets
    runs = {f"check {f}": ["check", "--license", info.license_path, "--redact", "--format", f] for f in FORMATS}
    runs.update({f"log {f}": ["log", info.log_path, "--redact", "--format", f] for f in FORMATS})
    assert "report" in COMMANDS
    report = tmp_path / "report.json"
    runs["report"] = ["report", "--license", info.license_path, "--log", info.log_path, "--redact", "-o", str(report)]
    outputs = {}
    for name, args in runs.items():
        cp = run(*args, env=env)
        assert cp.returncode in (0, 1, 2), (name, cp.stderr)
        outputs[name] = cp.stdout
        if name == "report":  # one file and its Markdown beside it
            outputs["report json"] = report.read_text(encoding="utf-8")
            outputs["report md"] = report.with_suffix(".md").read_text(encoding="utf-8")
            # Redacted, not emptied: the lmgrd port and FlexNet version of the run are still in both.
            for out_name in ("report json", "report md"):
                assert str(info.lmgrd_port) in outputs[out_name] and "v11.16" in outputs[out_name], out_name
        for out_name in ([name] if name != "report" else ["report json", "report md"]):
            out = outputs[out_name]
            leaks = sorted(s for s in secrets if re.search(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", out, re.I))
            assert not leaks, f"{out_name} leaks {leaks}"
    check = json.loads(outputs["check json"])
    text = json.dumps(check)
    # Readable: FlexNet keywords, ports and versions stay, aliases are consistent.
    assert "HOSTID" in text and "host-2=ANY" not in text
    assert str(info.lmgrd_port) in text and "v11.16" in text
    assert re.search(r"\bmac-1\b", text)


def test_aliases_and_what_is_never_redacted():
    mac = "02fc00000001"
    r = Report("check", [
        Finding("identity.macs", Status.INFO, "MACs of this machine",
                evidence=[f"{mac} (eth0)", "46c028326a56 (veth)"]),
        Finding("lint.hostid", Status.OK, f"SERVER licsrv {mac.upper()} is a MAC of this machine",
                detail="These are the host ids FlexNet can match (SERVER hostid, HOSTID=, mac: in VENDOR_STRING).",
                evidence=["SERVER licsrv 02:FC:00:00:00:01 27000", "VENDOR sigasi port=27001 HOSTID=ANY"]),
        Finding("lmstat.user", Status.INFO, "bob.hidden@10.1.2.4 holds com.sigasi.hdt v5.0",
                detail="error -15,570:115 on 27000@licsrv; lmgrd v11.16.4.0",
                evidence=["pid 7 sigasi user=flexsvc started", "carol@ws12 since 10:00"]),
    ])
    out = redact_report(r)
    blob = json.dumps([f.to_dict() for f in out.findings])
    for secret in (mac, "02:FC:00:00:00:01", "46c028326a56", "bob.hidden", "10.1.2.4", "flexsvc", "carol", "ws12",
                   "licsrv"):
        assert secret.lower() not in blob.lower(), secret
    macs = re.findall(r"mac-\d", blob)
    assert macs.count("mac-1") == 3 and "mac-2" in macs  # one MAC, three spellings, one alias
    for keep in ("HOSTID=ANY", "SERVER hostid", "27000", "27001", "-15,570:115", "v11.16.4.0", "v5.0", "port="):
        assert keep in blob, keep


def test_a_local_user_is_aliased_in_user_evidence(monkeypatch):
    monkeypatch.setenv("SUDO_USER", "dana")
    red = Redactor()
    red.collect_machine()
    assert red.text("pid 9 lmgrd user=dana started") == "pid 9 lmgrd user=user-1 started"
