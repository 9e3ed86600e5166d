"""Pytest fixtures for the sandbox license server, and the session-wide leftover check.

Use in any test:

    def test_x(sandbox_factory):
        info = sandbox_factory("wrong-hostid")      # SandboxInfo; stopped after the test
        run_lmdoctor("check", "-c", info.license_path)

    def test_y(sandbox):                            # the healthy scenario
        ... info.port_at_host ...
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterator, List, Set

import psutil
import pytest

from lmdoctor.checks.sandbox import Sandbox, SandboxInfo

SANDBOX_PROCESS_NAMES = {"lmgrd", "sigasi", "lmutil", "portholder"}
LEFTOVER_GRACE = 5.0


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxInfo]]:
    """start(scenario="healthy", **kwargs) -> SandboxInfo, in tmp_path; every sandbox is stopped afterwards.

    kwargs go to Sandbox.start (foreground=True runs lmgrd -z as a child; timeout=, port_retry=).
    The Sandbox object of the last start is on the returned function as ``.last``.
    """
    started: List[Sandbox] = []

    def start(scenario: str = "healthy", **kwargs: object) -> SandboxInfo:
        sb = Sandbox(str(tmp_path / f"sandbox-{len(started)}-{scenario}"))
        started.append(sb)
        start.last = sb  # type: ignore[attr-defined]
        info = sb.start(scenario, **kwargs)  # type: ignore[arg-type]
        return info

    try:
        yield start
    finally:
        for sb in started:
            sb.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxInfo]) -> SandboxInfo:
    """A healthy sandbox server for one test."""
    return sandbox_factory("healthy")


@pytest.fixture(scope="session")
def sandbox_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxInfo]:
    """One healthy sandbox server shared by the session (read-only use: do not lmdown it)."""
    sb = Sandbox(str(tmp_path_factory.mktemp("sandbox-session")))
    try:
        yield sb.start("healthy")
    finally:
        sb.stop()


def _leftovers(basetemp: str) -> List[psutil.Process]:
    me = psutil.Process()
    try:
        kids: Set[int] = {p.pid for p in me.children(recursive=True)}
    except psutil.Error:
        kids = set()
    found = []
    for p in psutil.process_iter(["pid", "name", "cmdline", "status"]):
        try:
            if p.info["name"] not in SANDBOX_PROCESS_NAMES or p.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmd = " ".join(p.info["cmdline"] or [])
            if p.pid in kids or basetemp in cmd:
                found.append(p)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="session", autouse=True)
def no_leftover_sandbox_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the run if a test left an lmgrd, sigasi, lmutil or portholder process running.

    A process counts as the tests' when it descends from this test process or its command
    line lives under this session's pytest temp dir (daemonized lmgrd leaves the tree).
    Leftovers are killed after being reported, so one bad test does not poison the machine.
    """
    basetemp = str(tmp_path_factory.getbasetemp())
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE
    left = _leftovers(basetemp)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _leftovers(basetemp)
    if not left:
        return
    desc = []
    for p in left:
        desc.append(f"{p.pid} {p.info['name']}: {' '.join(p.info['cmdline'] or [])}")
        try:
            p.kill()
        except psutil.Error as exc:
            desc.append(f"  (could not kill {p.pid}: {exc})")
    psutil.wait_procs(left, timeout=LEFTOVER_GRACE)
    pytest.fail("sandbox processes left running by the tests (now killed):\n  " + "\n  ".join(desc), pytrace=False)


def sandbox_env(info: SandboxInfo) -> dict:
    """An environment whose license search path points at the sandbox server, as a user would set it."""
    env = dict(os.environ)
    env["SIGASI_LM_LICENSE_FILE"] = info.port_at_host
    return env
