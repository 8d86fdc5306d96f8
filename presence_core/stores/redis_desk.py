"""Channel desks on Redis (SPEC section 12): who of a channel uses availability, and their cards.

Keys (``{S}`` the hash tag of the channel):

    P w:{S}<channel>   ZSET  the listing: accounts of people who use availability -> last seen there
                             (the record script keeps it with the channel's members, trimmed and
                             expiring the same way)
    P wc:{S}<channel>  HASH  the cards: account -> what ``available`` and ``pick`` read of its person,
                             kept by every script that writes a person hash (``redis_lua_desk``);
                             single Redis only

Reading a desk on a single Redis is one round trip of two plain commands, the listing since a time
and the cards (``HVALS``: a card names its account; ``HGETALL``'s reply, a map, costs the client
three times as much to read). The same bytes always make the same card, so each distinct card is
parsed once per process (``_card``): a desk of hundreds costs a dictionary lookup per person, and
sets off no garbage collection in Python. An account listed without a card
(listed before cards existed, split off by an unlink, or whose person was forgotten while a
message of theirs listed them again) is mended by a script: its card is written from its person,
or, when that person does not use availability (or is gone), the account leaves the listing; so
it costs one more round trip once, not on every read.

Measured (``bench/RESULTS-availability.md``): reading 500 people's hashes in one script cost about
14 µs of Redis time each; their cards, under 1 µs each, less as plain commands than through a
script (which pays to hand every value to Lua and back). On a cluster the cards would live in other
slots than the scripts that change people: there the listing is read, then the people.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import orjson

from presence_core import availability
from presence_core.models import AvailableUser, DeskView, Membership, PersonRecord
from presence_core.stores.redis_client import RedisClient
from presence_core.stores.redis_keys import Keys
from presence_core.stores.redis_lua import COMMON
from presence_core.stores.redis_lua_desk import CARD_TTL_MS, CARDS

if TYPE_CHECKING:
    from presence_core.stores.redis import RedisStore

# A listing touched outside the record script lives this long unless the script renews it.
DESK_TTL_MS = CARD_TTL_MS
CARD_CACHE = 8192  # parsed cards kept per process

# Mends listed accounts that have no card (single Redis: reaches alias and person keys of other slots):
# writes their cards from their people, or unlists those whose person does not use availability.
# ARGV: 3 channel, 4… accounts. Returns each one's card, or false when it was unlisted.
DESK_MEND = COMMON + CARDS + """
local wk, ck, out = key('w', ARGV[3]), key('wc', ARGV[3]), {}
for i = 4, #ARGV do
  local account = ARGV[i]
  local person = redis.call('GET', key('a', account)) or account
  local f = redis.call('HMGET', key('p', person), 'h', 'av', 'ld', 'ca', 'lp', 'sk', account == person and 'n' or 'n@' .. account)
  if uses_availability(f[1]) then
    out[i - 3] = desk_card(account, person, f[1], f[2], f[3], f[4], f[5], f[6], f[7])
    redis.call('HSET', ck, account, out[i - 3])
    redis.call('PEXPIRE', ck, @CARD_TTL@)
  else
    out[i - 3] = false
    redis.call('ZREM', wk, account)
  end
end
return out
""".replace("@CARD_TTL@", str(CARD_TTL_MS))

SCRIPTS = {"DESK_MEND": DESK_MEND}
WRITE_SCRIPTS = frozenset(SCRIPTS)


class Card(NamedTuple):
    """A card read (``redis_lua_desk``): the account as Redis names it, the person, whether announced
    available, when due (epoch ms), and the account as ``available`` lists it."""

    key: bytes
    person: str
    available: bool
    due: int | None
    user: AvailableUser


@lru_cache(maxsize=CARD_CACHE)
def _card(raw: bytes) -> Card:
    account, person, available, due, load, capacity, last_pick, skills, name = orjson.loads(b"[" + raw + b"]")
    return Card(account.encode(), person, available == 1, due,
                AvailableUser(account, name, load, capacity, tuple(skills), last_pick))


class Desks:
    """The desk operations of the store contract on Redis."""

    def __init__(self, store: RedisStore, redis: RedisClient, keys: Keys) -> None:
        self.store = store
        self.redis = redis
        self.keys = keys

    async def view(self, channel_id: str, since: int, now: int) -> DeskView:
        if self.redis.cluster:
            return availability.desk_view(await self.people(channel_id, since), now)
        listed, raw = await self.redis.read_lists([("ZREVRANGEBYSCORE", self.keys.of("w", channel_id), "+inf", since),
                                                   ("HVALS", self.keys.of("wc", channel_id))])
        cards = {card.key: card for card in map(_card, raw)}
        missing = [account for account in listed if account not in cards]
        if missing:
            mended = await self.redis.eval("DESK_MEND", [], channel_id, *missing)
            cards.update((card.key, card) for card in map(_card, filter(None, mended)))
        seen: set[str] = set()
        ready: list[AvailableUser] = []
        due: list[tuple[str, str]] = []
        for account in listed:
            card = cards.get(account)
            if card is None or card.person in seen:  # listed most recent first: each person under their latest account
                continue
            seen.add(card.person)
            if card.due is not None and card.due <= now:
                due.append((card.user.user_id, card.person))
            elif card.available:
                ready.append(card.user)
        records = await self.store.load([person for _, person in due]) if due else {}
        return DeskView(ready, [(account, records[person]) for account, person in due if person in records])

    async def people(self, channel_id: str, since: int) -> list[tuple[str, PersonRecord]]:
        """The listed people, whole, each once under their most recent account: a cluster's desk, and
        what the cards of a single Redis stand for."""
        accounts = [a.decode() for a in await self.redis.io(
            self.redis.raw.zrevrangebyscore(self.keys.of("w", channel_id), "+inf", since))]
        persons = await self.store.resolve(accounts)
        records = await self.store.load(list(dict.fromkeys(persons.values())))
        found: dict[str, tuple[str, PersonRecord]] = {}
        for account in accounts:
            record = records.get(persons[account])
            if record is not None and record.id not in found:
                found[record.id] = (account, record)
        return list(found.values())

    async def set_desk(self, memberships: Sequence[Membership], listed: bool) -> None:
        """Listings only: the cards follow the person hashes (``redis_lua_desk``); unlisting removes both."""
        if not memberships:
            return
        commands: list[list[object]] = []
        for m in memberships:
            key = self.keys.of("w", m.channel_id)
            if listed:
                commands += [["ZADD", key, "GT", m.last_seen, m.account_id], ["PEXPIRE", key, DESK_TTL_MS, "NX"]]
            else:
                commands += [["ZREM", key, m.account_id], ["HDEL", self.keys.of("wc", m.channel_id), m.account_id]]
        await self.redis.pipeline(commands)

    async def move_desk(self, old_id: str, new_id: str | None) -> None:
        """The listing moves (the later time wins) and so do the cards, unless a script already wrote
        the new channel's card from the person (newer than the one moved)."""
        old, old_cards = self.keys.of("w", old_id), self.keys.of("wc", old_id)
        pipe = self.redis.raw.pipeline(transaction=False)
        pipe.zrange(old, 0, -1, withscores=True)
        pipe.hgetall(old_cards)
        members, cards = await self.redis.io(pipe.execute())
        commands: list[list[object]] = []
        if new_id is not None:
            new, new_cards = self.keys.of("w", new_id), self.keys.of("wc", new_id)
            listed = dict(members)
            if listed:
                commands += [["ZADD", new, "GT", *(x for m, ts in listed.items() for x in (ts, m))],
                             ["PEXPIRE", new, DESK_TTL_MS, "NX"]]
            commands += [["HSETNX", new_cards, account, card] for account, card in cards.items()]
            if cards:
                commands.append(["PEXPIRE", new_cards, CARD_TTL_MS])
        commands += [["DEL", old], ["DEL", old_cards]]
        await self.redis.pipeline(commands)

    def forget_commands(self, memberships: Sequence[Membership]) -> list[list[object]]:
        """Commands that take these memberships off their desks (listing and card)."""
        return [command for m in memberships
                for command in (["ZREM", self.keys.of("w", m.channel_id), m.account_id],
                                ["HDEL", self.keys.of("wc", m.channel_id), m.account_id])]
