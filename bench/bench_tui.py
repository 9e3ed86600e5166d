#!/usr/bin/env python3
"""Benchmark the app in a real terminal (a pty, 120x40, TERM=xterm-256color). Prints figures; asserts nothing.

1. First paint: seconds from launching `lmdoctor tui --no-autorun` until its tab bar is drawn, beside
   a minimal Textual app (Header, one Static, Footer) until its text is drawn, launched alternately
   in the same terminal setup, paired runs (target: ratio under 1.3).
2. Key latency: milliseconds from writing a key to the pty until the field shows it, typing into the
   Explain tab's field, (a) with the app idle, (b) while the Log tab analyses a generated debug log
   of --log-mb MB (default 1024) and the Check tab probes 8 firewalled servers (listeners on
   127.0.0.1 whose accept queue is full: connects time out, nothing leaves the machine). Both in
   the same run; the log scan's own duration is printed so the overlap shows.

Run from the repository root (a private PID/network namespace is best on a shared machine):
    python3 bench/bench_tui.py [--runs N] [--log-mb MB] [--keys N]
"""
from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from blackhole import blackhole  # noqa: E402  (bench/ is the script directory)

COLS, ROWS = 120, 40
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>NOPM78]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")

MINIMAL = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("minimal app ready")
        yield Footer()

Minimal().run()
"""


class Pty:
    """A process on its own pseudo-terminal; ``wait_for`` reads its output until a text shows."""

    def __init__(self, argv: List[str], env: dict, cwd: str) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     start_new_session=True)
        os.close(slave)
        self.seen = b""

    def read(self, timeout: float) -> bytes:
        r, _w, _x = select.select([self.master], [], [], timeout)
        if not r:
            return b""
        try:
            return os.read(self.master, 1 << 16)
        except OSError:
            return b""

    def wait_for(self, text: bytes, timeout: float = 60.0, since: int = 0) -> Optional[float]:
        """Monotonic time when ``text`` appeared in the output (escape sequences removed) after offset ``since``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = self.read(0.05)
            if chunk:
                self.seen += chunk
                if text in ANSI.sub(b"", self.seen[since:]):
                    return time.monotonic()
        return None

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)


def env_for(home: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_LICENSE_FILE") and k not in ("COLUMNS", "LINES")}
    env.update(HOME=home, TERM="xterm-256color", XDG_STATE_HOME=os.path.join(home, "state"))
    return env


def lmdoctor_argv(*args: str) -> List[str]:
    exe = Path(sys.executable).parent / "lmdoctor"
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "lmdoctor"]) + ["tui", *args]


def cpu_seconds(pid: int) -> float:
    """CPU time so far of every thread of ``pid`` (Linux: /proc/PID/task/*/schedstat, nanoseconds)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total / 1e9


def first_paint(argv: List[str], marker: bytes, env: dict, cwd: str,
                then: Optional[bytes] = None) -> Tuple[float, float, Optional[float]]:
    """Wall seconds until ``marker`` is drawn, the CPU seconds the app used by then (a figure that
    the machine's load disturbs less), and the wall seconds until ``then`` is drawn as well."""
    t0 = time.monotonic()
    p = Pty(argv, env, cwd)
    try:
        t = p.wait_for(marker)
        if t is None:
            raise RuntimeError(f"{argv[-1]!r} never drew {marker!r}")
        cpu = cpu_seconds(p.proc.pid)
        t2 = p.wait_for(then, since=0) if then is not None else None
        return t - t0, cpu, (t2 - t0 if t2 is not None else None)
    finally:
        p.close()


def key_latencies(p: Pty, n: int, gap: float) -> List[float]:
    """Type ``n`` letters into the focused field; for each, ms until the field shows the text typed so far."""
    out = []
    typed = "q"  # starts with a letter bindings would take, were it not typed into a field
    p.send(b"q")
    p.wait_for(b"q", since=len(p.seen))
    for i in range(n):
        ch = "abcdefghijklmnop"[i % 16]
        typed += ch
        mark = len(p.seen)
        t0 = time.monotonic()
        p.send(ch.encode())
        # The field scrolls: the last few letters typed are what it surely shows.
        t = p.wait_for(typed[-6:].encode(), timeout=30.0, since=mark)
        out.append((t - t0) * 1000 if t is not None else float("inf"))
        time.sleep(gap)
    return out




def typing_session(extra: List[str], env: dict, cwd: str, keys: int, gap: float,
                   watch_log: bool) -> Tuple[List[float], Optional[float], float]:
    """Latencies typing into the Explain tab; with ``watch_log`` also when the log scan finished (s after start)."""
    t0 = time.monotonic()
    p = Pty(lmdoctor_argv(*extra), env, cwd)
    try:
        if p.wait_for(b"Check F2") is None:
            raise RuntimeError("the app never drew its tab bar")
        p.send(b"\x1bOS")  # F4: the Explain tab, its field has the focus
        p.wait_for(b"Paste an error", since=0)
        time.sleep(0.3)
        lat = key_latencies(p, keys, gap)
        measured_until = time.monotonic() - t0
        done = None
        if watch_log:
            p.send(b"\x1b[19~")  # F8: the Log tab; its status says when the scan is over
            t = p.wait_for(b"f follows", timeout=3600.0, since=0)
            done = (t - t0) if t is not None else None
        return lat, done, measured_until
    finally:
        p.close()


def pct(values: List[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="paired first-paint runs (default 7)")
    ap.add_argument("--log-mb", type=int, default=1024, help="size of the generated debug log in MB (default 1024)")
    ap.add_argument("--keys", type=int, default=40, help="keys typed per latency session (default 40)")
    ap.add_argument("--gap", type=float, default=0.05, help="seconds between keys (default 0.05)")
    ap.add_argument("--only", choices=("paint", "keys"), help="measure only the first paint or only the key latency")
    ap.add_argument("--log-file", metavar="FILE", help="read this debug log instead of generating one (kept)")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="lmdoctor-bench-tui-")
    env = env_for(work)
    minimal = os.path.join(work, "minimal.py")
    Path(minimal).write_text(MINIMAL)
    print(f"bench_tui: {COLS}x{ROWS} pty, TERM=xterm-256color, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.2f}")

    if a.only != "keys":
        paint(a.runs, env, work, minimal)
    if a.only != "paint":
        keys(a, env, work)


def paint(runs: int, env: dict, work: str, minimal: str) -> None:
    """1. First paint, paired and alternating so load drifts hit both alike."""
    app_argv = lmdoctor_argv("--no-autorun")
    min_argv = [sys.executable, minimal]
    first_paint(app_argv, b"Check F2", env, work)  # warm the file cache
    first_paint(min_argv, b"minimal app ready", env, work)
    mins, apps = [], []
    for _ in range(runs):
        mins.append(first_paint(min_argv, b"minimal app ready", env, work))
        # The first frame is the tab bar; the Check tab's own status line follows it.
        apps.append(first_paint(app_argv, b"Check F2", env, work, then=b"Press r to scan"))
    min_t, min_cpu = [m[0] for m in mins], [m[1] for m in mins]
    app_t, app_cpu = [a[0] for a in apps], [a[1] for a in apps]
    body_t = [a[2] if a[2] is not None else float("inf") for a in apps]

    def row(name: str, v: List[float], base: Optional[List[float]] = None) -> None:
        text = f"  {name:<34} {min(v):.3f}   {statistics.median(v):.3f}   {max(v):.3f}"
        if base is not None:
            r = [x / y for x, y in zip(v, base)]
            text += f"   {statistics.median(r):.2f}x  ({min(r):.2f}x .. {max(r):.2f}x)"
        print(text)

    print("\nfirst paint (s)                      min     median  max     ratio to minimal, median (min .. max)")
    row("minimal Textual app (its text)", min_t)
    row("lmdoctor tui (its tab bar)", app_t, min_t)
    row("lmdoctor tui (the Check tab drawn)", body_t, min_t)
    print("CPU seconds used by the first paint")
    row("minimal Textual app", min_cpu)
    row("lmdoctor tui", app_cpu, min_cpu)
    print("  target: first paint under 1.3x the minimal app")


def keys(a: argparse.Namespace, env: dict, work: str) -> None:
    """2. Key latency: idle, then under a 1 GB log scan and 8 firewalled servers."""
    idle, _d, _u = typing_session(["--no-autorun"], env, work, a.keys, a.gap, watch_log=False)
    import bench_log

    log = a.log_file or os.path.join(work, "debug.log")
    if not a.log_file:
        t = time.monotonic()
        bench_log.generate(Path(log), a.log_mb * 1024 * 1024)
        print(f"\ngenerated {os.path.getsize(log) / 1e6:,.0f} MB debug log in {time.monotonic() - t:.0f} s")
    size = os.path.getsize(log)
    holes = [blackhole() for _ in range(8)]
    servers: List[str] = []
    for port, _held in holes:
        servers += ["--server", f"{port}@127.0.0.1"]
    try:
        busy, done, until = typing_session(["--log", log, *servers], env, work, a.keys, a.gap, watch_log=True)
    finally:
        for _port, held in holes:
            for s in held:
                s.close()
    print("\nkey latency (ms)                         median  p95     max")
    print(f"  idle                                   {statistics.median(idle):6.1f}  {pct(idle, .95):6.1f}  "
          f"{max(idle):6.1f}")
    print(f"  {size / 1e9:4.2f} GB log scan + 8 firewalled   {statistics.median(busy):6.1f}  {pct(busy, .95):6.1f}  "
          f"{max(busy):6.1f}")
    print(f"  ratio busy/idle (median)               {statistics.median(busy) / statistics.median(idle):.2f}x")
    scan = f"{done:.1f} s" if done is not None else "not seen"
    print(f"  keys typed from app start to {until:.1f} s; the log scan ended {scan} after start"
          + ("" if done is None or done > until else "  (NOTE: before the keys ended: use a bigger --log-mb)"))
    if not a.log_file:
        os.unlink(log)


if __name__ == "__main__":
    main()
