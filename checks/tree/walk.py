"""Walking the tree: start at a symptom, answer (or let probes answer), reach a leaf.

The walk is a small state machine shared by the CLI and the TUI. Each step taken is
recorded in the transcript with what was asked, who answered (the person, a preset
``--answer``, or a probe), the answer and the evidence, so the result can be pasted into
a ticket and replayed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..exceptions import LmdoctorError
from .model import PROBE, UNKNOWN, Choice, Node, Symptom, Tree
from .probes import ProbeEnv, ProbeResult, is_text_probe, run_probe

BY_PERSON = "person"
BY_PRESET = "answer"  # --answer STEP=CHOICE
BY_PROBE = "probe"


class WalkError(LmdoctorError, ValueError):
    """An answer that does not fit the current node (unknown step or choice)."""


@dataclass
class Step:
    node: Node
    choice: Choice
    by: str  # person / answer / probe
    evidence: List[str] = field(default_factory=list)
    probe_note: List[str] = field(default_factory=list)  # why a probe could not answer (when asked instead)
    source: str = ""

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {
            "id": self.node.id,
            "kind": self.node.kind,
            "question": self.node.question,
            "answer": self.choice.key,
            "answer_label": self.choice.label,
            "answered_by": self.by,
            "next": self.choice.next,
            "evidence": list(self.evidence),
        }
        if self.node.probe:
            d["probe"] = self.node.probe
        if self.probe_note:
            d["probe_unknown"] = list(self.probe_note)
        if self.source:
            d["measured_from"] = self.source
        return d


class Walk:
    """One walk through the tree from one symptom.

    ``auto``: probe nodes are answered by their probe when it can run here; otherwise (and
    for question nodes) the walk stops at the node and waits for ``answer``.
    ``answers``: preset answers by step id (the CLI's ``--answer``), used when the walk
    reaches that step; a preset overrides the probe.
    """

    def __init__(self, tree: Tree, symptom: str, env: Optional[ProbeEnv] = None, auto: bool = False,
                 answers: Optional[Mapping[str, str]] = None, start: Optional[str] = None):
        if symptom not in tree.symptoms:
            raise WalkError(f"unknown symptom {symptom!r}")
        if start is not None and start not in tree.reachable(tree.symptoms[symptom].start):
            raise WalkError(f"step {start!r} is not part of symptom {symptom!r}")
        self.tree = tree
        self.symptom: Symptom = tree.symptoms[symptom]
        self.env = env or ProbeEnv(live=False)
        self.auto = auto
        self.answers: Dict[str, str] = dict(answers or {})
        self.steps: List[Step] = []
        self.start: str = start or self.symptom.start
        self.current: Node = tree.nodes[self.start]
        self.pending_note: List[str] = []  # why the probe at the current node could not answer
        self._probed: Dict[str, ProbeResult] = {}
        self._text: Optional[ProbeEnv] = None
        self._held: Optional[str] = None
        for step_id in self.answers:
            if step_id not in tree.nodes:
                raise WalkError(f"--answer names unknown step {step_id!r}")
            node = tree.nodes[step_id]
            if node.is_leaf:
                raise WalkError(f"step {step_id} is a diagnosis, not a question")
            if node.resolve_choice(self.answers[step_id]) is None:
                raise WalkError(f"{self.answers[step_id]!r} is not a choice of step {step_id} "
                                f"(choices: {', '.join(c.key for c in node.choices)})")

    # -------------------------------------------------------------- state
    @property
    def done(self) -> bool:
        return self.current.is_leaf

    @property
    def leaf(self) -> Optional[Node]:
        return self.current if self.current.is_leaf else None

    def node(self, node_id: str) -> Node:
        return self.tree.nodes[node_id]

    # -------------------------------------------------------------- moving
    def answer(self, given: str, by: str = BY_PERSON) -> Node:
        """Answer the current node with a choice key, number or label; returns the next node."""
        node = self.current
        if node.is_leaf:
            raise WalkError(f"step {node.id} is a diagnosis; there is nothing to answer")
        choice = node.resolve_choice(given)
        if choice is None:
            raise WalkError(f"{given!r} is not a choice of step {node.id} "
                            f"(choices: {', '.join(c.key for c in node.choices)})")
        self._take(node, choice, by, evidence=[], note=list(self.pending_note))
        return self.current

    def back(self) -> Node:
        """Undo the last step (probe steps included) and stand on its node again."""
        if not self.steps:
            return self.current
        last = self.steps.pop()
        self.current = last.node
        self.pending_note = []
        return self.current

    def back_to_question(self) -> Node:
        """Undo steps up to and including the last one a person (or --answer) answered.

        Probe steps in between are undone too; otherwise walking forward again would
        re-apply them and ``back`` would never get anywhere.
        """
        while self.steps:
            last = self.steps.pop()
            self.current = last.node
            if last.by != BY_PROBE:
                self.answers.pop(last.node.id, None)
                self._probed.pop(last.node.id, None)
                self._held = last.node.id
                break
        self.pending_note = []
        return self.current

    def probe_current(self) -> Optional[ProbeResult]:
        node = self.current
        if node.kind != PROBE or not node.probe:
            return None
        if node.id not in self._probed:
            self._probed[node.id] = run_probe(node.probe, self.env if self.auto else self._text_env())
        return self._probed[node.id]

    def _text_env(self) -> ProbeEnv:
        """Without --auto, probes read only what the person gave: the message and named files."""
        if not self.env.live:
            return self.env
        if self._text is None:
            import dataclasses
            import threading

            self._text = dataclasses.replace(self.env, live=False, _cache={}, _lock=threading.RLock())
        return self._text

    def advance(self) -> Node:
        """Go as far as presets and (in auto mode) probes allow; stop at a leaf or an open question."""
        guard = len(self.tree.nodes) + 1  # the tree is acyclic: a walk never visits more nodes
        while not self.current.is_leaf and guard > 0:
            guard -= 1
            node = self.current
            self.pending_note = []
            if node.id == self._held:
                break  # the person went back to this step to answer it again
            if node.id in self.answers:
                choice = node.resolve_choice(self.answers[node.id])
                assert choice is not None  # checked in __init__
                self._take(node, choice, BY_PRESET)
                continue
            # With --auto every probe may answer; without it, those that read only the pasted text
            # and the files named on the command line ("use what the text already says").
            if node.kind == PROBE and (self.auto or is_text_probe(node.probe)):
                res = self.probe_current()
                if res is not None and res.outcome != UNKNOWN:
                    choice = node.choice(res.outcome)
                    if choice is not None:
                        self._take(node, choice, BY_PROBE, evidence=res.evidence, source=res.source)
                        continue
                if res is not None:
                    self.pending_note = list(res.evidence)
            break
        return self.current

    def _take(self, node: Node, choice: Choice, by: str, evidence: Optional[List[str]] = None,
              note: Optional[List[str]] = None, source: str = "") -> None:
        self.steps.append(Step(node, choice, by, list(evidence or []), list(note or []), source))
        self._held = None
        self.current = self.tree.nodes[choice.next]

    # -------------------------------------------------------------- output
    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {
            "symptom": {"id": self.symptom.id, "title": self.symptom.title, "start": self.symptom.start},
            "started_at": self.start,
            "steps": [s.to_dict() for s in self.steps],
            "leaf": leaf_dict(self.current) if self.current.is_leaf else None,
            "pending": None,
        }
        if not self.current.is_leaf:
            n = self.current
            d["pending"] = {
                "id": n.id, "kind": n.kind, "question": n.question, "help": n.help,
                "probe": n.probe, "probe_unknown": list(self.pending_note),
                "choices": [{"number": i + 1, "key": c.key, "label": c.label, "next": c.next,
                             "answer": f"--answer {n.id}={c.key}"} for i, c in enumerate(n.choices)],
            }
        return d


def leaf_dict(n: Node) -> Dict[str, Any]:
    return {"id": n.id, "title": n.title, "diagnosis": n.diagnosis, "fix": list(n.fix), "status": n.status,
            "repair": n.repair, "seed_ref": n.seed_ref}
