"""Channel membership (SPEC section 10): who is in a channel, until they leave it."""

from __future__ import annotations

from presence_core import PresenceService
from tests.support.clock import FakeClock

TG_BOB, TG_CAROL, DC_BOB = "telegram:2", "telegram:3", "discord:22"


async def say(presence: PresenceService, user: str, channel: str, name: str | None = None) -> None:
    await presence.record_activity(user, {"type": "message", "channel_id": channel}, user_name=name)


async def test_someone_who_left_is_no_longer_listed_nor_a_member(service: PresenceService) -> None:
    await say(service, TG_BOB, "telegram:-5")
    await say(service, TG_CAROL, "telegram:-5")
    await service.end_membership("telegram:-5", [TG_BOB])
    assert [u.user_id for u in await service.get_online_users("telegram:-5")] == [TG_CAROL]
    assert not await service.is_member(TG_BOB, "telegram:-5")
    assert await service.is_member(TG_CAROL, "telegram:-5")


async def test_membership_outlives_the_who_window(service: PresenceService, clock: FakeClock) -> None:
    await say(service, TG_BOB, "telegram:-5")
    clock.advance(hours=5)
    assert await service.get_online_users("telegram:-5") == []
    assert await service.is_member(TG_BOB, "telegram:-5")
    clock.advance(days=31)
    assert not await service.is_member(TG_BOB, "telegram:-5")


async def test_a_migrated_group_keeps_its_people_and_a_dropped_one_loses_them(service: PresenceService) -> None:
    await say(service, TG_BOB, "telegram:-4321", "bob")
    await service.move_channel("telegram:-4321", "telegram:-100999")
    assert [(u.user_id, u.name) for u in await service.get_online_users("telegram:-100999")] == [(TG_BOB, "bob")]
    await service.drop_channel("telegram:-100999")
    assert await service.get_online_users("telegram:-100999") == []
    assert await service.memberships(TG_BOB) == []


async def test_a_linked_person_is_a_member_through_either_account(service: PresenceService) -> None:
    await say(service, TG_BOB, "telegram:-5", "bob")
    await say(service, DC_BOB, "discord:9", "bobby")
    await service.link_account(DC_BOB, await service.create_link_code(TG_BOB))
    assert await service.is_member(TG_BOB, "discord:9") and await service.is_member(DC_BOB, "telegram:-5")
    assert [(m.channel_id, m.account_id) for m in await service.memberships(DC_BOB)] == [
        ("discord:9", DC_BOB), ("telegram:-5", TG_BOB)]
    assert [(u.user_id, u.name) for u in await service.get_online_users("discord:9")] == [(DC_BOB, "bobby")]
    assert [(u.user_id, u.name) for u in await service.get_online_users("telegram:-5")] == [(TG_BOB, "bob")]
