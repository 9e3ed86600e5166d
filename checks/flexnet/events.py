"""Usage events of a FlexNet debug log: one parser for every documented form of the line.

A vendor daemon logs each checkout, checkin, denial and queue change as one line::

    hh:mm:ss (vendor) OUT: "feature" user@host
    hh:mm:ss (vendor) IN: "feature" user@host  (INACTIVE)
    hh:mm:ss (vendor) OUT: feature user@host [cdstring] (3 licenses)
    hh:mm:ss (vendor) IN: "feature" user (2 licenses) (SHUTDOWN)
    hh:mm:ss (vendor) DENIED: "feature" user@host  (Licensed number of users already reached. (-4,342))
    hh:mm:ss (vendor) DENIED: 2 feature to user
    hh:mm:ss (vendor) QUEUED: "feature" user@host  /  DEQUEUED: "feature" user@host
    hh:mm:ss (vendor) UNSUPPORTED: "feature" (PORT_AT_HOST_PLUS   ) user@host  (reason (-18,327:10054 ""))
    hh:mm:ss (vendor) OUT: feature by user (2 licenses) (used: 0:00:12:03)      (FLEXlm before v6)

With the vendor's verbose logging (``ls_enable_verbose_dlog``) a trailer follows::

    OUT: "feature" @host (1 license) ^^^ ver user ip pid handle in_use out_of project ver rev date time dup ^^^

and the user is the one named in the trailer. With ``lmgrd -datestamp`` the time carries a date
(``2023-08-08T08:41:54-04:00`` or ``8/8/2023 8:41:54``); :func:`split_line` reads every form.

``parse_usage`` never raises: a line it cannot read is not a usage event (None).
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .catalogue import LINE_PREFIX


class EventKind(str, enum.Enum):
    """The kinds of usage line, as the log spells them."""

    OUT = "OUT"
    IN = "IN"
    DENIED = "DENIED"
    QUEUED = "QUEUED"
    DEQUEUED = "DEQUEUED"
    UNSUPPORTED = "UNSUPPORTED"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class UsageEvent:
    """One usage line, read. Empty strings where the line names nothing."""

    kind: EventKind
    feature: str
    user: str = ""
    host: str = ""
    count: int = 1                 # licenses in this checkout/checkin/denial
    reason: str = ""               # DENIED/UNSUPPORTED reason, or INACTIVE/SHUTDOWN on IN
    cdstring: str = ""             # custom duplicate-grouping checkout data, [in brackets]
    version: str = ""              # verbose trailer: version the client asked for
    in_use: Optional[int] = None   # verbose trailer: licenses in use after this event
    issued: Optional[int] = None   # verbose trailer: licenses issued ("out of")


KINDS = tuple(k.value for k in EventKind)
_HEAD = re.compile(r"[ \t]*(OUT|IN|DENIED|QUEUED|DEQUEUED|UNSUPPORTED)(?: server died)?:[ \t]*")
_OLD_DENIED = re.compile(r"(\d{1,9})[ \t]+(\S+)[ \t]+to[ \t]+(\S+)")
_BY_USER = re.compile(r"(\S+)[ \t]+by[ \t]+(\S+)")
_COUNT = re.compile(r"(\d{1,9})[ \t]+licen[sc]es?", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d\d-\d\d")
_MAX_FIELD = 4096  # a feature/user/host longer than this is cut: never hold a megabyte per event


def _int(s: str) -> Optional[int]:
    # isdigit() alone accepts "²" and other non-ASCII digits that int() refuses.
    return int(s) if s.isascii() and s.isdigit() and len(s) <= 12 else None


def _group_end(s: str, i: int) -> int:
    """Index after the bracket group opening at s[i] ('(' nests); len(s) when it never closes."""
    if s[i] == "[":
        j = s.find("]", i + 1)
        return len(s) if j < 0 else j + 1
    depth = 0
    for j in range(i, len(s)):
        c = s[j]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(s)


def _verbose(rest: str) -> Tuple[str, List[str]]:
    """(text before the trailer, the trailer's fields) for ``... ^^^ fields ^^^``."""
    i = rest.find("^^^")
    if i < 0:
        return rest, []
    trailer = rest[i + 3:]
    j = trailer.rfind("^^^")
    if j >= 0:
        trailer = trailer[:j]
    return rest[:i].rstrip(), trailer.split()


def parse_usage(msg: str) -> Optional[UsageEvent]:
    """The usage event in a log message (the text after ``(daemon)``), or None. Never raises."""
    if not isinstance(msg, str):
        return None
    m = _HEAD.match(msg)
    if m is None:
        return None
    kind = EventKind(m.group(1))
    rest = msg[m.end():].rstrip()
    count = 1
    user = host = ""
    who: Optional[str] = None
    if rest.startswith('"'):
        q = rest.find('"', 1)
        if q < 0:  # a line cut short: the feature is what there is
            feature, rest = rest[1:], ""
        else:
            feature, rest = rest[1:q], rest[q + 1:]
    else:
        old = _OLD_DENIED.match(rest) if kind is EventKind.DENIED else None
        by = _BY_USER.match(rest) if old is None else None
        if old is not None:
            count, feature, who = int(old.group(1)), old.group(2), old.group(3)
            rest = rest[old.end():]
        elif by is not None:
            feature, who = by.group(1), by.group(2)
            rest = rest[by.end():]
        else:
            parts = rest.split(None, 1)
            if not parts:
                return None
            feature = parts[0]
            rest = parts[1] if len(parts) > 1 else ""
    rest, trailer = _verbose(rest)
    s = rest.strip()
    # UNSUPPORTED names how the client asked, in brackets, before the user.
    if s.startswith("(") and who is None and kind is EventKind.UNSUPPORTED:
        e = _group_end(s, 0)
        if e < len(s) and s[e:].strip() and not _COUNT.fullmatch(s[1:e - 1].strip()):
            s = s[e:].strip()
    if who is None:
        cut = len(s)
        for mark in (" [", " (", "\t[", "\t("):
            k = s.find(mark)
            if 0 <= k < cut:
                cut = k
        if s[:1] in "[(":
            cut = 0
        who, s = s[:cut].strip(), s[cut:]
    reason, cdstring = "", ""
    s = s.strip()
    while s:
        if s[0] not in "[(":
            break
        e = _group_end(s, 0)
        inner = s[1:e - 1] if e <= len(s) and s[e - 1:e] in ")]" else s[1:e]
        if s[0] == "[":
            cdstring = inner
        else:
            c = _COUNT.fullmatch(inner.strip())
            if c is not None:
                count = int(c.group(1))
            elif not inner.startswith("used:") and not _DATE_TOKEN.match(inner.strip()) and not reason:
                reason = inner.strip()
        s = s[e:].strip()
    if who:
        if "@" in who:
            user, host = who.rsplit("@", 1)
        else:
            user = who
    version = ""
    in_use = issued = None
    if trailer:
        version = trailer[0]
        if len(trailer) > 1:
            user = trailer[1]
        if len(trailer) > 6:
            in_use, issued = _int(trailer[5]), _int(trailer[6])
    return UsageEvent(kind, feature[:_MAX_FIELD], user[:_MAX_FIELD], host[:_MAX_FIELD], count, reason[:_MAX_FIELD],
                      cdstring[:_MAX_FIELD], version[:64], in_use, issued)


@dataclass(frozen=True)
class LinePrefix:
    """``[date] hh:mm:ss[tz] (daemon) `` at the start of a log line."""

    time: str                 # "hh:mm:ss" as written (hours may have one digit)
    daemon: str
    msg_start: int            # index where the message starts
    date: Optional[str] = None  # ISO yyyy-mm-dd when the line carries its date (-datestamp)
    tz: str = ""              # "-04:00", "Z" ... when written


def _iso_date(text: str) -> Optional[str]:
    from ..license.dates import parse_mdy

    if "-" in text:
        try:
            y, mo, d = (int(x) for x in text.split("-"))
            import datetime as _dt

            return _dt.date(y, mo, d).isoformat()
        except ValueError:
            return None
    d2 = parse_mdy(text)
    return d2.isoformat() if d2 else None


def split_line(line: str) -> Optional[LinePrefix]:
    """The time/date/daemon prefix of a log line, or None when it has none. Never raises."""
    if not isinstance(line, str):
        return None
    m = LINE_PREFIX.match(line)
    if m is None:
        return None
    date = _iso_date(m.group("date")) if m.group("date") else None
    return LinePrefix(m.group("time"), m.group("daemon"), m.end(), date, m.group("tz") or "")
