"""pyproject.toml's package list matches the folders: a package left out would be missing from the wheel
(and from the zipapp), while the editable install used by the tests would still find it."""
from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

from tests.conftest import REPO


def _setuptools_config() -> dict:
    with open(REPO / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["setuptools"]


def _folder(package: str, package_dir: dict) -> Path:
    """The folder setuptools reads for a dotted package name, through the package-dir mapping."""
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in package_dir:
            return REPO.joinpath(package_dir[prefix], *parts[n:])
    return REPO.joinpath(*parts)


def test_every_package_folder_is_listed():
    cfg = _setuptools_config()
    listed = set(cfg["packages"])
    package_dir = cfg["package-dir"]
    found = set()
    for root in sorted(set(package_dir)):
        if "." in root:
            continue
        for init in _folder(root, package_dir).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(_folder(root, package_dir))
            found.add(".".join((root,) + rel.parts))
    for sub in ("checks", "tui"):
        base = _folder(f"lmdoctor.{sub}", package_dir)
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join(("lmdoctor", sub) + rel.parts))
    missing = sorted(found - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_listed_package_exists():
    cfg = _setuptools_config()
    for package in cfg["packages"]:
        folder = _folder(package, cfg["package-dir"])
        assert folder.is_dir(), f"{package} is listed in pyproject.toml but {folder} does not exist"


def test_no_generic_top_level_names():
    # checks/ and tui/ are folders in the repository, never import names of their own.
    cfg = _setuptools_config()
    tops = {p.split(".")[0] for p in cfg["packages"]}
    assert tops == {"lmdoctor"}
