"""`lmdoctor diagnose` end to end: the real CLI in a subprocess (batch, JSON, interactive)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(args, tmp_path, stdin=None):
    env = {k: v for k, v in os.environ.items() if "LICENSE_FILE" not in k}
    env["HOME"] = str(tmp_path)
    env["NO_COLOR"] = "1"
    p = subprocess.run([sys.executable, "-m", "lmdoctor", "diagnose", *args], cwd=str(tmp_path), env=env,
                       input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_list_names_every_symptom(tmp_path):
    from lmdoctor.checks.tree import load_tree

    code, out, _ = run(["--list"], tmp_path)
    assert code == 0
    for sid in load_tree().symptoms:
        assert sid in out
    code, out, _ = run(["--list", "--format", "json"], tmp_path)
    rows = json.loads(out)
    assert {"id": "another-server", "title": "Exiting due to signal 32 (another server was running)",
            "start": "S12", "seed_ref": "Troubleshooting > Typical error messages"} in rows


def test_unanswered_question_stops_with_the_answers_to_give(tmp_path):
    code, out, _ = run(["Exiting due to signal 32"], tmp_path)
    assert code == 3
    assert "Stopped at step S12" in out
    assert "--answer S12=yes" in out and "--answer S12=no" in out
    assert "add --auto" in out


def test_answers_reach_the_leaf_and_json_has_the_walk(tmp_path):
    code, out, _ = run(['FLEXnet Error: "Exiting due to signal 32" (Exited because another server was running)',
                        "--answer", "S12=no", "-a", "S12.2=1", "--format", "json"], tmp_path)
    assert code == 0
    d = json.loads(out)
    assert d["symptom"]["id"] == "another-server"
    assert [s["id"] for s in d["steps"]] == ["S12", "S12.2"]
    for s in d["steps"]:
        assert {"id", "kind", "question", "answer", "evidence", "answered_by"} <= set(s)
        assert s["answered_by"] == "answer"
    assert d["steps"][0]["probe"] == "process.duplicate"
    assert d["leaf"]["id"] == "S12.3" and "C:\\LMFlex\\" in " ".join(d["leaf"]["fix"])
    assert d["leaf"]["repair"] == "windows.rename-flexlm-folder"
    assert d["pending"] is None
    assert d["match"][0]["id"] == "another-server"


def test_text_and_markdown_show_path_and_fix(tmp_path):
    code, out, _ = run(["Updating DACL Failed", "--answer", "S7=yes", "--format", "text"], tmp_path)
    assert code == 0
    assert "S7 " in out and "Diagnosis  S7.1" in out and "lmtools.zip" in out
    code, out, _ = run(["Updating DACL Failed", "--answer", "S7=yes", "--format", "markdown"], tmp_path)
    assert code == 0 and "### S7.1:" in out and "| S7 |" in out


def test_error_code_alone(tmp_path):
    code, out, _ = run(["-13,66", "--format", "json"], tmp_path)
    d = json.loads(out)
    assert code == 3 and d["symptom"]["id"] == "no-server-lines" and d["pending"]["id"] == "S9"


def test_license_probe_answers_with_auto(tmp_path):
    lic = tmp_path / "sigasi.lic"
    lic.write_text("DAEMON sigasi port=27001\nSERVER your_server_name1 BD41FCF5DE27 27000\n"
                   "INCREMENT com.sigasi.hdt sigasi 4.0 1-jan-0 4 HOSTID=ANY SIGN=\"0CCC 87EA\"\n", encoding="utf-8")
    code, out, _ = run(["Invalid license key (inconsistent authentication code)", "--auto", "--license", str(lic),
                        "--format", "json"], tmp_path)
    d = json.loads(out)
    assert code == 0 and d["leaf"]["id"] == "S3.2"
    assert d["steps"][0]["answered_by"] == "probe"
    assert any("your_server_name1" in e for e in d["steps"][0]["evidence"])


def test_ambiguous_message_lists_candidates(tmp_path):
    msg = "Exited because another server was running. The TCP port number in the license, 27000, is already in use."
    code, out, _ = run([msg], tmp_path)
    assert code == 3
    assert "another-server" in out and "port-in-use" in out and "--symptom" in out
    code, out, _ = run([msg, "--format", "json"], tmp_path)
    d = json.loads(out)
    assert d["symptom"] is None and d["ambiguous"] is True and len(d["candidates"]) >= 2
    code, out, _ = run([msg, "--symptom", "port-in-use", "--answer", "S13=foreign"], tmp_path)
    assert code == 0 and "S13.1" in out


def test_no_match_and_bad_arguments(tmp_path):
    code, out, _ = run(["completely unrelated words"], tmp_path)
    assert code == 3 and out.startswith("No confident match") and "--list" in out
    code, _, err = run(["No license", "--answer", "S2"], tmp_path)
    assert code == 3 and "STEP=CHOICE" in err
    code, _, err = run(["No license", "--answer", "S77=yes"], tmp_path)
    assert code == 3 and "unknown step 'S77'" in err
    code, _, err = run(["No license", "--answer", "S2=perhaps"], tmp_path)
    assert code == 3 and "not a choice of step S2" in err
    code, _, err = run(["--symptom", "nope"], tmp_path)
    assert code == 3 and "unknown symptom" in err
    code, _, err = run([], tmp_path)
    assert code == 3 and "MESSAGE" in err


def test_message_from_stdin(tmp_path):
    log = " 9:00:01 (lmgrd) The TCP port number in the license, 27000, is already in use.\n"
    code, out, _ = run(["-", "--format", "json"], tmp_path, stdin=log)
    assert json.loads(out)["symptom"]["id"] == "port-in-use"


def test_help_documents_exit_status(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "lmdoctor", "diagnose", "--help"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 0
    assert "exit status" in p.stdout and "--answer STEP=CHOICE" in p.stdout


def _spawn(args, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if "LICENSE_FILE" not in k}
    env.update(HOME=str(tmp_path), NO_COLOR="1", TERM="dumb")
    return pexpect.spawn(sys.executable, ["-m", "lmdoctor", "diagnose", *args], cwd=str(tmp_path), env=env,
                         encoding="utf-8", timeout=30)


def test_interactive_numbered_choices_back_and_leaf(tmp_path):
    child = _spawn(["Exiting due to signal 32"], tmp_path)
    try:
        child.expect(r"\[S12\] Are multiple instances")
        child.expect("2. No, only one")
        child.expect("> ")
        child.sendline("2")
        child.expect(r"\[S12.2\] Did you install")
        child.expect("> ")
        child.sendline("b")  # back to S12
        child.expect(r"\[S12\] Are multiple instances")
        child.expect("> ")
        child.sendline("maybe")
        child.expect("not a choice")
        child.expect("> ")
        child.sendline("1")
        child.expect("Diagnosis  S12.1")
        child.expect("stop lmtools.exe")
        child.expect(child.EOF if hasattr(child, "EOF") else __import__("pexpect").EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_interactive_quit_and_pick_a_candidate(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    msg = "Exited because another server was running. The TCP port number in the license, 27000, is already in use."
    child = _spawn([msg], tmp_path)
    try:
        child.expect("Which of these is it")
        child.expect("number")
        child.sendline("2")
        child.expect(r"\[S1[23]\]")
        child.expect("> ")
        child.sendline("q")
        child.expect("Stopped at step")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 3


def test_go_to_step(tmp_path):
    # "Go to step S5.10": the walk starts there, in the symptom that step belongs to.
    code, out, _ = run(["--step", "S5.10", "--answer", "S5.10=usr-tmp", "--answer", "S11=broken",
                        "--format", "json"], tmp_path)
    d = json.loads(out)
    assert code == 0
    assert d["symptom"]["id"] == "server-not-working" and d["started_at"] == "S5.10"
    assert [s["id"] for s in d["steps"]] == ["S5.10", "S11"] and d["leaf"]["id"] == "S11.1"
    code, out, _ = run(["--step", "S9.1"], tmp_path)
    assert code == 0 and "Diagnosis  S9.1" in out
    code, _, err = run(["--step", "S99"], tmp_path)
    assert code == 3 and "unknown step" in err


def test_network_probes_on_loopback(tmp_path):
    import socket

    from lmdoctor.checks.tree.probes import ProbeEnv, run_probe

    lm = socket.socket()
    lm.bind(("127.0.0.1", 0))
    lm.listen(4)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connects are refused
    try:
        lm_port, vd_port = lm.getsockname()[1], closed.getsockname()[1]
        lic = tmp_path / "sigasi.lic"
        lic.write_text(f"DAEMON sigasi port={vd_port}\nSERVER licsrv BD41FCF5DE27 {lm_port}\n"
                       "INCREMENT com.sigasi.hdt sigasi 4.0 1-jan-0 4 HOSTID=ANY SIGN=\"0CCC 87EA\"\n",
                       encoding="utf-8")
        env = ProbeEnv(license_path=str(lic), servers=[f"{lm_port}@127.0.0.1"], timeout=2)
        r = run_probe("net.server", env)
        assert r.outcome == "open" and f"127.0.0.1:{lm_port}" in " ".join(r.evidence)
        r = run_probe("net.vendor-port", env)
        assert r.outcome == "refused" and f"127.0.0.1:{vd_port}" in " ".join(r.evidence)
        env2 = ProbeEnv(license_path=str(lic), servers=[f"{vd_port}@127.0.0.1"], timeout=2)
        assert run_probe("net.server", env2).outcome == "refused"
    finally:
        lm.close()
        closed.close()


def test_vendor_messages_reach_their_diagnosis_without_auto(tmp_path):
    """Issue 13 items 10-12 through the real CLI: codes first, the vendor's words, the pasted text."""
    preview = ('14:01:02 (sigasi) UNSUPPORTED: "com.sigasi.hdt.preview" (PORT_AT_HOST_PLUS   ) bob@ws1  '
               '(License server system does not support this feature. (-18,327:10054 ""))')
    code, out, _ = run([preview], tmp_path)
    assert code == 0 and "S16.1" in out and "measured from message" in out
    code, out, _ = run(["License Manager Error -9. Your username does not match the username in the license file."],
                       tmp_path)
    assert code == 0 and "S19" in out and "user name" in out
    code, out, _ = run(["Checkout failed: User/host not on INCLUDE list for feature. (-39, 147)"], tmp_path)
    assert code == 0 and "S17.1" in out and "INCLUDE" in out
    code, out, _ = run(["the server is not good today", "--format", "json"], tmp_path)
    doc = json.loads(out)
    assert code == 3 and doc["confident"] is False and len(doc["candidates"]) <= 3


@pytest.mark.parametrize("answer,leaf,status", [("three", "S24.1", "warn"), ("two", "S24.2", "warn"),
                                                ("one", "S24.3", "fail")])
def test_a_triad_that_lost_its_quorum_is_judged_by_how_many_servers_are_up(tmp_path, answer, leaf, status):
    rc, out, err = run(["10:12:01 (lmgrd) Lost quorum", "--answer", f"S24={answer}", "--format", "json"], tmp_path)
    doc = json.loads(out)
    assert doc["symptom"]["id"] == "triad-quorum"
    assert (doc["leaf"]["id"], doc["leaf"]["status"], rc) == (leaf, status, 0), err  # 0: a diagnosis was reached
