"""Membership changes from the adapters, applied to the core's memberships (SPEC section 10)."""

from __future__ import annotations

from presence_bot.membership import Dropped, Left, Moved, apply
from presence_bot.places import Places
from presence_core import PresenceService

ROOM, TOPIC, ELSEWHERE = "test:-5", "test:-5/7", "test:-6"


def in_room(channel_id: str) -> bool:
    return channel_id == ROOM or channel_id.startswith(f"{ROOM}/")


async def say(service: PresenceService, user: str, channel: str) -> None:
    await service.record_activity(user, {"channel_id": channel})


async def channels(service: PresenceService, user: str) -> list[str]:
    return sorted(m.channel_id for m in await service.memberships(user))


async def test_leaving_a_place_ends_every_membership_of_that_account_there(service: PresenceService) -> None:
    for channel in (ROOM, TOPIC, ELSEWHERE):
        await say(service, "test:bob", channel)
    await say(service, "test:carol", ROOM)

    await apply(service, Places(), Left(("test:bob",), in_room))

    assert await channels(service, "test:bob") == [ELSEWHERE]
    assert await channels(service, "test:carol") == [ROOM]


async def test_leaving_with_one_account_keeps_the_linked_accounts_memberships(service: PresenceService) -> None:
    await say(service, "test:bob", ROOM)
    await say(service, "other:bob", ROOM)
    code = await service.create_link_code("test:bob")
    await service.link_account("other:bob", code)

    await apply(service, Places(), Left(("test:bob",), in_room))

    assert [(m.channel_id, m.account_id) for m in await service.memberships("test:bob")] == [(ROOM, "other:bob")]


async def test_a_moved_channel_keeps_its_people_under_the_new_id(service: PresenceService) -> None:
    await say(service, "test:bob", ROOM)

    await apply(service, Places(), Moved(ROOM, ELSEWHERE))

    assert await channels(service, "test:bob") == [ELSEWHERE]


async def test_a_dropped_place_forgets_its_channels_and_those_seen_in_its_guild(service: PresenceService) -> None:
    places = Places()
    for channel in (ROOM, TOPIC, ELSEWHERE):
        await say(service, "test:bob", channel)
        places.seen(channel, "guild-6" if channel == ELSEWHERE else "guild-5")

    await apply(service, places, Dropped((ROOM,), guild_id="guild-5"))

    assert await channels(service, "test:bob") == [ELSEWHERE]
    assert places.channels_of("guild-5") == []
