"""The wheel installs beside other distributions that own the import names ``checks`` and ``tui``.

Both names are taken on the package index by unrelated projects. The wheel is built from a copy of
the sources (no index: the build backend comes from this environment), installed with ``--no-deps``
into a fresh venv that already holds two tiny stand-ins named ``checks`` and ``tui``, and the
dependencies come from this environment through a ``.pth`` line. A ``.pth`` line only adds a path:
the editable install's own ``.pth`` finder inside that path is not run, so the repository cannot leak
in (asserted below through ``__file__``).
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

import lmdoctor
from tests.conftest import FIXTURES, REPO

# What a wheel build needs from the checkout; everything else (tests, .venv, build/) stays out.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "lmdoctor", "checks", "tui")
# Words that mean the build backend complained; matched case-insensitively against pip's output.
WARNING_WORDS = re.compile(r"warning|deprecat|!!", re.IGNORECASE)
LINT_FIXTURE = FIXTURES / "licenses" / "sigasi_floating_placeholder.lic"


def _run(argv: List[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kw)


def copy_sources(dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=ignore)
        else:
            shutil.copy2(src, dst / name)
    return dst


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def make_standin_wheel(out: Path, name: str, files: Dict[str, str]) -> Path:
    """A minimal but valid wheel (PEP 427) named ``name`` 0.0.1 holding ``files``."""
    dist_info = f"{name}-0.0.1.dist-info"
    members = dict(files)
    members[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n"
    members[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: lmdoctor-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    record = [_record_line(k, v.encode()) for k, v in members.items()] + [f"{dist_info}/RECORD,,"]
    members[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    path = out / f"{name}-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, text in members.items():
            zf.writestr(arcname, text)
    return path


def _standin(name: str) -> Dict[str, str]:
    return {
        f"{name}/__init__.py": f"WHO = 'the {name} stand-in'\n",
        f"{name}/core.py": f"def hello():\n    return 'hello from {name}'\n",
    }


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> "tuple[Path, str]":
    """Build the wheel from a copy of the sources; return it and pip's output."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = copy_sources(tmp / "src")
    out = tmp / "out"
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "--disable-pip-version-check", "-w", str(out), str(src)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("lmdoctor-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


def test_wheel_build_prints_no_warning(built_wheel):
    _, output = built_wheel
    noisy = [line for line in output.splitlines() if WARNING_WORDS.search(line)]
    assert not noisy, "the wheel build warned:\n" + "\n".join(noisy)


def test_wheel_holds_one_import_name_and_its_data(built_wheel):
    wheel, _ = built_wheel
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(f"lmdoctor-{lmdoctor.__version__}.dist-info/METADATA").decode()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"lmdoctor", f"lmdoctor-{lmdoctor.__version__}.dist-info"}
    for needed in ("lmdoctor/checks/tree/data/startup.toml", "lmdoctor/checks/flexnet/catalogue.toml",
                   "lmdoctor/tui/app.tcss", "lmdoctor/checks/sandbox/lmgrd.py", "lmdoctor/__main__.py",
                   f"lmdoctor-{lmdoctor.__version__}.dist-info/licenses/LICENSE"):
        assert needed in names, f"{needed} is missing from the wheel"
    assert "License-Expression: MIT" in metadata
    assert not any(n.startswith(("lmdoctor/tests/", "tests/")) for n in names)


@pytest.fixture(scope="module")
def fresh_venv(built_wheel, tmp_path_factory) -> Path:
    """A venv with the stand-ins installed first, then lmdoctor's wheel; deps from this environment."""
    wheel, _ = built_wheel
    tmp = tmp_path_factory.mktemp("venv")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_lmdoctor_test_deps.pth").write_text("\n".join(sorted(here)) + "\n")
    standins = [make_standin_wheel(tmp, name, _standin(name)) for name in ("checks", "tui")]
    pip = [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
           "--disable-pip-version-check"]
    for whl in standins + [wheel]:
        proc = _run(pip + [str(whl)])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        noisy = [line for line in proc.stdout.splitlines() + proc.stderr.splitlines() if WARNING_WORDS.search(line)]
        assert not noisy, f"installing {whl.name} warned:\n" + "\n".join(noisy)
    return env_dir


def _clean_env(tmp_path: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(tmp_path)
    return env


def test_lmdoctor_runs_from_the_wheel(fresh_venv, tmp_path):
    env = _clean_env(tmp_path)
    lm = str(fresh_venv / "bin" / "lmdoctor")
    proc = _run([lm, "--version"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"lmdoctor {lmdoctor.__version__}"
    proc = _run([lm, "explain", "-15"], env=env, cwd=tmp_path)
    assert "Cannot connect to license server system" in proc.stdout, proc.stderr
    assert proc.returncode == 2  # -15 is a failure the user must act on
    proc = _run([str(fresh_venv / "bin" / "python"), "-m", "lmdoctor", "lint", "--no-host", str(LINT_FIXTURE)],
                env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "[license.placeholder-host]" in proc.stdout


def test_import_names_resolve_to_their_own_distributions(fresh_venv, tmp_path):
    code = (
        "import checks, checks.core, tui, tui.core, lmdoctor, lmdoctor.checks, lmdoctor.tui, lmdoctor.checks.cli\n"
        "print(checks.WHO); print(checks.core.hello()); print(tui.WHO); print(tui.core.hello())\n"
        "print(lmdoctor.checks.__file__); print(lmdoctor.tui.__file__); print(checks.__file__)\n"
    )
    proc = _run([str(fresh_venv / "bin" / "python"), "-c", code], env=_clean_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:4] == ["the checks stand-in", "hello from checks", "the tui stand-in", "hello from tui"]
    for path in lines[4:]:
        # The installed copies, not the repository (an editable install leaking in would point at REPO).
        assert Path(path).resolve().is_relative_to(fresh_venv.resolve())
        assert not Path(path).resolve().is_relative_to(REPO.resolve())


def test_pip_sees_three_distributions_and_no_conflict(fresh_venv, tmp_path):
    proc = _run([sys.executable, "-m", "pip", "--python", str(fresh_venv / "bin" / "python"), "list",
                 "--format=freeze", "--path", _purelib(fresh_venv), "--disable-pip-version-check"],
                env=_clean_env(tmp_path))
    names = {line.split("==")[0].lower() for line in proc.stdout.splitlines() if "==" in line}
    assert {"checks", "tui", "lmdoctor"} <= names, proc.stdout + proc.stderr


def _purelib(env_dir: Path) -> str:
    return _run([str(env_dir / "bin" / "python"), "-c",
                 "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
