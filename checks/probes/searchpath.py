"""Probe 3: the license search path a FlexNet client on this machine would use.

Sources, in FlexNet's order: ``<VENDOR>_LICENSE_FILE`` (Sigasi: ``SIGASI_LM_LICENSE_FILE``),
``LM_LICENSE_FILE``, ``~/.flexlmrc``, then the default license file. Each entry is a
file, a directory (every ``*.lic`` in it), ``port@host``, ``@host`` or a triad
``p1@h1,p2@h2,p3@h3``; entries are separated by ``:`` on Unix and ``;`` on Windows.

The parser (``parse_search_path``) is pure and never raises; the probe adds the file
system checks.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from ..serverspec import Server, looks_like_server, parse_server_spec
from .context import SEED_FLOAT, SEED_TROUBLE, SEED_TYPICAL, ProbeContext, Target

SIGASI_VAR = "SIGASI_LM_LICENSE_FILE"
GENERIC_VAR = "LM_LICENSE_FILE"
DEFAULT_UNIX = "/usr/local/flexlm/licenses/license.dat"
DEFAULT_WINDOWS = "C:\\flexlm\\license.dat"
MAX_VALUE_CHARS = 32 * 1024  # longer than any sane search path; the rest is not parsed
MAX_ENTRIES = 256
MAX_FLEXLMRC_BYTES = 1024 * 1024
EVIDENCE_CHARS = 200

_TOKEN = re.compile(r"^[A-Za-z0-9]{24}$")
_VAR_NAME = re.compile(r"^[A-Za-z0-9_]+_LICENSE_FILE$")


def shorten(text: str, limit: int = EVIDENCE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... ({len(text)} characters)"


@dataclass(frozen=True)
class PathEntry:
    raw: str
    kind: str  # "path", "port_at_host", "at_host", "triad", "empty", "invalid"
    servers: Tuple[Server, ...] = ()
    problems: Tuple[str, ...] = ()  # "spaces", "localhost", "bad-port", "bad-host", "triad-size", "semicolon", "token"

    @property
    def is_server(self) -> bool:
        return self.kind in ("port_at_host", "at_host", "triad")

    @property
    def path(self) -> str:
        return self.raw.strip()


@dataclass
class ParsedPath:
    entries: List[PathEntry] = field(default_factory=list)
    truncated: bool = False  # the value was absurdly long; only its head was parsed
    length: int = 0


def parse_entry(raw: str) -> PathEntry:
    """One search-path entry. Never raises."""
    text = raw.strip()
    problems: List[str] = []
    if not text:
        return PathEntry(raw, "empty")
    spec = parse_server_spec(raw)
    if spec is not None:
        return PathEntry(raw, spec.kind, spec.servers, spec.problems)
    if looks_like_server(text):  # an '@' in every part is missing somewhere: 27000@a,b
        return PathEntry(raw, "invalid", (), ("invalid",))
    if raw != text:
        problems.append("spaces")
    if ";" in text:
        problems.append("semicolon")
    if _TOKEN.match(text):
        problems.append("token")
    return PathEntry(raw, "path", (), tuple(problems))


def parse_search_path(value: str, windows: bool = False) -> ParsedPath:
    """Split and parse a search path. Never raises, whatever ``value`` holds."""
    if not isinstance(value, str):
        value = str(value)
    out = ParsedPath(length=len(value))
    if len(value) > MAX_VALUE_CHARS:
        value = value[:MAX_VALUE_CHARS]
        out.truncated = True
    sep = ";" if windows else ":"
    pieces = value.split(sep)
    if windows:
        pieces = [p for p in pieces]
    else:
        pieces = _rejoin_drive_letters(pieces)
    if len(pieces) > MAX_ENTRIES:
        pieces = pieces[:MAX_ENTRIES]
        out.truncated = True
    out.entries = [parse_entry(p) for p in pieces]
    return out


def _rejoin_drive_letters(pieces: List[str]) -> List[str]:
    # 'C:\\flexlm\\license.dat' in a Unix variable would split at the drive colon; keep it whole so
    # the finding can name the real mistake (a Windows path on Linux).
    out: List[str] = []
    i = 0
    while i < len(pieces):
        p = pieces[i]
        if len(p.strip()) == 1 and p.strip().isalpha() and i + 1 < len(pieces) and pieces[i + 1].startswith("\\"):
            out.append(p + ":" + pieces[i + 1])
            i += 2
            continue
        out.append(p)
        i += 1
    return out


@dataclass(frozen=True)
class PathSource:
    name: str  # variable name, or "default"
    value: str
    origin: str  # "environment", "~/.flexlmrc", "default", "--license"


def read_flexlmrc(path: str) -> Tuple[Dict[str, str], Optional[str]]:
    """(NAME -> value, error). Lines are NAME=value; anything else is ignored."""
    from ..inputgate import InputError, Kind, open_input

    if not os.path.lexists(path):
        return {}, None
    try:
        # Through the input gate: a FIFO or device planted as ~/.flexlmrc must not hang `check`.
        with open_input(path, Kind.TEXT) as fh:
            data = fh.read(MAX_FLEXLMRC_BYTES + 1)
    except InputError as exc:
        if exc.errno == errno.ENOENT:
            return {}, None
        return {}, str(exc)
    except OSError as exc:
        return {}, f"cannot read {path}: {exc.strerror or exc}"
    if len(data) > MAX_FLEXLMRC_BYTES:
        data = data[:MAX_FLEXLMRC_BYTES]
    text = data.decode("utf-8", "replace")
    out: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        k = k.strip()
        if _VAR_NAME.match(k):
            out.setdefault(k, v.strip())
    return out, None


def _var_order(names: List[str], vendors: List[str]) -> List[str]:
    preferred = [f"{v.upper()}_LM_LICENSE_FILE" for v in vendors] + [f"{v.upper()}_LICENSE_FILE" for v in vendors]
    first = [n for n in preferred if n in names]
    rest = sorted(n for n in names if n not in first and n != GENERIC_VAR)
    tail = [GENERIC_VAR] if GENERIC_VAR in names else []
    return list(dict.fromkeys(first + rest + tail))


def collect_sources(env: Mapping[str, str], home: Optional[str], vendors: List[str],
                    windows: bool = False) -> Tuple[List[PathSource], Optional[str]]:
    """Every search-path source in FlexNet's order, and an error reading ~/.flexlmrc if any."""
    sources: List[PathSource] = []
    env_names = [k for k in env if _VAR_NAME.match(k)]
    for name in _var_order(env_names, vendors):
        sources.append(PathSource(name, str(env[name]), "environment"))
    err = None
    if not windows and home:
        rc, err = read_flexlmrc(os.path.join(home, ".flexlmrc"))
        for name in _var_order(list(rc), vendors):
            sources.append(PathSource(name, rc[name], "~/.flexlmrc"))
    default = DEFAULT_WINDOWS if windows else DEFAULT_UNIX
    sources.append(PathSource("default", default, "default"))
    return sources, err


def server_targets(sources: List[PathSource], windows: bool = False) -> List[Target]:
    """port@host targets from the search path, each triad tagged as a group."""
    out: List[Target] = []
    for src in sources:
        if src.origin == "default":
            continue
        for e in parse_search_path(src.value, windows).entries:
            if not e.is_server or "bad-host" in e.problems or "semicolon" in e.problems:
                continue
            group = e.raw.strip() if e.kind == "triad" else None
            for s in e.servers:
                out.append(Target(s.host, s.port, f"{src.name} ({src.origin})", "lmgrd", group))
    return out


def first_license_file(sources: List[PathSource], windows: bool = False) -> Optional[Tuple[str, PathSource]]:
    """The first readable file a client would read: a file entry, or the first *.lic of a directory."""
    for src in sources:
        for e in parse_search_path(src.value, windows).entries:
            if e.kind != "path":
                continue
            p = e.path
            try:
                if os.path.isfile(p):
                    return p, src
                if os.path.isdir(p):
                    lics = sorted(n for n in os.listdir(p) if n.lower().endswith(".lic"))
                    if lics:
                        return os.path.join(p, lics[0]), src
            except OSError:
                continue
    return None


_PROBLEM_TEXT = {
    "spaces": (Status.WARN, "stray spaces", "Remove the spaces: FlexNet takes them as part of the entry."),
    "localhost": (Status.WARN, "'localhost' instead of 127.0.0.1",
                  "Use 127.0.0.1: 'localhost' may resolve to ::1 (IPv6) first, while an SSH tunnel listens on "
                  "IPv4 only."),
    "bad-port": (Status.FAIL, "a port that is not a number between 1 and 65535",
                 "Write the lmgrd port from the SERVER line, e.g. 27000@server."),
    "bad-host": (Status.FAIL, "a host name that cannot be valid", "Write port@host, e.g. 27000@licserver."),
    "triad-size": (Status.WARN, "a comma list that is not three servers",
                   "A comma list is a redundant triad: exactly three port@host entries, primary first. For "
                   "independent servers use ':' on Linux (';' on Windows)."),
    "semicolon": (Status.WARN, "';' as separator on Unix", "Separate entries with ':' on Linux and macOS (';' is "
                                                          "the Windows separator)."),
    "token": (Status.FAIL, "a 24-character License Token, not a license",
              "A License Token is used to activate a license key on sigasi.com; save the key (file) you receive "
              "and point the variable at it, or at port@server."),
}
_FID = {"spaces": "searchpath.spaces", "localhost": "searchpath.localhost", "bad-port": "searchpath.bad-port",
        "bad-host": "searchpath.bad-entry", "triad-size": "searchpath.triad-size",
        "semicolon": "searchpath.wrong-separator", "token": "searchpath.license-token"}


def probe_searchpath(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                     on_finding: FindingSink = discard) -> List[Finding]:
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    windows = ctx.is_windows
    sources, rc_err = collect_sources(ctx.env, ctx.home_dir(), ctx.all_vendors(), windows)
    if rc_err:
        emit(Finding("searchpath.flexlmrc-unreadable", Status.WARN, "~/.flexlmrc cannot be read", detail=rc_err,
                     fix="Fix its permissions (chmod 600 ~/.flexlmrc) or remove it."))
    set_sources = [s for s in sources if s.origin != "default"]
    names = [s.name for s in set_sources]
    sigasi_set = SIGASI_VAR in names
    if sigasi_set and GENERIC_VAR in names:
        emit(Finding("searchpath.shadowed", Status.INFO, f"{GENERIC_VAR} is ignored by Sigasi Studio",
                     detail=f"{SIGASI_VAR} is set, so Sigasi Studio does not read {GENERIC_VAR}.",
                     evidence=[f"{s.name} ({s.origin}) = {shorten(s.value)}" for s in set_sources
                               if s.name in (SIGASI_VAR, GENERIC_VAR)]))
    if not set_sources:
        default = sources[-1].value
        exists = os.path.exists(default)
        # Sigasi's words unless the license in use is another vendor's (issue 13 item 8).
        from ..license.vendors import words_for, words_for_file

        lic_vendors = ctx.license.vendor_names() if ctx.license is not None else []
        words = words_for_file(lic_vendors) if lic_vendors else words_for("sigasi")
        if words.is_sigasi:
            emit(Finding(
                "searchpath.none", Status.INFO,
                f"No license search path set ({SIGASI_VAR}, {GENERIC_VAR}, ~/.flexlmrc)",
                detail=("FlexNet clients fall back to " + default + (" (present)." if exists else " (absent).")
                        + " Sigasi Studio's preference 'License key path' comes first anyway."),
                fix=f"On a client, set {SIGASI_VAR}=27000@<server> (or the License key path preference).",
                seed_ref=SEED_FLOAT))
        else:
            emit(Finding(
                "searchpath.none", Status.INFO,
                f"No license search path set ({words.env_var}, {GENERIC_VAR}, ~/.flexlmrc)",
                detail="FlexNet clients fall back to " + default + (" (present)." if exists else " (absent).")
                       + " An application's own license setting may come first.",
                fix=f"On a client, {words.client_setting('27000@<server>')}."))
    for src in set_sources:
        cancel.check()
        _check_source(emit, src, windows)
    return out


def _check_source(emit, src: PathSource, windows: bool) -> None:
    where = f"{src.name} ({src.origin})"
    parsed = parse_search_path(src.value, windows)
    if parsed.truncated:
        emit(Finding(
            "searchpath.too-long", Status.WARN, f"{where} is {parsed.length} characters long",
            detail=f"Only the first {MAX_VALUE_CHARS} characters / {MAX_ENTRIES} entries were checked; a search path "
                   "this long is almost certainly a mistake (a file pasted into the variable?).",
            fix=f"Set {src.name} to the license file or port@server only.", evidence=shorten(src.value)))
    bad = False
    non_empty = [e for e in parsed.entries if e.kind != "empty"]
    if not non_empty:
        emit(Finding("searchpath.empty", Status.WARN, f"{where} is set but empty",
                     fix="Unset it or set it to 27000@<server>.", seed_ref=SEED_FLOAT))
        return
    if len(non_empty) != len(parsed.entries):
        emit(Finding("searchpath.empty-entry", Status.INFO, f"{where} has empty entries (doubled or trailing "
                     f"separator)", evidence=shorten(src.value), fix="Remove the extra separator."))
    for e in parsed.entries:
        for prob in e.problems:
            status, what, fix = _PROBLEM_TEXT[prob]
            emit(Finding(_FID[prob], status, f"{where}: {what}", fix=fix, evidence=repr(shorten(e.raw)),
                         seed_ref=SEED_TROUBLE if prob in ("localhost", "token") else SEED_FLOAT))
            bad = bad or status is Status.FAIL
        if e.kind == "invalid":
            bad = True
            emit(Finding("searchpath.bad-entry", Status.FAIL, f"{where}: entry is neither a path nor port@host",
                         evidence=repr(shorten(e.raw)), fix="Write port@host, e.g. 27000@licserver, or a file path."))
        elif e.kind == "path" and "token" not in e.problems:
            bad = _check_file(emit, where, e.path, windows) or bad
    if not bad:
        emit(Finding("searchpath.entry-ok", Status.OK, f"{where} = {shorten(src.value, 120)}",
                     evidence=[shorten(e.raw) for e in non_empty[:10]]))


def _check_file(emit, where: str, path: str, windows: bool) -> bool:
    """File system checks for a path entry; True when it is a failure."""
    if not windows and re.match(r"^[A-Za-z]:[\\/]", path):
        emit(Finding("searchpath.windows-path", Status.FAIL, f"{where}: a Windows path on this Unix machine",
                     evidence=repr(shorten(path)), fix="Use the Unix path of the license file, or port@server."))
        return True
    try:
        st = os.stat(path)
    except FileNotFoundError:
        emit(Finding("searchpath.missing", Status.WARN, f"{where}: {shorten(path, 120)} does not exist",
                     fix="Correct the path, or point the variable at port@server.", seed_ref=SEED_TYPICAL))
        return False
    except PermissionError:
        emit(Finding("searchpath.unreadable", Status.FAIL, f"{where}: {shorten(path, 120)} cannot be reached "
                     "(permission denied)", fix="Make the file and its folders readable by the user running Sigasi "
                                                 "Studio."))
        return True
    except (OSError, ValueError) as exc:
        emit(Finding("searchpath.bad-entry", Status.FAIL, f"{where}: cannot use {shorten(path, 120)}",
                     detail=str(exc)[:200], fix="Correct the path."))
        return True
    if stat.S_ISDIR(st.st_mode):
        try:
            lics = [n for n in os.listdir(path) if n.lower().endswith(".lic")]
        except OSError:
            emit(Finding("searchpath.unreadable", Status.FAIL, f"{where}: folder {shorten(path, 120)} cannot be "
                         "listed", fix="Make the folder readable."))
            return True
        if not lics:
            emit(Finding("searchpath.empty-dir", Status.WARN, f"{where}: folder {shorten(path, 120)} has no *.lic "
                         "files", detail="FlexNet reads only files ending in .lic from a folder in the search path.",
                         fix="Rename the license file to end in .lic, or point at the file itself."))
        return False
    if not os.access(path, os.R_OK):
        emit(Finding("searchpath.unreadable", Status.FAIL, f"{where}: {shorten(path, 120)} is not readable",
                     fix=f"chmod a+r {path}"))
        return True
    from ..inputgate import InputError, Kind, open_input

    try:
        with open_input(path, Kind.LICENSE) as fh:
            head = fh.read(64 * 1024)
    except (OSError, InputError) as exc:
        emit(Finding("searchpath.unreadable", Status.FAIL, f"{where}: {shorten(path, 120)} cannot be read",
                     detail=str(exc)[:200], fix=f"chmod a+r {path}"))
        return True
    words = re.findall(rb"(?m)^\s*(SERVER|VENDOR|DAEMON|FEATURE|INCREMENT|USE_SERVER|PACKAGE)\b", head)
    if not words:
        emit(Finding("searchpath.not-a-license", Status.WARN, f"{where}: {shorten(path, 120)} does not look like a "
                     "license file", detail="No SERVER, DAEMON, FEATURE or INCREMENT line in it.",
                     fix=f"Check it with 'lmdoctor lint {path}'.", seed_ref=SEED_TROUBLE))
        return False
    return False
