"""The helpdesk report: one JSON document with everything support asks for, and its Markdown.

``lmdoctor report`` collects it on the customer's machine (check findings, lint, the debug log's
last start-up and errors, lmstat/lmdiag output, host ids, versions, and the troubleshooter's
transcript when there is one); the app's ctrl+s writes the same document from what is on
screen; ``lmdoctor view REPORT`` opens it read-only elsewhere. ``redact_document`` hides what
identifies the customer, with the same aliases across every section.

The document::

    {"lmdoctor": "0.x", "command": "report", "format": 1, "created": ISO time,
     "redacted": bool, "inputs": {...}, "summary": {...}, "exit_code": 0..2,
     "sections": {"check": {...report_dict...}, "lint": [...], "log": {...}, "lmutil": [...],
                  "host": {...}, "versions": {...}, "diagnose": {...walk...}, ...}}
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from . import __version__
from .exceptions import LmdoctorError
from .findings import ExitCode, Finding, Report, Status, exit_code_for
from .runtime import NEVER_CANCELLED, CancelToken

FORMAT = 1
COMMAND = "report"
LOG_TAIL_BYTES = 8 * 1024 * 1024   # the end of a log holds the latest start-up
STARTUP_LINES = 60                  # lines kept from the last start-up on
ERROR_LINES = 40                    # error lines kept (with their line numbers)
LMUTIL_OUTPUT_CHARS = 64 * 1024     # raw lmstat / lmdiag text kept per server

Progress = Callable[[str], None]


class ReportError(LmdoctorError):
    """A file that is not an lmdoctor report (or a newer format than this lmdoctor reads)."""


@dataclass
class ReportOptions:
    license_path: Optional[str] = None
    servers: List[str] = field(default_factory=list)
    timeout: float = 3.0
    log_path: Optional[str] = None      # default: the -l of a running lmgrd serving the license
    use_lmutil: bool = True
    transcript: Optional[Dict[str, Any]] = None  # a diagnose walk (Walk.to_dict()) to include


# --------------------------------------------------------------------------- collecting
def collect(opts: ReportOptions, cancel: CancelToken = NEVER_CANCELLED,
            progress: Optional[Progress] = None) -> Dict[str, Any]:
    """Run the check and gather the rest; never raises for a part that fails (that part says why)."""
    from .check import CheckOptions, LicenseArgumentError, run_check
    from .render import report_dict

    say = progress or (lambda _msg: None)
    sections: Dict[str, Any] = {}
    say("checking this machine")
    copts = CheckOptions(license_path=opts.license_path, servers=list(opts.servers), timeout=opts.timeout,
                         use_lmutil=False)
    problems: List[Finding] = []
    try:
        check = run_check(copts, cancel=cancel)
    except LicenseArgumentError as exc:
        problems.append(Finding("report.license-unreadable", Status.FAIL, "The license file given cannot be read",
                                detail=str(exc), file=opts.license_path))
        copts.license_path = None
        check = run_check(copts, cancel=cancel)
    check.findings[:0] = problems
    cancel.check()
    lic = (check.meta.get("license") or {}).get("path")
    say("asking the license servers (lmstat, lmdiag)")
    lmutil = _lmutil_section(check, lic, opts, cancel) if opts.use_lmutil else []
    for run in lmutil:
        check.findings.extend(Finding.from_dict(d) for d in run.get("findings", []))
    sections["check"] = report_dict(check)
    sections["lint"] = [f.to_dict() for f in check.findings if f.area == "license"]
    sections["lmutil"] = lmutil
    cancel.check()
    say("reading the debug log")
    sections["log"] = _log_section(opts.log_path, check, cancel)
    sections["license"] = license_section(lic)
    sections["host"] = host_section()
    sections["versions"] = versions_section(check, sections["log"], lmutil)
    if opts.transcript:
        sections["diagnose"] = opts.transcript
    return make_document(sections, inputs={"license": opts.license_path, "servers": list(opts.servers),
                                           "timeout": opts.timeout, "log": opts.log_path})


def make_document(sections: Dict[str, Any], inputs: Optional[Dict[str, Any]] = None,
                  source: str = "lmdoctor report") -> Dict[str, Any]:
    """The document around ``sections``; the exit code follows the check's findings (or all findings)."""
    findings = [Finding.from_dict(d) for d in all_finding_dicts(sections)]
    check = sections.get("check")
    judged = [Finding.from_dict(d) for d in check.get("findings", [])] if isinstance(check, dict) else findings
    counts = {s.value: 0 for s in Status}
    for f in findings:
        counts[f.status.value] += 1
    return {
        "lmdoctor": __version__,
        "command": COMMAND,
        "format": FORMAT,
        "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "source": source,
        "redacted": False,
        "inputs": inputs or {},
        "summary": counts,
        "exit_code": int(exit_code_for(judged)),
        "sections": sections,
    }


def all_finding_dicts(sections: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every finding of every section, each once (lint findings are part of the check's too)."""
    out: List[Dict[str, Any]] = []
    seen = set()
    for name, sec in sections.items():
        items = sec.get("findings", []) if isinstance(sec, dict) else (sec if name == "lint" else [])
        for d in items if isinstance(items, list) else []:
            if isinstance(d, dict) and "id" in d:
                key = (d.get("id"), d.get("title"), d.get("file"), d.get("line"))
                if key not in seen:
                    seen.add(key)
                    out.append(d)
    return out


def _lmutil_section(check: Report, lic: Optional[str], opts: ReportOptions,
                    cancel: CancelToken) -> List[Dict[str, Any]]:
    specs = list(check.meta.get("open_servers") or [])
    if not specs:
        return []
    try:
        from .flexnet.lmutil import find_lmutil, run_lmdiag, run_lmstat
    except ImportError:  # pragma: no cover - ships with lmdoctor
        return []
    loc = find_lmutil(license_path=lic)
    if loc is None:
        return [{"server": s, "error": "lmutil not found next to the license, next to lmgrd or on PATH"}
                for s in specs]
    timeout = max(5.0, opts.timeout * 3)
    out = []
    for spec in specs:
        cancel.check()
        st = run_lmstat(spec, loc.path, timeout=timeout, cancel=cancel)
        dg = run_lmdiag(spec, loc.path, timeout=timeout, cancel=cancel)
        out.append({
            "server": spec, "lmutil": loc.path,
            "lmstat": {"argv": st.run.argv, "output": st.run.output[:LMUTIL_OUTPUT_CHARS],
                       "returncode": st.run.returncode},
            "lmdiag": {"argv": dg.run.argv, "output": dg.run.output[:LMUTIL_OUTPUT_CHARS],
                       "returncode": dg.run.returncode},
            "findings": [f.to_dict() for f in st.findings + dg.findings],
        })
    return out


def _log_paths(check: Report, given: Optional[str]) -> List[str]:
    if given:
        return [given]
    return list(check.meta.get("debug_logs") or [])


def _log_section(given: Optional[str], check: Report, cancel: CancelToken) -> Dict[str, Any]:
    paths = _log_paths(check, given)
    if not paths:
        return {"path": None, "note": "no debug log: no running lmgrd was started with -l, and none was given "
                                      "(--log FILE)"}
    path = paths[0]
    try:
        return read_log_excerpt(path, cancel)
    except OSError as exc:
        return {"path": path, "error": f"cannot read {path}: {exc.strerror or exc}"}


def read_log_excerpt(path: str, cancel: CancelToken = NEVER_CANCELLED) -> Dict[str, Any]:
    """The log's findings, its last start-up (the lines from it on) and its error lines, from its end."""
    from .flexnet.logscan import scan_stream, summary_findings

    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        start = max(0, size - LOG_TAIL_BYTES)
        fh.seek(start)
        if start:
            fh.readline()  # a partial first line
        offset = fh.tell()
        summary = scan_stream(fh, cancel=cancel, path=path)
        fh.seek(offset)
        tail = fh.read().decode("utf-8", "replace").splitlines()
    findings = summary_findings(summary)
    st = summary.last_startup
    startup: List[str] = []
    first_line = 1
    if st is not None and st.line_no:
        i = st.line_no - 1
        startup = [f"{first_line + i + k}: {t}" for k, t in enumerate(tail[i:i + STARTUP_LINES])]
    errors = [f"{first_line + i}: {t}" for i, t in enumerate(tail) if _is_error_line(t)][-ERROR_LINES:]
    return {
        "path": path, "bytes": size, "read_from": start,
        "lines_numbered_from": "the first whole line read" if start else "the start of the file",
        "last_startup": {"line": st.line_no, "when": st.when, "version": st.version, "host": st.host,
                         "outcome": st.outcome, "detail": st.detail} if st else None,
        "startup_lines": startup,
        "error_lines": errors,
        "findings": [f.to_dict() for f in findings],
    }


def _is_error_line(text: str) -> bool:
    t = text.upper()
    return any(k in t for k in ("DENIED", "EXITING", "EXITED", "ERROR", "CANNOT", "CAN'T", "UNSUPPORTED",
                                "WRONG HOSTID", "INVALID", "LOST", "FAILED"))


def license_section(path: Optional[str]) -> Dict[str, Any]:
    """The license file itself (support reads it first); SIGN and VENDOR_STRING go under --redact."""
    if not path:
        return {"path": None, "note": "no license file found"}
    try:
        from .inputgate import Kind, read_input

        data = read_input(path, Kind.LICENSE)
    except Exception as exc:
        return {"path": path, "error": str(exc)}
    return {"path": path, "text": data.decode("utf-8", "replace")}


def host_section() -> Dict[str, Any]:
    try:
        from .hostinfo import current_identity

        ident = current_identity()
    except Exception as exc:  # pragma: no cover - a machine without interfaces
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"name": ident.short_name, "fqdn": ident.fqdn, "addresses": sorted(ident.addresses),
            "hostids": ident.mac_list()}


def versions_section(check: Report, log: Dict[str, Any], lmutil: List[Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "lmdoctor": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "os_release": _os_release(),
    }
    st = log.get("last_startup") if isinstance(log, dict) else None
    if st and st.get("version"):
        out["lmgrd (from the log's last start-up)"] = st["version"]
    for run in lmutil:
        head = (run.get("lmstat") or {}).get("output", "").splitlines()[:3]
        for line in head:
            if "Copyright" in line or " v1" in line:
                out.setdefault("lmutil", line.strip())
    return out


def _os_release() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return sys.platform


# --------------------------------------------------------------------------- redaction
def redact_document(doc: Dict[str, Any]) -> Dict[str, Any]:
    """A copy with customer names, hosts, users, IPs, SIGN and VENDOR_STRING replaced by aliases.

    One Redactor for the whole document: host-1 in the check is host-1 in the log too.
    """
    from .redact import Redactor, _meta_strings

    r = Redactor()
    r.collect_machine()
    host = (doc.get("sections") or {}).get("host") or {}
    if isinstance(host, dict):
        r.add("host", host.get("name"))
        r.add("host", host.get("fqdn"))
    r.collect(_meta_strings(doc))
    out = r.meta(dict(doc))
    out["redacted"] = True
    return out


# --------------------------------------------------------------------------- reading and writing
def to_json(doc: Dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def load_document(data: bytes, path: str = "") -> Dict[str, Any]:
    """Parse a saved report (JSON); ReportError names what is wrong with it."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReportError(f"{path or 'the file'} is not a JSON lmdoctor report ({exc})") from None
    if not isinstance(doc, dict) or "lmdoctor" not in doc:
        raise ReportError(f"{path or 'the file'} is JSON but not an lmdoctor report (no \"lmdoctor\" key)")
    if "sections" not in doc:
        # The JSON of a single command (`lmdoctor check --format json`): one section.
        return make_document({str(doc.get("command") or "check"): doc}, source=f"lmdoctor {doc.get('command')}")
    if int(doc.get("format") or 1) > FORMAT:
        raise ReportError(f"{path} was written by a newer lmdoctor (report format {doc.get('format')}); "
                          "update lmdoctor to read it")
    return doc


def section_findings(doc: Dict[str, Any], name: str) -> List[Finding]:
    sec = (doc.get("sections") or {}).get(name)
    items = sec.get("findings", []) if isinstance(sec, dict) else (sec if isinstance(sec, list) else [])
    out = []
    for d in items:
        if isinstance(d, dict) and "id" in d and "status" in d:
            try:
                out.append(Finding.from_dict(d))
            except (ValueError, KeyError, TypeError):
                continue
    return out


def document_exit_code(doc: Dict[str, Any]) -> ExitCode:
    try:
        return ExitCode(int(doc.get("exit_code", 0)))
    except (TypeError, ValueError):
        return ExitCode.OK


# --------------------------------------------------------------------------- markdown
SECTION_TITLES = [("check", "Check of the machine"), ("lint", "License lint"), ("log", "Debug log"),
                  ("lmutil", "lmstat / lmdiag"), ("diagnose", "Troubleshooter transcript"),
                  ("explain", "Explained messages"), ("daemon", "lmgrd -z run"), ("license", "License file"),
                  ("host", "Host ids"), ("versions", "Versions")]


def _md(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _findings_md(findings: List[Finding]) -> List[str]:
    from .findings import sort_worst_first

    out = []
    for f in sort_worst_first(findings):
        where = f" (`{f.file}{':' + str(f.line) if f.line else ''}`)" if f.file else ""
        out.append(f"- **{f.status.value.upper()}** {_md(f.title)}{where} `{f.id}`")
        if f.fix:
            out.append(f"  - fix: {_md(f.fix)}")
        if f.detail:
            out.append(f"  - {_md(f.detail)}")
        for ev in f.evidence_lines[:10]:
            out.append(f"  - seen: `{ev.replace('`', chr(39))}`")
    return out or ["- (nothing)"]


def _code(lines: List[str]) -> List[str]:
    return ["```text"] + [str(x).replace("```", "'''") for x in lines] + ["```"]


def render_markdown(doc: Dict[str, Any]) -> str:
    secs = doc.get("sections") or {}
    c = doc.get("summary") or {}
    out = [f"# lmdoctor report{' (redacted)' if doc.get('redacted') else ''}", "",
           f"Created {doc.get('created', '?')} by lmdoctor {doc.get('lmdoctor', '?')}. "
           f"Exit status {doc.get('exit_code', '?')} "
           f"({', '.join(f'{v} {k}' for k, v in c.items() if v) or 'no findings'}).", ""]
    for name, title in SECTION_TITLES:
        if name not in secs or secs[name] in (None, [], {}):
            continue
        sec = secs[name]
        out += [f"## {title}", ""]
        if name in ("check", "explain", "daemon") and isinstance(sec, dict):
            if sec.get("heading"):
                out += [_md(sec["heading"]), ""]
            out += _findings_md(section_findings(doc, name))
        elif name == "lint":
            out += _findings_md(section_findings(doc, name))
        elif name == "log" and isinstance(sec, dict):
            out.append(f"File: `{sec.get('path')}`" + (f" ({sec.get('bytes'):,} bytes)" if sec.get("bytes") else ""))
            for k in ("note", "error"):
                if sec.get(k):
                    out.append(f"\n{sec[k]}")
            out.append("")
            out += _findings_md(section_findings(doc, name))
            if sec.get("startup_lines"):
                out += ["", "Last start-up:", ""] + _code(sec["startup_lines"])
            if sec.get("error_lines"):
                out += ["", "Error lines:", ""] + _code(sec["error_lines"])
        elif name == "lmutil" and isinstance(sec, list):
            for run in sec:
                out.append(f"### {run.get('server')}")
                if run.get("error"):
                    out.append(run["error"])
                for tool in ("lmstat", "lmdiag"):
                    t = run.get(tool)
                    if isinstance(t, dict):
                        out += ["", f"`{' '.join(t.get('argv') or [])}`", ""] + _code(t.get("output", "").splitlines())
                out.append("")
        elif name == "license" and isinstance(sec, dict):
            out.append(f"File: `{sec.get('path')}`")
            if sec.get("text"):
                out += [""] + _code(str(sec["text"]).splitlines())
            for k in ("note", "error"):
                if sec.get(k):
                    out.append(str(sec[k]))
        elif name == "diagnose" and isinstance(sec, dict):
            out += diagnose_markdown(sec)
        elif isinstance(sec, dict):
            for k, v in sec.items():
                out.append(f"- {k}: {_md(', '.join(map(str, v)) if isinstance(v, list) else v)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def diagnose_markdown(walk: Dict[str, Any]) -> List[str]:
    s = walk.get("symptom") or {}
    out = [f"Symptom {s.get('start', '?')}: {_md(s.get('title', '?'))}"]
    if walk.get("message"):
        out += ["", "Pasted:", ""] + _code(str(walk["message"]).splitlines())
    out.append("")
    for st in walk.get("steps") or []:
        out.append(f"- **{st.get('id')}** {_md(st.get('question') or '')} -> {_md(st.get('answer_label'))} "
                   f"({st.get('answered_by')})")
        for ev in (st.get("evidence") or [])[:3]:
            out.append(f"  - seen: `{str(ev).replace('`', chr(39))}`")
    leaf = walk.get("leaf")
    if leaf:
        out += ["", f"**Diagnosis {leaf.get('id')}: {_md(leaf.get('title'))}**", "", _md(leaf.get("diagnosis", ""))]
        for i, fix in enumerate(leaf.get("fix") or [], 1):
            out.append(f"{i}. {_md(fix)}")
    elif walk.get("pending"):
        p = walk["pending"]
        out += ["", f"Stopped at {p.get('id')}: {_md(p.get('question') or '')}"]
    return out


def write_report(doc: Dict[str, Any], json_path: str) -> List[str]:
    """Write the JSON and its Markdown beside it (same name, .md); returns both paths."""
    from .safe_write import write_file

    md_path = os.path.splitext(json_path)[0] + ".md"
    write_file(json_path, to_json(doc).encode("utf-8"))
    write_file(md_path, render_markdown(doc).encode("utf-8"))
    return [json_path, md_path]


# --------------------------------------------------------------------------- the troubleshooter, from a report
_MODULE_AREA = {"searchpath": "searchpath", "tunnels": "tunnel", "identity": "identity", "system": "system"}
FROM_REPORT = "from the report"


def report_probe_env(doc: Dict[str, Any], message: str = "", cancel: CancelToken = NEVER_CANCELLED):
    """A ProbeEnv whose probes answer from the report's evidence, never from this machine.

    The license (its text), the lint, the debug log's lines and the findings of the search-path,
    tunnel, identity and system probes come from the report; what the report cannot tell (the
    customer's process table) stays unknown, so the step is asked.
    """
    from .tree.probes import ProbeEnv

    secs = doc.get("sections") or {}
    check = [Finding.from_dict(d) for d in (secs.get("check") or {}).get("findings", [])
             if isinstance(d, dict) and "id" in d]

    class ReportProbeEnv(ProbeEnv):
        def live_findings(self, module: str) -> Optional[List[Finding]]:
            area = _MODULE_AREA.get(module)
            if area is None:
                return None
            found = [f for f in check if f.area == area]
            return found or None

    env = ReportProbeEnv(message=message, live=False, cancel=cancel)
    lic = secs.get("license") or {}
    if isinstance(lic, dict) and lic.get("text"):
        try:
            from .license import parse_license

            env._cache["license"] = (parse_license(str(lic["text"]).encode("utf-8"), path=lic.get("path") or "report"),
                                     f"{lic.get('path')} ({FROM_REPORT})")
        except Exception:  # a damaged license section: the replay goes on without it, as for a report with none
            pass
    lint = section_findings(doc, "lint")
    if lint:
        env._cache["lint"] = lint
    log = secs.get("log") or {}
    if isinstance(log, dict) and (log.get("startup_lines") or log.get("error_lines")):
        lines = [ln.split(": ", 1)[-1] for ln in (log.get("startup_lines") or []) + (log.get("error_lines") or [])]
        env._cache["log"] = ("\n".join(lines), [f"{log.get('path')} ({FROM_REPORT})"])
    return env
