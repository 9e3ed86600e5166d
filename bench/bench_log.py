"""Benchmark the debug-log analyser against grep on a generated log. Prints figures, asserts nothing.

    /work/venv/bin/python bench/bench_log.py [SIZE_MB ...] [--runs N] [--log PATH]   (default: 200 1024)

First prints how much of each real-world log (../shared/realworld/logs, read in place) the
analyser recognises, and the shapes it does not. Then generates one realistic lmgrd/sigasi debug
log of the largest size in a temporary directory (users check a seat out and back in, so
concurrency hovers at the issued count and the server denies requests when it is full; Sigasi's
UNSUPPORTED probes, SLOG statistics, TIMESTAMP every few hours, now and then a crash and restart);
smaller sizes are its first bytes. The analyser's work includes the usage summary (peaks per
feature with their time, checkouts per hour and day). For each size: runs the analyser in a
child process as users run it (a big log is read in parts, one process per core: logparts), the
same with LMDOCTOR_LOG_PROCESSES=1 (one pass, the baseline) and `grep -c -E -i -f PATTERNS` with
the catalogue's patterns (converted to ERE) on the same file, alternating, best of N each; prints
MB/s by wall clock and by CPU time of all processes (user + system: on a shared machine the wall
clock also measures waiting for a core), the ratios of the bests and the median ratio of paired
runs (steadier when the machine's load changes), and the peak RSS of each process. Two sizes show whether memory
stays flat as the file grows. The files are deleted afterwards (--log keeps the generated one).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUNS = 3
USERS = [f"user{i:03d}" for i in range(120)]
HOSTS = [f"ws{i:03d}" for i in range(80)]
FEATURES = ["com.sigasi.hdt", "com.sigasi.hdt.xl", "com.sigasi.hdt.xl.doc"]

STARTUP = """{t} (lmgrd) -----------------------------------------------
{t} (lmgrd) FlexNet Licensing (v11.16.4.0 build 252457 x64_lsb) started on licsrv (linux) ({d})
{t} (lmgrd) Copyright (c) 1988-2019 Flexera. All Rights Reserved.
{t} (lmgrd) License file(s): /opt/flexnet/sigasi.lic
{t} (lmgrd) lmgrd tcp-port 27000
{t} (lmgrd) Starting vendor daemons ...
{t} (lmgrd) Started sigasi (internet tcp_port 27001 pid 4242)
{t} (sigasi) FlexNet Licensing version v11.16.4.0 build 252457 x64_lsb
{t} (sigasi) Server started on licsrv for:\tcom.sigasi.hdt\t\tcom.sigasi.hdt.xl
{t} (sigasi) EXTERNAL FILTERS are OFF
{t} (lmgrd) sigasi using TCP-port 27001
"""


SEATS = {FEATURES[0]: 40, FEATURES[1]: 8}   # licenses issued per feature


def generate(path: Path, size: int, seed: int = 1) -> int:
    """A realistic busy log: users check out a seat and return it later (so concurrency hovers
    near the issued count and the server denies requests when every seat is taken), Sigasi's
    probe lines, SLOG statistics, TIMESTAMP every six hours and now and then a crash and
    restart (which closes what was open). Same line mix as before: ~42% OUT, ~42% IN, ~10%
    UNSUPPORTED, ~3% DENIED, ~3% SLOG."""
    rnd = random.Random(seed)
    day = 0
    secs = 0
    lines = 0
    written = 0
    held: Dict[str, List[str]] = {f: [] for f in SEATS}   # who holds each feature's seats
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        def ts() -> str:
            h, rem = divmod(secs, 3600)
            return f"{h:2d}:{rem // 60:02d}:{rem % 60:02d}"

        def date() -> str:
            return f"{1 + (day // 28) % 12}/{1 + day % 28}/2024"

        buf = [STARTUP.format(t=ts(), d=date())]
        next_stamp = 0
        while written < size:
            for _ in range(2000):
                secs += rnd.randint(1, 20)
                if secs >= 86400:
                    secs -= 86400
                    day += 1
                    next_stamp = 0
                if secs >= next_stamp:
                    buf.append(f"{ts()} (lmgrd) TIMESTAMP {date()}\n{ts()} (sigasi) TIMESTAMP {date()}\n")
                    next_stamp = secs + 6 * 3600
                r = rnd.random()
                f = FEATURES[0] if rnd.random() < 0.7 else FEATURES[1]
                if r < 0.87:
                    seats = held[f]
                    if seats and (rnd.random() < 0.5 or r >= 0.845):
                        who = seats.pop(rnd.randrange(len(seats)))
                        buf.append(f'{ts()} (sigasi) IN: "{f}" {who}  \n')
                    elif len(seats) < SEATS[f]:
                        u = rnd.randrange(len(USERS))
                        who = f"{USERS[u]}@{HOSTS[u % len(HOSTS)]}"
                        seats.append(who)
                        buf.append(f'{ts()} (sigasi) OUT: "{f}" {who}  \n')
                    else:
                        u = rnd.randrange(len(USERS))
                        buf.append(f'{ts()} (sigasi) DENIED: "{f}" {USERS[u]}@{HOSTS[u % len(HOSTS)]}  '
                                   "(Licensed number of users already reached. (-4,342))\n")
                elif r < 0.97:
                    u = rnd.randrange(len(USERS))
                    p = "custom" if r < 0.92 else "preview"
                    buf.append(f'{ts()} (sigasi) UNSUPPORTED: "com.sigasi.hdt.{p}" (PORT_AT_HOST_PLUS   ) '
                               f"{USERS[u]}@{HOSTS[u % len(HOSTS)]}  "
                               '(License server system does not support this feature. (-18,327:10054 ""))\n')
                elif r < 0.99995:
                    buf.append(f"{ts()} (sigasi) (@sigasi-SLOG@) Statistics: connections {rnd.randint(1, 99)}\n")
                else:
                    buf.append(f"{ts()} (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9\n"
                               f"{ts()} (lmgrd) sigasi exited with status 41 "
                               "(Exited because another server was running)\n")
                    buf.append(STARTUP.format(t=ts(), d=date()))
                    for v in held.values():
                        v.clear()
            chunk = "".join(buf)
            buf = []
            fh.write(chunk)
            written += len(chunk)
            lines += chunk.count("\n")
    return lines


CHILD = r"""
import json, resource, sys, time
from lmdoctor.checks.flexnet import logparts
from lmdoctor.checks.flexnet.logscan import scan_file
w, c = time.perf_counter(), time.process_time()
s = scan_file(sys.argv[1])
top = s.usage.ranked()[0] if s.usage.features else None
print(json.dumps({"wall": time.perf_counter() - w, "cpu": time.process_time() - c, "processes": logparts.processes(),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "child_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "lines": s.lines, "out": s.out_lines, "in": s.in_lines, "denied": s.denied.count,
                  "unsupported_harmless": sum(s.unsupported_harmless.values()), "startups": s.startup_count,
                  "recognised": s.recognised_share, "features": len(s.usage.features),
                  "peak": f"{top.feature} {top.peak} at {top.peak_when}" if top else "-"}))
"""


def grep_patterns(dest: Path) -> int:
    from lmdoctor.checks.flexnet.catalogue import ere_pattern, load_catalogue

    pats = [ere_pattern(p) for e in load_catalogue().entries for p in e.patterns]
    pats = [p for p in pats if p]
    dest.write_text("\n".join(pats) + "\n")
    return len(pats)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_analyser(path: Path, processes: int = 0) -> dict:
    """The analyser in a child (``processes``: LMDOCTOR_LOG_PROCESSES, 0 = its default, one per
    core); CPU time is measured from here, so the analyser's own children are counted too."""
    env = dict(os.environ)
    env.pop("LMDOCTOR_LOG_PROCESSES", None)
    if processes:
        env["LMDOCTOR_LOG_PROCESSES"] = str(processes)
    c0 = _children_cpu()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                         cwd=str(REPO), check=True, env=env).stdout
    r = json.loads(out)
    r["cpu"] = _children_cpu() - c0
    return r


def run_grep(path: Path, patterns: Path) -> dict:
    c0, w0 = _children_cpu(), time.perf_counter()
    g = subprocess.run(["grep", "-c", "-E", "-i", "-f", str(patterns), str(path)], capture_output=True, text=True,
                       env={**os.environ, "LC_ALL": "C"})
    return {"wall": time.perf_counter() - w0, "cpu": _children_cpu() - c0, "matches": g.stdout.strip()}


def _best(runs: List[dict]) -> dict:
    r = dict(runs[0])
    r["wall"] = min(x["wall"] for x in runs)
    r["cpu"] = min(x["cpu"] for x in runs)
    r["maxrss_kb"] = max(x["maxrss_kb"] for x in runs)
    r["child_rss_kb"] = max(x.get("child_rss_kb", 0) for x in runs)
    return r


def bench(path: Path, patterns: Path, n_patterns: int, runs: int) -> dict:
    mb = path.stat().st_size / 1e6
    # Warm the page cache so every tool reads from memory.
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    # The machine may be shared: runs of the three alternate, and the best of each counts.
    par, one, gre = [], [], []
    for _ in range(runs):
        par.append(run_analyser(path))
        one.append(run_analyser(path, 1))
        gre.append(run_grep(path, patterns))
    r, o = _best(par), _best(one)
    g = {"wall": min(x["wall"] for x in gre), "cpu": min(x["cpu"] for x in gre), "matches": gre[0]["matches"]}
    # Each analyser run against the runs right after it: the median of these ratios moves less
    # with the load of a shared machine than the ratio of two separate bests.
    paired = statistics.median(y["wall"] / x["wall"] for x, y in zip(par, gre))
    paired_one = statistics.median(y["wall"] / x["wall"] for x, y in zip(par, one))
    rss, child_rss = r["maxrss_kb"] / 1024, r["child_rss_kb"] / 1024
    res = {"mb": mb, "a_wall": mb / r["wall"], "a_cpu": mb / r["cpu"], "o_wall": mb / o["wall"], "o_cpu": mb / o["cpu"],
           "g_wall": mb / g["wall"], "g_cpu": mb / g["cpu"], "rss": rss, "child_rss": child_rss,
           "one_rss": o["maxrss_kb"] / 1024, "paired": paired, "paired_one": paired_one,
           "processes": r["processes"], "walls": [mb / x["wall"] for x in par]}
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n== {mb:,.0f} MB, {r['lines']:,} lines (best of {runs} alternating runs each; load average {load} "
          f"on {os.cpu_count()} cores)")
    print(f"analyser : {r['wall']:7.2f} s wall {res['a_wall']:7.1f} MB/s | {r['cpu']:7.2f} s CPU "
          f"{res['a_cpu']:7.1f} MB/s | {r['processes']} process(es); peak RSS {rss:5.1f} MB, its children "
          f"{child_rss:5.1f} MB each at most")
    print(f"           (wall MB/s of each run: {', '.join(f'{x:.1f}' for x in res['walls'])}; OUT {r['out']:,}, "
          f"IN {r['in']:,}, DENIED {r['denied']:,}, harmless UNSUPPORTED {r['unsupported_harmless']:,}, "
          f"start-ups {r['startups']}; {100 * r['recognised']:.1f}% recognised; peak {r['peak']})")
    print(f"one pass : {o['wall']:7.2f} s wall {res['o_wall']:7.1f} MB/s | {o['cpu']:7.2f} s CPU "
          f"{res['o_cpu']:7.1f} MB/s | LMDOCTOR_LOG_PROCESSES=1; peak RSS {res['one_rss']:5.1f} MB"
          + ("" if (o["lines"], o["out"], o["peak"]) == (r["lines"], r["out"], r["peak"]) else "  RESULTS DIFFER"))
    print(f"grep -c  : {g['wall']:7.2f} s wall {res['g_wall']:7.1f} MB/s | {g['cpu']:7.2f} s CPU "
          f"{res['g_cpu']:7.1f} MB/s | ({n_patterns} catalogue patterns, -E -i, LC_ALL=C; {g['matches']} lines)")
    print(f"ratio    : analyser/one pass {res['a_wall'] / res['o_wall']:.2f}x wall-clock (bests), median of "
          f"paired runs {paired_one:.2f}x; analyser/grep {res['a_wall'] / res['g_wall']:.2f}x wall-clock, "
          f"{res['a_cpu'] / res['g_cpu']:.2f}x CPU (bests), paired {paired:.2f}x wall-clock")
    return res


def prefix_copy(src: Path, dest: Path, size: int) -> None:
    """The first ``size`` bytes of ``src``, cut after a newline: a smaller log of the same kind."""
    with open(src, "rb") as fi, open(dest, "wb") as fo:
        left = size
        while left > 0:
            data = fi.read(min(left, 16 << 20))
            if not data:
                break
            left -= len(data)
            if left <= 0:
                data = data[:data.rfind(b"\n") + 1]
            fo.write(data)


def realworld_dir() -> Path:
    env = os.environ.get("LMDOCTOR_REALWORLD")
    if env:
        return Path(env)
    shared = os.environ.get("LMDOCTOR_SHARED")
    if shared:
        return Path(shared) / "realworld"
    for base in (REPO.parent, REPO.parent.parent):  # beside the checkout, or a worktree's
        if (base / "shared").is_dir():
            return base / "shared" / "realworld"
    return REPO.parent / "shared" / "realworld"


def recognised_shares() -> None:
    """How much of each real-world log the analyser recognises (issue 13: >= 95% each)."""
    logs = sorted((realworld_dir() / "logs").glob("*"))
    if not logs:
        print(f"\nno real-world logs at {realworld_dir() / 'logs'} (set LMDOCTOR_REALWORLD)")
        return
    from lmdoctor.checks.flexnet.logscan import scan_file

    print("\nrecognised share per real-world log (read in place):")
    for p in logs:
        s = scan_file(str(p))
        top = "; ".join(f"{shape[:50]} ({n})" for shape, n in s.top_shapes(3)) or "-"
        print(f"  {100 * s.recognised_share:6.2f}%  {s.classified:>6,} of {s.classified + s.unrecognised:>6,} lines  "
              f"{p.name}\n           not recognised: {top}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=float, default=[200.0, 1024.0], help="log sizes in MB (default: 200 1024)")
    ap.add_argument("--runs", type=int, default=RUNS, help=f"alternating runs per tool and size (default {RUNS})")
    ap.add_argument("--log", type=Path, help="use this generated log (kept) instead of generating one")
    ap.add_argument("--shares-only", action="store_true", help="only print the recognised share of the real logs")
    args = ap.parse_args()
    recognised_shares()
    if args.shares_only:
        return
    sizes = sorted(args.sizes)
    with tempfile.TemporaryDirectory(prefix="lmdoctor-bench-") as d:
        tmp = Path(d)
        big = args.log
        if big is None or not big.exists():
            big = args.log or tmp / "debug.log"
            t = time.perf_counter()
            lines = generate(big, int(sizes[-1] * 1024 * 1024))
            print(f"generated {big.stat().st_size / 1e6:,.0f} MB, {lines:,} lines in {time.perf_counter() - t:.0f} s")
        patterns = tmp / "patterns.ere"
        n = grep_patterns(patterns)
        results = []
        for size in sizes:
            path = big
            if int(size * 1024 * 1024) < big.stat().st_size:
                path = tmp / f"debug-{size:g}.log"
                prefix_copy(big, path, int(size * 1024 * 1024))
            results.append(bench(path, patterns, n, args.runs))
            if path != big:
                path.unlink()
    print("\n   size   analyser MB/s     one pass MB/s     grep MB/s      analyser/   processes  peak RSS")
    print("          (wall / CPU)      (wall / CPU)     (wall / CPU)    one pass     (used)    (each, MB)")
    for r in results:
        print(f"{r['mb']:6,.0f} MB   {r['a_wall']:6.1f} / {r['a_cpu']:5.1f}   {r['o_wall']:6.1f} / {r['o_cpu']:5.1f}"
              f"   {r['g_wall']:6.1f} / {r['g_cpu']:5.1f}   {r['paired_one']:5.2f}x     {r['processes']:5d}     "
              f"{max(r['rss'], r['child_rss']):6.1f}")


if __name__ == "__main__":
    main()
