"""Which commands run where. Linux is what the tests prove.

The file commands (lint, explain, lmstat, log, diagnose without --auto, completion) are plain
Python and know Windows FlexNet (lmgrd.exe, sigasi.exe, C:\\ paths, Winsock codes), so they run
anywhere. The live commands read this machine's process table, sockets and /proc, use process
groups and signals, or start scripts through "#!" lines: on Windows they refuse at once with one
line and exit 3 instead of failing deep inside; on other Unix systems (macOS, BSD) they run with
a one-line note that they are tested on Linux only.

A command module says it is live with ``NEEDS_LINUX = True``, or with a function
``needs_linux(args) -> bool`` when only some of its forms are (``diagnose --auto``).
"""
from __future__ import annotations

import argparse
import sys
from enum import Enum
from typing import Callable, Optional, Union

NeedsLinux = Union[bool, Callable[[argparse.Namespace], bool]]

FILE_COMMANDS = "lint, explain, lmstat, log and diagnose (without --auto)"


class Platform(Enum):
    LINUX = "Linux"
    WINDOWS = "Windows"
    OTHER_UNIX = "this Unix"


def current(platform: Optional[str] = None) -> Platform:
    name = sys.platform if platform is None else platform
    if name.startswith("linux"):
        return Platform.LINUX
    if name.startswith(("win", "cygwin", "msys")):
        return Platform.WINDOWS
    return Platform.OTHER_UNIX


def needs_linux(args: argparse.Namespace) -> bool:
    flag: NeedsLinux = getattr(args, "_needs_linux", False)
    return bool(flag(args) if callable(flag) else flag)


def command_name(args: argparse.Namespace) -> str:
    name = str(getattr(args, "command", "") or "")
    action = getattr(args, "action", None) if name == "sandbox" else None
    return f"{name} {action}" if action else name


def refusal(args: argparse.Namespace, platform: Optional[str] = None) -> Optional[str]:
    """The one line that stops a live command on Windows, or None when it may run."""
    if current(platform) is not Platform.WINDOWS or not needs_linux(args):
        return None
    return (f"'{command_name(args)}' reads this machine's processes and sockets and runs on Linux only; "
            f"on Windows, {FILE_COMMANDS} work on copies of the license file, the debug log and "
            "'lmutil lmstat -a' output")


def note(args: argparse.Namespace, platform: Optional[str] = None) -> Optional[str]:
    """A one-line caution for a live command on a Unix that is not Linux (it runs anyway)."""
    if current(platform) is not Platform.OTHER_UNIX or not needs_linux(args):
        return None
    name = sys.platform if platform is None else platform
    return f"'{command_name(args)}' is tested on Linux only; on {name} some probes may report nothing or 'unknown'"
