"""Messages workers post back to the UI thread.

Every message of a job carries the job's ``run`` number: a pane bumps it when it starts a
new run, so anything an old (cancelled) worker still posts is recognised and dropped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

from textual.message import Message

from lmdoctor.checks.findings import Finding, Report
from lmdoctor.checks.runtime import RunState

if TYPE_CHECKING:  # the tree loads in a worker, after the app is up
    from lmdoctor.checks.tree.model import Tree


class FindingFound(Message):
    """One finding, streamed while a check still runs."""

    def __init__(self, finding: Finding, run: int = 0) -> None:
        super().__init__()
        self.finding, self.run = finding, run


class ProgressChanged(Message):
    """Progress of a long job. A newer one replaces an older one of the same run still in the queue."""

    def __init__(self, done: int, total: int, label: str, run: int = 0) -> None:
        super().__init__()
        self.done, self.total, self.label, self.run = done, total, label, run

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ProgressChanged) and message.run == self.run


class JobFinished(Message):
    """A job ended: FINISHED with its report, FAILED with an error text, or CANCELLED by the user.

    ``state`` defaults from the rest: an ``error`` means FAILED, else FINISHED.
    """

    def __init__(self, job: str, report: Optional[Report] = None, error: Optional[str] = None,
                 run: int = 0, state: Optional[RunState] = None) -> None:
        super().__init__()
        self.job, self.report, self.error, self.run = job, report, error, run
        self.state = state or (RunState.FAILED if error else RunState.FINISHED)

    @property
    def cancelled(self) -> bool:
        return self.state is RunState.CANCELLED


class FindingsReady(Message):
    """A whole list of findings computed at once (explain, lint)."""

    def __init__(self, source: str, findings: List[Finding], run: int = 0) -> None:
        super().__init__()
        self.source, self.findings, self.run = source, findings, run


class WalkUpdated(Message):
    """The troubleshooter's walk moved (a probe answered, or it stopped at a question or a leaf)."""

    def __init__(self, walk: object) -> None:
        super().__init__()
        self.walk = walk

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WalkUpdated) and message.walk is self.walk


class WalkFailed(Message):
    """Advancing the walk raised; the pane shows the error and stays usable."""

    def __init__(self, walk: object, error: str) -> None:
        super().__init__()
        self.walk, self.error = walk, error


class TreeLoaded(Message):
    """The troubleshooting tree finished loading (off the UI thread), or failed to."""

    def __init__(self, tree: Optional[Tree], error: Optional[str] = None) -> None:
        super().__init__()
        self.tree, self.error = tree, error
