"""Load the tree from ``data/*.toml`` and validate it before anyone walks it.

Every mistake a person editing the data can make is an error at load time, all of them
reported at once with the file and node they concern: unknown node ids, unreachable
nodes, cycles, probes that do not exist (or can return an outcome the node has no
branch for), symptoms with a path that ends anywhere but at a leaf.
"""
from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.9 / 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

from ..exceptions import LmdoctorError
from .model import KINDS, LEAF, PROBE, QUESTION, UNKNOWN, Choice, Node, Symptom, Tree

DATA_DIR = Path(__file__).with_name("data")
STEP_ID = re.compile(r"^S[1-9][0-9]*(?:\.[1-9][0-9]*)*$")
SYMPTOM_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CHOICE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LEAF_STATUSES = ("fail", "warn", "info")

_SYMPTOM_FIELDS = {"id", "title", "start", "messages", "codes", "context_codes", "exit_reasons", "catalogue",
                   "keywords", "seed_ref"}
_NODE_FIELDS = {"id", "kind", "title", "question", "help", "choices", "probe", "diagnosis", "fix", "repair",
                "status", "seed_ref"}
_CHOICE_FIELDS = {"key", "label", "next"}


class TreeError(LmdoctorError, ValueError):
    """The tree data is invalid. ``errors`` lists every problem found, each naming file and node."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        super().__init__("invalid troubleshooting tree:\n  " + "\n  ".join(self.errors))


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _parse_file(name: str, data: Mapping[str, Any], tree: Tree, errors: List[str]) -> None:
    for key in data:
        if key not in ("family", "symptom", "node"):
            errors.append(f"{name}: unknown top-level key {key!r} (expected family, [[symptom]], [[node]])")
    for i, s in enumerate(data.get("symptom", []) or []):
        _parse_symptom(name, i, s, tree, errors)
    for i, n in enumerate(data.get("node", []) or []):
        _parse_node(name, i, n, tree, errors)


# Each parser below reports every problem it sees (the editor gets them all at once) and still
# adds what it can, so later checks (links, reachability) run on the rest of the tree.

def _parse_symptom(name: str, i: int, s: Any, tree: Tree, errors: List[str]) -> None:
    where = f"{name}: symptom #{i + 1}"
    if not isinstance(s, dict):
        errors.append(f"{where}: not a table")
        return
    sid = s.get("id")
    if not isinstance(sid, str) or not SYMPTOM_ID.match(sid):
        errors.append(f"{where}: id {sid!r} must be lowercase words joined by '-'")
        return
    where = f"{name}: symptom {sid}"
    for k in s:
        if k not in _SYMPTOM_FIELDS:
            errors.append(f"{where}: unknown field {k!r}")
    if not isinstance(s.get("title"), str) or not s.get("title"):
        errors.append(f"{where}: needs a title")
    if not isinstance(s.get("start"), str):
        errors.append(f"{where}: needs start = node id")
    for k in ("messages", "catalogue", "keywords"):
        if k in s and not _strs(s[k]):
            errors.append(f"{where}: {k} must be a list of strings")
    for k in ("codes", "context_codes", "exit_reasons"):
        if k in s and not (isinstance(s[k], list) and all(isinstance(x, int) for x in s[k])):
            errors.append(f"{where}: {k} must be a list of integers")
    if sid in tree.symptoms:
        errors.append(f"{where}: duplicate symptom id (also in {tree.symptoms[sid].source})")
        return
    tree.symptoms[sid] = Symptom(
        id=sid, title=str(s.get("title", "")), start=str(s.get("start", "")), source=name,
        messages=tuple(s.get("messages", []) if _strs(s.get("messages", [])) else ()),
        codes=tuple(int(c) for c in s.get("codes", []) if isinstance(c, int)),
        context_codes=tuple(int(c) for c in s.get("context_codes", []) if isinstance(c, int)),
        exit_reasons=tuple(int(c) for c in s.get("exit_reasons", []) if isinstance(c, int)),
        catalogue=tuple(s.get("catalogue", []) if _strs(s.get("catalogue", [])) else ()),
        keywords=tuple(s.get("keywords", []) if _strs(s.get("keywords", [])) else ()),
        seed_ref=s.get("seed_ref") if isinstance(s.get("seed_ref"), str) else None,
    )


def _parse_node(name: str, i: int, n: Any, tree: Tree, errors: List[str]) -> None:
    where = f"{name}: node #{i + 1}"
    if not isinstance(n, dict):
        errors.append(f"{where}: not a table")
        return
    nid = n.get("id")
    if not isinstance(nid, str) or not STEP_ID.match(nid):
        errors.append(f"{where}: id {nid!r} is not a step id like S2 or S2.3")
        return
    where = f"{name}: {nid}"
    for k in n:
        if k not in _NODE_FIELDS:
            errors.append(f"{where}: unknown field {k!r}")
    kind = n.get("kind")
    if kind not in KINDS:
        errors.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        return
    choices = _parse_choices(where, n.get("choices", []), errors)
    fix = n.get("fix", [])
    if isinstance(fix, str):
        fix = [fix]
    if not _strs(fix):
        errors.append(f"{where}: fix must be a list of strings")
        fix = []
    status = n.get("status", "fail")
    _check_node_kind(where, kind, n, choices, fix, status, errors)
    if nid in tree.nodes:
        errors.append(f"{where}: duplicate node id (also in {tree.nodes[nid].source})")
        return
    tree.nodes[nid] = Node(
        id=nid, kind=kind, source=name, title=str(n.get("title", "")), question=str(n.get("question", "")),
        help=str(n.get("help", "")), choices=tuple(choices),
        probe=n.get("probe") if isinstance(n.get("probe"), str) else None,
        diagnosis=str(n.get("diagnosis", "")), fix=tuple(fix),
        repair=n.get("repair") if isinstance(n.get("repair"), str) else None,
        status=status if status in LEAF_STATUSES else "fail",
        seed_ref=n.get("seed_ref") if isinstance(n.get("seed_ref"), str) else None,
    )


def _parse_choices(where: str, raw_choices: Any, errors: List[str]) -> List[Choice]:
    choices: List[Choice] = []
    if not isinstance(raw_choices, list):
        errors.append(f"{where}: choices must be a list")
        raw_choices = []
    seen: Set[str] = set()
    for j, c in enumerate(raw_choices):
        if not isinstance(c, dict) or not all(isinstance(c.get(k), str) for k in _CHOICE_FIELDS):
            errors.append(f"{where}: choice #{j + 1} needs key, label and next (strings)")
            continue
        for k in c:
            if k not in _CHOICE_FIELDS:
                errors.append(f"{where}: choice {c.get('key')!r} has unknown field {k!r}")
        # Keys are typed by the user at the prompt: digits pick by position, "unknown" is built in.
        if not CHOICE_KEY.match(c["key"]) or c["key"] == UNKNOWN or c["key"].isdigit():
            errors.append(f"{where}: choice key {c['key']!r} must be a lowercase word (not a number, "
                          f"not {UNKNOWN!r})")
        if c["key"] in seen:
            errors.append(f"{where}: duplicate choice key {c['key']!r}")
        seen.add(c["key"])
        choices.append(Choice(c["key"], c["label"], c["next"]))
    return choices


def _check_node_kind(where: str, kind: str, n: Mapping[str, Any], choices: List[Choice], fix: List[str],
                     status: Any, errors: List[str]) -> None:
    """A leaf ends a walk (diagnosis, fix, status); a question or probe node asks and branches."""
    if kind == LEAF:
        if choices:
            errors.append(f"{where}: a leaf has no choices")
        if not n.get("diagnosis"):
            errors.append(f"{where}: a leaf needs a diagnosis")
        if not fix:
            errors.append(f"{where}: a leaf needs fix steps")
        if status not in LEAF_STATUSES:
            errors.append(f"{where}: status {status!r} is not one of {', '.join(LEAF_STATUSES)}")
        return
    if not choices:
        errors.append(f"{where}: a {kind} node needs at least one choice")
    if not n.get("question"):
        errors.append(f"{where}: a {kind} node needs question text"
                      + (" (asked when the probe cannot run here)" if kind == PROBE else ""))
    if kind == PROBE and not isinstance(n.get("probe"), str):
        errors.append(f"{where}: a probe node needs probe = name")
    if kind == QUESTION and n.get("probe"):
        errors.append(f"{where}: a question node has no probe (make it kind = \"probe\")")


def validate(tree: Tree, probes: Optional[Mapping[str, Sequence[str]]] = None,
             catalogue_ids: Optional[Iterable[str]] = None) -> List[str]:
    """Every problem of a parsed tree. ``probes`` maps probe name -> outcomes it can return."""
    errors: List[str] = []
    if not tree.symptoms:
        errors.append("no symptoms defined")
    errors.extend(_link_errors(tree, probes))
    errors.extend(_symptom_errors(tree, catalogue_ids))
    errors.extend(_unreachable_errors(tree))
    cycles = _cycle_errors(tree)
    errors.extend(cycles)
    # With a cycle a walk could never end; that is reported already, so only acyclic graphs are
    # checked for paths that end anywhere but at a leaf.
    if not cycles:
        errors.extend(_dead_end_errors(tree))
    return errors


def _link_errors(tree: Tree, probes: Optional[Mapping[str, Sequence[str]]]) -> List[str]:
    """Choices that lead nowhere; probes that do not exist or can answer what the node cannot take."""
    errors: List[str] = []
    for n in tree.nodes.values():
        for c in n.choices:
            if c.next not in tree.nodes:
                errors.append(f"{n.source}: {n.id}: choice {c.key!r} goes to unknown node {c.next!r}")
        if n.kind == PROBE and n.probe and probes is not None:
            if n.probe not in probes:
                errors.append(f"{n.source}: {n.id}: probe {n.probe!r} does not exist")
            else:
                keys = {c.key for c in n.choices}
                for outcome in probes[n.probe]:
                    if outcome != UNKNOWN and outcome not in keys:
                        errors.append(f"{n.source}: {n.id}: probe {n.probe!r} can answer {outcome!r} "
                                      f"but the node has no choice for it")
    return errors


def _symptom_errors(tree: Tree, catalogue_ids: Optional[Iterable[str]]) -> List[str]:
    errors: List[str] = []
    cat = set(catalogue_ids) if catalogue_ids is not None else None
    for s in tree.symptoms.values():
        if s.start not in tree.nodes:
            errors.append(f"{s.source}: symptom {s.id}: start {s.start!r} is not a node")
        if cat is not None:
            for cid in s.catalogue:
                if cid not in cat:
                    errors.append(f"{s.source}: symptom {s.id}: catalogue entry {cid!r} does not exist")
        if s.context_codes and not s.messages:
            errors.append(f"{s.source}: symptom {s.id}: context_codes count only with one of its messages; it has none")
        if not (s.messages or s.codes or s.catalogue or s.keywords or s.exit_reasons):
            errors.append(f"{s.source}: symptom {s.id}: nothing to match it by (messages, codes, catalogue, keywords)")
    return errors


def _unreachable_errors(tree: Tree) -> List[str]:
    """Nodes no symptom's start leads to."""
    reached: Set[str] = set()
    stack = [s.start for s in tree.symptoms.values() if s.start in tree.nodes]
    while stack:
        nid = stack.pop()
        if nid in reached:
            continue
        reached.add(nid)
        stack.extend(x for x in tree.nodes[nid].successors() if x in tree.nodes)
    return [f"{tree.nodes[nid].source}: {nid}: unreachable from every symptom"
            for nid in sorted(set(tree.nodes) - reached, key=_step_key)]


def _cycle_errors(tree: Tree) -> List[str]:
    """Cycles: an iterative three-colour DFS over the whole graph (no recursion limit on big trees)."""
    errors: List[str] = []
    colour: Dict[str, int] = {}
    for root in sorted(tree.nodes, key=_step_key):
        if colour.get(root):
            continue
        path: List[str] = []
        work: List[Tuple[str, int]] = [(root, 0)]
        while work:
            nid, i = work.pop()
            succ = [x for x in tree.nodes[nid].successors() if x in tree.nodes]
            if i == 0:
                colour[nid] = 1
                path.append(nid)
            if i < len(succ):
                work.append((nid, i + 1))
                nxt = succ[i]
                if colour.get(nxt) == 1:
                    cyc = path[path.index(nxt):] + [nxt]
                    errors.append(f"{tree.nodes[nid].source}: cycle {' -> '.join(cyc)}")
                elif not colour.get(nxt):
                    work.append((nxt, 0))
            else:
                colour[nid] = 2
                path.pop()
    return errors


def _dead_end_errors(tree: Tree) -> List[str]:
    """Every path of every symptom ends at a leaf. Only for an acyclic graph."""
    ok: Dict[str, bool] = {}

    def ends_in_leaf(nid: str) -> bool:
        # Iterative post-order: a node is decided once all its successors are.
        work: List[Tuple[str, bool]] = [(nid, False)]
        while work:
            x, expanded = work.pop()
            if x in ok:
                continue
            node = tree.nodes.get(x)
            if node is None:
                ok[x] = False
            elif node.is_leaf:
                ok[x] = True
            elif expanded:
                ok[x] = bool(node.choices) and all(ok.get(y, False) for y in node.successors())
            else:
                work.append((x, True))
                work.extend((y, False) for y in node.successors() if y not in ok)
        return ok.get(nid, False)

    return [f"{s.source}: symptom {s.id}: some path from {s.start} does not end at a leaf"
            for s in tree.symptoms.values() if s.start in tree.nodes and not ends_in_leaf(s.start)]


def _step_key(nid: str) -> Tuple[int, ...]:
    try:
        return tuple(int(p) for p in nid[1:].split("."))
    except ValueError:
        return (1 << 30,)


def parse_tree(files: Mapping[str, Mapping[str, Any]]) -> Tuple[Tree, List[str]]:
    """Build a tree from already-decoded TOML documents (name -> data)."""
    tree = Tree()
    errors: List[str] = []
    for name in sorted(files):
        _parse_file(name, files[name], tree, errors)
    return tree, errors


def load_tree_from(paths: Sequence[Path], probes: Optional[Mapping[str, Sequence[str]]] = None,
                   catalogue_ids: Optional[Iterable[str]] = None) -> Tree:
    docs: Dict[str, Mapping[str, Any]] = {}
    errors: List[str] = []
    for p in paths:
        try:
            with open(p, "rb") as fh:
                docs[p.name] = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            errors.append(f"{p.name}: {exc}")
    tree, perr = parse_tree(docs)
    errors.extend(perr)
    errors.extend(validate(tree, probes, catalogue_ids))
    if errors:
        raise TreeError(errors)
    return tree


def default_catalogue_ids() -> List[str]:
    from ..flexnet.catalogue import load_catalogue

    return [e.id for e in load_catalogue().entries]


_cache: Dict[str, Tree] = {}
_lock = threading.Lock()


def load_tree(data_dir: Optional[Path] = None) -> Tree:
    """The shipped tree, validated against the probe registry and the message catalogue."""
    from .probes import registry_outcomes

    key = str(data_dir or DATA_DIR)
    with _lock:
        if key not in _cache:
            paths = sorted(Path(key).glob("*.toml"))
            _cache[key] = load_tree_from(paths, registry_outcomes(), default_catalogue_ids())
        return _cache[key]
