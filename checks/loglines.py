"""The raw lines behind one group of a debug-log analysis ("show me the 37 DENIED lines").

The analyser (``flexnet.logscan``) counts; a person then wants the lines themselves, with their
line numbers, to read what happened around them. This reads the file in blocks, finds candidate
lines with each catalogue entry's anchor (a case-insensitive literal every matching line holds),
confirms each with the catalogue, and keeps the first ``limit`` - in constant memory, cancellable,
with progress, so a 1 GB log costs one pass of ``bytes.find``.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .runtime import NEVER_CANCELLED, CancelToken

BLOCK = 16 * 1024 * 1024
MAX_LINE = 4096
# Findings of the analysis that stand for several catalogue entries.
GROUPS: Dict[str, Tuple[str, ...]] = {
    "log.exit": ("log.exit-signal", "log.vendor-exited"),
    "log.restarts": ("log.startup",),
    "log.startup": ("log.startup",),
}

Line = Tuple[int, str]  # (line number from 1, text)


def catalogue_ids(finding_id: str) -> Tuple[str, ...]:
    """The catalogue entries whose lines stand behind a log finding (empty: none, e.g. the summary)."""
    from .flexnet.catalogue import load_catalogue

    if finding_id in GROUPS:
        return GROUPS[finding_id]
    by_id = load_catalogue().by_id
    return (finding_id,) if finding_id in by_id else ()


def find_lines(path: str, ids: Sequence[str], limit: int = 500, cancel: CancelToken = NEVER_CANCELLED,
               on_progress: Optional[Callable[[int, int], None]] = None) -> Tuple[List[Line], int]:
    """(the first ``limit`` lines of the given catalogue entries, how many there are in all)."""
    from .flexnet.catalogue import classify, load_catalogue

    by_id = load_catalogue().by_id
    needles = sorted({by_id[i].anchor.lower().encode("utf-8") for i in ids if i in by_id and by_id[i].anchor})
    wanted = set(ids)
    found: List[Line] = []
    total = 0
    if not needles:
        return found, 0
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        base_line = 1
        carry = b""
        done = 0
        while True:
            cancel.check()
            data = fh.read(BLOCK)
            if not data and not carry:
                break
            buf = carry + data
            if data:
                cut = buf.rfind(b"\n") + 1
                if cut == 0:  # one very long line: keep reading, but bounded
                    carry = buf[-MAX_LINE:]
                    done += len(data)
                    continue
                block, carry = buf[:cut], buf[cut:]
            else:
                block, carry = buf, b""
            low = block.lower()
            starts = set()
            for n in needles:
                i = low.find(n)
                while i >= 0:
                    starts.add(block.rfind(b"\n", 0, i) + 1)
                    i = low.find(n, i + len(n))
            prev, line_no = 0, base_line
            for s in sorted(starts):
                line_no += block.count(b"\n", prev, s)
                prev = s
                end = block.find(b"\n", s)
                raw = block[s:end if end >= 0 else len(block)][:MAX_LINE]
                text = raw.decode("utf-8", "replace").rstrip("\r")
                m = classify(text)
                if m is not None and m.entry.id in wanted:
                    total += 1
                    if len(found) < limit:
                        found.append((line_no, text))
            base_line += block.count(b"\n")
            done += len(data)
            if on_progress is not None:
                on_progress(done, size)
            if not data:
                break
    return found, total
