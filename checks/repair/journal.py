"""The repair journal: ``$XDG_STATE_HOME/lmdoctor/repairs/RUN_ID/`` with the plan, backups and results.

Everything --undo needs is here, so it works in a new shell days later: the bytes of every file
before lmdoctor wrote it (``backups/``), the hash of what lmdoctor wrote (a file changed since is
left alone), the links made, and the pid + start time of every server started. Journal files are
written through checks.safe_write and never through a symlink.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import secrets
from typing import Any, Dict, List, Optional

from .. import __version__
from ..exceptions import LmdoctorError
from ..safe_write import Symlinks, make_private_dir, write_file
from .model import ActionResult, RepairPlan, ResultStatus

PLAN = "plan.json"
RESULTS = "results.json"
UNDO = "undo.json"
_RUN_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")


class JournalError(LmdoctorError):
    """The journal cannot be written or read; the message says where and why."""


def repairs_dir(env: Optional[Dict[str, str]] = None) -> str:
    """``$XDG_STATE_HOME/lmdoctor/repairs`` (checks.statedir says where the state directory is)."""
    from ..statedir import state_dir

    return os.path.join(state_dir(create=False, env=env), "repairs")


def new_run_id(now: Optional[_dt.datetime] = None) -> str:
    now = now or _dt.datetime.now()
    return now.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def _dump(path: str, data: Any) -> None:
    write_file(path, (json.dumps(data, indent=2, sort_keys=False, default=str) + "\n").encode("utf-8"),
               symlinks=Symlinks.REFUSE, mode=0o600)


def _load(path: str) -> Any:
    with open(path, "r", encoding="utf-8") as fh:
        return json.load(fh)


def _plan_record(plan: RepairPlan) -> List[Dict[str, Any]]:
    out = []
    for a in plan.actions:
        d = a.to_dict()
        d.update({"key": a.key, "target": a.target, "notes": a.notes, "sudo": a.sudo, "after": a.after})
        launch = a.payload.get("launch")
        if launch is not None:
            d["launch"] = {"argv": launch.argv, "cwd": launch.cwd, "user": launch.user, "source": launch.source}
        out.append(d)
    return out


class Journal:
    def __init__(self, run_id: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> None:
        self.run_id = run_id or new_run_id()
        self.env = env
        self.dir = os.path.join(repairs_dir(env), self.run_id)
        self.results: List[Dict[str, Any]] = []
        self._n = 0

    def create(self, plan: RepairPlan, mode: str, argv: List[str]) -> None:
        from ..statedir import StateDirError, state_dir

        try:
            state_dir(create=True, env=self.env)  # this user's, private, not a link
            make_private_dir(self.dir)
            make_private_dir(os.path.join(self.dir, "backups"))
            _dump(os.path.join(self.dir, PLAN), {
                "run_id": self.run_id, "lmdoctor": __version__, "started": _dt.datetime.now().isoformat(
                    timespec="seconds"), "mode": mode, "argv": argv, "license": plan.license_path,
                "notes": plan.notes, "plan": _plan_record(plan)})
        except StateDirError as exc:
            raise JournalError(str(exc)) from exc
        except OSError as exc:
            raise JournalError(f"cannot write the repair journal in {self.dir}: {exc.strerror or exc}") from exc
        except Exception as exc:
            raise JournalError(f"cannot write the repair journal in {self.dir}: {exc}") from exc

    def backup_path(self, path: str) -> str:
        self._n += 1
        name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(path)) or "file"
        return os.path.join(self.dir, "backups", f"{self._n:02d}-{name}")

    def file_path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def record(self, r: ActionResult) -> None:
        self.results.append({"key": r.key, "id": r.id, "status": r.status.value, "detail": r.detail, "undo": r.undo})
        self._write_results(None)

    def finish(self, after_counts: Dict[str, int]) -> None:
        self._write_results(after_counts)

    def _write_results(self, after: Optional[Dict[str, int]]) -> None:
        data: Dict[str, Any] = {"run_id": self.run_id, "results": self.results}
        if after is not None:
            data["finished"] = _dt.datetime.now().isoformat(timespec="seconds")
            data["after"] = after
        try:
            _dump(os.path.join(self.dir, RESULTS), data)
        except Exception as exc:  # the change is made; losing the record must be said loudly
            raise JournalError(f"cannot record the results in {self.dir}: {exc}") from exc


# ----------------------------------------------------------------------------- reading runs

def run_ids(env: Optional[Dict[str, str]] = None) -> List[str]:
    try:
        names = os.listdir(repairs_dir(env))
    except OSError:
        return []
    return sorted(n for n in names if _RUN_ID.match(n))


def load_run(run_id: str, env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    if not _RUN_ID.match(run_id or ""):
        raise JournalError(f"'{run_id}' is not a repair run id (they look like 20250101T120000-a1b2c3); "
                           "'lmdoctor repair --undo' without an id takes the most recent run")
    d = os.path.join(repairs_dir(env), run_id)
    try:
        plan = _load(os.path.join(d, PLAN))
    except FileNotFoundError as exc:
        raise JournalError(f"no repair run {run_id} in {repairs_dir(env)}") from exc
    except (OSError, ValueError) as exc:
        raise JournalError(f"cannot read the journal of run {run_id}: {exc}") from exc
    try:
        results = _load(os.path.join(d, RESULTS))
    except (OSError, ValueError):
        results = {"results": []}
    undone = os.path.exists(os.path.join(d, UNDO))
    return {"dir": d, "plan": plan, "results": results.get("results", []), "undone": undone}


def changed_something(run: Dict[str, Any]) -> bool:
    return any(r.get("status") == ResultStatus.APPLIED.value and r.get("undo") for r in run["results"])


def latest_changed_run(env: Optional[Dict[str, str]] = None) -> Optional[str]:
    for rid in reversed(run_ids(env)):
        try:
            run = load_run(rid, env)
        except JournalError:
            continue
        if changed_something(run) and not run["undone"]:
            return rid
    return None


def last_stopped_launch(license_path: str, env: Optional[Dict[str, str]] = None) -> Optional[Dict[str, Any]]:
    """argv, cwd, env of the last lmgrd for this license a repair stopped or started (newest run first)."""
    real = os.path.realpath(license_path)
    for rid in reversed(run_ids(env)):
        try:
            run = load_run(rid, env)
        except JournalError:
            continue
        for r in reversed(run["results"]):
            for rec in reversed(r.get("undo", {}).get("records", [])):
                if rec.get("type") in ("process", "stopped") and rec.get("role", "lmgrd") == "lmgrd" \
                        and rec.get("license") and os.path.realpath(rec["license"]) == real and rec.get("argv"):
                    return rec
    return None


def mark_undone(run_dir: str, results: List[ActionResult]) -> None:
    _dump(os.path.join(run_dir, UNDO), {"undone": _dt.datetime.now().isoformat(timespec="seconds"),
                                        "results": [{"id": r.id, "status": r.status.value, "detail": r.detail}
                                                    for r in results]})
