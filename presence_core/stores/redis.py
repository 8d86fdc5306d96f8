"""Redis store: one presence state shared by many bot processes, on one Redis, Sentinel or a Cluster.

``RedisStore(url)`` takes ``redis://``, ``rediss://`` or ``unix://`` URLs; ``redis+cluster://`` and
``rediss+cluster://`` (or ``cluster=True``) connect to a Redis Cluster through any of its nodes;
``redis+sentinel://host:port,host:port/MASTER`` to the master Sentinel names (``redis_connect``).

Key layout (``P`` is the key prefix, ``pr:`` by default). Every id is written verbatim after a hash
tag ``{S}`` where ``S = shard(id)`` (first 16 bits of its SHA-1, mod 1024). As ``S`` is a function
of the id, ``kind + S + id`` is one-to-one: no id, whatever it contains, can reach another key.

    P p:{S}<person>    HASH  the PersonRecord: v version, n the person's own account's name and
                             n@<account> a linked account's name, un/un@<account> the same for
                             usernames, pv privacy, cs/cse the custom status shown while hidden,
                             m/me/ms manual, c/ce custom,
                             s last seen, p published, t tracking ('0' = off), g changed, y last sync,
                             k/ku sticky, u due, l linked accounts (JSON), "@<device>" (just "@" for
                             the person's own account) -> "last_seen,synced_at,reported,reported_expires,
                             name" (synced_at "=" when it equals last_seen); statuses as o/a/d/f;
                             lh: time of the log's first entry, a hint of the record script;
                             "r@<device>" (or "r@"): the device's room leases, JSON
                             [[room, since, location JSON or null], ...] (SPEC section 11)
    P l:{S}<person>    LIST  activity log "ts,len(type),len(device),<type><device><channel>" in
                             arrival order (a merge interleaves two logs by time), capped by count
                             and age on every append; expires after max age idle
    P s:{S}<person>    ZSET  memberships of the person's accounts "<len(account)>:<account><channel>"
                             -> last time seen there; those older than the membership ttl are
                             ended whenever a new one is added
    P k:{S}<account>   SET   link code hashes the account issued (for forget)
    P n:{S}<digest>    STRING  do-not-track marker of an account (S: the account's own tag; the
                             digest: SHA-1 hex of the account id)
    P d:{S}            ZSET  due index shard: person -> due (the sweep's work list)
    P a:{S}<account>   STRING  account -> person, only for linked accounts
    P c:{S}<channel>   ZSET  account -> last time seen in the channel (its members); those older
                             than the membership ttl are trimmed on every write, and a channel
                             silent for the ttl expires
    P o:{S}<code hash> STRING  "<expires_at>:<owner>" one-time link code
    P h:{S}<window>:<key> STRING  rate-limit counter of one fixed window
    P n:{S}<channel>   STRING  the channel's display name (written when a process first sees it)
    P events           pub/sub channel of committed transitions and alias invalidations
    P tk: / P ti:      API tokens and each owner's index of them: ``redis_tokens``

A person's keys and due shard share the tag ``{S}``, so each script touches one slot. Round trips
(single Redis): ``record`` of a batch 1 (one script resolves aliases, applies ``rules.apply_activity``
per activity, appends the log, updates channels and due, publishes the transitions); ``load``
(``get_statuses``) 1 script; ``channel_people`` (``who``) 1 script; ``resolve`` 0 from the alias
cache, else 1 MGET; ``save`` 1 CAS script; ``due`` 1 script over the 1024 due shards.
On a cluster the scripts run per slot in one pipeline per call (one round trip per node, in
parallel): ``record`` is 2 (person scripts, then channel scripts, as a channel is in another slot),
plus 1 when the alias cache is cold or stale; ``load`` is a pipeline; ``channel_people`` is 2.

Exactly once: every transition is decided inside a script, atomically with the write that makes it
(``record``), or by a compare-and-set on the version (``save``: the sweep of every process may try,
only one save succeeds, the others reload and find nothing due). The deciding script publishes it
on ``P events`` with the instance id of its process; every other store hands it to its listener.
Pub/sub is at most once per listener: a process that is disconnected at that moment misses it.

Aliases: ``resolve`` keeps a process-local cache of account -> person, used only while subscribed;
merge, split and forget publish the accounts they changed and every process evicts them (the cache
is cleared on every (re)subscription). On a single Redis the record script resolves aliases itself.
On a cluster the record script checks the cached guess in the person's slot (an unlinked account has
no alias key; a linked one is listed in its person's ``l``) and returns stale guesses for a retry.

Merge, split and forget are rare and span several tags: they run as ordered steps after the
compare-and-set that decides them, so a message racing a link may count for the old person.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from redis.exceptions import NoScriptError, RedisError

from presence_core import rules
from presence_core.errors import InvalidArgumentError, StoreUnavailableError
from presence_core.events import STATUS_CODES, from_wire, to_wire
from presence_core.models import (
    Activity,
    ActivityEvent,
    AvailabilityChange,
    DeviceRecord,
    Event,
    Membership,
    PersonRecord,
    RoomLease,
    Transition,
)
from presence_core.policy import Policy
from presence_core.status import Status
from presence_core.stores import redis_availability, redis_lua, redis_tokens
from presence_core.stores.base import EventListener, Store, account_digest
from presence_core.stores.redis_availability import FIELDS as AVAILABILITY_FIELDS
from presence_core.stores.redis_availability import RedisAvailability
from presence_core.stores.redis_connect import connect
from presence_core.stores.redis_tokens import RedisTokens

log = logging.getLogger(__name__)

T = TypeVar("T")
SHARDS = 1024  # part of the key format: every process sharing a Redis must agree on it
CODE_TTL_MS = 24 * 3_600_000  # garbage collection of link codes; take_code checks their own expiry
_ALIAS_CACHE_MAX = 100_000
SCRIPTS = ("RECORD", "CHANNEL", "SAVE", "LOAD", "CHANNEL_PEOPLE", "DUE", "TAKE", "MERGE_LOG", "HIT")
# Scripts of the mixins, by name: (module, attribute).
_MIXIN_SCRIPTS = {"LOAD_CHANGE": (redis_availability, "LOAD"), "DESK": (redis_availability, "DESK"),
                  "ADD_WATCH": (redis_availability, "ADD_WATCH"), "PUT_WATCH": (redis_availability, "PUT_WATCH"),
                  "CLAIM": (redis_availability, "CLAIM"),
                  **{f"TOKEN_{name}": (redis_tokens, name) for name in redis_tokens.SCRIPT_NAMES}}
# Scripts whose writes must reach the replicas before they count (Sentinel); counters need not.
WRITE_SCRIPTS = frozenset({"RECORD", "CHANNEL", "SAVE", "TAKE", "MERGE_LOG", "LOAD_CHANGE", "ADD_WATCH", "PUT_WATCH",
                           "CLAIM", *redis_tokens.WRITE_SCRIPTS})
_STALE_RETRIES = 3

_CODE = STATUS_CODES
_STATUS = {code.encode(): status for status, code in _CODE.items()} | {code: s for s, code in _CODE.items()}


@lru_cache(maxsize=65536)
def hash_tag(id_: str) -> str:
    """``{S}``: the hash tag of every key about this id (its slot on a cluster), S = shard(id)."""
    return "{%d}" % (int.from_bytes(hashlib.sha1(id_.encode()).digest()[:2], "big") % SHARDS)


def _num(value: str) -> int | None:
    return int(value) if value else None


def _opt(value: object) -> object:
    return "" if value is None else value


class RedisStore(RedisAvailability, RedisTokens, Store):
    """The shared store; ``timeout`` bounds every call (seconds), ``prefix`` namespaces the keys."""

    def __init__(self, url: str, *, cluster: bool | None = None, prefix: str = "pr:", timeout: float = 5.0,
                 **client_options: Any) -> None:
        if "{" in prefix or "}" in prefix:
            raise InvalidArgumentError("the Redis key prefix must not contain '{' or '}' (hash tag syntax)")
        self.prefix = prefix
        self.timeout = timeout
        # One asyncio.timeout per call instead of redis-py's per-reply socket timeouts (PERF_NOTES).
        options = {"socket_timeout": None, "socket_connect_timeout": timeout, **client_options}
        self.connection = connect(url, cluster=cluster, options=options)
        self.client: Any = self.connection.client
        self.cluster = self.connection.kind == "cluster"
        # Behind Sentinel a write counts once every replica of the master has it (Redis WAIT), so a
        # failover right after it loses nothing acknowledged: the replicas the master had last time.
        self._replicas: int | None = 1 if self.connection.kind == "sentinel" else None
        self.instance = os.urandom(8).hex()
        self._shas: dict[str, str] = {}
        self._aliases: dict[str, str] | None = None
        self._listener: EventListener | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pubsub: Any = None

    # keys ------------------------------------------------------------------------------------------

    def _key(self, kind: str, id_: str) -> str:
        return f"{self.prefix}{kind}:{hash_tag(id_)}{id_}"

    def _due_key(self, tag: str) -> str:
        return f"{self.prefix}d:{tag}"

    # plumbing --------------------------------------------------------------------------------------

    async def _io(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailableError(f"Redis store: {type(exc).__name__}: {exc}") from exc

    async def _load_scripts(self) -> None:
        sources = {name: getattr(redis_lua, name) for name in SCRIPTS}
        sources |= {name: getattr(module, attr) for name, (module, attr) in _MIXIN_SCRIPTS.items()}
        for name, source in sources.items():
            sha = await self.client.script_load(source)
            self._shas[name] = sha.decode() if isinstance(sha, bytes) else sha

    async def _eval(self, name: str, keys: Sequence[str], *args: object) -> Any:
        """EVALSHA, loading the scripts once when Redis does not know them (first use, restart)."""
        if self._replicas is not None and name in WRITE_SCRIPTS:
            return (await self._eval_many([(name, keys, args)]))[0]

        async def call() -> Any:
            if not self._shas:
                await self._load_scripts()
            try:
                return await self.client.evalsha(self._shas[name], len(keys), *keys, self.prefix, *args)
            except NoScriptError:
                await self._load_scripts()
                return await self.client.evalsha(self._shas[name], len(keys), *keys, self.prefix, *args)
        return await self._io(call())

    async def _eval_many(self, calls: Sequence[tuple[str, Sequence[str], Sequence[object]]]) -> list[Any]:
        """Several scripts in one pipeline (one round trip per node); retries only those Redis did not know.

        Behind Sentinel the pipeline ends with ROLE and WAIT: on the same connection, WAIT returns once
        the replicas have every write before it; the call fails (and is retried by the service) when
        fewer replicas than ROLE lists acknowledged it.
        """
        async def run() -> list[Any]:
            if not self._shas:
                await self._load_scripts()
            results: list[Any] = [None] * len(calls)
            todo = list(range(len(calls)))
            for _ in range(2):
                pipe = self.client.pipeline(transaction=False)
                for i in todo:
                    name, keys, args = calls[i]
                    pipe.execute_command("EVALSHA", self._shas[name], len(keys), *keys, self.prefix, *args)
                if self._replicas is not None:
                    pipe.execute_command("ROLE")
                    pipe.execute_command("WAIT", self._replicas, int(self.timeout * 1000 / 2))
                replies = await pipe.execute(raise_on_error=False)
                if self._replicas is not None:
                    self._check_replicated(replies.pop(-2), replies.pop())
                missing = []
                for i, reply in zip(todo, replies):
                    if isinstance(reply, NoScriptError):
                        missing.append(i)
                    elif isinstance(reply, Exception):
                        raise reply
                    else:
                        results[i] = reply
                if not missing:
                    return results
                await self._load_scripts()
                todo = missing
            raise NoScriptError("scripts keep disappearing from Redis")
        return await self._io(run())

    def _check_replicated(self, role: Any, acknowledged: Any) -> None:
        """Every replica ROLE listed has the writes, else they do not count; remember how many there are."""
        if isinstance(role, Exception) or isinstance(acknowledged, Exception):
            raise role if isinstance(role, Exception) else acknowledged
        replicas = len(role[2]) if role[0] == b"master" else 0
        self._replicas = replicas
        if acknowledged < replicas:
            raise RedisError(f"a write reached {acknowledged} of the master's {replicas} replicas")

    # lifecycle -------------------------------------------------------------------------------------

    async def start(self, listener: EventListener | None = None) -> None:
        self._listener = listener
        await self._io(self._load_scripts())
        self._pubsub = self.client.pubsub()
        await self._io(self._pubsub.subscribe(self.prefix + "events"))
        self._reader = asyncio.create_task(self._read_events())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        self._aliases = None
        await self.connection.aclose()

    async def _read_events(self) -> None:
        """Hands other processes' transitions to the listener; evicts aliases others changed."""
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("presence: Redis event subscription lost; reconnecting", exc_info=True)
                self._aliases = None
                await asyncio.sleep(1)
                continue
            if message is None:
                continue
            if message["type"] == "subscribe":  # (re)subscribed: anything may have changed meanwhile
                self._aliases = {}
            if message["type"] == "message":
                try:
                    await self._dispatch(json.loads(message["data"]))
                except Exception:
                    log.exception("presence: could not handle the Redis event %r", message["data"][:200])

    async def _dispatch(self, message: dict[str, Any]) -> None:
        """``{"i": instance, "e": [wire events], "x": [accounts whose person changed]}``."""
        self._evict(message.get("x", ()))
        if message["i"] == self.instance or self._listener is None:
            return
        for wire in message.get("e", ()):
            try:
                await self._listener(from_wire(wire))
            except Exception:
                log.exception("presence: event listener failed")

    def _evict(self, accounts: Sequence[str]) -> None:
        if self._aliases is not None:
            for account in accounts:
                self._aliases.pop(account, None)

    async def _invalidate(self, accounts: Sequence[str]) -> None:
        """Tells every process (this one at once) that these accounts may belong to someone else now."""
        self._evict(accounts)
        payload = json.dumps({"i": self.instance, "x": list(accounts)})
        await self._io(self.client.publish(self.prefix + "events", payload))

    # hot path --------------------------------------------------------------------------------------

    @staticmethod
    def _policy_args(policy: Policy) -> tuple[int, int, int, int]:
        """Log caps, then how long a membership lasts unrenewed and a silent channel's key lives."""
        ttl = policy.membership_ttl_ms
        return policy.activity_max_count, policy.activity_max_age_ms, ttl, ttl

    @staticmethod
    def _payload(batch: Sequence[Activity], hints: Sequence[str], policy: Policy) -> str:
        away = policy.away_after_ms
        return json.dumps([[a.user_id, hint, a.device_id, a.device_name, a.type, str(a.timestamp),
                            str(a.timestamp + away), a.channel_id or "", a.user_name or "", 1 if a.logged else 0,
                            a.username or "", _CODE[rules.arrival_status(a, policy)]]
                           for a, hint in zip(batch, hints)], ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def _transitions(batch: Sequence[Activity], positions: Sequence[int], found: Sequence[Any],
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
        out.sort(key=lambda pair: (pair[0], isinstance(pair[1], AvailabilityChange)))
        return out

    async def record(self, batch: Sequence[Activity], policy: Policy) -> list[Event]:
        if not batch:
            return []
        if self.cluster:
            return await self._record_cluster(batch, policy)
        found, _, _, avails, _ = await self._eval("RECORD", [], self.instance, "1", *self._policy_args(policy),
                                                  self._payload(batch, [""] * len(batch), policy))
        return [t for _, t in self._transitions(batch, range(len(batch)), found, avails)]

    async def _record_cluster(self, batch: Sequence[Activity], policy: Policy) -> list[Event]:
        """One record script per person slot, then one channel script per channel slot."""
        persons = await self.resolve([a.user_id for a in batch])
        todo, decided = list(range(len(batch))), []
        chan_ops: dict[str, list[object]] = defaultdict(list)
        desk_ops: dict[str, list[object]] = defaultdict(list)
        for _ in range(_STALE_RETRIES):
            groups: dict[str, list[int]] = defaultdict(list)
            for i in todo:
                groups[hash_tag(persons[batch[i].user_id])].append(i)
            calls = [("RECORD", [self._due_key(tag)], (self.instance, "0", *self._policy_args(policy),
                      self._payload([batch[i] for i in idx], [persons[batch[i].user_id] for i in idx], policy)))
                     for tag, idx in groups.items()]
            todo = []
            for idx, (found, stale, ops, avails, desks) in zip(groups.values(), await self._eval_many(calls)):
                decided += self._transitions(batch, idx, found, avails)
                for chan, account, ts in desks:
                    desk_ops[chan.decode()] += [ts, account]
                todo += [idx[pos - 1] for pos in stale]
                for chan, person, ts in ops:
                    chan_ops[chan.decode()] += [ts, person]
            if not todo:
                break
            self._evict([batch[i].user_id for i in todo])
            persons.update(await self.resolve([batch[i].user_id for i in todo]))
        else:
            raise StoreUnavailableError("Redis store: account links kept changing during a record; try again")
        if chan_ops:
            await self._eval_many([("CHANNEL", [self._key("c", chan)], (*self._policy_args(policy)[2:], *ops))
                                   for chan, ops in chan_ops.items()])
        if desk_ops:
            await self._join_desks(desk_ops, policy)
        return [t for _, t in sorted(decided, key=lambda pair: pair[0])]

    # people ----------------------------------------------------------------------------------------

    async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]:
        cache = self._aliases
        found = {u: cache[u] for u in user_ids if cache is not None and u in cache}
        missing = list(dict.fromkeys(u for u in user_ids if u not in found))
        if missing:
            keys = [self._key("a", u) for u in missing]
            values = await self._io(self.client.mget_nonatomic(keys) if self.cluster else self.client.mget(keys))
            fetched = {u: v.decode() if v is not None else u for u, v in zip(missing, values)}
            found |= fetched
            if cache is not None and cache is self._aliases:
                if len(cache) > _ALIAS_CACHE_MAX:
                    cache.clear()
                cache |= fetched
        return {u: found[u] for u in user_ids}

    async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]:
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        if not self.cluster:
            flat = await self._eval("LOAD", [], *ids)
            return {pid: _decode(pid, _pairs(h)) for pid, h in zip(ids, flat) if h}
        pipe = self.client.pipeline(transaction=False)
        for person_id in ids:
            pipe.hgetall(self._key("p", person_id))
        hashes = await self._io(pipe.execute())
        return {pid: _decode(pid, h) for pid, h in zip(ids, hashes) if h}

    @staticmethod
    def _decode_hash(person_id: str, flat: Sequence[bytes]) -> PersonRecord:
        return _decode(person_id, _pairs(flat))

    async def save(self, record: PersonRecord, expected_version: int, events: Sequence[Event] = ()) -> bool:
        version = await self._save(record, str(expected_version), events)
        if not version:
            return False
        record.version = version
        return True

    async def _save(self, record: PersonRecord, expected: str, events: Sequence[Event]) -> int:
        return int(await self._eval("SAVE", [self._key("p", record.id), self._due_key(hash_tag(record.id))],
                                    expected, record.id, _opt(record.due), self._message(events),
                                    *_encode(record)))

    def _message(self, events: Sequence[Event]) -> str:
        """The pub/sub message announcing ``events``; '' when there is nothing to announce."""
        if not events:
            return ""
        return json.dumps({"i": self.instance, "e": [to_wire(e) for e in events]}, ensure_ascii=False)

    async def publish(self, events: Sequence[Event]) -> None:
        if events:
            await self._io(self.client.publish(self.prefix + "events", self._message(events)))

    async def activity(self, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
        entries = await self._io(self.client.lrange(self._key("l", person_id), 0, -1))
        events = [_decode_entry(e) for e in reversed(entries)]
        events.sort(key=lambda e: e.timestamp, reverse=True)
        return [e for e in events if since is None or e.timestamp >= since][:limit]

    async def channel_people(self, channel_id: str, since: int,
                             limit: int) -> tuple[list[tuple[str, PersonRecord]], int]:
        reply = await self._eval("CHANNEL_PEOPLE", [self._key("c", channel_id)], since, limit,
                                 "0" if self.cluster else "1")
        total, found = int(reply[0]), {}
        if self.cluster:
            accounts = [m.decode() for m in reply[1:]]
            persons = await self.resolve(accounts)
            records = await self.load(list(persons.values()))
            members = [(a, records[persons[a]]) for a in accounts if persons[a] in records]
        else:
            members = [(a.decode(), _decode(p.decode(), _pairs(fields)))
                       for a, p, fields in zip(reply[1::3], reply[2::3], reply[3::3]) if fields]
        for account, record in members:
            found.setdefault(record.id, (account, record))
        return list(found.values()), total

    async def memberships(self, person_id: str, since: int) -> list[Membership]:
        pairs = await self._io(self.client.zrangebyscore(self._key("s", person_id), since, "+inf", withscores=True))
        return [Membership(*_split_pair(pair), int(ts)) for pair, ts in pairs]

    async def memberships_of(self, person_ids: Sequence[str], since: int) -> dict[str, list[Membership]]:
        ids = list(dict.fromkeys(person_ids))
        pipe = self.client.pipeline(transaction=False)
        for person_id in ids:
            pipe.zrangebyscore(self._key("s", person_id), since, "+inf", withscores=True)
        found = await self._io(pipe.execute()) if ids else []
        return {p: [Membership(*_split_pair(pair), int(ts)) for pair, ts in pairs] for p, pairs in zip(ids, found)}

    async def _persons_of(self, account_ids: Sequence[str]) -> dict[str, str]:
        """Uncached: membership changes must reach the person the account belongs to right now."""
        keys = [self._key("a", a) for a in account_ids]
        values = await self._io(self.client.mget_nonatomic(keys) if self.cluster else self.client.mget(keys))
        return {a: v.decode() if v is not None else a for a, v in zip(account_ids, values)}

    async def end_membership(self, channel_id: str, account_ids: Sequence[str]) -> None:
        if not account_ids:
            return
        persons = await self._persons_of(account_ids)
        pipe = self.client.pipeline(transaction=False)
        pipe.zrem(self._key("c", channel_id), *account_ids)
        for account, person in persons.items():
            pipe.zrem(self._key("s", person), _pair(account, channel_id))
        await self._io(pipe.execute())

    async def move_channel(self, old_id: str, new_id: str) -> None:
        members = dict(await self._io(self.client.zrange(self._key("c", old_id), 0, -1, withscores=True)))
        if not members:
            return
        persons = await self._persons_of([m.decode() for m in members])
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(self._key("c", new_id), members, gt=True)
        pipe.delete(self._key("c", old_id))
        for (account, person), ts in zip(persons.items(), members.values()):
            pipe.zrem(self._key("s", person), _pair(account, old_id))
            pipe.zadd(self._key("s", person), {_pair(account, new_id): ts}, gt=True)
        await self._io(pipe.execute())

    async def drop_channel(self, channel_id: str) -> None:
        members = await self._io(self.client.zrange(self._key("c", channel_id), 0, -1))
        await self.end_membership(channel_id, [m.decode() for m in members])
        await self._io(self.client.delete(self._key("c", channel_id)))

    async def due(self, now: int, limit: int) -> list[str]:
        if not self.cluster:
            return [m.decode() for m in await self._eval("DUE", [], now, limit)]
        pipe = self.client.pipeline(transaction=False)
        for shard in range(SHARDS):
            pipe.zrangebyscore(self._due_key("{%d}" % shard), "-inf", now, start=0, num=limit, withscores=True)
        found = [(score, m.decode()) for shard in await self._io(pipe.execute()) for m, score in shard]
        return [pid for _, pid in sorted(found)[:limit]]

    # links and privacy -----------------------------------------------------------------------------

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        """CAS on ``into``; then the absorbed accounts point at it; then the absorbed person is taken
        out atomically (a message that raced the link is in its log) and its log and channels move."""
        absorbed = (await self.load([absorbed_id])).get(absorbed_id)
        if not await self.save(into, expected_version):
            return False
        accounts = absorbed.accounts if absorbed else [absorbed_id]
        pipe = self.client.pipeline(transaction=False)
        for account in accounts:
            pipe.set(self._key("a", account), into.id)
        await self._io(pipe.execute())
        await self._invalidate(accounts)
        entries, memberships, _ = await self._take(absorbed_id)
        if entries:
            await self._eval("MERGE_LOG", [self._key("l", into.id), self._key("p", into.id)], *entries)
        if memberships:  # they stay the accounts' own: the person who has them changes
            await self._io(self.client.zadd(self._key("s", into.id), memberships, gt=True))
        return True

    async def _take(self, person_id: str) -> tuple[list[bytes], dict[bytes, float], list[str]]:
        """Deletes the person's own keys; returns their log entries, memberships and issued codes."""
        keys = [self._key(kind, person_id) for kind in "plsk"] + [self._due_key(hash_tag(person_id))]
        entries, memberships, codes = await self._eval("TAKE", keys, person_id)
        return entries, {pair: float(ts) for pair, ts in _pairs(memberships).items()}, [c.decode() for c in codes]

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        """CAS on ``record``; the split-off account gets its own record before its link goes, so its
        messages never fall between the two; then its memberships follow it."""
        if not await self.save(record, expected_version):
            return False
        split_off.version = await self._save(split_off, "", ())
        await self._io(self.client.delete(self._key("a", split_off.id)))
        await self._invalidate([split_off.id])
        prefix = _pair(split_off.id, "").encode()
        kept = await self._io(self.client.zrange(self._key("s", record.id), 0, -1, withscores=True))
        moved = {pair: ts for pair, ts in kept if pair.startswith(prefix)}
        if moved:
            pipe = self.client.pipeline(transaction=False)
            pipe.zadd(self._key("s", split_off.id), moved, gt=True)
            pipe.zrem(self._key("s", record.id), *moved)
            await self._io(pipe.execute())
        return True

    async def forget(self, person_id: str, *, do_not_track: bool = False) -> None:
        record = (await self.load([person_id])).get(person_id)
        accounts = record.accounts if record else [person_id]
        _, memberships, codes = await self._take(person_id)
        others = [a for a in accounts if a != person_id]
        if others:
            issued = await self._io(asyncio.gather(*(self.client.smembers(self._key("k", a)) for a in others)))
            codes += [c.decode() for found in issued for c in found]
        pipe = self.client.pipeline(transaction=False)
        for pair in memberships:
            channel_id, account = _split_pair(pair)
            pipe.zrem(self._key("c", channel_id), account)
        for account in accounts:
            pipe.delete(self._key("a", account), self._key("k", account))
            if do_not_track:
                pipe.set(self._marker_key(account), "1")
            else:
                pipe.delete(self._marker_key(account))
        for code in codes:
            pipe.delete(self._key("o", code))
        await self._io(pipe.execute())
        await self._forget_tokens(accounts)
        await self._invalidate(accounts)

    def _marker_key(self, account_id: str) -> str:
        """The do-not-track marker: in the account's slot, named by its digest (the record script agrees)."""
        return f"{self.prefix}n:{hash_tag(account_id)}{account_digest(account_id)}"

    async def do_not_track(self, account_ids: Sequence[str]) -> set[str]:
        pipe = self.client.pipeline(transaction=False)
        for account in account_ids:
            pipe.exists(self._marker_key(account))
        return {a for a, found in zip(account_ids, await self._io(pipe.execute())) if found}

    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self._key("o", code_hash), f"{expires_at}:{owner_id}", px=CODE_TTL_MS)
        pipe.sadd(self._key("k", owner_id), code_hash)
        pipe.pexpire(self._key("k", owner_id), CODE_TTL_MS)
        await self._io(pipe.execute())

    async def take_code(self, code_hash: str, now: int) -> str | None:
        value = await self._io(self.client.getdel(self._key("o", code_hash)))
        if value is None:
            return None
        expires_at, owner = value.decode().split(":", 1)
        return owner if int(expires_at) > now else None

    async def hit(self, key: str, window_ms: int, now: int) -> int:
        counter = f"{self.prefix}h:{hash_tag(key)}{now // window_ms}:{key}"
        return int(await self._eval("HIT", [counter], window_ms))

    async def name_channels(self, names: Mapping[str, str]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for channel_id, name in names.items():
            pipe.set(self._key("n", channel_id), name)
        await self._io(pipe.execute())

    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(channel_ids))
        pipe = self.client.pipeline(transaction=False)
        for channel_id in ids:
            pipe.get(self._key("n", channel_id))
        found = await self._io(pipe.execute())
        return {c: name.decode() for c, name in zip(ids, found, strict=True) if name is not None}


# codec -------------------------------------------------------------------------------------------


def _status_field(value: bytes) -> Status:
    return _STATUS[value]


def _status_code(status: Status) -> str:
    return _CODE[status]


# hash field, PersonRecord attribute, its default (not stored), from Redis, to Redis
_FIELDS: tuple[tuple[bytes, str, Any, Callable[[bytes], Any], Callable[[Any], object]], ...] = (
    (b"m", "manual", None, _status_field, _status_code),
    (b"me", "manual_expires", None, int, int),
    (b"ms", "manual_since", None, int, int),
    (b"c", "custom", None, bytes.decode, str),
    (b"ce", "custom_expires", None, int, int),
    (b"s", "last_seen", None, int, int),
    (b"p", "published", Status.OFFLINE, _status_field, _status_code),
    (b"t", "tracking", True, lambda v: v != b"0", lambda v: "1" if v else "0"),
    (b"g", "changed_at", None, int, int),
    (b"y", "last_sync", None, int, int),
    (b"k", "sticky", None, _status_field, _status_code),
    (b"ku", "sticky_until", None, int, int),
    (b"u", "due", None, int, int),
    (b"l", "linked", [], json.loads, lambda v: json.dumps(v, ensure_ascii=False)),
    (b"pv", "privacy", "shared", bytes.decode, str),
    (b"cs", "custom_shown", None, bytes.decode, str),
    (b"cse", "custom_shown_expires", None, int, int),
    *AVAILABILITY_FIELDS,
)
_DECODERS = {field: (attr, decode) for field, attr, _, decode, _ in _FIELDS}


def _encode(record: PersonRecord) -> list[object]:
    """The hash fields of a record (version aside); absent fields hold the default."""
    out: list[object] = []
    for field, attr, default, _, encode in _FIELDS:
        value = getattr(record, attr)
        if value != default:
            out += [field, encode(value)]
    for account, name in record.names.items():
        out += ["n" if account == record.id else "n@" + account, name]
    for account, username in record.usernames.items():
        out += ["un" if account == record.id else "un@" + account, username]
    for device in record.devices.values():
        reported = "" if device.reported is None else _CODE[device.reported]
        synced = "=" if device.synced_at is not None and device.synced_at == device.last_seen else device.synced_at
        field = "@" if device.id == record.id else "@" + device.id
        out += [field, f"{_opt(device.last_seen)},{_opt(synced)},{reported},{_opt(device.reported_expires)},{device.name}"]
        if device.rooms:
            leases = [[room, lease.since, lease.location] for room, lease in device.rooms.items()]
            out += ["r" + field, json.dumps(leases, ensure_ascii=False, separators=(",", ":"))]
    return out


def _pairs(flat: Sequence[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def _decode(person_id: str, fields: dict[bytes, bytes]) -> PersonRecord:
    record = PersonRecord(person_id, version=int(fields[b"v"]))
    leases: dict[str, bytes] = {}
    for field, value in fields.items():
        known = _DECODERS.get(field)
        if known is not None:
            setattr(record, known[0], known[1](value))
        elif field == b"n" or field[:2] == b"n@":
            record.names[field[2:].decode() or person_id] = value.decode()
        elif field == b"un" or field[:3] == b"un@":
            record.usernames[field[3:].decode() or person_id] = value.decode()
        elif field[:1] == b"@":
            last_seen, synced_at, reported, reported_expires, name = value.decode().split(",", 4)
            device_id = field[1:].decode() or person_id
            record.devices[device_id] = DeviceRecord(device_id, name, _num(last_seen), _STATUS.get(reported),
                                                     _num(reported_expires),
                                                     _num(last_seen if synced_at == "=" else synced_at))
        elif field[:2] == b"r@":
            leases[field[2:].decode() or person_id] = value
    for device_id, value in leases.items():
        if device_id in record.devices:
            record.devices[device_id].rooms = {room: RoomLease(since, location)
                                               for room, since, location in json.loads(value)}
    return record


def _pair(account_id: str, channel_id: str) -> str:
    """A membership in a person's memberships set: "<length of account>:<account><channel>"."""
    return f"{len(account_id)}:{account_id}{channel_id}"


def _split_pair(pair: bytes) -> tuple[str, str]:
    """(channel, account) of a membership pair."""
    length, rest = pair.decode().split(":", 1)
    return rest[int(length):], rest[:int(length)]


def _decode_entry(entry: bytes) -> ActivityEvent:
    ts, type_len, device_len, rest = entry.split(b",", 3)
    t, d = int(type_len), int(device_len)
    channel = rest[t + d:]
    return ActivityEvent(rest[:t].decode(), channel.decode() if channel else None, int(ts), rest[t:t + d].decode())
