"""Server-side scripts of the Redis store, except the record script (``redis_lua_record``).

Every script gets ``prefix`` and the calling process's ``instance`` id as ARGV[1] and ARGV[2], and
touches keys of one hash tag only, except where the store runs on a single Redis ("inline" mode),
where the record, ``who`` and load scripts also reach keys of other tags so that a whole batch or
a whole listing is one round trip. Hash fields: see ``redis_codec``.
"""

from __future__ import annotations

from presence_core.stores.redis_lua_desk import CARDS

STREAM_MAX_LEN = 256  # entries per event stream (one per hash tag: 1024 streams)
STREAM_MAX_AGE_MS = 10 * 60_000

# Shared by every script: ``tag`` must equal ``redis_keys.hash_tag`` (first 16 bits of SHA-1, mod 1024).
# ``emit({[tag] = {e = {wire events}, x = {accounts}}})`` appends each tag's events (``to_wire`` arrays)
# and alias invalidations to its stream, atomically with the script's writes, trims the streams by
# length and age, and publishes a hint naming the streams that grew (``redis_events``). An entry names
# one person (the events of one person, or the accounts of one alias change), so that ``forget`` can
# delete the entries naming someone without taking anyone else's events (``redis_scrub``).
_COMMON = """
local prefix, instance = ARGV[1], ARGV[2]
local shards = {}
local function tag(id)
  local s = shards[id]
  if not s then
    s = '{' .. (tonumber(string.sub(redis.sha1hex(id), 1, 4), 16) % 1024) .. '}'
    shards[id] = s
  end
  return s
end
local function key(kind, id) return prefix .. kind .. ':' .. tag(id) .. id end
local function emit(out)
  local grown, oldest = {}, nil
  for t, o in pairs(out) do
    if not oldest then
      local now = redis.call('TIME')
      oldest = string.format('%d', now[1] * 1000 + math.floor(now[2] / 1000) - @MAX_AGE@)
    end
    local stream = prefix .. 'e:' .. t
    if o.e and #o.e > 0 then
      local of, order = {}, {}  -- the events of each person, people in order of their first event
      for _, w in ipairs(o.e) do
        local who = w[1] == 'r' and w[3] or w[2]
        local mine = of[who]
        if not mine then mine = {}; of[who] = mine; order[#order + 1] = mine end
        mine[#mine + 1] = w
      end
      for _, mine in ipairs(order) do
        redis.call('XADD', stream, 'MINID', '~', oldest, '*', 'i', instance, 'e', cjson.encode(mine))
      end
    end
    if o.x and #o.x > 0 then
      redis.call('XADD', stream, 'MINID', '~', oldest, '*', 'i', instance, 'x', cjson.encode(o.x))
    end
    redis.call('XTRIM', stream, 'MAXLEN', '~', @MAX_LEN@)
    redis.call('PEXPIRE', stream, @MAX_AGE@)
    grown[#grown + 1] = t
  end
  if #grown > 0 then redis.call('PUBLISH', prefix .. 'events', instance .. ' ' .. table.concat(grown, ' ')) end
end
"""
COMMON = _COMMON.replace("@MAX_AGE@", str(STREAM_MAX_AGE_MS)).replace("@MAX_LEN@", str(STREAM_MAX_LEN))

# Journal entries (``redis_journal``): JSON in the hash ``P j:{S}`` of their tag, one field each,
# written by the process that owns them, whose lease (``l``, Redis time in ms) says until when; ``s`` is
# the number of steps done, ``t`` when the last one was.
JOURNAL = """
local function clock()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
local function journal_put(jk, field, e, lease)
  e.o, e.l = instance, clock() + lease
  redis.call('HSET', jk, field, cjson.encode(e))
end
local function journal_begin(jk, field, e)  -- e.l: the lease, ms
  e.s, e.t = 0, clock()
  journal_put(jk, field, e, e.l)
end
"""

# Compare-and-set of one person, with the journal entry of the change it decides (link, unlink) if any.
# KEYS: person hash, due shard, the journal hash of the person's tag. ARGV: 3 expected version ('' = write
# unconditionally as version 1, 'new' = only when absent), 4 person id, 5 due ('' = none), 6 events JSON
# ('' = none), 7 the ``h`` field after its version, 8 a journal entry's field ('' = none), 9 the entry,
# then the record's other fields and values. Memberships and log entries stay; the person's desk cards
# follow when they use availability, or did (``redis_lua_desk``). Returns the new version, 0 when the
# expected version did not hold, -1 when that journal entry is still there.
SAVE = COMMON + JOURNAL + CARDS + """
local pk = KEYS[1]
local h = redis.call('HGET', pk, 'h')
local version = 1
if ARGV[3] == 'new' then
  if h then return 0 end
elseif ARGV[3] ~= '' then
  local v = h and tonumber(string.match(h, '^%d+')) or 0
  if v ~= tonumber(ARGV[3]) then return 0 end
  version = v + 1
end
if ARGV[8] ~= '' then
  if redis.call('HEXISTS', KEYS[3], ARGV[8]) == 1 then return -1 end
  journal_begin(KEYS[3], ARGV[8], cjson.decode(ARGV[9]))
end
if h then
  local new, gone = {}, {}
  for i = 10, #ARGV, 2 do new[ARGV[i]] = true end
  for _, field in ipairs(redis.call('HKEYS', pk)) do
    local c = string.sub(field, 1, 1)
    if not new[field] and field ~= 'h' and c ~= '#' and c ~= '%' and not string.match(field, '^L%d') then
      table.insert(gone, field)
    end
  end
  if #gone > 0 then redis.call('HDEL', pk, unpack(gone)) end
end
redis.call('HSET', pk, 'h', version .. ARGV[7] .. (h and string.match(h, '|.*$') or ''), unpack(ARGV, 10))
if desk_on and (uses_availability(h) or uses_availability(ARGV[7])) then desk_cards(ARGV[4], redis.call('HGETALL', pk)) end
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
end
if ARGV[6] ~= '' then emit({[tag(ARGV[4])] = {e = cjson.decode(ARGV[6])}}) end
return version
"""

# Channel memberships decided by record scripts in cluster mode (the channel lives in its own slot).
# KEYS[1]: channel; ARGV: 3 membership ttl ms, 4 key ttl ms, then (ts | '' to end it, account) pairs in order.
CHANNEL = COMMON + """
local ck, ttl, top = KEYS[1], tonumber(ARGV[3]), nil
for i = 5, #ARGV, 2 do
  if ARGV[i] == '' then
    redis.call('ZREM', ck, ARGV[i + 1])
  else
    redis.call('ZADD', ck, 'GT', ARGV[i], ARGV[i + 1])
    top = math.max(top or 0, tonumber(ARGV[i]))
  end
end
if top then
  redis.call('ZREMRANGEBYSCORE', ck, '-inf', '(' .. string.format('%d', top - ttl))
  redis.call('PEXPIRE', ck, ARGV[4])
end
return 1
"""

# "who": a channel's most recent members and how many there are since a time.
# KEYS[1]: channel; ARGV: 3 since, 4 limit, 5 inline ('1': also return each member's person and hash).
CHANNEL_PEOPLE = COMMON + """
local accounts = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[3], 'LIMIT', '0', ARGV[4])
local out = {redis.call('ZCOUNT', KEYS[1], ARGV[3], '+inf')}
for _, account in ipairs(accounts) do
  table.insert(out, account)
  if ARGV[5] == '1' then
    local person = redis.call('GET', key('a', account)) or account
    table.insert(out, person)
    table.insert(out, redis.call('HGETALL', key('p', person)))
  end
end
return out
"""

# Many people's hashes in one call (single Redis only). ARGV: 3… person ids.
LOAD = COMMON + """
local out = {}
for i = 3, #ARGV do out[i - 2] = redis.call('HGETALL', key('p', ARGV[i])) end
return out
"""

# The earliest due people over every shard of the due index (single Redis only). ARGV: 3 now, 4 limit.
DUE = COMMON + """
local now, limit, found = ARGV[3], tonumber(ARGV[4]), {}
for s = 0, 1023 do
  local shard = prefix .. 'd:{' .. string.format('%d', s) .. '}'
  local r = redis.call('ZRANGEBYSCORE', shard, '-inf', now, 'WITHSCORES', 'LIMIT', '0', ARGV[4])
  for i = 1, #r, 2 do table.insert(found, {tonumber(r[i + 1]), r[i]}) end
end
table.sort(found, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
local out = {}
for i = 1, math.min(limit, #found) do out[i] = found[i][2] end
return out
"""

# A person's activity log: the ``h`` field, the log LIST, and the entries kept in the hash.
# KEYS: person hash, log.
ACTIVITY = COMMON + """
local h = redis.call('HGET', KEYS[1], 'h')
local inline = tonumber(h and string.match(h, '|(%d+)') or '0')
local fields = {}
for i = 1, inline do fields[i] = 'L' .. i end
return {redis.call('LRANGE', KEYS[2], '0', '-1'), inline > 0 and redis.call('HMGET', KEYS[1], unpack(fields)) or {}}
"""

# A channel's new id: moves one membership field of a person (the later time wins where both exist).
# KEYS: person hash; ARGV: 3 old field, 4 new field.
MOVE_MEMBER = COMMON + """
local old = redis.call('HGET', KEYS[1], ARGV[3])
if not old then return 0 end
redis.call('HDEL', KEYS[1], ARGV[3])
local current = redis.call('HGET', KEYS[1], ARGV[4])
if not current or tonumber(current) < tonumber(old) then redis.call('HSET', KEYS[1], ARGV[4], old) end
return 1
"""

# The last id of every event stream (single Redis only): where a starting process begins to listen.
TIPS = COMMON + """
local out = {}
for s = 0, 1023 do
  local last = redis.call('XREVRANGE', prefix .. 'e:{' .. string.format('%d', s) .. '}', '+', '-', 'COUNT', '1')
  out[s + 1] = last[1] and last[1][1] or '0-0'
end
return out
"""

# Events that change no person, into the stream of their subject's tag. KEYS: the stream; ARGV: 3 tag,
# 4 events JSON.
EMIT = COMMON + """
emit({[ARGV[3]] = {e = cjson.decode(ARGV[4])}})
return 1
"""

# Counts a hit in a fixed window. KEYS[1]: counter; ARGV: 3 window ms.
HIT = COMMON + """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return n
"""
