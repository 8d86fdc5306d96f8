"""Server-side scripts of link, unlink and forget (``redis_links``) and of their journal (``redis_journal``).

Each touches one slot. Scripts named ``…_STEP`` do a step in the slot of the journal entry that
drives it, and record it there in the same script: run again, a step already done only returns the
entry. Their KEYS[1] is the journal hash and ARGV 3-5 the entry's field, the step's number and the
lease (ms); they return the entry (JSON) as it now is, or false when it is gone (finished) or owned by
another process (taken over). The other scripts can run any number of times with the same outcome.
"""

from __future__ import annotations

from presence_core.stores.redis_lua import COMMON, JOURNAL
from presence_core.stores.redis_lua_desk import CARDS

_STEP = COMMON + JOURNAL + """
local jk, jf, step, lease = KEYS[1], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local raw = redis.call('HGET', jk, jf)
if not raw then return false end
local entry = cjson.decode(raw)
if entry.o ~= instance then return false end
if entry.s >= step then return raw end
local function done()
  entry.s, entry.t = step, clock()
  journal_put(jk, jf, entry, lease)
  return cjson.encode(entry)
end
"""

SCRIPTS = {
    # A journal entry, unless one is there already (returned: it must be finished first).
    # KEYS[1]: journal hash; ARGV: 3 field, 4 the entry (JSON, its lease in ``l``).
    "JOURNAL_BEGIN": COMMON + JOURNAL + """
local raw = redis.call('HGET', KEYS[1], ARGV[3])
if raw then return raw end
journal_begin(KEYS[1], ARGV[3], cjson.decode(ARGV[4]))
return false
""",
    # Step ARGV[4] is done (a step in another slot): recorded, the entry's lease renewed. Same arguments as a step.
    "JOURNAL_MARK": _STEP + """
return done()
""",
    # Takes over an entry whose owner is ARGV[4], when ARGV[5] is '1' (that process is gone) or its lease
    # ran out. KEYS[1]: journal hash; ARGV: 3 field, 4 owner, 5 force, 6 lease ms. Returns the entry or false.
    "JOURNAL_CLAIM": COMMON + JOURNAL + """
local raw = redis.call('HGET', KEYS[1], ARGV[3])
if not raw then return false end
local e = cjson.decode(raw)
if e.o ~= ARGV[4] or (ARGV[5] ~= '1' and e.l > clock()) then return false end
journal_put(KEYS[1], ARGV[3], e, tonumber(ARGV[6]))
return cjson.encode(e)
""",
    # Every journal entry (single Redis only): {tag, {field, entry, ...}} per tag that has any.
    "JOURNALS": COMMON + """
local out = {}
for s = 0, 1023 do
  local t = '{' .. string.format('%d', s) .. '}'
  local found = redis.call('HGETALL', prefix .. 'j:' .. t)
  if #found > 0 then out[#out + 1] = {t, found} end
end
return out
""",
    # Forget: the person's hash, log and due entry go, and their desk cards; the entry keeps their
    # memberships (``m``: field -> time) and every account (``a`` with those of ``l``). KEYS: journal hash,
    # person hash, log, due shard; ARGV 6: the person.
    "FORGET_TAKE_STEP": _STEP + CARDS + """
local flat, seen = redis.call('HGETALL', KEYS[2]), {}
local m = {}
for _, a in ipairs(entry.a) do seen[a] = true end
for i = 1, #flat, 2 do
  local field, c = flat[i], string.sub(flat[i], 1, 1)
  if c == '#' or c == '%' then
    m[field] = flat[i + 1]
  elseif field == 'l' then
    for _, a in ipairs(cjson.decode(flat[i + 1])) do
      if not seen[a] then seen[a] = true; entry.a[#entry.a + 1] = a end
    end
  end
end
entry.m = m
desk_cards(ARGV[6], flat, true)
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[6])
return done()
""",
    # Link: the absorbed person's hash and log move aside (renamed, the log keeping its time to live) until
    # merged; their due entry and desk cards go. Once moved, never again. KEYS: hash, log, due shard, the
    # hash's and the log's place aside; ARGV: 3 the absorbed person.
    "MERGE_STASH": COMMON + CARDS + """
if redis.call('EXISTS', KEYS[4]) == 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  desk_cards(ARGV[3], redis.call('HGETALL', KEYS[1]), true)
  redis.call('RENAME', KEYS[1], KEYS[4])
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[5]) end
end
redis.call('ZREM', KEYS[3], ARGV[3])
return 1
""",
    # Link: the absorbed log's entries join the person's log in time order (equal times keep their order,
    # the person's own first; the whole log then lives in the LIST), and the absorbed memberships join
    # theirs (the later time wins). KEYS: journal hash, person hash, log; ARGV: 6 time to live of the
    # entries' old LIST (ms, <= 0: none), 7 when the first of them outlives the age cap, 8 the number of
    # entries, then the entries, then membership field and time pairs.
    "MERGE_APPLY_STEP": _STEP + """
local pk, lk = KEYS[2], KEYS[3]
local h = redis.call('HGET', pk, 'h')
if not h then return done() end  -- the person was forgotten meanwhile
local n = tonumber(ARGV[8])
if n > 0 then
  local record, inline, expires = string.match(h, '^([^|]*)|?(%d*),?%d*,?(%d*)$')
  local all = redis.call('LRANGE', lk, '0', '-1')
  local stale = {}
  for i = 1, tonumber(inline) or 0 do
    table.insert(stale, 'L' .. i)
    table.insert(all, redis.call('HGET', pk, 'L' .. i))
  end
  for i = 9, 8 + n do table.insert(all, ARGV[i]) end
  local keyed = {}
  for i, e in ipairs(all) do keyed[i] = {tonumber(string.match(e, '^[^,]*')), i, e} end
  table.sort(keyed, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
  local ttl = math.max(redis.call('PTTL', lk), tonumber(ARGV[6]))
  redis.call('DEL', lk)
  for i = 1, #keyed, 1000 do
    local chunk = {}
    for j = i, math.min(i + 999, #keyed) do table.insert(chunk, keyed[j][3]) end
    redis.call('RPUSH', lk, unpack(chunk))
  end
  if ttl > 0 then redis.call('PEXPIRE', lk, ttl) end
  if #stale > 0 then redis.call('HDEL', pk, unpack(stale)) end
  if expires == '' or (ARGV[7] ~= '' and tonumber(ARGV[7]) < tonumber(expires)) then expires = ARGV[7] end
  redis.call('HSET', pk, 'h', record .. '|0,' .. #keyed .. ',' .. expires)
end
for i = 9 + n, #ARGV, 2 do
  local current = redis.call('HGET', pk, ARGV[i])
  if not current or tonumber(current) < tonumber(ARGV[i + 1]) then redis.call('HSET', pk, ARGV[i], ARGV[i + 1]) end
end
return done()
""",
    # Unlink: the memberships of one account leave the person's hash into the entry (``m``: channel ->
    # time), and their desk cards go. KEYS: journal hash, person hash; ARGV: 6 the fields' prefix.
    "TAKE_MEMBERS_STEP": _STEP + CARDS + """
local fields, m, gone, taken = redis.call('HGETALL', KEYS[2]), {}, {}, {}
local n = #ARGV[6]
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, n) == ARGV[6] then
    gone[#gone + 1] = fields[i]
    m[string.sub(fields[i], n + 1)] = fields[i + 1]
    taken[#taken + 1] = fields[i]; taken[#taken + 1] = fields[i + 1]
  end
end
if #gone > 0 then redis.call('HDEL', KEYS[2], unpack(gone)) end
desk_cards(person_of(KEYS[2]), taken, true)
entry.m = m
return done()
""",
    # Adds memberships to an existing person (the later time wins). KEYS: person hash; ARGV: 3… field, time pairs.
    "PUT_MEMBERS": COMMON + """
if redis.call('HEXISTS', KEYS[1], 'h') == 0 then return 0 end
for i = 3, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(current) < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
""",
    # Points an account at a person, or at none ('': only while it points at ARGV[5]), and tells every
    # process when that changed anything. KEYS[1]: alias key; ARGV: 3 account, 4 person or '', 5 expected.
    # Returns 1 when it changed the alias.
    "ALIAS": COMMON + """
local current = redis.call('GET', KEYS[1])
if ARGV[4] == '' then
  if not current or (ARGV[5] ~= '' and current ~= ARGV[5]) then return 0 end
  redis.call('DEL', KEYS[1])
else
  if current == ARGV[4] then return 0 end
  redis.call('SET', KEYS[1], ARGV[4])
end
emit({[tag(ARGV[3])] = {x = {ARGV[3]}}})
return 1
""",
    # Forget: deletes the entries of an event stream that name any of these ids (an event's person, a room
    # event's member, an alias change's account) up to a stream id. KEYS[1]: the stream; ARGV: 3 the last
    # stream id to look at, 4 the ids (JSON). Returns how many went.
    "SCRUB": COMMON + """
local ids, gone = {}, {}
for _, a in ipairs(cjson.decode(ARGV[4])) do ids[a] = true end
local function names(w)
  if w[1] ~= 'r' then return ids[w[2]] end
  return ids[w[3]] or (type(w[4]) == 'table' and ids[w[4][1]])
end
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', ARGV[3])) do
  local f, hit = entry[2], false
  for i = 1, #f, 2 do
    if f[i] == 'x' or f[i] == 'e' then
      for _, v in ipairs(cjson.decode(f[i + 1])) do
        if (f[i] == 'x' and ids[v]) or (f[i] == 'e' and names(v)) then hit = true end
      end
    end
  end
  if hit then gone[#gone + 1] = entry[1] end
end
if #gone > 0 then redis.call('XDEL', KEYS[1], unpack(gone)) end
return #gone
""",
}
# Behind Sentinel these wait for the replicas (redis_client): the journal and every step are writes.
WRITE_SCRIPTS = frozenset(name for name in SCRIPTS if name != "JOURNALS")
