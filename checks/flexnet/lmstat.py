"""A tolerant reader for ``lmutil lmstat`` output (``-a``, ``-c``, ``-f``, ``-i``, ``-v``).

Customers paste lmstat output into tickets after it went through terminals, mail clients and
Windows editors: lines get doubled, CRLF mixes with LF, ``...`` stands for cut parts, display
fields hold binary garbage. So the reader classifies one line at a time with a little context
(which block and section it is in) and never trusts blank lines as separators. Every line ends up
with a kind in ``LmstatResult.line_kinds``; a line that fits no known shape is kept in
``LmstatResult.unparsed`` with its number, so a report can show what was not understood.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

# Lines longer than this are not lmstat output: they are kept as not understood without
# running the line patterns on them (keeps the reader linear on hostile input).
MAX_LINE = 4096
# User lines kept as objects per parse. A site with more holders than this is summarised: counts stay
# exact (per feature: users_more, queued_more), the lines themselves are not all kept, so memory
# follows what a report can show rather than the size of a pasted file.
MAX_USERS_KEPT = 10_000
MAX_UNPARSED_KEPT = 1_000

UNPARSED = "unparsed"


# --------------------------------------------------------------------------- data model


@dataclass
class ErrorNote:
    """A status or error message with the FlexNet error code(s) found in it."""

    text: str
    line: int
    refs: List[Any] = field(default_factory=list)  # checks.errors.ErrorRef

    @property
    def ref(self) -> Optional[Any]:
        return self.refs[0] if self.refs else None

    @property
    def major(self) -> Optional[int]:
        r = self.ref
        return getattr(r, "major", None) if r is not None else None


@dataclass
class Header:
    tool: Optional[str] = None  # "lmutil", "lmstat"
    copyright: Optional[str] = None  # "1989-2016"
    company: Optional[str] = None  # "Flexera Software LLC", "Macrovision Corporation"
    company_family: Optional[str] = None  # "flexera" | "macrovision" | "globetrotter"
    status_time: Optional[str] = None  # as printed: "Thu 11/23/2017 15:08"
    status_date: Optional[_dt.date] = None
    status_line: Optional[int] = None  # the line number of "Flexible License Manager status on ..."
    version: Optional[str] = None  # from `lmstat -v`: "11.14.0.1"
    build: Optional[str] = None
    platform: Optional[str] = None  # "x64_lsb"
    command: Optional[str] = None  # an echoed shell command line, when pasted with it


@dataclass
class ServerStatus:
    host: str
    up: bool
    master: bool = False
    version: Optional[str] = None
    text: str = ""  # what lmstat said after "host:"
    error: Optional[ErrorNote] = None
    line: int = 0


@dataclass
class VendorDaemon:
    name: str
    up: bool
    version: Optional[str] = None
    on_host: Optional[str] = None
    text: str = ""
    error: Optional[ErrorNote] = None
    line: int = 0


@dataclass
class LicenseFileRef:
    host: str
    path: str
    line: int = 0


@dataclass
class Quorum:
    """A redundant triad: how many of the three SERVER nodes answered UP."""

    members: int
    up: int
    down: List[str]
    unknown: List[str]  # members lmstat printed no line for (cut-off output)

    @property
    def has_quorum(self) -> bool:
        return self.up >= self.members // 2 + 1

    @property
    def degraded(self) -> bool:
        return self.has_quorum and self.up < self.members


@dataclass
class Reservation:
    count: int
    kind: str  # HOST, GROUP, USER, DISPLAY, INTERNET, HOST_GROUP ...
    name: str
    server_host: Optional[str] = None
    server_port: Optional[str] = None
    line: int = 0


@dataclass
class UserLicense:
    """One line under a feature: a user holding (or queued for) licenses."""

    user: str
    host: str
    display: str
    feature: Optional[str] = None
    feature_version: Optional[str] = None  # the version block it was listed under ("v52")
    extra: List[str] = field(default_factory=list)  # "feature=x", "MSCONE:ADAMS_View", "2017.06"
    client_version: Optional[str] = None  # "v61.9"
    server_host: Optional[str] = None
    server_port: Optional[str] = None
    handle: Optional[int] = None
    start: Optional[str] = None  # as printed: "Fri 10/20 16:44"
    count: int = 1
    pid: Optional[int] = None
    linger: Optional[Tuple[int, Optional[int]]] = None
    queued: bool = False
    ambiguous: bool = False  # the user/host/display split had to be guessed (spaces in names)
    leftover: str = ""  # text after the known parts that was not understood
    line: int = 0


@dataclass
class FeatureVersion:
    """A ``"feat" v4.0, vendor: sigasi, expiry: 1-jan-0`` block and the lines under it."""

    name: str
    version: str
    vendor: Optional[str] = None
    expiry: Optional[str] = None
    expiry_date: Optional[_dt.date] = None
    permanent: bool = False
    vendor_string: Optional[str] = None
    license_type: Optional[str] = None  # "floating" | "nodelocked" | "uncounted nodelocked"
    locked_to: Optional[str] = None
    line: int = 0


@dataclass
class Feature:
    name: str
    issued: Optional[int] = None
    in_use: Optional[int] = None
    uncounted: bool = False
    error: Optional[str] = None  # "Error: 1 licenses, unsupported by licensed server"
    error_count: Optional[int] = None
    unsupported: bool = False
    status_text: str = ""
    versions: List[FeatureVersion] = field(default_factory=list)
    users: List[UserLicense] = field(default_factory=list)
    reservations: List[Reservation] = field(default_factory=list)
    line: int = 0
    users_more: int = 0   # user lines past MAX_USERS_KEPT: counted, not kept
    queued_more: int = 0  # of those, queued requests

    @property
    def queued(self) -> List[UserLicense]:
        return [u for u in self.users if u.queued]

    @property
    def user_lines(self) -> int:
        """How many user lines the feature had, kept or not."""
        return len(self.users) + self.users_more


@dataclass
class ServerBlock:
    """One ``License server status:`` block: the servers, their daemons and their features."""

    spec: str = ""
    members: List[Tuple[str, str]] = field(default_factory=list)  # (port, host)
    license_files: List[LicenseFileRef] = field(default_factory=list)
    servers: List[ServerStatus] = field(default_factory=list)
    vendors: List[VendorDaemon] = field(default_factory=list)
    features: List[Feature] = field(default_factory=list)
    errors: List[ErrorNote] = field(default_factory=list)
    line: int = 0

    @property
    def is_triad(self) -> bool:
        return len(self.members) == 3

    @property
    def master(self) -> Optional[ServerStatus]:
        for s in self.servers:
            if s.master:
                return s
        return None

    def server_for(self, host: str) -> Optional[ServerStatus]:
        for s in self.servers:
            if _same_host(s.host, host):
                return s
        return None

    @property
    def quorum(self) -> Optional[Quorum]:
        if not self.is_triad:
            return None
        up, down, unknown = 0, [], []
        for _port, host in self.members:
            s = self.server_for(host)
            if s is None:
                unknown.append(host)
            elif s.up:
                up += 1
            else:
                down.append(host)
        return Quorum(members=3, up=up, down=down, unknown=unknown)


@dataclass
class LicenseTableRow:
    """One row of ``lmstat -i`` (read from the license file, not from the server)."""

    feature: str
    version: str
    count: str
    expires: str
    vendor: str
    expiry_date: Optional[_dt.date] = None
    permanent: bool = False
    line: int = 0


@dataclass
class LmstatResult:
    header: Header = field(default_factory=Header)
    blocks: List[ServerBlock] = field(default_factory=list)
    license_table: List[LicenseTableRow] = field(default_factory=list)
    license_table_columns: List[str] = field(default_factory=list)
    errors: List[ErrorNote] = field(default_factory=list)  # not tied to one server line
    unparsed: List[Tuple[int, str]] = field(default_factory=list)
    unparsed_more: int = 0  # not-understood lines past MAX_UNPARSED_KEPT: counted, not kept
    line_kinds: List[str] = field(default_factory=list)
    placeholders: int = 0  # `...` lines: the paste was shortened by hand

    @property
    def servers(self) -> List[ServerStatus]:
        return [s for b in self.blocks for s in b.servers]

    @property
    def vendors(self) -> List[VendorDaemon]:
        return [v for b in self.blocks for v in b.vendors]

    @property
    def features(self) -> List[Feature]:
        return [f for b in self.blocks for f in b.features]

    @property
    def users(self) -> List[UserLicense]:
        return [u for f in self.features for u in f.users]

    @property
    def understood_lines(self) -> int:
        return sum(1 for k in self.line_kinds if k not in (UNPARSED, "blank", "placeholder"))

    @property
    def looks_like_lmstat(self) -> bool:
        return self.understood_lines > 0

    def to_dict(self) -> Dict[str, Any]:
        return _to_jsonable(self)


# --------------------------------------------------------------------------- helpers


def _same_host(a: str, b: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if a == b:
        return True
    # lmstat prints the name the server reports; the spec may hold an FQDN or a short name.
    return a.split(".", 1)[0] == b.split(".", 1)[0] and ("." not in a or "." not in b)


def decode(data: Union[bytes, str]) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows consoles write cp1252/OEM; latin-1 maps every byte, so nothing is lost.
        return data.decode("latin-1")


_NEWLINE = re.compile(r"\r\n|\r|\n")


def iter_lines(text: str) -> Iterator[str]:
    """split_lines one at a time: a large paste is never held twice (text and its list of lines)."""
    pos, end = 0, len(text)
    for m in _NEWLINE.finditer(text):
        yield text[pos:m.start()]
        pos = m.end()
    if pos < end:
        yield text[pos:]


def split_lines(text: str) -> List[str]:
    """Split on CRLF, CR or LF (pastes mix them); a final newline does not make an extra line."""
    if not text:
        return []
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def find_errors(text: str) -> List[Any]:
    """Error codes in ``text`` as ``checks.errors.ErrorRef`` (empty if none, never raises)."""
    if "-" not in text:
        return []
    try:
        from ..errors import find_error_codes

        return list(find_error_codes(text))
    except Exception:
        return []


def parse_expiry(text: Optional[str]) -> Tuple[Optional[_dt.date], bool]:
    """(date, permanent) for an lmstat expiry such as ``1-jan-0`` or ``permanent(no expiration date)``."""
    if not text:
        return None, False
    t = text.strip()
    if t.lower().startswith("permanent"):
        return None, True
    try:
        from ..license.dates import parse_date

        d = parse_date(t)
        return d.date, bool(d.permanent)
    except Exception:
        return None, False


def version_tuple(v: Optional[str]) -> Optional[Tuple[int, ...]]:
    """``v11.13.1`` -> (11, 13, 1); None if there is no number in it."""
    if not v:
        return None
    nums = re.findall(r"\d+", v.split()[0] if v.split() else v)
    if not nums:
        return None
    return tuple(int(n) for n in nums[:6])


def compare_versions(a: Optional[str], b: Optional[str]) -> Optional[int]:
    ta, tb = version_tuple(a), version_tuple(b)
    if ta is None or tb is None:
        return None
    n = max(len(ta), len(tb))
    ta = ta + (0,) * (n - len(ta))
    tb = tb + (0,) * (n - len(tb))
    return (ta > tb) - (ta < tb)


def _to_jsonable(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (_dt.date, _dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, ErrorNote):
        return {"text": obj.text, "line": obj.line, "codes": [error_ref_dict(r) for r in obj.refs]}
    if isinstance(obj, (list, tuple)):
        return [_to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if hasattr(obj, "__dataclass_fields__"):
        d = {name: _to_jsonable(getattr(obj, name)) for name in obj.__dataclass_fields__}
        if isinstance(obj, ServerBlock):
            q = obj.quorum
            d["quorum"] = _to_jsonable(q) if q else None
            if q is not None:
                d["quorum"]["has_quorum"] = q.has_quorum
        if isinstance(obj, LmstatResult):
            d.pop("line_kinds", None)
            d["unparsed"] = [{"line": n, "text": t} for n, t in obj.unparsed]
        return d
    return str(obj)


def error_ref_dict(ref: Any) -> Dict[str, Any]:
    """An ErrorRef with its explanation, for JSON."""
    out: Dict[str, Any] = {}
    for k in ("major", "minor", "errno", "errno_text", "raw"):
        out[k] = getattr(ref, k, None)
    out["meaning"] = explain_ref(ref)
    return out


def explain_ref(ref: Any) -> str:
    """One readable sentence for an ErrorRef: the FlexNet meaning and the OS errno meaning."""
    if ref is None:
        return ""
    # Imported on use, as find_errors() does: only the JSON and text views explain codes.
    # No try/except: both lookups are plain table reads of the ints an ErrorRef carries.
    from ..errors import errno_meaning, flexlm_meaning

    parts: List[str] = []
    major = getattr(ref, "major", None)
    if major is not None:
        m = flexlm_meaning(major)
        if m:
            parts.append(f"FlexNet error {major}: {m}")
    eno = getattr(ref, "errno", None)
    if eno is not None:
        em = errno_meaning(eno)
        if em:
            parts.append(em)
        elif getattr(ref, "errno_text", None):
            parts.append(f"system error {eno}: {ref.errno_text}")
    return "; ".join(str(p) for p in parts)


# --------------------------------------------------------------------------- line patterns

_COPYRIGHT = re.compile(
    r"^\s*(?P<tool>[A-Za-z_.]+?)(?:\.exe)?\s+-\s+Copyright\s+\(c\)\s+(?P<years>[\d\-]+)\s+(?:by\s+)?(?P<company>.*?)\.?\s+All\s+Rights\s+Reserved\.?\s*$",
    re.I,
)
_STATUS_ON = re.compile(r"^\s*Flexible License Manager status on\s+(?P<when>.*?)\s*$", re.I)
_VERSION_LINE = re.compile(
    r"^\s*(?P<tool>lmstat|lmutil|lmdiag|lmgrd)(?:\s+v(?P<ver>[\d.]+\S*))?(?:\s+build\s+(?P<build>\d+))?(?:\s+(?P<plat>[A-Za-z0-9_]+))?\s*$"
)
_COMMAND = re.compile(r"(?:^|[\s/\\>$#])(?:lmutil|lmstat)(?:\.exe)?\s+(?:lmstat\s+)?.*?(?:^|\s)-[A-Za-z]", re.I)
_DETECTING = re.compile(r"^\s*\[Detecting lmgrd processes\.*\]\s*$", re.I)
_NOTE_I = re.compile(
    r"^\s*(?:NOTE:\s*lmstat -i does not give information from the server,?"
    r"|but only reads the license file\..*"
    r"|lmstat -a is recommended instead\.?)\s*$",
    re.I,
)
_SERVER_STATUS = re.compile(r"^\s*License server status:\s*(?P<spec>.*?)\s*$", re.I)
_LICENSE_FILES = re.compile(r"^\s*License file\(s\) on (?P<host>[^:\s]+):\s*(?P<path>.*?)\s*$", re.I)
_VENDOR_STATUS = re.compile(r"^\s*Vendor daemon status \(on (?P<host>[^)]*)\):?\s*$", re.I)
_FEATURE_USAGE = re.compile(r"^\s*Feature usage info:?\s*$", re.I)
_USERS_OF = re.compile(r"^\s*Users of (?P<name>.+?):\s+\((?P<status>.*)\)\s*$")
_TOTALS = re.compile(
    r"^Total of (?P<issued>\d+) licen[sc]es? issued;\s*Total of (?P<inuse>\d+) licen[sc]es? in use$", re.I
)
_UNCOUNTED = re.compile(r"^Uncounted,\s*node-?locked$", re.I)
_FEAT_ERROR = re.compile(r"^Error:\s*(?P<n>\d+)\s+licen[sc]es?,\s*(?P<why>.*)$", re.I)
_VERSION_BLOCK = re.compile(
    r'^\s*"(?P<name>[^"]*)"\s+(?P<ver>v\S*),\s*vendor:\s*(?P<vendor>[^,\s]*)(?:,\s*expiry:\s*(?P<exp>.*?))?\s*$'
)
_VENDOR_STRING = re.compile(r"^\s*vendor_string:\s?(?P<vs>.*?)\s*$", re.I)
_LIC_TYPE = re.compile(
    r"^\s*(?P<uncounted>uncounted\s+)?(?P<kind>floating|nodelocked|node-locked)\s+license\b,?\s*(?P<rest>.*?)\s*$",
    re.I,
)
_LOCKED_TO = re.compile(r"^locked to\s+(?P<what>.*)$", re.I)
_RESERVATION = re.compile(
    r"^\s*(?P<n>\d+)\s+RESERVATIONs?\s+for\s+(?P<kind>\S+)\s+(?P<name>.*?)\s*(?:\((?P<sh>[^()/\s]+)/(?P<sp>[^()\s]+)\))?\s*$",
    re.I,
)
# The fixed part of a user line: "(v61.9) (host3.domain.net/27002 7086)". Everything left of it is
# user, host, display and extra tokens; everything right of it is start time, count, PID, linger.
_USER_ANCHOR = re.compile(r"\((?P<cver>v[^()\s]*)\)\s+\((?P<sh>[^()\s/]+)/(?P<sp>[^()\s]+)(?:\s+(?P<handle>\d+))?\)")
_START = re.compile(r"^,?\s*start\s+(?P<start>[A-Za-z]{3}\s+\d{1,2}/\d{1,2}(?:/\d{2,4})?\s+\d{1,2}:\d{2}(?::\d{2})?)")
_COUNT = re.compile(r"^,\s*(?P<n>\d+)\s+licen[sc]es?")
_PID = re.compile(r"^,\s*PID:\s*(?P<pid>\d+)", re.I)
_LINGER = re.compile(r"^,?\s*\(linger:\s*(?P<a>\d+)(?:\s*/\s*(?P<b>\d+))?\)", re.I)
_QUEUED = re.compile(r"^\s*queued for (?P<n>\d+) licen[sc]es?", re.I)
_PLACEHOLDER = re.compile(r"\.{3,}|…")
_WS = re.compile(r"\s+")
_HOSTLIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EXTRA_TOKEN = re.compile(r"^(?:\w+=\S*|[A-Za-z0-9_]+:[A-Za-z0-9_.-]+|\d+(?:\.\d+)+)$")
_SERVER_LINE = re.compile(
    r"^\s*(?P<host>[^\s:]+):\s+license server (?P<state>UP|DOWN|\S+)"
    r"(?P<master>\s+\(MASTER\))?(?:\s+(?P<ver>v\S+))?\s*(?P<rest>.*?)\s*$",
    re.I,
)
_NAME_COLON = re.compile(r"^\s*(?P<name>[^\s:]+):\s+(?P<rest>.+?)\s*$")
_VENDOR_UP = re.compile(r"^UP(?:\s+(?P<ver>v\S+))?\s*$")
_STATUS_ERROR = re.compile(r"^\s*(?:Error getting status|lmgrd is not running|lmstat|lmutil):\s*(?P<msg>.+?)\s*$", re.I)
_I_HEADER = re.compile(r"^\s*Feature\s+Version\s+#licenses\s+", re.I)
_I_RULE = re.compile(r"^\s*_{3,}(?:\s+_+)*\s*$")
_I_ROW = re.compile(r"^\s*(?P<f>\S+)\s+(?P<v>\S+)\s+(?P<n>\S+)\s+(?P<rest>\S.*?)\s*$")


def _members(spec: str) -> List[Tuple[str, str]]:
    out = []
    for part in re.split(r"[,;:&\s]+(?=[^@,;&\s]*@)", spec.strip()):
        part = part.strip().strip(",;")
        if "@" in part:
            port, _, host = part.partition("@")
            out.append((port, host))
    return out


# --------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(self) -> None:
        self.r = LmstatResult()
        self.block: Optional[ServerBlock] = None
        self.section: Optional[str] = None  # servers | vendors | features | itable
        self.vendor_host: Optional[str] = None
        self.feature: Optional[Feature] = None
        self.version: Optional[FeatureVersion] = None
        self.itable_order: List[str] = []
        self._users_kept = 0
        self._strings: Dict[str, str] = {}

    # -- structure helpers
    def _block(self, line: int) -> ServerBlock:
        if self.block is None:
            self.block = ServerBlock(line=line)
            self.r.blocks.append(self.block)
        return self.block

    def _feature_for(self, name: str, line: int) -> Feature:
        # The header names the feature again; anonymised pastes change the name ("Users of
        # feature1" over "feature0"), so the header belongs to the current feature regardless.
        if self.feature is None:
            # A version header with no "Users of" line before it (cut pastes): keep it anyway.
            self.feature = Feature(name=name, line=line)
            self._block(line).features.append(self.feature)
        return self.feature

    # -- one line
    def feed(self, n: int, raw: str) -> str:
        """The kind of line ``n``; what it says lands in the result. Shapes are tried in a fixed order."""
        if len(raw) > MAX_LINE:
            return UNPARSED
        s = raw.rstrip()
        t = s.strip()
        if not t:
            return "blank"
        if _PLACEHOLDER.fullmatch(t):
            self.r.placeholders += 1
            return "placeholder"
        for shape in (self._header_line, self._section_line, self._feature_line, self._user_line,
                      self._itable_line, self._status_line):
            kind = shape(n, s)
            if kind:
                return kind
        if _COMMAND.search(s):
            self.r.header.command = t
            return "command"
        return UNPARSED

    def _header_line(self, n: int, s: str) -> Optional[str]:
        """The banner lmutil prints first: copyright, status time, `lmstat -v` version, notes."""
        h = self.r.header
        m = _COPYRIGHT.match(s)
        if m:
            h.tool = m.group("tool").lower()
            h.copyright = m.group("years")
            h.company = m.group("company").strip()
            h.company_family = _company_family(h.company)
            return "header"
        m = _STATUS_ON.match(s)
        if m:
            h.status_time = m.group("when")
            h.status_date = _status_date(h.status_time)
            h.status_line = n
            return "header"
        m = _VERSION_LINE.match(s)
        if m:
            h.tool = h.tool or m.group("tool")
            if m.group("ver"):
                h.version = m.group("ver")
                h.build = m.group("build")
                h.platform = m.group("plat")
            return "version"
        if _DETECTING.match(s) or _NOTE_I.match(s):
            return "note"
        return None

    def _section_line(self, n: int, s: str) -> Optional[str]:
        """The lines that open a server block or one of its sections."""
        m = _SERVER_STATUS.match(s)
        if m:
            self.block = ServerBlock(spec=m.group("spec"), members=_members(m.group("spec")), line=n)
            self.r.blocks.append(self.block)
            self.section = "servers"
            self.feature = self.version = None
            return "server-status"
        m = _LICENSE_FILES.match(s)
        if m:
            path = m.group("path")
            if path.endswith(":"):
                path = path[:-1]
            self._block(n).license_files.append(LicenseFileRef(m.group("host"), path, n))
            self.section = "servers"
            return "license-file"
        m = _VENDOR_STATUS.match(s)
        if m:
            self._block(n)
            self.section = "vendors"
            self.vendor_host = m.group("host").strip() or None
            return "vendor-status"
        if _FEATURE_USAGE.match(s):
            self._block(n)
            self.section = "features"
            return "feature-usage"
        return None

    def _feature_line(self, n: int, s: str) -> Optional[str]:
        """``Users of``, a version block and the detail lines under it (vendor_string, type, reservations)."""
        m = _USERS_OF.match(s)
        if m:
            return self._users_of(n, m)
        m = _VERSION_BLOCK.match(s)
        if m:
            return self._version_block(n, m)
        if self.feature is None:
            return None
        m = _VENDOR_STRING.match(s)
        if m:
            if self.version is not None:
                self.version.vendor_string = m.group("vs")
            return "vendor-string"
        m = _LIC_TYPE.match(s)
        if m:
            return self._license_type(m)
        m = _RESERVATION.match(s)
        if m:
            self.feature.reservations.append(
                Reservation(int(m.group("n")), m.group("kind"), m.group("name"), m.group("sh"), m.group("sp"), n)
            )
            return "reservation"
        return None

    def _itable_line(self, n: int, s: str) -> Optional[str]:
        """``lmstat -i``: the column header, its rule and the rows under it."""
        if _I_HEADER.match(s):
            columns = s.split()
            self.itable_order = [c.lower() for c in columns]
            self.r.license_table_columns = columns
            self.section = "itable"
            return "itable-header"
        if self.section != "itable":
            return None
        if _I_RULE.match(s):
            return "itable-rule"
        m = _I_ROW.match(s)
        return self._itable_row(n, m) if m else None

    def _status_line(self, n: int, s: str) -> Optional[str]:
        """A server or vendor daemon state, or an error message (with its FlexNet code when there is one)."""
        m = _SERVER_LINE.match(s)
        if m:
            return self._server_line(n, s, m)
        m = _NAME_COLON.match(s) if self.section in ("vendors", "servers") else None
        if m and self.section == "vendors":
            kind = self._vendor_line(n, m)
            if kind:
                return kind
        elif m and find_errors(m.group("rest")):
            return self._server_down(n, m.group("name"), m.group("rest"))
        if _STATUS_ERROR.match(s) or find_errors(s):
            note = ErrorNote(text=s.strip(), line=n, refs=find_errors(s))
            if self.block is not None and self.section in ("servers", "vendors"):
                self.block.errors.append(note)
            else:
                self.r.errors.append(note)
            return "error"
        return None

    def _version_block(self, n: int, m: "re.Match[str]") -> str:
        feat = self._feature_for(m.group("name"), n)
        exp = m.group("exp")
        d, perm = parse_expiry(exp)
        self.version = FeatureVersion(
            name=m.group("name"), version=m.group("ver"), vendor=m.group("vendor") or None,
            expiry=exp, expiry_date=d, permanent=perm, line=n,
        )
        feat.versions.append(self.version)
        self.section = "features"
        return "feature-version"

    def _users_of(self, n: int, m: "re.Match[str]") -> str:
        self.section = "features"
        self.version = None
        feat = Feature(name=m.group("name").strip(), line=n, status_text=m.group("status").strip())
        st = feat.status_text
        tm = _TOTALS.match(st)
        em = _FEAT_ERROR.match(st)
        if tm:
            feat.issued, feat.in_use = int(tm.group("issued")), int(tm.group("inuse"))
        elif _UNCOUNTED.match(st):
            feat.uncounted = True
        elif em:
            feat.error = st
            feat.error_count = int(em.group("n"))
            feat.unsupported = "unsupported" in em.group("why").lower()
        else:
            feat.error = st
        self.feature = feat
        self._block(n).features.append(feat)
        return "feature" if (tm or feat.uncounted or em) else "feature-odd"

    def _license_type(self, m: "re.Match[str]") -> str:
        kind = m.group("kind").lower().replace("-", "")
        if m.group("uncounted"):
            kind = "uncounted " + kind
        rest = m.group("rest")
        if self.version is None and self.feature is not None:
            # "floating license" with no version header seen (cut paste): keep it on a stub.
            self.version = FeatureVersion(name=self.feature.name, version="", line=0)
            self.feature.versions.append(self.version)
        if self.version is not None:
            self.version.license_type = kind
            lm = _LOCKED_TO.match(rest)
            if lm:
                self.version.locked_to = lm.group("what")
            elif rest:
                self.version.locked_to = None
        return "license-type"

    def _user_line(self, n: int, s: str) -> Optional[str]:
        if "(v" not in s or "/" not in s or not s[:1].isspace() and self.feature is None:
            return None
        anchors = list(_USER_ANCHOR.finditer(s))
        if not anchors:
            return None
        anchor = anchors[-1]  # the last "(v...)" on the line: user names may contain brackets
        tokens = s[: anchor.start()].split()
        if len(tokens) < 2:
            return None
        extra: List[str] = []
        while len(tokens) > 3 and _EXTRA_TOKEN.match(tokens[-1]):
            extra.insert(0, tokens.pop())
        ambiguous = False
        if len(tokens) == 2:
            user, host, display = tokens[0], tokens[1], ""
        elif len(tokens) == 3:
            user, host, display = tokens
        else:
            # Spaces inside a user name ("Jane Doe Jr.") or a garbage display: take the last
            # host-like token that leaves at least one token for the display as the host.
            ambiguous = True
            hi = 1
            for i in range(1, len(tokens) - 1):
                if _HOSTLIKE.match(tokens[i]):
                    hi = i
            user, host, display = " ".join(tokens[:hi]), tokens[hi], " ".join(tokens[hi + 1:])
        u = UserLicense(
            user=user, host=host, display=display, extra=extra, ambiguous=ambiguous,
            client_version=anchor.group("cver"), server_host=anchor.group("sh"), server_port=anchor.group("sp"),
            handle=int(anchor.group("handle")) if anchor.group("handle") else None, line=n,
        )
        rest = s[anchor.end():]
        while rest.strip():
            m = _START.match(rest)
            if m and u.start is None:
                u.start = _WS.sub(" ", m.group("start"))
                rest = rest[m.end():]
                continue
            m = _COUNT.match(rest)
            if m:
                u.count = int(m.group("n"))
                rest = rest[m.end():]
                continue
            m = _PID.match(rest)
            if m:
                u.pid = int(m.group("pid"))
                rest = rest[m.end():]
                continue
            m = _LINGER.match(rest.lstrip())
            if m:
                b = m.group("b")
                u.linger = (int(m.group("a")), int(b) if b else None)
                rest = rest.lstrip()[m.end():]
                continue
            m = _QUEUED.match(rest)
            if m:
                u.queued = True
                u.count = int(m.group("n"))
                rest = rest[m.end():]
                continue
            break
        u.leftover = rest.strip()
        feat = self.feature
        if feat is None:
            feat = Feature(name="", line=n)  # users with no "Users of" line (cut paste)
            self.feature = feat
            self._block(n).features.append(feat)
        u.feature = feat.name
        if self.version is not None:
            u.feature_version = self.version.version
        if self._users_kept >= MAX_USERS_KEPT:
            feat.users_more += 1
            feat.queued_more += int(u.queued)
        else:
            self._users_kept += 1
            # Hosts, versions, servers and start times repeat on every line: keep one copy of each.
            for attr in ("user", "host", "client_version", "server_host", "server_port", "start", "feature",
                         "feature_version"):
                v = getattr(u, attr)
                if v is not None:
                    setattr(u, attr, self._strings.setdefault(v, v))
            feat.users.append(u)
        if u.leftover:
            return "user-partial"
        return "user-queued" if u.queued else "user"

    def _itable_row(self, n: int, m: "re.Match[str]") -> str:
        rest = m.group("rest")
        order = self.itable_order
        # The two known layouts end "... Expires Vendor" or "... Vendor Expires"; the expiry may
        # contain spaces ("permanent(no expiration date)"), the vendor name never does.
        vendor_last = True
        if "vendor" in order and "expires" in order:
            vendor_last = order.index("vendor") > order.index("expires")
        if vendor_last:
            head, _, vendor = rest.rpartition(" ")
            expires = head.strip()
            if not expires:
                return UNPARSED
        else:
            vendor, _, expires = rest.partition(" ")
            expires = expires.strip()
            if not expires:
                return UNPARSED
        d, perm = parse_expiry(expires)
        self.r.license_table.append(
            LicenseTableRow(m.group("f"), m.group("v"), m.group("n"), expires, vendor, d, perm, n)
        )
        return "itable-row"

    def _server_line(self, n: int, s: str, m: "re.Match[str]") -> str:
        state = m.group("state").upper()
        up = state == "UP"
        text = s.split(":", 1)[1].strip()
        srv = ServerStatus(
            host=m.group("host"), up=up, master=bool(m.group("master")), version=m.group("ver"), text=text, line=n,
        )
        if not up:
            srv.error = ErrorNote(text=text, line=n, refs=find_errors(text))
        self._block(n).servers.append(srv)
        if self.section not in ("servers",):
            self.section = "servers"
        return "server"

    def _server_down(self, n: int, host: str, text: str) -> str:
        error = ErrorNote(text=text, line=n, refs=find_errors(text))
        srv = ServerStatus(host=host, up=False, text=text, error=error, line=n)
        self._block(n).servers.append(srv)
        return "server"

    def _vendor_line(self, n: int, m: "re.Match[str]") -> Optional[str]:
        name, rest = m.group("name"), m.group("rest")
        um = _VENDOR_UP.match(rest)
        refs = [] if um else find_errors(rest)
        if not um and not refs and not re.search(r"\bdown\b|cannot|can't|not running", rest, re.I):
            return None
        vd = VendorDaemon(name=name, up=bool(um), version=um.group("ver") if um else None,
                          on_host=self.vendor_host, text=rest, line=n)
        if not um:
            vd.error = ErrorNote(text=rest, line=n, refs=refs)
        self._block(n).vendors.append(vd)
        return "vendor"


def _company_family(company: str) -> Optional[str]:
    """Which owner of FlexLM printed the banner: lmutil's age at a glance (Globetrotter < Macrovision < Flexera)."""
    low = company.lower()
    for family in ("flexera", "macrovision", "globetrotter"):
        if family in low:
            return family
    return None


def _status_date(when: str) -> Optional[_dt.date]:
    from ..license.dates import parse_mdy

    return parse_mdy(when, anywhere=True)


def parse_lmstat(data: Union[bytes, str]) -> LmstatResult:
    """Read lmstat output. Never raises: what is not understood lands in ``unparsed``."""
    reader = _Reader()
    r = reader.r
    try:
        text = decode(data)
    except Exception:  # pragma: no cover - decode() cannot fail, but the contract is "never raise"
        text = ""
    del data  # the caller may drop its copy; ours is the decoded text only
    for i, raw in enumerate(iter_lines(text), start=1):
        try:
            kind = reader.feed(i, raw)
        except Exception:
            kind = UNPARSED
        if kind == UNPARSED or kind == "user-partial" or kind == "feature-odd":
            if len(r.unparsed) < MAX_UNPARSED_KEPT:
                r.unparsed.append((i, raw))
            else:
                r.unparsed_more += 1
        r.line_kinds.append(kind)
    return r
