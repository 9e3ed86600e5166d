"""Shared pieces of the subcommands: output format, input reading, error exits."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from ..findings import ExitCode, Report

MAX_INPUT_BYTES = 256 * 1024 * 1024


class InputError(Exception):
    """lmdoctor could not read what it was given. The message names the problem and the next step."""


def add_format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default=None,
        help="output format (default: text; json for scripts, markdown to paste into a ticket)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show detail for ok findings too")


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
    sys.stdout.write(render(report, fmt, colour=colour, verbose=getattr(args, "verbose", False)))
    sys.stdout.flush()
    return int(report.exit_code)


def fail_input(message: str) -> int:
    print(f"lmdoctor: {message}", file=sys.stderr)
    return int(ExitCode.ERROR)


def read_input(path: str, what: str = "file", limit: Optional[int] = MAX_INPUT_BYTES) -> bytes:
    """Read a file (or stdin for '-') as bytes, raising InputError with a helpful message."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1 if limit else -1)
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1 if limit else -1)
        except FileNotFoundError:
            raise InputError(f"{what} not found: {path} (check the path; use '-' to read standard input)") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory, not a {what}") from None
        except PermissionError:
            raise InputError(f"permission denied reading {path} "
                             "(run as a user who can read it, or copy it somewhere readable)") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if limit and len(data) > limit:
        raise InputError(f"{path} is larger than {limit // (1024 * 1024)} MB; that is not a {what}")
    return data
