"""Walking the tree: answers, presets, back, the transcript, and probes that answer offline
(license lint, the pasted message, a debug log file) or fall back to asking."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.tree import Walk, WalkError, load_tree
from lmdoctor.checks.tree.model import UNKNOWN
from lmdoctor.checks.tree.probes import REGISTRY, ProbeEnv, run_probe
from lmdoctor.checks.tree.walk import BY_PERSON, BY_PRESET, BY_PROBE

SIGN = ('SIGN="0CCC 87EA 9BB6 256E 7D81 E49D B2A6 E53D 1CA5 41D4 63DF 8671 5695 EF82 0E30 1028 \\\n'
        '        732D DED3 0999 FD11 8B97 42B0 7CF2 F51F 20A0 DA6E 7F54 9D64 FF29 49AB"')


def lic(tmp_path, server="SERVER licsrv BD41FCF5DE27 27000", daemon="DAEMON sigasi port=27001",
        expiry="1-jan-0", name="sigasi.lic"):
    text = "\n".join(x for x in (daemon, server) if x) + "\n"
    text += (f"INCREMENT com.sigasi.hdt sigasi 4.0 {expiry} 4 HOSTID=ANY ISSUER=Sigasi \\\n"
             f"        ISSUED=21-Oct-2012 START=21-Oct-2012 {SIGN}\n")
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def offline(**kw) -> ProbeEnv:
    kw.setdefault("live", False)
    return ProbeEnv(**kw)


def test_answers_walk_to_a_leaf_and_record_each_step():
    w = Walk(load_tree(), "dacl-failed")
    assert w.current.id == "S7" and not w.done
    w.answer("1")  # by number
    assert w.done and w.leaf.id == "S7.1"
    assert [s.node.id for s in w.steps] == ["S7"]
    st0 = w.steps[0]
    assert st0.choice.key == "yes" and st0.by == BY_PERSON
    d = w.to_dict()
    assert d["symptom"]["id"] == "dacl-failed" and d["leaf"]["id"] == "S7.1" and d["pending"] is None
    assert d["steps"][0]["question"].startswith("Did you get this")


def test_answer_by_key_or_label_and_bad_answers():
    w = Walk(load_tree(), "another-server")
    with pytest.raises(WalkError):
        w.answer("maybe")
    with pytest.raises(WalkError):
        w.answer("7")
    w.answer("No, only one (or none now)")  # the label works too
    assert w.current.id == "S12.2"
    w.answer("yes")
    assert w.leaf.id == "S12.3"
    with pytest.raises(WalkError):
        w.answer("yes")  # nothing to answer at a leaf


def test_back_undoes_steps():
    w = Walk(load_tree(), "another-server")
    w.answer("no")
    w.answer("no")
    assert w.leaf.id == "S12.4"
    assert w.back().id == "S12.2"
    assert w.back().id == "S12"
    assert w.back().id == "S12"  # nothing left to undo
    assert w.steps == []


def test_presets_are_applied_and_checked():
    tree = load_tree()
    w = Walk(tree, "another-server", answers={"S12": "no", "S12.2": "1"})
    w.advance()
    assert w.leaf.id == "S12.3"
    assert all(s.by == BY_PRESET for s in w.steps)
    with pytest.raises(WalkError, match="unknown step"):
        Walk(tree, "another-server", answers={"S99": "yes"})
    with pytest.raises(WalkError, match="not a choice"):
        Walk(tree, "another-server", answers={"S12": "perhaps"})
    with pytest.raises(WalkError, match="diagnosis"):
        Walk(tree, "another-server", answers={"S12.1": "yes"})
    with pytest.raises(WalkError, match="unknown symptom"):
        Walk(tree, "nope")


def test_advance_stops_at_an_unanswered_question():
    w = Walk(load_tree(), "another-server", answers={"S12": "no"})
    w.advance()
    assert w.current.id == "S12.2" and not w.done
    d = w.to_dict()
    assert d["leaf"] is None
    assert [c["answer"] for c in d["pending"]["choices"]] == ["--answer S12.2=yes", "--answer S12.2=no"]


def test_probe_falls_back_to_asking_when_it_cannot_run():
    # No license, live probes off: nothing can be measured; the walk asks, and says why.
    w = Walk(load_tree(), "server-not-working", env=offline(), auto=True)
    w.advance()
    assert w.current.id == "S5" and w.steps == []
    assert w.pending_note and "live probes are off" in w.pending_note[0]
    w.answer("running")
    assert w.steps[-1].probe_note  # the transcript keeps why the probe could not answer


def test_auto_placeholder_host_reaches_the_rename_fix(tmp_path):
    path = lic(tmp_path, server="SERVER your_server_name1 BD41FCF5DE27 27000")
    w = Walk(load_tree(), "inconsistent-key", env=offline(license_path=path), auto=True)
    w.advance()
    assert w.leaf.id == "S3.2"
    assert w.steps[0].by == BY_PROBE
    assert any("license.placeholder-host" in e for e in w.steps[0].evidence)


def test_auto_no_server_lines(tmp_path):
    path = lic(tmp_path, server="")
    w = Walk(load_tree(), "no-server-lines", env=offline(license_path=path), auto=True)
    w.advance()
    assert w.leaf.id == "S9.1"
    path2 = lic(tmp_path, name="ok.lic")
    w2 = Walk(load_tree(), "no-server-lines", env=offline(license_path=path2), auto=True)
    w2.advance()
    assert w2.leaf.id == "S9.2"


def test_auto_token_pasted_as_message_and_as_file(tmp_path):
    w = Walk(load_tree(), "key-not-working", env=offline(message="A1B2C3D4E5F6G7H8J9K0L1M2"), auto=True)
    w.advance()
    assert w.leaf.id == "S1.8"
    tok = tmp_path / "token.lic"
    tok.write_text("A1B2C3D4E5F6G7H8J9K0L1M2\n", encoding="utf-8")
    w = Walk(load_tree(), "key-not-working", env=offline(license_path=str(tok)), auto=True)
    w.advance()
    assert w.leaf.id == "S1.8"


def test_auto_key_checklist_expired(tmp_path):
    path = lic(tmp_path, expiry="1-jan-2020")
    w = Walk(load_tree(), "key-not-working", env=offline(license_path=path), auto=True)
    w.advance()
    assert [s.node.id for s in w.steps] == ["S1", "S1.1", "S1.2"]
    assert w.leaf.id == "S1.10"


def test_auto_random_vendor_port_with_presets(tmp_path):
    path = lic(tmp_path, daemon="DAEMON sigasi")
    answers = {"S5": "running", "S5.1": "no", "S5.2": "running", "S5.3": "open", "S5.4": "blocked"}
    w = Walk(load_tree(), "server-not-working", env=offline(license_path=path), auto=True, answers=answers)
    w.advance()
    assert w.leaf.id == "S5.23"
    assert w.steps[-1].node.id == "S5.4.1" and w.steps[-1].by == BY_PROBE


def test_preset_answer_overrides_a_probe(tmp_path):
    path = lic(tmp_path, daemon="DAEMON sigasi")
    answers = {"S5": "running", "S5.1": "no", "S5.2": "running", "S5.3": "open", "S5.4": "blocked",
               "S5.4.1": "fixed"}
    w = Walk(load_tree(), "server-not-working", env=offline(license_path=path), auto=True, answers=answers)
    w.advance()
    assert w.leaf.id == "S5.24"


def test_exit_reason_from_message_then_expired_license(tmp_path):
    path = lic(tmp_path, expiry="1-jan-2020")
    env = offline(message="10:00:00 (sigasi) EXITING DUE TO SIGNAL 36 Exit reason 4", license_path=path)
    w = Walk(load_tree(), "vendor-exited", env=env, auto=True)
    w.advance()
    assert [s.choice.key for s in w.steps] == ["no-features", "yes"]
    assert w.leaf.id == "S1.10"


def test_log_file_answers_the_read_the_log_step(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("\n".join([
        " 8:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on old (linux) (1/1/2026)",
        " 8:00:01 (lmgrd) Wrong hostid on SERVER line for license file: /x.lic",
        " 9:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on vm (linux) (1/2/2026)",
        " 9:00:01 (lmgrd) The TCP port number in the license, 27000, is already in use.",
    ]) + "\n", encoding="utf-8")
    env = offline(log_paths=[str(log)])
    w = Walk(load_tree(), "invalid-message", env=env, auto=True, answers={"S6": "yes"})
    w.advance()
    # The latest start-up decides (port in use), not the older wrong-hostid run.
    assert w.steps[-1].node.id == "S5.10" and w.steps[-1].choice.key == "port-in-use"
    assert w.current.id == "S13"  # who holds the port: a live probe, off here, so it asks


def test_log_versions(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text(" 9:00:00 (lmgrd) FlexNet Licensing (v11.13.1.2 build 1 x64_lsb) started on vm (linux)\n"
                   " 9:00:01 (sigasi) FlexNet Licensing version v11.16.4.0 build 2 x64_lsb\n", encoding="utf-8")
    r = run_probe("log.versions", offline(log_paths=[str(log)]))
    assert r.outcome == "lmgrd-older" and "v11.13.1.2" in r.evidence[0]


def test_unsupported_lines():
    harmless = ('9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" '
                '(PORT_AT_HOST_PLUS   ) u@h  (x (-18,327:10054 ""))')
    assert run_probe("message.unsupported", offline(message=harmless)).outcome == "sigasi-probe"
    other = '9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.xl" (PORT_AT_HOST_PLUS   ) u@h  (x (-18,327:10054 ""))'
    assert run_probe("message.unsupported", offline(message=other)).outcome == "other"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_probe_without_input_is_unknown_not_an_error(name):
    # The probe itself, not run_probe: run_probe turns a crash into "unknown" (so a walk never
    # ends in a traceback), which would make a crashing probe pass here.
    r = REGISTRY[name].func(offline())
    # Offline, with nothing given, no probe can know: each says so and says why.
    assert r.outcome == UNKNOWN, (name, r.outcome, r.evidence)
    assert r.evidence and all(isinstance(e, str) and e.strip() for e in r.evidence)
    assert not any("probe failed" in e for e in r.evidence)
    assert run_probe(name, offline()).evidence == r.evidence  # and the walk sees the same answer


def test_a_crashing_probe_becomes_a_question_that_names_the_crash(monkeypatch):
    import dataclasses

    spec = REGISTRY["license.kind"]

    def crash(env):
        raise KeyError("boom")

    monkeypatch.setitem(REGISTRY, "license.kind", dataclasses.replace(spec, func=crash))
    r = run_probe("license.kind", offline())
    assert r.outcome == UNKNOWN and "the probe failed (KeyError" in r.evidence[0] and "report" in r.evidence[0]


def test_unreadable_license_is_unknown(tmp_path):
    r = run_probe("license.server-host", offline(license_path=str(tmp_path / "missing.lic")))
    assert r.outcome == UNKNOWN and "cannot read" in r.evidence[0]
    binary = tmp_path / "blob.lic"
    binary.write_bytes(b"\x00\x01\x02garbage\xff" * 100)
    for name in ("license.server-host", "license.copy-damage", "license.kind", "license.vendor-port"):
        assert run_probe(name, offline(license_path=str(binary))).outcome in REGISTRY[name].outcomes + (UNKNOWN,)


def test_unknown_probe_name():
    assert run_probe("no.such", offline()).outcome == UNKNOWN


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_sequence_of_answers_ends_at_a_leaf(data):
    tree = load_tree()
    sid = data.draw(st.sampled_from(sorted(tree.symptoms)))
    w = Walk(tree, sid)
    backs = 0
    for _ in range(len(tree.nodes) + 10):
        if w.done:
            break
        if w.steps and backs < 5 and data.draw(st.integers(0, 9)) == 0:
            backs += 1
            w.back()
            continue
        n = w.current
        w.answer(str(data.draw(st.integers(1, len(n.choices)))))
    assert w.done
    assert len(w.steps) <= len(tree.nodes)


def test_start_at_a_step():
    tree = load_tree()
    assert tree.symptom_for_step("S5.10") == "server-not-working"
    assert tree.symptom_for_step("S5.10", prefer="invalid-message") == "invalid-message"
    assert tree.symptom_for_step("S12.3") == "another-server"
    w = Walk(tree, "server-not-working", start="S13")
    assert w.current.id == "S13" and w.to_dict()["started_at"] == "S13"
    with pytest.raises(WalkError, match="not part of symptom"):
        Walk(tree, "dacl-failed", start="S13")


# ------------------------------------------------------------------ "back" over answered steps
def test_back_over_a_preset_answer_stands_on_that_step_again(tmp_path):
    # diagnose invalid-message --answer S5.10=port-in-use: the person says "yes" at S6, the preset
    # answers the read-the-log step, the walk asks at S13. "back" returns to the preset's step
    # (the last one answered for the person), not one further to S6.
    w = Walk(load_tree(), "invalid-message", answers={"S5.10": "port-in-use"})
    assert w.advance() is w.current and w.current.id == "S6"
    assert w.answer("yes").id == "S5.10"
    assert w.advance().id == "S13"
    assert [(s.node.id, s.by) for s in w.steps] == [("S6", BY_PERSON), ("S5.10", BY_PRESET)]
    assert w.back_to_question().id == "S5.10"
    assert [s.node.id for s in w.steps] == ["S6"]
    # The preset does not come back by itself: the walk waits for a new answer there.
    assert w.advance().id == "S5.10" and w.current.id == "S5.10"
    assert w.answer("nothing").id == "S5.11"
    assert [(s.node.id, s.choice.key) for s in w.steps] == [("S6", "yes"), ("S5.10", "nothing")]


def test_back_undoes_the_probe_steps_after_the_last_answer_too(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text(" 9:00:01 (lmgrd) The TCP port number in the license, 27000, is already in use.\n",
                   encoding="utf-8")
    w = Walk(load_tree(), "invalid-message", env=offline(log_paths=[str(log)]), auto=True)
    w.answer("yes")
    w.advance()
    assert [(s.node.id, s.by) for s in w.steps] == [("S6", BY_PERSON), ("S5.10", BY_PROBE)]
    assert w.current.id == "S13"
    # The probe's step goes with the person's answer before it; otherwise walking on would
    # re-apply it and "back" would never get anywhere.
    assert w.back_to_question().id == "S6" and w.steps == []
    assert w.advance().id == "S6"  # asks again, even though nothing is preset
    assert w.back_to_question().id == "S6"  # nothing left to undo
    assert w.answer("no").id == "S6.1"


def test_without_auto_a_live_probe_step_is_asked_not_run():
    # diagnose without --auto on a live machine: only text probes answer; process.lmgrd (S5) reads
    # the process table, so the person is asked, with no "could not probe" note.
    w = Walk(load_tree(), "server-not-working", env=ProbeEnv(live=True))
    assert w.advance().id == "S5" and w.steps == [] and w.pending_note == []
    assert w.probe_current() is not None  # (the person may still ask the probe)


def test_without_auto_text_probes_read_only_the_files_given(tmp_path):
    # --log names a file: the read-the-log step is answered from it even without --auto and on a
    # live machine, and the next step (who holds the port: a live probe) is asked, not probed.
    log = tmp_path / "debug.log"
    log.write_text(" 9:00:01 (lmgrd) The TCP port number in the license, 27000, is already in use.\n",
                   encoding="utf-8")
    w = Walk(load_tree(), "invalid-message", env=ProbeEnv(live=True, log_paths=[str(log)]),
             answers={"S6": "yes"})
    assert w.advance().id == "S13"
    assert [(s.node.id, s.by, s.choice.key) for s in w.steps] == [("S6", BY_PRESET, "yes"),
                                                                  ("S5.10", BY_PROBE, "port-in-use")]
    assert "already in use" in " ".join(w.steps[1].evidence)
    r = w.probe_current()  # asked for anyway: it answers from the text only, so it cannot know
    assert r is not None and r.outcome == UNKNOWN and r.evidence == ["live probes are off"]


def test_a_walk_given_no_environment_never_looks_at_the_machine():
    w = Walk(load_tree(), "server-not-working", auto=True)
    assert w.env.live is False
    assert w.advance().id == "S5" and w.pending_note == ["live probes are off"]


def test_a_question_step_has_no_probe_to_run():
    w = Walk(load_tree(), "dacl-failed")
    assert w.current.id == "S7" and w.probe_current() is None


def test_pending_question_in_json_numbers_choices_from_one_with_the_answer_to_preset():
    w = Walk(load_tree(), "invalid-message")
    d = w.to_dict()
    assert d["leaf"] is None and d["pending"]["id"] == "S6"
    assert [(c["number"], c["key"], c["answer"]) for c in d["pending"]["choices"]] == [
        (1, "yes", "--answer S6=yes"), (2, "no", "--answer S6=no")]
    w.answer("2")
    assert w.to_dict()["steps"][0]["answer"] == "no"
