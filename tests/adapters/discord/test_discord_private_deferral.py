"""A slow store never turns a private answer public (issue 17, item 4): discord.py against the fake Discord.

Discord wants a first answer within 3 s, so a slow command is deferred; a deferral's visibility is its
followup's. Whether an answer is private is decided from the command and the asker before it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from discord_harness import Chat
from fake_discord import ALICE_ID, EPHEMERAL, subcommand, user_subcommand

import presence_adapters.discord.cog as cog_module
from presence_bot import i18n
from presence_core.service import PresenceService

CALLBACK = r"/interactions/\d+/[^/]+/callback"
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original"
ALICE = f"discord:{ALICE_ID}"


class SlowStore:
    """Holds every store read until released, as a store under load would."""

    def __init__(self, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = asyncio.Event()
        for name in ("hit", "load", "resolve", "activity", "put_code", "take_code", "channel_people"):
            original = getattr(presence.store, name)

            async def slow(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                await self.release.wait()
                return await _original(*args, **kwargs)
            monkeypatch.setattr(presence.store, name, slow)


@pytest.fixture
async def slow(chat: Chat, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlowStore]:
    await chat.say(ALICE_ID, "hello")
    monkeypatch.setattr(cog_module, "DEFER_AFTER_S", 0.01)
    store = SlowStore(presence, monkeypatch)
    yield store
    store.release.set()


async def deferral_then_answers(chat: Chat, slow: SlowStore, options: list[dict[str, Any]],
                                **kw: Any) -> tuple[dict[str, Any], list[Any]]:
    mark = len(chat.fake.calls)
    await chat.fake.send_interaction(ALICE_ID, options, **kw)
    [deferral] = await chat.fake.wait_for_call("POST", CALLBACK)
    slow.release.set()
    await chat.settle()
    return deferral.json, chat.fake.sent(mark)


@pytest.mark.parametrize("options", [
    subcommand("activity"), subcommand("activity", limit=5, since="2h"), subcommand("devices"),
    subcommand("link"), subcommand("link", code="WRONGCODE"), subcommand("unlink", device="zzz"), subcommand("me"),
], ids=["activity", "activity-since", "devices", "link", "link-wrong-code", "unlink-error", "me"])
async def test_personal_commands_and_self_views_are_deferred_privately(chat: Chat, slow: SlowStore,
                                                                      options: list[dict[str, Any]]) -> None:
    deferral, answers = await deferral_then_answers(chat, slow, options)
    assert deferral["type"] == 5 and deferral["data"]["flags"] & EPHEMERAL
    assert answers and all(a.kind == "followup" and a.ephemeral for a in answers)


async def test_me_of_an_invisible_person_never_follows_a_public_deferral(chat: Chat, slow: SlowStore,
                                                                         presence: PresenceService) -> None:
    slow.release.set()
    await presence.set_status(ALICE, "offline")
    slow.release.clear()
    deferral, [answer] = await deferral_then_answers(chat, slow, subcommand("me"))
    assert deferral["data"]["flags"] & EPHEMERAL
    assert answer.ephemeral and "invisible" in answer.content


async def test_looking_yourself_up_is_deferred_privately_too(chat: Chat, slow: SlowStore) -> None:
    options, resolved = user_subcommand(ALICE_ID)
    deferral, _ = await deferral_then_answers(chat, slow, options, resolved=resolved)
    assert deferral["data"]["flags"] & EPHEMERAL


async def test_a_public_command_is_deferred_publicly(chat: Chat, slow: SlowStore) -> None:
    deferral, [answer] = await deferral_then_answers(chat, slow, subcommand("who"))
    assert not deferral.get("data", {}).get("flags", 0) & EPHEMERAL
    assert answer.kind == "followup" and not answer.ephemeral and "alice" in answer.content


async def test_a_private_answer_after_a_public_deferral_is_sent_privately(
        chat: Chat, slow: SlowStore, presence: PresenceService, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox's own guard, should a command's privacy ever be misjudged up front."""
    monkeypatch.setattr(cog_module, "may_be_private", lambda session: False)
    slow.release.set()
    await presence.set_status(ALICE, "offline")
    slow.release.clear()
    deferral, [answer] = await deferral_then_answers(chat, slow, subcommand("me"))
    assert not deferral.get("data", {}).get("flags", 0) & EPHEMERAL
    [edit] = chat.fake.calls_to("PATCH", ORIGINAL)
    assert edit.json["content"] == i18n.reply("en", "private.sent").render("discord_markdown")
    assert answer.ephemeral and "invisible" in answer.content
