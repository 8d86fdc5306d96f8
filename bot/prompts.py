"""Waiting for a person's next message in a channel ("send yes to confirm", "send . to run it")."""

from __future__ import annotations

import asyncio

from presence_bot.session import Session

Key = tuple[str, str]


class Prompts:
    def __init__(self) -> None:
        self._waiting: dict[Key, tuple[asyncio.Future[Session | None], asyncio.Task[object] | None]] = {}
        self._parked: dict[Key, asyncio.Future[None]] = {}

    @staticmethod
    def _key(session: Session) -> Key:
        return session.user_id, session.channel_id

    async def wait(self, session: Session, timeout: float) -> Session | None:
        key = self._key(session)
        previous, _ = self._waiting.pop(key, (None, None))
        if previous is not None and not previous.done():
            previous.set_result(None)
        future: asyncio.Future[Session | None] = asyncio.get_running_loop().create_future()
        self._waiting[key] = (future, asyncio.current_task())
        parked = self._parked.pop(key, None)
        if parked is not None and not parked.done():
            parked.set_result(None)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            if self._waiting.get(key, (None,))[0] is future:
                del self._waiting[key]

    def parked(self, session: Session) -> asyncio.Future[None]:
        """Resolves when the command run for ``session`` starts waiting for an answer."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parked[self._key(session)] = future
        return future

    def unpark(self, session: Session, future: asyncio.Future[None]) -> None:
        if self._parked.get(self._key(session)) is future:
            del self._parked[self._key(session)]

    def offer(self, session: Session) -> asyncio.Task[object] | None:
        """Hand ``session`` to whoever waits for this person here; returns the task that resumes."""
        future, task = self._waiting.pop(self._key(session), (None, None))
        if future is None or future.done():
            return None
        future.set_result(session)
        return task

    def cancel_all(self) -> None:
        """Shutting down: every question is answered with silence."""
        for future, _ in self._waiting.values():
            if not future.done():
                future.set_result(None)
        self._waiting.clear()
