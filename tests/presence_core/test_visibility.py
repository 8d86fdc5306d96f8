"""The visibility rule (SPEC section 7) through the Python API, on every backend: the table, and the rule's edges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from presence_core import PresenceService, UserStatus
from presence_core.visibility import Viewer, unseen
from tests.support.clock import FakeClock
from tests.support.visibility_table import SITUATIONS, Place, ReadPath, Situation, Where, World, run_table


class CoreWorld:
    """People as the Python API sees them: accounts ``test:<name>``, channels ``test:<place>``."""

    def __init__(self, service: PresenceService) -> None:
        self.service = service

    def account(self, who: str) -> str:
        return f"test:{who}"

    def channel(self, place: Place) -> str:
        return f"test:{place}"

    def names(self, who: str) -> Sequence[str]:
        return [who]

    async def say(self, who: str, place: Place) -> None:
        await self.service.record_activity(self.account(who), {"channel_id": self.channel(place)},
                                           user_name=who, username=who)


def render(status: UserStatus) -> str:
    """Every field a viewer gets, but the id asked about."""
    parts = [f"{status.name}: {status.status.value}", f"custom={status.custom_status}",
             f"devices={status.device_count} active={status.active_device} manual={status.manual}"]
    if status.last_seen is not None:
        parts.append("Last seen")
    return "; ".join(parts)


def _channel(world: World, where: Where) -> str | None:
    return world.channel("room") if where == "room" else None


async def get_status(world: World, target: str, where: Where) -> str:
    return render(await world.service.get_status(world.account(target), viewer_id=world.account("bob"),
                                                 channel_id=_channel(world, where)))


async def get_statuses(world: World, target: str, where: Where) -> str:
    account = world.account(target)
    found = await world.service.get_statuses([account, world.account("bob")], viewer_id=world.account("bob"),
                                             channel_id=_channel(world, where))
    return render(found[account])


async def visible(world: World, target: str, where: Where) -> str:
    """``Visibility.visible``, the question of available, pick, watches and autocomplete."""
    account = world.account(target)
    seen = await world.service.visibility.visible(world.service.viewer(world.account("bob"), _channel(world, where)),
                                                  [account])
    if account not in seen:
        return render(unseen(account))
    return render(await world.service.get_status(account, viewer_id=world.account("bob"),
                                                 channel_id=_channel(world, where)))


async def who(world: World, target: str, where: Where) -> str | None:
    if where == "dm":
        return None
    here = await world.service.get_channel_presence(world.channel("room"), viewer_id=world.account("bob"))
    return "\n".join(f"{u.name} · {u.status.value} · {u.custom_status}" for u in here.users)


PATHS = (ReadPath("get_status", get_status), ReadPath("get_statuses", get_statuses),
         ReadPath("visible", visible), ReadPath("get_channel_presence", who, listing=True))


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
async def test_what_bob_may_see_of_alice(service: PresenceService, situation: Situation) -> None:
    await run_table(CoreWorld(service), situation, PATHS)


class CountingStore:
    """Records which store operations a read makes, with how many ids each was given."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        async def call(*args: Any, **kw: Any) -> Any:
            self.calls.append((name, len(args[0]) if args and isinstance(args[0], list) else 1))
            return await method(*args, **kw)
        return call


@pytest.mark.parametrize("where", ["test:room", None])
async def test_the_store_work_is_the_same_whoever_is_asked_about(service: PresenceService, where: str | None) -> None:
    world = CoreWorld(service)
    for who, place in (("alice", "room"), ("bob", "room"), ("carol", "secret")):
        await world.say(who, place)  # type: ignore[arg-type]
    await service.set_status("test:alice", "offline")
    counting = CountingStore(service.store)
    service.visibility.store = counting  # type: ignore[assignment]
    work = {}
    for target in ("test:alice", "test:carol", "test:zed"):  # visible, never shared, never seen
        counting.calls.clear()
        await service.get_status(target, viewer_id="test:bob", channel_id=where)
        work[target] = list(counting.calls)
    assert len({tuple(calls) for calls in work.values()}) == 1, work


async def test_without_a_viewer_the_caller_sees_everyone_as_others_see_them(service: PresenceService) -> None:
    await CoreWorld(service).say("alice", "secret")
    await service.set_custom_status("test:alice", "planning")
    trusted = await service.get_status("test:alice")
    assert trusted.status == "online" and trusted.custom_status == "planning" and trusted.name == "alice"


async def test_a_channel_alone_asks_as_anyone_in_that_channel(service: PresenceService) -> None:
    world = CoreWorld(service)
    await world.say("alice", "room")
    await world.say("carol", "secret")
    found = await service.get_statuses(["test:alice", "test:carol"], channel_id="test:room")
    assert found["test:alice"].status == "online" and found["test:carol"] == unseen("test:carol")


async def test_asking_in_a_group_about_ones_own_other_account_reveals_neither_link_nor_invisibility(
        service: PresenceService) -> None:
    world = CoreWorld(service)
    for who, place in (("alice", "room"), ("fox", "secret")):
        await world.say(who, place)  # type: ignore[arg-type]
    await service.link_account("test:fox", await service.create_link_code("test:alice"))
    await service.set_status("test:alice", "offline")
    in_room = await service.get_status("test:fox", viewer_id="test:alice", channel_id="test:room")
    assert in_room == unseen("test:fox")
    in_secret = await service.get_status("test:alice", viewer_id="test:fox", channel_id="test:secret")
    assert in_secret == unseen("test:alice")
    in_dm = await service.get_status("test:fox", viewer_id="test:alice")
    assert in_dm.invisible and in_dm.device_count == 2


async def test_hiding_ones_own_last_seen_shows_others_coarsely(service: PresenceService) -> None:
    world = CoreWorld(service)
    for who in ("alice", "bob"):
        await world.say(who, "room")
    await service.set_privacy("test:bob", "nobody")
    seen = await service.get_status("test:alice", viewer_id="test:bob", channel_id="test:room")
    assert seen.last_seen is not None and seen.last_seen_coarse
    assert not (await service.get_status("test:bob", viewer_id="test:alice")).last_seen_coarse


async def test_privacy_is_stored_shared_by_links_and_erased_by_forget(service: PresenceService) -> None:
    assert await service.get_privacy("test:alice") == "shared"
    await service.set_privacy("test:alice", "nobody")
    await service.link_account("test:fox", await service.create_link_code("test:alice"))
    assert await service.get_privacy("test:fox") == "nobody"
    await service.forget("test:fox")
    assert await service.get_privacy("test:alice") == "shared"
    with pytest.raises(Exception, match="privacy must be one of shared, nobody"):
        await service.set_privacy("test:alice", "friends")


async def test_linking_keeps_the_stricter_privacy(service: PresenceService) -> None:
    await service.set_privacy("test:fox", "nobody")
    await service.set_privacy("test:alice", "shared")
    await service.link_account("test:fox", await service.create_link_code("test:alice"))
    assert await service.get_privacy("test:alice") == "nobody"


async def test_the_custom_status_others_see_is_frozen_while_invisible_until_back(service: PresenceService,
                                                                                 clock: FakeClock) -> None:
    world = CoreWorld(service)
    for who in ("alice", "bob"):
        await world.say(who, "room")
    await service.set_custom_status("test:alice", "lunch", expires_at_ms=clock.now + 3_600_000)
    await service.set_status("test:alice", "offline", expires_at_ms=clock.now + 7_200_000)
    await service.set_custom_status("test:alice", "at my desk")

    def bob_sees() -> Any:
        return service.get_status("test:alice", viewer_id="test:bob", channel_id="test:room")
    assert (await bob_sees()).custom_status == "lunch"
    assert (await service.get_status("test:alice", viewer_id="test:alice")).custom_status == "at my desk"
    clock.advance(minutes=61)
    assert (await bob_sees()).custom_status is None  # the frozen one expired as it would have
    clock.advance(minutes=60)
    await service.sweep()
    assert (await bob_sees()).custom_status == "at my desk"  # back: the current one again


async def test_usernames_not_display_names_answer_for_at_names(service: PresenceService) -> None:
    await service.record_activity("telegram:1", {"channel_id": "telegram:-5"}, user_name="alice")
    await service.record_activity("telegram:2", {"channel_id": "telegram:-5"}, user_name="Alice A.",
                                  username="@alice")
    await service.record_activity("telegram:3", {"channel_id": "telegram:-5"}, user_name="alice", username="al")
    found = await service.find_person("@alice", viewer_id="telegram:9", channel_id="telegram:-5", usernames_only=True)
    assert (found.account, found.count) == ("telegram:2", 1)
    bare = await service.find_person("alice", viewer_id="telegram:9", channel_id="telegram:-5")
    assert (bare.account, bare.count) == (None, 3)


async def test_typed_names_match_in_any_case_as_platform_usernames_do(service: PresenceService) -> None:
    """Telegram and Discord usernames are case-insensitive: ``@ANN`` is ann. Who may be found is unchanged."""
    await service.record_activity("telegram:2", {"channel_id": "telegram:-5"}, user_name="Jürgen Straße",
                                  username="Ann")
    await service.record_activity("telegram:9", {"channel_id": "telegram:-5"}, user_name="bob", username="bob")
    await service.record_activity("telegram:7", {"channel_id": "telegram:-6"}, user_name="eve", username="eve")
    for typed in ("@ANN", "@ann", "@aNn"):
        here = await service.find_person(typed, viewer_id="telegram:9", channel_id="telegram:-5", usernames_only=True)
        direct = await service.find_person(typed, viewer_id="telegram:9", usernames_only=True)
        assert (here.account, direct.account) == ("telegram:2", "telegram:2"), typed
    named = await service.find_person("JÜRGEN STRASSE", viewer_id="telegram:9", channel_id="telegram:-5")
    assert named.account == "telegram:2"
    elsewhere = await service.find_person("@ANN", viewer_id="telegram:7", channel_id="telegram:-6", usernames_only=True)
    stranger = await service.find_person("@ANN", viewer_id="telegram:7", usernames_only=True)
    assert (elsewhere.count, stranger.count) == (0, 0)


async def test_a_direct_chat_finds_names_only_among_shared_channels(service: PresenceService) -> None:
    world = CoreWorld(service)
    for who, place in (("alice", "room"), ("bob", "room"), ("carol", "secret")):
        await world.say(who, place)  # type: ignore[arg-type]
    alice = await service.find_person("@alice", viewer_id="test:bob", usernames_only=True)
    carol = await service.find_person("@carol", viewer_id="test:bob", usernames_only=True)
    assert (alice.account, carol.account, carol.count) == ("test:alice", None, 0)


def test_a_viewer_is_someone_or_somewhere() -> None:
    with pytest.raises(Exception, match="a viewer needs an account or a channel"):
        Viewer(None, None)
