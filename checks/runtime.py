"""Cancellation and streaming: the shape every slow engine call takes.

A long call takes a ``CancelToken`` and an ``on_finding`` callback. The TUI's
workers pass a token they cancel when the user leaves the screen; the CLI passes
one it cancels on Ctrl-C. Findings are handed to ``on_finding`` as soon as they
are known so a view can show them while the rest still runs.
"""
from __future__ import annotations

import enum
import threading
from typing import Callable, Optional

from .findings import Finding

FindingSink = Callable[[Finding], None]


class Cancelled(Exception):
    """Raised inside engine code when its token was cancelled.

    Deliberately not an ``LmdoctorError``: it is control flow (like KeyboardInterrupt), and a
    handler that reports lmdoctor's errors to the user must not swallow a cancellation.
    """


class RunState(str, enum.Enum):
    """Where a unit of slow work is: a probe in ``lmdoctor check``'s progress, a job of the app.
    A str, so comparisons, JSON and log lines see the plain word."""

    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: Optional[float]) -> bool:
        """Sleep up to ``timeout`` seconds; True if cancelled meanwhile."""
        return self._event.wait(timeout)


NEVER_CANCELLED = CancelToken()


def discard(_finding: Finding) -> None:
    """A sink that drops findings (for callers that only want the returned list)."""
