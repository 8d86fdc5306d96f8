"""Recognizing an event the bot has already handled: a redelivery, or an edit that changed nothing.

Telegram sends ``edited_message`` when only a link preview or a reaction changed, Discord sends a
message update when an embed unfurls, and a webhook delivery may be retried: the person did
nothing new, so it is neither activity nor a command to answer again (SPEC section 10). A
message is remembered by (channel, message id) with a digest of its content; bounded, most
recently seen kept.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from presence_bot.session import Session

REMEMBER = 50_000


class Replays:
    def __init__(self, remember: int = REMEMBER) -> None:
        self._remember = remember
        self._seen: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def repeated(self, session: Session) -> bool:
        """True when this message was seen before with the same content; remembers it otherwise.

        Reactions are never repeats: many people react to one message, each an action of their own.
        """
        if session.message_id is None or session.kind == "reaction":
            return False
        key = (session.channel_id, session.message_id)
        digest = hashlib.blake2b(session.content.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        if self._seen.get(key) == digest:
            self._seen.move_to_end(key)
            return True
        self._seen[key] = digest
        self._seen.move_to_end(key)
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return False
