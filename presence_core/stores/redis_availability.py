"""Availability in the Redis store (SPEC section 12), as a mixin of ``RedisStore``.

Person hash fields (``P p:{S}<person>``, codec ``FIELDS``): ``ca`` capacity, ``ld`` load, ``sk`` skills
(JSON), ``hr`` hours (JSON), ``hz`` hours zone, ``lp`` last pick, ``av`` '1' when announced available,
``hf``/``hu`` the hours window. Keys (``{S}`` the hash tag of the id that follows):

    P w:{S}<channel>   ZSET  the channel's desk: accounts of people who use availability -> last seen
                             there (in the channel's slot; the record script keeps it with the
                             channel's members, trimmed and expiring the same way)
    P wb:{S}<watcher>  HASH  target account -> watch "[channel, expires, created, locale]"
    P wo:{S}<target>   HASH  watcher account -> the same watch; the one that counts when claiming

Atomic load changes: the ``LOAD`` script applies ``availability.apply_load`` and ``decide`` to the
stored and derived fields in one step (no retries however many processes pick at once); a person
whose record is due (the script cannot settle it) goes through the compare-and-set loop instead.
Watches: a claim deletes the watch from the target's hash in one script, so exactly one process
gets it; the watcher's copy is removed after (on a crash in between it lingers until it expires).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from presence_core import availability
from presence_core.models import AvailabilityChange, LoadChange, LoadOutcome, Membership, PersonRecord, Watch
from presence_core.policy import Policy
from presence_core.stores import load_cas

T = TypeVar("T")
# A desk key touched outside the record script lives this long unless the script renews it.
DESK_TTL_MS = Policy().membership_ttl_ms


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# hash field, PersonRecord attribute, its default (not stored), from Redis, to Redis (as in redis._FIELDS)
FIELDS: tuple[tuple[bytes, str, Any, Callable[[bytes], Any], Callable[[Any], object]], ...] = (
    (b"ca", "capacity", None, int, int),
    (b"ld", "load", 0, int, int),
    (b"sk", "skills", [], json.loads, _json),
    (b"hr", "hours", [], json.loads, _json),
    (b"hz", "hours_zone", None, bytes.decode, str),
    (b"lp", "last_pick", None, int, int),
    (b"av", "available", False, lambda v: v == b"1", lambda v: "1" if v else "0"),
    (b"hf", "open_from", None, int, int),
    (b"hu", "open_until", None, int, int),
)

# availability.apply_load then availability.decide, on one person. KEYS[1]: person hash.
# ARGV: prefix, instance, person, now, delta, force ('1'), pick ('1'), max load, expected load ('' = any).
# Returns {'due'} (settle first), {'unknown'}, {'full'|'unavailable'|'changed', fields} or {'ok', fields, 1 if announced}.
LOAD = """
local f = redis.call('HMGET', KEYS[1], 'v', 'u', 'p', 'av', 'ca', 'ld', 'hf', 'hu', 'hz', 'sk')
local now = tonumber(ARGV[4])
if not f[1] then return {'unknown'} end
if f[2] and tonumber(f[2]) <= now then return {'due'} end
local was = f[4] == '1'
if ARGV[7] == '1' and not was then return {'unavailable', redis.call('HGETALL', KEYS[1])} end
if ARGV[9] ~= '' and (tonumber(f[6]) or 0) ~= tonumber(ARGV[9]) then return {'changed', redis.call('HGETALL', KEYS[1])} end
local delta, cap = tonumber(ARGV[5]), tonumber(f[5])
local load = math.max(0, (tonumber(f[6]) or 0) + delta)
if delta > 0 and ((cap and load > cap and ARGV[6] ~= '1') or load > tonumber(ARGV[8])) then
  return {'full', redis.call('HGETALL', KEYS[1])}
end
local update = {'v', string.format('%d', tonumber(f[1]) + 1), 'ld', string.format('%d', load)}
if ARGV[7] == '1' then table.insert(update, 'lp'); table.insert(update, ARGV[4]) end
local avail = (f[5] or f[9] or f[10]) and f[3] == 'o'
  and (not f[9] or (f[7] and tonumber(f[7]) <= now and (not f[8] or now < tonumber(f[8]))))
  and (not cap or load < cap)
avail = avail and true or false
if avail ~= was then
  table.insert(update, 'av'); table.insert(update, avail and '1' or '0')
  redis.call('PUBLISH', ARGV[1] .. 'events',
             cjson.encode({i = ARGV[2], e = {{'a', ARGV[3], avail and 1 or 0, now}}}))
end
redis.call('HSET', KEYS[1], unpack(update))
return {'ok', redis.call('HGETALL', KEYS[1]), avail ~= was and 1 or 0}
"""

# The desk of a channel (single Redis: reaches alias and person keys of other slots). For each
# person who may be available: the fields availability reads, and the whole record when it is due.
# ARGV: prefix, channel, since, now. Returns {account, person, {av, u, ld, ca, lp, sk, name}, whole|{}}...
DESK = """
local prefix, tags = ARGV[1], {}
local function key(kind, id)
  local t = tags[id]
  if not t then
    t = '{' .. (tonumber(string.sub(redis.sha1hex(id), 1, 4), 16) % 1024) .. '}'
    tags[id] = t
  end
  return prefix .. kind .. ':' .. t .. id
end
local now, seen, out = tonumber(ARGV[4]), {}, {}
for _, account in ipairs(redis.call('ZREVRANGEBYSCORE', key('w', ARGV[2]), '+inf', ARGV[3])) do
  local person = redis.call('GET', key('a', account)) or account
  if not seen[person] then
    seen[person] = true
    local pk = key('p', person)
    local f = redis.call('HMGET', pk, 'av', 'u', 'ld', 'ca', 'lp', 'sk', account == person and 'n' or 'n@' .. account)
    local due = f[2] and tonumber(f[2]) <= now
    if f[1] == '1' or due then
      table.insert(out, account); table.insert(out, person); table.insert(out, f)
      table.insert(out, due and redis.call('HGETALL', pk) or {})
    end
  end
end
return out
"""


def _light(person_id: str, account: str, f: Sequence[bytes | None]) -> PersonRecord:
    """The fields availability reads of a person not due yet (``Store.desk_people``)."""
    available, due, load, capacity, last_pick, skills, name = f
    return PersonRecord(person_id, due=int(due) if due else None, load=int(load) if load else 0,
                        capacity=int(capacity) if capacity else None, last_pick=int(last_pick) if last_pick else None,
                        skills=json.loads(skills) if skills else [], available=available == b"1",
                        names={account: name.decode()} if name else {})


# Adds a watch unless the watcher has ``limit`` others. KEYS[1]: the watcher's hash.
# ARGV: prefix, target, watch, expires at, limit, now.
ADD_WATCH = """
local now, others = tonumber(ARGV[6]), 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(cjson.decode(all[i + 1])[2]) <= now then redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[2] then others = others + 1 end
end
if others >= tonumber(ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) - now then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) - now) end
return 1
"""

# Puts a watch on the target's side. KEYS[1]: the target's hash; ARGV: prefix, watcher, watch, expires at, now.
PUT_WATCH = """
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
local ttl = tonumber(ARGV[4]) - tonumber(ARGV[5])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# Takes the unexpired watches on a target made from the given platforms. KEYS[1]: the target's hash.
# ARGV: prefix, now, platforms... ("telegram"). Returns {watcher, watch}... (each once, ever).
CLAIM = """
local now, platforms, out = tonumber(ARGV[2]), {}, {}
for i = 3, #ARGV do platforms[ARGV[i]] = true end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local expired = tonumber(cjson.decode(all[i + 1])[2]) <= now
  if expired or platforms[string.match(all[i], '^([^:]*)')] then
    redis.call('HDEL', KEYS[1], all[i])
    if not expired then table.insert(out, all[i]); table.insert(out, all[i + 1]) end
  end
end
return out
"""


def _encode_watch(w: Watch) -> str:
    return _json([w.channel_id, w.expires_at, w.created_at, w.locale])


def _decode_watch(watcher: str, target: str, value: bytes) -> Watch:
    channel_id, expires_at, created_at, locale = json.loads(value)
    return Watch(watcher, target, channel_id, expires_at, created_at, locale)


class RedisAvailability:
    """Desk, load and watch operations of the store contract; expects the plumbing of RedisStore."""

    client: Any
    cluster: bool
    prefix: str
    instance: str

    if TYPE_CHECKING:
        def _key(self, kind: str, id_: str) -> str: ...

        async def _io(self, call: Awaitable[T]) -> T: ...

        async def _eval(self, name: str, keys: Sequence[str], *args: object) -> Any: ...

        async def _eval_many(self, calls: Sequence[tuple[str, Sequence[str], Sequence[object]]]) -> list[Any]: ...

        async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]: ...

        async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]: ...

        @staticmethod
        def _decode_hash(person_id: str, flat: Sequence[bytes]) -> PersonRecord: ...

        @staticmethod
        def _policy_args(policy: Policy) -> tuple[int, int, int, int]: ...

    # load --------------------------------------------------------------------------------------------

    async def change_load(self, person_id: str, change: LoadChange, now: int, policy: Policy) -> LoadOutcome:
        reply = await self._eval("LOAD_CHANGE", [self._key("p", person_id)], self.instance, person_id, now, change.delta,
                                 int(change.force), int(change.pick), availability.MAX_LOAD,
                                 "" if change.expected_load is None else change.expected_load)
        outcome = reply[0].decode()
        if outcome == "due":
            return await load_cas.change_load(self, person_id, change, now, policy)  # type: ignore[arg-type]
        if outcome == "unknown":
            return LoadOutcome(None, refused="unknown")
        record = self._decode_hash(person_id, reply[1])
        if outcome != "ok":
            return LoadOutcome(record, refused=outcome)
        announced = (AvailabilityChange(person_id, record.available, now),) if reply[2] else ()
        return LoadOutcome(record, announced)

    # desk --------------------------------------------------------------------------------------------

    async def _join_desks(self, ops: dict[str, list[object]], policy: Policy) -> None:
        """Desk listings a cluster's record scripts decided, run in each channel's slot: the channel
        script does exactly this to a sorted set of accounts."""
        await self._eval_many([("CHANNEL", [self._key("w", chan)], (*self._policy_args(policy)[2:], *pairs))
                               for chan, pairs in ops.items()])

    async def desk_people(self, channel_id: str, since: int, now: int) -> list[tuple[str, PersonRecord]]:
        if not self.cluster:
            flat = await self._eval("DESK", [], channel_id, since, now)
            return [(a.decode(), self._decode_hash(p.decode(), whole) if whole else _light(p.decode(), a.decode(), f))
                    for a, p, f, whole in zip(flat[::4], flat[1::4], flat[2::4], flat[3::4])]
        accounts = [a.decode() for a in await self._io(
            self.client.zrevrangebyscore(self._key("w", channel_id), "+inf", since))]
        persons = await self.resolve(accounts)
        records = await self.load(list(dict.fromkeys(persons.values())))
        found: dict[str, tuple[str, PersonRecord]] = {}
        for account in accounts:
            record = records.get(persons[account])
            if record is not None and record.id not in found:
                found[record.id] = (account, record)
        return list(found.values())

    async def set_desk(self, memberships: Sequence[Membership], listed: bool) -> None:
        if not memberships:
            return
        pipe = self.client.pipeline(transaction=False)
        for m in memberships:
            key = self._key("w", m.channel_id)
            if listed:
                pipe.zadd(key, {m.account_id: m.last_seen}, gt=True)
                pipe.pexpire(key, DESK_TTL_MS, nx=True)
            else:
                pipe.zrem(key, m.account_id)
        await self._io(pipe.execute())

    async def move_desk(self, old_id: str, new_id: str | None) -> None:
        old = self._key("w", old_id)
        members = dict(await self._io(self.client.zrange(old, 0, -1, withscores=True)))
        pipe = self.client.pipeline(transaction=False)
        if members and new_id is not None:
            pipe.zadd(self._key("w", new_id), members, gt=True)
            pipe.pexpire(self._key("w", new_id), DESK_TTL_MS, nx=True)
        pipe.delete(old)
        await self._io(pipe.execute())

    # watches -----------------------------------------------------------------------------------------

    async def add_watch(self, watch: Watch, limit: int, now: int) -> bool:
        value = _encode_watch(watch)
        added = await self._eval("ADD_WATCH", [self._key("wb", watch.watcher_id)], watch.target_id, value,
                                 watch.expires_at, limit, now)
        if added:
            await self._eval("PUT_WATCH", [self._key("wo", watch.target_id)], watch.watcher_id, value,
                             watch.expires_at, now)
        return bool(added)

    async def _hashes(self, kind: str, ids: Sequence[str]) -> list[dict[bytes, bytes]]:
        pipe = self.client.pipeline(transaction=False)
        for id_ in ids:
            pipe.hgetall(self._key(kind, id_))
        return await self._io(pipe.execute()) if ids else []

    async def watches(self, watcher_ids: Sequence[str], now: int) -> list[Watch]:
        found = [_decode_watch(w, t.decode(), v) for w, h in zip(watcher_ids, await self._hashes("wb", watcher_ids))
                 for t, v in h.items()]
        return sorted((w for w in found if w.expires_at > now), key=lambda w: (w.created_at, w.target_id))

    async def watchers(self, target_ids: Sequence[str], now: int) -> list[Watch]:
        found = [_decode_watch(w.decode(), t, v) for t, h in zip(target_ids, await self._hashes("wo", target_ids))
                 for w, v in h.items()]
        return sorted((w for w in found if w.expires_at > now), key=lambda w: (w.created_at, w.watcher_id))

    async def remove_watch(self, watcher_id: str, target_id: str) -> bool:
        pipe = self.client.pipeline(transaction=False)
        pipe.hdel(self._key("wo", target_id), watcher_id)
        pipe.hdel(self._key("wb", watcher_id), target_id)
        on_target, by_watcher = await self._io(pipe.execute())
        return bool(on_target or by_watcher)

    async def claim_watches(self, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
        if not target_ids or not platforms:
            return []
        replies = await self._eval_many([("CLAIM", [self._key("wo", t)], (now, *platforms)) for t in target_ids])
        claimed = [_decode_watch(w.decode(), t, v) for t, flat in zip(target_ids, replies)
                   for w, v in zip(flat[::2], flat[1::2])]
        if claimed:
            pipe = self.client.pipeline(transaction=False)
            for w in claimed:
                pipe.hdel(self._key("wb", w.watcher_id), w.target_id)
            await self._io(pipe.execute())
        return claimed

    async def forget_availability(self, person_id: str, account_ids: Sequence[str]) -> None:
        by = await self._hashes("wb", account_ids)
        on = await self._hashes("wo", account_ids)
        pairs = await self._io(self.client.zrange(self._key("s", person_id), 0, -1))
        pipe = self.client.pipeline(transaction=False)
        for account, made in zip(account_ids, by):
            for target in made:
                pipe.hdel(self._key("wo", target.decode()), account)
        for account, watched in zip(account_ids, on):
            for watcher in watched:
                pipe.hdel(self._key("wb", watcher.decode()), account)
        for account in account_ids:
            pipe.delete(self._key("wb", account), self._key("wo", account))
        for pair in pairs:
            length, rest = pair.decode().split(":", 1)
            pipe.zrem(self._key("w", rest[int(length):]), rest[:int(length)])
        await self._io(pipe.execute())
