"""`lmdoctor log` as a user runs it: --events NDJSON, the usage summary in every format, --license."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

PY = sys.executable
FIX = Path(__file__).resolve().parent.parent / "fixtures" / "logs"
USAGE_LINE = re.compile(r"\) (?:OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED)(?: server died)?: ")


def lmd(*args, timeout=120):
    return subprocess.run([PY, "-m", "lmdoctor", *args], capture_output=True, text=True, timeout=timeout)


def test_events_are_one_json_object_per_usage_line():
    log = FIX / "ansys-ansyslmd-windows.log"
    r = lmd("log", str(log), "--events")
    assert r.returncode == 1, r.stderr  # the report's verdict (denials, an unknown error): warn
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    expected = sum(1 for ln in log.read_text().splitlines() if USAGE_LINE.search(ln))
    assert len(rows) == expected > 100
    keys = {"time", "daemon", "kind", "feature", "user", "host", "count", "reason", "line"}
    assert all(keys <= set(d) for d in rows)
    first = rows[0]
    assert re.fullmatch(r"2024-11-12T\d\d:\d\d:\d\d", first["time"]) and first["daemon"] == "ansyslmd"
    hpc = next(d for d in rows if d["feature"] == "anshpc" and d["kind"] == "OUT")
    assert hpc["count"] == 4 and hpc["cdstring"] == "ansys_hpc"
    den = next(d for d in rows if d["kind"] == "DENIED")
    assert den["code"] == "-4,342" and den["reason"].startswith("Licensed number")
    assert any(d["reason"] == "INACTIVE" for d in rows if d["kind"] == "IN")
    # line numbers point at the lines
    text = log.read_text().splitlines()
    assert all(f'"{d["feature"]}"' in text[d["line"] - 1] for d in rows[:50])
    assert "usage event(s)" in r.stderr  # the verdict goes to stderr; stdout is data only


def test_events_keep_the_datestamp_offset_and_redact():
    r = lmd("log", str(FIX / "siemens-saltd-datestamp.log"), "--events", "--redact")
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert rows[0]["time"].endswith("-04:00") and rows[0]["time"].startswith("2023-08-08T")
    assert {d["user"] for d in rows if d["user"]} <= {"user-1", "user-2", "user-3"}
    assert not any(d["host"] and d["host"].startswith("ws-") for d in rows)


def test_usage_summary_in_text_markdown_and_json():
    log = str(FIX / "sigasi-linux-lmdown.log")
    t = lmd("log", log)
    assert t.returncode == 1, t.stderr
    assert "[usage]" in t.stdout and "com.sigasi.hdt " in t.stdout and "Busiest hours" in t.stdout
    assert "lmgrd was stopped by admin at node licsrv01" in t.stdout and "% recognised" in t.stdout
    m = lmd("log", log, "--format", "markdown")
    assert "### usage" in m.stdout and "| feature | peak |" in m.stdout
    j = json.loads(lmd("log", log, "--format", "json").stdout)
    u = j["usage"]
    hdt = next(f for f in u["features"] if f["feature"] == "com.sigasi.hdt")
    assert hdt["peak"] >= 1 and hdt["peak_when"].startswith("2024-03-04 ") and len(hdt["checkouts_by_hour"]) == 24
    assert u["denials_by_day"] == {"2024-03-04": u["denials"]}
    assert j["recognised"]["share"] == 1.0


def test_license_gives_the_issued_counts(tmp_path):
    lic = tmp_path / "sigasi.lic"
    lic.write_text("SERVER licsrv01 0123456789ab 27000\nVENDOR sigasi PORT=27001\n"
                   'INCREMENT com.sigasi.hdt sigasi 5.0 permanent 3 SIGN="0000 1111"\n'
                   'INCREMENT com.sigasi.hdt.xl sigasi 5.0 permanent 1 SIGN="0000 2222"\n'
                   'INCREMENT com.sigasi.hdt.xl.doc sigasi 5.0 permanent 2 SIGN="0000 3333"\n')
    j = json.loads(lmd("log", str(FIX / "sigasi-linux-lmdown.log"), "--license", str(lic), "--format",
                       "json").stdout)
    feats = {f["feature"]: f for f in j["usage"]["features"]}
    assert feats["com.sigasi.hdt"]["issued"] == 3 and feats["com.sigasi.hdt.xl"]["issued"] == 1
    assert feats["com.sigasi.hdt.xl.doc"]["issued"] == 2 and feats["com.sigasi.hdt.xl.doc"]["checkouts"] == 0
    assert feats["com.sigasi.hdt"]["peak"] <= 3


def test_events_follow_a_growing_log(tmp_path):
    import time

    log = tmp_path / "debug.log"
    log.write_text(" 9:00:00 (lmgrd) TIMESTAMP 3/4/2024\n")
    p = subprocess.Popen([PY, "-m", "lmdoctor", "log", str(log), "--events", "--follow"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        with open(log, "a") as fh:
            fh.write(' 9:00:05 (sigasi) OUT: "com.sigasi.hdt" ann@ws1  \n')
        line = p.stdout.readline()
        d = json.loads(line)
        got = (d["kind"], d["feature"], d["user"], d["time"])
        assert got == ("OUT", "com.sigasi.hdt", "ann", "2024-03-04T09:00:05")
    finally:
        p.send_signal(2)
        p.wait(timeout=30)
