"""A lossless, never-raising parser for FlexLM license files.

Physical lines are kept exactly (text + line ending) so ``render()`` gives the
input bytes back. Logical entries join backslash continuations; every token
remembers the physical line it started on so findings point at the right line.
"""
from __future__ import annotations

import contextlib
import gc
import re
from typing import Callable, List, Optional, Tuple, Union

from .model import LINE_KEYWORDS, Entry, LicenseFile, LineTable, PhysLine, Problem, Token, tokenize  # noqa: F401

_BINARY_SAMPLE = 64 * 1024
_KEYWORDS = {k: k for k in LINE_KEYWORDS}
MAX_PROBLEMS_PER_CODE = 200
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building many small acyclic objects.

    A 20,000-feature file makes ~400,000 objects; each generation-2 collection walks all
    of them, which made parsing 2-3x slower. Nothing built here forms cycles.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _looks_utf16(sample: bytes) -> Optional[str]:
    """UTF-16 without a BOM: ASCII text with every other byte NUL."""
    if len(sample) < 8 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.9 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.9 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> Tuple[Union[bytes, str], int, bytes, str, bool]:
    """Return (buffer, where the text starts in it, bom, encoding, is_binary).

    A UTF-8 file (the usual case) is not decoded here: its bytes are the buffer and each line is
    decoded when read (issue 10 item 2: the text is never held twice). UTF-16 is decoded whole.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data, 3, data[:3], "utf-8", False
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom) and len(data) % 2 == 0:
            text = data[2:].decode(enc, "surrogatepass")
            # Lone surrogates do not survive a round trip through every codec: be sure.
            if text.encode(enc, "surrogatepass") == data[2:]:
                return text, 0, bom, enc, False
            break
    sample = data[:_BINARY_SAMPLE]
    utf16 = _looks_utf16(sample) if b"\x00" in sample else None
    if utf16 is not None and len(data) % 2 == 0:
        decoded = data.decode(utf16, "surrogatepass")
        if decoded.encode(utf16, "surrogatepass") == data:
            return decoded, 0, b"", utf16, False
    binary = b"\x00" in sample or len(_CONTROL.findall(sample)) > len(sample) // 10
    return data, 0, b"", "utf-8", binary


def split_lines(text: str) -> LineTable:
    """The physical lines of ``text`` (LF, CRLF or lone CR)."""
    return LineTable.build(text)


def _kind(logical: str) -> str:
    """SERVER, INCREMENT ... when the first word is a license keyword, else UNKNOWN.

    The first word is then also the first token (a keyword has no '=' or quote), so
    this is what the first token says, without tokenizing.
    """
    words = logical[:40].split(None, 1)
    if words:
        up = words[0].upper()
        if up in _KEYWORDS:
            return _KEYWORDS[up]  # the one constant, not a new string per entry
    return "UNKNOWN"


def parse_license(data: Union[bytes, str], path: Optional[str] = None) -> LicenseFile:
    """Parse license text or bytes. Never raises; problems are listed in ``.problems``."""
    try:
        with gc_paused():
            return _parse(data, path)
    except Exception as exc:  # pragma: no cover - a parser bug must not take lmdoctor down
        raw = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogateescape")
        lic = LicenseFile(lines=LineTable.build(raw), entries=[], problems=[], path=path)
        lic.problems.append(Problem("internal", 1, f"lmdoctor could not parse this file: {exc!r}"))
        return lic


# Blank and comment entries have no tokens: one shared empty list (never appended to; the tokens
# setter replaces it) instead of one per line.
_NO_TOKENS: List[Token] = []


def _parse(data: Union[bytes, str], path: Optional[str]) -> LicenseFile:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    elif not isinstance(data, bytes):
        data = bytes(data)
    buf, base, bom, encoding, binary = _decode(data)
    lines = LineTable.build(buf, base)
    lic = LicenseFile(lines=lines, entries=[], problems=[], bom=bom, encoding=encoding, is_binary=binary, path=path)
    if binary:
        lic.problems.append(Problem(
            "binary", 1, "this is not a text file (it contains NUL or control bytes)",
            evidence=repr(data[:40]),
        ))
        return lic
    entries = lic.entries
    problems = _CappedProblems(lic)
    next_text = lines.iter_texts().__next__  # each line's text once, in order, a block at a time
    i = 0
    n = len(lines)
    ahead: Optional[str] = None  # the text of line i, when the loop below already read it
    while i < n:
        text, ahead, number = ahead if ahead is not None else next_text(), None, i + 1
        if not text or text.isspace() or text.lstrip()[0] == "#":
            # A run of blank lines, or of comment lines, is one entry (a comment run's text: its first
            # line; every line's own text stays in lic.lines): a cap's worth of empty or '#' lines was
            # over a GiB as an entry per line.
            kind = "COMMENT" if text.strip() else "BLANK"
            j, ahead = _run_end(kind, i, n, next_text)
            entries.append(Entry(kind, number, j, text if kind == "COMMENT" else "", _NO_TOKENS))
            i = j
            continue
        if not (text[-1] == "\\" or (text[-1] in " \t" and text.rstrip(" \t")[-1:] == "\\")):
            # A line of its own (most lines of most files): no joining, no offset table.
            e = Entry.lazy(_kind(text), number, number, text)
            entries.append(e)
            if e.kind != "UNKNOWN" and '"' in text:
                _report_unterminated(e, problems)
            i += 1
            continue
        # Gather the continuation run. Segments are joined with exactly one space: the
        # whitespace before the backslash and the indent after it collapse, so a quoted
        # value broken across lines ("name:John \" / "Doe") reads "name:John Doe".
        segs: List[str] = []
        starts: List[int] = []
        pos = 0
        j = i
        cur = text
        while True:
            if cur[-1:] == "\\":
                cont = True
                seg = cur[:-1].rstrip(" \t")
            elif cur[-1:] in (" ", "\t") and cur.rstrip(" \t")[-1:] == "\\":
                cont = True
                seg = cur.rstrip(" \t")[:-1].rstrip(" \t")
                problems.append(Problem(
                    "space-after-backslash", j + 1,
                    "whitespace after the continuation backslash", evidence=cur[-40:]))
            else:
                cont = False
                seg = cur
            if segs:
                seg = seg.lstrip(" \t")
            starts.append(pos)
            segs.append(seg)
            pos += len(seg) + 1
            if not cont:
                break
            if j + 1 >= n:
                problems.append(Problem(
                    "backslash-at-eof", j + 1,
                    "the last line ends with a continuation backslash but nothing follows"))
                break
            nxt = next_text()
            if not nxt or nxt.isspace():
                problems.append(Problem(
                    "backslash-before-blank", j + 1,
                    "a continuation backslash is followed by a blank line, which ends the entry early",
                    evidence=cur.strip()[-60:]))
                ahead = nxt  # the blank line is the next entry: read once
                break
            j += 1
            cur = nxt
        logical = " ".join(segs)
        e = Entry.lazy(_kind(logical), number, j + 1, logical, starts, range(number, j + 2))
        entries.append(e)
        if e.kind != "UNKNOWN" and '"' in logical:
            _report_unterminated(e, problems)
        i = j + 1
    return lic


def _same_run(kind: str, text: str) -> bool:
    if kind == "BLANK":
        return not text or text.isspace()
    return bool(text) and not text.isspace() and text.lstrip()[0] == "#"


def _run_end(kind: str, i: int, n: int, next_text: Callable[[], str]) -> Tuple[int, Optional[str]]:
    """Where a run of BLANK or COMMENT lines starting at line index i ends (the index after it), and the
    text of that next line when it was read."""
    j = i + 1
    while j < n:
        ahead = next_text()
        if not _same_run(kind, ahead):
            return j, ahead
        j += 1
    return j, None


def _report_unterminated(e: Entry, problems: "_CappedProblems") -> None:
    # Every '"' opens or closes a quoted token and an unclosed one runs to the end of the
    # text, so an odd count means exactly one: the last token. Only then tokenize.
    if e.text.count('"') % 2 == 0:
        return
    for t in e.tokens:
        if t.unterminated:
            problems.append(Problem(
                "unterminated-quote", t.line,
                "a quoted value opens here and never closes", evidence=t.raw[:60]))


class _CappedProblems:
    """Appends to lic.problems up to MAX_PROBLEMS_PER_CODE per code, counts the rest."""

    def __init__(self, lic: LicenseFile) -> None:
        self.lic = lic
        self.counts: "dict[str, int]" = {}

    def append(self, p: Problem) -> None:
        n = self.counts.get(p.code, 0) + 1
        self.counts[p.code] = n
        if n <= MAX_PROBLEMS_PER_CODE:
            self.lic.problems.append(p)
        else:
            more, _ = self.lic.problems_dropped.get(p.code, (0, 0))
            self.lic.problems_dropped[p.code] = (more + 1, p.line)


def parse_license_file(path: str) -> LicenseFile:
    """Read (through the input gate) and parse a file. Raises InputError when it cannot be read."""
    from ..inputgate import read_license

    return read_license(path)
