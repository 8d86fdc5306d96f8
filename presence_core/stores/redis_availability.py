"""Availability in the Redis store (SPEC section 12): atomic load changes and watches (desks: ``redis_desk``).

Person hash fields (``redis_codec``): ``ca`` capacity, ``ld`` load, ``sk`` skills (JSON), ``hr`` hours
(JSON), ``hz`` hours zone, ``lp`` last pick, ``av`` '1' when announced available, ``hf``/``hu`` the
hours window; the flag at the end of ``h``'s record part says the person uses availability, so
the record script reads these only for them. Keys (``{S}`` the hash tag of the id that follows):

    P wb:{S}<watcher>  HASH  target account -> watch "[channel, expires, created, locale]"
    P wo:{S}<target>   HASH  watcher account -> the same watch; the one that counts when claiming

Atomic load changes: the ``LOAD_CHANGE`` script applies ``availability.apply_load`` and ``decide`` to
the stored and derived fields in one step (no retries however many processes pick at once), and
rewrites the person's desk cards with it; a person whose record is due (the script cannot settle
it) goes through the compare-and-set loop instead. Watches: a claim deletes the watch from the
target's hash in one script, so exactly one process gets it; the watcher's copy is removed after
(on a crash in between it lingers until it expires).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from presence_core import availability
from presence_core.models import AvailabilityChange, LoadChange, LoadOutcome, Watch
from presence_core.policy import Policy
from presence_core.stores import load_cas
from presence_core.stores import redis_codec as codec
from presence_core.stores.redis_client import RedisClient
from presence_core.stores.redis_keys import Keys
from presence_core.stores.redis_lua import COMMON
from presence_core.stores.redis_lua_desk import CARDS

if TYPE_CHECKING:
    from presence_core.stores.redis import RedisStore

# availability.apply_load then availability.decide, on one person. KEYS[1]: person hash.
# ARGV: 3 person, 4 now, 5 delta, 6 force ('1'), 7 pick ('1'), 8 max load, 9 expected load ('' = any).
# Returns {'due'} (settle first), {'unknown'}, {'full'|'unavailable'|'changed', hash} or {'ok', hash, 1 if announced}.
LOAD_CHANGE = COMMON + CARDS + """
local h = redis.call('HGET', KEYS[1], 'h')
if not h then return {'unknown'} end
local v, p, u, uses = string.match(h, '^(%d*),[^,]*,([^,]*),([^,]*),[^,]*,[^,]*,[^,]*,([^,|]*)')
local now = tonumber(ARGV[4])
if u ~= '' and tonumber(u) <= now then return {'due'} end
local f = redis.call('HMGET', KEYS[1], 'av', 'ca', 'ld', 'hf', 'hu', 'hz')
local was = f[1] == '1'
if ARGV[7] == '1' and not was then return {'unavailable', redis.call('HGETALL', KEYS[1])} end
if ARGV[9] ~= '' and (tonumber(f[3]) or 0) ~= tonumber(ARGV[9]) then return {'changed', redis.call('HGETALL', KEYS[1])} end
local delta, cap = tonumber(ARGV[5]), tonumber(f[2])
local load = math.max(0, (tonumber(f[3]) or 0) + delta)
if delta > 0 and ((cap and load > cap and ARGV[6] ~= '1') or load > tonumber(ARGV[8])) then
  return {'full', redis.call('HGETALL', KEYS[1])}
end
local update = {'h', string.format('%d', tonumber(v) + 1) .. string.sub(h, #v + 1), 'ld', string.format('%d', load)}
if ARGV[7] == '1' then table.insert(update, 'lp'); table.insert(update, ARGV[4]) end
local avail = uses == '1' and p == 'o'
  and (not f[6] or (f[4] and tonumber(f[4]) <= now and (not f[5] or now < tonumber(f[5]))))
  and (not cap or load < cap)
avail = avail and true or false
if avail ~= was then
  table.insert(update, 'av'); table.insert(update, avail and '1' or '0')
  emit({[tag(ARGV[3])] = {e = {{'a', ARGV[3], avail and 1 or 0, now}}}})
end
redis.call('HSET', KEYS[1], unpack(update))
local all = redis.call('HGETALL', KEYS[1])
desk_cards(ARGV[3], all)
return {'ok', all, avail ~= was and 1 or 0}
"""

# Adds a watch unless the watcher has ``limit`` others. KEYS[1]: the watcher's hash.
# ARGV: 3 target, 4 watch, 5 expires at, 6 limit, 7 now.
ADD_WATCH = COMMON + """
local now, others = tonumber(ARGV[7]), 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(cjson.decode(all[i + 1])[2]) <= now then redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[3] then others = others + 1 end
end
if others >= tonumber(ARGV[6]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) - now then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) - now) end
return 1
"""

# Puts a watch on the target's side. KEYS[1]: the target's hash; ARGV: 3 watcher, 4 watch, 5 expires at, 6 now.
PUT_WATCH = COMMON + """
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
local ttl = tonumber(ARGV[5]) - tonumber(ARGV[6])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# Takes the unexpired watches on a target made from the given platforms. KEYS[1]: the target's hash.
# ARGV: 3 now, 4… platforms ("telegram"). Returns {watcher, watch}... (each once, ever).
CLAIM = COMMON + """
local now, platforms, out = tonumber(ARGV[3]), {}, {}
for i = 4, #ARGV do platforms[ARGV[i]] = true end
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

SCRIPTS = {"LOAD_CHANGE": LOAD_CHANGE, "ADD_WATCH": ADD_WATCH, "PUT_WATCH": PUT_WATCH, "CLAIM": CLAIM}
WRITE_SCRIPTS = frozenset({"LOAD_CHANGE", "ADD_WATCH", "PUT_WATCH", "CLAIM"})


def _encode_watch(w: Watch) -> str:
    return json.dumps([w.channel_id, w.expires_at, w.created_at, w.locale], ensure_ascii=False, separators=(",", ":"))


def _decode_watch(watcher: str, target: str, value: bytes) -> Watch:
    channel_id, expires_at, created_at, locale = json.loads(value)
    return Watch(watcher, target, channel_id, expires_at, created_at, locale)


class Availability:
    """Desk, load and watch operations of the store contract."""

    def __init__(self, store: RedisStore, redis: RedisClient, keys: Keys) -> None:
        self.store = store
        self.redis = redis
        self.keys = keys

    async def change_load(self, person_id: str, change: LoadChange, now: int, policy: Policy) -> LoadOutcome:
        reply = await self.redis.eval("LOAD_CHANGE", [self.keys.person(person_id)], person_id, now, change.delta,
                                      int(change.force), int(change.pick), availability.MAX_LOAD,
                                      "" if change.expected_load is None else change.expected_load)
        outcome = reply[0].decode()
        if outcome == "due":
            return await load_cas.change_load(self.store, person_id, change, now, policy)
        if outcome == "unknown":
            return LoadOutcome(None, refused="unknown")
        record = codec.decode(person_id, codec.pairs(reply[1]))
        if outcome != "ok":
            return LoadOutcome(record, refused=outcome)
        announced = (AvailabilityChange(person_id, record.available, now),) if reply[2] else ()
        return LoadOutcome(record, announced)

    async def add_watch(self, watch: Watch, limit: int, now: int) -> bool:
        value = _encode_watch(watch)
        added = await self.redis.eval("ADD_WATCH", [self.keys.of("wb", watch.watcher_id)], watch.target_id, value,
                                      watch.expires_at, limit, now)
        if added:
            await self.redis.eval("PUT_WATCH", [self.keys.of("wo", watch.target_id)], watch.watcher_id, value,
                                  watch.expires_at, now)
        return bool(added)

    async def _hashes(self, kind: str, ids: Sequence[str]) -> list[dict[bytes, bytes]]:
        return await self.redis.pipeline([["HGETALL", self.keys.of(kind, i)] for i in ids]) if ids else []

    async def watches(self, watcher_ids: Sequence[str], now: int) -> list[Watch]:
        found = [_decode_watch(w, t.decode(), v) for w, h in zip(watcher_ids, await self._hashes("wb", watcher_ids))
                 for t, v in h.items()]
        return sorted((w for w in found if w.expires_at > now), key=lambda w: (w.created_at, w.target_id))

    async def watchers(self, target_ids: Sequence[str], now: int) -> list[Watch]:
        found = [_decode_watch(w.decode(), t, v) for t, h in zip(target_ids, await self._hashes("wo", target_ids))
                 for w, v in h.items()]
        return sorted((w for w in found if w.expires_at > now), key=lambda w: (w.created_at, w.watcher_id))

    async def remove_watch(self, watcher_id: str, target_id: str) -> bool:
        on_target, by_watcher = await self.redis.pipeline([["HDEL", self.keys.of("wo", target_id), watcher_id],
                                                           ["HDEL", self.keys.of("wb", watcher_id), target_id]])
        return bool(on_target or by_watcher)

    async def claim_watches(self, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
        if not target_ids or not platforms:
            return []
        replies = await self.redis.eval_many([("CLAIM", [self.keys.of("wo", t)], (now, *platforms))
                                              for t in target_ids])
        claimed = [_decode_watch(w.decode(), t, v) for t, flat in zip(target_ids, replies)
                   for w, v in zip(flat[::2], flat[1::2])]
        if claimed:
            await self.redis.pipeline([["HDEL", self.keys.of("wb", w.watcher_id), w.target_id] for w in claimed])
        return claimed

    async def forget(self, person_id: str, account_ids: Sequence[str]) -> None:
        """Every watch made by or on these accounts, and the person's desk listings and cards; the
        accounts' own indexes of watches go last, so that an interrupted forget can run again
        (``redis_journal``)."""
        by = await self._hashes("wb", account_ids)
        on = await self._hashes("wo", account_ids)
        fields = await self.redis.io(self.redis.raw.hgetall(self.keys.person(person_id)))
        commands: list[list[object]] = []
        for account, made in zip(account_ids, by):
            commands += [["HDEL", self.keys.of("wo", target.decode()), account] for target in made]
        for account, watched in zip(account_ids, on):
            commands += [["HDEL", self.keys.of("wb", watcher.decode()), account] for watcher in watched]
        commands += self.store.desks.forget_commands(codec.memberships(person_id, fields))
        if commands:
            await self.redis.pipeline(commands)
        await self.redis.pipeline([["DEL", self.keys.of(kind, a)] for a in account_ids for kind in ("wb", "wo")])
