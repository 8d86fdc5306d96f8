"""presence_core: the platform-free presence domain (SPEC sections 4 and 5)."""

from presence_core.errors import (
    AlreadyLinkedError,
    InvalidLinkCodeError,
    LinkError,
    LinkRateLimitedError,
    LinkSameAccountError,
    ConcurrentUpdateError,
    EmptyTextError,
    InvalidArgumentError,
    InvalidStatusError,
    OverCapacityError,
    PresenceError,
    StoreUnavailableError,
    TextTooLongError,
    TooManyWatchesError,
    UnknownDeviceError,
    UnknownPersonError,
)
from presence_core.factory import create_presence_service, open_store
from presence_core.hours import UnknownTimeZoneError
from presence_core.models import (
    ActivityEvent,
    AvailabilityChange,
    AvailabilityInfo,
    AvailableUser,
    ChannelPresence,
    DeviceInfo,
    OnlineUser,
    SyncStatus,
    Transition,
    UserStatus,
    Watch,
    Workload,
)
from presence_core.policy import Policy
from presence_core.service import PresenceService
from presence_core.status import Status

__all__ = [
    "AlreadyLinkedError", "InvalidLinkCodeError", "LinkError", "LinkRateLimitedError", "LinkSameAccountError",
    "ActivityEvent", "ChannelPresence", "ConcurrentUpdateError", "DeviceInfo", "InvalidArgumentError", "InvalidStatusError",
    "OnlineUser", "Policy", "PresenceError", "PresenceService", "Status", "StoreUnavailableError", "SyncStatus",
    "TextTooLongError", "Transition", "UnknownDeviceError", "UserStatus", "create_presence_service", "open_store",
    "AvailabilityChange", "AvailabilityInfo", "AvailableUser", "OverCapacityError", "TooManyWatchesError",
    "UnknownPersonError", "UnknownTimeZoneError", "Watch", "Workload", "EmptyTextError",
]
