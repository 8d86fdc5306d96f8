"""Every bad input of SPEC section 11 gets the one JSON error shape, the right status, and loses nothing."""

from __future__ import annotations

import json
from urllib.parse import unquote

import httpx
import pytest

from presence_core.errors import StoreUnavailableError
from tests.adapters.http.conftest import ALICE, BOB, DOC, Api


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
    form = await api.call("PUT", "/v1/me/status", token, content=b'{"status": "dnd"}',
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(form, 415) == "unsupported_media_type"
    status = await api.call("PUT", "/v1/me/status", token, json={"status": "busy"})
    assert "busy" in status.json()["error"]["message"] and error_of(status, 422) == "invalid"
    past = await api.call("PUT", "/v1/me/status", token, json={"status": "dnd", "expires_at_ms": 1})
    assert error_of(past, 422) == "invalid"
    online = await api.call("PUT", "/v1/me/status", token, json={"status": "online", "expires_at_ms": api.clock.now + 9})
    assert error_of(online, 422) == "invalid"
    long_text = await api.call("PUT", "/v1/me/custom-status", token, json={"text": "x" * 129})
    assert error_of(long_text, 422) == "invalid"
    assert error_of(await api.call("GET", "/v1/me/activity?limit=0", token), 422) == "invalid"
    assert error_of(await api.call("GET", "/v1/me/activity?limit=many", token), 422) == "invalid"


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
