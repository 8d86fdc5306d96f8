"""A chat room's live feed follows its listing: people who appear by talking join, people who leave
the chat or are forgotten leave at once."""

from __future__ import annotations

from tests.adapters.http.conftest import Api, receive

LOBBY = "console:lobby"
ANN, BOB, ERIN = "console:ann", "console:bob", "console:erin"


async def listed(api: Api, token: str) -> set[str]:
    answer = await api.call("GET", f"/v1/rooms/{LOBBY}/presence", token)
    return {person["user_id"] for person in answer.json()["people"]}


async def test_someone_who_talks_in_the_chat_for_the_first_time_joins_the_feed(api: Api) -> None:
    ann = await api.token(ANN)
    await api.service.record_activity(ANN, {"channel_id": LOBBY})
    async with api.feed(LOBBY, ann) as ws:
        assert set((await receive(ws, "presence_state"))["people"]) == {ANN}
        await api.service.record_activity(ERIN, {"channel_id": LOBBY, "user_name": "erin"})
        diff = await receive(ws, "presence_diff")
        assert list(diff["joins"]) == [ERIN] and diff["joins"][ERIN]["status"] == "online"
        assert await listed(api, ann) == {ANN, ERIN}


async def test_someone_who_leaves_the_chat_leaves_the_feed_at_once(api: Api) -> None:
    ann = await api.token(ANN)
    await api.service.record_activity(ANN, {"channel_id": LOBBY})
    await api.service.record_activity(ERIN, {"channel_id": LOBBY})
    async with api.feed(LOBBY, ann) as ws:
        assert set((await receive(ws, "presence_state"))["people"]) == {ANN, ERIN}
        await api.service.end_membership(LOBBY, [ERIN])
        diff = await receive(ws, "presence_diff")
        assert (list(diff["leaves"]), diff["joins"], diff["changes"]) == ([ERIN], {}, {})
        assert await listed(api, ann) == {ANN}
        # Back by talking again: a join again.
        await api.service.record_activity(ERIN, {"channel_id": LOBBY})
        assert list((await receive(ws, "presence_diff"))["joins"]) == [ERIN]


async def test_someone_forgotten_leaves_the_feed_at_once_even_with_a_feed_of_their_own(api: Api) -> None:
    ann, bob = await api.token(ANN), await api.token(BOB)
    await api.service.record_activity(ANN, {"channel_id": LOBBY})
    await api.service.record_activity(BOB, {"channel_id": LOBBY})
    async with api.feed(LOBBY, ann) as ws, api.feed(LOBBY, bob) as own:
        await receive(own, "presence_state")
        people = (await receive(ws, "presence_state"))["people"]
        if not people[BOB]["devices"]:  # Bob's feed put his device in the room after Ann's snapshot
            assert list((await receive(ws, "presence_diff"))["changes"]) == [BOB]
        await api.service.forget(BOB)
        diff = await receive(ws, "presence_diff")
        assert (list(diff["leaves"]), diff["joins"], diff["changes"]) == ([BOB], {}, {})
        assert await listed(api, ann) == {ANN}


async def test_a_device_leaving_the_chat_leaves_its_person_listed(api: Api) -> None:
    ann, bob = await api.token(ANN), await api.token(BOB)
    await api.service.record_activity(ANN, {"channel_id": LOBBY})
    await api.service.record_activity(BOB, {"channel_id": LOBBY})
    await api.heartbeat(bob, channel_id=LOBBY)
    async with api.feed(LOBBY, ann) as ws:
        assert (await receive(ws, "presence_state"))["people"][BOB]["devices"]
        await api.call("DELETE", f"/v1/rooms/{LOBBY}/presence", bob)
        diff = await receive(ws, "presence_diff")
        assert (diff["leaves"], diff["joins"], diff["changes"][BOB]["devices"]) == ({}, {}, [])
        assert await listed(api, ann) == {ANN, BOB}
