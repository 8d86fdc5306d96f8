"""Telegram message updates -> Session (SPEC section 2), and the composite ids they carry."""

from __future__ import annotations

from types import MappingProxyType

from telegram import Bot, Chat, Message, MessageEntity, Update, User

from presence_bot.session import Outbox, Session

PLATFORM = "telegram"


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


def parse_user_key(user_id: str) -> int:
    platform, _, rest = user_id.partition(":")
    if platform != PLATFORM:
        raise ValueError(f"not a Telegram user id: {user_id!r}")
    return int(rest)


def display_name(user: User) -> str:
    return user.username or user.full_name


def session_from_update(update: Update, bot: Bot, outbox: Outbox) -> Session | None:
    """The Session for a new or edited message from a person; None for anything else.

    Messages sent on behalf of a chat (anonymous admins, channel posts forwarded into a
    discussion group) carry no person, so they are not anyone's activity.
    """
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.sender_chat is not None:
        return None
    user = message.from_user
    chat = message.chat
    content = message.text or message.caption or ""
    moment = message.edit_date if update.edited_message is not None and message.edit_date else message.date
    thread_id = message.message_thread_id if message.is_topic_message else None
    is_direct = chat.type == Chat.PRIVATE
    return Session(
        platform=PLATFORM,
        self_id=str(bot.id),
        self_name=bot.username,
        user_id=user_key(user.id),
        user_name=display_name(user),
        username=user.username,
        channel_id=channel_key(chat.id, thread_id),
        # Topics of one forum share their group, as channels of a Discord server share a guild.
        guild_id=None if is_direct else channel_key(chat.id),
        is_direct=is_direct,
        content=content,
        message_id=str(message.message_id),
        timestamp=int(moment.timestamp() * 1000),
        locale=user.language_code,
        kind="command" if content.startswith("/") else "message",
        outbox=outbox,
        raw=update,
        mentions=MappingProxyType(_mentions(message)),
        reply_to_user_id=_replied_to(message),
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


def _mentions(message: Message) -> dict[str, str]:
    """Mentions Telegram resolved for us: ``text_mention`` entities carry the user.

    A plain ``@username`` mention carries no id, and the Bot API cannot look one up; the
    router resolves those by name among the people it has seen.
    """
    entities = (message.parse_entities([MessageEntity.TEXT_MENTION]) if message.text
                else message.parse_caption_entities([MessageEntity.TEXT_MENTION]))
    found: dict[str, str] = {}
    for entity, typed in entities.items():
        if entity.user is None:
            continue
        found[typed] = user_key(entity.user.id)
        if entity.user.username:
            found[f"@{entity.user.username}"] = user_key(entity.user.id)
    return found


def _replied_to(message: Message) -> str | None:
    """The person this message answers, if it is a real reply.

    In a forum topic every message "replies" to the topic's creation message, which is not
    a reply to its author; replies to a bot (this one, usually) ask about no person either.
    """
    target = message.reply_to_message
    if target is None or target.from_user is None or target.from_user.is_bot:
        return None
    if target.forum_topic_created is not None:
        return None
    return user_key(target.from_user.id)
