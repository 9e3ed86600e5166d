"""`lmdoctor check` reachability against real listeners on 127.0.0.1: open, refused, timing out."""
from __future__ import annotations

import socket

from .checkhelp import check_json, run_check, with_id, write_license


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # closed again: connecting to it is refused
    return port


def test_closed_port_is_refused(tmp_path):
    port = free_port()
    code, rep = check_json(["--server", f"{port}@127.0.0.1", "--timeout", "1"], tmp_path)
    refused = [f for f in with_id(rep, "network.refused") if f"{port}@127.0.0.1" in f["title"]]
    assert refused and refused[0]["status"] == "fail"
    assert code == 2


def test_lmgrd_open_but_vendor_port_timing_out_is_the_firewall_case(helpers, tmp_path):
    lic = tmp_path / "fw.lic"
    g = helpers.start("lmgrd", ["-c", str(lic)], listen={"lm": 0})
    wall = helpers.start("sigasi", ["-c", str(lic)], full={"vd": 0})
    write_license(lic, g.ports["lm"], wall.ports["vd"])
    code, rep = check_json(["--license", str(lic), "--timeout", "0.5"], tmp_path)
    assert [f for f in with_id(rep, "network.timeout") if str(wall.ports["vd"]) in f["title"]]
    blocked = with_id(rep, "network.vendor-port-blocked")
    assert blocked and str(wall.ports["vd"]) in blocked[0]["title"] and "firewall" in blocked[0]["fix"]
    assert code == 2


def test_many_timing_out_servers_are_all_classified(helpers, tmp_path):
    walls = [helpers.start("blackhole", full={"p": 0}) for _ in range(4)]
    args = []
    for w in walls:
        args += ["--server", f"{w.ports['p']}@127.0.0.1"]
    code, rep = check_json(args + ["--timeout", "0.5"], tmp_path)
    timed = {f["title"].split(" ", 1)[0] for f in with_id(rep, "network.timeout")}
    assert timed == {f"{w.ports['p']}@127.0.0.1" for w in walls}


def test_triad_quorum(helpers, tmp_path):
    up1 = helpers.start("lmgrd", ["-c", str(tmp_path / "a.lic")], listen={"p": 0})
    up2 = helpers.start("lmgrd", ["-c", str(tmp_path / "b.lic")], listen={"p": 0})
    down = free_port()
    triad = f"{up1.ports['p']}@127.0.0.1,{up2.ports['p']}@127.0.0.1,{down}@127.0.0.1"
    code, rep = check_json(["--server", triad, "--timeout", "1"], tmp_path)
    q = with_id(rep, "network.triad-quorum")
    assert q and q[0]["status"] == "ok" and "2 of 3" in q[0]["title"]
    triad2 = f"{up1.ports['p']}@127.0.0.1,{free_port()}@127.0.0.1,{down}@127.0.0.1"
    code, rep = check_json(["--server", triad2, "--timeout", "1"], tmp_path)
    q = with_id(rep, "network.triad-quorum")
    assert q and q[0]["status"] == "fail" and "1 of 3" in q[0]["title"]


def test_localhost_in_the_search_path_follows_resolver_order(helpers, tmp_path):
    h = helpers.start("lmgrd", ["-c", str(tmp_path / "l.lic")], listen={"p": 0})
    port = h.ports["p"]
    code, rep = check_json(["--timeout", "1"], tmp_path, SIGASI_LM_LICENSE_FILE=f"{port}@localhost")
    assert with_id(rep, "searchpath.localhost")
    order = []
    for _fam, _t, _p, _c, sa in socket.getaddrinfo("localhost", port, 0, socket.SOCK_STREAM):
        if sa[0] not in order:
            order.append(sa[0])
    first_fails = with_id(rep, "network.first-address-fails")
    if order and order[0] != "127.0.0.1":
        # e.g. ::1 first while the listener is IPv4 only: the manual's localhost trap
        assert first_fails and str(port) in first_fails[0]["title"]
    else:
        assert not first_fails
        assert [f for f in with_id(rep, "network.open") if f"{port}@localhost" in f["title"]]


def test_no_license_server_anywhere_contacts_nothing_and_exits_zero(tmp_path):
    code, rep = check_json([], tmp_path)
    if rep["license"] is not None:
        # Another test's lmgrd runs on this machine right now: check must have used its -c.
        assert rep["license"]["source"].startswith("lmgrd -c (pid ")
        return
    assert with_id(rep, "network.no-targets") and with_id(rep, "check.no-license")
    assert not [f for f in rep["findings"] if f["id"].startswith("network.") and f["id"] != "network.no-targets"]
    others = with_id(rep, "process.lmgrd") + with_id(rep, "process.vendor-daemon")
    if others:
        # An lmgrd of another test (or one still shutting down) is on the machine: its findings are
        # real, so the exit code is not ours to assert. Nothing was contacted all the same.
        return
    assert code == 0, [(f["id"], f["title"]) for f in rep["findings"] if f["status"] in ("warn", "fail")]


def test_bad_server_argument_and_bad_timeout(tmp_path):
    # A --server that is not PORT@HOST is a usage error (exit 3), named on stderr.
    for bad in ("nonsense", "99999@127.0.0.1", "27000@"):
        cp = run_check(["--server", bad], tmp_path)
        assert cp.returncode == 3 and bad in cp.stderr and not cp.stdout
    cp = run_check(["--timeout", "-1"], tmp_path)
    assert cp.returncode == 3
    cp = run_check(["--license", str(tmp_path / "missing.lic")], tmp_path)
    assert cp.returncode == 3 and "missing.lic" in cp.stderr
