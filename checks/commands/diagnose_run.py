"""The run half of ``lmdoctor diagnose`` (heavy imports, kept out of argument parsing): batch and
interactive walks, and what they print."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ..findings import ExitCode
from ..tree.loader import TreeError, load_tree
from ..tree.match import MatchResult, match_symptoms
from ..tree.model import PROBE
from ..tree.probes import ProbeEnv
from ..tree.render import node_prompt, render_list, render_no_match, render_walk
from ..tree.walk import Walk, WalkError

MAX_MESSAGE = 1024 * 1024


def _interactive(args: argparse.Namespace) -> bool:
    if getattr(args, "format", None):
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except Exception:
        return False


def _extra_args(args: argparse.Namespace) -> List[str]:
    import shlex

    out = []
    if args.auto:
        out.append("--auto")
    if args.license:
        out.append(f"--license {shlex.quote(args.license)}")
    for s in args.server:
        out.append(f"--server {s}")
    for lg in args.log:
        out.append(f"--log {shlex.quote(lg)}")
    return out


def _err(msg: str) -> int:
    print(f"lmdoctor: {msg}", file=sys.stderr)
    return int(ExitCode.ERROR)


def run_diagnose(args: argparse.Namespace) -> int:
    try:
        tree = load_tree()
    except TreeError as exc:  # a broken data file shipped: say which and where
        return _err(str(exc))
    fmt = getattr(args, "format", None) or "text"
    if args.list:
        sys.stdout.write(render_list(fmt, tree))
        return int(ExitCode.OK)
    interactive = _interactive(args)
    message = args.message or ""
    if message == "-":
        from ..inputgate import InputError, Kind, read_input

        try:
            message = read_input("-", Kind.TEXT).decode("utf-8", "replace")
        except InputError as exc:
            return _err(str(exc))
    # Matching and the probes read the first MiB of a paste only.
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE]
    step = getattr(args, "step", None)
    if step and step not in tree.nodes:
        return _err(f"unknown step {step!r}; step ids look like S5 or S5.10")
    if step and not args.symptom:
        best = match_symptoms(tree, message).best if message else None
        args.symptom = tree.symptom_for_step(step, prefer=best.symptom.id if best else None)
    if not message and not args.symptom and interactive:
        try:
            message = input("Paste the error message (or describe the problem): ").strip()
        except EOFError:
            return _err("no message given")
    if not message and not args.symptom:
        return _err("give the MESSAGE you see, or --symptom ID ('lmdoctor diagnose --list' lists them)")

    match: Optional[MatchResult] = None
    symptom_id = args.symptom
    if symptom_id and symptom_id not in tree.symptoms:
        return _err(f"unknown symptom {symptom_id!r}; 'lmdoctor diagnose --list' lists them")
    if message:
        match = match_symptoms(tree, message)
    if not symptom_id:
        assert match is not None
        best = match.best
        if best is None and interactive and match.candidates:
            symptom_id = _pick_candidate(match)
            if symptom_id is None:
                return int(ExitCode.ERROR)
        elif best is None:
            sys.stdout.write(render_no_match(fmt, match, message))
            return int(ExitCode.ERROR)
        else:
            symptom_id = best.symptom.id

    env = ProbeEnv(message=message, license_path=args.license, log_paths=list(args.log), servers=list(args.server),
                   timeout=args.timeout, product_version=args.product_version, live=bool(args.auto))
    try:
        walk = Walk(tree, symptom_id, env=env, auto=args.auto, answers=dict(args.answer), start=step)
    except WalkError as exc:
        return _err(str(exc))
    if interactive:
        return _run_interactive(walk, match, message, _extra_args(args))
    walk.advance()
    sys.stdout.write(render_walk(fmt, walk, match, message, _extra_args(args)))
    return int(ExitCode.OK if walk.done else ExitCode.ERROR)


def _ask(prompt: str) -> Optional[str]:
    try:
        return input(prompt).strip()
    except EOFError:
        return None


def _pick_candidate(match: MatchResult) -> Optional[str]:
    print("Which of these is it?")
    for i, c in enumerate(match.candidates, 1):
        print(f"   {i}. {c.symptom.title}  [{c.symptom.id}]")
    while True:
        got = _ask("number (q to quit): ")
        if got is None or got.lower() == "q":
            return None
        if got.isascii() and got.isdigit() and 1 <= int(got) <= len(match.candidates):
            return match.candidates[int(got) - 1].symptom.id
        print("Type one of the numbers shown.")


def _run_interactive(walk: Walk, match: Optional[MatchResult], message: str, extra: List[str]) -> int:
    print(f"Symptom: {walk.symptom.title}  [{walk.symptom.id}]")
    print("Answer with the number of a choice; b = back, q = quit.\n")
    shown = 0
    while True:
        walk.advance()
        for st in walk.steps[shown:]:
            if st.by != "person":
                print(f"[{st.node.id}] {st.node.question}")
                print(f"   -> {st.choice.label}  ({'measured' if st.by == 'probe' else '--answer'})")
                for e in st.evidence[:4]:
                    print(f"      {e}")
        shown = len(walk.steps)
        if walk.done:
            print()
            sys.stdout.write(render_walk("text", walk, match, message, extra).split("\n\n", 1)[-1]
                             if walk.steps else render_walk("text", walk, match, message, extra))
            return int(ExitCode.OK)
        n = walk.current
        for line in node_prompt(n):
            print(line)
        if walk.pending_note and n.kind == PROBE:
            print(f"      (lmdoctor could not measure this here: {walk.pending_note[0]})")
        got = _ask("> ")
        if got is None or got.lower() in ("q", "quit"):
            print(f"Stopped at step {n.id}.")
            return int(ExitCode.ERROR)
        if got.lower() in ("b", "back"):
            walk.back_to_question()
            shown = len(walk.steps)
            print()
            continue
        try:
            walk.answer(got)
        except WalkError as exc:
            print(str(exc))
            continue
        shown = len(walk.steps)
        print()
