"""Each message of the manual finds its symptom: exact text, a variant, and its error code."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.tree import load_tree
from lmdoctor.checks.tree.match import match_symptoms, normalize

# symptom id -> (exact text as the manual or the log prints it, a variant, an error code or None)
MESSAGES = {
    "no-license": ("No license", "Sigasi License Key page says: NO LICENSE", "-1"),
    "inconsistent-key": ("Invalid license key (inconsistent authentication code)",
                         "14:02:11 (sigasi) invalid LICENSE key (Inconsistent Authentication Code) for com.sigasi.hdt",
                         "(-8,544)"),
    "internal-flexlm-error": ("Internal Flexlm Error", "License is not valid (internal flexlm error)", None),
    "invalid-message": ("Invalid Message Received From License Server",
                        "Checkout failed: invalid message received from license server.", "-12,1"),
    "dacl-failed": ('Updating DACL Failed: "Service has been created but failed to update the DACL settings of '
                    'FlexNet Licensing Service. It will give problem for accessing TS features. Check whether '
                    'FlexNet Licensing Service is correctly installed or not and delete and create this service '
                    'again."', "lmtools: updating dacl failed", None),
    "no-server-lines": ('(lmgrd) license manager: can\'t initialize:No SERVER lines in license file.\n'
                        '(lmgrd) License Path: "C:\\FlexLM\\sigasi\\license.dat"\n'
                        '(lmgrd) FlexNet Licensing error:-13,66',
                        " 9:01:02 (lmgrd) License manager: can't initialize:no server lines in license file.",
                        "-13,66"),
    "another-server": ('FLEXnet Error: "Exiting due to signal 32" (Exited because another server was running)',
                       "10:11:12 (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9",
                       "exited with status 32 (Exited because another server was running)"),
    "createprocess-0xc1": ("CreateProcess error code: 0xc1   File= sigasi.exe",
                           "lmtools status: createprocess ERROR CODE: 0xC1 file= C:\\sigasi\\sigasi.exe", None),
    "lsb-no-such-file": ("No such file or directory", "bash: ./lmgrd: no such file or directory", None),
    "unsupported-feature": ('9:14:47 (sigasi) UNSUPPORTED: "com.sigasi.hdt.custom" (PORT_AT_HOST_PLUS   ) '
                            'testuser@testmachine  (License server system does not support this feature. '
                            '(-18,327:10054 ""))',
                            'unsupported: "com.sigasi.hdt.preview"', "-18,327:10054"),
    "key-not-working": ("my license key does not work", "Help: My License Key Does Not Work!", None),
    "server-not-working": ("the floating license server does not work",
                           "our floating license server does not work since Monday", None),
    "port-in-use": ("The TCP port number in the license, 27000, is already in use.",
                    "12:00:01 (lmgrd) the tcp port number in the license, 27010, is ALREADY IN USE.",
                    "EXITING DUE TO SIGNAL 35 Exit reason 3"),
    "wrong-hostid": ("Wrong hostid on SERVER line for license file: /opt/flexlm/sigasi.lic",
                     "3:49:10 (lmgrd) wrong hostid on server line for license file: C:\\x.lic", "-9"),
    "usr-tmp": ("Can't make directory /usr/tmp/.flexlm, errno: 2",
                "7:00:00 (lmgrd) can't make directory /usr/tmp/.flexlm, errno: 2 (No such file or directory)", None),
    "vendor-exited": ("sigasi exited with status 27",
                      "10:00:00 (lmgrd) SIGASI exited with status 27 (status 27)", None),
    "cannot-connect": ("Cannot connect to license server system. (-15,570:111 \"Connection refused\")",
                       "error: cannot connect to license server", "-15,10:10061"),
    "feature-expired": ("Feature has expired.", "10:00:00 (sigasi) EXPIRED: com.sigasi.hdt", "-10,32"),
    "vendor-daemon-down": ("The desired vendor daemon is down", "lmstat: the desired vendor daemon is down (-97,121)",
                           "-97,121"),
    # Beyond the manual (general.toml): other vendors' words.
    "options-include-exclude": ("User/host not on INCLUDE list for feature.",
                                "Checkout failed: User/host not on INCLUDE list for feature. (-39, 147) "
                                "Feature: MATLAB",
                                "-39,147"),
    "no-such-feature": ("No such feature exists.",
                        "License Manager Error -5. No such feature exists. Feature: Simulink", "-5,357"),
    "user-locked": ("License Manager Error -9. Your username does not match the username in the license file.",
                    "-9: user name does not match the licensed user", None),
    "license-version-too-old": ("License file does not support this version.",
                                "Checkout failed: license server does not support this version of this feature "
                                "(-25,334)", "-21,126"),
    "license-manager-too-old": ("License Manager Error -114. This version of MATLAB requires a network license "
                                "manager update.", "(-114,1) SIGN= keyword required but missing", "-114"),
    "flexnet-embedded": ("Cannot read data from license server system. (-16,287) The server is flexnetls",
                         "lmstat against the FlexNet Embedded server: -16,10009", None),
    "lmgrd-no-license-file": ("(lmgrd) license manager: can't initialize: Cannot find license file",
                              " 9:00:01 (lmgrd) License Manager: Can't initialize: cannot find license file (-1,359)",
                              None),
    "triad-quorum": ("10:12:01 (lmgrd) Lost quorum", "quorum lost, license server", None),
}


def test_every_symptom_has_a_row():
    assert set(MESSAGES) == set(load_tree().symptoms)


@pytest.mark.parametrize("sid", sorted(MESSAGES))
def test_exact_text(sid):
    r = match_symptoms(load_tree(), MESSAGES[sid][0])
    assert r.best is not None and r.best.symptom.id == sid, r.candidates[:3]


@pytest.mark.parametrize("sid", sorted(MESSAGES))
def test_variant(sid):
    r = match_symptoms(load_tree(), MESSAGES[sid][1])
    assert r.best is not None and r.best.symptom.id == sid, r.candidates[:3]


@pytest.mark.parametrize("sid", sorted(s for s, v in MESSAGES.items() if v[2]))
def test_error_code(sid):
    r = match_symptoms(load_tree(), MESSAGES[sid][2])
    assert r.best is not None and r.best.symptom.id == sid, r.candidates[:3]


def test_bare_codes():
    tree = load_tree()
    for code, sid in (("-13", "no-server-lines"), ("-8", "inconsistent-key"), ("-18", "unsupported-feature"),
                      ("-15", "cannot-connect"), ("-97", "vendor-daemon-down")):
        r = match_symptoms(tree, code)
        assert r.best is not None and r.best.symptom.id == sid, (code, r.candidates[:2])


def test_message_inside_a_whole_log():
    log = "\n".join([
        " 9:00:00 (lmgrd) FlexNet Licensing (v11.16.4.0 build 1 x64_lsb) started on vm (linux) (1/2/2026)",
        " 9:00:00 (lmgrd) License file(s): /opt/sigasi.lic",
        " 9:00:01 (lmgrd) The TCP port number in the license, 27000, is already in use.",
        " 9:00:01 (lmgrd) Retrying for about 5 more minutes",
    ])
    r = match_symptoms(load_tree(), log)
    assert r.best is not None and r.best.symptom.id == "port-in-use"


def test_typo_is_found_fuzzily():
    r = match_symptoms(load_tree(), "Updating DACL Faild")
    assert r.best is not None and r.best.symptom.id == "dacl-failed"
    assert any("similar text" in x for x in r.best.reasons)


def test_ambiguous_input_offers_candidates_instead_of_guessing():
    tree = load_tree()
    # Two different log messages pasted together: the person must pick which one to follow.
    r = match_symptoms(tree, "Exited because another server was running; "
                             "The TCP port number in the license, 27000, is already in use.")
    assert r.best is None and r.ambiguous
    ids = [c.symptom.id for c in r.candidates]
    assert set(ids[:2]) == {"another-server", "port-in-use"}


def test_nothing_matches_nonsense():
    tree = load_tree()
    for text in ("", "   ", "hello world", "license", "42"):
        r = match_symptoms(tree, text)
        assert r.best is None, (text, r.candidates[:2])


def test_symptom_id_and_title_match_themselves():
    tree = load_tree()
    for s in tree.symptoms.values():
        assert match_symptoms(tree, s.id).best.symptom.id == s.id
        assert match_symptoms(tree, s.title).best.symptom.id == s.id


def test_normalize_folds_case_space_and_curly_quotes():
    assert normalize("  Exiting\tdue  to \u201csignal\u201d ") == 'exiting due to "signal"'


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    r = match_symptoms(load_tree(), text)
    assert all(0 < c.score <= 1.0 for c in r.candidates)
    if r.best is not None:
        assert r.best is r.candidates[0]


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_binary_garbage_never_raises(data):
    match_symptoms(load_tree(), data.decode("utf-8", "replace"))


def test_a_triad_peer_lost_in_a_debug_log_is_the_quorum_symptom():
    # lmgrd on a triad node names the peer it could no longer reach; the next lines are ordinary.
    log = "\n".join([
        "10:12:00 (lmgrd) Lost connection to licsrv2.example.com",
        "10:12:01 (lmgrd) Lost quorum",
        "10:12:05 (sigasi) TCP_NODELAY NOT enabled",
    ])
    r = match_symptoms(load_tree(), log)
    assert r.best is not None and r.best.symptom.id == "triad-quorum", r.candidates[:3]
