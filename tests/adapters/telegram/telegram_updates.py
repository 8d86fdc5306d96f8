"""Bot API update payloads, as Telegram sends them, for the people and chats in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    last_name: str | None = None
    is_bot: bool = False

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("username", "language_code", "last_name"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class Chat:
    id: int
    type: str
    title: str | None = None
    is_forum: bool = False

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.is_forum:
            data["is_forum"] = True
        return data


def private(person: Person) -> Chat:
    return Chat(person.id, "private")


GROUP = Chat(-100_123, "supergroup", "Traders")
FORUM = Chat(-100_777, "supergroup", "Forum", is_forum=True)
BASIC_GROUP = Chat(-4_321, "group", "Old group")
CHANNEL = Chat(-100_555, "channel", "Signals channel")
# The accounts Telegram shows as the sender when no person sent a message.
GROUP_ANONYMOUS_BOT = Person(1087968824, "Group", "GroupAnonymousBot", None, is_bot=True)
CHANNEL_BOT = Person(136817688, "Channel", "Channel_Bot", None, is_bot=True)
TELEGRAM = Person(777000, "Telegram", None, None)
THE_BOT = Person(123, "Presence", "PresenceBot", None, is_bot=True)

# Member statuses as chat_member updates carry them; "restricted" needs its permissions spelled out.
_RESTRICTED = {"until_date": 0, **dict.fromkeys(
    ["can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
     "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
     "can_add_web_page_previews", "can_change_info", "can_invite_users", "can_pin_messages",
     "can_manage_topics", "can_edit_tag", "can_react_to_messages"], False)}
_ADMINISTRATOR = {"can_be_edited": False, "is_anonymous": False, **dict.fromkeys(
    ["can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
     "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
     "can_delete_stories"], True)}


def chat_member(person: Person, status: str, *, is_member: bool | None = None) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": person.json()}
    if status == "kicked":
        member["until_date"] = 0
    if status == "restricted":
        member.update(_RESTRICTED, is_member=bool(is_member))
    if status == "administrator":
        member.update(_ADMINISTRATOR)
    return member


class Messages:
    """Builds message updates with increasing message ids and the test clock's time."""

    def __init__(self, now_ms: Any) -> None:
        self._now_ms = now_ms
        self._next_id = 1

    def message(self, person: Person, chat: Chat, text: str, *, thread_id: int | None = None,
                reply_to: dict[str, Any] | None = None, entities: list[dict[str, Any]] | None = None,
                ) -> dict[str, Any]:
        """A ``message`` update; ``/...`` text gets its bot_command entity, as Telegram does."""
        self._next_id += 1
        message: dict[str, Any] = {"message_id": self._next_id, "date": self._now_ms() // 1000,
                                   "chat": chat.json(), "from": person.json(), "text": text}
        found = list(entities or [])
        if text.startswith("/"):
            found.insert(0, {"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        if found:
            message["entities"] = found
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            # Telegram makes every topic message a reply to the topic's creation message.
            reply_to = reply_to or topic_created(chat, thread_id)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return {"message": message}

    def edited(self, update: dict[str, Any], text: str, *, seconds_later: int) -> dict[str, Any]:
        message = dict(update["message"], text=text, edit_date=update["message"]["date"] + seconds_later)
        return {"edited_message": message}

    def late(self, update: dict[str, Any], ms: int) -> dict[str, Any]:
        """The same update, written ``ms`` before now (delivered now: a backlog)."""
        message = dict(update["message"], date=(self._now_ms() - ms) // 1000)
        return {"message": message}

    def service(self, person: Person, chat: Chat, **fields: Any) -> dict[str, Any]:
        """A service message (join, leave, pin, title change …): ``fields`` are its Bot API fields."""
        self._next_id += 1
        return {"message": {"message_id": self._next_id, "date": self._now_ms() // 1000, "chat": chat.json(),
                            "from": person.json(), **fields}}

    def on_behalf(self, sender: Chat, chat: Chat, text: str, *, automatic_forward: bool = False) -> dict[str, Any]:
        """A message sent as a chat: an anonymous admin (``sender`` is the group), a post made as a
        channel, or a linked channel's post forwarded into its discussion group automatically."""
        shown = GROUP_ANONYMOUS_BOT if sender == chat else TELEGRAM if automatic_forward else CHANNEL_BOT
        update = self.message(shown, chat, text)
        update["message"]["sender_chat"] = sender.json()
        if automatic_forward:
            update["message"]["is_automatic_forward"] = True
        return update

    def member_update(self, chat: Chat, actor: Person, old: dict[str, Any], new: dict[str, Any], *,
                      mine: bool = False) -> dict[str, Any]:
        """A ``chat_member`` update (``my_chat_member`` when it is about the bot itself)."""
        data = {"chat": chat.json(), "from": actor.json(), "date": self._now_ms() // 1000,
                "old_chat_member": old, "new_chat_member": new}
        return {"my_chat_member" if mine else "chat_member": data}

    def reaction(self, person: Person | None, chat: Chat, message_id: int, emoji: str = "👍", *,
                 actor_chat: Chat | None = None) -> dict[str, Any]:
        """A ``message_reaction`` update: ``person`` reacted (or, anonymously, ``actor_chat``)."""
        data: dict[str, Any] = {"chat": chat.json(), "message_id": message_id, "date": self._now_ms() // 1000,
                                "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": emoji}]}
        if person is not None:
            data["user"] = person.json()
        if actor_chat is not None:
            data["actor_chat"] = actor_chat.json()
        return {"message_reaction": data}


def topic_created(chat: Chat, thread_id: int) -> dict[str, Any]:
    creator = Person(999, "Creator", "creator")
    return {"message_id": thread_id, "date": 1_700_000_000, "chat": chat.json(), "from": creator.json(),
            "message_thread_id": thread_id,
            "forum_topic_created": {"name": "Signals", "icon_color": 7322096}}
