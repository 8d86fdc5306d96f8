"""``forget`` leaves no key or row that names the person, looked for in the raw backends."""

from __future__ import annotations

import sqlite3

import pytest

from presence_core import PresenceService
from presence_core.stores import redis_links
from presence_core.stores.redis import RedisStore
from presence_core.stores.sqlite import SqliteStore
from presence_core.tokens import device_id
from tests.support.clock import FakeClock
from tests.support.redis_leftovers import keys_naming

TG, DC, OTHER = "telegram:424242", "discord:737373", "telegram:5151"
NEEDLES = (TG, DC, "someone")


async def history(presence: PresenceService) -> None:
    """Everything a person can leave behind: linked accounts, devices, activity, channels, codes, hits,
    API tokens and app rooms."""
    for account, channel in ((TG, "telegram:-5"), (DC, "discord:9")):
        await presence.record_activity(account, {"channel_id": channel}, user_name="someone")
    await presence.link_account(DC, await presence.create_link_code(TG))
    await presence.set_device_status(DC, f"{DC}/desktop", "online")
    await presence.set_custom_status(TG, "secret plans", expires_at_ms=presence.clock() + 60_000)
    await presence.create_link_code(TG)
    await presence.count_hit("cmd:user", TG, 60_000)
    # availability and watches both ways (SPEC section 12), with someone who stays
    await presence.set_capacity(TG, 3)
    await presence.set_skills(DC, ["billing"])
    await presence.take(DC, 2)
    await presence.record_activity(OTHER, {"channel_id": "telegram:-5"})
    await presence.set_status(OTHER, "away")
    await presence.set_status(TG, "away")
    assert await presence.watch(OTHER, TG, "telegram:-5") is not None
    assert await presence.watch(TG, OTHER, "telegram:-5") is not None
    await presence.create_token(DC, "laptop")
    await presence.room_heartbeat(DC, device_id(DC, "laptop"), "app:doc-of-someone", {"cursor": "someone"})


async def history_then_forget(presence: PresenceService) -> None:
    await history(presence)
    await presence.forget(DC)


async def test_forget_leaves_no_row_in_sqlite(tmp_path: object, clock: FakeClock) -> None:
    path = f"{tmp_path}/presence.sqlite3"
    async with PresenceService(SqliteStore(path), clock=clock) as presence:
        await history_then_forget(presence)
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        leftovers = {table: rows for table in tables
                     if (rows := [r for r in db.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from the schema
                                  if any(TG in str(v) or DC in str(v) or "someone" in str(v) for v in r)])}
    assert leftovers == {}


async def test_forget_leaves_no_key_member_or_event_in_redis(redis_like: RedisStore, clock: FakeClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Right after ``forget`` the events announcing it (alias changes, leaving rooms) are still there for the
    other processes to hear, with the journal entry that erases them after a pause; then nothing."""
    monkeypatch.setattr(redis_links, "GRACE_S", 60.0)
    presence = PresenceService(redis_like, clock=clock)
    await presence.start()
    await history_then_forget(presence)
    left = await keys_naming(redis_like, NEEDLES)
    assert left and all(k.startswith(("pr:e:", "pr:j:")) for k in left), left
    await redis_like.links.journal.settle()
    assert await keys_naming(redis_like, NEEDLES) == []
    await presence.close()
