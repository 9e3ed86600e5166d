"""The usage engine: peaks with their time, checkins paired across restarts, days and hours."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lmdoctor.checks.flexnet.events import EventKind, UsageEvent
from lmdoctor.checks.flexnet.usage import MAX_DAYS, UsageTracker

OUT, IN, DEN = EventKind.OUT, EventKind.IN, EventKind.DENIED


def ev(kind, feature="f", user="u", count=1, reason=""):
    return UsageEvent(kind, feature, user, "h", count, reason)


def test_peak_is_the_most_licenses_out_at_once_and_first_reached():
    t = UsageTracker()
    seq = [(OUT, "09:00:00"), (OUT, "09:05:00"), (IN, "09:10:00"), (OUT, "09:20:00"), (OUT, "09:30:00"),
           (IN, "09:40:00"), (OUT, "09:50:00")]
    for k, time in seq:
        t.add(ev(k), "v", "2024-03-04", time)
    f = t.summary.features["f"]
    assert f.peak == 3 and f.peak_when == "2024-03-04 09:30:00"  # not 09:50, which only equals it
    assert f.open == 3 and f.checkouts == 5 and f.checkins == 2


def test_counts_weigh_licenses():
    t = UsageTracker()
    t.add(ev(OUT, count=13), "MSC", "2026-03-08", "16:13:35")
    t.add(ev(OUT, count=60), "MSC", "2026-03-08", "16:12:16")
    t.add(ev(IN, count=13), "MSC", "2026-03-08", "16:13:37")
    f = t.summary.features["f"]
    assert (f.peak, f.open, f.licenses_out, f.checkouts) == (73, 60, 73, 2)


def test_checkin_without_checkout_is_counted_not_negative():
    t = UsageTracker()
    t.add(ev(IN), "v", None, "1:00:00")
    t.add(ev(IN, count=2), "v", None, "1:00:01")
    t.add(ev(OUT), "v", None, "1:00:02")
    f = t.summary.features["f"]
    assert (f.open, f.unmatched, f.peak, f.peak_when) == (1, 3, 1, "01:00:02")


def test_a_restart_closes_what_was_open():
    t = UsageTracker()
    for _ in range(4):
        t.add(ev(OUT), "sigasi", "2024-01-02", "10:00:00")
    t.add(ev(OUT, feature="g"), "other", "2024-01-02", "10:00:00")
    t.restart("sigasi", "2024-01-02 11:00:00")      # the vendor daemon alone
    assert t.summary.features["f"].open == 0 and t.summary.features["f"].closed_by_restart == 4
    assert t.summary.features["g"].open == 1
    t.add(ev(IN), "sigasi", "2024-01-02", "11:05:00")   # a checkin from before the restart
    assert t.summary.features["f"].open == 0 and t.summary.features["f"].unmatched == 1
    t.restart(None)                                      # lmgrd: everything
    assert t.summary.features["g"].open == 0 and t.summary.restarts == 2


def test_days_hours_and_denials():
    t = UsageTracker()
    t.add(ev(OUT), "v", "2024-01-02", "9:10:00")
    t.add(ev(OUT), "v", "2024-01-02", "9:20:00")
    t.add(ev(DEN), "v", "2024-01-02", "9:21:00")
    t.add(ev(IN), "v", "2024-01-02", "17:00:00")
    t.add(ev(IN), "v", "2024-01-02", "17:00:01")
    t.add(ev(OUT), "v", "2024-01-03", "14:00:00")
    t.add(ev(DEN), "v", "2024-01-03", "14:01:00")
    t.add(ev(DEN), "v", "2024-01-03", "14:02:00")
    s = t.summary
    f = s.features["f"]
    days = dict(f.series())
    assert days["2024-01-02"].peak == 2 and days["2024-01-02"].checkouts == 2 and days["2024-01-02"].denied == 1
    assert days["2024-01-03"].peak == 1 and days["2024-01-03"].denied == 2
    assert s.denied_days == {"2024-01-02": 1, "2024-01-03": 2}
    assert s.busiest_hours() == [(9, 2), (14, 1)]
    assert f.hours[9] == 2 and sum(f.hours) == 3


def test_verbose_trailer_gives_the_issued_count():
    t = UsageTracker()
    t.add(UsageEvent(OUT, "f1", "ADas", "BLR", 1, in_use=4, issued=10), "demo", None, "8:41:54")
    f = t.summary.features["f1"]
    assert f.issued == 10 and "verbose" in f.issued_source


def test_features_and_days_are_bounded():
    t = UsageTracker(max_features=3)
    for i in range(10):
        t.add(ev(OUT, feature=f"f{i}"), "v", None, "1:00:00")
    assert set(t.summary.features) == {"f0", "f1", "(other)"}
    assert t.summary.features["(other)"].checkouts == 8
    t2 = UsageTracker()
    import datetime as dt
    d0 = dt.date(2000, 1, 1)
    for i in range(MAX_DAYS + 50):
        t2.add(ev(OUT), "v", (d0 + dt.timedelta(days=i)).isoformat(), "1:00:00")
    f = t2.summary.features["f"]
    assert len(f.days) <= MAX_DAYS and min(f.days) > d0.isoformat()


def test_to_dict_is_json_ready():
    import json

    t = UsageTracker()
    t.add(ev(OUT), "v", "2024-01-02", "9:10:00")
    d = json.loads(json.dumps(t.summary.to_dict()))
    assert d["features"][0]["peak"] == 1 and d["busiest_hours"] == [{"hour": 9, "checkouts": 1}]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([OUT, IN, DEN]), st.integers(1, 5), st.sampled_from("fg")), max_size=80))
def test_peak_equals_the_replayed_maximum(seq):
    t = UsageTracker()
    open_, peak, unmatched = {"f": 0, "g": 0}, {"f": 0, "g": 0}, {"f": 0, "g": 0}
    for i, (k, n, feat) in enumerate(seq):
        t.add(ev(k, feature=feat, count=n), "v", "2024-01-02", f"10:{i // 60:02d}:{i % 60:02d}")
        if k is OUT:
            open_[feat] += n
            peak[feat] = max(peak[feat], open_[feat])
        elif k is IN:
            take = min(n, open_[feat])
            unmatched[feat] += n - take
            open_[feat] -= take
    for feat, f in t.summary.features.items():
        assert (f.peak, f.open, f.unmatched) == (peak[feat], open_[feat], unmatched[feat])
        assert f.series()[0][1].peak == peak[feat]
