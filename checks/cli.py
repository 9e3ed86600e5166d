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
import os
import signal
import sys
import threading
from typing import List, NoReturn, Optional

from . import __version__
from .exceptions import LmdoctorError
from .findings import ExitCode

# Order is the order shown in --help.
COMMANDS = [
    "check",
    "lint",
    "explain",
    "diagnose",
    "repair",
    "daemon",
    "lmstat",
    "log",
    "serve",
    "sandbox",
    "report",
    "view",
    "tui",
    "completion",
]


class LmdoctorArgumentParser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; our contract says 3 (lmdoctor could not do the job)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.ERROR), f"{self.prog}: error: {message}\n")



def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only`` (a name in COMMANDS), just that command's subparser: importing
    and registering every command module is most of a command's start-up (the app's first paint)."""
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
    for name in COMMANDS if only is None else [only]:
        mod = importlib.import_module(f"{__package__}.commands.{name}")
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.register(p)
        p.set_defaults(_run=mod.run, _needs_linux=getattr(mod, "needs_linux", getattr(mod, "NEEDS_LINUX", False)))
    return parser


def _app_default(argv: List[str]) -> List[str]:
    """``lmdoctor --license X`` means ``lmdoctor tui --license X``: the app's options without a command."""
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        return ["tui"] + argv
    return argv


def _parse_and_run(argv: Optional[List[str]]) -> int:
    words = _app_default(list(sys.argv[1:] if argv is None else argv))
    if not words and sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty():
        words = ["tui"]  # the default command opens the TUI when there is a terminal to draw on
    # A known command first: only its parser is built. Anything else (--help, a typo) gets the whole one.
    parser = build_parser(only=words[0] if words and words[0] in COMMANDS else None)
    args = parser.parse_args(words)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return int(ExitCode.ERROR)
    from . import platforms

    refused = platforms.refusal(args)
    if refused:
        _say(refused)
        return int(ExitCode.ERROR)
    caution = platforms.note(args)
    if caution:
        _say(caution)
    return int(args._run(args))


def _say(message: str) -> None:
    try:
        print(f"lmdoctor: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass  # stderr is gone too: the exit status is all that is left


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's last flush of what is buffered cannot fail again."""
    try:
        fd = sys.__stdout__.fileno()  # type: ignore[union-attr]
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        sys.stdout = None


class OutputFailed(LmdoctorError):
    """Writing to standard output failed (full disk, closed pipe). Not an OSError on purpose: code that
    handles its own file errors must not mistake it for one; only ``main`` handles it."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedStdout:
    """sys.stdout for the length of a command: a failed write or flush raises OutputFailed, and is
    remembered, so even a failure that a library swallowed (argparse's --help) ends in exit 3."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self._stream = stream
        self.failed: Optional[OSError] = None

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            self.failed = self.failed or exc
            raise OutputFailed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self.failed = self.failed or exc
            raise OutputFailed(exc) from None

    def __getattr__(self, name: str):  # noqa: ANN204 - isatty, fileno, buffer, encoding ...
        return getattr(self._stream, name)


def _output_failed(exc: OSError, code: int) -> int:
    if isinstance(exc, BrokenPipeError):
        # `lmdoctor ... | head` closed the pipe: not our failure, but stop quietly.
        _silence_stdout()
        return code
    _silence_stdout()
    _say(f"cannot write the output to standard output: {exc.strerror or exc} "
         "(free some space, or send the output elsewhere)")
    return int(ExitCode.ERROR)


def _stop_children() -> None:
    """Every exit path ends what lmdoctor started (lmutil in a worker thread, lmgrd under the daemon runner)."""
    procs = sys.modules.get(f"{__package__}.procs")
    if procs is not None:
        try:
            procs.CHILDREN.stop_all()
        except Exception:  # noqa: BLE001 - exiting anyway; a failure here must not hide the real exit status
            pass


def _as_interrupt(_sig: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[List[str]] = None) -> int:
    """Run one command. The one place that turns every way out into an exit status and a clean end:
    closed or full standard output, Ctrl-C, SIGTERM/SIGHUP, --help, bad usage; children are stopped."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        _say("standard output is closed (>&-): nothing could be shown; redirect it to a file or /dev/null instead")
        return int(ExitCode.ERROR)
    old = {}
    if threading.current_thread() is threading.main_thread():
        # `kill lmdoctor` and a closed SSH session take the Ctrl-C path: children stopped, exit 3.
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                old[sig] = signal.signal(sig, _as_interrupt)
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        # A file name that is not valid UTF-8 is printed as its own bytes, never a UnicodeEncodeError.
        try:
            sys.stdout.reconfigure(errors="surrogateescape")
        except (ValueError, OSError):
            pass
    code = int(ExitCode.ERROR)
    real_stdout = sys.stdout
    guard = _GuardedStdout(real_stdout)
    sys.stdout = guard
    try:
        try:
            code = _parse_and_run(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else int(ExitCode.ERROR))
            if isinstance(exc.code, str):
                _say(exc.code)
        except KeyboardInterrupt:
            _stop_children()
            _say("interrupted")
            code = int(ExitCode.ERROR)
        except OutputFailed as exc:
            return _output_failed(exc.error, int(ExitCode.OK))
        try:
            guard.flush()
        except OutputFailed as exc:
            return _output_failed(exc.error, code)
        except ValueError:  # closed by the command
            pass
        if guard.failed is not None:  # swallowed on the way (argparse ignores write errors)
            return _output_failed(guard.failed, code)
        return code
    finally:
        _stop_children()
        if sys.stdout is guard:
            sys.stdout = real_stdout
        for sig, handler in old.items():
            signal.signal(sig, handler)


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()
