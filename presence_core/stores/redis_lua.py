"""Server-side scripts of the Redis store (layout and round trips: see ``presence_core.stores.redis``).

Every script touches keys of one hash tag only, except where the store runs on a single Redis
("inline" mode), where the record and ``who`` scripts also reach the alias, channel and person keys
of other tags so that a whole batch or a whole listing is one round trip.
"""

from __future__ import annotations

# Shared helpers: ``shard`` must equal ``redis.shard`` in Python (first 16 bits of SHA-1, mod SHARDS).
_COMMON = """
local prefix = ARGV[1]
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
"""

# Mirrors rules.apply_activity line for line, plus the log, the channels and the due index.
# ARGV: prefix, instance, inline ('1': resolve aliases and write channels here), log max count,
#       log max age ms, membership ttl ms, channel key ttl ms, JSON batch of [account, person hint
#       ('' = resolve here), device, device name, type, ts, ts + away_after_ms, channel, name, logged,
#       username, status code of rules.arrival_status (a late activity keeps its age)].
# Numbers stay strings unless compared: Lua's own number-to-string conversion costs more than a command.
# Returns {transitions {pos, person, old, new}..., stale positions, channel ops {chan, person, ts|''}...,
#          availability changes {pos, person, 0|1}..., desk ops {chan, account, ts}... (redis_availability)}.
RECORD = _COMMON + """
local instance, inline, max_count, max_age = ARGV[2], ARGV[3] == '1', ARGV[4], tonumber(ARGV[5])
local ttl, channel_ttl = tonumber(ARGV[6]), ARGV[7]
local batch = cjson.decode(ARGV[8])
local transitions, events, stale, chan_ops, joins, newest = {}, {}, {}, {}, {}, {}
local avails, desk_ops, desk_joins = {}, {}, {}
local fmt = string.format

-- A person's own device is field '@', any other '@<device id>'.
local function fields_of(person, dev)
  local field = dev == person and '@' or '@' .. dev
  local f = redis.call('HMGET', key('p', person), 'v', 't', 's', 'p', 'u', 'k', 'ku', 'm', field, 'lh',
                      'av', 'ca', 'ld', 'hf', 'hu', 'hz', 'sk')
  f.device = field
  return f
end

-- A new person, unless the account asked to be forgotten with tracking off (a do-not-track marker,
-- keyed by the SHA-1 of the account id in the account's slot): then tracking is off ('0').
local function unknown(account, f)
  if redis.call('EXISTS', prefix .. 'n:' .. tag(account) .. redis.sha1hex(account)) == 1 then f[2] = '0' end
  return account, f
end

-- The person an account belongs to and their fields; false when the client's guess was stale.
local function person_of(account, hint, dev)
  if hint == '' then
    local f = fields_of(account, dev)
    if f[1] then return account, f end
    local alias = redis.call('GET', key('a', account))
    if alias then return alias, fields_of(alias, dev) end
    return unknown(account, f)
  end
  if hint == account then
    if redis.call('EXISTS', key('a', account)) == 1 then return false end
    local f = fields_of(account, dev)
    if f[1] then return account, f end
    return unknown(account, f)
  end
  local linked = redis.call('HGET', key('p', hint), 'l')
  if linked then
    for _, a in ipairs(cjson.decode(linked)) do if a == account then return hint, fields_of(hint, dev) end end
  end
  return false
end

-- The later of a stored time (maybe absent or '') and ts, as the string it was given in.
local function later(stored, ts, tsn)
  if stored and stored ~= '' and tonumber(stored) > tsn then return stored end
  return ts
end

-- availability.decide on the stored and derived fields: someone who uses availability (capacity ca,
-- hours zone hz or skills sk) is available when online, within the hours window [hf, hu) and under capacity.
local function available(f, status, tsn)
  if not (f[12] or f[16] or f[17]) or status ~= 'o' then return false end
  if f[16] and not (f[14] and tonumber(f[14]) <= tsn and (not f[15] or tsn < tonumber(f[15]))) then return false end
  return not f[12] or (tonumber(f[13]) or 0) < tonumber(f[12])
end

-- Someone who uses availability is listed in the channel's desk index too (redis_availability);
-- '' as ts ends the listing with the membership.
local function desk(chan, account, ts)
  if not inline then
    table.insert(desk_ops, {chan, account, ts})
  elseif ts == '' then
    redis.call('ZREM', key('w', chan), account)
  else
    local members = desk_joins[chan]
    if not members then members = {}; desk_joins[chan] = members end
    table.insert(members, ts); table.insert(members, account)
  end
end

-- A channel's members are accounts; '' as ts ends the account's membership.
local function channel(chan, account, ts)
  if not inline then
    table.insert(chan_ops, {chan, account, ts})
  elseif ts == '' then
    redis.call('ZREM', key('c', chan), account)
  else
    local members = joins[chan]
    if not members then members = {}; joins[chan] = members end
    table.insert(members, ts); table.insert(members, account)
    local tsn = tonumber(ts)
    if not newest[chan] or newest[chan] < tsn then newest[chan] = tsn end
  end
end

for pos, a in ipairs(batch) do
  local account, dev, devname, kind, ts, due, chan, name = a[1], a[3], a[4], a[5], a[6], a[7], a[8], a[9]
  local person, f = person_of(account, a[2], dev)
  if not person then
    table.insert(stale, pos)
  elseif f[2] ~= '0' then
    local pk, tsn = key('p', person), tonumber(ts)
    local device = ts .. ',=,,,' .. devname
    if f[9] then  -- "last_seen,synced_at ('=': the same),reported,reported_expires,name"
      local ls, sa, rest = string.match(f[9], '^(%-?%d*),([=%-%d]*),(.*)$')
      if sa == '=' then sa = ls end
      ls, sa = later(ls, ts, tsn), later(sa, ts, tsn)
      device = ls .. ',' .. (sa == ls and '=' or sa) .. ',' .. rest
    end
    local update = {'v', fmt('%d', (tonumber(f[1]) or 0) + 1), 's', later(f[3], ts, tsn), f.device, device}
    if name ~= '' then table.insert(update, account == person and 'n' or 'n@' .. account); table.insert(update, name) end
    if a[11] ~= '' then table.insert(update, account == person and 'un' or 'un@' .. account); table.insert(update, a[11]) end
    local sticky_until = tonumber(f[7])
    local sticky = f[6] and (not sticky_until or sticky_until > tsn) and f[6]
    local old, implied = f[4] or 'f', a[12]
    local new = sticky or ((implied == 'o' or old == 'f') and implied) or old
    if f[5] and tonumber(f[5]) < tonumber(due) then due = f[5] end
    if sticky and sticky_until and sticky_until < tonumber(due) then due = f[7] end
    if due ~= f[5] then  -- due only moves earlier here: someone active stays put until the sweep
      table.insert(update, 'u'); table.insert(update, due)
      redis.call('ZADD', prefix .. 'd:' .. tag(person), due, person)
    end
    if new ~= old then
      table.insert(update, 'p'); table.insert(update, new)
      table.insert(transitions, {pos, person, old, new})
      table.insert(events, {'t', person, old, new, tonumber(ts)})
    end
    local avail = available(f, new, tsn)
    if avail ~= (f[11] == '1') then
      table.insert(update, 'av'); table.insert(update, avail and '1' or '0')
      table.insert(avails, {pos, person, avail and 1 or 0})
      table.insert(events, {'a', person, avail and 1 or 0, tonumber(ts)})
    end
    if a[10] == 1 then  -- 'lh' remembers the time of the log's first entry, so the age cap rarely reads it
      local lk = key('l', person)
      local entry = ts .. ',' .. fmt('%d', #kind) .. ',' .. fmt('%d', #dev) .. ',' .. kind .. dev .. chan
      local n, head = redis.call('RPUSH', lk, entry), tonumber(f[10])
      if n == 1 then head = tsn end
      if n > tonumber(max_count) then
        redis.call('LTRIM', lk, '-' .. max_count, '-1')
        head = nil
      end
      while not head or head < tsn - max_age do
        if head then redis.call('LPOP', lk) end
        head = tonumber(string.match(redis.call('LINDEX', lk, '0'), '^%d+'))
      end
      if head ~= tonumber(f[10]) then table.insert(update, 'lh'); table.insert(update, fmt('%d', head)) end
      redis.call('PEXPIRE', lk, ARGV[5])
    end
    redis.call('HSET', pk, unpack(update))
    if chan ~= '' then  -- the person's memberships: "<#account>:<account><channel>" -> last seen there
      local sk = key('s', person)
      if redis.call('ZADD', sk, 'GT', ts, fmt('%d', #account) .. ':' .. account .. chan) == 1 then
        local cutoff = '(' .. fmt('%d', tsn - ttl)  -- a new one: end those not renewed within the ttl
        local gone = redis.call('ZRANGEBYSCORE', sk, '-inf', cutoff)
        if #gone > 0 then
          for _, pair in ipairs(gone) do
            local n, rest = string.match(pair, '^(%d+):(.*)$')
            channel(string.sub(rest, tonumber(n) + 1), string.sub(rest, 1, tonumber(n)), '')
            desk(string.sub(rest, tonumber(n) + 1), string.sub(rest, 1, tonumber(n)), '')
          end
          redis.call('ZREMRANGEBYSCORE', sk, '-inf', cutoff)
        end
      end
      channel(chan, account, ts)
      if f[12] or f[16] or f[17] then desk(chan, account, ts) end
    end
  end
end
for chan, members in pairs(joins) do
  local ck = key('c', chan)
  redis.call('ZADD', ck, 'GT', unpack(members))
  redis.call('ZREMRANGEBYSCORE', ck, '-inf', '(' .. fmt('%d', newest[chan] - ttl))
  redis.call('PEXPIRE', ck, channel_ttl)
end
for chan, members in pairs(desk_joins) do
  local wk = key('w', chan)
  redis.call('ZADD', wk, 'GT', unpack(members))
  redis.call('ZREMRANGEBYSCORE', wk, '-inf', '(' .. fmt('%d', newest[chan] - ttl))
  redis.call('PEXPIRE', wk, channel_ttl)
end
if #events > 0 then redis.call('PUBLISH', prefix .. 'events', cjson.encode({i = instance, e = events})) end
return {transitions, stale, chan_ops, avails, desk_ops}
"""

# Channel memberships decided by record scripts in cluster mode (the channel lives in its own slot).
# KEYS[1]: channel; ARGV: prefix, membership ttl ms, key ttl ms, then (ts | '' to leave, account) pairs in order.
CHANNEL = """
local ck, ttl, top = KEYS[1], tonumber(ARGV[2]), nil
for i = 4, #ARGV, 2 do
  if ARGV[i] == '' then
    redis.call('ZREM', ck, ARGV[i + 1])
  else
    redis.call('ZADD', ck, 'GT', ARGV[i], ARGV[i + 1])
    top = math.max(top or 0, tonumber(ARGV[i]))
  end
end
if top then
  redis.call('ZREMRANGEBYSCORE', ck, '-inf', '(' .. string.format('%d', top - ttl))
  redis.call('PEXPIRE', ck, ARGV[3])
end
return 1
"""

# Compare-and-set of one person. KEYS: person hash, due shard. ARGV: prefix, expected version
# ('' = write unconditionally as version 1), person id, due ('' = none), event JSON ('' = none), fields...
SAVE = """
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local version = 1
if ARGV[2] ~= '' then
  if v ~= tonumber(ARGV[2]) then return 0 end
  version = v + 1
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', string.format('%d', version), unpack(ARGV, 6))
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[1] .. 'events', ARGV[5]) end
return version
"""

# "who": a channel's most recent members and how many there are since a time.
# KEYS[1]: channel; ARGV: prefix, since, limit, inline ('1': also return each member's person and record).
CHANNEL_PEOPLE = _COMMON + """
local accounts = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[2], 'LIMIT', '0', ARGV[3])
local out = {redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf')}
for _, account in ipairs(accounts) do
  table.insert(out, account)
  if ARGV[4] == '1' then
    local person = redis.call('GET', key('a', account)) or account
    table.insert(out, person)
    table.insert(out, redis.call('HGETALL', key('p', person)))
  end
end
return out
"""

# Many people's records in one call (single Redis only). ARGV: prefix, person ids...
LOAD = _COMMON + """
local out = {}
for i = 2, #ARGV do out[i - 1] = redis.call('HGETALL', key('p', ARGV[i])) end
return out
"""

# The earliest due people over every shard of the due index (single Redis only).
# ARGV: prefix, now, limit.
DUE = """
local now, limit, found = ARGV[2], tonumber(ARGV[3]), {}
for s = 0, 1023 do
  local shard = ARGV[1] .. 'd:{' .. string.format('%d', s) .. '}'
  local r = redis.call('ZRANGEBYSCORE', shard, '-inf', now, 'WITHSCORES', 'LIMIT', '0', ARGV[3])
  for i = 1, #r, 2 do table.insert(found, {tonumber(r[i + 1]), r[i]}) end
end
table.sort(found, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
local out = {}
for i = 1, math.min(limit, #found) do out[i] = found[i][2] end
return out
"""

# Takes a person out (merge, forget): deletes every key of the person's slot, returning what must
# be moved or cleaned elsewhere: log entries, memberships with their times, link codes issued.
# KEYS: record, log, memberships, codes, due shard; ARGV: prefix, person.
TAKE = """
local out = {redis.call('LRANGE', KEYS[2], '0', '-1'), redis.call('ZRANGE', KEYS[3], '0', '-1', 'WITHSCORES'),
             redis.call('SMEMBERS', KEYS[4])}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[2])
return out
"""

# Merges entries into a person's log in time order (equal times keep their order, the log's first).
# KEYS: log, record; ARGV: prefix, entries...
MERGE_LOG = """
local all = redis.call('LRANGE', KEYS[1], '0', '-1')
for i = 2, #ARGV do table.insert(all, ARGV[i]) end
local keyed = {}
for i, entry in ipairs(all) do keyed[i] = {tonumber(string.match(entry, '^%d+')), i, entry} end
table.sort(keyed, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
redis.call('DEL', KEYS[1])
for i = 1, #keyed, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #keyed) do table.insert(chunk, keyed[j][3]) end
  redis.call('RPUSH', KEYS[1], unpack(chunk))
end
redis.call('HDEL', KEYS[2], 'lh')
return #keyed
"""

# Counts a hit in a fixed window. KEYS[1]: counter; ARGV: prefix, window ms.
HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
"""
