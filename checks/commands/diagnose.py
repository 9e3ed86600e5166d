"""lmdoctor diagnose: walk the troubleshooting tree from a pasted message to the fix."""
from __future__ import annotations

import argparse
import re

from ..serverspec import argparse_server
from ._common import add_format_option

HELP = "guided troubleshooting: from an error message to its cause and fix, step by step"
DESCRIPTION = (
    "Paste the message you see (a dialog text, a debug-log line, an error code such as -13,66) and lmdoctor "
    "finds the matching symptom, then walks the troubleshooting tree built from the Sigasi manual: each step "
    "is a question (answered by you) or a probe (answered by lmdoctor from the license file, this machine "
    "and the debug log, with --auto). Steps have short ids (S2, S2.3) so a helpdesk agent can say 'go to "
    "step S2.3'. With a terminal and no --format it asks interactively (numbered choices, b = back, "
    "q = quit). Otherwise it walks with the --answer and --auto results given and prints the path, the "
    "evidence and the diagnosis with its fix; when it reaches a question nobody answered, it stops there and "
    "prints the question with the --answer STEP=CHOICE options to re-run with."
)
EPILOG = (
    "exit status: 0 a diagnosis (leaf) was reached; 3 lmdoctor stopped before one: a question needs an "
    "--answer, the message matched no symptom or several (the candidates are printed; pick one with "
    "--symptom), or the arguments were wrong.\n"
    "examples:\n"
    "  lmdoctor diagnose --list\n"
    "  lmdoctor diagnose 'Exiting due to signal 32' --auto\n"
    "  lmdoctor diagnose -13 --license sigasi.lic --auto --format json\n"
    "  lmdoctor diagnose 'the floating license server does not work' --answer S5=running --answer S5.1=no"
)


def _answer(text: str):
    step, sep, choice = text.partition("=")
    if not sep or not step.strip() or not choice.strip():
        raise argparse.ArgumentTypeError(f"expected STEP=CHOICE, e.g. S2.3=yes (got {text!r})")
    return step.strip().upper(), choice.strip()


def register(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    # "-13,66" and "-15,570:111" are messages (error codes), not options.
    p._negative_number_matcher = re.compile(r"^-\d")
    p.epilog = EPILOG
    p.add_argument("message", nargs="?", metavar="MESSAGE",
                   help="the message you see: dialog text, a log line, an error code (quote it)")
    p.add_argument("--list", action="store_true", help="list the symptoms lmdoctor can diagnose, and exit")
    p.add_argument("--symptom", metavar="ID", help="start at this symptom (see --list) instead of matching MESSAGE")
    p.add_argument("--step", metavar="STEP", type=str.upper,
                   help="start at this step (e.g. S5.10) instead of the symptom's first step: 'go to step S5.10'")
    p.add_argument("--answer", "-a", action="append", type=_answer, default=[], metavar="STEP=CHOICE",
                   help="answer step STEP with CHOICE (its key or number), e.g. --answer S2.3=yes; repeatable")
    p.add_argument("--auto", action="store_true",
                   help="let probes answer what they can: the license file, this machine's processes, ports, "
                        "files, the debug log, and connections to --server")
    p.add_argument("--license", metavar="FILE",
                   help="license file the probes read (default: the -c of a running lmgrd)")
    p.add_argument("--server", action="append", type=argparse_server, default=[], metavar="PORT@HOST",
                   help="license server the network probes contact; repeatable")
    p.add_argument("--log", action="append", default=[], metavar="FILE",
                   help="lmgrd debug log the probes read (default: the -l of a running lmgrd); repeatable")
    p.add_argument("--product-version", type=int, metavar="MAJOR",
                   help="Sigasi Studio major version the key must serve (for the key-version probe)")
    p.add_argument("--timeout", type=float, default=3.0, metavar="S", help="network probe timeout (default 3 s)")
    add_format_option(p)


def needs_linux(args: argparse.Namespace) -> bool:
    """Only --auto measures this machine; otherwise the steps ask (checks/platforms.py)."""
    return bool(getattr(args, "auto", False))


def run(args: argparse.Namespace) -> int:
    from .diagnose_run import run_diagnose

    return run_diagnose(args)
