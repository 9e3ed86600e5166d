"""``lmdoctor explain TEXT...``: explain FlexLM error codes, exit signals and known messages."""
from __future__ import annotations

import argparse
import re

from ._common import add_format_option

HELP = "explain FlexLM error codes (-15,570:115), exit signals and known error messages"
DESCRIPTION = (
    "Explain what a FlexLM error means and what to do next. TEXT may be a bare code (-15), a code "
    "with minor and OS error (-18,327:10054), a daemon exit (\"EXITING DUE TO SIGNAL 41 Exit reason 9\", "
    "\"status 36\"), a dialog message (\"Internal Flexlm Error\") or whole debug-log lines; '-' reads "
    "standard input. The minor number is shown but has no public meaning.\n\n"
    "Exit codes: 0 only ok/info explanations, 1 a warning was explained, 2 a failure was explained, "
    "3 nothing in the text was recognised (a message saying so goes to stderr) or the input could "
    "not be read."
)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="*", metavar="TEXT",
                   help="codes, messages or log lines ('-' for standard input; several words are joined)")
    add_format_option(p)
    # "-18,327:10054" looks like an option to argparse; this subcommand has no numeric options,
    # so anything starting with "-<digit>" is text. ("--" before the text works too.)
    p._negative_number_matcher = re.compile(r"^-\d")
    p.formatter_class = argparse.RawDescriptionHelpFormatter


def run(args: argparse.Namespace) -> int:
    from ..explain import Explainer
    from ..findings import Report
    from ._common import InputError, emit, fail_input

    parts = list(args.text or [])
    if not parts:
        return fail_input("nothing to explain: give a code (e.g. -15), a message, or '-' to read standard input")
    ex = Explainer()
    if parts == ["-"]:
        try:
            _feed_stdin(ex)
        except InputError as exc:
            return fail_input(str(exc))
    else:
        ex.feed(" ".join(parts))
    findings = ex.findings()
    if not findings:
        return fail_input(
            f"nothing recognised in {ex.shown[:80]!r}: no FlexLM error code (like -15 or -18,327:10054), exit "
            "signal or known message. Paste the whole error line or dialog text.")
    report = Report("explain", findings, {"input_chars": ex.chars})
    return emit(report, args)


def _feed_stdin(ex) -> None:
    """Standard input through the input gate, a block at a time, each cut after a line feed.

    A pasted log up to the text cap is never held whole (nor its list of lines): memory stays at
    about a block. Decoding a piece that ends with a line feed gives the characters decoding the
    whole input gives (no UTF-8 sequence spans a line feed), so the findings are the same.
    """
    from ..inputgate import STDIN, Kind, read_line_blocks

    for piece in read_line_blocks(STDIN, Kind.TEXT):
        ex.feed(piece.decode("utf-8", errors="replace"))
