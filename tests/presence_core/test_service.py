"""Status rules (SPEC section 4) through the public API, on every store backend."""

from __future__ import annotations

import asyncio

import pytest

from presence_core import InvalidArgumentError, InvalidStatusError, PresenceService, Status, TextTooLongError
from tests.support.clock import FakeClock

ALICE, BOB = "telegram:1", "discord:2"
ROOM = "telegram:-100"


class Heard:
    """Every event the service emitted, in order."""

    def __init__(self, presence: PresenceService) -> None:
        self.events: list[tuple[str, ...]] = []
        presence.on("status_change", lambda u, old, new: self.events.append(("status_change", u, old, new)))
        presence.on("online", lambda u: self.events.append(("online", u)))

        @presence.on("offline")
        async def offline(user_id: str) -> None:
            self.events.append(("offline", user_id))


async def say(presence: PresenceService, user: str, channel: str = ROOM, **kw: object) -> None:
    await presence.record_activity(user, {"type": "message", "channel_id": channel}, **kw)  # type: ignore[arg-type]


async def test_unknown_people_are_offline_with_no_last_seen(service: PresenceService) -> None:
    status = await service.get_status("telegram:404")
    assert status.status == "offline" and status.last_seen is None and status.device_count == 0


async def test_first_activity_brings_a_person_online_with_one_event_each(service: PresenceService,
                                                                         clock: FakeClock) -> None:
    heard = Heard(service)
    await say(service, ALICE, user_name="alice")
    await say(service, ALICE)
    status = await service.get_status(ALICE)
    assert status.status == Status.ONLINE and status.last_seen == clock.now and status.name == "alice"
    assert heard.events == [("status_change", ALICE, "offline", "online"), ("online", ALICE)]


async def test_idle_person_goes_away_then_offline_on_sweep_and_comes_back(service: PresenceService,
                                                                          clock: FakeClock) -> None:
    await say(service, ALICE)
    heard = Heard(service)
    clock.advance(minutes=4)
    assert await service.sweep() == []
    clock.advance(minutes=1)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == "away"
    clock.advance(minutes=55)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == "offline"
    await say(service, ALICE)
    assert heard.events == [
        ("status_change", ALICE, "online", "away"),
        ("status_change", ALICE, "away", "offline"), ("offline", ALICE),
        ("status_change", ALICE, "offline", "online"), ("online", ALICE),
    ]


async def test_away_back_to_online_is_a_change_but_not_an_online_event(service: PresenceService,
                                                                       clock: FakeClock) -> None:
    await say(service, ALICE)
    clock.advance(minutes=6)
    await service.sweep()
    heard = Heard(service)
    await say(service, ALICE)
    assert heard.events == [("status_change", ALICE, "away", "online")]


async def test_reads_never_show_an_idle_status_the_sweep_has_not_applied_yet(service: PresenceService,
                                                                             clock: FakeClock) -> None:
    await say(service, ALICE)
    clock.advance(minutes=61)
    assert (await service.get_status(ALICE)).status == "offline"


async def test_sweeping_twice_emits_each_transition_once(service: PresenceService, clock: FakeClock) -> None:
    await say(service, ALICE)
    await say(service, BOB)
    heard = Heard(service)
    clock.advance(minutes=6)
    first = await service.sweep()
    assert await service.sweep() == []
    assert sorted(t.user_id for t in first) == sorted([ALICE, BOB])
    assert sorted(heard.events) == sorted([("status_change", ALICE, "online", "away"),
                                           ("status_change", BOB, "online", "away")])


@pytest.mark.parametrize("chosen", ["away", "dnd", "offline"])
async def test_away_dnd_and_invisible_stick_through_activity_and_idle_timers(service: PresenceService, clock: FakeClock,
                                                                        chosen: str) -> None:
    await say(service, ALICE)
    await service.set_status(ALICE, chosen)
    await say(service, ALICE)
    clock.advance(minutes=90)
    await service.sweep()
    await say(service, ALICE)
    assert (await service.get_status(ALICE, viewer_id=ALICE)).status == chosen


async def test_manual_away_sticks_through_activity_until_online_or_its_expiry(service: PresenceService,
                                                                              clock: FakeClock) -> None:
    await say(service, ALICE)
    await service.set_status(ALICE, "away", expires_at_ms=clock.now + 3 * 3_600_000)
    heard = Heard(service)
    clock.advance(minutes=30)
    await service.sweep()
    await say(service, ALICE)
    assert (await service.get_status(ALICE)).status == "away"
    clock.advance(minutes=90)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == "away"
    assert heard.events == []
    clock.advance(minutes=61)
    await say(service, ALICE)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == "online"
    assert heard.events == [("status_change", ALICE, "away", "online")]
    await service.set_status(ALICE, "away")
    await service.set_status(ALICE, "online")
    assert (await service.get_status(ALICE)).status == "online"


async def test_online_clears_a_manual_status_and_returns_to_automatic(service: PresenceService,
                                                                      clock: FakeClock) -> None:
    await service.set_status(ALICE, "dnd")
    status = await service.set_status(ALICE, "online")
    assert status.status == "online" and not status.manual
    clock.advance(minutes=6)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == "away"


async def test_a_status_with_expiry_ends_on_the_next_sweep_with_one_event(service: PresenceService,
                                                                          clock: FakeClock) -> None:
    await say(service, ALICE)
    await service.set_status(ALICE, "dnd", expires_at_ms=clock.now + 2 * 3_600_000)
    heard = Heard(service)
    clock.advance(minutes=119)
    await say(service, ALICE)
    await service.sweep()
    assert (await service.get_status(ALICE)).status == "dnd"
    clock.advance(minutes=1)
    assert (await service.get_status(ALICE)).status == "online"  # reads never show an expired value
    await service.sweep()
    await service.sweep()
    assert heard.events == [("status_change", ALICE, "dnd", "online")]


async def test_invisible_shows_offline_and_the_last_seen_from_before_to_others(service: PresenceService,
                                                                               clock: FakeClock) -> None:
    await say(service, BOB)
    await say(service, ALICE)
    went_invisible = clock.now
    await service.set_status(ALICE, "offline")
    clock.advance(minutes=10)
    await say(service, ALICE)
    seen_by_bob = await service.get_status(ALICE, viewer_id=BOB)
    assert seen_by_bob.status == "offline" and seen_by_bob.last_seen == went_invisible
    assert seen_by_bob.active_device is None and not seen_by_bob.invisible and not seen_by_bob.manual
    seen_by_self = await service.get_status(ALICE, viewer_id=ALICE)
    assert seen_by_self.invisible and seen_by_self.last_seen == clock.now


async def test_invisible_people_are_never_listed_in_who(service: PresenceService) -> None:
    await say(service, ALICE)
    await say(service, BOB)
    await service.set_status(ALICE, "offline")
    assert [u.user_id for u in await service.get_online_users(ROOM)] == [BOB]


async def test_who_lists_only_people_seen_in_that_channel_best_first(service: PresenceService,
                                                                     clock: FakeClock) -> None:
    await say(service, "telegram:3", user_name="carol")
    clock.advance(minutes=1)
    await say(service, ALICE, user_name="alice")
    await say(service, BOB, channel="telegram:-999")
    await say(service, "telegram:4")
    await service.set_status("telegram:4", "dnd")
    clock.advance(minutes=5)
    await say(service, ALICE)
    listed = await service.get_online_users(ROOM)
    assert [(u.user_id, u.status) for u in listed] == [(ALICE, "online"), ("telegram:3", "away"),
                                                        ("telegram:4", "dnd")]
    assert listed[0].name == "alice"


async def test_who_counts_people_beyond_the_limit(service: PresenceService) -> None:
    for i in range(5):
        await say(service, f"telegram:{i + 10}")
    here = await service.get_channel_presence(ROOM, limit=2)
    assert len(here.users) == 2 and here.more == 3


async def test_devices_merge_dnd_first_then_online_and_most_recent_is_active(service: PresenceService,
                                                                             clock: FakeClock) -> None:
    await say(service, ALICE, device_id="telegram:1")
    clock.advance(minutes=10)
    await service.heartbeat(ALICE, "telegram:1/phone")
    status = await service.get_status(ALICE)
    assert status.status == "online" and status.active_device == "telegram:1/phone" and status.device_count == 2
    await service.set_device_status(ALICE, "telegram:1/desktop", "dnd")
    assert (await service.get_status(ALICE)).status == "dnd"
    devices = {d.id: d for d in await service.get_devices(ALICE)}
    assert devices["telegram:1"].status == "away" and devices["telegram:1/phone"].is_active
    assert devices["telegram:1/desktop"].name == "telegram desktop"


async def test_a_manual_status_wins_over_every_device(service: PresenceService) -> None:
    await service.set_device_status(ALICE, "telegram:1/mobile", "online")
    await service.set_status(ALICE, "away")
    assert (await service.get_status(ALICE)).status == "away"


async def test_heartbeats_keep_a_device_online_without_logging_activity(service: PresenceService,
                                                                        clock: FakeClock) -> None:
    await say(service, ALICE)
    for _ in range(3):
        clock.advance(minutes=4)
        await service.heartbeat(ALICE)
        await service.sweep()
    assert (await service.get_status(ALICE)).status == "online"
    assert len(await service.get_activity(ALICE)) == 1


async def test_custom_status_is_shared_expires_and_can_be_cleared(service: PresenceService,
                                                                  clock: FakeClock) -> None:
    await say(service, ALICE)
    await say(service, BOB)
    await service.set_custom_status(ALICE, "交易BTC", expires_at_ms=clock.now + 60_000)
    assert (await service.get_status(ALICE, viewer_id=BOB)).custom_status == "交易BTC"
    clock.advance(minutes=1)
    assert (await service.get_status(ALICE)).custom_status is None
    await service.set_custom_status(ALICE, "  lunch   break ")
    assert (await service.get_status(ALICE)).custom_status == "lunch break"
    await service.clear_custom_status(ALICE)
    assert (await service.get_status(ALICE)).custom_status is None


async def test_activity_log_newest_first_with_limit_and_since(service: PresenceService, clock: FakeClock) -> None:
    for minute in range(5):
        await say(service, ALICE, channel=f"telegram:{minute}")
        clock.advance(minutes=1)
    events = await service.get_activity(ALICE, limit=2)
    assert [e.channel_id for e in events] == ["telegram:4", "telegram:3"]
    since = await service.get_activity(ALICE, since=clock.now - 150_000)
    assert [e.channel_id for e in since] == ["telegram:4", "telegram:3"]


async def test_get_statuses_answers_for_every_id(service: PresenceService) -> None:
    await say(service, ALICE)
    statuses = await service.get_statuses([ALICE, BOB])
    assert {u: s.status for u, s in statuses.items()} == {ALICE: "online", BOB: "offline"}


async def test_sync_counts_fresh_devices_and_flags_stale_ones(service: PresenceService, clock: FakeClock) -> None:
    await say(service, ALICE, device_id="telegram:1")
    clock.advance(minutes=60 * 25)
    await say(service, ALICE, device_id="telegram:1/phone")
    await service.set_status(ALICE, "dnd")
    before = await service.get_sync_status(ALICE)
    assert before.total == 2 and before.last_sync is None
    after = await service.sync(ALICE)
    assert (after.synced, after.total, after.last_sync) == (1, 2, clock.now)
    assert [d.is_stale for d in await service.get_devices(ALICE)] == [False, True]


async def test_devices_unseen_for_long_are_pruned(service: PresenceService, clock: FakeClock) -> None:
    await say(service, ALICE, device_id="telegram:1/old")
    clock.advance(minutes=60 * 24 * 29)
    await say(service, ALICE)
    clock.advance(minutes=60 * 24 * 2)
    await service.sweep()
    assert [d.id for d in await service.get_devices(ALICE)] == [ALICE]


async def test_tracking_off_records_nothing_and_shows_offline_without_last_seen(service: PresenceService) -> None:
    await say(service, ALICE)
    await service.set_tracking(ALICE, False)
    await say(service, ALICE)
    assert len(await service.get_activity(ALICE)) == 1
    seen = await service.get_status(ALICE, viewer_id=BOB)
    assert seen.status == "offline" and seen.last_seen is None
    assert await service.get_online_users(ROOM) == []
    await service.set_tracking(ALICE, True)
    await say(service, ALICE)
    assert len(await service.get_activity(ALICE)) == 2


async def test_bad_arguments_raise_presence_errors_with_clear_messages(service: PresenceService,
                                                                      clock: FakeClock) -> None:
    with pytest.raises(InvalidStatusError, match="busy"):
        await service.set_status(ALICE, "busy")
    with pytest.raises(TextTooLongError):
        await service.set_custom_status(ALICE, "x" * 129)
    with pytest.raises(InvalidArgumentError, match="future"):
        await service.set_status(ALICE, "dnd", expires_at_ms=clock.now - 1)
    with pytest.raises(InvalidArgumentError, match="limit"):
        await service.get_activity(ALICE, limit=51)
    with pytest.raises(InvalidArgumentError):
        await service.record_activity("", {})
    with pytest.raises(InvalidArgumentError, match="unknown event"):
        service.on("typing", print)


async def test_record_activity_takes_device_and_name_in_the_mapping_and_names_any_other_key(
        service: PresenceService) -> None:
    await service.record_activity(ALICE, {"type": "message", "device_id": "telegram:1/laptop", "user_name": "Alice"})
    await service.record_activity(ALICE, {"type": "message"}, device_id="telegram:1/phone")
    assert sorted(d.id for d in await service.get_devices(ALICE)) == ["telegram:1/laptop", "telegram:1/phone"]
    assert (await service.get_status(ALICE)).name == "Alice"

    with pytest.raises(InvalidArgumentError, match="'device'"):
        await service.record_activity(ALICE, {"type": "message", "device": "laptop"})
    with pytest.raises(InvalidArgumentError, match="both"):
        await service.record_activity(ALICE, {"device_id": "a"}, device_id="b")
    with pytest.raises(InvalidArgumentError, match="user_name must be a string"):
        await service.record_activity(ALICE, {"user_name": 7})
    assert len(await service.get_activity(ALICE)) == 2


async def test_a_failing_listener_does_not_stop_the_others(service: PresenceService) -> None:
    heard: list[str] = []

    def broken(user_id: str) -> None:
        raise RuntimeError("listener bug")
    service.on("online", broken)
    service.on("online", heard.append)
    await say(service, ALICE)
    assert heard == [ALICE]


async def test_concurrent_messages_are_all_recorded(service: PresenceService) -> None:
    await asyncio.gather(*(say(service, f"telegram:{i % 7}", channel=f"telegram:{i}") for i in range(140)))
    for person in range(7):
        logged = await service.get_activity(f"telegram:{person}", limit=50)
        assert sorted(int(e.channel_id.split(":")[1]) for e in logged) == list(range(person, 140, 7))


async def test_tracking_off_ignores_device_reports_too(service: PresenceService) -> None:
    await service.set_tracking(ALICE, False)
    await service.set_device_status(ALICE, "telegram:1/desktop", "online")
    assert await service.get_devices(ALICE) == []
