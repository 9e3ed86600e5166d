"""What the user told the app (license, servers, role, log, timeout): one object every tab reads.

The inputs panel changes it while the app runs; the command line fills it at start. The theme
is remembered between runs in a small JSON file under the user's state directory.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import List, Optional


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


def state_dir() -> str:
    """$XDG_STATE_HOME/lmdoctor, else ~/.local/state/lmdoctor (created on first write)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "lmdoctor")


def _settings_path() -> str:
    return os.path.join(state_dir(), "app.json")


def load_settings() -> dict:
    try:
        with open(_settings_path(), encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_settings(**changes: object) -> None:
    """Merge ``changes`` into the settings file; a failure to write is not worth an error."""
    data = load_settings()
    data.update(changes)
    path = _settings_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass
