"""Hostile input through the bot (SPEC sections 3 and 7): property-based, bounded for CI.

Arbitrary Unicode, huge messages, nested and unbalanced quotes, control and bidi characters and
ids built from ``:`` ``{`` ``}`` ``*`` and newlines never make ``PresenceBot.handle`` raise or hang,
every reply renders within each platform's limit, and one person's data never reaches another.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presence_bot.app import PresenceBot
from presence_bot.options import BotOptions
from presence_bot.reply import Reply
from presence_bot.router import command_text
from presence_bot.session import Session
from presence_core import InvalidArgumentError, PresenceService
from presence_core.stores.memory import MemoryStore
from presence_core.text import one_line, visible_length
from tests.support.chat import Chat, Sent
from tests.support.clock import FakeClock
from tests.support.hostile import (
    FUZZ,
    check_renders,
    hostile_id,
    hostile_text,
    huge_text,
    invisible_characters,
    storable,
    storable_id,
)

# A message's own answer, plus the answer of a command waiting for it (did you mean … / forget).
MAX_REPLIES_PER_MESSAGE = 3
ANSWER_TIMEOUT_S = 5.0

content = st.one_of(
    hostile_text,
    hostile_text.map(lambda t: f"/presence {t}"),
    st.tuples(st.sampled_from(["/presence status ", "/presence ", "/presence status x for ", "/presence activity "]),
              huge_text).map("".join),
    hostile_text.map(lambda t: f"/presence@presence_bot{t}"),
)

VICTIM = "victim"
VICTIM_ROOM = "vault-7f3a"
VICTIM_STATUS = "VICTIM-SECRET status"


@dataclass(frozen=True)
class Message:
    user: str
    channel: str
    content: str
    locale: str | None
    mention: str | None
    reply_to: str | None


messages = st.lists(st.builds(
    Message,
    user=st.one_of(st.sampled_from(["alice", "bob", VICTIM + "\n", "Victim", VICTIM + ":", VICTIM + "}", "*"]),
                   hostile_id),
    channel=st.one_of(st.sampled_from(["room", "room:1", "room{1}", "*"]), hostile_id),
    content=content,
    locale=st.sampled_from([None, "en", "zh-hans", "zh_CN", "xx", "\u202e", ""]),
    mention=st.one_of(st.none(), hostile_id),
    reply_to=st.one_of(st.none(), hostile_id.map(lambda u: f"test:{u}")),
).filter(lambda m: m.user != VICTIM and m.channel != VICTIM_ROOM), min_size=1, max_size=6)


def check_sanitized(sent: Sequence[Sent]) -> None:
    """User text reaches no reply with control, zero-width or bidi characters (outside emoji sequences)."""
    for each in sent:
        assert invisible_characters(each.text.replace("\n", "")) == [], repr(each.text)


async def new_chat(clock: FakeClock) -> Chat:
    service = PresenceService(MemoryStore(), clock=clock)
    await service.start()
    options = BotOptions(prompt_timeout_s=0.05, user_commands_per_minute=10_000, chat_commands_per_minute=10_000)
    return Chat(PresenceBot(service, options))


async def close_chat(chat: Chat) -> None:
    await chat.bot.close()
    await chat.bot.service.close()


@FUZZ
@given(script=messages)
async def test_hostile_messages_never_break_the_bot_or_reach_another_person(script: list[Message]) -> None:
    clock = FakeClock()
    chat = await new_chat(clock)
    try:
        await chat.say(VICTIM, f'/presence status "{VICTIM_STATUS}"', channel=VICTIM_ROOM)
        await chat.say(VICTIM, "/presence dnd", channel=VICTIM_ROOM)
        for message in script:
            mentions = {f"@{message.mention}": f"test:{message.mention}"} if message.mention else None
            sent = await asyncio.wait_for(
                chat.say(message.user, message.content, channel=message.channel, locale=message.locale,
                         mentions=mentions, reply_to=message.reply_to, self_name="presence_bot"),
                ANSWER_TIMEOUT_S)
            assert len(sent) <= MAX_REPLIES_PER_MESSAGE
            if command_text(message.content, "presence_bot") is not None:
                assert sent, f"no answer to {message.content!r}"
            for each in sent:
                check_renders(each.reply)
                assert VICTIM_ROOM not in each.reply.render("plain")
            check_sanitized(sent)
            clock.advance(1_000)
        victim = await chat.bot.service.get_status(f"test:{VICTIM}", viewer_id=f"test:{VICTIM}")
        assert (victim.status, victim.custom_status, victim.device_count) == ("dnd", VICTIM_STATUS, 1)
        assert {e.channel_id for e in await chat.bot.service.get_activity(f"test:{VICTIM}", limit=50)} == {
            f"test:{VICTIM_ROOM}"}
    finally:
        await close_chat(chat)


@FUZZ
@given(user=st.one_of(storable_id, st.text(max_size=300).map(lambda s: f"a/{s}")),
       name=st.text(max_size=400), text=st.text(max_size=400))
async def test_names_and_custom_statuses_stay_within_their_limits(user: str, name: str, text: str) -> None:
    chat = await new_chat(FakeClock())
    try:
        await chat.bot.handle(chat_session(chat, user, name, f"/presence status {text}"))
        status = await chat.bot.service.get_status(f"test:{user}")
        policy = chat.bot.service.policy
        assert status.name is None or 0 < len(status.name) <= policy.name_max_len
        assert status.custom_status is None or 0 < len(status.custom_status) <= policy.custom_status_max_len
        for device in await chat.bot.service.get_devices(f"test:{user}"):
            assert len(device.name) <= policy.name_max_len
    finally:
        await close_chat(chat)


def chat_session(chat: Chat, user: str, name: str, content: str) -> Session:
    return Session(platform="test", self_id="bot", user_id=f"test:{user}", user_name=name, channel_id="test:room",
                   guild_id="guild", is_direct=False, content=content, message_id=None,
                   timestamp=chat.bot.service.clock(), locale=None, kind="command", outbox=chat.outbox)


spans = st.lists(st.tuples(st.sampled_from(["", "b", "i", "code"]), st.one_of(hostile_text, huge_text)), max_size=4)


@FUZZ
@given(lines=st.lists(spans.map(tuple), min_size=1, max_size=4))
def test_any_reply_renders_within_every_limit_without_breaking_markup(lines: list[tuple[tuple[str, str], ...]]) -> None:
    check_renders(Reply(tuple(lines)))  # type: ignore[arg-type]


TWISTS = [str.upper, str.lower, lambda s: s + " ", lambda s: " " + s, lambda s: s + "\n", lambda s: s[:-1],
          lambda s: s + "*", lambda s: s.replace(":", "{"), lambda s: unicodedata.normalize("NFD", s),
          lambda s: unicodedata.normalize("NFC", s), lambda s: s + "}:x", lambda s: "{" + s + "}"]


def near(ids: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str]]:
    """Two different ids, often one a near miss of the other: case, spacing, normalization, escapes."""
    twisted = st.tuples(ids, st.sampled_from(TWISTS)).map(lambda pair: (pair[0], pair[1](pair[0])))
    return st.one_of(twisted, st.tuples(ids, ids)).filter(lambda pair: pair[0] != pair[1] and bool(pair[1].strip()))


async def snapshot(service: PresenceService, user_id: str, channel_id: str, attacker: str) -> tuple[object, ...]:
    """Everything anyone could learn about ``user_id``, and who is in ``channel_id``.

    The attacker may have been seen in that channel in an earlier example: whether they are listed
    there is part of the snapshot, their changing status (and so their place in the list) is not.
    """
    here = (await service.get_channel_presence(channel_id)).users
    return (await service.person_id(user_id), await service.get_status(user_id, viewer_id=user_id),
            await service.get_activity(user_id, limit=50), await service.get_devices(user_id),
            await service.get_sync_status(user_id),
            {u.user_id if u.user_id == attacker else u for u in here})


@settings(FUZZ, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(users=near(storable_id), channels=near(storable_id), text=hostile_text.filter(
    lambda t: storable(t) and 0 < visible_length(one_line(t)) <= 128))
async def test_no_id_reaches_another_ids_data_on_any_store(service: PresenceService, clock: FakeClock,
                                                           users: tuple[str, str], channels: tuple[str, str],
                                                           text: str) -> None:
    (attacker, victim), (attacker_room, victim_room) = users, channels
    before = await snapshot(service, victim, victim_room, attacker)
    await service.record_activity(attacker, {"channel_id": attacker_room}, user_name=attacker)
    await service.set_custom_status(attacker, text)
    await service.set_status(attacker, "dnd")
    await service.heartbeat(attacker, f"{attacker}/mobile")
    await service.flush()
    assert await snapshot(service, victim, victim_room, attacker) == before
    assert (await service.get_status(attacker)).status == "dnd"
    clock.advance(1)


@pytest.mark.parametrize("call", ["record", "heartbeat", "status", "devices"])
async def test_text_that_cannot_be_stored_is_refused_alike_on_every_store(service: PresenceService, call: str) -> None:
    """A lone surrogate (undecodable console input) is an InvalidArgumentError everywhere, not a backend crash."""
    bad = "console:\udcff"
    attempts = {
        "record": lambda: service.record_activity(bad, {"channel_id": "console:lobby"}),
        "heartbeat": lambda: service.heartbeat("console:ok", bad),
        "status": lambda: service.set_status(bad, "dnd"),
        "devices": lambda: service.get_devices(bad),
    }
    with pytest.raises(InvalidArgumentError, match="valid Unicode"):
        await attempts[call]()
