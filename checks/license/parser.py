"""A lossless, never-raising parser for FlexLM license files.

Physical lines are kept exactly (text + line ending) so ``render()`` gives the
input bytes back. Logical entries join backslash continuations; every token
remembers the physical line it started on so findings point at the right line.
"""
from __future__ import annotations

import bisect
import re
from typing import List, Optional, Tuple

from .model import LINE_KEYWORDS, Entry, LicenseFile, PhysLine, Problem, Token

_EOL = re.compile(r"(\r\n|\n|\r)")
# key=value (value quoted or bare), a quoted word, or a bare word. A quote that
# never closes runs to the end of the logical line: the lint reports it.
_TOKEN = re.compile(
    r'(?P<key>[A-Za-z_][A-Za-z0-9_\-]*)=(?:"(?P<qv>[^"]*)(?P<qe>"?)|(?P<v>[^\s"]*))'
    r'|"(?P<q>[^"]*)(?P<qe2>"?)'
    r'|(?P<w>[^\s"]+)'
)
_BINARY_SAMPLE = 64 * 1024


def _decode(data: bytes) -> Tuple[str, bytes, str, bool]:
    """Return (text, bom, encoding, is_binary)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "surrogateescape"), data[:3], "utf-8", False
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom) and len(data) % 2 == 0:
            try:
                text = data[2:].decode(enc, "surrogatepass")
                return text, bom, enc, False
            except UnicodeDecodeError:
                break
    sample = data[:_BINARY_SAMPLE]
    binary = b"\x00" in sample or (
        len(sample) > 0 and sum(1 for b in sample if b < 9 or 13 < b < 32) > len(sample) // 10
    )
    return data.decode("utf-8", "surrogateescape"), b"", "utf-8", binary


def split_lines(text: str) -> List[PhysLine]:
    parts = _EOL.split(text)
    lines: List[PhysLine] = []
    n = 1
    for i in range(0, len(parts), 2):
        body = parts[i]
        eol = parts[i + 1] if i + 1 < len(parts) else ""
        if not body and not eol:
            continue  # the empty tail after a final newline
        lines.append(PhysLine(n, body, eol))
        n += 1
    return lines


def _continues(text: str) -> Tuple[bool, bool]:
    """(continues, whitespace_after_backslash)."""
    if text.endswith("\\"):
        return True, False
    stripped = text.rstrip(" \t")
    if stripped is not text and stripped.endswith("\\") and stripped != text:
        return True, True
    return False, False


def tokenize(text: str, starts: List[int], numbers: List[int]) -> List[Token]:
    tokens: List[Token] = []
    for m in _TOKEN.finditer(text):
        off = m.start()
        line = numbers[bisect.bisect_right(starts, off) - 1]
        if m.group("key") is not None:
            if m.group("qv") is not None:
                tokens.append(Token(m.group(0), m.group("key"), m.group("qv"), True, m.group("qe") == "", line, off))
            else:
                tokens.append(Token(m.group(0), m.group("key"), m.group("v") or "", False, False, line, off))
        elif m.group("q") is not None:
            tokens.append(Token(m.group(0), None, m.group("q"), True, m.group("qe2") == "", line, off))
        else:
            tokens.append(Token(m.group(0), None, m.group("w"), False, False, line, off))
    return tokens


def _kind(first_word: str) -> str:
    up = first_word.upper()
    return up if up in LINE_KEYWORDS else "UNKNOWN"


def parse_license(data: "bytes | str", path: Optional[str] = None) -> LicenseFile:
    """Parse license text or bytes. Never raises; problems are listed in ``.problems``."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    text, bom, encoding, binary = _decode(data)
    lines = split_lines(text)
    lic = LicenseFile(lines=lines, entries=[], problems=[], bom=bom, encoding=encoding, is_binary=binary, path=path)
    if binary:
        lic.problems.append(Problem(
            "binary", 1, "this is not a text file (it contains NUL or control bytes)",
            evidence=repr(data[:40]),
        ))
        return lic
    i = 0
    n = len(lines)
    while i < n:
        ln = lines[i]
        stripped = ln.text.strip()
        if not stripped:
            lic.entries.append(Entry("BLANK", ln.number, ln.number, ""))
            i += 1
            continue
        if stripped.startswith("#"):
            lic.entries.append(Entry("COMMENT", ln.number, ln.number, ln.text))
            i += 1
            continue
        # Gather the continuation run.
        segs: List[str] = []
        starts: List[int] = []
        numbers: List[int] = []
        pos = 0
        j = i
        while True:
            cur = lines[j]
            cont, ws_after = _continues(cur.text)
            seg = cur.text.rstrip(" \t")[:-1] if cont else cur.text
            if ws_after:
                lic.problems.append(Problem(
                    "space-after-backslash", cur.number,
                    "whitespace after the continuation backslash", evidence=cur.text[-40:]))
            if segs:
                seg = seg.lstrip(" \t")
            starts.append(pos)
            numbers.append(cur.number)
            segs.append(seg)
            pos += len(seg) + 1
            if not cont:
                break
            if j + 1 >= n:
                lic.problems.append(Problem(
                    "backslash-at-eof", cur.number,
                    "the last line ends with a continuation backslash but nothing follows"))
                break
            nxt = lines[j + 1]
            if not nxt.text.strip():
                lic.problems.append(Problem(
                    "backslash-before-blank", cur.number,
                    "a continuation backslash is followed by a blank line, which ends the entry early",
                    evidence=cur.text.strip()[-60:]))
                break
            j += 1
        logical = " ".join(segs)
        tokens = tokenize(logical, starts, numbers)
        kind = _kind(tokens[0].value if tokens and tokens[0].key is None and not tokens[0].quoted else "")
        entry = Entry(kind, lines[i].number, lines[j].number, logical, tokens)
        lic.entries.append(entry)
        for t in tokens:
            if t.unterminated:
                lic.problems.append(Problem(
                    "unterminated-quote", t.line,
                    "a quoted value opens here and never closes", evidence=t.raw[:60]))
        i = j + 1
    return lic


def parse_license_file(path: str) -> LicenseFile:
    """Read and parse a file. Raises OSError for unreadable paths (callers report it)."""
    with open(path, "rb") as fh:
        return parse_license(fh.read(), path=path)
