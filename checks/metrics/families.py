"""The metric families: every name, its HELP text and its labels, in one place.

Two sets:

- ``flexlm_*``: flexlm_exporter's usage metrics under its names and label sets (its
  ``collector/lmstat.go`` and ``collector/lmstat_feature_exp.go``), so a Grafana dashboard or an
  alert written for it keeps working when lmdoctor replaces it. ``app`` is the target's name.
- ``lmdoctor_*``: the why (one series per warn/fail finding), whether a target answered, how
  long its probe took, triad quorum, expiry dates, and the exporter's own counters.

Only this module (and the HTTP and textfile code) imports prometheus_client.
"""
from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .usage import soonest_expiry


@dataclass(frozen=True)
class MetricDef:
    name: str
    help: str
    labels: Tuple[str, ...] = ()
    kind: str = "gauge"  # "gauge", "counter" (exposed with _total) or "info" (exposed with _info)


FLEXLM = (
    MetricDef("flexlm_server_status", "License server status (1 up, 0 down) by app, fqdn, master, port and version, "
              "as lmstat -a reports it.", ("app", "fqdn", "master", "port", "version")),
    MetricDef("flexlm_vendor_status", "Vendor daemon status (1 up, 0 down) by app, name and version.",
              ("app", "name", "version")),
    MetricDef("flexlm_feature_issued", "Licenses of a feature issued (lmstat: Total of N licenses issued).",
              ("app", "name")),
    MetricDef("flexlm_feature_used", "Licenses of a feature in use (lmstat: Total of N licenses in use).",
              ("app", "name")),
    MetricDef("flexlm_feature_used_users", "Licenses of a feature held by one user, with the unix time of their "
              "earliest checkout (only for targets with per_user = true: user names are personal data).",
              ("app", "name", "user", "since")),
    MetricDef("flexlm_feature_reserved_groups", "Licenses of a feature reserved for a GROUP or HOST_GROUP "
              "(RESERVATION lines of lmstat -a).", ("app", "name", "group")),
    MetricDef("flexlm_feature_expiration_seconds", "Expiry of one feature line of the license, unix seconds "
              "(+Inf: never expires), by app, feature name, line index, licenses, vendor and version.",
              ("app", "name", "index", "licenses", "vendor", "version")),
    MetricDef("flexlm_feature_aggregate_expiration_seconds", "Expiry dates of the license, unix seconds, with how "
              "many licenses and feature lines expire then.", ("app", "index", "licenses", "features")),
    MetricDef("flexlm_scrape_error", "1 when lmstat could not be run or gave no server status for the license "
              "(app), 0 when it could.", ("collector", "name")),
)

LMDOCTOR = (
    MetricDef("lmdoctor_finding", "1 for each warn or fail finding about the target: the why behind a down "
              "server or a degraded one (id as in 'lmdoctor check'; area is its first part).",
              ("target", "id", "area", "status")),
    MetricDef("lmdoctor_target_up", "1 when a license server of the target answered this probe (lmstat reported it "
              "UP; without lmutil: its lmgrd port accepted a connection), else 0.", ("target",)),
    MetricDef("lmdoctor_probe_duration_seconds", "How long the target's last probe took (connects, lmutil, local "
              "checks); for a probe still running, how long it has run.", ("target",)),
    MetricDef("lmdoctor_quorum", "For a redundant triad: 1 while at least 2 of its 3 servers are up (licenses are "
              "served), 0 when quorum is lost.", ("target",)),
    MetricDef("lmdoctor_quorum_servers_up", "For a redundant triad: how many of its 3 servers are up.", ("target",)),
    MetricDef("lmdoctor_feature_expiry_timestamp_seconds", "When licenses of a feature next expire, unix seconds "
              "(the earliest date still ahead; features that never expire are left out).",
              ("target", "feature", "version", "vendor")),
    MetricDef("lmdoctor_feature_reservations", "Licenses of a feature reserved, by reservation kind (USER, HOST, "
              "GROUP, ...).", ("target", "feature", "kind")),
    MetricDef("lmdoctor_scrape_duration_seconds", "How long this scrape took."),
    MetricDef("lmdoctor_build", "lmdoctor's version (in the version label).", (), "info"),
    MetricDef("lmdoctor_endpoint_checks", "TCP connects to license servers' lmgrd ports, by outcome (open, refused, "
              "timeout, unreachable, name_not_found, error); one per server per probe round, however many targets "
              "name it.", ("outcome",), "counter"),
    MetricDef("lmdoctor_lmutil_runs", "lmutil runs by outcome (ok, timeout, failed, cancelled).", ("outcome",),
              "counter"),
    MetricDef("lmdoctor_probes_started", "Target probes started.", (), "counter"),
    MetricDef("lmdoctor_probe_overruns", "Target probes that did not finish within the deadline of the scrape that "
              "started them.", (), "counter"),
)

ALL = {m.name: m for m in FLEXLM + LMDOCTOR}


class LabelHasher:
    """``--redact``: host and user label values become stable salted hashes (``host-3fa1...``).

    The same value gives the same hash on every scrape and after restarts on this machine, so
    series stay continuous; without the salt (``/etc/machine-id``) the hash cannot be reversed by
    trying names.
    """

    def __init__(self, salt: Optional[bytes] = None) -> None:
        self.salt = salt if salt is not None else _machine_salt()

    def _hash(self, kind: str, value: str) -> str:
        if not value:
            return value
        digest = hashlib.sha256(self.salt + kind.encode() + b"\0" + value.lower().encode("utf-8", "replace"))
        return f"{kind}-{digest.hexdigest()[:12]}"

    def host(self, value: str) -> str:
        return self._hash("host", value)

    def user(self, value: str) -> str:
        return self._hash("user", value)


def _machine_salt() -> bytes:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, "rb") as fh:
                data = fh.read(256).strip()
            if data:
                return data
        except OSError:
            continue
    return (socket.gethostname() or "lmdoctor").encode()


def _fmt(v: float) -> float:
    return float(v)


# What `check --format openmetrics` leaves out: it probes once, so the exporter's own counters mean
# nothing; and node_exporter's textfile collector reads the Prometheus text format, where only gauges
# look the same as in OpenMetrics (an "info" or "counter" TYPE line would make it drop the file).
EXPORTER_ONLY = ("lmdoctor_scrape_duration_seconds", "lmdoctor_endpoint_checks", "lmdoctor_lmutil_runs",
                 "lmdoctor_probes_started", "lmdoctor_probe_overruns", "lmdoctor_build")


def build(results: Sequence, stats: Optional[Dict] = None, seconds: Optional[float] = None,
          hasher: Optional[LabelHasher] = None, exporter: bool = True) -> List:
    """Metric families (prometheus_client.core objects) for a scrape's results.

    ``exporter=False`` (a one-off ``check``) leaves out the exporter's counters and scrape time.
    """
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily

    from .. import __version__

    fams: Dict[str, object] = {}
    for m in FLEXLM + LMDOCTOR:
        if m.kind == "info":
            fams[m.name] = InfoMetricFamily(m.name, m.help, labels=list(m.labels))
        elif m.kind == "counter":
            fams[m.name] = CounterMetricFamily(m.name, m.help, labels=list(m.labels))
        else:
            fams[m.name] = GaugeMetricFamily(m.name, m.help, labels=list(m.labels))

    def add(name: str, labels: Iterable[str], value: float) -> None:
        fams[name].add_metric([str(x) for x in labels], _fmt(value))  # type: ignore[attr-defined]

    host = hasher.host if hasher else (lambda v: v)
    user = hasher.user if hasher else (lambda v: v)
    for r in results:
        u = r.usage
        app = r.name
        add("lmdoctor_target_up", [app], 1 if r.up else 0)
        add("lmdoctor_probe_duration_seconds", [app], round(r.duration, 6))
        add("flexlm_scrape_error", ["lmstat", app], 1 if r.lmstat_error else 0)
        seen = set()
        for f in r.warn_or_fail():
            key = (f.id, f.area, f.status.value)
            if key in seen:
                continue
            seen.add(key)
            add("lmdoctor_finding", [app, f.id, f.area, f.status.value], 1)
        for s in _unique(u.servers, lambda s: (s.fqdn, s.port)):
            add("flexlm_server_status", [app, host(s.fqdn), "true" if s.master else "false", s.port, s.version],
                1 if s.up else 0)
        for v in _unique(u.vendors, lambda v: (v.name, v.version)):
            add("flexlm_vendor_status", [app, v.name, v.version], 1 if v.up else 0)
        for f in u.features:
            add("flexlm_feature_issued", [app, f.name], f.issued)
            add("flexlm_feature_used", [app, f.name], f.used)
        for uc in u.users:
            add("flexlm_feature_used_users", [app, uc.feature, user(uc.user), str(uc.since)], uc.count)
        for feat, group, n in u.group_reservations:
            add("flexlm_feature_reserved_groups", [app, feat, group], n)
        for feat, kind, n in u.reservations:
            add("lmdoctor_feature_reservations", [app, feat, kind], n)
        _expiry(add, app, u.expiry)
        if u.quorum:
            add("lmdoctor_quorum", [app], 1 if all(q.has_quorum for q in u.quorum) else 0)
            add("lmdoctor_quorum_servers_up", [app], min(q.up for q in u.quorum))
    fams["lmdoctor_build"].add_metric([], {"version": __version__})  # type: ignore[attr-defined]
    if not exporter:
        return [f for name, f in fams.items() if name not in EXPORTER_ONLY]
    if seconds is not None:
        add("lmdoctor_scrape_duration_seconds", [], round(seconds, 6))
    st = stats or {}
    for outcome, n in sorted((st.get("endpoint_checks") or {}).items()):
        add("lmdoctor_endpoint_checks", [outcome], n)
    for outcome, n in sorted((st.get("lmutil_runs") or {}).items()):
        add("lmdoctor_lmutil_runs", [outcome], n)
    add("lmdoctor_probes_started", [], st.get("probes_started", 0))
    add("lmdoctor_probe_overruns", [], st.get("overruns", 0))
    return list(fams.values())


def _unique(items, key):
    seen = set()
    for x in items:
        k = key(x)
        if k not in seen:
            seen.add(k)
            yield x


def _expiry(add, app: str, rows) -> None:
    for i, row in enumerate(rows, start=1):
        add("flexlm_feature_expiration_seconds", [app, row.feature, str(i), row.licenses, row.vendor, row.version],
            row.expires)
    by_date: Dict[float, List[int]] = {}
    for row in rows:
        agg = by_date.setdefault(row.expires, [0, 0])
        agg[0] += int(row.licenses) if row.licenses.isdigit() else 0
        agg[1] += 1
    for i, exp in enumerate(sorted(by_date)):
        n, feats = by_date[exp]
        add("flexlm_feature_aggregate_expiration_seconds", [app, str(i), str(n), str(feats)], exp)
    for (feat, version, vendor), when in sorted(soonest_expiry(rows).items()):
        add("lmdoctor_feature_expiry_timestamp_seconds", [app, feat, version, vendor], when)


class Collector:
    """A prometheus_client custom collector: every collect() is one scrape of the exporter."""

    def __init__(self, exporter, hasher: Optional[LabelHasher] = None, deadline=None) -> None:
        self.exporter = exporter
        self.hasher = hasher
        self.deadline = deadline  # callable -> seconds or None (the HTTP layer passes Prometheus' header)

    def describe(self):
        return []  # no describe-time scrape: registering must not probe anything

    def collect(self):
        limit = self.deadline() if self.deadline else None
        scrape = self.exporter.scrape(limit)
        yield from build(scrape.results, self.exporter.stats.snapshot(), scrape.seconds, self.hasher)


def exposition(families: List, openmetrics: bool = True) -> bytes:
    """The text of ``families`` in OpenMetrics (what node_exporter's textfile collector reads too) or 0.0.4."""
    from prometheus_client import CollectorRegistry

    class _Fixed:
        def collect(self):
            return list(families)

        def describe(self):
            return []

    reg = CollectorRegistry(auto_describe=False)
    reg.register(_Fixed())
    if openmetrics:
        from prometheus_client.openmetrics.exposition import generate_latest as om
        return om(reg)
    from prometheus_client import generate_latest
    return generate_latest(reg)

