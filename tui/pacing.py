"""Keys stay quick while a thread worker crunches (a 1 GB debug log): the UI thread gets the GIL back soon.

A worker that computes holds CPython's GIL; the UI thread gets it back only when the worker is made to
let go: after the switch interval (5 ms by default) at the next bytecode, or at the end of a long C call
(one pass of bytes.count or a regular expression over the block the worker holds). A key's way from the
terminal to the screen crosses the GIL many times (the input thread, the event loop waking from select,
the writer thread), so each of those waits adds up: 100+ ms per key, seconds in the worst case.

So, while such a worker runs:
- ``ui_first()`` shortens the switch interval (put back when the last such worker ends), so each
  handover costs well under a millisecond;
- ``PacedReader`` hands the engine's scanner at most ``CHUNK`` bytes a read, so no single C-level pass
  runs long, and pauses for a moment now and then, so the UI thread runs even when it asks at an
  unlucky time;
- ``Throttle`` keeps progress messages to a few a second (each one wakes the event loop).
The engine stays unaware of all this: the scanner reads a file object and calls a progress callback.
"""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import IO, Iterator, Optional

# While a heavy worker runs. Lower costs the worker more handovers, but only while another thread
# wants the GIL (a key, a frame); an idle UI costs the worker nothing.
BUSY_SWITCH_INTERVAL = 0.0005
CHUNK = 1 << 20  # bytes a read: a C-level pass over it takes a few milliseconds
PAUSE_EVERY = 0.025  # seconds of work between two pauses of the worker
PAUSE = 0.001  # seconds the worker sleeps (without the GIL)
PROGRESS_EVERY = 0.1  # seconds between two progress messages

_lock = threading.Lock()
_active = 0
_saved: Optional[float] = None


@contextmanager
def ui_first() -> Iterator[None]:
    """For the length of a heavy worker: a short switch interval (nested and concurrent uses count)."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved, BUSY_SWITCH_INTERVAL))
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                sys.setswitchinterval(_saved)
                _saved = None


class PacedReader:
    """A binary file read in slices of at most ``chunk`` bytes, with a short sleep every ``every`` seconds.

    Short reads are what a file object may always return; a reader loops until ``b""``.
    """

    def __init__(self, fh: IO[bytes], chunk: int = CHUNK, every: float = PAUSE_EVERY, pause: float = PAUSE) -> None:
        self._fh = fh
        self.chunk, self.every, self.pause = chunk, every, pause
        self._mark = time.monotonic()

    def read(self, n: int = -1) -> bytes:
        if time.monotonic() - self._mark >= self.every:
            time.sleep(self.pause)
            self._mark = time.monotonic()
        return self._fh.read(self.chunk if n is None or n < 0 else min(n, self.chunk))

    def fileno(self) -> int:
        return self._fh.fileno()


class Throttle:
    """``due()`` is true at most once every ``every`` seconds (and the first time)."""

    def __init__(self, every: float = PROGRESS_EVERY) -> None:
        self.every = every
        self._last: Optional[float] = None

    def due(self) -> bool:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.every:
            return False
        self._last = now
        return True
