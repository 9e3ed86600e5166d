"""`explain -` reads standard input a block at a time (issue 10 item 2). Fed in pieces cut after
line feeds, the Explainer must say exactly what explain() says of the whole text."""
from __future__ import annotations

import io
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.explain import Explainer, explain
from lmdoctor.checks.inputgate import Kind, read_line_blocks

_PIECES = st.sampled_from([
    "-15,570:115", "-97", " -4,342 ", "EXITING DUE TO SIGNAL 41 Exit reason 9", "(lmgrd) EXITING DUE TO SIGNAL 15",
    "9:14:47 (sigasi) UNSUPPORTED: \"com.sigasi.hdt.custom\" (-18,327:10054)", "Internal Flexlm Error", "C:\\flexlm",
    "x64_lsb", "/opt/", "SIGASI", "hello", " ", "\t", "\n", "\r\n", "\r", "\x0b", "\x1c", "\x85", "\u2028", "\n\n",
    "\u0130", "\ufffd",
])


def _same(a, b):
    assert [(f.id, f.status, f.title, f.detail, f.fix, f.evidence) for f in a] == \
        [(f.id, f.status, f.title, f.detail, f.fix, f.evidence) for f in b]


def _pieces(text, every):
    """Cut after every `every`-th line feed, as the block reader does."""
    out, start, seen = [], 0, 0
    for i, c in enumerate(text):
        if c == "\n":
            seen += 1
            if seen % every == 0:
                out.append(text[start:i + 1])
                start = i + 1
    out.append(text[start:])
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join), st.integers(1, 3))
def test_fed_in_pieces_it_says_what_explain_says_of_the_whole(text, every):
    ex = Explainer()
    for piece in _pieces(text, every):
        ex.feed(piece)
    _same(ex.findings(), explain(text))
    assert ex.chars == len(text)
    # What the command quotes when nothing is recognised.
    assert ex.shown == (text.strip().splitlines()[0] if text.strip() else "")


def test_read_line_blocks_cuts_after_line_feeds_and_keeps_every_byte(monkeypatch):
    data = b"a\n" * 10 + b"x" * 25 + b"\n" + b"tail without newline"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    blocks = list(read_line_blocks("-", Kind.TEXT, block=8))
    assert b"".join(blocks) == data
    assert all(b.endswith(b"\n") for b in blocks[:-1]) and len(blocks) > 3
    assert b"x" * 25 + b"\n" in blocks  # a line longer than a block comes whole
