"""Generate the README's screenshots (SVG) from the real app: run_test + save_screenshot.

    /work/venv/bin/python screenshots/generate.py            # all of them, into screenshots/
    /work/venv/bin/python screenshots/generate.py --no-sandbox

Explain, License and Diagnose use fixed content (a fixed error code, a fixture license linted
with host comparison off and a fixed date, a walk answered by preset keys), so they only change
when the app does. The Check screenshot runs the real check against a sandbox license server
(`checks.sandbox`, scenario "duplicate"), the Repair one plans (and applies nothing) for a sandbox
whose license still has the placeholder host, the Daemon one runs the sandbox's healthy lmgrd -z
until it serves and stops it; all are stopped again before the script ends. The Log screenshot
reads a generated busy log (bench/bench_log.py's generator) and shows its usage plot.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Awaitable, Callable, List, Optional

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SIZE = (100, 30)
LICENSE = "tests/fixtures/licenses/sigasi_floating_placeholder.lic"  # relative: the same on every machine
TODAY = _dt.date(2024, 1, 15)
TIMEOUT = 60.0


async def _until(pilot, predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause()


def _text(app, selector: str) -> str:
    return str(app.query_one(selector).render())


async def shoot(app, name: str, out: Path, drive: Callable[[object, object], Awaitable[None]],
                size=SIZE) -> Path:
    async with app.run_test(size=size) as pilot:
        await _until(pilot, lambda: app.focused is not None, "the app to start")
        await drive(app, pilot)
        await pilot.pause(0.2)
        path = app.save_screenshot(filename=f"{name}.svg", path=str(out))
    return Path(path)


def _app(**kw):
    from lmdoctor.checks.license.lint import LintOptions
    from lmdoctor.tui.app import LmdoctorApp

    kw.setdefault("lint_options", LintOptions(identity=None, on_server=False, today=TODAY))
    return LmdoctorApp(autorun=False, live=False, cursor_blink=False, **kw)


async def drive_explain(app, pilot) -> None:
    app.explain_text("-15,570:115")
    await _until(pilot, lambda: "explanation" in _text(app, "#explain-status"), "the explanation")


async def drive_license(app, pilot) -> None:
    app.lint_file(LICENSE)
    await _until(pilot, lambda: " fail, " in _text(app, "#license-status"), "the lint")


async def drive_diagnose(app, pilot) -> None:
    from lmdoctor.tui.tabs.diagnose import DiagnosePane

    pane = app.query_one(DiagnosePane)
    await _until(pilot, lambda: pane.ready, "the tree")
    pane.match("Exiting due to signal 32")
    await _until(pilot, lambda: pane.walk is not None and not pane.busy, "the first question")
    await pilot.press("1")  # yes, more than one lmgrd/sigasi is running
    await _until(pilot, lambda: not pane.busy, "the next step")


async def drive_symptoms(app, pilot) -> None:
    from lmdoctor.tui.tabs.diagnose import DiagnosePane

    pane = app.query_one(DiagnosePane)
    await _until(pilot, lambda: pane.ready, "the tree")


def make_check_driver() -> Callable:
    async def drive_check(app, pilot) -> None:
        from lmdoctor.tui.tabs.check import CheckPane

        pane = app.query_one(CheckPane)
        await pilot.press("r")
        await _until(pilot, lambda: not pane.running and pane.last_report is not None, "the check")
        await pilot.press("down", "up")  # the cursor on the worst finding, its detail below
        await pilot.pause(0.5)
    return drive_check


async def drive_inputs(app, pilot) -> None:
    from lmdoctor.tui.screens.inputs import InputsScreen

    app.action_inputs()
    await _until(pilot, lambda: isinstance(app.screen, InputsScreen), "the inputs panel")


async def _log_usage(out: Path) -> Path:
    """The Log tab on a generated busy log (a week of checkouts, denials when every seat is taken),
    the usage plot shown (u)."""
    sys.path.insert(0, str(REPO / "bench"))
    import bench_log

    with tempfile.TemporaryDirectory(prefix="lmdoctor-shots-") as tmp:
        os.chdir(tmp)  # the path on screen is relative
        bench_log.generate(Path(tmp) / "debug.log", 4_000_000)

        async def drive(app, pilot) -> None:
            from lmdoctor.tui.tabs.log import LogPane
            from lmdoctor.tui.widgets.usage_plot import UsagePlot

            pane = app.query_one(LogPane)
            app.open_log("debug.log")
            await _until(pilot, lambda: bool(pane.findings), "the analysis")
            app.query_one("#log-findings .findings-table").focus()
            app._typed_at = 0.0
            await pilot.press("u")
            await _until(pilot, lambda: app.query_one(UsagePlot).display, "the usage plot")

        try:
            return await shoot(_app(initial="log"), "log", out, drive)
        finally:
            os.chdir(REPO)


async def _daemon_against_sandbox(out: Path) -> Path:
    """The Daemon tab running the sandbox's healthy lmgrd -z until the vendor daemon serves, then stopped."""
    from lmdoctor.checks.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="lmdoctor-shots-") as tmp:
        os.environ["XDG_STATE_HOME"] = os.path.join(tmp, "state")
        sb = Sandbox(os.path.join(tmp, "sandbox"))
        try:
            info = sb.start("healthy")
            sb.stop()  # its files stay: the app starts lmgrd itself

            async def drive(app, pilot) -> None:
                from lmdoctor.tui.tabs.daemon import DaemonPane

                pane = app.query_one(DaemonPane)
                app.query_one("#daemon-license").value = info.license_path
                app.query_one("#daemon-lmgrd").value = info.lmgrd_path
                pane.action_start()
                await _until(pilot, lambda: pane.started, "Server started")
                await pilot.pause(1.0)
                pane.stop()
                await _until(pilot, lambda: not pane.running and bool(pane.findings), "the verdict")
                app.query_one("#daemon-findings .findings-table").focus()

            return await shoot(_app(initial="daemon"), "daemon", out, drive)
        finally:
            sb.stop()


SHOTS = {
    "explain": lambda out: shoot(_app(initial="explain"), "explain", out, drive_explain),
    "license": lambda out: shoot(_app(initial="license"), "license", out, drive_license),
    "diagnose-symptoms": lambda out: shoot(_app(initial="diagnose"), "diagnose-symptoms", out, drive_symptoms),
    "diagnose": lambda out: shoot(_app(initial="diagnose"), "diagnose", out, drive_diagnose),
    "check": lambda out: _check_against_sandbox(out),
    "repair": lambda out: _repair_against_sandbox(out),
    "daemon": lambda out: _daemon_against_sandbox(out),
    "log": lambda out: _log_usage(out),
    "inputs": lambda out: shoot(_app(initial="check"), "inputs", out, drive_inputs),
}


def generate_one(name: str, out: Path) -> Path:
    os.chdir(REPO)
    return asyncio.run(SHOTS[name](out))


async def _check_against_sandbox(out: Path) -> Path:
    from lmdoctor.checks.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="lmdoctor-shots-") as tmp:
        sb = Sandbox(os.path.join(tmp, "sandbox"))
        try:
            info = sb.start("duplicate")
            app = _app(initial="check", license_path=info.license_path, servers=[info.port_at_host])
            return await shoot(app, "check", out, make_check_driver())
        finally:
            sb.stop()


async def _repair_against_sandbox(out: Path) -> Path:
    """The Repair tab's plan for a sandbox server whose license still has the placeholder host (nothing applied)."""
    from lmdoctor.checks.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="lmdoctor-shots-") as tmp:
        os.environ["XDG_STATE_HOME"] = os.path.join(tmp, "state")
        sb = Sandbox(os.path.join(tmp, "sandbox"))
        try:
            info = sb.start("placeholder-host")
            app = _app(initial="repair", license_path=info.license_path)

            async def drive(app, pilot) -> None:
                from lmdoctor.tui.tabs.repair import RepairPane

                pane = app.query_one(RepairPane)
                pane.plan_repair()
                await _until(pilot, lambda: pane.plan is not None and not pane.busy, "the plan")
                app.query_one("#repair-actions").focus()

            return await shoot(app, "repair", out, drive)
        finally:
            sb.stop()


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(Path(__file__).resolve().parent), help="directory for the SVGs")
    p.add_argument("--no-sandbox", action="store_true",
                   help="skip the Check, Repair and Daemon screenshots (they need a sandbox server)")
    p.add_argument("--only", choices=sorted(SHOTS), help="make just this one (in this process)")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.only:
        print(generate_one(args.only, out))
        return 0
    # One process per screenshot: a Textual app run after another one in the same process can
    # inherit rendering state from it (seen as invisible text), and a screenshot must show the app
    # as a user sees it.
    names = [n for n in SHOTS if not (args.no_sandbox and n in ("check", "repair", "daemon"))]
    failed = 0
    for name in names:
        r = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--only", name, "--out", str(out)])
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
