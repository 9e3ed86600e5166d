"""Shared fixtures. Sandbox-server fixtures and the leftover-process check live here too."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, Phase, settings

pytest_plugins = ["tests.sandbox_fixtures"]  # sandbox_factory, sandbox, the leftover-process check

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _truthy(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def under_ci() -> bool:
    """CI=1 / CI=true (CI runs set it), or .ci/run's own LMDOCTOR_CI=1."""
    return _truthy(os.environ.get("CI")) or _truthy(os.environ.get("LMDOCTOR_CI"))


# Property tests: CI runs a pinned, derandomized profile, so a run is reproducible and a crash found
# once is found every time (a random run found SIGASI_LM_LICENSE_FILE='²@host' once in 22 runs; it
# is kept as an @example now, like every falsifying example found since). A developer's default is
# random and quicker; LMDOCTOR_HYPOTHESIS_PROFILE picks a profile by name. A test's own
# @settings(max_examples=...) still wins over the profile's count.
settings.register_profile(
    "ci", derandomize=True, max_examples=200, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
# bench/bench_mutation.py: the same examples every run, few of them, and no shrinking (a failure is
# all it needs to know).
settings.register_profile(
    "mutation", derandomize=True, max_examples=30, deadline=None, database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=list(HealthCheck))
HYPOTHESIS_PROFILE = os.environ.get("LMDOCTOR_HYPOTHESIS_PROFILE") or ("ci" if under_ci() else "dev")
settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_report_header(config):
    return f"hypothesis profile: {HYPOTHESIS_PROFILE}"


def shared_root() -> Path:
    """../shared beside the checkout (seed manual, facts, real-world samples); LMDOCTOR_SHARED overrides."""
    env = os.environ.get("LMDOCTOR_SHARED")
    if env:
        return Path(env)
    rw = os.environ.get("LMDOCTOR_REALWORLD")
    if rw:
        return Path(rw).parent
    # Beside the checkout; a git worktree one level deeper (e.g. /work/wt/NAME) finds it one level up.
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared").is_dir():
            return base / "shared"
    return REPO.parent / "shared"


def realworld_root() -> Path:
    env = os.environ.get("LMDOCTOR_REALWORLD")
    return Path(env) if env else shared_root() / "realworld"


@pytest.fixture(scope="session")
def realworld() -> Path:
    """../shared/realworld, read in place. Skips only when absent and not required (CI requires it)."""
    root = realworld_root()
    if not root.is_dir():
        msg = f"real-world samples not found at {root} (set LMDOCTOR_REALWORLD)"
        if os.environ.get("LMDOCTOR_REQUIRE_REALWORLD") == "1":
            pytest.fail(msg + "; LMDOCTOR_REQUIRE_REALWORLD=1 forbids skipping")
        pytest.skip(msg)
    return root


@pytest.fixture(scope="session")
def python_exe() -> str:
    return sys.executable


# Tests that start FlexLM-named processes (sandbox, fake lmgrd) or read the machine's whole
# process table and sockets (check, diagnose --auto, the TUI's check tab) would see each
# other's processes if they ran side by side. They share one xdist group, so they run one
# after another on one worker (`-n 2 --dist loadgroup`), while pure unit tests fill the other.
_MACHINE_WIDE = ("test_daemon", "test_sandbox", "test_probes", "test_check", "test_diagnose", "test_lmutil")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which turns the marker into the "@machine" node suffix
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if "e2e" in path.parts or "tui" in path.parts or path.name.startswith(_MACHINE_WIDE):
            item.add_marker(pytest.mark.xdist_group(name="machine"))
