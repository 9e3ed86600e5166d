"""The repair's smaller parts: the action registry against the tree, links, ~/.flexlmrc, units, ports, journal."""
from __future__ import annotations

import json
import os
import socket

import pytest

from lmdoctor.checks.repair import journal as jr
from lmdoctor.checks.repair import ports
from lmdoctor.checks.repair import system_actions as sa
from lmdoctor.checks.repair.apply import Decision, undo_run
from lmdoctor.checks.repair.model import ActionKind, ActionResult, PlannedAction, RepairPlan, ResultStatus
from lmdoctor.checks.repair.process_actions import appending
from lmdoctor.checks.repair.registry import BY_ID, known
from lmdoctor.checks.safe_write import sha256_bytes


def test_every_repair_id_the_tree_carries_is_an_action():
    from lmdoctor.checks.tree.loader import load_tree

    tree = load_tree()
    ids = {n.repair for n in tree.nodes.values() if getattr(n, "repair", None)}
    assert ids, "the tree has repair ids"
    assert sorted(i for i in ids if not known(i)) == []
    assert {"license.set-server-host", "license.change-port", "process.stop-duplicates",
            "system.link-usr-tmp", "firewall.open-ports", "daemon.update"} <= ids
    assert not BY_ID["process.stop-duplicates"].reversible and not BY_ID["server.restart"].reversible


def test_usr_tmp_link_is_the_manuals_on_this_machine_and_relative_in_another_root(tmp_path):
    assert sa.usr_tmp_link("/") == sa.LinkPlan("/usr/tmp", "/tmp", sa.usr_tmp_link("/").why)
    root = tmp_path / "root"
    (root / "usr").mkdir(parents=True)
    (root / "tmp").mkdir()
    p = sa.usr_tmp_link(str(root))
    assert p.link == str(root / "usr" / "tmp") and p.target == "../tmp"
    sa.make_link(p)
    assert sa.link_ok(p) and os.path.realpath(p.link) == str(root / "tmp")
    with pytest.raises(FileExistsError):
        sa.make_link(p)  # never replaces what is there
    os.unlink(p.link)
    os.symlink("/elsewhere", p.link)
    assert "left in place" in sa.remove_link(p.link, "../tmp") and os.path.islink(p.link)
    os.unlink(p.link)
    sa.make_link(p)
    assert sa.remove_link(p.link, "../tmp").startswith("removed") and not os.path.lexists(p.link)


def test_flexlmrc_variable_is_replaced_or_appended():
    assert sa.set_variable(b"", "SIGASI_LM_LICENSE_FILE", "27000@srv") == b"SIGASI_LM_LICENSE_FILE=27000@srv\n"
    data = b"# mine\nLM_LICENSE_FILE=1@a\nSIGASI_LM_LICENSE_FILE=27000@old\r\nX=1"
    out = sa.set_variable(data, "SIGASI_LM_LICENSE_FILE", "27005@old")
    assert out == b"# mine\nLM_LICENSE_FILE=1@a\nSIGASI_LM_LICENSE_FILE=27005@old\r\nX=1"
    assert sa.set_variable(b"X=1", "A_LICENSE_FILE", "1@h") == b"X=1\nA_LICENSE_FILE=1@h\n"
    assert sa.vendor_variable("sigasi") == "SIGASI_LM_LICENSE_FILE"
    assert sa.vendor_variable("MLM") == "MLM_LICENSE_FILE"


def test_use_127_rewrites_localhost_entries_only():
    data = b"SIGASI_LM_LICENSE_FILE=27000@localhost:27001@localhost\n# 1@localhost\nOTHER=localhost\n"
    out, n = sa.use_127(data)
    assert n == 2
    assert out == b"SIGASI_LM_LICENSE_FILE=27000@127.0.0.1:27001@127.0.0.1\n# 1@localhost\nOTHER=localhost\n"


def test_unit_runs_lmgrd_in_the_foreground_as_systemd_expects():
    text = sa.unit_text("/opt/flex/lmgrd", "/opt/flex/sigasi.lic", "/var/log/lmgrd.log", "flexlm", "sigasi",
                        "/opt/flex/lmutil")
    assert "Type=simple\n" in text and "SuccessExitStatus=15\n" in text and "User=flexlm\n" in text
    assert "ExecStart=/opt/flex/lmgrd -z -c /opt/flex/sigasi.lic -l +/var/log/lmgrd.log\n" in text
    assert sa.unit_name("sigasi") == "lmgrd-sigasi.service"
    assert sa.systemctl_lines("lmgrd-sigasi.service")[1] == "sudo systemctl enable --now lmgrd-sigasi.service"


def test_firewall_lines_name_both_ports_for_each_firewall():
    lines = sa.firewall_lines([27000, 27001], "sigasi")
    text = "\n".join(lines)
    assert "firewall-cmd --permanent --add-port=27000/tcp --add-port=27001/tcp" in text
    assert "sudo ufw allow 27000/tcp" in text and "sudo ufw allow 27001/tcp" in text
    assert 'netsh advfirewall firewall add rule name="FlexNet sigasi 27001" dir=in action=allow protocol=TCP ' \
           "localport=27001" in text


def test_sudo_lines_are_quoted_argv():
    assert sa.sudo_line(["ln", "-s", "/tmp", "/usr/tmp"]) == "sudo ln -s /tmp /usr/tmp"
    assert sa.sudo_line(["x", "a b"]) == "sudo x 'a b'"


def test_appending_keeps_argv_but_never_truncates_the_log():
    assert appending(["/x/lmgrd", "-c", "a.lic", "-l", "/x/debug.log", "-z"]) == \
        ["/x/lmgrd", "-c", "a.lic", "-l", "+/x/debug.log", "-z"]
    assert appending(["/x/lmgrd", "-l", "+d.log"]) == ["/x/lmgrd", "-l", "+d.log"]


def test_free_port_skips_busy_and_license_ports():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    busy = s.getsockname()[1]
    try:
        assert not ports.bindable(busy)
        got = ports.free_port(busy - 1, avoid=[busy + 1])
        assert got is not None and got not in (busy, busy + 1) and ports.bindable(got)
        assert not ports.is_free(got, busy=[got])
    finally:
        s.close()


def _plan(tmp_path):
    a = PlannedAction("license.set-server-host", "t", ["license.placeholder-host"], ActionKind.FILE_EDIT, "diff",
                      key="license.set-server-host")
    return RepairPlan([a], str(tmp_path / "sigasi.lic"), [])


def test_journal_round_trip_and_undo_restores_bytes(tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    lic = tmp_path / "sigasi.lic"
    lic.write_bytes(b"SERVER vm 02fc00000001 27000\n")
    j = jr.Journal(env=env)
    j.create(_plan(tmp_path), "apply", ["repair", "--yes"])
    backup = j.backup_path(str(lic))
    with open(backup, "wb") as fh:
        fh.write(b"SERVER your_server_name1 02fc00000001 27000\n")
    rec = {"type": "file", "path": str(lic), "backup": backup, "after_sha": sha256_bytes(lic.read_bytes()),
           "before_sha": sha256_bytes(b"SERVER your_server_name1 02fc00000001 27000\n"), "created": False}
    j.record(ActionResult("license.set-server-host", ResultStatus.APPLIED, "wrote", "license.set-server-host",
                          undo={"records": [rec]}))
    j.finish({"fail": 0})
    assert stat_mode(j.dir) == 0o700
    assert jr.latest_changed_run(env) == j.run_id
    run = jr.load_run(j.run_id, env)
    assert run["plan"]["plan"][0]["id"] == "license.set-server-host" and not run["undone"]
    lines = []
    res = undo_run(run, lambda a: Decision.YES, lines.append)
    assert [r.status for r in res] == [ResultStatus.APPLIED]
    assert lic.read_bytes() == b"SERVER your_server_name1 02fc00000001 27000\n"
    jr.mark_undone(run["dir"], res)
    assert jr.latest_changed_run(env) is None
    assert json.loads((tmp_path / "state" / "lmdoctor" / "repairs" / j.run_id / "undo.json").read_text())["results"]


def test_journal_refuses_bad_run_ids_and_symlinked_files(tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    with pytest.raises(jr.JournalError):
        jr.load_run("../../etc", env)
    with pytest.raises(jr.JournalError):
        jr.load_run("20250101T120000-abcdef", env)
    j = jr.Journal(env=env)
    os.makedirs(j.dir)
    os.symlink(str(tmp_path / "elsewhere.json"), os.path.join(j.dir, jr.PLAN))
    with pytest.raises(jr.JournalError):
        j.create(_plan(tmp_path), "apply", [])
    assert not (tmp_path / "elsewhere.json").exists()


def stat_mode(p: str) -> int:
    return os.stat(p).st_mode & 0o777
