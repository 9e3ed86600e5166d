"""One concurrent runner for the probes: a thread pool, a cancel token, a finding sink and
progress callbacks (probe started / finished) for the CLI's progress line and the TUI.

A probe that raises is a bug in lmdoctor, not in the machine: it becomes a ``skip``
finding naming the probe and the error, and the other probes carry on.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, Cancelled, CancelToken, FindingSink, RunState, discard
from .context import ProbeContext

ProbeFunc = Callable[[ProbeContext, CancelToken, FindingSink], List[Finding]]


@dataclass(frozen=True)
class Probe:
    name: str  # stable key: "processes", "reachability" ...
    title: str  # what a progress line shows
    func: ProbeFunc


@dataclass(frozen=True)
class ProgressEvent:
    probe: str
    title: str
    state: RunState
    done: int  # probes finished so far (including this one when state != started)
    total: int
    findings: int = 0  # findings this probe produced (when finished)
    seconds: float = 0.0


ProgressCallback = Callable[[ProgressEvent], None]


def default_probes() -> List[Probe]:
    from .identity import probe_identity
    from .listeners import probe_listeners
    from .processes import probe_processes
    from .reachability import probe_reachability
    from .searchpath import probe_searchpath
    from .system import probe_system
    from .tunnels import probe_tunnels

    # Slowest first so its timeout starts as early as possible.
    return [
        Probe("reachability", "reachability", probe_reachability),
        Probe("identity", "host identity", probe_identity),
        Probe("processes", "processes", probe_processes),
        Probe("listeners", "listeners", probe_listeners),
        Probe("searchpath", "license search path", probe_searchpath),
        Probe("tunnels", "SSH tunnels", probe_tunnels),
        Probe("system", "system files", probe_system),
    ]


def run_probes(ctx: ProbeContext, probes: Optional[Sequence[Probe]] = None,
               cancel: CancelToken = NEVER_CANCELLED, on_finding: FindingSink = discard,
               on_progress: Optional[ProgressCallback] = None, max_workers: Optional[int] = None) -> List[Finding]:
    """Run ``probes`` concurrently; stream findings to ``on_finding``; return them in probe order."""
    probes = list(probes) if probes is not None else default_probes()
    run = _Run(ctx, probes, cancel, on_finding, on_progress)
    workers = max_workers or max(1, len(probes))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lmdoctor-probe")
    try:
        futures = [pool.submit(run.one, p) for p in probes]
        for fut in futures:
            # Wait in slices so Ctrl-C in the main thread is seen promptly.
            while not fut.done():
                try:
                    fut.result(timeout=0.05)
                except Exception:  # a timeout slice: wait again (one() turns a probe's errors into findings)
                    pass
    except BaseException:
        cancel_token = cancel if cancel is not NEVER_CANCELLED else None
        if cancel_token is not None:
            cancel_token.cancel()
        pool.shutdown(wait=False)
        raise
    pool.shutdown(wait=True)
    out: List[Finding] = []
    for p in probes:
        out.extend(run.results[p.name])
    return out


class _Run:
    """One run of the probes: findings per probe (kept in probe order), progress, one lock."""

    def __init__(self, ctx: ProbeContext, probes: List[Probe], cancel: CancelToken, on_finding: FindingSink,
                 on_progress: Optional[ProgressCallback]) -> None:
        self.ctx, self.cancel, self.on_finding, self.on_progress = ctx, cancel, on_finding, on_progress
        self.total = len(probes)
        self.results: Dict[str, List[Finding]] = {p.name: [] for p in probes}
        self.lock = threading.Lock()
        self.done = 0

    def sink(self, probe: Probe) -> FindingSink:
        def put(f: Finding) -> None:
            with self.lock:
                self.results[probe.name].append(f)
            self.on_finding(f)
        return put

    def progress(self, ev: ProgressEvent) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(ev)
        except Exception:
            pass  # a broken progress display must not stop the probes

    def one(self, probe: Probe) -> None:
        """Run one probe in a pool thread; a crash becomes a finding, never an exception."""
        if self.cancel.cancelled:
            return
        start = time.monotonic()
        self.progress(ProgressEvent(probe.name, probe.title, RunState.STARTED, self.done, self.total))
        put = self.sink(probe)
        state = RunState.FINISHED
        try:
            returned = probe.func(self.ctx, self.cancel, put)
            # Probes stream and return the same list; keep any finding only returned, not streamed.
            with self.lock:
                streamed = set(id(f) for f in self.results[probe.name])
            for f in returned or []:
                if id(f) not in streamed:
                    put(f)
        except Cancelled:
            state = RunState.CANCELLED
        except Exception as exc:  # a bug: say so and carry on
            state = RunState.FAILED
            put(Finding(
                "check.probe-error", Status.SKIP, f"The {probe.title} probe failed: {type(exc).__name__}",
                detail=str(exc)[:500], fix="This is a bug in lmdoctor; please report it with this output."))
        with self.lock:
            self.done += 1
            n = self.done
            count = len(self.results[probe.name])
        self.progress(ProgressEvent(probe.name, probe.title, state, n, self.total, count, time.monotonic() - start))
