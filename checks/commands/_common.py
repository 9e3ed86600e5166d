"""Shared pieces of the subcommands: output format, input reading, error exits."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ..findings import ExitCode, Report

# Every reader goes through the one input gate (regular files or '-', a cap per kind); see inputgate.
from ..inputgate import InputError, Kind, read_input  # noqa: F401,E402  (re-exported for the commands)


def add_format_option(p: argparse.ArgumentParser, extra: Sequence[str] = (), extra_help: str = "") -> None:
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json") + tuple(extra),
        default=None,
        help="output format (default: text; json for scripts, markdown to paste into a ticket" + extra_help + ")",
    )
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also show what was seen (evidence) and the detail of ok/info findings")


def add_redact_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--redact", action="store_true",
                   help="hide customer names, VENDOR_STRING, SIGN, user names, host names, IPs and MACs behind "
                        "stable aliases (host-1, user-2, mac-1) so the report can go into a ticket")


def output_format(args: argparse.Namespace) -> str:
    return getattr(args, "format", None) or "text"


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except Exception:
        return False


def emit(report: Report, args: argparse.Namespace) -> int:
    from ..render import render

    fmt = output_format(args)
    if getattr(args, "redact", False):
        from ..redact import redact_report

        report = redact_report(report)
    colour = fmt == "text" and use_colour()
    if fmt == "json":
        from ..render import write_json

        write_json(report, sys.stdout)  # streamed: a large report is never held as one string
    else:
        sys.stdout.write(render(report, fmt, colour=colour, verbose=getattr(args, "verbose", False)))
    sys.stdout.flush()
    return int(report.exit_code)


def fail_input(message: str) -> int:
    print(f"lmdoctor: {message}", file=sys.stderr)
    return int(ExitCode.ERROR)
