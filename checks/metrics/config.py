"""The exporter's config: a TOML file with one ``[[target]]`` table per license service.

    lmutil = "/opt/flexlm/bin/lmutil"     # optional; default: beside the license, a running lmgrd, PATH
    parallel = 8                          # optional; lmutil processes at once
    deadline = 9                          # optional; seconds a scrape may take at most

    [[target]]
    name = "matlab"
    servers = ["27000@lic1,27000@lic2,27000@lic3"]   # PORT@HOST entries; a triad is one entry
    vendor = "MLM"
    exclude_features = ["MATLAB_Distrib_Comp_Engine"]
    per_user = false                      # user names are personal data: off unless asked
    timeout = 5

A target names either ``servers`` or ``license_file``. Everything is checked when the file is
loaded: an unknown key or a bad value is a :class:`ConfigError` whose message names the file,
the line and the next step (the CLI exits 3 with it).
"""
from __future__ import annotations

import difflib
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from ..exceptions import LmdoctorError

DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 120.0
DEFAULT_PARALLEL = 8
MAX_PARALLEL = 64
# Prometheus' default scrape_timeout is 10 s: answer a little before it gives up.
DEFAULT_DEADLINE = 9.0
MAX_DEADLINE = 300.0
MAX_TARGETS = 1000

TOP_KEYS = ("lmutil", "parallel", "deadline", "target")
TARGET_KEYS = ("name", "servers", "license_file", "vendor", "exclude_features", "per_user", "timeout", "lmutil")

_VENDOR = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ConfigError(LmdoctorError):
    """The config cannot be used. ``str()`` is one line: file, line, problem, next step."""


@dataclass(frozen=True)
class ServerEntry:
    """One ``servers`` entry: a single PORT@HOST (or @HOST), or a redundant triad."""

    text: str  # as written (spaces stripped)
    members: Tuple[Tuple[str, Optional[int]], ...]  # (host, port); port None for '@host'

    @property
    def is_triad(self) -> bool:
        return len(self.members) == 3


@dataclass(frozen=True)
class TargetConfig:
    name: str
    servers: Tuple[ServerEntry, ...] = ()
    license_file: Optional[str] = None
    vendor: Optional[str] = None
    exclude_features: FrozenSet[str] = frozenset()
    per_user: bool = False
    timeout: float = DEFAULT_TIMEOUT
    lmutil: Optional[str] = None
    line: int = 0  # the line of its [[target]] header

    @property
    def spec(self) -> str:
        """What lmutil gets after -c: the license file, or the entries as a search path."""
        if self.license_file:
            return self.license_file
        return ":".join(e.text for e in self.servers)

    @property
    def endpoints(self) -> List[Tuple[str, int]]:
        """Every lmgrd (host, port) named, in order, without duplicates."""
        out: Dict[Tuple[str, int], None] = {}
        for e in self.servers:
            for host, port in e.members:
                if port is not None:
                    out.setdefault((host.lower(), port), None)
        return list(out)


@dataclass(frozen=True)
class ServeConfig:
    targets: Tuple[TargetConfig, ...]
    path: str = ""
    lmutil: Optional[str] = None
    parallel: int = DEFAULT_PARALLEL
    deadline: float = DEFAULT_DEADLINE

    def target(self, name: str) -> Optional[TargetConfig]:
        for t in self.targets:
            if t.name == name:
                return t
        return None


@dataclass
class _Lines:
    """Where keys sit in the file: tomllib gives values, not line numbers, so find them in the text."""

    top: Dict[str, int] = field(default_factory=dict)
    headers: List[int] = field(default_factory=list)  # line of each [[target]]
    keys: List[Dict[str, int]] = field(default_factory=list)  # per [[target]]: key -> line

    @classmethod
    def scan(cls, text: str) -> "_Lines":
        out = cls()
        where: Optional[Dict[str, int]] = out.top
        header = re.compile(r"^\s*\[\[\s*target\s*\]\]\s*(?:#.*)?$")
        other = re.compile(r"^\s*\[")
        table = re.compile(r"^\s*\[{1,2}\s*([^\]]+?)\s*\]")
        key = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*[=.]""")
        for n, line in enumerate(text.splitlines(), start=1):
            if header.match(line):
                out.headers.append(n)
                out.keys.append({})
                where = out.keys[-1]
                continue
            if other.match(line):
                where = None  # a table lmdoctor does not know: reported at its header
                m = table.match(line)
                if m:
                    out.top.setdefault(m.group(1).split(".")[0].strip("\"'"), n)
                continue
            m = key.match(line)
            if m and where is not None:
                name = m.group(1) or m.group(2) or m.group(3)
                where.setdefault(name, n)
        return out

    def of_target(self, index: int, key: Optional[str] = None) -> int:
        if index < len(self.keys) and key is not None and key in self.keys[index]:
            return self.keys[index][key]
        if index < len(self.headers):
            return self.headers[index]
        return self.top.get("target", 0)


def _where(path: str, line: int) -> str:
    return f"{path} line {line}" if line else path


def _suggest(key: str, known: Tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _seconds(value: Any, what: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a number of seconds, not {value!r}")
    if not 0 < value <= limit:
        raise ValueError(f"{what} must be more than 0 and at most {limit:g} seconds, not {value:g}")
    return float(value)


def _executable(value: Any, what: str, base: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be the path of the lmutil program, as a string")
    p = os.path.expanduser(value.strip())
    if not os.path.isabs(p):
        p = os.path.join(base, p)
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        raise ValueError(f"{what} = {value!r} is not an executable file (give the full path of lmutil)")
    return p


def parse_server_entry(text: str) -> ServerEntry:
    """One PORT@HOST, @HOST or triad ``p@a,p@b,p@c``; ValueError says what is wrong with it.

    The project's one server-address validator (``serverspec``), as for every ``--server``.
    """
    from ..serverspec import ServerSpecError, check_server_argument, parse_server_spec

    try:
        clean = check_server_argument(text)
    except ServerSpecError as exc:
        raise ValueError(str(exc)) from None
    spec = parse_server_spec(clean)
    assert spec is not None  # check_server_argument accepted it
    return ServerEntry(clean, tuple((s.host, s.port) for s in spec.servers))


_Fail = Callable[[Optional[str], str], ConfigError]  # (key, message) -> the error, at the key's line


def _target(raw: Dict[str, Any], index: int, lines: _Lines, path: str, base: str) -> TargetConfig:
    def fail(key: Optional[str], message: str) -> ConfigError:
        return ConfigError(f"{_where(path, lines.of_target(index, key))}: {message}")

    label = f"[[target]] #{index + 1}"
    if isinstance(raw.get("name"), str) and raw["name"].strip():
        label = f"[[target]] {raw['name'].strip()!r}"
    for key in raw:
        if key not in TARGET_KEYS:
            raise fail(key, f"unknown key '{key}' in {label}{_suggest(key, TARGET_KEYS)}; "
                            f"known keys: {', '.join(TARGET_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name" if "name" in raw else None, f"{label} needs a name = \"...\" (the 'target' and 'app' label)")
    name = name.strip()
    if len(name) > 100 or any(not c.isprintable() for c in name):
        raise fail("name", f"target name {name!r} must be at most 100 printable characters")
    servers, lic = _target_source(raw, label, base, fail)
    vendor = raw.get("vendor")
    if vendor is not None and (not isinstance(vendor, str) or not _VENDOR.match(vendor)):
        raise fail("vendor", f"vendor in {label} must be a vendor daemon name such as \"sigasi\", not {vendor!r}")
    excl = raw.get("exclude_features", [])
    if isinstance(excl, str):
        excl = [x for x in excl.split(",") if x.strip()]
    if not isinstance(excl, list) or not all(isinstance(x, str) for x in excl):
        raise fail("exclude_features", f"exclude_features in {label} must be a list of feature names")
    per_user = raw.get("per_user", False)
    if not isinstance(per_user, bool):
        raise fail("per_user", f"per_user in {label} must be true or false, not {per_user!r}")
    timeout = DEFAULT_TIMEOUT
    if "timeout" in raw:
        try:
            timeout = _seconds(raw["timeout"], f"timeout in {label}", MAX_TIMEOUT)
        except ValueError as exc:
            raise fail("timeout", str(exc)) from None
    lmutil = None
    if "lmutil" in raw:
        try:
            lmutil = _executable(raw["lmutil"], f"lmutil in {label}", base)
        except ValueError as exc:
            raise fail("lmutil", str(exc)) from None
    return TargetConfig(name=name, servers=tuple(servers), license_file=lic, vendor=vendor,
                        exclude_features=frozenset(x.strip() for x in excl if x.strip()), per_user=per_user,
                        timeout=timeout, lmutil=lmutil, line=lines.of_target(index))


def _target_source(raw: Dict[str, Any], label: str, base: str, fail: _Fail
                   ) -> Tuple[List[ServerEntry], Optional[str]]:
    """What lmutil is pointed at: servers = [...] or license_file = "..." (exactly one of them)."""
    if "servers" in raw and "license_file" in raw:
        raise fail("license_file", f"{label} names both servers and license_file; keep one "
                                   "(lmutil is asked about one of them)")
    if "servers" in raw:
        value = raw["servers"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise fail("servers", f"servers in {label} must be a list of \"PORT@HOST\" strings, "
                                  "e.g. [\"27000@lic1\"] or [\"27000@a,27000@b,27000@c\"] for a triad")
        servers: List[ServerEntry] = []
        for v in value:
            try:
                servers.append(parse_server_entry(v))
            except ValueError as exc:
                raise fail("servers", f"servers in {label}: {exc}") from None
        return servers, None
    if "license_file" not in raw:
        raise fail(None, f"{label} needs servers = [\"PORT@HOST\"] or license_file = \"...\"")
    value = raw["license_file"]
    if not isinstance(value, str) or not value.strip():
        raise fail("license_file", f"license_file in {label} must be a path, as a string")
    lic = os.path.expanduser(value.strip())
    if not os.path.isabs(lic):
        lic = os.path.join(base, lic)
    # Said at start-up, not at the first scrape: a wrong path or a permission is fixed before serving.
    if not os.path.isfile(lic):
        raise fail("license_file", f"license_file {value!r} in {label} is not a file "
                                   "(check the path; relative paths start at the config's folder)")
    if not os.access(lic, os.R_OK):
        raise fail("license_file", f"license_file {value!r} in {label} cannot be read by this user "
                                   "(run lmdoctor serve as a user who can read it)")
    return [], lic


def parse_config(text: str, path: str = "<config>") -> ServeConfig:
    """Read and check a config's text. Raises ConfigError."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.9 / 3.10
        import tomli as tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(text, path, exc) from None
    lines = _Lines.scan(text)
    base = os.path.dirname(os.path.abspath(path)) if not path.startswith("<") else os.getcwd()

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{_where(path, lines.top.get(key, 0))}: {message}")

    for key in data:
        if key not in TOP_KEYS:
            raise fail(key, f"unknown key '{key}'{_suggest(key, TOP_KEYS)}; known top-level keys: "
                            f"{', '.join(TOP_KEYS[:-1])} and [[target]] tables")
    lmutil = None
    if "lmutil" in data:
        try:
            lmutil = _executable(data["lmutil"], "lmutil", base)
        except ValueError as exc:
            raise fail("lmutil", str(exc)) from None
    parallel = data.get("parallel", DEFAULT_PARALLEL)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or not 1 <= parallel <= MAX_PARALLEL:
        raise fail("parallel", f"parallel must be a whole number from 1 to {MAX_PARALLEL}, not {parallel!r}")
    deadline = DEFAULT_DEADLINE
    if "deadline" in data:
        try:
            deadline = _seconds(data["deadline"], "deadline", MAX_DEADLINE)
        except ValueError as exc:
            raise fail("deadline", str(exc)) from None
    raw_targets = data.get("target")
    if raw_targets is None:
        raise ConfigError(f"{path}: no [[target]] tables: add one per license server, e.g.\n"
                          "  [[target]]\n  name = \"sigasi\"\n  servers = [\"27000@licserver\"]")
    if not isinstance(raw_targets, list) or not all(isinstance(t, dict) for t in raw_targets):
        raise fail("target", "'target' must be [[target]] tables (with double brackets)")
    if len(raw_targets) > MAX_TARGETS:
        raise fail("target", f"{len(raw_targets)} targets; lmdoctor serves at most {MAX_TARGETS} from one config")
    targets: List[TargetConfig] = []
    seen: Dict[str, int] = {}
    for i, raw in enumerate(raw_targets):
        t = _target(raw, i, lines, path, base)
        if t.name in seen:
            raise ConfigError(f"{_where(path, lines.of_target(i, 'name'))}: target name {t.name!r} is used twice "
                              f"(first at line {seen[t.name]}); names must be unique")
        seen[t.name] = lines.of_target(i, "name")
        targets.append(t)
    return ServeConfig(targets=tuple(targets), path=path, lmutil=lmutil, parallel=parallel, deadline=deadline)


def _toml_error(text: str, path: str, exc: Exception) -> ConfigError:
    """The parser's message at its line, or what the file looks like when it is no config at all."""
    if "License server status:" in text or re.search(r"^\s*(SERVER|INCREMENT|FEATURE|DAEMON|VENDOR)\s", text, re.M):
        return ConfigError(f"{path} looks like a license file or lmstat output, not an lmdoctor config "
                           "(name a license file in a [[target]] table: license_file = \"...\")")
    msg = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
    if m:
        line, where = int(m.group(1)), f" (column {m.group(2)})"
    elif msg.endswith("(at end of document)"):
        line, where = max(1, len(text.splitlines())), " (at the end of the file)"
    else:
        line, where = 0, ""
    msg = msg[:m.start()] if m else msg.replace(" (at end of document)", "")
    return ConfigError(f"{_where(path, line)}: not valid TOML: {msg}{where}")


def load_config(path: str) -> ServeConfig:
    """Read and check the config file. Raises ConfigError (the CLI exits 3 with its message)."""
    from ..inputgate import InputError, Kind, read_input

    try:
        data = read_input(path, Kind.CONFIG)  # the one input gate: regular files only, a size cap
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if b"\0" in data:
        raise ConfigError(f"{path} is a binary file, not a TOML config")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; save the config as UTF-8") from None
    return parse_config(text, path)
