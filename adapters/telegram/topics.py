"""Which forum topic a message is in, for updates that do not say (reactions name only the message)."""

from __future__ import annotations

from collections import OrderedDict

REMEMBER = 50_000


class Topics:
    """Forum topic of each recent message the bot saw; bounded, most recent kept."""

    def __init__(self, remember: int = REMEMBER) -> None:
        self._remember = remember
        self._threads: OrderedDict[tuple[int, int], int] = OrderedDict()

    def seen(self, chat_id: int, message_id: int, thread_id: int) -> None:
        self._threads[(chat_id, message_id)] = thread_id
        if len(self._threads) > self._remember:
            self._threads.popitem(last=False)

    def thread_of(self, chat_id: int, message_id: int) -> int | None:
        return self._threads.get((chat_id, message_id))
