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
