"""--redact: sensitive values are gone, replaced by stable aliases; harmless ones stay."""
from __future__ import annotations

import json
import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.checks.redact import redact_report
from lmdoctor.checks.render import render


def sample() -> Report:
    r = Report("check")
    r.add(Finding("license.x", Status.FAIL, "SERVER host 'licbox.acme.example' is not this machine's name",
                  evidence=['SERVER licbox.acme.example 001122334455 27000',
                            'INCREMENT com.sigasi.hdt sigasi 2.0 18-nov-2012 uncounted '
                            'VENDOR_STRING="company:Acme Rockets;mac:10f2dd92c5ac;name:John Doe;type:trial" '
                            'HOSTID=ANY SIGN="0CCC 87EA 9BB6 256E"'],
                  file="/home/alice/flex/sigasi.lic"))
    r.add(Finding("process.lmgrd", Status.INFO, "lmgrd running (pid 5)",
                  evidence=["pid 5 lmgrd user=alice started 2024-01-01",
                            "command: /opt/lmgrd -c 27000@licbox.acme.example",
                            "listening on: 10.1.2.3:27000, 127.0.0.1:27001, [fd00::2]:27000"]))
    r.add(Finding("network.open", Status.OK, "27000@licbox.acme.example (lmgrd port) is open",
                  evidence=["27000@licbox.acme.example -> 10.1.2.3:27000: open", "John Doe asked"],
                  detail="FlexNet v11.16.4.0 on port 27000"))
    r.add(Finding("log.out", Status.INFO, 'OUT: "com.sigasi.hdt" bob@ws17'))
    r.meta.update({"license": {"path": "/home/alice/flex/sigasi.lic", "source": "--license"},
                   "host": {"name": "licbox", "fqdn": "licbox.acme.example"}})
    return r


def test_sensitive_values_are_gone_and_aliases_are_stable():
    red = redact_report(sample())
    out = render(red, "json") + render(red, "text") + render(red, "markdown")
    for secret in ("Acme", "John Doe", "0CCC 87EA", "alice", "licbox", "10.1.2.3", "fd00::2", "bob", "ws17",
                   "10f2dd92c5ac"):
        assert secret not in out, secret
    # the same host is the same alias everywhere
    titles = [f.title for f in red.findings]
    alias = titles[2].split("@", 1)[1].split(" ", 1)[0]
    assert alias.startswith("host-") and alias in " ".join(red.findings[0].evidence_lines)
    assert "ip-1:27000" in " ".join(red.findings[1].evidence_lines)
    # harmless things stay: loopback, ports, feature names, versions, root
    assert "127.0.0.1:27001" in out and "com.sigasi.hdt" in out and "v11.16.4.0" in out
    assert json.loads(render(red, "json"))["redacted"] is True


def test_machine_hostname_is_hidden_even_when_only_in_prose():
    name = socket.gethostname()
    r = Report("check", [Finding("identity.host", Status.INFO, f"This machine: {name}")])
    red = redact_report(r)
    if len(name) >= 2 and name.lower() not in ("localhost",):
        assert name not in red.findings[0].title


def test_original_report_is_untouched():
    r = sample()
    before = [f.to_dict() for f in r.findings]
    redact_report(r)
    assert [f.to_dict() for f in r.findings] == before


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.lists(st.text(max_size=50), max_size=4))
def test_arbitrary_text_never_raises(title, evidence):
    r = Report("check", [Finding("x.y", Status.INFO, title, evidence=tuple(evidence))], {"k": [title, {"a": title}]})
    red = redact_report(r)
    assert len(red.findings) == 1
