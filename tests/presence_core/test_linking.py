"""Linked accounts (SPEC section 6) and privacy erasure (section 7), on every store backend."""

from __future__ import annotations

import pytest

from presence_core import AlreadyLinkedError, InvalidLinkCodeError, LinkRateLimitedError, LinkSameAccountError, PresenceService
from presence_core.linking import ATTEMPTS_PER_WINDOW, CODE_ALPHABET, CODE_LENGTH, hash_code
from presence_core.stores.base import Store
from tests.support.clock import FakeClock

TG, DC = "telegram:1", "discord:2"


async def say(presence: PresenceService, user: str, channel: str) -> None:
    await presence.record_activity(user, {"type": "message", "channel_id": channel})


async def link(presence: PresenceService, owner: str = TG, joiner: str = DC) -> None:
    await presence.link_account(joiner, await presence.create_link_code(owner))


def test_codes_carry_at_least_40_bits_and_are_stored_hashed() -> None:
    assert CODE_LENGTH * (len(CODE_ALPHABET).bit_length() - 1) >= 40
    assert hash_code("abcd-efgh") == hash_code("ABCDEFGH") != "ABCDEFGH"


async def test_linked_accounts_share_status_custom_status_and_activity(service: PresenceService) -> None:
    await say(service, TG, "telegram:-5")
    await say(service, DC, "discord:9")
    await link(service)
    await service.set_status(TG, "dnd")
    await service.set_custom_status(DC, "交易BTC")
    for account in (TG, DC):
        status = await service.get_status(account)
        assert status.status == "dnd" and status.custom_status == "交易BTC" and status.device_count == 2
    assert [e.channel_id for e in await service.get_activity(DC)] == ["discord:9", "telegram:-5"]
    assert {d.name for d in await service.get_devices(TG)} == {"telegram", "discord"}


async def test_a_linked_person_appears_once_in_who_under_the_account_seen_there(service: PresenceService,
                                                                                clock: FakeClock) -> None:
    await say(service, TG, "telegram:-5")
    await link(service)
    await say(service, DC, "discord:9")
    assert [u.user_id for u in await service.get_online_users("telegram:-5")] == [TG]
    assert [u.user_id for u in await service.get_online_users("discord:9")] == [DC]
    clock.advance(minutes=1)
    await say(service, DC, "telegram:-5")
    assert [u.user_id for u in await service.get_online_users("telegram:-5")] == [DC]
    assert (await service.get_channel_presence("telegram:-5")).more == 0, "one person, not one more"


async def test_linking_merges_both_histories_without_losing_any(service: PresenceService, clock: FakeClock) -> None:
    for i in range(3):
        await say(service, TG, f"telegram:{i}")
        clock.advance(minutes=1)
        await say(service, DC, f"discord:{i}")
        clock.advance(minutes=1)
    await link(service)
    logged = await service.get_activity(TG, limit=50)
    assert len(logged) == 6 and [e.timestamp for e in logged] == sorted((e.timestamp for e in logged), reverse=True)


async def test_a_code_works_once(service: PresenceService) -> None:
    code = await service.create_link_code(TG)
    await service.link_account(DC, code)
    with pytest.raises(InvalidLinkCodeError):
        await service.link_account("console:3", code)


async def test_an_expired_code_is_refused(service: PresenceService, clock: FakeClock) -> None:
    code = await service.create_link_code(TG)
    clock.advance(minutes=10)
    with pytest.raises(InvalidLinkCodeError):
        await service.link_account(DC, code)


async def test_a_code_redeemed_by_its_own_account_is_refused(service: PresenceService) -> None:
    with pytest.raises(LinkSameAccountError):
        await service.link_account(TG, await service.create_link_code(TG))


async def test_linking_already_linked_accounts_says_so(service: PresenceService) -> None:
    await link(service)
    with pytest.raises(AlreadyLinkedError):
        await link(service, DC, TG)


async def test_guessing_codes_is_rate_limited_per_account(service: PresenceService, clock: FakeClock) -> None:
    real = await service.create_link_code(TG)
    for guess in range(ATTEMPTS_PER_WINDOW):
        with pytest.raises(InvalidLinkCodeError):
            await service.link_account(DC, f"WRONG{guess:05d}")
    with pytest.raises(LinkRateLimitedError) as limited:
        await service.link_account(DC, real)
    assert limited.value.retry_at > clock.now
    await service.link_account("console:other", await service.create_link_code(TG))


async def test_unlink_splits_an_account_and_its_devices_off(service: PresenceService) -> None:
    await say(service, TG, "telegram:-5")
    await service.set_device_status(DC, "discord:2/mobile", "online")
    await link(service)
    await service.set_status(TG, "dnd")
    await service.set_custom_status(DC, "at the dentist")
    await service.unlink_account(TG, DC)
    assert await service.linked_accounts(TG) == [TG]
    assert (await service.get_status(TG)).custom_status is None, "what one account wrote leaves with the link"
    assert (await service.get_status(DC)).custom_status is None
    assert [d.id for d in await service.get_devices(DC)] == ["discord:2/mobile"]
    assert (await service.get_status(DC)).status == "online"
    assert (await service.get_status(TG)).status == "dnd"


async def test_forget_erases_the_person_and_every_linked_account(service: PresenceService, store: Store,
                                                                 clock: FakeClock) -> None:
    await say(service, TG, "telegram:-5")
    await say(service, DC, "discord:9")
    await link(service)
    await service.set_custom_status(TG, "secret plans")
    await service.forget(DC)
    for account in (TG, DC):
        status = await service.get_status(account)
        assert status.status == "offline" and status.last_seen is None and status.custom_status is None
        assert await service.get_activity(account) == []
        assert await service.linked_accounts(account) == [account]
    assert await service.get_online_users("telegram:-5") == []
    assert await store.due(clock.now + 10**12, 10) == []
