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

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
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


def topic_created(chat: Chat, thread_id: int) -> dict[str, Any]:
    creator = Person(999, "Creator", "creator")
    return {"message_id": thread_id, "date": 1_700_000_000, "chat": chat.json(), "from": creator.json(),
            "message_thread_id": thread_id,
            "forum_topic_created": {"name": "Signals", "icon_color": 7322096}}
