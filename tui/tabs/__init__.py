"""The app's tabs: one module each, listed once in ``TABS``.

To add a tab (the Repair screen, say):

1. write ``tui/tabs/repair.py`` with a ``TabBody`` subclass (its ``compose`` builds the tab; workers
   call the engine in ``checks/`` and post messages back, never the other way round);
2. add a ``TabSpec`` to ``TABS`` below (its place in the list is its place on screen and its
   alt+N / function key);
3. write its Pilot test in ``tests/tui/`` and add its bindings (each with an ``id`` and a
   ``tooltip``) to the help screen test's list.

The first frame holds no tab body at all (title, tab bar, keys); the visible tab's body is mounted
right after it, and the others once that one is drawn, so a tab's module is imported only then (keep
heavy imports inside its workers anyway).
Modal screens (help, save, confirm, open, inputs) live in ``tui/screens/``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from textual.containers import Vertical

if TYPE_CHECKING:  # pragma: no cover
    from textual.widget import Widget


@dataclass(frozen=True)
class TabSpec:
    id: str        # DOM id of the TabPane; also the name used by show_tab('id')
    title: str     # the tab's label
    module: str    # module under lmdoctor.tui.tabs holding the body class
    cls: str       # the TabBody subclass
    about: str     # one line for the help screen and the palette

    def load(self) -> type:
        mod = importlib.import_module(f"lmdoctor.tui.tabs.{self.module}")
        return getattr(mod, self.cls)


TABS: List[TabSpec] = [
    TabSpec("check", "Check", "check", "CheckPane", "live check of this machine: processes, ports, license"),
    TabSpec("diagnose", "Diagnose", "diagnose", "DiagnosePane", "guided troubleshooter, from an error to its fix"),
    TabSpec("explain", "Explain", "explain", "ExplainPane", "explain a FlexLM error code, exit signal or message"),
    TabSpec("license", "License", "license", "LicensePane", "lint a license file"),
    TabSpec("repair", "Repair", "repair", "RepairPane", "plan, apply and undo the repair of this machine's server"),
    TabSpec("daemon", "Daemon", "daemon", "DaemonPane", "run lmgrd -z and read what it says, with a verdict"),
    TabSpec("log", "Log", "log", "LogPane", "analyse and follow a debug log: restarts, exits, DENIED, errors"),
]
TAB_IDS = tuple(t.id for t in TABS)


def tab_spec(tab_id: str) -> Optional[TabSpec]:
    for t in TABS:
        if t.id == tab_id:
            return t
    return None


class TabBody(Vertical):
    """What every tab's body offers the app (all optional; the defaults do nothing).

    ``busy``: a worker runs that escape stops. ``stop()``: the user pressed escape.
    ``cancel()``: the app quits or the tab goes away: end every worker at once.
    ``default_focus()``: where the cursor goes when the tab is shown.
    ``saved_section()``: what ctrl+s writes for this tab (a JSON-able dict), None when nothing.
    ``unsaved``: results the user has not saved yet (quitting asks first).
    ``inputs_changed(inputs, changed)``: the inputs panel (i) changed these fields of the app's Inputs.
    """

    DEFAULT_CLASSES = "tab-body"
    TAB_ID = ""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.unsaved = False

    @property
    def busy(self) -> bool:
        return False

    def stop(self) -> None:
        """Escape: stop what runs, keep what was found."""

    def cancel(self) -> None:
        """Stop every worker at once (the app is quitting)."""

    def on_unmount(self) -> None:
        self.cancel()

    def on_show(self) -> None:
        # Shown means laid out and drawn: the app builds the other tabs only once the first one is on screen.
        drawn = getattr(self.app, "body_drawn", None)
        if drawn is not None:
            drawn(self)

    def default_focus(self) -> Optional["Widget"]:
        return None

    def saved_section(self) -> Optional[Dict[str, Any]]:
        return None

    def inputs_changed(self, inputs: Any, changed: Set[str]) -> None:
        """The app's inputs changed: ``changed`` names the fields (license_path, servers ...)."""

    def shown(self) -> bool:
        """This tab is the one on screen. Work that ends on a hidden tab must not take the focus: a focus
        on a hidden tab is sent back to the visible tab's first field, which would swallow the keys the
        user is typing elsewhere."""
        try:
            return self.app.query_one("Tabs").active == self.TAB_ID  # type: ignore[attr-defined]
        except Exception:
            return False

    def set_busy_flag(self) -> None:
        """Call after ``busy`` changes: the footer's Stop key follows."""
        if self.is_attached:
            self.app.refresh_bindings()
