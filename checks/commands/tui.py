"""lmdoctor tui: the Textual app (the default when lmdoctor runs on a terminal without a command)."""
from __future__ import annotations

import argparse

from ..serverspec import argparse_server
from .lint import _count

HELP = "open the interactive app (default when run on a terminal with no command)"
NEEDS_LINUX = True  # its Check tab reads this machine (checks/platforms.py)
DESCRIPTION = (
    "Open lmdoctor's terminal app: a live check of this machine, the guided troubleshooter, "
    "error explanations and the license linter, in tabs. Press ctrl+p for the command palette."
)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--license", metavar="FILE", help="license file to check and lint")
    p.add_argument("--server", action="append", default=[], metavar="PORT@HOST", type=argparse_server,
                   help="a license server to probe (repeatable; a triad as p1@h1,p2@h2,p3@h3)")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--on-server", dest="on_server", action="store_const", const=True, default=None,
                      help="this machine is the license server (the inputs panel, i, changes it later)")
    role.add_argument("--on-client", dest="on_server", action="store_const", const=False,
                      help="this machine is a client (default: judged from a running lmgrd and the SERVER host)")
    p.add_argument("--warn-days", type=_count, default=30, metavar="N",
                   help="warn about features expiring within N days (default 30)")
    p.add_argument("--log", metavar="FILE", help="debug log for the Log tab and the troubleshooter")
    p.add_argument("--symptom", metavar="MESSAGE", help="start the troubleshooter with this pasted message")
    p.add_argument("--no-autorun", action="store_true", help="do not start a check when the app opens")
    p.add_argument("--no-probes", action="store_true",
                   help="the troubleshooter asks every step instead of measuring this machine")


def run(args: argparse.Namespace) -> int:
    import sys

    from ..findings import ExitCode

    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        print("lmdoctor: the app needs a terminal; use 'lmdoctor check' (or another command) for plain output",
              file=sys.stderr)
        return int(ExitCode.ERROR)
    # Only this command loads Textual.
    from lmdoctor.tui.app import LmdoctorApp
    from lmdoctor.tui.state import Inputs

    inputs = Inputs(license_path=args.license, servers=list(args.server), log_path=args.log,
                    on_server=args.on_server, warn_days=args.warn_days)
    app = LmdoctorApp(inputs=inputs, symptom=args.symptom, autorun=not args.no_autorun, live=not args.no_probes,
                      remember=True)
    app.run()
    # One line on the terminal after the app is gone: what the last check found, where things were saved.
    if app.summary_line:
        print(app.summary_line, file=sys.stderr)
    return int(app.return_code or 0)
