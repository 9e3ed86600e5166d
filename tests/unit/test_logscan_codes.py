"""The bulk reader's per-run code counting equals collections.Counter, order included (the order
in which tallies are made decides which keys a full table keeps)."""
from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from lmdoctor.checks.flexnet.logscan import _code_counts


@given(st.lists(st.sampled_from([0, 1, 4, 5, 9, 254, 255]), max_size=400),
       st.sets(st.integers(0, 255), max_size=6))
def test_code_counts_equal_counter_in_order(codes, extra):
    data = bytes(codes)
    in_use = set(codes) | extra   # codes given once but absent from this run count as nothing
    got = _code_counts(data, in_use)
    want = Counter(data)
    assert list(got.items()) == list(want.items())


def test_code_counts_takes_the_counting_path_on_long_runs():
    data = bytes([5, 1, 1, 0] * 100 + [9])
    got = _code_counts(data, {0, 1, 5, 9, 12})
    assert type(got) is dict   # not the Counter fallback: the bytes.count path was taken
    assert list(got.items()) == [(5, 100), (1, 200), (0, 100), (9, 1)]
