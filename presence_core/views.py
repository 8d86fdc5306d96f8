"""Read views of a stored person: what the person themself and what others may see."""

from __future__ import annotations

from presence_core import rules
from presence_core.models import DeviceInfo, PersonRecord, UserStatus
from presence_core.policy import Policy
from presence_core.status import Status


# An API token's device: ``<owner account>/api/<token name>`` (presence_core.tokens).
API_DEVICE = "/api/"


def device_name(device_id: str) -> str:
    """A short readable name: ``telegram:42`` -> ``telegram``, ``discord:1/mobile`` -> ``discord mobile``,
    ``telegram:42/api/laptop`` -> ``api laptop``."""
    platform, sep, rest = device_id.partition(":")
    if not sep or not platform:
        return device_id
    _, api, token_name = rest.partition(API_DEVICE)
    if api and token_name:
        return f"api {token_name}"
    _, slash, client = rest.rpartition("/")
    return f"{platform} {client}" if slash and client else platform


def self_view(record: PersonRecord | None, user_id: str, now: int, policy: Policy) -> UserStatus:
    """A person's view of themself: the whole truth (what others see: ``visibility.public_view``)."""
    if record is None:
        return UserStatus(user_id, Status.OFFLINE)
    custom = rules.custom_status(record, now)
    manual = rules.manual_status(record, now)
    active = rules.active_device(record)
    return UserStatus(
        user_id, rules.true_status(record, now, policy), custom, record.custom_expires if custom else None,
        record.last_seen, active.id if active else None, len(record.devices), record.names.get(user_id),
        manual is not None, record.manual_expires if manual else None,
        invisible=manual is Status.OFFLINE, tracking=record.tracking,
    )


def device_names(record: PersonRecord) -> dict[str, str]:
    """Every device's name, unique within the person and typeable (SPEC section 6).

    A device is named by its platform (and client): ``telegram``, ``discord desktop``. Where two
    devices would share a name, each says whose account it is: ``console alice``, ``console you``,
    ``telegram 42 mobile`` (the account's username, else its own id on the platform).
    """
    plain = {d: device_name(d) for d in record.devices}
    for account in record.accounts:
        plain.setdefault(account, device_name(account))
    taken: dict[str, int] = {}
    for name in plain.values():
        taken[name] = taken.get(name, 0) + 1
    names = {}
    for device_id, name in plain.items():
        names[device_id] = name if taken[name] == 1 else _qualified(record, device_id)
    return names


def _qualified(record: PersonRecord, device_id: str) -> str:
    platform, _, rest = device_id.partition(":")
    account_part, slash, client = rest.partition("/")
    account = f"{platform}:{account_part}"
    label = "".join((record.usernames.get(account) or account_part).split()) or account_part
    return " ".join(p for p in (platform, label, client if slash else "") if p)


def devices_view(record: PersonRecord | None, now: int, policy: Policy) -> list[DeviceInfo]:
    """The person's own devices, the active one first, then most recently seen."""
    if record is None:
        return []
    active = rules.active_device(record)
    manual = rules.manual_status(record, now)
    names = device_names(record)
    infos = [
        DeviceInfo(d.id, names[d.id], manual or rules.device_status(d, now, policy), d.last_seen,
                   d is active, rules.is_stale(d, now, policy), rules.is_synced(record, d, now, policy))
        for d in record.devices.values()
    ]
    return sorted(infos, key=lambda d: (not d.is_active, -(d.last_seen or 0), d.id))
