"""lmdoctor daemon: start lmgrd with -z, show what it says, and say what it means."""
from __future__ import annotations

import argparse
import math
from typing import Optional

from ._common import add_format_option

HELP = "run lmgrd in the foreground (-z) for a few seconds and explain its output"
NEEDS_LINUX = True  # runs lmgrd under a pty in its own process group (checks/platforms.py)
DESCRIPTION = (
    "The manual's first step when a floating license server misbehaves: start lmgrd with -z and read what "
    "it prints. lmdoctor runs `lmgrd -z -c LICENSE` (lmgrd from --lmgrd, else next to the license, else PATH) "
    "in its own process group for --seconds, classifies every line (port in use, wrong hostid, no SERVER "
    "lines, another server running, vendor-daemon exit reasons, harmless UNSUPPORTED probes ...), then stops "
    "lmgrd and its vendor daemons (SIGTERM, then SIGKILL after --grace) and prints the classified transcript "
    "and a verdict. It also compares `lmgrd -v` with the vendor daemon's `-v`. Do not run it while the real "
    "server is up: the second lmgrd would only report that the port is in use. Ctrl-C stops it early and "
    "still prints what was captured. lmdoctor never runs a binary because a license file names it: lmgrd "
    "itself starts the DAEMON line's vendor daemon, as it always does, but the `-v` version probe only runs "
    "--vendor-daemon PATH or a DAEMON binary that sits in lmgrd's own directory."
)


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v) or v <= 0 or v > 24 * 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 86400 seconds")
    return v


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--license", "-c", dest="license", metavar="FILE",
                   help="license file to start lmgrd with (lmgrd -c FILE); required unless --cleanup")
    p.add_argument("--cleanup", action="store_true",
                   help="stop what earlier daemon runs left running (after lmdoctor itself was killed) and exit")
    p.add_argument("--lmgrd", metavar="PATH", help="the lmgrd to run (default: next to the license, else on PATH)")
    p.add_argument("--vendor-daemon", metavar="PATH",
                   help="vendor daemon to ask for its version (default: the one named after the vendor next "
                        "to lmgrd; a DAEMON-line path elsewhere is never run)")
    p.add_argument("--seconds", type=_positive, default=10.0, metavar="N",
                   help="stop lmgrd after N seconds (default 10)")
    p.add_argument("--grace", type=_positive, default=3.0, metavar="S",
                   help="seconds between SIGTERM and SIGKILL when stopping (default 3)")
    p.add_argument("--no-versions", dest="versions", action="store_false",
                   help="do not run `lmgrd -v` and `<vendor> -v`")
    live = p.add_mutually_exclusive_group()
    live.add_argument("--live", dest="live", action="store_const", const=True, default=None,
                      help="print each line to stderr as it arrives (default: when stderr is a terminal)")
    live.add_argument("--no-live", dest="live", action="store_const", const=False,
                      help="do not print lines as they arrive")
    add_format_option(p)


def transcript_text(lines, fmt: str) -> str:
    body = [ln.render() for ln in lines]
    head = f"Transcript ({len(lines)} line{'s' if len(lines) != 1 else ''}):"
    if fmt == "markdown":
        return "\n".join(["### transcript", "", "```text"] + [b.replace("```", "'''") for b in body] + ["```"])
    return "\n".join([head] + ["  " + b for b in body] if body else [head, "  (no output)"])


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    from ..findings import Report
    from ..flexnet.daemon import diagnose_daemon, find_lmgrd
    from ._common import InputError, Kind, emit, fail_input, output_format, read_input, use_colour

    if args.cleanup:
        return _cleanup(args)
    if not args.license:
        return fail_input("give the license file to start lmgrd with: --license FILE (or --cleanup)")
    try:
        read_input(args.license, Kind.LICENSE)
    except InputError as exc:
        return fail_input(str(exc))
    lic = os.path.abspath(args.license)
    loc = find_lmgrd(lic, args.lmgrd)
    refused = _not_runnable(loc, args.vendor_daemon)
    if refused:
        return fail_input(refused)
    assert loc.path is not None  # _not_runnable refuses a missing lmgrd

    live = args.live if args.live is not None else _isatty(sys.stderr)
    fmt = output_format(args)
    if live:
        print(f"lmdoctor: running {loc.path} -z -c {lic} for {args.seconds:g} s (lmgrd {loc.how}); "
              "Ctrl-C stops it", file=sys.stderr, flush=True)

    # `kill lmdoctor` stops lmgrd too: the CLI turns SIGTERM/SIGHUP into the Ctrl-C path the runner handles.
    drun, findings = diagnose_daemon(lic, loc.path, seconds=args.seconds,
                                     on_line=_line_printer(use_colour(sys.stderr)) if live else None,
                                     vendor_daemon=args.vendor_daemon, versions=args.versions, grace=args.grace)
    meta = {
        "license": lic,
        "lmgrd": loc.path,
        "lmgrd_found": loc.how,
        "run": drun.to_dict(),
        "transcript": [ln.to_dict() for ln in drun.lines],
    }
    if fmt != "json":
        meta["heading"] = transcript_text(drun.lines, fmt)
    report = Report("daemon", findings, meta=meta)
    if live and drun.stop_reason == "interrupted":
        print("lmdoctor: interrupted; lmgrd stopped. What was captured:", file=sys.stderr, flush=True)
    return emit(report, args)


def _not_runnable(loc, vendor_daemon: Optional[str]) -> Optional[str]:
    """Why lmgrd (or the given vendor daemon) will not be run, as the one-line message; None if it will."""
    import os

    if loc.path is None:
        return f"lmgrd not found ({loc.note}); pass its path with --lmgrd PATH"
    if not os.path.exists(loc.path):
        return f"lmgrd not found: {loc.path} (check the --lmgrd path)"
    if os.path.isdir(loc.path):
        return f"{loc.path} is a directory, not lmgrd; pass the lmgrd program itself with --lmgrd PATH"
    if loc.how != "given":
        from ..procs import untrusted

        why = untrusted(loc.path)
        if why is not None:  # root never runs a binary another user could have changed, unless told to
            return (f"not running {why.path} as root: owned by {why.owner}, {why.reason}; "
                    f"pass --lmgrd {why.path} to run it anyway")
    if vendor_daemon and not os.path.isfile(vendor_daemon):
        return f"vendor daemon not found: {vendor_daemon} (check the --vendor-daemon path)"
    return None


def _line_printer(colour: bool):
    """Each transcript line to stderr as it arrives, coloured by status on a colour terminal."""
    import sys

    def show(ln) -> None:
        text = ln.render()
        if colour and ln.status in _COLOURS:
            text = f"{_COLOURS[ln.status]}{text}\033[0m"
        try:
            print(text, file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass  # stderr closed (the terminal went away): the report still gets written
    return show


_COLOURS = {"fail": "\033[31m", "warn": "\033[33m", "ok": "\033[32m", "info": "\033[2m"}


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def _cleanup(args: argparse.Namespace) -> int:
    """`daemon --cleanup`: stop the leftovers of earlier runs recorded in the state directory."""
    import sys

    from ..findings import ExitCode
    from ..flexnet.daemon import cleanup

    handled, signalled, survivors = cleanup(grace=args.grace)
    for rec in handled:
        print(f"lmdoctor daemon run of {rec.started_at} ({rec.license}): "
              + (f"stopped {', '.join(str(p.pid) for p in rec.processes if p.pid in signalled)}"
                 if any(p.pid in signalled for p in rec.processes) else "nothing left running"))
    if not handled:
        print("Nothing to clean up: no earlier lmdoctor daemon run left processes behind.")
    if survivors:
        print(f"lmdoctor: {len(survivors)} process(es) survived SIGKILL: {' '.join(map(str, survivors))}",
              file=sys.stderr)
        return int(ExitCode.FAIL)
    return int(ExitCode.OK)

