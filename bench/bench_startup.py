#!/usr/bin/env python3
"""Start-up time of lmdoctor: the single-file build and a pip install, beside ``python3 -c pass``.

Prints figures; asserts nothing. Every variant runs the same interpreter (this Python's base, not a
venv of the checkout) in a scrubbed environment (PATH=/usr/bin:/bin, a HOME of its own), in turns
(baseline, variant, baseline, variant, ...), so each ratio compares runs made side by side while the
machine's load drifts. CPU seconds (user + sys of the whole process tree) are steadier than wall
seconds on a shared machine; both are printed.

Variants:
  pip        lmdoctor installed from its wheel into a fresh venv (dependencies from this environment)
  pyz        python3 dist/lmdoctor.pyz ARGS   (the single-file build, after its first run)
  pyz-exec   ./dist/lmdoctor.pyz ARGS         (its /bin/sh boot finds python3 by itself)
and once: the single-file build's first run on a machine (it installs its wheels into ~/.cache/pex).

Run from the repository root: python3 bench/bench_startup.py [--runs N] [--pyz dist/lmdoctor.pyz]
(builds dist/lmdoctor.pyz with tools/build_zipapp.py when it is missing).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
LINT_FILE = REPO / "tests" / "fixtures" / "licenses" / "sigasi_floating.lic"
COMMANDS: List[Tuple[str, List[str]]] = [
    ("--version", ["--version"]),
    ("explain -15", ["explain", "-15"]),
    ("lint FILE", ["lint", "--no-host", str(LINT_FILE)]),
]


def base_python() -> str:
    exe = getattr(sys, "_base_executable", None) or sys.executable
    return str(Path(exe).resolve())


def timed(argv: List[str], env: Dict[str, str], cwd: str) -> Tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + sys of the process and its children) and the exit status."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    return wall, ru.ru_utime + ru.ru_stime, proc.returncode


def ensure_pyz(path: Path) -> Path:
    if not path.exists():
        print(f"{path} is missing: building it (tools/build_zipapp.py) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(REPO / "tools" / "build_zipapp.py"), "--out", str(path)], check=True)
    return path


def pip_install(work: Path) -> Path:
    """lmdoctor from its wheel in a fresh venv; its dependencies come from this environment via a .pth line."""
    wheel_dir = work / "wheel"
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(wheel_dir)]
    try:
        import setuptools

        if int(setuptools.__version__.split(".")[0]) >= 77:
            cmd += ["--no-build-isolation", "--no-index"]
    except ImportError:
        pass
    src = work / "src"
    for name in ("pyproject.toml", "README.md", "LICENSE", "lmdoctor", "checks", "tui"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    subprocess.run(cmd + [str(src)], check=True)
    (wheel,) = wheel_dir.glob("lmdoctor-*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "_bench_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
                    "--disable-pip-version-check", str(wheel)], check=True)
    return env_dir / "bin" / "lmdoctor"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=7, help="pairs per figure (default 7)")
    ap.add_argument("--pyz", type=Path, default=REPO / "dist" / "lmdoctor.pyz")
    args = ap.parse_args()
    python = base_python()
    pyz = ensure_pyz(args.pyz.resolve())
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="startup-", dir=OUT))
    try:
        lmdoctor = pip_install(work)
        home = work / "home"
        home.mkdir()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
        ver = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True).stdout.strip()
        print(f"python {ver} ({python}); single file {pyz} ({pyz.stat().st_size / 1e6:.1f} MB); {args.runs} pairs each")

        wall, cpu, rc = timed([python, str(pyz), "--version"], env, str(home))
        print(f"first run of the single file on a machine (installs into ~/.cache/pex): "
              f"{wall:.2f} s wall, {cpu:.2f} s CPU (exit {rc})")
        for _ in range(2):  # warm the pex venv and every .pyc
            for _name, extra in COMMANDS:
                for argv in ([python, str(pyz)], [str(pyz)], [str(lmdoctor)]):
                    subprocess.run(argv + extra, env=env, cwd=str(home), capture_output=True)

        baseline = [python, "-c", "pass"]
        variants = {"pip": [str(lmdoctor)], "pyz": [python, str(pyz)], "pyz-exec": [str(pyz)]}
        print(f"\n{'command':<14}{'variant':<10}{'wall s':>9}{'CPU s':>8}{'pass CPU s':>12}"
              f"{'x pass (CPU)':>14}{'x pass (wall)':>15}")
        for name, extra in COMMANDS:
            for label, argv in variants.items():
                walls, cpus, base_walls, base_cpus = [], [], [], []
                for _ in range(args.runs):
                    bw, bc, _ = timed(baseline, env, str(home))
                    w, c, _rc = timed(argv + extra, env, str(home))
                    base_walls.append(bw)
                    base_cpus.append(bc)
                    walls.append(w)
                    cpus.append(c)
                cpu_ratio = statistics.median(c / max(b, 1e-6) for c, b in zip(cpus, base_cpus))
                wall_ratio = statistics.median(w / max(b, 1e-6) for w, b in zip(walls, base_walls))
                print(f"{name:<14}{label:<10}{statistics.median(walls):>9.3f}{statistics.median(cpus):>8.3f}"
                      f"{statistics.median(base_cpus):>12.3f}{cpu_ratio:>14.1f}{wall_ratio:>15.1f}")
        try:
            load = os.getloadavg()[0]
            print(f"\nload average during the run: {load:.1f} on {os.cpu_count()} CPUs (medians; ratios pair by pair)")
        except OSError:
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
