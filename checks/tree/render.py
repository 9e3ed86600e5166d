"""Text, Markdown and JSON views of a walk, a symptom match and the symptom list."""
from __future__ import annotations

import json
import shlex
from typing import Any, Dict, List, Optional

from .. import __version__
from .match import MatchResult
from .model import PROBE, Node, Tree
from .walk import BY_PRESET, BY_PROBE, Walk

_BY = {BY_PROBE: "measured", BY_PRESET: "--answer", "person": "answered"}


def walk_dict(walk: Walk, match: Optional[MatchResult] = None, message: str = "") -> Dict[str, Any]:
    d = walk.to_dict()
    d = {"lmdoctor": __version__, "command": "diagnose", "input": message, **d}
    if match is not None:
        d["match"] = [c.to_dict() for c in match.candidates]
    return d


def rerun_hint(walk: Walk, message: str, extra: List[str]) -> str:
    """The command line that repeats this walk with every answer given so far."""
    parts = ["lmdoctor", "diagnose"]
    if message:
        parts.append(shlex.quote(message))
    parts.append(f"--symptom {walk.symptom.id}")
    if walk.start != walk.symptom.start:
        parts.append(f"--step {walk.start}")
    for st in walk.steps:
        if st.by != BY_PROBE:
            parts.append(f"--answer {st.node.id}={st.choice.key}")
    parts.extend(extra)
    return " ".join(parts)


def _wrap(text: str, indent: str, width: int = 100) -> List[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent) or [indent.rstrip()]


def render_text(walk: Walk, match: Optional[MatchResult], message: str, extra: List[str]) -> str:
    out: List[str] = []
    s = walk.symptom
    out.append(f"Symptom: {s.title}  [{s.id}, starts at {s.start}]")
    if walk.start != s.start:
        out.append(f"  started at step {walk.start} (--step)")
    best = match.candidates[0] if match and match.candidates and match.candidates[0].symptom.id == s.id else None
    if best is not None:
        out.append("  matched by: " + "; ".join(best.reasons[:3]))
    out.append("")
    if walk.steps:
        out.append("Steps walked")
        for st in walk.steps:
            n = st.node
            what = f"probe {n.probe}" if n.kind == PROBE else "question"
            out.append(f"  {n.id:<7} {what}: {n.question}")
            out.append(f"  {'':<7} -> {st.choice.key}: {st.choice.label}  ({_BY.get(st.by, st.by)}"
                       + (f" from {st.source}" if st.source else "") + ")")
            for e in st.evidence[:6]:
                out.append(f"  {'':<10}{e}")
        out.append("")
    if walk.done:
        leaf = walk.current
        out.append(f"Diagnosis  {leaf.id}: {leaf.title}  [{leaf.status}]")
        out.extend(_wrap(leaf.diagnosis, "  "))
        out.append("Fix")
        for i, f in enumerate(leaf.fix, 1):
            out.extend(_wrap(f, f"  {i}. ")[:1] + _wrap(f, "     ")[1:] if len(f) > 95 else [f"  {i}. {f}"])
        if leaf.repair:
            # The id a future one-shot repair mode will act on; until then the fix steps above are the way.
            out.append(f"  repair id: {leaf.repair} (apply the steps above by hand)")
        if leaf.seed_ref:
            out.append(f"  manual: {leaf.seed_ref}")
    else:
        n = walk.current
        out.append(f"Stopped at step {n.id}: this question needs an answer")
        out.extend(_wrap(n.question, "  "))
        if n.help:
            out.extend(_wrap("How to tell: " + n.help, "  "))
        if walk.pending_note:
            out.append(f"  (probe {n.probe} could not answer here: {'; '.join(walk.pending_note[:2])})")
        elif n.kind == PROBE and not walk.auto:
            out.append(f"  (add --auto to let probe {n.probe} try to answer it)")
        out.append("  Choices:")
        width = max(len(c.key) for c in n.choices)
        for i, c in enumerate(n.choices, 1):
            out.append(f"    {i}. {c.key:<{width}}  {c.label}")
            out.append(f"       --answer {n.id}={c.key}")
        out.append("  Re-run with your answer, e.g.:")
        out.append("    " + rerun_hint(walk, message, extra) + f" --answer {n.id}={n.choices[0].key}")
    return "\n".join(out) + "\n"


def render_markdown(walk: Walk, match: Optional[MatchResult], message: str, extra: List[str]) -> str:
    s = walk.symptom
    out = [f"## lmdoctor diagnose: {s.title}", ""]
    if message:
        out += ["Message:", "", "```text", message.strip()[:4000], "```", ""]
    if walk.steps:
        out += ["| step | question | answer | by | evidence |", "|---|---|---|---|---|"]
        for st in walk.steps:
            ev = "<br>".join(e.replace("|", "\\|") for e in st.evidence[:4])
            q = st.node.question.replace("|", "\\|")
            out.append(f"| {st.node.id} | {q} | {st.choice.label.replace('|', '/')} | {_BY.get(st.by, st.by)} | {ev} |")
        out.append("")
    if walk.done:
        leaf = walk.current
        out += [f"### {leaf.id}: {leaf.title}", "", leaf.diagnosis, "", "**Fix**", ""]
        out += [f"{i}. {f}" for i, f in enumerate(leaf.fix, 1)]
        if leaf.seed_ref:
            out += ["", f"Manual: *{leaf.seed_ref}*"]
    else:
        n = walk.current
        out += [f"### Stopped at step {n.id}", "", n.question, ""]
        out += [f"- `--answer {n.id}={c.key}`: {c.label}" for c in n.choices]
    return "\n".join(out) + "\n"


def render_walk(fmt: str, walk: Walk, match: Optional[MatchResult], message: str, extra: List[str]) -> str:
    if fmt == "json":
        return json.dumps(walk_dict(walk, match, message), indent=2) + "\n"
    if fmt == "markdown":
        return render_markdown(walk, match, message, extra)
    return render_text(walk, match, message, extra)


NO_MATCH_SHOWN = 3


def render_no_match(fmt: str, match: MatchResult, message: str) -> str:
    """No confident match: say so, and show the closest three with the reasons for each."""
    from .match import CONFIDENT

    cands = match.candidates[:NO_MATCH_SHOWN]
    if fmt == "json":
        return json.dumps({"lmdoctor": __version__, "command": "diagnose", "input": message, "symptom": None,
                           "confident": False, "ambiguous": match.ambiguous, "bar": CONFIDENT,
                           "codes": list(match.codes), "candidates": [c.to_dict() for c in cands],
                           "steps": [], "leaf": None}, indent=2) + "\n"
    md = fmt == "markdown"
    out = []
    if match.ambiguous:
        out.append("No confident match: these symptoms fit about equally well.")
    elif cands:
        out.append(f"No confident match: the best fits {cands[0].score:.0%}, below the {CONFIDENT:.0%} bar. "
                   "The closest:")
    else:
        out.append("No confident match: nothing in the message points to a symptom lmdoctor knows.")
    for i, c in enumerate(cands, 1):
        line = f"{i}. {c.symptom.id} ({c.score:.0%}): {c.symptom.title}"
        out.append(line if md else "  " + line)
        why = "; ".join(c.reasons[:3])
        if why:
            out.append(("   why: " if md else "       why: ") + why)
    if match.codes:
        out.append(f"The message carries {', '.join(match.codes[:3])}: `lmdoctor explain "
                   f"{shlex.quote(match.codes[0])}` says what it means.")
    if cands:
        out.append("Pick one with --symptom ID, e.g.: lmdoctor diagnose "
                   + (shlex.quote(message) + " " if message else "") + f"--symptom {cands[0].symptom.id}")
    else:
        out.append("'lmdoctor diagnose --list' lists the symptoms; start one with --symptom ID.")
    return "\n".join(out) + "\n"


def render_list(fmt: str, tree: Tree) -> str:
    from .loader import _step_key

    syms = sorted(tree.symptoms.values(), key=lambda s: _step_key(s.start))
    if fmt == "json":
        return json.dumps([{"id": s.id, "title": s.title, "start": s.start, "seed_ref": s.seed_ref} for s in syms],
                          indent=2) + "\n"
    width = max(len(s.id) for s in syms)
    if fmt == "markdown":
        return "\n".join(["| id | symptom | starts at |", "|---|---|---|"]
                         + [f"| `{s.id}` | {s.title} | {s.start} |" for s in syms]) + "\n"
    return "\n".join(f"{s.id:<{width}}  {s.start:<5} {s.title}" for s in syms) + "\n"


def node_prompt(n: Node) -> List[str]:
    lines = [f"[{n.id}] {n.question}"]
    if n.help:
        lines.append(f"      ({n.help})")
    for i, c in enumerate(n.choices, 1):
        lines.append(f"   {i}. {c.label}")
    return lines
