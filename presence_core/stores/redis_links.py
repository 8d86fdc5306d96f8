"""Link, unlink and forget on Redis: the changes that span several people, hence several slots.

Each is a journal entry and ordered steps (``redis_journal``), so that a crash at any step is
finished by the next start or sweep of any process: a link is then whole, an erase complete.

- link, ``m:<absorbed>`` in the slot of the person who stays, written with its compare-and-set:
  1 the absorbed accounts point at that person; 2 the absorbed hash and log move aside; 3 their log
  entries and memberships join the person's (recorded in the same script); 4 what moved aside goes.
- unlink, ``s:<account>`` in the person's slot, written with its compare-and-set and holding the
  account's own record: 1 that record is created (unless it exists); 2 the account's alias goes;
  3 its memberships leave the person's hash into the entry (same script); 4 they join its record.
- forget, ``f:<person>`` in their slot, written first: 1 desks and watches; 2 the hash, log and due
  entry go, the entry keeping their memberships and every account (same script); 3 channel
  memberships, link codes, do-not-track markers, API tokens; 4 the accounts' links go and the
  person leaving their rooms is announced; 5 after ``GRACE_S``, so that every process has heard
  those announcements, every event stream entry naming any of their accounts goes (SPEC section 7).

Alias changes are announced to every process with the change itself (the ``ALIAS`` script), so none
keeps a stale cached account -> person. A message racing a link by a few milliseconds may count for
the old person.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from presence_core.errors import StoreUnavailableError
from presence_core.events import from_wire
from presence_core.models import Event, PersonRecord
from presence_core.stores import redis_codec as codec
from presence_core.stores.redis_events import EventFeed
from presence_core.stores.redis_journal import Entry, Journal, Step
from presence_core.stores.redis_keys import all_tags, hash_tag

if TYPE_CHECKING:
    from presence_core.stores.redis import RedisStore

GRACE_S = 5.0  # how long the events announcing a forget stay readable before they are erased
CLOCK_SKEW_MS = 1_000  # how far the clocks of a cluster's nodes may differ (stream ids are their times)
BUSY_RETRIES = 20
BUSY_WAIT_S = 0.25


class Links:
    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.redis = store.redis
        self.keys = store.keys
        self.steps: dict[str, Sequence[Step]] = {
            "m": (self._merge_point, self._merge_stash, self._merge_apply, self._merge_unstash),
            "s": (self._split_create, self._split_unpoint, self._split_take_members, self._split_put_members),
            "f": (self._forget_availability, self._forget_take, self._forget_records, self._forget_announce,
                  self._forget_scrub),
        }
        self.journal = Journal(store.redis, store.keys, store.instance, self.steps)

    async def _point(self, accounts: Sequence[str], person_id: str | None, expected: str = "") -> bool:
        """These accounts now belong to ``person_id`` (None: to themselves, where they belonged to
        ``expected``); every process is told with the change, this one at once. True if any changed."""
        if not accounts:
            return False
        self.store.evict(accounts)
        changed = await self.redis.eval_many([("ALIAS", [self.keys.alias(a)], (a, person_id or "", expected))
                                              for a in accounts])
        return any(changed)

    async def _begin_with_save(self, record: PersonRecord, expected_version: int, entry: Entry) -> bool:
        """The compare-and-set that decides a link or unlink, writing its journal entry; then its steps."""
        version = await self.store.write(record, str(expected_version), (), entry)
        if version < 0:  # the same change, unfinished: finish it, and let the caller load again
            await self.journal.finish(entry)
            return False
        if not version:
            return False
        record.version = version
        await self.journal.run(entry)
        return True

    # link ------------------------------------------------------------------------------------------

    def _aside(self, absorbed_id: str) -> tuple[str, str]:
        return self.keys.of("xp", absorbed_id), self.keys.of("xl", absorbed_id)

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        absorbed = (await self.store.load([absorbed_id])).get(absorbed_id)
        data = {"k": "m", "p": into.id, "x": absorbed_id, "a": absorbed.accounts if absorbed else [absorbed_id]}
        return await self._begin_with_save(into, expected_version,
                                           self.journal.new(hash_tag(into.id), f"m:{absorbed_id}", data))

    async def _merge_point(self, entry: Entry) -> None:
        await self._point(entry.data["a"], entry.data["p"])

    async def _merge_stash(self, entry: Entry) -> None:
        absorbed = entry.data["x"]
        await self.redis.eval("MERGE_STASH", [self.keys.person(absorbed), self.keys.log(absorbed),
                                              self.keys.due(hash_tag(absorbed)), *self._aside(absorbed)], absorbed)

    async def _merge_apply(self, entry: Entry) -> None:
        """The absorbed log entries (a racing message's too) and memberships join the person's."""
        absorbed, into = entry.data["x"], entry.data["p"]
        stash, stash_log = self._aside(absorbed)
        fields, listed, ttl = await self.redis.pipeline([["HGETALL", stash], ["LRANGE", stash_log, 0, -1],
                                                         ["PTTL", stash_log]])
        inline, _, expires = codec.log_meta(fields)
        entries = [codec.encode_entry(codec.decode_entry(e, absorbed), into)
                   for e in [*listed, *(fields[b"L%d" % i] for i in range(1, inline + 1))]]
        moved = [x for m in codec.memberships(absorbed, fields)  # they stay the accounts' own
                 for x in (codec.member_field(m.account_id, into, m.channel_id), m.last_seen)]
        await self.journal.step(entry, "MERGE_APPLY_STEP", [self.keys.person(into), self.keys.log(into)],
                                int(ttl), expires, len(entries), *entries, *moved)

    async def _merge_unstash(self, entry: Entry) -> None:
        await self.redis.pipeline([["DEL", *self._aside(entry.data["x"])]])

    # unlink ----------------------------------------------------------------------------------------

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        """The split-off account gets its own record before its link goes, so its messages never fall
        between the two; then its memberships follow it."""
        own = {"due": split_off.due, "tail": codec.hot_tail(split_off), "fields": codec.encode(split_off)}
        data = {"k": "s", "p": record.id, "x": split_off.id, "r": json.dumps(own, ensure_ascii=False)}
        if not await self._begin_with_save(record, expected_version,
                                           self.journal.new(hash_tag(record.id), f"s:{split_off.id}", data)):
            return False
        split_off.version = 1
        return True

    async def _split_create(self, entry: Entry) -> None:
        own = json.loads(entry.data["r"])
        await self.store.write_fields(entry.data["x"], "new", own["due"], "", own["tail"], own["fields"])

    async def _split_unpoint(self, entry: Entry) -> None:
        await self._point([entry.data["x"]], None, entry.data["p"])

    async def _split_take_members(self, entry: Entry) -> None:
        await self.journal.step(entry, "TAKE_MEMBERS_STEP", [self.keys.person(entry.data["p"])],
                                codec.member_field(entry.data["x"], entry.data["p"], ""))

    async def _split_put_members(self, entry: Entry) -> None:
        account = entry.data["x"]
        moved = [x for channel, ts in entry.data.get("m", {}).items()
                 for x in (codec.member_field(account, account, channel), ts)]
        if moved:
            await self.redis.eval("PUT_MEMBERS", [self.keys.person(account)], *moved)

    # forget ----------------------------------------------------------------------------------------

    async def forget(self, person_id: str, *, do_not_track: bool, events: Sequence[Event]) -> None:
        """Erases the person; when a forget of theirs is unfinished, that one is finished first (or, while
        another process finishes it, waited for: ``StoreUnavailableError`` if that takes too long)."""
        record = (await self.store.load([person_id])).get(person_id)
        data = {"k": "f", "p": person_id, "a": record.accounts if record else [person_id], "d": do_not_track,
                "ev": EventFeed.wire(events)}
        entry = self.journal.new(hash_tag(person_id), f"f:{person_id}", data)
        for _ in range(BUSY_RETRIES):
            found = await self.journal.begin(entry)
            if found is None:
                await self.journal.run(entry)
                return
            if not await self.journal.finish(found):
                await asyncio.sleep(BUSY_WAIT_S)
        raise StoreUnavailableError("Redis store: another process is still erasing this person; try again")

    async def _forget_availability(self, entry: Entry) -> None:
        await self.store.availability.forget(entry.data["p"], entry.data["a"])

    async def _forget_take(self, entry: Entry) -> None:
        person = entry.data["p"]
        await self.journal.step(entry, "FORGET_TAKE_STEP", [self.keys.person(person), self.keys.log(person),
                                                            self.keys.due(hash_tag(person))], person)

    async def _forget_records(self, entry: Entry) -> None:
        person, accounts = entry.data["p"], entry.data["a"]
        fields = {field.encode(): str(ts).encode() for field, ts in entry.data.get("m", {}).items()}
        issued = await self.redis.pipeline([["SMEMBERS", self.keys.codes_issued(a)] for a in accounts])
        commands: list[list[object]] = [["ZREM", self.keys.channel(m.channel_id), m.account_id]
                                        for m in codec.memberships(person, fields)]
        for account in accounts:
            marker = self.keys.marker(account)
            commands.append(["SET", marker, "1"] if entry.data["d"] else ["DEL", marker])
        commands += [["DEL", self.keys.code(code.decode())] for codes in issued for code in codes]
        await self.redis.pipeline(commands)
        await self.store.tokens_.forget(accounts)
        # Last: run again after an interruption, the step finds the codes through these.
        await self.redis.pipeline([["DEL", self.keys.codes_issued(a)] for a in accounts])

    async def _forget_announce(self, entry: Entry) -> float | None:
        """Returns the pause before the erase of these announcements, when there are any."""
        person = entry.data["p"]
        changed = await self._point([a for a in entry.data["a"] if a != person], None, person)
        events = [from_wire(wire) for wire in json.loads(entry.data["ev"] or "[]")]
        if events:
            await self.store.feed.publish(events)
        return GRACE_S if changed or events else None

    async def _forget_scrub(self, entry: Entry) -> None:
        """Every event stream entry up to the announcements (by the stream ids' clock) naming an account."""
        last = str(int(entry.data["t"]) + CLOCK_SKEW_MS)
        ids = json.dumps(entry.data["a"], ensure_ascii=False)
        await self.redis.eval_many([("SCRUB", [self.keys.events(tag)], (last, ids)) for tag in all_tags()])
