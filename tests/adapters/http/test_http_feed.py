"""``WS /v1/rooms/{id}/feed`` with a real WebSocket client: snapshot, diffs, grace, slow clients, closes."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from presence_adapters.http import FeedOptions, Served, create_app
from presence_core.tokens import device_id
from tests.adapters.http.conftest import (
    ALICE,
    BOB,
    CAROL,
    DOC,
    ROOM_ID_KEY,
    WAIT_S,
    Api,
    closed_with,
    receive,
    shown,
)

# How the app room DOC shows Alice and Bob.
A, B = shown(DOC, ALICE), shown(DOC, BOB)


async def test_a_snapshot_then_diffs_of_joins_moves_and_leaves(api: Api) -> None:
    alice, bob = await api.token(ALICE, user_name="Alice"), await api.token(BOB, user_name="Bob")
    await api.heartbeat(alice, channel_id=DOC, location="intro")
    async with api.feed(DOC, bob) as ws:
        assert ws.subprotocol == "presence.v1"
        state = await receive(ws)
        assert state["type"] == "presence_state" and state["room_id"] == DOC
        assert state["people"][A]["devices"][0]["location"] == "intro"
        # The feed itself puts (and keeps) Bob's device in the room.
        assert state["people"][B]["devices"][0]["name"] == "api laptop"

        await api.heartbeat(alice, channel_id=DOC, location={"line": 7})
        diff = await receive(ws, "presence_diff")
        assert (diff["joins"], diff["leaves"]) == ({}, {})
        assert diff["changes"][A]["devices"][0]["location"] == {"line": 7}

        await api.call("PUT", "/v1/me/status", alice, json={"status": "dnd"})
        assert (await receive(ws, "presence_diff"))["changes"][A]["status"] == "dnd"
        await api.call("PUT", "/v1/me/custom-status", alice, json={"text": "writing"})
        assert (await receive(ws, "presence_diff"))["changes"][A]["custom_status"] == "writing"
        await api.call("PUT", "/v1/me/status", alice, json={"status": "offline"})
        assert list((await receive(ws, "presence_diff"))["leaves"]) == [A], "invisible people leave the room"
        await api.call("PUT", "/v1/me/status", alice, json={"status": "online"})
        assert list((await receive(ws, "presence_diff"))["joins"]) == [A]
        await api.call("DELETE", f"/v1/rooms/{DOC}/presence", alice)
        assert list((await receive(ws, "presence_diff"))["leaves"]) == [A]


async def test_the_token_may_come_as_the_first_message_and_pings_get_pongs(api: Api) -> None:
    alice = await api.token(ALICE)
    async with api.feed(DOC, None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": alice}))
        assert (await receive(ws))["type"] == "presence_state"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive(ws, "pong"))["at"] == api.clock.now
        await ws.send("not json")
        assert (await receive(ws, "error"))["error"]["code"] == "unknown_message"


async def test_bad_feeds_are_closed_with_a_clear_code(api: Api) -> None:
    alice, carol = await api.token(ALICE), await api.token(CAROL)
    cases = [
        (api.feed(DOC, "prs_" + "A" * 43), 4401),
        (api.feed(DOC, alice, query=f"?token={alice}"), 4400),
        (api.feed("nocolon", alice), 4400),
        (api.feed("telegram:-100", carol), 4403),
    ]
    for opened, code in cases:
        async with opened as ws:
            assert (await closed_with(ws))[0] == code
    async with api.feed(DOC, None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "wrong"}))
        assert await closed_with(ws) == (4401, "unknown or revoked token")


async def test_a_revoked_token_s_feed_is_closed_at_the_next_keepalive(api: Api) -> None:
    alice = await api.token(ALICE)
    async with api.feed(DOC, alice) as ws:
        await receive(ws, "presence_state")
        await api.service.revoke_token(ALICE, "laptop")
        assert await closed_with(ws) == (4401, "the token was revoked")


async def test_too_many_feeds_for_one_token(api: Api) -> None:
    alice = await api.token(ALICE)
    opened = [await api.feed(DOC, alice).__aenter__() for _ in range(8)]
    for ws in opened:
        await receive(ws, "presence_state")
    async with api.feed(DOC, alice) as extra:
        assert (await closed_with(extra))[0] == 4429
    for ws in opened:
        await ws.close()


async def test_feeds_opened_all_at_once_still_count_against_the_limit(api: Api) -> None:
    alice = await api.token(ALICE)
    opened = await asyncio.gather(*(api.feed(DOC, alice).__aenter__() for _ in range(20)))

    async def outcome(ws: ClientConnection) -> str:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        except ConnectionClosed:
            return str(ws.close_code)
        return str(message["type"])

    outcomes = await asyncio.gather(*(outcome(ws) for ws in opened))
    assert sorted(outcomes) == ["4429"] * 12 + ["presence_state"] * 8
    for ws in opened:
        await ws.close()


async def test_a_client_that_reconnects_within_the_grace_period_causes_no_flap(api: Api) -> None:
    alice, bob = await api.token(ALICE), await api.token(BOB)
    async with api.feed(DOC, bob) as watcher:
        await receive(watcher, "presence_state")
        async with api.feed(DOC, alice) as first:
            await receive(first, "presence_state")
            assert A in (await receive(watcher, "presence_diff"))["joins"]
        api.clock.advance(api.service.policy.room_lease_ms - 1)
        await api.service.sweep()
        async with api.feed(DOC, alice) as again:
            state = await receive(again, "presence_state")
            assert A in state["people"]
            await again.send(json.dumps({"type": "ping"}))
            await receive(again, "pong")
        await watcher.send(json.dumps({"type": "ping"}))
        assert (await receive(watcher))["type"] == "pong", "no leave and no join in between"

        api.clock.advance(api.service.policy.room_lease_ms)
        await api.service.room_heartbeat(BOB, device_id(BOB, "laptop"), DOC)  # the watcher's own keepalive
        await api.service.sweep()
        assert list((await receive(watcher, "presence_diff"))["leaves"]) == [A]


async def test_changes_within_one_interval_arrive_as_one_diff(api: Api) -> None:
    devices = [await api.service.authenticate(await api.token(f"console:u{i}")) for i in range(30)]
    watcher = await api.token(ALICE)
    app = create_app(api.service, feed_options=FeedOptions(interval_ms=500, keepalive_ms=60_000), room_id_key=ROOM_ID_KEY)
    async with Served(app, "127.0.0.1", 0) as served:
        api.port = served.port
        async with api.feed(DOC, watcher) as ws:
            assert list((await receive(ws, "presence_state"))["people"]) == [A]
            for i, device in enumerate(devices):
                assert device is not None
                await api.service.room_heartbeat(device.owner, device.device_id, DOC, {"i": i})
            diff = await receive(ws, "presence_diff")
            assert len(diff["joins"]) == 30


async def test_a_slow_client_is_dropped_and_never_holds_up_the_others(api: Api) -> None:
    devices = [await api.service.authenticate(await api.token(f"console:w{i}")) for i in range(100)]
    fast_token, slow_token = await api.token(ALICE), await api.token(BOB)
    async with api.feed(DOC, fast_token) as fast, api.feed(DOC, slow_token, receive_buffer=8192) as slow:
        await receive(fast, "presence_state")
        rounds = Rounds(fast)
        slow.transport.pause_reading()  # from now on its messages pile up in the server
        for n in range(200):
            for device in devices:
                assert device is not None
                await api.service.room_heartbeat(device.owner, device.device_id, DOC, f"{n}:" + "x" * 1000)
            await rounds.seen(n)  # the fast client gets every round while the slow one stalls
            if api.registry.get_sample_value("presence_http_feeds_closed_total", {"reason": "try_later"}):
                break
        else:
            raise AssertionError("the slow client was never dropped")
        slow.transport.resume_reading()
        assert await close_after_reading_everything(slow) == (1013, "fell behind: reconnect for a fresh snapshot")
        assert api.registry.get_sample_value("presence_http_feeds_closed_total", {"reason": "try_later"}) == 1
        rounds.reader.cancel()
        async with api.feed(DOC, slow_token) as again:
            assert len((await receive(again, "presence_state"))["people"]) == 102


class Rounds:
    """Reads a feed all along, noting the latest round of locations it showed."""

    def __init__(self, ws: ClientConnection) -> None:
        self.latest = -1
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: ClientConnection) -> None:
        async for text in ws:
            message = json.loads(text)
            for person in [*message.get("joins", {}).values(), *message.get("changes", {}).values()]:
                for device in person["devices"]:
                    if device["location"] is not None:
                        self.latest = max(self.latest, int(device["location"].split(":")[0]))
            self.changed.set()

    async def seen(self, n: int) -> None:
        async with asyncio.timeout(WAIT_S):
            while self.latest < n:
                self.changed.clear()
                await self.changed.wait()


async def close_after_reading_everything(ws: ClientConnection) -> tuple[int | None, str | None]:
    async with asyncio.timeout(WAIT_S):
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
    return ws.close_code, ws.close_reason


async def test_a_member_removed_from_the_chat_loses_its_feed(api: Api) -> None:
    group = "telegram:-100"
    alice = await api.token(ALICE)
    await api.service.record_activity(ALICE, {"channel_id": group})
    async with api.feed(group, alice) as ws:
        assert ALICE in (await receive(ws, "presence_state"))["people"]
        await api.service.end_membership(group, [ALICE])
        assert await closed_with(ws) == (4403, "you are no longer in this chat")
    denied = await api.call("GET", f"/v1/rooms/{group}/presence", alice)
    assert denied.status_code == 403
