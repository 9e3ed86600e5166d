"""`lmdoctor repair` at work: the prompts, the progress lines and the text / markdown / JSON output."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable, Dict, List, Optional, TextIO

from .. import __version__
from ..findings import ExitCode, Finding, Status, exit_code_for
from ..repair.apply import Decision
from ..repair.model import ActionResult, PlannedAction, RepairPlan, RepairRun, ResultStatus
from ._common import fail_input, output_format

_KIND_TAG = {"file edit": "file edit", "link": "link", "process": "process", "service": "service",
             "manual": "manual step"}


def _counts(findings: List[Finding]) -> str:
    c = {s: sum(1 for f in findings if f.status is s) for s in (Status.FAIL, Status.WARN)}
    return f"{c[Status.FAIL]} fail, {c[Status.WARN]} warn"


def _bad(findings: List[Finding]) -> List[Finding]:
    return [f for f in findings if f.status in (Status.FAIL, Status.WARN)]


def _indent(text: str, pad: str = "      ") -> List[str]:
    return [pad + ln for ln in text.splitlines()]


# ----------------------------------------------------------------------------- text

def plan_text(plan: RepairPlan, heading: str) -> str:
    out = [heading, f"Before: {_counts(plan.before)}", ""]
    for n in plan.notes:
        out.append(f"Note: {n}")
    if plan.notes:
        out.append("")
    if not plan.actions:
        out.append("Nothing lmdoctor can repair here" + (" (the findings left need a person; see below)."
                                                          if _bad(plan.before) else "."))
    else:
        auto = sum(1 for a in plan.actions if not a.manual)
        out.append(f"Plan: {len(plan.actions)} action(s), {auto} by lmdoctor, {len(plan.actions) - auto} for you")
    for i, a in enumerate(plan.actions, 1):
        flags = [_KIND_TAG[a.kind.value]]
        if not a.manual:
            flags.append("reversible" if a.reversible else "IRREVERSIBLE")
            if a.needs_root:
                flags.append("needs root")
        out.append(f"[{i}] {a.id} ({', '.join(flags)})")
        out.append(f"    {a.title}")
        if a.fixes:
            out.append(f"    fixes: {', '.join(a.fixes)}")
        out += _indent(a.change)
        for n in a.notes:
            out.append(f"    note: {n}")
        if a.sudo and a.needs_root:
            out.append(f"    not root: {a.sudo}")
        if a.verify and not a.manual:
            out.append(f"    verify: {a.verify}")
    if plan.consequences:
        by: Dict[str, List[str]] = {}
        for fid, key in plan.consequences.items():
            by.setdefault(key, []).append(fid)
        out.append("")
        for key, fids in by.items():
            out.append(f"Consequences (no action of their own), resolved by {key}: {', '.join(sorted(fids))}")
    if plan.unaddressed:
        out.append("")
        out.append("Not addressed by this plan:")
        for f in plan.unaddressed:
            out.append(f"  {f.status.value.upper():4} {f.id}: {f.title}")
    return "\n".join(out) + "\n"


def results_text(run: RepairRun) -> str:
    out = ["", "Results:"]
    for i, r in enumerate(run.results, 1):
        out.append(f"[{i}] {r.id}: {r.status.value}")
        out += _indent(r.detail, "    ")
    before = {f.id for f in _bad(run.plan.before)}
    after = {f.id for f in _bad(run.after)}
    out.append("")
    if any(r.status is ResultStatus.APPLIED for r in run.results):
        out.append(f"After: {_counts(run.after)} (before: {_counts(run.plan.before)})")
        fixed = sorted(before - after)
        if fixed:
            out.append("  fixed: " + ", ".join(fixed))
        new = sorted(after - before)
        if new:
            out.append("  new: " + ", ".join(new))
        for f in _bad(run.after):
            out.append(f"  still {f.status.value.upper():4} {f.id}: {f.title}")
    else:
        out.append(f"Nothing was changed; still {_counts(run.after)}.")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- markdown

def plan_markdown(plan: RepairPlan, heading: str) -> str:
    out = [f"# {heading}", "", f"**Before:** {_counts(plan.before)}", ""]
    for n in plan.notes:
        out.append(f"> {n}")
    out += ["", "## Plan", ""]
    if not plan.actions:
        out.append("Nothing lmdoctor can repair here.")
    for i, a in enumerate(plan.actions, 1):
        flags = [_KIND_TAG[a.kind.value]] + ([] if a.manual else
                                             ["reversible" if a.reversible else "**irreversible**"])
        if a.needs_root:
            flags.append("needs root")
        out.append(f"{i}. **{a.title}** (`{a.id}`, {', '.join(flags)})")
        if a.fixes:
            out.append(f"   fixes: {', '.join(f'`{x}`' for x in a.fixes)}")
        out += ["", "   ```" + ("diff" if a.change.startswith("---") else ""), *_indent(a.change, "   "), "   ```", ""]
        for n in a.notes:
            out.append(f"   - {n}")
        if a.verify and not a.manual:
            out.append(f"   - verify: {a.verify}")
        out.append("")
    if plan.unaddressed:
        out += ["## Not addressed", ""] + [f"- **{f.status.value}** `{f.id}`: {f.title}" for f in plan.unaddressed]
    return "\n".join(out) + "\n"


def results_markdown(run: RepairRun) -> str:
    out = ["", "## Results", "", "| # | action | status | detail |", "|---|---|---|---|"]
    for i, r in enumerate(run.results, 1):
        out.append(f"| {i} | `{r.id}` | {r.status.value} | {r.detail.replace('|', '/').replace(chr(10), '<br>')} |")
    out += ["", f"**After:** {_counts(run.after)} (before: {_counts(run.plan.before)})", ""]
    out += [f"- **{f.status.value}** `{f.id}`: {f.title}" for f in _bad(run.after)]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- prompting

class Prompter:
    """Ask per action on the terminal: yes / no / all / quit (Enter = yes; EOF = quit)."""

    def __init__(self, stream_in: TextIO, stream_out: TextIO, numbering: Dict[str, int]) -> None:
        self.inp = stream_in
        self.out = stream_out
        self.numbering = numbering

    def __call__(self, a: PlannedAction) -> Decision:
        n = self.numbering.get(a.key)
        label = f"[{n}] " if n else ""
        while True:
            self.out.write(f"Apply {label}{a.id}: {a.title}? [Y]es / [n]o / [a]ll / [q]uit: ")
            self.out.flush()
            line = self.inp.readline()
            if not line:
                self.out.write("\n")
                return Decision.QUIT
            ans = line.strip().lower()
            if ans in ("", "y", "yes"):
                return Decision.YES
            if ans in ("n", "no"):
                return Decision.NO
            if ans in ("a", "all"):
                return Decision.ALL
            if ans in ("q", "quit"):
                return Decision.QUIT
            self.out.write("Please answer y, n, a or q.\n")


def _yes(_a: PlannedAction) -> Decision:
    return Decision.YES


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except Exception:
        return False


# ----------------------------------------------------------------------------- main

def main(args: argparse.Namespace) -> int:
    if args.list:
        return _list(args)
    if args.undo is not None:
        return _undo(args)
    return _repair(args)


def _list(args: argparse.Namespace) -> int:
    from ..repair.registry import ON_REQUEST_ONLY, SPECS

    fmt = output_format(args)
    if fmt == "json":
        rows = [{"id": s.id, "kind": s.kind.value, "does": s.does, "needs_root": s.needs_root,
                 "reversible": s.reversible, "automatic": s.automatic, "on_request_only": s.id in ON_REQUEST_ONLY}
                for s in SPECS]
        sys.stdout.write(json.dumps({"lmdoctor": __version__, "actions": rows}, indent=2) + "\n")
        return int(ExitCode.OK)
    width = max(len(s.id) for s in SPECS)
    lines = [f"{'ID':{width}}  {'KIND':11}  {'ROOT?':26}  {'UNDO?':5}  WHAT IT DOES"]
    for s in SPECS:
        kind = s.kind.value if s.automatic else "manual"
        undo = "n/a" if not s.automatic else ("yes" if s.reversible else "NO")
        extra = " (only with --only)" if s.id in ON_REQUEST_ONLY else ""
        lines.append(f"{s.id:{width}}  {kind:11}  {s.needs_root:26}  {undo:5}  {s.does}{extra}")
    sys.stdout.write("\n".join(lines) + "\n")
    return int(ExitCode.OK)


def _options(args: argparse.Namespace):
    from ..check import CheckOptions
    from ..repair.session import RepairOptions

    return RepairOptions(CheckOptions(license_path=args.license, servers=list(args.server or []), vendor=args.vendor,
                                      timeout=args.timeout), list(args.only or []), list(args.skip or []))


def _repair(args: argparse.Namespace) -> int:
    from ..check import LicenseArgumentError
    from ..repair.journal import JournalError
    from ..repair.session import apply_repair, plan_repair
    from ..runtime import CancelToken

    fmt = output_format(args)
    cancel = CancelToken()
    interactive = _interactive()
    decide: Optional[Callable[[PlannedAction], Decision]]
    if args.yes:
        mode, decide, dry = "apply (--yes)", _yes, False
    elif args.dry_run:
        mode, decide, dry = "dry-run", _yes, True
    elif interactive:
        mode, decide, dry = "ask", None, False
    else:
        mode, decide, dry = "dry-run (no terminal)", _yes, True
        print("lmdoctor repair: no terminal to ask on and neither --yes nor --dry-run: showing the plan only "
              "(nothing is changed)", file=sys.stderr)
    if interactive and fmt == "text":
        print("lmdoctor repair: checking this machine ...", file=sys.stderr)
    opts = _options(args)
    try:
        rc, plan = plan_repair(opts, cancel)
    except LicenseArgumentError as exc:
        return fail_input(f"{exc} (check the path given with --license)")
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    heading = "lmdoctor repair: " + (f"license {plan.license_path} ({rc.run.choice.source})" if plan.license_path
                                     else "no license file found")
    numbering = {a.key: i for i, a in enumerate(plan.actions, 1)}
    if fmt == "text":
        sys.stdout.write(plan_text(plan, heading))
        sys.stdout.flush()
    elif fmt == "markdown":
        sys.stdout.write(plan_markdown(plan, heading))
    elif decide is None:  # json on a terminal: show the plan where the questions are
        sys.stderr.write(plan_text(plan, heading))
    if decide is None:
        decide = Prompter(sys.stdin, sys.stderr, numbering)
    assert decide is not None

    def progress(kind: str, a: PlannedAction, r: Optional[ActionResult]) -> None:
        n = numbering.get(a.key, 0)
        if kind == "start" and not dry:
            print(f"[{n}] {a.id}: applying ...", file=sys.stderr, flush=True)
        elif kind == "done" and r is not None and r.status in (ResultStatus.APPLIED, ResultStatus.FAILED):
            print(f"[{n}] {a.id}: {r.status.value}", file=sys.stderr, flush=True)

    try:
        run = apply_repair(opts, rc, plan, decide, progress, dry_run=dry, cancel=cancel, argv=sys.argv[1:],
                           mode=mode)
    except JournalError as exc:
        return fail_input(f"{exc}; nothing was changed")
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    if fmt == "json":
        sys.stdout.write(json.dumps(run.to_dict(__version__), indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(results_markdown(run))
    else:
        sys.stdout.write(results_text(run))
    if run.run_id:
        print(f"Journal: {run.journal_dir}\nUndo with: lmdoctor repair --undo {run.run_id}", file=sys.stderr)
    return int(exit_code_for(run.after))


def _undo(args: argparse.Namespace) -> int:
    from ..repair.apply import undo_run
    from ..repair.journal import JournalError, latest_changed_run, load_run, mark_undone, repairs_dir

    fmt = output_format(args)
    run_id = args.undo or latest_changed_run()
    if not run_id:
        return fail_input(f"no repair run that changed something is left to undo in {repairs_dir()}")
    try:
        run = load_run(run_id)
    except JournalError as exc:
        return fail_input(str(exc))
    if run["undone"]:
        return fail_input(f"repair run {run_id} was undone already ({os.path.join(run['dir'], 'undo.json')})")
    interactive = _interactive()
    dry = not args.yes and (args.dry_run or not interactive)
    if dry and not args.dry_run:
        print("lmdoctor repair --undo: no terminal to ask on and no --yes: showing what would be undone only",
              file=sys.stderr)
    decide = _yes if args.yes or dry else Prompter(sys.stdin, sys.stderr, {})
    lines: List[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if fmt == "text":
            print(line, flush=True)

    if fmt == "text":
        print(f"lmdoctor repair --undo {run_id} (license {run['plan'].get('license')})")
    results = undo_run(run, decide, say, dry_run=dry)
    if not dry:
        try:
            mark_undone(run["dir"], results)
        except Exception as exc:
            print(f"lmdoctor: could not mark run {run_id} as undone: {exc}", file=sys.stderr)
    failed = any(r.status is ResultStatus.FAILED for r in results)
    if fmt == "json":
        sys.stdout.write(json.dumps({"lmdoctor": __version__, "undo": run_id,
                                     "results": [r.to_dict() for r in results]}, indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(f"# lmdoctor repair --undo {run_id}\n\n" + "\n".join(
            f"- **{r.status.value}** `{r.id}`: {r.detail}" for r in results) + "\n")
    elif not results:
        print("Nothing to undo in this run.")
    return int(ExitCode.FAIL if failed else ExitCode.OK)
