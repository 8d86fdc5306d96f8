"""Link, unlink and forget on Redis: the changes that span several people, hence several hash tags.

Each runs as ordered steps after the compare-and-set that decides it; every step touches one slot.
A message racing a link may count for the old person. Alias changes are announced to every
process with the change itself (``RedisStore.point``), so none keeps a stale cached account -> person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from presence_core.models import PersonRecord
from presence_core.stores import redis_codec as codec
from presence_core.stores.redis_keys import hash_tag

if TYPE_CHECKING:
    from presence_core.stores.redis import RedisStore


@dataclass(frozen=True, slots=True)
class Taken:
    """What was left of a person taken out of Redis (merge, forget)."""

    fields: dict[bytes, bytes]
    entries: list[bytes]  # the whole log, oldest first (LIST, then the entries kept in the hash)
    log_ttl_ms: int
    log_expires: str  # when the first entry outlives the age cap ('' without a log)


class Links:
    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.redis = store.redis
        self.keys = store.keys

    async def take(self, person_id: str) -> Taken:
        """Deletes the person's hash, log and due entry; returns what was in them."""
        keys = [self.keys.person(person_id), self.keys.log(person_id), self.keys.due(hash_tag(person_id))]
        flat, listed, ttl = await self.redis.eval("TAKE", keys, person_id)
        fields = codec.pairs(flat)
        inline, _, expires = codec.log_meta(fields)
        entries = list(listed) + [fields[b"L%d" % i] for i in range(1, inline + 1)]
        return Taken(fields, entries, int(ttl), expires)

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        """CAS on ``into``; then the absorbed accounts point at it; then the absorbed person is taken
        out atomically (a message that raced the link is in its log) and its log and memberships move."""
        absorbed = (await self.store.load([absorbed_id])).get(absorbed_id)
        if not await self.store.save(into, expected_version):
            return False
        accounts = absorbed.accounts if absorbed else [absorbed_id]
        await self.store.point(accounts, into.id)
        taken = await self.take(absorbed_id)
        if taken.entries:
            entries = [codec.encode_entry(codec.decode_entry(e, absorbed_id), into.id) for e in taken.entries]
            await self.redis.eval("MERGE_LOG", [self.keys.person(into.id), self.keys.log(into.id)],
                                  taken.log_ttl_ms, taken.log_expires, *entries)
        moved = [x for m in codec.memberships(absorbed_id, taken.fields)
                 for x in (codec.member_field(m.account_id, into.id, m.channel_id), m.last_seen)]
        if moved:  # they stay the accounts' own: the person who has them changes
            await self.redis.eval("PUT_MEMBERS", [self.keys.person(into.id)], *moved)
        return True

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        """CAS on ``record``; the split-off account gets its own record before its link goes, so its
        messages never fall between the two; then its memberships follow it."""
        if not await self.store.save(record, expected_version):
            return False
        split_off.version = await self.store.write(split_off, "", ())
        await self.store.point([split_off.id], None)
        prefix = codec.member_field(split_off.id, record.id, "")
        taken = await self.redis.eval("TAKE_MEMBERS", [self.keys.person(record.id)], prefix)
        moved = [x for channel, ts in zip(taken[::2], taken[1::2])
                 for x in (codec.member_field(split_off.id, split_off.id, channel.decode()), ts)]
        if moved:
            await self.redis.eval("PUT_MEMBERS", [self.keys.person(split_off.id)], *moved)
        return True

    async def forget(self, person_id: str, *, do_not_track: bool) -> None:
        record = (await self.store.load([person_id])).get(person_id)
        accounts = record.accounts if record else [person_id]
        taken = await self.take(person_id)
        issued = await self.redis.pipeline([["SMEMBERS", self.keys.codes_issued(a)] for a in accounts])
        commands: list[list[object]] = [["ZREM", self.keys.channel(m.channel_id), m.account_id]
                                        for m in codec.memberships(person_id, taken.fields)]
        for account in accounts:
            commands.append(["DEL", self.keys.codes_issued(account)])
            if do_not_track:
                commands.append(["SET", self.keys.marker(account), "1"])
            else:
                commands.append(["DEL", self.keys.marker(account)])
        commands += [["DEL", self.keys.code(code.decode())] for codes in issued for code in codes]
        await self.redis.pipeline(commands)
        await self.store.tokens_.forget(accounts)
        await self.store.point(accounts, None)
