"""What kind of file is this? License file, debug log, lmstat output, lmdoctor report, or unknown.

People hand lmdoctor the wrong file all the time: the debug log to ``lint``, the license to
``log``, a ticket's lmstat paste to either. Each reader would then report nonsense (every log
line "a line FlexNet does not understand"). ``sniff`` looks at the first bytes only, counts
the lines that can only belong to one kind, and names the kind with the lines that prove it,
so the command can say "this looks like a debug log; try `lmdoctor log FILE`" and exit 3.

It never raises, on any bytes: it is the first thing that touches untrusted input.
"""
from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

SNIFF_BYTES = 64 * 1024  # enough for hundreds of lines; the start of a file says what it is
MAX_LINES = 400
MAX_EVIDENCE = 3


class FileKind(str, enum.Enum):
    LICENSE = "license"
    DEBUG_LOG = "debug log"
    LMSTAT = "lmstat output"
    REPORT_JSON = "lmdoctor report (JSON)"
    REPORT_TEXT = "lmdoctor report (text or markdown)"
    BINARY = "binary"
    EMPTY = "empty"
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


# What a person reads ("this looks like ...") and the command that reads such a file.
DESCRIPTION: Dict[FileKind, str] = {
    FileKind.LICENSE: "a FlexNet license file",
    FileKind.DEBUG_LOG: "an lmgrd / vendor-daemon debug log",
    FileKind.LMSTAT: "saved lmstat / lmutil output",
    FileKind.REPORT_JSON: "an lmdoctor JSON report",
    FileKind.REPORT_TEXT: "an lmdoctor text or markdown report",
    FileKind.BINARY: "binary data",
    FileKind.EMPTY: "an empty file",
    FileKind.UNKNOWN: "nothing lmdoctor recognises",
}
COMMAND: Dict[FileKind, str] = {
    FileKind.LICENSE: "lmdoctor lint {file}",
    FileKind.DEBUG_LOG: "lmdoctor log {file}",
    FileKind.LMSTAT: "lmdoctor lmstat {file}",
    FileKind.REPORT_JSON: "lmdoctor view {file}",
}


@dataclass(frozen=True)
class Sniff:
    kind: FileKind
    evidence: List[str] = field(default_factory=list)  # "line 3: 15:49:07 (lmgrd) pid 5372"
    scores: Dict[str, int] = field(default_factory=dict)  # marker lines per kind, for --verbose / tests

    @property
    def description(self) -> str:
        return DESCRIPTION[self.kind]

    def command(self, file: str) -> Optional[str]:
        template = COMMAND.get(self.kind)
        return template.format(file=_shell_word(file)) if template else None


def _shell_word(path: str) -> str:
    import shlex

    return "-" if path in ("-", "<stdin>") else shlex.quote(path)


# ---------------------------------------------------------------- markers, one kind each
# Debug log: "hh:mm:ss (daemon) message", hours maybe space-padded; -datestamp logs put an ISO
# date (or m/d/yyyy) first. The daemon tag has no spaces. TIMESTAMP lines carry the date.
_LOG_LINE = re.compile(
    r"^\s*(?:(?:\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{2,4})[T ])?\d{1,2}:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)?"
    r"\s+\([^()\s]{1,64}\)"
)
_LOG_LINE_BYTES = re.compile(rb"\d{1,2}:\d\d:\d\d \([^()\s]{1,64}\) ")
_LOG_TIMESTAMP = re.compile(r"\(\S+\)\s+TIMESTAMP\s+\d{1,2}/\d{1,2}/\d{4}")

# lmstat: lines only lmutil prints.
_LMSTAT_STRONG = re.compile(
    r"^\s*(?:License server status:|Flexible License Manager status on\b|Vendor daemon status \(on\b"
    r"|Users of \S.*:\s+\((?:Total of|Uncounted|Error:)|Feature usage info:?\s*$"
    r"|NOTE:\s*lmstat -i does not give information|Feature\s+Version\s+#licenses\s"
    r"|FlexNet diagnostics on\b|The FlexNet host ID of this machine is\b"
    r"|(?:lmutil|lmstat)(?:\.exe)?\s+-\s+Copyright\b"
    r"|\S+: license server UP\b|\[Detecting lmgrd processes)",
    re.I,
)
_LMSTAT_WEAK = re.compile(r'^\s*"[^"]+" v\S+, vendor: \S+|^\s*License file\(s\) on \S+:', re.I)

# License file: a line keyword with the fields its syntax needs (flexlm-facts.md section 1).
# Keywords as vendors write them (upper case); a mail-quote "> " prefix is still a license.
_Q = r"^\s*(?:>\s*)*"
_LIC_LINE = re.compile(
    _Q + r"(?:SERVER\s+\S+\s+\S+|(?:VENDOR|DAEMON)\s+[A-Za-z_][\w\-]*(?:\s|$)"
    r"|(?:FEATURE|INCREMENT|UPGRADE)\s+\S+\s+\S+\s+\S+\s+\S+|PACKAGE\s+\S+\s+\S+|USE_SERVER\s*$)"
)
_LIC_SIGN = re.compile(r"\bSIGN2?=", re.I)

# lmdoctor's own text and markdown reports.
_REPORT_TEXT = re.compile(r"^(?:## lmdoctor \w+|Summary: (?:no findings|\d+ (?:fail|warn|skip|info|ok)))")


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16", "replace")
        except Exception:  # an odd length or lone surrogate: read it as bytes instead
            pass
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return data.decode("utf-8", "replace")


def _is_binary(data: bytes) -> bool:
    if not data or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    if b"\x00" in data:
        # Crash holes (NUL runs) occur inside real logs: binary only with no log line at all.
        return _LOG_LINE_BYTES.search(data) is None
    ctrl = sum(1 for b in data[:4096] if b < 32 and b not in (9, 10, 12, 13, 27))
    return ctrl > max(8, len(data[:4096]) // 20)


def _report_json(text: str) -> Optional[List[str]]:
    head = text.lstrip()
    if not head.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        if "lmdoctor" in obj and ("findings" in obj or "command" in obj):
            return [f'JSON with "lmdoctor": {str(obj.get("lmdoctor"))[:20]!r}, "command": '
                    f'{str(obj.get("command"))[:20]!r}']
        return None
    # Larger than the sniffed head: look for the keys lmdoctor writes first.
    if re.match(r'\{\s*"lmdoctor"\s*:', head) and '"command"' in head[:2000]:
        return ['starts with {"lmdoctor": ..., "command": ...']
    return None


def sniff(data: bytes, limit: int = SNIFF_BYTES) -> Sniff:
    """The kind of file ``data`` (its first bytes are enough) is, with the lines that show it."""
    try:
        return _sniff(bytes(data[:limit]), truncated=len(data) > limit)
    except Exception as exc:  # pragma: no cover - a bug here must never stop a reader
        return Sniff(FileKind.UNKNOWN, [f"lmdoctor could not tell ({type(exc).__name__})"])


def _sniff(data: bytes, truncated: bool) -> Sniff:
    if not data.strip():
        return Sniff(FileKind.EMPTY, ["the file holds no text"] if data else ["the file is empty"])
    if _is_binary(data):
        n = data.count(b"\x00")
        return Sniff(FileKind.BINARY, [f"{n} NUL byte(s) in the first {len(data)} bytes" if n
                                       else "control bytes a text file does not have"])
    text = _decode(data)
    ev = _report_json(text)
    if ev is not None:
        return Sniff(FileKind.REPORT_JSON, ev)
    lines = text.splitlines()
    if truncated and len(lines) > 1:
        lines.pop()  # cut off in the middle: it says little
    lines = lines[:MAX_LINES]
    hits: Dict[FileKind, List[str]] = {FileKind.LICENSE: [], FileKind.DEBUG_LOG: [], FileKind.LMSTAT: [],
                                       FileKind.REPORT_TEXT: []}
    weight: Dict[FileKind, int] = {k: 0 for k in hits}
    nonblank = 0

    def hit(kind: FileKind, n: int, line: str, w: int = 2) -> None:
        weight[kind] += w
        if len(hits[kind]) < MAX_EVIDENCE:
            hits[kind].append(f"line {n}: {line.strip()[:100]}")

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        nonblank += 1
        if _LOG_LINE.match(line):
            hit(FileKind.DEBUG_LOG, n, line, 3 if _LOG_TIMESTAMP.search(line) else 2)
        elif _LMSTAT_STRONG.match(line):
            hit(FileKind.LMSTAT, n, line, 3)
        elif _LMSTAT_WEAK.match(line):
            hit(FileKind.LMSTAT, n, line, 1)
        elif _REPORT_TEXT.match(line):
            hit(FileKind.REPORT_TEXT, n, line, 3)
        elif _LIC_LINE.match(line):
            hit(FileKind.LICENSE, n, line, 3 if _LIC_SIGN.search(line) else 2)
    scores = {k.value: v for k, v in weight.items()}
    ranked = sorted(weight, key=lambda k: -weight[k])
    best, second = ranked[0], ranked[1]
    if weight[best] < 2:
        return Sniff(FileKind.UNKNOWN, [f"none of the first {nonblank} non-blank line(s) is a license, "
                                        "debug-log or lmstat line"], scores)
    # A clear winner: twice the runner-up. A license quoted inside a log (or the reverse)
    # stays the kind of the surrounding file.
    if weight[best] < 2 * weight[second]:
        return Sniff(FileKind.UNKNOWN, [f"mixed: {hits[best][0]} looks like {DESCRIPTION[best]}, "
                                        f"{hits[second][0]} like {DESCRIPTION[second]}"], scores)
    return Sniff(best, hits[best], scores)


def _has_command(kind: FileKind) -> bool:
    """Only hint at a subcommand this lmdoctor has (``view`` arrives with the app's work)."""
    template = COMMAND.get(kind)
    if not template:
        return False
    import importlib.util

    name = template.split()[1]
    try:
        return importlib.util.find_spec(f"{__package__}.commands.{name}") is not None
    except (ImportError, ValueError):
        return False


# Kinds a reader refuses outright (they are certainly another kind). Unknown, empty and
# binary input is left to the reader, which has its own, more specific words for them.
_REFUSE = (FileKind.LICENSE, FileKind.DEBUG_LOG, FileKind.LMSTAT, FileKind.REPORT_JSON, FileKind.REPORT_TEXT)


def wrong_kind_message(data: bytes, expected: FileKind, file: str) -> Optional[str]:
    """The one-line exit-3 message when ``data`` is clearly not ``expected``, else None.

    E.g. "debug.log looks like an lmgrd / vendor-daemon debug log, not a license file
    (line 1: 15:49:07 (lmgrd) pid 5372); try `lmdoctor log debug.log`".
    """
    s = sniff(data)
    if s.kind == expected or s.kind not in _REFUSE:
        return None
    name = "<stdin>" if file == "-" else file
    what = {FileKind.LICENSE: "a license file", FileKind.DEBUG_LOG: "a debug log",
            FileKind.LMSTAT: "lmstat output"}.get(expected, DESCRIPTION.get(expected, str(expected)))
    msg = f"{name} looks like {s.description}, not {what}"
    if s.evidence:
        msg += f" ({s.evidence[0]})"
    cmd = s.command(file) if _has_command(s.kind) else None
    if cmd:
        msg += f"; try `{cmd}`"
    elif s.kind is FileKind.REPORT_TEXT:
        msg += "; give the file the report was made from, or save the report with --format json"
    return msg
