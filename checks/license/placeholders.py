"""Template values vendors ship for the admin to fill in: one list, in one place.

Lint (is the file still a template?), check's reachability and identity probes (never look
up or connect to ``your_server_name1``) and the tree's probes all ask here, so they judge
the same SERVER line the same way.

What vendors ship, as seen in real files and templates: ``your_server_name1`` (Sigasi),
``<hostname>``, ``{Name or IP}``, ``[server]``, ``%HOSTNAME%``, ``HERESHOULDBEIP``,
``server_name``, ``xxxxxxxxxxxx`` or ``<optional-mac-address>`` for the hostid, an all-zero
hostid, and ``PATH/daemon`` or ``/path/to/daemon`` for the vendor-daemon path. ``this_host``
is not a template but a FlexNet keyword: lmgrd reads it as "the machine I run on", so it
works on the server and nowhere else (see ``is_this_host``).
"""
from __future__ import annotations

import re
from typing import Optional

# Host names. Real names are letters, digits, '-' and '.'; these patterns only match words a
# vendor writes to be replaced ("hostserver", "yourcompany-lic", "license-server" stay real).
_HOST = re.compile(
    r"""^(?:
        <.*> | \[.*\] | \{.*\} | %.*% | \$\{?[A-Za-z_]\w*\}?      # bracketed, or a variable
      | your[_\-]?(?:server|host|license|machine|lic)?[_\-]?(?:name|server|host|ip|address)?\d*(?:[_\-]?here)?
      | (?:enter|insert|put|type|fill)[_\-]?(?:in[_\-]?)?(?:your)?[_\-]?(?:server|host|ip)[_\-]?(?:name|address)?
        (?:[_\-]?here)?
      | here[_\-]?should[_\-]?be[_\-]?(?:the[_\-]?)?(?:ip|host|hostname|name|server|servername)(?:[_\-]?address)?
      | (?:server|host|ip)[_\-]?(?:name|address)?[_\-]?here
      | (?:server|host|machine)[_\-]?name\d*(?:[_\-]?here)?
      | hostname | server_?host | server_?ip | ip_?address | license_server\d* | servername\d*
      | changeme | change[_\-]me | placeholder | replace[_\-]?me | tbd | todo
      | x{3,} | \?{2,} | \.{3,} | _{2,}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Host ids: a template's stand-ins, and the all-zero id lmhostid prints when it finds no network
# card (no vendor issues a license for it).
_HOSTID = re.compile(
    r"""^(?:
        <.*> | \[.*\] | \{.*\} | %.*%
      | x{4,} | \?{4,} | 0{8,} | (?:00[:\-]){5}00
      | (?:your[_\-]?)?(?:host[_\-]?id|mac(?:[_\-]?address)?|ethernet[_\-]?address)(?:[_\-]?here)?
      | (?:enter|insert|put)[_\-]?(?:your[_\-]?)?(?:host[_\-]?id|mac(?:[_\-]?address)?)(?:[_\-]?here)?
      | changeme | placeholder | tbd | todo
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Daemon / options paths: "PATH/actlmgrd", "/path/to/MLM", "<install_dir>/bin/adskflex",
# "{path}\\ansyslmd.exe", "C:\\path\\to\\daemon.exe", "your/path/here".
_PATH = re.compile(
    r"""(?:^|[\\/])(?:PATH|path[_\-]?to|path[\\/]to|your[_\-]?path(?:[_\-]?here)?|path[_\-]?here|<[^<>]*>|\{[^{}]*\}|\[[^\[\]]*\]
        |%[A-Za-z_]\w*_DIR%|daemon[_\-]?path)(?:[\\/]|$)
      | ^path[\\/]to[\\/]
      | ^<[^<>]*>$
    """,
    re.VERBOSE,
)

# A run of words in brackets on a SERVER line, which the tokenizer splits at its spaces:
# "{Name or IP}", "<optional mac address>".
BRACKETED = re.compile(r"<[^<>\r\n]{1,80}>|\{[^{}\r\n]{1,80}\}|\[[^\[\]\r\n]{1,80}\]")


def is_placeholder_host(host: Optional[str]) -> bool:
    """A SERVER host name that is a template's stand-in, not a machine (``this_host`` is not one)."""
    h = (host or "").strip()
    return bool(h) and _HOST.match(h) is not None


def is_this_host(host: Optional[str]) -> bool:
    """FlexNet's ``this_host``: the local machine for lmgrd, meaningless to a client."""
    return (host or "").strip().lower() == "this_host"


def usable_host(host: Optional[str]) -> bool:
    """A name a client could look up and connect to (not empty, not a template, not this_host)."""
    h = (host or "").strip()
    return bool(h) and not is_placeholder_host(h) and not is_this_host(h)


def is_placeholder_hostid(hostid: Optional[str]) -> bool:
    """A SERVER hostid nobody issued a license for: ``xxxxxxxxxxxx``, ``<mac>``, all zeros ..."""
    h = (hostid or "").strip().strip('"')
    if not h:
        return False
    # ID=00000000, HOSTNAME=<name>, ETHER=xxxxxxxxxxxx: judge the value after the type.
    if "=" in h:
        h = h.split("=", 1)[1]
    return _HOSTID.match(h) is not None


def is_placeholder_path(path: Optional[str]) -> bool:
    """A vendor-daemon or options path that was never filled in (``PATH/daemon``, ``/path/to/x``)."""
    p = (path or "").strip().strip('"')
    return bool(p) and _PATH.search(p) is not None
