"""Scrapes: which targets to probe now, in parallel (bounded), and when to stop waiting.

Each scrape has a deadline (the config's, lowered to what Prometheus says it will wait). A
scrape starts a probe for every target that has none running, starts every endpoint connect of
those probes at once, and hands a target to the bounded pool (``parallel`` workers, so at most
that many lmutil processes) only when its connects are done, so a worker never sits out a
firewall's timeout. When the deadline comes, the scrape answers with what it has.

A probe that outlives the deadline of the scrape that started it keeps running (its lmutil has
its own timeout, and is killed with its process group) but is never waited for again: the next
scrape reports it as overrun at once and starts no second probe of that target beside it. A
probe that a concurrent scrape started (two Prometheus servers scraping together) and that is
still within that scrape's deadline is joined, not repeated.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..findings import Finding, Status
from .config import ServeConfig, TargetConfig
from .probe import (
    Round,
    Shared,
    TargetResult,
    local_candidate,
    probe_target,
    read_license_cached,
    scan_vendors,
    target_endpoints,
)

CONNECT_WORKERS = 64  # connects only wait; many can run at once
MIN_DEADLINE = 0.5


@dataclass
class Job:
    target: TargetConfig
    future: "Future[TargetResult]"
    started: float
    deadline: float  # the deadline of the scrape that started it


@dataclass
class Scrape:
    """What one scrape has to show: one result per target, in config order, and its own timing."""

    results: List[TargetResult] = field(default_factory=list)
    seconds: float = 0.0
    deadline: float = 0.0
    started: int = 0  # probes this scrape started
    joined: int = 0  # probes of a concurrent scrape it waited for
    overrun: int = 0  # probes it did not wait for (again)


class Exporter:
    """Probes the configured targets on demand. Thread-safe: scrapes may overlap."""

    def __init__(self, config: ServeConfig, lmutil: Optional[str] = None, env: Optional[Dict[str, str]] = None,
                 clock=time.monotonic) -> None:
        self.shared = Shared(config, lmutil=lmutil, env=env)
        self.clock = clock
        self._lock = threading.Lock()
        self._jobs: Dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=config.parallel, thread_name_prefix="lmdoctor-target")
        self._connects = ThreadPoolExecutor(max_workers=CONNECT_WORKERS, thread_name_prefix="lmdoctor-connect")
        self._closed = False
        # The host identity (an FQDN lookup that may take seconds) is read now, not in the first scrape.
        threading.Thread(target=self._warm, daemon=True, name="lmdoctor-identity").start()

    def _warm(self) -> None:
        try:
            self.shared.identity()
        except Exception:
            pass  # the first local check reads it again

    @property
    def config(self) -> ServeConfig:
        return self.shared.config

    @property
    def stats(self):
        return self.shared.stats

    def reload(self, config: ServeConfig) -> None:
        """Use a new config from the next scrape on (running probes of dropped targets finish on their own)."""
        with self._lock:
            self.shared.use_config(config)
            names = {t.name for t in config.targets}
            for name in [n for n in self._jobs if n not in names]:
                del self._jobs[name]  # its probe, if running, finishes on its own

    # ------------------------------------------------------------------ one scrape

    def scrape(self, deadline: Optional[float] = None) -> Scrape:
        """Probe what needs probing and return within the config's deadline, or ``deadline`` if sooner
        (what Prometheus says it will wait)."""
        limit = self.config.deadline if deadline is None else min(self.config.deadline, deadline)
        limit = max(MIN_DEADLINE, limit)
        start = self.clock()
        until = start + limit
        out = Scrape(deadline=limit)
        self.stats.bump("scrapes")
        waiting: List[Job] = []
        mine: List[Job] = []
        with self._lock:
            if self._closed:
                raise RuntimeError("the exporter is closed")
            targets = list(self.config.targets)
            fresh: List[TargetConfig] = []
            for t in targets:
                job = self._jobs.get(t.name)
                if job is not None and not job.future.done():
                    if start < job.deadline:
                        waiting.append(job)  # a concurrent scrape's probe, still in its time: join it
                        out.joined += 1
                    else:
                        out.overrun += 1  # waited for once already: never again
                else:
                    fresh.append(t)
            for job in self._start_round(fresh, start, until):
                self._jobs[job.target.name] = job
                waiting.append(job)
                mine.append(job)
                out.started += 1
        left = until - self.clock()
        if waiting and left > 0:
            wait([j.future for j in waiting], timeout=left)
        now = self.clock()
        for t in targets:
            job = self._jobs.get(t.name)
            if job is None:
                continue
            if job.future.done():
                try:
                    out.results.append(job.future.result())
                except Exception as exc:  # a bug in lmdoctor: say so, keep the other targets
                    out.results.append(_failed(t, exc, now - job.started))
                continue
            first = any(j is job for j in waiting)
            if any(j is job for j in mine):
                self.stats.bump("overruns")
            out.results.append(_overrun(t, job, now, first))
        out.seconds = self.clock() - start
        return out

    def _start_round(self, targets: List[TargetConfig], start: float, until: float) -> List[Job]:
        if not targets:
            return []
        rnd = Round(self.shared, self._connects)
        eps: Dict[str, List[Tuple[str, int]]] = {}
        longest: Dict[Tuple[str, int], float] = {}
        for t in targets:
            eps[t.name] = target_endpoints(self.shared, t)
            for ep in eps[t.name]:
                longest[ep] = max(longest.get(ep, 0.0), t.timeout)
        rnd.start_endpoints(longest)  # every connect of the round starts now, together
        local = [t for t in targets if local_candidate(self.shared, t)]
        if local:
            vendors: List[str] = []
            for t in local:
                vendors += scan_vendors(t, read_license_cached(self.shared, t.license_file)[0])
            rnd.prefetch_scan(vendors)  # one process-table read, beside the connects
        jobs = []
        for t in targets:
            result: "Future[TargetResult]" = Future()
            result.set_running_or_notify_cancel()
            futures = {ep: rnd.endpoint(ep, longest[ep]) for ep in eps[t.name]}
            self._when_all(list(futures.values()), lambda t=t, futures=futures, result=result:
                           self._submit(t, rnd, futures, result, start))
            self.stats.bump("probes_started")
            jobs.append(Job(t, result, start, until))
        return jobs

    @staticmethod
    def _when_all(futures: List["Future"], then) -> None:
        if not futures:
            then()
            return
        left = [len(futures)]
        lock = threading.Lock()

        def one(_f) -> None:
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                then()

        for f in futures:
            f.add_done_callback(one)

    def _submit(self, target: TargetConfig, rnd: Round, futures, result: "Future[TargetResult]",
                start: float) -> None:
        def body() -> None:
            try:
                res = probe_target(target, rnd, futures)
                res.duration = self.clock() - start  # from the round's start: the connects count too
                result.set_result(res)
            except BaseException as exc:
                result.set_exception(exc)

        try:
            self._pool.submit(body)
        except RuntimeError as exc:  # shutting down
            result.set_exception(exc)

    # ------------------------------------------------------------------ shutdown

    def close(self, wait_for_probes: bool = True) -> None:
        """Cancel running probes (their lmutil process groups are killed) and stop the workers."""
        with self._lock:
            self._closed = True
        self.shared.cancel.cancel()
        self._connects.shutdown(wait=False)
        self._pool.shutdown(wait=wait_for_probes)

    def __enter__(self) -> "Exporter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _overrun(t: TargetConfig, job: Job, now: float, first: bool) -> TargetResult:
    age = now - job.started
    if first:
        title = (f"The probe of {t.name} did not finish within the scrape deadline "
                 f"({job.deadline - job.started:g} s); it goes on, and the next scrape will not wait for it again")
    else:
        title = (f"The probe of {t.name} started {age:.0f} s ago is still running; this scrape did not wait "
                 "for it again")
    f = Finding("serve.probe-overrun", Status.WARN, title,
                detail="lmutil answers slower than Prometheus waits: one server of the target is slow, or hangs "
                       "until the target's timeout.",
                fix=f"Lower timeout for target {t.name!r} below the scrape deadline, or raise scrape_timeout "
                    "(and deadline) so a whole probe fits in one scrape.")
    return TargetResult(t.name, up=False, duration=age, findings=[f], lmstat_error=True, overrun=True)


def _failed(t: TargetConfig, exc: BaseException, seconds: float) -> TargetResult:
    f = Finding("serve.probe-error", Status.WARN, f"Probing {t.name} failed: {type(exc).__name__}",
                detail=str(exc)[:500], fix="This is a bug in lmdoctor; please report it with this text.")
    return TargetResult(t.name, up=False, duration=seconds, findings=[f], lmstat_error=True)
