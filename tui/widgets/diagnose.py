"""The guided troubleshooter tab: pick or paste a symptom, answer questions, probes answer the rest."""
from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class WalkUpdated(Message):
    """The walk moved (or a probe answered); redraw from the walk's state."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WalkUpdated)


class WalkFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def _step_line(step) -> Text:
    t = Text()
    t.append(f"{step.node.id:<7}", style="bold")
    by = {"probe": "measured", "answer": "preset", "person": "you"}.get(step.by, step.by)
    t.append(f"{step.node.question or step.node.title}  ", style="")
    t.append(f"-> {step.choice.label}", style="green")
    t.append(f"  ({by})\n", style="dim")
    for ev in step.evidence[:3]:
        t.append(f"         seen: {ev}\n", style="dim")
    return t


class DiagnosePane(Vertical):
    BINDINGS = [
        Binding("b", "back", "Back a step", id="diagnose-back", tooltip="Undo the last answer"),
        Binding("n", "new", "New symptom", id="diagnose-new", tooltip="Choose another symptom"),
    ]

    def __init__(self, symptom_text: Optional[str] = None, **kw) -> None:
        super().__init__(**kw)
        self.symptom_text = symptom_text
        self.ttree = None
        self.walk = None
        self.load_error: Optional[str] = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Paste the error message, log line or code you see, then Enter",
                    id="diagnose-input")
        with Horizontal():
            yield OptionList(id="symptoms")
            with Vertical(id="walk-box"):
                yield Static("Choose a symptom on the left, or paste a message above.", id="question",
                             classes="question")
                yield Static("", id="question-help", classes="status-line")
                yield OptionList(id="choices")
                yield Static("", id="leaf", classes="leaf")
                with VerticalScroll(id="transcript"):
                    yield Static("", id="transcript-text")

    def on_mount(self) -> None:
        from checks.tree.loader import load_tree

        try:
            self.ttree = load_tree()
        except Exception as exc:  # a broken data file is reported, not a crash
            self.load_error = str(exc)
            self.query_one("#question", Static).update(f"The troubleshooting tree could not be loaded: {exc}")
            return
        symptoms = self.query_one("#symptoms", OptionList)
        for s in self.ttree.symptoms.values():
            symptoms.add_option(Option(s.title, id=s.id))
        self.query_one("#choices").display = False
        self.query_one("#leaf").display = False
        if self.symptom_text:
            self.query_one("#diagnose-input", Input).value = self.symptom_text
            self.match(self.symptom_text)

    # ------------------------------------------------------------ choosing a symptom
    @on(Input.Submitted, "#diagnose-input")
    def on_pasted(self, event: Input.Submitted) -> None:
        self.match(event.value)

    def match(self, text: str) -> None:
        if self.ttree is None or not text.strip():
            return
        from checks.tree import match as tree_match

        cands = tree_match.match_symptom(self.ttree, text)
        if not cands:
            self.query_one("#question", Static).update("No symptom matches that text; choose one on the left.")
            return
        best = cands[0]
        sym_id = getattr(best, "symptom", None) or getattr(best, "id", None) or best[0]
        sym_id = getattr(sym_id, "id", sym_id)
        if len(cands) == 1 or getattr(best, "confident", True):
            self.start(sym_id)
        else:
            self.query_one("#question", Static).update("Several symptoms match; choose one on the left.")

    @on(OptionList.OptionSelected, "#symptoms")
    def on_symptom(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.start(event.option.id)

    def start(self, symptom_id: str) -> None:
        from checks.tree.probes import ProbeEnv
        from checks.tree.walk import Walk

        if self.ttree is None:
            return
        self.walk = Walk(self.ttree, symptom_id, env=ProbeEnv(message=self.symptom_text or "", live=True), auto=True)
        self.query_one("#question", Static).update(f"{self.walk.symptom.title}: probing...")
        self.advance()

    # ------------------------------------------------------------ walking
    @work(thread=True, exclusive=True, exit_on_error=False, group="walk")
    def advance(self) -> None:
        try:
            self.walk.advance()  # probes may take a few seconds: off the UI thread
        except Exception as exc:
            self.post_message(WalkFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(WalkUpdated())

    @on(OptionList.OptionSelected, "#choices")
    def on_choice(self, event: OptionList.OptionSelected) -> None:
        if self.walk is None or self.walk.done or not event.option.id:
            return
        self.walk.answer(event.option.id)
        self.advance()

    def action_back(self) -> None:
        if self.walk is not None and self.walk.steps:
            self.walk.back()
            self.on_walk_updated(WalkUpdated())

    def action_new(self) -> None:
        self.walk = None
        self.query_one("#symptoms", OptionList).focus()

    def on_walk_failed(self, message: WalkFailed) -> None:
        self.query_one("#question", Static).update(f"A probe failed: {message.error}")

    def on_walk_updated(self, _message: WalkUpdated) -> None:
        walk = self.walk
        if walk is None:
            return
        transcript = Text()
        transcript.append(f"Symptom: {walk.symptom.title}\n", style="bold")
        for step in walk.steps:
            transcript.append_text(_step_line(step))
        self.query_one("#transcript-text", Static).update(transcript)
        node = walk.current
        question = self.query_one("#question", Static)
        helptext = self.query_one("#question-help", Static)
        choices = self.query_one("#choices", OptionList)
        leaf = self.query_one("#leaf", Static)
        if node.is_leaf:
            question.update(Text.assemble((f"{node.id}  ", "bold"), (node.title, "bold")))
            helptext.update("")
            choices.display = False
            body = Text()
            body.append(f"{node.diagnosis}\n\n")
            for i, step in enumerate(node.fix, 1):
                body.append(f"{i}. ", style="bold green")
                body.append(f"{step}\n")
            if node.seed_ref:
                body.append(f"\nmanual: {node.seed_ref}", style="italic dim")
            leaf.update(body)
            leaf.display = True
            return
        leaf.display = False
        question.update(Text.assemble((f"Step {node.id}  ", "bold"), node.question or node.title))
        note = ""
        if walk.pending_note:
            note = "Could not measure this here: " + "; ".join(walk.pending_note[:2]) + "\n"
        helptext.update(note + (node.help or ""))
        choices.clear_options()
        for i, c in enumerate(node.choices, 1):
            choices.add_option(Option(f"{i}. {c.label}", id=c.key))
        choices.display = True
        choices.focus()
