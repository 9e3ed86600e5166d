#!/usr/bin/env python3
"""Benchmark `lmdoctor serve`: the time of one HTTP scrape. Prints figures; asserts nothing.

Three configs, each served by a real `lmdoctor serve` on 127.0.0.1 and scraped over HTTP:

  1 target      one healthy sandbox server
  1 firewalled  one server whose port times out (a listener with a full accept queue)
  15 targets    15 healthy (five names on each of three sandbox servers), no firewall
  20 targets    the same 15 + 5 firewalled ports

The 20-target scrape beside the 1-target ones, as ratios. Without parallel connects the five
firewalls alone would cost 5 timeouts; the target is "20 targets" close to "1 firewalled" (one
timeout). Scrapes after the first reuse the `lmstat -i` expiry table (5 min), as in production;
the first scrape of each config is a warm-up and is not counted.

Run inside the test namespace from the repository root:
  /work/bin/isolated .venv/bin/python bench/bench_serve.py [--runs N] [--timeout S]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import List, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from blackhole import blackhole  # noqa: E402  (bench/ is the script directory)


def target(name: str, spec: str, timeout: float) -> str:
    return f'[[target]]\nname = "{name}"\nservers = ["{spec}"]\ntimeout = {timeout}\n\n'


def serve_and_scrape(config: str, env: dict, runs: int) -> Tuple[float, List[float], str]:
    proc = subprocess.Popen([sys.executable, "-m", "lmdoctor", "serve", "--config", config, "--listen",
                             "127.0.0.1:0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        url = line.split("metrics at ", 1)[1].split()[0]
        times = []
        body = ""
        for i in range(runs + 1):
            t = time.perf_counter()
            with urllib.request.urlopen(url, timeout=120) as resp:
                body = resp.read().decode()
            if i:  # the first scrape is the warm-up
                times.append(time.perf_counter() - t)
        return statistics.median(times), times, body
    finally:
        proc.terminate()
        proc.wait(30)
        if proc.stderr:
            proc.stderr.close()


def metric(body: str, prefix: str) -> float:
    total = 0.0
    for ln in body.splitlines():
        if ln.startswith(prefix):
            total += float(ln.rsplit(" ", 1)[1])
    return total


def main() -> None:
    from lmdoctor.checks.sandbox import Sandbox

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=2.0, help="per-target timeout (the firewall's cost)")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="lmdoctor-bench-serve-")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_LICENSE_FILE")}
    env.update(HOME=root, PYTHONPATH=REPO + os.pathsep + env.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(root, "pycache")
    sandboxes = [Sandbox(os.path.join(root, f"sb{i}")) for i in range(3)]
    holes = [blackhole() for _ in range(5)]
    try:
        infos = [sb.start("healthy") for sb in sandboxes]
        head = f'lmutil = "{infos[0].lmutil_path}"\ndeadline = {4 * a.timeout + 10}\n\n'
        configs = {
            "1 target": head + target("one", infos[0].port_at_host, a.timeout),
            "1 firewalled": head + target("fw", f"{holes[0][0]}@127.0.0.1", a.timeout),
            "15 targets (none firewalled)": head + "".join(
                target(f"t{i}", infos[i % 3].port_at_host, a.timeout) for i in range(15)),
            "20 targets (5 firewalled)": head + "".join(
                target(f"t{i}", infos[i % 3].port_at_host, a.timeout) for i in range(15)) + "".join(
                target(f"fw{i}", f"{p}@127.0.0.1", a.timeout) for i, (p, _s) in enumerate(holes)),
        }
        got = {}
        for name, text in configs.items():
            path = os.path.join(root, name.split()[0] + name.split()[1] + ".toml")
            with open(path, "w") as fh:
                fh.write(text)
            got[name] = serve_and_scrape(path, env, a.runs)
    finally:
        for sb in sandboxes:
            sb.stop()
        for _p, socks in holes:
            for s in socks:
                s.close()
    print(f"per-target timeout {a.timeout:g} s, {a.runs} scrapes each after a warm-up, median (min-max):")
    timeouts = 'lmdoctor_endpoint_checks_total{outcome="timeout"}'
    for name, (med, times, body) in got.items():
        print(f"  {name:<30} {med * 1000:7.0f} ms  ({min(times) * 1000:.0f}-{max(times) * 1000:.0f})  "
              f"lmutil runs {metric(body, 'lmdoctor_lmutil_runs_total'):.0f}, "
              f"connect timeouts {metric(body, timeouts):.0f} (counters since the serve started)")
    twenty = got["20 targets (5 firewalled)"][0]
    one, fw, fifteen = got["1 target"][0], got["1 firewalled"][0], got["15 targets (none firewalled)"][0]
    print(f"20 targets / 1 target                 ratio {twenty / one:.2f}")
    print(f"20 targets / 1 firewalled             ratio {twenty / fw:.2f}")
    print(f"20 targets / max(1 firewalled, 15 ok) ratio {twenty / max(fw, fifteen):.2f} (target ~1: the five "
          f"firewalls cost one timeout in parallel with the rest, not {5 * a.timeout:g} s)")
    serial = 5 * a.timeout + 15 * one
    print(f"one after another it would be ~{serial * 1000:.0f} ms; one timeout plus a second is "
          f"{(a.timeout + 1) * 1000:.0f} ms; the 20-target scrape took {twenty * 1000:.0f} ms")
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(the sandbox lmutil is a Python program: ~0.3 s of CPU per run, a real lmutil far less)")


if __name__ == "__main__":
    main()
