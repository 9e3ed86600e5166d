"""``lmdoctor log FILE``: analyse an lmgrd / vendor-daemon debug log."""
from __future__ import annotations

import argparse
import re

from ._common import add_format_option, add_redact_option

HELP = "analyse an lmgrd/vendor-daemon debug log: start-ups, exits and their reasons, errors, DENIED"
DESCRIPTION = (
    "Read a FlexNet debug log (the file given to lmgrd -l) in one pass, in constant memory, and report "
    "the last start-up and whether it succeeded, restarts and vendor-daemon exits with their decoded "
    "reasons, errors by kind with first/last time and count, DENIED requests by feature and user, and "
    "UNSUPPORTED lines (Sigasi's harmless com.sigasi.hdt.custom/preview probes counted apart). "
    "'-' reads standard input. --follow keeps reading appended lines like tail -f, printing each "
    "start-up, warning and failure as it appears, and prints the report on Ctrl-C."
)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the debug log ('-' for standard input)")
    p.add_argument("--follow", "-f", action="store_true", help="keep reading new lines until Ctrl-C (like tail -f)")
    p.add_argument("--since", metavar="TIME",
                   help="only count lines from TIME on: YYYY-MM-DD[ HH:MM], m/d/yyyy, or 3d / 12h ago")
    p.add_argument("--progress", action="store_true",
                   help="show progress on stderr while reading (default on a terminal)")
    add_redact_option(p)
    add_format_option(p)


_LOG_LINE = re.compile(rb"\d{1,2}:\d{2}:\d{2} \([^)\s]+\) ")


def run(args: argparse.Namespace) -> int:
    import sys

    from .. import inputgate
    from ..filekind import FileKind, wrong_kind_message
    from ..findings import Report
    from ..flexnet import logscan
    from ..inputgate import open_input
    from ..runtime import CancelToken
    from ._common import InputError, Kind, fail_input

    since = None
    if args.since:
        since = logscan.parse_since(args.since)
        if since is None:
            return fail_input(f"--since {args.since!r} is not a time: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM', "
                              "m/d/yyyy, 3d or 12h")
    cancel = CancelToken()
    if args.follow and args.file == "-":
        return fail_input("--follow needs a file, not standard input")
    try:
        # The one input gate: a regular file (or '-'), never a FIFO or device, at most the log cap.
        src = open_input(args.file, Kind.LOG)
    except InputError as exc:
        return fail_input(str(exc))
    progress = None
    # Long work shows progress on a terminal; pipes and --format json stay clean.
    if args.progress or (sys.stderr.isatty() and not args.follow and args.file != "-"):
        def progress(done: int, total) -> None:
            pct = f" {100 * done // total}%" if total else ""
            sys.stderr.write(f"\rread {done / 1e6:,.0f} MB{pct}   ")
            sys.stderr.flush()
    try:
        with src:
            head = src.read(64 * 1024)
            # The gate reads, the sniffer judges: a license or lmstat output is named as such.
            wrong = wrong_kind_message(head, FileKind.DEBUG_LOG, args.file)
            if wrong:
                return fail_input(wrong)
            # NUL runs also appear inside real logs after a crash; only input with NULs and no
            # "hh:mm:ss (daemon)" line at all is not a log.
            if b"\x00" in head and not _LOG_LINE.search(head):
                return fail_input(f"{inputgate.label(args.file)} is binary data, not a debug log (give the text "
                                  "file lmgrd writes with -l, e.g. debug.log)")
            if args.follow:
                def show(ev) -> None:
                    print(logscan.describe_event(ev), flush=True)
                src.close()
                summary = _follow(logscan, args.file, cancel, show if (args.format or "text") == "text" else None,
                                  since)
            else:
                scanner = logscan.LogScanner(since=since, path=src.name)
                if head:
                    scanner.feed(head)
                summary = logscan.scan_stream(src, cancel, progress, since, total=src.size, path=src.name,
                                              scanner=scanner)
    except InputError as exc:
        if progress is not None:
            sys.stderr.write("\n")
        return fail_input(str(exc))
    except OSError as exc:
        return fail_input(f"cannot read {args.file}: {exc.strerror or exc}")
    if progress is not None:
        sys.stderr.write("\r\x1b[K" if sys.stderr.isatty() else "\n")
    if summary is None:
        return fail_input("interrupted")
    report = Report("log", logscan.summary_findings(summary), {"file": summary.path, "lines": summary.lines,
                                                               "bytes": summary.bytes_read})
    return emit_report(report, args)


def _follow(logscan, path, cancel, show, since):
    import signal
    import threading

    # Ctrl-C cancels the token; the scanner returns what it has and the report is printed.
    result = {}
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        result["s"] = logscan.follow_file(path, cancel, show, since)
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    return result["s"]


def emit_report(report, args) -> int:
    from ._common import emit

    return emit(report, args)
