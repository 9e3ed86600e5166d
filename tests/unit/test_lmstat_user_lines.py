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
