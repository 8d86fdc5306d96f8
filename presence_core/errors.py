"""Errors raised by the presence API; every one carries a message fit for a developer."""

from __future__ import annotations


class PresenceError(Exception):
    """Base class of every error the presence API raises on purpose.

    The message is for developers (it may name API calls). ``code`` is stable and machine-readable:
    layers that speak to people (the bot's locale files, the HTTP API's error bodies) word the error
    from it and never show the message.
    """

    code = "refused"


class InvalidArgumentError(PresenceError, ValueError):
    """An argument is malformed or out of range."""

    code = "invalid"


class EmptyTextError(InvalidArgumentError):
    """A text that must say something is empty once spaces are removed (a custom status)."""

    code = "empty_text"

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(f"{what} must not be empty{hint}")
        self.what = what


class InvalidStatusError(InvalidArgumentError):
    code = "invalid_status"

    def __init__(self, value: object) -> None:
        super().__init__(f"unknown status {value!r}: expected one of online, away, dnd, offline")
        self.value = value


class TextTooLongError(InvalidArgumentError):
    code = "text_too_long"

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} is longer than {limit} characters")
        self.what = what
        self.limit = limit


class UnknownDeviceError(PresenceError, LookupError):
    def __init__(self, device_id: str) -> None:
        super().__init__(f"no device {device_id!r} for this person")
        self.device_id = device_id


class ConcurrentUpdateError(PresenceError):
    """A person's state kept changing under us; the update was not applied."""

    code = "concurrent_update"


class StoreUnavailableError(PresenceError):
    """The storage backend cannot be reached right now."""

    code = "unavailable"


class LinkError(PresenceError):
    """Linking accounts was refused."""


class InvalidLinkCodeError(LinkError):
    def __init__(self) -> None:
        super().__init__("the link code is unknown, already used or expired")


class LinkSameAccountError(LinkError):
    def __init__(self) -> None:
        super().__init__("the link code was made by this same account")


class AlreadyLinkedError(LinkError):
    def __init__(self) -> None:
        super().__init__("these accounts already belong to one person")


class LinkRateLimitedError(LinkError):
    def __init__(self, retry_at: int) -> None:
        super().__init__("too many link attempts from this account; try again later")
        self.retry_at = retry_at


class RoomForbiddenError(PresenceError):
    """The room is a platform channel the asker was not seen in (or has left): SPEC sections 7 and 11."""

    code = "room_forbidden"

    def __init__(self, room_id: str) -> None:
        super().__init__(f"room {room_id!r} is open only to people seen in that channel")
        self.room_id = room_id


class InvalidRoomIdError(InvalidArgumentError):
    """Not a room id (``presence_core.rooms.check_room_id``)."""

    code = "invalid_room_id"


class InvalidLocationError(InvalidArgumentError):
    """A room location too deep, too large, not JSON, or outside an app room (``presence_core.rooms``)."""

    code = "invalid_location"


class TokenError(PresenceError):
    """Making or revoking an API token was refused."""


class TokenExistsError(TokenError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a token called {name!r} already exists; revoke it first")
        self.name = name


class TooManyTokensError(TokenError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} tokens per person; revoke one first")
        self.limit = limit


class UnknownTokenError(TokenError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no token called {name!r}")
        self.name = name
class OverCapacityError(PresenceError):
    """Taking more work would pass the person's capacity (take it anyway with ``force``)."""

    def __init__(self, load: int, capacity: int | None) -> None:
        super().__init__(f"load {load} is at or near the capacity {capacity}: taking more needs force")
        self.load = load
        self.capacity = capacity


class TooManyWatchesError(PresenceError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} watches per person")
        self.limit = limit


class UnknownPersonError(PresenceError, LookupError):
    """Nobody by that id the caller may see: the same answer whether or not the bot knows them (SPEC 7)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"no person {user_id[:64]!r} seen here")
        self.user_id = user_id
