"""What a viewer may see of a person: the one rule of SPEC section 7, for every read path.

A ``Viewer`` says who asks and from where; ``Visibility`` answers for accounts and channels:

- no viewer (``None``): a trusted caller (the operator's own code) sees the truth;
- the person themself sees everything (``views.self_view``): the asking account always, their
  other linked accounts only where no one else listens (a direct chat, an API), so that asking in
  a group about one's own other account reveals neither the link nor an invisible status;
- asked **in a channel** (``Viewer(user_id, channel_id)``): an account is visible when it was
  seen in that channel and has not left it (its membership, SPEC section 10);
- asked **in a direct chat**, over the HTTP API or through the Python API's ``viewer_id``
  (``Viewer(user_id)``): an account is visible when it shares at least one channel with any
  account of the viewer;
- anyone else gets exactly the view of a person the bot never saw (``unseen``), so the answer
  does not even tell whether they use the bot. To keep timing from telling either, every
  question does the same store work whatever the answer.

Visibility is by *account*, not person: a link never makes one account visible where only
another account of the same person was seen (SPEC section 6). A visible person shows as
``public_view`` describes: invisible and untracked people offline, and a person whose privacy is
``nobody`` without last seen or custom status. A viewer whose own privacy is ``nobody`` sees
others' last seen only coarsely (``UserStatus.last_seen_coarse``), as in Telegram.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from presence_core import availability, rules
from presence_core.errors import InvalidArgumentError
from presence_core.models import (
    PRIVACY_NOBODY,
    ChannelPresence,
    Membership,
    OnlineUser,
    PersonRecord,
    UserStatus,
)
from presence_core.policy import Policy
from presence_core.status import LISTING_RANK, Status
from presence_core.stores.base import Store
from presence_core.views import self_view

Clock = Callable[[], int]
# How many people of one channel a name is looked up among, and how many of the viewer's channels
# a direct chat looks in: a lookup costs the same whoever is asked about.
FIND_SCAN_LIMIT = 500
FIND_CHANNELS_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks (an account; None: anyone in ``channel_id``), and the channel asked from.

    ``channel_id`` None means a place shared with nobody else (a direct chat, the HTTP API, the
    Python API's ``viewer_id``); the caller vouches that the viewer is in ``channel_id`` when given.
    """

    user_id: str | None
    channel_id: str | None = None

    def __post_init__(self) -> None:
        if self.user_id is None and self.channel_id is None:
            raise InvalidArgumentError("a viewer needs an account or a channel (no viewer at all: pass None)")


@dataclass(frozen=True, slots=True)
class Found:
    """What a name matched among the people the viewer may see: exactly one account, or how many."""

    account: str | None
    count: int


def unseen(user_id: str) -> UserStatus:
    """The view of a person the bot never saw; also what anyone gets who may not see someone."""
    return UserStatus(user_id, Status.OFFLINE)


def public_view(record: PersonRecord, user_id: str, now: int, policy: Policy, *, coarse: bool = False) -> UserStatus:
    """What someone allowed to see the person sees, under account ``user_id``'s name.

    Invisible and untracked people are offline, with the last seen and custom status of when
    they hid; privacy ``nobody`` hides last seen and custom status. ``coarse``: the viewer hides
    their own last seen, so they may see others' only coarsely.
    """
    status = rules.public_status(record, now, policy)
    hidden = status is Status.OFFLINE
    manual = rules.manual_status(record, now)
    active = rules.active_device(record)
    private = record.privacy == PRIVACY_NOBODY
    custom = None if private else rules.public_custom_status(record, now)
    if custom is None:
        custom_expires = None
    else:
        custom_expires = record.custom_shown_expires if rules.is_hidden(record, now) else record.custom_expires
    return UserStatus(
        user_id, status, custom, custom_expires,
        None if private else rules.public_last_seen(record, now),
        None if hidden or active is None else active.id,
        0 if hidden else len(record.devices), record.names.get(user_id),
        manual is not None and not hidden, record.manual_expires if manual and not hidden else None,
        last_seen_coarse=coarse,
    )


def shares_place(account: str, memberships: Sequence[Membership], channel_id: str | None,
                 viewer_channels: frozenset[str]) -> bool:
    """The rule itself: ``account``'s live memberships against the channel asked from, or else
    against the channels of the viewer (a direct chat)."""
    mine = {m.channel_id for m in memberships if m.account_id == account}
    return channel_id in mine if channel_id is not None else not mine.isdisjoint(viewer_channels)


class Visibility:
    """Answers every read path's question "what may this viewer see?" over one store."""

    def __init__(self, store: Store, policy: Policy, clock: Clock) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    async def _memberships(self, person_ids: Sequence[str]) -> dict[str, list[Membership]]:
        return await self.store.memberships_of(person_ids, self.clock() - self.policy.membership_ttl_ms)

    async def statuses(self, viewer: Viewer | None, user_ids: Sequence[str]) -> dict[str, UserStatus]:
        """Each account's status as ``viewer`` may see it: what others see for a trusted caller
        (None), the whole truth for the person themself, ``unseen`` for whoever shares no place."""
        return {u: view for u, (view, _) in (await self._scope(viewer, user_ids)).items()}

    async def visible(self, viewer: Viewer | None, user_ids: Sequence[str]) -> set[str]:
        """The accounts among ``user_ids`` that ``viewer`` may see at all (the viewer's own included),
        for read paths that choose among people (available, pick, watches, autocomplete)."""
        return {u for u, (_, seen) in (await self._scope(viewer, user_ids)).items() if seen}

    async def _scope(self, viewer: Viewer | None, user_ids: Sequence[str]) -> dict[str, tuple[UserStatus, bool]]:
        """Each account's view and whether the viewer may see the person at all."""
        ids = list(dict.fromkeys(user_ids))
        viewer_ids = [viewer.user_id] if viewer is not None and viewer.user_id is not None else []
        persons = await self.store.resolve([*ids, *viewer_ids])
        viewer_person = persons[viewer_ids[0]] if viewer_ids else None
        person_ids = list(dict.fromkeys([*(persons[u] for u in ids), *([viewer_person] if viewer_person else [])]))
        records = await self.store.load(person_ids)
        now = self.clock()
        if viewer is None:
            return {u: self._seen(records.get(persons[u]), u, now) for u in ids}
        # The same store work whoever is asked about, and whatever the answer.
        memberships = await self._memberships(person_ids)
        viewer_record = records.get(viewer_person) if viewer_person else None
        if viewer_person is not None and viewer_record is None and viewer_person in (persons[u] for u in ids):
            # Forgotten with tracking off: the person themself sees that tracking is still off.
            if await self.store.do_not_track([viewer_person]):
                records[viewer_person] = PersonRecord(viewer_person, tracking=False)
        viewer_channels = frozenset(m.channel_id for m in memberships.get(viewer_person or "", ()))
        coarse = viewer_record is not None and viewer_record.privacy == PRIVACY_NOBODY
        out: dict[str, tuple[UserStatus, bool]] = {}
        for u in ids:
            record = records.get(persons[u])
            if u == viewer.user_id or (persons[u] == viewer_person and viewer.channel_id is None):
                out[u] = self_view(record, u, now, self.policy), True
            elif record is not None and shares_place(u, memberships[persons[u]], viewer.channel_id, viewer_channels):
                out[u] = public_view(record, u, now, self.policy, coarse=coarse), True
            else:
                out[u] = unseen(u), False
        return out

    async def in_channel(self, viewer_id: str | None, channel_id: str, user_ids: Sequence[str], *,
                         members: Collection[str] = ()) -> set[str]:
        """The accounts among ``user_ids`` that ``viewer_id`` (None: anyone there) may see asked from
        ``channel_id``, for read paths that choose among people (available, pick, watches).

        ``members``: accounts the channel's own membership index just listed; the rule in a channel is
        membership, so they are admitted without further reads.
        """
        known = set(members)
        rest = [u for u in user_ids if u not in known]
        seen = await self.visible(Viewer(viewer_id, channel_id), rest) if rest else set()
        return {u for u in user_ids if u in known} | seen

    def _seen(self, record: PersonRecord | None, user_id: str, now: int) -> tuple[UserStatus, bool]:
        """A trusted caller's view: what others see of the person, wherever they are."""
        return (unseen(user_id), False) if record is None else (public_view(record, user_id, now, self.policy), True)

    async def channel(self, viewer: Viewer | None, channel_id: str, limit: int) -> ChannelPresence:
        """``who``: people seen in the channel who have not left it, best status first, each under the
        account seen there; invisible and untracked people never, ``nobody`` without custom status."""
        now = self.clock()
        members, total = await self.store.channel_people(channel_id, now - self.policy.channel_window_ms, limit)
        coarse = False
        if viewer is not None and viewer.user_id is not None:
            viewer_person = (await self.store.resolve([viewer.user_id]))[viewer.user_id]
            viewer_record = (await self.store.load([viewer_person])).get(viewer_person)
            coarse = viewer_record is not None and viewer_record.privacy == PRIVACY_NOBODY
        users = []
        for account, record in members:
            view = public_view(record, account, now, self.policy, coarse=coarse)
            if view.status is not Status.OFFLINE:
                users.append(OnlineUser(account, view.name, view.status, view.last_seen, view.custom_status,
                                        last_seen_coarse=coarse, load=record.load, capacity=record.capacity,
                                        off_hours=not availability.within_hours(record, now)))
        users.sort(key=lambda u: (LISTING_RANK[u.status], -(u.last_seen or 0)))
        # The store read the first ``limit`` accounts: the rest are the ones not looked at. Counting
        # listed people instead would count a linked person's second account as someone more.
        return ChannelPresence(tuple(users), max(0, total - limit))

    async def find(self, viewer: Viewer, name: str, *, usernames_only: bool) -> Found:
        """The account a typed name stands for, among the people ``viewer`` may see.

        In a channel, its members; in a direct chat, the members of the viewer's channels.
        ``@x`` (``usernames_only``) matches usernames only, never display names, which anyone can
        choose; a bare name matches either. Case-insensitive; a leading ``@`` is ignored.
        """
        wanted = name.strip().removeprefix("@").casefold()
        since = self.clock() - self.policy.membership_ttl_ms
        if viewer.channel_id is not None:
            channels = [viewer.channel_id]
        elif viewer.user_id is not None:
            person = (await self.store.resolve([viewer.user_id]))[viewer.user_id]
            own = await self.store.memberships(person, since)
            channels = [m.channel_id for m in sorted(own, key=lambda m: -m.last_seen)][:FIND_CHANNELS_LIMIT]
        else:
            channels = []
        listed = await asyncio.gather(*(self.store.channel_people(c, since, FIND_SCAN_LIMIT) for c in channels))
        found: set[str] = set()
        for members, _ in listed:
            for account, record in members:
                known = [record.usernames.get(account)]
                if not usernames_only:
                    known.append(record.names.get(account))
                if any(n is not None and n.casefold() == wanted for n in known):
                    found.add(account)
        return Found(next(iter(found)) if len(found) == 1 else None, len(found))
