"""The sandbox license server: real processes named lmgrd, sigasi and lmutil on 127.0.0.1
that speak FlexNet's command-line and log language, for tests, training and demos."""
from __future__ import annotations

from .sandbox import Sandbox, SandboxError, SandboxInfo, SandboxStatus, free_ports, last_dir
from .scenarios import SCENARIOS, Scenario

__all__ = ["SCENARIOS", "Sandbox", "SandboxError", "SandboxInfo", "SandboxStatus", "Scenario", "free_ports",
           "last_dir"]
