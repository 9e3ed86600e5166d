"""The one catalogue of known FlexNet messages, loaded from ``catalogue.toml``.

``classify(line)`` is called for every line of multi-gigabyte debug logs and every
line a daemon prints, so it is cheap: each entry declares an ``anchor`` literal, all
anchors form one prefilter regex, and only the entries whose anchor occurs in the line
run their patterns. The two hot usage lines (OUT/IN) are recognised by a string test
before any regex runs.
"""
from __future__ import annotations

import enum
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Pattern, Tuple

from ..exceptions import LmdoctorError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.9 / 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

CATALOGUE_PATH = Path(__file__).with_name("catalogue.toml")
STATUSES = ("ok", "info", "warn", "fail")
KINDS = ("startup", "usage", "exit", "port", "host", "config", "filesystem", "time",
         "message", "platform", "security", "info")
_REQUIRED = ("id", "kind", "anchor", "patterns", "status", "title", "meaning", "fix", "seed_ref", "ignorable", "cause",
             "fatal")


class Cause(str, enum.Enum):
    """What a message says went wrong: the one vocabulary the daemon verdict, the log analyser
    and the decision tree's probes group messages by (``cause`` in catalogue.toml)."""

    NONE = "none"                         # nothing went wrong: start-up, usage, chatter
    ANOTHER_SERVER = "another-server"     # a second lmgrd/vendor daemon for the same vendor
    PORT_IN_USE = "port-in-use"
    CONFLICTING_PORTS = "conflicting-ports"
    WRONG_HOSTNAME = "wrong-hostname"     # the SERVER host is not this machine (or does not resolve)
    WRONG_HOSTID = "wrong-hostid"         # the SERVER/feature hostid is not this machine's
    NO_SERVER_LINES = "no-server-lines"   # no SERVER (or DAEMON/VENDOR) line
    NO_FEATURES = "no-features"           # nothing valid to serve
    VENDOR_DAEMON_MISSING = "vendor-daemon-missing"
    LOCK_DIR = "lock-dir"                 # /usr/tmp/.flexlm cannot be made
    LOCK_FILE = "lock-file"               # the vendor daemon's own lock file
    LSB_LOADER = "lsb-loader"
    UNSUPPORTED_WINDOWS = "unsupported-windows"
    DAEMON_EXIT = "daemon-exit"           # a vendor daemon exited: its exit status says why
    LMGRD_EXIT = "lmgrd-exit"             # lmgrd itself exited: a Unix signal says how
    SHUTDOWN = "shutdown"                 # an orderly stop (lmdown, SHUTDOWN request, SIGTERM)
    LMGRD_LINK = "lmgrd-link"             # the vendor daemon cannot talk to lmgrd
    REDUNDANCY = "redundancy"             # triad servers lost each other
    FEATURE_EXPIRED = "feature-expired"
    FEATURE_REMOVED = "feature-removed"
    FEATURES_DISABLED = "features-disabled"
    BAD_KEY = "bad-key"                   # signature does not match (-8)
    NO_SUCH_FEATURE = "no-such-feature"
    UNSUPPORTED_FEATURE = "unsupported-feature"
    SIGASI_PROBE = "sigasi-probe"         # Sigasi Studio's harmless optional-feature probes
    DENIED = "denied"
    RUNS_AS_ROOT = "runs-as-root"
    DAEMON_TOO_OLD = "daemon-too-old"
    OPTIONS_FILE = "options-file"
    NO_LICENSE = "no-license"
    LMTOOLS_DACL = "lmtools-dacl"
    FLEXNET_ERROR = "flexnet-error"       # a FlexNet error code: explain decodes it
    UNKNOWN_ERROR = "unknown-error"       # an ERROR:/WARNING: line the catalogue does not know
_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:\.[a-z0-9][a-z0-9-]*)+$")


def _word_table() -> bytes:
    t = bytearray(range(256))
    for i in range(128):
        c = chr(i)
        t[i] = ord(c.lower()) if c.isalnum() else 32
    return bytes(t)


# ASCII letters/digits lower-cased, every other ASCII byte a space: "Started (pid" -> "started  pid".
_WORD_TABLE = _word_table()
# Words on most log lines make poor prefilter keys; an anchor is indexed by a rarer word.
_COMMON_WORDS = frozenset(w.encode() for w in (
    "in out the on for to no a of s license lmgrd server using feature file error vendor daemon "
    "daemons licensing flexnet").split())


class CatalogueError(LmdoctorError, ValueError):
    """The catalogue data file is invalid; the message names the entry and the problem."""


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    kind: str
    anchor: str
    patterns: Tuple[str, ...]
    status: str
    title: str
    meaning: str
    fix: str
    seed_ref: str
    ignorable: bool
    cause: Cause = Cause.NONE
    fatal: bool = False       # the daemon that writes it stops or refuses to serve afterwards
    compiled: Tuple[Pattern[str], ...] = field(repr=False, compare=False, default=())

    @property
    def noise(self) -> bool:
        """Expected chatter that carries no state and no date: counted, never interpreted."""
        return self.ignorable and self.kind == "info"


class CatalogueMatch(NamedTuple):
    """One line recognised by one catalogue entry (a tuple: built for millions of lines)."""

    entry: CatalogueEntry
    groups: Dict[str, str]
    line: str
    start: int = 0
    end: int = 0
    time: Optional[str] = None    # "hh:mm:ss" from the log-line prefix, when present
    daemon: Optional[str] = None  # "lmgrd", "sigasi" ... from the prefix, when present

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def text(self) -> str:
        return self.line[self.start:self.end]


# "hh:mm:ss (daemon) message"; hours may be space-padded; -datestamp logs carry a date first.
LINE_PREFIX = re.compile(
    r"^\s*(?:(?P<date>\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{2,4})[T ])?"
    r"(?P<time>\d{1,2}:\d\d:\d\d)(?:\.\d+)?(?P<tz>Z|[+-]\d\d:?\d\d)?\s+\((?P<daemon>[^()\s]{1,64})\)\s?"
)
_TZ_TAIL = re.compile(r"(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?$")


def _split_prefix(line: str, msg_start: int) -> Tuple[Optional[str], Optional[str]]:
    """(time, daemon) of "hh:mm:ss (daemon) message" given where the message starts."""
    head = line[:msg_start - 1].strip()
    j = head.find(" (")
    if j <= 0 or not head.endswith(")"):
        return None, None
    t = head[:j]
    if ":" not in t:
        return None, head[j + 2:-1]
    t = t.rsplit(" ", 1)[-1].rsplit("T", 1)[-1]
    if len(t) > 8:  # -datestamp: "08:41:54-04:00", "08:41:54.123Z"
        t = _TZ_TAIL.sub("", t)
    return t, head[j + 2:-1]


class Catalogue:
    def __init__(self, entries: List[CatalogueEntry]):
        self.entries = entries
        self.by_id: Dict[str, CatalogueEntry] = {e.id: e for e in entries}
        self._order: Dict[str, int] = {e.id: i for i, e in enumerate(entries)}
        # The finding id of a cause is its first entry's id, so judge, repair and the tree refer to
        # one id for "the lock directory", whichever of its log lines was seen.
        self.primary_id: Dict[Cause, str] = {}
        for e in entries:
            self.primary_id.setdefault(e.cause, e.id)
        by_anchor: Dict[str, List[CatalogueEntry]] = {}
        # Entries without an anchor are tried last, in file order, when no anchored one matched.
        self._fallback = [e for e in entries if not e.anchor]
        for e in entries:
            if e.anchor:
                by_anchor.setdefault(e.anchor.lower(), []).append(e)
        self._by_anchor = by_anchor
        # Prefilter: each anchor is indexed by its longest word. A line is split into words
        # once (bytes.translate + split run in C); only anchors whose word occurs are checked.
        by_word: Dict[bytes, List[str]] = {}
        for a in by_anchor:
            words = a.encode("utf-8").translate(_WORD_TABLE).split() or [a.encode("utf-8")]
            rare = [w for w in words if w not in _COMMON_WORDS] or words
            by_word.setdefault(max(rare, key=len), []).append(a)
        self._by_word = by_word
        self._words = frozenset(by_word)
        self._out = by_anchor.get("out:", [])
        self._in = by_anchor.get("in:", [])
        # First-token prefilter for log-shaped lines: "hh:mm:ss (daemon) DENIED: ..." -> the
        # entries whose anchor starts with that token ("denied:").
        by_token: Dict[str, List[CatalogueEntry]] = {}
        for a, es in by_anchor.items():
            tok = a.split(" ", 1)[0]
            if tok:
                by_token.setdefault(tok, []).extend(es)
        for es in by_token.values():
            es.sort(key=lambda e: self._order[e.id])
        self._by_token = by_token

    def candidates(self, line: str) -> List[CatalogueEntry]:
        """Entries whose anchor occurs in ``line``, in catalogue order."""
        hits = self._words.intersection(
            line.encode("utf-8", "surrogatepass").translate(_WORD_TABLE).split())
        if not hits:
            return []
        low = line.lower()
        cands: List[CatalogueEntry] = []
        for w in hits:
            for a in self._by_word[w]:
                if a in low:
                    cands.extend(self._by_anchor[a])
        if len(hits) > 1 or len(cands) > 1:
            cands.sort(key=lambda e: self._order[e.id])
        return cands

    def _match_entries(self, cands: List[CatalogueEntry], line: str, first_only: bool,
                       msg_start: int = -1) -> List[CatalogueMatch]:
        out: List[CatalogueMatch] = []
        pm: Optional[re.Match[str]] = None
        pm_done = False  # the line's "time (daemon)" prefix is matched once, when first needed
        done = set()  # entries sharing an anchor are specific-first alternatives: one match each
        for e in cands:
            if e.anchor in done:
                continue
            for rx in e.compiled:
                m = rx.search(line)
                if m:
                    if msg_start > 0:
                        t, d = _split_prefix(line, msg_start)
                    else:
                        if not pm_done:
                            pm, pm_done = LINE_PREFIX.match(line), True
                        t, d = (pm.group("time"), pm.group("daemon")) if pm else (None, None)
                    out.append(CatalogueMatch(e, _groups(m), line, m.start(), m.end(), t, d))
                    if first_only:
                        return out
                    done.add(e.anchor)
                    break
        return out

    def _hot(self, entries: List[CatalogueEntry], line: str, i: int) -> Optional[CatalogueMatch]:
        # OUT/IN lines: the entry's regex runs from the keyword on.
        for e in entries:
            for rx in e.compiled:
                m = rx.match(line, i)
                if m:
                    t, d = _split_prefix(line, i)
                    return CatalogueMatch(e, _groups(m), line, m.start(), m.end(), t, d)
        return None

    def classify(self, line: str) -> Optional[CatalogueMatch]:
        if not isinstance(line, str) or not line:
            return None
        # Hot path: OUT/IN lines are most of a busy log; skip the prefilter for them.
        i = line.find(") ", 0, 90)
        if i > 0:
            i += 2
            if line.startswith("OUT: ", i):
                r = self._hot(self._out, line, i)
                if r is not None:
                    return r
            elif line.startswith("IN: ", i):
                r = self._hot(self._in, line, i)
                if r is not None:
                    return r
            j = line.find(" ", i)
            toks = self._by_token.get((line[i:j] if j > 0 else line[i:]).lower())
            if toks:
                found = self._match_entries(toks, line, True, i)
                if found:
                    return found[0]
        cands = self.candidates(line)
        found = self._match_entries(cands, line, True) if cands else []
        if found:
            return found[0]
        found = self._match_entries(self._fallback, line, True)
        return found[0] if found else None

    def search_text(self, text: str) -> List[CatalogueMatch]:
        """Every entry matching anywhere in pasted text (one match per entry per line)."""
        if not isinstance(text, str):
            return []
        out: List[CatalogueMatch] = []
        for line in text.splitlines():
            cands = self.candidates(line)
            if cands:
                out.extend(self._match_entries(cands, line, False))
        return out


def _groups(m: "re.Match[str]") -> Dict[str, str]:
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    if "bare" in g:  # an unquoted feature name (OUT: feature user@host)
        g.setdefault("feature", g.pop("bare"))
    return g


def _fail(where: str, msg: str) -> CatalogueError:
    return CatalogueError(f"{CATALOGUE_PATH.name}: {where}: {msg}")


def parse_catalogue(data: dict) -> Catalogue:
    """Validate parsed TOML and build the catalogue; raises CatalogueError naming the problem."""
    raw = data.get("entry")
    if not isinstance(raw, list) or not raw:
        raise _fail("file", "no [[entry]] tables")
    entries: List[CatalogueEntry] = []
    seen: Dict[str, int] = {}
    for n, d in enumerate(raw, 1):
        where = f"entry {n}" + (f" ({d.get('id')})" if isinstance(d, dict) and d.get("id") else "")
        if not isinstance(d, dict):
            raise _fail(where, "not a table")
        missing = [k for k in _REQUIRED if k not in d]
        if missing:
            raise _fail(where, "missing field(s): " + ", ".join(missing))
        unknown = sorted(set(d) - set(_REQUIRED))
        if unknown:
            raise _fail(where, "unknown field(s): " + ", ".join(unknown))
        for k in _REQUIRED:
            if k in ("patterns", "ignorable", "fatal"):
                continue
            if not isinstance(d[k], str) or (k not in ("seed_ref", "anchor") and not d[k].strip()):
                raise _fail(where, f"field {k!r} must be a non-empty string")
        if not _ID_RE.match(d["id"]):
            raise _fail(where, f"id {d['id']!r} is not a dotted lower-case id")
        if d["id"] in seen:
            raise _fail(where, f"duplicate id {d['id']!r} (first at entry {seen[d['id']]})")
        seen[d["id"]] = n
        if d["status"] not in STATUSES:
            raise _fail(where, f"status {d['status']!r} not one of {', '.join(STATUSES)}")
        if d["kind"] not in KINDS:
            raise _fail(where, f"kind {d['kind']!r} not one of {', '.join(KINDS)}")
        if not isinstance(d["ignorable"], bool):
            raise _fail(where, "ignorable must be true or false")
        if not isinstance(d["fatal"], bool):
            raise _fail(where, "fatal must be true or false")
        try:
            cause = Cause(d["cause"])
        except ValueError:
            raise _fail(where, f"cause {d['cause']!r} not one of {', '.join(c.value for c in Cause)}") from None
        if d["ignorable"] and cause is not Cause.NONE and cause is not Cause.SIGASI_PROBE:
            raise _fail(where, f"an ignorable line cannot have cause {cause.value!r}")
        if d["anchor"] != d["anchor"].strip() and not d["anchor"].strip():
            raise _fail(where, "anchor must be text or \"\" (no literal)")
        pats = d["patterns"]
        if not isinstance(pats, list) or not pats or not all(isinstance(p, str) and p for p in pats):
            raise _fail(where, "patterns must be a non-empty list of strings")
        compiled = []
        for p in pats:
            try:
                rx = re.compile(p, re.IGNORECASE)
            except re.error as exc:
                raise _fail(where, f"bad regex {p!r}: {exc}") from exc
            if rx.search(""):
                raise _fail(where, f"regex {p!r} matches the empty string")
            compiled.append(rx)
        entries.append(CatalogueEntry(
            id=d["id"], kind=d["kind"], anchor=d["anchor"], patterns=tuple(pats), status=d["status"],
            title=d["title"].strip(), meaning=d["meaning"].strip(), fix=d["fix"].strip(),
            seed_ref=d["seed_ref"].strip(), ignorable=d["ignorable"], cause=cause, fatal=d["fatal"],
            compiled=tuple(compiled)))
    return Catalogue(entries)


def load_catalogue_file(path: Path) -> Catalogue:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_catalogue(data)


_lock = threading.Lock()
_cached: Optional[Catalogue] = None


def load_catalogue() -> Catalogue:
    """The packaged catalogue, loaded and validated once per process."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = load_catalogue_file(CATALOGUE_PATH)
    return _cached


def classify(line: str) -> Optional[CatalogueMatch]:
    """The first catalogue entry matching one line (log line, daemon output), or None. Never raises."""
    return load_catalogue().classify(line)


def search_text(text: str) -> List[CatalogueMatch]:
    """All catalogue matches in pasted text (dialog text, several log lines). Never raises."""
    return load_catalogue().search_text(text)


# \x in a Python pattern -> (inside a bracket expression, outside one) in GNU grep -E; None: cannot be.
_ERE_ESCAPES: Dict[str, Tuple[Optional[str], str]] = {
    "d": ("0-9", "[0-9]"),
    "s": ("[:space:]", "[[:space:]]"),
    "S": (None, "[^[:space:]]"),  # a negated class cannot be put inside another bracket
    "w": ("[:alnum:]_", "[[:alnum:]_]"),
    "t": ("\t", "\t"),
    "b": ("", ""),  # word boundary: dropped (grep then matches a few more lines, never fewer)
}


def ere_pattern(pattern: str) -> Optional[str]:
    """A grep -E (GNU) version of one catalogue pattern, for the benchmark; None if it cannot be.

    Named and non-capturing groups become plain groups, \\d \\s \\S POSIX classes, non-greedy
    greedy, a negative look-behind of one character ``(^|[^c])``; a negative look-ahead is
    dropped (grep then matches a few more lines, never fewer). Case: use grep -i.
    """
    out: List[str] = []
    i, n, in_br = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            i += 2
            if e in _ERE_ESCAPES:
                inside, outside = _ERE_ESCAPES[e]
                if in_br and inside is None:
                    return None
                text = (inside or "") if in_br else outside
                if text:  # an empty piece would hide the previous one from the non-greedy check below
                    out.append(text)
            elif e.isalnum():
                return None
            else:
                out.append(e if in_br else "\\" + e)
            continue
        if in_br:
            out.append(c)
            if c == "]" and not (out[-2:-1] == ["["] or out[-2:-1] == ["^"] and out[-3:-2] == ["["]):
                in_br = False
            i += 1
            continue
        if c == "[":
            in_br = True
            out.append(c)
            i += 1
            continue
        if pattern.startswith("(?P<", i):
            out.append("(")
            i = pattern.index(">", i) + 1
            continue
        if pattern.startswith("(?:", i):
            out.append("(")
            i += 3
            continue
        if pattern.startswith("(?<!", i) or pattern.startswith("(?!", i):
            look, i = _ere_negative_look(pattern, i)
            if look is None:
                return None
            if look:
                out.append(look)
            continue
        if c == "(" and pattern.startswith("(?", i):
            return None
        if c == "?" and out and out[-1] in ("*", "+", "?", "}"):
            i += 1  # non-greedy: grep has only greedy, which matches the same lines
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _ere_negative_look(pattern: str, i: int) -> Tuple[Optional[str], int]:
    """A negative look-behind/-ahead at ``i``: (its grep -E text, or None if it has none; the index after it).

    A look-behind of one character or class becomes ``(^|[^c])``; a look-ahead is dropped.
    """
    n = len(pattern)
    depth, j = 0, i
    while j < n:
        if pattern[j] == "\\":
            j += 2
            continue
        if pattern[j] == "(":
            depth += 1
        elif pattern[j] == ")":
            depth -= 1
            if depth == 0:
                break
        j += 1
    behind = pattern.startswith("(?<!", i)
    body = pattern[i + (4 if behind else 3):j]
    if not behind:
        return "", j + 1
    if body.startswith("[") and body.endswith("]") and not body.startswith("[^"):
        return "(^|[^" + body[1:-1] + "])", j + 1
    if len(body) == 2 and body[0] == "\\" and not body[1].isalnum():
        return "(^|[^" + body[1] + "])", j + 1
    return None, j + 1
