"""Byte edits of a license file that never touch what the vendor signed.

The lossless parser (checks/license) says where each token sits; an edit replaces exactly those
bytes in the original file and nothing else (no re-rendering), so every FEATURE / INCREMENT /
UPGRADE / PACKAGE line and every SIGN value stays byte for byte as it was. Only the fields FlexNet
lets an admin change are edited: the SERVER host name and port, the DAEMON/VENDOR port and path,
and a USE_SERVER line. :func:`signed_unchanged` proves it for every edit before anything is written.

Copy damage (:func:`restore_copy`) is the one exception: it may change line breaks, backslashes,
indentation, quote characters, mail-quote prefixes, the BOM and line endings, and
:func:`signed_unchanged` with ``copy_repair=True`` proves nothing else moved.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from ..exceptions import LmdoctorError
from ..license import Entry, LicenseFile, Token, parse_license
from ..license.model import FEATURE_KINDS

SIGNED_KINDS = FEATURE_KINDS + ("PACKAGE",)
# Curly and other typographic double quotes a mail client or word processor puts in.
TYPO_DOUBLE = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
_MAIL_PREFIX = re.compile(r"^[ \t]*>(?:[ \t]*>)*[ \t]?")
PORT_RANGE = (1, 65535)


class EditRefused(LmdoctorError):
    """The edit cannot be made safely (a token split across lines, a quoted host...); a person must."""


@dataclass(frozen=True)
class Edit:
    start: int  # byte offset in the original file
    end: int
    new: bytes

    def apply(self, data: bytes) -> bytes:
        return data[:self.start] + self.new + data[self.end:]


class LicenseBytes:
    """A license file's bytes with its parse and a map from (line, column) to byte offsets."""

    def __init__(self, data: bytes, path: Optional[str] = None) -> None:
        self.data = data
        self.lic: LicenseFile = parse_license(data, path=path)
        if self.lic.is_binary:
            raise EditRefused("this is not a text file; lmdoctor does not edit it")
        self._starts: List[int] = []
        pos = len(self.lic.bom)
        for ln in self.lic.lines:
            self._starts.append(pos)
            pos += len(self.encode(ln.text + ln.eol))
        self._end = pos
        if pos != len(data):  # the parser is lossless; anything else is a bug to stop on
            raise EditRefused("the file does not read back byte for byte; lmdoctor will not edit it")

    def encode(self, text: str) -> bytes:
        if self.lic.encoding == "utf-8":
            return text.encode("utf-8", "surrogateescape")
        return text.encode(self.lic.encoding, "surrogatepass")

    def line_start(self, number: int) -> int:
        return self._starts[number - 1]

    def line_end(self, number: int, with_eol: bool = False) -> int:
        ln = self.lic.lines[number - 1]
        return self.line_start(number) + len(self.encode(ln.text + (ln.eol if with_eol else "")))

    def offset(self, number: int, column: int) -> int:
        return self.line_start(number) + len(self.encode(self.lic.lines[number - 1].text[:column]))

    def eol(self) -> str:
        """The file's line ending, for lines lmdoctor adds."""
        for ln in self.lic.lines:
            if ln.eol:
                return ln.eol
        return "\n"

    def token_place(self, e: Entry, t: Token) -> Tuple[int, int]:
        """(physical line, column) where a token starts; EditRefused when it spans a continuation."""
        if len(e.numbers) <= 1:
            number, col = e.first_line, t.offset
        else:
            idx = max(0, bisect.bisect_right(e.starts, t.offset) - 1)
            number = e.numbers[idx]
            phys = self.lic.lines[number - 1].text
            lead = len(phys) - len(phys.lstrip(" \t")) if idx > 0 else 0
            col = lead + (t.offset - e.starts[idx])
        phys = self.lic.lines[number - 1].text
        if phys[col:col + len(t.raw)] != t.raw:
            raise EditRefused(f"line {number}: '{t.raw[:40]}' is split across lines; edit it by hand")
        return number, col

    def replace_token(self, e: Entry, t: Token, new_raw: str) -> Edit:
        number, col = self.token_place(e, t)
        start = self.offset(number, col)
        return Edit(start, start + len(self.encode(t.raw)), self.encode(new_raw))

    def insert_after_token(self, e: Entry, t: Token, text: str) -> Edit:
        number, col = self.token_place(e, t)
        at = self.offset(number, col + len(t.raw))
        return Edit(at, at, self.encode(text))

    def append_to_entry(self, e: Entry, text: str) -> Edit:
        """Text at the end of an entry's last physical line (before trailing blanks and the line end)."""
        phys = self.lic.lines[e.last_line - 1].text
        at = self.offset(e.last_line, len(phys.rstrip(" \t")))
        return Edit(at, at, self.encode(text))


def apply_edits(data: bytes, edits: Sequence[Edit]) -> bytes:
    """Apply non-overlapping edits (given in any order) to the original bytes."""
    out = data
    last_start = None
    for ed in sorted(edits, key=lambda x: (x.start, x.end), reverse=True):
        if last_start is not None and ed.end > last_start:
            raise EditRefused("two edits overlap; this is a bug in lmdoctor")
        out = ed.apply(out)
        last_start = ed.start
    return out


# ----------------------------------------------------------------------------- the edits

def _servers(lb: LicenseBytes) -> List[Entry]:
    return list(lb.lic.iter_kind("SERVER"))


def _vendor_entries(lb: LicenseBytes) -> List[Entry]:
    return list(lb.lic.iter_kind("VENDOR", "DAEMON"))


def _plain_word(text: str) -> bool:
    return bool(text) and not any(c.isspace() or c in '"\\#' for c in text)


def set_server_host(data: bytes, new_host: str, index: int = 0) -> bytes:
    """The host name of the ``index``-th SERVER line (the manual: editable, the signature stays valid)."""
    if not _plain_word(new_host):
        raise EditRefused(f"'{new_host}' is not a plain host name")
    lb = LicenseBytes(data)
    servers = _servers(lb)
    if index >= len(servers):
        raise EditRefused("the license has no such SERVER line")
    e = servers[index]
    toks = e.tokens
    if len(toks) < 2 or toks[1].key is not None or toks[1].quoted:
        raise EditRefused(f"line {e.first_line}: the SERVER line has no plain host name to replace")
    return apply_edits(data, [lb.replace_token(e, toks[1], new_host)])


def _check_port(port: int) -> None:
    if not PORT_RANGE[0] <= int(port) <= PORT_RANGE[1]:
        raise EditRefused(f"{port} is not a TCP port")


def set_server_port(data: bytes, port: int, index: int = 0) -> bytes:
    """The port of a SERVER line: replaces the port number, or adds one after the hostid."""
    _check_port(port)
    lb = LicenseBytes(data)
    servers = _servers(lb)
    if index >= len(servers):
        raise EditRefused("the license has no such SERVER line")
    e = servers[index]
    pos = e.tokens[1:]
    if len(pos) < 2:
        raise EditRefused(f"line {e.first_line}: the SERVER line has no host id; it cannot take a port")
    for t in pos[2:]:
        if t.key is None and t.value.isdigit():
            return apply_edits(data, [lb.replace_token(e, t, str(port))])
    kw = e.get_token("PORT")
    if kw is not None and kw.key is not None:
        return apply_edits(data, [lb.replace_token(e, kw, f"{kw.key}={port}")])
    return apply_edits(data, [lb.insert_after_token(e, pos[1], f" {port}")])


def set_vendor_port(data: bytes, port: int, vendor: Optional[str] = None) -> bytes:
    """``port=N`` on the DAEMON/VENDOR line of ``vendor`` (the first one when None): replaced or added."""
    _check_port(port)
    lb = LicenseBytes(data)
    e = _vendor_entry(lb, vendor)
    kw = e.get_token("PORT")
    if kw is not None and kw.key is not None:
        return apply_edits(data, [lb.replace_token(e, kw, f"{kw.key}={port}")])
    for t in e.positional[1:]:
        if t.value.isdigit():
            return apply_edits(data, [lb.replace_token(e, t, str(port))])
    return apply_edits(data, [lb.append_to_entry(e, f" port={port}")])


def _vendor_entry(lb: LicenseBytes, vendor: Optional[str]) -> Entry:
    for e in _vendor_entries(lb):
        pos = e.positional
        name = pos[0].value if pos else ""
        if vendor is None or name.lower() == vendor.lower():
            return e
    raise EditRefused(f"the license has no DAEMON/VENDOR line for {vendor or 'any vendor'}")


def set_daemon_path(data: bytes, vendor: str, path: str) -> bytes:
    """The daemon path of a DAEMON/VENDOR line: replaced, or added after the vendor name."""
    if not _plain_word(path):
        raise EditRefused(f"the daemon path '{path}' has spaces or quotes; the manual says it must not")
    lb = LicenseBytes(data)
    e = _vendor_entry(lb, vendor)
    pos = [t for t in e.positional if not t.value.isdigit()]
    if len(pos) > 1:
        if pos[1].quoted:
            raise EditRefused(f"line {e.first_line}: the daemon path is quoted; edit it by hand")
        return apply_edits(data, [lb.replace_token(e, pos[1], path)])
    return apply_edits(data, [lb.insert_after_token(e, e.positional[0], f" {path}")])


def add_use_server(data: bytes) -> bytes:
    """A USE_SERVER line right after the SERVER line(s) (client files: ask the server, not the file)."""
    lb = LicenseBytes(data)
    if lb.lic.has_use_server:
        raise EditRefused("the license has a USE_SERVER line already")
    entries = [e for e in lb.lic.entries if e.kind in ("SERVER", "VENDOR", "DAEMON")]
    servers = [e for e in entries if e.kind == "SERVER"]
    if not servers:
        raise EditRefused("USE_SERVER needs a SERVER line before it; this license has none")
    last = max(entries, key=lambda e: e.last_line)
    eol = lb.eol()
    ln = lb.lic.lines[last.last_line - 1]
    at = lb.line_end(last.last_line, with_eol=True)
    text = ("" if ln.eol else eol) + "USE_SERVER" + eol
    return apply_edits(data, [Edit(at, at, lb.encode(text))])


# ----------------------------------------------------------------------------- copy damage

def restore_copy(data: bytes) -> Tuple[bytes, List[str]]:
    """Undo what copying did to a key; returns (new bytes, what was repaired, one line each).

    Character-level damage first (BOM, mail prefixes, curly quotes, blanks after a backslash,
    bare CR), then structure on the cleaned text (lost backslashes, a blank line inside an
    entry, a backslash that glued two lines together), until nothing more is found.
    """
    done: List[str] = []
    out, what = _restore_chars(data)
    done += what
    for _ in range(10):
        out, what = _restore_structure(out)
        if not what:
            break
        done += what
    return out, done


def _restore_chars(data: bytes) -> Tuple[bytes, List[str]]:
    lb = LicenseBytes(data)
    lic = lb.lic
    edits: List[Edit] = []
    counts = {"bom": 0, "mail": 0, "quotes": 0, "space": 0, "cr": 0}
    if lic.bom and lic.encoding == "utf-8":
        edits.append(Edit(0, len(lic.bom), b""))
        counts["bom"] = 1
    quoted_block = any(_MAIL_PREFIX.match(ln.text) for ln in lic.lines)
    for ln in lic.lines:
        text = ln.text
        new = text
        if quoted_block:
            m = _MAIL_PREFIX.match(new)
            if m:
                new = new[m.end():]
                counts["mail"] += 1
        if any(c in new for c in TYPO_DOUBLE):
            counts["quotes"] += sum(new.count(c) for c in TYPO_DOUBLE)
            new = new.translate({ord(c): '"' for c in TYPO_DOUBLE})
        stripped = new.rstrip(" \t")
        if stripped.endswith("\\") and stripped != new:
            new = stripped
            counts["space"] += 1
        eol = ln.eol
        if eol == "\r":
            eol = "\n"
            counts["cr"] += 1
        if new != text or eol != ln.eol:
            start = lb.line_start(ln.number)
            edits.append(Edit(start, lb.line_end(ln.number, with_eol=True), lb.encode(new + eol)))
    what = []
    if counts["bom"]:
        what.append("removed the UTF-8 byte-order mark")
    if counts["mail"]:
        what.append(f"removed the mail-quote prefix '>' from {counts['mail']} line(s)")
    if counts["quotes"]:
        what.append(f"replaced {counts['quotes']} typographic quote(s) with \"")
    if counts["space"]:
        what.append(f"removed blanks after the continuation backslash on {counts['space']} line(s)")
    if counts["cr"]:
        what.append(f"turned {counts['cr']} bare CR line ending(s) into LF")
    return apply_edits(data, edits), what


def _restore_structure(data: bytes) -> Tuple[bytes, List[str]]:
    """One round of structural fixes found by the lint rules (their line numbers say where)."""
    from ..license.lint import lint_license

    lb = LicenseBytes(data)
    lic = lb.lic
    found = {(f.id, f.line) for f in lint_license(lic)}
    entries = lic.entries
    first_line_of = {e.first_line: i for i, e in enumerate(entries)}
    edits: List[Edit] = []
    what: List[str] = []
    touched = set()
    for fid, line in sorted(found, key=lambda x: (x[1] or 0, x[0])):
        if line is None or line in touched:
            continue
        if fid == "license.missing-backslash" and line in first_line_of:
            prev = _previous_keyword_entry(entries, first_line_of[line])
            if prev is None or any(t.raw == "\\" for t in prev.tokens):
                continue  # text after a backslash: what follows it is not ours to delete
            at = lb.offset(prev.last_line, len(lic.lines[prev.last_line - 1].text.rstrip(" \t")))
            edits.append(Edit(at, at, lb.encode(" \\")))
            what.append(f"added the lost continuation backslash at the end of line {prev.last_line}")
            touched.add(line)
        elif fid == "license.backslash-before-blank":
            n = line + 1
            while n <= len(lic.lines) and (not lic.lines[n - 1].text or lic.lines[n - 1].text.isspace()):
                n += 1
            if n > len(lic.lines) or n == line + 1:
                continue
            nxt = lic.lines[n - 1].text
            if nxt[:1] not in (" ", "\t") and "=" not in nxt.split(None, 1)[0]:
                continue  # the blank ends the entry on purpose? a new keyword follows: leave it
            edits.append(Edit(lb.line_start(line + 1), lb.line_start(n), b""))
            what.append(f"removed {n - line - 1} blank line(s) inside the entry after line {line}")
            touched.add(line)
        elif fid == "license.joined-lines" and line > 1:
            prev_text = lic.lines[line - 2].text
            if not prev_text.rstrip(" \t").endswith("\\"):
                continue
            # All of the trailing run: a directory path's own final backslash (C:\Sigasi\) joins too.
            keep = len(prev_text.rstrip(" \t\\"))
            edits.append(Edit(lb.offset(line - 1, keep), lb.line_end(line - 1), b""))
            what.append(f"removed the backslash at the end of line {line - 1} that joined two license lines")
            touched.add(line)
    if not edits:
        return data, []
    return apply_edits(data, edits), what


def _previous_keyword_entry(entries: List[Entry], idx: int) -> Optional[Entry]:
    for j in range(idx - 1, -1, -1):
        if entries[j].kind in ("BLANK", "COMMENT"):
            return None
        if entries[j].is_line_keyword():
            return entries[j]
        if entries[j].kind == "UNKNOWN":
            continue  # an earlier orphan of the same entry
    return None


# ----------------------------------------------------------------------------- the invariant

def _signed_entries(lic: LicenseFile) -> List[Entry]:
    return [e for e in lic.entries if e.kind in SIGNED_KINDS]


def _encoded_lines(lic: LicenseFile, e: Entry) -> bytes:
    body = "".join(lic.lines[n - 1].text + lic.lines[n - 1].eol for n in range(e.first_line, e.last_line + 1))
    if lic.encoding == "utf-8":
        return body.encode("utf-8", "surrogateescape")
    return body.encode(lic.encoding, "surrogatepass")


def copy_normal_form(data: bytes) -> str:
    """The text with everything copy-damage repair may change set aside.

    Mail prefixes, indentation, blanks and backslashes at each line's end (continuations), line
    breaks and endings, the BOM and the kind of double quote: what is left is every other
    character in order. Two files with the same normal form differ only in those.
    """
    lic = parse_license(data)
    words: List[str] = []
    for ln in lic.lines:
        text = _MAIL_PREFIX.sub("", ln.text, count=1) if _MAIL_PREFIX.match(ln.text) else ln.text
        text = text.rstrip(" \t\\")
        words += text.translate({ord(c): '"' for c in TYPO_DOUBLE}).split()
    return " ".join(words)


def signed_unchanged(before: bytes, after: bytes, copy_repair: bool = False) -> Optional[str]:
    """None when every signed line and SIGN value is as it was; else what differs (a bug: refuse the write).

    Exact mode: every FEATURE/INCREMENT/UPGRADE/PACKAGE entry is the same bytes (line endings
    included) in the same order, with the same SIGN value. Copy-repair mode: the whole file has the
    same :func:`copy_normal_form` (only line breaks, backslashes, indentation, quote characters,
    mail prefixes, BOM and line endings may differ).
    """
    if copy_repair:
        if copy_normal_form(before) != copy_normal_form(after):
            return "the repair would change more than line breaks, backslashes, indentation and quotes"
        return None
    a, b = parse_license(before), parse_license(after)
    ea, eb = _signed_entries(a), _signed_entries(b)
    if len(ea) != len(eb):
        return f"{len(ea)} signed entries before, {len(eb)} after"
    for x, y in zip(ea, eb):
        if x.kind != y.kind or _encoded_lines(a, x) != _encoded_lines(b, y):
            return f"the {x.kind} entry at line {x.first_line} would change"
        if x.get("SIGN") != y.get("SIGN"):
            return f"the SIGN value at line {x.first_line} would change"
    return None


def unified_diff(before: bytes, after: bytes, path: str) -> str:
    """A unified diff for the plan; line endings shown where they change (CR, CRLF)."""
    import difflib

    def lines(data: bytes) -> List[str]:
        text = parse_license(data)
        return [ln.text + {"\r\n": "", "\n": "", "\r": "  \u240d(CR)", "": "  (no newline at end)"}[ln.eol]
                for ln in text.lines]

    a, b = lines(before), lines(after)
    if a == b and before != after:
        # Only invisible bytes changed (a BOM, line endings).
        a = [repr(before[:3])[2:-1] + " ..."] if before[:3] == b"\xef\xbb\xbf" else a
    diff = difflib.unified_diff(a, b, fromfile=path, tofile=f"{path} (repaired)", lineterm="", n=1)
    return "\n".join(diff)
