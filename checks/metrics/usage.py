"""License usage as numbers: what lmstat (or the license file) says, shaped for metrics.

Pure functions over the project's parsed lmstat output (``flexnet.lmstat.LmstatResult``) and
license files (``license.LicenseFile``): no processes, no network, no prometheus_client. The
shapes follow flexlm_exporter's metrics (server status, vendor status, features issued / used /
used by user, group reservations, expiry), so a dashboard built for it keeps working; where
lmstat output holds more than one server block, counts of one feature are added up (one pool).
"""
from __future__ import annotations

import calendar
import datetime as _dt
import math
import re
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

INF = math.inf


@dataclass(frozen=True)
class ServerSample:
    fqdn: str  # lower case, as flexlm_exporter labels it
    port: str
    master: bool
    version: str
    up: bool


@dataclass(frozen=True)
class VendorSample:
    name: str
    version: str
    up: bool


@dataclass
class FeatureCount:
    name: str
    issued: int = 0
    used: int = 0


@dataclass(frozen=True)
class UserCount:
    feature: str
    user: str
    since: int  # unix seconds of the earliest checkout start shown
    count: int


@dataclass(frozen=True)
class ExpiryRow:
    """One feature line of the license (``lmstat -i`` row): its expiry as unix seconds, +Inf if never."""

    feature: str
    version: str
    licenses: str
    vendor: str
    expires: float


@dataclass(frozen=True)
class QuorumSample:
    servers: str  # the triad as lmstat names it
    up: int
    members: int

    @property
    def has_quorum(self) -> bool:
        return self.up >= self.members // 2 + 1


@dataclass
class Usage:
    servers: List[ServerSample] = field(default_factory=list)
    vendors: List[VendorSample] = field(default_factory=list)
    features: List[FeatureCount] = field(default_factory=list)
    users: List[UserCount] = field(default_factory=list)
    group_reservations: List[Tuple[str, str, int]] = field(default_factory=list)  # feature, group, count
    reservations: List[Tuple[str, str, int]] = field(default_factory=list)  # feature, kind, count (all kinds)
    expiry: List[ExpiryRow] = field(default_factory=list)
    quorum: List[QuorumSample] = field(default_factory=list)

    @property
    def any_server_up(self) -> bool:
        return any(s.up for s in self.servers)


# --------------------------------------------------------------------------- lmstat -a


def _same_host(a: str, b: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    return a == b or (a.split(".", 1)[0] == b.split(".", 1)[0] and ("." not in a or "." not in b))


def servers_of(result) -> List[ServerSample]:
    """Every server lmstat names: the members of each block's spec, with the status lines read into them."""
    out: Dict[Tuple[str, str], ServerSample] = {}
    for b in result.blocks:
        members = list(b.members)
        for port, host in members:
            st = b.server_for(host)
            key = (host.lower(), port)
            s = ServerSample(host.lower(), port, bool(st and st.master), (st.version or "") if st else "",
                             bool(st and st.up))
            out[key] = _worse(out.get(key), s)
        for st in b.servers:
            if any(_same_host(st.host, h) for _p, h in members):
                continue  # read into its member above
            key = (st.host.lower(), "")
            s = ServerSample(st.host.lower(), "", st.master, st.version or "", st.up)
            out[key] = _worse(out.get(key), s)
    return list(out.values())


def _worse(old: Optional[ServerSample], new: ServerSample) -> ServerSample:
    # The same server printed twice (a doubled paste, one block per search-path entry): down wins.
    if old is None:
        return new
    return old if not old.up else new


def vendors_of(result) -> List[VendorSample]:
    out: Dict[str, VendorSample] = {}
    for v in result.vendors:
        s = VendorSample(v.name, v.version or "", v.up)
        old = out.get(v.name)
        # One vendor served by several blocks: any copy down makes it down (what an alert wants).
        out[v.name] = s if old is None or (old.up and not s.up) else old
    return list(out.values())


def features_of(result, exclude: Iterable[str] = ()) -> List[FeatureCount]:
    skip = set(exclude)
    out: Dict[str, FeatureCount] = {}
    for f in result.features:
        if f.name in skip or f.issued is None or not f.name:
            continue  # uncounted or failed features have no totals (flexlm_exporter skips them too)
        c = out.setdefault(f.name, FeatureCount(f.name))
        c.issued += f.issued
        c.used += f.in_use or 0
    return list(out.values())


_START = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\s+(\d{1,2}):(\d{2})")


def start_seconds(start: Optional[str], now: Optional[float] = None) -> Optional[int]:
    """``Fri 10/20 16:44`` (local time, no year) -> unix seconds; the year is the latest not in the future."""
    if not start:
        return None
    m = _START.search(start)
    if not m:
        return None
    month, day, year_s, hour, minute = m.groups()
    now = time.time() if now is None else now
    this_year = time.localtime(now).tm_year
    years = [int(year_s) + (2000 if len(year_s) <= 2 else 0)] if year_s else [this_year, this_year - 1]
    for i, year in enumerate(years):
        try:
            t = time.mktime((year, int(month), int(day), int(hour), int(minute), 0, 0, 0, -1))
            _dt.date(year, int(month), int(day))  # mktime normalises 2/30; a real date must exist
        except (ValueError, OverflowError):
            continue
        if t <= now + 60 or year_s or i == len(years) - 1:
            return int(t)
    return None


def users_of(result, exclude: Iterable[str] = (), now: Optional[float] = None) -> List[UserCount]:
    """Licenses held per (feature, user): queued requests are not held; ``since`` is the earliest start."""
    skip = set(exclude)
    counts: Dict[Tuple[str, str], List[int]] = {}
    for f in result.features:
        if f.name in skip:
            continue
        for u in f.users:
            if u.queued or not u.user:
                continue
            since = start_seconds(u.start, now)
            c = counts.setdefault((f.name, u.user), [0, since if since is not None else 0])
            c[0] += u.count
            if since is not None and (c[1] == 0 or since < c[1]):
                c[1] = since
    return [UserCount(feat, user, c[1], c[0]) for (feat, user), c in counts.items()]


Counts = List[Tuple[str, str, int]]


def reservations_of(result, exclude: Iterable[str] = ()) -> Tuple[Counts, Counts]:
    """(group reservations per feature and group, all reservations per feature and kind)."""
    skip = set(exclude)
    groups: Dict[Tuple[str, str], int] = {}
    kinds: Dict[Tuple[str, str], int] = {}
    for f in result.features:
        if f.name in skip:
            continue
        for r in f.reservations:
            kind = r.kind.upper()
            kinds[(f.name, kind)] = kinds.get((f.name, kind), 0) + r.count
            if kind in ("GROUP", "HOST_GROUP"):
                groups[(f.name, r.name)] = groups.get((f.name, r.name), 0) + r.count
    return ([(f, g, n) for (f, g), n in groups.items()], [(f, k, n) for (f, k), n in kinds.items()])


def quorum_of(result) -> List[QuorumSample]:
    out = []
    for b in result.blocks:
        q = b.quorum
        if q is not None:
            out.append(QuorumSample(b.spec, q.up, q.members))
    return out


def usage_from_lmstat(result, exclude: Iterable[str] = (), now: Optional[float] = None) -> Usage:
    excl = frozenset(exclude)
    groups, kinds = reservations_of(result, excl)
    return Usage(servers=servers_of(result), vendors=vendors_of(result), features=features_of(result, excl),
                 users=users_of(result, excl, now), group_reservations=groups, reservations=kinds,
                 expiry=[], quorum=quorum_of(result))


# --------------------------------------------------------------------------- expiry


def date_seconds(d: Optional[_dt.date]) -> Optional[float]:
    """Midnight UTC of the date, as flexlm_exporter reports an expiry."""
    if d is None:
        return None
    return float(calendar.timegm(d.timetuple()))


def expiry_from_table(result, exclude: Iterable[str] = ()) -> List[ExpiryRow]:
    """The ``lmstat -i`` table, row by row."""
    skip = set(exclude)
    out = []
    for row in result.license_table:
        if row.feature in skip:
            continue
        if row.permanent:
            exp = INF
        else:
            secs = date_seconds(row.expiry_date)
            if secs is None:
                continue
            exp = secs
        out.append(ExpiryRow(row.feature, row.version, row.count, row.vendor, exp))
    return out


def expiry_from_versions(result, exclude: Iterable[str] = ()) -> List[ExpiryRow]:
    """The ``"feature" v1.0, vendor: x, expiry: d-mmm-yyyy`` lines of ``lmstat -a`` (shown for features in use)."""
    skip = set(exclude)
    out: Dict[Tuple[str, str, str, float], ExpiryRow] = {}
    for f in result.features:
        if f.name in skip:
            continue
        for v in f.versions:
            exp = INF if v.permanent else date_seconds(v.expiry_date)
            if exp is None:
                continue
            version = v.version[1:] if v.version.startswith("v") else v.version
            row = ExpiryRow(f.name, version, str(f.issued) if f.issued is not None else "", v.vendor or "", exp)
            out.setdefault((row.feature, row.version, row.vendor, exp), row)
    return list(out.values())


def expiry_from_license(lic, exclude: Iterable[str] = ()) -> List[ExpiryRow]:
    """FEATURE / INCREMENT lines of a license file: what ``lmstat -i`` prints for it."""
    skip = set(exclude)
    out = []
    for f in lic.features:
        if f.name in skip or not f.name:
            continue
        if f.expiry.never_expires:
            exp = INF
        else:
            secs = date_seconds(f.expiry.date) if f.expiry.valid else None
            if secs is None:
                continue
            exp = secs
        out.append(ExpiryRow(f.name, f.version, f.count_text, f.vendor, exp))
    return out


def soonest_expiry(rows: Iterable[ExpiryRow], now: Optional[float] = None) -> Dict[Tuple[str, str, str], float]:
    """Per (feature, version, vendor): when licenses next expire.

    The earliest date still ahead; when every line has expired, the last of them (so "expired"
    stays visible). Features that never expire are left out.
    """
    now = time.time() if now is None else now
    by: Dict[Tuple[str, str, str], List[float]] = {}
    for r in rows:
        if math.isinf(r.expires):
            continue
        by.setdefault((r.feature, r.version, r.vendor), []).append(r.expires)
    out = {}
    for key, dates in by.items():
        ahead = [d for d in dates if d >= now]
        out[key] = min(ahead) if ahead else max(dates)
    return out
