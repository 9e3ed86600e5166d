"""The license-file model: physical lines (lossless) and logical entries (parsed).

Rendering ``LicenseFile.render()`` returns the original bytes exactly: BOM,
line endings, tabs, comments and even undecodable bytes (kept with
``surrogateescape``). Repairs edit physical lines and render again, so anything
they do not touch stays byte-identical.
"""
from __future__ import annotations

import bisect
import itertools
import re
import sys
from array import array
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union, overload

from ..serverspec import ascii_int
from .dates import FlexDate, parse_date

LINE_KEYWORDS = (
    "SERVER", "VENDOR", "DAEMON", "USE_SERVER", "FEATURE", "INCREMENT", "UPGRADE", "PACKAGE", "FEATURESET",
)
FEATURE_KINDS = ("FEATURE", "INCREMENT", "UPGRADE")
_NO_INTS: "tuple[int, ...]" = ()

# key=value (value quoted or bare), a quoted word, or a bare word. A quote that
# never closes runs to the end of the logical line: the lint reports it.
# Only whitespace lies between tokens (every other character starts one).
_TOKEN = re.compile(
    r'(?P<key>[A-Za-z_][A-Za-z0-9_\-]*)=(?:"(?P<qv>[^"]*)(?P<qe>"?)|(?P<v>[^\s"]*))'
    r'|"(?P<q>[^"]*)(?P<qe2>"?)'
    r'|(?P<w>[^\s"]+)'
)
# The same tokens, each with the whitespace before it; group 1 is the key of a
# KEY=value token. Lint needs a few KEY= values of 20,000 features, not every token.
_KEY_SCAN = re.compile(
    r'\s*(?:([A-Za-z_][A-Za-z0-9_\-]*)=(?:"[^"]*"?|[^\s"]*)|"[^"]*"?|[^\s"]+)'
)


@dataclass
class PhysLine:
    # __slots__ by hand (dataclass(slots=) needs 3.10): a 50 MB file has millions of these.
    __slots__ = ("number", "text", "eol")
    number: int  # 1-based
    text: str  # without its line ending
    eol: str  # "\n", "\r\n", "\r" or "" (last line without newline)


class LineTable(Sequence[PhysLine]):
    """The physical lines of a license file, read from one buffer through a table of line starts.

    Issue 10 item 2: a line is 8 bytes of table, not a ``PhysLine`` and a ``str`` (about 180 bytes
    for a 60-character line); ``PhysLine`` objects are made when asked for. ``buf`` is the file's
    bytes (UTF-8, the BOM before the first start) or, for a UTF-16 file, its decoded text. A UTF-8
    line decodes alone exactly as within the whole file (no sequence spans CR or LF), with
    ``surrogateescape`` so undecodable bytes survive.
    """

    __slots__ = ("buf", "starts", "_bytes")

    def __init__(self, buf: Union[bytes, str], starts: "array[int]") -> None:
        self.buf: Any = buf  # bytes or str: the methods below work on either
        self.starts = starts  # line i spans buf[starts[i]:starts[i + 1]], its line end included
        self._bytes = isinstance(buf, bytes)

    @classmethod
    def build(cls, data: Union[bytes, str], base: int = 0) -> "LineTable":
        """Split ``data[base:]`` at LF, CRLF and lone CR. The empty tail after a final line end is no line."""
        buf: Any = data
        starts = array("q", [base])
        add = starts.append
        nl, cr = (b"\n", b"\r") if isinstance(buf, bytes) else ("\n", "\r")
        if cr not in buf:
            # A block at a time in C (split, len, accumulate): a find() per line was seconds for the
            # millions of short lines a file at the cap can hold.
            one_more = (1).__add__
            pos, size = base, len(buf)
            while pos < size:
                end = buf.rfind(nl, pos, pos + (1 << 20))
                if end < 0:  # no line end in this block: the line goes on (or the file ends)
                    end = buf.find(nl, pos + (1 << 20))
                    if end < 0:
                        break
                parts = buf[pos:end].split(nl)  # the lines ending in this block, without their LF
                starts.extend(itertools.islice(itertools.accumulate(map(one_more, map(len, parts)), initial=pos),
                                               1, None))
                pos = end + 1
        else:
            for m in (_EOL_B if isinstance(buf, bytes) else _EOL_S).finditer(buf, base):
                add(m.end())
        if starts[-1] != len(buf):
            add(len(buf))
        return cls(buf, starts)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def _span(self, i: int) -> Tuple[int, int, int]:
        """(start, end of the text, end with the line ending) of line index ``i``."""
        s, e = self.starts[i], self.starts[i + 1]
        buf = self.buf
        end = e
        if e > s:
            last = buf[e - 1]
            if last == (10 if self._bytes else "\n"):
                end = e - 2 if e - 1 > s and buf[e - 2] == (13 if self._bytes else "\r") else e - 1
            elif last == (13 if self._bytes else "\r"):
                end = e - 1
        return s, end, e

    def text(self, i: int) -> str:
        """The text of line index ``i`` (0-based), without its line ending."""
        s, end, _ = self._span(i)
        if self._bytes:
            return self.buf[s:end].decode("utf-8", "surrogateescape")
        return self.buf[s:end]

    def iter_texts(self, block: int = 1 << 18) -> Iterator[str]:
        """The text of every line in order: decoded and split a block of lines at a time (C speed),
        so only one block's lines exist at once."""
        starts, buf, n = self.starts, self.buf, len(self)
        simple = (b"\r" if self._bytes else "\r") not in buf  # LF only: split() finds the lines
        i = 0
        while i < n:
            if not simple:
                yield self.text(i)
                i += 1
                continue
            j = bisect.bisect_left(starts, starts[i] + block, i + 1, n)  # lines i..j-1: about a block
            j = max(j, i + 1)
            chunk = buf[starts[i]:starts[j]]
            if self._bytes:
                chunk = chunk.decode("utf-8", "surrogateescape")
            yield from chunk.split("\n")[:j - i]
            i = j

    def eol(self, i: int) -> str:
        _, end, e = self._span(i)
        if e == end:
            return ""
        if e - end == 2:
            return "\r\n"
        return "\n" if self.buf[end] == (10 if self._bytes else "\n") else "\r"

    def line(self, i: int) -> PhysLine:
        return PhysLine(i + 1, self.text(i), self.eol(i))

    @overload
    def __getitem__(self, i: int) -> PhysLine: ...

    @overload
    def __getitem__(self, i: slice) -> List[PhysLine]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.line(k) for k in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("line index out of range")
        return self.line(i)

    def __iter__(self) -> Iterator[PhysLine]:
        for i in range(len(self)):
            yield self.line(i)

    def contains(self, text: str) -> bool:
        """Whether some line's text holds ``text`` (ASCII, no CR or LF): one search of the buffer.
        (A UTF-8 BOM holds no ASCII byte, and an ASCII byte always decodes as itself.)"""
        if self._bytes:
            return text.encode("ascii") in self.buf
        return text in self.buf

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineTable):
            return list(self) == list(other)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LineTable({len(self)} lines)"


_EOL_B = re.compile(rb"\r\n|\r|\n")
_EOL_S = re.compile(r"\r\n|\r|\n")


@dataclass
class Token:
    __slots__ = ("raw", "key", "value", "quoted", "unterminated", "line", "offset")
    raw: str  # as written in the joined logical text
    key: Optional[str]  # for key=value tokens, the key as written
    value: str  # unquoted value (or the bare word)
    quoted: bool
    unterminated: bool  # an opening quote that never closed
    line: int  # physical line the token starts on
    offset: int  # offset in the entry's logical text


def _token(m: "re.Match[str]", line: int) -> Token:
    key, qv, qe, v, q, qe2, w = m.groups()
    off = m.start()
    if key is not None:
        if qv is not None:
            return Token(m.group(), key, qv, True, not qe, line, off)
        return Token(m.group(), key, v or "", False, False, line, off)
    if q is not None:
        return Token(m.group(), None, q, True, not qe2, line, off)
    return Token(w, None, w, False, False, line, off)


def tokenize(text: str, starts: Sequence[int], numbers: Sequence[int], limit: Optional[int] = None,
             first_line: Optional[int] = None) -> List[Token]:
    """Tokens of a logical line; ``starts``/``numbers`` map offsets to physical lines."""
    tokens: List[Token] = []
    add = tokens.append
    single = len(numbers) <= 1
    first = first_line if first_line is not None else (numbers[0] if numbers else 1)
    matches = _TOKEN.finditer(text)
    for m in (matches if limit is None else islice(matches, limit)):
        add(_token(m, first if single else numbers[bisect.bisect_right(starts, m.start()) - 1]))
    return tokens


@dataclass
class Problem:
    """Something the parser could not make sense of; lint turns it into a finding."""

    code: str
    line: int
    message: str
    evidence: str = ""


_ORDER = sys.byteorder


def _pack(ints: Sequence[int]) -> bytes:
    """Offsets as one bytes object of 4-byte ints: ~60 bytes for six, where a list takes ~260."""
    return array("I", ints).tobytes()


def _unpack(packed: bytes) -> Sequence[int]:
    return memoryview(packed).cast("I")


_LAYOUTS: Dict[Tuple[str, ...], Dict[str, int]] = {}
_MAX_LAYOUTS = 4096


def _layout(names: Tuple[str, ...]) -> Dict[str, int]:
    """KEY -> position for one sequence of keys, shared by the entries that have it."""
    index = _LAYOUTS.get(names)
    if index is None:
        index = {sys.intern(k): i for i, k in enumerate(names)}
        if len(_LAYOUTS) < _MAX_LAYOUTS:  # a file of junk has endless layouts: those stay unshared
            _LAYOUTS[names] = index
    return index


@dataclass(init=False, eq=False)
class Entry:
    """One logical line: a SERVER/VENDOR/FEATURE... line with its continuations, a comment or a blank."""

    # Slots: a 50 MB file can hold a million entries. Hence init=False (slots and field
    # defaults do not mix in a 3.9 dataclass) and the hand-written __init__/__eq__.
    __slots__ = ("kind", "first_line", "last_line", "text", "_tokens", "_starts", "_keys", "_offs")
    kind: str  # a LINE_KEYWORDS value, "COMMENT", "BLANK" or "UNKNOWN"
    first_line: int
    last_line: int
    text: str  # logical text, continuations joined with one space
    # tokens: List[Token], a property (tokenized on first use, see lazy())
    # starts / numbers: where each physical line's segment starts in ``text``, and its line
    # number, for line_at(); properties over one compact array (the lines are consecutive).

    def __init__(self, kind: str, first_line: int, last_line: int, text: str,
                 tokens: Optional[List[Token]] = None, starts: Optional[Sequence[int]] = None,
                 numbers: Optional[Sequence[int]] = None) -> None:
        self.kind = kind
        self.first_line = first_line
        self.last_line = last_line
        self.text = text
        self._tokens: Optional[List[Token]] = tokens if tokens is not None else []
        # Only a continued entry has segment starts: one array of machine ints, not a list of
        # int objects. ``numbers`` is always first_line..last_line, so it is not stored.
        # Packed as bytes of 4-byte ints (one small object; a logical line of 4 GiB is past every cap).
        self._starts: Optional[bytes] = _pack(starts) if starts is not None and len(starts) > 1 else None
        self._keys: Optional[Dict[str, int]] = None  # see _key_index()
        self._offs = b""  # packed like _starts, once _key_index() ran

    @property
    def starts(self) -> Sequence[int]:
        return _unpack(self._starts) if self._starts is not None else _NO_INTS

    @property
    def numbers(self) -> Sequence[int]:
        return range(self.first_line, self.last_line + 1) if self._starts is not None else _NO_INTS

    @classmethod
    def lazy(cls, kind: str, first_line: int, last_line: int, text: str, starts: Optional[Sequence[int]] = None,
             numbers: Optional[Sequence[int]] = None) -> "Entry":
        """An entry tokenized only when someone asks for ``tokens``.

        The parser makes every license line lazy: 20,000 features are ~240,000 tokens, and
        lint reads only a few KEY= values of each (see get_token()).
        """
        e = cls(kind, first_line, last_line, text, None, starts, numbers)
        e._tokens = None
        return e

    @property
    def tokens(self) -> List[Token]:
        toks = self._tokens
        if toks is None:
            toks = self._tokens = tokenize(self.text, self.starts, self.numbers, None, self.first_line)
        return toks

    @tokens.setter
    def tokens(self, value: List[Token]) -> None:
        self._tokens = value
        self._keys = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return (self.kind, self.first_line, self.last_line, self.text, self.tokens) == (
            other.kind, other.first_line, other.last_line, other.text, other.tokens)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def line_at(self, offset: int) -> int:
        """The physical line holding character ``offset`` of the logical text."""
        starts = self._starts
        if starts is None:
            return self.first_line
        return self.first_line + max(0, bisect.bisect_right(_unpack(starts), offset) - 1)

    @property
    def keyword(self) -> str:
        return self.tokens[0].raw if self.tokens else ""

    @property
    def positional(self) -> List[Token]:
        return [t for t in self.tokens[1:] if t.key is None]

    @property
    def pairs(self) -> List[Token]:
        return [t for t in self.tokens[1:] if t.key is not None]

    def _key_index(self) -> Dict[str, int]:
        """KEY (upper case) -> its position in ``_offs``, the offsets of each key's first KEY=value token.

        The map is shared by every entry with the same keys in the same order (a file's features
        mostly have one layout), so an entry holds one small array, not a dict of its own.
        """
        keys = self._keys
        if keys is not None:
            return keys
        toks = self._tokens
        if toks is not None:
            found = [(t.key, t.offset) for t in toks[1:] if t.key is not None]
        else:
            # Offsets straight from the matches: no Token objects for the other tokens.
            it = _KEY_SCAN.finditer(self.text)
            next(it, None)  # the keyword
            found = [(m.group(1), m.start(1)) for m in it if m.group(1)]
        names: List[str] = []
        offs: List[int] = []
        if found:
            seen = set()
            for k, off in found:  # the first of a repeated key wins
                up = k.upper()
                if up not in seen:
                    seen.add(up)
                    names.append(up)
                    offs.append(off)
        keys = self._keys = _layout(tuple(names))
        self._offs = _pack(offs)
        return keys

    @property
    def _lead(self) -> int:
        """Offset of the first KEY=value token after the keyword, or len(text) (after _key_index())."""
        offs = self._offs
        return int.from_bytes(offs[:4], _ORDER) if offs else len(self.text)

    def _key_offset(self, key: str) -> Optional[int]:
        pos = self._key_index().get(key.upper())
        return None if pos is None else int.from_bytes(self._offs[4 * pos:4 * pos + 4], _ORDER)

    def has_key(self, key: str) -> bool:
        """Whether a KEY=value token exists (key in any case), without building tokens."""
        return key.upper() in self._key_index()

    def get_token(self, key: str) -> Optional[Token]:
        """The first KEY=value token, key matched in any case."""
        off = self._key_offset(key)
        if off is None:
            return None
        toks = self._tokens
        if toks is not None:
            return next(t for t in toks if t.offset == off)
        m = _TOKEN.match(self.text, off)
        return _token(m, self.line_at(off))  # type: ignore[arg-type]

    def get(self, key: str) -> Optional[str]:
        t = self.get_token(key)
        return t.value if t else None

    def lead_values(self) -> List[str]:
        """Values of the positional tokens between the keyword and the first KEY=value token."""
        self._key_index()
        if self._tokens is None:
            head = self.text[:self._lead]
            # Without quotes these tokens are exactly the whitespace-separated words.
            if '"' not in head:
                return head.split()[1:]
        lead = self._lead
        return [t.value for t in self.tokens[1:] if t.offset < lead]

    def is_line_keyword(self) -> bool:
        return self.kind in LINE_KEYWORDS


def _port(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    return ascii_int(text.strip(), 6)  # not str.isdigit(): '²' passes it and int() then raises


_SERVER_FLAGS = ("PRIMARY_IS_MASTER",)
_SERVER_KEYS = ("PORT", "HEARTBEAT_INTERVAL")  # key=value tokens on a SERVER line that are not a hostid
_OPENERS = {"<": ">", "{": "}", "[": "]"}


def _looks_like_port(word: str) -> bool:
    # 1-5 decimal digits. A FlexNet hostid is never that short and bare (a MAC is 12 hex digits,
    # an 8-digit Sun hostid is longer, every other type has a TYPE= prefix).
    return word.isascii() and word.isdigit() and len(word) <= 5


def _server_words(e: Entry) -> List[Token]:
    """The SERVER line's tokens after the keyword, with bracketed templates rejoined.

    "SERVER {Name or IP} <optional-mac-address> 27000" tokenizes as "{Name", "or", "IP}" ...;
    the placeholder is one field, so it becomes one token again.
    """
    out: List[Token] = []
    toks = e.tokens[1:]
    i = 0
    while i < len(toks):
        t = toks[i]
        close = _OPENERS.get(t.raw[:1]) if t.key is None and not t.quoted else None
        if close and close not in t.raw:
            j = i + 1
            while j < len(toks) and j - i < 8 and close not in toks[j].raw:
                j += 1
            if j < len(toks) and close in toks[j].raw:
                raw = e.text[t.offset:toks[j].offset + len(toks[j].raw)]
                out.append(Token(raw, None, raw, False, False, t.line, t.offset))
                i = j + 1
                continue
        out.append(t)
        i += 1
    return out


@dataclass
class ServerLine:
    entry: Entry
    host: str
    hostid: str  # "" when the line has none ("SERVER host 27000")
    port_text: Optional[str]
    # Further positional words FlexNet has no place for, e.g. a second hostid.
    extra: List[str] = field(default_factory=list)

    @property
    def port(self) -> Optional[int]:
        return _port(self.port_text)

    @property
    def line(self) -> int:
        return self.entry.first_line

    @classmethod
    def of(cls, e: Entry) -> "ServerLine":
        # SERVER host hostid [port] [PRIMARY_IS_MASTER] [HEARTBEAT_INTERVAL=s] (flexlm-facts.md 1).
        words = _server_words(e)
        host = words[0].value if words and words[0].key is None else ""
        rest = [t for t in words[1:] if not (t.key is not None and t.key.upper() in _SERVER_KEYS)
                and not (t.key is None and t.value.upper() in _SERVER_FLAGS)]
        hostid = ""
        port_text = None
        extra: List[str] = []
        if rest:
            first = rest[0]
            later_port = any(t.key is None and _looks_like_port(t.value) for t in rest[1:])
            if first.key is None and _looks_like_port(first.value) and not later_port:
                # "SERVER host 27000": three fields, the last a number, is a port without a hostid.
                port_text = first.value
            else:
                hostid = first.raw if first.key is not None else first.value
            for t in rest[1:]:
                if port_text is None and t.key is None and t.value.isdigit():
                    port_text = t.value
                else:
                    extra.append(t.raw if t.key is not None else t.value)
        if port_text is None:
            port_text = e.get("PORT")
        return cls(e, host, hostid, port_text, extra)


@dataclass
class VendorLine:
    entry: Entry
    name: str
    path: Optional[str]
    options: Optional[str]
    port_text: Optional[str]
    # Positional words after path and options: FlexNet has no place for them. Usually an
    # unquoted daemon path with a space in it ("C:\Program Files\...") split in two.
    extra: List[str] = field(default_factory=list)

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
        kw_options = e.get("OPTIONS")
        if kw_options:
            options = kw_options
            extra = rest[1:]
        else:
            extra = rest[2:]
        port = e.get("PORT") or port
        return cls(e, name, path, options, port, extra)


@dataclass
class FeatureLine:
    # __slots__ by hand (dataclass(slots=) needs 3.10): one per feature of a 16 MiB file.
    __slots__ = ("entry", "name", "vendor", "version", "expiry", "count_text")
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
        return ascii_int(self.count_text, 12)

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
        return ascii_int(head, 6)

    @classmethod
    def of(cls, e: Entry) -> "FeatureLine":
        # Positional fields stop at the first keyword=value token.
        pos = e.lead_values()
        if e.kind == "UPGRADE" and len(pos) > 2:
            # UPGRADE name vendor from_version to_version exp_date count: keep to_version.
            del pos[2]
        pos += [""] * (5 - len(pos))
        name, vendor, version, exp, count = pos[:5]
        # A file has a few vendors, versions and counts, each repeated thousands of times.
        intern = sys.intern
        return cls(e, name, intern(vendor), intern(version), parse_date(exp), intern(count))


@dataclass
class LicenseFile:
    lines: LineTable  # a Sequence[PhysLine] over one buffer
    entries: List[Entry]
    problems: List[Problem]
    bom: bytes = b""
    encoding: str = "utf-8"
    is_binary: bool = False
    path: Optional[str] = None
    # Problems beyond the parser's per-code cap are only counted (a 50 MB file of junk must
    # not hold millions of Problem objects): code -> (how many more, last line).
    problems_dropped: Dict[str, "tuple[int, int]"] = field(default_factory=dict)

    def render(self) -> bytes:
        buf = self.lines.buf
        if isinstance(buf, bytes):  # the file's own bytes, BOM included: lines are views of it
            return buf
        return self.bom + buf.encode(self.encoding, "surrogatepass")

    def iter_kind(self, *kinds: str) -> Iterator[Entry]:
        for e in self.entries:
            if e.kind in kinds:
                yield e

    def _views(self) -> "tuple[List[ServerLine], List[VendorLine], List[FeatureLine]]":
        # Built once and reused: lint asks for these many times and a 20,000-feature file
        # must not be re-parsed each time. Keyed on the entry list and its ends, so adding an
        # entry rebuilds them, without a tuple of a million ids per call (issue 10 item 2).
        entries = self.entries
        key = (id(entries), len(entries), id(entries[0]) if entries else 0, id(entries[-1]) if entries else 0)
        cached = self.__dict__.get("_views_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        servers: List[ServerLine] = []
        vendors: List[VendorLine] = []
        features: List[FeatureLine] = []
        for e in self.entries:
            k = e.kind
            if k == "SERVER":
                servers.append(ServerLine.of(e))
            elif k in ("VENDOR", "DAEMON"):
                vendors.append(VendorLine.of(e))
            elif k in FEATURE_KINDS:
                features.append(FeatureLine.of(e))
        views = (servers, vendors, features)
        self.__dict__["_views_cache"] = (key, views)
        return views

    @property
    def servers(self) -> List[ServerLine]:
        return list(self._views()[0])

    @property
    def vendors(self) -> List[VendorLine]:
        return list(self._views()[1])

    @property
    def features(self) -> List[FeatureLine]:
        return list(self._views()[2])

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
            return self.lines.text(number - 1)
        return ""
