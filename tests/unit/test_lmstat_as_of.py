"""Snapshots are judged at their own date (issue 13 item 15): saved lmstat output carries the day it was
taken, and expiry is counted from that day, saying so."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from lmdoctor.checks.findings import Status
from lmdoctor.checks.flexnet.lmstat import parse_lmstat
from lmdoctor.checks.flexnet.lmutil import lmstat_as_of, lmstat_findings
from tests.conftest import FIXTURES

SNAP = FIXTURES / "vendors" / "matlab_lmstat_expired.txt"  # status on Wed 3/15/2023; MATLAB expired 3-mar-2023
LATER = dt.date(2025, 9, 1)


def findings(today=None, real_today=LATER, text=None):
    result = parse_lmstat(text if text is not None else SNAP.read_bytes())
    return {f.id: f for f in lmstat_findings(result, today=today, source="x", real_today=real_today)}


def test_expiry_is_counted_from_the_day_the_output_was_taken():
    got = findings()
    exp = got["lmstat.feature-expired"]
    assert exp.title == "2 features expired on 2023-03-03, 12 day(s) before this output was taken"
    soon = got["lmstat.feature-expiring"]  # Signal_Toolbox, 1-apr-2023: 17 days after the snapshot
    assert soon.status is Status.WARN and "17 day(s) after this output was taken" in soon.title
    assert "has expired since" in soon.detail
    note = got["lmstat.as-of"]
    assert note.status is Status.INFO and "2023-03-15" in note.title and note.line == 2


def test_today_given_wins_and_is_said():
    got = findings(today=dt.date(2023, 3, 1))
    assert "lmstat.as-of" not in got and "lmstat.feature-expired" not in got
    assert "2 day(s) after 2023-03-01 (--today)" in got["lmstat.feature-expiring"].title


def test_output_of_today_reads_as_today():
    got = findings(real_today=dt.date(2023, 3, 15))
    assert "lmstat.as-of" not in got
    assert got["lmstat.feature-expired"].title.endswith("12 day(s) ago")


def test_output_without_a_date_is_judged_today():
    text = SNAP.read_text().replace("Flexible License Manager status on Wed 3/15/2023 10:02\n", "")
    got = findings(text=text)
    assert "lmstat.as-of" not in got
    assert "day(s) ago" in got["lmstat.feature-expired"].title
    as_of = lmstat_as_of(parse_lmstat(text), real_today=LATER)
    assert (as_of.date, as_of.source) == (LATER, "today")


def test_cli_says_when_it_judged():
    cp = subprocess.run([sys.executable, "-m", "lmdoctor", "lmstat", "--format", "json", str(SNAP)],
                        capture_output=True, text=True, timeout=60)
    doc = json.loads(cp.stdout)
    assert cp.returncode == 2
    assert doc["as_of"] == {"date": "2023-03-15", "source": "output", "taken": "Wed 3/15/2023 10:02"}
    titles = [f["title"] for f in doc["findings"]]
    assert "2 features expired on 2023-03-03, 12 day(s) before this output was taken" in titles
