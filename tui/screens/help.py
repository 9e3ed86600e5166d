"""F1 / ?: the workflow and every key of every tab, built from the bindings themselves."""
from __future__ import annotations

from typing import Iterable, List, Tuple

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

WORKFLOW = """\
lmdoctor finds what is wrong with a FlexNet license server and says how to fix it.

  1. Check (r) scans this machine: processes, ports, search path, tunnels, the license.
  2. Diagnose: paste the error a user sees (several lines are fine); answer the steps the
     probes cannot measure. A helpdesk says "go to step S2.3": ctrl+p, type S2.3.
  3. Explain decodes codes like -15,570:115; License lints a license file.
  4. ctrl+s saves what is on screen (Markdown + JSON + a screenshot) into a folder it names;
     y copies a finding's or step's id (OSC 52: works over SSH). Send the folder;
     `lmdoctor view FILE` (or ctrl+o) opens it on another machine, read-only.
  5. i changes the inputs (license, servers, this machine's role, warn days, debug log,
     timeout) without restarting; the tabs that read them run again.
  6. Daemon runs lmgrd -z and explains each line; Log reads a debug log (u: usage per day).
"""


def _key_text(b: Binding) -> str:
    if b.key_display:
        return b.key_display
    keys = [k.strip() for k in b.key.split(",")]
    return " / ".join(k.replace("question_mark", "?").replace("slash", "/") for k in keys)


def binding_rows(groups: Iterable[Tuple[str, List[Binding]]]) -> Group:
    """Per group its title, then a key / name / what-it-does row per binding (keys in one column)."""
    parts: List[RenderableType] = []
    for title, bindings in groups:
        parts.append(Text(title, style="bold underline"))
        t = Table.grid(padding=(0, 2))
        t.add_column(no_wrap=True, style="bold", min_width=12)
        t.add_column(no_wrap=True, min_width=14)
        t.add_column()
        for b in bindings:
            t.add_row(_key_text(b), b.description or b.action, Text(b.tooltip or "", style="dim"))
        parts.append(t)
        parts.append(Text(""))
    return Group(*parts)


def help_groups(app) -> List[Tuple[str, List[Binding]]]:
    from ..tabs import TABS
    from ..widgets.findings_view import FindingsTable, FindingsView

    app_keys = [b for b in app.BINDINGS if isinstance(b, Binding)]
    groups = [("Everywhere", [b for b in app_keys if not (b.id or "").startswith("tab-")])]
    tab_keys = [b for b in app_keys if (b.id or "").startswith("tab-")]
    groups.append(("Tabs (alt+N or the function key; ctrl+pageup/pagedown)", tab_keys))
    groups.append(("Findings tables", [b for b in list(FindingsView.BINDINGS) + list(FindingsTable.BINDINGS)
                                       if isinstance(b, Binding)]))
    for spec in TABS:
        try:
            cls = spec.load()
        except Exception:
            continue
        own = [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
        if own:
            groups.append((f"{spec.title} tab", own))
    return groups


class HelpScreen(ModalScreen):
    BINDINGS = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close", id="help-close", tooltip="Close the help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text(WORKFLOW), id="help-workflow")
            yield Static(binding_rows(help_groups(self.app)), id="help-keys")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "lmdoctor help: escape closes"
        box.focus()
