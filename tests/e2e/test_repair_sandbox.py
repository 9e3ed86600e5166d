"""`lmdoctor repair` on the sandbox: each broken scenario ends UP, proved by lmstat and check, and --undo
gives the license back byte for byte; the scenarios lmdoctor cannot fix change nothing and name the step."""
from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from .repairhelp import (
    bad_ids,
    check_json,
    host_usr_tmp_skip,
    lmdoctor,
    lmstat,
    repair_json,
    results_by_id,
    signed_lines,
    signs,
    up,
    user_env,
)

# scenario -> (the actions the plan must hold, in this order; the fail ids the repair must clear)
FIXABLE = {
    "placeholder-host": (["license.set-server-host", "server.start"], ["license.placeholder-host"]),
    "server-port-in-use": (["license.change-port", "server.start"], ["listener.foreign-process"]),
    "vendor-port-in-use": (["license.set-vendor-port", "server.restart"],
                           ["listener.foreign-process", "process.lmgrd-without-vendor"]),
    "duplicate": (["process.stop-duplicates"], ["process.vendor-conflict", "log.multiple-servers",
                                                "log.another-server-running"]),
    "no-lock-dir": (["system.link-usr-tmp", "server.restart"], ["log.usr-tmp"]),
}
PLAN_KEYS = {"id", "title", "fixes", "kind", "change", "needs_root", "reversible", "verify"}


def _lmgrds(license_path: str):
    real = os.path.realpath(license_path)
    out = []
    for p in psutil.process_iter(["pid", "name", "cmdline", "status"]):
        if p.info["name"] == "lmgrd" and p.info["status"] != psutil.STATUS_ZOMBIE and \
                real in [os.path.realpath(a) for a in (p.info["cmdline"] or [])]:
            out.append(p.info["pid"])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(FIXABLE))
def test_repair_yes_leaves_the_server_up_and_undo_restores_the_bytes(sandbox_factory, tmp_path, scenario):
    info = sandbox_factory(scenario)
    env = user_env(tmp_path)
    original = Path(info.license_path).read_bytes()
    want_plan, cleared = FIXABLE[scenario]

    code, rep, err = repair_json(info.license_path, env, "--yes", *host_usr_tmp_skip(scenario))

    assert set(rep) == {"lmdoctor", "plan", "results", "after"}
    assert all(set(a) == PLAN_KEYS for a in rep["plan"])
    assert all(set(r) == {"id", "status", "detail"} for r in rep["results"])
    auto = [a["id"] for a in rep["plan"] if a["kind"] != "manual"]
    assert [i for i in auto if i in want_plan] == want_plan, auto
    by = results_by_id(rep)
    for aid in want_plan:
        assert [r["status"] for r in by[aid]] == ["applied"], by[aid]
    # Causes before consequences: the consequences carry no action of their own.
    assert not any(a["id"].startswith(("listener.", "network.", "lmstat.")) for a in rep["plan"])
    # lmstat says lmgrd and sigasi are UP: this license's server, or the one that kept serving.
    spec = info.license_path if scenario != "duplicate" else f"{info.first_lmgrd_port}@127.0.0.1"
    assert up(lmstat(info.lmutil_path, spec)), lmstat(info.lmutil_path, spec)
    if scenario == "placeholder-host":  # once on its own too: the "after" above is the same check
        after = check_json(info.license_path, env)
        assert not set(cleared) & set(bad_ids(after)), bad_ids(after)
    left = [f"{f['id']}: {f['title']}" for f in rep["after"]["findings"] if f["status"] == "fail"]
    assert rep["after"]["findings"] and not [x for x in left if x.split(":")[0] in cleared], left
    assert code == (2 if any(f["status"] == "fail" for f in rep["after"]["findings"]) else
                    1 if any(f["status"] == "warn" for f in rep["after"]["findings"]) else 0)
    repaired = Path(info.license_path).read_bytes()
    assert signed_lines(repaired) == signed_lines(original)
    assert signs(repaired) == signs(original)
    assert "Undo with: lmdoctor repair --undo" in err

    started = [p for p in _lmgrds(info.license_path)]
    cp = lmdoctor("repair", "--undo", "--yes", env=env)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert Path(info.license_path).read_bytes() == original
    if scenario == "no-lock-dir":
        assert not os.path.lexists(os.path.join(info.lock_root, "usr", "tmp"))
    if "server.start" in want_plan or "server.restart" in want_plan:
        assert started and not set(started) & set(_lmgrds(info.license_path)), "undo stops the lmgrd it started"
    again = lmdoctor("repair", "--undo", "--yes", env=env)
    assert again.returncode == 3 and "no repair run" in again.stderr


@pytest.mark.parametrize("scenario,step", [
    ("wrong-hostid", "license.request-new-key"),
    ("expired-feature", "license.renew"),
    ("no-server-lines", "license.add-use-server"),
])
def test_what_cannot_be_fixed_changes_no_byte_and_names_the_step(sandbox_factory, tmp_path, scenario, step):
    info = sandbox_factory(scenario)
    env = user_env(tmp_path)
    original = Path(info.license_path).read_bytes()
    code, rep, _err = repair_json(info.license_path, env, "--yes", *host_usr_tmp_skip(scenario))
    assert Path(info.license_path).read_bytes() == original
    by = results_by_id(rep)
    assert by[step][0]["status"] == "manual"
    assert not any(r["status"] == "applied" for r in rep["results"])
    assert not any(a["id"] in ("server.start", "server.restart") for a in rep["plan"])
    plan = {a["id"]: a for a in rep["plan"]}
    if scenario == "wrong-hostid":
        assert "request a new license key for hostid 02fc00000001 (eth0)" in plan[step]["change"].lower()
    if scenario == "expired-feature":
        assert "com.sigasi.hdt" in plan[step]["change"] and "expired on 1-jan-2020" in plan[step]["change"]
    if scenario == "no-server-lines":
        assert "no SERVER line" in plan[step]["change"]
    assert code == 2


def test_dry_run_changes_nothing_and_starts_nothing(sandbox_factory, tmp_path):
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    original = Path(info.license_path).read_bytes()
    code, rep, _err = repair_json(info.license_path, env, "--dry-run")
    ids = [a["id"] for a in rep["plan"] if a["kind"] != "manual"]
    assert [i for i in ids if i in ("license.set-server-host", "server.start")] == ["license.set-server-host",
                                                                                    "server.start"]
    assert {r["status"] for r in rep["results"]} <= {"skipped", "manual"}
    assert Path(info.license_path).read_bytes() == original
    assert _lmgrds(info.license_path) == []
    assert not (tmp_path / "state" / "lmdoctor" / "repairs").exists()
    assert code == 2


def test_no_terminal_and_no_flag_is_a_dry_run_and_says_so(sandbox_factory, tmp_path):
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    original = Path(info.license_path).read_bytes()
    cp = lmdoctor("repair", "--license", info.license_path, "--timeout", "1", env=env, stdin="")
    assert "no terminal to ask on" in cp.stderr and "nothing is changed" in cp.stderr
    assert "[1] license.set-server-host (file edit, reversible)" in cp.stdout
    assert "-SERVER your_server_name1" in cp.stdout and "+SERVER " in cp.stdout
    assert Path(info.license_path).read_bytes() == original
    assert _lmgrds(info.license_path) == []


def test_read_only_license_is_left_intact_and_the_start_is_skipped(sandbox_factory, tmp_path):
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    os.chmod(info.license_path, 0o444)
    original = Path(info.license_path).read_bytes()
    code, rep, _err = repair_json(info.license_path, env, "--yes", *host_usr_tmp_skip("placeholder-host"))
    by = results_by_id(rep)
    assert by["license.set-server-host"][0]["status"] == "failed"
    assert "read-only" in by["license.set-server-host"][0]["detail"]
    assert by["server.start"][0]["status"] == "skipped"
    assert Path(info.license_path).read_bytes() == original
    assert _lmgrds(info.license_path) == []
    assert code == 2


def test_symlinked_license_is_edited_at_its_target_and_the_plan_says_so(sandbox_factory, tmp_path):
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    link = tmp_path / "license.lic"
    link.symlink_to(info.license_path)
    original = Path(info.license_path).read_bytes()
    cp = lmdoctor("repair", "--license", str(link), "--timeout", "1", "--dry-run", env=env)
    assert f"is a symbolic link: the edit is made in its target {info.license_path}" in cp.stdout
    code, rep, _err = repair_json(str(link), env, "--yes", "--only", "license.set-server-host")
    assert [r["status"] for r in rep["results"]] == ["applied"]
    assert link.is_symlink() and os.readlink(link) == info.license_path
    assert Path(info.license_path).read_bytes() != original
    assert signed_lines(Path(info.license_path).read_bytes()) == signed_lines(original)
    cp = lmdoctor("repair", "--undo", "--yes", env=env)
    assert cp.returncode == 0 and Path(info.license_path).read_bytes() == original and link.is_symlink()


def test_undo_leaves_a_file_changed_after_the_repair_alone(sandbox_factory, tmp_path):
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    _code, rep, _err = repair_json(info.license_path, env, "--yes", "--only", "license.set-server-host")
    assert results_by_id(rep)["license.set-server-host"][0]["status"] == "applied"
    with open(info.license_path, "ab") as fh:
        fh.write(b"# the admin's own edit after the repair\n")
    mine = Path(info.license_path).read_bytes()
    cp = lmdoctor("repair", "--undo", "--yes", "--format", "json", env=env)
    assert cp.returncode == 2
    assert "changed after the change was planned" in cp.stdout or "changed after" in cp.stdout
    assert Path(info.license_path).read_bytes() == mine


def test_port_taken_between_plan_and_apply(sandbox_factory, tmp_path):
    """The plan picks a free port; a program takes it before the edit: the edit stops, the file stays."""
    import socket

    from lmdoctor.checks.check import CheckOptions
    from lmdoctor.checks.repair.apply import Decision
    from lmdoctor.checks.repair.session import RepairOptions, apply_repair, plan_repair

    info = sandbox_factory("vendor-port-in-use")
    env = user_env(tmp_path)
    original = Path(info.license_path).read_bytes()
    opts = RepairOptions(CheckOptions(license_path=info.license_path, timeout=1.0, env=env, home=str(tmp_path)),
                         skip=["system.link-usr-tmp"])
    rc, plan = plan_repair(opts)
    edit = next(a for a in plan.actions if a.id == "license.set-vendor-port")
    port = edit.payload["port_free"]
    thief = socket.socket()
    thief.bind(("0.0.0.0", port))
    thief.listen(1)
    try:
        run = apply_repair(opts, rc, plan, lambda a: Decision.YES)
    finally:
        thief.close()
    res = {r.id: r for r in run.results}
    assert res["license.set-vendor-port"].status.value == "failed"
    assert f"port {port} was taken between the plan and now" in res["license.set-vendor-port"].detail
    assert res["server.restart"].status.value == "skipped"
    assert Path(info.license_path).read_bytes() == original


def test_leftover_temp_file_of_a_killed_write_is_reported_by_the_next_run(sandbox_factory, tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap

    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from lmdoctor.checks import safe_write as sw
        def pause(tmp):
            print("TEMP " + tmp, flush=True)
            time.sleep(60)
        sw._before_rename = pause
        sw.write_file({info.license_path!r}, b"half-way\\n")
    """)], stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    temp = line.split(" ", 1)[1].strip()
    cp = lmdoctor("repair", "--license", info.license_path, "--timeout", "1", "--dry-run", env=env)
    assert f"an earlier interrupted write left {temp}" in cp.stdout
    assert "license itself is intact" in cp.stdout
    _code, rep, _err = repair_json(info.license_path, env, "--yes", "--only", "license.set-server-host")
    detail = results_by_id(rep)["license.set-server-host"][0]["detail"]
    assert f"removed the leftover {temp}" in detail and not os.path.exists(temp)
