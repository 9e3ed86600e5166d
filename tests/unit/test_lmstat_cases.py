"""lmstat output as helpdesks receive it: what each line was read as, cut pastes, odd displays.

Each case is a shape real `lmutil lmstat` output takes after a terminal, a mail client or a ticket
form went over it (see ../shared/realworld/MANIFEST.md for the files read in place here). The
mutation run of bench/bench_mutation.py found each of these behaviours untested before.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from lmdoctor.checks.flexnet.lmstat import MAX_LINE, UNPARSED, compare_versions, explain_ref, parse_lmstat
from lmdoctor.checks.flexnet.lmutil import lmstat_findings

from .test_lmstat_user_lines import HEAD as USER_LINES_HEAD

TODAY = dt.date(2024, 12, 20)

# One server UP, sigasi UP, one feature with 10 seats: the head that user lines are added below.
HEAD = USER_LINES_HEAD
USERS_OF = "Users of com.sigasi.hdt:  (Total of 10 licenses issued;  Total of 1 license in use)\n"


def lmstat_file(realworld, name):
    return (realworld / "lmstat" / name).read_bytes()


# --------------------------------------------------------------------------- every line has its kind
@pytest.mark.realworld
def test_each_line_of_a_triad_with_one_node_down_is_named(realworld):
    r = parse_lmstat(lmstat_file(realworld, "mjtrangoni__flexlm_exporter__lmstat_server_down.txt"))
    assert r.line_kinds == [
        "header", "header", "blank",  # lmutil banner, "Flexible License Manager status on ..."
        "server-status", "license-file", "blank",
        "server", "server", "server", "blank",  # host1 UP, host2 UP (MASTER), host3: Cannot connect (-15)
        "vendor-status", "blank", "vendor",
        "feature-usage", "blank",
        "feature", "blank", "feature", "blank",  # Users of feature1, Users of feature2
        "feature-version", "license-type",  # "feature2" v31.0 ..., floating license
    ]
    assert r.understood_lines == 14 and r.unparsed == []


@pytest.mark.realworld
def test_each_line_of_lmstat_i_is_named(realworld):
    r = parse_lmstat(lmstat_file(realworld, "mjtrangoni__flexlm_exporter__lmstat_i_app2.txt"))
    assert r.line_kinds == ["note"] * 3 + ["blank", "itable-header", "itable-rule"] + ["itable-row"] * 9


@pytest.mark.realworld
def test_each_line_of_an_unreachable_server_and_of_a_shortened_excerpt_is_named(realworld):
    bad = parse_lmstat(lmstat_file(realworld, "omnivector-solutions__license-manager__conftest_flexlm_output_bad.txt"))
    assert bad.line_kinds == ["header", "header", "blank", "error"]
    three = parse_lmstat(lmstat_file(realworld, "omnivector-solutions__license-manager__conftest_flexlm_output_3.txt"))
    assert three.line_kinds == [
        "header", "placeholder", "feature", "placeholder", "feature-version", "license-type", "user", "blank",
        "feature-version", "license-type", "blank", "user", "user"]
    assert three.placeholders == 2


@pytest.mark.realworld
def test_the_kinds_of_a_busy_matlab_server_add_up(realworld):
    r = parse_lmstat(lmstat_file(realworld, "mjtrangoni__flexlm_exporter__lmstat_app6.txt"))
    kinds = Counter(r.line_kinds)
    # grep -c of the file: 53 "Users of", 6 "RESERVATION", 13 "vendor_string", 106 "(v...) (" user lines
    assert (kinds["feature"], kinds["reservation"], kinds["vendor-string"], kinds["user"]) == (53, 6, 13, 106)
    assert kinds[UNPARSED] == 0 and None not in kinds


@pytest.mark.realworld
def test_a_pasted_command_line_and_the_version_banner_are_named(realworld):
    arc = parse_lmstat(lmstat_file(realworld, "brian32768__docker-flexlm__lmstat.txt"))
    assert arc.line_kinds[0] == "command"
    new = parse_lmstat((realworld / "other" / "mjtrangoni__flexlm_exporter__lmstat_new.txt").read_bytes())
    assert new.line_kinds == ["header", "version"]


def test_queued_requests_and_feature_lines_with_an_odd_status_are_named():
    r = parse_lmstat(HEAD + "    dave ws21 ws21 (v4.0) (licsrv01/27000 505) queued for 1 license\n"
                     "Users of com.sigasi.hdt.xl:  (License server does not support this feature)\n")
    assert r.line_kinds[-2:] == ["user-queued", "feature-odd"]
    assert r.unparsed == [(r.line_kinds.index("feature-odd") + 1,
                           "Users of com.sigasi.hdt.xl:  (License server does not support this feature)")]


@pytest.mark.parametrize("banner,family", [
    ("lmutil - Copyright (c) 1989-2023 Flexera. All Rights Reserved.", "flexera"),
    ("lmstat - Copyright (c) 1989-2004 by Macrovision Corporation. All rights reserved.", "macrovision"),
    ("lmutil - Copyright (C) 1989-1999 Globetrotter Software, Inc.  All Rights Reserved.", "globetrotter"),
])
def test_the_banner_tells_how_old_lmutil_is(banner, family):
    h = parse_lmstat(banner + "\n").header
    assert h.company_family == family and h.copyright.startswith("1989-")


# --------------------------------------------------------------------------- limits
def test_a_line_of_exactly_the_limit_is_read_and_one_character_more_is_not():
    user = "    jdoe ws17 {} (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00"
    pad = MAX_LINE - len(user.format(""))
    at_limit, over = user.format("d" * pad), user.format("d" * (pad + 1))
    assert (len(at_limit), len(over)) == (MAX_LINE, MAX_LINE + 1)
    r = parse_lmstat(HEAD + at_limit + "\n" + over + "\n")
    (u,) = r.users
    assert len(u.display) == pad and r.line_kinds[-2:] == ["user", UNPARSED]


# --------------------------------------------------------------------------- cut pastes
def test_a_paste_cut_above_the_version_line_keeps_the_license_type():
    # The version header line was not copied: "floating license" still belongs to the feature.
    r = parse_lmstat(USERS_OF + "  floating license\n"
                     "    jdoe ws17 /dev/pts/1 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00\n")
    (feat,) = r.features
    (v,) = feat.versions
    assert (v.name, v.version, v.license_type, v.line) == ("com.sigasi.hdt", "", "floating", 0)
    assert (v.expiry, v.expiry_date, v.permanent) == (None, None, False)  # nothing is known about its expiry
    assert feat.users[0].feature_version == "" and r.unparsed == []


def test_a_paste_of_only_the_server_lines_still_finds_the_node_that_is_down():
    r = parse_lmstat("node1: license server UP (MASTER) v11.16.4\n"
                     'node3: Cannot connect to license server system. (-15,570:111 "Connection refused")\n')
    up, down = r.servers
    assert (up.host, up.up, up.master, up.error) == ("node1", True, True, None)
    assert (down.host, down.up, down.error.major, down.error.ref.errno) == ("node3", False, -15, 111)
    assert r.errors == [] and r.line_kinds == ["server", "server"]


def test_user_lines_that_lost_their_indent_still_count():
    # Mail clients and ticket forms strip leading blanks (app4's detail lines start at column 0).
    r = parse_lmstat(USERS_OF + "jdoe ws17 /dev/pts/1 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00\n")
    assert [(u.user, u.host, u.feature) for u in r.users] == [("jdoe", "ws17", "com.sigasi.hdt")]


def test_user_lines_without_their_users_of_line_still_count():
    # An excerpt that starts at the users, indented by one blank.
    r = parse_lmstat(" jdoe ws17 /dev/pts/1 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00\n")
    (u,) = r.users
    assert (u.user, u.host, u.display, u.feature, u.handle) == ("jdoe", "ws17", "/dev/pts/1", "", 101)


def test_a_user_line_cut_at_the_terminal_edge_is_kept_and_shown_as_not_understood():
    line = "    jdoe ws17 /dev/pts/1 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00, 2 lic"
    r = parse_lmstat(HEAD + line + "\n")
    (u,) = r.users
    assert (u.start, u.count, u.leftover) == ("Mon 3/4 9:00", 1, ", 2 lic")
    assert r.line_kinds[-1] == "user-partial" and r.unparsed == [(HEAD.count("\n") + 1, line)]


@pytest.mark.parametrize("row", [
    "FEATURE_NAME_5                   6.0          1           VENDOR",  # Expires (last column) cut off
    "feature1                         2018.12      2           ",
])
def test_an_lmstat_i_row_without_its_expiry_is_not_guessed(row):
    header = ("Feature                         Version     #licenses    Expires      Vendor\n"
              "_______                         _________   _________    ________     ______\n")
    r = parse_lmstat(header + row + "\n")
    assert r.license_table == [] and r.line_kinds[-1] == UNPARSED


def test_an_lmstat_i_row_without_its_expiry_in_the_other_column_order():
    header = ("Feature                         Version     #licenses    Vendor        Expires\n"
              "_______                         _________   _________    ______        ________\n")
    r = parse_lmstat(header + "FEATURE_NAME_5                   6.0          1           VENDOR\n")
    assert r.license_table == [] and r.line_kinds[-1] == UNPARSED


# --------------------------------------------------------------------------- who holds what
def test_an_ssh_forwarded_x_display_is_the_display_not_an_extra_token():
    u = parse_lmstat(HEAD + "    jdoe ws17 localhost:10.0 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:00\n").users[0]
    assert (u.user, u.host, u.display, u.extra) == ("jdoe", "ws17", "localhost:10.0", [])


def test_extra_tokens_keep_their_printed_order():
    u = parse_lmstat(HEAD + "    usbn12 p-c94.com /dev/tty feature=solver MSCONE:NASTRAN (v2023.0) "
                            "(licsrv01/27000 626), start Mon 3/11 13:16, 5 licenses\n").users[0]
    assert (u.display, u.extra, u.count) == ("/dev/tty", ["feature=solver", "MSCONE:NASTRAN"], 5)


def test_a_workstation_name_with_an_umlaut_and_a_garbage_display():
    # Nothing in the middle looks like a host name: the word after the user is the host.
    u = parse_lmstat(HEAD + '    jdoe PC-Jörg "x y" (v4.0) (licsrv01/27000 7), start Mon 3/4 9:00\n').users[0]
    assert (u.user, u.host, u.display, u.ambiguous) == ("jdoe", "PC-Jörg", '"x y"', True)


def test_linger_before_the_pid_of_newer_lmstat():
    u = parse_lmstat(HEAD + "    jdoe ws17 ws17 (v4.0) (licsrv01/27000 101), start Mon 3/4 9:07 (linger: 600), "
                            "PID: 4711\n").users[0]
    assert (u.linger, u.pid, u.leftover) == ((600, None), 4711, "")


def test_hosts_and_servers_repeated_on_every_user_line_are_kept_once():
    lines = "".join(f"    u{i} ws17 /dev/pts/{i} (v4.0) (licsrv01/27000 {i}), start Mon 3/4 9:00\n" for i in range(3))
    a, b, c = parse_lmstat(HEAD + lines).users
    assert a.host is b.host is c.host and a.server_host is c.server_host and a.start is c.start
    assert a.feature is c.feature and a.client_version is b.client_version


# --------------------------------------------------------------------------- daemons, versions, codes
def test_a_vendor_line_cut_before_its_error_code_is_still_a_daemon_that_is_down():
    r = parse_lmstat(HEAD.replace("sigasi: UP v11.19.5", "sigasi: Cannot connect to license server system."))
    (v,) = r.vendors
    assert (v.name, v.up, v.error.refs, v.error.ref) == ("sigasi", False, [], None)
    assert explain_ref(v.error.ref) == ""  # no code: nothing to explain, and no crash
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["blocks"][0]["vendors"][0]["error"]["codes"] == []
    assert [f.status.name for f in lmstat_findings(r, today=TODAY) if f.id == "lmstat.vendor-down"] == ["FAIL"]


def test_a_daemon_of_the_same_release_written_shorter_is_no_mismatch():
    # lmgrd prints v11.13.0, the daemon v11.13: the same release, in either order.
    assert compare_versions("v11.13.0", "v11.13") == 0 == compare_versions("v11.13", "v11.13.0")
    for lmgrd, daemon in (("v11.13.0", "v11.13"), ("v11.13", "v11.13.0")):
        r = parse_lmstat(f"License server status: 27000@h\nh: license server UP (MASTER) {lmgrd}\n"
                         f"Vendor daemon status (on h):\n  sigasi: UP {daemon}\n")
        assert [f.id for f in lmstat_findings(r, today=TODAY) if f.id == "lmstat.version-mismatch"] == []
    r = parse_lmstat("License server status: 27000@h\nh: license server UP (MASTER) v11.13.0\n"
                     "Vendor daemon status (on h):\n  sigasi: UP v11.13.1\n")
    assert [f.id for f in lmstat_findings(r, today=TODAY) if f.id == "lmstat.version-mismatch"] != []
