#!/usr/bin/env python3
"""Benchmark `lmdoctor check`. Prints figures; asserts nothing.

1. `lmdoctor check --format json` on this machine (best of N) beside
   `python3 -c "import psutil, netifaces"` (target: under 3x).
2. `lmdoctor check --server ...` against eight servers that all time out versus one
   (target: ratio under 1.3). The timeouts come from listeners on 127.0.0.1 whose
   accept queue is full, so nothing leaves this machine.

Run from the repository root: python3 bench/bench_check.py [--runs N] [--timeout S]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from typing import List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))

from blackhole import blackhole  # noqa: E402  (bench/ is the script directory)


def wall(argv: List[str], env: dict, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=env["HOME"])
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=1.0)
    a = ap.parse_args()
    home = tempfile.mkdtemp(prefix="lmdoctor-bench-")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_LICENSE_FILE")}
    env.update(HOME=home, PYTHONPATH=REPO + os.pathsep + env.get("PYTHONPATH", ""))
    # Measure an installed lmdoctor, which has its bytecode compiled: allow .pyc files (in a temp
    # cache, not in the checkout) and warm the cache once, for both commands.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(home, "pycache")
    py = sys.executable
    wall([py, "-c", "import psutil, netifaces"], env, 1)
    wall([py, "-m", "lmdoctor", "check", "--format", "json"], env, 1)
    base = wall([py, "-c", "import psutil, netifaces"], env, a.runs)
    check = wall([py, "-m", "lmdoctor", "check", "--format", "json"], env, a.runs)
    print(f"import psutil, netifaces        {base * 1000:8.0f} ms")
    print(f"lmdoctor check --format json    {check * 1000:8.0f} ms   ratio {check / base:.2f}x (target < 3x)")

    holes = [blackhole() for _ in range(8)]
    try:
        servers = [f"{p}@127.0.0.1" for p, _ in holes]
        cmd = [py, "-m", "lmdoctor", "check", "--format", "json", "--no-lmutil", "--timeout", str(a.timeout)]
        one = wall(cmd + ["--server", servers[0]], env, max(1, a.runs // 2))
        eight_args: List[str] = []
        for s in servers:
            eight_args += ["--server", s]
        eight = wall(cmd + eight_args, env, max(1, a.runs // 2))
    finally:
        for _, socks in holes:
            for s in socks:
                s.close()
    print(f"1 server timing out ({a.timeout:g} s)     {one * 1000:8.0f} ms")
    print(f"8 servers timing out ({a.timeout:g} s)    {eight * 1000:8.0f} ms   ratio {eight / one:.2f} (target < 1.3)")


if __name__ == "__main__":
    main()
