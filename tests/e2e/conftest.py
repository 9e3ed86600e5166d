"""Fixtures of the e2e tests."""
from __future__ import annotations

import pytest

from .checkhelp import Helpers


@pytest.fixture
def helpers(tmp_path):
    hs = Helpers(tmp_path / "helpers")
    try:
        yield hs
    finally:
        hs.stop_all()
        for h in hs.started:
            assert h.proc.poll() is not None, f"helper {h.name} pid {h.pid} still running"
