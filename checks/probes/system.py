"""Probe 7: the files lmgrd needs on this machine.

- ``/usr/tmp`` exists and is writable (and ``/usr/tmp/.flexlm``): lmgrd writes status
  files there ("Can't make directory /usr/tmp/.flexlm, errno: 2").
- The ELF program interpreter the lmgrd / vendor daemon binaries ask for exists (LSB
  builds want ``/lib64/ld-lsb-x86-64.so.3``); read from the binary itself.
- Stale ``/var/tmp/lock<vendor>`` files owned by another user.
- The daemon binaries named on DAEMON lines exist and are executable; no spaces in the
  path of a running daemon.
"""
from __future__ import annotations

import os
import sys
from typing import Dict, List

from ..findings import Finding, Status
from ..runtime import NEVER_CANCELLED, CancelToken, FindingSink, discard
from .context import SEED_FLOAT, ProbeContext
from .elf import read_elf

USR_TMP = "/usr/tmp"
LOCK_DIR = "/var/tmp"
LSB_LOADERS = ("/lib64/ld-lsb-x86-64.so.3", "/lib/ld-lsb.so.3")


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def check_usr_tmp(emit, server_here: bool, root: str = USR_TMP) -> None:
    sev = Status.FAIL if server_here else Status.INFO
    fix = f"As root: ln -s /tmp {root}   (or mkdir -m 1777 {root})"
    if not os.path.exists(root):
        broken = os.path.islink(root)
        emit(Finding("system.usr-tmp-missing", sev,
                     f"{root} " + ("is a broken symbolic link" if broken else "does not exist"),
                     detail="lmgrd needs write access to /usr/tmp; without it the debug log says 'Can't make "
                            "directory /usr/tmp/.flexlm, errno: 2'." + ("" if server_here else
                                                                       " (Only the license server needs it.)"),
                     fix=fix, seed_ref=SEED_FLOAT))
        return
    if not os.access(root, os.W_OK | os.X_OK):
        emit(Finding("system.usr-tmp-not-writable", sev, f"{root} is not writable by this user",
                     detail="lmgrd (running as this user) cannot create /usr/tmp/.flexlm.",
                     fix=f"As root: chmod 1777 {root} (or make it a link to /tmp)", seed_ref=SEED_FLOAT))
        return
    sub = os.path.join(root, ".flexlm")
    if os.path.isdir(sub) and not os.access(sub, os.W_OK | os.X_OK):
        try:
            owner = _user_name(os.stat(sub).st_uid)
        except OSError:
            owner = "?"
        emit(Finding("system.usr-tmp-flexlm-not-writable", Status.WARN if server_here else Status.INFO,
                     f"{sub} exists but is not writable by this user (owner {owner})",
                     detail="Left by an lmgrd run as another user (often root).",
                     fix=f"As root: chmod 1777 {sub} (or remove it so lmgrd recreates it)", seed_ref=SEED_FLOAT))
        return
    emit(Finding("system.usr-tmp", Status.OK, f"{root} exists and is writable"))


def _binaries(ctx: ProbeContext, scan) -> Dict[str, str]:
    """path -> why we look at it: running daemons, and lmgrd / daemons next to the license."""
    out: Dict[str, str] = {}
    for p in scan.by_role("lmgrd") + scan.by_role("vendor"):
        if p.exe:
            out.setdefault(p.exe, f"running {p.name} (pid {p.pid})")
    if ctx.license_path:
        d = os.path.dirname(os.path.abspath(ctx.license_path))
        for name in ["lmgrd"] + ctx.all_vendors():
            cand = os.path.join(d, name)
            if os.path.isfile(cand):
                out.setdefault(cand, "next to the license file")
    if ctx.license is not None:
        for v in ctx.license.vendors:
            if v.path and os.path.isabs(v.path) and os.path.isfile(v.path):
                out.setdefault(v.path, f"DAEMON {v.name} line {v.line}")
    return out


def check_loaders(emit, binaries: Dict[str, str], root: str = "") -> None:
    for path, why in sorted(binaries.items()):
        info = read_elf(path)
        if not info.is_elf or info.interpreter is None:
            continue  # scripts, static binaries, other platforms: nothing to load
        loader = root + info.interpreter
        if os.path.exists(loader):
            emit(Finding("system.loader", Status.OK, f"{os.path.basename(path)}: loader {info.interpreter} present",
                         evidence=f"{path} ({why})"))
            continue
        if info.wants_lsb:
            real = "ld-linux-x86-64.so.2" if info.bits == 64 else "ld-linux.so.2"
            emit(Finding(
                "system.lsb-loader-missing", Status.FAIL,
                f"{os.path.basename(path)} needs the LSB loader {info.interpreter}, which is missing",
                detail="Starting it fails with 'No such file or directory' although the file exists.",
                fix=("Install the LSB package (apt-get install lsb-core / zypper in lsb / yum install lsb), or as "
                     f"root: cd {os.path.dirname(info.interpreter)} && ln -s {real} "
                     f"{os.path.basename(info.interpreter)}"),
                evidence=f"{path} ({why}), {info.bits}-bit", seed_ref=SEED_FLOAT))
        else:
            emit(Finding(
                "system.loader-missing", Status.FAIL,
                f"{os.path.basename(path)} needs the loader {info.interpreter}, which is missing",
                detail="The binary is for another platform or needs a compatibility package (32-bit on 64-bit?).",
                fix="Use the FlexNet build for this platform (Linux 64 bit), or install the 32-bit libraries.",
                evidence=f"{path} ({why}), {info.bits}-bit"))


def check_locks(emit, vendors: List[str], scan, lock_dir: str = LOCK_DIR) -> None:
    running = {p.base: p for p in scan.by_role("vendor")}
    me = os.geteuid() if hasattr(os, "geteuid") else None
    for v in vendors:
        path = os.path.join(lock_dir, f"lock{v}")
        try:
            st = os.lstat(path)
        except OSError:
            continue
        owner = _user_name(st.st_uid)
        daemon = running.get(v.lower())
        if daemon is not None:
            if daemon.user and daemon.user != owner:
                emit(Finding("system.lock-owner", Status.INFO, f"{path} belongs to {owner}; {v} runs as "
                             f"{daemon.user}", evidence=path))
            continue
        if me is not None and st.st_uid != me and me != 0:
            emit(Finding(
                "system.stale-lock", Status.WARN, f"Stale {path} owned by {owner}",
                detail=f"No {v} daemon is running, and the lock file left by another user stops {v} from starting "
                       "as this user.",
                fix=f"As root (with no {v} daemon running): rm {path}", evidence=path))
        else:
            emit(Finding("system.lock-leftover", Status.INFO, f"{path} is left over; no {v} daemon is running",
                         detail="Harmless when the next start runs as its owner.", evidence=f"{path} owner {owner}"))


def check_daemon_paths(emit, ctx: ProbeContext, scan) -> None:
    if ctx.license is not None and not ctx.is_windows:
        base = os.path.dirname(os.path.abspath(ctx.license_path)) if ctx.license_path else os.getcwd()
        for v in ctx.license.vendors:
            if not v.path or "\\" in v.path or (len(v.path) > 1 and v.path[1] == ":"):
                continue  # no path, or a Windows path the lint judges
            path = v.path if os.path.isabs(v.path) else os.path.join(base, v.path)
            if os.path.isdir(path):
                path = os.path.join(path, v.name)
            if not os.path.exists(path):
                emit(Finding("system.daemon-missing", Status.WARN, f"DAEMON {v.name}: {path} does not exist here",
                             detail="Fine on a client; on the server lmgrd cannot start the vendor daemon.",
                             fix="Correct the path on the DAEMON line, or put the daemon from the same zip as "
                                 "lmgrd there.", file=ctx.license_path, line=v.line))
            elif not os.access(path, os.X_OK):
                emit(Finding("system.daemon-not-executable", Status.FAIL,
                             f"DAEMON {v.name}: {path} is not executable", fix=f"chmod +x {path}",
                             file=ctx.license_path, line=v.line))
            else:
                emit(Finding("system.daemon-present", Status.OK, f"DAEMON {v.name}: {path} is present and "
                             "executable", file=ctx.license_path, line=v.line))
    for p in scan.by_role("lmgrd") + scan.by_role("vendor"):
        path = p.exe or (p.cmdline[0] if p.cmdline else "")
        if " " in path:
            emit(Finding("system.daemon-path-spaces", Status.FAIL, f"{p.name} (pid {p.pid}) runs from a path with "
                         "spaces", detail="The manual: you can not have spaces in the daemon path.",
                         fix="Move the FlexNet files to a folder without spaces and update the license/service.",
                         evidence=path, seed_ref=SEED_FLOAT))


def probe_system(ctx: ProbeContext, cancel: CancelToken = NEVER_CANCELLED,
                 on_finding: FindingSink = discard) -> List[Finding]:
    out: List[Finding] = []

    def emit(f: Finding) -> None:
        out.append(f)
        on_finding(f)

    scan = ctx.get_scan()
    if not sys.platform.startswith("linux"):
        emit(Finding("system.not-linux", Status.SKIP, "The /usr/tmp, loader and lock checks are for Linux"))
        check_daemon_paths(emit, ctx, scan)
        return out
    check_usr_tmp(emit, ctx.server_here())
    cancel.check()
    check_loaders(emit, _binaries(ctx, scan))
    cancel.check()
    check_locks(emit, ctx.all_vendors(), scan)
    check_daemon_paths(emit, ctx, scan)
    return out
