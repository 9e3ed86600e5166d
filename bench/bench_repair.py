"""Seconds from `lmdoctor repair --yes` to a verified UP server, per sandbox scenario, beside the steps a
person follows from the manual for the same fault.

For each scenario: start the sandbox, run `lmdoctor repair --license L --yes` and time it until the action
that makes the server serve reports "applied" (it reports that only after lmutil lmstat said lmgrd and
sigasi are UP), and until the command ends (it runs the whole check again after). Then lmstat is asked
once more from outside, --undo puts the license back, and the bytes are compared.

Run (in a private PID/network namespace, so no other server interferes):
    /work/bin/isolated .venv/bin/python bench/bench_repair.py [--runs N] [scenario ...]
Asserts nothing. As root the machine's own /usr/tmp is left alone (--skip system.link-usr-tmp), as the tests do.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

from lmdoctor.checks.sandbox import Sandbox

# The steps the seed manual prescribes for each fault, in its own words (sections named), counted as a person
# does them: find the data, edit, open the firewall, stop, start, check.
MANUAL_STEPS: Dict[str, List[str]] = {
    "placeholder-host": [
        "find the machine's name (hostname; lmtools System Settings)",
        "edit the license: replace your_server_name1 on the SERVER line (Starting ... on Windows, step 6)",
        "start lmgrd -c sigasi.lic -l debug.log (Starting ... on Linux)",
        "check with lmutil lmdiag -c <port>@<server> -n (Floating licenses)",
    ],
    "server-port-in-use": [
        "find which port is free",
        "edit the port on the SERVER line (Customize License Server settings)",
        "open the port in the firewall ('remember to open these ports')",
        "start lmgrd again",
        "point clients at the new port (SIGASI_LM_LICENSE_FILE=<port>@<server>)",
        "check with lmutil lmdiag -n",
    ],
    "vendor-port-in-use": [
        "find which port is free",
        "edit port= on the DAEMON line (Customize License Server settings)",
        "open the port in the firewall",
        "stop lmgrd",
        "start lmgrd",
        "check with lmutil lmdiag -n",
    ],
    "duplicate": [
        "find the license server processes (ps / Task Manager)",
        "stop lmgrd (and lmtools.exe on Windows)",
        "stop sigasi",
        "start one lmgrd",
        "check with lmutil lmdiag -n (Typical error messages: signal 32)",
    ],
    "no-lock-dir": [
        "as root: ln -s /tmp /usr/tmp (Floating licenses)",
        "stop lmgrd",
        "start lmgrd",
        "check with lmutil lmdiag -n",
    ],
}
SERVER_ACTIONS = ("server.start", "server.restart", "process.stop-duplicates")


def _env(d: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("LICENSE_FILE")}
    env["HOME"] = d
    env["XDG_STATE_HOME"] = os.path.join(d, "state")
    return env


def one(name: str, d: str) -> Tuple[Optional[float], float, bool, bool, int]:
    """(seconds to the verified UP, seconds of the whole command, UP from outside, undo exact, actions applied)."""
    sb = Sandbox(os.path.join(d, "sb"))
    try:
        info = sb.start(name)
        original = open(info.license_path, "rb").read()
        env = _env(d)
        argv = [sys.executable, "-m", "lmdoctor", "repair", "--license", info.license_path, "--timeout", "1", "--yes"]
        if os.geteuid() == 0 and not os.path.lexists("/usr/tmp") and name != "no-lock-dir":
            argv += ["--skip", "system.link-usr-tmp"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        up_at = None
        applied = 0
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.rstrip().endswith(": applied"):
                applied += 1
                if any(f"] {a}: applied" in line for a in SERVER_ACTIONS):
                    up_at = time.perf_counter() - t0
        proc.wait()
        total = time.perf_counter() - t0
        spec = info.license_path if name != "duplicate" else f"{info.first_lmgrd_port}@127.0.0.1"
        st = subprocess.run([info.lmutil_path, "lmstat", "-a", "-c", spec], capture_output=True, text=True)
        up = "license server UP" in st.stdout and "sigasi: UP" in st.stdout
        subprocess.run([sys.executable, "-m", "lmdoctor", "repair", "--undo", "--yes"], capture_output=True,
                       env=env)
        exact = open(info.license_path, "rb").read() == original
        return up_at, total, up, exact, applied
    finally:
        sb.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("scenarios", nargs="*", default=list(MANUAL_STEPS))
    args = ap.parse_args()
    print(f"{'scenario':<20} {'to UP s':>8} {'command s':>10} {'actions':>8} {'manual steps':>13}  "
          f"{'UP':>3} {'undo=bytes':>10}")
    for name in args.scenarios:
        ups: List[float] = []
        totals: List[float] = []
        ok_up = ok_undo = True
        applied = 0
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="lmdoctor-bench-repair-") as d:
                up_at, total, up, exact, applied = one(name, d)
            if up_at is not None:
                ups.append(up_at)
            totals.append(total)
            ok_up &= up
            ok_undo &= exact
        med_up = f"{statistics.median(ups):8.2f}" if ups else f"{'-':>8}"
        print(f"{name:<20} {med_up} {statistics.median(totals):10.2f} {applied:8d} "
              f"{len(MANUAL_STEPS.get(name, [])):13d}  {'yes' if ok_up else 'NO':>3} {'yes' if ok_undo else 'NO':>10}")
    print(f"\nmedian of {args.runs} run(s); 'to UP' ends when the server action reports applied, which it does only "
          "after lmstat said lmgrd and sigasi are UP; 'command' includes the whole check before and after.")


if __name__ == "__main__":
    main()
