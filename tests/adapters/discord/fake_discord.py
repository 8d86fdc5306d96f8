"""A small fake of Discord's REST API and gateway on 127.0.0.1, enough to drive the real discord.py.

The gateway speaks discord's JSON protocol in plain text frames (HELLO, IDENTIFY, READY, heartbeat
ACKs, dispatches); discord.py only decompresses binary frames, so asking it for zlib is harmless.
Every REST call is recorded, and a test can make the next matching call fail the way Discord does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
from aiohttp import web
from discord.utils import time_snowflake

API_PREFIX = "/api/v10"
BOT_ID = 700_000_000_000_000_001
APP_ID = 700_000_000_000_000_002
GUILD_ID = 700_000_000_000_000_100
CHANNEL_ID = 700_000_000_000_000_200
ALICE_ID = 700_000_000_000_000_301
BOB_ID = 700_000_000_000_000_302
OTHER_BOT_ID = 700_000_000_000_000_303
# A pseudonymous account of someone, and a person the bot never sees: for the visibility table.
FOX_ID = 700_000_000_000_000_304
ZED_ID = 700_000_000_000_000_305
# Someone in the server the bot has never seen say anything.
ANA_ID = 700_000_000_000_000_306
# A second text channel of the guild, where not everyone talks.
SECRET_CHANNEL_ID = 700_000_000_000_000_201
THREAD_ID = 700_000_000_000_000_202
WEBHOOK_ID = 700_000_000_000_000_401
EPHEMERAL = 64
# View channel, send messages, read message history: what the bot needs in a channel.
MEMBER_PERMISSIONS = str((1 << 10) | (1 << 11) | (1 << 16) | (1 << 31))


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Discord answers with exactly ``application/json`` (no charset), which discord.py checks for."""
    return web.Response(body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": "application/json"})


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(),
            "avatar": None, "bot": bot, "public_flags": 0}


USERS = {ALICE_ID: user_payload(ALICE_ID, "alice"), BOB_ID: user_payload(BOB_ID, "bob"),
         FOX_ID: user_payload(FOX_ID, "anon_fox"), ZED_ID: user_payload(ZED_ID, "zed"),
         ANA_ID: user_payload(ANA_ID, "ana.lima"),
         OTHER_BOT_ID: user_payload(OTHER_BOT_ID, "otherbot", bot=True), BOT_ID: user_payload(BOT_ID, "presence", bot=True)}


@dataclass(frozen=True, slots=True)
class RestCall:
    method: str
    path: str                      # without the /api/v10 prefix
    json: Any
    query: dict[str, str]
    status: int                    # what the fake answered


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the bot sent: an interaction response or followup, a channel or direct message."""

    kind: Literal["response", "followup", "channel", "direct"]
    channel_id: int | None
    body: dict[str, Any]

    @property
    def content(self) -> str:
        return self.body.get("content") or ""

    @property
    def ephemeral(self) -> bool:
        return bool(self.body.get("flags", 0) & EPHEMERAL)

    @property
    def pings_nobody(self) -> bool:
        mentions = self.body.get("allowed_mentions") or {}
        return mentions.get("parse") == [] and not mentions.get("users") and not mentions.get("roles") \
            and not mentions.get("replied_user")

    @property
    def replies_to(self) -> str | None:
        reference = (self.body.get("message_reference") or {}).get("message_id")
        return None if reference is None else str(reference)


@dataclass(slots=True)
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    code: int
    message: str
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class FakeDiscord:
    """REST routes under /api/v10 and a websocket gateway at /gateway, with recorded calls."""

    def __init__(self, now_ms: Callable[[], int]) -> None:
        self.now_ms = now_ms
        # How far Discord's clock is from the host's (the tests' clock): Discord stamps ids with its own.
        self.offset_ms = 0
        # Each person's client statuses as Discord knows them now (absent: offline), for
        # GUILD_CREATE and for requests of guild members with their presences.
        self.client_status: dict[int, dict[str, str]] = {}
        # Active threads of the guild, sent with GUILD_CREATE.
        self.threads: list[dict[str, Any]] = []
        self.calls: list[RestCall] = []
        # Messages and interactions people sent through the gateway, newest last.
        self.messages: list[dict[str, Any]] = []
        self.interactions: list[dict[str, Any]] = []
        self._dm_channels: set[int] = set()
        self.identify: dict[str, Any] | None = None
        self.connected = asyncio.Event()
        self.guild_locale = "en-US"
        self.guild_features: list[str] = []
        # People whose member objects come with GUILD_CREATE (a gateway with the members intent).
        self.guild_members: list[int] = []
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self.last_seq = 0
        self._ws: web.WebSocketResponse | None = None
        self._call_added = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{path:.*}", self._rest)
        self._app = app

    # lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def discord_ms(self) -> int:
        """Now on Discord's clock."""
        return self.now_ms() + self.offset_ms

    def snowflake(self, ago_ms: int = 0) -> int:
        """A fresh id whose timestamp is Discord's now (less ``ago_ms``), as Discord's ids carry their time."""
        moment = datetime.fromtimestamp((self.discord_ms() - ago_ms) / 1000, tz=UTC)
        return time_snowflake(moment) + next(self._ids)

    def _timestamp(self, ago_ms: int = 0) -> str:
        return datetime.fromtimestamp((self.discord_ms() - ago_ms) / 1000, tz=UTC).isoformat()

    # failures and recorded calls ---------------------------------------------------------------

    def fail(self, method: str, path: str, *, status: int, code: int = 0, message: str = "error",
             times: int = 1, headers: dict[str, str] | None = None, **extra: Any) -> None:
        """Answer the next ``times`` calls whose path matches the regex ``path`` with a Discord error."""
        self._failures.append(_Failure(method, re.compile(path), status, code, message, times, headers or {}, extra))

    def calls_to(self, method: str, path: str) -> list[RestCall]:
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    async def wait_for_call(self, method: str, path: str, *, count: int = 1, timeout: float = 5.0) -> list[RestCall]:
        """The first ``count`` calls matching ``method`` and the regex ``path``, waiting for them to arrive."""
        async with asyncio.timeout(timeout), self._call_added:
            await self._call_added.wait_for(lambda: len(self.calls_to(method, path)) >= count)
        return self.calls_to(method, path)[:count]

    def sent(self, since: int = 0) -> list[Sent]:
        """Every message the bot delivered from call number ``since`` on, wherever it went."""
        found = []
        for call in self.calls[since:]:
            if call.method != "POST" or call.status >= 300 or not isinstance(call.json, dict):
                continue
            if m := re.fullmatch(r"/channels/(\d+)/messages", call.path):
                channel = int(m[1])
                kind = "direct" if channel in self._dm_channels else "channel"
                found.append(Sent(kind, channel, call.json))
            elif re.fullmatch(r"/webhooks/\d+/[^/]+", call.path):
                found.append(Sent("followup", None, call.json))
            elif call.path.endswith("/callback") and call.json.get("type") == 4:
                found.append(Sent("response", None, call.json["data"]))
        return found

    # REST --------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body = await request.json() if request.can_read_body and request.content_type == "application/json" else None
        response = self._failure(request.method, path) or self._answer(request.method, path, body)
        async with self._call_added:
            self.calls.append(RestCall(request.method, path, body, dict(request.query), response.status))
            self._call_added.notify_all()
        return response

    def _failure(self, method: str, path: str) -> web.Response | None:
        for failure in self._failures:
            if failure.times > 0 and failure.method == method and failure.path.fullmatch(path):
                failure.times -= 1
                return _json({"message": failure.message, "code": failure.code, **failure.extra},
                             status=failure.status, headers=failure.headers)
        return None

    def _answer(self, method: str, path: str, body: Any) -> web.Response:
        if method == "GET" and path == "/users/@me":
            return _json(user_payload(BOT_ID, "presence", bot=True))
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(self._application())
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages", path)):
            return _json(self._message(int(m[1]), body))
        if method == "GET" and (m := re.fullmatch(r"/users/(\d+)", path)):
            return _json(USERS.get(int(m[1]), user_payload(int(m[1]), "someone")))
        if method == "POST" and path == "/users/@me/channels":
            recipient = int(body["recipient_id"])
            self._dm_channels.add(dm_channel_id(recipient))
            return _json({"id": str(dm_channel_id(recipient)), "type": 1,
                                      "recipients": [USERS.get(recipient, user_payload(recipient, "someone"))]})
        if method == "POST" and (m := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", path)):
            flags = ((body or {}).get("data") or {}).get("flags", 0)
            return _json({"interaction": {
                "id": m[1], "type": 2, "response_message_id": str(self.snowflake()),
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(flags & 64)}})
        if method == "POST" and re.fullmatch(r"/webhooks/\d+/[^/]+", path):
            return _json(self._message(CHANNEL_ID, body))
        if method == "PATCH" and re.fullmatch(r"/webhooks/\d+/[^/]+/messages/@original", path):
            return _json(self._message(CHANNEL_ID, body))
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            return _json([self._registered(command) for command in body])
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _application(self) -> dict[str, Any]:
        return {"id": str(APP_ID), "name": "presence", "icon": None, "description": "", "rpc_origins": [],
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
                "owner": user_payload(ALICE_ID, "alice"), "team": None}

    def _message(self, channel_id: int, body: Any) -> dict[str, Any]:
        return {"id": str(self.snowflake()), "channel_id": str(channel_id), "type": 0,
                "author": user_payload(BOT_ID, "presence", bot=True), "content": (body or {}).get("content", ""),
                "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
                "pinned": False, "flags": (body or {}).get("flags", 0)}

    def _registered(self, command: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(self.snowflake()), "application_id": str(APP_ID), "version": "1",
                "type": 1, "default_member_permissions": None, "dm_permission": True, "nsfw": False,
                "options": [], "description": "", **command}

    # gateway -----------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None})
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            payload = msg.json()
            if payload["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                self.identify = payload["d"]
                await self.dispatch("READY", self._ready())
                await self.dispatch("GUILD_CREATE", self.guild())
                self.connected.set()
            elif payload["op"] == 6:
                # A resume: this fake keeps no sessions, so the client must identify anew.
                await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            elif payload["op"] == 8:
                await self._members_chunk(payload["d"])
        return ws

    async def _members_chunk(self, request: dict[str, Any]) -> None:
        """Answer a request for guild members by id, with their presences when asked (online ones only)."""
        ids = [int(u) for u in request.get("user_ids") or []]
        members = [self.member(u) for u in ids if u in USERS]
        presences = [self._presence(u) for u in ids if u in USERS and u in self.client_status]
        await self.dispatch("GUILD_MEMBERS_CHUNK", {
            "guild_id": str(GUILD_ID), "members": members, "chunk_index": 0, "chunk_count": 1,
            "not_found": [str(u) for u in ids if u not in USERS], "nonce": request.get("nonce"),
            **({"presences": presences} if request.get("presences") else {})})

    def _presence(self, user_id: int) -> dict[str, Any]:
        clients = self.client_status.get(user_id, {})
        status = next(iter(clients.values()), "offline")
        return {"user": {"id": str(user_id)}, "guild_id": str(GUILD_ID), "status": status,
                "activities": [], "client_status": clients}

    async def new_session(self) -> None:
        """Discord asks the client to reconnect and, the session being gone, to identify again (READY)."""
        self.connected.clear()
        await self.dispatch_op(7)
        async with asyncio.timeout(5):
            await self.connected.wait()

    async def dispatch_op(self, op: int) -> None:
        if self._ws is None or self._ws.closed:
            raise RuntimeError("no client is connected to the fake gateway")
        await self._ws.send_json({"op": op, "d": None, "s": None, "t": None})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event to the connected client."""
        if self._ws is None or self._ws.closed:
            raise RuntimeError("no client is connected to the fake gateway")
        self.last_seq += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self.last_seq, "d": data})

    def _ready(self) -> dict[str, Any]:
        return {"v": 10, "user": user_payload(BOT_ID, "presence", bot=True), "session_id": "fake-session",
                "resume_gateway_url": self.gateway_url, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                "application": {"id": str(APP_ID), "flags": 0}, "shard": [0, 1]}

    def guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID), "name": "Traders", "owner_id": str(ALICE_ID), "icon": None,
            "preferred_locale": self.guild_locale, "features": self.guild_features, "member_count": 3,
            "large": False, "unavailable": False, "verification_level": 0, "mfa_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "nsfw_level": 0,
            "premium_tier": 0, "system_channel_flags": 0,
            "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": MEMBER_PERMISSIONS,
                       "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False,
                       "flags": 0}],
            "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "general", "position": 0,
                          "permission_overwrites": [], "guild_id": str(GUILD_ID)},
                         {"id": str(SECRET_CHANNEL_ID), "type": 0, "name": "secret", "position": 1,
                          "permission_overwrites": [], "guild_id": str(GUILD_ID)}],
            "members": [self.member(user_id) for user_id in (BOT_ID, *self.guild_members)],
            "presences": [self._presence(u) for u in self.guild_members if u in self.client_status],
            "threads": self.threads, "emojis": [], "stickers": [], "voice_states": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
        }

    @staticmethod
    def member(user_id: int, user: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"user": user or USERS[user_id], "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False, "mute": False, "flags": 0, "nick": None}

    # event payloads ----------------------------------------------------------------------------

    async def send_message(self, author_id: int, content: str, *, channel_id: int = CHANNEL_ID,
                           direct: bool = False, reply_to: dict[str, Any] | None = None,
                           mentions: tuple[int, ...] = (), webhook: bool = False, ago_ms: int = 0,
                           kind: int | None = None) -> dict[str, Any]:
        """A message arriving through the gateway (MESSAGE_CREATE), written ``ago_ms`` before now; from a
        webhook (named after ``author_id``'s user) when ``webhook``; returns its payload."""
        if direct:
            self._dm_channels.add(dm_channel_id(author_id))
        data = self.message_payload(author_id, content, channel_id=channel_id, direct=direct, reply_to=reply_to,
                                    mentions=mentions, webhook=webhook, ago_ms=ago_ms, kind=kind)
        self.messages.append(data)
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def message_payload(self, author_id: int, content: str, *, channel_id: int = CHANNEL_ID, direct: bool = False,
                        reply_to: dict[str, Any] | None = None, mentions: tuple[int, ...] = (),
                        webhook: bool = False, ago_ms: int = 0, kind: int | None = None) -> dict[str, Any]:
        """A message as Discord describes it, without sending it (one sent before the bot was there)."""
        data: dict[str, Any] = {
            "id": str(self.snowflake(ago_ms)), "channel_id": str(dm_channel_id(author_id) if direct else channel_id),
            "author": USERS[author_id], "content": content, "type": kind if kind is not None else 19 if reply_to else 0,
            "timestamp": self._timestamp(ago_ms),
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [USERS[m] for m in mentions], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "flags": 0,
        }
        if webhook:
            data["webhook_id"] = str(WEBHOOK_ID)
            data["author"] = {**USERS[author_id], "id": str(WEBHOOK_ID), "bot": True}
        elif not direct:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = {k: v for k, v in self.member(author_id).items() if k != "user"}
        if webhook and not direct:
            data["guild_id"] = str(GUILD_ID)
        if reply_to is not None:
            data["message_reference"] = {"message_id": reply_to["id"], "channel_id": reply_to["channel_id"],
                                         "guild_id": reply_to.get("guild_id"), "type": 0}
            data["referenced_message"] = reply_to
        return data

    async def send_interaction(self, user_id: int, options: list[dict[str, Any]], *, locale: str = "en-US",
                               direct: bool = False, kind: int = 2, name: str = "presence",
                               resolved: dict[str, Any] | None = None) -> dict[str, Any]:
        """A slash command (kind 2) or autocomplete request (kind 4) arriving as INTERACTION_CREATE."""
        data: dict[str, Any] = {
            "id": str(self.snowflake()), "application_id": str(APP_ID), "type": kind,
            "token": f"token-{next(self._ids)}", "version": 1, "locale": locale,
            "attachment_size_limit": 8_000_000, "app_permissions": MEMBER_PERMISSIONS, "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)}, "context": 1 if direct else 0,
            "data": {"id": str(APP_ID + 1), "name": name, "type": 1, "options": options,
                     **({"resolved": resolved} if resolved else {})},
        }
        if direct:
            self._dm_channels.add(dm_channel_id(user_id))
            data["channel_id"] = str(dm_channel_id(user_id))
            data["channel"] = {"id": data["channel_id"], "type": 1, "recipients": [USERS[user_id]]}
            data["user"] = USERS[user_id]
        else:
            data["guild_id"] = str(GUILD_ID)
            data["guild_locale"] = self.guild_locale
            data["channel_id"] = str(CHANNEL_ID)
            data["channel"] = {"id": str(CHANNEL_ID), "type": 0, "name": "general", "guild_id": str(GUILD_ID),
                               "position": 0, "permission_overwrites": []}
            data["member"] = {**self.member(user_id), "permissions": MEMBER_PERMISSIONS}
        self.interactions.append(data)
        await self.dispatch("INTERACTION_CREATE", data)
        return data

    async def send_presence(self, user_id: int, status: str, client_status: dict[str, str],
                            *, activities: list[dict[str, Any]] | None = None) -> None:
        """A PRESENCE_UPDATE for a guild member (needs the presences intent on a real gateway)."""
        self.set_clients(user_id, client_status)
        await self.dispatch("PRESENCE_UPDATE", {
            "user": {"id": str(user_id)}, "guild_id": str(GUILD_ID), "status": status,
            "activities": activities or [], "client_status": client_status})

    def set_clients(self, user_id: int, client_status: dict[str, str]) -> None:
        """What Discord knows of a person's clients, changed without telling the bot (it may be away)."""
        if client_status:
            self.client_status[user_id] = client_status
        else:
            self.client_status.pop(user_id, None)

    async def edit_message(self, message: dict[str, Any], content: str, *, later_ms: int = 1_000,
                           embeds: list[dict[str, Any]] | None = None) -> None:
        """MESSAGE_UPDATE: the message with new content (or, unchanged, with an unfurled embed)."""
        edited = {**message, "content": content, "embeds": embeds or [],
                  "edited_timestamp": None if content == message["content"] else self._timestamp(-later_ms)}
        await self.dispatch("MESSAGE_UPDATE", edited)

    async def react(self, user_id: int, message: dict[str, Any], emoji: str = "👍", *, remove: bool = False) -> None:
        """MESSAGE_REACTION_ADD (with the member, in a guild) or MESSAGE_REACTION_REMOVE (without)."""
        data: dict[str, Any] = {"user_id": str(user_id), "channel_id": message["channel_id"],
                                "message_id": message["id"], "emoji": {"id": None, "name": emoji},
                                "burst": False, "type": 0}
        if "guild_id" in message:
            data["guild_id"] = message["guild_id"]
            if not remove:
                data["member"] = self.member(user_id)
                data["message_author_id"] = message["author"]["id"]
        await self.dispatch("MESSAGE_REACTION_REMOVE" if remove else "MESSAGE_REACTION_ADD", data)

    async def typing(self, user_id: int, channel_id: int = CHANNEL_ID) -> None:
        await self.dispatch("TYPING_START", {"channel_id": str(channel_id), "guild_id": str(GUILD_ID),
                                             "user_id": str(user_id), "timestamp": self.discord_ms() // 1000,
                                             "member": self.member(user_id)})

    async def remove_member(self, user_id: int) -> None:
        """GUILD_MEMBER_REMOVE: left or kicked (a real gateway sends it only with the members intent)."""
        await self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(GUILD_ID), "user": USERS[user_id]})

    async def ban(self, user_id: int) -> None:
        await self.dispatch("GUILD_BAN_ADD", {"guild_id": str(GUILD_ID), "user": USERS[user_id]})

    async def remove_bot(self) -> None:
        """GUILD_DELETE without ``unavailable``: the bot was removed from the server."""
        await self.dispatch("GUILD_DELETE", {"id": str(GUILD_ID)})

    def thread(self, thread_id: int = THREAD_ID, parent_id: int = CHANNEL_ID) -> dict[str, Any]:
        return {"id": str(thread_id), "type": 11, "name": "signals", "guild_id": str(GUILD_ID),
                "parent_id": str(parent_id), "owner_id": str(ALICE_ID), "message_count": 1, "member_count": 2,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                    "archive_timestamp": self._timestamp(), "locked": False}}

    async def create_thread(self, thread_id: int = THREAD_ID) -> None:
        self.threads.append(self.thread(thread_id))
        await self.dispatch("THREAD_CREATE", {**self.thread(thread_id), "newly_created": True})

    async def delete_thread(self, thread_id: int = THREAD_ID) -> None:
        await self.dispatch("THREAD_DELETE", {"id": str(thread_id), "guild_id": str(GUILD_ID),
                                              "parent_id": str(CHANNEL_ID), "type": 11})

    async def remove_from_thread(self, user_id: int, thread_id: int = THREAD_ID) -> None:
        await self.dispatch("THREAD_MEMBERS_UPDATE", {"id": str(thread_id), "guild_id": str(GUILD_ID),
                                                      "member_count": 1, "removed_member_ids": [str(user_id)]})

    async def delete_channel(self, channel_id: int = CHANNEL_ID) -> None:
        await self.dispatch("CHANNEL_DELETE", {"id": str(channel_id), "type": 0, "name": "general",
                                               "guild_id": str(GUILD_ID), "position": 0,
                                               "permission_overwrites": []})


def dm_channel_id(user_id: int) -> int:
    """The direct-message channel between the bot and a person, derived so tests can predict it."""
    return user_id + 1_000


def subcommand(name: str, /, *, group: str | None = None, focused: str | None = None,
               **options: Any) -> list[dict[str, Any]]:
    """Interaction options for ``/presence [group] <name> key:value …``; ``focused`` names the option being typed."""
    types = {bool: 5, int: 4, str: 3}
    inner = [{"name": key, "type": types.get(type(value), 3), "value": value, **({"focused": True} if key == focused else {})}
             for key, value in options.items()]
    command = [{"type": 1, "name": name, "options": inner}]
    return command if group is None else [{"type": 2, "name": group, "options": command}]


def user_subcommand(user_id: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``/presence user user:@someone``: the options and the resolved user Discord sends with them."""
    options = [{"type": 1, "name": "user", "options": [{"name": "user", "type": 6, "value": str(user_id)}]}]
    member = {k: v for k, v in FakeDiscord.member(user_id).items() if k != "user"}
    return options, {"users": {str(user_id): USERS[user_id]}, "members": {str(user_id): member}}
