#!/usr/bin/env python3
"""Build the single-file lmdoctor for locked-down Linux servers: ``python3 tools/build_zipapp.py``.

The result, ``dist/lmdoctor.pyz``, is a pex zipapp that runs with the server's own ``python3``
(CPython 3.9 to 3.13) and needs no pip, no index and no venv made by hand. It carries lmdoctor
(with its tree data, catalogue, stylesheet and sandbox) and every dependency, including the
manylinux wheels of psutil and netifaces-plus for each of those Pythons, on x86_64 and aarch64.

How it is built (each step is cached, so a second build takes seconds):
1. pex is taken from this interpreter, or installed once into build/zipapp/tools/ (a private venv).
2. The dependencies in pyproject.toml are resolved once into a universal lock for Linux and
   CPython 3.9-3.13 (``pex3 lock create``), kept in build/zipapp/ under a key of the requirements,
   the targets and the pex version: ``--relock`` resolves again (newer releases).
3. lmdoctor's wheel is built from a copy of the sources (the checkout stays clean).
4. pex builds one zipapp for every target platform from the lock: the wheels are stored as they
   are (--no-pre-install-wheels: fast builds), and the first run on a machine installs them once
   into a venv under ~/.cache/pex (PEX_ROOT), which later runs start straight from (--venv).

Needs the package index once (the lock and the foreign-platform wheels); later builds use pex's
cache. Run it with any Python >= 3.9 that has pip.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "zipapp"
DEFAULT_OUT = REPO / "dist" / "lmdoctor.pyz"
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
ARCHES = ("x86_64", "aarch64")
INTERPRETERS = "CPython>=3.9,<3.14"
PEX_REQUIREMENT = "pex>=2.60"
# What a wheel build needs from the checkout.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "lmdoctor", "checks", "tui")


def log(msg: str) -> None:
    print(f"build_zipapp: {msg}", file=sys.stderr, flush=True)


def run(argv: List[str], **kw) -> None:
    log("$ " + " ".join(argv))
    subprocess.run(argv, check=True, **kw)


# -- the tools ------------------------------------------------------------------------------------

def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _toml_module() -> Optional[str]:
    return "tomllib" if sys.version_info >= (3, 11) else ("tomli" if _has("tomli") else None)


def ensure_tools(argv: List[str]) -> None:
    """Re-run this script inside build/zipapp/tools (a venv with pex) when pex is not importable here."""
    if _has("pex") and _toml_module():
        return
    tools = WORK / "tools"
    py = tools / "bin" / "python"
    if not py.exists():
        log(f"pex is not installed here; installing it into {tools} (once)")
        venv.EnvBuilder(with_pip=True, clear=True).create(tools)
    need = [PEX_REQUIREMENT] + (["tomli"] if sys.version_info < (3, 11) else [])
    probe = subprocess.run([str(py), "-c", "import pex" + (", tomli" if sys.version_info < (3, 11) else "")],
                           capture_output=True)
    if probe.returncode != 0:
        run([str(py), "-m", "pip", "install", "-q", *need])
    os.execv(str(py), [str(py), str(Path(__file__).resolve()), *argv])


def pex_version() -> str:
    from pex.version import __version__

    return str(__version__)


# -- inputs ---------------------------------------------------------------------------------------

def dependencies() -> List[str]:
    import importlib

    toml = importlib.import_module(_toml_module() or "tomllib")
    with open(REPO / "pyproject.toml", "rb") as fh:
        return list(toml.load(fh)["project"]["dependencies"])


def version() -> str:
    text = (REPO / "lmdoctor" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not m:
        raise SystemExit("build_zipapp: no __version__ in lmdoctor/__init__.py")
    return m.group(1)


def platforms(arches: List[str]) -> List[str]:
    # manylinux2014 (glibc 2.17: RHEL/CentOS 7 and later) admits the older manylinux1/2010 wheels
    # that psutil and netifaces-plus publish for x86_64.
    return [f"manylinux2014_{arch}-cp-{v.replace('.', '')}-cp{v.replace('.', '')}"
            for arch in arches for v in PYTHONS]


# -- steps ----------------------------------------------------------------------------------------

def lock_file(deps: List[str], relock: bool) -> Path:
    key_src = json.dumps({"deps": sorted(deps), "interpreters": INTERPRETERS, "pex": pex_version()}, sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:12]
    path = WORK / f"lock-{key}.json"
    if path.exists() and not relock:
        log(f"lock: {path.relative_to(REPO)} (cached; --relock to resolve again)")
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    run([sys.executable, "-m", "pex.cli", "lock", "create", "--style", "universal", "--target-system", "linux",
         "--interpreter-constraint", INTERPRETERS, "--indent", "1", "-o", str(tmp), *deps])
    tmp.replace(path)
    return path


def build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    out = tmp / "wheel"
    argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(out)]
    if _setuptools_is_recent():
        argv += ["--no-build-isolation", "--no-index"]  # the backend is here: no index needed
    run(argv + [str(src)])
    (wheel,) = out.glob("lmdoctor-*.whl")
    return wheel


def _setuptools_is_recent() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    major = int(str(setuptools.__version__).split(".")[0])
    return major >= 77  # SPDX license expressions (pyproject.toml's license = "MIT")


def build_pex(lock: Path, wheel: Path, out: Path, arches: List[str]) -> None:
    argv = [sys.executable, "-m", "pex", "--lock", str(lock), "--project", str(wheel),
            "--console-script", "lmdoctor",
            "--python-shebang", "/usr/bin/env python3",
            "--no-pre-install-wheels",
            "--venv", "--sh-boot",
            "-o", str(out)]
    for plat in platforms(arches):
        argv += ["--platform", plat]
    run(argv)


def main(argv: Optional[List[str]] = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write it (default {DEFAULT_OUT})")
    ap.add_argument("--arch", action="append", choices=ARCHES,
                    help="CPU architecture to carry wheels for (repeat; default: all of %s)" % ", ".join(ARCHES))
    ap.add_argument("--relock", action="store_true", help="resolve the dependencies again (newest releases)")
    args = ap.parse_args(raw)
    ensure_tools(raw)
    arches = args.arch or list(ARCHES)
    deps = dependencies()
    lock = lock_file(deps, args.relock)
    out = args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lmdoctor-zipapp-") as tmpdir:
        tmp = Path(tmpdir)
        wheel = build_wheel(tmp)
        staged = tmp / out.name
        build_pex(lock, wheel, staged, arches)
        shutil.move(str(staged), str(out))
    size = out.stat().st_size
    print(f"{out}  ({size / 1e6:.1f} MB; lmdoctor {version()}; CPython {PYTHONS[0]}-{PYTHONS[-1]} on Linux "
          f"{'/'.join(arches)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
