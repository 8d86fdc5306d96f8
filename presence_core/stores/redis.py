"""Redis store: one presence state shared by many bot processes, on one Redis, Sentinel or a Cluster.

``RedisStore(url)`` takes ``redis://``, ``rediss://`` or ``unix://`` URLs; ``redis+cluster://`` and
``rediss+cluster://`` (or ``cluster=True``) connect to a Redis Cluster through any of its nodes;
``redis+sentinel://host:port,host:port/MASTER`` to the master Sentinel names (``redis_connect``).
Layout, round trips and what each setup promises: ``docs/redis.md``. The parts: key names
(``redis_keys``), a person's hash (``redis_codec``), the connection and scripts (``redis_client``,
``redis_lua``, ``redis_lua_record``), events between processes (``redis_events``), memberships
(``redis_memberships``), link, unlink and forget (``redis_links``), availability
(``redis_availability``, ``redis_desk``, ``redis_lua_desk``).

Exactly once: every transition is decided inside a script, atomically with the write that makes it
(``record``), or by a compare-and-set on the version (``save``: the sweep of every process may try,
only one save succeeds, the others reload and find nothing due).

Aliases: ``resolve`` keeps a process-local cache of account -> person, used only while the event
feed listens; merge, split and forget announce the accounts they changed and every process evicts
them. On a single Redis the record script resolves aliases itself. On a cluster the record script
checks the cached guess in the person's slot (an unlinked account has no alias key; a linked one
is listed in its person's ``l``) and returns stale guesses for a retry.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from presence_core import rules
from presence_core.errors import StoreUnavailableError
from presence_core.events import STATUS_CODES
from presence_core.models import (
    Activity,
    ActivityEvent,
    AvailabilityChange,
    DeskView,
    Event,
    LoadChange,
    LoadOutcome,
    Membership,
    PersonRecord,
    TokenRecord,
    Transition,
    Watch,
)
from presence_core.policy import Policy
from presence_core.stores import (
    redis_availability, redis_desk, redis_lua, redis_lua_desk, redis_lua_links, redis_lua_record, redis_tokens,
)
from presence_core.stores import redis_codec as codec
from presence_core.stores.base import EventListener, Store
from presence_core.stores.redis_availability import Availability
from presence_core.stores.redis_batches import BatchTokens
from presence_core.stores.redis_client import RedisClient
from presence_core.stores.redis_desk import Desks
from presence_core.stores.redis_events import EventFeed
from presence_core.stores.redis_journal import CLIENT_NAME, Entry
from presence_core.stores.redis_keys import SHARDS, Keys, all_tags, hash_tag
from presence_core.stores.redis_links import Links
from presence_core.stores.redis_memberships import Memberships
from presence_core.stores.redis_tokens import Tokens

__all__ = ["RedisStore", "SHARDS", "hash_tag"]

log = logging.getLogger(__name__)

CODE_TTL_MS = 24 * 3_600_000  # garbage collection of link codes; take_code checks their own expiry
SCRIPTS = {name: getattr(redis_lua, name) for name in (
    "SAVE", "CHANNEL", "CHANNEL_PEOPLE", "LOAD", "DUE", "ACTIVITY", "MOVE_MEMBER", "HIT", "TIPS", "EMIT")}
SCRIPTS |= {"RECORD": redis_lua_record.RECORD} | redis_lua_links.SCRIPTS | redis_availability.SCRIPTS
SCRIPTS |= redis_desk.SCRIPTS | redis_tokens.SCRIPTS
# Scripts whose writes must reach the replicas before they count (Sentinel); counters need not.
WRITE_SCRIPTS = frozenset({"RECORD", "CHANNEL", "SAVE", "MOVE_MEMBER", "EMIT"}) | redis_lua_links.WRITE_SCRIPTS
WRITE_SCRIPTS |= redis_availability.WRITE_SCRIPTS | redis_desk.WRITE_SCRIPTS | redis_tokens.WRITE_SCRIPTS
_ALIAS_CACHE_MAX = 100_000


def scripts_for(cluster: bool) -> dict[str, str]:
    """Every script, as loaded on a cluster or on a single Redis (desk cards: ``redis_lua_desk``)."""
    return {name: redis_lua_desk.for_mode(source, cluster) for name, source in SCRIPTS.items()}


_STALE_RETRIES = 3
_SINGLE_TAG = "{0}"  # on one Redis, a batch's token lives in one slot whatever the people
_STATUS = {code.encode(): status for status, code in STATUS_CODES.items()}


class RedisStore(Store):
    """The shared store; ``timeout`` bounds every call (seconds), ``prefix`` namespaces the keys."""

    def __init__(self, url: str, *, cluster: bool | None = None, prefix: str = "pr:", timeout: float = 5.0,
                 **client_options: Any) -> None:
        self.keys = Keys(prefix)
        self.instance = os.urandom(8).hex()
        # Every connection is named after the instance: how others tell whether it is alive (redis_journal).
        options = {"client_name": CLIENT_NAME.format(instance=self.instance), **client_options}
        self.redis = RedisClient(url, cluster=cluster, timeout=timeout, prefix=prefix, instance=self.instance,
                                 scripts=scripts_for, write_scripts=WRITE_SCRIPTS, options=options)
        self.connection = self.redis.connection
        self.client: Any = self.redis.raw
        self.cluster = self.redis.cluster
        self.feed = EventFeed(self.redis, self.keys, self.instance, self.evict)
        self.members = Memberships(self.redis, self.keys)
        self.links = Links(self)
        self.availability = Availability(self, self.redis, self.keys)
        self.desks = Desks(self, self.redis, self.keys)
        self.tokens_ = Tokens(self.redis, self.keys)
        self.batch_tokens = BatchTokens(self.keys)
        self._aliases: dict[str, str] = {}
        self._alias_generation = 0

    # lifecycle -------------------------------------------------------------------------------------

    async def start(self, listener: EventListener | None = None) -> None:
        """Connects, listens, and finishes the links, unlinks and forgets a crash left unfinished.

        Raises ``InvalidArgumentError`` when the URL says Cluster and the server is none, or the other
        way round; ``StoreUnavailableError`` when Redis does not answer in time.
        """
        await self.redis.check_kind()
        await self.redis.io(self.redis.load_scripts())
        await self.feed.start(listener)
        await self._recover()

    async def housekeep(self, now: int, policy: Policy) -> None:
        """Data expires by itself (TTLs); what a crashed process left unfinished is finished here."""
        await self._recover()

    async def _recover(self) -> None:
        try:
            if finished := await self.links.journal.recover():
                log.warning("presence: finished %d link, unlink or forget left unfinished in Redis", finished)
        except StoreUnavailableError as error:
            log.info("presence: unfinished links, unlinks and forgets in Redis wait for the next sweep: %s", error)

    async def close(self) -> None:
        try:
            await self.links.journal.settle()
        finally:
            await self.feed.close()
            self.evict(None)
            await self.redis.close()

    def evict(self, accounts: Sequence[str] | None) -> None:
        """Drops these accounts (None: all) from this process's account -> person cache."""
        if accounts is None:
            self._aliases.clear()
            self._alias_generation += 1
        for account in accounts or ():
            self._aliases.pop(account, None)

    # hot path --------------------------------------------------------------------------------------

    def _payload(self, batch: Sequence[Activity], hints: Sequence[str] | None, policy: Policy) -> bytes:
        """The record script's batch: ``redis_lua_record.WIDTH`` values per activity."""
        flat: list[object] = []
        tag, away, renew = hash_tag, policy.away_after_ms, policy.channel_window_ms // redis_lua_record.RENEW_FRACTION
        for i, a in enumerate(batch):
            hint = hints[i] if hints is not None else ""
            channel = a.channel_id or ""
            flat += (a.user_id, tag(hint or a.user_id), hint, a.device_id, a.device_name, a.type, str(a.timestamp),
                     str(a.timestamp + away), channel, tag(channel) if channel and hints is None else "",
                     a.user_name or "", a.logged, a.username or "",
                     "o" if a.arrived is None or a.arrived - a.timestamp < away  # rules.arrival_status, fast
                     else STATUS_CODES[rules.arrival_status(a, policy)], str(max(0, a.timestamp - renew)))
        return orjson.dumps(flat)

    def _args(self, batch: Sequence[Activity], hints: Sequence[str] | None, policy: Policy,
              once: tuple[str, ...]) -> tuple[object, ...]:
        ttl = policy.membership_ttl_ms
        return ("0" if hints is not None else "1", policy.activity_max_count, policy.activity_max_age_ms, ttl, ttl,
                self._payload(batch, hints, policy), *once)

    @staticmethod
    def _events(batch: Sequence[Activity], positions: Sequence[int], found: Sequence[Any],
                avails: Sequence[Any]) -> list[tuple[int, Event]]:
        """(batch position, event) from a record script's transitions {position in its call, person, old,
        new} and availability changes {position, person, 0|1}; a transition first at equal positions."""
        out: list[tuple[int, Event]] = []
        for pos, person, old, new in found:
            i = positions[pos - 1]
            out.append((i, Transition(person.decode(), _STATUS[old], _STATUS[new], batch[i].timestamp)))
        for pos, person, available in avails:
            i = positions[pos - 1]
            out.append((i, AvailabilityChange(person.decode(), bool(available), batch[i].timestamp)))
        return out

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
        if not batch:
            return []
        if self.cluster:
            return await self._record_cluster(batch, policy, token)
        once = self.batch_tokens.args(_SINGLE_TAG, token, True)
        found, _, _, avails, _ = await self.redis.eval("RECORD", [], *self._args(batch, None, policy, once))
        self.batch_tokens.acknowledged([_SINGLE_TAG], token)
        return _in_order(self._events(batch, range(len(batch)), found, avails))

    async def _record_cluster(self, batch: Sequence[Activity], policy: Policy, token: str | None) -> list[Event]:
        """One record script per person slot, then one channel script per channel slot."""
        persons = await self.resolve([a.user_id for a in batch])
        todo, decided, written = list(range(len(batch))), [], set()
        chan_ops: dict[str, list[object]] = defaultdict(list)
        desk_ops: dict[str, list[object]] = defaultdict(list)
        for _ in range(_STALE_RETRIES):
            groups: dict[str, list[int]] = defaultdict(list)
            for i in todo:
                groups[hash_tag(persons[batch[i].user_id])].append(i)
            calls = [("RECORD", [self.keys.due(tag)],
                      self._args([batch[i] for i in idx], [persons[batch[i].user_id] for i in idx], policy,
                                 self.batch_tokens.args(tag, token, tag not in written)))
                     for tag, idx in groups.items()]
            written.update(groups)
            todo = []
            for idx, (found, stale, ops, avails, desks) in zip(groups.values(), await self.redis.eval_many(calls)):
                decided += self._events(batch, idx, found, avails)
                todo += [idx[pos - 1] for pos in stale]
                for chan, account, ts in ops:
                    chan_ops[chan.decode()] += [ts, account]
                for chan, account, ts in desks:
                    desk_ops[chan.decode()] += [ts, account]
            if not todo:
                break
            self.evict([batch[i].user_id for i in todo])
            persons.update(await self.resolve([batch[i].user_id for i in todo]))
        else:
            raise StoreUnavailableError("Redis store: account links kept changing during a record; try again")
        ttl = policy.membership_ttl_ms  # a desk is a sorted set of accounts kept like the channel's members
        calls = [("CHANNEL", [self.keys.channel(chan)], (ttl, ttl, *ops)) for chan, ops in chan_ops.items()]
        calls += [("CHANNEL", [self.keys.of("w", chan)], (ttl, ttl, *ops)) for chan, ops in desk_ops.items()]
        if calls:
            await self.redis.eval_many(calls)
        self.batch_tokens.acknowledged(written, token)
        return _in_order(decided)

    # people ----------------------------------------------------------------------------------------

    async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]:
        cache = self._aliases if self.feed.listening else None
        found = {u: cache[u] for u in user_ids if cache is not None and u in cache}
        missing = list(dict.fromkeys(u for u in user_ids if u not in found))
        if missing:
            generation = self._alias_generation
            values = await self.redis.mget([self.keys.alias(u) for u in missing])
            fetched = {u: v.decode() if v is not None else u for u, v in zip(missing, values)}
            found |= fetched
            if cache is not None and generation == self._alias_generation and self.feed.listening:
                if len(cache) > _ALIAS_CACHE_MAX:
                    cache.clear()
                cache |= fetched
        return {u: found[u] for u in user_ids}

    async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]:
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        if not self.cluster:
            flat = await self.redis.eval("LOAD", [], *ids)
            return {pid: codec.decode(pid, codec.pairs(h)) for pid, h in zip(ids, flat) if h}
        hashes = await self.redis.pipeline([["HGETALL", self.keys.person(pid)] for pid in ids])
        return {pid: codec.decode(pid, h) for pid, h in zip(ids, hashes) if h}

    async def save(self, record: PersonRecord, expected_version: int, events: Sequence[Event] = ()) -> bool:
        version = await self.write(record, str(expected_version), events)
        if not version:
            return False
        record.version = version
        return True

    async def write(self, record: PersonRecord, expected: str, events: Sequence[Event],
                    journal: Entry | None = None) -> int:
        """The save script: the new version, 0 when ``expected`` ('' = unconditionally, 'new' = only if
        absent) did not hold, -1 when ``journal`` (an entry in the person's slot) is still there."""
        return await self.write_fields(record.id, expected, record.due, self.feed.wire(events),
                                       codec.hot_tail(record), codec.encode(record), journal)

    async def write_fields(self, person_id: str, expected: str, due: int | None, events: str, tail: str,
                           fields: Sequence[object], journal: Entry | None = None) -> int:
        """``write`` of an encoded record (``redis_codec.hot_tail`` and ``encode``)."""
        tag = hash_tag(person_id)
        entry = ("", "") if journal is None else (journal.field, orjson.dumps(journal.data))
        return int(await self.redis.eval("SAVE", [self.keys.person(person_id), self.keys.due(tag),
                                                  self.keys.journal(tag)],
                                         expected, person_id, "" if due is None else due, events, tail, *entry,
                                         *fields))

    async def publish(self, events: Sequence[Event]) -> None:
        if events:
            await self.feed.publish(events)

    async def activity(self, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
        listed, inline = await self.redis.eval("ACTIVITY", [self.keys.person(person_id), self.keys.log(person_id)])
        events = [codec.decode_entry(e, person_id) for e in reversed([*listed, *inline])]
        events.sort(key=lambda e: e.timestamp, reverse=True)
        return [e for e in events if since is None or e.timestamp >= since][:limit]

    async def channel_people(self, channel_id: str, since: int,
                             limit: int) -> tuple[list[tuple[str, PersonRecord]], int]:
        reply = await self.redis.eval("CHANNEL_PEOPLE", [self.keys.channel(channel_id)], since, limit,
                                      "0" if self.cluster else "1")
        total, found = int(reply[0]), {}
        if self.cluster:
            accounts = [m.decode() for m in reply[1:]]
            persons = await self.resolve(accounts)
            records = await self.load(list(persons.values()))
            members = [(a, records[persons[a]]) for a in accounts if persons[a] in records]
        else:
            members = [(a.decode(), codec.decode(p.decode(), codec.pairs(fields)))
                       for a, p, fields in zip(reply[1::3], reply[2::3], reply[3::3]) if fields]
        for account, record in members:
            found.setdefault(record.id, (account, record))
        return list(found.values()), total

    async def due(self, now: int, limit: int) -> list[str]:
        if not self.cluster:
            return [m.decode() for m in await self.redis.eval("DUE", [], now, limit)]
        pipe = self.redis.raw.pipeline(transaction=False)
        for tag in all_tags():
            pipe.zrangebyscore(self.keys.due(tag), "-inf", now, start=0, num=limit, withscores=True)
        found = [(score, m.decode()) for shard in await self.redis.io(pipe.execute()) for m, score in shard]
        return [pid for _, pid in sorted(found)[:limit]]

    # memberships -----------------------------------------------------------------------------------

    async def memberships(self, person_id: str, since: int) -> list[Membership]:
        return await self.members.of(person_id, since)

    async def memberships_of(self, person_ids: Sequence[str], since: int) -> dict[str, list[Membership]]:
        return await self.members.of_many(person_ids, since)

    async def end_membership(self, channel_id: str, account_ids: Sequence[str]) -> None:
        await self.members.end(channel_id, account_ids)

    async def move_channel(self, old_id: str, new_id: str) -> None:
        await self.members.move_channel(old_id, new_id)

    async def drop_channel(self, channel_id: str) -> None:
        await self.members.drop(channel_id)

    # links and privacy -----------------------------------------------------------------------------

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        return await self.links.merge(into, expected_version, absorbed_id)

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        return await self.links.split(record, expected_version, split_off)

    async def forget(self, person_id: str, *, do_not_track: bool = False, events: Sequence[Event] = ()) -> None:
        await self.links.forget(person_id, do_not_track=do_not_track, events=events)

    async def do_not_track(self, account_ids: Sequence[str]) -> set[str]:
        found = await self.redis.pipeline([["EXISTS", self.keys.marker(a)] for a in account_ids])
        return {a for a, exists in zip(account_ids, found) if exists}

    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        await self.redis.pipeline([["SET", self.keys.code(code_hash), f"{expires_at}:{owner_id}", "PX", CODE_TTL_MS],
                                   ["SADD", self.keys.codes_issued(owner_id), code_hash],
                                   ["PEXPIRE", self.keys.codes_issued(owner_id), CODE_TTL_MS]])

    async def take_code(self, code_hash: str, now: int) -> str | None:
        value = await self.redis.io(self.redis.raw.getdel(self.keys.code(code_hash)))
        if value is None:
            return None
        expires_at, owner = value.decode().split(":", 1)
        return owner if int(expires_at) > now else None

    async def hit(self, key: str, window_ms: int, now: int) -> int:
        return int(await self.redis.eval("HIT", [self.keys.hits(key, now // window_ms)], window_ms))

    async def name_channels(self, names: Mapping[str, str]) -> None:
        if names:
            await self.redis.pipeline([["SET", self.keys.channel_name(c), name] for c, name in names.items()])

    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(channel_ids))
        found = await self.redis.pipeline([["GET", self.keys.channel_name(c)] for c in ids]) if ids else []
        return {c: name.decode() for c, name in zip(ids, found, strict=True) if name is not None}

    # availability ----------------------------------------------------------------------------------

    async def change_load(self, person_id: str, change: LoadChange, now: int, policy: Policy) -> LoadOutcome:
        return await self.availability.change_load(person_id, change, now, policy)

    async def desk_view(self, channel_id: str, since: int, now: int) -> DeskView:
        return await self.desks.view(channel_id, since, now)

    async def set_desk(self, memberships: Sequence[Membership], listed: bool) -> None:
        await self.desks.set_desk(memberships, listed)

    async def move_desk(self, old_id: str, new_id: str | None) -> None:
        await self.desks.move_desk(old_id, new_id)

    async def add_watch(self, watch: Watch, limit: int, now: int) -> bool:
        return await self.availability.add_watch(watch, limit, now)

    async def watches(self, watcher_ids: Sequence[str], now: int) -> list[Watch]:
        return await self.availability.watches(watcher_ids, now)

    async def watchers(self, target_ids: Sequence[str], now: int) -> list[Watch]:
        return await self.availability.watchers(target_ids, now)

    async def remove_watch(self, watcher_id: str, target_id: str) -> bool:
        return await self.availability.remove_watch(watcher_id, target_id)

    async def claim_watches(self, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
        return await self.availability.claim_watches(target_ids, platforms, now)

    async def forget_availability(self, person_id: str, account_ids: Sequence[str]) -> None:
        await self.availability.forget(person_id, account_ids)

    # API tokens ------------------------------------------------------------------------------------

    async def add_token(self, token: TokenRecord) -> bool:
        return await self.tokens_.add(token)

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        return await self.tokens_.find(token_hash)

    async def tokens(self, owner_ids: Sequence[str]) -> list[TokenRecord]:
        return await self.tokens_.of(owner_ids)

    async def revoke_token(self, owner_id: str, name: str) -> bool:
        return await self.tokens_.revoke(owner_id, name)

    async def touch_token(self, token_hash: str, at: int) -> None:
        await self.tokens_.touch(token_hash, at)


def _in_order(decided: list[tuple[int, Event]]) -> list[Event]:
    """Events in batch order; at one position a transition before the change of availability it caused."""
    return [e for _, e in sorted(decided, key=lambda pair: (pair[0], isinstance(pair[1], AvailabilityChange)))]
