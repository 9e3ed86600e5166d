"""The engine must never load Textual: the headless CLI runs on bare servers over SSH."""
import subprocess
import sys

import pytest

HEADLESS = ["check", "lint", "explain", "diagnose", "repair", "daemon", "lmstat", "log", "serve", "sandbox"]


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
    # prometheus_client is for serve and --format openmetrics only: no command pays for it to start.
    assert not any(m == "prometheus_client" or m.startswith("prometheus_client.") for m in mods)


def _module_level_imports(path) -> set:
    """Modules a file imports at module level (not inside a function or class body)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against lmdoctor.checks.commands
                base = ["lmdoctor", "checks", "commands"][: 3 - (node.level - 1)]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return found


def _commands_dir():
    from pathlib import Path

    import lmdoctor.checks.commands as commands

    return Path(commands.__file__).parent


def test_command_modules_import_the_app_only_lazily():
    """The app (lmdoctor.tui) and Textual load only inside a command's run(), never when the CLI
    builds its parser: `lmdoctor check` on a bare server must not pay for (or need) Textual."""
    offenders = {}
    for path in sorted(_commands_dir().glob("*.py")):
        bad = sorted(m for m in _module_level_imports(path)
                     if m.split(".")[0] == "textual" or m == "lmdoctor.tui" or m.startswith("lmdoctor.tui."))
        if bad:
            offenders[path.name] = bad
    assert offenders == {}


def test_the_tui_command_does_import_the_app_inside_run():
    # The check above must look at the real import: the tui command has one, inside run().
    import ast

    src = (_commands_dir() / "tui.py").read_text(encoding="utf-8")
    lazy = [n.module for f in ast.walk(ast.parse(src)) if isinstance(f, ast.FunctionDef) and f.name == "run"
            for n in ast.walk(f) if isinstance(n, ast.ImportFrom)]
    assert "lmdoctor.tui.app" in lazy


def test_building_the_whole_parser_never_loads_the_app():
    mods = _modules_after("from lmdoctor.checks import cli\ncli.build_parser()\n")
    assert "lmdoctor.checks.commands.tui" in mods
    assert not any(m == "lmdoctor.tui" or m.startswith(("lmdoctor.tui.", "textual")) for m in mods)
