"""API tokens (SPEC section 11): a bearer token acts as one device of the account that made it.

A token is ``prs_`` and 43 URL-safe characters from ``secrets`` (256 bits); only its SHA-256 is
stored, so a leaked store gives no usable token, and a fast hash is enough for a random secret
that long. Each token has a name, unique among its person's tokens, case-insensitive, and is the
device ``<owner account>/api/<name>`` (shown as ``api <name>``). Tokens belong to the account
that made them, so linking and unlinking accounts never moves them; a person lists and revokes
the tokens of all their accounts, and ``forget`` erases them all.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from presence_core.arguments import require_str
from presence_core.errors import InvalidArgumentError, TokenExistsError, TooManyTokensError, UnknownTokenError
from presence_core.models import TokenInfo, TokenRecord, TokensRevoked
from presence_core.policy import MINUTE_MS
from presence_core.token_cache import TokenCache
from presence_core.views import API_DEVICE

if TYPE_CHECKING:
    from presence_core.service import PresenceService

PREFIX = "prs_"
_SECRET_BYTES = 32
_TOKEN = re.compile(r"prs_[A-Za-z0-9_-]{43}")
NAME_MAX_LEN = 32
# Letters and digits of any script, "_", "." and "-": typed in a command, shown as a device name.
_NAME = re.compile(r"[\w.-]+")
MAX_PER_PERSON = 20
# "Last used" is written at most once a minute per token: a heartbeat is not a write of its own.
LAST_USE_PRECISION_MS = MINUTE_MS


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(text: object) -> bool:
    """The shape of a token, checked before any store lookup (anything but a string has none)."""
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


def holds_token(text: str) -> bool:
    """Whether a whole token appears anywhere in ``text``."""
    return _TOKEN.search(text) is not None


def check_name(name: object) -> str:
    """A token name, lower-cased. Raises ``InvalidArgumentError`` naming what is allowed."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > NAME_MAX_LEN:
        raise InvalidArgumentError(f"a token name is 1 to {NAME_MAX_LEN} letters, digits, '_', '.' or '-'")
    return name.lower()


def device_id(owner: str, name: str) -> str:
    return f"{owner}{API_DEVICE}{name}"


@dataclass(frozen=True, slots=True)
class ApiDevice:
    """Who a request comes from: the account that made the token and the device the token is."""

    owner: str
    name: str
    device_id: str
    token_hash: str


class Tokens:
    """The service's token concern; every method is one to three store calls, except ``authenticate``,
    which usually needs none (``presence_core.token_cache``)."""

    def __init__(self, service: PresenceService) -> None:
        self._service = service
        self._cache = TokenCache(lambda: service.clock())
        service.events.on("tokens_revoked", self._cache.drop)

    async def _all(self, user_id: str) -> list[TokenRecord]:
        """The tokens of every account of the person ``user_id`` belongs to, oldest first."""
        accounts = await self._service.linked_accounts(user_id)
        return sorted(await self._service.store.tokens(accounts), key=lambda t: (t.created_at, t.name))

    async def create(self, user_id: str, name: str) -> str:
        """A new token called ``name`` for the account; the token itself is returned once, never stored.

        Raises ``InvalidArgumentError`` for a bad name, ``TokenExistsError`` when the person already
        has a token of that name, ``TooManyTokensError`` past 20 tokens.
        """
        name = check_name(name)
        existing = await self._all(user_id)
        if any(t.name == name for t in existing):
            raise TokenExistsError(name)
        if len(existing) >= MAX_PER_PERSON:
            raise TooManyTokensError(MAX_PER_PERSON)
        token = new_token()
        record = TokenRecord(hash_token(token), user_id, name, self._service.clock())
        if not await self._service.store.add_token(record):
            raise TokenExistsError(name)
        return token

    async def list(self, user_id: str) -> list[TokenInfo]:
        return [TokenInfo(t.name, t.created_at, t.last_used) for t in await self._all(user_id)]

    async def revoke(self, user_id: str, name: str) -> None:
        """The token stops working at once and its device leaves every room.

        Raises ``UnknownTokenError`` when the person has no token of that name.
        """
        wanted = require_str(name, "name").lower()
        found = next((t for t in await self._all(user_id) if t.name == wanted), None)
        if found is None or not await self._service.store.revoke_token(found.owner, found.name):
            raise UnknownTokenError(name)
        await self.revoked([found.hash])
        await self._service.rooms.leave(found.owner, device_id(found.owner, found.name))

    async def hashes(self, accounts: Sequence[str]) -> list[str]:
        """The hashes of every token these accounts made."""
        return [t.hash for t in await self._service.store.tokens(accounts)]

    async def revoked(self, token_hashes: Sequence[str]) -> None:
        """Tell every process sharing the store (this one included) that these tokens stopped working."""
        if token_hashes:
            await self._service._publish([TokensRevoked(tuple(token_hashes), self._service.clock())])

    async def is_live(self, token_hash: str) -> bool:
        """Whether the token with this hash still works (a live feed asks again every interval)."""
        return await self._service.store.find_token(token_hash) is not None

    async def authenticate(self, token: str) -> ApiDevice | None:
        """The device a token acts as, or None for anything that is not a live token."""
        if not looks_like_token(token):
            return None
        digest = hash_token(token)
        found = self._cache.get(digest)
        if found is None:
            epoch = self._cache.epoch
            found = await self._service.store.find_token(digest)
            if found is None:
                return None
            self._cache.put(found, epoch)
        now = self._service.clock()
        if found.last_used is None or now - found.last_used >= LAST_USE_PRECISION_MS:
            await self._service.store.touch_token(digest, now)
            self._cache.used(digest, now)
        return ApiDevice(found.owner, found.name, device_id(found.owner, found.name), digest)
