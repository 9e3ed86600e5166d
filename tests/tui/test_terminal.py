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

    def paste(self, text: str) -> None:
        """Paste as a terminal does (bracketed paste, since the app asked for it): one event, every line."""
        _tmux("set-buffer", "-b", "lmdoctor-test", "--", text)
        _tmux("paste-buffer", "-p", "-d", "-b", "lmdoctor-test", "-t", self.session)

    def styled(self) -> str:
        """The screen with its escape sequences (colours, bold, reverse)."""
        return _tmux("capture-pane", "-e", "-p", "-t", self.session, check=False).stdout

    def wait_for(self, pred: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if pred(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}\n{self.post_mortem()}")

    def post_mortem(self) -> str:
        """What tmux knows when a wait failed: is the server up, did the app exit (and how), its last
        output (the pane stays after the app exits: remain-on-exit), and the exit status the shell wrote."""
        sessions = _tmux("list-sessions", "-F", "#{session_name}", check=False)
        state = _tmux("display-message", "-p", "-t", self.session,
                      "pane_dead=#{pane_dead} status=#{pane_dead_status} pid=#{pane_pid}", check=False)
        last = _tmux("capture-pane", "-p", "-S", "-60", "-t", self.session, check=False).stdout
        done = getattr(self, "done", None)
        status = done.read_text().strip() if done is not None and done.exists() else "none"
        return (f"--- tmux sessions: {sessions.stdout.split()} (rc {sessions.returncode}: {sessions.stderr.strip()})\n"
                f"--- pane: {state.stdout.strip() or state.stderr.strip()}; exit status file: {status}\n"
                f"--- last output:\n{last}")

    def wait_text(self, needle: str) -> str:
        return self.wait_for(lambda s: needle in s, repr(needle))

    def alive(self) -> bool:
        """The app's pane still runs (the pane itself outlives the app: remain-on-exit)."""
        r = _tmux("display-message", "-p", "-t", self.session, "#{pane_dead}", check=False)
        return r.returncode == 0 and r.stdout.strip() == "0"


def _open_terminal(tmp_path: Path, env: str = "") -> Terminal:
    if TMUX is None:
        _missing("tmux is not installed")
    lmdoctor = Path(sys.executable).parent / "lmdoctor"
    if not lmdoctor.exists():
        _missing(f"the console script is not installed next to {sys.executable}")
    session = f"lmdoctor-test-{uuid.uuid4().hex[:8]}"
    done = tmp_path / "exit-status"
    # The shell records the app's exit status, then the session ends by itself.
    # COLUMNS/LINES (pytest may export them) would override the 120x40 window in Textual.
    # The state directory is the test's own: no theme remembered from elsewhere.
    cmd = (f"cd {_q(str(REPO))} && unset COLUMNS LINES && XDG_STATE_HOME={_q(str(tmp_path / 'state'))} {env} "
           f"{_q(str(lmdoctor))} tui --no-autorun; echo $? > {_q(str(done))}")
    # TERM stays tmux's own: the app must read the key sequences tmux sends.
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "sh", "-c", cmd)
    _tmux("resize-window", "-t", session, "-x", "120", "-y", "40", check=False)
    term = Terminal(session)
    term.done = done  # type: ignore[attr-defined]
    return term  # type: ignore[return-value]


@pytest.fixture
def terminal(tmp_path: Path):
    term = _open_terminal(tmp_path)
    try:
        yield term
    finally:
        _tmux("kill-session", "-t", term.session, check=False)


@pytest.fixture(scope="module", autouse=True)
def _tmux_server():
    """This module's tmux server (-L SOCKET) ends with it: nothing of ours is left running.

    A session that only sleeps keeps the server up between tests: otherwise killing one test's
    session empties the server, it exits, and the next test's new-session can reach it while it is
    going away ("server exited unexpectedly": the app's session dies with it and the screen is empty).
    """
    if TMUX is not None:
        _tmux("new-session", "-d", "-s", "keepalive", "sh", "-c", "sleep 3600", check=False)
        # Every app pane outlives its app: if the app dies, its last words stay for the failure message.
        _tmux("set-option", "-g", "-w", "remain-on-exit", "on", check=False)
    yield
    _tmux("kill-server", check=False)


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


def _grey(code: int) -> bool:
    """A 256-colour number that is a grey (the greyscale ramp, or an equal-RGB cube entry, or black/white)."""
    if code in (0, 7, 8, 15) or 232 <= code <= 255:
        return True
    if 16 <= code <= 231:
        r, g, b = (code - 16) // 36, (code - 16) // 6 % 6, (code - 16) % 6
        return r == g == b
    return False


def _hues(styled: str) -> list:
    """Colours in the screen's escape sequences that are not greys (what NO_COLOR=1 must not draw)."""
    import re

    out = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", styled):
        p = [int(x) if x else 0 for x in params.split(";")]
        i = 0
        while i < len(p):
            if p[i] in (38, 48) and i + 2 < len(p) and p[i + 1] == 5:
                if not _grey(p[i + 2]):
                    out.append(params)
                i += 3
            elif p[i] in (38, 48) and i + 4 < len(p) and p[i + 1] == 2:
                if len({p[i + 2], p[i + 3], p[i + 4]}) > 1:
                    out.append(params)
                i += 5
            elif 31 <= p[i] <= 36 or 41 <= p[i] <= 46 or 91 <= p[i] <= 96 or 101 <= p[i] <= 106:
                out.append(params)
                i += 1
            else:
                i += 1
    return out


def _flexlm_under(directory: str) -> list:
    import psutil

    left = []
    for p in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if directory in cmd and p.info["status"] != psutil.STATUS_ZOMBIE:
            left.append(f"{p.pid} {cmd}")
    return left


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
def test_typing_pasting_and_the_daemon_console_in_a_real_terminal(tmp_path, sandbox_factory, no_color):
    """Issue 12's done-when in a real terminal: `quorum lost` typed into Diagnose neither quits nor checks,
    a multi-line paste is matched on every line, the Daemon tab runs the sandbox's healthy lmgrd to
    "started" and stops it with nothing left; with NO_COLOR=1 the screen draws no hue at all."""
    info = sandbox_factory("healthy")
    sandbox_factory.last.stop()  # its files stay; the app starts lmgrd itself
    t = _open_terminal(tmp_path, env="NO_COLOR=1" if no_color else "")
    try:
        t.wait_text("Check F2")
        t.keys("F3")
        t.wait_text("Paste the error message")
        t.type("lmgrd")
        t.keys("Enter")
        t.type("quorum lost, license server")
        screen = t.wait_text("quorum lost, license server")
        assert t.alive() and "Checking" not in screen, "q quit or r started a check"
        t.keys("Enter")
        t.wait_for(lambda s: "Symptom: S24" in s and "How many of the triad" in s, "the triad-quorum symptom (S24)")
        assert t.alive()
        # Another message, pasted as a debug-log excerpt: the second line decides. n (new symptom) goes
        # back to an empty field once the typing pause is over (letters right after typing are text).
        time.sleep(1.2)
        t.keys("n")
        t.wait_for(lambda s: "Paste a message, or choose a symptom" in s and "quorum lost" not in s,
                   "the field emptied")
        t.paste("The license dialog said:\n10:00:00 (sigasi) EXITING DUE TO SIGNAL 32 Exit reason 9\n")
        t.wait_for(lambda s: "Symptom:" in s and "S12" in s, "the another-server symptom (S12) from the paste")
        # The Daemon tab: lmgrd -z on the healthy sandbox license, to "started", then stopped.
        t.keys("F7")
        t.wait_text("Do not start a second lmgrd")
        t.type(info.license_path)
        t.wait_text(info.license_path)
        t.keys("Tab")
        t.type(info.lmgrd_path)
        t.wait_text(info.lmgrd_path)
        t.keys("Enter")
        t.wait_text("Vendor daemon started")
        assert _flexlm_under(info.dir), "lmgrd runs under the app"
        t.keys("C-x")
        t.wait_text("lmgrd stopped")
        screen = t.wait_text("nothing left running")
        if no_color:
            assert not _hues(t.styled()), "NO_COLOR=1 drew colours"
            assert "ok" in screen or "FAIL" in screen or "WARN" in screen
        t.keys("C-q")
        t.wait_text("not saved")
        t.keys("q")
        deadline = time.monotonic() + TIMEOUT
        while not t.done.exists() and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        assert t.done.read_text().strip() == "0"  # type: ignore[attr-defined]
    finally:
        _tmux("kill-session", "-t", t.session, check=False)
    assert not _flexlm_under(info.dir), "lmgrd or sigasi left running"
