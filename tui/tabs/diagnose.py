"""The guided troubleshooter tab: pick or paste a symptom, answer questions, probes answer the rest.

Step ids (S2, S2.3) are shown big and first on every line: a helpdesk agent on the phone says
"go to step S2.3" and the user finds it at a glance (or with ctrl+p, "S2.3").
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Tuple

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lmdoctor.checks.runtime import CancelToken

from ..messages import TreeLoaded, WalkFailed, WalkUpdated
from ..widgets.paste_input import PasteInput
from . import TabBody

if TYPE_CHECKING:  # the tree and its walk load in a worker, after the app is up
    from lmdoctor.checks.tree.model import Tree
    from lmdoctor.checks.tree.walk import Walk

BY_LABEL = {"probe": "measured", "answer": "preset", "person": "you"}
LEAF_STYLE = {"fail": "bold red", "warn": "bold yellow", "info": "bold cyan", "ok": "bold green"}


def _step_key(node_id: str) -> Tuple:
    """S2 < S2.3 < S10: natural order of step ids."""
    out: List[object] = []
    for part in node_id.lstrip("S").split("."):
        out.append(int(part) if part.isdigit() else 0)
    return tuple(out)


def _symptom_prompt(s) -> Text:
    return Text.assemble((f"{s.start:<6}", "bold"), s.title)


def transcript_table(steps, from_report: bool = False) -> Table:
    """The path so far: step id in its own column, so wrapped questions keep the ids readable."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=6, no_wrap=True)
    grid.add_column(ratio=1)
    for step in steps:
        body = Text(step.node.question or step.node.title)
        body.append("\n-> ", style="dim")
        body.append(step.choice.label, style="green")
        by = "from the report" if from_report and step.by == "probe" else BY_LABEL.get(step.by, step.by)
        body.append(f"  ({by})", style="dim")
        for ev in step.evidence[:3]:
            body.append(f"\n   seen: {ev}", style="dim")
        grid.add_row(Text(step.node.id, style="bold"), body)
    return grid


def leaf_body(node) -> Group:
    parts: List[RenderableType] = [Text(node.diagnosis)]
    if node.fix:
        parts.append(Text("\nWhat to do", style="bold"))
        fixes = Table.grid(padding=(0, 1))
        fixes.add_column(width=3, justify="right", style="bold green")
        fixes.add_column(ratio=1)
        for i, step in enumerate(node.fix, 1):
            fixes.add_row(f"{i}.", step)
        parts.append(fixes)
    if node.seed_ref:
        parts.append(Text(f"\nmanual: {node.seed_ref}", style="italic dim"))
    return Group(*parts)


def path_to_step(tree, step_id: str) -> Optional[Tuple[str, Dict[str, str]]]:
    """(symptom id, preset answers) that lead from a symptom's start to ``step_id``; shortest first."""
    if step_id not in tree.nodes:
        return None
    best: Optional[Tuple[str, Dict[str, str]]] = None
    for s in sorted(tree.symptoms.values(), key=lambda s: _step_key(s.start)):
        seen: Dict[str, Dict[str, str]] = {s.start: {}}  # node -> answers that reach it
        queue = deque([s.start])
        while queue:
            nid = queue.popleft()
            if nid == step_id:
                if best is None or len(seen[nid]) < len(best[1]):
                    best = (s.id, seen[nid])
                break
            node = tree.nodes.get(nid)
            for c in (node.choices if node is not None else ()):
                if c.next not in seen:
                    seen[c.next] = dict(seen[nid], **{nid: c.key})
                    queue.append(c.next)
    return best


class DiagnosePane(TabBody):
    TAB_ID = "diagnose"
    BINDINGS: ClassVar[List[BindingType]] = [
        Binding("b", "back", "Back", id="diagnose-back", tooltip="Undo your last answer"),
        Binding("n", "new", "New symptom", id="diagnose-new", tooltip="Choose or paste another symptom"),
        Binding("down", "to_list", "Symptoms", id="diagnose-to-list", show=False,
                tooltip="From the message field down to the list of symptoms"),
        *(Binding(str(i), f"choose({i})", f"Choice {i}", id=f"diagnose-choice-{i}", show=False,
                  tooltip=f"Answer the current step with choice {i}")
          for i in range(1, 10)),
        Binding("f", "apply_fix", "Apply fix", id="diagnose-apply-fix",
                tooltip="Open the Repair tab with this leaf's repair action ticked"),
        Binding("y", "copy_step", "Copy step id", id="diagnose-copy", show=False,
                tooltip="Copy the id of the step shown (or of the highlighted symptom) to the clipboard "
                        "(works over SSH)"),
    ]

    def __init__(self, symptom_text: Optional[str] = None, live: bool = True, cursor_blink: bool = True,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.symptom_text = symptom_text
        self.live = live
        self.cursor_blink = cursor_blink
        self.stopped = False  # the user pressed escape during the current measurement
        self.from_report = False  # probes answer from a report (lmdoctor view), not this machine
        self._replay: Optional[Tuple[Dict[str, Any], Dict[str, Any]]] = None
        self._pending: Optional[Tuple[str, bool]] = None  # a message submitted before the tree was loaded
        self.ttree: Optional[Tree] = None
        self.walk: Optional[Walk] = None
        self._busy = False
        self.load_error: Optional[str] = None
        self.message = ""
        self._token: Optional[CancelToken] = None

    @property
    def busy(self) -> bool:
        return self._busy

    @busy.setter
    def busy(self, value: bool) -> None:
        self._busy = value
        self.set_busy_flag()

    def check_action(self, action: str, parameters) -> Optional[bool]:
        # b, n and the digits are letters a person may be typing: never while typing.
        if action in ("back", "new", "choose", "copy_step") and self.app.typing():  # type: ignore[attr-defined]
            return False
        if action == "back" and (self.walk is None or not self.walk.steps):
            return None
        if action == "to_list" and not isinstance(self.app.focused, PasteInput):
            return False
        if action == "apply_fix":
            if self.app.typing():  # type: ignore[attr-defined]
                return False
            return True if self.leaf_repair() else None
        return True

    def step_id(self) -> str:
        """The step a helpdesk would name now: the walk's current step, else the highlighted symptom's start."""
        if self.walk is not None:
            return self.walk.current.id
        symptoms = self.query_one("#symptoms", OptionList)
        if self.ttree is not None and symptoms.highlighted is not None:
            sid = symptoms.get_option_at_index(symptoms.highlighted).id
            s = self.ttree.symptoms.get(sid or "")
            return s.start if s is not None else ""
        return ""

    def action_copy_step(self) -> None:
        sid = self.step_id()
        if sid:
            self.app.copy_to_clipboard(sid)
            self.app.notify(f"Copied step {sid} to the clipboard.", timeout=3)

    def leaf_repair(self) -> str:
        """The repair id of the leaf the walk reached, or ''."""
        leaf = self.walk.leaf if self.walk is not None and self.walk.done else None
        return (leaf.repair or "") if leaf is not None else ""

    def action_apply_fix(self) -> None:
        rid = self.leaf_repair()
        if rid:
            self.app.apply_fix(rid)  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Vertical(id="pick"):
            yield PasteInput(placeholder="Paste the error message, log lines or code you see, then Enter",
                             id="diagnose-input", compact=True)
            yield Static("...or choose a symptom below (the first column is its step id).",
                         id="match-status", classes="status-line")
            yield OptionList(id="symptoms")
        with Vertical(id="walking"):
            yield Static("", id="walk-symptom", classes="status-line")
            with Horizontal(id="step-head"):
                yield Static("", id="step-id", classes="step-id")
                yield Static("", id="question", classes="question")
            yield Static("", id="question-help", classes="question-help")
            yield OptionList(id="choices")
            with VerticalScroll(id="leaf-box"):
                yield Static("", id="leaf", classes="leaf")
            with VerticalScroll(id="transcript"):
                yield Static("", id="transcript-text")

    def on_mount(self) -> None:
        self.query_one("#diagnose-input", PasteInput).cursor_blink = self.cursor_blink
        self.query_one("#walking").display = False
        self.query_one("#transcript").border_title = "path so far"
        self.query_one("#symptoms").loading = True
        self._load_tree()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tree")
    def _load_tree(self) -> None:
        from lmdoctor.checks.tree.loader import load_tree

        try:
            self.post_message(TreeLoaded(load_tree()))
        except Exception as exc:  # a broken data file is reported, not a crash
            self.post_message(TreeLoaded(None, error=f"{type(exc).__name__}: {exc}"))

    def on_tree_loaded(self, message: TreeLoaded) -> None:
        symptoms = self.query_one("#symptoms", OptionList)
        symptoms.loading = False
        if message.tree is None:
            self.load_error = message.error
            self.query_one("#match-status", Static).update(
                f"The troubleshooting tree could not be loaded: {message.error}")
            return
        self.ttree = message.tree
        for s in sorted(self.ttree.symptoms.values(), key=lambda s: _step_key(s.start)):
            symptoms.add_option(Option(_symptom_prompt(s), id=s.id))
        if self._replay is not None:
            self.replay(*self._replay)
        elif self._pending is not None:
            pending, self._pending = self._pending, None
            self.match(*pending)
        elif self.symptom_text:
            self.match(self.symptom_text)

    @property
    def ready(self) -> bool:
        """The tree is loaded (or failed to load): the pane takes input."""
        return self.ttree is not None or self.load_error is not None

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def stop(self) -> None:
        if self.busy:
            self.stopped = True
            self.cancel()

    def default_focus(self):
        """The widget that should have the focus when the tab is shown."""
        if self.walk is None:
            return self.query_one("#diagnose-input", PasteInput)
        if self.walk.done:
            return self.query_one("#leaf-box")
        return self.query_one("#choices")

    def focus_default(self) -> None:
        self.default_focus().focus()

    # ------------------------------------------------------------ choosing a symptom
    @on(PasteInput.Submitted, "#diagnose-input")
    def on_pasted(self, event: PasteInput.Submitted) -> None:
        # What was submitted, not what the field holds now: a person typing on right after Enter
        # has already added to the field by the time this message is handled.
        self.match(self.query_one("#diagnose-input", PasteInput).text_of(event.value), from_field=True)

    def action_to_list(self) -> None:
        self.query_one("#symptoms", OptionList).focus()

    def match(self, text: str, from_field: bool = False) -> None:
        """Start the walk the pasted text means, or show the candidates when it is not clear.

        The focus stays in the field: a person typing on after Enter types into it, never into
        the list (where a q or an r would have been a key binding). ``from_field``: the text came
        from the field itself, which keeps whatever was typed since (never rewritten under the user).
        """
        field = self.query_one("#diagnose-input", PasteInput)
        if not from_field and text != field.full_text:
            field.set_text(text)
        status = self.query_one("#match-status", Static)
        if not text.strip():
            return
        if self.ttree is None:
            if self.load_error is None:
                # Enter before the tree is loaded (a fast typist right after start-up): matched when it is.
                self._pending = (text, from_field)
                status.update("Loading the troubleshooting tree; your message is matched as soon as it is.")
            return
        from lmdoctor.checks.tree.match import match_symptoms

        result = match_symptoms(self.ttree, text)
        best = result.best
        if best is not None:
            self.start(best.symptom.id, message=text)
            return
        symptoms = self.query_one("#symptoms", OptionList)
        self.message = text
        if not result.candidates:
            status.update("No symptom matches that text; press down and choose one.")
            return
        names = "; ".join(f"{c.symptom.start} {c.symptom.title}" for c in result.candidates[:3])
        if len(result.candidates) == 1:
            status.update(f"Perhaps {names}: press down, then Enter to start it (or choose another).")
        else:
            status.update(f"Several symptoms fit: {names}. Press down and choose one.")
        symptoms.highlighted = symptoms.get_option_index(result.candidates[0].symptom.id)

    @on(OptionList.OptionSelected, "#symptoms")
    def on_symptom(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.start(event.option.id, message=self.message)

    def _env(self, token: CancelToken):
        from lmdoctor.checks.tree.probes import ProbeEnv

        if self._replay is not None:  # viewing a report: its evidence, never this machine
            from lmdoctor.checks.report import report_probe_env

            return report_probe_env(self._replay[1], self.message, token)
        inputs = self.app.inputs  # type: ignore[attr-defined]
        return ProbeEnv(message=self.message, license_path=inputs.license_path, servers=list(inputs.servers),
                        log_paths=[inputs.log_path] if inputs.log_path else [], timeout=inputs.timeout,
                        live=self.live, cancel=token)

    def _new_walk(self, symptom_id: str, answers: Optional[Dict[str, str]] = None, auto: bool = True):
        from lmdoctor.checks.tree.walk import Walk

        assert self.ttree is not None  # walks start only once the tree has loaded
        self.cancel()
        self._token = CancelToken()
        self.stopped = False
        self.unsaved = True
        self.walk = Walk(self.ttree, symptom_id, env=self._env(self._token), auto=auto, answers=answers)
        self.query_one("#pick").display = False
        self.query_one("#walking").display = True
        return self.walk

    def start(self, symptom_id: str, message: str = "") -> None:
        if self.ttree is None or symptom_id not in self.ttree.symptoms:
            return
        self.message = message
        self._new_walk(symptom_id)
        self.advance()

    def goto_step(self, step_id: str) -> bool:
        """Stand on step ``step_id`` (what the helpdesk asked for), with the answers that lead there."""
        if self.ttree is None:
            return False
        found = path_to_step(self.ttree, step_id)
        if found is None:
            return False
        symptom_id, answers = found
        walk = self._new_walk(symptom_id, answers=answers, auto=False)
        walk.advance()  # presets only: no probe runs, nothing slow
        walk.auto = True
        self.busy = False
        self.on_walk_updated(WalkUpdated(walk))
        return True

    # ------------------------------------------------------------ walking
    def advance(self) -> None:
        walk = self.walk
        if walk is None:
            return
        self.stopped = False
        self.busy = True
        node = walk.current
        self._show_head(node.id, Text.assemble(("measuring: ", "italic"), node.question or node.title))
        helptext = self.query_one("#question-help", Static)
        if self.from_report:
            helptext.update("lmdoctor is reading the report's evidence...")
        else:
            helptext.update("lmdoctor is looking at this machine... (escape stops it)" if self.live else "")
        helptext.display = self.live or self.from_report
        self.query_one("#choices").display = False
        self.query_one("#leaf-box").display = False
        self._advance(walk)

    @work(thread=True, exclusive=True, exit_on_error=False, group="walk")
    def _advance(self, walk) -> None:
        try:
            walk.advance()  # probes may take a few seconds: off the UI thread
        except Exception as exc:
            self.post_message(WalkFailed(walk, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(WalkUpdated(walk))

    def answer(self, key: str) -> None:
        from lmdoctor.checks.tree.walk import WalkError

        if self.walk is None or self.busy or self.walk.done:
            return
        try:
            self.walk.answer(key)
        except WalkError as exc:
            helptext = self.query_one("#question-help", Static)
            helptext.update(str(exc))
            helptext.display = True
            return
        self.advance()

    @on(OptionList.OptionSelected, "#choices")
    def on_choice(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.answer(event.option.id)

    def action_choose(self, number: int) -> None:
        if self.walk is None or self.busy or self.walk.done:
            return
        if 1 <= number <= len(self.walk.current.choices):
            self.answer(self.walk.current.choices[number - 1].key)

    def action_back(self) -> None:
        if self.walk is None or self.busy or not self.walk.steps:
            return
        self.walk.back_to_question()
        self.on_walk_updated(WalkUpdated(self.walk))

    def action_new(self) -> None:
        self.cancel()
        self.walk = None
        self.busy = False
        self.message = ""
        self.query_one("#walking").display = False
        self.query_one("#pick").display = True
        self.query_one("#match-status", Static).update("Paste a message, or choose a symptom below.")
        field = self.query_one("#diagnose-input", PasteInput)
        field.set_text("")
        field.focus()

    def on_walk_failed(self, message: WalkFailed) -> None:
        if self.walk is None or message.walk is not self.walk:
            return
        self.busy = False
        helptext = self.query_one("#question-help", Static)
        helptext.update(f"A probe failed ({message.error}); answer the question yourself.")
        helptext.display = True
        self._show_choices(self.walk.current)

    # ------------------------------------------------------------ drawing
    def _show_head(self, step_id: str, question) -> None:
        self.query_one("#step-id", Static).update(f" {step_id} ")
        self.query_one("#question", Static).update(question)

    def _show_choices(self, node) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        for i, c in enumerate(node.choices, 1):
            choices.add_option(Option(Text.assemble((f"{i}. ", "bold"), c.label), id=c.key))
        choices.highlighted = 0 if node.choices else None
        choices.display = bool(node.choices)
        if self.shown():
            self.app.focus_moved_from_typing()  # type: ignore[attr-defined]
            choices.focus()

    def on_walk_updated(self, message: WalkUpdated) -> None:
        walk = self.walk
        if walk is None or message.walk is not walk:
            return
        self.busy = False
        s = walk.symptom
        self.query_one("#walk-symptom", Static).update(Text.assemble(
            ("Symptom: ", "dim"), (s.start, "bold"), f" {s.title}"))
        self.query_one("#transcript-text", Static).update(
            transcript_table(walk.steps, self.from_report) if walk.steps else Text("No steps taken yet.", style="dim"))
        self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)
        node = walk.current
        helptext = self.query_one("#question-help", Static)
        choices = self.query_one("#choices", OptionList)
        leaf_box = self.query_one("#leaf-box", VerticalScroll)
        if node.is_leaf:
            style = LEAF_STYLE.get(node.status, "bold")
            self._show_head(node.id, Text.assemble(("Diagnosis: ", style), (node.title, "bold")))
            helptext.update("")
            helptext.display = False
            choices.display = False
            body = leaf_body(node)
            self.query_one("#leaf", Static).update(body)
            leaf_box.display = True
            leaf_box.scroll_home(animate=False)
            if self.shown():
                leaf_box.focus()
            return
        leaf_box.display = False
        self._show_head(node.id, node.question or node.title)
        note = Text()
        if self.stopped:
            note.append("You stopped the measurement: answer this step yourself.\n", style="italic")
        elif walk.pending_note:
            reasons = [n.strip() for n in walk.pending_note[:2] if n.strip().rstrip(":").strip()]
            if reasons:
                note.append("Not measured here: " + "; ".join(r.rstrip(": ") for r in reasons) + "\n",
                            style="italic")
        if node.help:
            note.append(node.help, style="dim")
        helptext.update(note)
        helptext.display = bool(note.plain)
        self._show_choices(node)

    # ------------------------------------------------------------ a report's transcript
    def replay(self, walk: Dict[str, Any], doc: Dict[str, Any]) -> None:
        """Stand where a report's walk ended; further probes answer from the report (never this machine)."""
        self._replay = (walk, doc)
        if self.ttree is None:
            return  # on_tree_loaded replays it
        from lmdoctor.checks.report import report_probe_env
        from lmdoctor.checks.tree.walk import Walk, WalkError

        sid = str((walk.get("symptom") or {}).get("id") or "")
        answers = {st["id"]: st["answer"] for st in walk.get("steps") or []
                   if isinstance(st, dict) and st.get("answered_by") != "probe" and st.get("id")}
        self.from_report = True
        self.cancel()
        self._token = CancelToken()
        self.message = str(walk.get("message") or "")
        try:
            self.walk = Walk(self.ttree, sid, env=report_probe_env(doc, self.message, self._token), auto=True,
                             answers=answers)
        except WalkError as exc:
            self.query_one("#match-status", Static).update(f"The report's transcript does not fit this tree: {exc}")
            self.walk = None
            return
        self.query_one("#pick").display = False
        self.query_one("#walking").display = True
        self.advance()

    # ------------------------------------------------------------ saving
    def saved_section(self) -> Optional[Dict[str, Any]]:
        if self.walk is None:
            return None
        d = self.walk.to_dict()
        d["message"] = self.message
        return d
