"""Lint rules for license files: every mistake the Sigasi manual and FlexNet describe.

``lint_license`` turns a parsed ``LicenseFile`` into findings, each with the
physical line it concerns and a concrete fix. Rules are plain functions taking a
``_Ctx``; they yield findings. Repetitive findings are capped per id so a
50 MB file of garbage produces a readable report, not a million lines.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Set

from ..findings import Finding, Status
from ..hostinfo import HostIdentity, normalize_mac
from .dates import parse_date
from .model import LINE_KEYWORDS, Entry, FeatureLine, LicenseFile, ServerLine, VendorLine
from .parser import gc_paused
from .placeholders import (
    BRACKETED,
    is_placeholder_host,
    is_placeholder_hostid,
    is_placeholder_path,
    is_this_host,
    usable_host,
)
from .vendors import VendorWords, words_for, words_for_file

SEED_TROUBLE = "Troubleshooting"
SEED_FLOAT = "Troubleshooting > Floating licenses"
SEED_CUSTOM = "License server setup > Customize License Server settings"
SEED_TYPICAL = "Troubleshooting > Typical error messages"
SEED_WINDOWS = "License server setup > Starting the FlexNet and Sigasi daemon on Windows"

MAX_PER_ID = 25
# Source: flexlm-facts.md section 1 "Limits" (from the FlexNet/FLEXlm license-file documentation):
# "a line is at most 2048 characters after joining; feature names at most 30 characters (older
# versions)". The License Administration Guide documents the backslash continuation for long
# lines and no refusal of a properly continued line, so only a single physical line past the
# limit (usually lines joined by a copy) is a risk worth a warning.
MAX_LOGICAL_LINE = 2048
LINE_LIMIT_SOURCE = "flexlm-facts.md section 1 (Limits)"
MAX_FEATURE_NAME = 30
DEFAULT_SERVER_PORT = 27000
FIRST_VENDOR_PORT = 27001

TYPO_QUOTES = "\u201c\u201d\u201e\u201f\u2018\u2019\u00ab\u00bb\u2033"
_TYPO_RE = re.compile("[" + TYPO_QUOTES + "]")
_NON_ASCII = re.compile("[^\x00-\x7e" + TYPO_QUOTES + "]")
_HEX = re.compile(r"[0-9A-Fa-f]+\Z")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}\Z")
_SIGN_OK = re.compile(r"[0-9A-Fa-f]{4}(?:[ \t]+[0-9A-Fa-f]{4})*\Z")
# A Sigasi license token: 24 letters/digits, maybe shown in dash- or space-separated groups.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9]+(?:[\s\-]+[A-Za-z0-9]+)*\Z")
_MAC_IN_VS = re.compile(r"(?:^|;)\s*mac\s*:\s*([0-9A-Fa-f:\-]{12,17})", re.IGNORECASE)
_WIN_PATH = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass
class LintOptions:
    on_server: Optional[bool] = None  # None: guess from whether a SERVER hostid is one of our MACs
    warn_days: int = 30
    product_version: Optional[int] = None  # Sigasi major version the key must serve
    today: Optional[_dt.date] = None
    identity: Optional[HostIdentity] = None  # None: do not compare with this machine
    label: Optional[str] = None  # file name shown in findings
    # Whether a TCP port is free on the license server, for the ports lint proposes. None: only
    # the ports the file itself uses are avoided (lint on a client, or text only).
    port_free: Optional[Callable[[int], bool]] = None


@dataclass
class _Ctx:
    lic: LicenseFile
    opt: LintOptions
    today: _dt.date
    on_server: Optional[bool]
    role_guessed: bool
    file: Optional[str]
    counted: List[FeatureLine] = field(default_factory=list)
    # Entries (by index) that are the rest of the entry above, cut off by a lost backslash.
    orphans: Set[int] = field(default_factory=set)
    # First lines of entries that have such an orphan after them.
    cut_entries: Set[int] = field(default_factory=set)
    # The file's SERVER / VENDOR / FEATURE views, taken once per lint.
    servers: List[ServerLine] = field(default_factory=list)
    vendors: List[VendorLine] = field(default_factory=list)
    features: List[FeatureLine] = field(default_factory=list)
    # Findings per id so far, and those past MAX_PER_ID: id -> (first line, count, last line).
    per_id: Dict[str, int] = field(default_factory=dict)
    extra: Dict[str, "tuple[Optional[int], int, Optional[int]]"] = field(default_factory=dict)
    words: VendorWords = field(default_factory=lambda: words_for(None))
    # Ports the file uses or lint has proposed already: every proposal is distinct.
    taken_ports: Set[int] = field(default_factory=set)

    def propose_port(self, start: int) -> int:
        """The first port from ``start`` up that no line uses, lint has not proposed, and is free here."""
        port = start
        while port < 65535:
            # Only the license server's own ports matter: on a client nothing is tested.
            local = self.opt.port_free if self.on_server else None
            if port not in self.taken_ports and (local is None or _safe_free(local, port)):
                break
            port += 1
        self.taken_ports.add(port)
        return port

    def full(self, id: str, line: Optional[int]) -> bool:
        """True (and counted) when ``id`` already has MAX_PER_ID findings: the rule need not build one.

        Rules that can fire once per line call this first, so a 50 MB file of junk costs a
        counter increment per line instead of a Finding.
        """
        if self.per_id.get(id, 0) < MAX_PER_ID:
            return False
        self.count_extra(id, line)
        return True

    def count_extra(self, id: str, line: Optional[int]) -> None:
        first, count, _ = self.extra.get(id, (line, 0, line))
        self.extra[id] = (first, count + 1, line)


def _safe_free(check: Callable[[int], bool], port: int) -> bool:
    try:
        return bool(check(port))
    except Exception:  # a probe that cannot tell must not stop the lint
        return True


def _f(ctx: _Ctx, id: str, status: Status, title: str, line: Optional[int] = None, **kw) -> Finding:
    return Finding(id=id, status=status, title=title, file=ctx.file, line=line, **kw)


def _find_orphans(ctx: _Ctx) -> None:
    entries = ctx.lic.entries
    lic = ctx.lic
    for idx in range(1, len(entries)):
        e = entries[idx]
        if e.kind != "UNKNOWN":
            continue
        prev = entries[idx - 1]
        if not prev.is_line_keyword():
            continue
        physical = lic.line_text(e.first_line)
        if physical.lstrip().startswith(">"):
            continue
        if physical[:1] in (" ", "\t") or (e.tokens and e.tokens[0].key is not None):
            ctx.orphans.add(idx)
            ctx.cut_entries.add(prev.first_line)
    # An entry cut short by a blank line after its backslash: its tail is reported as an unknown line.
    cut_at = {p.line for p in lic.problems if p.code == "backslash-before-blank"}
    if cut_at:
        for e in entries:
            if e.last_line in cut_at:
                ctx.cut_entries.add(e.first_line)


# ---------------------------------------------------------------- structure / copy damage

def rule_binary_or_empty(ctx: _Ctx) -> Iterator[Finding]:
    lic = ctx.lic
    if lic.is_binary:
        yield _f(ctx, "license.binary", Status.FAIL, "This is not a license file: it is binary data", 1,
                 detail="The file contains NUL or control bytes; a FlexLM license file is plain text.",
                 fix="Open the e-mail or download again and save the license as plain text (.lic). "
                     "If it came as a .zip, unpack it first.",
                 evidence=lic.problems[0].evidence if lic.problems else "", seed_ref=SEED_TROUBLE)
        return
    first = 1 if lic.lines else None  # a file of only a BOM has no line 1
    if lic.encoding != "utf-8":
        yield _f(ctx, "license.utf16", Status.FAIL,
                 f"The file is saved as {lic.encoding.upper()}, which lmgrd cannot read", first,
                 detail="Windows editors sometimes save 'Unicode' text; FlexNet expects plain ASCII. lmdoctor "
                        "decoded it to check the rest.",
                 fix="Save the file again as ANSI/UTF-8 (Notepad: File > Save As > Encoding: ANSI).",
                 seed_ref=SEED_TROUBLE)
    elif lic.bom:
        yield _f(ctx, "license.bom", Status.WARN, "The file starts with a UTF-8 byte-order mark", first,
                 detail="Editors such as Notepad add three invisible bytes (EF BB BF) before the first keyword. "
                        "FlexNet expects plain ASCII and may not recognise the first line.",
                 fix="Save the file again without BOM (Notepad: Encoding 'UTF-8' instead of 'UTF-8 with BOM', "
                     "or ANSI).", evidence="bytes EF BB BF at the start of line 1", seed_ref=SEED_TROUBLE)
    if not any(e.kind not in ("BLANK", "COMMENT") for e in lic.entries):
        yield _f(ctx, "license.empty", Status.FAIL, "The license file has no license lines", first,
                 detail="No SERVER, DAEMON/VENDOR, FEATURE or INCREMENT line was found.",
                 fix="Paste the whole license key you received (it starts with SERVER, DAEMON or INCREMENT).",
                 seed_ref=SEED_TROUBLE)


def _token_text(text: str) -> Optional[str]:
    """The 24 characters of a license token in ``text``, or None."""
    t = text.strip().strip("\"'<>").strip()
    if not t or len(t) > 64 or not _TOKEN_CHARS.match(t):
        return None
    compact = re.sub(r"[\s\-]+", "", t)
    if len(compact) != 24 and len(t) != 24:
        return None
    # A token mixes digits and letters; a 24-letter word or number is something else.
    if not (any(c.isdigit() for c in compact) and any(c.isalpha() for c in compact)):
        return None
    return t


def rule_token_pasted(ctx: _Ctx) -> Iterator[Finding]:
    """A Sigasi license *token* (24 characters) pasted where a license key (file) belongs."""
    entries = ctx.lic.entries
    if any(e.is_line_keyword() for e in entries):
        return
    # A pasted token sits at the top, maybe under a comment: look at the first few lines only.
    for e in [e for e in entries[:50] if e.kind == "UNKNOWN"][:5]:
        tok = _token_text(e.text)
        if tok is not None:
            yield _f(ctx, "license.token-not-key", Status.FAIL,
                     "This is a License Token, not a license key", e.first_line,
                     detail="A License Token is a 24-character string; a license key is a file of SERVER/DAEMON/"
                            "INCREMENT lines.",
                     fix="Activate the token at https://www.sigasi.com/activate-your-license-key to get the "
                         "license key, and use that file instead.",
                     evidence=tok[:40], seed_ref=SEED_TROUBLE)
            return


_PROBLEM_TEXT = {
    "unterminated-quote": ("license.unterminated-quote", Status.FAIL,
                           "A quoted value is never closed",
                           "Usually a continuation line lost its trailing backslash or a line was cut when "
                           "copying. Compare with the original key and restore the missing part."),
    "backslash-before-blank": ("license.backslash-before-blank", Status.FAIL,
                               "A continuation backslash is followed by a blank line",
                               "Remove the blank line so the entry continues on the next line."),
    "backslash-at-eof": ("license.backslash-at-eof", Status.WARN,
                         "The last line ends with a backslash",
                         "The file seems truncated: copy the rest of the key, or remove the trailing backslash."),
    "space-after-backslash": ("license.space-after-backslash", Status.WARN,
                              "Whitespace after a continuation backslash",
                              "Delete the spaces after the backslash: the backslash must be the last character "
                              "of the line, or FlexNet may not join the lines."),
    "internal": ("license.parse-error", Status.FAIL, "lmdoctor could not parse this file",
                 "Please report this file (redacted) to the lmdoctor maintainers."),
}


def rule_parse_problems(ctx: _Ctx) -> Iterator[Finding]:
    # The closing half of a quote cut off by a lost backslash: the opening half is reported.
    orphan_lines = {ctx.lic.entries[i].first_line for i in ctx.orphans}
    for p in ctx.lic.problems:
        if p.code not in _PROBLEM_TEXT:
            continue
        if p.code == "unterminated-quote" and p.line in orphan_lines:
            continue
        id, st, title, fix = _PROBLEM_TEXT[p.code]
        if ctx.full(id, p.line):
            continue
        yield _f(ctx, id, st, title, p.line, detail=p.message, fix=fix,
                 evidence=p.evidence or ctx.lic.line_text(p.line).strip()[:120], seed_ref=SEED_TROUBLE)


def _has_backslash_token(e: Entry) -> bool:
    return any(t.raw == "\\" for t in e.tokens)


def rule_unknown_lines(ctx: _Ctx) -> Iterator[Finding]:
    entries = ctx.lic.entries
    lic = ctx.lic
    for idx, e in enumerate(entries):
        if e.kind != "UNKNOWN":
            continue
        physical = lic.line_text(e.first_line)
        if physical.lstrip().startswith(">"):
            continue  # reported by the mail-quote rule
        if ctx.full("license.missing-backslash" if idx in ctx.orphans else "license.unknown-line", e.first_line):
            continue
        if idx in ctx.orphans:
            prev = entries[idx - 1]
            if _has_backslash_token(prev):
                # "... \  # comment": the backslash is there but is not the last character.
                fix = (f"Remove the text after the backslash at the end of line {prev.last_line}, so the "
                       "backslash is the last character.")
                why = f"Line {prev.last_line} has text after its backslash"
            else:
                fix = f"Add a backslash at the end of line {prev.last_line} (or join the two lines)."
                why = f"Line {prev.last_line} does not end with '\\'"
            yield _f(ctx, "license.missing-backslash", Status.FAIL,
                     "A continuation line without the backslash before it", e.first_line,
                     detail=f"{why}, so this line is read as a new, unknown entry instead of the rest of the "
                            "line above.",
                     fix=fix, evidence=physical.strip()[:120], seed_ref=SEED_TROUBLE)
        else:
            yield _f(ctx, "license.unknown-line", Status.FAIL, "A line FlexNet does not understand", e.first_line,
                     detail="License lines start with SERVER, VENDOR/DAEMON, USE_SERVER, FEATURE, INCREMENT, "
                            "UPGRADE or PACKAGE; comments start with '#'.",
                     fix="Remove the line, or restore it from the original key if it was damaged when copying "
                         "(a blank line inside a continued entry also cuts it here).",
                     evidence=physical.strip()[:120], seed_ref=SEED_TROUBLE)


def rule_mail_quotes(ctx: _Ctx) -> Iterator[Finding]:
    # Most files have no '>' at all: that test is one search of the buffer, the loop below runs
    # only when one is there.
    lines = ctx.lic.lines
    if not lines.contains(">"):
        return
    start = None
    total = 0
    line_text = lines.text
    for i in range(len(lines)):
        text = line_text(i)
        if text[:1] == ">" or (text[:1] in (" ", "\t") and text.lstrip(" \t")[:1] == ">"):
            if start is None:
                start = i + 1
            total += 1
    if start is not None:
        yield _f(ctx, "license.mail-quote", Status.FAIL, "Lines start with '>' from a quoted e-mail", start,
                 detail=f"{total} line(s) carry a mail-quote prefix, so FlexNet cannot read them.",
                 fix="Copy the key from the original e-mail or attachment, or remove the leading '> ' from "
                     "every line.", evidence=ctx.lic.line_text(start)[:120], seed_ref=SEED_TROUBLE)


def rule_line_endings(ctx: _Ctx) -> Iterator[Finding]:
    # CRLF is fine for FlexNet; a bare CR (classic Mac, some web forms) is not a line end on
    # Linux, so lmgrd would read the whole file as one line.
    if not ctx.lic.lines.contains("\r"):  # (a line's text never holds CR: only its ending can)
        return
    for ln in ctx.lic.lines:
        if ln.eol == "\r":
            yield _f(ctx, "license.cr-line-endings", Status.WARN, "Lines end with a bare carriage return (CR)",
                     ln.number,
                     detail="Without a line feed, FlexNet on Linux reads these lines as one long line.",
                     fix="Convert the line endings to LF (e.g. `tr '\\r' '\\n' < old.lic > new.lic`) or CRLF, "
                         "or save the file again as plain text.",
                     evidence=repr(ln.text[-40:] + ln.eol), seed_ref=SEED_TROUBLE)
            return


def _char_name(c: str) -> str:
    if "\udc80" <= c <= "\udcff":
        return "byte 0x%02X" % (ord(c) - 0xDC00)
    return "U+%04X" % ord(c)


def rule_copy_damage_chars(ctx: _Ctx) -> Iterator[Finding]:
    lic = ctx.lic
    for e in lic.entries:
        if e.kind in ("BLANK", "COMMENT"):
            continue
        for n in (range(e.first_line, e.last_line + 1) if not e.text.isascii() else ()):
            text = lic.line_text(n)
            if text.isascii():
                continue
            if _TYPO_RE.search(text) and not ctx.full("license.typographic-quotes", n):
                yield _f(ctx, "license.typographic-quotes", Status.FAIL, "Typographic (curly) quotes", n,
                         detail="A word processor or mail client replaced straight quotes with “ ” or ‘ ’.",
                         fix='Replace them with straight double quotes ("), or copy the key again from the '
                             'original plain-text file.', evidence=text.strip()[:120], seed_ref=SEED_TROUBLE)
            # search() first: on a file of junk most lines are past the cap and need no list.
            if _NON_ASCII.search(text) is not None and not ctx.full("license.non-ascii", n):
                other = _NON_ASCII.findall(text)
                shown = ", ".join(sorted({_char_name(c) for c in other})[:8])
                yield _f(ctx, "license.non-ascii", Status.WARN, "Non-ASCII characters in a license line", n,
                         detail=f"Characters {shown} are not part of any license key (non-breaking spaces and "
                                "soft hyphens come from mail clients and web pages).",
                         fix="Retype the affected characters or copy the key again from the original file.",
                         evidence=text.strip()[:120], seed_ref=SEED_TROUBLE)
        if len(e.text) > MAX_LOGICAL_LINE:
            yield from _long_line(ctx, e)
        keyword_line = e.is_line_keyword()
        # Tokens are built only for the entries a check below needs them for.
        if keyword_line and "\\" in e.text:
            toks = e.tokens
            for k, t in enumerate(toks):
                if t.raw == "\\" and k != len(toks) - 1:
                    yield _f(ctx, "license.text-after-backslash", Status.FAIL,
                             "Text after a continuation backslash", t.line,
                             detail="The backslash only continues a line when it is the last character; here more "
                                    "text follows it, so the entry ends on this line.",
                             fix="Remove everything after the backslash on this line.",
                             evidence=lic.line_text(t.line).strip()[:120], seed_ref=SEED_TROUBLE)
                    break
        if keyword_line and len(e.starts) > 1:
            # A line keyword at the start of a continuation line means two license lines were
            # joined by a backslash that should not be there.
            by_offset = None
            text = e.text
            for start in e.starts[1:]:
                head = text[start:start + 11]
                if not head.upper().startswith(LINE_KEYWORDS):
                    continue
                words = head.split(None, 1)
                if not words or words[0].upper() not in LINE_KEYWORDS:
                    continue
                if by_offset is None:
                    by_offset = {t.offset: t for t in e.tokens}
                joined = by_offset.get(start)
                if joined is None or joined.key is not None or joined.quoted:
                    continue
                t = joined
                yield _f(ctx, "license.joined-lines", Status.FAIL,
                         f"A backslash joins a {t.value.upper()} line to the line above", t.line,
                         detail="The line above ends with '\\' (a Windows path ending in a backslash does "
                                "this), so two license lines were read as one.",
                         fix=f"Remove the trailing backslash at the end of line {t.line - 1}.",
                         evidence=lic.line_text(t.line - 1).strip()[-80:], seed_ref=SEED_TROUBLE)
        if "#" in e.text and (keyword_line or (
                not lic.line_text(e.first_line).lstrip().startswith(">")
                and not ctx.full("license.inline-comment", e.first_line))):
            for k, t in enumerate(e.tokens):
                if k > 0 and not t.quoted and t.key is None and t.raw.startswith("#"):
                    if keyword_line and ctx.full("license.inline-comment", t.line):
                        break
                    yield _f(ctx, "license.inline-comment", Status.FAIL, "A '#' comment after license data",
                             t.line,
                             detail="FlexNet accepts '#' comments only at the start of a line.",
                             fix="Move the comment to a line of its own starting with '#'.",
                             evidence=lic.line_text(t.line).strip()[:120], seed_ref=SEED_TROUBLE)
                    break


def _long_line(ctx: _Ctx, e: Entry) -> Iterator[Finding]:
    lic = ctx.lic
    longest = max(len(lic.line_text(n)) for n in range(e.first_line, e.last_line + 1))
    source = f"Limit {MAX_LOGICAL_LINE} characters after joining, {LINE_LIMIT_SOURCE}."
    if longest > MAX_LOGICAL_LINE:
        # One physical line past the limit: lines joined by a copy, or an editor that undid the
        # continuations. Older FlexNet readers are documented to stop there.
        yield _f(ctx, "license.line-too-long", Status.WARN,
                 f"A physical line of {longest} characters (the documented limit is {MAX_LOGICAL_LINE})",
                 e.first_line,
                 detail=f"{source} Vendors split long {e.kind} lines with backslash continuations; one line "
                        "this long usually means the continuations were lost when the file was copied.",
                 fix="Copy the entry again from the original license file, with its backslash-continued lines.",
                 evidence=e.text[:80] + "...", seed_ref=SEED_TROUBLE)
    elif e.kind in ("PACKAGE", "FEATURE", "INCREMENT", "UPGRADE") and not ctx.full("license.long-entry", e.first_line):
        # Properly continued, as vendors generate them (Autodesk PACKAGE lines list hundreds of
        # components): FlexNet is not documented to refuse it, so it is not a failure.
        yield _f(ctx, "license.long-entry", Status.INFO,
                 f"A continued {e.kind} entry of {len(e.text)} characters", e.first_line,
                 detail=f"{source} The entry is split over {e.last_line - e.first_line + 1} lines with backslash "
                        "continuations, as vendors generate long entries; current FlexNet reads it. If an old "
                        "lmgrd reports a syntax error on this line, use the lmgrd that came with the license.",
                 evidence=lic.line_text(e.first_line).strip()[:80] + "...")


def rule_signatures(ctx: _Ctx) -> Iterator[Finding]:
    # vendor -> group count -> lines of the SIGN= values with that count
    counts: Dict["tuple[str, str]", Dict[int, List[int]]] = {}
    for f in ctx.features:
        e = f.entry
        for key in ("SIGN", "SIGN2"):
            tok = e.get_token(key)
            if tok is None or tok.unterminated:
                continue
            value = tok.value.strip()
            if not value:
                yield _f(ctx, "license.sign-damaged", Status.FAIL, f"{key}= value is empty", tok.line,
                         fix="Copy the license key again from the original file: a signature cannot be repaired "
                             "by hand.", evidence=tok.raw[:120], seed_ref=SEED_TROUBLE)
                continue
            if " " not in value and "\t" not in value:
                if not _HEX.match(value):
                    yield _f(ctx, "license.sign-damaged", Status.FAIL, f"{key}= value is damaged", tok.line,
                             detail="A signature is hexadecimal; this one has other characters.",
                             fix="Copy the license key again from the original file: a signature cannot be "
                                 "repaired by hand.", evidence=tok.raw[:120], seed_ref=SEED_TROUBLE)
                continue
            sign_ok = _SIGN_OK.match(value) is not None
            if not sign_ok:
                # Find the first bad group and the physical line it sits on.
                bad: List[str] = []
                line = tok.line
                value_off = tok.offset + len(tok.key or "") + 1 + (1 if tok.quoted else 0)
                for m in re.finditer(r"\S+", tok.value):
                    if not _HEX4.match(m.group()):
                        if not bad:
                            line = e.line_at(value_off + m.start())
                        bad.append(m.group())
                yield _f(ctx, "license.sign-damaged", Status.FAIL, f"{key}= value is damaged", line,
                         detail="Signature groups must be 4 hexadecimal digits; these are not: "
                                f"{' '.join(bad[:6])}",
                         fix="Copy the license key again from the original file: a signature cannot be repaired "
                             "by hand (look for O instead of 0, l instead of 1, or a lost character).",
                         evidence=ctx.lic.line_text(line).strip()[:120], seed_ref=SEED_TROUBLE)
            if sign_ok:
                # Groups of exactly 4 hex digits between blanks: count without splitting.
                n = (len(value) - value.count(" ") - value.count("\t")) // 4
            else:
                n = len(value.split())
            by_len = counts.get((f.vendor, key))
            if by_len is None:
                by_len = counts[(f.vendor, key)] = {}
            if n in by_len:
                by_len[n].append(tok.line)
            else:
                by_len[n] = [tok.line]
    for (vendor, _key), by_len in counts.items():
        if len(by_len) < 2:
            continue
        ranked = sorted(by_len, key=lambda n: -len(by_len[n]))
        usual = ranked[0]
        if len(by_len[ranked[0]]) == len(by_len[ranked[1]]):
            # No majority: say they differ, at the first signature that differs from the first one.
            first_line = min(ln for lines in by_len.values() for ln in lines)
            first_n = next(n for n, lines in by_len.items() if first_line in lines)
            other = min(ln for n, lines in by_len.items() if n != first_n for ln in lines)
            other_n = next(n for n, lines in by_len.items() if other in lines)
            yield _f(ctx, "license.sign-length", Status.WARN,
                     f"{vendor} signatures differ in length: {first_n} groups on line {first_line}, "
                     f"{other_n} here", other,
                     detail="Signatures of one vendor in one file normally have the same length; a missing or "
                            "extra group usually means a line was lost or duplicated when copying.",
                     fix="Compare both entries with the original key and copy them again.",
                     evidence=ctx.lic.line_text(other).strip()[:120], seed_ref=SEED_TROUBLE)
            continue
        for n, lines in by_len.items():
            if n == usual:
                continue
            for line in lines:
                yield _f(ctx, "license.sign-length", Status.WARN,
                         f"This signature has {n} groups; the other {vendor} signatures have {usual}", line,
                         detail="Signatures of one vendor in one file normally have the same length; a missing or "
                                "extra group usually means a line was lost or duplicated when copying.",
                         fix="Compare this entry with the original key and copy it again.",
                         evidence=ctx.lic.line_text(line).strip()[:120], seed_ref=SEED_TROUBLE)


# ---------------------------------------------------------------- servers and daemons

def _server_placeholder_text(ctx: _Ctx, s: ServerLine) -> str:
    """The SERVER line as the user wrote it, for evidence."""
    return ctx.lic.line_text(s.line).strip()


def _looks_like_hostid(word: str) -> bool:
    w = word.strip('"')
    return (normalize_mac(w) is not None or w.upper() in ("ANY", "DEMO") or "=" in w
            or is_placeholder_hostid(w) or bool(BRACKETED.fullmatch(w)))


def rule_servers(ctx: _Ctx) -> Iterator[Finding]:
    lic = ctx.lic
    servers = ctx.servers
    ident = ctx.opt.identity
    for s in servers:
        line = _server_placeholder_text(ctx, s)
        if not s.host:
            yield _f(ctx, "license.server-malformed", Status.FAIL, "SERVER line without host name and host id",
                     s.line, fix="A SERVER line reads: SERVER <hostname> <hostid> <port>, e.g. "
                                 "SERVER myserver 74e50bb0911e 27000.",
                     evidence=line, seed_ref=SEED_CUSTOM)
            continue
        yield from _server_host(ctx, s, line)
        if not s.hostid:
            # "SERVER host 27000": the number is the port; the signed hostid is what is missing.
            port = s.port_text or "<port>"
            yield _f(ctx, "license.server-no-hostid", Status.FAIL, "SERVER line has no hostid", s.line,
                     detail=f"A SERVER line reads: SERVER <host> <hostid> [port]. Here '{s.host}' is followed by "
                            + (f"the port {s.port_text} and " if s.port_text else "")
                            + "no hostid, so lmgrd cannot check that it runs on the licensed machine.",
                     fix=f"Copy the SERVER line from the license as issued: SERVER {s.host} <hostid> {port}. The "
                         f"hostid is signed, so only {ctx.words.who} can supply it (`lmutil lmhostid` prints this "
                         "machine's).",
                     evidence=line, seed_ref=SEED_CUSTOM)
        elif is_placeholder_hostid(s.hostid):
            zero = s.hostid.strip("0:-") == "" or (s.hostid.split("=", 1)[-1].strip("0") == "")
            yield _f(ctx, "license.placeholder-hostid", Status.FAIL,
                     f"SERVER hostid '{s.hostid}' is " + ("all zeros" if zero else "a template placeholder"), s.line,
                     detail=("lmhostid prints an all-zero id when it finds no network card; no license is issued "
                             "for it." if zero else
                             "This is a template: the license was not issued for a machine yet.")
                            + " lmgrd compares the SERVER hostid with this machine and the features are signed "
                              "for it, so it cannot be filled in by hand.",
                     fix=f"Ask {ctx.words.who} for the license issued for the server's hostid (`lmutil lmhostid` on "
                         "the server prints it) and use that file.",
                     evidence=line, seed_ref=SEED_TROUBLE)
        else:
            yield from _hostid_check(ctx, s)
        second = [w for w in s.extra if _looks_like_hostid(w)]
        if s.hostid and second:
            yield _f(ctx, "license.server-two-hostids", Status.FAIL,
                     f"Two hostids on one SERVER line: {s.hostid} and {second[0]}", s.line,
                     detail="A SERVER line names one host, one hostid and a port. lmhostid may list several ids "
                            "('Only use ONE from the list of hostids'); the license is issued for one of them.",
                     fix=f"Keep the hostid the license was issued for and remove the other (compare with the "
                         f"original file from {ctx.words.who}).",
                     evidence=line, seed_ref=SEED_CUSTOM)
        if s.port_text is not None and (s.port is None or not 0 < s.port < 65536):
            yield _f(ctx, "license.bad-port", Status.FAIL, f"SERVER port '{s.port_text}' is not a valid port", s.line,
                     fix=f"Use a TCP port between 1 and 65535, normally {DEFAULT_SERVER_PORT}.", seed_ref=SEED_CUSTOM)
        elif s.port_text is None and s.hostid:
            proposed = ctx.propose_port(DEFAULT_SERVER_PORT)
            yield _f(ctx, "license.server-no-port", Status.WARN, "SERVER line without a port", s.line,
                     detail="lmgrd then takes the first free port of 27000-27009, which clients and firewalls "
                            "cannot know in advance.",
                     fix=f"Add the port at the end: {line} {proposed}",
                     seed_ref=SEED_CUSTOM)
    if len(servers) == 2:
        yield _f(ctx, "license.two-servers", Status.FAIL, "Two SERVER lines: a redundant triad needs three",
                 servers[1].line,
                 detail="FlexNet supports one license server or a triad of three (quorum 2 of 3); two is an error.",
                 fix="Keep one SERVER line, or add the third server of the triad as issued by the vendor.")
    elif len(servers) > 3:
        yield _f(ctx, "license.too-many-servers", Status.FAIL, f"{len(servers)} SERVER lines", servers[3].line,
                 fix="Use one SERVER line, or exactly three for a redundant triad.")
    ported = [s for s in servers if s.port is not None]
    if len({s.port for s in ported}) > 1:
        usual = max({s.port for s in ported}, key=lambda p: (sum(1 for s in ported if s.port == p), -ported.index(
            next(s for s in ported if s.port == p))))
        odd = next(s for s in ported if s.port != usual)
        yield _f(ctx, "license.server-port-conflict", Status.FAIL,
                 f"SERVER lines use different ports ({odd.port} here, {usual} on the others)", odd.line,
                 detail="lmgrd stops with 'license files have conflicting port numbers'; every node of a triad "
                        "needs the same SERVER lines.",
                 fix=f"Use the same port on every SERVER line: change {odd.port} to {usual} on this line (the port "
                     "can be changed without breaking the signature).",
                 evidence=[lic.line_text(s.line).strip() for s in servers], seed_ref=SEED_CUSTOM)
    if len(servers) == 3 and ctx.on_server and ident is not None:
        if not any(ident.is_this_host(s.host) for s in servers):
            yield _f(ctx, "license.host-not-this-machine", Status.FAIL,
                     "None of the three SERVER hosts is this machine", servers[0].line,
                     fix="Run lmgrd on one of the triad's machines, or correct the host names.",
                     evidence=[f"this machine: {', '.join(sorted(ident.names))}"])


def _server_host(ctx: _Ctx, s: ServerLine, line: str) -> Iterator[Finding]:
    ident = ctx.opt.identity
    if is_placeholder_host(s.host):
        real = (f"'{ident.short_name}' (this machine's name)" if ident and ident.short_name and ctx.on_server
                else "the license server's host name (`hostname` on the server; on Windows the System Settings "
                     "tab of lmtools)")
        detail = ("The file still has the template's host name. lmgrd refuses a SERVER host that is not the machine "
                  "it runs on ('Not a valid server hostname, exiting'), and clients cannot find a server by it.")
        if ctx.words.is_sigasi:
            detail += " Sigasi Studio reports it as 'Invalid license key (inconsistent authentication code)'."
        yield _f(ctx, "license.placeholder-host", Status.FAIL,
                 f"SERVER host is still the placeholder '{s.host}'", s.line, detail=detail,
                 fix=f"Replace '{s.host}' with {real} on this SERVER line. Changing the host name and port does "
                     "not break the signature.",
                 evidence=line, seed_ref=SEED_WINDOWS)
    elif is_this_host(s.host):
        yield _f(ctx, "license.this-host", Status.WARN, "SERVER host is 'this_host'", s.line,
                 detail="FlexNet reads this_host as 'the machine lmgrd runs on', so the file works for lmgrd on the "
                        "server; a client given this file cannot find the server by it.",
                 fix="Put the server's host name in place of this_host (the host name can be changed without "
                     "breaking the signature), or on clients "
                     f"{ctx.words.client_setting(f'{s.port or DEFAULT_SERVER_PORT}@<server>')} instead of this file.",
                 evidence=line, seed_ref=SEED_CUSTOM)
    elif ident is not None and ctx.on_server and not ident.is_this_host(s.host) and len(ctx.servers) == 1:
        yield _f(ctx, "license.host-not-this-machine", Status.FAIL,
                 f"SERVER host '{s.host}' is not this machine's name", s.line,
                 detail="lmgrd refuses to start ('Not a valid server hostname, exiting') when the SERVER host "
                        "is not the machine it runs on.",
                 fix=f"Replace '{s.host}' with '{ident.short_name}' (host and port can be changed without breaking "
                     "the signature), or run lmgrd on the machine named in the license.",
                 evidence=[line, f"this machine: {', '.join(sorted(ident.names))}"],
                 seed_ref=SEED_FLOAT)


def _hostid_check(ctx: _Ctx, s: ServerLine) -> Iterator[Finding]:
    ident = ctx.opt.identity
    mac = normalize_mac(s.hostid)
    if ident is None or mac is None:
        return
    if ident.has_mac(mac):
        yield _f(ctx, "license.hostid-matches", Status.OK, f"SERVER hostid {s.hostid} is a MAC of this machine",
                 s.line, evidence=ident.mac_list())
        return
    if ctx.on_server:
        yield _f(ctx, "license.hostid-mismatch", Status.FAIL,
                 f"SERVER hostid {s.hostid} is not a MAC address of this machine", s.line,
                 detail="lmgrd logs 'Wrong hostid on SERVER line' and the vendor daemon exits (Invalid host).",
                 fix="Run the server on the machine whose MAC the key was issued for, or request a new key for "
                     "one of this machine's MACs (the host id cannot be edited: it is signed).",
                 evidence=["local MACs: " + (", ".join(ident.mac_list()) or "none found")], seed_ref=SEED_TROUBLE)
    elif ctx.role_guessed:
        yield _f(ctx, "license.hostid-elsewhere", Status.INFO,
                 f"SERVER hostid {s.hostid} is not a MAC of this machine: treated as a client", s.line,
                 detail="That is expected on a client. If this machine is the license server, rerun with "
                        "--on-server (in the app: i, role).",
                 evidence=["local MACs: " + (", ".join(ident.mac_list()) or "none found")])


def rule_feature_macs(ctx: _Ctx) -> Iterator[Finding]:
    ident = ctx.opt.identity
    if ident is None:
        return
    seen = set()
    for f in ctx.features:
        cands = []
        hid_tok = f.entry.get_token("HOSTID")
        if hid_tok is not None:
            # HOSTID may list several ids in quotes; each 12-hex one is a MAC.
            for word in hid_tok.value.split():
                mac = normalize_mac(word)
                if mac:
                    cands.append(("HOSTID=", mac, hid_tok.line))
        vs_tok = f.entry.get_token("VENDOR_STRING")
        if vs_tok is not None:
            for m in _MAC_IN_VS.finditer(vs_tok.value):
                mac = normalize_mac(m.group(1))
                if mac:
                    cands.append(("mac:", mac, vs_tok.line))
        for where, mac, line in cands:
            if (mac, line) in seen:
                continue
            seen.add((mac, line))
            if ident.has_mac(mac):
                yield _f(ctx, "license.mac-matches", Status.OK, f"{where}{mac} of {f.name} is a MAC of this machine",
                         line)
                continue
            node_locked = f.uncounted
            words = words_for(f.vendor)
            here = f"the machine running {words.product}" if node_locked else "the license server"
            relevant = (node_locked and ctx.on_server is not True) or (not node_locked and ctx.on_server)
            yield _f(ctx, "license.mac-mismatch", Status.WARN if relevant else Status.INFO,
                     f"{where}{mac} of {f.name} is not a MAC of this machine", line,
                     detail=f"This key is bound to {here} with that MAC address.",
                     fix=f"Is the MAC address correct? Use the key on the machine it was issued for, or ask "
                         f"{words.who} for a key for one of this machine's MACs.",
                     evidence=["local MACs: " + (", ".join(ident.mac_list()) or "none found")], seed_ref=SEED_TROUBLE)


def rule_server_presence(ctx: _Ctx) -> Iterator[Finding]:
    lic = ctx.lic
    servers = ctx.servers
    counted = ctx.counted
    if counted and not servers:
        yield _f(ctx, "license.no-server-lines", Status.FAIL, "Counted features but no SERVER line",
                 counted[0].line,
                 detail="lmgrd stops with 'No SERVER lines in license file' (FlexNet Licensing error:-13,66); a "
                        "client cannot find a server either.",
                 fix="Add the SERVER line (SERVER <hostname> <hostid> 27000) and VENDOR line from the license "
                     f"you received; on a client, {ctx.words.client_setting('27000@<server>')}, or keep SERVER "
                     "and add a USE_SERVER line.",
                 evidence=lic.line_text(counted[0].line).strip()[:120], seed_ref=SEED_TYPICAL)
    if servers and not ctx.vendors and ctx.features:
        names = list(dict.fromkeys(f.vendor for f in ctx.features if f.vendor)) or ["<vendor>"]
        adds = "; ".join(f"VENDOR {n} port={ctx.propose_port(FIRST_VENDOR_PORT)}" for n in names[:4])
        yield _f(ctx, "license.no-vendor-line", Status.FAIL, "SERVER line but no DAEMON/VENDOR line",
                 servers[0].line, detail="lmgrd has no vendor daemon to start.",
                 fix=f"Add the vendor line after the SERVER line: {adds} (the path to the daemon is optional).",
                 seed_ref=SEED_CUSTOM)
    if servers and counted and ctx.on_server is False and not lic.has_use_server:
        yield _f(ctx, "license.client-no-use-server", Status.WARN, "Client license file without USE_SERVER",
                 servers[-1].line,
                 detail="On a client, USE_SERVER makes the client ask the server instead of reading the feature "
                        "lines itself.",
                 fix="Add a line USE_SERVER after the VENDOR/DAEMON line, or "
                     f"{ctx.words.client_setting(_client_spec(servers))}.",
                 seed_ref=SEED_FLOAT)


def _client_spec(servers: List[ServerLine]) -> str:
    """What a client puts in its search path for these SERVER lines: 27000@host, or the triad."""
    specs = [f"{s.port or DEFAULT_SERVER_PORT}@{s.host if usable_host(s.host) else '<server>'}" for s in servers]
    return ",".join(specs[:3]) if specs else "27000@<server>"


def rule_vendors(ctx: _Ctx) -> Iterator[Finding]:
    lic = ctx.lic
    server_ports = {s.port for s in ctx.servers if s.port}
    vendor_ports_seen: Dict[int, str] = {}
    for v in ctx.vendors:
        line = lic.line_text(v.line).strip()
        if not v.name:
            yield _f(ctx, "license.vendor-malformed", Status.FAIL, f"{v.entry.kind} line without a vendor name",
                     v.line, fix=f"Write it as: {v.entry.kind} <vendor> [daemon path] port=<port>, e.g. "
                                 f"{v.entry.kind} {ctx.words.vendor or 'sigasi'} port={FIRST_VENDOR_PORT}",
                     evidence=line)
            continue
        yield from _vendor_port(ctx, v, line, server_ports, vendor_ports_seen)
        if v.port is not None and v.port not in vendor_ports_seen:
            vendor_ports_seen[v.port] = v.name
        if v.path:
            yield from _vendor_path(ctx, v, line)


def _vendor_port(ctx: _Ctx, v: VendorLine, line: str, server_ports: Set[int],
                 vendor_ports_seen: Dict[int, str]) -> Iterator[Finding]:
    """port= missing, out of range, or the port of the SERVER line or of an earlier vendor daemon."""
    if v.port_text is None:
        if ctx.servers or ctx.on_server:
            port = ctx.propose_port(FIRST_VENDOR_PORT)
            yield _f(ctx, "license.vendor-no-port", Status.WARN,
                     f"{v.entry.kind} {v.name} has no port=: the vendor daemon takes a random port", v.line,
                     detail="Clients first ask lmgrd, then connect to the vendor daemon's port; a random port "
                            "cannot be opened in a firewall or forwarded through an SSH tunnel.",
                     fix=f"Add a fixed port: {line} port={port} (and open it in the firewall). Each vendor "
                         "daemon needs its own port.",
                     evidence=line, seed_ref=SEED_FLOAT)
    elif v.port is None or not 0 < v.port < 65536:
        yield _f(ctx, "license.bad-port", Status.FAIL, f"Vendor port '{v.port_text}' is not a valid port", v.line,
                 fix="Use a TCP port between 1 and 65535, e.g. port=27001.", evidence=line)
    elif v.port in server_ports:
        yield _f(ctx, "license.port-clash", Status.FAIL,
                 f"{v.name} uses port {v.port}, the same as the SERVER line", v.line,
                 fix=f"Give the vendor daemon its own port: port={ctx.propose_port(FIRST_VENDOR_PORT)} "
                     f"(lmgrd keeps {v.port}).",
                 evidence=line, seed_ref=SEED_CUSTOM)
    elif v.port in vendor_ports_seen:
        yield _f(ctx, "license.port-clash", Status.FAIL,
                 f"{v.name} uses port {v.port}, like {vendor_ports_seen[v.port]}", v.line,
                 detail="Two vendor daemons cannot listen on one port: the second one exits (port in use).",
                 fix=f"Give {v.name} its own port: port={ctx.propose_port(FIRST_VENDOR_PORT)}.",
                 evidence=line, seed_ref=SEED_CUSTOM)


def _vendor_path(ctx: _Ctx, v: VendorLine, line: str) -> Iterator[Finding]:
    """The daemon path: still the template's, split by spaces, or in a Windows folder known to fail."""
    path = v.path or ""
    if is_placeholder_path(path):
        yield _f(ctx, "license.placeholder-path", Status.FAIL,
                 f"The {v.name} daemon path is still the template's '{path}'", v.line,
                 detail="lmgrd starts the vendor daemon from this path; a template path names no file, so "
                        f"{v.name} never starts.",
                 fix=f"Replace '{path}' with the full path of the {v.name} daemon on the server, or leave the path "
                     "out so lmgrd looks for the daemon in its own directory (editing the path does not break "
                     "the signature).",
                 evidence=line, seed_ref=SEED_CUSTOM)
        return
    path_tok = v.entry.positional[1] if len(v.entry.positional) > 1 else None
    quoted_spaces = path_tok is not None and path_tok.quoted and " " in path
    # Unquoted "C:\Program Files\Sigasi\sigasi.exe" splits into "C:\Program" + "Files\...":
    # a second word that is not itself a path is the rest of the daemon path.
    extra = [w for w in v.extra if w.upper() not in LINE_KEYWORDS]  # joined lines: reported elsewhere
    split_path = bool(extra) or (
        v.options is not None and not v.entry.get("OPTIONS") and not _looks_like_path(v.options)
        and v.options.upper() not in LINE_KEYWORDS)
    if quoted_spaces or split_path:
        example = ("C:\\Sigasi\\license\\sigasi.exe or /opt/flexnet-sigasi/sigasi" if v.name.lower() == "sigasi"
                   else f"C:\\flexnet\\{v.name}.exe or /opt/flexnet/{v.name}")
        yield _f(ctx, "license.daemon-path-spaces", Status.FAIL, "Spaces in the vendor daemon path", v.line,
                 detail="The manual: you can not have spaces in the daemon path.",
                 fix=f"Move the daemon to a folder without spaces (e.g. {example}) and update this line, or "
                     "leave the path out so lmgrd looks for the daemon next to itself.", evidence=line,
                 seed_ref=SEED_FLOAT)
        if split_path and not quoted_spaces:
            path = " ".join([path] + ([v.options] if v.options and not v.entry.get("OPTIONS") else []) + extra)
    if _WIN_PATH.match(path) or "\\" in path:
        yield from _windows_daemon_folder(ctx, v, path, line)


def _windows_daemon_folder(ctx: _Ctx, v: VendorLine, path: str, line: str) -> Iterator[Finding]:
    """Folder names users report trouble with on Windows: the daemon's own name, FlexLM, not C:\\Sigasi."""
    parts = [p for p in re.split(r"[\\/]+", path) if p]
    exe = parts[-1] if parts else ""
    stem = exe.lower()[:-4] if exe.lower().endswith(".exe") else exe.lower()
    parent = parts[-2].lower() if len(parts) >= 2 else ""
    in_sigasi_root = len(parts) == 3 and _WIN_PATH.match(path) is not None and parent == "sigasi"
    if stem and parent == stem and not in_sigasi_root:
        yield _f(ctx, "license.daemon-dir-named-like-daemon", Status.WARN,
                 f"The daemon sits in a folder named '{parts[-2]}', like the daemon itself", v.line,
                 detail=(r"Users report that c:\flexlm\sigasi\sigasi.exe fails while "
                         r"c:\flexlm\vhdl_editor\sigasi.exe works." if stem == "sigasi" else
                         f"Users report that a daemon in a folder of its own name fails to start (e.g. "
                         f"c:\\flexlm\\{stem}\\{exe}) while the same daemon in another folder works."),
                 fix=f"Rename the folder '{parts[-2]}' (e.g. to vhdl_editor or license) and update this "
                     "path.", evidence=line, seed_ref=SEED_FLOAT)
    if len(parts) >= 2 and parts[1].lower() == "flexlm":
        yield _f(ctx, "license.flexlm-folder", Status.WARN,
                 r"The license software is under a folder named FlexLM", v.line,
                 detail='A folder C:\\FlexLM\\ is linked to "Exiting due to signal 32" (Exited because '
                        'another server was running).',
                 fix=r"Rename the folder, e.g. C:\FlexLM to C:\LMFlex, and update the path in lmtools "
                     "Config Services too.", evidence=line, seed_ref=SEED_TYPICAL)
    if v.name.lower() == "sigasi" and not (len(parts) >= 3 and parts[1].lower() == "sigasi"):
        yield _f(ctx, "license.daemon-not-in-c-sigasi", Status.INFO,
                 r"The Sigasi daemon is not in C:\Sigasi", v.line,
                 detail=r"Some users report an arbitrary absolute daemon path on Windows (e.g. "
                        r"C:\sigasi.exe) only works when the daemon is in the C:\Sigasi folder.",
                 fix=r"If the daemon does not start, move it to C:\Sigasi\license\sigasi.exe and point "
                     r"this line there, or leave the path out so lmgrd uses the daemon next to lmgrd.exe.",
                 evidence=line, seed_ref=SEED_FLOAT)


def _looks_like_path(text: str) -> bool:
    return bool(re.match(r"^(?:[A-Za-z]:[\\/]|[/\\.~$%])", text)) or text.lower().endswith((".opt", ".txt"))


# ---------------------------------------------------------------- features

def _evidence(lic: LicenseFile, line: int) -> str:
    return lic.line_text(line).strip()[:120]


def rule_features(ctx: _Ctx) -> Iterator[Finding]:
    vendor_lines = {v.name.lower() for v in ctx.vendors}
    served = bool(ctx.servers)
    warned_vendor: Set[str] = set()
    for f in ctx.features:
        if not (f.name and f.vendor and f.version and f.expiry.text and f.count_text):
            yield _f(ctx, "license.feature-malformed", Status.FAIL,
                     f"{f.kind} line is missing fields", f.line,
                     detail=f"A {f.kind} line reads: {f.kind} name vendor version expiry count KEY=value ...",
                     fix="Copy the line again from the original key.", evidence=_evidence(ctx.lic, f.line),
                     seed_ref=SEED_TROUBLE)
            continue
        yield from _feature_count_and_name(ctx, f)
        # At most one finding each: plain calls, cheaper per feature than generators on 20,000-feature files.
        for check in _ONE_FINDING_CHECKS:
            found = check(ctx, f)
            if found is not None:
                yield found
        yield from _feature_locking(ctx, f, served)
        vendor = f.vendor.lower()
        if served and not f.uncounted and vendor not in vendor_lines and vendor not in warned_vendor:
            warned_vendor.add(vendor)
            yield _f(ctx, "license.feature-vendor-missing", Status.FAIL,
                     f"No DAEMON/VENDOR line for vendor '{f.vendor}'", f.line,
                     detail=f"Features of {f.vendor} are served by a vendor daemon of that name.",
                     fix=f"Add after the SERVER line: VENDOR {f.vendor} port={ctx.propose_port(FIRST_VENDOR_PORT)}",
                     evidence=_evidence(ctx.lic, f.line), seed_ref=SEED_CUSTOM)


def _feature_count_and_name(ctx: _Ctx, f: FeatureLine) -> Iterator[Finding]:
    if not f.uncounted and f.count is None:
        yield _f(ctx, "license.feature-malformed", Status.FAIL,
                 f"Count '{f.count_text}' of {f.name} is not a number or 'uncounted'", f.line,
                 fix="Copy the line again from the original key.", evidence=_evidence(ctx.lic, f.line))
    if len(f.name) > MAX_FEATURE_NAME:
        yield _f(ctx, "license.feature-name-long", Status.WARN,
                 f"Feature name {f.name[:40]} is longer than {MAX_FEATURE_NAME} characters", f.line,
                 detail="Older FlexNet versions reject such names.", fix="Update the FlexNet daemons.")


def _feature_expiry(ctx: _Ctx, f: FeatureLine) -> Optional[Finding]:
    lic = ctx.lic
    if not f.expiry.valid:
        return _f(ctx, "license.bad-date", Status.FAIL, f"Expiry date '{f.expiry.text}' of {f.name} is not a date",
                  f.line, detail="FlexNet dates read d-mmm-yyyy, e.g. 18-nov-2012, or 'permanent'.",
                  fix="Copy the line again from the original key (the date is signed).",
                  evidence=_evidence(lic, f.line))
    left = f.expiry.days_left(ctx.today)
    if left is not None and left < 0:
        return _f(ctx, "license.expired", Status.FAIL, f"{f.name} expired on {f.expiry.text}", f.line,
                  detail="FlexNet refuses expired features (-10, 'feature has expired').",
                  fix=f"Has the license expired? Ask {words_for(f.vendor).who} for a renewed key.",
                  evidence=_evidence(lic, f.line), seed_ref=SEED_TROUBLE)
    elif left is not None and left <= ctx.opt.warn_days:
        return _f(ctx, "license.expiring", Status.WARN, f"{f.name} expires in {left} day(s) ({f.expiry.text})",
                  f.line, fix="Request the renewal now so the new key is installed before it expires.",
                  evidence=_evidence(lic, f.line), seed_ref=SEED_TROUBLE)
    return None


def _feature_start(ctx: _Ctx, f: FeatureLine) -> Optional[Finding]:
    start_tok = f.entry.get_token("START")
    if start_tok is None:
        return None
    start = parse_date(start_tok.value)
    start_line = start_tok.line
    if not start.valid:
        return _f(ctx, "license.bad-date", Status.FAIL, f"START date '{start.text}' of {f.name} is not a date",
                  start_line, detail="FlexNet dates read d-mmm-yyyy, e.g. 21-Oct-2012.",
                  fix="Copy the line again from the original key (the date is signed).",
                  evidence=ctx.lic.line_text(start_line).strip()[:120])
    elif start.date is not None and start.date > ctx.today:
        return _f(ctx, "license.start-in-future", Status.FAIL,
                  f"{f.name} only starts on {start.text}", start_line,
                  detail="Before its START date FlexNet reports -31 (feature start date is in the future). "
                        "Check the system clock too.",
                  fix=f"Wait until {start.text}, correct the machine's clock, or ask for a key that starts "
                     "today.", evidence=_evidence(ctx.lic, f.line))
    return None


def _feature_version(ctx: _Ctx, f: FeatureLine) -> Optional[Finding]:
    """A Sigasi key's version is the Sigasi major version it serves."""
    pv = ctx.opt.product_version
    if pv is not None and f.vendor.lower() == "sigasi" and f.major_version is not None and f.major_version < pv:
        return _f(ctx, "license.version-too-old", Status.FAIL,
                  f"{f.name} is a version {f.version} key; Sigasi Studio {pv} needs {pv}.0 or later", f.line,
                  detail="The feature version is the Sigasi major version: a 2.x key does not serve Sigasi 3 "
                        "('No license').",
                  fix=f"Request a Sigasi {pv} key (and update the Sigasi daemon: an old daemon gives "
                     "'Internal Flexlm Error').", evidence=_evidence(ctx.lic, f.line), seed_ref=SEED_TYPICAL)
    return None


def _feature_signature(ctx: _Ctx, f: FeatureLine) -> Optional[Finding]:
    e = f.entry
    if e.has_key("SIGN") or e.has_key("SIGN2") or e.has_key("AUTH"):
        return None
    if f.line in ctx.cut_entries:  # its SIGN= is on the cut-off line: reported there
        return None
    # Pre-7.1 files carry a 12-20 hex key as the 6th positional field instead of SIGN= (flexlm-facts.md).
    pos = [t for t in e.tokens[1:] if t.key is None]
    legacy = len(pos) >= 6 and _HEX.match(pos[5].value or "x") and 12 <= len(pos[5].value) <= 20
    if not legacy:
        return _f(ctx, "license.no-sign", Status.WARN, f"{f.name} has no SIGN= signature", f.line,
                  detail="Current FlexNet needs SIGN= (-114); the line may have been cut when copying.",
                  fix="Copy the complete line, including SIGN=\"...\", from the original key.",
                  evidence=_evidence(ctx.lic, f.line))
    return None


_ONE_FINDING_CHECKS: List[Callable[[_Ctx, FeatureLine], Optional[Finding]]] = [
    _feature_expiry, _feature_start, _feature_version, _feature_signature]


def _feature_locking(ctx: _Ctx, f: FeatureLine, served: bool) -> Iterator[Finding]:
    """Uncounted features and HOSTID=: what they are locked to, and whether a server file should hold them."""
    lic = ctx.lic
    if f.uncounted and not f.hostid and f.line not in ctx.cut_entries:
        yield _f(ctx, "license.uncounted-no-hostid", Status.FAIL,
                 f"{f.name} is uncounted but has no HOSTID=", f.line,
                 detail="An uncounted (node-locked) feature must say which machine it is locked to; FlexNet "
                        "rejects it without HOSTID= (Sigasi's node-locked keys carry HOSTID=ANY).",
                 fix="Copy the complete entry again from the original key: the HOSTID= part is missing.",
                 evidence=_evidence(lic, f.line), seed_ref=SEED_TROUBLE)
    if f.uncounted and served:
        yield _uncounted_on_server(ctx, f)
    hid = f.hostid
    if hid and any(is_placeholder_hostid(w) for w in hid.split()) and hid.upper() not in ("ANY", "DEMO"):
        hid_token = f.entry.get_token("HOSTID")
        yield _f(ctx, "license.placeholder-hostid", Status.FAIL,
                 f"HOSTID '{hid}' of {f.name} is a template placeholder",
                 hid_token.line if hid_token is not None else f.line,
                 detail="A node-locked line names the machine it runs on; this one names none, and the hostid "
                        "is signed, so it cannot be filled in by hand.",
                 fix=f"Ask {words_for(f.vendor).who} for the line issued for your machine's hostid "
                     "(`lmutil lmhostid` prints it).", evidence=_evidence(lic, f.line), seed_ref=SEED_TROUBLE)


def _uncounted_on_server(ctx: _Ctx, f: FeatureLine) -> Finding:
    lic = ctx.lic
    words = words_for(f.vendor)
    any_host = (f.hostid or "").upper() in ("ANY", "DEMO")
    if words.is_sigasi:
        # Sigasi's node-locked key is exactly this (HOSTID=ANY, the MAC in VENDOR_STRING); on a
        # server it is the wrong key (Sigasi's floating keys are counted).
        return _f(ctx, "license.uncounted-on-server", Status.WARN,
                  f"{f.name} is a node-locked (uncounted) key in a server license file", f.line,
                  detail="Uncounted keys are checked on the client machine itself; a license server does not "
                         "serve them.",
                  fix="Use this key on the machine it was issued for (Sigasi Studio: Preferences > Sigasi > "
                      "License Key path) and keep only floating (counted) keys on the server.",
                  evidence=_evidence(lic, f.line), seed_ref=SEED_TROUBLE)
    # Many vendors ship uncounted lines in server files on purpose (COMSOL's SERIAL, HOSTID=ANY
    # helper features): the client reads them from the file itself. Nothing to fix.
    return _f(ctx, "license.uncounted-on-server", Status.INFO,
              f"{f.name} is uncounted" + (f" with HOSTID={f.hostid}" if f.hostid else "") + ": read by clients from "
              "the file, not counted by the server", f.line,
              detail=("Any machine that reads this file may use it; " if any_host else
                      "It is locked to the host it names; ") + "the vendor daemon does not count it. Vendors ship "
                     "such lines in server files on purpose.",
              evidence=_evidence(lic, f.line))


# ---------------------------------------------------------------- driver

RULES: List[Callable[[_Ctx], Iterator[Finding]]] = [
    rule_parse_problems,
    rule_mail_quotes,
    rule_line_endings,
    rule_copy_damage_chars,
    rule_unknown_lines,
    rule_signatures,
    rule_servers,
    rule_feature_macs,
    rule_server_presence,
    rule_vendors,
    rule_features,
]


def _guess_role(lic: LicenseFile, opt: LintOptions) -> "tuple[Optional[bool], bool]":
    if opt.on_server is not None:
        return opt.on_server, False
    if opt.identity is None:
        return None, False
    for s in lic.servers:
        if opt.identity.has_mac(s.hostid):
            return True, True
    return (False if lic.servers else None), True


def lint_license(lic: LicenseFile, options: Optional[LintOptions] = None) -> List[Finding]:
    """All findings for ``lic``, each with its line and fix. Never raises on odd input."""
    with gc_paused():
        return _lint(lic, options)


def _lint(lic: LicenseFile, options: Optional[LintOptions]) -> List[Finding]:
    opt = options or LintOptions()
    on_server, guessed = _guess_role(lic, opt)
    ctx = _Ctx(lic=lic, opt=opt, today=opt.today or _dt.date.today(), on_server=on_server, role_guessed=guessed,
               file=opt.label or lic.path)
    out: List[Finding] = []
    per_id = ctx.per_id
    extra = ctx.extra

    def emit(f: Finding) -> None:
        n = per_id.get(f.id, 0) + 1
        per_id[f.id] = n
        if n <= MAX_PER_ID:
            out.append(f)
        else:
            ctx.count_extra(f.id, f.line)

    for f in rule_binary_or_empty(ctx):
        emit(f)
    if lic.is_binary:
        return out
    for f in rule_token_pasted(ctx):
        emit(f)
    if any(f.id == "license.token-not-key" for f in out):
        return out
    ctx.servers, ctx.vendors, ctx.features = lic.servers, lic.vendors, lic.features
    ctx.words = words_for_file([v.name for v in ctx.vendors] + [f.vendor for f in ctx.features])
    ctx.taken_ports = {p for p in [s.port for s in ctx.servers] + [v.port for v in ctx.vendors] if p}
    ctx.counted = [f for f in ctx.features if not f.uncounted and f.count is not None]
    _find_orphans(ctx)
    for rule in RULES:
        for f in rule(ctx):
            emit(f)
    for code, (more, last) in lic.problems_dropped.items():
        if code in _PROBLEM_TEXT:
            id = _PROBLEM_TEXT[code][0]
            first, count, _last = extra.get(id, (last, 0, last))
            extra[id] = (first, count + more, max(last, _last or 0))
    for id, (first_line, count, last_line) in extra.items():
        template = next((f for f in reversed(out) if f.id == id), None)
        if template is None:
            continue
        out.append(template.with_(title=f"... and {count} more like this ({template.title})", line=first_line,
                                  detail=f"{count} further lines have the same problem; the first "
                                         f"{MAX_PER_ID} are shown above.",
                                  evidence=[f"lines {first_line}..{last_line}"]))
    # File order: findings read top to bottom like the file (renderers group by status).
    out.sort(key=lambda f: f.line or 0)
    problems = [f for f in out if f.status in (Status.FAIL, Status.WARN)]
    if not problems:
        out.insert(0, _f(ctx, "license.ok", Status.OK,
                         f"License file reads cleanly: {len(ctx.servers)} SERVER, {len(ctx.vendors)} DAEMON/VENDOR, "
                         f"{len(ctx.features)} FEATURE/INCREMENT line(s)"))
    return out
