"""The guided troubleshooter: a decision tree (data/*.toml) from symptoms to fixes.

``load_tree()`` loads and validates it; ``Walk`` walks it (answers, presets, probes);
``match_symptoms`` finds the symptom for a pasted message. Nothing here prints or asks:
the CLI (``lmdoctor diagnose``) and the TUI do that.
"""
from __future__ import annotations

from .loader import TreeError, load_tree, load_tree_from, parse_tree, validate
from .model import LEAF, PROBE, QUESTION, UNKNOWN, Choice, Node, Symptom, Tree
from .walk import Step, Walk, WalkError

__all__ = [
    "Choice", "LEAF", "Node", "PROBE", "QUESTION", "Step", "Symptom", "Tree", "TreeError", "UNKNOWN", "Walk",
    "WalkError", "load_tree", "load_tree_from", "parse_tree", "validate",
]
