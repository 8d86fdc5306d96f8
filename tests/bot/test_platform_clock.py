"""A platform's timestamps on the service's clock (SPEC section 4): skew measured, lateness kept."""

from __future__ import annotations

from presence_bot.platform_clock import BUCKET_MS, BUCKETS, MAX_SKEW_MS, PlatformClock
from presence_core.policy import HOUR_MS, MINUTE_MS
from tests.support.clock import FakeClock


def test_without_samples_a_stamp_is_taken_as_it_is_but_never_after_now(clock: FakeClock) -> None:
    platform = PlatformClock(clock)

    assert platform.offset_ms == 0
    assert platform.local(clock.now - 3 * HOUR_MS) == clock.now - 3 * HOUR_MS
    assert platform.local(clock.now + MINUTE_MS) == clock.now


def test_a_host_clock_minutes_ahead_or_behind_still_places_fresh_events_at_now(clock: FakeClock) -> None:
    for skew in (6 * MINUTE_MS, -6 * MINUTE_MS, 10 * MINUTE_MS, -10 * MINUTE_MS, 40):
        platform = PlatformClock(clock)
        assert platform.local(clock.now - skew) == clock.now
        assert platform.offset_ms == skew


def test_a_late_event_keeps_its_age_once_a_fresh_one_was_seen(clock: FakeClock) -> None:
    platform = PlatformClock(clock)
    platform.sample(clock.now - 6 * MINUTE_MS)  # Discord's clock is 6 minutes behind the host's

    assert platform.local(clock.now - 6 * MINUTE_MS - 10 * MINUTE_MS) == clock.now - 10 * MINUTE_MS


def test_an_event_later_than_any_skew_is_lateness_not_skew(clock: FakeClock) -> None:
    platform = PlatformClock(clock)

    assert platform.local(clock.now - 3 * HOUR_MS) == clock.now - 3 * HOUR_MS
    assert platform.local(clock.now - MAX_SKEW_MS - 1) == clock.now - MAX_SKEW_MS - 1
    assert platform.offset_ms == 0


def test_the_smallest_recent_delay_is_the_offset(clock: FakeClock) -> None:
    platform = PlatformClock(clock)
    for delay in (9_000, 2_000, 5_000):
        platform.sample(clock.now - delay)
        clock.advance(BUCKET_MS)

    assert platform.offset_ms == 2_000


def test_a_clock_that_was_stepped_is_followed_within_a_few_busy_minutes(clock: FakeClock) -> None:
    platform = PlatformClock(clock)
    platform.sample(clock.now)
    for _ in range(BUCKETS):
        clock.advance(BUCKET_MS)
        platform.sample(clock.now - 6 * MINUTE_MS)  # the host's clock jumped 6 minutes ahead

    assert platform.offset_ms == 6 * MINUTE_MS


def test_a_quiet_platform_keeps_its_estimate(clock: FakeClock) -> None:
    platform = PlatformClock(clock)
    platform.sample(clock.now - 6 * MINUTE_MS)

    clock.advance(hours=5)

    assert platform.local(clock.now - 6 * MINUTE_MS) == clock.now
