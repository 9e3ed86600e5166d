"""What the user told the app (license, servers, role, log, timeout): one object every tab reads.

The inputs panel (i) changes it while the app runs; the command line fills it at start. The theme
is remembered between runs in a small JSON file in lmdoctor's state directory (checks/statedir.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Optional

SETTINGS = "app.json"  # in checks.statedir's state directory: {"theme": NAME}


@dataclass
class Inputs:
    license_path: Optional[str] = None
    servers: List[str] = field(default_factory=list)
    on_server: Optional[bool] = None  # None: judge from this machine (a running lmgrd, the SERVER host)
    warn_days: int = 30               # expiry warnings this many days ahead
    log_path: Optional[str] = None    # debug log for the Log tab (default: a running lmgrd's -l)
    lmgrd_path: Optional[str] = None  # lmgrd for the Daemon tab (default: found)
    timeout: float = 3.0


def expand_path(text: Optional[str]) -> Optional[str]:
    """``~`` and ``$VAR`` expanded, surrounding blanks and quotes dropped: what a person types or pastes."""
    if text is None:
        return None
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        t = t[1:-1]
    if not t:
        return ""
    return os.path.expandvars(os.path.expanduser(t))


def load_settings() -> dict:
    """The app's remembered settings (the theme), or {} (none yet, or unreadable: not worth an error)."""
    from lmdoctor.checks.statedir import read_state

    return read_state(SETTINGS) or {}


def save_settings(**changes: object) -> None:
    """Merge ``changes`` into the settings file in the state directory; a failure is not worth an error."""
    from lmdoctor.checks.statedir import StateDirError, write_state

    data = load_settings()
    data.update(changes)
    try:
        write_state(SETTINGS, data)
    except StateDirError:
        pass
