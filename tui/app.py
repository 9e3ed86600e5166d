"""The lmdoctor Textual app: tabs over the same engine calls the CLI makes.

Keys are chosen for SSH sessions on any terminal: every tab is reachable with alt+N, F2.. and
ctrl+pageup/pagedown (F1 is help); single-letter keys never act while the user types (see
``TYPING_PAUSE``), and ctrl+q / ctrl+c always quit.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, TabbedContent, TabPane

from .state import Inputs
from .tabs import TAB_IDS, TABS, TabBody, tab_spec
from .widgets.footer import KeyFooter

if TYPE_CHECKING:  # pragma: no cover
    from textual.widget import Widget

# Single-letter keys stay off for this long after the last key typed into a text field: someone
# who types "quorum lost" right after Enter moved the focus must not quit the app with the q.
TYPING_PAUSE = 1.0
# Actions bound to a printable key: guarded by the rule above.
LETTER_ACTIONS = {"quit_letter", "run_check", "help_letter", "inputs"}
TYPING_WIDGETS = {"Input", "TextArea"}  # Textual's text fields
# The tabs not shown first are mounted once the first one is drawn; when a screen covers it (help opened
# at once), after the first of these checks; at the latest after all of them (a terminal too small to draw).
OTHER_TABS_CHECKS = (0.5,) * 10


def _palette():
    # Imported when the palette opens, not before the first paint.
    from .palette import LmdoctorCommands

    return LmdoctorCommands


def _tab_bindings() -> List[Binding]:
    out: List[Binding] = []
    for i, spec in enumerate(TABS, 1):
        keys = f"alt+{i},f{i + 1}" if i < 9 else f"f{i + 1}"
        out.append(Binding(keys, f"show_tab('{spec.id}')", spec.title, id=f"tab-{spec.id}", show=False, priority=True,
                           tooltip=f"Show the {spec.title} tab: {spec.about}"))
    return out


class Tabs(TabbedContent):
    """TabbedContent whose tab changes only when the user (or the app) picks a tab.

    Plain TabbedContent switches to whichever tab a newly focused widget lives on. A widget
    focused at start-up reports that a moment late, so a key pressed meanwhile (F3) would be
    undone. Here a focus on a hidden tab is moved back to the visible tab instead.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # not TabbedContent's handler as well
        if event.tab_pane.id != self.active:
            focus_tab = getattr(self.app, "_focus_tab", None)
            if focus_tab is not None:
                # The event may be stale (a widget hidden on the tab just left passed its focus on):
                # a focus the user has since put on the visible tab stays where it is.
                self.app.call_after_refresh(focus_tab, self.active, True)


class LmdoctorApp(App):
    """Check, Diagnose, Explain and License tabs (see ``tui/tabs``).

    ``live=False`` keeps the troubleshooter's probes off this machine (the steps are asked
    instead); ``cursor_blink=False`` and ``lint_options`` make screenshots reproducible.
    """

    CSS_PATH = "app.tcss"
    TITLE = "lmdoctor"
    SUB_TITLE = "FlexNet license server doctor"
    COMMANDS = App.COMMANDS | {_palette}

    BINDINGS: ClassVar[List[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, key_display="^q",
                tooltip="Leave lmdoctor (asks first when results are not saved)"),
        Binding("ctrl+c", "quit", "Quit", id="quit-ctrl-c", show=False, priority=True,
                tooltip="Leave lmdoctor, as ctrl+q does"),
        Binding("q", "quit_letter", "Quit", id="quit-q", show=False,
                tooltip="Leave lmdoctor (not while typing in a field)"),
        Binding("f1", "help", "Help", id="help", key_display="F1", tooltip="Keys of every tab and the workflow"),
        Binding("question_mark", "help_letter", "Help", id="help-question-mark", show=False,
                tooltip="Keys of every tab and the workflow (not while typing)"),
        Binding("r", "run_check", "Run check", id="run-check", tooltip="Scan this machine and lint its license"),
        Binding("i", "inputs", "Inputs", id="inputs",
                tooltip="Change the license, servers, this machine's role, warn days, debug log or timeout now"),
        Binding("ctrl+s", "save", "Save", id="save", key_display="^s",
                tooltip="Save what is on screen (Markdown + JSON + screenshot) into a folder it names"),
        Binding("ctrl+o", "open", "Open", id="open", show=False,
                tooltip="Open a file a customer sent: report, debug log, lmstat output or license"),
        Binding("escape", "stop", "Stop", id="stop", tooltip="Cancel the running check, probe, daemon or log scan"),
        # Priority: handled as the key arrives. A plain binding is found by bubbling the key up from the
        # focused field, which on a loaded machine takes longer than the next keys take to arrive: a
        # path typed right after Tab landed in the field Tab was leaving.
        Binding("tab", "focus_next", "Next field", id="focus-next", show=False, priority=True,
                tooltip="Move to the next field or list"),
        Binding("shift+tab", "focus_previous", "Previous field", id="focus-previous", show=False, priority=True,
                tooltip="Move to the previous field or list"),
        Binding("ctrl+pagedown", "next_tab", "Next tab", id="tab-next", show=False, priority=True,
                tooltip="Show the tab to the right"),
        Binding("ctrl+pageup", "previous_tab", "Previous tab", id="tab-previous", show=False, priority=True,
                tooltip="Show the tab to the left"),
        *_tab_bindings(),
    ]

    def __init__(self, license_path: Optional[str] = None, servers: Optional[List[str]] = None,
                 symptom: Optional[str] = None, autorun: bool = True, lint_options=None, live: bool = True,
                 cursor_blink: bool = True, initial: Optional[str] = None, inputs: Optional[Inputs] = None,
                 view: Any = None, remember: bool = False) -> None:
        super().__init__()
        self.remember = remember  # keep the theme between runs (the state directory); off in tests
        self.view = view  # a tui.view.ViewSpec: lmdoctor view FILE
        if view is not None:
            autorun, initial = False, view.tab
        self.inputs = inputs or Inputs(license_path=license_path, servers=list(servers or []))
        self.symptom = symptom
        self.autorun = autorun
        self.lint_options = lint_options
        self.live = live
        self.input_blink = cursor_blink
        self.initial = initial if initial in TAB_IDS else ("diagnose" if symptom else "check")
        self._typed_at = 0.0
        self._typing_timer: Any = None
        self.tabs_ready = False  # every tab's body is mounted
        self._others_started = False  # the tabs not shown first are being mounted
        self._others_timer: Any = None
        self._first_tab = ""  # the tab whose body was mounted first
        self.last_check: Any = None  # the last finished check's Report: the exit status follows it
        self.summary_line = ""  # printed to the terminal after the app ends
        self.saved_to: Optional[str] = None

    # Kept for callers of the first version of the app.
    @property
    def license_path(self) -> Optional[str]:
        return self.inputs.license_path

    @property
    def servers(self) -> List[str]:
        return self.inputs.servers

    # ------------------------------------------------------------------ building
    def compose(self) -> ComposeResult:
        # The first frame is the frame only: title, tab bar and keys. The tabs' bodies are mounted just
        # after it is drawn, the visible one first (see ``_mount_bodies``): the app shows at once.
        yield Header()
        with Tabs(initial=self.initial):
            for i, spec in enumerate(TABS, 1):
                yield TabPane(f"{spec.title} F{i + 1}", id=spec.id)
        yield KeyFooter()

    def _restore_theme(self) -> None:
        from .state import load_settings

        name = load_settings().get("theme")
        if isinstance(name, str) and name in self.available_themes and name != self.theme:
            self.theme = name
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Any) -> None:
        from .state import save_settings

        save_settings(theme=theme.name)

    def _make_body(self, tab_id: str) -> TabBody:
        spec = tab_spec(tab_id)
        assert spec is not None
        cls = spec.load()
        return cls(**self._body_kwargs(tab_id))

    def _body_kwargs(self, tab_id: str) -> Dict[str, Any]:
        blink = {"cursor_blink": self.input_blink}
        if tab_id in ("check", "repair"):
            return {}
        if tab_id == "diagnose":
            return dict(blink, symptom_text=self.symptom, live=self.live)
        if tab_id == "license":
            return dict(blink, lint_options=self.lint_options)
        return blink

    def on_mount(self) -> None:
        if self.remember:
            self._restore_theme()

    async def on_ready(self) -> None:
        # Ready: the first frame is on the terminal. Now the tabs' bodies.
        await self._mount_bodies()

    async def _mount_body(self, tab_id: str) -> None:
        pane = self.query_one(f"#{tab_id}", TabPane)
        if not pane.is_attached:
            return  # the app is quitting (ctrl+q while the tabs are still being built): build nothing more
        if not pane.query(TabBody):
            await pane.mount(self._make_body(tab_id))
            # The tab on screen gets its cursor at once: keys typed next belong to its field, not to the
            # letter keys (a `q` in "quorum" would quit).
            self._focus_tab(tab_id, True)

    async def _mount_bodies(self) -> None:
        """After the first frame: the visible tab's body (its autorun, its focus), drawn before the others."""
        # Normally the initial tab; another one if the user picked it (F4) before the first frame.
        first = self._first_tab = self.query_one(Tabs).active or self.initial
        await self._mount_body(first)
        if self.autorun and self.initial == "check":
            await self._mount_body("check")
            check = self.body("check")
            if check is not None:  # None: quitting already
                check.start_check()  # type: ignore[attr-defined]
        self._focus_tab(first)
        # The others once it is on screen (``body_drawn``), or when it cannot be (see OTHER_TABS_CHECKS).
        self._others_timer = self.set_timer(OTHER_TABS_CHECKS[0], lambda: self._others_check(1))

    def _others_check(self, n: int) -> None:
        if self._others_started:
            return
        if len(self.screen_stack) > 1 or n >= len(OTHER_TABS_CHECKS):
            self._mount_other_tabs()
        else:
            self._others_timer = self.set_timer(OTHER_TABS_CHECKS[n], lambda: self._others_check(n + 1))

    def body_drawn(self, body: TabBody) -> None:
        """A tab's body was drawn for the first time (TabBody.on_show)."""
        if not self._others_started and body.TAB_ID == self._first_tab:
            self.call_after_refresh(self._mount_other_tabs)

    def _mount_other_tabs(self) -> None:
        if self._others_started:
            return
        self._others_started = True
        if self._others_timer is not None:
            self._others_timer.stop()
        self.call_later(self._mount_next_tab)

    async def _mount_next_tab(self) -> None:
        """Mount one more tab's body (the one on screen first), then come back after the next frame:
        keys typed meanwhile are handled between two tabs, not after all of them."""
        active = self.query_one(Tabs).active
        todo = [t for t in [active, *TAB_IDS] if self.body(t) is None]
        if todo and not self.query_one(Tabs).is_attached:
            return  # quitting
        if todo:
            await self._mount_body(todo[0])
            self.call_after_refresh(self._mount_next_tab)
            return
        self.tabs_ready = True
        if self.view is not None:
            from .view import apply_view

            apply_view(self, self.view)
            self.sub_title = f"viewing {self.view.path} (read-only)"
        # Mounting may have moved the focus off the visible tab; put it back where the user types there.
        self._focus_tab(active, True)

    def body(self, tab_id: str) -> Optional[TabBody]:
        """The body of tab ``tab_id``, or None before it is mounted (composed: its widgets are there)."""
        try:
            found = self.query_one(f"#{tab_id}", TabPane).query(TabBody)
        except Exception:
            return None
        b = found.first() if found else None
        return b if b is not None and b.is_mounted else None

    def bodies(self) -> List[TabBody]:
        """Every tab body that is mounted (one being built at this moment has no widgets yet)."""
        return [b for b in self.query(TabBody) if b.is_mounted]

    # ------------------------------------------------------------------ focus and keys
    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if self._first_tab and event.pane.id != self._first_tab and not self._others_started:
            # Another tab picked before the first one was drawn: build them now, that one first.
            self.call_later(self._mount_other_tabs)
        # The pane is shown on the next refresh; a hidden widget cannot take focus. By then the user
        # may have typed into the tab and pressed Tab to the next field: leave a focus already there.
        self.call_after_refresh(self._focus_tab, event.pane.id or "", True)

    def _focus_tab(self, tab: str, unless_inside: bool = False) -> None:
        """Put the cursor where the user types next on that tab (only if it is still the active one:
        focusing a widget on another tab would switch to that tab). ``unless_inside``: not when the
        focus is already on one of that tab's widgets."""
        if self.query_one(Tabs).active != tab:
            return
        body = self.body(tab)
        if unless_inside and body is not None and self.focused is not None and body in self.focused.ancestors:
            return
        target = body.default_focus() if body is not None else None
        if target is not None and target.focusable:
            # At once, not via focus() (which is queued): keys typed right after F3 belong to the field.
            self.screen.set_focus(target)
        elif target is not None:
            target.focus()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._keep_focus_on_the_visible_tab()
            in_field = self.is_typing_target(self.focused)
            if event.is_printable and (in_field or self.typing()):
                # Letters in a field, or a burst of letters going on after Enter moved the focus out of
                # it ("quorum lost" typed on into the list): still typing.
                self._typed_at = time.monotonic()
                # The footer shows the letter keys again once the pause is over.
                if self._typing_timer is not None:
                    self._typing_timer.stop()
                self._typing_timer = self.set_timer(TYPING_PAUSE + 0.05, self._typing_pause_over)
            elif not event.is_printable and not in_field and self._typed_at:
                # Arrows, Enter, Tab outside a field: the user is navigating, so letters are keys again.
                self._typed_at = 0.0
                self.refresh_bindings()
        await super().on_event(event)

    def _keep_focus_on_the_visible_tab(self) -> None:
        """A key goes to the focused widget: never let it be one on a hidden tab.

        Work that ends on a tab queues a focus there; when the user switched tabs meanwhile (F7 right
        after a walk's probes answered), that focus lands on the tab just left, and the switch's own
        focus comes only after the next refresh (half a second on a loaded machine): a path typed at
        once was lost on the hidden tab. Here the focus moves to the visible tab before the key goes out.
        """
        focused = self.focused
        if focused is None:
            return
        pane = next((w for w in focused.ancestors_with_self if isinstance(w, TabPane)), None)
        if pane is None:  # the tab bar, or a dialog's own widgets
            return
        active = self.query_one(Tabs).active
        if pane.id != active:
            self._focus_tab(active)

    def _typing_pause_over(self) -> None:
        # A timer: it may fire while the app is closing, when there is no screen left to refresh.
        if self.is_running and self.screen_stack:
            self.refresh_bindings()

    @staticmethod
    def is_typing_target(widget: Optional["Widget"]) -> bool:
        # By class name, not isinstance: the footer asks this for the first frame, and importing
        # TextArea (its document model, its themes) just to answer "no" would delay that frame.
        if widget is None or getattr(widget, "read_only", False):
            return False
        return any(c.__name__ in TYPING_WIDGETS and c.__module__.startswith("textual.widgets")
                   for c in type(widget).__mro__)

    def focus_moved_from_typing(self) -> None:
        """The app moved the focus out of a field the user just typed in (Enter started something):
        letters typed on right away still count as typing."""
        if time.monotonic() - self._typed_at < 5 * TYPING_PAUSE:
            self._typed_at = time.monotonic()
            self.refresh_bindings()

    def typing(self) -> bool:
        """The user is typing: in a text field now, or was a moment ago."""
        return self.is_typing_target(self.focused) or time.monotonic() - self._typed_at < TYPING_PAUSE

    def check_action(self, action: str, parameters) -> Optional[bool]:
        if action in LETTER_ACTIONS and self.typing():
            return False
        if action == "run_check":
            body = self.body("check")
            if body is not None and getattr(body, "read_only", False):
                return False  # a report is shown there: this machine is not the one it describes
        if action == "stop" and not self.is_busy():
            return None  # shown dimmed: nothing to stop
        return True

    def is_busy(self) -> bool:
        try:
            return any(b.busy for b in self.bodies())
        except Exception:  # before compose or after unmount
            return False

    # ------------------------------------------------------------------ actions
    def action_run_check(self) -> None:
        self.action_show_tab("check")
        body = self.body("check")
        if body is not None:
            body.start_check()  # type: ignore[attr-defined]

    def action_stop(self) -> None:
        for b in self.bodies():
            if b.busy:
                b.stop()

    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one(Tabs)
        if tabs.active != tab:
            tabs.active = tab
        self._focus_tab(tab)

    def _step_tab(self, delta: int) -> None:
        active = self.query_one(Tabs).active
        i = TAB_IDS.index(active) if active in TAB_IDS else 0
        self.action_show_tab(TAB_IDS[(i + delta) % len(TAB_IDS)])

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def action_help_letter(self) -> None:
        self.action_help()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit_letter(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        from .screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        if not any(b.unsaved for b in self.bodies()):
            self.leave()
            return

        def answer(choice: Optional[str]) -> None:
            if choice == "quit":
                self.leave()
            elif choice == "save":
                self.action_save(then_quit=True)

        self.push_screen(ConfirmScreen("Results on screen are not saved. Quit anyway?",
                                       [("q", "quit", "quit"), ("s", "save", "save, then quit")]), answer)

    def leave(self) -> None:
        """Quit: cancel every worker, and exit by the contract (0/1/2) from the last check."""
        self.cancel_all()
        code = 0
        if self.last_check is not None:
            code = int(self.last_check.exit_code)
            c = self.last_check.counts()
            counts = ", ".join(f"{c[k]} {k}" for k in ("fail", "warn", "ok", "info", "skip") if c.get(k))
            self.summary_line = f"lmdoctor: last check: {counts or 'no findings'} (exit {code})"
        elif self.view is not None:
            self.summary_line = f"lmdoctor: viewed {self.view.path}"
        if self.saved_to:
            self.summary_line = (self.summary_line + "; " if self.summary_line else "lmdoctor: ") + \
                f"saved in {self.saved_to}"
        self.exit(return_code=code)

    # ------------------------------------------------------------------ save, screenshot, open
    def action_save(self, then_quit: bool = False) -> None:
        from .saving import writable_dir
        from .screens.save import SaveScreen

        def done(choice) -> None:
            if choice is None:
                return
            directory, redact = choice
            self.save_now(directory, redact)
            if then_quit and self.saved_to:
                self.leave()

        self.push_screen(SaveScreen(writable_dir()), done)

    def save_now(self, base: Optional[str] = None, redact: bool = False) -> Optional[str]:
        """Save the screen's document (+ screenshot) into a new folder under ``base``; say where."""
        from .saving import new_save_dir, save_document, screen_document

        try:
            doc = screen_document(self)
            directory = new_save_dir(base)
            _d, files = save_document(doc, directory, None if redact else self.export_screenshot(), redact)
        except Exception as exc:
            self.notify(f"Could not save: {exc}", severity="error", timeout=10)
            return None
        for b in self.bodies():
            b.unsaved = False
        self.saved_to = directory
        self.notify(f"Saved {len(files)} files in {directory}", title="Saved", timeout=10)
        return directory

    def action_screenshot(self, filename: Optional[str] = None, path: Optional[str] = None) -> None:
        """The palette's screenshot: into the current directory (or the state directory), never ~/Downloads."""
        from .saving import writable_dir

        try:
            where = self.save_screenshot(filename, writable_dir(path))
        except OSError as exc:
            self.notify(f"Could not save the screenshot: {exc.strerror or exc}", severity="error", timeout=10)
            return
        self.notify(f"Screenshot saved to {where}", title="Screenshot", timeout=10)

    def action_inputs(self) -> None:
        from .screens.inputs import InputsScreen

        if not isinstance(self.screen, InputsScreen):
            self.push_screen(InputsScreen(self.inputs), self.set_inputs)

    def set_inputs(self, new: Optional[Inputs]) -> None:
        """Use ``new`` from now on; the tabs whose inputs changed run again (nothing when None)."""
        if new is None:
            return
        old, self.inputs = self.inputs, new
        changed = {f for f in vars(new) if getattr(new, f) != getattr(old, f)}
        if not changed:
            self.notify("Inputs unchanged.", timeout=3)
            return
        for b in self.bodies():
            b.inputs_changed(new, changed)
        self.notify("Now using: " + ", ".join(sorted(c.replace("_path", "").replace("_", " ") for c in changed)),
                    title="Inputs", timeout=5)

    def action_open(self) -> None:
        from .screens.open import OpenScreen

        self.push_screen(OpenScreen(), self.open_path)

    def open_path(self, path: Optional[str]) -> None:
        """Sniff ``path`` and show it in the tab that reads it."""
        if not path:
            return
        from .view import open_file

        message = open_file(self, path)
        if message:
            self.notify(message, severity="warning", timeout=10)

    def open_log(self, path: str) -> None:
        self.action_show_tab("log")
        body = self.body("log")
        if body is not None:
            body.analyse(path)  # type: ignore[attr-defined]

    def cancel_all(self) -> None:
        """Cancel every engine call still running, so worker threads end and the app exits at once."""
        for b in self.bodies():
            b.cancel()

    def on_unmount(self) -> None:
        self.cancel_all()

    # ------------------------------------------------------------------ entry points for the palette
    def _replacing_walk(self, what: str, go) -> None:
        """Run ``go`` at once, or after a yes when it would replace a walk the user has taken steps in."""
        from .screens.confirm import ConfirmScreen

        self.action_show_tab("diagnose")
        body = self.body("diagnose")
        walk = getattr(body, "walk", None)
        if walk is None or not (walk.steps or walk.done):
            go()
            return
        here = walk.current.id

        def answer(choice: Optional[str]) -> None:
            if choice == "yes":
                go()

        self.push_screen(ConfirmScreen(f"Leave the walk at {here} ({len(walk.steps)} step(s) taken) for {what}?",
                                       [("y", "yes", "yes, go there"), ("n", "", "no, stay")]), answer)

    def start_diagnosis(self, symptom_id: str) -> None:
        def go() -> None:
            body = self.body("diagnose")
            if body is not None:
                body.start(symptom_id)  # type: ignore[attr-defined]

        self._replacing_walk(f"symptom {symptom_id}", go)

    def goto_step(self, step_id: str) -> None:
        def go() -> None:
            body = self.body("diagnose")
            if body is None or not body.goto_step(step_id):  # type: ignore[attr-defined]
                self.notify(f"There is no step {step_id}.", severity="warning")

        self._replacing_walk(f"step {step_id}", go)

    def explain_text(self, text: str) -> None:
        self.action_show_tab("explain")
        body = self.body("explain")
        if body is not None:
            body.submit(text)  # type: ignore[attr-defined]

    def lint_file(self, path: str) -> None:
        self.action_show_tab("license")
        body = self.body("license")
        if body is not None:
            body.submit(path)  # type: ignore[attr-defined]

    def apply_fix(self, select: Optional[str] = None) -> None:
        """Open the Repair tab and plan, ticking only what addresses ``select`` (an action or finding id)."""
        self.action_show_tab("repair")
        body = self.body("repair")
        if body is not None:
            body.plan_repair(select)  # type: ignore[attr-defined]
        else:  # not mounted yet: plan as soon as it is
            self.call_after_refresh(self.apply_fix, select)

