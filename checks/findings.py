"""Findings: the unit every check produces, and the report that collects them."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union


class Status(str, enum.Enum):
    OK = "ok"
    INFO = "info"
    SKIP = "skip"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        # Worst first when sorting: fail > warn > skip > info > ok.
        return _RANK[self]

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


_RANK = {Status.OK: 0, Status.INFO: 1, Status.SKIP: 2, Status.WARN: 3, Status.FAIL: 4}


class ExitCode(enum.IntEnum):
    """The exit-code contract (monitoring-plugin convention). Never renumber."""

    OK = 0  # all fine
    WARN = 1  # warnings only
    FAIL = 2  # at least one failure
    ERROR = 3  # lmdoctor itself could not do the job (bad arguments, unreadable input)


Evidence = Union[str, Sequence[str]]


@dataclass(frozen=True)
class Finding:
    id: str
    status: Status
    title: str
    detail: str = ""
    fix: str = ""
    evidence: Evidence = ""
    file: Optional[str] = None
    line: Optional[int] = None
    seed_ref: Optional[str] = None

    @property
    def area(self) -> str:
        """The id's first part (``license``, ``process`` ...): how text output groups findings."""
        return self.id.split(".", 1)[0]

    @property
    def evidence_lines(self) -> List[str]:
        if not self.evidence:
            return []
        if isinstance(self.evidence, str):
            return [self.evidence]
        return [str(e) for e in self.evidence]

    def with_(self, **changes: Any) -> "Finding":
        return replace(self, **changes)

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "evidence": self.evidence if isinstance(self.evidence, str) else list(self.evidence),
        }
        if self.file is not None:
            d["file"] = self.file
        if self.line is not None:
            d["line"] = self.line
        if self.seed_ref is not None:
            d["seed_ref"] = self.seed_ref
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Finding":
        ev = d.get("evidence", "")
        return cls(
            id=d["id"],
            status=Status(d["status"]),
            title=d.get("title", ""),
            detail=d.get("detail", ""),
            fix=d.get("fix", ""),
            evidence=ev if isinstance(ev, str) else tuple(ev),
            file=d.get("file"),
            line=d.get("line"),
            seed_ref=d.get("seed_ref"),
        )


def prefix_title(prefix: str, title: str) -> str:
    """``prefix`` + ``title``, unless the title already starts with the prefix's words
    ("Debug log: " + "Debug log read" stays "Debug log read")."""
    head = prefix.rstrip(": ").strip()
    if head and title.lower().startswith(head.lower()):
        return title
    return prefix + title


def worst(findings: Iterable[Finding]) -> Status:
    result = Status.OK
    for f in findings:
        if f.status.rank > result.rank:
            result = f.status
    return result


def exit_code_for(findings: Iterable[Finding]) -> ExitCode:
    w = worst(findings)
    if w is Status.FAIL:
        return ExitCode.FAIL
    if w is Status.WARN:
        return ExitCode.WARN
    return ExitCode.OK


def sort_worst_first(findings: Iterable[Finding]) -> List[Finding]:
    # Stable: within a status, the order checks produced them (usually file order).
    return sorted(findings, key=lambda f: -f.status.rank)


@dataclass
class Report:
    """What one command found. ``meta`` carries command-specific data for JSON (license used, ...)."""

    command: str
    findings: List[Finding] = field(default_factory=list)
    meta: Dict[str, Any] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.findings)

    def counts(self) -> Dict[str, int]:
        c = {s.value: 0 for s in Status}
        for f in self.findings:
            c[f.status.value] += 1
        return c
