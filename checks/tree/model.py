"""The troubleshooting tree as plain data: symptoms, questions, probes and leaves.

Node ids are the step ids a person sees (``S2``, ``S2.3``): one namespace over every
data file, so a helpdesk agent can say "go to step S2.3" and mean exactly one node.
Question and probe nodes share one shape (``choices``): a probe's outcome is the key
of one of its choices, so when the probe cannot run here the same choices are asked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

QUESTION = "question"
PROBE = "probe"
LEAF = "leaf"
KINDS = (QUESTION, PROBE, LEAF)
# A probe that could not run (no license, not the server, module missing) says this;
# the walk then asks the node's question instead.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Choice:
    key: str  # what --answer STEP=KEY gives and what a probe returns
    label: str  # what a person reads
    next: str  # node id


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    source: str  # data file it came from (for error messages)
    title: str = ""
    question: str = ""  # questions and probes: what is asked (probes: when they cannot run)
    help: str = ""  # how a person finds the answer (where to look, what to run)
    choices: Tuple[Choice, ...] = ()
    probe: Optional[str] = None
    # leaves
    diagnosis: str = ""
    fix: Tuple[str, ...] = ()
    repair: Optional[str] = None
    status: str = "fail"  # fail / warn / info: how bad the diagnosis is
    seed_ref: Optional[str] = None

    @property
    def is_leaf(self) -> bool:
        return self.kind == LEAF

    def choice(self, key: str) -> Optional[Choice]:
        for c in self.choices:
            if c.key == key:
                return c
        return None

    def resolve_choice(self, given: str) -> Optional[Choice]:
        """Accept the choice key, its 1-based number, or (case-insensitive) its key or label."""
        g = (given or "").strip()
        if not g:
            return None
        c = self.choice(g)
        if c:
            return c
        if g.isascii() and g.isdigit():  # '²' passes isdigit() alone and int() then raises
            i = int(g)
            if 1 <= i <= len(self.choices):
                return self.choices[i - 1]
            return None
        low = g.lower()
        for c in self.choices:
            if c.key.lower() == low or c.label.lower() == low:
                return c
        return None

    def successors(self) -> List[str]:
        return [c.next for c in self.choices]


@dataclass(frozen=True)
class Symptom:
    id: str
    title: str
    start: str
    source: str
    messages: Tuple[str, ...] = ()  # texts people paste (dialog text, log line fragments)
    codes: Tuple[int, ...] = ()  # FlexLM major codes that mean this symptom
    # Codes that mean this symptom only together with one of its messages (the vendor's own
    # words): -9 with "username does not match" is a user-locked license; -9 alone a MAC mismatch.
    context_codes: Tuple[int, ...] = ()
    exit_reasons: Tuple[int, ...] = ()  # vendor-daemon exit reasons (signal = base + reason)
    catalogue: Tuple[str, ...] = ()  # checks/flexnet catalogue entry ids
    keywords: Tuple[str, ...] = ()  # extra words for fuzzy matching ("checklist" symptoms)
    seed_ref: Optional[str] = None


@dataclass
class Tree:
    symptoms: Dict[str, Symptom] = field(default_factory=dict)
    nodes: Dict[str, Node] = field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def symptom(self, symptom_id: str) -> Symptom:
        return self.symptoms[symptom_id]

    def leaves(self) -> List[Node]:
        return [n for n in self.nodes.values() if n.is_leaf]

    def reachable(self, start: str) -> List[str]:
        """Every node id reachable from ``start`` (itself included)."""
        seen: Dict[str, None] = {}
        todo = [start]
        while todo:
            nid = todo.pop()
            if nid in seen or nid not in self.nodes:
                continue
            seen[nid] = None
            todo.extend(self.nodes[nid].successors())
        return list(seen)

    def symptom_for_step(self, step: str, prefer: Optional[str] = None) -> Optional[str]:
        """A symptom whose walk can reach ``step`` (``prefer`` when it can): for "go to step S2.3"."""
        if prefer in self.symptoms and step in self.reachable(self.symptoms[prefer].start):
            return prefer
        for s in self.symptoms.values():
            if s.start == step:
                return s.id
        family = step.split(".", 1)[0]  # S5.10 belongs to the symptom that starts at S5
        for s in self.symptoms.values():
            if s.start == family and step in self.reachable(s.start):
                return s.id
        for s in self.symptoms.values():
            if step in self.reachable(s.start):
                return s.id
        return None

    def paths(self, symptom_id: str, limit: int = 100000) -> List[List[str]]:
        """Every path from the symptom's start to a node without successors (DAG only)."""
        out: List[List[str]] = []
        stack: List[List[str]] = [[self.symptoms[symptom_id].start]]
        while stack and len(out) < limit:
            path = stack.pop()
            node = self.nodes.get(path[-1])
            if node is None or not node.choices:
                out.append(path)
                continue
            for nxt in reversed(node.successors()):
                stack.append(path + [nxt])
        return out
