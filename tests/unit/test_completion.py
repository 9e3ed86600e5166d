"""``lmdoctor completion bash|zsh``: generated from the parser, asked for real completions in bash.

bash: the script is sourced in a real ``bash --norc`` and its completion function is called the
way readline calls it (COMP_WORDS / COMP_CWORD), for subcommands, flags, scenario names, symptom
and step ids, and files. zsh: the script is loaded by compinit in a real zsh when one is installed;
the generated text is checked either way.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from lmdoctor.checks.commands.completion import data_choices, script
from lmdoctor.checks.sandbox import scenarios
from lmdoctor.checks.tree.loader import load_tree

BASH = shutil.which("bash")
ZSH = shutil.which("zsh")


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("completion") / "lmdoctor.bash"
    out = subprocess.run([sys.executable, "-m", "lmdoctor", "completion", "bash"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    path.write_text(out.stdout)
    return path


def complete(bash_script: Path, *words: str, cwd: "Path | None" = None) -> List[str]:
    """What bash offers for the last word of ``lmdoctor WORDS...`` (an empty last word: after a space)."""
    assert BASH is not None
    driver = (
        'source "$1"; shift\n'
        'fn=$(complete -p lmdoctor | sed -n "s/.* -F \\([^ ]*\\) .*/\\1/p")\n'
        'COMP_WORDS=(lmdoctor "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n'
        'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()\n'
        '"$fn" lmdoctor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run([BASH, "--norc", "--noprofile", "-c", driver, "bash", str(bash_script), *words],
                         capture_output=True, text=True, timeout=30, cwd=str(cwd) if cwd else None)
    assert out.returncode == 0, out.stderr
    return sorted(w.strip() for w in out.stdout.splitlines() if w.strip())


pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def test_subcommands(bash_script):
    assert complete(bash_script, "sa") == ["sandbox"]
    assert {"check", "lint", "explain", "diagnose", "sandbox", "completion"} <= set(complete(bash_script, ""))
    assert complete(bash_script, "sandbox", "st") == ["start", "status", "stop"]
    assert complete(bash_script, "completion", "") == ["bash", "zsh"]


def test_flags_and_their_choices(bash_script):
    flags = complete(bash_script, "check", "--")
    assert {"--license", "--server", "--timeout", "--redact", "--format"} <= set(flags)
    assert "--scenario" not in flags  # sandbox start's, not check's
    assert complete(bash_script, "lint", "--format", "") == ["json", "markdown", "text"]


def test_scenario_names(bash_script):
    assert complete(bash_script, "sandbox", "start", "--scenario", "dup") == ["duplicate"]
    assert complete(bash_script, "sandbox", "start", "--scenario", "") == sorted(scenarios.names())


def test_symptom_and_step_ids_from_the_tree(bash_script):
    tree = load_tree()
    assert complete(bash_script, "diagnose", "--symptom", "") == sorted(tree.symptoms)
    assert complete(bash_script, "diagnose", "--symptom", "no-lic") == ["no-license"]
    steps = complete(bash_script, "diagnose", "--step", "S5.1")
    assert steps == sorted(s for s in tree.nodes if s.startswith("S5.1"))
    assert "S5.10" in steps


def test_file_arguments_complete_paths(bash_script, tmp_path):
    (tmp_path / "sigasi.lic").write_text("")
    (tmp_path / "other.txt").write_text("")
    assert complete(bash_script, "lint", "sig", cwd=tmp_path) == ["sigasi.lic"]
    assert complete(bash_script, "check", "--license", "sig", cwd=tmp_path) == ["sigasi.lic"]


def test_data_choices_are_the_data():
    choices = data_choices()
    assert choices[("sandbox start", "--scenario")] == scenarios.names()
    assert set(choices[("diagnose", "--step")]) == set(load_tree().nodes)


def test_zsh_script_names_everything():
    text = script("zsh")
    assert text.startswith("#compdef lmdoctor")
    for word in ("sandbox", "completion", "--scenario", "--symptom", "--step", "duplicate", "no-license", "S5.10",
                 "_files"):
        assert word in text, word


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed")
def test_zsh_loads_it_through_compinit(tmp_path):
    (tmp_path / "_lmdoctor").write_text(script("zsh"))
    syntax = subprocess.run([ZSH, "-n", str(tmp_path / "_lmdoctor")], capture_output=True, text=True, timeout=30)
    assert syntax.returncode == 0, syntax.stderr
    code = (f"fpath=({tmp_path} $fpath); autoload -U compinit; compinit -u -D -d {tmp_path}/.zcompdump; "
            "print -r -- ${_comps[lmdoctor]}; autoload -Uz +X _lmdoctor && print loaded")
    out = subprocess.run([ZSH, "-f", "-c", code], capture_output=True, text=True, timeout=30,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["_lmdoctor", "loaded"]
