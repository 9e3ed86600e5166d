"""PORT@HOST: the one parser and validator of license-server addresses and TCP ports.

FlexNet names a license server as ``PORT@HOST``, ``@HOST`` (lmgrd takes the first free port of
27000-27009) or a redundant triad ``p1@h1,p2@h2,p3@h3``. The same grammar is read from
``--server`` of every command (``check``, ``diagnose``, ``tui``), from the app's inputs, from the
search path (``LM_LICENSE_FILE`` / ``<VENDOR>_LICENSE_FILE`` entries, ``checks.probes.searchpath``)
and by the troubleshooter's network probes. New code that takes a server address uses
``check_server_argument`` (one-line message on bad input) or ``parse_server_spec`` (never raises).

Ports are ASCII digits only: ``str.isdigit()`` also accepts '²' or Arabic-Indic digits, which
``int()`` then refuses with a traceback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .exceptions import LmdoctorError

PORT_MIN, PORT_MAX = 1, 65535
_ASCII_DIGITS = re.compile(r"[0-9]+")
_HOST = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_])?$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
MAX_HOST_CHARS = 253  # the DNS limit

# What a PORT@HOST part can be wrong about (PathEntry.problems of the search-path probe).
SPACES, LOCALHOST, BAD_PORT, BAD_HOST, TRIAD_SIZE, SEMICOLON = (
    "spaces", "localhost", "bad-port", "bad-host", "triad-size", "semicolon")


def ascii_int(text: str, max_digits: int) -> Optional[int]:
    """The number ``text`` spells with 1..max_digits ASCII digits, else None (never raises)."""
    if len(text) > max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def parse_port(text: str) -> Optional[int]:
    """A TCP port 1..65535 written in ASCII digits (leading zeros allowed, up to 6 digits), else None."""
    n = ascii_int(text.strip(), 6)
    return n if n is not None and PORT_MIN <= n <= PORT_MAX else None


def valid_host(host: str) -> bool:
    """A host name or IPv4 address FlexNet can use (no spaces, no URL, at most 253 characters)."""
    return bool(host) and len(host) <= MAX_HOST_CHARS and bool(_HOST.match(host) or _IPV4.match(host))


@dataclass(frozen=True)
class Server:
    port: Optional[int]  # None for '@host' (FlexNet tries 27000-27009) or a port that is not valid
    host: str
    port_text: str = ""

    @property
    def label(self) -> str:
        return f"{self.port_text}@{self.host}"


@dataclass(frozen=True)
class ServerSpec:
    """One PORT@HOST, @HOST or triad, with what is wrong with it (empty ``problems``: usable)."""

    raw: str
    servers: Tuple[Server, ...]
    problems: Tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """"triad" for several servers, else "port_at_host" or "at_host"."""
        if len(self.servers) > 1:
            return "triad"
        s = self.servers[0]
        return "port_at_host" if s.port is not None or s.port_text else "at_host"


def looks_like_server(text: str) -> bool:
    """PORT@HOST-shaped (an '@' and no path separator), as opposed to a license file path."""
    t = text.strip()
    return "@" in t and "/" not in t and "\\" not in t


def parse_server(text: str) -> Tuple[Optional[Server], List[str]]:
    """One PORT@HOST or @HOST, and its problems; (None, ["invalid"]) without an '@'. Never raises."""
    problems: List[str] = []
    t = text
    if t != t.strip():
        problems.append(SPACES)
        t = t.strip()
    if "@" not in t:
        return None, ["invalid"]
    port_text, host = t.split("@", 1)
    if port_text != port_text.strip() or host != host.strip():
        problems.append(SPACES)
    port_text, host = port_text.strip(), host.strip()
    port: Optional[int] = None
    if port_text:
        port = parse_port(port_text)
        if port is None:
            problems.append(BAD_PORT)
    if " " in host or "\t" in host:
        problems.append(SPACES)
    if ";" in host:
        problems.append(SEMICOLON)
    if not valid_host(host) and SEMICOLON not in problems and SPACES not in problems:
        problems.append(BAD_HOST)
    if host.lower() == "localhost":
        problems.append(LOCALHOST)
    return Server(port, host, port_text), problems


def parse_server_spec(text: str) -> Optional[ServerSpec]:
    """PORT@HOST, @HOST or a triad (comma-separated); None when ``text`` is not of that shape
    (a file path, or a part without '@'). Never raises."""
    if not looks_like_server(text):
        return None
    stripped = text.strip()
    problems: List[str] = []
    servers: List[Server] = []
    for part in stripped.split(","):
        s, probs = parse_server(part)
        if s is None:
            return None
        servers.append(s)
        problems.extend(probs)
    if text != stripped and SPACES not in problems:
        problems.append(SPACES)
    if len(servers) > 1 and len(servers) != 3:
        problems.append(TRIAD_SIZE)
    return ServerSpec(text, tuple(servers), tuple(dict.fromkeys(problems)))


class ServerSpecError(LmdoctorError, ValueError):
    """A license-server address that lmdoctor cannot use; the message says what and how to write it."""


# Problems that make an address unusable (the others, like 'localhost', are findings, not errors).
_REFUSED = {
    BAD_PORT: "the port must be a number from 1 to 65535",
    BAD_HOST: "the host is not a host name or IPv4 address",
    SPACES: "it contains spaces",
    SEMICOLON: "it contains ';' (one server per --server; a triad is p1@h1,p2@h2,p3@h3)",
    TRIAD_SIZE: "a redundant server triad has exactly three servers",
}


def check_server_argument(text: str) -> str:
    """``text`` stripped when it is a usable PORT@HOST, @HOST or triad; else ServerSpecError with a
    one-line message. For argparse ``type=`` (see ``argparse_server``) and the app's inputs."""
    spec = parse_server_spec(text.strip())  # blanks around a pasted address are not a mistake
    if spec is None:
        raise ServerSpecError(f"{text!r} is not PORT@HOST (e.g. 27000@licserver)")
    for problem, why in _REFUSED.items():
        if problem in spec.problems:
            raise ServerSpecError(f"{text!r}: {why}; write it as 27000@licserver")
    return text.strip()


def argparse_server(text: str) -> str:
    """``type=`` for a ``--server`` option: a bad address is a usage error (exit 3), never a traceback."""
    import argparse

    try:
        return check_server_argument(text)
    except ServerSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
