"""The run half of `lmdoctor sandbox ACTION` (heavy imports, kept out of argument parsing): what it
prints, text for people, json for scripts, markdown for tickets."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List

from ..findings import ExitCode
from ..sandbox.sandbox import Sandbox, SandboxError, SandboxInfo, SandboxStatus, last_dir
from ..sandbox.scenarios import SCENARIOS


def _fmt(args: argparse.Namespace) -> str:
    return getattr(args, "format", None) or "text"


def _err(message: str) -> int:
    print(f"lmdoctor: {message}", file=sys.stderr)
    return int(ExitCode.ERROR)


def _dir(args: argparse.Namespace) -> str:
    d = getattr(args, "dir", None) or last_dir()
    if not d:
        raise SandboxError("no sandbox directory given and none started before; use --dir DIR")
    return d


def _rows_start(i: SandboxInfo) -> List[List[str]]:
    def proc(pid, port, up):  # noqa: ANN001
        if not pid:
            return "not started"
        state = "running" if up else "exited"
        return f"pid {pid}, {state}" + (f", port {port}" if port and up else "")

    from ..sandbox.sandbox import _pid_alive

    rows = [
        ["scenario", f"{i.scenario}: {i.summary}"],
        ["port@host", i.port_at_host or "(no SERVER line, no port)"],
        ["license", i.license_path],
        ["debug log", i.log_path],
        ["lmgrd", proc(i.lmgrd_pid, i.lmgrd_port, bool(i.lmgrd_pid and _pid_alive(i.lmgrd_pid)))],
        ["sigasi", proc(i.vendor_pid, i.vendor_port, bool(i.vendor_pid and _pid_alive(i.vendor_pid)))],
    ]
    if i.first_log_path:
        rows.append(["first server", f"{i.first_lmgrd_port}@{i.host}, log {i.first_log_path}"])
    if i.port_at_host:
        rows.append(["try", f"{i.lmutil_path} lmstat -a -c {i.port_at_host}"])
    rows.append(["stop with", i.stop_command])
    return rows


def _print_rows(title: str, rows: List[List[str]], fmt: str) -> None:
    if fmt == "markdown":
        print(f"### {title}\n\n| | |\n|---|---|")
        for k, v in rows:
            print(f"| {k} | `{v}` |")
        return
    print(title)
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k + ':':<{width + 1}} {v}")


def run(args: argparse.Namespace) -> int:
    action = args.action
    fmt = _fmt(args)
    try:
        if action == "list":
            if fmt == "json":
                print(json.dumps([{"name": s.name, "summary": s.summary, "expect": list(s.expect)}
                                  for s in SCENARIOS.values()], indent=2))
            elif fmt == "markdown":
                print("| scenario | what goes wrong |\n|---|---|")
                for s in SCENARIOS.values():
                    print(f"| `{s.name}` | {s.summary} |")
            else:
                width = max(len(n) for n in SCENARIOS)
                for s in SCENARIOS.values():
                    print(f"{s.name:<{width}}  {s.summary}")
            return int(ExitCode.OK)
        if action == "start":
            if args.scenario not in SCENARIOS:
                return _err(f"unknown scenario {args.scenario!r}; choose one of: {', '.join(SCENARIOS)}")
            print(f"lmdoctor: starting sandbox scenario {args.scenario} ...", file=sys.stderr)
            sb = Sandbox(args.dir)
            info = sb.start(args.scenario, timeout=args.timeout, port_retry=args.port_retry)
            if not info.settled:
                # A failure path like any other: stop what was started, keep the files to read.
                sb.stop(grace=1.0)
                print(f"lmdoctor: the scenario did not finish within {args.timeout:g} s and was stopped; "
                      f"see {info.log_path} and {os.path.join(info.dir, 'lmgrd.out')}", file=sys.stderr)
                return int(ExitCode.ERROR)
            if fmt == "json":
                print(json.dumps(info.to_dict(), indent=2))
            else:
                _print_rows(f"Sandbox license server in {info.dir}", _rows_start(info), fmt)
            return int(ExitCode.OK)
        d = _dir(args)
        if not os.path.isdir(d):
            if action == "stop":
                _report_stop(d, [], fmt)
                return int(ExitCode.OK)
            return _err(f"no sandbox directory {d}")
        sb = Sandbox(d)
        if action == "stop":
            _report_stop(d, sb.stop(), fmt)
            return int(ExitCode.OK)
        if action == "status":
            _report_status(sb.status(), fmt)
            return int(ExitCode.OK)
    except SandboxError as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(f"sandbox: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})")
    return _err(f"unknown action {action}")


def _report_stop(d: str, pids: List[int], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps({"dir": d, "stopped_pids": pids}))
    elif pids:
        print(f"Stopped {len(pids)} sandbox process(es) in {d}: " + ", ".join(map(str, pids)))
    else:
        print(f"Nothing running in {d}")


def _report_status(st: SandboxStatus, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(st.to_dict(), indent=2))
        return
    if not st.processes:
        print(f"Nothing running in {st.dir}")
        return
    rows: List[List[str]] = []
    for p in st.processes:
        ports: Dict[str, str] = {"ports": ", ".join(map(str, p.listening)) or "none"}
        rows.append([f"{p.name} {p.pid}", f"listening on {ports['ports']}: {' '.join(p.cmdline)}"])
    _print_rows(f"Sandbox processes in {st.dir}", rows, fmt)
