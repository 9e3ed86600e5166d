"""ruff, mypy and import-linter run as tests, so `.ci/run` enforces them (see tests/quality.py)."""
from __future__ import annotations

from tests import quality


def test_ruff_is_clean():
    code, out = quality.run_ruff()
    assert code == 0, out


def test_mypy_is_clean():
    code, out = quality.run_mypy()
    assert code == 0, out


def test_import_contracts_are_kept():
    code, out = quality.run_import_linter()
    assert code == 0, out
    assert "broken" in out and " 0 broken" in out, out


def test_the_layout_tree_has_the_installed_shape():
    with quality.installed_tree() as tree:
        assert (tree / "lmdoctor" / "__init__.py").is_file()
        assert (tree / "lmdoctor" / "checks" / "cli.py").is_file()
        assert (tree / "lmdoctor" / "tui" / "app.py").is_file()
    assert quality._repo_paths("lmdoctor/checks/x.py:1: error\nlmdoctor/tui/y.py:2: e") == \
        "checks/x.py:1: error\ntui/y.py:2: e"


def test_the_private_textual_method_the_app_overrides_still_exists():
    # The upper bound on Textual in pyproject.toml is there for this override: when a Textual
    # release renames the method, the app's tab focus fix silently stops working.
    from textual.widgets import TabbedContent

    from lmdoctor.tui.app import Tabs

    assert callable(getattr(TabbedContent, "_on_tab_pane_focused", None))
    assert "_on_tab_pane_focused" in Tabs.__dict__


def test_every_error_class_of_lmdoctor_derives_from_one_base():
    """One base: a caller catches lmdoctor's own refusals in one place. Cancelled is control flow."""
    import ast
    import importlib

    from lmdoctor.checks.exceptions import LmdoctorError
    from lmdoctor.checks.runtime import Cancelled

    found = {}
    for folder, package in ((quality.REPO / "checks", "lmdoctor.checks"), (quality.REPO / "tui", "lmdoctor.tui")):
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Refused", "Failed")):
                    rel = path.relative_to(folder).with_suffix("")
                    module = ".".join([package] + [p for p in rel.parts if p != "__init__"])
                    found[f"{module}.{node.name}"] = getattr(importlib.import_module(module), node.name)
    errors = {name: cls for name, cls in found.items() if isinstance(cls, type) and issubclass(cls, BaseException)}
    assert len(errors) >= 10, sorted(found)
    assert [name for name, cls in errors.items() if not issubclass(cls, LmdoctorError)] == []
    assert not issubclass(Cancelled, LmdoctorError)
