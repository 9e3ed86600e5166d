"""Peak memory of every file reader, beside the input size. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_memory.py [SIZE_MB ...] [--readers lint,lmstat,...]   (default: 10 100)

For each size, generates one realistic input per kind in a temporary directory (a license with
INCREMENT lines and SIGN groups, `lmstat -a` output of many features with users, debug-log lines
for `explain -` and `log`), then runs each reader as a fresh `python -m lmdoctor ...` subprocess
(output to /dev/null) and takes its peak RSS from the kernel (wait4's ru_maxrss). A
`python3 -c pass` child and a `python -m lmdoctor --version` child measured in the same run are
the baselines: "over base" is peak RSS minus the lmdoctor start-up, and "x input" is the peak RSS
divided by the input size; "base x in" is "over base" divided by the input size, the memory the
reader itself uses per byte of input. The target (issue 10): peak under 4x the input and under 1 GiB
at the caps. ``--cap-mb N`` raises every cap (LMDOCTOR_MAX_INPUT_MB) so sizes past a reader's cap
(e.g. a 50 MB license) are measured instead of refused. Without it, a reader whose documented cap
is below the size refuses the input (exit 3) without reading it, which the "exit" column shows; the
cap rows ("at cap") measure each reader just under its documented cap.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

MB = 1024 * 1024


# --------------------------------------------------------------------------- inputs
def license_input(path: Path, size: int) -> None:
    from bench_lint import generate

    per = len(generate(100)) / 100
    data = generate(max(1, int(size / per)))
    path.write_bytes(data)


LMSTAT_HEAD = """lmutil - Copyright (c) 1989-2019 Flexera. All Rights Reserved.
Flexible License Manager status on Fri 10/20/2017 17:02

License server status: 27000@licsrv01
    License file(s) on licsrv01: /opt/flexlm/sigasi.lic:

licsrv01: license server UP (MASTER) v11.16.4

Vendor daemon status (on licsrv01):

    sigasi: UP v11.16.4

Feature usage info:

"""


def lmstat_input(path: Path, size: int) -> None:
    rnd = random.Random(1)
    with open(path, "w", encoding="ascii") as fh:
        fh.write(LMSTAT_HEAD)
        written, i = len(LMSTAT_HEAD), 0
        while written < size:
            users = rnd.randint(5, 60)
            block = [f"Users of com.sigasi.f{i}:  (Total of {users + 10} licenses issued;  "
                     f"Total of {users} licenses in use)\n\n",
                     f'  "com.sigasi.f{i}" v5.0, vendor: sigasi, expiry: 1-jan-2030\n  floating license\n\n']
            for u in range(users):
                block.append(f"    user{u:03d} ws{rnd.randint(0, 999):03d} /dev/pts/{u % 9} (v5.0) "
                             f"(licsrv01/27000 {rnd.randint(100, 9999)}), start Fri 10/20 16:{u % 60:02d}\n")
            block.append("\n")
            text = "".join(block)
            fh.write(text)
            written += len(text)
            i += 1


def log_input(path: Path, size: int) -> None:
    from bench_log import generate

    generate(path, size)


INPUTS: Dict[str, Callable[[Path, int], None]] = {"license": license_input, "lmstat": lmstat_input,
                                                  "log": log_input}

# reader name -> (input kind, argv after `python -m lmdoctor`, whether the file goes to stdin)
READERS: Dict[str, Tuple[str, List[str], bool]] = {
    "lint": ("license", ["lint", "--no-host", "--today", "2025-06-01", "{file}"], False),
    "lint json": ("license", ["lint", "--no-host", "--today", "2025-06-01", "--format", "json", "{file}"], False),
    "lmstat": ("lmstat", ["lmstat", "--today", "2025-06-01", "{file}"], False),
    "lmstat json": ("lmstat", ["lmstat", "--today", "2025-06-01", "--format", "json", "{file}"], False),
    "explain -": ("log", ["explain", "-"], True),
    "log": ("log", ["log", "{file}"], False),
    "log -": ("log", ["log", "-"], True),
}


# --------------------------------------------------------------------------- measuring
def measure(argv: List[str], stdin_path: Optional[str] = None,
            env: Optional[Dict[str, str]] = None) -> Tuple[int, float, float]:
    """(exit status, peak RSS in MiB, wall seconds) of one fresh child."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    devnull = open(os.devnull, "wb")
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, stdin=stdin, stdout=devnull, stderr=subprocess.DEVNULL, cwd=str(REPO), env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    finally:
        devnull.close()
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]
    return proc.returncode, usage.ru_maxrss / 1024, time.perf_counter() - t0


def caps() -> Dict[str, Optional[int]]:
    try:
        from lmdoctor.checks.inputgate import Kind, cap_for  # type: ignore[import-not-found]
    except ImportError:  # before the input gate existed
        return {}
    kind_of = {"lint": Kind.LICENSE, "lmstat": Kind.LMSTAT, "explain": Kind.TEXT, "log": Kind.LOG}
    return {name: cap_for(k) for name, k in kind_of.items()}


def main(argv: List[str]) -> int:
    if argv[:1] == ["--make"]:
        path, size = Path(argv[3]), int(argv[2])
        INPUTS[argv[1]](path, size)
        with open(path, "r+b") as fh:  # the generators write whole blocks: cut to the size asked for
            fh.truncate(size)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=float, default=[10.0, 100.0], help="input sizes in MB")
    ap.add_argument("--readers", default=",".join(READERS), help="comma-separated: " + ", ".join(READERS))
    ap.add_argument("--at-cap", action="store_true", help="also measure each reader just under its cap (< 1 GiB)")
    ap.add_argument("--cap-mb", type=int, metavar="N",
                    help="raise every input cap to N MiB for the readers (LMDOCTOR_MAX_INPUT_MB); the --at-cap "
                         "rows still use the documented caps")
    a = ap.parse_args(argv)
    readers = [r.strip() for r in a.readers.split(",") if r.strip()]
    py = sys.executable
    _, base_pass, _ = measure(["python3", "-c", "pass"])
    _, base_py, _ = measure([py, "-c", "pass"])
    _, base_lmd, _ = measure([py, "-m", "lmdoctor", "--version"])
    print(f"baselines: python3 -c pass {base_pass:.1f} MiB; this python -c pass {base_py:.1f} MiB; "
          f"lmdoctor --version {base_lmd:.1f} MiB")
    print(f"{'reader':<12} {'input MiB':>9} {'peak MiB':>9} {'over base':>9} {'x input':>8} {'base x in':>9} "
          f"{'x pass':>7} {'exit':>4} {'wall s':>7}")
    cap = caps()
    raised = dict(os.environ, LMDOCTOR_MAX_INPUT_MB=str(a.cap_mb)) if a.cap_mb else None
    sizes = [int(s * MB) for s in a.sizes]
    rows: List[Tuple[str, int, bool]] = [(r, s, False) for s in sizes for r in readers]
    if a.at_cap:
        for r in readers:
            c = cap.get(READERS[r][1][0])
            if c and c < 1024 * MB:
                rows.append((r, c - 64 * 1024, True))
    with tempfile.TemporaryDirectory(prefix="lmdoctor-bench-mem-") as tmp:
        made: Dict[Tuple[str, int], Path] = {}
        for r, size, at_cap in rows:
            kind, args, stdin = READERS[r]
            key = (kind, size)
            if key not in made:
                p = Path(tmp) / f"{kind}-{size}"
                # Made in a child: a forked reader starts with its parent's RSS (ru_maxrss counts it),
                # so the measuring process itself must stay small.
                subprocess.run([py, __file__, "--make", kind, str(size), str(p)], check=True)
                made[key] = p
            path = made[key]
            real = path.stat().st_size
            cmd = [py, "-m", "lmdoctor"] + [x.replace("{file}", str(path)) for x in args]
            rc, peak, wall = measure(cmd, str(path) if stdin else None, None if at_cap else raised)
            print(f"{r:<12} {real / MB:>9.1f} {peak:>9.1f} {peak - base_lmd:>9.1f} {peak * MB / real:>8.2f} "
                  f"{(peak - base_lmd) * MB / real:>9.2f} {peak / base_pass:>7.1f} {rc:>4} {wall:>7.2f}", flush=True)
    if cap:
        print("caps: " + ", ".join(f"{k} {v // MB if v else 'none'} MiB" for k, v in cap.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
