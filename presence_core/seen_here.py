"""Who may see whom in a channel, for availability, pick, watches and autocomplete (SPEC section 7).

One function, so that the shared rule (``presence_core.visibility``, when it lands) replaces it in
one place. Until then the rule is membership: an account is visible in a channel when it was seen
there and has not left it (SPEC section 10); the viewer is vouched for by the caller (they asked
from that channel), and no viewer means a trusted caller (the operator's code).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presence_core.service import PresenceService


async def visible_in_channel(service: PresenceService, viewer_id: str | None, channel_id: str,
                             account_ids: Sequence[str], *, members: Collection[str] = ()) -> set[str]:
    """The accounts among ``account_ids`` that ``viewer_id`` may see in ``channel_id``.

    ``members``: accounts the caller already knows to be members there (from the channel's own
    indexes, which end with the membership), so they cost no further reads.
    """
    known = set(members)
    visible = {a for a in account_ids if a in known}
    for account in account_ids:
        if account not in known and any(m.channel_id == channel_id and m.account_id == account
                                         for m in await service.memberships(account)):
            visible.add(account)
    return visible
