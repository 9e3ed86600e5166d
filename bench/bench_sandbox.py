"""Print how long each sandbox scenario takes to start (until it has played out) and to stop.

Run: /work/venv/bin/python bench/bench_sandbox.py [scenario ...]
Asserts nothing; the figures go into reports and help choose test timeouts.
"""
from __future__ import annotations

import sys
import tempfile
import time

from lmdoctor.checks.sandbox import SCENARIOS, Sandbox


def main(names):
    print(f"{'scenario':<20} {'start s':>8} {'stop s':>8}  settled")
    with tempfile.TemporaryDirectory(prefix="lmdoctor-bench-") as d:
        for name in names or list(SCENARIOS):
            sb = Sandbox(f"{d}/{name}")
            t0 = time.perf_counter()
            info = sb.start(name)
            t1 = time.perf_counter()
            sb.stop()
            t2 = time.perf_counter()
            print(f"{name:<20} {t1 - t0:8.2f} {t2 - t1:8.2f}  {info.settled}")


if __name__ == "__main__":
    main(sys.argv[1:])
