"""The engine must never load Textual: the headless CLI runs on bare servers over SSH."""
import subprocess
import sys

import pytest

HEADLESS = ["check", "lint", "explain", "diagnose", "repair", "daemon", "lmstat", "log", "sandbox"]


def _modules_after(code: str) -> set:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_importing_checks_never_loads_textual():
    code = "import pkgutil, importlib, lmdoctor.checks as checks\n" \
        "for m in pkgutil.walk_packages(checks.__path__, 'lmdoctor.checks.'):\n" \
        "    if not m.name.endswith('__main__'):\n" \
        "        importlib.import_module(m.name)\n"
    mods = _modules_after(code)
    assert "lmdoctor.checks.cli" in mods
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


@pytest.mark.parametrize("command", HEADLESS)
def test_headless_subcommand_help_never_loads_textual(command):
    code = (
        "import sys\nfrom lmdoctor.checks import cli\n"
        f"try:\n    cli.main([{command!r}, '--help'])\nexcept SystemExit:\n    pass\n"
    )
    mods = _modules_after(code)
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)
