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
# length and age, and publishes a hint naming the streams that grew (``redis_events``).
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
    local stream, fields = prefix .. 'e:' .. t, {'i', instance}
    if o.e and #o.e > 0 then fields[#fields + 1] = 'e'; fields[#fields + 1] = cjson.encode(o.e) end
    if o.x and #o.x > 0 then fields[#fields + 1] = 'x'; fields[#fields + 1] = cjson.encode(o.x) end
    redis.call('XADD', stream, 'MINID', '~', oldest, '*', unpack(fields))
    redis.call('XTRIM', stream, 'MAXLEN', '~', @MAX_LEN@)
    redis.call('PEXPIRE', stream, @MAX_AGE@)
    grown[#grown + 1] = t
  end
  if #grown > 0 then redis.call('PUBLISH', prefix .. 'events', instance .. ' ' .. table.concat(grown, ' ')) end
end
"""
COMMON = _COMMON.replace("@MAX_AGE@", str(STREAM_MAX_AGE_MS)).replace("@MAX_LEN@", str(STREAM_MAX_LEN))

# Compare-and-set of one person. KEYS: person hash, due shard. ARGV: 3 expected version ('' = write
# unconditionally as version 1), 4 person id, 5 due ('' = none), 6 events JSON ('' = none), 7 the ``h``
# field after its version, then the record's other fields and values. Memberships and log entries stay;
# the person's desk cards follow when they use availability, or did (``redis_lua_desk``).
SAVE = COMMON + CARDS + """
local pk = KEYS[1]
local h = redis.call('HGET', pk, 'h')
local version = 1
if ARGV[3] ~= '' then
  local v = h and tonumber(string.match(h, '^%d+')) or 0
  if v ~= tonumber(ARGV[3]) then return 0 end
  version = v + 1
end
if h then
  local new, gone = {}, {}
  for i = 8, #ARGV, 2 do new[ARGV[i]] = true end
  for _, field in ipairs(redis.call('HKEYS', pk)) do
    local c = string.sub(field, 1, 1)
    if not new[field] and field ~= 'h' and c ~= '#' and c ~= '%' and not string.match(field, '^L%d') then
      table.insert(gone, field)
    end
  end
  if #gone > 0 then redis.call('HDEL', pk, unpack(gone)) end
end
redis.call('HSET', pk, 'h', version .. ARGV[7] .. (h and string.match(h, '|.*$') or ''), unpack(ARGV, 8))
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

# Takes a person out (merge, forget): deletes their hash, log and due entry, returning what must be
# moved or cleaned elsewhere: the hash, the log LIST and its remaining time to live.
# KEYS: person hash, log, due shard; ARGV: 3 person. Their desk cards go with them.
TAKE = COMMON + CARDS + """
local out = {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], '0', '-1'), redis.call('PTTL', KEYS[2])}
desk_cards(ARGV[3], out[1], true)
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return out
"""

# Merges entries into a person's log in time order (equal times keep their order, the person's own
# first); the whole log then lives in the LIST. KEYS: person hash, log; ARGV: 3 time to live of the
# entries' old LIST (ms, <= 0: none), 4 when the first of them outlives the age cap, then the entries.
MERGE_LOG = COMMON + """
local pk, lk = KEYS[1], KEYS[2]
local h = redis.call('HGET', pk, 'h')
if not h then return 0 end
local record, inline, expires = string.match(h, '^([^|]*)|?(%d*),?%d*,?(%d*)$')
local all = redis.call('LRANGE', lk, '0', '-1')
local stale = {}
for i = 1, tonumber(inline) or 0 do
  table.insert(stale, 'L' .. i)
  table.insert(all, redis.call('HGET', pk, 'L' .. i))
end
for i = 5, #ARGV do table.insert(all, ARGV[i]) end
local keyed = {}
for i, entry in ipairs(all) do keyed[i] = {tonumber(string.match(entry, '^[^,]*')), i, entry} end
table.sort(keyed, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
local ttl = math.max(redis.call('PTTL', lk), tonumber(ARGV[3]))
redis.call('DEL', lk)
for i = 1, #keyed, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #keyed) do table.insert(chunk, keyed[j][3]) end
  redis.call('RPUSH', lk, unpack(chunk))
end
if ttl > 0 then redis.call('PEXPIRE', lk, ttl) end
if #stale > 0 then redis.call('HDEL', pk, unpack(stale)) end
if expires == '' or (ARGV[4] ~= '' and tonumber(ARGV[4]) < tonumber(expires)) then expires = ARGV[4] end
redis.call('HSET', pk, 'h', record .. (#keyed > 0 and ('|0,' .. #keyed .. ',' .. expires) or ''))
return #keyed
"""

# Adds memberships to an existing person (the later time wins). KEYS: person hash; ARGV: 3… field, time pairs.
PUT_MEMBERS = COMMON + """
if redis.call('HEXISTS', KEYS[1], 'h') == 0 then return 0 end
for i = 3, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(current) < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
"""

# Takes the memberships of one account out of a person's hash, returning field suffix (the channel)
# and time pairs; their desk cards go. KEYS: person hash; ARGV: 3 the fields' prefix.
TAKE_MEMBERS = COMMON + CARDS + """
local fields, out, gone, taken = redis.call('HGETALL', KEYS[1]), {}, {}, {}
local n = #ARGV[3]
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, n) == ARGV[3] then
    table.insert(gone, fields[i])
    table.insert(out, string.sub(fields[i], n + 1))
    table.insert(out, fields[i + 1])
    table.insert(taken, fields[i]); table.insert(taken, fields[i + 1])
  end
end
if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
desk_cards(person_of(KEYS[1]), taken, true)
return out
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

# Points an account at a person (or at none: '') and tells every process, atomically.
# KEYS: alias key; ARGV: 3 account, 4 person or ''.
ALIAS = COMMON + """
if ARGV[4] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[4]) end
emit({[tag(ARGV[3])] = {x = {ARGV[3]}}})
return 1
"""

# Counts a hit in a fixed window. KEYS[1]: counter; ARGV: 3 window ms.
HIT = COMMON + """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return n
"""
