"""Every bad input of SPEC section 11 gets the one JSON error shape, the right status, and loses nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from presence_core.errors import (
    ConcurrentUpdateError,
    EmptyTextError,
    InvalidArgumentError,
    PresenceError,
    StoreUnavailableError,
    TextTooLongError,
)
from tests.adapters.http.conftest import ALICE, BOB, CAROL, DOC, WAIT_S, Api, closed_with, receive


def error_of(response: httpx.Response, status: int) -> str:
    """The error code of a response that must be exactly ``{"error": {"code", "message"}}`` with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and sorted(body["error"]) == ["code", "message"], body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return str(body["error"]["code"])


async def test_no_token_a_wrong_one_and_a_revoked_one_are_401(api: Api) -> None:
    token = await api.token(ALICE)
    missing = await api.call("GET", "/v1/me")
    assert error_of(missing, 401) == "missing_token" and missing.headers["www-authenticate"].startswith("Bearer")
    assert error_of(await api.call("GET", "/v1/me", headers={"Authorization": f"Basic {token}"}), 401) == "missing_token"
    assert error_of(await api.call("GET", "/v1/me", "prs_" + "A" * 43), 401) == "invalid_token"
    assert error_of(await api.call("GET", "/v1/me", "not even the shape"), 401) == "invalid_token"
    await api.service.revoke_token(ALICE, "laptop")
    assert error_of(await api.call("POST", "/v1/heartbeat", token), 401) == "invalid_token"


async def test_a_token_in_the_url_is_refused_and_never_used(api: Api) -> None:
    token = await api.token(ALICE)
    for query in (f"?token={token}", f"?access_token={token}"):
        response = await api.call("GET", f"/v1/me{query}")
        assert error_of(response, 400) == "token_in_url" and token not in response.text
    assert error_of(await api.call("GET", f"/v1/me?token={token}", token), 400) == "token_in_url"


async def test_prs_in_any_query_parameter_or_a_whole_token_in_the_path_is_refused(api: Api) -> None:
    token = await api.token(ALICE)
    refused = [("GET", "/v1/me/activity?since=prs_"), ("GET", "/v1/me?note=PRS_short"), ("GET", "/v1/me?prs_x"),
               ("GET", f"/v1/me?limit=5&x=%70rs_{token[4:]}"), ("GET", f"/rooms/{DOC}?t={token}"),
               ("GET", f"/v1/nothing-here?x={token}"), ("GET", f"/metrics?x={token}"),
               ("GET", f"/v1/rooms/app:{token}/presence"), ("POST", f"/v1/heartbeat?from={token}"),
               ("DELETE", f"/v1/rooms/app:x{token}x/presence")]
    for method, url in refused:
        response = await api.call(method, url, token)
        assert error_of(response, 400) == "token_in_url", url
        assert token[4:] not in response.text
    assert (await api.call("GET", "/v1/rooms/app:prs_notes/presence", token)).status_code == 200
    assert (await api.call("GET", "/v1/me/activity?limit=5", token)).status_code == 200
    assert (await api.call("POST", "/v1/heartbeat", token)).status_code == 200, "the refused one cost no budget"
    async with api.feed(DOC, token, query="?room=prs_abc") as ws:
        assert await closed_with(ws) == (4400, "never put a token in a URL")


async def test_a_room_not_allowed_is_403_and_bad_room_ids_are_422(api: Api) -> None:
    token = await api.token(ALICE)
    assert error_of(await api.call("GET", "/v1/rooms/discord:9/presence", token), 403) == "room_forbidden"
    for room in ("nocolon", "app:two%20words", "app:%E2%80%AEx", "APP:x"):
        assert error_of(await api.call("GET", f"/v1/rooms/{room}/presence", token), 422) == "invalid"
        assert error_of(await api.heartbeat(token, channel_id=unquote(room)), 422) == "invalid"


async def test_malformed_and_misshapen_json(api: Api) -> None:
    token = await api.token(ALICE)
    api.clock.advance(5_000)
    cases = [('{"channel_id": "app:doc"', 400, "malformed_json"), ("[1, 2", 400, "malformed_json"),
             ('{"channel_id": 5}', 422, "invalid"), ('{"channel": "app:doc"}', 422, "invalid"),
             ('"just a string"', 422, "invalid"), ('{"location": "here"}', 422, "invalid"),
             ("\xff\xfe", 400, "malformed_json")]
    for body, status, code in cases:
        response = await api.call("POST", "/v1/heartbeat", token, content=body.encode("latin-1"),
                                  headers={"Content-Type": "application/json"})
        assert error_of(response, status) == code, body
    worded = [('"just a string"', "body: must be a JSON object"), ('{"channel": "app:doc"}', "channel: is not a field "
              "of this request"), ('{"channel_id": 5}', "channel_id: must be text")]
    for body, message in worded:
        response = await api.call("POST", "/v1/heartbeat", token, content=body, headers={"Content-Type": "application/json"})
        assert response.json()["error"]["message"] == message, "the API's words, never the framework's"
    not_found = await api.call("GET", "/v1/nothing", token)
    assert not_found.json()["error"]["message"] == "no such endpoint (the API is described at /openapi.json)"
    form = await api.call("PUT", "/v1/me/status", token, content=b'{"status": "dnd"}',
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(form, 415) == "unsupported_media_type"
    status = await api.call("PUT", "/v1/me/status", token, json={"status": "busy"})
    assert error_of(status, 422) == "invalid" and status.json()["error"]["message"] == "status: one of online, away, dnd, offline"
    past = await api.call("PUT", "/v1/me/status", token, json={"status": "dnd", "expires_at_ms": 1})
    assert error_of(past, 422) == "invalid"
    online = await api.call("PUT", "/v1/me/status", token, json={"status": "online", "expires_at_ms": api.clock.now + 9})
    assert error_of(online, 422) == "invalid"
    long_text = await api.call("PUT", "/v1/me/custom-status", token, json={"text": "x" * 129})
    assert error_of(long_text, 422) == "invalid"
    assert error_of(await api.call("GET", "/v1/me/activity?limit=0", token), 422) == "invalid"
    many = await api.call("GET", "/v1/me/activity?limit=many", token)
    assert error_of(many, 422) == "invalid" and many.json()["error"]["message"] == "query.limit: must be a whole number"
    assert (await api.call("GET", "/v1/me/activity?limit=0", token)).json()["error"]["message"] == \
        "query.limit: must be at least 1"


async def test_a_core_refusal_is_worded_by_the_api_from_its_code_never_by_its_message(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    token = await api.token(ALICE)
    refusals = [(InvalidArgumentError("internal detail"), "/v1/me/status", 422, "invalid", "expires_at_ms"),
                (InvalidArgumentError("internal detail"), "/v1/me/custom-status", 422, "invalid", "control characters"),
                (EmptyTextError("internal detail"), "/v1/me/custom-status", 422, "invalid", "must not be empty"),
                (TextTooLongError("internal detail", 77), "/v1/me/custom-status", 422, "invalid", "at most 77"),
                (ConcurrentUpdateError("internal detail"), "/v1/me/status", 503, "unavailable", "try again"),
                (PresenceError("internal detail"), "/v1/me/status", 422, "refused", "refused")]
    for error, path, status, code, wording in refusals:
        async def refuse(*args: object, error: PresenceError = error, **kw: object) -> None:
            raise error

        monkeypatch.setattr(api.service, "set_status", refuse)
        monkeypatch.setattr(api.service, "set_custom_status", refuse)
        body = {"status": "dnd"} if path.endswith("/status") else {"text": "hi"}
        response = await api.call("PUT", path, token, json=body)
        assert error_of(response, status) == code and wording in response.json()["error"]["message"], error
        assert "internal" not in response.text


async def test_huge_and_deeply_nested_bodies(api: Api) -> None:
    token = await api.token(ALICE)
    huge = json.dumps({"channel_id": DOC, "location": "x" * 100_000})
    assert error_of(await api.call("POST", "/v1/heartbeat", token, content=huge), 413) == "too_large"

    async def chunks() -> object:
        for _ in range(100):
            yield b" " * 1024

    streamed = await api.call("POST", "/v1/heartbeat", token, content=chunks(),
                              headers={"Content-Type": "application/json"})
    assert error_of(streamed, 413) == "too_large"
    api.clock.advance(5_000)
    nested = "[" * 8_000 + "]" * 8_000
    assert error_of(await api.call("POST", "/v1/heartbeat", token, content=nested,
                                   headers={"Content-Type": "application/json"}), 400) == "malformed_body"
    deep = {"channel_id": DOC, "location": {"a": {"b": {"c": {"d": {"e": 1}}}}}}
    assert error_of(await api.heartbeat(token, **deep), 422) == "invalid"
    big = {"channel_id": DOC, "location": "é" * 600}
    assert "1024" in (await api.heartbeat(token, **big)).json()["error"]["message"]


async def test_a_flood_of_heartbeats_gets_429_with_retry_after_and_loses_nothing(api: Api) -> None:
    alice, bob = await api.token(ALICE), await api.token(BOB)
    window_start = (api.clock.now // 5_000 + 1) * 5_000
    api.clock.now = window_start + 1_000
    first = await api.call("POST", "/v1/heartbeat", alice, json={"channel_id": DOC, "location": "kept"})
    assert first.status_code == 200
    for _ in range(20):
        flood = await api.call("POST", "/v1/heartbeat", alice, json={"channel_id": DOC, "location": "dropped"})
        assert error_of(flood, 429) == "rate_limited" and flood.headers["retry-after"] == "4"
    assert (await api.call("POST", "/v1/heartbeat", bob)).status_code == 200, "other tokens are not limited"
    room = (await api.call("GET", f"/v1/rooms/{DOC}/presence", bob)).json()
    assert [d["location"] for p in room["people"] for d in p["devices"]] == ["kept"]
    api.clock.now = window_start + 5_000
    assert (await api.call("POST", "/v1/heartbeat", alice, json={"channel_id": DOC, "location": "later"})).status_code == 200


async def test_a_refused_heartbeat_costs_nothing_of_the_rate_limit(api: Api) -> None:
    token = await api.token(ALICE)
    api.clock.now = (api.clock.now // 5_000 + 1) * 5_000
    refused = [({"channel_id": "app:two words"}, 422), ({"channel_id": DOC, "location": {"a": {"b": {"c": {"d": {}}}}}}, 422),
               ({"channel_id": DOC, "location": "x" * 2_000}, 422), ({"channel_id": "telegram:-100"}, 403),
               ({"channel_id": "telegram:-100", "location": "here"}, 422), ({"location": "here"}, 422),
               ({"channel_id": 5}, 422)]
    for body, status in refused:
        assert (await api.call("POST", "/v1/heartbeat", token, json=body)).status_code == status, body
    assert (await api.call("POST", "/v1/heartbeat", token, json={"channel_id": DOC})).status_code == 200
    assert error_of(await api.call("POST", "/v1/heartbeat", token, json={"channel_id": DOC}), 429) == "rate_limited"


async def test_unknown_routes_and_methods_answer_in_the_same_shape(api: Api) -> None:
    token = await api.token(ALICE)
    assert error_of(await api.call("GET", "/v1/nothing-here", token), 404) == "not_found"
    assert error_of(await api.call("GET", "/v1/heartbeat", token), 405) == "method_not_allowed"
    assert error_of(await api.call("PATCH", "/v1/me/status", token, json={}), 405) == "method_not_allowed"


async def test_an_unavailable_store_is_503_and_a_failure_is_500_without_a_trace(api: Api,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    token = await api.token(ALICE)

    async def unavailable(*args: object) -> None:
        raise StoreUnavailableError("Redis store: ConnectionError: refused")

    async def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("a bug with secrets in it")

    monkeypatch.setattr(api.service.store, "find_token", unavailable)
    response = await api.call("GET", "/v1/me", token)
    assert error_of(response, 503) == "unavailable" and response.headers["retry-after"] == "1"
    assert "Redis" not in response.text
    monkeypatch.undo()
    monkeypatch.setattr(api.service, "get_devices", broken)
    response = await api.call("GET", "/v1/me/devices", token)
    assert error_of(response, 500) == "internal" and "secrets" not in response.text
    monkeypatch.setattr(api.service, "room_heartbeat", broken)
    for query in ("", "?via=route"):  # the direct path and the app's route
        api.clock.advance(5_000)
        response = await api.call("POST", f"/v1/heartbeat{query}", token)
        assert error_of(response, 500) == "internal" and "secrets" not in response.text
    assert (await api.call("GET", "/v1/me", token)).status_code == 200


async def test_times_must_be_plain_epoch_ms_within_reach(api: Api) -> None:
    token = await api.token(ALICE)
    year = 365 * 24 * 3_600_000
    for when in (True, "1900000000000", 1.5e12, api.clock.now + year + 1, 10**20):
        for path, body in (("/v1/me/status", {"status": "dnd"}), ("/v1/me/custom-status", {"text": "lunch"})):
            response = await api.call("PUT", path, token, json={**body, "expires_at_ms": when})
            assert error_of(response, 422) == "invalid", (path, when)
    for since in (10**20, -1, "soon"):
        assert error_of(await api.call("GET", f"/v1/me/activity?since={since}", token), 422) == "invalid"
    me = (await api.call("GET", "/v1/me", token)).json()
    assert (me["status"], me["custom_status"]) == ("online", None)


async def test_a_custom_status_sent_over_http_is_cleaned_like_one_typed_in_chat(api: Api) -> None:
    token = await api.token(ALICE)
    response = await api.call("PUT", "/v1/me/custom-status", token, json={"text": "lunch\x00\u202e\x07\nback at 2"})
    assert response.json()["custom_status"] == "lunch back at 2"


async def raw_answer(api: Api, request: bytes) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of the answer to ``request`` sent as bytes (a handshake httpx cannot send)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    writer.write(request)
    answer = await asyncio.wait_for(reader.read(), WAIT_S)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize("path", ["/nope", "/v1/me", "/v1/rooms/app:doc/presence"])
async def test_a_websocket_handshake_to_a_route_that_is_no_feed_is_404_in_the_apis_words(api: Api, path: str) -> None:
    handshake = (f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert await raw_answer(api, handshake.encode()) == (404, {"error": {
        "code": "not_found", "message": "no such endpoint (the API is described at /openapi.json)"}})


async def test_a_websocket_client_to_a_route_that_is_no_feed_is_refused_with_404(api: Api) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://127.0.0.1:{api.port}/v1/me", open_timeout=WAIT_S):
            pass
    assert refused.value.response.status_code == 404
    assert json.loads(refused.value.response.body or b"")["error"]["code"] == "not_found"


async def test_a_plain_request_on_a_feed_says_it_is_a_websocket_endpoint(api: Api) -> None:
    token = await api.token(ALICE)
    for path in (f"/v1/rooms/{DOC}/feed", "/v1/rooms/telegram:-100123/7/feed"):
        response = await api.call("GET", path, token)
        assert error_of(response, 400) == "malformed_request"
        assert response.json()["error"]["message"].startswith("not a WebSocket handshake")
    assert error_of(await api.call("GET", "/v1/rooms/feed", token), 404) == "not_found", "no room id: no feed"


async def test_every_bad_room_id_is_422_line_breaks_included(api: Api) -> None:
    token = await api.token(ALICE)
    for room in ("app:x%0d%0aSet-Cookie:a", "app:x%0a", "app:x%0d", "app:x%00", "app:x%20y", "%0a"):
        for method in ("GET", "DELETE"):
            response = await api.call(method, f"/v1/rooms/{room}/presence", token)
            assert error_of(response, 422) == "invalid", (method, room)
            assert response.json()["error"]["message"].startswith("room id: ")
            assert "set-cookie" not in response.headers
    async with api.feed("app:x%0d%0ay", token) as ws:
        assert (await closed_with(ws))[0] == 4400


async def test_a_body_that_is_not_utf_8_is_malformed_json(api: Api) -> None:
    token = await api.token(ALICE)
    for body in (b'{"channel_id": "app:\xff"}', b'{"status": "\xc3("}', b"\x80"):
        for method, path in (("POST", "/v1/heartbeat"), ("PUT", "/v1/me/status")):
            api.clock.advance(5_000)
            response = await api.call(method, path, token, content=body, headers={"Content-Type": "application/json"})
            assert error_of(response, 400) == "malformed_json", (path, body)
            assert response.json()["error"]["message"] == "the body is not valid JSON"


async def test_leaving_a_chat_you_are_not_in_is_403_whether_it_exists_or_not(api: Api) -> None:
    carol = await api.token(CAROL)
    await api.service.record_activity(BOB, {"channel_id": "console:lobby"}, user_name="bob")
    for room in ("console:lobby", "console:nobody-here"):
        listing = await api.call("GET", f"/v1/rooms/{room}/presence", carol)
        leave = await api.call("DELETE", f"/v1/rooms/{room}/presence", carol)
        assert error_of(listing, 403) == error_of(leave, 403) == "room_forbidden", room
        assert leave.json() == listing.json()
    bob = await api.token(BOB)
    assert (await api.call("DELETE", "/v1/rooms/console:lobby/presence", bob)).json() == \
        {"room_id": "console:lobby", "rooms": []}, "a member may leave"
    assert (await api.call("DELETE", f"/v1/rooms/{DOC}/presence", carol)).status_code == 200, "app rooms are open"


async def test_a_body_without_a_content_type_is_read_as_json_and_one_of_another_type_is_415(api: Api) -> None:
    token = await api.token(ALICE)
    for query in ("", "?via=route"):  # the direct path and the app's route
        api.clock.advance(5_000)
        beat = await api.call("POST", f"/v1/heartbeat{query}", token, content=json.dumps({"channel_id": DOC}).encode())
        assert (beat.status_code, beat.json()["rooms"]) == (200, [DOC]), query
        api.clock.advance(5_000)
        broken = await api.call("POST", f"/v1/heartbeat{query}", token, content=b'{"channel_id": ')
        assert error_of(broken, 400) == "malformed_json", query
    status = await api.call("PUT", "/v1/me/status", token, content=b'{"status": "dnd"}')
    assert (status.status_code, status.json()["status"]) == (200, "dnd")
    custom = await api.call("PUT", "/v1/me/custom-status", token, content=b'{"text": "lunch"}')
    assert (custom.status_code, custom.json()["custom_status"]) == (200, "lunch")
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        for method, path in (("PUT", "/v1/me/status"), ("POST", "/v1/heartbeat"), ("PUT", "/v1/me/custom-status")):
            api.clock.advance(5_000)
            refused = await api.call(method, path, token, content=b'{"status": "away", "text": "gone"}',
                                     headers={"Content-Type": content_type})
            assert error_of(refused, 415) == "unsupported_media_type", (path, content_type)
    me = (await api.call("GET", "/v1/me", token)).json()
    assert (me["status"], me["custom_status"]) == ("dnd", "lunch"), "nothing refused was taken"
    missing = await api.call("PUT", "/v1/me/status", token)
    assert error_of(missing, 422) == "invalid" and missing.json()["error"]["message"] == "body: is required"


async def test_a_bad_channel_id_is_named_channel_id(api: Api) -> None:
    token = await api.token(ALICE)
    for room in ("nocolon", "app:two words", "app:x\r\n"):
        response = await api.heartbeat(token, channel_id=room)
        assert error_of(response, 422) == "invalid"
        assert response.json()["error"]["message"].startswith("channel_id: app:NAME or PLATFORM:CHANNEL"), room
    routed = await api.call("POST", "/v1/heartbeat?via=route", token, json={"channel_id": "nocolon"})
    assert routed.json()["error"]["message"].startswith("channel_id: "), "the app's route words it the same"


async def test_a_heartbeat_with_tracking_off_records_nothing_and_me_says_why(api: Api) -> None:
    alice, bob = await api.token(ALICE), await api.token(BOB)
    before = (await api.call("GET", "/v1/me/activity", alice)).json()["activity"]
    await api.service.set_tracking(ALICE, False)
    async with api.feed(DOC, alice) as ws:
        await receive(ws, "presence_state")
        beat = await api.heartbeat(alice, channel_id=DOC, location="here")
        assert (beat.status_code, beat.json()["rooms"]) == (200, []), "in no room, though its feed is open"
        assert (await api.heartbeat(alice)).json()["rooms"] == []
        assert (await api.call("GET", f"/v1/rooms/{DOC}/presence", bob)).json()["people"] == []
        assert (await api.call("GET", "/v1/me", alice)).json()["tracking"] is False, "where the client learns why"
    assert (await api.call("GET", "/v1/me/activity", alice)).json()["activity"] == before, "nothing recorded"
    await api.service.set_tracking(ALICE, True)
    assert (await api.heartbeat(alice, channel_id=DOC)).json()["rooms"] == [DOC]
