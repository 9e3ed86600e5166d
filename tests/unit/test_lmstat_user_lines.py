"""Who holds a license, from `lmstat -a` user lines: names with spaces, displays, counts, lingers.

Each line is what a helpdesk reads to find out who holds the seats. The split of user / host /
display is guessed when a name has spaces, so each shape below is one real way the line is printed.
"""
from __future__ import annotations

import pytest

from lmdoctor.checks.flexnet.lmstat import parse_lmstat

HEAD = """\
License server status: 27000@licsrv01
    License file(s) on licsrv01: /opt/sigasi/license.lic:

  licsrv01: license server UP (MASTER) v11.19.5

Vendor daemon status (on licsrv01):

    sigasi: UP v11.19.5

Feature usage info:

Users of com.sigasi.hdt:  (Total of 10 licenses issued;  Total of 4 licenses in use)

  "com.sigasi.hdt" v4.0, vendor: sigasi, expiry: 31-dec-2026
  floating license

"""


def one_user(line: str):
    r = parse_lmstat(HEAD + line + "\n")
    (u,) = r.users
    assert u.feature == "com.sigasi.hdt" and u.line == HEAD.count("\n") + 1
    return u


@pytest.mark.parametrize("line,user,host,display,ambiguous", [
    # the plain shapes: user host display
    ("    jdoe ws17 ws17 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00", "jdoe", "ws17", "ws17", False),
    ("    bob ws20 :0.0 (v4.0) (licsrv01/27000 404), start Mon 3/4 9:09", "bob", "ws20", ":0.0", False),
    # no display at all (batch jobs, some Windows clients)
    ("    svc_build buildhost (v4.0) (licsrv01/27000 7), start Mon 3/4 9:10", "svc_build", "buildhost", "", False),
    # a Windows user name with spaces, host and display the same machine
    ("    Jane Doe ws18 ws18 (v4.0) (licsrv01/27000 202), start Mon 3/4 9:05", "Jane Doe", "ws18", "ws18", True),
    ("    Mary Ann Smith ws19.acme.example /dev/pts/1 (v4.0) (licsrv01/27000 303), start Mon 3/4 9:07",
     "Mary Ann Smith", "ws19.acme.example", "/dev/pts/1", True),
    # the display is a terminal path: the host is the last name before it
    ("    Jane Doe ws18 /dev/pts/4 (v4.0) (licsrv01/27000 205), start Mon 3/4 9:06", "Jane Doe", "ws18", "/dev/pts/4",
     True),
    # an "encrypted" display with spaces and shell characters after a one-word user
    ("    jdoe ws17 \"U,K$`Ct`0'\"C iQwgGsne<&! (v4.0) (licsrv01/27000 9), start Mon 3/4 9:11", "jdoe", "ws17",
     "\"U,K$`Ct`0'\"C iQwgGsne<&!", True),
])
def test_user_host_and_display(line, user, host, display, ambiguous):
    u = one_user(line)
    assert (u.user, u.host, u.display, u.ambiguous) == (user, host, display, ambiguous)
    assert (u.client_version, u.server_host, u.server_port) == ("v4.0", "licsrv01", "27000")


def test_handle_start_count_and_linger():
    u = one_user("    Mary Ann Smith ws19 ws19 (v4.0) (licsrv01/27000 303), start Mon 3/4 9:07, 2 licenses")
    assert (u.handle, u.start, u.count, u.linger, u.leftover) == (303, "Mon 3/4 9:07", 2, None, "")
    u = one_user("    bob ws20 :0.0 (v4.0) (licsrv01/27000 404), start Mon 3/4 9:09 (linger: 600)")
    assert (u.count, u.linger) == (1, (600, None))
    u = one_user("    bob ws20 :0.0 (v4.0) (licsrv01/27000 404), start Mon 3/4 9:09 (linger: 885098 / 1340160)")
    assert u.linger == (885098, 1340160)


def test_start_count_pid_and_linger_in_any_combination():
    u = one_user("    jdoe ws17 ws17 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:07, 2 licenses, PID: 4711 "
                 "(linger: 600)")
    assert (u.start, u.count, u.pid, u.linger, u.leftover) == ("Mon 3/4 9:07", 2, 4711, (600, None), "")
    u = one_user("    jdoe ws17 ws17 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:07, PID: 4711")
    assert (u.count, u.pid) == (1, 4711)
    assert u.feature_version == "v4.0"  # listed under the v4.0 block


# --------------------------------------------------------------------------- servers and daemons
TRIAD = """\
License server status: 27000@node1.acme.example,27000@node2.acme.example,27000@node3.acme.example
    License file(s) on node1.acme.example: /opt/flexlm/license.lic:

node1.acme.example: license server UP (MASTER) v11.19.5
node2: license server UP v11.19.5
{third}

Vendor daemon status (on node1.acme.example):

    sigasi: UP v11.19.5
"""


@pytest.mark.parametrize("third,up,quorum,degraded", [
    ("node3.acme.example: license server UP v11.19.5", 3, True, False),
    ('node3.acme.example: Cannot connect to license server system. (-15,570:110 "Connection timed out")',
     2, True, True),
])
def test_a_triad_with_three_or_two_servers_up(third, up, quorum, degraded):
    r = parse_lmstat(TRIAD.format(third=third))
    (block,) = r.blocks
    q = block.quorum
    assert (q.members, q.up, q.has_quorum, q.degraded) == (3, up, quorum, degraded)
    assert [s.master for s in block.servers] == [True, False, False]
    # lmstat may print the short name where the spec has the full one: the same machine.
    assert block.server_for("node2.acme.example") is block.servers[1]
    assert block.server_for("NODE1") is block.servers[0]
    assert block.server_for("node1.other.example") is None  # two full names in other domains: two machines
    assert block.server_for("node9") is None
    assert r.looks_like_lmstat and not r.unparsed


def test_a_triad_with_one_server_up_has_lost_quorum_and_is_not_merely_degraded():
    down = 'Cannot read data from license server system. (-16,287:104 "Connection reset by peer")'
    text = TRIAD.format(third=f"node3.acme.example: {down}").replace(
        "node2: license server UP v11.19.5", f"node2: {down}")
    q = parse_lmstat(text).blocks[0].quorum
    assert (q.up, q.has_quorum, q.degraded, q.down) == (1, False, False, ["node2.acme.example", "node3.acme.example"])


def test_a_down_server_keeps_lmstats_words_and_the_error_code():
    text = TRIAD.format(third='node3.acme.example: Cannot connect to license server system. '
                              '(-15,570:110 "Connection timed out")')
    s = parse_lmstat(text).blocks[0].servers[2]
    assert (s.host, s.up, s.master) == ("node3.acme.example", False, False)
    assert s.text == 'Cannot connect to license server system. (-15,570:110 "Connection timed out")'
    assert s.error is not None and (s.error.major, s.error.ref.errno) == (-15, 110)


def test_vendor_daemon_up_or_down():
    up = parse_lmstat(TRIAD.format(third="")).vendors[0]
    assert (up.name, up.up, up.version, up.error) == ("sigasi", True, "v11.19.5", None)
    down = parse_lmstat(TRIAD.format(third="").replace(
        "sigasi: UP v11.19.5", "sigasi: The desired vendor daemon is down. (-97,121)")).vendors[0]
    assert (down.name, down.up, down.error.major, down.on_host) == ("sigasi", False, -97, "node1.acme.example")


# --------------------------------------------------------------------------- big and odd outputs
def test_a_site_with_more_users_than_kept_counts_the_rest():
    from lmdoctor.checks.flexnet.lmstat import MAX_USERS_KEPT

    lines = [f"    u{i} ws{i} ws{i} (v4.0) (licsrv01/27000 {i}), start Mon 3/4 9:00" for i in range(MAX_USERS_KEPT + 3)]
    lines.append("    late ws0 ws0 (v4.0) (licsrv01/27000 1), start Mon 3/4 9:00 queued for 1 license")
    f = parse_lmstat(HEAD + "\n".join(lines) + "\n").features[0]
    assert (len(f.users), f.users_more, f.queued_more, f.user_lines) == (MAX_USERS_KEPT, 4, 1, MAX_USERS_KEPT + 4)
    assert f.users[-1].user == f"u{MAX_USERS_KEPT - 1}"


def test_lines_not_understood_are_kept_up_to_a_limit_and_counted():
    from lmdoctor.checks.flexnet.lmstat import MAX_UNPARSED_KEPT

    noise = "\n".join(f"%%% garbage {i} %%%" for i in range(MAX_UNPARSED_KEPT + 2))
    r = parse_lmstat(HEAD + noise + "\n")
    assert (len(r.unparsed), r.unparsed_more) == (MAX_UNPARSED_KEPT, 2)
    assert r.looks_like_lmstat  # the lines before it are lmstat's


def test_text_that_is_not_lmstat_is_said_to_be_so():
    r = parse_lmstat("hello\nworld\n")
    assert r.understood_lines == 0 and not r.looks_like_lmstat
    r = parse_lmstat("  licsrv01: license server UP (MASTER) v11.19.5\n")
    assert r.understood_lines == 1 and r.looks_like_lmstat


def test_an_absurdly_long_line_is_not_understood_and_does_not_stop_the_reader():
    from lmdoctor.checks.flexnet.lmstat import MAX_LINE

    r = parse_lmstat(HEAD + "    jdoe " + "x" * MAX_LINE + " ws17 (v4.0) (licsrv01/27000 1)\n"
                     + "    bob ws20 :0.0 (v4.0) (licsrv01/27000 404), start Mon 3/4 9:09\n")
    assert [u.user for u in r.users] == ["bob"] and len(r.unparsed) == 1


def test_the_result_as_json_has_iso_dates():
    import json

    d = json.loads(json.dumps(parse_lmstat(HEAD).to_dict()))
    (feat,) = d["blocks"][0]["features"]
    assert feat["versions"][0]["expiry_date"] == "2026-12-31" and feat["versions"][0]["permanent"] is False


def test_expiry_words():
    import datetime as dt

    from lmdoctor.checks.flexnet.lmstat import compare_versions, parse_expiry

    assert parse_expiry("31-dec-2026") == (dt.date(2026, 12, 31), False)
    assert parse_expiry("permanent(no expiration date)") == (None, True)
    assert parse_expiry("1-jan-0") == (None, True)
    assert parse_expiry("soon") == (None, False) and parse_expiry(None) == (None, False)
    assert parse_expiry("") == (None, False)
    assert compare_versions("v11.16", "v11.16.0") == 0 and compare_versions("v11.16.4", "11.19") == -1
    assert compare_versions("v11.19.5", "v11.16.4.0") == 1 and compare_versions("v11", None) is None
