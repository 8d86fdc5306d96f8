"""Every endpoint of SPEC section 11 over real HTTP: JSON in and out, epoch ms, tokens as devices."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from tests.adapters.http.conftest import ALICE, BOB, CAROL, DOC, Api, receive, shown


async def test_a_heartbeat_keeps_the_token_s_device_alive(api: Api) -> None:
    token = await api.token(ALICE)
    response = await api.heartbeat(token)
    assert response.status_code == 200
    assert response.json() == {"device": "api laptop", "rooms": [], "next_heartbeat_ms": 30_000}
    devices = (await api.call("GET", "/v1/me/devices", token)).json()["devices"]
    laptop = next(d for d in devices if d["name"] == "api laptop")
    assert laptop == {"id": "telegram:1/api/laptop", "name": "api laptop", "status": "online",
                      "last_seen": api.clock.now, "active": True, "stale": False, "synced": True}


async def test_a_heartbeat_answers_the_same_on_the_direct_path_and_through_the_app(api: Api) -> None:
    """Well-formed heartbeats skip FastAPI's routing (adapters/http/heartbeat.py); anything unusual about
    the request (here a query string) is served by the app's route, with the same answer."""
    token = await api.token(ALICE)
    answers = []
    for query, headers in (("", {"Content-Type": "application/json"}), ("?from=app", {"Content-Type": "application/json"}),
                           ("", {})):
        api.clock.advance(5_000)
        response = await api.call("POST", f"/v1/heartbeat{query}", token, content=f'{{"channel_id": "{DOC}"}}',
                                  headers=headers)
        answers.append((response.status_code, response.headers["content-type"], response.json()))
    assert answers == [(200, "application/json", {"device": "api laptop", "rooms": [DOC], "next_heartbeat_ms": 30_000})] * 3


async def test_a_heartbeat_in_an_app_room_joins_it_and_the_room_sees_where(api: Api) -> None:
    alice, bob = await api.token(ALICE, user_name="Alice"), await api.token(BOB, "editor", user_name="Bob")
    joined = await api.heartbeat(alice, channel_id=DOC, location={"page": 3, "cursor": [12, 4]})
    assert joined.json()["rooms"] == [DOC]
    since = api.clock.now
    await api.heartbeat(bob, channel_id=DOC, location="reading the intro")
    room = (await api.call("GET", f"/v1/rooms/{DOC}/presence", bob)).json()
    assert room == {"room_id": DOC, "people": [
        {"user_id": shown(DOC, ALICE), "name": "Alice", "status": "online", "custom_status": None,
         "devices": [{"name": "api laptop", "since": since, "location": {"page": 3, "cursor": [12, 4]}}]},
        {"user_id": shown(DOC, BOB), "name": "Bob", "status": "online", "custom_status": None,
         "devices": [{"name": "api editor", "since": api.clock.now, "location": "reading the intro"}]},
    ]}


async def test_an_app_room_shows_people_by_an_id_of_that_room_never_by_their_chat_account(api: Api) -> None:
    alice, bob = await api.token(ALICE, user_name="Alice"), await api.token(BOB, user_name="Bob")
    other = "app:other"
    for room in (DOC, other):
        await api.heartbeat(alice, channel_id=room)
    ids = {room: [p["user_id"] for p in (await api.call("GET", f"/v1/rooms/{room}/presence", bob)).json()["people"]]
           for room in (DOC, other)}
    assert ids == {DOC: [shown(DOC, ALICE)], other: [shown(other, ALICE)]}
    assert ids[DOC] != ids[other] and all(i.startswith("p_") and len(i) == 22 for i in ids[DOC] + ids[other])
    async with api.feed(DOC, bob) as ws:
        state = await receive(ws, "presence_state")
        assert set(state["people"]) == {shown(DOC, ALICE), shown(DOC, BOB)}
        assert ALICE not in json.dumps(state) and BOB not in json.dumps(state)
    group = "telegram:-100"
    for user in (ALICE, BOB):
        await api.service.record_activity(user, {"channel_id": group})
    in_chat = (await api.call("GET", f"/v1/rooms/{group}/presence", bob)).json()["people"]
    assert sorted(p["user_id"] for p in in_chat) == [ALICE, BOB], "a chat's members see each other's accounts there"


async def test_leaving_a_room_is_at_once(api: Api) -> None:
    alice = await api.token(ALICE)
    await api.heartbeat(alice, channel_id=DOC)
    await api.heartbeat(alice, channel_id="app:other")
    left = await api.call("DELETE", f"/v1/rooms/{DOC}/presence", alice)
    assert left.status_code == 200 and left.json() == {"room_id": DOC, "rooms": ["app:other"]}
    assert (await api.call("GET", f"/v1/rooms/{DOC}/presence", alice)).json()["people"] == []


async def test_a_platform_channel_is_open_only_to_people_seen_there(api: Api) -> None:
    group = "telegram:-100/7"
    alice, carol = await api.token(ALICE, user_name="Alice"), await api.token(CAROL)
    await api.service.record_activity(ALICE, {"channel_id": group})
    denied = await api.call("GET", f"/v1/rooms/{group}/presence", carol)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "room_forbidden"
    assert (await api.heartbeat(carol, channel_id=group)).status_code == 403
    assert (await api.heartbeat(alice, channel_id=group)).status_code == 200
    people = (await api.call("GET", "/v1/rooms/telegram:-100%2F7/presence", alice)).json()["people"]
    assert [(p["name"], [d["name"] for d in p["devices"]]) for p in people] == [("Alice", ["api laptop"])]


async def test_me_status_and_custom_status_with_expiry(api: Api) -> None:
    alice = await api.token(ALICE, user_name="Alice")
    until = api.clock.now + 3_600_000
    me = await api.call("PUT", "/v1/me/status", alice, json={"status": "dnd", "expires_at_ms": until})
    assert me.status_code == 200
    assert {k: me.json()[k] for k in ("user_id", "name", "status", "manual", "expires_at_ms")} == {
        "user_id": ALICE, "name": "Alice", "status": "dnd", "manual": True, "expires_at_ms": until}
    custom = await api.call("PUT", "/v1/me/custom-status", alice, json={"text": "交易 BTC", "expires_at_ms": until})
    assert (custom.json()["custom_status"], custom.json()["custom_status_expires_at_ms"]) == ("交易 BTC", until)
    assert (await api.call("GET", "/v1/me", alice)).json()["custom_status"] == "交易 BTC"
    cleared = await api.call("DELETE", "/v1/me/custom-status", alice)
    assert cleared.json()["custom_status"] is None
    api.clock.advance(60_000)
    back = await api.call("PUT", "/v1/me/status", alice, json={"status": "online"})
    assert (back.json()["status"], back.json()["manual"]) == ("online", False)
    assert back.json()["active_device"] == "api laptop", "online from an app is being there on that app"


async def test_going_online_with_tracking_off_records_nothing(api: Api) -> None:
    alice = await api.token(ALICE)
    await api.service.set_tracking(ALICE, False)
    seen = (await api.call("GET", "/v1/me", alice)).json()["last_seen"]
    api.clock.advance(60_000)
    assert (await api.call("PUT", "/v1/me/status", alice, json={"status": "online"})).status_code == 200
    assert (await api.call("GET", "/v1/me", alice)).json()["last_seen"] == seen


async def test_me_activity_with_limit_and_since(api: Api) -> None:
    alice = await api.token(ALICE)
    for channel in ("telegram:-1", "telegram:-2", "telegram:-3"):
        api.clock.advance(1_000)
        await api.service.record_activity(ALICE, {"channel_id": channel})
    events = (await api.call("GET", "/v1/me/activity?limit=2", alice)).json()["activity"]
    assert [(e["channel_id"], e["timestamp"], e["type"], e["device"]) for e in events] == [
        ("telegram:-3", api.clock.now, "message", "telegram"), ("telegram:-2", api.clock.now - 1_000, "message", "telegram")]
    since = (await api.call("GET", f"/v1/me/activity?since={api.clock.now}", alice)).json()["activity"]
    assert [e["channel_id"] for e in since] == ["telegram:-3"]


async def test_the_schema_is_served_and_names_every_endpoint(api: Api) -> None:
    spec = (await api.http.get("/openapi.json")).json()
    assert set(spec["paths"]) == {"/v1/heartbeat", "/v1/rooms/{room_id}/presence", "/v1/me", "/v1/me/status",
                                  "/v1/me/custom-status", "/v1/me/activity", "/v1/me/devices"}
    assert "ErrorOut" in spec["components"]["schemas"]


async def test_metrics_move_onto_the_api_server_with_bounded_labels(api: Api) -> None:
    alice = await api.token(ALICE)
    await api.heartbeat(alice, channel_id=DOC)
    await api.call("GET", "/v1/rooms/app:secret-room-name/presence", alice)
    await api.call("GET", "/v1/me", "prs_" + "x" * 43)
    response = await api.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert alice not in response.text and "secret-room-name" not in response.text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.text) for s in family.samples}
    assert samples[("presence_http_requests_total", (("route", "/v1/heartbeat"), ("status", "200")))] == 1
    assert samples[("presence_http_requests_total", (("route", "/v1/rooms/{room_id:room}/presence"),
                                                     ("status", "200")))] == 1
    assert samples[("presence_http_requests_total", (("route", "/v1/me"), ("status", "401")))] == 1


async def test_the_board_is_one_page_and_one_script_under_a_strict_policy(api: Api) -> None:
    page = await api.http.get(f"/rooms/{DOC}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "unsafe" not in policy
    assert '<script src="/board/board.js"></script>' in page.text
    script = await api.http.get("/board/board.js")
    assert script.status_code == 200 and "sessionStorage" in script.text and "bearer." in script.text
