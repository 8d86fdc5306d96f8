"""Weekly hours in a time zone (``presence_core.hours``): the next change is exactly when it changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from presence_core import hours

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/St_Johns", "Pacific/Chatham"]
intervals = st.lists(st.tuples(st.integers(0, hours.WEEK - 1), st.integers(1, 3 * 1440)), min_size=1, max_size=6).map(
    lambda pairs: hours.normalize([[s, s + length] for s, length in pairs]))
moments = st.integers(1_700_000_000_000, 1_900_000_000_000)  # 2023 to 2030, across many clock changes


@settings(max_examples=200, deadline=None)
@given(canonical=intervals, zone=st.sampled_from(ZONES), t=moments)
def test_next_and_last_change_are_exact(canonical: list[list[int]], zone: str, t: int) -> None:
    state = hours.within(canonical, zone, t)
    following = hours.next_change(canonical, zone, t)
    if following is None:
        assert canonical == [[0, hours.WEEK]]
        return
    assert following > t
    assert hours.within(canonical, zone, following) != state
    assert hours.within(canonical, zone, following - 1) == state
    for probe in range(t, following, max(1, (following - t) // 50)):
        assert hours.within(canonical, zone, probe) == state
    began = hours.last_change(canonical, zone, t)
    assert began is not None and began <= t
    assert hours.within(canonical, zone, began) == state and hours.within(canonical, zone, began - 1) != state


@settings(max_examples=100, deadline=None)
@given(canonical=intervals, zone=st.sampled_from(ZONES), t=moments)
def test_the_window_is_open_exactly_within_hours(canonical: list[list[int]], zone: str, t: int) -> None:
    opens, closes = hours.window(canonical, zone, t)
    assert opens is not None
    inside = opens <= t and (closes is None or t < closes)
    assert inside == hours.within(canonical, zone, t)
    if closes is not None:
        assert hours.within(canonical, zone, opens) and not hours.within(canonical, zone, closes)


def test_normalize_merges_and_splits_at_the_end_of_the_week() -> None:
    assert hours.normalize([[9960, 10440], [60, 120]]) == [[0, 360], [9960, 10080]]
    assert hours.normalize([[0, 1440 * 7]]) == [[0, hours.WEEK]]
