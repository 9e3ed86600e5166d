"""Every repair action lmdoctor knows: id, what it does, whether it needs root, whether --undo takes it back.

The ids are the ones the troubleshooting tree's leaves carry (``repair = "..."`` in
checks/tree/data/*.toml); a test keeps the two in step. ``lmdoctor repair --list`` prints this table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from .model import ActionKind


@dataclass(frozen=True)
class ActionSpec:
    id: str
    kind: ActionKind
    does: str
    needs_root: str  # "no", "yes", "when the file is root's", ...
    reversible: bool
    automatic: bool = True  # False: always a manual step with the exact data


SPECS: List[ActionSpec] = [
    ActionSpec("license.restore-copy", ActionKind.FILE_EDIT,
               "undo copy damage (lost or trailing-blank backslashes, blank lines inside an entry, curly quotes, "
               "'>' mail prefixes, BOM, bare CR); signed values unchanged", "when the file is not yours", True),
    ActionSpec("license.set-server-host", ActionKind.FILE_EDIT,
               "put this machine's name on the SERVER line (the signature stays valid)", "when the file is not yours",
               True),
    ActionSpec("license.change-port", ActionKind.FILE_EDIT,
               "give the SERVER line a free port when another program holds it", "when the file is not yours", True),
    ActionSpec("license.set-vendor-port", ActionKind.FILE_EDIT,
               "fix port= on the DAEMON/VENDOR line: add one, or move off a busy or clashing port",
               "when the file is not yours", True),
    ActionSpec("license.add-use-server", ActionKind.FILE_EDIT,
               "add USE_SERVER after the SERVER line of a client file", "when the file is not yours", True),
    ActionSpec("license.fix-daemon-path", ActionKind.FILE_EDIT,
               "point the DAEMON line at the vendor daemon that exists beside lmgrd", "when the file is not yours",
               True),
    ActionSpec("license.request-new-key", ActionKind.MANUAL,
               "wrong hostid: which hostid (and interface) to request a new key for", "no", True, False),
    ActionSpec("license.renew", ActionKind.MANUAL, "expired features: which ones, since when", "no", True, False),
    ActionSpec("system.link-usr-tmp", ActionKind.LINK,
               "make /usr/tmp a link to /tmp (in the root the server's log names)", "for the machine's /usr/tmp",
               True),
    ActionSpec("system.link-lsb-loader", ActionKind.LINK,
               "link the LSB loader the FlexNet binaries ask for to the system loader", "yes", True),
    ActionSpec("system.install-lsb", ActionKind.MANUAL, "the package manager line that installs LSB", "yes", True,
               False),
    ActionSpec("system.install-net-tools", ActionKind.MANUAL, "the package line for ifconfig (Sigasi < 4.3)", "yes",
               True, False),
    ActionSpec("searchpath.set-env", ActionKind.FILE_EDIT,
               "write the client search path to ~/.flexlmrc (SIGASI_LM_LICENSE_FILE=PORT@HOST or the vendor's "
               "variable)", "no", True),
    ActionSpec("searchpath.use-127", ActionKind.FILE_EDIT,
               "use 127.0.0.1 instead of localhost in ~/.flexlmrc (SSH tunnels listen on IPv4)", "no", True),
    ActionSpec("process.stop-duplicates", ActionKind.PROCESS,
               "stop a broken duplicate lmgrd (one that lost its vendor daemon) or an orphaned vendor daemon; "
               "never a server that serves", "when it is another user's", False),
    ActionSpec("server.start", ActionKind.PROCESS,
               "start lmgrd (lmgrd -c FILE -l +LOG, the same arguments as last time when known) and wait until "
               "lmstat says UP", "no", True),
    ActionSpec("server.restart", ActionKind.PROCESS,
               "restart lmgrd after a change (lmutil lmdown -q, then start) and wait until lmstat says UP; the old "
               "lmgrd is stopped for good, --undo stops the new one", "when it is another user's", False),
    ActionSpec("server.install-unit", ActionKind.SERVICE,
               "on request only (--only): write a systemd unit for lmgrd and print the systemctl lines; enables "
               "nothing", "yes", True),
    ActionSpec("daemon.update", ActionKind.MANUAL, "which FlexNet version the daemons need", "no", True, False),
    ActionSpec("firewall.open-ports", ActionKind.MANUAL,
               "the firewall-cmd / ufw / netsh lines for this server's two ports", "yes", True, False),
    ActionSpec("windows.rename-flexlm-folder", ActionKind.MANUAL, r"rename C:\FlexLM and update lmtools", "yes",
               True, False),
    ActionSpec("windows.older-lmtools", ActionKind.MANUAL, "recreate the service with the older lmtools", "yes",
               True, False),
]

BY_ID: Dict[str, ActionSpec] = {s.id: s for s in SPECS}
ON_REQUEST_ONLY = {"server.install-unit"}


def known(action_id: str) -> bool:
    return action_id in BY_ID or action_id.startswith("windows.")

# The action that addresses a finding, for "Apply fix" on a finding (the plan itself decides from the
# machine; this only says which findings have one). Consequences point at the server start.
FINDING_ACTIONS: Dict[str, str] = {
    **{fid: "license.restore-copy" for fid in (
        "license.bom", "license.mail-quote", "license.typographic-quotes", "license.space-after-backslash",
        "license.cr-line-endings", "license.missing-backslash", "license.backslash-before-blank",
        "license.joined-lines")},
    "license.placeholder-host": "license.set-server-host",
    "license.host-not-this-machine": "license.set-server-host",
    "license.port-clash": "license.set-vendor-port",
    "license.vendor-no-port": "license.set-vendor-port",
    "tunnel.vendor-port-random": "license.set-vendor-port",
    "license.client-no-use-server": "license.add-use-server",
    "license.no-server-lines": "license.add-use-server",
    "system.daemon-missing": "license.fix-daemon-path",
    "license.hostid-mismatch": "license.request-new-key",
    "license.expired": "license.renew",
    "license.expiring": "license.renew",
    "lmstat.feature-expired": "license.renew",
    "system.usr-tmp-missing": "system.link-usr-tmp",
    "log.usr-tmp": "system.link-usr-tmp",
    "system.lsb-loader-missing": "system.link-lsb-loader",
    "searchpath.localhost": "searchpath.use-127",
    "tunnel.localhost-ipv4": "searchpath.use-127",
    "process.vendor-conflict": "process.stop-duplicates",
    "process.duplicate-lmgrd": "process.stop-duplicates",
    "process.vendor-without-lmgrd": "process.stop-duplicates",
    "lmstat.version-mismatch": "daemon.update",
    "network.timeout": "firewall.open-ports",
    "network.vendor-port-blocked": "firewall.open-ports",
    "listener.nothing": "server.start",
    "process.no-lmgrd": "server.start",
}


def action_for_finding(finding_id: str) -> str:
    """The repair id for a finding, or '' when lmdoctor has none (listener.foreign-process: a port edit)."""
    if finding_id == "listener.foreign-process":
        return "license.change-port"
    return FINDING_ACTIONS.get(finding_id, "")
