"""Renderers for a Report: plain text (optionally coloured), Markdown and JSON.

Text output reads like a doctor's report: findings grouped by area (the id's first part),
areas ordered by their worst finding, findings worst first; each problem with its detail and
fix, each ok/info finding on one line; the evidence with -v. Markdown and JSON keep everything.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List

from . import __version__
from .findings import Finding, Report, Status, sort_worst_first

FORMATS = ("text", "markdown", "json")

_MARK = {
    Status.OK: "ok  ",
    Status.INFO: "info",
    Status.SKIP: "skip",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
}
_COLOUR = {
    Status.OK: "\x1b[32m",
    Status.INFO: "\x1b[36m",
    Status.SKIP: "\x1b[2m",
    Status.WARN: "\x1b[33m",
    Status.FAIL: "\x1b[31;1m",
}
_RESET = "\x1b[0m"


def group_by_area(findings: List[Finding]) -> Dict[str, List[Finding]]:
    groups: Dict[str, List[Finding]] = {}
    for f in sort_worst_first(findings):
        groups.setdefault(f.area, []).append(f)
    return groups


def _where(f: Finding) -> str:
    if f.file and f.line:
        return f"{f.file}:{f.line}"
    if f.line:
        return f"line {f.line}"
    return f.file or ""


def _summary(report: Report) -> str:
    c = report.counts()
    order = (Status.FAIL, Status.WARN, Status.SKIP, Status.INFO, Status.OK)
    parts = [f"{c[s.value]} {s.value}" for s in order if c[s.value]]
    return ", ".join(parts) if parts else "no findings"


TEXT_WIDTH = 100
_INDENT = " " * 7


def _wrapped(text: str, first: str, rest: str, width: int) -> List[str]:
    """``text`` wrapped to ``width``, its own line breaks kept; ``first`` prefixes line one."""
    import textwrap

    out: List[str] = []
    for k, para in enumerate(text.splitlines() or [""]):
        lead = first if k == 0 else rest
        out.extend(textwrap.wrap(para, width=width, initial_indent=lead, subsequent_indent=rest,
                                 break_long_words=False, break_on_hyphens=False) or [lead.rstrip()])
    return out


def render_text(report: Report, colour: bool = False, verbose: bool = False, width: int = TEXT_WIDTH) -> str:
    """Human text that reads like a doctor's report.

    Areas (the id's first part) worst first. A fail or warn finding says what is wrong, why and
    what to do (detail, fix, manual); an ok or info finding is one line. ``verbose`` adds what
    was seen (the evidence) and the detail of ok/info findings. Markdown and JSON keep it all.
    Every line ends with the finding's id.
    """
    out: List[str] = []
    header = report.meta.get("heading")
    if header:
        out.append(str(header))
        out.append("")
    hidden = 0
    for area, items in group_by_area(report.findings).items():
        out.append(f"[{area}]")
        for f in items:
            mark = _MARK[f.status]
            if colour:
                mark = f"{_COLOUR[f.status]}{mark}{_RESET}"
            where = _where(f)
            problem = f.status in (Status.FAIL, Status.WARN, Status.SKIP)
            # The id stays on every line: tickets, --skip and --answer refer to findings by it.
            out.append(f"  {mark} {f.title}" + (f"  ({where})" if where else "") + f"  [{f.id}]")
            if not (problem or verbose):
                hidden += bool(f.detail or f.evidence_lines)
                continue
            if f.detail:
                out.extend(_wrapped(f.detail, _INDENT, _INDENT, width))
            if verbose:
                for ev in f.evidence_lines[:20]:
                    out.append(f"{_INDENT}seen: {ev}")
                if len(f.evidence_lines) > 20:
                    out.append(f"{_INDENT}seen: ... {len(f.evidence_lines) - 20} more")
            elif f.evidence_lines:
                hidden += 1
            if f.fix:
                out.extend(_wrapped(f.fix, f"{_INDENT}fix:  ", f"{_INDENT}      ", width))
            if f.seed_ref and (problem or verbose):
                out.append(f"{_INDENT}manual: {f.seed_ref}")
        out.append("")
    more = f"  (-v shows what was seen for {hidden} of them)" if hidden and not verbose else ""
    out.append(f"Summary: {_summary(report)}{more}")
    return "\n".join(out) + "\n"


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    out: List[str] = [f"## lmdoctor {report.command}", ""]
    header = report.meta.get("heading")
    if header:
        out += [str(header), ""]
    for area, items in group_by_area(report.findings).items():
        out.append(f"### {area}")
        out.append("")
        for f in items:
            where = _where(f)
            out.append(f"- **{f.status.value.upper()}** {f.title}" + (f" (`{where}`)" if where else "") + f" `{f.id}`")
            if f.detail:
                out.append(f"  - {_md_escape(f.detail)}")
            for ev in f.evidence_lines[:20]:
                out.append(f"  - seen: `{ev.replace('`', chr(39))}`")
            if f.fix:
                out.append(f"  - fix: {_md_escape(f.fix)}")
            if f.seed_ref:
                out.append(f"  - manual: {f.seed_ref}")
        out.append("")
    out.append(f"**Summary:** {_summary(report)}")
    return "\n".join(out) + "\n"


def report_dict(report: Report) -> Dict[str, Any]:
    d: Dict[str, Any] = {"lmdoctor": __version__, "command": report.command}
    d.update({k: v for k, v in report.meta.items() if k != "heading"})
    d["findings"] = [f.to_dict() for f in report.findings]
    d["summary"] = report.counts()
    d["exit_code"] = int(report.exit_code)
    return d


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def render_json(report: Report) -> str:
    text = json.dumps(report_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"
    # A file name that is not UTF-8 holds lone surrogates: escape them so the JSON stays valid UTF-8
    # (json.loads gives the same str back, os.fsencode the original bytes).
    return _escape_surrogates(text)


def write_json(report: Report, stream: Any, batch: int = 64 * 1024) -> None:
    """render_json without holding the whole document: json's indenting encoder yields millions of
    small pieces for a large report, and joining them costs many times the report's size."""
    enc = json.JSONEncoder(indent=2, ensure_ascii=False, default=str)
    buf: List[str] = []
    size = 0
    for chunk in enc.iterencode(report_dict(report)):
        buf.append(chunk)
        size += len(chunk)
        if size >= batch:
            stream.write(_escape_surrogates("".join(buf)))
            buf, size = [], 0
    buf.append("\n")
    stream.write(_escape_surrogates("".join(buf)))


def _escape_surrogates(text: str) -> str:
    if not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(report: Report, fmt: str, colour: bool = False, verbose: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report, colour=colour, verbose=verbose)
