"""Vendor-aware wording: Sigasi's words for Sigasi's daemon, the general FlexNet truth for everyone else.

A MATLAB admin told to set ``SIGASI_LM_LICENSE_FILE`` or to open "Sigasi Studio preferences"
stops trusting the tool. Every fix text that names an environment variable, a product or
whom to ask comes from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

SIGASI = "sigasi"
GENERIC_VAR = "LM_LICENSE_FILE"


def license_env_var(vendor: Optional[str]) -> str:
    """The vendor's own search-path variable (flexlm-facts.md section 2): SIGASI_LM_LICENSE_FILE for
    Sigasi, <VENDOR>_LICENSE_FILE for the others, LM_LICENSE_FILE when the vendor is unknown."""
    v = (vendor or "").strip()
    if not v:
        return GENERIC_VAR
    if v.lower() == SIGASI:
        return "SIGASI_LM_LICENSE_FILE"
    return f"{v.upper()}_LICENSE_FILE"


@dataclass(frozen=True)
class VendorWords:
    vendor: str  # "" when the file serves several vendors or names none
    is_sigasi: bool
    env_var: str  # SIGASI_LM_LICENSE_FILE / MLM_LICENSE_FILE / LM_LICENSE_FILE
    who: str  # whom to ask for a new key: "Sigasi", "the vendor of MLM", "the software vendor"
    product: str  # what runs on the client: "Sigasi Studio", "the application"

    def client_setting(self, spec: str = "27000@server") -> str:
        """How a client points at a server, e.g. 'set MLM_LICENSE_FILE=27000@server (or LM_LICENSE_FILE)'."""
        if self.is_sigasi:
            return (f"set SIGASI_LM_LICENSE_FILE={spec}, or Sigasi Studio's Preferences > Sigasi > License Key "
                    "path")
        if self.env_var == GENERIC_VAR:
            return f"set LM_LICENSE_FILE={spec} (or the vendor's own <VENDOR>_LICENSE_FILE)"
        return f"set {self.env_var}={spec} (or LM_LICENSE_FILE)"


def words_for(vendor: Optional[str]) -> VendorWords:
    v = (vendor or "").strip()
    if v.lower() == SIGASI:
        return VendorWords(v, True, "SIGASI_LM_LICENSE_FILE", "Sigasi", "Sigasi Studio")
    if v:
        return VendorWords(v, False, license_env_var(v), f"the vendor of {v}", "the application")
    return VendorWords("", False, GENERIC_VAR, "the software vendor", "the application")


def words_for_file(vendors: Iterable[str]) -> VendorWords:
    """Words for a whole file: its vendor's when it has exactly one, neutral ones otherwise."""
    names = {v.strip().lower(): v.strip() for v in vendors if v and v.strip()}
    return words_for(next(iter(names.values())) if len(names) == 1 else None)
