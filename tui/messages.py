"""Messages workers post back to the UI thread."""
from __future__ import annotations

from typing import List, Optional

from textual.message import Message

from checks.findings import Finding, Report


class FindingFound(Message):
    """One finding, streamed while a check still runs."""

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding


class ProgressChanged(Message):
    """Progress of a long job. A newer one replaces an older one still in the queue."""

    def __init__(self, done: int, total: int, label: str) -> None:
        super().__init__()
        self.done, self.total, self.label = done, total, label

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ProgressChanged)


class JobFinished(Message):
    def __init__(self, job: str, report: Optional[Report] = None, error: Optional[str] = None) -> None:
        super().__init__()
        self.job, self.report, self.error = job, report, error


class FindingsReady(Message):
    """A whole list of findings computed at once (explain, lint)."""

    def __init__(self, source: str, findings: List[Finding]) -> None:
        super().__init__()
        self.source, self.findings = source, findings
