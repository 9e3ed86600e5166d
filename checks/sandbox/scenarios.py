"""The sandbox scenarios, as data: one healthy server and one per way a FlexNet server goes wrong.

Each scenario says how to build the license file and the machine around it
(busy ports, a second server, a missing lock dir) and what it should produce:
log lines and which processes stay up. Ports are picked free at start time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .common import DEFAULT_VERSION, OLD_VERSION

VENDOR = "sigasi"
PLACEHOLDER_HOST = "your_server_name1"  # what Sigasi's license files ship with (seed manual)
WRONG_HOSTID = "0a1b2c3d4e5f"
PROBED_FEATURES = ("com.sigasi.hdt.custom", "com.sigasi.hdt.preview")  # seed manual, Troubleshooting


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    version: str = "4.0"
    expiry: str = "1-jan-0"  # never expires; "expired" is filled in as a past date
    count: str = "4"


DEFAULT_FEATURES: Tuple[FeatureSpec, ...] = (
    FeatureSpec("com.sigasi.hdt", count="4"),
    FeatureSpec("com.sigasi.hdt.xl", count="2"),
)


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str  # what goes wrong, one line (sandbox list)
    server: str = "this"  # "this" (this machine), "placeholder", "none" (no SERVER line)
    hostid: str = "this"  # "this" (a MAC of this machine, else ANY), "wrong"
    daemon_port: bool = True  # DAEMON sigasi port=N (False: random port, like no port= in the file)
    features: Tuple[FeatureSpec, ...] = DEFAULT_FEATURES
    block_server_port: bool = False
    block_vendor_port: bool = False
    duplicate: bool = False  # a first, healthy server with the same lock root runs already
    lock_dir_missing: bool = False  # <root>/usr/tmp does not exist
    probe: Tuple[str, ...] = ()  # features a client tries to check out once the server is up
    lmgrd_version: str = DEFAULT_VERSION
    vendor_version: str = DEFAULT_VERSION
    expect: Tuple[str, ...] = ()  # log substrings the scenario is about
    settled: str = ""  # log substring after which the scenario has done all it will do
    lmgrd_up: bool = True  # the scenario's lmgrd keeps running
    vendor_up: bool = True  # its vendor daemon keeps running
    seed_ref: Optional[str] = None


SCENARIOS: Dict[str, Scenario] = {s.name: s for s in [
    Scenario(
        "healthy", "nothing: lmgrd and sigasi up on fixed ports, features served",
        expect=("lmgrd tcp-port", "Started sigasi (internet tcp_port", "(sigasi) Server started on"),
        settled="(sigasi) Server started on"),
    Scenario(
        "placeholder-host", f"SERVER line still says {PLACEHOLDER_HOST}: lmgrd refuses to start",
        server="placeholder", expect=("Not a valid server hostname, exiting",),
        settled="Not a valid server hostname", lmgrd_up=False, vendor_up=False,
        seed_ref="Starting the FlexNet and Sigasi daemon on Windows"),
    Scenario(
        "no-server-lines", "license without SERVER line: lmgrd fails with -13,66",
        server="none",
        expect=("(lmgrd) license manager: can't initialize:No SERVER lines in license file.",
                "(lmgrd) License Path:", "(lmgrd) FlexNet Licensing error:-13,66"),
        settled="FlexNet Licensing error:-13,66", lmgrd_up=False, vendor_up=False,
        seed_ref="Typical error messages"),
    Scenario(
        "wrong-hostid", "SERVER hostid is not a MAC of this machine: lmgrd refuses to start",
        hostid="wrong", expect=("Wrong hostid on SERVER line for license file:",),
        settled="Invalid hostid on SERVER line", lmgrd_up=False, vendor_up=False,
        seed_ref="Troubleshooting"),
    Scenario(
        "server-port-in-use", "another program holds the SERVER port: lmgrd retries, then gives up",
        block_server_port=True,
        expect=("is already in use.", "Retrying for about", "Failed to open the TCP port number in the license."),
        settled="Failed to open the TCP port number in the license.", lmgrd_up=False, vendor_up=False,
        seed_ref="Customize License Server settings"),
    Scenario(
        "vendor-port-in-use", "another program holds the DAEMON port: sigasi exits, lmgrd stays up alone",
        block_vendor_port=True,
        expect=("(sigasi) EXITING DUE TO SIGNAL 35 Exit reason 3", "sigasi exited with status 35"),
        settled="sigasi exited with status", vendor_up=False,
        seed_ref="Customize License Server settings"),
    Scenario(
        "duplicate", "a second lmgrd starts while a first server runs: its sigasi exits with signal 41",
        duplicate=True, daemon_port=False,
        expect=("(sigasi) EXITING DUE TO SIGNAL 41 Exit reason 9",
                "sigasi exited with status 41 (Exited because another server was running)",
                'MULTIPLE "sigasi" license server systems running'),
        settled="MULTIPLE \"sigasi\"", vendor_up=False, seed_ref="Typical error messages"),
    Scenario(
        "no-lock-dir", "no writable /usr/tmp (the sandbox's own): lmgrd cannot make its .flexlm lock dir",
        lock_dir_missing=True, expect=("Can't make directory", ".flexlm, errno: 2"),
        settled="(sigasi) Server started on", seed_ref="Floating licenses"),
    Scenario(
        "expired-feature", "every feature has expired: sigasi has nothing to serve and exits",
        features=(FeatureSpec("com.sigasi.hdt", expiry="expired"),),
        expect=("(sigasi) EXPIRED: com.sigasi.hdt", "(sigasi) EXITING DUE TO SIGNAL 36 Exit reason 4",
                "sigasi exited with status 36 (No features to serve)"),
        settled="sigasi exited with status", vendor_up=False, seed_ref="Troubleshooting"),
    Scenario(
        "unsupported-probe", "healthy, but a client probed unknown features: harmless UNSUPPORTED lines",
        probe=PROBED_FEATURES,
        expect=tuple(f'(sigasi) UNSUPPORTED: "{f}" (PORT_AT_HOST_PLUS   )' for f in PROBED_FEATURES)
        + ('(License server system does not support this feature. (-18,327:10054 ""))',),
        settled='UNSUPPORTED: "com.sigasi.hdt.preview"', seed_ref="Floating licenses"),
    Scenario(
        "old-lmgrd", f"lmgrd v{OLD_VERSION} runs a newer sigasi v{DEFAULT_VERSION} (lmgrd must be equal or newer)",
        lmgrd_version=OLD_VERSION, vendor_version=DEFAULT_VERSION,
        expect=(f"FlexNet Licensing (v{OLD_VERSION}", f"(sigasi) FlexNet Licensing version v{DEFAULT_VERSION}"),
        settled="(sigasi) Server started on", seed_ref="Floating licenses"),
    Scenario(
        "old-vendor", f"sigasi v{OLD_VERSION} under a newer lmgrd v{DEFAULT_VERSION}: an allowed mix, nothing fails",
        lmgrd_version=DEFAULT_VERSION, vendor_version=OLD_VERSION,
        expect=(f"FlexNet Licensing (v{DEFAULT_VERSION}", f"(sigasi) FlexNet Licensing version v{OLD_VERSION}"),
        settled="(sigasi) Server started on", seed_ref="Floating licenses"),
]}


def get(name: str) -> Optional[Scenario]:
    return SCENARIOS.get(name)


def names() -> List[str]:
    return list(SCENARIOS)


def fake_sign(seed: str) -> str:
    """30 groups of 4 hex digits, like Sigasi's SIGN=; the sandbox never checks signatures."""
    hexs = "".join(hashlib.sha256(f"{seed}-{i}".encode()).hexdigest() for i in range(4)).upper()
    groups = [hexs[i:i + 4] for i in range(0, 120, 4)]
    lines = [" ".join(groups[i:i + 8]) for i in range(0, 30, 8)]
    return " \\\n\t".join(lines)


@dataclass
class LicenseParams:
    host: str
    hostid: str
    server_port: Optional[int]
    vendor_port: Optional[int]
    features: Tuple[FeatureSpec, ...] = field(default=DEFAULT_FEATURES)
    expired_date: str = "1-jan-2020"
    comment: str = ""


def render_license(p: LicenseParams) -> str:
    """A Sigasi-shaped floating license (DAEMON line first, as Sigasi ships them)."""
    out = []
    if p.comment:
        out.append(f"# {p.comment}")
    out.append(f"DAEMON {VENDOR}" + (f" port={p.vendor_port}" if p.vendor_port else ""))
    if p.host:
        out.append(f"SERVER {p.host} {p.hostid}" + (f" {p.server_port}" if p.server_port else ""))
    for f in p.features:
        expiry = p.expired_date if f.expiry == "expired" else f.expiry
        out.append(
            f"INCREMENT {f.name} {VENDOR} {f.version} {expiry} {f.count} \\\n"
            f'\tVENDOR_STRING="company:lmdoctor sandbox;type:floating" HOSTID=ANY \\\n'
            f"\tISSUER=Sigasi ISSUED=1-jan-2024 START=1-jan-2024 SIGN=\"{fake_sign(f.name)}\"")
    return "\n".join(out) + "\n"
