"""Path completion for text fields (license, lmgrd, debug log): the first matching file or directory."""
from __future__ import annotations

import glob
import os
from typing import Optional

from textual.suggester import Suggester

from ..state import expand_path


class PathSuggester(Suggester):
    """Completes a path typed in a field with the first matching file or directory (right arrow takes it)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> Optional[str]:
        if not value or value.endswith(" "):
            return None
        pattern = (expand_path(value) or value) + "*"
        for cand in sorted(glob.glob(pattern))[:50]:
            full = cand + ("/" if os.path.isdir(cand) else "")
            if value.startswith("~"):
                home = os.path.expanduser("~")
                full = "~" + full[len(home):] if full.startswith(home) else full
            if full != value:
                return full
        return None
