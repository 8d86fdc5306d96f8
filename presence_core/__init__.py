"""presence_core: the platform-free presence domain (SPEC sections 4 and 5)."""

from presence_core.errors import (
    AlreadyLinked,
    InvalidLinkCode,
    LinkError,
    LinkRateLimited,
    LinkSameAccount,
    ConcurrentUpdate,
    InvalidArgument,
    InvalidStatus,
    PresenceError,
    StoreUnavailable,
    TextTooLong,
    UnknownDevice,
)
from presence_core.factory import create_presence_service, open_store
from presence_core.models import (
    ActivityEvent,
    ChannelPresence,
    DeviceInfo,
    OnlineUser,
    SyncStatus,
    Transition,
    UserStatus,
)
from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.status import Status

__all__ = [
    "AlreadyLinked", "InvalidLinkCode", "LinkError", "LinkRateLimited", "LinkSameAccount",
    "ActivityEvent", "ChannelPresence", "ConcurrentUpdate", "DeviceInfo", "InvalidArgument", "InvalidStatus",
    "OnlineUser", "Policy", "PresenceError", "PresenceService", "Status", "StoreUnavailable", "SyncStatus",
    "TextTooLong", "Transition", "UnknownDevice", "UserStatus", "create_presence_service", "open_store",
]
