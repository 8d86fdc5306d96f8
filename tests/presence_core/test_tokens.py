"""API tokens (SPEC section 11) through the service, on every store backend."""

from __future__ import annotations

import pytest

from presence_core import InvalidArgumentError, PresenceService
from presence_core.errors import TokenExistsError, TooManyTokensError, UnknownTokenError
from presence_core.tokens import MAX_PER_PERSON, hash_token, looks_like_token
from tests.support.clock import FakeClock

ALICE, ALICE_DC, BOB = "telegram:1", "discord:1", "telegram:2"


async def test_a_token_is_shown_once_stored_hashed_and_acts_as_a_device(service: PresenceService,
                                                                       clock: FakeClock) -> None:
    token = await service.create_token(ALICE, "Laptop")
    assert looks_like_token(token)
    assert await service.store.find_token(token) is None, "the token itself is never a key"
    device = await service.authenticate(token)
    assert device is not None
    assert (device.owner, device.name, device.device_id) == (ALICE, "laptop", "telegram:1/api/laptop")
    assert device.token_hash == hash_token(token)
    [info] = await service.list_tokens(ALICE)
    assert (info.name, info.created_at, info.last_used) == ("laptop", clock.now, clock.now)


async def test_anything_but_a_live_token_authenticates_nobody(service: PresenceService) -> None:
    token = await service.create_token(ALICE, "laptop")
    for wrong in ("", "prs_", token[:-1], token + "x", token.upper(), "Bearer " + token, "prs_" + "A" * 43):
        assert await service.authenticate(wrong) is None
    await service.revoke_token(ALICE, "LAPTOP")
    assert await service.authenticate(token) is None
    assert await service.list_tokens(ALICE) == []


async def test_last_use_is_written_at_most_once_a_minute(service: PresenceService, clock: FakeClock) -> None:
    token = await service.create_token(ALICE, "laptop")
    assert [t.last_used for t in await service.list_tokens(ALICE)] == [None]
    first_use = clock.advance(30_000)
    await service.authenticate(token)
    clock.advance(59_999)
    await service.authenticate(token)
    assert [t.last_used for t in await service.list_tokens(ALICE)] == [first_use]
    clock.advance(1)
    await service.authenticate(token)
    assert [t.last_used for t in await service.list_tokens(ALICE)] == [clock.now]


async def test_names_are_checked_and_unique_per_person_across_linked_accounts(service: PresenceService,
                                                                             clock: FakeClock) -> None:
    for bad in ("", "two words", "a/b", "x" * 33, "tab\there", "ünïcode?"):
        with pytest.raises(InvalidArgumentError):
            await service.create_token(ALICE, bad)
    await service.create_token(ALICE, "笔记本")
    clock.advance(1)
    await service.create_token(BOB, "laptop")
    await service.record_activity(ALICE_DC)
    await service.link_account(ALICE_DC, await service.create_link_code(ALICE))
    await service.create_token(ALICE, "laptop")
    with pytest.raises(TokenExistsError):
        await service.create_token(ALICE_DC, "LAPTOP")
    clock.advance(1)
    await service.create_token(ALICE_DC, "phone")
    assert [t.name for t in await service.list_tokens(ALICE)] == ["笔记本", "laptop", "phone"]
    assert [t.name for t in await service.list_tokens(ALICE_DC)] == ["笔记本", "laptop", "phone"]
    await service.revoke_token(ALICE, "phone")
    assert [t.name for t in await service.list_tokens(ALICE_DC)] == ["笔记本", "laptop"]


async def test_a_person_has_at_most_twenty_tokens(service: PresenceService) -> None:
    for i in range(MAX_PER_PERSON):
        await service.create_token(ALICE, f"t{i}")
    with pytest.raises(TooManyTokensError):
        await service.create_token(ALICE, "one-more")
    await service.revoke_token(ALICE, "t0")
    await service.create_token(ALICE, "one-more")


async def test_revoking_an_unknown_or_someone_elses_token_is_an_error(service: PresenceService) -> None:
    await service.create_token(BOB, "laptop")
    with pytest.raises(UnknownTokenError):
        await service.revoke_token(ALICE, "laptop")
    assert [t.name for t in await service.list_tokens(BOB)] == ["laptop"]


async def test_forget_revokes_every_token(service: PresenceService) -> None:
    token = await service.create_token(ALICE, "laptop")
    await service.forget(ALICE)
    assert await service.authenticate(token) is None
