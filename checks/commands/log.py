"""``lmdoctor log FILE``: analyse an lmgrd / vendor-daemon debug log."""
from __future__ import annotations

import argparse
import re
from typing import Any, Callable, List, Optional

from ._common import add_format_option, add_redact_option

HELP = "analyse an lmgrd/vendor-daemon debug log: start-ups, stops, exits, errors, DENIED and license usage"
DESCRIPTION = (
    "Read a FlexNet debug log (the file given to lmgrd -l) of any vendor in one pass, in constant memory, "
    "and report the last start-up and whether it succeeded, stops (lmgrd's own exit is a Unix signal: 15 "
    "is an orderly stop) and vendor-daemon exits with their decoded reasons, features that expired or "
    "were removed while the server ran, errors by cause with first/last time and count, DENIED requests, "
    "UNSUPPORTED lines (Sigasi's harmless probes counted apart) and the license usage: per feature the "
    "peak number of licenses out at once and when, checkouts, denials per day and the busiest hours. "
    "The report says how much of the log lmdoctor recognised and shows what it did not. "
    "--events writes one JSON object per usage line instead (NDJSON, for Elasticsearch, Loki or pandas). "
    "'-' reads standard input. --follow keeps reading appended lines like tail -f. "
    "A log file of 96 MB or more is read in parts, one process per core, with the same result "
    "(LMDOCTOR_LOG_PROCESSES=N sets the number of processes, 1 for one)."
)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the debug log ('-' for standard input)")
    p.add_argument("--follow", "-f", action="store_true",
                   help="keep reading new lines until Ctrl-C (like tail -f): print each start-up, stop, warning "
                        "and failure as it appears (or each usage line with --events), then the report")
    p.add_argument("--since", metavar="TIME",
                   help="only count lines from TIME on: YYYY-MM-DD[ HH:MM], m/d/yyyy, or 3d / 12h ago")
    p.add_argument("--events", action="store_true",
                   help="write one JSON object per usage line (OUT, IN, DENIED, QUEUED, DEQUEUED, UNSUPPORTED) "
                        "as it is read: time (with the date when known), daemon, kind, feature, user, host, "
                        "count, reason, line")
    p.add_argument("--license", metavar="LICENSE", dest="license_file",
                   help="the license the server serves: its counts are the issued licenses in the usage summary")
    p.add_argument("--progress", action="store_true",
                   help="show progress on stderr while reading (default on a terminal)")
    add_redact_option(p)
    add_format_option(p)


_LOG_LINE = re.compile(rb"\d{1,2}:\d{2}:\d{2} \([^)\s]+\) ")


def run(args: argparse.Namespace) -> int:
    import sys

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
    issued = None
    if args.license_file:
        try:
            issued = issued_counts(args.license_file)
        except InputError as exc:
            return fail_input(str(exc))
    try:
        # The one input gate: a regular file (or '-'), never a FIFO or device, at most the log cap.
        src = open_input(args.file, Kind.LOG)
    except InputError as exc:
        return fail_input(str(exc))
    progress = _progress_printer(args)
    writer = EventWriter(sys.stdout, redact=getattr(args, "redact", False)) if args.events else None
    on_usage = writer.write if writer is not None else None
    try:
        with src:
            head = src.read(64 * 1024)
            wrong = _not_a_log(head, args.file)
            if wrong:
                return fail_input(wrong)
            summary = _scan(args, src, head, cancel, progress, since, on_usage)
    except InputError as exc:
        if progress is not None:
            sys.stderr.write("\n")
        return fail_input(str(exc))
    except BrokenPipeError:
        return 0  # `lmdoctor log --events FILE | head`: the reader has what it wanted
    except OSError as exc:
        return fail_input(f"cannot read {args.file}: {exc.strerror or exc}")
    if progress is not None:
        sys.stderr.write("\r\x1b[K" if sys.stderr.isatty() else "\n")
    if summary is None:
        return fail_input("interrupted")
    report = _log_report(summary, issued, args.license_file)
    if writer is not None:
        writer.close()
        # The events were the data; the verdict goes to stderr in one line.
        sys.stderr.write(f"lmdoctor: {writer.count:,} usage event(s); {_one_line(report)}\n")
        return int(report.exit_code)
    return emit_report(report, args, summary)


def _progress_printer(args: argparse.Namespace) -> Optional[Callable[[int, Optional[int]], None]]:
    """Long work shows progress on a terminal; pipes, --follow, stdin and --events stay clean."""
    import sys

    if not (args.progress or (sys.stderr.isatty() and not args.follow and args.file != "-" and not args.events)):
        return None

    def progress(done: int, total: Optional[int]) -> None:
        pct = f" {100 * done // total}%" if total else ""
        sys.stderr.write(f"\rread {done / 1e6:,.0f} MB{pct}   ")
        sys.stderr.flush()
    return progress


def _not_a_log(head: bytes, name: str) -> Optional[str]:
    """Why the first bytes are not a debug log (a license, lmstat output, binary data), or None."""
    from .. import inputgate
    from ..filekind import FileKind, wrong_kind_message

    # The gate reads, the sniffer judges: a license or lmstat output is named as such.
    wrong = wrong_kind_message(head, FileKind.DEBUG_LOG, name)
    if wrong:
        return wrong
    # NUL runs also appear inside real logs after a crash; only input with NULs and no
    # "hh:mm:ss (daemon)" line at all is not a log.
    if b"\x00" in head and not _LOG_LINE.search(head):
        return (f"{inputgate.label(name)} is binary data, not a debug log (give the text "
                "file lmgrd writes with -l, e.g. debug.log)")
    return None


def _scan(args: argparse.Namespace, src: Any, head: bytes, cancel: Any, progress: Any, since: Any,
          on_usage: Any) -> Any:
    """The log's summary (None when interrupted): once to the end, or followed until Ctrl-C."""
    from ..flexnet import logscan

    if args.follow:
        def show(ev) -> None:
            print(logscan.describe_event(ev), flush=True)
        src.close()  # follow_file opens the file again by its name
        text = (args.format or "text") == "text" and not args.events
        return _follow(logscan, args.file, cancel, show if text else None, since, on_usage)
    scanner = logscan.LogScanner(since=since, path=src.name, on_usage=on_usage)
    if head:
        scanner.feed(head)
    return logscan.scan_stream(src, cancel, progress, since, total=src.size, path=src.name, scanner=scanner)


def _log_report(summary: Any, issued: Optional[dict], license_file: str) -> Any:
    """The log report; ``issued`` (from --license) adds the issued counts to the usage summary."""
    from ..findings import Report
    from ..flexnet import logscan

    if issued:
        for name, count in issued.items():
            if name in summary.usage.features or count is not None:
                logscan_feature_issued(summary, name, count, license_file)
    return Report("log", logscan.summary_findings(summary), {
        "file": summary.path, "lines": summary.lines, "bytes": summary.bytes_read,
        "recognised": {"share": round(summary.recognised_share, 4), "lines": summary.classified,
                       "unrecognised": summary.unrecognised,
                       "top_unrecognised": [{"shape": s, "lines": n} for s, n in summary.top_shapes(10)]},
        "usage": summary.usage.to_dict()})


def _one_line(report: Any) -> str:
    c = report.counts()
    parts = [f"{c[s]} {s}" for s in ("fail", "warn", "info", "ok") if c.get(s)]
    return ", ".join(parts) + " (run without --events for the report)"


def issued_counts(path: str) -> dict:
    """Licenses issued per feature by a license file: counted FEATURE/INCREMENT lines add up;
    None for an uncounted feature."""
    from ..inputgate import read_license

    lic = read_license(path)
    out: dict = {}
    for f in lic.features:
        n = f.count
        if f.name in out and out[f.name] is not None and n is not None:
            out[f.name] += n
        elif f.name not in out:
            out[f.name] = n
        else:
            out[f.name] = None if n is None else out[f.name]
    return out


def logscan_feature_issued(summary: Any, name: str, count: Optional[int], source: str) -> None:
    f = summary.usage.features.get(name)
    if f is None:
        from ..flexnet.usage import MAX_FEATURES, FeatureUsage

        if len(summary.usage.features) >= MAX_FEATURES:
            return
        f = summary.usage.features[name] = FeatureUsage(name)
    f.issued = count
    f.issued_source = f"license {source}" if count is not None else f"license {source} (uncounted)"


class EventWriter:
    """Writes usage events as NDJSON while the log is read (streaming: nothing is kept)."""

    def __init__(self, stream: Any, redact: bool = False):
        import json

        self.stream = stream
        self.count = 0
        self._dumps = json.dumps
        self._redactor = None
        if redact:
            from ..redact import Redactor

            self._redactor = Redactor()

    def write(self, rec: Any) -> None:
        d = rec.to_dict()
        r = self._redactor
        if r is not None:
            for key, kind in (("user", "user"), ("host", "host")):
                if d.get(key):
                    d[key] = r.alias(kind, str(d[key]))
        self.stream.write(self._dumps(d, ensure_ascii=False) + "\n")
        self.count += 1
        if self.count % 1000 == 0:
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


def _follow(logscan, path, cancel, show, since, on_usage=None):
    import signal
    import threading

    # Ctrl-C cancels the token; the scanner returns what it has and the report is printed.
    result = {}
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        result["s"] = logscan.follow_file(path, cancel, show, since, on_usage=on_usage)
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    return result["s"]


def emit_report(report, args, summary=None) -> int:
    import sys

    from ._common import emit, output_format

    code = emit(report, args)
    fmt = output_format(args)
    if summary is not None and fmt in ("text", "markdown") and summary.usage.features:
        sys.stdout.write(usage_section(summary.usage, fmt))
        sys.stdout.flush()
    return code


def usage_section(u: Any, fmt: str = "text", limit: int = 30) -> str:
    """The usage summary as a table after the report (JSON has it in full under "usage")."""
    rows = u.ranked()
    total = sum(u.hours) or 1
    head = ["feature", "peak", "issued", "when (first reached)", "checkouts", "denied", "queued"]
    table: List[List[str]] = []
    for f in rows[:limit]:
        table.append([f.feature, str(f.peak), "-" if f.issued is None else str(f.issued), f.peak_when or "-",
                      f"{f.checkouts:,}", f"{f.denied:,}", f"{f.queued:,}"])
    notes = []
    hours = u.busiest_hours()
    if hours:
        notes.append("Busiest hours (checkouts): " + ", ".join(
            f"{h:02d}-{(h + 1) % 24:02d} {100 * c // total}%" for h, c in hours))
    days = sorted(u.denied_days.items())
    if days:
        notes.append("Denials per day: " + ", ".join(f"{d} {n}" for d, n in days[-14:])
                     + (f" (last 14 of {len(days)} days)" if len(days) > 14 else ""))
    unmatched = sum(f.unmatched for f in rows)
    if unmatched:
        notes.append(f"{unmatched:,} license(s) came back that the log never saw go out (taken before it "
                     "began): the peaks may be higher than shown.")
    closed = sum(f.closed_by_restart for f in rows)
    if closed:
        notes.append(f"{closed:,} license(s) were still out when the server restarted: the restart closed them.")
    if len(rows) > limit:
        notes.append(f"... and {len(rows) - limit} more feature(s) (--format json lists all).")
    if fmt == "markdown":
        out = ["", "### usage", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in table]
        out += [""] + [f"- {n}" for n in notes]
        return "\n".join(out) + "\n"
    widths = [max(len(r[i]) for r in [head] + table) for i in range(len(head))]
    out = ["", "[usage]  peak = most licenses out at once"]
    for r in [head] + table:
        out.append("  " + "  ".join(c.ljust(w) if i in (0, 3) else c.rjust(w)
                                    for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    out += [f"  {n}" for n in notes]
    return "\n".join(out) + "\n"
