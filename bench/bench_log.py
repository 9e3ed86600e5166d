"""Benchmark the debug-log analyser against grep on a generated log. Prints figures, asserts nothing.

    /work/venv/bin/python bench/bench_log.py [SIZE_MB ...]      (default: 1024)

For each size: generates a realistic lmgrd/sigasi debug log in a temporary directory (OUT/IN
pairs, Sigasi's UNSUPPORTED probes, DENIED, TIMESTAMP every few hours, now and then a restart),
runs the analyser in a child process (which reports its own peak RSS), runs
`grep -c -E -i -f PATTERNS` with the catalogue's patterns (converted to ERE) on the same file,
and prints MB/s for both, the ratio and the analyser's peak RSS. Give two sizes to see that memory
stays flat as the file grows. The file is deleted afterwards.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def generate(path: Path, size: int, seed: int = 1) -> int:
    rnd = random.Random(seed)
    day = 0
    secs = 0
    lines = 0
    written = 0
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
                u, h = rnd.choice(USERS), rnd.choice(HOSTS)
                r = rnd.random()
                f = FEATURES[0] if r < 0.7 else FEATURES[1]
                if r < 0.42:
                    buf.append(f'{ts()} (sigasi) OUT: "{f}" {u}@{h}  \n')
                elif r < 0.84:
                    buf.append(f'{ts()} (sigasi) IN: "{f}" {u}@{h}  \n')
                elif r < 0.94:
                    p = "custom" if r < 0.89 else "preview"
                    buf.append(f'{ts()} (sigasi) UNSUPPORTED: "com.sigasi.hdt.{p}" (PORT_AT_HOST_PLUS   ) {u}@{h}  '
                               '(License server system does not support this feature. (-18,327:10054 ""))\n')
                elif r < 0.97:
                    buf.append(f'{ts()} (sigasi) DENIED: "{f}" {u}@{h}  (Licensed number of users already reached. (-4,342))\n')
                elif r < 0.99995:
                    buf.append(f"{ts()} (sigasi) (@sigasi-SLOG@) Statistics: connections {rnd.randint(1, 99)}\n")
                else:
                    buf.append(f"{ts()} (sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9\n"
                               f"{ts()} (lmgrd) sigasi exited with status 41 (Exited because another server was running)\n")
                    buf.append(STARTUP.format(t=ts(), d=date()))
            chunk = "".join(buf)
            buf = []
            fh.write(chunk)
            written += len(chunk)
            lines += chunk.count("\n")
    return lines


CHILD = r"""
import json, resource, sys, time
from checks.flexnet.logscan import scan_file
t = time.perf_counter()
s = scan_file(sys.argv[1])
dt = time.perf_counter() - t
print(json.dumps({"secs": dt, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "lines": s.lines, "out": s.out_lines, "in": s.in_lines, "denied": s.denied.count,
                  "unsupported_harmless": sum(s.unsupported_harmless.values()), "startups": s.startup_count}))
"""


def grep_patterns(dest: Path) -> int:
    from checks.flexnet.catalogue import ere_pattern, load_catalogue

    pats = [ere_pattern(p) for e in load_catalogue().entries for p in e.patterns]
    pats = [p for p in pats if p]
    dest.write_text("\n".join(pats) + "\n")
    return len(pats)


def bench(size_mb: float, tmp: Path) -> None:
    path = tmp / "debug.log"
    t = time.perf_counter()
    lines = generate(path, int(size_mb * 1024 * 1024))
    mb = path.stat().st_size / 1e6
    print(f"\n== {mb:,.0f} MB, {lines:,} lines (generated in {time.perf_counter() - t:.1f} s)")
    # Warm the page cache so both tools read from memory.
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    # This machine may be shared: best of RUNS for both tools.
    runs = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                             cwd=str(REPO), check=True).stdout
        runs.append(json.loads(out))
    r = min(runs, key=lambda x: x["secs"])
    r["maxrss_kb"] = max(x["maxrss_kb"] for x in runs)
    pat = tmp / "patterns.ere"
    n = grep_patterns(pat)
    gruns = []
    for _ in range(RUNS):
        t = time.perf_counter()
        g = subprocess.run(["grep", "-c", "-E", "-i", "-f", str(pat), str(path)], capture_output=True, text=True,
                           env={**os.environ, "LC_ALL": "C"})
        gruns.append(time.perf_counter() - t)
    gsecs = min(gruns)
    a_rate, g_rate = mb / r["secs"], mb / gsecs
    print(f"analyser : {r['secs']:7.2f} s  {a_rate:8.1f} MB/s  peak RSS {r['maxrss_kb'] / 1024:6.1f} MB  "
          f"(lines {r['lines']:,}, OUT {r['out']:,}, IN {r['in']:,}, DENIED {r['denied']:,}, "
          f"harmless UNSUPPORTED {r['unsupported_harmless']:,}, start-ups {r['startups']})")
    print(f"grep -c  : {gsecs:7.2f} s  {g_rate:8.1f} MB/s  ({n} catalogue patterns, -E -i, LC_ALL=C; "
          f"{g.stdout.strip()} matching lines)")
    print(f"           (best of {RUNS} runs each)")
    print(f"ratio    : analyser runs at {a_rate / g_rate:.2f}x grep's throughput")
    path.unlink()


def main() -> None:
    sizes = [float(a) for a in sys.argv[1:]] or [1024.0]
    with tempfile.TemporaryDirectory(prefix="lmdoctor-bench-") as d:
        for s in sizes:
            bench(s, Path(d))


if __name__ == "__main__":
    main()
