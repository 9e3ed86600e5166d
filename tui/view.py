"""Opening what a customer sent (``lmdoctor view FILE``, ctrl+o): the file goes to the tab that reads it.

A report fills the Check tab (its findings, marked as the report's), the License tab (its lint) and
the Diagnose tab (its transcript, replayed; further probes answer from the report's evidence).
A license file is linted in the License tab, a debug log analysed in the Log tab, lmstat output
shown as findings in the Check tab. Nothing here runs on this machine's behalf: the view is read-only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional


@dataclass
class ViewSpec:
    kind: str                 # a checks.filekind.FileKind name: REPORT_JSON, LICENSE, DEBUG_LOG, LMSTAT
    path: str
    document: Optional[Dict[str, Any]] = None   # the loaded report (REPORT_JSON)

    @property
    def tab(self) -> str:
        return {"LICENSE": "license", "DEBUG_LOG": "log"}.get(self.kind, "check")

    def origin(self) -> str:
        doc = self.document or {}
        host = ((doc.get("sections") or {}).get("host") or {}).get("name") or "?"
        return f"{self.path} (host {host}, {doc.get('created', '?')})"


def apply_view(app: Any, spec: ViewSpec) -> None:
    if spec.kind == "REPORT_JSON" and spec.document is not None:
        _show_report(app, spec)
    elif spec.kind == "LICENSE":
        app.lint_file(spec.path)
    elif spec.kind == "DEBUG_LOG":
        app.open_log(spec.path)
    elif spec.kind == "LMSTAT":
        _show_lmstat(app, spec.path)


def _show_report(app: Any, spec: ViewSpec) -> None:
    from lmdoctor.checks.report import section_findings

    doc = spec.document or {}
    check = app.body("check")
    if check is not None:
        findings = section_findings(doc, "check") or section_findings(doc, next(iter(doc.get("sections") or {}), ""))
        check.show_findings(findings, f"From the report {spec.origin()}: read-only")
    lint = section_findings(doc, "lint")
    lic = app.body("license")
    if lic is not None and lint:
        path = ((doc.get("sections") or {}).get("license") or {}).get("path") or "the report's license"
        lic.show_findings(path, lint)
    walk = (doc.get("sections") or {}).get("diagnose")
    diag = app.body("diagnose")
    if diag is not None and isinstance(walk, dict):
        diag.replay(walk, doc)
    app.action_show_tab("check")


def _show_lmstat(app: Any, path: str) -> None:
    from lmdoctor.checks.flexnet.lmstat import parse_lmstat
    from lmdoctor.checks.flexnet.lmutil import lmstat_findings
    from lmdoctor.checks.inputgate import Kind, read_input

    text = read_input(path, Kind.LMSTAT).decode("utf-8", "replace")
    found = lmstat_findings(parse_lmstat(text), source=path)
    check = app.body("check")
    if check is not None:
        check.show_findings(list(found), f"lmstat output {path}: read-only")
    app.action_show_tab("check")


def open_file(app: Any, path: str) -> Optional[str]:
    """Open ``path`` in the app (ctrl+o); returns a message when it cannot be shown."""
    import os

    from lmdoctor.checks.filekind import DESCRIPTION, FileKind, sniff
    from lmdoctor.checks.inputgate import InputError, Kind, read_input
    from lmdoctor.checks.report import ReportError, load_document

    from .state import expand_path

    path = expand_path(path) or ""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as exc:
        return f"Cannot open {path}: {exc.strerror or exc}"
    kind = sniff(head).kind
    doc = None
    if kind is FileKind.REPORT_JSON:
        try:
            doc = load_document(read_input(path, Kind.LMSTAT), path)
        except (InputError, ReportError) as exc:
            return str(exc)
    elif kind not in (FileKind.LICENSE, FileKind.DEBUG_LOG, FileKind.LMSTAT):
        return f"{path} looks like {DESCRIPTION[kind]}: not a report, debug log, lmstat output or license file"
    spec = ViewSpec(kind=kind.name, path=os.path.abspath(path), document=doc)
    try:
        apply_view(app, spec)
    except (OSError, InputError) as exc:
        return f"Cannot open {path}: {exc}"
    return None
