"""Delivering watches (SPEC section 12): a private message on the platform where the watch was made.

Every process hears every ``available`` event (and every status change to online, which is what
"available" means for people who do not use availability); each one claims, in the store, the
watches it can deliver (those made on platforms whose adapter registered a sender here), so each
watch is sent once across all processes. Sent silently while the watcher is dnd.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from presence_bot import i18n
from presence_bot.reply import Reply
from presence_bot.text import sanitize
from presence_core import PresenceService, Status

log = logging.getLogger(__name__)

# (account of the watcher, the message, silently) -> whether it was delivered.
Sender = Callable[[str, Reply, bool], Awaitable[bool]]


class WatchDelivery:
    def __init__(self, service: PresenceService, default_locale: str) -> None:
        self.service = service
        self.default_locale = default_locale
        self._senders: dict[str, Sender] = {}
        service.on("available", self._on_available)
        service.on("status_change", self._on_status_change)

    def register(self, platform: str, sender: Sender) -> None:
        """Deliver the watches made on ``platform`` (``telegram``) through ``sender`` from now on."""
        self._senders[platform] = sender

    async def _on_available(self, user_id: str) -> None:
        await self.deliver(user_id)

    async def _on_status_change(self, user_id: str, old: Status, new: Status) -> None:
        if new is Status.ONLINE:
            await self.deliver(user_id)

    async def deliver(self, person_id: str) -> int:
        """Send the watches that are due on this person and this process can deliver; returns how many went."""
        if not self._senders:
            return 0
        sent = 0
        for watch in await self.service.claim_watches(person_id, list(self._senders)):
            watcher = await self.service.get_status(watch.watcher_id, viewer_id=watch.watcher_id)
            target = await self.service.get_status(watch.target_id, viewer_id=watch.watcher_id)
            uses = (await self.service.get_availability(watch.target_id)).uses_availability
            locale = i18n.pick_locale(watch.locale, self.default_locale)
            reply = i18n.reply(locale, "watch.fired_available" if uses else "watch.fired_online",
                               name=sanitize(target.name or "") or i18n.text(locale, "person.unnamed"))
            platform = watch.watcher_id.partition(":")[0]
            try:
                if await self._senders[platform](watch.watcher_id, reply, watcher.status is Status.DND):
                    sent += 1
            except Exception:
                log.exception("could not deliver a watch to %s", watch.watcher_id)
        return sent
