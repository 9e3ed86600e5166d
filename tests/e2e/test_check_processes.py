"""`lmdoctor check` against real helper processes named lmgrd / sigasi on 127.0.0.1."""
from __future__ import annotations

from .checkhelp import check_json, mentions, run_check, with_id, write_license


def test_lmgrd_and_vendor_daemon_are_found_with_their_arguments_and_ports(helpers, tmp_path):
    lic = tmp_path / "sigasi.lic"
    log = tmp_path / "debug.log"
    g = helpers.start("lmgrd", ["-c", str(lic), "-l", str(log)], listen={"lm": 0})
    v = helpers.start("sigasi", ["-T", "127.0.0.1", "11.16", "-c", str(lic)], listen={"vd": 0})
    write_license(lic, g.ports["lm"], v.ports["vd"])
    code, rep = check_json(["--license", str(lic), "--timeout", "2"], tmp_path)
    lmgrd = [f for f in with_id(rep, "process.lmgrd") if mentions(f, f"pid {g.pid} ")]
    assert lmgrd, rep["findings"]
    ev = " ".join(lmgrd[0]["evidence"])
    assert f"license (-c): {lic}" in ev and f"log (-l): {log}" in ev
    assert f"127.0.0.1:{g.ports['lm']}" in ev
    assert [f for f in with_id(rep, "process.vendor-daemon") if mentions(f, f"pid {v.pid} ")]
    # lmgrd has its vendor daemon (same license): no 'without' finding for these pids
    assert not [f for f in with_id(rep, "process.lmgrd-without-vendor") if mentions(f, f"pid {g.pid} ")]
    assert not [f for f in with_id(rep, "process.vendor-without-lmgrd") if mentions(f, f"pid {v.pid} ")]
    # both ports are held by the right daemons, on loopback only
    lo = with_id(rep, "listener.loopback-only")
    assert any(mentions(f, f"pid {g.pid}") for f in lo) and any(mentions(f, f"pid {v.pid}") for f in lo)
    opened = [f["title"] for f in with_id(rep, "network.open")]
    assert any(f"{g.ports['lm']}@127.0.0.1" in t for t in opened)
    assert any(f"{v.ports['vd']}@127.0.0.1" in t for t in opened)
    assert rep["license"] == {"path": str(lic), "source": "--license"}


def test_two_lmgrds_for_one_license_are_a_duplicate(helpers, tmp_path):
    lic = tmp_path / "dup.lic"
    a = helpers.start("lmgrd", ["-c", str(lic)], listen={"lm": 0})
    b = helpers.start("lmgrd", ["-c", str(lic)])
    write_license(lic, a.ports["lm"], None)
    code, rep = check_json(["--license", str(lic), "--timeout", "1"], tmp_path)
    dups = [f for f in with_id(rep, "process.duplicate-lmgrd") if mentions(f, f"pid {a.pid} ")]
    assert dups and mentions(dups[0], f"pid {b.pid} ")
    assert dups[0]["status"] == "fail" and "signal" in dups[0]["detail"]
    assert code == 2


def test_lmgrd_alone_and_vendor_alone_are_reported(helpers, tmp_path):
    lic1, lic2 = tmp_path / "one.lic", tmp_path / "two.lic"
    g = helpers.start("lmgrd", ["-c", str(lic1)])
    v = helpers.start("sigasi", ["-c", str(lic2)])
    write_license(lic1, 27000, 27001)
    write_license(lic2, 27000, 27001)
    code, rep = check_json(["--license", str(lic1), "--timeout", "1"], tmp_path)
    # When another test's sandbox sigasi runs at the same time, the same lmgrd is reported as the
    # vendor conflict (its daemon gone while another server's runs); either way it is named.
    alone = with_id(rep, "process.lmgrd-without-vendor") + with_id(rep, "process.vendor-conflict")
    assert [f for f in alone if mentions(f, f"pid {g.pid} ")]
    assert [f for f in with_id(rep, "process.vendor-without-lmgrd") if mentions(f, f"pid {v.pid} ")]


def test_port_held_by_an_unrelated_process_is_named(helpers, tmp_path):
    squatter = helpers.start("webcache", listen={"p": 0})
    lic = write_license(tmp_path / "s.lic", squatter.ports["p"], None)
    code, rep = check_json(["--license", str(lic), "--timeout", "1"], tmp_path)
    foreign = with_id(rep, "listener.foreign-process")
    assert foreign, rep["findings"]
    f = foreign[0]
    assert "webcache" in f["title"] and f"pid {squatter.pid}" in f["title"]
    assert f["status"] == "fail" and "already in use" in f["detail"]


def test_license_is_found_from_a_running_lmgrd(helpers, tmp_path):
    lic = tmp_path / "from_lmgrd.lic"
    g = helpers.start("lmgrd", ["-c", str(lic)], listen={"lm": 0})
    write_license(lic, g.ports["lm"], None)
    code, rep = check_json(["--timeout", "1"], tmp_path)
    cands = rep["license_candidates"]
    assert {"path": str(lic), "source": f"lmgrd -c (pid {g.pid})"} in cands
    # Another test's lmgrd may run at the same time; whichever was chosen came from an lmgrd.
    assert rep["license"]["source"].startswith("lmgrd -c (pid ")


def test_text_output_groups_areas_worst_first_and_is_quiet_on_stderr_when_piped(helpers, tmp_path):
    lic = tmp_path / "t.lic"
    helpers.start("lmgrd", ["-c", str(lic)])
    write_license(lic, 27000, 27001)
    cp = run_check(["--license", str(lic), "--timeout", "1", "--no-lmutil"], tmp_path)
    assert cp.returncode == 2, cp.stderr
    assert cp.stderr == ""  # no progress line when stderr is not a terminal
    areas = [ln.strip("[]") for ln in cp.stdout.splitlines() if ln.startswith("[")]
    assert "process" in areas and areas.index("process") < areas.index("identity")
    assert "fix:" in cp.stdout and cp.stdout.rstrip().splitlines()[-1].startswith("Summary:")
