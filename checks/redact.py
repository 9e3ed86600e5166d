"""`--redact`: make a report safe to paste into a ticket.

Hidden: SIGN/SIGN2 values, VENDOR_STRING and NOTICE contents (customer names, MACs of
node-locked keys), user names, host names and IP addresses. Each hidden value gets a
stable alias within the report (``host-1``, ``user-2``, ``ip-1``, ``customer-1``), so the
report still shows that two findings talk about the same machine. Loopback addresses,
``localhost``, placeholders and ``root`` stay: they identify nobody.
"""
from __future__ import annotations

import getpass
import ipaddress
import re
import socket
from dataclasses import replace
from typing import Any, Dict, Iterable, List, Optional

from .findings import Finding, Report

KEEP = {
    "localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "root", "any", "this_host", "demo", "none", "?",
    "your_server_name1", "server", "host", "user", "sigasi", "lmgrd", "default",
}

_SIGN = re.compile(r'\b(SIGN2?)=("[^"]*"?|\S+)', re.I)
_VS = re.compile(r'\b(VENDOR_STRING|NOTICE)=("[^"]*"?|\S+)', re.I)
_VS_LMSTAT = re.compile(r"\b(vendor_string:)\s*\S.*", re.I)
_CUSTOMER_FIELD = re.compile(r"\b(company|name|customer|user|email):([^;\"]+)", re.I)
_PORT_AT_HOST = re.compile(r"(?<![\w.-])\d{0,6}@([A-Za-z0-9_][A-Za-z0-9_.\-]*)")
_USER_AT_HOST = re.compile(r"(?<![\w.@-])([A-Za-z_][\w.\-]*)@([A-Za-z][A-Za-z0-9_.\-]*)")
# A real SERVER line (host, then a host id), not prose like "SERVER line without a port".
_SERVER_LINE = re.compile(r"\bSERVER\s+(\S+)\s+(?:[0-9A-Fa-f]{12}\b|ANY\b|DEMO\b|[A-Z_]+=|\")")
_SERVER_HOST = re.compile(r"\bSERVER host '?([\w.\-]+)'? is\b")
_THIS_MACHINE = re.compile(r"this machine: ([^\n]+)")
# An lmstat user line: "    user host display (v4.0) (server/27000 101), start ..." (display may be a path).
_LMSTAT_USER = re.compile(r"^\s+(\S+) (\S+) (\S+)(?: \S+)* \(v[^)]*\) \(([^/\s)]+)/\d+", re.M)
# A host name followed by more dotted labels is that host's full name: the domain goes with it
# ("licbox" known, "licbox.acme.example" seen: all of it is hidden, not "host-1.acme.example").
# One label that reads as a file extension stays ("licbox.lic", "licbox.log" are files).
_FILE_EXT = r"(?:lic|log|dat|txt|json|md|cfg|conf|opt|bak|old|pid|sh|py)\b"
_DOMAIN_TAIL = r"(?:\.[A-Za-z][A-Za-z0-9-]*){2,}|\.(?!" + _FILE_EXT + r")[A-Za-z][A-Za-z0-9-]*"
_USER_KV = re.compile(r"\buser=([A-Za-z_][\w.\-]*)")
_HOME = re.compile(r"/(?:home|Users)/([^/\s]+)")
_WIN_USER = re.compile(r"\\Users\\([^\\\s]+)", re.I)
# FlexNet keywords, units and words that read like values but identify nobody: never aliased
# (an alias "host-2=ANY" for HOSTID=ANY made reports unreadable).
KEYWORDS = {
    "server", "daemon", "vendor", "use_server", "feature", "increment", "upgrade", "package", "hostid",
    "vendor_string", "notice", "sign", "sign2", "issuer", "issued", "start", "options", "port", "ts_ok",
    "supersede", "dup_group", "user_based", "host_based", "min_borrow", "max_borrow", "borrow", "overdraft",
    "platforms", "ck", "sn", "serial", "uncounted", "permanent", "ethernet", "internet", "composite", "flexid",
    "id_string", "display", "hostname", "lmgrd", "lmutil", "lmstat", "lmdiag", "lmdown", "lmreread", "lmhostid",
    "lmtools", "flexnet", "flexlm", "mac", "tcp", "udp", "ipv4", "ipv6", "localhost", "true", "false",
}
_VERSIONISH = re.compile(r"^v?\d+(?:\.\d+)+[a-z]?$|^-?\d+(?:,\d+)?(?::\d+)?$", re.I)
# MAC addresses: colon or dash separated, or FlexNet's 12 hex digits (with a letter, or one of ours).
_MAC_SEP = re.compile(r"(?<![\w:-])([0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5})(?![\w:-])")
_MAC_BARE = re.compile(r"(?<![\w.:-])([0-9A-Fa-f]{12})(?![\w.:-])")
_USER_AT_IP = re.compile(r"(?<![\w.@-])([A-Za-z_][\w.\-]*)@(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_IPV6_CAND = re.compile(r"(?<![\w:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?)(?![\w:])")


def _strings(report: Report) -> Iterable[str]:
    for f in report.findings:
        yield f.title
        yield f.detail
        yield f.fix
        yield from f.evidence_lines
        if f.file:
            yield f.file
    yield from _meta_strings(report.meta)


def _meta_strings(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _meta_strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _meta_strings(v)


class Redactor:
    def __init__(self) -> None:
        self.aliases: Dict[str, str] = {}  # value (lowercase) -> alias
        self.counts: Dict[str, int] = {}
        self.values: Dict[str, str] = {}  # value -> kind, for the plain replacement pass
        self.macs: Dict[str, str] = {}  # this machine's MACs (12 lowercase hex digits) -> interface

    def alias(self, kind: str, value: str) -> str:
        key = value.lower()
        if key not in self.aliases:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.aliases[key] = f"{kind}-{self.counts[kind]}"
        return self.aliases[key]

    def add(self, kind: str, value: Optional[str]) -> None:
        v = (value or "").strip().strip(",;:()[]'\"")
        if len(v) < 2 or v.lower() in KEEP or v.lower() in KEYWORDS or v.isdigit() or _VERSIONISH.match(v):
            return
        if "=" in v:  # KEY=value: a keyword with its value, never a name
            return
        if kind == "host" and _is_ip(v):
            kind = "ip"
        self.values.setdefault(v, kind)

    # --- collection -------------------------------------------------------------------------
    def collect(self, texts: Iterable[str]) -> None:
        for t in texts:
            if not t:
                continue
            for m in _VS.finditer(t):
                for cm in _CUSTOMER_FIELD.finditer(m.group(2)):
                    self.add("customer", cm.group(2))
            for m in _PORT_AT_HOST.finditer(t):
                self.add("host", m.group(1))
            for m in _USER_AT_HOST.finditer(t):
                self.add("user", m.group(1))
                self.add("host", m.group(2))
            for m in _USER_AT_IP.finditer(t):
                self.add("user", m.group(1))
            for rx in (_SERVER_LINE, _SERVER_HOST):
                for m in rx.finditer(t):
                    self.add("host", m.group(1))
            for m in _LMSTAT_USER.finditer(t):
                self.add("user", m.group(1))
                self.add("host", m.group(2))
                if "/" not in m.group(3):  # a display that is a host name, not /dev/tty
                    self.add("host", m.group(3))
                self.add("host", m.group(4))
            for m in _THIS_MACHINE.finditer(t):
                for name in re.split(r"[,\s]+", m.group(1)):
                    self.add("host", name)
            for rx in (_USER_KV, _HOME, _WIN_USER):
                for m in rx.finditer(t):
                    self.add("user", m.group(1))

    def collect_machine(self) -> None:
        try:
            name = socket.gethostname()
            self.add("host", name)
            self.add("host", name.split(".", 1)[0])
        except OSError:
            pass
        for name in _local_users():
            self.add("user", name)
        try:
            from .hostinfo import local_macs

            self.macs.update(local_macs())
        except Exception:  # noqa: BLE001 - no interfaces readable: MACs are still found in the text
            pass

    # --- replacement ------------------------------------------------------------------------
    def text(self, t: str) -> str:
        if not t:
            return t
        t = _SIGN.sub(lambda m: f'{m.group(1)}="<redacted>"', t)
        t = _VS.sub(lambda m: f'{m.group(1)}="<redacted>"', t)
        t = _VS_LMSTAT.sub(lambda m: f"{m.group(1)} <redacted>", t)
        for value in sorted(self.values, key=len, reverse=True):
            if value.lower() not in t.lower():
                continue
            kind = self.values[value]
            alias = self.alias(kind, value)
            tail = f"(?:{_DOMAIN_TAIL})?" if kind == "host" else ""
            t = re.sub(r"(?<![\w-])" + re.escape(value) + tail + r"(?![\w-])", alias, t, flags=re.I)
        t = _MAC_SEP.sub(lambda m: self._mac(m.group(1)), t)
        t = _MAC_BARE.sub(lambda m: self._mac(m.group(1)), t)
        t = _IPV4.sub(lambda m: self._ip(m.group(1)), t)
        t = _IPV6_CAND.sub(lambda m: self._ip(m.group(1)), t)
        return t

    def _mac(self, text: str) -> str:
        """The same MAC in any spelling (02:fc:..., 02-FC-..., 02fc...) gets the same alias."""
        key = re.sub(r"[:-]", "", text).lower()
        if len(key) != 12 or (key.isdigit() and key not in self.macs) or key in ("000000000000", "ffffffffffff"):
            return text
        if key not in self.aliases:
            self.counts["mac"] = self.counts.get("mac", 0) + 1
            self.aliases[key] = f"mac-{self.counts['mac']}"
        return self.aliases[key]

    def _ip(self, text: str) -> str:
        if not _is_ip(text):
            return text
        addr = ipaddress.ip_address(text.split("%", 1)[0])
        if addr.is_loopback or addr.is_unspecified:
            return text
        return self.alias("ip", text)

    def finding(self, f: Finding) -> Finding:
        ev = f.evidence
        if isinstance(ev, str):
            new_ev: Any = self.text(ev)
        else:
            new_ev = tuple(self.text(str(e)) for e in ev)
        return replace(f, title=self.text(f.title), detail=self.text(f.detail), fix=self.text(f.fix),
                       evidence=new_ev, file=self.text(f.file) if f.file else f.file)

    def meta(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {k: self.meta(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.meta(v) for v in obj]
        return obj


def _local_users() -> List[str]:
    """Who runs lmdoctor: the login name, the sudo user, the uid's name (root stays: see KEEP)."""
    import os

    names: List[str] = []
    try:
        names.append(getpass.getuser())
    except Exception:  # noqa: BLE001 - no name for this uid
        pass
    for var in ("SUDO_USER", "LOGNAME", "USER"):
        if os.environ.get(var):
            names.append(os.environ[var])
    try:
        import pwd

        names.append(pwd.getpwuid(os.getuid()).pw_name)
    except (ImportError, KeyError):
        pass
    return list(dict.fromkeys(names))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
        return True
    except ValueError:
        return False


def redact_report(report: Report, extra_values: Optional[Dict[str, List[str]]] = None) -> Report:
    """A copy of ``report`` with sensitive values replaced by stable aliases."""
    r = Redactor()
    r.collect_machine()
    meta_host = report.meta.get("host") if isinstance(report.meta, dict) else None
    if isinstance(meta_host, dict):
        r.add("host", meta_host.get("name"))
        r.add("host", meta_host.get("fqdn"))
    for kind, vals in (extra_values or {}).items():
        for v in vals:
            r.add(kind, v)
    r.collect(_strings(report))
    findings = [r.finding(f) for f in report.findings]
    meta = r.meta(dict(report.meta))
    meta["redacted"] = True
    return Report(report.command, findings, meta)
