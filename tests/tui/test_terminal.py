"""Drive the installed ``lmdoctor tui`` in a real terminal (tmux): keys in, screen text out."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import under_ci

from .helpers import PLACEHOLDER_LIC, REPO

TMUX = shutil.which("tmux")


def _missing(what: str) -> None:
    """On a developer's machine a missing tool skips; under CI the real-terminal test must run, so it fails."""
    if under_ci():
        pytest.fail(f"{what}; CI must run the real-terminal test (install it, e.g. dnf/apt install tmux)",
                    pytrace=False)
    pytest.skip(what)
TIMEOUT = float(os.environ.get("LMDOCTOR_TUI_TIMEOUT", "60"))
# A tmux server of our own (-L): never the user's, and never shared with another test run,
# whose server could be killed under us when that run ends.
SOCKET = f"lmdoctor-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    assert TMUX is not None
    return subprocess.run([TMUX, "-L", SOCKET, *args], capture_output=True, text=True, timeout=30, check=check)


class Terminal:
    def __init__(self, session: str) -> None:
        self.session = session

    def screen(self) -> str:
        return _tmux("capture-pane", "-p", "-t", self.session, check=False).stdout

    def keys(self, *keys: str) -> None:
        _tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        _tmux("send-keys", "-t", self.session, "-l", "--", text)

    def wait_for(self, pred: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if pred(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}")

    def wait_text(self, needle: str) -> str:
        return self.wait_for(lambda s: needle in s, repr(needle))

    def alive(self) -> bool:
        return _tmux("has-session", "-t", self.session, check=False).returncode == 0


@pytest.fixture
def terminal(tmp_path: Path):
    if TMUX is None:
        _missing("tmux is not installed")
    lmdoctor = Path(sys.executable).parent / "lmdoctor"
    if not lmdoctor.exists():
        _missing(f"the console script is not installed next to {sys.executable}")
    session = f"lmdoctor-test-{uuid.uuid4().hex[:8]}"
    done = tmp_path / "exit-status"
    # The shell records the app's exit status, then the session ends by itself.
    # COLUMNS/LINES (pytest may export them) would override the 120x40 window in Textual.
    cmd = (f"cd {_q(str(REPO))} && unset COLUMNS LINES && {_q(str(lmdoctor))} tui --no-autorun; "
           f"echo $? > {_q(str(done))}")
    # TERM stays tmux's own: the app must read the key sequences tmux sends.
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "sh", "-c", cmd)
    _tmux("resize-window", "-t", session, "-x", "120", "-y", "40", check=False)
    term = Terminal(session)
    term.done = done  # type: ignore[attr-defined]
    try:
        yield term
    finally:
        _tmux("kill-session", "-t", session, check=False)


def _q(s: str) -> str:
    import shlex

    return shlex.quote(s)


def test_tabs_in_a_real_terminal(terminal):
    t = terminal
    t.wait_text("Check F2")
    t.wait_text("Press r to scan")
    # Explain tab: type a code, see the explanation.
    t.keys("F4")
    t.wait_text("Paste an error")
    t.type("-15,570:115")
    t.wait_text("-15,570:115")
    t.keys("Enter")
    t.wait_text("Cannot connect to license server system")
    # License tab: lint a fixture file.
    t.keys("F5")
    t.wait_for(lambda s: "License F5" in s and "Type the path" in s, "the license tab")
    t.type(PLACEHOLDER_LIC)
    t.wait_text(PLACEHOLDER_LIC)
    t.keys("Enter")
    t.wait_text("placeholder 'your_server_name1'")
    # Diagnose tab: paste a message, answer with a digit, reach a leaf whose step id is on screen.
    t.keys("F3")
    t.wait_text("Paste the error message")
    t.type("No license")
    t.wait_text("No license")
    t.keys("Enter")
    t.wait_for(lambda s: " S2 " in s and "1. " in s, "step S2 and its choices")
    time.sleep(1.2)  # letter and digit keys wait for a pause after typing (nothing typed on acts as a key)
    t.keys("2")
    screen = t.wait_text("Diagnosis:")
    assert "S2.3" in screen
    # q leaves the app (focus is on the diagnosis, not in a text field): the walk is not saved, so it
    # asks first, and a second q quits. No check ran: the exit status is 0.
    t.keys("q")
    t.wait_text("not saved")
    t.keys("q")
    t.wait_for(lambda s: t.done.exists() or not t.alive(), "the app to exit")  # type: ignore[attr-defined]
    deadline = time.monotonic() + TIMEOUT
    while not t.done.exists() and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    assert t.done.read_text().strip() == "0"  # type: ignore[attr-defined]
