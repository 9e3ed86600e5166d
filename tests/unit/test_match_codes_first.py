"""Explain and diagnose (issue 13 items 10-12): codes first, the vendor's own words, no confident
match below the bar, and what the pasted text already says answers the tree's steps."""
from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lmdoctor.checks.explain import explain
from lmdoctor.checks.tree import load_tree
from lmdoctor.checks.tree.match import CONFIDENT, match_symptoms
from lmdoctor.checks.tree.probes import ProbeEnv, feature_in_message
from lmdoctor.checks.tree.render import render_no_match
from lmdoctor.checks.tree.walk import BY_PROBE, Walk
from tests.conftest import FIXTURES

TREE = load_tree()


def best(text):
    r = match_symptoms(TREE, text)
    return r.best.symptom.id if r.best else None


def score(text, sid):
    return next((c.score for c in match_symptoms(TREE, text, limit=50).candidates if c.symptom.id == sid), 0.0)


# ------------------------------------------------------------------ item 10: codes first

@pytest.mark.parametrize("text, sid", [
    ("Checkout failed: User/host not on INCLUDE list for feature. (-39, 147)", "options-include-exclude"),
    ("FlexNet Licensing error:-5,357. No such feature exists.", "no-such-feature"),
    ("FlexNet Licensing error:-39,147", "options-include-exclude"),
    ("(-5)", "no-such-feature"),
    ("Cannot find license file. The license files (or license server system network addresses) attempted are "
     "listed below.", "no-license"),
    ("(lmgrd) license manager: can't initialize: Cannot find license file", "lmgrd-no-license-file"),
])
def test_codes_and_words_never_become_no_server_lines(text, sid):
    assert best(text) == sid
    assert score(text, "no-server-lines") < CONFIDENT


@pytest.mark.parametrize("code, sid", [("-39", "options-include-exclude"), ("-38", "options-include-exclude"),
                                       ("-5", "no-such-feature"), ("-13,66", "no-server-lines"),
                                       ("-21,126", "license-version-too-old"), ("-114", "license-manager-too-old"),
                                       ("-16,287", "cannot-connect"), ("-9", "wrong-hostid")])
def test_a_bare_code_decides(code, sid):
    assert best(code) == sid


@given(st.sampled_from(["-5,357", "-39, 147", "-38,120", "-13,66", "-15,570:111", "-97,121", "-9,57"]),
       st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ")), max_size=60))
@example("-5,357", "no server lines in license file license server does not work")
@example("-39, 147", "cannot connect to the license server the floating license server does not work")
@settings(deadline=None)
def test_similar_words_never_outvote_the_code(code, words):
    """Whatever words surround a code, the symptom chosen (if any) is one that lists the code."""
    text = f"{words} ({code})"
    r = match_symptoms(TREE, text)
    major = int(code.split(",")[0])
    if r.best is not None:
        sym = r.best.symptom
        assert major in sym.codes or major in sym.context_codes, (text, sym.id, r.best.reasons)


# ------------------------------------------------------------------ item 11: the vendor's own words

@pytest.mark.parametrize("text, sid", [
    ("License Manager Error -9. Your username does not match the username in the license file. To run on this "
     "computer, you must run the Activation client to reactivate your license.", "user-locked"),
    ("License Manager Error -9. The hostid of your computer does not match the hostid of the license file.",
     "wrong-hostid"),
    ("License Manager Error -114. This version of MATLAB requires a network license manager update.",
     "license-manager-too-old"),
    ("lmutil lmstat -a -c 7070@fne01: Cannot read data from license server system. (-16,287) (the server runs "
     "flexnetls)", "flexnet-embedded"),
    ("Cannot read data from license server system. (-16,287)", "cannot-connect"),
])
def test_the_vendors_words_decide_between_symptoms_sharing_a_code(text, sid):
    assert best(text) == sid


def test_explain_reads_the_vendors_words():
    (f,) = [x for x in explain("License Manager Error -9. Your username does not match the username in the "
                               "license file.") if x.id == "explain.code"]
    assert "user name" in f.detail and "not to this machine's MAC" in f.detail
    (f,) = [x for x in explain("License Manager Error -9. The hostid of your computer does not match.")
            if x.id == "explain.code"]
    assert "lmhostid" in f.fix


def test_explain_is_vendor_neutral_unless_sigasi():
    (f,) = explain("-15,570:115")
    assert "sigasi" not in (f.detail + f.fix).lower()
    (f,) = [x for x in explain("12:00:00 (sigasi) Cannot connect to license server system (-15,570:115)")
            if x.id == "explain.code"]
    assert "27001" in f.detail


# ------------------------------------------------------------------ no confident match

def test_no_confident_match_shows_the_top_three_with_why():
    text = "the license server is slow and the floating license does not work well, lmgrd down"
    r = match_symptoms(TREE, "the server is not good today, lmgrd")
    assert r.best is None
    out = render_no_match("text", r, "the server is not good today, lmgrd")
    assert out.startswith("No confident match")
    assert "below the 60% bar" in out and "why: " in out
    r = match_symptoms(TREE, text)
    out = render_no_match("text", r, text)
    shown = [ln for ln in out.splitlines() if ln.startswith("  ") and ". " in ln[:6]]
    assert 1 <= len(shown) <= 3


def test_unknown_code_points_to_explain():
    r = match_symptoms(TREE, "Checkout failed (-42,3)")
    assert r.best is None and r.codes == ["-42,3"]
    out = render_no_match("text", r, "Checkout failed (-42,3)")
    assert "No confident match" in out and "lmdoctor explain -42,3" in out
    doc = json.loads(render_no_match("json", r, "Checkout failed (-42,3)"))
    assert doc["confident"] is False and doc["bar"] == CONFIDENT and doc["codes"] == ["-42,3"]


# ------------------------------------------------------------------ item 12: use what the text says

def walk_for(text, **env):
    sid = best(text)
    assert sid, text
    w = Walk(TREE, sid, env=ProbeEnv(message=text, live=False, **env), auto=False)
    w.advance()
    return w


def test_unsupported_preview_is_harmless_without_asking():
    text = ('14:01:02 (sigasi) UNSUPPORTED: "com.sigasi.hdt.preview" (PORT_AT_HOST_PLUS   ) bob@ws1  '
            '(License server system does not support this feature. (-18,327:10054 ""))')
    w = walk_for(text)
    assert w.done and w.leaf.id == "S16.1"
    assert [s.by for s in w.steps] == [BY_PROBE] and w.steps[0].source == "message"


def test_include_list_from_the_message():
    w = walk_for("Checkout failed: User/host not on INCLUDE list for feature. (-39, 147)")
    assert w.done and w.leaf.id == "S17.1"
    w = walk_for("FlexNet Licensing error:-38,120")
    assert w.done and w.leaf.id == "S17.2"


@pytest.mark.parametrize("feature, leaf", [("Stateflow", "S18.1"), ("Simulink", "S18.2"), ("SIGNAL_TOOLBOX", "S18.2")])
def test_no_such_feature_looks_up_the_named_feature(feature, leaf):
    lic = str(FIXTURES / "vendors" / "matlab_network.lic")
    w = walk_for(f"License Manager Error -5. No such feature exists. Feature: {feature}", license_path=lic)
    assert w.done and w.leaf.id == leaf
    assert any(feature in e for e in w.steps[0].evidence)


def test_exit_status_in_the_line_answers_the_step():
    w = walk_for("10:00:00 (lmgrd) acmed exited with status 36")
    assert w.steps and w.steps[0].node.id == "S15" and w.steps[0].choice.key == "no-features"


def test_port_in_the_line_is_named_when_lmdoctor_cannot_look():
    w = walk_for("The TCP port number in the license, 27010, is already in use.")
    assert not w.done and w.current.id == "S13"
    assert any("port 27010" in n and "sport = :27010" in n for n in w.pending_note)


def test_hostid_in_the_line_answers_the_hostid_step():
    text = "3:49:10 (lmgrd) Wrong hostid on SERVER line for license file: /opt/flexlm/license.dat"
    w = Walk(TREE, "wrong-hostid", env=ProbeEnv(message=text, live=False), answers={"S14": "ok"})
    w.advance()
    assert w.done and w.leaf.id == "S14.2"
    assert w.steps[-1].by == BY_PROBE and "the message says so" in w.steps[-1].evidence[0]


def test_without_a_message_nothing_is_guessed():
    w = Walk(TREE, "unsupported-feature", env=ProbeEnv(live=False))
    w.advance()
    assert not w.done and w.current.id == "S16" and w.pending_note


@pytest.mark.parametrize("text, name", [
    ("License Manager Error -5. No such feature exists. Feature: Simulink", "Simulink"),
    ('10:00:00 (MLM) DENIED: "Signal_Toolbox" jdoe@ws1 (No such feature exists. (-5,357))', "Signal_Toolbox"),
    ('Checkout of feature "COMSOLGUI" failed', "COMSOLGUI"),
    ('"com.sigasi.hdt.xl" v5.0, vendor: sigasi, expiry: 1-jan-0', "com.sigasi.hdt.xl"),
    ("No such feature exists (-5,357)", None),
])
def test_feature_in_message(text, name):
    assert feature_in_message(text) == name
