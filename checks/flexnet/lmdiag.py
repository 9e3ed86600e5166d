"""Readers for ``lmutil lmdiag -n`` and ``lmutil lmhostid`` output.

The seed manual's first check for a floating server is ``lmutil lmdiag -c "<port>@<server>" -n``:
for every feature it prints a header block and either "This license can be checked out" or
"This license cannot be checked out because:" followed by the reason and a FlexNet error code.
Like the lmstat reader, these never raise and keep every line they could not place.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

# lmdiag prints feature headers and license-type lines exactly as lmstat -a does.
from .lmstat import (
    _LIC_TYPE,
    MAX_LINE,
    UNPARSED,
    ErrorNote,
    _to_jsonable,
    decode,
    find_errors,
    parse_expiry,
    split_lines,
)
from .lmstat import _VERSION_BLOCK as _FEATURE_HEADER

# --------------------------------------------------------------------------- lmdiag


@dataclass
class DiagFeature:
    name: str
    version: Optional[str] = None
    vendor: Optional[str] = None
    expiry: Optional[str] = None
    expiry_date: Optional[_dt.date] = None
    permanent: bool = False
    license_file: Optional[str] = None  # the "License file:" section it was listed under
    license_server: Optional[str] = None
    license_type: Optional[str] = None  # "floating" | "nodelocked" | "uncounted nodelocked"
    locked_to: Optional[str] = None
    starts: Optional[str] = None
    expires: Optional[str] = None
    can_checkout: Optional[bool] = None
    verdict_text: str = ""
    verdict_line: int = 0
    reason_lines: List[str] = field(default_factory=list)
    details: Dict[str, str] = field(default_factory=dict)  # "Feature", "License path", ...
    errors: List[Any] = field(default_factory=list)  # checks.errors.ErrorRef
    line: int = 0


@dataclass
class LmdiagResult:
    tool: Optional[str] = None
    company: Optional[str] = None
    copyright: Optional[str] = None
    diagnostics_time: Optional[str] = None
    license_files: List[Tuple[int, str]] = field(default_factory=list)
    features: List[DiagFeature] = field(default_factory=list)
    errors: List[ErrorNote] = field(default_factory=list)
    unparsed: List[Tuple[int, str]] = field(default_factory=list)
    line_kinds: List[str] = field(default_factory=list)

    @property
    def checkable(self) -> List[DiagFeature]:
        return [f for f in self.features if f.can_checkout is True]

    @property
    def not_checkable(self) -> List[DiagFeature]:
        return [f for f in self.features if f.can_checkout is False]

    @property
    def looks_like_lmdiag(self) -> bool:
        return any(k not in (UNPARSED, "blank") for k in self.line_kinds)

    def to_dict(self) -> Dict[str, Any]:
        d = _to_jsonable(self)
        d.pop("line_kinds", None)
        d["unparsed"] = [{"line": n, "text": t} for n, t in self.unparsed]
        d["license_files"] = [{"line": n, "spec": t} for n, t in self.license_files]
        return d


_COPYRIGHT = re.compile(
    r"^\s*(?P<tool>[A-Za-z_.]+?)(?:\.exe)?\s+-\s+Copyright\s+\(c\)\s+(?P<years>[\d\-]+)\s+(?:by\s+)?(?P<company>.*?)\.?\s+All\s+Rights\s+Reserved\.?\s*$",
    re.I,
)
_DIAG_ON = re.compile(
    r"^\s*(?:FlexNet|FLEXnet|FLEXlm|Flexible License Manager)\s+diagnostics\s+on\s+(?P<when>.*?)\s*$", re.I)
_SEPARATOR = re.compile(r"^\s*-{5,}\s*$")
_LICENSE_FILE = re.compile(r"^\s*License file:\s*(?P<spec>.*?)\s*$", re.I)
_LICENSE_SERVER = re.compile(r"^\s*License server:\s*(?P<host>.*?)\s*$", re.I)
_STARTS = re.compile(r"starts:\s*(?P<s>[^,\s]+)", re.I)
_EXPIRES = re.compile(r"expires:\s*(?P<e>[^,\s]+)|(?P<none>no expiration date)", re.I)
_LOCKED = re.compile(r"locked to\s+(?P<what>.*?)(?:\s{2,}starts:|\s*$)", re.I)
_CAN = re.compile(r"^\s*This license can be checked out\.?\s*$", re.I)
_CANNOT = re.compile(r"^\s*This license cannot be checked out(?: because)?:?\s*(?P<why>.*?)\s*$", re.I)
_DETAIL = re.compile(
    r"^\s*(?P<key>Feature|Server name|License path|License file|Vendor|Version"
    r"|FlexNet Licensing error|FLEXnet Licensing error|FLEXlm error)\s*:\s*(?P<val>.*?)\s*$",
    re.I,
)
_BOILERPLATE = re.compile(
    r"^\s*(?:For further information, refer to the (?:FlexNet|FLEXnet|FLEXlm) Licensing "
    r"(?:End User Guide|documentation),?"
    r"|available at \"?www\.\S+\"?\.?"
    r"|.*\bwww\.(?:flexerasoftware|macrovision|globes)\S*)\s*$",
    re.I,
)


class _DiagReader:
    def __init__(self) -> None:
        self.r = LmdiagResult()
        self.license_file: Optional[str] = None
        self.feature: Optional[DiagFeature] = None
        self.in_reason = False

    def feed(self, n: int, raw: str) -> str:
        """Classify one line and record what it says. Returns the line's kind."""
        if len(raw) > MAX_LINE:
            return UNPARSED
        s = raw.rstrip()
        t = s.strip()
        if not t:
            return "blank"
        # The order is the meaning: headers and separators first, then a feature and its verdict;
        # while a "cannot be checked out" reason runs, its lines belong to it, before the facts.
        kind = self._header(n, s) or self._verdict(n, s, t) or self._reason(s, t) or self._feature_fact(s)
        if kind:
            return kind
        if _BOILERPLATE.match(s):
            return "note"
        refs = find_errors(s)
        if refs:
            self.r.errors.append(ErrorNote(text=t, line=n, refs=refs))
            return "error"
        return UNPARSED

    def _header(self, n: int, s: str) -> Optional[str]:
        m = _COPYRIGHT.match(s)
        if m:
            self.r.tool = m.group("tool").lower()
            self.r.copyright = m.group("years")
            self.r.company = m.group("company").strip()
            return "header"
        m = _DIAG_ON.match(s)
        if m:
            self.r.diagnostics_time = m.group("when")
            return "header"
        if _SEPARATOR.match(s):
            self.in_reason = False
            return "separator"
        m = _LICENSE_FILE.match(s)
        if m and not self.in_reason:
            self.license_file = m.group("spec")
            self.r.license_files.append((n, self.license_file))
            self.feature = None
            return "license-file"
        return None

    def _verdict(self, n: int, s: str, t: str) -> Optional[str]:
        """A feature header, or its "can / cannot be checked out" line."""
        m = _FEATURE_HEADER.match(s)
        if m:
            self.in_reason = False
            exp = m.group("exp")
            d, perm = parse_expiry(exp)
            self.feature = DiagFeature(
                name=m.group("name"), version=m.group("ver"), vendor=m.group("vendor") or None, expiry=exp,
                expiry_date=d, permanent=perm, license_file=self.license_file, line=n,
            )
            self.r.features.append(self.feature)
            return "feature"
        if _CAN.match(s):
            f = self._current(n)
            f.can_checkout, f.verdict_text, f.verdict_line = True, t, n
            self.in_reason = False
            return "can-checkout"
        m = _CANNOT.match(s)
        if m:
            f = self._current(n)
            f.can_checkout, f.verdict_text, f.verdict_line = False, t, n
            if m.group("why"):
                f.reason_lines.append(m.group("why"))
                f.errors.extend(find_errors(m.group("why")))
            self.in_reason = True
            return "cannot-checkout"
        return None

    def _reason(self, s: str, t: str) -> Optional[str]:
        """A line of the reason a feature cannot be checked out: a detail, words, error codes."""
        if not (self.in_reason and self.feature is not None):
            return None
        f = self.feature
        dm = _DETAIL.match(s)
        if dm:
            f.details[dm.group("key")] = dm.group("val")
        elif not _BOILERPLATE.match(s):
            f.reason_lines.append(t)
        f.errors.extend(find_errors(s))
        return "reason"

    def _feature_fact(self, s: str) -> Optional[str]:
        """The current feature's license server or license type line."""
        if self.feature is None:
            return None
        m = _LICENSE_SERVER.match(s)
        if m:
            self.feature.license_server = m.group("host")
            return "license-server"
        m = _LIC_TYPE.match(s)
        if m:
            f = self.feature
            kind = m.group("kind").lower().replace("-", "")
            f.license_type = ("uncounted " + kind) if m.group("uncounted") else kind
            rest = m.group("rest")
            sm, em, lm = _STARTS.search(rest), _EXPIRES.search(rest), _LOCKED.search(rest)
            if sm:
                f.starts = sm.group("s")
            if em:
                f.expires = em.group("e") or em.group("none")
            if lm:
                f.locked_to = lm.group("what")
            return "license-type"
        return None

    def _current(self, n: int) -> DiagFeature:
        if self.feature is None:
            # A verdict with no feature header before it (cut paste): keep it on an unnamed feature.
            self.feature = DiagFeature(name="", license_file=self.license_file, line=n)
            self.r.features.append(self.feature)
        return self.feature


def parse_lmdiag(data: Union[bytes, str]) -> LmdiagResult:
    """Read ``lmdiag -n`` output. Never raises."""
    reader = _DiagReader()
    r = reader.r
    for i, raw in enumerate(split_lines(decode(data)), start=1):
        try:
            kind = reader.feed(i, raw)
        except Exception:
            kind = UNPARSED
        if kind == UNPARSED:
            r.unparsed.append((i, raw))
        r.line_kinds.append(kind)
    return r


# --------------------------------------------------------------------------- lmhostid


@dataclass
class HostId:
    value: str
    kind: str  # "ethernet", "VM_UUID", "HOSTNAME", "ID", "INTERNET", ... or "other"


@dataclass
class LmhostidResult:
    tool: Optional[str] = None
    company: Optional[str] = None
    brand: Optional[str] = None  # as printed: "FlexNet", "FLEXnet", "FLEXlm"
    raw: Optional[str] = None  # the text between the outer quotes
    hostids: List[HostId] = field(default_factory=list)
    only_use_one: bool = False  # "Only use ONE from the list of hostids."
    errors: List[ErrorNote] = field(default_factory=list)
    unparsed: List[Tuple[int, str]] = field(default_factory=list)
    line_kinds: List[str] = field(default_factory=list)

    @property
    def ethernet(self) -> List[str]:
        return [h.value for h in self.hostids if h.kind == "ethernet"]

    def to_dict(self) -> Dict[str, Any]:
        d = _to_jsonable(self)
        d.pop("line_kinds", None)
        d["unparsed"] = [{"line": n, "text": t} for n, t in self.unparsed]
        return d


_HOSTID_LINE = re.compile(
    r"^\s*The\s+(?P<brand>\S+)?\s*host\s*ID\s+of\s+this\s+machine\s+is\s*(?P<rest>.*?)\s*$", re.I
)
_ONLY_ONE = re.compile(r"^\s*Only use ONE from the list of hostids\.?\s*$", re.I)
_HEX12 = re.compile(r"^[0-9A-Fa-f]{12}$")


def _hostid_kind(value: str) -> str:
    if _HEX12.match(value):
        return "ethernet"
    if "=" in value:
        return value.split("=", 1)[0].upper()
    return "other"


def parse_lmhostid(data: Union[bytes, str]) -> LmhostidResult:
    """Read ``lmhostid`` output. Never raises."""
    r = LmhostidResult()
    for n, raw in enumerate(split_lines(decode(data)), start=1):
        kind = UNPARSED
        try:
            kind = _hostid_line(r, n, raw)
        except Exception:
            kind = UNPARSED
        if kind == UNPARSED:
            r.unparsed.append((n, raw))
        r.line_kinds.append(kind)
    return r


def _hostid_line(r: LmhostidResult, n: int, raw: str) -> str:
    if len(raw) > MAX_LINE:
        return UNPARSED
    s = raw.strip()
    if not s:
        return "blank"
    m = _COPYRIGHT.match(s)
    if m:
        r.tool = m.group("tool").lower()
        r.company = m.group("company").strip()
        return "header"
    m = _HOSTID_LINE.match(s)
    if m:
        brand = m.group("brand")
        r.brand = brand if brand and brand.lower() != "host" else None
        rest = m.group("rest").rstrip(".").strip()
        # Several hostids come as one quoted list; some builds quote twice (""id1 id2"").
        inner = rest.strip('"').strip()
        r.raw = inner
        for tok in inner.split():
            tok = tok.strip('"')
            if tok:
                r.hostids.append(HostId(tok, _hostid_kind(tok)))
        return "hostid"
    if _ONLY_ONE.match(s):
        r.only_use_one = True
        return "note"
    refs = find_errors(s)
    if refs:
        r.errors.append(ErrorNote(text=s, line=n, refs=refs))
        return "error"
    return UNPARSED
