"""The Daemon tab against the sandbox's healthy scenario: lmgrd -z streams to "Server started", the
stop key ends it with a verdict, and nothing (lmgrd, the vendor daemon) is left running - also when
the app quits while lmgrd runs."""
from __future__ import annotations

import psutil
from textual.widgets import Input

from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.tabs.daemon import DaemonPane

from .helpers import run_async, started, wait_for


def _flexlm_children(root: int) -> list:
    try:
        kids = psutil.Process(root).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in kids if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _prepared(sandbox_factory):
    info = sandbox_factory("healthy")
    sandbox_factory.last.stop()  # keep its files, free its ports: the app starts lmgrd itself
    return info


@run_async
async def test_daemon_console_streams_to_started_then_stops_with_a_verdict(sandbox_factory):
    import os

    info = _prepared(sandbox_factory)
    app = LmdoctorApp(autorun=False, initial="daemon", cursor_blink=False)
    async with app.run_test(size=(100, 36)) as pilot:
        await started(pilot)
        pane = app.query_one(DaemonPane)
        app.query_one("#daemon-license", Input).value = info.license_path
        app.query_one("#daemon-lmgrd", Input).value = info.lmgrd_path
        pane.action_start()
        await wait_for(pilot, lambda: pane.started, what="Server started")
        assert any(ln.id == "log.server-started" for ln in pane.lines)
        assert _flexlm_children(os.getpid()), "lmgrd runs under the app"
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: not pane.running and pane.findings, what="the verdict")
        ids = {f.id: f.status.value for f in pane.findings}
        assert ids.get("daemon.started") == "ok"
        assert not pane.summary.get("leftovers")
        assert not _flexlm_children(os.getpid())


def test_quitting_while_lmgrd_runs_leaves_nothing(sandbox_factory):
    import asyncio
    import os

    info = _prepared(sandbox_factory)
    app = LmdoctorApp(autorun=False, initial="daemon", cursor_blink=False)

    async def body() -> None:
        async with app.run_test(size=(100, 36)) as pilot:
            await started(pilot)
            pane = app.query_one(DaemonPane)
            app.query_one("#daemon-license", Input).value = info.license_path
            app.query_one("#daemon-lmgrd", Input).value = info.lmgrd_path
            pane.action_start()
            await wait_for(pilot, lambda: pane.started, what="Server started")
            app.leave()  # quit with lmgrd running (the daemon run is unsaved: leave() quits at once)

    asyncio.run(body())
    assert not _flexlm_children(os.getpid())
