"""Helpers for the `lmdoctor check` end-to-end tests: small processes named lmgrd / sigasi
(or anything else) that hold real listeners on 127.0.0.1, and a runner for the real CLI.

A helper is a Python script written to a temp dir *under the process name it should have*
(``lmgrd``, ``sigasi``) with a shebang to this interpreter, so the kernel gives the process
that name. It binds the ports it is asked for (0 = any free port, reported back), can
hold a listener whose backlog is full (connects to it time out: a firewall without
leaving loopback), sets PR_SET_PDEATHSIG so it dies with the test run, and exits when its
stdin closes. Only 127.0.0.1 is used.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]

HELPER_SOURCE = r'''
import ctypes, json, os, signal, socket, sys, time
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the test run
except Exception:
    pass
spec = json.loads(os.environ["LMD_HELPER_SPEC"])
held, ports = [], {}
for name, port in spec.get("listen", {}).items():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(16); held.append(s); ports[name] = s.getsockname()[1]
for name, port in spec.get("full", {}).items():
    s = socket.socket(); s.bind(("127.0.0.1", port)); s.listen(0); held.append(s)
    p = s.getsockname()[1]; ports[name] = p
    for _ in range(4):  # fill the accept queue without accepting: later connects time out
        c = socket.socket(); c.settimeout(0.2)
        try:
            c.connect(("127.0.0.1", p)); held.append(c)
        except OSError:
            c.close(); break
print(json.dumps(ports), flush=True)
sys.stdin.read()
'''


@dataclass
class Helper:
    name: str
    proc: subprocess.Popen
    ports: Dict[str, int] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid


class Helpers:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: List[Helper] = []

    def start(self, name: str, args: Optional[List[str]] = None, listen: Optional[Dict[str, int]] = None,
              full: Optional[Dict[str, int]] = None) -> Helper:
        d = self.root / f"bin{len(self.started)}"
        d.mkdir(parents=True, exist_ok=True)
        exe = d / name
        exe.write_text(f"#!{sys.executable}\n" + HELPER_SOURCE)
        exe.chmod(0o755)
        env = dict(os.environ, LMD_HELPER_SPEC=json.dumps({"listen": listen or {}, "full": full or {}}))
        proc = subprocess.Popen([str(exe)] + list(args or []), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                env=env, text=True)
        h = Helper(name, proc)
        self.started.append(h)
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"helper {name} did not start (exit {proc.poll()})")
        h.ports = json.loads(line)
        return h

    def stop_all(self) -> None:
        for h in self.started:
            if h.proc.poll() is None:
                try:
                    h.proc.stdin.close()
                except Exception:
                    pass
        deadline = time.monotonic() + 3
        for h in self.started:
            try:
                h.proc.wait(max(0.01, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                h.proc.send_signal(signal.SIGKILL)
                h.proc.wait(2)
            if h.proc.stdout:
                h.proc.stdout.close()


def clean_env(home: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_LICENSE_FILE")}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def run_check(args: List[str], home: Path, timeout: float = 60, **env_extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmdoctor", "check"] + args, capture_output=True, text=True,
                          env=clean_env(home, **env_extra), timeout=timeout, cwd=str(home))


def check_json(args: List[str], home: Path, **env_extra: str):
    cp = run_check(args + ["--format", "json", "--no-lmutil"], home, **env_extra)
    assert cp.returncode in (0, 1, 2), cp.stderr
    return cp.returncode, json.loads(cp.stdout)


def with_id(report: dict, fid: str) -> List[dict]:
    return [f for f in report["findings"] if f["id"] == fid]


def mentions(f: dict, text: str) -> bool:
    ev = f.get("evidence") or []
    blob = " ".join([f.get("title", ""), f.get("detail", "")] + (ev if isinstance(ev, list) else [ev]))
    return text in blob


def write_license(path: Path, lmgrd_port: int, vendor_port: Optional[int], host: str = "127.0.0.1",
                  vendor: str = "sigasi") -> Path:
    daemon = f"DAEMON {vendor}" + (f" port={vendor_port}" if vendor_port else "")
    path.write_text(
        f"SERVER {host} 001122334455 {lmgrd_port}\n{daemon}\n"
        f"INCREMENT com.sigasi.hdt {vendor} 5.0 permanent 4 HOSTID=ANY SIGN=\"0CCC 87EA 9BB6 256E\"\n")
    return path
