"""Shared helpers for the TUI tests: poll the app instead of sleeping a fixed time."""
from __future__ import annotations

import asyncio
import datetime as _dt
import time
from pathlib import Path
from typing import Callable, List

from textual.message import Message
from textual.pilot import Pilot

REPO = Path(__file__).resolve().parents[2]
LICENSES = REPO / "tests" / "fixtures" / "licenses"
PLACEHOLDER_LIC = "tests/fixtures/licenses/sigasi_floating_placeholder.lic"  # relative to REPO
FIXED_TODAY = _dt.date(2024, 1, 15)
# Generous: these wait for work to finish, they do not measure speed.
TIMEOUT = float(__import__("os").environ.get("LMDOCTOR_TUI_TIMEOUT", "60"))


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = TIMEOUT,
                   what: str = "condition") -> None:
    """Let the app run until ``predicate()`` holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause()


class Recorder:
    """A ``message_hook``: keeps every message dispatched anywhere in the app, once per message object."""

    def __init__(self) -> None:
        self.messages: List[Message] = []
        self._seen = set()

    def __call__(self, message: Message) -> None:
        if id(message) not in self._seen:
            self._seen.add(id(message))
            self.messages.append(message)

    def of(self, kind: type) -> List[Message]:
        return [m for m in self.messages if isinstance(m, kind)]


def lint_options():
    """Host comparison off, a fixed today: the lint is the same on every machine and every day."""
    from lmdoctor.checks.license.lint import LintOptions

    return LintOptions(identity=None, on_server=False, today=FIXED_TODAY)


async def settle(pilot: Pilot) -> None:
    await pilot.pause()
    await asyncio.sleep(0)


def run_async(func):
    """Run an ``async def`` test body in its own event loop (no pytest async plugin needed)."""
    import functools
    import inspect

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return asyncio.run(func(*args, **kwargs))

    # pytest reads the signature for fixtures: keep the original one.
    wrapper.__signature__ = inspect.signature(func)
    return wrapper


async def started(pilot: Pilot) -> None:
    """Wait until the app has settled its first focus (keys pressed before that may race with it)."""
    await wait_for(pilot, lambda: pilot.app.focused is not None and getattr(pilot.app, "tabs_ready", True),
                   what="the app to start")
    await pilot.pause()


def post_burst(app, keys) -> None:
    """Post ``keys`` as one read from the terminal delivers them: all queued before any is handled."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else {"enter": "\r"}.get(key)))
