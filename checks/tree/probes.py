"""Probe steps of the tree: names the data files use, mapped to functions that measure.

A probe answers one node's question from what lmdoctor can see: the license file (lint
findings), this machine (the live probes of ``checks.probes``), the debug log, and the
pasted message itself. It returns an outcome, which is the key of one of the node's
choices, plus the evidence it saw. When it cannot know (no license given, this machine
is not the server, a module is missing), it returns ``unknown`` and the walk asks the
person instead. Probes never raise: an unexpected error is an ``unknown`` with the error
as evidence.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, Union

from ..findings import Finding
from ..flexnet.catalogue import Cause
from ..runtime import NEVER_CANCELLED, CancelToken
from .model import UNKNOWN

if TYPE_CHECKING:  # imported where used: the probes' modules load only when the walk reaches them
    from ..flexnet.catalogue import CatalogueMatch
    from ..hostinfo import HostIdentity
    from ..license import LicenseFile
    from ..probes.context import ProbeContext
    from ..probes.reachability import Attempt
    from ..probes.snapshot import ProcessScan, ProcInfo

T = TypeVar("T")
LOG_TAIL_BYTES = 512 * 1024  # the end of a debug log holds the latest start; logs can be gigabytes


@dataclass
class ProbeResult:
    outcome: str
    evidence: List[str] = field(default_factory=list)
    source: str = ""  # what was measured: "license lint", "processes", "debug log", "message" ...

    @property
    def known(self) -> bool:
        return self.outcome != UNKNOWN


def unknown(why: str, source: str = "") -> ProbeResult:
    return ProbeResult(UNKNOWN, [why], source)


@dataclass
class ProbeEnv:
    """What probes may look at: the pasted message, the license, the debug log, and this machine.

    The machine is seen through the live probes' one ``ProbeContext`` (``context()``): it takes
    the process snapshot and reads the host identity once, and answers "is this the license
    server" for the tree and for ``lmdoctor check`` alike. Everything slow is computed once, on
    first use, and cached.
    """

    message: str = ""
    license_path: Optional[str] = None
    log_paths: List[str] = field(default_factory=list)
    servers: List[str] = field(default_factory=list)  # PORT@HOST as given on the command line
    timeout: float = 3.0
    product_version: Optional[int] = None
    live: bool = True  # may look at this machine's processes, sockets and files
    cancel: CancelToken = NEVER_CANCELLED
    _cache: Dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _context: Optional[ProbeContext] = field(default=None, repr=False)

    def cached(self, key: str, compute: Callable[[], T]) -> Union[T, Exception]:
        with self._lock:
            if key not in self._cache:
                try:
                    self._cache[key] = compute()
                except Exception as exc:  # a probe's helper failing is an unknown, never a crash
                    self._cache[key] = exc
            return self._cache[key]

    def context(self) -> ProbeContext:
        """The one ProbeContext of this walk. The license joins it as soon as it is read."""
        from ..probes.context import ProbeContext

        with self._lock:
            if self._context is None:
                self._context = ProbeContext(servers=list(self.servers), timeout=self.timeout)
            return self._context

    # ------------------------------------------------------------------ license
    def license(self) -> Tuple[Optional[LicenseFile], str]:
        """(LicenseFile, its path) or (None, why not)."""
        def load() -> Tuple[Optional[LicenseFile], str]:
            from ..inputgate import InputError
            from ..license import parse_license_file

            path = self.license_path or self._license_from_process()
            if not path:
                return (None, "no license file given (--license FILE) and no running lmgrd names one")
            try:
                lic = parse_license_file(path)
            except InputError as exc:
                return (None, f"cannot read the license: {exc}")
            ctx = self.context()
            ctx.license, ctx.license_path = lic, path
            return (lic, path)
        r = self.cached("license", load)
        return r if isinstance(r, tuple) else (None, f"cannot read the license: {r}")

    def _license_from_process(self) -> Optional[str]:
        scan = self.scan()
        if scan is None:
            return None
        paths = {p.license_arg for p in scan.by_role("lmgrd") if p.license_arg and "@" not in p.license_arg}
        # Only when it is unambiguous: with two servers lmdoctor must not guess which one is meant.
        if len(paths) == 1:
            path = paths.pop()
            return path if os.path.isfile(path) else None
        return None

    def lint(self) -> Optional[List[Finding]]:
        def run() -> Optional[List[Finding]]:
            from ..license.lint import LintOptions, lint_license

            lic, where = self.license()
            if lic is None:
                return None
            ident = self.identity() if self.live else None
            return lint_license(lic, LintOptions(identity=ident, product_version=self.product_version, label=where))
        r = self.cached("lint", run)
        return r if isinstance(r, list) else None

    # ------------------------------------------------------------------ machine (through the context)
    def identity(self) -> Optional[HostIdentity]:
        try:
            return self.context().get_identity()
        except Exception:  # hostinfo reads sockets and interfaces: a failure means "cannot tell"
            return None

    def scan(self) -> Optional[ProcessScan]:
        """The context's process snapshot; None when live probes are off or processes cannot be listed."""
        if not self.live:
            return None
        scan = self.context().get_scan()
        return None if scan.error else scan

    def live_findings(self, module: str) -> Optional[List[Finding]]:
        """Findings of one live probe module (``checks.probes.<module>``), or None if it cannot run."""
        if not self.live:
            return None

        def run() -> List[Finding]:
            import importlib

            mod = importlib.import_module(f"lmdoctor.checks.probes.{module}")
            func = getattr(mod, f"probe_{module}")
            self.license()  # the probes judge the license in use
            return list(func(self.context(), self.cancel, lambda f: None))
        r = self.cached(f"live:{module}", run)
        return r if isinstance(r, list) else None

    def own_processes(self) -> Optional[Tuple[List[ProcInfo], List[ProcInfo], ProcessScan]]:
        """(lmgrds, vendor daemons, snapshot): the servers of this license (all of them when no
        license is known); None when processes cannot be seen."""
        scan = self.scan()
        if scan is None:
            return None
        self.license()
        lmgrds, vendors = self.context().serving_processes()
        return lmgrds, vendors, scan

    def server_here(self) -> Optional[bool]:
        """True when this machine is the license server; None when lmdoctor cannot tell."""
        own = self.own_processes()
        if own is not None and (own[0] or own[1]):
            return True
        lic, _ = self.license()
        return True if lic is not None and self.context().license_names_this_host() else None

    # ------------------------------------------------------------------ text
    def log_text(self) -> Tuple[str, List[str]]:
        """The debug log(s): --log files, else the -l of this license's running lmgrd. (text, sources)."""
        def read() -> Tuple[str, List[str]]:
            paths = list(self.log_paths)
            if not paths and self.live:
                own = self.own_processes()
                if own is not None:
                    for g in own[0]:
                        if g.log_arg:
                            paths.append(g.log_arg.lstrip("+"))
            from ..inputgate import InputError, Kind, open_tail

            texts, used = [], []
            for p in dict.fromkeys(paths):
                try:
                    with open_tail(p, Kind.LOG, LOG_TAIL_BYTES) as fh:
                        texts.append(fh.read().decode("utf-8", "replace"))
                        used.append(p)
                except (OSError, InputError):
                    continue
            return ("\n".join(texts), used)
        r = self.cached("log", read)
        return r if isinstance(r, tuple) else ("", [])


# ---------------------------------------------------------------------- helpers
def _ids(findings: Sequence[Finding]) -> Dict[str, List[Finding]]:
    out: Dict[str, List[Finding]] = {}
    for f in findings:
        out.setdefault(f.id, []).append(f)
    return out


def _ev(findings: Sequence[Finding], limit: int = 4) -> List[str]:
    out = []
    for f in findings[:limit]:
        where = f" ({f.file}:{f.line})" if f.file and f.line else ""
        out.append(f"{f.id}: {f.title}{where}")
    return out


def _lint_or_unknown(env: ProbeEnv):
    found = env.lint()
    if found is None:
        _, why = env.license()
        return None, unknown(why, "license lint")
    return _ids(found), None


def _finding_probe(yes_ids: Sequence[str], no_ids: Sequence[str] = (), yes: str = "yes", no: str = "no",
                   default_no: bool = True):
    """A lint-backed probe: ``yes`` when any of yes_ids was found, else ``no``."""
    def run(env: ProbeEnv) -> ProbeResult:
        ids, unk = _lint_or_unknown(env)
        if unk:
            return unk
        hits = [f for i in yes_ids for f in ids.get(i, [])]
        if hits:
            return ProbeResult(yes, _ev(hits), "license lint")
        if default_no or any(i in ids for i in no_ids):
            seen = [f for i in no_ids for f in ids.get(i, [])]
            return ProbeResult(no, _ev(seen) or [f"none of {', '.join(yes_ids)} in {env.license()[1]}"],
                               "license lint")
        return unknown("the lint checks could not decide", "license lint")
    return run


# ---------------------------------------------------------------------- license probes
COPY_DAMAGE = ("license.sign-damaged", "license.sign-length", "license.typographic-quotes",
               "license.missing-backslash", "license.mail-quote", "license.joined-lines",
               "license.unterminated-quote", "license.space-after-backslash", "license.text-after-backslash",
               "license.backslash-before-blank", "license.backslash-at-eof", "license.non-ascii",
               "license.inline-comment", "license.feature-malformed", "license.utf16", "license.binary",
               "license.empty", "license.no-sign", "license.unknown-line", "license.server-malformed",
               "license.vendor-malformed", "license.bom", "license.cr-line-endings", "license.line-too-long")


def probe_token(env: ProbeEnv) -> ProbeResult:
    if env.license_path is None and env.message and len(env.message) < 200:
        # The pasted message itself may be the token: the lint rule knows what one looks like.
        from ..license import parse_license
        from ..license.lint import LintOptions, lint_license

        hits = [f for f in lint_license(parse_license(env.message), LintOptions(label="<message>"))
                if f.id == "license.token-not-key"]
        if hits:
            return ProbeResult("yes", ["the pasted text is a License Token (24 characters), not a license key"],
                               "message")
    return _finding_probe(["license.token-not-key"])(env)


_HOSTID_MSG = re.compile(r"wrong hostid|invalid host\b|hostid of this system does not match|no valid hostids"
                         r"|hostid[^.\n]{0,60}does not match", re.I)


def probe_hostid(env: ProbeEnv) -> ProbeResult:
    # The pasted message may already say it ("Wrong hostid on SERVER line", "Invalid host"), unless
    # it is about a user name (-9 "username does not match" is not a MAC problem).
    said = _HOSTID_MSG.search(env.message or "")
    if said and not re.search(r"user\s*name", env.message, re.I):
        return ProbeResult("mismatch", [f"the message says so: {_around(env.message, said)}"], "message")
    ids, unk = _lint_or_unknown(env)
    if unk:
        return unk
    bad = ids.get("license.hostid-mismatch", []) + ids.get("license.mac-mismatch", [])
    good = ids.get("license.hostid-matches", []) + ids.get("license.mac-matches", [])
    if bad and not good:
        return ProbeResult("mismatch", _ev(bad), "license lint + this machine's MACs")
    if good:
        return ProbeResult("match", _ev(good), "license lint + this machine's MACs")
    if ids.get("license.hostid-elsewhere"):
        # The key's MAC is not here. On the server (its SERVER host is this machine's name) that is
        # a mismatch; on a client it is normal, so lmdoctor cannot judge.
        lic, _ = env.license()
        ident = env.identity() if env.live else None
        if lic is not None and ident is not None and any(s.host and ident.is_this_host(s.host)
                                                        for s in lic.servers):
            return ProbeResult("mismatch", _ev(ids["license.hostid-elsewhere"])
                               + ["the SERVER host is this machine, yet none of its MACs is the hostid"],
                               "license lint + this machine's MACs")
        return unknown("the key's host id belongs to another machine (this may be a client)", "license lint")
    return unknown("the license has no MAC host id to compare (HOSTID=ANY and no mac:)", "license lint")


def _around(text: str, m: "re.Match[str]", width: int = 70) -> str:
    start = max(0, m.start() - width // 2)
    return " ".join(text[start:m.end() + width // 2].split())


_FEATURE_IN_MSG = (
    re.compile(r"\bFeature:\s*\"?(?P<f>[A-Za-z0-9_][\w.\-/+]*)", re.I),  # MATLAB: "Feature: Simulink"
    re.compile(r"\b(?:OUT|IN|DENIED|QUEUED|UNSUPPORTED|EXPIRED):\s*\"(?P<f>[^\"\s]+)\""),  # log lines
    re.compile(r"\bfeature\s+\"(?P<f>[^\"\s]+)\"", re.I),  # 'for feature "x"'
    re.compile(r"^\s*\"(?P<f>[^\"\s]+)\"\s+v[\d.]+,\s*vendor:", re.M),  # lmdiag / lmstat block
    re.compile(r"\bfeature\s+(?P<f>[A-Za-z][\w.\-]*[\w])\b(?!\s+(?:exists|is|was|has|not)\b)"),
)
_NOT_FEATURES = {"exists", "has", "is", "was", "not", "name", "line", "lines", "database", "the", "this", "for"}


def feature_in_message(text: str) -> Optional[str]:
    """The feature a pasted message names, if it names one."""
    for rx in _FEATURE_IN_MSG:
        for m in rx.finditer(text or ""):
            name = m.group("f").rstrip(".,;:)")
            if name and name.lower() not in _NOT_FEATURES:
                return name
    return None


def probe_has_feature(env: ProbeEnv) -> ProbeResult:
    name = feature_in_message(env.message)
    if name is None:
        return unknown("the message names no feature", "message")
    lic, where = env.license()
    if lic is None:
        return unknown(f"the message names feature {name}; give --license FILE (the server's license) to look it up",
                       "message")
    names: Dict[str, str] = {f.name.lower(): f"{f.kind} {f.name} {f.vendor} {f.version} (line {f.line})"
                             for f in lic.features}
    for e in lic.iter_kind("PACKAGE"):
        for comp in (e.get("COMPONENTS") or "").split():
            names.setdefault(comp.split(":", 1)[0].lower(), f"PACKAGE {e.lead_values()[:1]} component (line "
                                                            f"{e.first_line})")
    if name.lower() in names:
        return ProbeResult("present", [f"the message names feature {name}", f"{where}: {names[name.lower()]}"],
                           "message + license file")
    shown = ", ".join(sorted({f.name for f in lic.features})[:8]) or "no feature lines"
    return ProbeResult("missing", [f"the message names feature {name}", f"{where} has no line for it ({shown})"],
                       "message + license file")


def probe_include_exclude(env: ProbeEnv) -> ProbeResult:
    from ..errors import find_error_codes

    for src, text in _texts(env):
        majors = {r.major for r in find_error_codes(text)}
        low = text.lower()
        if -39 in majors or "not on include" in low:
            return ProbeResult("not-included", [f"{src}: -39 / not on the INCLUDE list"], src)
        if -38 in majors or "on exclude" in low:
            return ProbeResult("excluded", [f"{src}: -38 / on the EXCLUDE list"], src)
    return unknown("the message names neither -39 (INCLUDE) nor -38 (EXCLUDE)", "message")


def probe_server_host(env: ProbeEnv) -> ProbeResult:
    ids, unk = _lint_or_unknown(env)
    if unk:
        return unk
    if ids.get("license.placeholder-host"):
        return ProbeResult("placeholder", _ev(ids["license.placeholder-host"]), "license lint")
    if ids.get("license.host-not-this-machine"):
        return ProbeResult("wrong", _ev(ids["license.host-not-this-machine"]), "license lint")
    if ids.get("license.this-host"):
        return ProbeResult("ok", _ev(ids["license.this-host"]), "license lint")
    lic, _ = env.license()
    if lic is not None and not lic.servers:
        return unknown("the license has no SERVER line", "license lint")
    ident = env.identity() if env.live else None
    if lic is not None and ident is not None:
        hosts = [s.host for s in lic.servers if s.host]
        if any(ident.is_this_host(h) for h in hosts):
            return ProbeResult("ok", [f"SERVER host {h} is this machine" for h in hosts if ident.is_this_host(h)],
                               "license + this machine's names")
        if env.server_here():
            return ProbeResult("wrong", [f"SERVER host {', '.join(hosts)} is not this machine "
                                         f"({', '.join(sorted(ident.names)[:3])}), which serves this license"],
                               "license + this machine's names")
    return unknown("lmdoctor cannot tell whether this machine is the server named on the SERVER line",
                   "license lint")


def probe_server_lines(env: ProbeEnv) -> ProbeResult:
    lic, where = env.license()
    if lic is None:
        return unknown(where, "license file")
    if lic.servers:
        return ProbeResult("present", [f"SERVER {s.host} {s.hostid or ''} (line {s.line})" for s in lic.servers][:3],
                           "license file")
    return ProbeResult("missing", [f"{where}: no SERVER line"], "license file")


def probe_vendor_port(env: ProbeEnv) -> ProbeResult:
    lic, where = env.license()
    if lic is None:
        return unknown(where, "license file")
    if not lic.vendors:
        return ProbeResult("missing", [f"{where}: no DAEMON/VENDOR line"], "license file")
    missing = [v for v in lic.vendors if not v.port]
    if missing:
        return ProbeResult("missing", [f"DAEMON {v.name} has no port= (line {v.line})" for v in missing][:3],
                           "license file")
    return ProbeResult("fixed", [f"DAEMON {v.name} port={v.port} (line {v.line})" for v in lic.vendors][:3],
                       "license file")


def probe_daemon_path(env: ProbeEnv) -> ProbeResult:
    ids, unk = _lint_or_unknown(env)
    if unk:
        return unk
    for fid, outcome in (("license.daemon-path-spaces", "spaces"), ("license.daemon-not-in-c-sigasi", "not-c-sigasi"),
                         ("license.daemon-dir-named-like-daemon", "same-name")):
        if ids.get(fid):
            return ProbeResult(outcome, _ev(ids[fid]), "license lint")
    return ProbeResult("ok", ["no daemon path problem on the DAEMON lines"], "license lint")


def probe_version(env: ProbeEnv) -> ProbeResult:
    if env.product_version is None:
        return unknown("give --product-version MAJOR to compare the key with your Sigasi Studio version",
                       "license lint")
    return _finding_probe(["license.version-too-old"], yes="too-old", no="ok")(env)


def probe_kind(env: ProbeEnv) -> ProbeResult:
    lic, where = env.license()
    if lic is None:
        return unknown(where, "license file")
    if lic.servers:
        return ProbeResult("floating", [f"SERVER line {lic.servers[0].host} (line {lic.servers[0].line})"],
                           "license file")
    feats = list(lic.features)
    if feats and all(f.uncounted for f in feats):
        return ProbeResult("node-locked", [f"{len(feats)} uncounted feature line(s), no SERVER line"],
                           "license file")
    return unknown("the license has no SERVER line and counted features", "license file")


# ---------------------------------------------------------------------- machine probes
def _proc_ev(procs) -> List[str]:
    out = []
    for p in procs[:4]:
        out.extend(p.describe()[:2])
    return out


def probe_lmgrd(env: ProbeEnv) -> ProbeResult:
    own = env.own_processes()
    if own is None:
        return unknown("cannot list this machine's processes" if env.live else "live probes are off", "processes")
    lmgrds, vendors, _ = own
    if lmgrds:
        return ProbeResult("running", _proc_ev(lmgrds), "processes")
    if env.server_here():
        lic, where = env.license()
        return ProbeResult("not-running", [f"no lmgrd runs for {where}" if lic is not None else "no lmgrd runs",
                                           "this machine is the license server (SERVER host or hostid)"],
                           "processes")
    return unknown("no lmgrd here, and nothing says this machine is the license server", "processes")


def probe_vendor(env: ProbeEnv) -> ProbeResult:
    own = env.own_processes()
    if own is None:
        return unknown("cannot list this machine's processes" if env.live else "live probes are off", "processes")
    lmgrds, vendors, _ = own
    if vendors:
        return ProbeResult("running", _proc_ev(vendors), "processes")
    if lmgrds:
        return ProbeResult("not-running", ["lmgrd runs without a vendor daemon:"] + _proc_ev(lmgrds), "processes")
    return unknown("no lmgrd runs here to own a vendor daemon", "processes")


def probe_duplicate(env: ProbeEnv) -> ProbeResult:
    own = env.own_processes()
    if own is None:
        return unknown("cannot list this machine's processes" if env.live else "live probes are off", "processes")
    lmgrds, vendors, scan = own
    # Duplicates of *this* license only: other licenses' servers on the machine are not its problem
    # (the processes probe reports those machine-wide).
    if len(lmgrds) > 1:
        return ProbeResult("yes", [f"{len(lmgrds)} lmgrd processes for this license:"] + _proc_ev(lmgrds), "processes")
    parents = {v.ppid for v in vendors}
    if len(vendors) > 1 and len(parents) > 1:
        return ProbeResult("yes", [f"{len(vendors)} vendor daemons for this license, from different parents:"]
                           + _proc_ev(vendors), "processes")
    # The manual's case: this license's lmgrd lost its vendor daemon while another daemon of the
    # same vendor (another lmgrd's, or an orphan) holds the vendor lock on this machine.
    if lmgrds and not vendors:
        mine = {g.pid for g in lmgrds}
        names = {v.base for v in scan.by_role("vendor")}
        others = [v for v in scan.by_role("vendor") if v.ppid not in mine and v.base in names]
        # The log says why the vendor daemon left; another reason (port in use, nothing to
        # serve ...) means the other daemon is a bystander, not the cause.
        reasons = _exit_reasons(_latest_session(env.log_text()[0]))
        if reasons and reasons[-1][0] != 9:
            pass
        elif others:
            ev = ["lmgrd runs without its vendor daemon:"] + _proc_ev(lmgrds)
            ev += ["while another vendor daemon of the same name runs:"] + _proc_ev(others)
            if reasons:
                ev.append(f"debug log: {reasons[-1][1]} (exit reason 9: another server was running)")
            return ProbeResult("yes", ev, "processes + debug log" if reasons else "processes")
    if lmgrds or vendors or env.server_here():
        return ProbeResult("no", [f"{len(lmgrds)} lmgrd and {len(vendors)} vendor daemon(s) for this license"]
                           + _proc_ev(lmgrds + vendors), "processes")
    return unknown("no license server runs here, and nothing says this machine is the server", "processes")


_PORT_IN_MSG = re.compile(r"port number in the license,?\s*(\d{1,5})|tcp[_ -]port\s*(\d{1,5})\b[^\n]*in use", re.I)


def probe_listener_port(env: ProbeEnv) -> ProbeResult:
    if not env.live:
        named = [a or b for a, b in _PORT_IN_MSG.findall(env.message or "")]
        if named:
            p = named[0]
            return unknown(f"the message names port {p}: on the server `ss -ltnp 'sport = :{p}'` (Linux) or "
                           f"`netstat -ano | findstr :{p}` (Windows) shows who holds it; --auto there looks itself",
                           "message")
        return unknown("live probes are off", "listeners")
    own = env.own_processes()
    if own is None:
        return unknown("cannot list this machine's processes", "listeners")
    if env.server_here() is None:
        return unknown("this machine does not look like the license server", "listeners")
    lmgrds, vendors, scan = own
    text = env.message + "\n" + env.log_text()[0]
    ports = [int(a or b) for a, b in _PORT_IN_MSG.findall(text)]
    if not ports:
        lic, _ = env.license()
        if lic is None:
            return unknown("no port named in the message and no license to read ports from", "listeners")
        ports = [s.port for s in lic.servers if s.port] + [v.port for v in lic.vendors if v.port]
    ports = [p for p in dict.fromkeys(ports) if 0 < p < 65536]
    if not ports:
        return unknown("no fixed port to check", "listeners")
    if scan.listeners is None:
        return unknown(scan.listeners_error or "cannot read the socket table", "listeners")
    mine = {p.pid for p in lmgrds + vendors}
    verdict, ev = "free", []
    for port in ports:
        holders = [sock for sock in scan.listeners if sock.port == port and sock.pid not in mine]
        for sock in holders:
            proc = scan.find(sock.pid) if sock.pid else None
            if proc is not None and proc.role in ("lmgrd", "vendor"):
                ev.extend([f"port {port} ({sock.label}) is held by another license server:"] + proc.describe()[:2])
                verdict = "license-server"
            else:
                name = proc.name if proc is not None else _proc_name(sock.pid)
                ev.append(f"port {port} ({sock.label}) is held by {name} (pid {sock.pid if sock.pid else '?'})")
                if verdict != "license-server":
                    verdict = "foreign"
        if not holders:
            ev.append(f"port {port}: no other process listens")
    return ProbeResult(verdict, ev, "listeners")


def _proc_name(pid: Optional[int]) -> str:
    if not pid:
        return "a process lmdoctor may not see (run as root to name it)"
    try:
        import psutil

        return psutil.Process(pid).name()
    except Exception:
        return "an unknown process"


def _net_targets(env: ProbeEnv) -> Tuple[List[Tuple[str, int]], List[Tuple[str, int]], str]:
    """(lmgrd endpoints, vendor endpoints, where they came from)."""
    from ..serverspec import parse_server_spec

    lm: List[Tuple[str, int]] = []
    for raw in env.servers:
        spec = parse_server_spec(raw)
        if spec is None or "bad-host" in spec.problems:
            continue
        for srv in spec.servers:
            if srv.port is not None:  # @host has no fixed port to try
                lm.append((srv.host, srv.port))
    lic, _ = env.license()
    src = "--server"
    if not lm and lic is not None:
        from ..license.placeholders import usable_host

        for sl in lic.servers:
            if sl.port and usable_host(sl.host):
                lm.append((sl.host, int(sl.port)))
        src = "license SERVER line"
    vend: List[Tuple[str, int]] = []
    if lic is not None:
        for host, _ in lm:
            for v in lic.vendors:
                if v.port:
                    vend.append((host, int(v.port)))
    return lm, vend, src


def _connect(env: ProbeEnv, endpoints: List[Tuple[str, int]]) -> Dict[Tuple[str, int], List[Attempt]]:
    from ..probes.reachability import probe_endpoints

    return probe_endpoints(endpoints, env.timeout, env.cancel)


_NET_OUTCOME = {"open": "open", "refused": "refused", "timed out": "timeout", "unreachable": "timeout",
                "name not found": "dns"}


def _summary(attempts) -> str:
    outs = [a.outcome for a in attempts if a.outcome != "no IPv6"] or [a.outcome for a in attempts]
    return "open" if "open" in outs else (outs[0] if outs else "error")


def probe_net_server(env: ProbeEnv) -> ProbeResult:
    lm, _, src = _net_targets(env)
    if not lm:
        return unknown("no server to contact: give --server PORT@HOST (or a license with a SERVER line and port)",
                       "network")
    res = env.cached("net:" + repr(lm), lambda: _connect(env, lm))
    if isinstance(res, Exception):
        return unknown(f"cannot test the connection: {res}", "network")
    ev: List[str] = []
    outcomes: List[str] = []
    for ep in lm:
        attempts = res.get(ep, [])
        s = _summary(attempts)
        outcomes.append(_NET_OUTCOME.get(s, UNKNOWN))
        ev.extend(a.label for a in attempts[:3])
    ev.append(f"targets from {src}")
    if "open" in outcomes:
        return ProbeResult("open", ev, "network")
    known = [o for o in outcomes if o != UNKNOWN]
    return ProbeResult(known[0], ev, "network") if known else unknown("; ".join(ev), "network")


def probe_net_vendor(env: ProbeEnv) -> ProbeResult:
    lm, vend, src = _net_targets(env)
    if not vend:
        return unknown("the vendor daemon port is not fixed in the license (or no license/server given), "
                       "so lmdoctor cannot test it", "network")
    res = env.cached("net:" + repr(vend), lambda: _connect(env, vend))
    if isinstance(res, Exception):
        return unknown(f"cannot test the connection: {res}", "network")
    ev: List[str] = []
    states: List[str] = []
    for ep in vend:
        attempts = res.get(ep, [])
        states.append(_summary(attempts))
        ev.extend(a.label for a in attempts[:3])
    if "open" in states:
        return ProbeResult("open", ev, "network")
    if all(st == "refused" for st in states):
        # The host answered and said nothing listens: the daemon is down, not firewalled.
        return ProbeResult("refused", ev, "network")
    return ProbeResult("blocked", ev, "network")


def probe_searchpath(env: ProbeEnv) -> ProbeResult:
    found = env.live_findings("searchpath")
    if found is None:
        return unknown("cannot read the license search path here", "search path")
    ids = _ids(found)
    bad_ids = [i for i in ids if i in ("searchpath.bad-entry", "searchpath.bad-port", "searchpath.missing",
                                       "searchpath.empty", "searchpath.empty-entry", "searchpath.not-a-license",
                                       "searchpath.unreadable", "searchpath.wrong-separator",
                                       "searchpath.license-token", "searchpath.spaces", "searchpath.empty-dir",
                                       "searchpath.windows-path", "searchpath.triad-size")]
    if bad_ids:
        return ProbeResult("bad", _ev([f for i in bad_ids for f in ids[i]]), "search path")
    if ids.get("searchpath.entry-ok"):
        return ProbeResult("ok", _ev(ids["searchpath.entry-ok"]), "search path")
    # Nothing in the environment: Sigasi Studio's License Key preference (which lmdoctor cannot
    # read) may still hold the path, so ask.
    return unknown("no license variable or ~/.flexlmrc entry here; the License Key preference may still hold it",
                   "search path")


def probe_tunnel(env: ProbeEnv) -> ProbeResult:
    servers_local = [s for s in env.servers if s.lower().endswith("@localhost")]
    if servers_local:
        return ProbeResult("yes", [f"--server {s} uses localhost" for s in servers_local], "arguments")
    found = env.live_findings("tunnels")
    if found is None:
        return unknown("cannot look for SSH tunnels here", "tunnels")
    ids = _ids(found)
    if ids.get("tunnel.localhost-ipv4"):
        return ProbeResult("yes", _ev(ids["tunnel.localhost-ipv4"]), "tunnels")
    if ids.get("tunnel.found") or ids.get("tunnel.none"):
        return ProbeResult("no", _ev(ids.get("tunnel.found", []) + ids.get("tunnel.none", [])), "tunnels")
    return unknown("the tunnel probe gave no answer", "tunnels")


def probe_mac_tools(env: ProbeEnv) -> ProbeResult:
    import sys

    if not sys.platform.startswith("linux"):
        return ProbeResult("present", [f"this machine runs {sys.platform}, not Linux"], "system")
    found = env.live_findings("identity")
    if found is None:
        return unknown("cannot check for ip / ifconfig here", "system")
    ifc = [f for f in found if f.id == "identity.ifconfig"]
    if ifc and ifc[0].status.value == "info":  # the identity probe says missing as info
        return ProbeResult("ifconfig-missing", _ev(ifc), "system")
    if ifc:
        return ProbeResult("present", _ev(ifc), "system")
    return unknown("the identity probe did not report ifconfig", "system")


def probe_usr_tmp(env: ProbeEnv) -> ProbeResult:
    import sys

    if sys.platform.startswith("win"):
        return ProbeResult("ok", ["Windows: /usr/tmp does not apply"], "system")
    found = env.live_findings("system")
    if found is None:
        return unknown("cannot check /usr/tmp here", "system")
    ids = _ids(found)
    bad = ids.get("system.usr-tmp-missing", []) + ids.get("system.usr-tmp-not-writable", [])
    if bad:
        return ProbeResult("broken", _ev(bad), "system")
    if ids.get("system.usr-tmp"):
        return ProbeResult("ok", _ev(ids["system.usr-tmp"]), "system")
    return unknown("the system probe did not report /usr/tmp", "system")


def probe_lsb(env: ProbeEnv) -> ProbeResult:
    found = env.live_findings("system")
    if found is not None:
        ids = _ids(found)
        if ids.get("system.lsb-loader-missing"):
            return ProbeResult("missing", _ev(ids["system.lsb-loader-missing"]), "system")
        if ids.get("system.loader"):
            return ProbeResult("present", _ev(ids["system.loader"]), "system")
    if not env.live:
        return unknown("live probes are off", "system")
    # No FlexNet binary found to read its loader from: look for the LSB loader itself.
    loader = "/lib64/ld-lsb-x86-64.so.3"
    if os.path.exists(loader):
        return ProbeResult("present", [f"{loader} exists"], "system")
    if os.path.isdir("/lib64"):
        return ProbeResult("missing", [f"{loader} does not exist"], "system")
    return unknown("this is not a 64-bit Linux with /lib64", "system")


# ---------------------------------------------------------------------- text probes
# Which message means which cause is the catalogue's (its entries' ``cause``); how the tree
# groups causes into the outcomes of log.reason is this table's, in priority order.
_CAUSE_OUTCOMES = (
    (Cause.ANOTHER_SERVER, "another-server"), (Cause.PORT_IN_USE, "port-in-use"),
    (Cause.WRONG_HOSTID, "wrong-host"), (Cause.WRONG_HOSTNAME, "wrong-host"),
    (Cause.NO_SERVER_LINES, "no-server-lines"), (Cause.LSB_LOADER, "lsb"), (Cause.LOCK_DIR, "usr-tmp"),
    (Cause.UNSUPPORTED_WINDOWS, "createprocess"), (Cause.DAEMON_EXIT, "exited"), (Cause.LMGRD_LINK, "exited"),
)
_EXIT_OUTCOME = {9: "another-server", 3: "port-in-use", 2: "wrong-host", 1: "bad-config", 4: "no-features",
                 5: "communication", 14: "lmgrd-asked"}
_LAST_START = re.compile(r"^.*\(lmgrd\).*(?:FlexNet Licensing|FLEXnet Licensing|FLEXlm).*started on.*$", re.M | re.I)


def _latest_session(text: str) -> str:
    """The log from the last lmgrd start-up on: older runs must not decide today's problem."""
    last = None
    for m in _LAST_START.finditer(text):
        last = m
    return text[last.start():] if last else text


def _catalogue_hits(text: str) -> List[CatalogueMatch]:
    from ..flexnet.catalogue import search_text

    return search_text(text)


def _texts(env: ProbeEnv) -> List[Tuple[str, str]]:
    out = []
    if env.message.strip():
        out.append(("message", env.message))
    log, used = env.log_text()
    if log.strip():
        out.append(("debug log " + ", ".join(used), _latest_session(log)))
    return out


def _exit_reasons(text: str) -> List[Tuple[Optional[int], str]]:
    from ..errors import decode_exit_signal, find_exit_signals

    # lmgrd's own exit is a Unix signal (15: stopped on purpose), not a vendor daemon's reason.
    own = {h.line for h in _catalogue_hits(text) if h.entry.cause is Cause.LMGRD_EXIT}
    if own:
        text = "\n".join(ln for ln in text.splitlines() if ln not in own)
    out: List[Tuple[Optional[int], str]] = []
    for ref in find_exit_signals(text):
        if ref.reason is not None:
            out.append((ref.reason, ref.raw))
            continue
        if ref.text and "another server" in ref.text.lower():
            out.append((9, ref.raw))
            continue
        decoded = decode_exit_signal(ref.signal, None)
        reasons = {d.reason for d in decoded}
        if len(reasons) == 1:  # unambiguous across Unix and Windows bases
            out.append((reasons.pop(), ref.raw))
    return out


def probe_log_reason(env: ProbeEnv) -> ProbeResult:
    texts = _texts(env)
    for src, text in texts:
        hits = _catalogue_hits(text)
        by_cause: Dict[Cause, list] = {}
        for h in hits:
            by_cause.setdefault(h.entry.cause, []).append(h)
        for cause, outcome in _CAUSE_OUTCOMES:
            if cause in by_cause:
                if outcome == "exited":
                    for reason, raw in _exit_reasons(text):
                        mapped = _EXIT_OUTCOME.get(reason) if reason is not None else None
                        if mapped in ("another-server", "port-in-use", "wrong-host"):
                            return ProbeResult(mapped, [f"{src}: {raw} (exit reason {reason})"], src)
                return ProbeResult(outcome, [f"{src}: {h.line.strip()[:200]}" for h in by_cause[cause][:2]], src)
    logs = [s for s, _ in texts if s.startswith("debug log")]
    if logs:
        return ProbeResult("nothing", [f"{logs[0]}: no start-up or exit problem lmdoctor knows"], "debug log")
    return unknown("no debug log to read: pass --log FILE, or paste the lmgrd -z output as the message", "debug log")


def probe_exit_reason(env: ProbeEnv) -> ProbeResult:
    for src, text in _texts(env):
        found = _exit_reasons(text)
        if found:
            reason, raw = found[-1]
            outcome = _EXIT_OUTCOME.get(reason, "other") if reason is not None else "other"
            return ProbeResult(outcome, [f"{src}: {raw} (exit reason {reason})"], src)
        causes = {h.entry.cause for h in _catalogue_hits(text)}
        if Cause.ANOTHER_SERVER in causes:
            return ProbeResult("another-server", [f"{src}: another server was running"], src)
        if Cause.LMGRD_LINK in causes:
            return ProbeResult("communication", [f"{src}: vendor daemon can't talk to lmgrd"], src)
    return unknown("no exit signal or status in the message or the log", "message")


def probe_unsupported(env: ProbeEnv) -> ProbeResult:
    for src, text in _texts(env):
        hits = [h for h in _catalogue_hits(text)
                if h.entry.cause in (Cause.UNSUPPORTED_FEATURE, Cause.SIGASI_PROBE)]
        if hits:
            other = [h for h in hits if h.entry.cause is Cause.UNSUPPORTED_FEATURE]
            pick = other or hits
            return ProbeResult("other" if other else "sigasi-probe",
                               [f"{src}: {h.line.strip()[:200]}" for h in pick[:2]], src)
        feats = re.findall(r'UNSUPPORTED:\s*"([^"]+)"', text)
        if feats:
            harmless = {"com.sigasi.hdt.custom", "com.sigasi.hdt.preview"}
            odd = [f for f in feats if f not in harmless]
            return ProbeResult("other" if odd else "sigasi-probe",
                               [f"{src}: UNSUPPORTED {f}" for f in (odd or feats)[:3]], src)
    return unknown("no UNSUPPORTED line in the message or the log", "message")


_LMGRD_VERSION = re.compile(r"\(lmgrd\)\s+FLEX(?:net|lm) Licensing \(v(\d+(?:\.\d+)*)", re.I)
_VENDOR_VERSION = re.compile(r"\((?!lmgrd\))[^()\s]{1,64}\)\s+FLEX(?:net|lm) Licensing version v(\d+(?:\.\d+)*)", re.I)


def _vtuple(v: str) -> Tuple[int, ...]:
    return tuple(int(x) for x in v.split(".") if x.isdigit())


def probe_versions(env: ProbeEnv) -> ProbeResult:
    """lmgrd's version against the vendor daemon's, from the start-up lines of the debug log."""
    for src, text in _texts(env):
        lm = _LMGRD_VERSION.findall(text)
        vd = _VENDOR_VERSION.findall(text)
        if lm and vd:
            a, b = _vtuple(lm[-1]), _vtuple(vd[-1])
            n = min(len(a), len(b), 3)  # builds differ in the 4th part without mattering
            ev = [f"{src}: lmgrd v{lm[-1]}, vendor daemon v{vd[-1]}"]
            if a[:n] == b[:n]:
                return ProbeResult("same", ev, src)
            return ProbeResult("lmgrd-newer" if a[:n] > b[:n] else "lmgrd-older", ev, src)
    return unknown("no lmgrd and vendor daemon start-up versions in the message or the log", "debug log")


# ---------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class ProbeSpec:
    name: str
    outcomes: Tuple[str, ...]
    func: Callable[[ProbeEnv], ProbeResult]
    about: str  # what it measures, for --help / docs
    # Answers from what the person pasted or named (message, --log, --license) without looking at
    # this machine: the walk runs it even without --auto ("use what the text already says").
    text: bool = False


REGISTRY: Dict[str, ProbeSpec] = {s.name: s for s in [
    ProbeSpec("license.token", ("yes", "no"), probe_token, "lint: a License Token pasted as key"),
    ProbeSpec("license.copy-damage", ("damaged", "intact"),
              _finding_probe(COPY_DAMAGE, yes="damaged", no="intact"), "lint: copy damage in the key"),
    ProbeSpec("license.expired", ("yes", "no"), _finding_probe(["license.expired"]), "lint: expired features"),
    ProbeSpec("license.hostid", ("match", "mismatch"), probe_hostid, "message, or lint: key MAC against this "
              "machine's MACs", text=True),
    ProbeSpec("license.server-host", ("placeholder", "wrong", "ok"), probe_server_host, "lint: SERVER host name"),
    ProbeSpec("license.server-lines", ("present", "missing"), probe_server_lines, "license: SERVER lines"),
    ProbeSpec("license.vendor-port", ("fixed", "missing"), probe_vendor_port, "license: DAEMON port="),
    ProbeSpec("license.daemon-path", ("spaces", "not-c-sigasi", "same-name", "ok"), probe_daemon_path,
              "lint: DAEMON path rules"),
    ProbeSpec("license.version", ("too-old", "ok"), probe_version, "lint: key version against --product-version"),
    ProbeSpec("license.kind", ("floating", "node-locked"), probe_kind, "license: floating or node-locked"),
    ProbeSpec("license.flexlm-folder", ("yes", "no"), _finding_probe(["license.flexlm-folder"]),
              "lint: C:\\FlexLM install folder"),
    ProbeSpec("process.lmgrd", ("running", "not-running"), probe_lmgrd, "processes: lmgrd for this license"),
    ProbeSpec("process.vendor", ("running", "not-running"), probe_vendor, "processes: its vendor daemon"),
    ProbeSpec("process.duplicate", ("yes", "no"), probe_duplicate, "processes: another server running"),
    ProbeSpec("listener.port", ("license-server", "foreign", "free"), probe_listener_port,
              "listeners: who holds the port (without --auto: the port the message names)", text=True),
    ProbeSpec("net.server", ("open", "refused", "timeout", "dns"), probe_net_server, "network: lmgrd port"),
    ProbeSpec("net.vendor-port", ("open", "blocked", "refused"), probe_net_vendor, "network: vendor daemon port"),
    ProbeSpec("searchpath.configured", ("ok", "bad"), probe_searchpath, "search path: SIGASI_LM_LICENSE_FILE ..."),
    ProbeSpec("tunnel.localhost", ("yes", "no"), probe_tunnel, "tunnels: localhost through an SSH tunnel"),
    ProbeSpec("identity.mac-tools", ("present", "ifconfig-missing"), probe_mac_tools, "system: ip / ifconfig"),
    ProbeSpec("system.usr-tmp", ("ok", "broken"), probe_usr_tmp, "system: /usr/tmp writable"),
    ProbeSpec("system.lsb-loader", ("present", "missing"), probe_lsb, "system: LSB loader"),
    ProbeSpec("log.reason", tuple(dict.fromkeys(o for _, o in _CAUSE_OUTCOMES)) + ("nothing",), probe_log_reason,
              "debug log / message: why the server stopped", text=True),
    ProbeSpec("log.versions", ("same", "lmgrd-newer", "lmgrd-older"), probe_versions,
              "debug log: lmgrd version against the vendor daemon's", text=True),
    ProbeSpec("message.exit-reason", ("another-server", "port-in-use", "wrong-host", "bad-config", "no-features",
                                      "communication", "lmgrd-asked", "other"), probe_exit_reason,
              "message / log: vendor daemon exit reason", text=True),
    ProbeSpec("message.unsupported", ("sigasi-probe", "other"), probe_unsupported,
              "message / log: which feature is UNSUPPORTED", text=True),
    ProbeSpec("message.include-exclude", ("not-included", "excluded"), probe_include_exclude,
              "message: -39 not on the INCLUDE list / -38 on the EXCLUDE list", text=True),
    ProbeSpec("license.has-feature", ("missing", "present"), probe_has_feature,
              "message + license: is the feature the message names in the license", text=True),
]}


def is_text_probe(name: Optional[str]) -> bool:
    spec = REGISTRY.get(name or "")
    return spec is not None and spec.text


def registry_outcomes() -> Dict[str, Tuple[str, ...]]:
    return {name: spec.outcomes for name, spec in REGISTRY.items()}


def run_probe(name: str, env: ProbeEnv) -> ProbeResult:
    spec = REGISTRY.get(name)
    if spec is None:
        return unknown(f"no probe named {name!r}")
    try:
        result = spec.func(env)
    except Exception as exc:  # a bug in a probe must not end the walk: ask instead
        return unknown(f"the probe failed ({type(exc).__name__}: {exc}); please report it", spec.name)
    if result.outcome != UNKNOWN and result.outcome not in spec.outcomes:
        return unknown(f"the probe returned {result.outcome!r}, which is not one of its outcomes", spec.name)
    return result
