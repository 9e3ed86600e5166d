"""The text report reads like a doctor's report (issue 13 item 16): each problem with its detail and fix,
each ok/info finding on one line, the evidence with -v; markdown and JSON keep everything."""
from __future__ import annotations

import json

from lmdoctor.checks.findings import Finding, Report, Status
from lmdoctor.checks.render import render

LONG = "lmgrd needs write access to /usr/tmp; without it the debug log says 'Can't make directory " \
       "/usr/tmp/.flexlm, errno: 2', and the vendor daemon cannot write its lock file either."
REPORT = Report("check", [
    Finding("system.usr-tmp-missing", Status.WARN, "/usr/tmp does not exist", detail=LONG,
            fix="As root: ln -s /tmp /usr/tmp", evidence=["stat /usr/tmp: ENOENT"],
            seed_ref="Troubleshooting > Floating licenses"),
    Finding("lmstat.vendor-up", Status.OK, "Vendor daemon MLM is UP v11.19.6", detail="all good",
            evidence=["MLM: UP v11.19.6"], file="lmstat -c 27000@lic1", line=11),
    Finding("identity.host", Status.INFO, "This machine: lic1", detail="names and addresses",
            evidence=["addresses: 10.1.2.3"]),
    Finding("lmstat.vendor-down", Status.FAIL, "Vendor daemon saltd is down on lic1",
            detail="lmstat said: saltd: The desired vendor daemon is down. (-97,121)",
            fix="Read the debug log for why saltd exited.", evidence=["saltd: DOWN"]),
], {"heading": "lmdoctor check: license /opt/lic/license.dat (--license)"})


def test_default_text_is_short_and_says_what_to_do():
    out = render(REPORT, "text")
    lines = out.splitlines()
    assert lines[0] == "lmdoctor check: license /opt/lic/license.dat (--license)"
    # Problems: detail (wrapped at 100 columns) and fix, the manual section, no evidence.
    assert "  FAIL Vendor daemon saltd is down on lic1  [lmstat.vendor-down]" in lines
    assert "       fix:  Read the debug log for why saltd exited." in lines
    assert "       manual: Troubleshooting > Floating licenses" in lines
    assert all(len(ln) <= 100 for ln in lines if ln.startswith("       "))
    assert "seen:" not in out
    # ok / info: one line each (with the id people refer to it by), no detail.
    assert "  ok   Vendor daemon MLM is UP v11.19.6  (lmstat -c 27000@lic1:11)  [lmstat.vendor-up]" in lines
    assert "  info This machine: lic1  [identity.host]" in lines
    assert "all good" not in out and "names and addresses" not in out
    # The worst area first; the summary last, saying -v shows more.
    assert out.index("[lmstat]") < out.index("[system]")
    assert lines[-1] == "Summary: 1 fail, 1 warn, 1 info, 1 ok  (-v shows what was seen for 4 of them)"


def test_verbose_shows_the_evidence_and_ok_detail():
    out = render(REPORT, "text", verbose=True)
    assert "       seen: stat /usr/tmp: ENOENT" in out and "       seen: MLM: UP v11.19.6" in out
    assert "all good" in out and "names and addresses" in out
    assert out.splitlines()[-1] == "Summary: 1 fail, 1 warn, 1 info, 1 ok"


def test_markdown_and_json_keep_everything():
    md = render(REPORT, "markdown")
    for text in ("stat /usr/tmp: ENOENT", "MLM: UP v11.19.6", "all good", "names and addresses", LONG):
        assert text in md
    doc = json.loads(render(REPORT, "json"))
    assert [f["evidence"] for f in doc["findings"]][1] == ["MLM: UP v11.19.6"]
    assert doc["findings"][2]["detail"] == "names and addresses"


def test_a_healthy_report_is_one_line_per_finding():
    ok = Report("check", [Finding(f"area{i % 4}.ok", Status.OK if i % 2 else Status.INFO, f"thing {i} is fine",
                                  detail="why", evidence=["a", "b", "c"]) for i in range(20)])
    lines = [ln for ln in render(ok, "text").splitlines() if ln.strip()]
    assert len(lines) == 20 + 4 + 1  # findings, area headers, summary
