"""Live probes of this machine: processes, listeners, search path, reachability, tunnels,
host identity, system files and the ELF interpreter of the FlexNet binaries.

Each probe is a function ``probe(ctx, cancel, on_finding) -> List[Finding]`` over a
``ProbeContext``; ``checks.probes.runner`` runs them concurrently.
"""
from __future__ import annotations

from .context import DEFAULT_LMGRD_PORT, DEFAULT_VENDOR_PORT, ProbeContext, Target

__all__ = ["DEFAULT_LMGRD_PORT", "DEFAULT_VENDOR_PORT", "ProbeContext", "Target"]
