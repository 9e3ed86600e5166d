#!/usr/bin/env python3
"""Mutation testing of six engine modules: one small realistic bug at a time, does a test notice?

Prints the mutation score per module (killed / judged). Not part of CI: it runs the covering tests
once per mutant. Run it inside the sandbox, at most two workers on a shared machine:

    /work/bin/isolated .venv/bin/python bench/bench_mutation.py              # all six modules
    /work/bin/isolated .venv/bin/python bench/bench_mutation.py redact errors --jobs 2
    .venv/bin/python bench/bench_mutation.py --list lmstat                   # the mutants, not run
    /work/bin/isolated .venv/bin/python bench/bench_mutation.py walk --survivors   # what lives, and where

Why a driver of its own (and not mutmut or cosmic-ray): lmdoctor.checks is the folder checks/
installed through setuptools' package-dir mapping. mutmut 3 copies the sources into mutants/ and
imports them from there, which this layout does not give it; cosmic-ray rewrites the file on disk,
so two workers would test each other's mutants and an interrupted run leaves a bug in the work
tree. Here the parent process imports lmdoctor and the covering test modules once, then forks one
child per mutant; the child swaps the mutated code into the already imported functions (the
function's ``__code__``, so every ``from ... import`` binding sees it too) or re-runs the mutated
module-level statement, and runs pytest in-process with ``-x`` on the tests that execute the mutated
lines (the baseline run records which test runs which line; --all-tests runs every covering file
instead, same verdicts, slower). Nothing on disk changes. Tests that
start ``python -m lmdoctor`` in a subprocess do not see the mutant: the mapping below lists the
in-process tests that cover each module.

Operators (one mutant each): comparison flipped to its neighbour (< <=, > >=, == !=, in / not in,
is / is not); and/or swapped; ``not`` dropped; + and - swapped (also in +=); * and / swapped; an
integer constant n made n+1; True/False swapped; any/all and min/max swapped; break/continue
swapped; ``return X`` made ``return None``. Strings (messages, regular expressions), annotations,
docstrings and f-strings are left alone. A mutant on a line the tests never run counts as
survived without running. A timeout counts as killed (the bug hangs the tests).

Equivalent mutants (no test can tell them apart, because the program behaves the same) are
excluded from the score only through EQUIVALENT below, each with its reason; --survivors prints
the rest.

Scores (killed / judged), 2026-11-30, --jobs 2 in /work/bin/isolated, issue 9 "Tests that bite":

    module                        before    after   what raised it
    checks/tree/walk.py            59.4%    96.2%   back over presets/probes, text-only probes, JSON choices
    checks/probes/listeners.py     66.7%    84.3%   every listener state on real sockets of lmgrd/sigasi/java
    checks/redact.py               64.4%    98.6%   upper/mixed case, addresses, this machine's names, meta
    checks/errors.py               48.1%    91.4%   tables checked against the facts file, errno, signal, Winsock
    checks/flexnet/lmstat.py       64.3%    94.1%   every line's kind in real files, cut pastes, lost indents, odd
                                                    displays, codeless errors (75.2% on 2026-11-30 before this)
    checks/license/lint.py         66.0%    87.7%   mistakes made on a Sigasi-shaped key: ports, dates, limits, copy
                                                    damage, signatures, hostids, triads, MACs, Windows daemon paths

lmstat: 287 mutants, 253 killed, 12 survived, 4 uncovered, 18 equivalent (first measured: 286, 215, 59, 12, 0).
lint: 527 mutants, 451 killed, 56 survived, 7 uncovered, 9 equivalent, 4 not applied (the string concatenations
of _TYPO_RE/_NON_ASCII); first measured 2026-11-30: 524, 343, 153, 24, 0, 4. Most lint survivors left are
display limits (evidence cut at 120/80/40 characters for lines no test makes that long, at most 8 characters
named, 4 vendor lines proposed), the token detector's size limits, and corner cases of joined-line and
Windows-path parsing that no real file shows.

("before" = the suite as the issue found it plus the WIP's lint/errors tests; lint's "before" is its first
measurement, with the suite as the earlier bite work left it; walk's "after" was measured before its
back_to_question break was told apart from advance()'s, see EQUIVALENT.)
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

REPO = Path(__file__).resolve().parent.parent

# module key -> (file, import name, the in-process tests that cover it)
MODULES: Dict[str, Tuple[str, str, List[str]]] = {
    "lint": ("checks/license/lint.py", "lmdoctor.checks.license.lint", [
        "tests/unit/test_license_lint_rules.py", "tests/unit/test_lint_vendors.py",
        "tests/unit/test_license_properties.py", "tests/unit/test_license_realworld.py",
        "tests/unit/test_lint_cases.py",
    ]),
    "errors": ("checks/errors.py", "lmdoctor.checks.errors", [
        "tests/unit/test_errors.py", "tests/unit/test_match_codes_first.py", "tests/unit/test_explain.py",
    ]),
    "lmstat": ("checks/flexnet/lmstat.py", "lmdoctor.checks.flexnet.lmstat", [
        "tests/unit/test_lmstat.py", "tests/unit/test_lmstat_as_of.py", "tests/unit/test_lmstat_user_lines.py",
        "tests/unit/test_lmstat_cases.py", "tests/unit/test_lmdiag.py",
    ]),
    "walk": ("checks/tree/walk.py", "lmdoctor.checks.tree.walk", [
        "tests/unit/test_tree_walk.py", "tests/unit/test_match_codes_first.py",
    ]),
    "listeners": ("checks/probes/listeners.py", "lmdoctor.checks.probes.listeners", [
        "tests/unit/test_probes_network.py", "tests/unit/test_probes_listeners.py",
    ]),
    "redact": ("checks/redact.py", "lmdoctor.checks.redact", [
        "tests/unit/test_redact.py",
    ]),
}

# (module key, text on the mutated line, operator) -> why no test can tell the mutant from the original.
# When the same text and operator occur more than once in a module, "text #n" names the n-th.
_GUARD = "a bound on advance(): the tree is acyclic (load_tree refuses cycles), so it never runs out"
EQUIVALENT: Dict[Tuple[str, str, str], str] = {
    ("walk", "guard = len(self.tree.nodes) + 1  # the tree is acyclic: a walk never visits more nodes", "+ -> -"):
        _GUARD,
    ("walk", "guard = len(self.tree.nodes) + 1  # the tree is acyclic: a walk never visits more nodes", "1 -> 2"):
        _GUARD,
    ("walk", "while not self.current.is_leaf and guard > 0:", "> -> >="): _GUARD,
    ("walk", "while not self.current.is_leaf and guard > 0:", "0 -> 1"): _GUARD,
    ("walk", "guard -= 1", "- -> +"): _GUARD,
    ("walk", "guard -= 1", "1 -> 2"): _GUARD,
    ("walk", "while not self.current.is_leaf and guard > 0:", "and -> or"):
        "at a leaf the loop body breaks at once (a leaf is neither preset nor a probe)",
    ("walk", "break  # the person went back to this step to answer it again", "break -> continue"):
        "continue re-enters the loop at the same held node until the guard ends it: same node, same state",
    ("walk", "break #2", "break -> continue"):  # advance()'s last break (#1 is back_to_question's: not equivalent)
        "the probe's answer is cached: looping again at the same node ends in the same state",
    ("walk", "if res is not None and res.outcome != UNKNOWN:", "and -> or"):
        "res is None only for a probe node without a probe, which load_tree refuses; 'unknown' is no choice",
    ("redact", 'self.add("host", name.split(".", 1)[0])', "1 -> 2"): "maxsplit 2 leaves part [0] the same",
    ("redact", 'addr = ipaddress.ip_address(text.split("%", 1)[0])', "1 -> 2"): "maxsplit 2 leaves part [0] the same",
    ("redact", 'ipaddress.ip_address(text.split("%", 1)[0])', "1 -> 2"): "maxsplit 2 leaves part [0] the same",
    ("redact", "return False", "return X -> return None"): "_is_ip's result is only used as a truth value",
    ("errors", "if major > 0:", "> -> >="): "-0 is 0: negating zero changes nothing",
    ("errors", "if isinstance(text, str) and text:", "and -> or"):
        "with an empty text no variant's pattern matches, so looping over them changes nothing",
    ("errors", "break", "break -> continue"): "each code has at most one variant, so no later one can match",
    ("lmstat", "line: int = 0", "0 -> 1"):
        "a default no record uses: the reader passes line= to every ServerStatus, VendorDaemon, LicenseFileRef, "
        "Reservation, UserLicense, FeatureVersion, Feature, ServerBlock and LicenseTableRow it builds",
    ("lmstat", "ambiguous: bool = False  # the user/host/display split had to be guessed (spaces in names)",
     "False -> True"): "a default no record uses: the reader passes ambiguous= to every UserLicense",
    ("lmstat", "permanent: bool = False #2", "False -> True"):  # #1 is FeatureVersion's: a cut paste uses it
        "a default no record uses: the reader passes permanent to every LicenseTableRow",
    ("lmstat", "return self.up >= self.members // 2 + 1", "2 -> 3"):
        "a Quorum is only built for a triad: 3 // 2 + 1 and 3 // 3 + 1 are both 2",
    ("lmstat", 'return a.split(".", 1)[0] == b.split(".", 1)[0] and ("." not in a or "." not in b)', "1 -> 2"):
        "maxsplit 2 leaves part [0] the same",
    ("lmstat", "for i in range(1, len(tokens) - 1): #1", "1 -> 2"):
        "hi starts at 1, so skipping index 1 in the search for the last host-like token changes nothing",
    ("lmstat", "return UNPARSED #3", "return X -> return None"):  # _itable_row: a row without its expiry
        "None lets the later shapes try the row; a row of four words has no error code and no lmutil command, "
        "so the line ends UNPARSED either way",
    ("lmstat", "return UNPARSED #4", "return X -> return None"): "the same, in the other column order",
    ("lmstat", 'vendor_last = order.index("vendor") > order.index("expires")', "> -> >="):
        "two different column names never have the same index",
    ("lint", "return None, False", "False -> True"):
        "role_guessed is read only by _hostid_check, which returns first when there is no identity",
    ("lint", "return True, True #2", "True -> False"):  # #1 is on_server: not equivalent
        "role_guessed is read only when on_server is falsy; here on_server is True",
    ("lint", "if self.per_id.get(id, 0) < MAX_PER_ID:", "< -> <="):
        "full() only spares building a finding: emit() caps at MAX_PER_ID again and counts the same extra",
    ("lint", "if self.per_id.get(id, 0) < MAX_PER_ID:", "0 -> 1"): "an id not seen yet is below the cap either way",
    ("lint", "return False", "return X -> return None"): "full()'s result is only used as a truth value",
    ("lint", "if keyword_line and len(e.starts) > 1:", "> -> >="): "a one-line entry has no starts[1:] to look at",
    ("lint", "words = head.split(None, 1)", "1 -> 2"): "maxsplit 2 leaves words[0] the same",
    ("lint", 'zero = s.hostid.strip("0:-") == "" or (s.hostid.split("=", 1)[-1].strip("0") == "") #1', "1 -> 2"):
        "maxsplit 2 on 'KIND=value' leaves the last part the same (#2, the [-1], is not equivalent)",
    ("lint", "usual = max({s.port for s in ported}, key=lambda p: (sum(1 for s in ported if s.port == p), "
             "-ported.index(", "1 -> 2"): "counting each line twice ranks the ports the same",
    ("redact", 'if kind == "host" and _is_ip(v):', "== -> !="):
        "no address reaches add() as a host: IPv4 stops at the version-number filter, IPv6 matches no host "
        "pattern; the address pass names both ip-N",
}

HYPOTHESIS_CAP = 30  # examples per property test while hunting mutants
NOT_APPLIED = 97  # the child could not put the mutant in place (reported, not scored)


# ---------------------------------------------------------------------------------------- mutants
@dataclass
class Mutant:
    key: str
    index: int
    line: int
    end_line: int
    op: str
    text: str  # the source line, stripped
    in_function: bool = True
    status: str = ""  # killed / survived / timeout / uncovered / equivalent / not-applied
    reason: str = ""
    seconds: float = 0.0


_CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
             ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
_BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_BIN_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CALL_SWAP = {"any": "all", "all": "any", "min": "max", "max": "min"}


@dataclass
class Site:
    node: ast.AST
    parent: ast.AST
    field_name: str
    list_index: Optional[int]
    kind: str
    arg: Any
    top: int  # index of the module-level statement that holds it
    op: str
    in_function: bool  # False: runs at import (module or class level), so always counted as covered


def _children(node: ast.AST) -> Iterator[Tuple[str, Optional[int], ast.AST]]:
    for name, value in ast.iter_fields(node):
        if name in ("annotation", "returns", "type_comment", "decorator_list"):
            continue
        if isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, ast.AST):
                    yield name, i, v
        elif isinstance(value, ast.AST):
            yield name, None, value


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def sites(tree: ast.Module) -> List[Site]:
    """Every mutation site in a fixed order (the same for the same source)."""
    out: List[Site] = []

    def visit(node: ast.AST, parent: ast.AST, fname: str, idx: Optional[int], top: int, fn: bool) -> None:
        if isinstance(node, ast.JoinedStr):
            return  # f-strings are messages
        if _is_type_checking(node):
            return
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        if isinstance(node, ast.Compare):
            for j, cop in enumerate(node.ops):
                new = _CMP_SWAP.get(type(cop))
                if new is not None:
                    out.append(Site(node, parent, fname, idx, "cmp", (j, new), top,
                                    f"{_CMP_TEXT[type(cop)]} -> {_CMP_TEXT[new]}", fn))
        elif isinstance(node, ast.BoolOp):
            out.append(Site(node, parent, fname, idx, "bool", None, top,
                            "and -> or" if isinstance(node.op, ast.And) else "or -> and", fn))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out.append(Site(node, parent, fname, idx, "not", None, top,
                            "not x -> x", fn))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BIN_SWAP:
            new = _BIN_SWAP[type(node.op)]
            out.append(Site(node, parent, fname, idx, "binop", new, top,
                            f"{_BIN_TEXT[type(node.op)]} -> {_BIN_TEXT[new]}", fn))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            out.append(Site(node, parent, fname, idx, "const", not node.value, top,
                            f"{node.value} -> {not node.value}", fn))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            out.append(Site(node, parent, fname, idx, "const", node.value + 1, top,
                            f"{node.value} -> {node.value + 1}", fn))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALL_SWAP:
            out.append(Site(node, parent, fname, idx, "call", _CALL_SWAP[node.func.id], top,
                            f"{node.func.id}() -> {_CALL_SWAP[node.func.id]}()", fn))
        elif isinstance(node, ast.Break):
            out.append(Site(node, parent, fname, idx, "flow", ast.Continue, top,
                            "break -> continue", fn))
        elif isinstance(node, ast.Continue):
            out.append(Site(node, parent, fname, idx, "flow", ast.Break, top,
                            "continue -> break", fn))
        elif (isinstance(node, ast.Return) and node.value is not None
              and not (isinstance(node.value, ast.Constant) and node.value.value is None)):
            out.append(Site(node, parent, fname, idx, "return", None, top,
                            "return X -> return None", fn))
        # docstrings are strings: never mutated, so no need to skip them here
        inner = fn or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for name, i, child in _children(node):
            # a function's default values are computed where it is defined
            defaults = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and name == "args"
            visit(child, node, name, i, top, fn if defaults else inner)

    for t, stmt in enumerate(tree.body):
        visit(stmt, tree, "body", t, t, False)
    return out


def _apply(site: Site) -> None:
    node = site.node
    if site.kind == "cmp":
        j, new = site.arg
        node.ops[j] = new()  # type: ignore[attr-defined]
    elif site.kind == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()  # type: ignore[attr-defined]
    elif site.kind == "binop":
        node.op = site.arg()  # type: ignore[attr-defined]
    elif site.kind == "const":
        node.value = site.arg  # type: ignore[attr-defined]
    elif site.kind == "call":
        node.func = ast.copy_location(ast.Name(id=site.arg, ctx=ast.Load()), node.func)  # type: ignore
    elif site.kind in ("not", "flow"):
        repl = node.operand if site.kind == "not" else ast.copy_location(site.arg(), node)  # type: ignore
        if site.list_index is None:
            setattr(site.parent, site.field_name, repl)
        else:
            getattr(site.parent, site.field_name)[site.list_index] = repl
    elif site.kind == "return":
        node.value = ast.copy_location(ast.Constant(value=None), node.value)  # type: ignore[attr-defined]


def list_mutants(key: str) -> List[Mutant]:
    path = REPO / MODULES[key][0]
    src = path.read_text(encoding="utf-8")
    lines = src.splitlines()
    out = []
    for i, s in enumerate(sites(ast.parse(src))):
        line = getattr(s.node, "lineno", 0)
        end = getattr(s.node, "end_lineno", line) or line
        out.append(Mutant(key, i, line, end, s.op, lines[line - 1].strip() if line else "", s.in_function))
    return out


# ---------------------------------------------------------------------------------------- swapping in
def _unwrap(obj: Any) -> Any:
    while hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    return obj


def _swap_function(orig: Any, new: Any) -> None:
    orig, new = _unwrap(orig), _unwrap(new)
    if isinstance(orig, (staticmethod, classmethod)):
        orig, new = orig.__func__, new.__func__
    if isinstance(orig, property):
        for part in ("fget", "fset", "fdel"):
            if getattr(orig, part) is not None:
                _swap_function(getattr(orig, part), getattr(new, part))
        return
    if hasattr(orig, "__code__"):
        orig.__code__ = new.__code__
        orig.__defaults__ = new.__defaults__
        orig.__kwdefaults__ = new.__kwdefaults__


def _rebind(old: Any, new: Any) -> None:
    """A module-level value changed: every loaded lmdoctor module that imported the old object gets the new."""
    for name, mod in list(sys.modules.items()):
        if not name.startswith(("lmdoctor", "tests")) or mod is None:
            continue
        for attr, val in list(vars(mod).items()):
            if val is old:
                setattr(mod, attr, new)


def install(mutant: Mutant) -> None:
    """Put one mutant into the imported module (in this process only)."""
    import importlib

    rel, modname, _ = MODULES[mutant.key]
    path = REPO / rel
    tree = ast.parse(path.read_text(encoding="utf-8"))
    site = sites(tree)[mutant.index]
    _apply(site)
    ast.fix_missing_locations(tree)
    mod = importlib.import_module(modname)
    stmt = tree.body[site.top]
    code = compile(ast.Module(body=[stmt], type_ignores=[]), str(path), "exec")
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        scratch = dict(vars(mod))
        exec(code, scratch)  # noqa: S102 - the module's own statement, mutated, in a scratch namespace
        orig, new = vars(mod)[stmt.name], scratch[stmt.name]
        if isinstance(stmt, ast.ClassDef):
            for name, value in vars(new).items():
                if name in vars(orig) and (callable(value) or isinstance(value, (property, staticmethod,
                                                                                  classmethod))):
                    _swap_function(vars(orig)[name], value)
                elif name in vars(orig) and not name.startswith("__") and vars(orig)[name] != value:
                    setattr(orig, name, value)
        else:
            _swap_function(orig, new)
        return
    before = dict(vars(mod))
    exec(code, vars(mod))  # noqa: S102 - a module-level statement, mutated, re-run in its module
    for name, val in vars(mod).items():
        if name in before and before[name] is not val:
            _rebind(before[name], val)


# ---------------------------------------------------------------------------------------- running
def pytest_args(tests: List[str]) -> List[str]:
    return ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--no-header", "-o", "addopts=",
            "-W", "ignore", *tests]


def _silence(log: Optional[Path]) -> None:
    fd = os.open(str(log) if log else os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _child(tests: List[str], mutant: Optional[Mutant], trace_file: Optional[str], log: Optional[Path]) -> None:
    """Runs in the forked child; never returns."""
    rc = 1
    try:
        os.setpgid(0, 0)
        _silence(log)
        import pytest

        if mutant is not None:
            try:
                install(mutant)
            except Exception as exc:  # e.g. a mutant that does not compile
                sys.stderr.write(f"not applied: {type(exc).__name__}: {exc}\n")
                os._exit(NOT_APPLIED)
        if trace_file:
            rc = _traced(tests, trace_file)
        else:
            rc = int(pytest.main(pytest_args(tests)))
    except BaseException as exc:  # noqa: B036 - the child must always leave through os._exit
        sys.stderr.write(f"child failed: {exc!r}\n")
        rc = 3
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)


def _traced(tests: List[str], trace_file: str) -> int:
    """The baseline run, recording which test executes which line of the target file.

    Lines run while no test is running (imports, collection, parametrize lists) are recorded
    under "": a mutant there runs every test file.
    """
    import threading

    import pytest

    target = os.path.realpath(os.environ["LMD_MUTATION_TARGET"])
    current = {"id": ""}
    order: Dict[str, int] = {"": 0}
    by_line: Dict[int, Set[str]] = {}

    def seen(line: int) -> None:
        by_line.setdefault(line, set()).add(current["id"])

    def local(frame, event, arg):
        if event == "line":
            seen(frame.f_lineno)
        return local

    is_target: Dict[str, bool] = {}

    def glob(frame, event, arg):
        fn = frame.f_code.co_filename
        hit = is_target.get(fn)
        if hit is None:
            hit = is_target[fn] = os.path.realpath(fn) == target
        if hit and event == "call":
            seen(frame.f_lineno)
            return local
        return None

    class Which:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(self, item):
            current["id"] = item.nodeid
            order.setdefault(item.nodeid, len(order))

        @pytest.hookimpl(trylast=True)
        def pytest_runtest_teardown(self, item):
            current["id"] = item.nodeid

    sys.settrace(glob)
    threading.settrace(glob)
    try:
        rc = int(pytest.main(pytest_args(tests), plugins=[Which()]))
    finally:
        sys.settrace(None)
        threading.settrace(None)
    Path(trace_file).write_text(json.dumps(
        {str(line): sorted(ids, key=lambda i: order.get(i, 0)) for line, ids in sorted(by_line.items())}))
    return rc


@dataclass
class Running:
    mutant: Optional[Mutant]
    started: float
    timeout: float
    pid: int


@dataclass
class Runner:
    jobs: int
    log_dir: Path
    running: Dict[int, Running] = field(default_factory=dict)

    def fork(self, tests: List[str], mutant: Optional[Mutant], timeout: float, trace_file: Optional[str] = None
             ) -> int:
        log = self.log_dir / (f"{mutant.key}-{mutant.index}.log" if mutant else "baseline.log")
        pid = os.fork()
        if pid == 0:
            _child(tests, mutant, trace_file, log)
        self.running[pid] = Running(mutant, time.monotonic(), timeout, pid)
        return pid

    def reap(self, block: bool) -> List[Tuple[Running, Optional[int]]]:
        """Finished children: (run, exit code or None for a timeout)."""
        done: List[Tuple[Running, Optional[int]]] = []
        while True:
            for pid, run in list(self.running.items()):
                if time.monotonic() - run.started > run.timeout:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    os.waitpid(pid, 0)
                    del self.running[pid]
                    done.append((run, None))
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid, status = 0, 0
            if pid and pid in self.running:
                run = self.running.pop(pid)
                try:  # helpers the tests started in the child's group go with it
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                done.append((run, os.waitstatus_to_exitcode(status)))
                continue
            if done or not block or not self.running:
                return done
            time.sleep(0.02)


def _prepare(key: str) -> None:
    """Import what the children need once, so each fork starts warm."""
    import importlib

    import pytest  # noqa: F401

    # A test's own @settings(max_examples=200) would win over the profile: cap it here, so a
    # surviving mutant costs seconds, not minutes (the examples stay the same: derandomized).
    from hypothesis import settings

    if not getattr(settings.__init__, "_capped", False):
        real_init = settings.__init__

        def capped(self, parent=None, **kw):
            if isinstance(kw.get("max_examples"), int):
                kw["max_examples"] = min(kw["max_examples"], HYPOTHESIS_CAP)
            real_init(self, parent, **kw)

        capped._capped = True  # type: ignore[attr-defined]
        settings.__init__ = capped  # type: ignore[method-assign]
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # as pytest's rootdir conftest would
    importlib.import_module("tests.conftest")  # loads the hypothesis profile before any @settings
    importlib.import_module(MODULES[key][1])
    for t in MODULES[key][2]:
        if (REPO / t).exists():
            importlib.import_module(t[:-3].replace("/", "."))


def _tests_for(m: Mutant, by_line: Dict[int, List[str]], files: List[str]) -> List[str]:
    """The tests that run the mutated lines (in collection order); every file for import-time code."""
    if not m.in_function:
        return files
    ids: Dict[str, None] = {}
    for line in range(m.line, m.end_line + 1):
        for i in by_line.get(line, []):
            ids.setdefault(i, None)
    if not ids or "" in ids:
        return files
    return list(ids)


def run_module(key: str, jobs: int, timeout: Optional[float], log_dir: Path, only: Optional[Set[int]] = None,
               progress: bool = True, all_tests: bool = False) -> List[Mutant]:
    rel, _, tests = MODULES[key]
    tests = [t for t in tests if (REPO / t).exists()]
    mutants = list_mutants(key)
    if only is not None:
        mutants = [m for m in mutants if m.index in only]
    runner = Runner(jobs, log_dir)
    os.environ["LMD_MUTATION_TARGET"] = str(REPO / rel)
    _prepare(key)
    trace_file = str(log_dir / f"{key}-lines.json")
    t0 = time.monotonic()
    runner.fork(tests, None, 3600, trace_file)
    [(_, rc)] = runner.reap(block=True)
    base = time.monotonic() - t0
    if rc != 0:
        raise SystemExit(f"{key}: the tests fail without any mutant (exit {rc}); see {log_dir / 'baseline.log'}")
    by_line: Dict[int, List[str]] = {int(k): v for k, v in json.loads(Path(trace_file).read_text()).items()}
    covered = set(by_line)
    limit = timeout if timeout else max(10.0, 3 * base + 5)
    if progress:
        print(f"{key}: {len(mutants)} mutants; baseline {base:.1f} s over {len(tests)} test files; "
              f"timeout {limit:.0f} s per mutant", file=sys.stderr, flush=True)
    queue: List[Mutant] = []
    seen: Dict[Tuple[str, str], int] = {}
    nth: Dict[int, str] = {}
    for m in list_mutants(key):  # occurrences count over the whole module, also with --only
        seen[(m.text, m.op)] = seen.get((m.text, m.op), 0) + 1
        nth[m.index] = f"{m.text} #{seen[(m.text, m.op)]}"
    for m in mutants:
        why = EQUIVALENT.get((key, m.text, m.op)) or EQUIVALENT.get((key, nth[m.index], m.op))
        if why:
            m.status, m.reason = "equivalent", why
        elif m.in_function and not covered.intersection(range(m.line, m.end_line + 1)):
            m.status = "uncovered"
        else:
            queue.append(m)
    done = 0
    while queue or runner.running:
        while queue and len(runner.running) < jobs:
            m = queue.pop(0)
            runner.fork(tests if all_tests else _tests_for(m, by_line, tests), m, limit)
        for run, rc in runner.reap(block=True):
            m = run.mutant
            assert m is not None
            m.seconds = time.monotonic() - run.started
            if rc is None:
                m.status = "timeout"
            elif rc == NOT_APPLIED:
                m.status = "not-applied"
            elif rc == 0:
                m.status = "survived"
            else:
                m.status = "killed"
                (log_dir / f"{key}-{m.index}.log").unlink(missing_ok=True)
            done += 1
            if progress and done % 25 == 0:
                print(f"  {key}: {done} run, {len(queue)} to go", file=sys.stderr, flush=True)
    return mutants


def score(mutants: List[Mutant]) -> Tuple[int, int, float]:
    judged = [m for m in mutants if m.status not in ("equivalent", "not-applied")]
    killed = sum(1 for m in judged if m.status in ("killed", "timeout"))
    return killed, len(judged), (100.0 * killed / len(judged) if judged else 100.0)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", metavar="MODULE",
                    help=f"which modules (default: all): {', '.join(MODULES)}")
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2; at most 2 on a shared machine)")
    ap.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the baseline + 5, at least 10)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--survivors", action="store_true", help="print every surviving mutant")
    ap.add_argument("--only", help="comma-separated mutant indexes (with one module)")
    ap.add_argument("--all-tests", action="store_true",
                    help="run every covering test file for each mutant (default: only the tests that run its line)")
    ap.add_argument("--json", type=Path, help="write every mutant's result here")
    ap.add_argument("--log-dir", type=Path, default=REPO / "build" / "mutation",
                    help="pytest output of surviving mutants (default build/mutation)")
    a = ap.parse_args(argv)
    keys = a.modules or list(MODULES)
    for key in keys:
        if key not in MODULES:
            ap.error(f"unknown module {key!r} (choose from {', '.join(MODULES)})")
    if a.list:
        for key in keys:
            for m in list_mutants(key):
                print(f"{key}:{m.index}\t{MODULES[key][0]}:{m.line}\t{m.op}\t{m.text}")
        return 0
    if a.jobs > 2:
        print("bench_mutation: more than 2 workers on 2 shared cores slows everyone: using 2", file=sys.stderr)
        a.jobs = 2
    os.chdir(REPO)
    os.environ.setdefault("LMDOCTOR_HYPOTHESIS_PROFILE", "mutation")
    # pytest's entry-point plugins (xdist, the snapshot plugins that import Textual, hypothesis's
    # reporter) cost two thirds of each mutant's run and none of these tests needs them.
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    a.log_dir.mkdir(parents=True, exist_ok=True)
    only = {int(x) for x in a.only.split(",")} if a.only else None
    results: Dict[str, List[Mutant]] = {}
    t0 = time.monotonic()
    for key in keys:
        results[key] = run_module(key, a.jobs, a.timeout, a.log_dir, only, all_tests=a.all_tests)
    print(f"{'module':<28} {'mutants':>7} {'killed':>6} {'survived':>8} {'uncovered':>9} {'equiv':>5} {'score':>7}")
    for key, ms in results.items():
        killed, judged, pct = score(ms)
        n = len(ms)
        surv = sum(1 for m in ms if m.status == "survived")
        unc = sum(1 for m in ms if m.status == "uncovered")
        eq = sum(1 for m in ms if m.status == "equivalent")
        print(f"{MODULES[key][0]:<28} {n:>7} {killed:>6} {surv:>8} {unc:>9} {eq:>5} {pct:>6.1f}%")
        na = [m for m in ms if m.status == "not-applied"]
        if na:
            print(f"  {len(na)} mutant(s) could not be put in place (not scored): "
                  + ", ".join(str(m.index) for m in na))
    print(f"({time.monotonic() - t0:.0f} s, {a.jobs} worker(s))")
    excluded = [m for ms in results.values() for m in ms if m.status == "equivalent"]
    if excluded:
        print("\nExcluded as equivalent:")
        for m in excluded:
            print(f"  {MODULES[m.key][0]}:{m.line} {m.op}: {m.reason}")
    if a.survivors:
        print("\nSurvivors:")
        for ms in results.values():
            for m in ms:
                if m.status in ("survived", "uncovered"):
                    print(f"  {m.key}:{m.index} {MODULES[m.key][0]}:{m.line} [{m.status}] {m.op}   {m.text}")
    if a.json:
        a.json.write_text(json.dumps({k: [vars(m) for m in ms] for k, ms in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
