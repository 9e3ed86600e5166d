"""What a repair is made of: planned actions, their results, the plan and the run.

A plan is data: every action says what it fixes, exactly what it changes (a unified diff, an
argv, a link, a pid and its command line) and how it will be checked afterwards, before anything
is touched. The private fields (``payload``) carry what the applier needs and are not shown.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..findings import Finding


class ActionKind(str, enum.Enum):
    FILE_EDIT = "file edit"
    LINK = "link"
    PROCESS = "process"
    SERVICE = "service"
    MANUAL = "manual"


class ResultStatus(str, enum.Enum):
    APPLIED = "applied"
    SKIPPED = "skipped"
    FAILED = "failed"
    MANUAL = "manual"


@dataclass
class PlannedAction:
    id: str  # the repair id the tree's leaves carry (license.set-server-host ...)
    title: str
    fixes: List[str]  # finding ids this action addresses
    kind: ActionKind
    change: str  # a unified diff, an argv, "link -> target", "pid N: command line", or the manual steps
    needs_root: bool = False
    reversible: bool = True
    verify: str = ""  # how the result is checked after applying
    target: Optional[str] = None  # the file, link or process it acts on (for the app and the journal)
    notes: List[str] = field(default_factory=list)  # said with the action (symlinked file, leftovers, clients)
    sudo: Optional[str] = None  # the exact line to run when lmdoctor is not root
    after: List[str] = field(default_factory=list)  # ids of planned actions this one needs applied first
    payload: Dict[str, Any] = field(default_factory=dict, repr=False)  # for the applier only
    key: str = ""  # unique in its plan: id, or id#N when an id acts on several targets

    @property
    def manual(self) -> bool:
        return self.kind is ActionKind.MANUAL

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "fixes": list(self.fixes),
            "kind": self.kind.value,
            "change": self.change,
            "needs_root": self.needs_root,
            "reversible": self.reversible,
            "verify": self.verify,
        }


@dataclass
class ActionResult:
    id: str
    status: ResultStatus
    detail: str = ""
    key: str = ""
    # What --undo needs: files written (path, backup, sha after), links made, processes started.
    undo: Dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "status": self.status.value, "detail": self.detail}


@dataclass
class RepairPlan:
    actions: List[PlannedAction]
    license_path: Optional[str]
    before: List[Finding]
    notes: List[str] = field(default_factory=list)  # said once, above the actions
    unaddressed: List[Finding] = field(default_factory=list)  # fail/warn findings no action covers
    consequences: Dict[str, str] = field(default_factory=dict)  # finding id -> the action key that resolves it

    def by_key(self, key: str) -> Optional[PlannedAction]:
        for a in self.actions:
            if a.key == key:
                return a
        return None

    @property
    def changes_anything(self) -> bool:
        return any(not a.manual for a in self.actions)


@dataclass
class RepairRun:
    plan: RepairPlan
    results: List[ActionResult]
    after: List[Finding]
    run_id: Optional[str] = None
    journal_dir: Optional[str] = None
    mode: str = "apply"  # "apply", "dry-run", "dry-run (no terminal)"

    def to_dict(self, version: str) -> Dict[str, Any]:
        return {
            "lmdoctor": version,
            "plan": [a.to_dict() for a in self.plan.actions],
            "results": [r.to_dict() for r in self.results],
            "after": {"findings": [f.to_dict() for f in self.after]},
        }
