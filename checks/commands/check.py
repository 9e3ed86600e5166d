"""`lmdoctor check`: scan this machine the way an expert admin would."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..runtime import RunState
from ..serverspec import argparse_server
from ._common import add_format_option, add_redact_option, emit, fail_input

if TYPE_CHECKING:
    from ..probes.runner import ProgressEvent

HELP = "scan this machine: processes, ports, search path, reachability, tunnels, identity, files, license"
NEEDS_LINUX = True  # process table, sockets, /proc (checks/platforms.py)
DESCRIPTION = (
    "Find the license in use (--license, a running lmgrd's -c, SIGASI_LM_LICENSE_FILE / LM_LICENSE_FILE, "
    "~/.flexlmrc, the default location), run every live probe concurrently, then lint the license. "
    "Only the servers named in the search path, the license and --server are contacted."
)


def _timeout(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < v <= 120:
        raise argparse.ArgumentTypeError("the timeout must be between 0 and 120 seconds")
    return v


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--license", metavar="FILE", help="the license file to check (default: find it)")
    p.add_argument("--server", metavar="PORT@HOST", action="append", default=[], type=argparse_server,
                   help="a license server to test (repeatable; a triad as p1@h1,p2@h2,p3@h3)")
    p.add_argument("--vendor", metavar="NAME", help="vendor daemon name to look for besides 'sigasi'")
    p.add_argument("--timeout", metavar="S", type=_timeout, default=3.0,
                   help="TCP connect and name lookup timeout in seconds (default 3)")
    p.add_argument("--no-lmutil", dest="use_lmutil", action="store_false",
                   help="do not run lmutil lmstat / lmdiag against the servers")
    p.add_argument("--lmutil", metavar="PATH", dest="lmutil_path",
                   help="the lmutil to run (default: next to the license, next to a running lmgrd, else PATH; "
                        "as root, one found that is not root's is reported, not run)")
    add_redact_option(p)
    p.add_argument("--config", metavar="FILE",
                   help="probe the targets of an 'lmdoctor serve' config once instead of this machine")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="with --format openmetrics: write FILE atomically (temp file + rename), for "
                        "node_exporter's textfile collector, e.g. /var/lib/node_exporter/textfile/lmdoctor.prom")
    add_format_option(p, extra=("openmetrics",),
                      extra_help="; openmetrics: Prometheus metrics, the same as 'lmdoctor serve' gives")


class _ProgressLine:
    """One self-overwriting line on stderr, only when stderr is a terminal."""

    def __init__(self, stream) -> None:
        import threading

        self.lock = threading.Lock()  # probes report from their own threads
        self.stream = stream
        self.running: list = []
        self.width = 0

    def __call__(self, ev: ProgressEvent) -> None:
        with self.lock:
            self._show(ev)

    def _show(self, ev: ProgressEvent) -> None:
        if ev.state is RunState.STARTED:
            self.running.append(ev.title)
        elif ev.title in self.running:
            self.running.remove(ev.title)
        text = f"lmdoctor check: {ev.done}/{ev.total} probes done"
        if self.running:
            text += " - " + ", ".join(self.running)
        text = text[:110]
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        with self.lock:
            self._clear()

    def _clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from ..check import CheckOptions, LicenseArgumentError, run_check
    from ..runtime import CancelToken

    metrics = args.format == "openmetrics"
    if args.output and not metrics:
        return fail_input("-o/--output is for --format openmetrics (the other formats go to standard output)")
    if args.output:
        from ..metrics.textfile import TextfileError, check_textfile_path

        try:
            check_textfile_path(args.output)  # before minutes of probing, not after
        except TextfileError as exc:
            return fail_input(str(exc))
    if args.config:
        if args.license or args.server:
            return fail_input("--config probes the config's targets; give --license / --server without it, "
                              "or add them to the config as [[target]] tables")
        return _run_config(args)
    sink = None
    if metrics:
        from ..metrics.oneshot import LmstatSink

        sink = LmstatSink()
    opts = CheckOptions(license_path=args.license, servers=list(args.server or []), vendor=args.vendor,
                        timeout=args.timeout, use_lmutil=args.use_lmutil, lmutil_path=args.lmutil_path,
                        on_lmstat=sink)
    cancel = CancelToken()
    progress = None
    try:
        if sys.stderr.isatty():
            progress = _ProgressLine(sys.stderr)
    except Exception:
        progress = None
    try:
        report = run_check(opts, cancel=cancel, on_progress=progress)
    except LicenseArgumentError as exc:
        if progress:
            progress.clear()
        return fail_input(str(exc))
    except KeyboardInterrupt:
        cancel.cancel()
        if progress:
            progress.clear()
        raise
    if progress:
        progress.clear()
    if sink is not None:
        from ..metrics.oneshot import local_result

        seconds = float(report.meta.get("seconds") or 0.0)
        return _emit_metrics([local_result(report, sink.results, seconds)], args, int(report.exit_code))
    return emit(report, args)


def _run_config(args: argparse.Namespace) -> int:
    import time

    from ..findings import exit_code_for
    from ..metrics.config import ConfigError, load_config
    from ..metrics.oneshot import fleet_report, probe_once

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail_input(str(exc))
    started = time.monotonic()
    results = probe_once(config, lmutil=args.lmutil_path)
    if args.format == "openmetrics":
        code = int(exit_code_for(f for r in results for f in r.findings))
        return _emit_metrics(results, args, code)
    return emit(fleet_report(results, args.config, time.monotonic() - started), args)


def _emit_metrics(results, args: argparse.Namespace, code: int) -> int:
    from ..metrics.oneshot import openmetrics_text

    try:
        data = openmetrics_text(results, redact=args.redact)
    except ImportError:
        return fail_input("prometheus_client is not installed: pip install prometheus_client")
    if args.output:
        from ..metrics.textfile import TextfileError, write_textfile

        try:
            write_textfile(args.output, data)
        except TextfileError as exc:
            return fail_input(str(exc))
        return code
    sys.stdout.write(data.decode("utf-8"))
    sys.stdout.flush()
    return code
