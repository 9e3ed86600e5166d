"""The Repair tab: the plan with a checkbox per action and its diff, applied in a worker with progress per
action, then the check again; undo of the last run. The same engine calls as `lmdoctor repair`."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Set

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, ProgressBar, SelectionList, Static
from textual.widgets.selection_list import Selection

from lmdoctor.checks.findings import Finding, Status
from lmdoctor.checks.runtime import CancelToken

from . import TabBody

MARK = {"applied": "done", "failed": "FAILED", "skipped": "skipped", "manual": "for you", "running": "applying"}


class RepairPlanned(Message):
    def __init__(self, rc: Any, plan: Any, run: int, select: Optional[str], error: Optional[str] = None,
                 options: Any = None) -> None:
        super().__init__()
        self.rc, self.plan, self.run, self.select, self.error = rc, plan, run, select, error
        self.options = options


class RepairStep(Message):
    """One action started (result None) or ended."""

    def __init__(self, key: str, result: Any, run: int) -> None:
        super().__init__()
        self.key, self.result, self.run = key, result, run


class RepairApplied(Message):
    def __init__(self, outcome: Any, run: int, error: Optional[str] = None) -> None:
        super().__init__()
        self.outcome, self.run, self.error = outcome, run, error


class RepairUndone(Message):
    def __init__(self, run_id: Optional[str], results: List[Any], error: Optional[str] = None) -> None:
        super().__init__()
        self.run_id, self.results, self.error = run_id, results, error


def counts(findings: List[Finding]) -> str:
    return (f"{sum(1 for f in findings if f.status is Status.FAIL)} fail, "
            f"{sum(1 for f in findings if f.status is Status.WARN)} warn")


def action_label(i: int, a: Any, state: str = "") -> Text:
    t = Text()
    t.append(f"[{i}] ", style="bold")
    t.append(a.id, style="bold" if not a.manual else "italic")
    tags = [a.kind.value] + ([] if a.manual else ["reversible" if a.reversible else "IRREVERSIBLE"])
    if a.needs_root:
        tags.append("needs root")
    t.append(f"  {a.title}  ({', '.join(tags)})")
    if state:
        t.append(f"  {MARK.get(state, state)}", style="reverse bold")
    return t


def action_detail(a: Any, result: Any = None) -> Text:
    t = Text()
    t.append(f"{a.title}\n", style="bold")
    if a.fixes:
        t.append("fixes: ", style="bold")
        t.append(", ".join(a.fixes) + "\n")
    for ln in a.change.splitlines():
        style = "green" if ln.startswith("+") and not ln.startswith("+++") else \
            "red" if ln.startswith("-") and not ln.startswith("---") else ""
        t.append(ln + "\n", style=style)
    for n in a.notes:
        t.append(f"note: {n}\n", style="dim")
    if a.needs_root and a.sudo:
        t.append(f"not root: {a.sudo}\n", style="bold")
    if a.verify and not a.manual:
        t.append(f"verify: {a.verify}\n", style="italic")
    if result is not None:
        t.append(f"\n{result.status.value}: ", style="bold reverse")
        t.append(result.detail)
    return t


class RepairPane(TabBody):
    """Plan (p), tick what to apply (space), apply (a), undo the last run (u)."""

    TAB_ID = "repair"
    BINDINGS: ClassVar[List[BindingType]] = [
        Binding("p", "plan", "Plan", id="repair-plan", tooltip="Check this machine and plan the repair"),
        Binding("a", "apply", "Apply checked", id="repair-apply",
                tooltip="Apply the checked actions in order, each verified and journaled"),
        Binding("u", "undo", "Undo", id="repair-undo", tooltip="Take back the last repair run that changed something"),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.run_no = 0
        self.rc: Any = None
        self.options: Any = None
        self.plan: Any = None
        self.outcome: Any = None
        self.results: Dict[str, Any] = {}
        self.select: Optional[str] = None
        self._busy = False
        self._token: Optional[CancelToken] = None

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self._busy

    @busy.setter
    def busy(self, value: bool) -> None:
        self._busy = value
        for b in ("#repair-plan-btn", "#repair-apply-btn", "#repair-undo-btn"):
            self.query_one(b, Button).disabled = value
        bar = self.query_one(ProgressBar)
        bar.visible = value
        # Indeterminate (animated) only while shown: a hidden indeterminate bar still ticks at 15 Hz.
        bar.update(total=None if value else 100, progress=0)
        self.set_busy_flag()

    def check_action(self, action: str, parameters) -> Optional[bool]:
        if action in ("plan", "apply", "undo") and (self.busy or self.app.typing()):  # type: ignore[attr-defined]
            return False
        if action == "apply" and (self.plan is None or not self.checked()):
            return None
        return True

    def compose(self) -> ComposeResult:
        with Horizontal(classes="toolbar"):
            yield Button("Plan (p)", id="repair-plan-btn", variant="primary", compact=True,
                         tooltip="Check this machine and plan the repair")
            yield Button("Apply checked (a)", id="repair-apply-btn", compact=True,
                         tooltip="Apply the checked actions")
            yield Button("Undo last (u)", id="repair-undo-btn", compact=True,
                         tooltip="Take back the last repair run")
            yield ProgressBar(total=100, show_eta=False, id="repair-progress")
        yield Static("Press p to check this machine and plan; space ticks an action, a applies the ticked ones.",
                     id="repair-status", classes="status-line")
        yield SelectionList[str](id="repair-actions")
        with VerticalScroll(id="repair-detail-box"):
            yield Static("", id="repair-detail")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).visible = False

    def default_focus(self):
        return self.query_one("#repair-actions")

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def stop(self) -> None:
        self.cancel()

    def status(self, text: str) -> None:
        self.query_one("#repair-status", Static).update(text)

    def checked(self) -> Set[str]:
        return set(self.query_one(SelectionList).selected)

    # ------------------------------------------------------------------ plan
    def action_plan(self) -> None:
        self.plan_repair()

    @on(Button.Pressed, "#repair-plan-btn")
    def _plan_pressed(self) -> None:
        self.plan_repair()

    def plan_repair(self, select: Optional[str] = None) -> None:
        """Check and plan; ``select`` (an action id or a finding id) ticks only what addresses it."""
        self.cancel()
        self.run_no += 1
        self.select = select
        self._token = CancelToken()
        self.busy = True
        self.status("Checking this machine and planning ..." + (f" (for {select})" if select else ""))
        inputs = self.app.inputs  # type: ignore[attr-defined]
        self._plan_worker(self._token, self.run_no, inputs.license_path, list(inputs.servers), inputs.timeout,
                          select)

    @work(thread=True, exclusive=True, exit_on_error=False, group="repair")
    def _plan_worker(self, token: CancelToken, run: int, license_path: Optional[str], servers: List[str],
                     timeout: float, select: Optional[str]) -> None:
        from lmdoctor.checks.check import CheckOptions
        from lmdoctor.checks.repair.session import RepairOptions, plan_repair

        try:
            opts = RepairOptions(CheckOptions(license_path=license_path, servers=servers, timeout=timeout))
            rc, plan = plan_repair(opts, cancel=token)
            self.post_message(RepairPlanned(rc, plan, run, select, options=opts))
        except Exception as exc:  # shown, never a crash of the UI
            self.post_message(RepairPlanned(None, None, run, select, error=f"{type(exc).__name__}: {exc}"))

    def on_repair_planned(self, message: RepairPlanned) -> None:
        if message.run != self.run_no:
            return
        self.busy = False
        if message.error or message.plan is None:
            self.status(f"Planning failed: {message.error}")
            return
        self.rc, self.plan, self.results, self.outcome = message.rc, message.plan, {}, None
        self.options = message.options  # the apply and the check after it use the same options
        self.show_plan(message.plan, message.select)

    def show_plan(self, plan: Any, select: Optional[str] = None) -> None:
        """Fill the list: automatic actions ticked (or only those for ``select``), manual ones shown, never ticked."""
        self.plan = plan
        sl = self.query_one(SelectionList)
        sl.clear_options()
        wanted = self._wanted(plan, select)
        for i, a in enumerate(plan.actions, 1):
            can = not a.manual and not (a.needs_root and not getattr(self.rc, "root", False))
            sl.add_option(Selection(action_label(i, a), a.key, can and a.key in wanted, id=a.key, disabled=not can))
        auto = sum(1 for a in plan.actions if not a.manual)
        if not plan.actions:
            self.status(f"Nothing lmdoctor can repair here ({counts(plan.before)}).")
        else:
            self.status(f"Before: {counts(plan.before)}. {len(plan.actions)} action(s), {auto} by lmdoctor"
                        + (f"; ticked for {select}" if select else "") + ". Space ticks, a applies.")
        if plan.actions:
            sl.highlighted = next((i for i, a in enumerate(plan.actions) if a.key in wanted), 0)
            self._show_detail(plan.actions[sl.highlighted])
        else:
            self.query_one("#repair-detail", Static).update("\n".join(plan.notes))
        self.app.refresh_bindings()

    @staticmethod
    def _wanted(plan: Any, select: Optional[str]) -> Set[str]:
        auto = [a for a in plan.actions if not a.manual]
        if not select:
            return {a.key for a in auto}
        direct = {a.key for a in auto if a.id == select or select in a.fixes}
        via = plan.consequences.get(select)
        if via:
            direct.add(via)
        # What the chosen action needs first comes with it (a restart needs its edit, and the other way).
        for a in auto:
            if a.key in direct:
                direct |= set(a.after)
            elif set(a.after) & direct:
                direct.add(a.key)
        return direct

    @on(SelectionList.SelectionHighlighted)
    def _highlighted(self, event: SelectionList.SelectionHighlighted) -> None:
        if self.plan is None:
            return
        key = event.selection.value
        a = self.plan.by_key(key)
        if a is not None:
            self._show_detail(a)

    @on(SelectionList.SelectedChanged)
    def _ticked(self) -> None:
        self.app.refresh_bindings()

    def _show_detail(self, a: Any) -> None:
        self.query_one("#repair-detail", Static).update(action_detail(a, self.results.get(a.key)))

    # ------------------------------------------------------------------ apply
    def action_apply(self) -> None:
        self.apply_checked()

    @on(Button.Pressed, "#repair-apply-btn")
    def _apply_pressed(self) -> None:
        self.apply_checked()

    def apply_checked(self) -> None:
        if self.plan is None or self.rc is None or self.busy:
            return
        chosen = self.checked()
        if not chosen:
            self.status("Nothing is ticked: space ticks an action.")
            return
        self.run_no += 1
        self._token = CancelToken()
        self.busy = True
        self.status(f"Applying {len(chosen)} action(s) ...")
        self._apply_worker(self._token, self.run_no, self.options, self.rc, self.plan, chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="repair")
    def _apply_worker(self, token: CancelToken, run: int, opts: Any, rc: Any, plan: Any, chosen: Set[str]) -> None:
        from lmdoctor.checks.repair.apply import Decision
        from lmdoctor.checks.repair.session import apply_repair

        def decide(a: Any) -> Decision:
            return Decision.YES if a.key in chosen else Decision.NO

        def event(kind: str, a: Any, r: Any) -> None:
            self.post_message(RepairStep(a.key, r, run))

        try:
            outcome = apply_repair(opts, rc, plan, decide, event, cancel=token, argv=["(app)"], mode="app")
            self.post_message(RepairApplied(outcome, run))
        except Exception as exc:
            self.post_message(RepairApplied(None, run, error=f"{type(exc).__name__}: {exc}"))

    def on_repair_step(self, message: RepairStep) -> None:
        if message.run != self.run_no or self.plan is None:
            return
        sl = self.query_one(SelectionList)
        idx = next((i for i, a in enumerate(self.plan.actions) if a.key == message.key), None)
        if idx is None:
            return
        a = self.plan.actions[idx]
        state = "running" if message.result is None else message.result.status.value
        if message.result is not None:
            self.results[a.key] = message.result
        sl.replace_option_prompt_at_index(idx, action_label(idx + 1, a, state))
        if message.result is None:
            self.status(f"Applying [{idx + 1}] {a.id} ...")
        if sl.highlighted == idx:
            self._show_detail(a)

    def on_repair_applied(self, message: RepairApplied) -> None:
        if message.run != self.run_no:
            return
        self.busy = False
        if message.error or message.outcome is None:
            self.status(f"The repair stopped: {message.error}")
            return
        self.outcome = message.outcome
        self.unsaved = True
        before = {f.id for f in self.outcome.plan.before if f.status in (Status.FAIL, Status.WARN)}
        after = {f.id for f in self.outcome.after if f.status in (Status.FAIL, Status.WARN)}
        fixed = sorted(before - after)
        line = f"After: {counts(self.outcome.after)} (before: {counts(self.outcome.plan.before)})"
        if fixed:
            line += "; fixed: " + ", ".join(fixed)
        if self.outcome.run_id:
            line += f"; u undoes run {self.outcome.run_id}"
        self.status(line)
        self.app.last_check = None  # type: ignore[attr-defined]  # the machine changed: the Check tab is stale

    # ------------------------------------------------------------------ undo
    def action_undo(self) -> None:
        self.undo_last()

    @on(Button.Pressed, "#repair-undo-btn")
    def _undo_pressed(self) -> None:
        self.undo_last()

    def undo_last(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.status("Undoing the last repair run ...")
        self._undo_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="repair")
    def _undo_worker(self) -> None:
        from lmdoctor.checks.repair.apply import Decision, undo_run
        from lmdoctor.checks.repair.journal import latest_changed_run, load_run, mark_undone

        try:
            run_id = latest_changed_run()
            if run_id is None:
                self.post_message(RepairUndone(None, []))
                return
            run = load_run(run_id)
            results = undo_run(run, lambda _a: Decision.YES, lambda _line: None)
            mark_undone(run["dir"], results)
            self.post_message(RepairUndone(run_id, results))
        except Exception as exc:
            self.post_message(RepairUndone(None, [], error=f"{type(exc).__name__}: {exc}"))

    def on_repair_undone(self, message: RepairUndone) -> None:
        self.busy = False
        if message.error:
            self.status(f"Undo failed: {message.error}")
            return
        if message.run_id is None:
            self.status("No repair run that changed something is left to undo.")
            return
        failed = [r for r in message.results if r.status.value == "failed"]
        self.status(f"Undid run {message.run_id}: {len(message.results) - len(failed)} step(s) taken back"
                    + (f", {len(failed)} failed: {failed[0].detail}" if failed else "") + ". p plans again.")
        self.query_one("#repair-detail", Static).update("\n".join(f"{r.status.value}: {r.detail}"
                                                                  for r in message.results))

    def saved_section(self) -> Optional[Dict[str, Any]]:
        if self.outcome is None:
            return None
        from lmdoctor import __version__

        return self.outcome.to_dict(__version__)
