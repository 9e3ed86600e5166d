"""`lmdoctor view FILE`: open what a customer sends (a saved report, a debug log, lmstat output, a license)."""
from __future__ import annotations

import argparse

HELP = "open a saved report, a debug log, lmstat output or a license file in the app (read-only)"
DESCRIPTION = (
    "Open what a customer sent in the right place: an lmdoctor report (from `lmdoctor report` or the app's "
    "ctrl+s) shows its findings, lint, log excerpt and troubleshooter transcript, and the troubleshooter's "
    "probes answer from the report's evidence instead of this machine; a license file opens in the License "
    "tab, a debug log in the Log tab, lmstat output as findings. Without a terminal (or with --format) a "
    "report is printed instead (markdown by default)."
)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the file to open")
    p.add_argument("--format", choices=("text", "markdown", "json"), default=None,
                   help="print the report instead of opening the app (text is the markdown)")


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    from ..filekind import DESCRIPTION as KIND_TEXT
    from ..filekind import FileKind, sniff
    from ..inputgate import InputError, Kind, read_input
    from ..report import ReportError, document_exit_code, load_document, render_markdown, to_json
    from ._common import fail_input

    path = args.file
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except FileNotFoundError:
        return fail_input(f"{path} not found (check the path)")
    except IsADirectoryError:
        return fail_input(f"{path} is a directory; give the file the customer sent")
    except OSError as exc:
        return fail_input(f"cannot read {path}: {exc.strerror or exc}")
    kind = sniff(head).kind
    doc = None
    if kind is FileKind.REPORT_JSON:
        try:
            doc = load_document(read_input(path, Kind.LMSTAT), path)
        except (InputError, ReportError) as exc:
            return fail_input(str(exc))
    elif kind in (FileKind.BINARY, FileKind.EMPTY, FileKind.UNKNOWN, FileKind.REPORT_TEXT):
        hint = (" It is already readable as text; `lmdoctor view` opens the .json saved beside it."
                if kind is FileKind.REPORT_TEXT else "")
        return fail_input(f"{path} looks like {KIND_TEXT[kind]}, not a report, debug log, lmstat output or license "
                          f"file.{hint}")
    tty = sys.stdout.isatty() and sys.stdin is not None and sys.stdin.isatty()
    if args.format or not tty:
        if doc is None:
            from ..filekind import COMMAND

            cmd = COMMAND.get(kind, "lmdoctor view {file}").format(file=path)
            return fail_input(f"{path} is {KIND_TEXT[kind]}; without a terminal run `{cmd}`")
        sys.stdout.write(to_json(doc) if args.format == "json" else render_markdown(doc))
        return int(document_exit_code(doc))
    from lmdoctor.tui.app import LmdoctorApp
    from lmdoctor.tui.view import ViewSpec

    app = LmdoctorApp(autorun=False, view=ViewSpec(kind=kind.name, path=os.path.abspath(path), document=doc))
    app.run()
    if app.summary_line:
        print(app.summary_line, file=sys.stderr)
    return int(app.return_code or 0)
