"""``lmdoctor check`` with ``--config`` or ``--format openmetrics``: the exporter's probe, once.

- ``check --config FILE``: every target of the exporter's config probed once (the same probe a
  scrape runs); the findings as a report (text, markdown, json) or as metrics (openmetrics).
- ``check --format openmetrics`` without a config: the usual check of this machine, its findings
  as ``lmdoctor_finding{target="local"}`` and the usage lmstat reported for the servers it asked.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Tuple

from ..findings import Finding, Report
from .config import ServeConfig
from .usage import Usage, expiry_from_license, expiry_from_versions, usage_from_lmstat

LOCAL = "local"


def probe_once(config: ServeConfig, lmutil: Optional[str] = None) -> List[Any]:
    """Probe every target once and wait for all of them (each is bounded by its own timeouts)."""
    from .scheduler import Exporter

    # A one-off run waits for the slowest target: connect + lmstat -a + lmstat -i, each bounded.
    longest = max((t.timeout for t in config.targets), default=5.0)
    wait = max(config.deadline, 3 * longest + 5)
    with Exporter(_with_deadline(config, wait), lmutil=lmutil) as exp:
        return exp.scrape().results


def _with_deadline(config: ServeConfig, seconds: float) -> ServeConfig:
    from dataclasses import replace

    return replace(config, deadline=seconds)


def fleet_report(results: List[Any], config_path: str, seconds: float) -> Report:
    """One report for all targets: each finding's title names its target."""
    report = Report("check")
    for r in results:
        for f in r.findings:
            report.add(f.with_(title=f"[{r.name}] {f.title}"))
    up = sum(1 for r in results if r.up)
    report.meta.update({
        "heading": f"lmdoctor check: {len(results)} target(s) from {config_path}, {up} answering",
        "config": config_path,
        "targets": [{"name": r.name, "up": r.up, "seconds": round(r.duration, 3), "local": r.local}
                    for r in results],
        "seconds": round(seconds, 3),
    })
    return report


class LmstatSink:
    """Collects (PORT@HOST, lmstat result) pairs from run_check's lmutil threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.results: List[Tuple[str, Any]] = []

    def __call__(self, spec: str, result: Any) -> None:
        with self._lock:
            self.results.append((spec, result))


def local_result(report: Report, lmstats: List[Tuple[str, Any]], seconds: float):
    """The machine check as one target named "local": its findings and the usage lmstat showed."""
    from .probe import TargetResult

    usage = Usage()
    for _spec, result in sorted(lmstats, key=lambda x: x[0]):
        u = usage_from_lmstat(result)
        usage.servers += u.servers
        usage.vendors += u.vendors
        usage.features = _merge_features(usage.features + u.features)
        usage.group_reservations += u.group_reservations
        usage.reservations += u.reservations
        usage.quorum += u.quorum
        usage.expiry += expiry_from_versions(result)
    lic_path = (report.meta.get("license") or {}).get("path")
    if lic_path:
        from ..check import read_license
        from ..inputgate import InputError

        try:
            usage.expiry = expiry_from_license(read_license(lic_path))
        except (OSError, ValueError, InputError):
            pass  # the check already has a finding for an unreadable license
    res = TargetResult(LOCAL, up=usage.any_server_up, duration=seconds, findings=list(report.findings),
                       usage=usage, lmstat_error=not lmstats, local=True)
    return res


def _merge_features(features):
    out: Dict[str, Any] = {}
    for f in features:
        if f.name in out:
            out[f.name].issued += f.issued
            out[f.name].used += f.used
        else:
            out[f.name] = f
    return list(out.values())


def openmetrics_text(results: List[Any], redact: bool) -> bytes:
    from .families import LabelHasher, build, exposition

    return exposition(build(results, hasher=LabelHasher() if redact else None, exporter=False), openmetrics=True)


def worst_exit(findings: List[Finding]) -> int:
    from ..findings import exit_code_for

    return int(exit_code_for(findings))

