"""Windows: the file commands run, the live ones refuse at once (one line, exit 3, nothing started).

"Another OS" cannot be made real here, so sys.platform is monkeypatched (TEAM.md); the command
modules' ``run`` is replaced by a tripwire for the commands that must never get that far.
"""
from __future__ import annotations

import importlib
import sys
from typing import List

import pytest

from lmdoctor.checks import cli, platforms
from tests.conftest import FIXTURES

LIC = str(FIXTURES / "licenses" / "sigasi_floating_placeholder.lic")
LMSTAT = str(FIXTURES / "lmstat" / "sigasi_healthy.txt")

# argv -> the command module whose run must not be reached on Windows
LIVE = [
    (["check"], "check"),
    (["check", "--license", LIC], "check"),
    (["daemon", "--license", LIC], "daemon"),
    (["repair", "--dry-run"], "repair"),
    (["sandbox", "start"], "sandbox"),
    (["sandbox", "status"], "sandbox"),
    (["sandbox", "stop"], "sandbox"),
    (["diagnose", "--auto", "Cannot connect to license server system (-15,570:115)"], "diagnose"),
    (["tui"], "tui"),
    (["serve"], "serve"),
]


def _tripwire(monkeypatch, module: str) -> List[str]:
    calls: List[str] = []
    mod = importlib.import_module(f"lmdoctor.checks.commands.{module}")

    def run(args):  # pragma: no cover - reaching it is the failure
        calls.append(module)
        return 0

    monkeypatch.setattr(mod, "run", run)
    return calls


@pytest.mark.parametrize("argv,module", LIVE, ids=[" ".join(a[:2]) for a, _ in LIVE])
def test_live_commands_refuse_on_windows_with_one_line_and_exit_3(monkeypatch, capsys, argv, module):
    calls = _tripwire(monkeypatch, module)
    monkeypatch.setattr(sys, "platform", "win32")
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 3
    assert calls == []
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"lmdoctor: '{argv[0]}")
    assert "Linux only" in lines[0] and "lint, explain, lmstat, log" in lines[0]


@pytest.mark.parametrize("argv,expected_code,expected_text", [
    (["explain", "-15"], 2, "Cannot connect to license server system"),
    (["lint", "--no-host", LIC], 2, "license.placeholder-host"),
    (["lmstat", LMSTAT], None, "sigasi"),
    (["diagnose", "--list"], 0, "no-license"),
    (["diagnose", "No license"], None, "--answer S2="),  # walks until a question needs a person
    (["sandbox", "list"], 0, "duplicate"),
    (["completion", "bash"], 0, "_shtab_lmdoctor"),
    (["serve", "--example-config"], 0, "[[target]]"),
])
def test_file_commands_run_on_windows(monkeypatch, capsys, argv, expected_code, expected_text):
    monkeypatch.setattr(sys, "platform", "win32")
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Linux only" not in err
    if expected_code is not None:
        assert code == expected_code, err
    else:
        assert code in (0, 1, 2, 3), err
    assert expected_text in out


def test_other_unix_runs_live_commands_with_a_note(monkeypatch, capsys):
    calls = _tripwire(monkeypatch, "check")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cli.main(["check"]) == 0
    assert calls == ["check"]
    err = capsys.readouterr().err
    assert err.splitlines() == ["lmdoctor: 'check' is tested on Linux only; on darwin some probes may report "
                                "nothing or 'unknown'"]


def test_linux_says_nothing(monkeypatch, capsys):
    calls = _tripwire(monkeypatch, "check")
    monkeypatch.setattr(sys, "platform", "linux")
    assert cli.main(["check"]) == 0
    assert calls == ["check"] and capsys.readouterr().err == ""


@pytest.mark.parametrize("name,kind", [("linux", platforms.Platform.LINUX), ("win32", platforms.Platform.WINDOWS),
                                       ("cygwin", platforms.Platform.WINDOWS),
                                       ("darwin", platforms.Platform.OTHER_UNIX),
                                       ("freebsd14", platforms.Platform.OTHER_UNIX)])
def test_platform_kinds(name, kind):
    assert platforms.current(name) is kind


def test_every_command_is_classified():
    """A new command must decide: file command (runs anywhere) or live (Linux only)."""
    live = {"check", "daemon", "repair", "sandbox", "diagnose", "tui", "serve", "report"}
    files = {"lint", "explain", "lmstat", "log", "completion", "view"}
    for name in cli.COMMANDS:
        mod = importlib.import_module(f"lmdoctor.checks.commands.{name}")
        declared = hasattr(mod, "NEEDS_LINUX") or hasattr(mod, "needs_linux")
        assert declared == (name in live), f"{name}: declare NEEDS_LINUX / needs_linux in its module, or not"
        assert name in live | files, f"{name} is new: add it to one side here and to README's Platforms"
