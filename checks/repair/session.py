"""One repair from start to end, for the CLI and the app alike: check, plan, apply, check again.

Slow calls take a CancelToken and report progress through callbacks, so the app runs them in a
thread worker and the CLI on its own thread; neither decides anything the other does not.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Optional

from ..check import CheckOptions, check_machine
from ..findings import Finding, Status
from ..probes.runner import ProgressCallback
from ..runtime import NEVER_CANCELLED, CancelToken
from .apply import Applier, Decide, Event, _noop
from .context import RepairContext, build_context
from .journal import Journal, last_stopped_launch
from .model import RepairPlan, RepairRun, ResultStatus
from .planner import build_plan
from .process_actions import Launch, appending


@dataclass
class RepairOptions:
    check: CheckOptions = field(default_factory=CheckOptions)
    only: List[str] = field(default_factory=list)
    skip: List[str] = field(default_factory=list)


def _journal_launch(rc: RepairContext) -> Optional[Launch]:
    """'The same argv as last time', when no lmgrd runs: what an earlier repair stopped or started."""
    if rc.servers or not rc.license_path:
        return None
    rec = last_stopped_launch(rc.license_path, rc.env)
    if not rec or not rec.get("argv") or not os.path.isfile(rec["argv"][0]):
        return None
    argv = appending(rec["argv"])
    return Launch(argv, rec.get("cwd") or os.path.dirname(argv[0]), None, None,
                  f"the arguments of the lmgrd an earlier repair stopped (pid {rec.get('pid')})")


def plan_repair(opts: RepairOptions, cancel: CancelToken = NEVER_CANCELLED,
                on_progress: Optional[ProgressCallback] = None) -> "tuple[RepairContext, RepairPlan]":
    """Check this machine and plan. Raises check.LicenseArgumentError for an unreadable --license."""
    run = check_machine(opts.check, cancel=cancel, on_progress=on_progress)
    rc = build_context(run, env=dict(opts.check.env) if opts.check.env is not None else None, home=opts.check.home)
    plan = build_plan(rc, opts.only, opts.skip, opts.check.servers, today=opts.check.today,
                      journal_launch=_journal_launch(rc))
    return rc, plan


def after_check(opts: RepairOptions, cancel: CancelToken = NEVER_CANCELLED) -> List[Finding]:
    return list(check_machine(opts.check, cancel=cancel).report.findings)


def apply_repair(opts: RepairOptions, rc: RepairContext, plan: RepairPlan, decide: Decide, on_event: Event = _noop,
                 dry_run: bool = False, cancel: CancelToken = NEVER_CANCELLED, argv: Optional[List[str]] = None,
                 mode: str = "apply") -> RepairRun:
    """Apply (or, dry, only walk) the plan, journaled; then the whole check again when anything changed.

    Raises journal.JournalError before any change when the journal cannot be written.
    """
    journal = None
    if not dry_run and plan.changes_anything:
        journal = Journal(env=rc.env)
        journal.create(plan, mode, list(argv or []))
    results = Applier(plan, rc, journal, cancel).run(decide, on_event, dry_run=dry_run)
    applied = any(r.status is ResultStatus.APPLIED for r in results)
    after = after_check(opts, cancel) if applied else list(plan.before)
    if journal is not None:
        counts = {s.value: sum(1 for f in after if f.status is s) for s in Status}
        journal.finish(counts)
    return RepairRun(plan, results, after, journal.run_id if journal else None, journal.dir if journal else None,
                     mode)
