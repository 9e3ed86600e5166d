"""`lmdoctor report`: one file with everything a helpdesk asks for (JSON, with its Markdown beside it)."""
from __future__ import annotations

import argparse

from ..serverspec import argparse_server
from .check import _timeout

NEEDS_LINUX = True  # runs the check of this machine (checks/platforms.py)
HELP = "write one helpdesk report: check, lint, debug log, lmstat/lmdiag, host ids, versions (JSON + Markdown)"
DESCRIPTION = (
    "Collect everything support asks for into one file: the check's findings, the license lint, the debug "
    "log's last start-up and its error lines, lmstat -a and lmdiag -n output of every server that answers, "
    "this machine's host ids (MACs) and addresses, versions, and a troubleshooter transcript (--walk FILE, "
    "the JSON of `lmdoctor diagnose --format json`). Writes FILE (JSON) and FILE with .md beside it; "
    "`lmdoctor view FILE` opens it on another machine. --redact hides customer names, VENDOR_STRING, "
    "SIGN, user and host names and IP addresses (the same alias everywhere in the file)."
)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write the JSON (default: lmdoctor-report-HOST-DATE.json here); "
                        "'-' prints the JSON to standard output and writes no file")
    p.add_argument("--license", metavar="FILE", help="the license file to check (default: find it)")
    p.add_argument("--server", metavar="PORT@HOST", action="append", default=[], type=argparse_server,
                   help="a license server to test (repeatable; a triad as p1@h1,p2@h2,p3@h3)")
    p.add_argument("--timeout", metavar="S", type=_timeout, default=3.0,
                   help="TCP connect and name lookup timeout in seconds (default 3)")
    p.add_argument("--log", metavar="FILE", help="the debug log (default: the -l of the running lmgrd)")
    p.add_argument("--walk", metavar="FILE", help="include this troubleshooter transcript "
                                                   "(`lmdoctor diagnose ... --format json`)")
    p.add_argument("--no-lmutil", dest="use_lmutil", action="store_false",
                   help="do not run lmutil lmstat / lmdiag against the servers")
    p.add_argument("--redact", action="store_true",
                   help="hide customer names, VENDOR_STRING, SIGN, user names, host names and IPs")


def _default_name() -> str:
    import datetime as _dt
    import re
    import socket

    host = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname().split(".")[0] or "host")
    return f"lmdoctor-report-{host}-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"


def _read_walk(path: str):
    import json

    from ..inputgate import InputError, Kind, read_input

    try:
        text = read_input(path, Kind.TEXT).decode("utf-8", "replace")
    except InputError as exc:
        raise ValueError(str(exc)) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(f"{path} is not JSON: save the transcript with "
                         "`lmdoctor diagnose ... --format json`") from None
    walk = data.get("walk", data) if isinstance(data, dict) else None
    if not isinstance(walk, dict) or "symptom" not in walk:
        raise ValueError(f"{path} is not a troubleshooter transcript (no \"symptom\"); save one with "
                         "`lmdoctor diagnose ... --format json`")
    return walk


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    from ..findings import ExitCode
    from ..report import ReportOptions, collect, redact_document, to_json, write_report
    from ..runtime import CancelToken
    from ._common import fail_input

    transcript = None
    if args.walk:
        try:
            transcript = _read_walk(args.walk)
        except ValueError as exc:
            return fail_input(str(exc))
    if args.log and not os.path.isfile(args.log):
        return fail_input(f"log not found: {args.log} (give the file lmgrd writes with -l)")
    out = args.output or _default_name()
    if out != "-":
        parent = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(parent):
            return fail_input(f"cannot write {out}: the directory {parent} does not exist")
    progress = None
    if sys.stderr.isatty():
        def progress(msg: str) -> None:
            sys.stderr.write(f"\rlmdoctor report: {msg}...\x1b[K")
            sys.stderr.flush()
    opts = ReportOptions(license_path=args.license, servers=list(args.server or []), timeout=args.timeout,
                         log_path=args.log, use_lmutil=args.use_lmutil, transcript=transcript)
    doc = collect(opts, cancel=CancelToken(), progress=progress)
    if progress is not None:
        sys.stderr.write("\r\x1b[K")
    if args.redact:
        doc = redact_document(doc)
    if out == "-":
        sys.stdout.write(to_json(doc))
        return int(doc["exit_code"])
    try:
        paths = write_report(doc, out)
    except Exception as exc:  # SafeWriteError or OSError: say which file and why
        return fail_input(f"cannot write {out}: {exc}")
    c = doc["summary"]
    counts = ", ".join(f"{c[k]} {k}" for k in ("fail", "warn", "ok", "info", "skip") if c.get(k))
    print(f"lmdoctor: report written to {paths[0]} (and {os.path.basename(paths[1])}): {counts or 'no findings'}"
          + ("; redacted" if args.redact else ""), file=sys.stderr)
    print(paths[0])
    return int(doc["exit_code"]) if doc["exit_code"] in (0, 1, 2) else int(ExitCode.ERROR)
