"""The headless command line: ``lmdoctor SUBCOMMAND``.

Each subcommand lives in ``checks/commands/<name>.py`` and exposes ``HELP``,
``register(parser)`` and ``run(args) -> int``. Command modules import only what
argparse needs at module level; the heavy lifting is imported inside ``run`` so
``lmdoctor explain -15`` does not pay for psutil, and nothing here loads Textual
(the ``tui`` subcommand imports it lazily).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from . import __version__
from .findings import ExitCode

# Order is the order shown in --help.
COMMANDS = [
    "check",
    "lint",
    "explain",
    "diagnose",
    "daemon",
    "lmstat",
    "log",
    "sandbox",
    "tui",
]


class LmdoctorArgumentParser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; our contract says 3 (lmdoctor could not do the job)."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[name-defined]  # noqa: F821
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.ERROR), f"{self.prog}: error: {message}\n")


def _available_commands() -> List[str]:
    found = []
    for name in COMMANDS:
        try:
            importlib.import_module(f"{__package__}.commands.{name}")
        except ModuleNotFoundError as exc:
            # A command whose module is not written yet is simply not offered.
            if exc.name == f"{__package__}.commands.{name}":
                continue
            raise
        found.append(name)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = LmdoctorArgumentParser(
        prog="lmdoctor",
        description=(
            "Diagnose FlexNet (FlexLM) floating-license servers and say how to fix them, "
            "first for Sigasi Studio's 'sigasi' vendor daemon, then for any vendor."
        ),
        epilog=(
            "Exit codes: 0 all fine, 1 warnings, 2 failures, 3 lmdoctor could not do the job. "
            "Data goes to stdout, diagnostics to stderr. "
            "Run 'lmdoctor COMMAND --help' for each command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lmdoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=LmdoctorArgumentParser)
    for name in _available_commands():
        mod = importlib.import_module(f"{__package__}.commands.{name}")
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.register(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        # The default command opens the TUI when there is a terminal to draw on.
        if sys.stdin.isatty() and sys.stdout.isatty() and "tui" in _available_commands():
            args = parser.parse_args(["tui"])
        else:
            parser.print_help(sys.stderr)
            return int(ExitCode.ERROR)
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("lmdoctor: interrupted", file=sys.stderr)
        return int(ExitCode.ERROR)
    except BrokenPipeError:
        # `lmdoctor ... | head` closed the pipe: not our failure, but stop quietly.
        try:
            sys.stdout = None  # type: ignore[assignment]
        except Exception:
            pass
        return int(ExitCode.OK)


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()
