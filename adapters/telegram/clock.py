"""Sampling Telegram's clock from the ``Date`` of every Bot API response (SPEC section 4).

Message dates may be late (updates wait in Telegram's queue while the bot is down), so on their
own they cannot tell a backlog from a skewed host clock. A response is never late: its ``Date``
is Telegram's time as it answers, and with it the first updates after a start, a backlog, keep
their real age. Resolution is one second, like message dates.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from telegram.request import HTTPXRequest

from presence_bot.platform_clock import PlatformClock

# python-telegram-bot's own defaults: getUpdates needs one connection, everything else many.
CONNECTIONS = 256


def clock_hooks(clock: PlatformClock) -> dict[str, Any]:
    """``httpx_kwargs`` for an ``HTTPXRequest`` that samples ``clock`` from each response."""
    async def on_response(response: httpx.Response) -> None:
        stamped = response.headers.get("date")
        if not stamped:
            return
        try:
            moment = parsedate_to_datetime(stamped)
        except (TypeError, ValueError):
            return
        clock.sample(int(moment.timestamp() * 1000))

    return {"event_hooks": {"response": [on_response]}}


def clock_requests(clock: PlatformClock) -> tuple[HTTPXRequest, HTTPXRequest]:
    """Request objects for ``ApplicationBuilder().request(…)`` and ``.get_updates_request(…)``."""
    return (HTTPXRequest(connection_pool_size=CONNECTIONS, httpx_kwargs=clock_hooks(clock)),
            HTTPXRequest(connection_pool_size=1, httpx_kwargs=clock_hooks(clock)))
