"""``lmdoctor completion bash|zsh``: a shell completion script generated from the argument parser.

shtab turns the real parser (every subcommand and flag, with its help) into a static script, so
completing costs the shell nothing and never starts Python. Values that live in data are added as
choices on a parser built only for this: scenario names, the decision tree's symptom and step ids.
"""
from __future__ import annotations

import argparse
from typing import Dict, Iterator, List

HELP = "print a completion script for bash or zsh (subcommands, flags, scenarios, symptom and step ids)"
DESCRIPTION = (
    "Print a shell completion script for lmdoctor on standard output.\n\n"
    "bash:  lmdoctor completion bash > ~/.local/share/bash-completion/completions/lmdoctor\n"
    "       (or: source <(lmdoctor completion bash) in ~/.bashrc)\n"
    "zsh:   lmdoctor completion zsh > \"${fpath[1]}/_lmdoctor\"   (then: autoload -U compinit && compinit)\n\n"
    "The script is static: run this again after upgrading lmdoctor."
)
SHELLS = ("bash", "zsh")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    p.formatter_class = argparse.RawDescriptionHelpFormatter


def _subparsers(parser: argparse.ArgumentParser) -> Dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser: argparse.ArgumentParser, path: str = "") -> Iterator["tuple[str, argparse.Action]"]:
    """(subcommand path, action) for every argument of every (nested) subcommand."""
    for action in parser._actions:
        yield path, action
    for name, sub in _subparsers(parser).items():
        yield from _walk(sub, f"{path} {name}".strip())


def data_choices() -> Dict["tuple[str, str]", List[str]]:
    """(subcommand path, option or positional dest) -> the values a user may type there."""
    from ..sandbox import scenarios
    from ..tree.loader import load_tree

    tree = load_tree()
    steps = sorted(tree.nodes, key=_step_key)
    return {
        ("sandbox start", "--scenario"): scenarios.names(),
        ("diagnose", "--symptom"): sorted(tree.symptoms),
        ("diagnose", "--step"): steps,
    }


def _step_key(step: str) -> "tuple[object, ...]":
    """S5.10 after S5.9: numbers compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in step.lstrip("S").split("."))


# Arguments that name a file or a directory on this machine.
FILES = {"--license", "--log", "--lmgrd", "--vendor-daemon", "file"}
DIRECTORIES = {"--dir"}


def completion_parser() -> argparse.ArgumentParser:
    """lmdoctor's parser with the data choices and file/directory hints that shtab reads."""
    import shtab

    from ..cli import build_parser

    parser = build_parser()
    choices = data_choices()
    for path, action in _walk(parser):
        names = set(action.option_strings) | {action.dest}
        for (where, name), values in choices.items():
            if where == path and name in names:
                action.choices = values
        if names & FILES and not action.choices:
            action.complete = shtab.FILE  # type: ignore[attr-defined]
        elif names & DIRECTORIES:
            action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
    return parser


def script(shell: str) -> str:
    import shtab

    return str(shtab.complete(completion_parser(), shell=shell))


def run(args: argparse.Namespace) -> int:
    import sys

    sys.stdout.write(script(args.shell))
    return 0
