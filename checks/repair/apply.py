"""Applying a plan: ask, change, verify, journal, one action after another.

Each action is re-checked against the world as it is now (the file's hash against the plan,
the port still free, the process still the same one) right before it runs, verified right after
(the lint of the new file, lmstat, the link, the pid), and recorded in the journal with what
--undo needs. A failed action leaves what it touched as it was; actions that needed it are
skipped and say so.
"""
from __future__ import annotations

import enum
import os
from typing import Callable, Dict, List, Optional

from ..license import parse_license
from ..runtime import NEVER_CANCELLED, CancelToken
from ..safe_write import ABSENT, SafeWriteError, remove_file, sha256_bytes, write_file
from . import license_edits as le
from . import process_actions as pa
from . import system_actions as sa
from .context import RepairContext
from .journal import Journal, JournalError
from .model import ActionKind, ActionResult, PlannedAction, RepairPlan, ResultStatus
from .ports import is_free, listening_ports


class Decision(str, enum.Enum):
    YES = "yes"
    NO = "no"
    ALL = "all"
    QUIT = "quit"


Decide = Callable[[PlannedAction], Decision]
Event = Callable[[str, PlannedAction, Optional[ActionResult]], None]  # ("start"|"done", action, result)


def _noop(_kind: str, _a: PlannedAction, _r: Optional[ActionResult]) -> None:
    pass


class Applier:
    def __init__(self, plan: RepairPlan, rc: RepairContext, journal: Optional[Journal],
                 cancel: CancelToken = NEVER_CANCELLED) -> None:
        self.plan = plan
        self.rc = rc
        self.journal = journal
        self.cancel = cancel
        self.known_hashes = {a.payload.get("before_sha") for a in plan.actions if a.payload.get("before_sha")}
        self.known_hashes |= {a.payload.get("after_sha") for a in plan.actions if a.payload.get("after_sha")}

    # ------------------------------------------------------------------ the loop
    def run(self, decide: Decide, on_event: Event = _noop, dry_run: bool = False) -> List[ActionResult]:
        done: Dict[str, ActionResult] = {}
        out: List[ActionResult] = []
        approve_all = False
        stop = False
        for a in self.plan.actions:
            r = self._not_now(a, done, dry_run, stop)
            if r is None:
                d = Decision.YES if approve_all else decide(a)
                approve_all = approve_all or d is Decision.ALL
                if d is Decision.QUIT:
                    stop = True
                    r = ActionResult(a.id, ResultStatus.SKIPPED, "not applied: you chose quit", a.key)
                elif d is Decision.NO:
                    r = ActionResult(a.id, ResultStatus.SKIPPED, "not applied: you said no", a.key)
                else:
                    on_event("start", a, None)
                    r = self._execute_guarded(a)
            done[a.key] = r
            out.append(r)
            if self.journal is not None:
                self.journal.record(r)
            on_event("done", a, r)
        return out

    def _not_now(self, a: PlannedAction, done: Dict[str, ActionResult], dry_run: bool,
                 stop: bool) -> Optional[ActionResult]:
        """The result of an action that is not to be asked about, or None to ask."""
        if a.manual:
            return ActionResult(a.id, ResultStatus.MANUAL, a.change, a.key)
        if a.needs_root and not self.rc.root:
            return ActionResult(a.id, ResultStatus.MANUAL, f"needs root; run: {a.sudo or 'sudo ...'}", a.key)
        if dry_run:
            return ActionResult(a.id, ResultStatus.SKIPPED, "dry run: nothing was changed", a.key)
        if stop:
            return ActionResult(a.id, ResultStatus.SKIPPED, "not applied: you chose quit", a.key)
        missing = [k for k in a.after if k in done and done[k].status is not ResultStatus.APPLIED]
        if missing:
            return ActionResult(a.id, ResultStatus.SKIPPED, f"not applied: it needs {', '.join(missing)} first, "
                                "which was not applied", a.key)
        return None

    def _execute_guarded(self, a: PlannedAction) -> ActionResult:
        try:
            r = self.execute(a)
        except JournalError:
            raise
        except Exception as exc:  # an action's bug must not cost the journal of the others
            r = ActionResult(a.id, ResultStatus.FAILED, f"{type(exc).__name__}: {exc}", a.key)
        r.key = a.key
        return r

    # ------------------------------------------------------------------ executors
    def execute(self, a: PlannedAction) -> ActionResult:
        if a.kind is ActionKind.FILE_EDIT and a.payload.get("op") in ("flexlmrc",):
            return self._write_other(a)
        if a.kind is ActionKind.FILE_EDIT:
            return self._edit_license(a)
        if a.kind is ActionKind.SERVICE and a.payload.get("op") == "unit":
            return self._write_other(a)
        if a.kind is ActionKind.LINK:
            return self._link(a)
        if a.id == "process.stop-duplicates":
            return self._stop_duplicate(a)
        if a.id == "server.start":
            return self._start(a)
        if a.id == "server.restart":
            return self._restart(a)
        return ActionResult(a.id, ResultStatus.SKIPPED, "lmdoctor has no way to apply this action")

    def _backup(self, path: str) -> Optional[str]:
        return self.journal.backup_path(path) if self.journal is not None else None

    def _edit_license(self, a: PlannedAction) -> ActionResult:
        p = a.payload
        path = p["path"]
        try:
            with open(path, "rb") as fh:
                current = fh.read()
        except OSError as exc:
            return ActionResult(a.id, ResultStatus.FAILED, f"cannot read {path}: {exc.strerror or exc}")
        sha = sha256_bytes(current)
        if sha not in self.known_hashes:
            return ActionResult(a.id, ResultStatus.FAILED, f"{path} changed after the plan was made (someone edited "
                                "it meanwhile); nothing was changed. Run lmdoctor repair again to see the new plan")
        op = getattr(le, p["op"])
        try:
            if p.get("copy"):
                new, _what = op(current)
            else:
                new = op(current, **p["kwargs"])
        except le.EditRefused as exc:
            return ActionResult(a.id, ResultStatus.FAILED, f"the edit cannot be made: {exc}")
        if new == current:
            return ActionResult(a.id, ResultStatus.SKIPPED, "nothing to change any more")
        bad = le.signed_unchanged(current, new, copy_repair=bool(p.get("copy")))
        if bad:
            return ActionResult(a.id, ResultStatus.FAILED, f"refused: {bad}; nothing was changed")
        port = p.get("port_free")
        if port is not None and not is_free(port, listening_ports(_listeners())):
            return ActionResult(a.id, ResultStatus.FAILED, f"port {port} was taken between the plan and now; nothing "
                                "was changed. Run lmdoctor repair again to pick another free port")
        try:
            res = write_file(path, new, expect=sha, backup_to=self._backup(path), remove_leftovers=True)
        except SafeWriteError as exc:
            return ActionResult(a.id, ResultStatus.FAILED, str(exc))
        self.known_hashes.add(res.after_sha256)
        undo = {"records": [{"type": "file", "path": res.target, "backup": res.backup, "after_sha": res.after_sha256,
                             "before_sha": res.before_sha256, "created": False}]}
        detail = f"wrote {res.target} (backup {res.backup})"
        if res.via_symlink:
            detail += f"; {path} is a link, its target was edited"
        if res.leftovers_removed:
            detail += "; removed the leftover " + ", ".join(res.leftovers_removed)
        still = self._still_reported(a, new)
        if still:
            return ActionResult(a.id, ResultStatus.FAILED, detail + "; but the lint still reports "
                                + ", ".join(still), undo=undo)
        mine = [f for f in a.fixes if f.startswith("license.")]
        proof = ("the lint of the new file no longer reports " + ", ".join(mine)) if mine else \
            "the file holds the planned bytes"
        return ActionResult(a.id, ResultStatus.APPLIED, f"{detail}; verified: {proof}", undo=undo)

    def _still_reported(self, a: PlannedAction, data: bytes) -> List[str]:
        """The license.* findings this edit fixes, if the lint of the new file still raises them."""
        from ..license.lint import LintOptions, lint_license

        mine = [f for f in a.fixes if f.startswith("license.")]
        if not mine:
            return []
        try:
            found = lint_license(parse_license(data, path=a.payload.get("path")),
                                 LintOptions(on_server=True if self.rc.servers or self.rc.logs else None,
                                             identity=self.rc.identity))
        except Exception:
            return []
        return sorted({f.id for f in found if f.id in mine and f.status.value in ("fail", "warn")})

    def _write_other(self, a: PlannedAction) -> ActionResult:
        p = a.payload
        path = p["path"]
        expect = p.get("before_sha") or ABSENT
        try:
            res = write_file(path, p["new"], expect=expect, backup_to=self._backup(path),
                             mode=0o644 if p.get("create") else None)
        except SafeWriteError as exc:
            return ActionResult(a.id, ResultStatus.FAILED, str(exc))
        undo = {"records": [{"type": "file", "path": res.target, "backup": res.backup, "after_sha": res.after_sha256,
                             "before_sha": res.before_sha256, "created": res.created}]}
        detail = f"wrote {res.target}" + (f" (backup {res.backup})" if res.backup else " (new file)")
        if p.get("op") == "unit":
            detail += "; next: " + "; ".join(sa.systemctl_lines(os.path.basename(path)))
        return ActionResult(a.id, ResultStatus.APPLIED, detail, undo=undo)

    def _link(self, a: PlannedAction) -> ActionResult:
        p = sa.LinkPlan(a.payload["link"], a.payload["target"], a.payload.get("why", ""))
        try:
            sa.make_link(p)
        except FileExistsError:
            return ActionResult(a.id, ResultStatus.FAILED, f"{p.link} exists now (it did not when planned); "
                                "it was left as it is")
        except OSError as exc:
            return ActionResult(a.id, ResultStatus.FAILED, f"cannot create {p.link}: {exc.strerror or exc}")
        undo = {"records": [{"type": "link", "link": p.link, "target": p.target}]}
        if not sa.link_ok(p):
            return ActionResult(a.id, ResultStatus.FAILED, f"made {p.link} -> {p.target}, but it does not lead to a "
                                "writable directory", undo=undo)
        return ActionResult(a.id, ResultStatus.APPLIED, f"made {p.link} -> {p.target}; verified: {a.verify}",
                            undo=undo)

    def _stop_duplicate(self, a: PlannedAction) -> ActionResult:
        p = a.payload
        out = pa.terminate(p["pid"], p.get("create_time"))
        undo = {"records": [{"type": "stopped", "pid": p["pid"], "argv": p.get("argv"), "role": p.get("role"),
                             "license": _license_of(p.get("argv") or [])}]}
        status = ResultStatus.APPLIED if out.ok else ResultStatus.FAILED
        return ActionResult(a.id, status, out.detail, undo=undo if out.ok else {})

    def _start(self, a: PlannedAction) -> ActionResult:
        launch: pa.Launch = a.payload["launch"]
        lic = self.rc.license_path or ""
        out = pa.start(launch, lic, self.rc.lmutil, self.rc.vendors(), cancel=self.cancel)
        undo: Dict = {}
        if out.pid is not None:
            undo = {"records": [{"type": "process", "pid": out.pid, "create_time": out.create_time,
                                 "argv": launch.argv, "cwd": launch.cwd, "license": lic, "role": "lmgrd"}]}
        status = ResultStatus.APPLIED if out.ok else ResultStatus.FAILED
        return ActionResult(a.id, status, (f"started lmgrd (pid {out.pid}); " if out.pid else "") + out.detail,
                            undo=undo)

    def _restart(self, a: PlannedAction) -> ActionResult:
        p = a.payload
        lic = self.rc.license_path or ""
        if p.get("service"):
            from .. import procs

            done = procs.run(["systemctl", "restart", p["service"]], timeout=60)
            if not done.ok:
                return ActionResult(a.id, ResultStatus.FAILED, f"systemctl restart {p['service']}: "
                                    + (done.output.strip() or str(done.error or done.returncode)))
            out = pa.wait_up(lic, self.rc.lmutil, self.rc.vendors(), None, None, cancel=self.cancel)
            return ActionResult(a.id, ResultStatus.APPLIED if out.ok else ResultStatus.FAILED, out.detail)
        pid, ct = p["pid"], p.get("create_time")
        stop = p["stop"]
        if self.rc.lmutil and stop and stop[0] == self.rc.lmutil:
            down = pa.lmdown(stop[3], self.rc.lmutil, pid, ct)
        else:
            down = pa.terminate(pid, ct)
        if not down.ok:
            return ActionResult(a.id, ResultStatus.FAILED, "could not stop the running lmgrd: " + down.detail)
        launch: pa.Launch = p["launch"]
        records = [{"type": "stopped", "pid": pid, "argv": p.get("old_argv"), "role": "lmgrd", "license": lic}]
        out = pa.start(launch, lic, self.rc.lmutil, self.rc.vendors(), cancel=self.cancel, exclude=[pid])
        if out.pid is not None:
            records.append({"type": "process", "pid": out.pid, "create_time": out.create_time, "argv": launch.argv,
                            "cwd": launch.cwd, "license": lic, "role": "lmgrd"})
        status = ResultStatus.APPLIED if out.ok else ResultStatus.FAILED
        return ActionResult(a.id, status, f"{down.detail}; " + (f"started lmgrd (pid {out.pid}); " if out.pid else "")
                            + out.detail, undo={"records": records})


def _listeners():
    from ..probes.snapshot import read_listeners

    return read_listeners()[0]


def _license_of(argv: List[str]) -> Optional[str]:
    from ..probes.snapshot import parse_args

    lic, _log = parse_args(argv)
    return lic


# ----------------------------------------------------------------------------- undo

def undo_run(run: Dict, decide: Decide, on_line: Callable[[str], None], dry_run: bool = False) -> List[ActionResult]:
    """Take back one journaled run, newest change first. Files only when they still hold what lmdoctor wrote."""
    out: List[ActionResult] = []
    approve_all = False
    for r in reversed(run["results"]):
        if r.get("status") != ResultStatus.APPLIED.value:
            continue
        for rec in reversed(r.get("undo", {}).get("records", [])):
            desc = _describe(rec)
            if rec["type"] == "stopped":
                argv = " ".join(rec.get("argv") or [])
                out.append(ActionResult(r["id"], ResultStatus.MANUAL, f"pid {rec['pid']} was stopped for good and is "
                                        "not brought back" + (f"; to start it again: {argv}" if argv else "")))
                on_line(out[-1].detail)
                continue
            if dry_run:
                out.append(ActionResult(r["id"], ResultStatus.SKIPPED, "dry run: would " + desc))
                on_line(out[-1].detail)
                continue
            if not approve_all:
                shell = PlannedAction(r["id"], desc, [], ActionKind.PROCESS, desc)
                d = decide(shell)
                if d is Decision.QUIT:
                    return out
                if d is Decision.NO:
                    out.append(ActionResult(r["id"], ResultStatus.SKIPPED, "kept: you said no to " + desc))
                    continue
                approve_all = d is Decision.ALL
            res = _undo_record(rec, run["dir"])
            res.id = r["id"]
            out.append(res)
            on_line(f"{res.status.value}: {res.detail}")
    return out


def _describe(rec: Dict) -> str:
    t = rec["type"]
    if t == "file":
        return f"remove {rec['path']} (lmdoctor created it)" if rec.get("created") else \
            f"restore {rec['path']} from {rec.get('backup')}"
    if t == "link":
        return f"remove the link {rec['link']} -> {rec['target']}"
    if t == "process":
        return f"stop lmgrd pid {rec['pid']} that the repair started"
    return t


def _undo_record(rec: Dict, run_dir: str) -> ActionResult:
    t = rec["type"]
    if t == "process":
        out = pa.terminate(rec["pid"], rec.get("create_time"))
        return ActionResult("", ResultStatus.APPLIED if out.ok else ResultStatus.FAILED, out.detail)
    if t == "link":
        try:
            return ActionResult("", ResultStatus.APPLIED, sa.remove_link(rec["link"], rec["target"]))
        except OSError as exc:
            return ActionResult("", ResultStatus.FAILED, f"cannot remove {rec['link']}: {exc.strerror or exc}")
    if t == "file":
        path = rec["path"]
        bdir = os.path.join(run_dir, "undo-backups")
        try:
            os.makedirs(bdir, mode=0o700, exist_ok=True)
            keep = os.path.join(bdir, os.path.basename(path) + "." + (rec.get("after_sha") or "x")[:12])
            if rec.get("created"):
                remove_file(path, expect=rec.get("after_sha"), backup_to=keep if not os.path.exists(keep) else None)
                return ActionResult("", ResultStatus.APPLIED, f"removed {path}, which the repair had created")
            with open(rec["backup"], "rb") as fh:
                original = fh.read()
            write_file(path, original, expect=rec.get("after_sha"),
                       backup_to=keep if not os.path.exists(keep) else None)
            ok = rec.get("before_sha") is None or sha256_bytes(original) == rec.get("before_sha")
            return ActionResult("", ResultStatus.APPLIED if ok else ResultStatus.FAILED,
                                f"restored {path} byte for byte from {rec['backup']}" if ok else
                                f"restored {path}, but the backup does not match the recorded hash")
        except SafeWriteError as exc:
            hint = f"; the original is kept at {rec.get('backup')}" if rec.get("backup") else ""
            return ActionResult("", ResultStatus.FAILED, f"{exc}{hint}")
        except OSError as exc:
            return ActionResult("", ResultStatus.FAILED, f"cannot restore {path}: {exc.strerror or exc}")
    return ActionResult("", ResultStatus.SKIPPED, f"unknown journal record {t}")
