"""License lint for every vendor (issue 13 items 6-9) on fixtures of several vendors, and the one
placeholder list check and lint share (issue 9)."""
from __future__ import annotations

import datetime as dt
import re
from typing import List

import pytest

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.lint import LintOptions, lint_license
from lmdoctor.checks.license.placeholders import (
    is_placeholder_host,
    is_placeholder_hostid,
    is_placeholder_path,
    is_this_host,
    usable_host,
)
from lmdoctor.checks.license.vendors import license_env_var, words_for
from lmdoctor.checks.probes.context import ProbeContext
from lmdoctor.checks.probes.reachability import _targets
from tests.conftest import FIXTURES

V = FIXTURES / "vendors"
TODAY = dt.date(2025, 9, 1)


def lint(name: str, **kw) -> List[Finding]:
    kw.setdefault("today", TODAY)
    data = (V / name).read_bytes()
    lic = parse_license(data, path=name)
    assert lic.render() == data
    return lint_license(lic, LintOptions(**kw))


def lint_text(text: str, **kw) -> List[Finding]:
    kw.setdefault("today", TODAY)
    return lint_license(parse_license(text), LintOptions(**kw))


def ids(findings, *statuses):
    return [f.id for f in findings if not statuses or f.status in statuses]


def words(findings) -> str:
    return "\n".join(" ".join([f.title, f.detail, f.fix, " ".join(f.evidence_lines)]) for f in findings)


# ------------------------------------------------------------------ item 6: templates are never clean

TEMPLATES = ["ansys_template.lic", "partek_template.lic", "xilinx_template.lic", "libero_template.lic"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_are_never_clean(name):
    found = lint(name)
    assert "license.ok" not in ids(found)
    assert ids(found, Status.FAIL, Status.WARN)


@pytest.mark.parametrize("server, rule", [
    ("SERVER HERESHOULDBEIP 001122334455 27000", "license.placeholder-host"),
    ("SERVER {Name or IP} 001122334455 27000", "license.placeholder-host"),
    ("SERVER licsrv <optional-mac-address> 27000", "license.placeholder-hostid"),
    ("SERVER licsrv xxxxxxxxxxxx 27000", "license.placeholder-hostid"),
    ("SERVER licsrv 000000000000 27000", "license.placeholder-hostid"),
    ("SERVER licsrv 00:00:00:00:00:00 27000", "license.placeholder-hostid"),
    ("SERVER this_host 001122334455 27000", "license.this-host"),
])
def test_each_placeholder_form_is_reported_on_its_server_line(server, rule):
    found = lint_text(f"{server}\nVENDOR acmed port=27001\n"
                      "INCREMENT f acmed 1.0 permanent 4 SIGN=\"0011 2233 4455 6677\"\n")
    hits = [f for f in found if f.id == rule]
    assert len(hits) == 1 and hits[0].line == 1 and hits[0].status in (Status.FAIL, Status.WARN)
    assert "license.ok" not in ids(found)


def test_template_daemon_path():
    found = lint("libero_template.lic")
    paths = [f for f in found if f.id == "license.placeholder-path"]
    assert [f.line for f in paths] == [4, 5, 6] and all(f.status is Status.FAIL for f in paths)
    assert "'PATH/actlmgrd'" in paths[0].title and "leave the path out" in paths[0].fix


@pytest.mark.parametrize("path", ["PATH/actlmgrd", "/path/to/MLM", "<install_dir>/bin/adskflex",
                                  "C:\\path\\to\\ansyslmd.exe", "{path}/xilinxd", "<path>"])
def test_placeholder_paths(path):
    assert is_placeholder_path(path)


@pytest.mark.parametrize("path", ["/opt/siemens/lic/saltd", "C:\\Program Files\\MATLAB\\R2024a\\etc\\win64\\MLM.exe",
                                  "/usr/local/flexlm/bin/lmgrd", "/opt/paths/daemon", "/home/path/acmed"])
def test_real_paths(path):
    assert not is_placeholder_path(path)


@pytest.mark.parametrize("hostid", ["xxxxxxxxxxxx", "XXXXXXXXXXXX", "000000000000", "<optional-mac-address>",
                                    "{hostid}", "ID=00000000", "your_hostid", "MAC_ADDRESS"])
def test_placeholder_hostids(hostid):
    assert is_placeholder_hostid(hostid)


@pytest.mark.parametrize("hostid", ["3c7c3f1e9a42", "ANY", "DEMO", "ID=12345678", "HOSTNAME=lic01", "0050569a7b3c",
                                    "FLEXID=9-12345678", "INTERNET=10.1.*.*"])
def test_real_hostids(hostid):
    assert not is_placeholder_hostid(hostid)


TEMPLATE_HOSTS = ["HERESHOULDBEIP", "{Name or IP}", "your_server_name1", "<hostname>", "[server]", "%HOSTNAME%",
                  "server_name", "YOUR_HOST_HERE", "xxxxxxx", "ip_address", "HERE_SHOULD_BE_HOSTNAME"]
REAL_HOSTS = ["licsrv-mw", "eda-lic01", "comsol-lic", "10.1.2.3", "license-server", "hostserver", "lic.example.com"]


@pytest.mark.parametrize("host", TEMPLATE_HOSTS)
def test_check_and_lint_judge_a_template_host_alike(host):
    """One list: the lint calls it a placeholder and check's reachability never contacts it."""
    lic = parse_license(f"SERVER {host} 001122334455 27000\nVENDOR acmed port=27001\n")
    assert lic.servers[0].host == host  # "{Name or IP}" stays one field
    assert "license.placeholder-host" in ids(lint_license(lic, LintOptions(today=TODAY)))
    assert is_placeholder_host(host) and not usable_host(host)
    targets, _ = _targets(ProbeContext(license=lic, license_path="x.lic", env={}, home="/nonexistent"))
    assert not [t for t in targets if t.host == host]


@pytest.mark.parametrize("host", REAL_HOSTS)
def test_check_and_lint_judge_a_real_host_alike(host):
    lic = parse_license(f"SERVER {host} 001122334455 27000\nVENDOR acmed port=27001\n")
    assert "license.placeholder-host" not in ids(lint_license(lic, LintOptions(today=TODAY)))
    assert usable_host(host)
    targets, _ = _targets(ProbeContext(license=lic, license_path="x.lic", env={}, home="/nonexistent"))
    assert {(t.host, t.port) for t in targets} >= {(host, 27000), (host, 27001)}


def test_this_host_is_not_contacted_and_not_a_template():
    assert is_this_host("THIS_HOST") and not is_placeholder_host("this_host") and not usable_host("this_host")
    lic = parse_license("SERVER this_host ANY 1718\nVENDOR LMCOMSOL port=1719\n")
    targets, _ = _targets(ProbeContext(license=lic, license_path="x.lic", env={}, home="/nonexistent"))
    assert not [t for t in targets if t.host == "this_host"]


# ------------------------------------------------------------------ item 7: a number after the host is the port

def test_server_host_port_is_a_missing_hostid_not_a_missing_port():
    found = lint("siemens_port_no_hostid.lic")
    (hit,) = [f for f in found if f.id == "license.server-no-hostid"]
    assert hit.status is Status.FAIL and "SERVER eda-lic01 <hostid> 28000" in hit.fix
    assert "license.server-no-port" not in ids(found) and "license.server-malformed" not in ids(found)
    assert not re.search(r"\b28000 28000\b", words(found))


@pytest.mark.parametrize("line", ["SERVER lic01 27000", "SERVER lic01 1055", "SERVER lic01 27000 PRIMARY_IS_MASTER"])
def test_never_proposes_the_port_twice(line):
    found = lint_text(f"{line}\nVENDOR acmed port=27001\n")
    port = line.split()[2]
    assert "license.server-no-hostid" in ids(found)
    assert f"{port} {port}" not in words(found)


def test_a_numeric_hostid_before_the_port_stays_a_hostid():
    lic = parse_license("SERVER sun01 80a3f4e2 27000\nSERVER sun02 12345678 27000\n")
    assert [(s.hostid, s.port) for s in lic.servers] == [("80a3f4e2", 27000), ("12345678", 27000)]


def test_two_hostids_on_one_server_line_is_an_error():
    found = lint("two_hostids.lic")
    (hit,) = [f for f in found if f.id == "license.server-two-hostids"]
    assert hit.status is Status.FAIL and "8c1645aa02f1" in hit.title and "8c1645aa02f2" in hit.title


# ------------------------------------------------------------------ item 8: vendor-aware advice

NON_SIGASI = ["matlab_network.lic", "ansys_template.lic", "partek_template.lic", "xilinx_template.lic",
              "libero_template.lic", "siemens_three_vendors.lic", "siemens_port_no_hostid.lic", "two_hostids.lic",
              "comsol_server.lic", "autodesk_package.lic", "autodesk_package_one_line.lic"]


@pytest.mark.parametrize("name", NON_SIGASI)
def test_no_sigasi_words_for_other_vendors(name):
    text = words(lint(name, on_server=True))
    assert not re.search(r"sigasi", text, re.I), text


def test_sigasi_words_for_sigasi():
    found = lint_license(parse_license((FIXTURES / "licenses" / "client_counted.lic").read_bytes()),
                         LintOptions(today=TODAY, on_server=False))
    (hit,) = [f for f in found if f.id == "license.client-no-use-server"]
    assert "SIGASI_LM_LICENSE_FILE=27000@licsrv01" in hit.fix


def test_vendor_variable_names():
    assert license_env_var("MLM") == "MLM_LICENSE_FILE"
    assert license_env_var("sigasi") == "SIGASI_LM_LICENSE_FILE"
    assert license_env_var("adskflex") == "ADSKFLEX_LICENSE_FILE"
    assert license_env_var(None) == "LM_LICENSE_FILE"
    assert "LM_LICENSE_FILE" in words_for("MLM").client_setting()


def test_this_host_fix_names_the_vendor_variable_and_the_servers_port():
    (hit,) = [f for f in lint("xilinx_template.lic") if f.id == "license.this-host"]
    assert "XILINXD_LICENSE_FILE=2100@<server>" in hit.fix


def test_uncounted_hostid_any_in_a_server_file_is_info_for_other_vendors():
    found = lint("comsol_server.lic")
    (hit,) = [f for f in found if f.id == "license.uncounted-on-server"]
    assert hit.status is Status.INFO and "SERIAL" in hit.title
    assert ids(found, Status.WARN, Status.FAIL) == [] and "license.ok" in ids(found)


def test_proposed_vendor_ports_are_distinct():
    found = lint("siemens_three_vendors.lic")
    fixes = [f.fix for f in found if f.id == "license.vendor-no-port"]
    ports = [int(re.search(r"port=(\d+)", fx).group(1)) for fx in fixes]
    assert ports == [27001, 27002, 27003]


def test_proposed_ports_avoid_the_files_ports_and_busy_ones_on_the_server():
    text = ("SERVER lic01 001122334455 27001\nVENDOR a\nVENDOR b port=27002\nVENDOR c\n"
            "INCREMENT f a 1.0 permanent 1 SIGN=\"0011 2233\"\n")
    busy = {27003}
    found = lint_text(text, on_server=True, port_free=lambda p: p not in busy)
    ports = [int(re.search(r"port=(\d+)", f.fix).group(1)) for f in found if f.id == "license.vendor-no-port"]
    assert ports == [27004, 27005]
    # On a client this machine's sockets say nothing about the server's.
    found = lint_text(text, on_server=False, port_free=lambda p: p not in busy)
    ports = [int(re.search(r"port=(\d+)", f.fix).group(1)) for f in found if f.id == "license.vendor-no-port"]
    assert ports == [27003, 27004]


def test_two_vendors_on_one_port_is_a_clash():
    found = lint_text("SERVER lic01 001122334455 27000\nVENDOR a port=27001\nVENDOR b port=27001\n")
    (hit,) = [f for f in found if f.id == "license.port-clash"]
    assert hit.line == 3 and hit.status is Status.FAIL and "port=27002" in hit.fix


def test_tcp_port_free_sees_a_listener():
    import socket

    from lmdoctor.checks.hostinfo import tcp_port_free

    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert not tcp_port_free(port)
    finally:
        s.close()
    assert not tcp_port_free(0) and not tcp_port_free(70000)


# ------------------------------------------------------------------ item 9: line length, with its source

def test_continued_vendor_package_is_not_a_failure():
    found = lint("autodesk_package.lic")
    assert ids(found, Status.FAIL, Status.WARN) == []
    (hit,) = [f for f in found if f.id == "license.long-entry"]
    assert hit.status is Status.INFO and "flexlm-facts.md" in hit.detail


def test_one_physical_line_past_the_limit_is_a_warning_with_its_source():
    found = lint("autodesk_package_one_line.lic")
    (hit,) = [f for f in found if f.id == "license.line-too-long"]
    assert hit.status is Status.WARN and "2048" in hit.title and "flexlm-facts.md section 1" in hit.detail
    assert ids(found, Status.FAIL) == []


# ------------------------------------------------------------------ clean files of other vendors

@pytest.mark.parametrize("name", ["matlab_network.lic", "comsol_server.lic", "autodesk_package.lic"])
def test_clean_vendor_files_read_cleanly(name):
    found = lint(name)
    assert ids(found, Status.FAIL, Status.WARN) == [] and "license.ok" in ids(found)
