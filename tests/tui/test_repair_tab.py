"""Pilot tests of the Repair tab and "Apply fix": the same engine as `lmdoctor repair`, in thread workers."""
from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import DataTable, SelectionList

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.repair.model import ActionKind, PlannedAction, RepairPlan
from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.messages import JobFinished
from lmdoctor.tui.tabs.diagnose import DiagnosePane
from lmdoctor.tui.tabs.repair import RepairApplied, RepairPane, RepairPlanned, RepairStep, RepairUndone

from .helpers import Recorder, run_async, started, wait_for


@run_async
async def test_apply_fix_on_a_finding_plans_applies_and_undoes(sandbox_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for k in [k for k in os.environ if k.endswith("LICENSE_FILE")]:
        monkeypatch.delenv(k)
    info = sandbox_factory("placeholder-host")
    original = Path(info.license_path).read_bytes()
    rec = Recorder()
    app = LmdoctorApp(license_path=info.license_path, autorun=False)
    async with app.run_test(size=(120, 40), message_hook=rec) as pilot:
        await started(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: rec.of(JobFinished), what="the check")
        table = app.query_one("#check-findings DataTable", DataTable)
        table.focus()
        row = next(i for i in range(table.row_count) if "placeholder" in table.get_row_at(i)[-1].plain)
        table.move_cursor(row=row)
        await pilot.pause()
        await pilot.press("f")  # Apply fix
        await wait_for(pilot, lambda: rec.of(RepairPlanned), what="the plan")
        planned = rec.of(RepairPlanned)[0]
        assert planned.error is None and planned.select == "license.placeholder-host"
        pane = app.query_one(RepairPane)
        assert app.query_one("TabbedContent").active == "repair"
        ticked = pane.checked()
        # The fix and the start it needs are ticked; the rest of the plan (the machine's /usr/tmp) is not.
        assert ticked == {"license.set-server-host", "server.start"}, ticked
        sl = app.query_one(SelectionList)
        assert sl.option_count == len(planned.plan.actions)
        await pilot.press("a")  # apply the ticked actions
        await wait_for(pilot, lambda: rec.of(RepairApplied), what="the repair", timeout=120)
        done = rec.of(RepairApplied)[0]
        assert done.error is None, done.error
        steps = [(m.key, m.result.status.value if m.result else "start") for m in rec.of(RepairStep)]
        assert ("license.set-server-host", "start") in steps and ("license.set-server-host", "applied") in steps
        assert ("server.start", "applied") in steps
        assert {r.key: r.status.value for r in done.outcome.results}.get("system.link-usr-tmp", "skipped") != \
            "applied"
        assert "license.placeholder-host" not in {f.id for f in done.outcome.after if f.status is Status.FAIL}
        assert b"SERVER your_server_name1" not in Path(info.license_path).read_bytes()
        await pilot.press("u")
        await wait_for(pilot, lambda: rec.of(RepairUndone), what="the undo", timeout=60)
        undone = rec.of(RepairUndone)[0]
        assert undone.error is None and undone.run_id == done.outcome.run_id
        assert Path(info.license_path).read_bytes() == original


@run_async
async def test_apply_fix_on_a_diagnose_leaf_opens_the_plan_for_its_repair_id(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    rec = Recorder()
    app = LmdoctorApp(autorun=False, initial="diagnose", live=False)
    async with app.run_test(size=(120, 40), message_hook=rec) as pilot:
        await started(pilot)
        pane = app.query_one(DiagnosePane)
        await wait_for(pilot, lambda: pane.ready, what="the tree")
        pane.start("usr-tmp")
        await wait_for(pilot, lambda: pane.walk is not None and not pane.busy, what="step S11")
        await pilot.press("1")  # /usr/tmp is missing
        await wait_for(pilot, lambda: pane.walk.done and not pane.busy, what="the leaf")
        assert pane.leaf_repair() == "system.link-usr-tmp"
        await pilot.press("f")
        await wait_for(pilot, lambda: rec.of(RepairPlanned), what="the plan")
        assert rec.of(RepairPlanned)[0].select == "system.link-usr-tmp"
        assert app.query_one("TabbedContent").active == "repair"


def demo_plan() -> RepairPlan:
    """A plan with fixed content (the snapshot must not depend on this machine)."""
    diff = ("--- /opt/flexnet/sigasi.lic\n+++ /opt/flexnet/sigasi.lic (repaired)\n@@ -2,3 +2,3 @@\n"
            " DAEMON sigasi port=27001\n-SERVER your_server_name1 02fc00000001 27000\n"
            "+SERVER licsrv01 02fc00000001 27000\n INCREMENT com.sigasi.hdt sigasi 4.0 1-jan-0 4 \\")
    actions = [
        PlannedAction("license.set-server-host", "Put this machine's name 'licsrv01' on the SERVER line",
                      ["license.placeholder-host"], ActionKind.FILE_EDIT, diff,
                      verify="the SERVER line names licsrv01; lmgrd accepts it", key="license.set-server-host"),
        PlannedAction("server.start", "Start lmgrd for this license and wait until it serves",
                      ["listener.nothing", "process.no-lmgrd"], ActionKind.PROCESS,
                      "/opt/flexnet/lmgrd -c /opt/flexnet/sigasi.lic -l +/opt/flexnet/debug.log",
                      verify="lmutil lmstat -a says lmgrd and sigasi are UP", key="server.start",
                      after=["license.set-server-host"]),
        PlannedAction("system.link-usr-tmp", "Link /usr/tmp -> /tmp", ["system.usr-tmp-missing"], ActionKind.LINK,
                      "ln -s /tmp /usr/tmp", needs_root=True, sudo="sudo ln -s /tmp /usr/tmp",
                      key="system.link-usr-tmp"),
        PlannedAction("firewall.open-ports", "Open ports 27000, 27001 in the firewall", [], ActionKind.MANUAL,
                      "firewalld: sudo firewall-cmd --permanent --add-port=27000/tcp --add-port=27001/tcp",
                      key="firewall.open-ports"),
    ]
    before = [Finding("license.placeholder-host", Status.FAIL, "SERVER host is still the placeholder"),
              Finding("listener.nothing", Status.FAIL, "Nothing listens on the lmgrd port 27000")]
    return RepairPlan(actions, "/opt/flexnet/sigasi.lic", before)


def test_repair_plan_snapshot(snap_compare):
    async def run_before(pilot) -> None:
        await started(pilot)
        pane = pilot.app.query_one(RepairPane)
        pane.show_plan(demo_plan())
        await pilot.pause()
        pilot.app.query_one(SelectionList).focus()
        await pilot.pause()

    app = LmdoctorApp(autorun=False, live=False, cursor_blink=False, initial="repair")
    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)
