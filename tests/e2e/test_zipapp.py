"""The single-file build (``python3 tools/build_zipapp.py`` -> dist/lmdoctor.pyz) on a bare server.

Built once per test session (and reused by later sessions while the sources are unchanged: the
key is a hash of them), then run the way an admin runs it on a locked-down box: the system's own
``python3`` (3.11 and RHEL 9's 3.9), no venv, no pip, and a scrubbed environment
(``env -i PATH=/usr/bin:/bin HOME=...``). Each interpreter gets its own HOME, so the first command
also proves the cold start (pex installs the wheels it carries into ~/.cache/pex).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import psutil
import pytest

from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow

BUILD_SCRIPT = REPO / "tools" / "build_zipapp.py"
CACHE = REPO / "build" / "zipapp"
HASHED = ("pyproject.toml", "lmdoctor", "checks", "tui")
LINT_FIXTURE = FIXTURES / "licenses" / "sigasi_floating_placeholder.lic"
TIMEOUT = float(os.environ.get("LMDOCTOR_TUI_TIMEOUT", "60"))


def _source_key() -> str:
    h = hashlib.sha256()
    paths = [BUILD_SCRIPT]
    for name in HASHED:
        p = REPO / name
        paths += sorted(q for q in p.rglob("*") if q.is_file() and "__pycache__" not in q.parts) if p.is_dir() else [p]
    for p in paths:
        h.update(str(p.relative_to(REPO)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def zipapp() -> Path:
    key = _source_key()
    out = CACHE / f"test-{key}" / "lmdoctor.pyz"
    if not out.exists():
        for old in CACHE.glob("test-*"):  # builds of older sources
            shutil.rmtree(old, ignore_errors=True)
        proc = subprocess.run([sys.executable, str(BUILD_SCRIPT), "--out", str(out)], capture_output=True, text=True,
                              timeout=1200)
        if proc.returncode != 0:
            msg = ("tools/build_zipapp.py failed; its first build needs the package index (a lock and the wheels "
                   "for every platform, then cached), which /work/bin/isolated's network does not reach:\n"
                   + (proc.stdout + proc.stderr)[-3000:])
            if os.environ.get("CI"):
                pytest.fail(msg)
            pytest.skip(msg)
    assert out.exists()
    return out


def _interpreter(version: str) -> Optional[str]:
    """A plain CPython of this version (not a venv): pyenv's, else the system's."""
    home = os.path.expanduser("~")
    found = sorted(glob.glob(f"{home}/.pyenv/versions/{version}.*/bin/python3"))
    found += [p for p in (f"/usr/bin/python{version}", f"/usr/local/bin/python{version}") if os.path.exists(p)]
    return found[-1] if found else None


class Server:
    """A scrubbed environment and the system python3 of one version: how the zipapp is run on a server."""

    def __init__(self, python: str, home: Path, pyz: Path) -> None:
        self.python, self.home, self.pyz = python, home, pyz
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}

    def argv(self, *args: str) -> List[str]:
        return [self.python, str(self.pyz), *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(*args), capture_output=True, text=True, env=self.env, cwd=str(self.home),
                              timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="session", params=["3.11", "3.9"])
def server(request, zipapp, tmp_path_factory) -> Server:
    python = _interpreter(request.param)
    if python is None:
        msg = f"no CPython {request.param} found (pyenv or /usr/bin)"
        if os.environ.get("CI"):
            pytest.fail(msg + "; CI must run the single-file build under it")
        pytest.skip(msg)
    home = tmp_path_factory.mktemp(f"home-py{request.param}")
    return Server(python, home, zipapp)


def test_the_build_is_one_file_with_every_python_and_its_data(zipapp):
    import zipfile

    with zipfile.ZipFile(zipapp) as zf:
        names = zf.namelist()
    deps = {n.split("/")[1] for n in names if n.startswith(".deps/")}
    for py in ("39", "310", "311", "312", "313"):
        for arch in ("x86_64", "aarch64"):
            assert any(d.startswith("netifaces_plus-") and f"-cp{py}-" in d and arch in d for d in deps), (py, arch)
    assert any(d.startswith("psutil-") and "x86_64" in d for d in deps)
    assert any(d.startswith("psutil-") and "aarch64" in d for d in deps)
    for name in ("textual-", "pexpect-", "ptyprocess-", "tomli-", "lmdoctor-"):
        assert any(d.startswith(name) for d in deps), name
    assert zipapp.read_bytes()[:2] == b"#!"
    assert os.access(zipapp, os.X_OK)


def test_version_explain_lint_and_the_tree(server):
    import lmdoctor

    r = server.run("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"lmdoctor {lmdoctor.__version__}"
    r = server.run("explain", "-15")
    assert r.returncode == 2 and "Cannot connect to license server system" in r.stdout, r.stderr
    r = server.run("lint", "--no-host", str(LINT_FIXTURE))
    assert r.returncode == 2 and "[license.placeholder-host]" in r.stdout, r.stderr
    r = server.run("diagnose", "--list")  # the decision tree's TOML data
    assert r.returncode == 0 and "S2" in r.stdout, r.stderr
    # Nothing of the build machine's Python leaked in: the modules come from the pex's own venv.
    code = "import lmdoctor, psutil, netifaces, textual, sys; print(sys.version_info[:2]); print(lmdoctor.__file__)"
    r = subprocess.run([server.python, str(server.pyz), "-c", code], capture_output=True, text=True,
                       env=dict(server.env, PEX_INTERPRETER="1"), cwd=str(server.home), timeout=120)
    assert r.returncode == 0, r.stderr
    assert str(server.home) in r.stdout.splitlines()[1]


def _flexnet_processes(sandbox_dir: str) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for p in psutil.process_iter(["name", "cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd and cmd[0].startswith(sandbox_dir + "/"):
            found.setdefault(p.info["name"], cmd)
    return found


def test_sandbox_check_log_and_stop(server, tmp_path):
    sdir = str(tmp_path / "sbx")
    r = server.run("sandbox", "start", "--dir", sdir, timeout=180)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        # FlexNet's process names and command lines, even though Python runs them from the zipapp.
        procs = _flexnet_processes(sdir)
        assert procs.get("lmgrd", [])[:3] == [f"{sdir}/lmgrd", "-c", f"{sdir}/sigasi.lic"], procs
        assert procs.get("sigasi", [""])[0] == f"{sdir}/sigasi", procs
        # The scripts run the zipapp's own interpreter (its venv under HOME); that path is too long
        # for a "#!" line on older kernels, so /bin/sh starts it.
        head = Path(sdir, "lmgrd").read_text().splitlines()[:2]
        python = head[0][2:] if head[0] != "#!/bin/sh" else shlex.split(head[1].split(" ", 1)[1])[0]
        assert python.startswith(str(server.home) + "/"), head
        assert (head[0] == "#!/bin/sh") == (len(python) + 2 > 127), head
        r = server.run("check", "--license", f"{sdir}/sigasi.lic", "--timeout", "2", "--format", "json", timeout=180)
        assert r.returncode in (0, 1, 2), r.stderr
        ids = {f["id"] for f in json.loads(r.stdout)["findings"]}
        assert {"process.lmgrd", "process.vendor-daemon", "lmstat.server-up"} <= ids, sorted(ids)
        r = server.run("log", f"{sdir}/debug.log")  # the message catalogue
        assert r.returncode in (0, 1), r.stdout + r.stderr
    finally:
        stop = server.run("sandbox", "stop", "--dir", sdir)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert _flexnet_processes(sdir) == {}


def _tmux(socket: str, *args: str, env: Dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    tmux = shutil.which("tmux")
    assert tmux is not None
    return subprocess.run([tmux, "-L", socket, *args], capture_output=True, text=True, timeout=30, check=check,
                          env=env)


def test_the_app_in_a_terminal_quits_on_ctrl_q(server, tmp_path):
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed; CI must drive the app in a real terminal")
        pytest.skip("tmux is not installed")
    socket = f"lmdoctor-zipapp-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    done = tmp_path / "exit-status"
    env = dict(server.env, TERM="xterm-256color")
    cmd = " ".join(shlex.quote(a) for a in server.argv("tui", "--no-autorun"))
    _tmux(socket, "new-session", "-d", "-s", "app", "-x", "120", "-y", "40",
          "sh", "-c", f"{cmd}; echo $? > {shlex.quote(str(done))}", env=env)
    try:
        screen = ""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            screen = _tmux(socket, "capture-pane", "-p", "-t", "app", env=env, check=False).stdout
            if "lmdoctor" in screen and "Check" in screen and "Quit" in screen:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the app did not draw; the screen was:\n{screen}")
        _tmux(socket, "send-keys", "-t", "app", "C-q", env=env)
        deadline = time.monotonic() + TIMEOUT
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert done.exists(), "the app did not quit on ctrl+q"
        time.sleep(0.1)
        assert done.read_text().strip() == "0"
    finally:
        _tmux(socket, "kill-server", env=env, check=False)
