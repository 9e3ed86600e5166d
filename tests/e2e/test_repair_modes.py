"""`lmdoctor repair` as an unprivileged user, on a terminal, on the machine's own /usr/tmp, and --only
server.install-unit."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lmdoctor.checks.sandbox import Sandbox

from .repairhelp import IS_ROOT, host_usr_tmp_skip, lmdoctor, repair_json, results_by_id, user_env

NOBODY = 65534


@pytest.fixture
def open_sandbox():
    """A sandbox in a directory another user can read (pytest's tmp dirs are private to root)."""
    d = tempfile.mkdtemp(prefix="lmdoctor-repair-")
    os.chmod(d, 0o755)
    sb = Sandbox(os.path.join(d, "sb"))
    try:
        yield sb, Path(d)
    finally:
        sb.stop()
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(not IS_ROOT or not shutil.which("setpriv"), reason="needs root to become another user")
def test_not_root_prints_the_exact_sudo_lines_and_changes_nothing(open_sandbox):
    from tests.unit.test_safe_write import python_runs_as_nobody

    if not python_runs_as_nobody():
        pytest.skip(f"{sys.executable} cannot run as an unprivileged user here (its files are private to root)")
    sb, base = open_sandbox
    info = sb.start("placeholder-host")
    os.chmod(sb.dir, 0o755)
    home = base / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    original = Path(info.license_path).read_bytes()
    env = user_env(home)
    prefix = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    cp = lmdoctor("repair", "--license", info.license_path, "--timeout", "1", "--yes", "--format", "json",
                  env=env, prefix=prefix)
    assert cp.returncode == 2, cp.stderr
    rep = json.loads(cp.stdout)
    by = results_by_id(rep)
    edit = by["license.set-server-host"][0]
    assert edit["status"] == "manual"
    assert edit["detail"].startswith("needs root; run: sudo ")
    assert f"repair --license {info.license_path} --only license.set-server-host --yes" in edit["detail"]
    assert by["server.start"][0]["status"] == "skipped"
    plan = {a["id"]: a for a in rep["plan"]}
    assert plan["license.set-server-host"]["needs_root"] is True
    if not os.path.lexists("/usr/tmp"):
        assert by["system.link-usr-tmp"][0]["detail"] == "needs root; run: sudo ln -s /tmp /usr/tmp"
    assert Path(info.license_path).read_bytes() == original
    assert not os.path.lexists("/usr/tmp") or os.path.isdir("/usr/tmp")


def test_terminal_asks_per_action_and_no_means_no(sandbox_factory, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    original = Path(info.license_path).read_bytes()
    child = pexpect.spawn(sys.executable, ["-m", "lmdoctor", "repair", "--license", info.license_path, "--timeout",
                                           "1", *host_usr_tmp_skip("placeholder-host")],
                          env=env, encoding="utf-8", timeout=120, dimensions=(40, 200))
    try:
        child.expect(r"Apply \[1\] license.set-server-host: .*\? \[Y\]es / \[n\]o / \[a\]ll / \[q\]uit: ")
        child.sendline("maybe")
        child.expect("Please answer y, n, a or q.")
        child.expect(r"\[q\]uit: ")
        child.sendline("n")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    out = child.before or ""
    assert "not applied: you said no" in out
    assert "not applied: it needs license.set-server-host first" in out
    assert "Apply [2]" not in out  # nothing is asked about an action whose cause was declined
    assert Path(info.license_path).read_bytes() == original
    assert child.exitstatus == 2


def _private_usr(tmp_path: Path):
    """A mount namespace where /usr is an overlay: /usr/tmp may be made there and vanishes with it."""
    if not IS_ROOT or not shutil.which("unshare"):
        return None
    up, work = tmp_path / "upper", tmp_path / "work"
    up.mkdir()
    work.mkdir()
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", f"mount -t overlay overlay -o lowerdir=/usr,"
                            f"upperdir={up},workdir={work} /usr"], capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "--mount", "sh", "-c", f'mount -t overlay overlay -o lowerdir=/usr,upperdir={up},'
            f'workdir={work} /usr && exec "$@"', "private-usr"]


def test_the_machines_own_usr_tmp_is_linked_and_unlinked(sandbox_factory, tmp_path):
    if os.path.lexists("/usr/tmp"):
        pytest.skip("this machine has a /usr/tmp")
    wrap = _private_usr(tmp_path)
    if wrap is None:
        pytest.skip("needs root and an overlay mount to keep the machine's /usr untouched")
    info = sandbox_factory("placeholder-host")
    env = user_env(tmp_path)
    script = (
        f"{sys.executable} -m lmdoctor repair --license {info.license_path} --timeout 1 --yes --format json "
        "--only system.link-usr-tmp > out.json; "
        "readlink /usr/tmp > link.txt; "
        f"{sys.executable} -m lmdoctor repair --undo --yes > undo.txt; "
        "test -e /usr/tmp && echo present > after.txt || echo absent > after.txt"
    )
    cp = subprocess.run(wrap + ["sh", "-c", script], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                        timeout=240)
    assert cp.returncode == 0, cp.stderr
    rep = json.loads((tmp_path / "out.json").read_text())
    res = results_by_id(rep)["system.link-usr-tmp"][0]
    assert res["status"] == "applied" and "made /usr/tmp -> /tmp" in res["detail"]
    assert (tmp_path / "link.txt").read_text().strip() == "/tmp"
    assert "removed the link /usr/tmp -> /tmp" in (tmp_path / "undo.txt").read_text()
    assert (tmp_path / "after.txt").read_text().strip() == "absent"
    assert not os.path.lexists("/usr/tmp")  # the machine itself never saw it


def test_install_unit_only_on_request_writes_the_unit_and_enables_nothing(sandbox_factory, tmp_path):
    info = sandbox_factory("healthy")
    env = user_env(tmp_path)
    env["LMDOCTOR_UNIT_DIR"] = str(tmp_path / "systemd")
    (tmp_path / "systemd").mkdir()
    code, rep, _err = repair_json(info.license_path, env, "--yes")
    assert "server.install-unit" not in {a["id"] for a in rep["plan"]}
    code, rep, _err = repair_json(info.license_path, env, "--yes", "--only", "server.install-unit")
    assert [a["id"] for a in rep["plan"]] == ["server.install-unit"]
    res = rep["results"][0]
    assert res["status"] == "applied" and "sudo systemctl enable --now lmgrd-sigasi.service" in res["detail"]
    unit = (tmp_path / "systemd" / "lmgrd-sigasi.service").read_text()
    assert f"ExecStart={info.lmgrd_path} -z -c {info.license_path} -l +{info.log_path}" in unit
    assert "Type=simple" in unit and "SuccessExitStatus=15" in unit and "User=root" in unit
    cp = lmdoctor("repair", "--undo", "--yes", env=env)
    assert cp.returncode == 0 and not (tmp_path / "systemd" / "lmgrd-sigasi.service").exists()


def test_list_and_bad_arguments():
    env = dict(os.environ)
    cp = lmdoctor("repair", "--list", "--format", "json", env=env)
    rows = {r["id"]: r for r in json.loads(cp.stdout)["actions"]}
    assert rows["process.stop-duplicates"]["reversible"] is False
    assert rows["server.install-unit"]["on_request_only"] is True
    cp = lmdoctor("repair", "--only", "license.nonsense", env=env)
    assert cp.returncode == 3 and "unknown action" in cp.stderr
    cp = lmdoctor("repair", "--yes", "--dry-run", env=env)
    assert cp.returncode == 3
    cp = lmdoctor("repair", "--license", "/nonexistent/sigasi.lic", env=env)
    assert cp.returncode == 3 and "/nonexistent/sigasi.lic" in cp.stderr
    cp = lmdoctor("repair", "--undo", "not-a-run", env=env)
    assert cp.returncode == 3 and "not a repair run id" in cp.stderr


def test_copy_damaged_key_is_restored_and_undo_gives_the_damage_back(tmp_path):
    from lmdoctor.checks.license import parse_license

    src = Path(__file__).resolve().parents[1] / "fixtures" / "licenses" / "mail_quoted.lic"
    lic = tmp_path / "sigasi.lic"
    lic.write_bytes(src.read_bytes())
    env = user_env(tmp_path)
    code, rep, _err = repair_json(str(lic), env, "--yes", "--only", "license.restore-copy")
    res = results_by_id(rep)["license.restore-copy"][0]
    assert res["status"] == "applied", res
    fixed = lic.read_bytes()
    assert b"\n> " not in fixed and not fixed.startswith(b">")
    assert [f.sign for f in parse_license(fixed).features] == \
        [f.sign for f in parse_license(src.read_bytes().replace(b"> ", b"")).features]
    assert "license.mail-quote" not in {f["id"] for f in rep["after"]["findings"]}
    cp = lmdoctor("repair", "--undo", "--yes", env=env)
    assert cp.returncode == 0 and lic.read_bytes() == src.read_bytes()


def test_client_search_path_is_written_to_flexlmrc_and_taken_back(tmp_path):
    env = user_env(tmp_path)
    cp = lmdoctor("repair", "--server", "27000@licsrv01", "--timeout", "1", "--yes", "--format", "json",
                  "--only", "searchpath.set-env", env=env)
    rep = json.loads(cp.stdout)
    assert results_by_id(rep)["searchpath.set-env"][0]["status"] == "applied"
    assert (tmp_path / ".flexlmrc").read_bytes() == b"SIGASI_LM_LICENSE_FILE=27000@licsrv01\n"
    cp = lmdoctor("repair", "--undo", "--yes", env=env)
    assert cp.returncode == 0 and not (tmp_path / ".flexlmrc").exists()
