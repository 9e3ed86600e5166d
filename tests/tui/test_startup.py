"""The app shows at once: the first frame is title, tab bar and keys; the visible tab's body comes right
after it and the other tabs once that one is drawn (bench/bench_tui.py measures the time)."""
from __future__ import annotations

import subprocess
import sys
from typing import Dict, List

from textual import events
from textual.message import Message

from lmdoctor.tui.app import LmdoctorApp
from lmdoctor.tui.tabs import TAB_IDS, TabBody
from lmdoctor.tui.widgets.footer import KeyFooter

from .helpers import REPO, run_async, started, wait_for


def _mounted(app: LmdoctorApp) -> List[str]:
    return [b.TAB_ID for b in app.query(TabBody)]


@run_async
async def test_first_frame_has_no_tab_body_then_the_visible_tab_comes_first():
    seen: Dict[str, List[str]] = {}

    def hook(message: Message) -> None:
        if isinstance(message, events.Ready):  # the first frame is on the terminal
            seen.setdefault("ready", _mounted(app))

    app = LmdoctorApp(autorun=False, initial="license")
    real_drawn = app.body_drawn

    def drawn(body: TabBody) -> None:  # a tab's body drawn for the first time: which bodies exist then
        seen.setdefault("shown", [body.TAB_ID] + _mounted(app))
        real_drawn(body)

    app.body_drawn = drawn  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await started(pilot)
        assert seen["ready"] == []  # the first frame: the frame only
        assert seen["shown"] == ["license", "license"]  # drawn before any other tab is built
        assert sorted(_mounted(app)) == sorted(TAB_IDS) and app.tabs_ready
        assert app.focused is app.body("license").default_focus()


@run_async
async def test_keys_typed_before_the_tabs_are_built_reach_the_field():
    app = LmdoctorApp(autorun=False, initial="explain", cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.body("explain") is not None and app.focused is not None,
                       what="the Explain tab")
        await pilot.press("-", "1", "5")
        await wait_for(pilot, lambda: app.tabs_ready, what="the other tabs")
        assert app.focused.value == "-15"  # type: ignore[union-attr]


@run_async
async def test_footer_is_rebuilt_only_when_its_keys_change():
    app = LmdoctorApp(autorun=False, initial="check")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(pilot)
        footer = app.query_one(KeyFooter)
        rebuilt = []
        real = footer.recompose

        async def counting() -> None:
            rebuilt.append(1)
            await real()

        footer.recompose = counting  # type: ignore[method-assign]
        for _ in range(5):  # a burst of refreshes that change nothing
            app.refresh_bindings()
        await pilot.pause(0.2)
        assert rebuilt == []
        stop = [k for k in footer.query("FooterKey") if k.key == "escape"]
        assert stop and stop[0].has_class("-disabled")  # nothing runs: Stop is dimmed
        pane = app.body("check")
        pane.running = True  # type: ignore[attr-defined]  # Stop becomes a live key
        await pilot.pause(0.2)
        assert len(rebuilt) == 1
        stop = [k for k in footer.query("FooterKey") if k.key == "escape"]
        assert stop and not stop[0].has_class("-disabled")
        pane.running = False  # type: ignore[attr-defined]


def test_the_app_command_builds_only_its_own_parser():
    # `lmdoctor tui` (and plain `lmdoctor`) import no other command's module: most of start-up was that.
    code = ("import sys\n"
            "from lmdoctor.checks import cli\n"
            "p = cli.build_parser(only='tui')\n"
            "a = p.parse_args(['tui', '--no-autorun', '--server', '27000@h'])\n"
            "assert a.command == 'tui' and a.server and a._run.__module__.endswith('commands.tui')\n"
            "others = [m for m in sys.modules if m.startswith('lmdoctor.checks.commands.') and\n"
            "          m.rsplit('.', 1)[1] in cli.COMMANDS and not m.endswith(('.tui', '.lint'))]\n"
            "print(others)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@run_async
async def test_a_tab_picked_at_once_is_built_and_focused():
    app = LmdoctorApp(autorun=False, initial="check", cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")  # at once: the bodies may not exist yet
        await wait_for(pilot, lambda: app.tabs_ready and app.body("explain") is not None, what="the tabs")
        await pilot.pause(0.1)
        assert app.query_one("Tabs").active == "explain"
        assert app.focused is app.body("explain").default_focus()


@run_async
async def test_ctrl_q_while_the_tabs_are_still_being_built_quits_with_status_0():
    # Seen with the single-file build in tmux: ctrl+q on the first frame, while the bodies were still
    # being mounted one per frame, ended in MountError and exit status 1. The user's ctrl+q is put at
    # each moment of the build in turn (before the first body, before the second, ...).
    for quit_at in (1, 2, 4):
        app = LmdoctorApp(autorun=False, live=False)  # no check: nothing unsaved, so ctrl+q quits at once
        mount = app._mount_body
        calls: List[str] = []

        async def mount_and_quit(tab_id: str, mount=mount, calls=calls, quit_at=quit_at, app=app) -> None:
            calls.append(tab_id)
            if len(calls) == quit_at:
                await app.action_quit()  # nothing unsaved yet: it quits at once
            await mount(tab_id)

        app._mount_body = mount_and_quit  # type: ignore[method-assign]
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda app=app: app.return_code is not None, what="the app to quit")
            await pilot.pause(0.2)
        assert app.return_code == 0, (quit_at, calls)
