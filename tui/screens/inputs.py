"""i: what the app works on (license, servers, this machine's role, warn days, debug log, timeout),
changed without restarting. Enter or ctrl+s applies, escape leaves everything as it was.

A bad value (a server that is not PORT@HOST, warn days that are not a number) is named on the
dialog's last line and nothing is applied; the tabs that read a changed input run again.
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional, Tuple

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ..state import Inputs, expand_path
from ..widgets.path_suggester import PathSuggester

ROLES: List[Tuple[str, str]] = [
    ("judge from this machine (a running lmgrd, the SERVER host)", "auto"),
    ("this machine is the license server", "server"),
    ("this machine is a client", "client"),
]
ROLE_OF = {"auto": None, "server": True, "client": False}


def role_key(on_server: Optional[bool]) -> str:
    return "auto" if on_server is None else ("server" if on_server else "client")


def parse_servers(text: str) -> List[str]:
    """PORT@HOST entries separated by blanks or ';' (a triad keeps its commas); raises ValueError."""
    from lmdoctor.checks.serverspec import ServerSpecError, check_server_argument

    out = []
    for part in text.replace(";", " ").split():
        try:
            out.append(check_server_argument(part))
        except ServerSpecError as exc:
            raise ValueError(str(exc)) from None
    return out


def read_form(values: dict, before: Inputs) -> Inputs:
    """The new inputs from the dialog's texts; ValueError names the first bad one."""
    servers = parse_servers(values["servers"])
    try:
        warn_days = int(values["warn_days"].strip() or before.warn_days)
    except ValueError:
        raise ValueError(f"warn days: {values['warn_days'].strip()!r} is not a whole number of days") from None
    if not 0 <= warn_days <= 3650:
        raise ValueError("warn days: between 0 and 3650")
    try:
        timeout = float(values["timeout"].strip() or before.timeout)
    except ValueError:
        raise ValueError(f"timeout: {values['timeout'].strip()!r} is not a number of seconds") from None
    if not 0.1 <= timeout <= 120:
        raise ValueError("timeout: between 0.1 and 120 seconds")
    return dataclasses.replace(before, license_path=expand_path(values["license"]) or None, servers=servers,
                               on_server=ROLE_OF.get(values["role"]), warn_days=warn_days,
                               log_path=expand_path(values["log"]) or None, timeout=timeout)


class InputsScreen(ModalScreen):
    """Dismisses with the new :class:`Inputs`, or None when the user leaves it."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="inputs-cancel", tooltip="Close and keep the inputs as they were"),
        Binding("ctrl+s", "apply", "Apply", id="inputs-apply", priority=True,
                tooltip="Use these inputs now: the tabs that read them run again"),
    ]

    def __init__(self, inputs: Inputs) -> None:
        super().__init__()
        self.before = inputs

    def compose(self) -> ComposeResult:
        i = self.before
        with Vertical(id="inputs-box"):
            with Grid(id="inputs-grid"):
                yield Label("license")
                yield Input(i.license_path or "", placeholder="found by itself (lmgrd -c, environment, default)",
                            id="inputs-license", compact=True, suggester=PathSuggester())
                yield Label("servers")
                yield Input(" ".join(i.servers), placeholder="PORT@HOST ... (blank: from the license)",
                            id="inputs-servers", compact=True)
                yield Label("role")
                yield Select(ROLES, value=role_key(i.on_server), allow_blank=False, id="inputs-role", compact=True)
                yield Label("warn days")
                yield Input(str(i.warn_days), id="inputs-warn-days", compact=True, type="integer")
                yield Label("debug log")
                yield Input(i.log_path or "", placeholder="found from lmgrd -l", id="inputs-log", compact=True,
                            suggester=PathSuggester())
                yield Label("timeout s")
                yield Input(f"{i.timeout:g}", id="inputs-timeout", compact=True, type="number")
            yield Static("Enter or ctrl+s applies; escape cancels. Tab moves between fields.", id="inputs-error")
            with Horizontal(id="inputs-buttons"):
                yield Button("Apply", id="inputs-ok", variant="primary", compact=True)
                yield Button("Cancel", id="inputs-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#inputs-box").border_title = "Inputs"
        for field in self.query(Input):  # off for reproducible screenshots, as on the tabs
            field.cursor_blink = getattr(self.app, "input_blink", True)
        self.query_one("#inputs-license", Input).focus()

    def values(self) -> dict:
        q = self.query_one
        return {"license": q("#inputs-license", Input).value, "servers": q("#inputs-servers", Input).value,
                "role": str(q("#inputs-role", Select).value), "warn_days": q("#inputs-warn-days", Input).value,
                "log": q("#inputs-log", Input).value, "timeout": q("#inputs-timeout", Input).value}

    @on(Button.Pressed, "#inputs-ok")
    @on(Input.Submitted)
    def action_apply(self) -> None:
        try:
            new = read_form(self.values(), self.before)
        except ValueError as exc:
            self.query_one("#inputs-error", Static).update(f"Not applied: {exc}")
            return
        self.dismiss(new)

    @on(Button.Pressed, "#inputs-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
