"""Where the app saves (a directory the user can find) and what: the report document of the screen.

ctrl+s writes ``report.json`` (the same document `lmdoctor report` writes, so `lmdoctor view`
opens it), ``report.md`` beside it and ``screen.svg`` (what the user saw) into a new directory
``lmdoctor-saved-DATE`` under the current directory, or under the state directory when the
current one is not writable (a headless server has no ~/Downloads).
"""
from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Dict, List, Optional, Tuple


def _state_dir() -> str:
    from lmdoctor.checks.statedir import StateDirError, state_dir

    try:
        return state_dir()
    except StateDirError:
        return ""


def writable_dir(preferred: Optional[str] = None) -> str:
    """``preferred``, else the current directory, else the state directory: the first one writable."""
    try:
        here = os.getcwd()
    except OSError:  # the current directory was removed
        here = ""
    for cand in (preferred, here, _state_dir()):
        if not cand:
            continue
        try:
            os.makedirs(cand, exist_ok=True)
        except OSError:
            continue
        if os.access(cand, os.W_OK | os.X_OK):
            return cand
    return _state_dir() or "."


def new_save_dir(base: Optional[str] = None) -> str:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    root = writable_dir(base)
    path = os.path.join(root, f"lmdoctor-saved-{stamp}")
    n = 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(root, f"lmdoctor-saved-{stamp}-{n}")
    os.makedirs(path)
    return path


def screen_document(app: Any) -> Dict[str, Any]:
    """The report document of what every tab shows (tabs with nothing are left out)."""
    from lmdoctor.checks.report import host_section, make_document

    sections: Dict[str, Any] = {}
    for body in app.bodies():
        sec = body.saved_section()
        if sec is not None:
            sections[body.TAB_ID if body.TAB_ID != "license" else "lint"] = (
                sec["findings"] if body.TAB_ID == "license" else sec)
            if body.TAB_ID == "license":
                sections["license"] = {"path": sec.get("file")}
    sections["host"] = host_section()
    inputs = app.inputs
    return make_document(sections, inputs={"license": inputs.license_path, "servers": list(inputs.servers),
                                           "timeout": inputs.timeout, "log": inputs.log_path},
                         source="lmdoctor app (ctrl+s)")


def save_document(doc: Dict[str, Any], directory: str, svg: Optional[str], redact: bool) -> Tuple[str, List[str]]:
    """Write report.json, report.md and screen.svg into ``directory``; returns (directory, files)."""
    from lmdoctor.checks.report import redact_document, write_report
    from lmdoctor.checks.safe_write import write_file

    if redact:
        doc = redact_document(doc)
    files = write_report(doc, os.path.join(directory, "report.json"))
    if svg is not None and not redact:  # a screenshot cannot be redacted: left out then
        shot = os.path.join(directory, "screen.svg")
        write_file(shot, svg.encode("utf-8"))
        files.append(shot)
    return directory, files
