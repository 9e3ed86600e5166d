"""The check's verdict: severity by impact, and one fact as one finding with all its evidence.

The probes, the lint, the debug-log analyser and lmstat each see the machine from their own
side, so one fact arrives several times ("runs as root" from the process table and from the
log; "the vendor daemon is down" from lmstat, the process table and lmdiag). And a probe judges
alone: "/usr/tmp is missing" is a failure for a server that has to start, but a server that
runs and serves right now is not broken by it. ``judge`` sees everything at once:

- **Serving**: lmgrd runs and something says it serves (lmstat vendor UP, lmdiag can check out,
  the log's last start-up succeeded, and nothing says the vendor daemon is down). Then a
  finding that predicts trouble at the *next* start (``LATENT``) is a warning, not a failure,
  unless the server's own log shows it biting now.
- **One fact, one finding**: members of a ``FACT`` merge into the first one present, worst
  status, the others' titles and evidence kept as evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .findings import Finding, Status

MAX_EVIDENCE = 24


@dataclass(frozen=True)
class Serving:
    serving: bool
    evidence: List[str] = field(default_factory=list)

    def note(self) -> str:
        return "the license server serves now (" + "; ".join(self.evidence[:2]) + ")"


def _procs(members: List[Finding], fid: str) -> List[str]:
    """'lmgrd (pid 14)' of each member of ``fid`` whose title starts so."""
    out = []
    for f in members:
        m = re.match(r"(\S+) \(pid (\d+)\)", f.title) if f.id == fid else None
        if m:
            out.append(f"{m.group(1)} (pid {m.group(2)})")
    return out


def _where(f: Finding) -> str:
    if f.file and f.line:
        return f"{f.file}:{f.line}"
    return f.file or ""


def serving_state(findings: Sequence[Finding]) -> Serving:
    """Whether the license server on this machine runs and serves, with what shows it."""
    def ok(fid: str) -> List[Finding]:
        return [f for f in findings if f.id == fid and f.status is Status.OK]

    running = [f for f in findings if f.id == "process.lmgrd" and f.status in (Status.OK, Status.INFO)]
    serves = ok("lmstat.vendor-up") + ok("lmdiag.can-checkout") + ok("log.startup")
    down = [f for f in findings if f.status is Status.FAIL and f.id in (
        "lmstat.vendor-down", "process.lmgrd-without-vendor", "lmstat.server-down", "lmstat.quorum-lost")]
    if not running or not serves or down:
        return Serving(False)
    return Serving(True, [f.title for f in serves[:2]])


# Findings that foretell trouble at lmgrd's next start. While the server runs and serves they are
# a risk (WARN), not a failure: it started and serves with what is there now. The license ones
# count only when the linted file is the one the running lmgrd serves.
LATENT_SYSTEM = ("system.usr-tmp-missing", "system.usr-tmp-not-writable", "system.lsb-loader-missing")
LATENT_LICENSE = (
    "license.placeholder-host", "license.host-not-this-machine", "license.hostid-mismatch",
    "license.server-no-hostid", "license.placeholder-hostid", "license.server-two-hostids", "license.two-servers",
    "license.server-port-conflict", "license.port-clash", "license.no-vendor-line", "license.placeholder-path",
    "license.daemon-path-spaces", "license.bad-port", "license.no-server-lines",
)
# A latent finding whose harm the server's own log shows now stays a failure.
PROVEN_BY = {
    "system.usr-tmp-missing": ("log.usr-tmp",),
    "system.usr-tmp-not-writable": ("log.usr-tmp",),
}


def _vendor_of(f: Finding) -> Optional[str]:
    m = re.match(r"Vendor daemon (\S+) is down", f.title)
    return m.group(1).lower() if m else None


def _is_vendor_down_checkout(f: Finding) -> bool:
    text = f"{f.title} {f.detail}".lower()
    return "vendor daemon is down" in text or "(-97" in text


@dataclass(frozen=True)
class Fact:
    """One fact several sources report: ``ids`` in order of preference (the first present leads)."""

    name: str
    ids: Tuple[str, ...]
    accept: Callable[[Finding], bool] = lambda f: True
    title: Optional[Callable[[List[Finding]], str]] = None


def _root_title(members: List[Finding]) -> str:
    who = ", ".join(_procs(members, "process.running-as-root"))
    logged = any(f.id == "log.running-as-root" for f in members)
    title = "The license server runs as root" + (f": {who}" if who else "")
    return title + ("; its debug log says so too" if logged and who else "")


def _vendor_down_title(members: List[Finding]) -> str:
    lead = next((f for f in members if f.id == "lmstat.vendor-down"), members[0])
    seen = sorted({{"lmstat.vendor-down": "lmstat", "process.lmgrd-without-vendor": "the process table",
                    "lmdiag.cannot-checkout": "lmdiag"}.get(f.id, f.id) for f in members})
    return f"{lead.title} (seen by {', '.join(seen)})"


def _loopback_title(members: List[Finding]) -> str:
    ports = [re.search(r"listens on (\d+)", f.title) for f in members]
    procs = _procs(members, "listener.loopback-only")
    who = ", ".join(f"{p} on {m.group(1)}" if m else p for p, m in zip(procs, ports))
    return f"The license server listens on the loopback address only: {who}"


FACTS: Tuple[Fact, ...] = (
    Fact("runs-as-root", ("process.running-as-root", "log.running-as-root"), title=_root_title),
    # lmgrd and its vendor daemons on 127.0.0.1 only: one cause (the SERVER name resolves to loopback).
    Fact("loopback-only", ("listener.loopback-only",), title=_loopback_title),
    # The log's "Can't make directory" proves it; the file system probe says why.
    Fact("lock-dir", ("log.usr-tmp", "system.usr-tmp-missing", "system.usr-tmp-not-writable")),
    Fact("vendor-down", ("lmstat.vendor-down", "process.lmgrd-without-vendor", "lmdiag.cannot-checkout"),
         accept=lambda f: f.id != "lmdiag.cannot-checkout" or _is_vendor_down_checkout(f), title=_vendor_down_title),
)


def _merge(fact: Fact, members: List[Finding]) -> Finding:
    order = {fid: i for i, fid in enumerate(fact.ids)}
    members = sorted(members, key=lambda f: (order.get(f.id, 99), -f.status.rank))
    lead = members[0]
    worst = max((f.status for f in members), key=lambda s: s.rank)
    evidence: List[str] = list(lead.evidence_lines)
    for f in members[1:]:
        where = _where(f)
        evidence.append(f"also: {f.title}" + (f" ({where})" if where else ""))
        evidence.extend(e for e in f.evidence_lines if e not in evidence)
    if len(evidence) > MAX_EVIDENCE:
        evidence = evidence[:MAX_EVIDENCE - 1] + [f"... {len(evidence) - MAX_EVIDENCE + 1} more"]
    title = fact.title(members) if fact.title else lead.title
    fix = lead.fix or next((f.fix for f in members if f.fix), "")
    return lead.with_(status=worst, title=title, evidence=tuple(evidence), fix=fix,
                      seed_ref=lead.seed_ref or next((f.seed_ref for f in members if f.seed_ref), None))


def merge_facts(findings: Sequence[Finding]) -> List[Finding]:
    """One finding per fact (see FACTS); everything else unchanged, in order."""
    out: List[Optional[Finding]] = list(findings)
    for fact in FACTS:
        groups: Dict[Optional[str], List[int]] = {}
        for i, f in enumerate(out):
            if f is None or f.id not in fact.ids or not fact.accept(f):
                continue
            groups.setdefault(_vendor_of(f) if fact.name == "vendor-down" else None, []).append(i)
        if fact.name == "vendor-down" and len(groups) > 1 and None in groups:
            # Sources that name no vendor (the process table, lmdiag) join the only vendor down, or
            # stay apart when several are down: lmdoctor does not guess which.
            named = [k for k in groups if k is not None]
            if len(named) == 1:
                groups[named[0]] = sorted(groups[named[0]] + groups.pop(None))
        for idxs in groups.values():
            if len(idxs) < 2:
                continue
            merged = _merge(fact, [out[i] for i in idxs if out[i] is not None])  # type: ignore[misc]
            out[idxs[0]] = merged
            for i in idxs[1:]:
                out[i] = None
    return [f for f in out if f is not None]


def judge(findings: Sequence[Finding], license_served: bool = False) -> List[Finding]:
    """The check's findings with severity by impact and one finding per fact.

    ``license_served``: the linted license is the one a running lmgrd serves, so its start-up
    predictions are latent while that server serves.
    """
    state = serving_state(findings)
    ids = {f.id for f in findings}
    latent = set(LATENT_SYSTEM) | (set(LATENT_LICENSE) if license_served else set())
    out: List[Finding] = []
    for f in findings:
        if state.serving and f.status is Status.FAIL and f.id in latent \
                and not any(p in ids for p in PROVEN_BY.get(f.id, ())):
            f = f.with_(status=Status.WARN,
                        detail=(f.detail + "\n" if f.detail else "") + f"A risk, not a failure now: {state.note()}; "
                               "it would stop the server at its next start.")
        out.append(f)
    return merge_facts(out)
