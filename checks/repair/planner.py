"""From findings to a plan: one action per fixable cause, causes before consequences.

Order: license edits (copy damage first, so the rest can be read), system links, client files,
stopping broken duplicates, then the one server start or restart the changes need, then the
manual steps with the exact data. Findings that are only consequences (nothing listens on the
port because lmgrd refused the placeholder host) get no action of their own: the plan says which
action resolves them.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set

from ..findings import Finding, Status
from ..probes.snapshot import ProcInfo
from ..safe_write import sha256_bytes
from . import license_edits as le
from . import ports as _ports
from . import system_actions as sa
from .context import RepairContext
from .model import ActionKind, PlannedAction, RepairPlan
from .process_actions import Launch, is_mine, launch_for_license, launch_from_process
from .registry import BY_ID

COPY_DAMAGE = ("license.bom", "license.mail-quote", "license.typographic-quotes", "license.space-after-backslash",
               "license.cr-line-endings", "license.missing-backslash", "license.backslash-before-blank",
               "license.joined-lines")
# Findings that only say the server is not serving; the action that makes it serve resolves them.
CONSEQUENCES = ("listener.nothing", "network.refused", "network.vendor-down", "process.no-lmgrd",
                "process.lmgrd-without-vendor", "lmstat.server-down", "lmstat.vendor-down", "lmdiag.cannot-checkout",
                "lmdiag.error", "log.startup", "log.exit", "log.port-in-use", "log.port-open-failed",
                "log.another-server-running", "log.multiple-servers", "log.usr-tmp", "log.wrong-hostid",
                "log.not-valid-server-hostname", "log.no-server-lines", "log.expired", "log.no-features",
                "license.host-not-this-machine")
# Causes lmdoctor cannot fix: starting the server would only fail again.
BLOCKERS = ("license.hostid-mismatch", "license.no-server-lines", "license.no-vendor-line", "license.two-servers",
            "license.too-many-servers", "license.server-port-conflict", "license.server-malformed",
            "license.parse-error", "license.binary", "license.daemon-path-spaces", "license.text-after-backslash",
            "license.unterminated-quote", "license.sign-damaged", "system.daemon-not-executable")
DEFAULT_VENDOR_PORT = 27001


def lmdoctor_command() -> List[str]:
    """How this lmdoctor was started, for the sudo lines (root may not have it on PATH)."""
    a0 = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.basename(a0) == "lmdoctor" and os.path.isfile(a0):
        return [a0]
    return [sys.executable, "-m", "lmdoctor"]


class PlanBuilder:
    def __init__(self, rc: RepairContext, only: Sequence[str] = (), skip: Sequence[str] = (),
                 server_args: Sequence[str] = (), today: Optional[_dt.date] = None,
                 journal_launch: Optional[Launch] = None) -> None:
        self.rc = rc
        self.only = list(only)
        self.skip = set(skip)
        self.server_args = list(server_args)
        self.today = today or _dt.date.today()
        self.actions: List[PlannedAction] = []
        self.notes: List[str] = []
        self.consequences: Dict[str, str] = {}
        self.cur: Optional[bytes] = rc.data  # the license as the edits planned so far leave it
        self.hashes: List[str] = [sha256_bytes(rc.data)] if rc.data is not None else []
        self.blocked: List[PlannedAction] = []  # manual steps that keep the server from starting
        self.stopping: Set[int] = set()
        self.new_ports: Dict[str, int] = {}  # "server" / vendor -> port this plan moves it to
        self.journal_launch = journal_launch

    # ------------------------------------------------------------------ helpers
    def wanted(self, action_id: str) -> bool:
        if action_id in self.skip:
            return False
        if self.only:
            return action_id in self.only
        return action_id not in ("server.install-unit",)

    def add(self, a: PlannedAction) -> Optional[PlannedAction]:
        if not self.wanted(a.id):
            return None
        n = sum(1 for x in self.actions if x.id == a.id)
        a.key = a.id if n == 0 else f"{a.id}#{n + 1}"
        spec = BY_ID.get(a.id)
        if spec is not None and not a.title:
            a.title = spec.does
        self.actions.append(a)
        return a

    def manual(self, action_id: str, title: str, fixes: List[str], steps: List[str], blocks: bool = False,
               target: Optional[str] = None) -> Optional[PlannedAction]:
        a = self.add(PlannedAction(action_id, title, fixes, ActionKind.MANUAL, "\n".join(steps), needs_root=False,
                                   reversible=True, verify="after you have done it, run lmdoctor repair again",
                                   target=target))
        if a is not None and blocks:
            self.blocked.append(a)
        return a

    def fids(self, *ids: str) -> List[str]:
        return sorted({f.id for f in self.rc.has(*ids)})

    def sudo_rerun(self, action_id: str) -> str:
        argv = lmdoctor_command() + ["repair"]
        if self.rc.license_path:
            argv += ["--license", self.rc.license_path]
        for s in self.server_args:
            argv += ["--server", s]
        return sa.sudo_line(argv + ["--only", action_id, "--yes"])

    def license_writable(self) -> bool:
        st = self.rc.state
        if st is None or not st.exists:
            return False
        if self.rc.root:
            return True
        return st.uid == os.geteuid() and os.access(st.target, os.W_OK) and \
            os.access(os.path.dirname(st.target), os.W_OK | os.X_OK)

    def edit(self, action_id: str, title: str, fixes: List[str], op: Callable[..., Any], kwargs: Dict,
             verify: str, copy: bool = False, what: Optional[List[str]] = None) -> Optional[PlannedAction]:
        """A license edit planned on the bytes the earlier edits leave; refused edits become manual steps."""
        if not self.wanted(action_id) or self.cur is None or self.rc.license_path is None:
            return None
        before = self.cur
        try:
            if copy:
                after, what = le.restore_copy(before)
            else:
                after = op(before, **kwargs)
        except le.EditRefused as exc:
            return self.manual(action_id, title, fixes, [f"lmdoctor cannot make this edit safely: {exc}.",
                                                         "Edit the file by hand (see the finding's fix)."])
        if after == before:
            return None
        bad = le.signed_unchanged(before, after, copy_repair=copy)
        if bad:  # never happens unless an edit is wrong: refuse rather than touch signed content
            return self.manual(action_id, title, fixes, [f"lmdoctor refused its own edit: {bad}."])
        st = self.rc.state
        path = self.rc.license_path
        diff = le.unified_diff(before, after, path)
        notes = list(what or [])
        if st is not None and st.via_symlink:
            notes.append(f"{path} is a symbolic link: the edit is made in its target {st.target}")
        needs_root = not self.license_writable()
        a = self.add(PlannedAction(
            action_id, title, fixes, ActionKind.FILE_EDIT, diff, needs_root=needs_root and not self.rc.root,
            reversible=True, verify=verify, target=st.target if st else path, notes=notes,
            sudo=self.sudo_rerun(action_id) if needs_root and not self.rc.root else None,
            payload={"path": path, "op": op.__name__, "kwargs": kwargs, "copy": copy,
                     "before_sha": sha256_bytes(before), "after_sha": sha256_bytes(after), "new": after}))
        if a is not None:
            self.cur = after
            self.hashes.append(sha256_bytes(after))
        return a

    # ------------------------------------------------------------------ facts
    def server_here(self) -> bool:
        """This machine is the license server for the license: it runs (or ran) lmgrd with it, or the key says so."""
        rc = self.rc
        if rc.servers or rc.logs:
            return True
        lic = rc.license
        if lic is None or not lic.servers:
            return False
        return any(rc.identity.has_mac(s.hostid) or (rc.identity.is_this_host(s.host) and s.host.lower() not in (
            "localhost", "127.0.0.1", "::1")) for s in lic.servers)

    def busy(self) -> Set[int]:
        return _ports.listening_ports(self.rc.scan.listeners)

    def license_ports(self) -> Set[int]:
        lic = self.rc.license
        out: Set[int] = set()
        if lic is not None:
            out |= {s.port for s in lic.servers if s.port}
            out |= {v.port for v in lic.vendors if v.port}
        return out | set(self.new_ports.values())

    def holder_is_foreign(self, port: int) -> Optional[str]:
        """Who holds a port, when it is not a FlexNet process of this machine: 'name (pid N)'."""
        from ..probes.snapshot import base_name

        names = {"lmgrd"} | {v.lower() for v in self.rc.vendors()}
        for lst in self.rc.scan.listeners or []:
            if lst.port != port or lst.pid is None:
                continue
            p = self.rc.scan.find(lst.pid)
            name = p.name if p else ""
            if not name:
                try:
                    import psutil

                    name = psutil.Process(lst.pid).name()
                except Exception:
                    name = "?"
            if base_name(name) not in names:
                return f"{name} (pid {lst.pid})"
        return None

    # ------------------------------------------------------------------ rules
    def rule_copy_damage(self) -> None:
        fixes = self.fids(*COPY_DAMAGE)
        if fixes:
            self.edit("license.restore-copy", "Undo the damage copying did to the license", fixes, le.restore_copy,
                      {}, "the lint no longer reports copy damage; signed values read the same", copy=True)

    def rule_server_host(self) -> None:
        rc = self.rc
        fixes = self.fids("license.placeholder-host", "license.host-not-this-machine")
        lic = rc.license
        if not fixes or lic is None or not lic.servers:
            return
        name = rc.identity.short_name
        s = lic.servers[0]
        if len(lic.servers) != 1:
            return  # a triad's host names are each node's own: never rewritten here
        if not self.server_here() or not name:
            self.manual("license.set-server-host", "Put the license server's name on the SERVER line", fixes,
                        [f"Replace '{s.host}' on line {s.line} with the license server's host name (on the server: "
                         "`hostname`; on Windows the System Settings tab of lmtools).",
                         "The host name and port may be changed without breaking the signature."])
            return
        self.edit("license.set-server-host", f"Put this machine's name '{name}' on the SERVER line", fixes,
                  le.set_server_host, {"new_host": name}, f"the SERVER line names {name}; lmgrd accepts it")

    def rule_server_port(self) -> None:
        lic = self.rc.license
        if lic is None or not lic.servers or "license.change-port" in self.skip:
            return
        s = lic.servers[0]
        if len(lic.servers) != 1 or not s.port:
            return
        holder = self.holder_is_foreign(s.port)
        fixes = self.fids("listener.foreign-process", "log.port-in-use", "log.port-open-failed")
        if holder is None or not fixes:
            return
        new = _ports.free_port(s.port, avoid=self.license_ports(), busy=self.busy())
        if new is None:
            self.manual("license.change-port", "Give the SERVER line a free port", fixes,
                        [f"No free port found near {s.port}; stop {holder} or pick a port by hand."])
            return
        a = self.edit("license.change-port", f"Move the SERVER port from {s.port} (held by {holder}) to {new}",
                      fixes, le.set_server_port, {"port": new}, f"port {new} is free now and lmgrd listens on it")
        if a is not None:
            self.new_ports["server"] = new
            a.payload["port_free"] = new
            a.notes.append(f"clients that use {s.port}@{s.host} must change to {new}@{s.host}; open {new} in the "
                           "firewall")

    def rule_vendor_ports(self) -> None:
        lic = self.rc.license
        if lic is None:
            return
        server_ports = {s.port for s in lic.servers if s.port} | ({self.new_ports["server"]}
                                                                     if "server" in self.new_ports else set())
        for v in lic.vendors:
            if not v.name:
                continue
            why = None
            fixes: List[str] = []
            if v.port and v.port in server_ports:
                why, fixes = f"port {v.port} is the SERVER line's port too", self.fids("license.port-clash")
            elif v.port and self.holder_is_foreign(v.port):
                why = f"port {v.port} is held by {self.holder_is_foreign(v.port)}"
                fixes = self.fids("listener.foreign-process", "log.port-in-use", "log.port-open-failed")
            elif v.port_text is None and (self.rc.has("license.vendor-no-port") or self.rc.has(
                    "tunnel.vendor-port-random")):
                why = "it has no port=, so the daemon takes a random port"
                fixes = self.fids("license.vendor-no-port", "tunnel.vendor-port-random")
            if why is None or not fixes:
                continue
            near = v.port or DEFAULT_VENDOR_PORT
            avoid = self.license_ports() | server_ports
            new = near if (v.port_text is None and near not in avoid and _ports.is_free(near, self.busy())) else \
                _ports.free_port(near, avoid=avoid, busy=self.busy())
            if new is None:
                self.manual("license.set-vendor-port", f"Give DAEMON {v.name} a free port", fixes,
                            [f"No free port found near {near}; choose one by hand: DAEMON {v.name} port=<port>."])
                continue
            a = self.edit("license.set-vendor-port", f"Set port={new} on the DAEMON {v.name} line ({why})", fixes,
                          le.set_vendor_port, {"port": new, "vendor": v.name},
                          f"port {new} is free now and {v.name} listens on it")
            if a is not None:
                self.new_ports[v.name] = new
                a.payload["port_free"] = new
                a.notes.append(f"open port {new} in the firewall (and forward it through SSH tunnels)")

    def rule_use_server(self) -> None:
        fixes = self.fids("license.client-no-use-server")
        if fixes:
            self.edit("license.add-use-server", "Add USE_SERVER after the SERVER line (client file)", fixes,
                      le.add_use_server, {}, "the client asks the server instead of reading the feature lines")

    def rule_daemon_path(self) -> None:
        lic = self.rc.license
        fixes = self.fids("system.daemon-missing")
        if lic is None or not fixes or not self.server_here():
            return
        for v in lic.vendors:
            if not v.name or not v.path:
                continue
            base = os.path.dirname(self.rc.license_path or "")
            p = v.path if os.path.isabs(v.path) else os.path.join(base, v.path)
            if os.path.exists(p) or "\\" in v.path:
                continue
            found = self.rc.vendor_daemon_beside(v.name)
            if found is None:
                self.manual("license.fix-daemon-path", f"Put the {v.name} daemon where the DAEMON line says", fixes,
                            [f"{p} does not exist and no {v.name} was found beside lmgrd.",
                             f"Copy {v.name} from the same FlexNet zip as lmgrd there, or correct line {v.line}."])
                continue
            self.edit("license.fix-daemon-path", f"Point DAEMON {v.name} at {found}", fixes, le.set_daemon_path,
                      {"vendor": v.name, "path": found}, f"{found} exists and is executable")

    def rule_usr_tmp(self) -> None:
        rc = self.rc
        roots: List[str] = []
        fixes_log = self.fids("log.usr-tmp")
        for log in rc.logs:
            for parent in log.lock_parents:  # "<root>/usr/tmp"
                if parent.endswith("/usr/tmp") and not os.path.exists(parent):
                    roots.append(parent[: -len("/usr/tmp")] or "/")
        from_log = set(roots)
        host = self.rc.has("system.usr-tmp-missing")
        serving_without = bool(rc.servers and rc.logs and not fixes_log)
        if host and self.server_here() and not roots and not serving_without:
            # Nothing says the server uses another root: it needs this machine's /usr/tmp.
            roots.append("/")
        elif host and serving_without:
            self.notes.append("/usr/tmp is missing, but the running lmgrd's log has no 'Can't make directory' since "
                              "it started (its lock directory is elsewhere, e.g. in its own root): not linked here; "
                              "'lmdoctor repair --only system.link-usr-tmp' does it anyway")
            if "system.link-usr-tmp" in self.only:
                roots.append("/")
        for root in dict.fromkeys(roots):
            p = sa.usr_tmp_link(root)
            if os.path.lexists(p.link):
                continue
            parent = os.path.dirname(p.link)
            needs_root = not os.access(parent, os.W_OK | os.X_OK)
            fixes = fixes_log if root != "/" or fixes_log else []
            fixes = sorted(set(fixes + self.fids("system.usr-tmp-missing"))) if root == "/" else fixes
            self.add(PlannedAction(
                "system.link-usr-tmp", f"Link {p.link} -> {p.target}", fixes or ["system.usr-tmp-missing"],
                ActionKind.LINK, f"ln -s {p.target} {p.link}", needs_root=needs_root and not rc.root,
                reversible=True, verify=f"{p.link} leads to a writable directory",
                target=p.link, notes=[p.why], sudo=sa.sudo_line(["ln", "-s", p.target, p.link]) if needs_root else None,
                payload={"link": p.link, "target": p.target, "why": p.why, "server_needs": root in from_log}))
            # Not a blocker of the start: lmgrd serves without its lock directory (it only logs the failure).

    def rule_lsb(self) -> None:
        for f in self.rc.has("system.lsb-loader-missing"):
            m = re.search(r"loader (\S+), which is missing", f.title)
            loader = m.group(1) if m else "/lib64/ld-lsb-x86-64.so.3"
            p = sa.lsb_link(loader)
            if p is None:
                a = self.manual("system.install-lsb", "Install LSB so the FlexNet binaries can start", [f.id],
                                sa.package_lines("lsb"), blocks=True)
                continue
            a = self.add(PlannedAction(
                "system.link-lsb-loader", f"Link {p.link} -> {p.target} (the manual's workaround)", [f.id],
                ActionKind.LINK, f"cd {os.path.dirname(p.link)} && ln -s {p.target} {os.path.basename(p.link)}",
                needs_root=not self.rc.root, reversible=True, verify=f"{p.link} resolves to the system loader",
                target=p.link, notes=["or install the LSB package: " + sa.package_lines("lsb")[0]],
                sudo=sa.sudo_line(["ln", "-s", p.target, p.link]),
                payload={"link": p.link, "target": p.target, "why": p.why, "server_needs": True}))
            if a is not None and not self.rc.root:
                self.blocked.append(a)

    def rule_client(self) -> None:
        rc = self.rc
        rcfile = sa.flexlmrc_path(rc.home)
        try:
            with open(rcfile, "rb") as fh:
                data: Optional[bytes] = fh.read(1024 * 1024)
        except FileNotFoundError:
            data = None
        except OSError:
            return
        fixes = self.fids("searchpath.localhost", "tunnel.localhost-ipv4")
        if fixes and data is not None:
            new, n = sa.use_127(data)
            if n:
                self._rc_edit("searchpath.use-127", "Use 127.0.0.1 instead of localhost in ~/.flexlmrc", fixes,
                              rcfile, data, new, "the search path names 127.0.0.1")
                data = new
        if fixes and any(s.origin == "environment" for s in self._sources() if "localhost" in s.value):
            self.manual("searchpath.use-127", "Use 127.0.0.1 instead of localhost in the environment", fixes,
                        [f"export {s.name}={s.value.replace('@localhost', '@127.0.0.1')}   (and in your shell "
                         "profile)" for s in self._sources() if s.origin == "environment" and "localhost" in s.value])
        # The client search path: to the --server given, or following a SERVER port this plan moves.
        var = sa.vendor_variable(rc.vendor)
        want: Optional[str] = None
        why = ""
        if self.server_args and not self._path_has(self.server_args[0]):
            want, why = self.server_args[0], "the server given with --server"
        elif "server" in self.new_ports and data is not None and rc.license is not None:
            old = rc.license.servers[0].port
            m = re.search(rb"(?m)^[ \t]*" + re.escape(var.encode()) + rb"[ \t]*=[ \t]*" + str(old).encode()
                          + rb"@(\S+)", data)
            if m:
                want, why = f"{self.new_ports['server']}@{m.group(1).decode()}", "the SERVER port this plan changes"
        if want:
            new = sa.set_variable(data or b"", var, want)
            fixes = self.fids("searchpath.none", "searchpath.empty", "searchpath.missing") or ["searchpath.none"]
            self._rc_edit("searchpath.set-env", f"Set {var}={want} in ~/.flexlmrc ({why})", fixes, rcfile, data, new,
                          f"the search path reaches {want}")

    def _sources(self):
        from ..probes.searchpath import collect_sources

        try:
            return collect_sources(self.rc.env, self.rc.home, [self.rc.vendor])[0]
        except Exception:
            return []

    def _path_has(self, spec: str) -> bool:
        return any(spec in s.value for s in self._sources() if s.origin != "default")

    def _rc_edit(self, action_id: str, title: str, fixes: List[str], path: str, before: Optional[bytes],
                 after: bytes, verify: str) -> None:
        import difflib

        a = (before or b"").decode("utf-8", "replace").splitlines()
        b = after.decode("utf-8", "replace").splitlines()
        diff = "\n".join(difflib.unified_diff(a, b, fromfile=path if before is not None else "/dev/null",
                                              tofile=path, lineterm="", n=1))
        self.add(PlannedAction(action_id, title, fixes, ActionKind.FILE_EDIT, diff, needs_root=False,
                               reversible=True, verify=verify, target=path,
                               payload={"path": path, "op": "flexlmrc", "new": after,
                                        "before_sha": sha256_bytes(before) if before is not None else None,
                                        "after_sha": sha256_bytes(after), "create": before is None}))

    def duplicates(self) -> List[ProcInfo]:
        """Broken duplicates: lmgrds that lost their vendor daemon to another server's, and orphaned vendor daemons.

        The same facts as the process probe's findings (process.vendor-conflict, duplicate-lmgrd,
        vendor-without-lmgrd); an lmgrd whose own daemon runs is never among them.
        """
        from ..probes.processes import orphan_vendors, rival_daemons, vendor_kids

        scan = self.rc.scan
        lmgrds = scan.by_role("lmgrd")
        vendors = scan.by_role("vendor")
        out: List[ProcInfo] = []
        for g in lmgrds:
            if vendor_kids(g, vendors):
                continue
            same = [x for x in lmgrds if x.pid != g.pid and x.license_key == g.license_key
                    and any(v.ppid == x.pid for v in vendors)]
            if rival_daemons(g, lmgrds, vendors) or same:
                out.append(g)
        return out + orphan_vendors(lmgrds, vendors)

    def rule_duplicates(self) -> None:
        fixes = self.fids("process.vendor-conflict", "process.duplicate-lmgrd", "process.vendor-without-lmgrd",
                          "process.duplicate-vendor")
        if not fixes:
            return
        for p in self.duplicates():
            what = "lmgrd that lost its vendor daemon" if p.role == "lmgrd" else "orphaned vendor daemon"
            mine = is_mine(p.user)
            a = self.add(PlannedAction(
                "process.stop-duplicates", f"Stop the broken duplicate: {what} (pid {p.pid})", fixes,
                ActionKind.PROCESS, f"pid {p.pid}: {p.command_text()}", needs_root=not mine, reversible=False,
                verify=f"pid {p.pid} is gone; the server that serves keeps serving", target=str(p.pid),
                notes=["stopping a process cannot be undone (its command line is kept in the journal)"],
                sudo=sa.sudo_line(["kill", "-TERM", str(p.pid)]) if not mine else None,
                payload={"pid": p.pid, "create_time": p.create_time, "argv": list(p.cmdline), "role": p.role}))
            if a is not None:
                self.stopping.add(p.pid)
                if p.pid in {g.pid for g in self.rc.servers}:
                    # This license's own lmgrd was the broken one: what it logged goes with it.
                    for f in self.fids(*CONSEQUENCES):
                        self.consequences.setdefault(f, a.key)

    def rivals_serve(self) -> List[ProcInfo]:
        """Running lmgrds of *other* licenses whose vendor daemons serve this license's vendors."""
        scan = self.rc.scan
        mine = {v.lower() for v in self.rc.vendors()}
        theirs = []
        own = {g.pid for g in self.rc.servers}
        for v in scan.by_role("vendor"):
            if v.base.lower() in mine and v.ppid not in own and v.ppid not in self.stopping:
                g = scan.find(v.ppid) if v.ppid else None
                if g is not None and g.role == "lmgrd" and g.pid not in self.stopping:
                    theirs.append(g)
        return theirs

    def blockers(self) -> List[Finding]:
        out = self.rc.has(*BLOCKERS)
        lic = self.rc.license
        if lic is not None:
            mine = {v.lower() for v in self.rc.vendors()}
            feats = [f for f in lic.features if f.vendor.lower() in mine]
            live = [f for f in feats if (f.expiry.days_left(self.today) or 0) >= 0]
            if feats and not live:
                out += self.rc.has("license.expired")
        return out

    def rule_server(self) -> None:
        rc = self.rc
        if rc.license_path is None or not self.server_here():
            return
        # What the server reads or runs through: its license, and links its own log or binary asks for.
        # (The machine's /usr/tmp, planned from the system check alone, goes its own way: lmgrd serves without.)
        changed = [a for a in self.actions if (a.kind is ActionKind.FILE_EDIT and a.id.startswith("license."))
                   or (a.kind is ActionKind.LINK and a.payload.get("server_needs"))]
        running = [g for g in rc.servers if g.pid not in self.stopping]
        rivals = self.rivals_serve()
        stopped_own = [g for g in rc.servers if g.pid in self.stopping]
        if self.blocked or self.blockers():
            why = [a.title for a in self.blocked] or [f.title for f in self.blockers()]
            if running or not rivals:
                self.notes.append("lmgrd is not (re)started until this is done: " + "; ".join(dict.fromkeys(why)))
            # What only says "the server does not serve" waits on the same step.
            key = self.blocked[0].key if self.blocked else None
            if key is not None:
                for f in self.fids(*CONSEQUENCES):
                    self.consequences.setdefault(f, key)
            return
        if rivals and not running:
            r = rivals[0]
            self.notes.append(f"{', '.join(rc.vendors())} is served by another lmgrd (pid {r.pid}: "
                              f"{r.command_text()}); a second server for the same vendor would exit with signal 41. "
                              "Point clients at that server, or stop it first to run this license's own."
                              if not stopped_own else
                              f"The vendor daemon keeps being served by lmgrd pid {r.pid} ({r.license_arg}).")
            return
        if running:
            if not changed and not rc.has("process.lmgrd-without-vendor"):
                return
            if not changed:
                return  # lmgrd runs without its daemon, and no change here would make a restart succeed
            g = running[0]
            self._plan_restart(g, changed)
            return
        self._plan_start(changed)

    def _user_for_start(self) -> Optional[str]:
        uid = self.rc.state.uid if self.rc.state is not None else None
        if not self.rc.root or uid is None or uid == 0:
            return None
        try:
            import pwd

            return pwd.getpwuid(uid).pw_name
        except (ImportError, KeyError):
            return None

    def _plan_start(self, changed: List[PlannedAction]) -> None:
        rc = self.rc
        lic_path = rc.license_path or ""
        launch = self.journal_launch
        lmgrd = launch.argv[0] if launch else rc.find_lmgrd()
        if launch is None and lmgrd is not None:
            log = rc.logs[0].path if rc.logs else os.path.join(os.path.dirname(lic_path), "debug.log")
            launch = launch_for_license(lmgrd, lic_path, log, self._user_for_start(),
                                        "the log that names this license" if rc.logs else "")
        fixes = self.fids(*CONSEQUENCES)
        if launch is None:
            self.manual("server.start", "Start lmgrd", fixes,
                        ["lmgrd was not found beside the license, beside a running lmgrd or on PATH.",
                         f"Start it as the manual does: lmgrd -c {lic_path} -l +<debug log>"])
            return
        a = self.add(PlannedAction(
            "server.start", "Start lmgrd for this license and wait until it serves", fixes, ActionKind.PROCESS,
            sa.argv_text(launch.argv) + (f"   (as user {launch.user})" if launch.user else "")
            + f"   [from {launch.cwd}]", needs_root=bool(launch.user) and not rc.root, reversible=True,
            verify=f"lmutil lmstat -a -c {lic_path} says lmgrd and {', '.join(rc.vendors())} are UP",
            target=lic_path, notes=[f"arguments: {launch.source}", "the server keeps running after lmdoctor exits; "
                                    "--undo stops it"],
            after=[x.key for x in changed],
            payload={"launch": launch}))
        if a is not None:
            for f in fixes:
                self.consequences.setdefault(f, a.key)

    def _plan_restart(self, g: ProcInfo, changed: List[PlannedAction]) -> None:
        rc = self.rc
        launch = launch_from_process(g)
        fixes = self.fids(*CONSEQUENCES)
        if launch is None:
            self.manual("server.restart", "Restart lmgrd", fixes,
                        [f"lmgrd (pid {g.pid}) must be restarted for the change to take effect: "
                         f"lmutil lmdown -c {rc.license_path} -q, then start it the way it was started."])
            return
        from .system_actions import service_of

        unit = service_of(g.pid)
        port = self._listening_port(g)
        host = rc.identity.short_name or "localhost"
        spec = f"{port}@{host}" if port else (rc.license_path or "")
        stop = ([rc.lmutil, "lmdown", "-c", spec, "-q"] if rc.lmutil else ["kill", "-TERM", str(g.pid)])
        if unit:
            argv = ["systemctl", "restart", unit]
            a = self.add(PlannedAction(
                "server.restart", f"Restart the {unit} service for the change to take effect", fixes,
                ActionKind.SERVICE, sa.argv_text(argv), needs_root=not rc.root, reversible=False,
                verify=f"lmutil lmstat -a -c {rc.license_path} says UP", target=str(g.pid),
                sudo=sa.sudo_line(argv) if not rc.root else None, after=[x.key for x in changed],
                payload={"service": unit, "pid": g.pid, "create_time": g.create_time}))
        else:
            mine = is_mine(g.user)
            a = self.add(PlannedAction(
                "server.restart", "Restart lmgrd so it reads the changed files", fixes, ActionKind.PROCESS,
                f"stop pid {g.pid}: {sa.argv_text(stop)}\nstart: {sa.argv_text(launch.argv)}"
                + (f"   (as user {launch.user})" if launch.user else ""),
                needs_root=not mine, reversible=False,
                verify=f"lmutil lmstat -a -c {rc.license_path} says lmgrd and {', '.join(rc.vendors())} are UP",
                target=str(g.pid), notes=["the old lmgrd is stopped for good; --undo stops the new one",
                                          f"arguments: {launch.source}"],
                sudo=self.sudo_rerun("server.restart") if not mine else None, after=[x.key for x in changed],
                payload={"pid": g.pid, "create_time": g.create_time, "stop": stop, "launch": launch,
                         "old_argv": list(g.cmdline)}))
        if a is not None:
            for f in fixes:
                self.consequences.setdefault(f, a.key)

    def _listening_port(self, g: ProcInfo) -> Optional[int]:
        lic = self.rc.license
        wanted = {s.port for s in lic.servers if s.port} if lic is not None else set()
        ports = sorted({getattr(x, "port", 0) for x in self.rc.scan.listeners or []
                        if getattr(x, "pid", None) == g.pid})
        for p in ports:
            if p in wanted:
                return p
        return ports[0] if ports else None

    # ------------------------------------------------------------------ manual steps
    def rule_manual(self) -> None:
        rc = self.rc
        ident = rc.identity
        hid = self.fids("license.hostid-mismatch")
        if hid:
            macs = ident.mac_list() or ["(no network interface with a MAC was found)"]
            first = sorted(ident.macs.items())
            lines = [f"Request a new license key for hostid {first[0][0]} ({first[0][1]})" if first else
                     "Request a new license key for one of this machine's hostids"]
            if len(first) > 1:
                lines.append("this machine's hostids: " + ", ".join(macs))
            lines.append("The hostid on the SERVER line is signed: it cannot be edited. (`lmutil lmhostid` "
                         "prints the same.)")
            self.manual("license.request-new-key", "Wrong hostid: request a key for this machine", hid, lines,
                        blocks=True)
        exp = self.fids("license.expired", "license.expiring", "lmstat.feature-expired", "lmstat.feature-expiring")
        if exp and rc.license is not None:
            rows = []
            for f in rc.license.features:
                left = f.expiry.days_left(self.today)
                if left is not None and left < 31:
                    state = f"expired on {f.expiry.text} ({-left} days ago)" if left < 0 else \
                        f"expires on {f.expiry.text} (in {left} days)"
                    rows.append(f"{f.name} v{f.version} ({f.vendor}), line {f.line}: {state}")
            if rows:
                self.manual("license.renew", "Renew the expired license", exp,
                            [f"Ask {'Sigasi' if rc.vendor.lower() == 'sigasi' else 'the vendor'} for a renewed "
                             "license key; these features:"] + rows,
                            blocks=False)
        nsl = self.fids("license.no-server-lines")
        if nsl:
            hostids = ", ".join(ident.mac_list()) or "this machine's MAC"
            self.manual("license.add-use-server", "The license has counted features but no SERVER line", nsl,
                        [f"lmgrd cannot serve {rc.license_path or 'this file'}: it has no SERVER line (-13,66).",
                         "On the license server, use the floating key as issued: it has a SERVER <host> <hostid> "
                         f"<port> line and a DAEMON {rc.vendor} line (this machine's hostids: {hostids}).",
                         f"On a client, point {sa.vendor_variable(rc.vendor)} at PORT@SERVER instead, or keep the "
                         "SERVER line and add USE_SERVER."], blocks=True)
        ver = rc.has("lmstat.version-mismatch")
        if ver:
            m = re.search(r"Vendor daemon (\S+) (\S+) is newer than lmgrd (\S+)", ver[0].title)
            need = m.group(2) if m else "the vendor daemon's version"
            self.manual("daemon.update", f"Update lmgrd to {need} or newer", [f.id for f in ver],
                        [f"lmgrd must be the same version as the vendor daemon or newer: install lmgrd {need} (or "
                         "later) from the same download as the vendor daemon, then restart the server."]
                        + (["Sigasi publishes FlexNet 11.16.4.0: https://download.sigasi.com/flexnet/v11.16.4.0/"
                            "sigasi-flexnet-linux64.zip (Windows: sigasi-flexnet-win64.zip); lmgrd, sigasi and "
                            "lmutil from that one zip."] if rc.vendor.lower() == "sigasi" else
                           [f"Ask the vendor of {rc.vendor} for its FlexNet {need} (or later) daemons."]))
        moved = [p for k, p in self.new_ports.items()]
        fw = self.fids("network.timeout", "network.vendor-port-blocked")
        if (moved or fw) and rc.license is not None and self.server_here():
            lic = rc.license
            sport = self.new_ports.get("server") or (lic.servers[0].port if lic.servers else None) or 27000
            vports = [self.new_ports.get(v.name) or v.port for v in lic.vendors if v.name]
            ports = [sport] + [p for p in vports if p]
            self.manual("firewall.open-ports", f"Open ports {', '.join(map(str, ports))} in the firewall",
                        fw or sorted({f for a in self.actions if a.id in ("license.change-port",
                                                                            "license.set-vendor-port")
                                      for f in a.fixes}), sa.firewall_lines(ports, rc.vendor))

    def rule_unit(self) -> None:
        if "server.install-unit" not in self.only:
            return
        rc = self.rc
        lmgrd = rc.find_lmgrd()
        if rc.license_path is None or lmgrd is None:
            self.manual("server.install-unit", "Install a systemd unit for lmgrd", [],
                        ["lmdoctor needs the license (--license) and lmgrd (beside it or on PATH) to write the unit."])
            return
        g = rc.servers[0] if rc.servers else None
        user = g.user if g and g.user else (self._user_for_start() or _me())
        log = (g.log_arg if g and g.log_arg else None) or (rc.logs[0].path if rc.logs else
                                                           os.path.join(os.path.dirname(rc.license_path),
                                                                        "debug.log"))
        unit = sa.unit_name(rc.vendor)
        path = os.path.join(sa.unit_dir(rc.env), unit)
        text = sa.unit_text(lmgrd, rc.license_path, log, user, rc.vendor, rc.lmutil)
        try:
            with open(path, "rb") as fh:
                old: Optional[bytes] = fh.read(1024 * 1024)
        except FileNotFoundError:
            old = None
        except OSError:
            old = b""
        if old == text.encode():
            self.notes.append(f"{path} already holds this unit; nothing to write")
            return
        notes = ["then: " + "; ".join(sa.systemctl_lines(unit)), "lmdoctor enables and starts nothing"]
        if g is not None:
            notes.insert(0, f"lmgrd runs now outside systemd (pid {g.pid}): stop it before enabling the unit")
        if user == "root":
            notes.append("User=root: FlexNet warns that running as root is a security problem; a dedicated "
                         "account (e.g. flexlm) that owns the license and log is better")
        if old is not None:
            notes.append(f"{path} exists with other content: it is backed up and replaced")
        needs_root = not rc.root and not os.access(os.path.dirname(path), os.W_OK | os.X_OK)
        self.add(PlannedAction(
            "server.install-unit", f"Write the systemd unit {path}", [], ActionKind.SERVICE,
            "\n".join(f"+{ln}" for ln in text.splitlines()), needs_root=needs_root, reversible=True,
            verify=f"{path} holds the unit", target=path, notes=notes,
            sudo=self.sudo_rerun("server.install-unit") if needs_root else None,
            payload={"path": path, "op": "unit", "new": text.encode(),
                     "before_sha": sha256_bytes(old) if old is not None else None,
                     "after_sha": sha256_bytes(text.encode()), "create": old is None}))

    # ------------------------------------------------------------------ all
    def build(self) -> RepairPlan:
        rc = self.rc
        if rc.leftovers:
            self.notes.append("an earlier interrupted write left " + ", ".join(rc.leftovers)
                              + " (the license itself is intact); it is removed once this run writes the file")
        self.rule_copy_damage()
        self.rule_server_host()
        self.rule_server_port()
        self.rule_vendor_ports()
        self.rule_use_server()
        self.rule_daemon_path()
        self.rule_usr_tmp()
        self.rule_lsb()
        self.rule_client()
        self.rule_duplicates()
        self.rule_manual()
        self.rule_server()
        self.rule_unit()
        # Manual steps last: what lmdoctor does comes first, what a person must do after.
        self.actions.sort(key=lambda a: a.manual)
        covered = {f for a in self.actions for f in a.fixes} | set(self.consequences)
        unaddressed = [f for f in rc.findings if f.status in (Status.FAIL, Status.WARN) and f.id not in covered]
        return RepairPlan(self.actions, rc.license_path, list(rc.findings), self.notes, unaddressed,
                          dict(self.consequences))


def _me() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "root"


def build_plan(rc: RepairContext, only: Iterable[str] = (), skip: Iterable[str] = (),
               server_args: Iterable[str] = (), today: Optional[_dt.date] = None,
               journal_launch: Optional[Launch] = None) -> RepairPlan:
    return PlanBuilder(rc, list(only), list(skip), list(server_args), today, journal_launch).build()
