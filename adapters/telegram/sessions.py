"""Telegram messages and reactions -> Session (SPEC sections 2 and 10), and the composite ids they carry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType

from telegram import Bot, Chat, Message, MessageEntity, MessageReactionUpdated, Update, User
from telegram.ext import filters

from presence_adapters.telegram.topics import Topics
from presence_bot.platform_clock import PlatformClock
from presence_bot.session import Outbox, Session

PLATFORM = "telegram"
# Accounts Telegram shows as the sender of messages no person sent: anonymous group admins, posts
# made as a channel, and automatic forwards from a linked channel (and Telegram's own notices).
GROUP_ANONYMOUS_BOT = 1087968824
CHANNEL_BOT = 136817688
TELEGRAM_SERVICE = 777000
PLACEHOLDER_SENDERS = frozenset({GROUP_ANONYMOUS_BOT, CHANNEL_BOT, TELEGRAM_SERVICE})


def user_key(user_id: int) -> str:
    return f"{PLATFORM}:{user_id}"


def channel_key(chat_id: int, thread_id: int | None = None) -> str:
    """A chat, or one topic of a forum supergroup (topics are separate rooms for `who`)."""
    return f"{PLATFORM}:{chat_id}" if thread_id is None else f"{PLATFORM}:{chat_id}/{thread_id}"


def parse_channel_key(channel_id: str) -> tuple[int, int | None]:
    """``telegram:<chat id>[/<thread id>]`` -> (chat id, thread id or None)."""
    platform, _, rest = channel_id.partition(":")
    if platform != PLATFORM:
        raise ValueError(f"not a Telegram channel id: {channel_id!r}")
    chat, _, thread = rest.partition("/")
    return int(chat), int(thread) if thread else None


def in_chat(chat_id: int) -> Callable[[str], bool]:
    """Whether a channel id is the chat or one of its forum topics."""
    chat = channel_key(chat_id)
    return lambda channel_id: channel_id == chat or channel_id.startswith(f"{chat}/")


def parse_user_key(user_id: str) -> int:
    platform, _, rest = user_id.partition(":")
    if platform != PLATFORM:
        raise ValueError(f"not a Telegram user id: {user_id!r}")
    return int(rest)


def display_name(user: User) -> str:
    return user.username or user.full_name


def is_person(user: User) -> bool:
    """People, not bots nor the placeholder accounts Telegram shows for chats acting as senders."""
    return not user.is_bot and user.id not in PLACEHOLDER_SENDERS


def _epoch_ms(moment: datetime, clock: PlatformClock | None) -> int:
    stamped = int(moment.timestamp() * 1000)
    return stamped if clock is None else clock.local(stamped)


def session_from_update(update: Update, bot: Bot, outbox: Outbox, clock: PlatformClock | None = None,
                        topics: Topics | None = None) -> Session | None:
    """The Session for a person's new or edited message or reaction; None for anything else.

    Service messages (joins, leaves, pins, title changes, migrations …) are nobody's message, nor
    are posts of a channel or automatic forwards from one. Messages sent on behalf of the group
    (anonymous admins) or as a channel are sessions of that chat, marked ``anonymous``: answered,
    never recorded. ``clock`` places Telegram's dates on the service's clock (none: taken as they
    are); ``topics`` remembers forum topics so a reaction counts in the right one.
    """
    if update.message_reaction is not None:
        return _reaction_session(update.message_reaction, bot, outbox, clock, topics)
    message = update.message or update.edited_message
    if message is None or message.is_automatic_forward or filters.StatusUpdate.ALL.check_update(update):
        return None
    if message.sender_chat is not None:
        sender_id, sender_name, username, locale = message.sender_chat.id, message.sender_chat.effective_name, None, None
    elif message.from_user is not None and is_person(message.from_user):
        user = message.from_user
        sender_id, sender_name, username, locale = user.id, display_name(user), user.username, user.language_code
    else:
        return None
    chat = message.chat
    content = message.text or message.caption or ""
    moment = message.edit_date if update.edited_message is not None and message.edit_date else message.date
    thread_id = message.message_thread_id if message.is_topic_message else None
    if topics is not None and thread_id is not None:
        topics.seen(chat.id, message.message_id, thread_id)
    is_direct = chat.type == Chat.PRIVATE
    mentions, names = _mentions(message)
    replied_to = _replied_to(message)
    if replied_to is not None:
        names[user_key(replied_to.id)] = display_name(replied_to)
    return Session(
        platform=PLATFORM,
        self_id=str(bot.id),
        self_name=bot.username,
        user_id=user_key(sender_id),
        user_name=sender_name,
        username=username,
        channel_id=channel_key(chat.id, thread_id),
        # Topics of one forum share their group, as channels of a Discord server share a guild.
        guild_id=None if is_direct else channel_key(chat.id),
        is_direct=is_direct,
        content=content,
        message_id=str(message.message_id),
        timestamp=_epoch_ms(moment, clock),
        locale=locale,
        kind="command" if content.startswith("/") else "message",
        outbox=outbox,
        raw=update,
        mentions=MappingProxyType(mentions),
        reply_to_user_id=user_key(replied_to.id) if replied_to is not None else None,
        names=MappingProxyType(names),
        anonymous=message.sender_chat is not None,
        channel_name=None if is_direct else _channel_name(message, thread_id),
    )


def _channel_name(message: Message, thread_id: int | None) -> str | None:
    """The group's title; in a forum topic "Title › Topic" when the message names its topic.

    A message in a topic carries the topic's name only when it is not a reply to another message
    (then it "replies" to the topic's creation); without it the name is left unknown rather than
    written as the bare title, so the stored name never flips between the two.
    """
    title = message.chat.title
    if thread_id is None or title is None:
        return title
    created = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    return f"{title} › {created.name}" if created is not None else None


def _reaction_session(reaction: MessageReactionUpdated, bot: Bot, outbox: Outbox, clock: PlatformClock | None,
                      topics: Topics | None) -> Session | None:
    """A person's reaction (added, changed or taken back) is their activity in the chat of the message.

    Reactions of a chat (anonymous admins, a channel) carry no person. Telegram does not say which
    forum topic the message is in: a topic this bot saw the message in, else the chat itself.
    """
    user = reaction.user
    if user is None or not is_person(user):
        return None
    chat = reaction.chat
    thread_id = topics.thread_of(chat.id, reaction.message_id) if topics is not None else None
    is_direct = chat.type == Chat.PRIVATE
    return Session(
        platform=PLATFORM, self_id=str(bot.id), self_name=bot.username,
        user_id=user_key(user.id), user_name=display_name(user),
        channel_id=channel_key(chat.id, thread_id), guild_id=None if is_direct else channel_key(chat.id),
        is_direct=is_direct, content="", message_id=str(reaction.message_id),
        timestamp=_epoch_ms(reaction.date, clock), locale=user.language_code, kind="reaction",
        outbox=outbox, raw=reaction,
    )


def _mentions(message: Message) -> tuple[dict[str, str], dict[str, str]]:
    """Mentions Telegram resolved for us: ``text_mention`` entities carry the user, and their name.

    A plain ``@username`` mention carries no id, and the Bot API cannot look one up; the
    router resolves those by name among the people it has seen. Returns (what was typed ->
    user id, user id -> name).
    """
    entities = (message.parse_entities([MessageEntity.TEXT_MENTION]) if message.text
                else message.parse_caption_entities([MessageEntity.TEXT_MENTION]))
    found: dict[str, str] = {}
    names: dict[str, str] = {}
    for entity, typed in entities.items():
        if entity.user is None:
            continue
        found[typed] = user_key(entity.user.id)
        names[user_key(entity.user.id)] = display_name(entity.user)
        if entity.user.username:
            found[f"@{entity.user.username}"] = user_key(entity.user.id)
    return found, names


def _replied_to(message: Message) -> User | None:
    """The person this message answers, if it is a real reply to a person.

    In a forum topic every message "replies" to the topic's creation message, which is not
    a reply to its author; replies to a bot (this one, usually), to a channel post or to an
    anonymous admin ask about no person either.
    """
    target = message.reply_to_message
    if target is None or target.sender_chat is not None or target.from_user is None or not is_person(target.from_user):
        return None
    if target.forum_topic_created is not None:
        return None
    return target.from_user
