"""The parser builds tokens lazily and lint reads KEY= values through a key index and a
fast positional path. These must give exactly what full tokenization gives."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.license import parse_license
from lmdoctor.checks.license.model import Entry, tokenize

_PIECES = st.sampled_from([
    "INCREMENT", "SERVER", "VENDOR", "f", "sigasi", "1.0", "permanent", "4", " ", "  ", "\t", "\x0b", "\u00a0",
    "=", '"', "SIGN=", "sign=", "START=", "HOSTID=ANY", "a=b", "_k-1=", '"x y"', "1=2", "\\", "#", "\u017f",
    "VENDOR_STRING=", "AUTH", "SIGN2=", "x\"y", "\n", "\\\n  ",
])


def _reference(e: Entry):
    toks = tokenize(e.text, e.starts, e.numbers, None, e.first_line)
    first = {}
    for t in toks[1:]:
        if t.key is not None:
            first.setdefault(t.key.upper(), t)
    lead = next((i for i, t in enumerate(toks) if i and t.key is not None), len(toks))
    return toks, first, [t.value for t in toks[1:lead]]


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_key_index_and_lead_values_match_full_tokenization(text):
    lic = parse_license(text)
    for e in lic.entries:
        if e.kind in ("BLANK", "COMMENT"):
            continue
        toks, first, lead = _reference(e)
        fresh = Entry.lazy(e.kind, e.first_line, e.last_line, e.text, e.starts, e.numbers)
        assert fresh.lead_values() == lead
        for key in set(first) | {"SIGN", "START", "NOPE"}:
            assert fresh.get_token(key) == first.get(key), key
            assert fresh.has_key(key.lower()) is (key in first)
        assert fresh.tokens == toks
        # Once tokens exist, the same answers come from them.
        assert fresh.lead_values() == lead
        assert all(fresh.get_token(k) is not None and fresh.get_token(k) == first[k] for k in first)


def test_unterminated_quote_found_without_tokenizing_every_line():
    lic = parse_license('INCREMENT f v 1.0 permanent 1 A="x" B="y\nINCREMENT g v 1.0 permanent 1 C="z"\n')
    assert [(p.code, p.line) for p in lic.problems] == [("unterminated-quote", 1)]
    assert lic.entries[1]._tokens is None  # an even number of quotes: never tokenized
