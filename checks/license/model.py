"""The license-file model: physical lines (lossless) and logical entries (parsed).

Rendering ``LicenseFile.render()`` returns the original bytes exactly: BOM,
line endings, tabs, comments and even undecodable bytes (kept with
``surrogateescape``). Repairs edit physical lines and render again, so anything
they do not touch stays byte-identical.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

from .dates import FlexDate, parse_date

LINE_KEYWORDS = (
    "SERVER", "VENDOR", "DAEMON", "USE_SERVER", "FEATURE", "INCREMENT", "UPGRADE", "PACKAGE", "FEATURESET",
)
FEATURE_KINDS = ("FEATURE", "INCREMENT", "UPGRADE")


@dataclass
class PhysLine:
    number: int  # 1-based
    text: str  # without its line ending
    eol: str  # "\n", "\r\n", "\r" or "" (last line without newline)


@dataclass
class Token:
    raw: str  # as written in the joined logical text
    key: Optional[str]  # for key=value tokens, the key as written
    value: str  # unquoted value (or the bare word)
    quoted: bool
    unterminated: bool  # an opening quote that never closed
    line: int  # physical line the token starts on
    offset: int  # offset in the entry's logical text


@dataclass
class Problem:
    """Something the parser could not make sense of; lint turns it into a finding."""

    code: str
    line: int
    message: str
    evidence: str = ""


@dataclass
class Entry:
    """One logical line: a SERVER/VENDOR/FEATURE... line with its continuations, a comment or a blank."""

    kind: str  # a LINE_KEYWORDS value, "COMMENT", "BLANK" or "UNKNOWN"
    first_line: int
    last_line: int
    text: str  # logical text, continuations joined with one space
    tokens: List[Token] = field(default_factory=list)

    @property
    def keyword(self) -> str:
        return self.tokens[0].raw if self.tokens else ""

    @property
    def positional(self) -> List[Token]:
        return [t for t in self.tokens[1:] if t.key is None]

    @property
    def pairs(self) -> List[Token]:
        return [t for t in self.tokens[1:] if t.key is not None]

    def get_token(self, key: str) -> Optional[Token]:
        k = key.upper()
        for t in self.tokens[1:]:
            if t.key is not None and t.key.upper() == k:
                return t
        return None

    def get(self, key: str) -> Optional[str]:
        t = self.get_token(key)
        return t.value if t else None

    def is_line_keyword(self) -> bool:
        return self.kind in LINE_KEYWORDS


def _port(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    t = text.strip()
    if t.isdigit() and len(t) <= 6:
        return int(t)
    return None


@dataclass
class ServerLine:
    entry: Entry
    host: str
    hostid: str
    port_text: Optional[str]

    @property
    def port(self) -> Optional[int]:
        return _port(self.port_text)

    @property
    def line(self) -> int:
        return self.entry.first_line

    @classmethod
    def of(cls, e: Entry) -> "ServerLine":
        pos = e.tokens[1:]
        host = pos[0].value if pos else ""
        hostid = pos[1].raw if len(pos) > 1 and pos[1].key is not None else (pos[1].value if len(pos) > 1 else "")
        port_text = None
        for t in pos[2:]:
            if t.key is None and t.value.isdigit():
                port_text = t.value
                break
        if port_text is None:
            port_text = e.get("PORT")
        return cls(e, host, hostid, port_text)


@dataclass
class VendorLine:
    entry: Entry
    name: str
    path: Optional[str]
    options: Optional[str]
    port_text: Optional[str]

    @property
    def port(self) -> Optional[int]:
        return _port(self.port_text)

    @property
    def line(self) -> int:
        return self.entry.first_line

    @classmethod
    def of(cls, e: Entry) -> "VendorLine":
        pos = e.positional
        name = pos[0].value if pos else ""
        path = options = port = None
        rest = []
        for t in pos[1:]:
            if t.value.isdigit() and port is None:
                port = t.value
            else:
                rest.append(t.value)
        if rest:
            path = rest[0]
        if len(rest) > 1:
            options = rest[1]
        options = e.get("OPTIONS") or options
        port = e.get("PORT") or port
        return cls(e, name, path, options, port)


@dataclass
class FeatureLine:
    entry: Entry
    name: str
    vendor: str
    version: str
    expiry: FlexDate
    count_text: str

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def line(self) -> int:
        return self.entry.first_line

    @property
    def uncounted(self) -> bool:
        return self.count_text.lower() in ("uncounted", "0")

    @property
    def count(self) -> Optional[int]:
        return int(self.count_text) if self.count_text.isdigit() else None

    @property
    def hostid(self) -> Optional[str]:
        return self.entry.get("HOSTID")

    @property
    def sign(self) -> Optional[str]:
        return self.entry.get("SIGN")

    @property
    def start(self) -> Optional[FlexDate]:
        v = self.entry.get("START")
        return parse_date(v) if v is not None else None

    @property
    def major_version(self) -> Optional[int]:
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else None

    @classmethod
    def of(cls, e: Entry) -> "FeatureLine":
        # Positional fields stop at the first keyword=value token.
        pos: List[str] = []
        for t in e.tokens[1:]:
            if t.key is not None:
                break
            pos.append(t.value)
        pos += [""] * (5 - len(pos))
        name, vendor, version, exp, count = pos[:5]
        return cls(e, name, vendor, version, parse_date(exp) if exp else parse_date(""), count)


@dataclass
class LicenseFile:
    lines: List[PhysLine]
    entries: List[Entry]
    problems: List[Problem]
    bom: bytes = b""
    encoding: str = "utf-8"
    is_binary: bool = False
    path: Optional[str] = None

    def render(self) -> bytes:
        body = "".join(ln.text + ln.eol for ln in self.lines)
        if self.encoding == "utf-8":
            return self.bom + body.encode("utf-8", "surrogateescape")
        return self.bom + body.encode(self.encoding, "surrogatepass")

    def iter_kind(self, *kinds: str) -> Iterator[Entry]:
        for e in self.entries:
            if e.kind in kinds:
                yield e

    @property
    def servers(self) -> List[ServerLine]:
        return [ServerLine.of(e) for e in self.iter_kind("SERVER")]

    @property
    def vendors(self) -> List[VendorLine]:
        return [VendorLine.of(e) for e in self.iter_kind("VENDOR", "DAEMON")]

    @property
    def features(self) -> List[FeatureLine]:
        return [FeatureLine.of(e) for e in self.iter_kind(*FEATURE_KINDS)]

    @property
    def has_use_server(self) -> bool:
        return any(True for _ in self.iter_kind("USE_SERVER"))

    def vendor_names(self) -> List[str]:
        seen: Dict[str, None] = {}
        for v in self.vendors:
            if v.name:
                seen.setdefault(v.name, None)
        for f in self.features:
            if f.vendor:
                seen.setdefault(f.vendor, None)
        return list(seen)

    def line_text(self, number: int) -> str:
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1].text
        return ""
