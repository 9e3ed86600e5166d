"""System and client changes: links the manual prescribes, ~/.flexlmrc, a systemd unit, sudo lines.

Links are made with ``symlink()`` (atomic, never replaces anything) and taken back only while they
still point where lmdoctor pointed them. Files go through checks.safe_write.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

USR_TMP = "/usr/tmp"
LSB_LINKS = {  # the LSB loader a FlexNet build asks for -> the system loader it may point to (seed manual)
    "/lib64/ld-lsb-x86-64.so.3": "ld-linux-x86-64.so.2",
    "/lib/ld-lsb.so.3": "ld-linux.so.2",
}
UNIT_DIR = "/etc/systemd/system"
UNIT_DIR_ENV = "LMDOCTOR_UNIT_DIR"  # another systemd directory (an image being built, a chroot, the tests)


def sudo_line(argv: Sequence[str]) -> str:
    """The exact line a non-root user runs instead (quoted for a POSIX shell, never run by lmdoctor)."""
    return "sudo " + " ".join(shlex.quote(a) for a in argv)


def argv_text(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


@dataclass(frozen=True)
class LinkPlan:
    link: str  # the path to create
    target: str  # what it points to (as written in the link)
    why: str


def usr_tmp_link(root: str = "/") -> LinkPlan:
    """``ln -s /tmp /usr/tmp`` in a root: the machine's own, or the one a server's log names.

    Inside another root (a chroot, a container's, the sandbox's) the link is relative, ``../tmp``,
    so it means that root's /tmp both from inside and from outside.
    """
    root = os.path.abspath(root)
    link = os.path.join(root, "usr", "tmp")
    if root == "/":
        return LinkPlan(link, "/tmp", "lmgrd writes its lock directory .flexlm under /usr/tmp")
    target = "../tmp" if os.path.isdir(os.path.join(root, "tmp")) else "/tmp"
    return LinkPlan(link, target, f"the server's log says it cannot make {link}/.flexlm")


def link_ok(p: LinkPlan) -> bool:
    """The link exists, points where planned, and the directory behind it is writable."""
    try:
        return os.readlink(p.link) == p.target and os.path.isdir(p.link) and os.access(p.link, os.W_OK | os.X_OK)
    except OSError:
        return False


def make_link(p: LinkPlan) -> None:
    """Create the link; raises OSError (EEXIST when something is there already: never replaced)."""
    os.symlink(p.target, p.link)


def remove_link(link: str, target: str) -> str:
    """Take back a link lmdoctor made: only while it still points where it did. Returns what happened."""
    try:
        now = os.readlink(link)
    except FileNotFoundError:
        return f"{link} is gone already"
    except OSError:
        return f"{link} is no longer a link; left in place"
    if now != target:
        return f"{link} now points to {now}, not {target}; left in place"
    os.unlink(link)
    return f"removed the link {link} -> {target}"


def lsb_link(loader: str) -> Optional[LinkPlan]:
    real = LSB_LINKS.get(loader)
    if real is None or not os.path.exists(os.path.join(os.path.dirname(loader), real)):
        return None
    return LinkPlan(loader, real, "the FlexNet binaries are LSB builds and ask for this loader")


def package_lines(what: str) -> List[str]:
    """The seed manual's package commands, the one for this machine's package manager first."""
    lines = {
        "lsb": [("apt-get", "sudo apt-get install lsb-core"), ("zypper", "sudo zypper in lsb"),
                ("yum", "sudo yum install lsb"), ("yum", "sudo yum install redhat-lsb.i686   (32-bit tools)")],
        "net-tools": [("apt-get", "sudo apt-get install net-tools"),
                      ("zypper", "sudo zypper in net-tools-deprecated"), ("yum", "sudo yum install net-tools")],
    }[what]
    here = [ln for tool, ln in lines if shutil.which(tool)]
    return here + [ln for _tool, ln in lines if ln not in here]


def firewall_lines(ports: Sequence[int], vendor: str) -> List[str]:
    """The exact lines that open these ports, for firewalld, ufw and Windows."""
    ports = [p for p in ports if p]
    fw = "sudo firewall-cmd --permanent " + " ".join(f"--add-port={p}/tcp" for p in ports)
    out = [f"firewalld: {fw} && sudo firewall-cmd --reload"]
    out += [f"ufw:       sudo ufw allow {p}/tcp" for p in ports]
    names = ["lmgrd"] + [vendor] * (len(ports) - 1)
    out += [f'Windows:   netsh advfirewall firewall add rule name="FlexNet {n} {p}" dir=in action=allow '
            f"protocol=TCP localport={p}" for n, p in zip(names, ports)]
    return out


# ----------------------------------------------------------------------------- ~/.flexlmrc

def flexlmrc_path(home: str) -> str:
    return os.path.join(home, ".flexlmrc")


def vendor_variable(vendor: str) -> str:
    """SIGASI_LM_LICENSE_FILE for Sigasi (its manual); <VENDOR>_LICENSE_FILE for any other FlexNet vendor."""
    if vendor.lower() == "sigasi":
        return "SIGASI_LM_LICENSE_FILE"
    return re.sub(r"[^A-Z0-9_]", "_", vendor.upper()) + "_LICENSE_FILE"


def set_variable(data: bytes, name: str, value: str) -> bytes:
    """NAME=value in a .flexlmrc: the first NAME= line's value replaced, or a line appended."""
    lines = data.split(b"\n")
    key = name.encode()
    for i, ln in enumerate(lines):
        body = ln.rstrip(b"\r")
        if body.split(b"=", 1)[0].strip() == key and b"=" in body:
            lines[i] = key + b"=" + value.encode() + ln[len(body):]
            return b"\n".join(lines)
    sep = b"" if not data or data.endswith(b"\n") else b"\n"
    return data + sep + key + b"=" + value.encode() + b"\n"


def use_127(data: bytes) -> Tuple[bytes, int]:
    """port@localhost -> port@127.0.0.1 in every *_LICENSE_FILE line; (new bytes, how many)."""
    out, n = re.subn(rb"(?m)^([ \t]*[A-Za-z0-9_]+_LICENSE_FILE[ \t]*=.*?@)localhost\b", rb"\g<1>127.0.0.1", data)
    total = n
    while n:  # several entries on one line: repeat until none is left
        out, n = re.subn(rb"(?m)^([ \t]*[A-Za-z0-9_]+_LICENSE_FILE[ \t]*=.*?@)localhost\b", rb"\g<1>127.0.0.1", out)
        total += n
    return out, total


# ----------------------------------------------------------------------------- systemd

def unit_dir(env: Optional[Dict[str, str]] = None) -> str:
    d = (env if env is not None else os.environ).get(UNIT_DIR_ENV)
    return d if d and os.path.isabs(d) else UNIT_DIR


def unit_name(vendor: str) -> str:
    return f"lmgrd-{re.sub(r'[^A-Za-z0-9_.-]', '_', vendor.lower())}.service"


def unit_text(lmgrd: str, license_path: str, log: str, user: str, vendor: str, lmutil: Optional[str]) -> str:
    """A unit that runs lmgrd in the foreground (-z) under systemd; SIGTERM makes lmgrd exit 15."""
    stop = f"ExecStop={argv_text([lmutil, 'lmdown', '-c', license_path, '-q'])}\n" if lmutil else ""
    return (
        "# Written by lmdoctor repair --only server.install-unit\n"
        "[Unit]\n"
        f"Description=FlexNet license server (lmgrd) for {vendor}\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"User={user}\n"
        f"ExecStart={argv_text([lmgrd, '-z', '-c', license_path, '-l', '+' + log])}\n"
        f"{stop}"
        "SuccessExitStatus=15\n"
        "Restart=on-failure\n"
        "RestartSec=10\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def systemctl_lines(unit: str) -> List[str]:
    return ["sudo systemctl daemon-reload", f"sudo systemctl enable --now {unit}", f"systemctl status {unit}"]


def service_of(pid: int) -> Optional[str]:
    """The systemd system service a process runs in (from /proc/PID/cgroup), or None."""
    try:
        with open(f"/proc/{pid}/cgroup", "r", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    m = re.search(r"/system\.slice/(?:[^/\n]+/)*?([^/\n]+\.service)\b", text)
    return m.group(1) if m else None
