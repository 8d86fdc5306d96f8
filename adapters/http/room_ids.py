"""The id a room shows each person by (SPEC sections 7 and 11).

An app room (``app:NAME``) is open to any token holder, who shares no chat with most of the people
there: showing them a person's account (``telegram:2``, ``discord:5…``) would hand them an identity
on a platform where they never met (a Discord id opens the profile), and one id that follows the
person from app room to app room. So an app room shows an opaque id instead: HMAC-SHA-256 of the
room and the account under a key, stable for the room, different in every other room, and not to be
reversed by trying every account id. A platform channel shows the account: only its members may
look, and they see each other's accounts there already.

Processes that serve the same rooms must share the key (``[http] room_id_key``) so a client sees
the same ids from each; without one, each app makes a random key of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from presence_core.rooms import is_app_room

PREFIX = "p_"
_KEY_BYTES = 32


class RoomIds:
    """``of(room, account)``: the id ``room`` shows ``account`` by."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(_KEY_BYTES)

    def of(self, room_id: str, account: str) -> str:
        if not is_app_room(room_id):
            return account
        digest = hmac.new(self._key, f"{room_id}\0{account}".encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        return PREFIX + base64.urlsafe_b64encode(digest[:15]).decode()
