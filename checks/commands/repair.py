"""`lmdoctor repair`: turn a broken license server into a working one; every change shown first, proved, undoable."""
from __future__ import annotations

import argparse

from ._common import add_format_option

HELP = "fix what check finds: license edits, links, server start/restart; shown first, journaled, undoable"
NEEDS_LINUX = True  # changes this machine: files, units, links (checks/platforms.py)
DESCRIPTION = (
    "Runs the same check as 'lmdoctor check' (the license is found the same way), then plans one action per "
    "fixable cause: license edits that never touch signed content (the SERVER host and port, DAEMON port= and "
    "path, USE_SERVER, copy damage), the /usr/tmp and LSB loader links the manual prescribes, ~/.flexlmrc, "
    "stopping a broken duplicate lmgrd, and starting or restarting lmgrd until lmstat says UP. What cannot "
    "be done safely is a manual step with the exact data (the hostid to request a key for, the expired "
    "features, the firewall lines). Each change is shown first (a diff, an argv, a link, a pid), backed up, "
    "written atomically, verified, and journaled under $XDG_STATE_HOME/lmdoctor/repairs/RUN_ID so --undo "
    "can take it back. On a terminal it asks per action (y/n/a/q); --yes applies every action, --dry-run "
    "none; with no terminal and neither flag it only shows the plan."
)
EPILOG = (
    "exit status: by what is still wrong after the repair: 0 nothing, 1 warnings, 2 failures; "
    "3 lmdoctor could not do the job (bad arguments, unreadable license, no journal).\n"
    "examples:\n"
    "  lmdoctor repair --license /opt/flexnet/sigasi.lic            # show the plan, ask per action\n"
    "  lmdoctor repair --license sigasi.lic --yes --format json     # apply everything, for scripts\n"
    "  lmdoctor repair --dry-run --only license.set-server-host\n"
    "  lmdoctor repair --only server.install-unit --license sigasi.lic\n"
    "  lmdoctor repair --list\n"
    "  lmdoctor repair --undo                                        # the most recent run that changed something"
)


def _action_id(text: str) -> str:
    from ..repair.registry import known

    if not known(text):
        raise argparse.ArgumentTypeError(f"unknown action {text!r}; 'lmdoctor repair --list' shows them")
    return text


def register(p: argparse.ArgumentParser) -> None:
    from ..serverspec import argparse_server
    from .check import _timeout

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument("--license", metavar="FILE", help="the license file to repair (default: find it as check does)")
    p.add_argument("--server", metavar="PORT@HOST", action="append", default=[], type=argparse_server,
                   help="a license server clients should use (repeatable); also checked like 'check --server'")
    p.add_argument("--vendor", metavar="NAME", help="vendor daemon name to look for besides 'sigasi'")
    p.add_argument("--timeout", metavar="S", type=_timeout, default=3.0,
                   help="TCP connect and name lookup timeout of the check, in seconds (default 3)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    mode.add_argument("--yes", "-y", action="store_true", help="apply every action without asking")
    p.add_argument("--only", metavar="ID", action="append", default=[], type=_action_id,
                   help="plan only this action (repeatable); server.install-unit is planned only this way")
    p.add_argument("--skip", metavar="ID", action="append", default=[], type=_action_id,
                   help="leave this action out (repeatable)")
    p.add_argument("--list", action="store_true", help="list every action: id, what it does, root?, reversible?")
    p.add_argument("--undo", metavar="RUN_ID", nargs="?", const="", default=None,
                   help="take back a repair run (default: the most recent one that changed something)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from .repair_run import main

    return main(args)
