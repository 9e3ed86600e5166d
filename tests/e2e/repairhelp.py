"""Helpers of the repair e2e tests: run lmdoctor like a user would, read lmstat, compare signed lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from lmdoctor.checks.license import parse_license

SIGNED = ("FEATURE", "INCREMENT", "UPGRADE", "PACKAGE")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def user_env(home: Path, state: Optional[Path] = None) -> Dict[str, str]:
    """A user's environment with nothing of this machine's search path, a private HOME and state dir."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("LICENSE_FILE")}
    env["HOME"] = str(home)
    env["XDG_STATE_HOME"] = str(state or (home / "state"))
    return env


def host_usr_tmp_skip(scenario: str) -> List[str]:
    """As root, repair would link this machine's own /usr/tmp (a real fix, needs root): the tests must not
    change the machine the other test runs share. That action has its own test in a private mount namespace.
    In no-lock-dir the server's log names the sandbox's root, so only that one is planned."""
    if IS_ROOT and not os.path.lexists("/usr/tmp") and scenario != "no-lock-dir":
        return ["--skip", "system.link-usr-tmp"]
    return []


def lmdoctor(*args: str, env: Dict[str, str], timeout: float = 180, stdin: Optional[str] = None,
             prefix: Tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(list(prefix) + [sys.executable, "-m", "lmdoctor", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, input=stdin)


def repair_json(license_path: str, env: Dict[str, str], *extra: str) -> Tuple[int, Dict, str]:
    cp = lmdoctor("repair", "--license", license_path, "--timeout", "1", "--format", "json", *extra, env=env)
    assert cp.returncode in (0, 1, 2), cp.stderr
    return cp.returncode, json.loads(cp.stdout), cp.stderr


def check_json(license_path: str, env: Dict[str, str]) -> Dict:
    cp = lmdoctor("check", "--license", license_path, "--timeout", "1", "--format", "json", env=env)
    assert cp.returncode in (0, 1, 2), cp.stderr
    return json.loads(cp.stdout)


def bad_ids(report: Dict) -> List[str]:
    return sorted({f["id"] for f in report["findings"] if f["status"] == "fail"})


def lmstat(lmutil: str, spec: str) -> str:
    cp = subprocess.run([lmutil, "lmstat", "-a", "-c", spec], capture_output=True, text=True, timeout=60)
    return cp.stdout


def up(text: str, vendor: str = "sigasi") -> bool:
    return "license server UP" in text and f"{vendor}: UP" in text


def signed_lines(data: bytes) -> List[bytes]:
    """Every physical line of every FEATURE/INCREMENT/UPGRADE/PACKAGE entry, as bytes, in order."""
    lic = parse_license(data)
    out = []
    raw = data.splitlines(keepends=True)
    if data.startswith(b"\xef\xbb\xbf"):
        raw[0] = raw[0][3:]
    for e in lic.entries:
        if e.kind in SIGNED:
            out += raw[e.first_line - 1:e.last_line]
    return out


def signs(data: bytes) -> List[Optional[str]]:
    return [f.sign for f in parse_license(data).features]


def results_by_id(report: Dict) -> Dict[str, List[Dict]]:
    out: Dict[str, List[Dict]] = {}
    for r in report["results"]:
        out.setdefault(r["id"], []).append(r)
    return out
