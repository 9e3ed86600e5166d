"""lmdoctor lint: check a license file for every mistake the manual describes."""
from __future__ import annotations

import argparse
import datetime as _dt

from ._common import InputError, Kind, add_format_option, emit, fail_input, read_input

HELP = "check a license file (syntax, copy damage, host, ports, dates, versions)"
DESCRIPTION = (
    "Parse a FlexLM license file and report every problem the Sigasi manual and FlexNet describe: "
    "placeholder or wrong SERVER host, host ids that are not this machine's MACs, missing SERVER/DAEMON "
    "lines, random vendor ports, daemon paths, expired or future features, copy damage (lost backslashes, "
    "curly quotes, mail-quote '>' prefixes, damaged SIGN values) and license tokens pasted as keys. "
    "Each finding names the line and the fix. Reads standard input when FILE is '-'."
)


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    return n


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="license file to check, or '-' for standard input")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--on-server", dest="on_server", action="store_const", const=True, default=None,
                      help="this machine is the license server (compare SERVER host and hostid with it)")
    role.add_argument("--on-client", dest="on_server", action="store_const", const=False,
                      help="this machine is a client (default: guess from whether a SERVER hostid is a local MAC)")
    p.add_argument("--warn-days", type=_count, default=30, metavar="N",
                   help="warn about features expiring within N days (default 30)")
    p.add_argument("--product-version", type=_count, metavar="MAJOR",
                   help="Sigasi Studio major version the key must serve, e.g. 5 (a 4.x key does not serve 5)")
    p.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="check dates as of this day (default: today)")
    p.add_argument("--no-host", action="store_true",
                   help="do not compare with this machine's host name and MACs (lint the text only)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from ..filekind import FileKind, wrong_kind_message
    from ..findings import Report
    from ..hostinfo import current_identity, tcp_port_free
    from ..license import parse_license
    from ..license.lint import LintOptions, lint_license

    try:
        data = read_input(args.file, Kind.LICENSE)
    except InputError as exc:
        return fail_input(str(exc))
    wrong = wrong_kind_message(data, FileKind.LICENSE, args.file)
    if wrong:
        return fail_input(wrong)
    label = "<stdin>" if args.file == "-" else args.file
    lic = parse_license(data, path=label)
    del data  # the parsed model is lossless: the raw bytes need not stay beside it during the lint
    opts = LintOptions(on_server=args.on_server, warn_days=args.warn_days, product_version=args.product_version,
                       today=args.today, identity=None if args.no_host else current_identity(), label=label,
                       port_free=None if args.no_host else tcp_port_free)
    report = Report("lint", lint_license(lic, opts), meta={"license": label})
    return emit(report, args)
