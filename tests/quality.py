"""Run the static checks (ruff, mypy, import-linter) over the installed layout.

The folders checks/ and tui/ install as lmdoctor.checks / lmdoctor.tui through setuptools'
package-dir mapping. An editable install resolves those names with an import hook that mypy and
import-linter (grimp) do not follow, so both are run inside a small tree of symlinks that has the
installed shape: TREE/lmdoctor/{__init__.py,__main__.py,checks,tui}. Reported paths are mapped
back to the repository's own (lmdoctor/checks/x.py -> checks/x.py).

By hand: ``python -m tests.quality`` (all three) or ``python -m tests.quality mypy``.
tests/unit/test_code_quality.py runs the same functions, so `.ci/run` enforces them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

REPO = Path(__file__).resolve().parent.parent
# The installed name of each top-level folder (the package-dir mapping in pyproject.toml).
LAYOUT: Dict[str, str] = {"checks": "checks", "tui": "tui"}


def _tool(name: str) -> List[str]:
    """argv to run a console script of this interpreter's environment."""
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (pip install -e '.[test]')")
    return [found]


@contextmanager
def installed_tree() -> Iterator[Path]:
    """A temporary directory whose `lmdoctor` package has the installed layout, made of symlinks."""
    with tempfile.TemporaryDirectory(prefix="lmdoctor-layout-") as tmp:
        pkg = Path(tmp) / "lmdoctor"
        pkg.mkdir()
        for f in sorted((REPO / "lmdoctor").glob("*.py")):
            (pkg / f.name).symlink_to(f)
        for sub, folder in LAYOUT.items():
            (pkg / sub).symlink_to(REPO / folder, target_is_directory=True)
        yield Path(tmp)


_TREE_PATH = re.compile(r"(?m)^lmdoctor/(checks|tui)/")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # import-linter colours its report even when not on a terminal


def _repo_paths(text: str) -> str:
    """lmdoctor/checks/x.py -> checks/x.py in tool output, so messages name the files in the repo."""
    return _TREE_PATH.sub(lambda m: LAYOUT[m.group(1)] + "/", _ANSI.sub("", text))


def run_ruff() -> Tuple[int, str]:
    p = subprocess.run(_tool("ruff") + ["check", "--no-cache", "--output-format", "concise", "."],
                       cwd=REPO, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def run_mypy() -> Tuple[int, str]:
    # The cache stays in the repository (.mypy_cache, ignored by git), so a second run takes seconds
    # even though the tree's path changes: mypy re-validates moved files by hash.
    with installed_tree() as tree:
        p = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
             "--cache-dir", str(REPO / ".mypy_cache"), "-p", "lmdoctor"],
            cwd=tree, capture_output=True, text=True)
    return p.returncode, _repo_paths(p.stdout + p.stderr)


def run_import_linter() -> Tuple[int, str]:
    with installed_tree() as tree:
        # The tree comes first on sys.path, ahead of the editable install's import hook.
        env = dict(os.environ, PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        p = subprocess.run(_tool("lint-imports") + ["--config", str(REPO / "pyproject.toml"), "--no-cache"],
                           cwd=tree, capture_output=True, text=True, env=env)
    return p.returncode, _repo_paths(p.stdout + p.stderr)


TOOLS = {"ruff": run_ruff, "mypy": run_mypy, "lint-imports": run_import_linter}


def main(argv: List[str]) -> int:
    names = argv or list(TOOLS)
    worst = 0
    for name in names:
        code, out = TOOLS[name]()
        print(f"== {name}: exit {code}")
        print(out.rstrip())
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
