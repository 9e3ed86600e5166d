"""`lmdoctor sandbox`: start, stop and inspect a sandbox FlexNet license server."""
from __future__ import annotations

import argparse

from ._common import add_format_option

HELP = "start a sandbox FlexNet license server (lmgrd + sigasi on 127.0.0.1) for tests, training and demos"
DESCRIPTION = (
    "Writes a license file and executables lmgrd, sigasi and lmutil into a directory and starts lmgrd, "
    "healthy or broken in one of the listed ways. The processes are real (named lmgrd and sigasi, "
    "listening on 127.0.0.1) and speak FlexNet's command-line and log language, so every lmdoctor "
    "command works on them as on a real server. 'lmdoctor sandbox list' shows the scenarios."
)


def _seconds(allow_zero: bool):
    """A finite number of seconds, > 0 (or >= 0): checked before anything is started."""
    def parse(text: str) -> float:
        import math

        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"must be a number of seconds {'>= 0' if allow_zero else '> 0'}, "
                                             f"not {text!r}")
        return v
    return parse


def register(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    s = sub.add_parser("start", help="write the files and start lmgrd (default scenario: healthy)")
    s.add_argument("--scenario", default="healthy", help="what goes wrong (see 'lmdoctor sandbox list')")
    s.add_argument("--dir", help="directory to use (default: a new temporary directory)")
    s.add_argument("--timeout", type=_seconds(False), default=30.0, help="seconds to wait for the scenario to play out")
    s.add_argument("--port-retry", type=_seconds(True), default=2.0,
                   help="seconds lmgrd retries a busy SERVER port (the real one: about 5 minutes)")
    add_format_option(s)
    t = sub.add_parser("stop", help="stop every process the sandbox started (idempotent)")
    t.add_argument("--dir", help="the sandbox directory (default: the last one started)")
    add_format_option(t)
    u = sub.add_parser("status", help="show the sandbox's processes and their ports")
    u.add_argument("--dir", help="the sandbox directory (default: the last one started)")
    add_format_option(u)
    v = sub.add_parser("list", help="list the scenarios, one line each: name and what goes wrong")
    add_format_option(v)


def needs_linux(args: argparse.Namespace) -> bool:
    """Every action but 'list' starts or reads FlexNet-named processes (checks/platforms.py)."""
    return getattr(args, "action", None) != "list"


def run(args: argparse.Namespace) -> int:
    from . import sandbox_run

    return sandbox_run.run(args)
