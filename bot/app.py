"""PresenceBot: what every adapter hands its sessions to. Records first, then answers."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from presence_bot import i18n, membership
from presence_bot.catalog import CHANNEL_LEVEL, COMMAND
from presence_bot.commands.context import Context
from presence_bot.logs import request_scope
from presence_bot.membership import MembershipChange
from presence_bot.metrics import Metrics, command_label
from presence_bot.options import BotOptions
from presence_bot.places import Places
from presence_bot.prompts import Prompts
from presence_bot.replays import Replays
from presence_bot.router import command_text, command_topic, route
from presence_bot.session import Session
from presence_bot.watch_delivery import WatchDelivery
from presence_core import PresenceService, StoreUnavailableError

log = logging.getLogger(__name__)

RATE_WINDOW_MS = 60_000


class PresenceBot:
    def __init__(self, service: PresenceService, options: BotOptions | None = None,
                 metrics: Metrics | None = None) -> None:
        self.service = service
        self.options = options or BotOptions()
        self.metrics = metrics or Metrics()
        self.prompts = Prompts()
        self.places = Places()
        self.replays = Replays()
        # Adapters register how to send a private message on their platform (SPEC section 12).
        self.watches = WatchDelivery(service, self.options.default_locale)
        self._running: set[asyncio.Task[None]] = set()

    def locale_for(self, session: Session) -> str:
        return i18n.pick_locale(session.locale, self.options.default_locale)

    async def handle(self, session: Session) -> None:
        """Record the event as activity, give it to a waiting question, and answer a /presence command.

        Returns once the answer is sent, or once the command waits for the person's next message
        (that wait must not hold up the adapter, which delivers that very message). Everything logged
        meanwhile, also by the command's own task, carries this message's request id. A message seen
        before with the same content (an edit that changed nothing, a redelivery) is ignored; a
        reaction is activity only; a session sent on behalf of a chat is never recorded.
        """
        if self.replays.repeated(session):
            return
        self.places.seen(session.channel_id, session.guild_id)
        with request_scope(session):
            await self._handle(session)

    async def apply(self, change: MembershipChange) -> None:
        """Carry out a membership change an adapter saw; a failure is logged, never raised."""
        try:
            await membership.apply(self.service, self.places, change)
        except Exception:
            self.metrics.errors.labels(kind="membership").inc()
            log.exception("could not apply %s", type(change).__name__)

    async def _handle(self, session: Session) -> None:
        if not session.anonymous:
            await self._record(session)
        if session.kind == "reaction":
            return
        # The resumed or new command runs no sooner than our next await: watching for it to park
        # right after starting it is in time, and a plain message creates nothing to watch.
        resumed = self.prompts.offer(session)
        if resumed is not None:
            await self._until_answered(session, resumed, self.prompts.parked(session))
        text = command_text(session.content, session.self_name)
        if text is None:
            return
        session = replace(session, prompter=self.prompts)
        task = asyncio.create_task(self._answer(session, text))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        await self._until_answered(session, task, self.prompts.parked(session))

    async def _until_answered(self, session: Session, task: asyncio.Future[object],
                              parked: asyncio.Future[None]) -> None:
        """Until the command is done or waits for this person's next message."""
        await asyncio.wait({task, parked}, return_when=asyncio.FIRST_COMPLETED)
        self.prompts.unpark(session, parked)

    async def _record(self, session: Session) -> None:
        try:
            await self.service.record_activity(
                session.user_id,
                {"type": session.kind, "channel_id": session.channel_id, "timestamp": session.timestamp},
                device_id=session.device_id, user_name=session.user_name, username=session.username,
            )
            self.metrics.recorded(session.platform).inc()
        except Exception:
            self.metrics.errors.labels(kind="record").inc()
            log.exception("could not record activity of %s in %s", session.user_id, session.channel_id)
        if session.channel_name:
            try:
                await self.service.name_channel(session.channel_id, session.channel_name)
            except Exception:
                log.warning("could not store the name of channel %s", session.channel_id, exc_info=True)

    async def _over_limit(self, ctx: Context) -> bool:
        """Whether to leave this command unanswered because its sender or its chat asks too often.

        A person may run ``user_commands_per_minute`` commands (all chats together); a chat gets
        ``chat_commands_per_minute`` answers. The chat's budget never silences someone who is not
        flooding: a person's first ``fair_share_per_minute`` commands in a chat are answered even
        when it is spent, so accounts flooding a chat use up only their own answers. Someone refused
        is told once per minute per chat, then ignored until the minute ends. The console (one
        local person) is never limited. Windows are fixed minutes shared by every process.
        """
        session, options = ctx.session, self.options
        if session.local:
            return False
        member = f"{session.channel_id}\n{session.user_id}"
        try:
            if await self._hit("cmd:user", session.user_id) <= options.user_commands_per_minute:
                fair = await self._hit("cmd:member", member) <= options.fair_share_per_minute
                if await self._hit("cmd:chat", session.channel_id) <= options.chat_commands_per_minute or fair:
                    return False
            if await self._hit("cmd:told", member) == 1:
                window_end = (ctx.now() // RATE_WINDOW_MS + 1) * RATE_WINDOW_MS
                await session.send(ctx.reply(ctx.line("error.rate_limited", wait=ctx.until(window_end))))
        except StoreUnavailableError:
            return False  # the command itself will say that presence is unavailable
        return True

    async def _hit(self, kind: str, subject: str) -> int:
        return await self.service.count_hit(kind, subject, RATE_WINDOW_MS)

    async def _answer(self, session: Session, text: str) -> None:
        ctx = Context(session, self.service, self.options, self.locale_for(session))
        name, started = command_label(text, session.mentions), time.perf_counter()
        try:
            if await self._over_limit(ctx):
                self.metrics.rate_limited.inc()
                return
            self.metrics.commands.labels(command=name).inc()
            if session.anonymous and _about_the_asker(session, text):
                reply = ctx.reply(ctx.line("anonymous.personal"))
            else:
                reply = await route(ctx, text)
        except Exception:
            self.metrics.errors.labels(kind="command").inc()
            log.exception("/%s failed for %s", COMMAND, session.user_id)
            reply = ctx.reply(ctx.line("error.internal"))
        if reply is not None:
            try:
                await session.send(reply)
            except Exception:
                self.metrics.errors.labels(kind="delivery").inc()
                log.exception("could not deliver a reply to %s in %s", session.user_id, session.channel_id)
        ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("/%s %s answered in %s ms", COMMAND, name, ms, extra={"command": name, "ms": ms})

    async def close(self) -> None:
        """Answer what is pending: open questions end as unanswered, running commands finish."""
        self.prompts.cancel_all()
        if self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)


def _about_the_asker(session: Session, text: str) -> bool:
    """Whether the command reads or sets the asker's own presence, which a chat acting anonymously lacks.

    ``who``, ``help`` and another person's status (a mention, or a bare command as a reply) are about
    the channel; an unknown word is left to the router, which answers it for anyone.
    """
    topic = command_topic(text, session.mentions)
    if topic == "presence":
        return session.reply_to_user_id is None
    return topic is not None and topic != "user" and topic not in CHANNEL_LEVEL
