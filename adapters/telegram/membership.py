"""Telegram updates that change who is in a chat -> membership changes (SPEC section 10).

- ``left_chat_member`` service messages and ``chat_member`` updates to ``left``, ``kicked`` or
  restricted-but-not-a-member: those people are no longer in the chat nor any of its topics;
- ``migrate_to_chat_id`` / ``migrate_from_chat_id``: a group became a supergroup with a new id,
  and its people move along (both messages arrive; the second finds nothing left to move);
- ``my_chat_member`` to ``left`` or ``kicked`` (or ``left_chat_member`` naming the bot): the bot
  is out of the chat, which then lists nobody.

``chat_member`` updates come only to a bot that is an administrator of the chat and asks for them
(``allowed_updates``); see docs/telegram.md.
"""

from __future__ import annotations

from telegram import Bot, ChatMember, ChatMemberRestricted, Update

from presence_adapters.telegram.sessions import channel_key, in_chat, user_key
from presence_bot.membership import Dropped, Left, MembershipChange, Moved

_PRESENT = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER})


def is_present(member: ChatMember) -> bool:
    """In the chat: an owner, admin or member, or restricted while still a member."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT


def membership_change(update: Update, bot: Bot) -> MembershipChange | None:
    """The membership change this update makes, or None when it makes none."""
    message = update.message
    if message is not None:
        chat_id = message.chat.id
        if message.left_chat_member is not None:
            if message.left_chat_member.id == bot.id:
                return _bot_gone(chat_id)
            return Left((user_key(message.left_chat_member.id),), in_chat(chat_id))
        if message.migrate_to_chat_id is not None:
            return Moved(channel_key(chat_id), channel_key(message.migrate_to_chat_id))
        if message.migrate_from_chat_id is not None:
            return Moved(channel_key(message.migrate_from_chat_id), channel_key(chat_id))
        return None
    if update.my_chat_member is not None and not is_present(update.my_chat_member.new_chat_member):
        return _bot_gone(update.my_chat_member.chat.id)
    if update.chat_member is not None and not is_present(update.chat_member.new_chat_member):
        member = update.chat_member.new_chat_member.user
        return Left((user_key(member.id),), in_chat(update.chat_member.chat.id))
    return None


def _bot_gone(chat_id: int) -> Dropped:
    return Dropped((channel_key(chat_id),), guild_id=channel_key(chat_id))
