"""FlexLM error codes, OS error numbers and vendor-daemon exit statuses.

One table serves ``explain``, the log analyser, the lmstat reader and the daemon
runner. The FlexLM major codes are exactly those listed in
``flexlm-facts.md`` section 3; any other code is reported as unknown rather
than guessed. The *minor* number only marks the place in the FlexNet library
that raised the error and has no public meaning, so nothing here interprets it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

# --------------------------------------------------------------------------
# FlexLM major codes (official short meanings, facts file section 3)
# --------------------------------------------------------------------------
FLEXLM_CODES: Dict[int, str] = {
    -1: "Cannot find license file",
    -2: "Invalid license file syntax",
    -3: "No server for this feature",
    -4: "Licensed number of users already reached",
    -5: "No such feature exists",
    -6: "No TCP port number in license file and no \"FlexNet\" service",
    -7: "No socket connection to license manager service",
    -8: "Invalid (inconsistent) license key; the daemon log says "
        "\"Invalid license key (inconsistent authentication code)\"",
    -9: "Invalid host (the hostid of this system does not match the license)",
    -10: "Feature has expired",
    -11: "Invalid date format in license file",
    -12: "Invalid returned data from license server",
    -13: "No SERVER lines in license file",
    -14: "Cannot find SERVER hostname in network database",
    -15: "Cannot connect to license server system",
    -16: "Cannot read data from license server system",
    -17: "Cannot write data to license server system",
    -18: "License server system does not support this feature",
    -19: "Error in select system call",
    -20: "License server system busy (no majority)",
    -21: "License file does not support this version",
    -22: "Feature checkin failure detected",
    -23: "License server system temporarily busy (new server connecting)",
    -24: "Users are queued for this feature",
    -25: "License server system does not support this version of this feature",
    -26: "Request for more licenses than this feature supports",
    -29: "Cannot find ethernet device",
    -30: "Cannot read license file",
    -31: "Feature start date is in the future",
    -33: "Bad encryption handshake with vendor daemon",
    -34: "Clock difference too large between client and license server system",
    -35: "In the queue for this feature",
    -36: "Feature database corrupted in vendor daemon",
    -38: "User/host on EXCLUDE list for feature",
    -39: "User/host not on INCLUDE list for feature",
    -40: "Cannot allocate dynamic memory",
    -41: "Feature was never checked out",
    -42: "Invalid parameter",
    -52: "Vendor daemon did not respond within timeout interval",
    -57: "socket() call failed",
    -59: "Message checksum failure",
    -61: "Cannot read license file data from license server system",
    -62: "Network software (TCP/IP) not available",
    -63: "You are not a license administrator",
    -76: "Internal FlexNet Licensing error",
    -77: "Bad version number",
    -82: "Invalid PACKAGE line in license file",
    -83: "FlexNet Licensing version of vendor daemon is too old",
    -87: "Checkout request exceeds MAX specified in options file",
    -88: "System clock has been set back",
    -89: "This platform not authorized by license",
    -90: "Future license file format or misspelling in license file",
    -92: "Feature removed during lmreread, or wrong SERVER line hostid",
    -95: "Network connect to THIS_HOST failed",
    -96: "License server machine is down or not responding",
    -97: "The desired vendor daemon is down",
    -101: "All licenses are reserved for others",
    -106: "License server system out of network connections",
    -114: "SIGN= keyword required but missing from the license",
    -119: "lmdown and lmreread must be run on the license server machine",
    -139: "Timeout",
    -141: "Error writing to socket (the peer has closed the socket)",
}

# The facts file only names the subject of this range; codes in it that are not in
# the table above stay "unknown", with this hint so the reader knows where to look.
_RANGE_HINT = (-235, -102,
               "codes -102..-235 cover borrowing, dongles, signatures, trusted storage, "
               "activation, virtual machines and TPM")

# --------------------------------------------------------------------------
# Unix errno (Linux numbering; BSD/Solaris/macOS differ above 34)
# --------------------------------------------------------------------------
UNIX_ERRNO: Dict[int, Tuple[str, str]] = {
    1: ("EPERM", "Operation not permitted"),
    2: ("ENOENT", "No such file or directory"),
    3: ("ESRCH", "No such process"),
    4: ("EINTR", "Interrupted system call"),
    5: ("EIO", "Input/output error"),
    9: ("EBADF", "Bad file descriptor"),
    11: ("EAGAIN", "Resource temporarily unavailable"),
    12: ("ENOMEM", "Cannot allocate memory"),
    13: ("EACCES", "Permission denied"),
    17: ("EEXIST", "File exists"),
    20: ("ENOTDIR", "Not a directory"),
    21: ("EISDIR", "Is a directory"),
    22: ("EINVAL", "Invalid argument"),
    23: ("ENFILE", "Too many open files in system"),
    24: ("EMFILE", "Too many open files"),
    28: ("ENOSPC", "No space left on device"),
    30: ("EROFS", "Read-only file system"),
    32: ("EPIPE", "Broken pipe"),
    88: ("ENOTSOCK", "Socket operation on non-socket"),
    97: ("EAFNOSUPPORT", "Address family not supported by protocol"),
    98: ("EADDRINUSE", "Address already in use"),
    99: ("EADDRNOTAVAIL", "Cannot assign requested address"),
    100: ("ENETDOWN", "Network is down"),
    101: ("ENETUNREACH", "Network is unreachable"),
    103: ("ECONNABORTED", "Software caused connection abort"),
    104: ("ECONNRESET", "Connection reset by peer"),
    105: ("ENOBUFS", "No buffer space available"),
    106: ("EISCONN", "Transport endpoint is already connected"),
    107: ("ENOTCONN", "Transport endpoint is not connected"),
    110: ("ETIMEDOUT", "Connection timed out"),
    111: ("ECONNREFUSED", "Connection refused"),
    112: ("EHOSTDOWN", "Host is down"),
    113: ("EHOSTUNREACH", "No route to host"),
    114: ("EALREADY", "Operation already in progress"),
    115: ("EINPROGRESS", "Operation now in progress"),
}

# --------------------------------------------------------------------------
# Winsock (Windows) error codes
# --------------------------------------------------------------------------
WINSOCK: Dict[int, Tuple[str, str]] = {
    10004: ("WSAEINTR", "Interrupted function call"),
    10009: ("WSAEBADF", "File handle is not valid"),
    10013: ("WSAEACCES", "Permission denied (socket access forbidden, often a port reserved or held exclusively)"),
    10014: ("WSAEFAULT", "Bad address"),
    10022: ("WSAEINVAL", "Invalid argument"),
    10024: ("WSAEMFILE", "Too many open sockets"),
    10035: ("WSAEWOULDBLOCK", "Resource temporarily unavailable"),
    10036: ("WSAEINPROGRESS", "Operation now in progress"),
    10037: ("WSAEALREADY", "Operation already in progress"),
    10038: ("WSAENOTSOCK", "Socket operation on non-socket"),
    10047: ("WSAEAFNOSUPPORT", "Address family not supported by protocol family"),
    10048: ("WSAEADDRINUSE", "Address already in use"),
    10049: ("WSAEADDRNOTAVAIL", "Cannot assign requested address (invalid address)"),
    10050: ("WSAENETDOWN", "Network is down"),
    10051: ("WSAENETUNREACH", "Network is unreachable"),
    10052: ("WSAENETRESET", "Network dropped connection on reset"),
    10053: ("WSAECONNABORTED", "Software caused connection abort"),
    10054: ("WSAECONNRESET", "Connection reset by peer"),
    10055: ("WSAENOBUFS", "No buffer space available"),
    10056: ("WSAEISCONN", "Socket is already connected"),
    10057: ("WSAENOTCONN", "Socket is not connected"),
    10058: ("WSAESHUTDOWN", "Cannot send after socket shutdown"),
    10060: ("WSAETIMEDOUT", "Connection timed out"),
    10061: ("WSAECONNREFUSED", "Connection refused"),
    10064: ("WSAEHOSTDOWN", "Host is down"),
    10065: ("WSAEHOSTUNREACH", "No route to host"),
    10091: ("WSASYSNOTREADY", "Network subsystem is unavailable"),
    10093: ("WSANOTINITIALISED", "WSAStartup not yet performed"),
    10101: ("WSAEDISCON", "Graceful shutdown in progress"),
    11001: ("WSAHOST_NOT_FOUND", "Host not found"),
    11002: ("WSATRY_AGAIN", "Non-authoritative host not found (temporary DNS failure)"),
    11003: ("WSANO_RECOVERY", "Non-recoverable DNS error"),
    11004: ("WSANO_DATA", "Valid name, no data record of requested type"),
}

# --------------------------------------------------------------------------
# What a code usually means in practice, and what to do next: the general FlexNet truth for
# every vendor. SIGASI_NOTES add Sigasi's specifics, only when the text is about Sigasi.
# --------------------------------------------------------------------------
PRACTICAL: Dict[int, str] = {
    -1: "The application found no license at all: its license search path (<VENDOR>_LICENSE_FILE, "
        "LM_LICENSE_FILE, the application's own license setting) is empty or names a file that does not "
        "exist. Next: point it at the license server as port@host (e.g. 27000@licserver) or at the license "
        "file, and retry; `lmdoctor check` shows the search path it sees.",
    -2: "The license file is damaged (copy/paste, mail quoting, missing backslash). "
        "Next: run `lmdoctor lint FILE` and fix the lines it names.",
    -3: "The server the client reached does not serve this feature, or no server in the search path "
        "serves it. Next: check the client's search path points at the right server and run "
        "`lmutil lmdiag -c 27000@<server> -n`.",
    -4: "All licenses of this feature are in use. Next: `lmutil lmstat -a -c 27000@<server>` shows who "
        "holds them; ask a user to close the application, or buy more seats.",
    -5: "The feature the application asks for is in no license it reads: the license is for another "
        "product, edition or version, the client asks another server, or the server has not reread a "
        "changed license. Next: compare the feature name in the message with the FEATURE/INCREMENT lines "
        "the server serves (`lmutil lmstat -a -c 27000@<server>`); after installing a new license run "
        "`lmutil lmreread`.",
    -7: "No connection to lmgrd. Next: check lmgrd is running and the port in SERVER is open "
        "on the firewall.",
    -8: "The license key does not match its signature: usually a changed field other than "
        "the SERVER host/port, a copy error, or the server name not corrected. Next: correct "
        "only the SERVER host name and ports, re-copy the key exactly, run `lmdoctor lint`.",
    -9: "The hostid in the license does not match this machine. Next: compare `lmutil lmhostid` "
        "with the hostid in the license (SERVER line, HOSTID=); request a license for this machine's hostid.",
    -10: "The license has expired. Next: request a renewed license from the vendor and install it "
         "(on a server, then `lmutil lmreread`).",
    -13: "The license file used by lmgrd has no SERVER line (a node-locked key, or the "
         "wrong file). Next: use the floating license with its SERVER and VENDOR lines "
         "(and USE_SERVER on clients).",
    -14: "The SERVER host name does not resolve on this machine. Next: put the real host "
         "name (or IP) on the SERVER line, or fix DNS / hosts file.",
    -15: "The client cannot reach the license server: lmgrd not running, wrong host/port, "
         "firewall, or (through an SSH tunnel) localhost resolving to ::1. Next: "
         "`lmutil lmdiag -c 27000@<server> -n`; open both the lmgrd port and the vendor daemon's "
         "port; use 127.0.0.1 instead of localhost for tunnels.",
    -16: "The connection to the server broke while reading. Next: check firewalls / VPNs "
         "that cut idle connections and that the vendor daemon's port is open too.",
    -17: "The connection to the server broke while writing. Next: as for -16.",
    -18: "The server does not serve this feature: the license on the server has no line for it (another "
         "edition or product). Next: compare the feature with the server's license (`lmutil lmstat -a`).",
    -21: "The license is for an older version than the application asks for (the feature version in the "
         "license is lower than the release you run). Next: request a license for this release (e.g. "
         "renewed maintenance), or run a release the license covers.",
    -25: "The feature version in the license is lower than the version the client asks for. Next: request "
         "a license for the release you run, or run a release the license covers.",
    -31: "The feature's START date is in the future, or the server's clock is wrong. "
         "Next: check the date on the server.",
    -34: "Client and server clocks differ too much. Next: synchronise clocks (NTP).",
    -38: "The vendor daemon's options file excludes this user or host for the feature (EXCLUDE / "
         "EXCLUDEALL). Next: remove them from EXCLUDE in the options file (OPTIONS= on the VENDOR line; "
         "by default <vendor>.opt beside the license), then `lmutil lmreread`.",
    -39: "The vendor daemon's options file lists who may use the feature (INCLUDE / INCLUDEALL) and this "
         "user or host is not on it. Next: add the user (or host, or their GROUP) to INCLUDE in the options "
         "file (OPTIONS= on the VENDOR line; by default <vendor>.opt beside the license; the debug log says "
         "'Using options file'), then `lmutil lmreread`.",
    -83: "The vendor daemon is older than the client's FlexNet library. Next: install the vendor's "
         "current lmgrd and vendor daemon (both from the same release) on the server.",
    -88: "The system clock was set back. Next: correct the clock; remove future-dated files.",
    -90: "The license uses syntax the daemon does not know: a misspelled keyword or a key "
         "needing a newer daemon. Next: `lmdoctor lint FILE`; update the daemons.",
    -92: "The feature went away on lmreread, or the SERVER hostid is wrong. Next: check the "
         "SERVER line hostid against `lmutil lmhostid`.",
    -95: "The server could not connect to itself (THIS_HOST). Next: check the host name "
         "resolves to a local address.",
    -96: "The server machine is down or not answering on the lmgrd port. Next: check the "
         "machine and lmgrd, and the firewall.",
    -97: "lmgrd runs but the vendor daemon is down. Next: read the debug log for "
         "its exit reason (`lmdoctor log debug.log`), then restart lmgrd.",
    -114: "The license line has no SIGN= signature while this client requires one: the license file "
          "(and usually lmgrd and the vendor daemon) are older than the client release. Next: install the "
          "vendor's current lmgrd and vendor daemon on the server and a current license file from the vendor.",
}

# Sigasi's own words for the same codes (the seed manual, flexlm-facts.md section 7): added only
# when the text is about Sigasi.
SIGASI_NOTES: Dict[int, str] = {
    -1: "Sigasi Studio: set the \"License key path\" preference or SIGASI_LM_LICENSE_FILE (which wins over "
        "LM_LICENSE_FILE).",
    -4: "Sigasi Studio holds a seat while it runs: ask a user to close it.",
    -5: "Sigasi: an XL or XPRT feature (com.sigasi.hdt.xl, com.sigasi.hdt.xl.doc) with a Creator key, or "
        "the option 'Do not try to checkout floating Sigasi Studio XL licenses'.",
    -10: "Ask Sigasi for a renewed key.",
    -15: "Sigasi: open both 27000 (lmgrd) and the sigasi daemon's port= (e.g. 27001).",
    -18: "For com.sigasi.hdt.custom and com.sigasi.hdt.preview this is expected and harmless (Sigasi "
         "Studio probes them).",
    -21: "A Sigasi 2.x key does not serve Sigasi 3 or later.",
    -25: "A Sigasi 2.x key does not serve Sigasi 3 or later.",
    -83: "Sigasi: lmgrd and sigasi from the same zip (download.sigasi.com).",
    -97: "Sigasi: the sigasi vendor daemon is the one that is down.",
}

# The vendor's own words change what a code means in practice (checked on the whole line).
_VARIANTS: Tuple[Tuple[int, "re.Pattern[str]", str], ...] = (
    (-9, re.compile(r"user\s*name\b[^.]{0,40}\bnot\s+match|not\s+match[^.]{0,40}\buser\s*name|USER=", re.I),
     "The license is locked to a user name (a USER= hostid, or a per-user activation such as MATLAB's "
     "Individual license), not to this machine's MAC: the network card is not the problem. Next: run the "
     "application as the user the license is for (`whoami`; the name is case-sensitive on Linux), or move "
     "the activation to this user with the vendor's activation tool, or ask the vendor to change the user."),
    (-114, re.compile(r"license\s+manager\s+update|requires\s+a\s+(?:newer|network)\s+license", re.I),
     "The license server's lmgrd / vendor daemon (and its license file) are older than this client release "
     "needs. Next: install the vendor's current license manager (lmgrd and the vendor daemon from the same "
     "release) on the server and a current license file, then restart lmgrd."),
    (-16, re.compile(r"flexnetls|flexnet\s+embedded|flexnetlsadmin|:7070\b", re.I),
     "lmutil (lmstat, lmdiag) talks to lmgrd-based FlexNet Publisher servers only; a FlexNet Embedded "
     "license server (flexnetls, port 7070 by default) answers in another protocol, so lmutil cannot read "
     "it. Next: query it with its own tool (flexnetlsadmin -server http://<host>:7070/api/1.0/instances/~ "
     "with a report option from flexnetlsadmin -help) or the vendor's admin web page."),
    (-1, re.compile(r"can'?t\s+initialize|license\s+manager:", re.I),
     "lmgrd itself was given no readable license file: the -c path (or LM_LICENSE_FILE in lmgrd's "
     "environment, or the service's license path in lmtools) names nothing. Next: start lmgrd with "
     "-c /full/path/to/license.dat (a file that exists and lmgrd's user can read)."),
)


# --------------------------------------------------------------------------
# Vendor-daemon exit statuses (facts section 5)
# --------------------------------------------------------------------------
EXIT_BASE = {"unix": 32, "windows": 23}
EXIT_REASONS: Dict[int, str] = {
    1: "bad configuration (license file or options file problem)",
    2: "wrong host (the hostid on the SERVER line is not this machine)",
    3: "port in use",
    4: "no features to serve",
    5: "communication error",
    8: "killed by a signal",
    9: "another license server (same vendor daemon) was already running",
    14: "lmgrd asked it to exit",
}
EXIT_FIX: Dict[int, str] = {
    1: "Run `lmdoctor lint` on the license file and check the options file path.",
    2: "Compare `lmutil lmhostid` with the SERVER line hostid; request a key for this machine's MAC.",
    3: "Find what holds the port (`ss -ltnp` / `netstat -ano`) or change port= on the DAEMON line.",
    4: "The license has no valid (unexpired, matching) features for this daemon: check the "
       "INCREMENT lines, their vendor name and expiry dates.",
    5: "Check the vendor daemon can reach lmgrd on localhost (firewall, host name resolution).",
    8: "Something killed the daemon; check who (lmdown, service manager, OOM killer).",
    9: "Stop every other lmgrd and vendor daemon (lmtools.exe, lmgrd, sigasi) first; on Windows "
       "also rename a C:\\FlexLM\\ install folder (e.g. to C:\\LMFlex\\) and update lmtools.",
    14: "lmgrd shut it down (lmdown, lmreread or lmgrd exiting); look earlier in the log.",
}


@dataclass(frozen=True)
class ErrorRef:
    major: int
    minor: Optional[int]
    errno: Optional[int]
    errno_text: Optional[str]
    raw: str


@dataclass(frozen=True)
class ExitDecode:
    """One plausible reading of a vendor-daemon exit signal/status."""

    signal: int
    platform: Optional[str]  # "unix", "windows" or None when nothing fits
    base: Optional[int]
    reason: Optional[int]
    reason_text: Optional[str]
    fix: Optional[str]


def flexlm_meaning(major: int) -> Optional[str]:
    if major > 0:
        major = -major
    return FLEXLM_CODES.get(major)


def flexlm_range_hint(major: int) -> Optional[str]:
    """For an unknown code inside the documented-but-unlisted range, say what the range covers."""
    if major > 0:
        major = -major
    lo, hi, text = _RANGE_HINT
    if major not in FLEXLM_CODES and lo <= major <= hi:
        return text
    return None


def practical_meaning(major: int, text: str = "", sigasi: Optional[bool] = None) -> Optional[str]:
    """What ``major`` means in practice, with 'Next: ...' (the fix) at the end.

    ``text`` is the line the code came from: the vendor's own words there can change the meaning
    (-9 with "username does not match" is a user-locked license, not a MAC problem). Sigasi's
    notes are added only when ``sigasi`` (default: the text mentions Sigasi).
    """
    if major > 0:
        major = -major
    base = PRACTICAL.get(major)
    if isinstance(text, str) and text:
        for code, rx, meaning in _VARIANTS:
            if code == major and rx.search(text):
                base = meaning
                break
    if base is None:
        return None
    if sigasi is None:
        sigasi = isinstance(text, str) and "sigasi" in text.lower()
    note = SIGASI_NOTES.get(major) if sigasi else None
    if note:
        what, sep, nxt = base.partition("Next:")
        base = f"{what.rstrip()} {note} {sep}{nxt}" if sep else f"{base} {note}"
    return base


def errno_meaning(errno: int) -> Optional[str]:
    """The OS meaning of the number after the colon, saying which table it came from."""
    if errno is None:
        return None
    if errno >= 10000:
        ent = WINSOCK.get(errno)
        if ent:
            return f"Winsock {errno} {ent[0]}: {ent[1]} (a Windows socket error)"
        return None
    ent = UNIX_ERRNO.get(errno)
    if ent:
        return f"Unix errno {errno} {ent[0]}: {ent[1]} (Linux numbering)"
    return None


def errno_interpretations(errno: int) -> List[str]:
    """Every honest reading of an OS error number: Unix and Winsock, with what does not apply."""
    out: List[str] = []
    if errno >= 10000:
        ent = WINSOCK.get(errno)
        out.append(f"Winsock {errno} {ent[0]}: {ent[1]} (the server or client runs on Windows)"
                   if ent else f"Winsock {errno}: not in lmdoctor's Winsock table (unknown)")
        out.append("Unix: no errno is this high, so it is not a Unix error number")
    else:
        ent = UNIX_ERRNO.get(errno)
        out.append(f"Unix errno {errno} {ent[0]}: {ent[1]} (Linux numbering; BSD/macOS/Solaris "
                   "number some codes differently)" if ent
                   else f"Unix errno {errno}: not in lmdoctor's errno table (unknown)")
        if errno == 0:
            out[-1] = "errno 0: no OS error was recorded"
        out.append("Winsock: codes start at 10000, so it is not a Winsock error")
    return out


# --------------------------------------------------------------------------
# Finding codes in text
# --------------------------------------------------------------------------
# A code is "-major" with an optional ",minor" and ":errno", then an optional quoted errno
# text or the long form's "System Error: N". A bare "-N" counts only after an "error" word
# or when it is the whole text: inside arbitrary lines (dates, "from -1 to 0") it is noise.
_CODE_RE = re.compile(
    r"""
    (?P<pre>(?:licen[sc]\w*\s+error|error(?:\s+code)?)\s*[:=]?\s*)?
    (?<![\w.\-/+])-(?P<major>\d{1,4})(?!\d|\.\d)
    (?:,[ ]?(?P<minor>\d{1,9})(?::(?P<errno>\d{1,6}))?)?
    (?:[ \t]*"(?P<q>[^"\r\n]{0,300})")?
    (?:\.?[ \t]*System\s+Error:[ \t]*(?P<sys>\d{1,6})(?:[ \t]*"(?P<systext>[^"\r\n]{0,300})")?)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Text made only of codes ("-15", "-15 -4", "(-97)"): bare majors are meant as codes there.
_WHOLE_CODE_RE = re.compile(r"(?:[\s;,]*\(?-\d{1,4}(?:,[ ]?\d{1,9}(?::\d{1,6})?)?\)?)+[\s;,.]*")


def find_error_codes(text: str) -> List[ErrorRef]:
    """Every FlexLM error reference in ``text`` (a log line, dialog text, a bare code). Never raises."""
    if not isinstance(text, str) or "-" not in text:
        return []
    whole = _WHOLE_CODE_RE.fullmatch(text) is not None
    out: List[ErrorRef] = []
    for m in _CODE_RE.finditer(text):
        if m.group("minor") is None and m.group("pre") is None and not whole:
            continue
        try:
            major = -int(m.group("major"))
            minor = int(m.group("minor")) if m.group("minor") else None
            errno = int(m.group("errno")) if m.group("errno") else None
        except ValueError:  # pragma: no cover - the regex only admits digits
            continue
        etext: Optional[str] = None
        if errno is not None and m.group("q"):
            etext = m.group("q").strip() or None
        if m.group("sys"):
            if errno is None:
                errno = int(m.group("sys"))
            if m.group("systext"):
                etext = m.group("systext").strip() or etext
        raw = m.group(0)
        if m.group("pre"):
            raw = raw[len(m.group("pre")):]
        out.append(ErrorRef(major, minor, errno, etext, raw.strip()))
    return out


# --------------------------------------------------------------------------
# Exit signals / statuses
# --------------------------------------------------------------------------
def _decode(signal: int, platform: str, reason: Optional[int]) -> Optional[ExitDecode]:
    base = EXIT_BASE[platform]
    k = signal - base if reason is None else reason
    if reason is not None and signal - reason != base:
        return None
    if k not in EXIT_REASONS:
        return None
    return ExitDecode(signal, platform, base, k, EXIT_REASONS[k], EXIT_FIX.get(k))


def decode_exit_signal(signal: int, reason: Optional[int] = None,
                       platform_hint: Optional[str] = None) -> List[ExitDecode]:
    """Decode ``EXITING DUE TO SIGNAL n Exit reason k`` or ``exited with status n``.

    n = base + reason, base 32 on Unix and 23 on Windows. With ``reason`` the base
    tells the platform; without it every platform whose reading is a known reason is
    returned (``platform_hint`` "unix"/"windows"/"linux" narrows it). An empty list
    means no known reading: the caller reports the number as unknown.
    """
    hint = None
    if platform_hint:
        h = str(platform_hint).lower()
        hint = "windows" if h.startswith("win") else "unix"
    platforms = [hint] if hint else ["unix", "windows"]
    out: List[ExitDecode] = []
    for p in platforms:
        d = _decode(signal, p, reason)
        if d:
            out.append(d)
    if not out and reason is not None and reason in EXIT_REASONS:
        # The reason is known even when the base is odd: report it without a platform.
        out.append(ExitDecode(signal, None, signal - reason, reason, EXIT_REASONS[reason], EXIT_FIX.get(reason)))
    return out


# lmgrd's own exit, and a vendor daemon's number below both bases, is a plain Unix signal
# (facts section 4: on SIGTERM lmgrd exits with status 15). name, meaning, orderly?
UNIX_SIGNALS: Dict[int, Tuple[str, str, bool]] = {
    1: ("SIGHUP", "hang-up: the terminal or session it was started from closed (or a reread request)", False),
    2: ("SIGINT", "interrupted (Ctrl-C in the terminal it runs in)", True),
    3: ("SIGQUIT", "quit from the terminal", False),
    6: ("SIGABRT", "aborted: it crashed on an internal check", False),
    9: ("SIGKILL", "killed (kill -9, the OOM killer, or a service manager's forced stop)", False),
    11: ("SIGSEGV", "crashed (segmentation fault)", False),
    13: ("SIGPIPE", "its output pipe closed", False),
    15: ("SIGTERM", "asked to stop: lmdown, a service stop or kill (an orderly stop)", True),
}
BELOW_EXIT_BASE = min(EXIT_BASE.values())  # vendor exit numbers are base + reason, so at least 23


def unix_signal(signal: int) -> Tuple[str, str, bool]:
    """(name, meaning, orderly) of a Unix signal number; unknown numbers are named 'signal N'."""
    got = UNIX_SIGNALS.get(signal)
    if got:
        return got
    return f"signal {signal}", "stopped by a signal lmdoctor has no description for", False


_EXIT_RE = re.compile(
    r"EXITING\s+DUE\s+TO\s+SIGNAL\s+(?P<signal>\d{1,4})(?:\s+Exit\s+reason\s+(?P<reason>\d{1,4}))?"
    r"|exited\s+with\s+status\s+(?P<status>\d{1,4})(?:\s*\((?P<text>[^)\r\n]{0,200})\))?"
    r"|\bstatus\s+(?P<bare>\d{1,4})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ExitRef:
    signal: int
    reason: Optional[int]
    text: Optional[str]  # lmgrd's own words, e.g. "Invalid host"
    raw: str


def find_exit_signals(text: str) -> List[ExitRef]:
    """``EXITING DUE TO SIGNAL n [Exit reason k]``, ``exited with status n (text)``, ``status n``."""
    if not isinstance(text, str):
        return []
    out: List[ExitRef] = []
    for m in _EXIT_RE.finditer(text):
        if m.group("signal"):
            out.append(ExitRef(int(m.group("signal")),
                               int(m.group("reason")) if m.group("reason") else None, None, m.group(0)))
        elif m.group("status"):
            out.append(ExitRef(int(m.group("status")), None, (m.group("text") or "").strip() or None, m.group(0)))
        else:
            out.append(ExitRef(int(m.group("bare")), None, None, m.group(0)))
    return out
