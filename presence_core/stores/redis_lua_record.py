"""The record script: a batch of activities applied as ``rules.apply_activity`` does, in one call.

Per person in the batch (several messages of one person are one update): one HMGET of the fields
their activities touch and one HSET of what changed, whatever the number of messages. The log's
newest entries are written into the person's hash (``INLINE`` of them); every ``INLINE`` entries
move to the log LIST in one RPUSH. Channels get one ZADD per channel per batch.

A membership (channel member, person's field) is renewed only when it is older than ``RENEW`` (a
sixtieth of the channel window: a minute by default): someone who keeps talking in a channel costs
its sorted set one update a minute, not one a message (measured: 13% of the script's cost).

What a step costs inside Redis 7.0 (instructions, measured with callgrind) shaped this script: a
``redis.call`` about 5k plus 3k per hash field; a number parsed from or written to a string about
2k; ``table.insert`` 1k (``t[#t + 1]`` 0.2k); comparing two strings 0.3k. So timestamps stay
strings (non-negative epoch ms compare as strings of digits: shorter is smaller, then by
characters), the payload carries ``ts + away_after_ms`` ready-made, and the log's age cap is
kept as the time its first entry expires.

People who use availability (the flag at the end of ``h``'s record part) also get
``availability.decide`` per activity, announced as ``{'a', person, 0|1, ts}``, and are listed in
each channel's desk index (``redis_desk``), whose cards (``redis_lua_desk``) are rewritten when their
availability, due time, a name or a membership changed; everyone else pays nothing for it.

Exactly once: a batch written again after an unknown outcome (a dropped connection, a failover) carries
the same token key, set with ``SET NX`` in the call's slot; a first attempt that finds it set applies
nothing and returns empty lists. Tokens whose batch was acknowledged are deleted by a later call.

ARGV: 1 prefix, 2 instance, 3 inline ('1': a single Redis, resolve aliases and write channels here),
4 log max count, 5 log max age ms, 6 membership ttl ms, 7 channel key ttl ms, 8 the batch: a flat
JSON array of ``WIDTH`` values per activity: account, the tag of its person (of the hint, else of
the account), person hint ('' = resolve here; cluster mode sends the cached guess), device,
device name, type, ts, ts + away_after_ms, channel ('' = none), channel tag, name ('' = none),
logged (true/false), username ('' = none), the status code of ``rules.arrival_status`` (an
activity that arrives late keeps its age), the time before which a membership is renewed (ts minus
``RENEW``); numbers as strings of digits; 9 the batch's token key in the call's slot ('' = none),
10 '1' on a batch's first call to this slot ('0': a retry of stale positions within one ``record``,
which sets the token without checking it), 11… token keys of acknowledged batches, to delete.
Returns {transitions {position, person, old, new}..., stale positions, channel ops {chan, account,
ts | '' to end}..., availability changes {position, person, 0|1}..., desk ops {chan, account, ts |
''}...}; channel and desk ops only in cluster mode, where the channel is in another slot.
"""

from __future__ import annotations

from presence_core.stores.redis_lua import COMMON
from presence_core.stores.redis_lua_desk import CARDS

WIDTH = 15
INLINE = 8  # log entries kept in the person's hash (redis_codec.INLINE_LOG)
RENEW_FRACTION = 60  # a membership is renewed when older than the channel window over this
# How long a batch's token outlives an unacknowledged write: a retry later than this (after a longer
# outage) may apply the batch twice.
TOKEN_TTL_MS = 10 * 60_000

_RECORD = """
local inline = ARGV[3] == '1'
local max_count, max_age, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local channel_ttl = ARGV[7]
local batch = cjson.decode(ARGV[8])
local W, INLINE, INLINE_BYTES = @WIDTH@, @INLINE@, 64
local cap = math.min(INLINE, max_count)
local call, match, fmt, sub, byte = redis.call, string.match, string.format, string.sub, string.byte
local people, order, resolved, transitions, stale, chan_ops, channels, events = {}, {}, {}, {}, {}, {}, {}, {}
local avails, desk_ops, desks = {}, {}, {}
-- events: per hash tag, as ``emit`` takes them
local SMALL = {['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5, ['6'] = 6, ['7'] = 7, ['8'] = 8}
local DIGITS = {[0] = '0', '1', '2', '3', '4', '5', '6', '7', '8'}
local SLOTS = @SLOTS@  -- fields of the entries kept in the hash: 'L1' …

if ARGV[9] ~= '' and not redis.call('SET', ARGV[9], '1', 'NX', 'PX', @TOKEN_TTL@) and ARGV[10] == '1' then
  -- applied already, the acknowledgement was lost: nothing again, except that a cluster's channel
  -- phase may not have run; its updates bear repeating (ZADD GT)
  local ops = {}
  for b = 0, inline and -1 or #batch - 1, W do
    if batch[b + 9] ~= '' then ops[#ops + 1] = {batch[b + 9], batch[b + 1], batch[b + 7]} end
  end
  return {{}, {}, ops, {}, {}}
end
if #ARGV > 10 then redis.call('DEL', unpack(ARGV, 11)) end

-- a < b for times written as digits
local function before(a, b)
  local la, lb = #a, #b
  return la < lb or (la == lb and a < b)
end

local function str(n)
  return DIGITS[n] or fmt('%d', n)
end

-- A version plus n, as a string.
local function plus(v, n)
  local last = byte(v, -1)
  if n == 1 and last and last < 57 then return sub(v, 1, -2) .. string.char(last + 1) end
  return fmt('%d', (tonumber(v) or 0) + n)
end

local function state(id, t)
  local st = people[id]
  if not st then
    st = {id = id, tag = t, key = prefix .. 'p:' .. t .. id, f = {}, acts = {}}
    people[id] = st
    order[#order + 1] = st
  end
  return st
end

-- The hash fields an activity (at batch offset b) touches when ``person`` is its person, added to ``list`` once.
local function wanted(person, b, f, list)
  local account, dev, chan = batch[b + 1], batch[b + 4], batch[b + 9]
  local d = dev == person and '@' or '@' .. dev
  if f[d] == nil then f[d] = false; list[#list + 1] = d end
  if chan ~= '' then
    local m = account == person and '#' .. chan or '%' .. #account .. ':' .. account .. chan
    if f[m] == nil then f[m] = false; list[#list + 1] = m end
  end
end

-- The person of the account of the activity at offset b: a state, 'skip' (an unknown account
-- that asked not to be tracked), or false (the client's guess was stale). Fetches what it needs.
local function resolve(b)
  local account, t, hint = batch[b + 1], batch[b + 2], batch[b + 3]
  if hint ~= '' and hint ~= account then  -- cluster: the guess is a person the account is linked to
    local linked = call('HGET', prefix .. 'p:' .. t .. hint, 'l')
    if linked then
      for _, a in ipairs(cjson.decode(linked)) do if a == account then return state(hint, t) end end
    end
    return false
  end
  local st = people[account]
  if st then return st end  -- the account is a person another account already led to
  local f, list = {h = false}, {'h'}
  wanted(account, b, f, list)
  local values = call('HMGET', prefix .. 'p:' .. t .. account, unpack(list))
  if not values[1] then
    if inline then
      local alias = call('GET', prefix .. 'a:' .. t .. account)
      if alias then return state(alias, tag(alias)) end
    elseif call('EXISTS', prefix .. 'a:' .. t .. account) == 1 then
      return false
    end
    if call('EXISTS', prefix .. 'n:' .. t .. redis.sha1hex(account)) == 1 then return 'skip' end
  end
  st = state(account, t)
  for i = 1, #list do f[list[i]] = values[i] end
  st.f, st.fetched = f, b  -- what the activity at b needs is known
  return st
end

-- A listing (a channel's members, a desk) gains the account at ts for its sorted set; '' as ts ends it.
local function listing(c, account, ts)
  if ts == '' then
    c.gone = c.gone or {}
    c.gone[#c.gone + 1] = account
  else
    local adds = c.adds
    adds[#adds + 1] = ts; adds[#adds + 1] = account
    if not c.newest or before(c.newest, ts) then c.newest = ts end
  end
end

local function channel(chan, t, account, ts)
  if not inline then
    chan_ops[#chan_ops + 1] = {chan, account, ts}
    return
  end
  local c = channels[chan]
  if not c then c = {key = prefix .. 'c:' .. (t ~= '' and t or tag(chan)) .. chan, adds = {}}; channels[chan] = c end
  listing(c, account, ts)
end

-- The log of one person during the batch: n entries in fields L1..Ln after ll entries in the LIST;
-- expires: when its first entry outlives the age cap.
local function log_slots(lg, upto)
  local missing = {}
  for i = 1, upto do if not lg.slots[i] then missing[#missing + 1] = i end end
  if #missing > 0 then
    local fields = {}
    for i = 1, #missing do fields[i] = SLOTS[missing[i]] end
    local values = call('HMGET', lg.pk, unpack(fields))
    for i = 1, #missing do lg.slots[missing[i]] = values[i] end
  end
end

local function log_spill(lg)
  log_slots(lg, lg.n)
  local push = lg.push or {}
  lg.push = push
  for i = 1, lg.n do push[#push + 1] = lg.slots[i] end
  lg.ll, lg.n, lg.slots, lg.dirty = lg.ll + lg.n, 0, {}, 1
end

local function log_flush(lg)
  if lg.push and #lg.push > 0 then
    call('RPUSH', lg.lk, unpack(lg.push))
    lg.push, lg.pushed = nil, true
  end
end

-- Someone who uses availability is listed in the channel's desk index too; '' as ts ends the listing.
local function desk(chan, t, account, ts)
  if not inline then
    desk_ops[#desk_ops + 1] = {chan, account, ts}
    return
  end
  local c = desks[chan]
  if not c then
    local slot = t ~= '' and t or tag(chan)
    c = {key = prefix .. 'w:' .. slot .. chan, cards = prefix .. 'wc:' .. slot .. chan, adds = {}}
    desks[chan] = c
  end
  listing(c, account, ts)
end

local function ts_of(entry) return tonumber(match(entry, '^[^,]*')) end

local function set_first(lg, entry)
  lg.expires = fmt('%d', ts_of(entry) + max_age)
end

local function log_append(lg, entry, ts)
  if lg.ll == 0 and lg.n == 0 then set_first(lg, entry) end
  if lg.n >= cap or #entry > INLINE_BYTES then log_spill(lg) end
  if #entry > INLINE_BYTES then
    lg.push = lg.push or {}
    lg.push[#lg.push + 1] = entry
    lg.ll = lg.ll + 1
  else
    lg.n = lg.n + 1
    lg.slots[lg.n] = entry
  end
  if not lg.newest or before(lg.newest, ts) then lg.newest = ts end
end

-- Applies the caps (age first, then count) and writes; returns the log part of the ``h`` field.
local function log_close(lg, update)
  if lg.newest and before(lg.expires, lg.newest) then
    log_spill(lg)
    log_flush(lg)
    local all, cutoff, first = call('LRANGE', lg.lk, '0', '-1'), tonumber(lg.newest) - max_age, nil
    for i = 1, #all do if ts_of(all[i]) >= cutoff then first = i; break end end
    call('LTRIM', lg.lk, first - 1, -1)
    lg.ll = #all - first + 1
    set_first(lg, all[first])
  end
  local excess = lg.ll + lg.n - max_count
  if excess > 0 then
    log_flush(lg)
    lg.ll = lg.ll - excess
    if lg.ll == 0 then
      call('DEL', lg.lk)
      log_slots(lg, 1)
      set_first(lg, lg.slots[1])
    else
      call('LTRIM', lg.lk, excess, -1)
      set_first(lg, call('LINDEX', lg.lk, '0'))
    end
  end
  log_flush(lg)
  if lg.pushed then call('PEXPIRE', lg.lk, ARGV[5]) end
  for i = lg.dirty, lg.n do update[#update + 1] = SLOTS[i]; update[#update + 1] = lg.slots[i] end
  if lg.stored > lg.n then  -- entries moved to the LIST leave the hash
    local gone = {}
    for i = lg.n + 1, lg.stored do gone[#gone + 1] = SLOTS[i] end
    call('HDEL', lg.pk, unpack(gone))
  end
  if lg.n == 0 and lg.ll == 0 then return '' end
  return '|' .. str(lg.n) .. ',' .. str(lg.ll) .. ',' .. lg.expires
end

-- Ends the memberships of a person not renewed within the ttl before ``newest`` (when one is added).
local function expire_members(st, newest)
  local fields, gone, cutoff = call('HGETALL', st.key), {}, tonumber(newest) - ttl
  for i = 1, #fields, 2 do
    local field = fields[i]
    local c = sub(field, 1, 1)
    if (c == '#' or c == '%') and not st.mem[field] and tonumber(fields[i + 1]) < cutoff then
      gone[#gone + 1] = field
      local chan, account = sub(field, 2), st.id
      if c == '%' then
        local n, rest = match(field, '^%%(%d+):(.*)$')
        n = tonumber(n)
        chan, account = sub(rest, n + 1), sub(rest, 1, n)
      end
      channel(chan, '', account, '')
      desk(chan, '', account, '')
    end
  end
  if #gone > 0 then call('HDEL', st.key, unpack(gone)) end
end

local function apply(st)
  local f, person = st.f, st.id
  local v, s, p, u, k, ku, t, a, log = match(f.h or ',,,,,,,',
                                             '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,|]*)(.*)$')
  if t == '0' then return end
  local uses, av, ca, ld, hf, hu, hz = a == '1', nil, nil, nil, nil, nil, nil
  local names, carded = {}, false  -- the stored names of the batch's accounts; whether the desk cards changed
  if uses then  -- availability.decide's inputs: announced, capacity, load, the hours window, hours set
    local fields = {'av', 'ca', 'ld', 'hf', 'hu', 'hz'}
    for i = 1, #st.acts do
      local account = batch[st.acts[i] + 1]
      local field = account == person and 'n' or 'n@' .. account
      if names[field] == nil then names[field] = false; fields[#fields + 1] = field end
    end
    local w = call('HMGET', st.key, unpack(fields))
    av, ca, ld, hf, hu, hz = w[1] == '1', tonumber(w[2]), tonumber(w[3]) or 0, w[4] or '', w[5] or '', w[6]
    for i = 7, #fields do names[fields[i]] = w[i] or false end
  end
  local due, published = u, p ~= '' and p or 'f'
  local lg = {pk = st.key, lk = prefix .. 'l:' .. st.tag .. person, n = 0, ll = 0, slots = {}}
  if log ~= '' then
    local n, ll, expires = match(log, '^|(%d+),(%d+),(.*)$')
    lg.n, lg.ll, lg.expires = SMALL[n], SMALL[ll] or tonumber(ll), expires
  end
  lg.stored, lg.dirty = lg.n, lg.n + 1
  local update, devices, mem, joined = {'h', false}, {}, {}, nil
  st.mem = mem
  local acts = st.acts
  for i = 1, #acts do
    local b = acts[i]
    local account, dev, kind, ts, chan, name = batch[b + 1], batch[b + 4], batch[b + 6], batch[b + 7], batch[b + 9], batch[b + 11]
    local username = batch[b + 13]
    local field = dev == person and '@' or '@' .. dev
    local d = devices[field]
    if not d then  -- {last_seen, synced_at, "reported,reported_expires,name"}
      local raw = f[field]
      if raw then
        local ls, sa, rest = match(raw, '^([^,]*),([^,]*),(.*)$')
        d = {ls, sa == '=' and ls or sa, rest}
      else
        d = {ts, ts, ',,' .. batch[b + 5]}
      end
      devices[field] = d
      update[#update + 1] = field
      update[#update + 1] = d
    end
    if d[1] == '' or before(d[1], ts) then d[1] = ts end
    if d[2] == '' or before(d[2], ts) then d[2] = ts end
    if s == '' or before(s, ts) then s = ts end
    if name ~= '' then
      local field = account == person and 'n' or 'n@' .. account
      update[#update + 1] = field
      update[#update + 1] = name
      if uses and names[field] ~= name then names[field] = name; carded = true end
    end
    if username ~= '' then
      update[#update + 1] = account == person and 'un' or 'un@' .. account
      update[#update + 1] = username
    end
    local held = k ~= '' and (ku == '' or before(ts, ku)) and k
    local next_due = batch[b + 8]
    if held and ku ~= '' and before(ku, next_due) then next_due = ku end
    if due == '' or before(next_due, due) then due = next_due end
    local implied = batch[b + 14]  -- rules.apply_activity: a late activity fires no transition a timer takes back
    local new = held or ((implied == 'o' or published == 'f') and implied) or published
    if new ~= published then
      transitions[#transitions + 1] = {(b / W) + 1, person, published, new}
      local out = events[st.tag]
      if not out then out = {e = {}}; events[st.tag] = out end
      out.e[#out.e + 1] = {'t', person, published, new, tonumber(ts)}
      published = new
    end
    if uses then
      local now_available = new == 'o' and (not hz or (hf ~= '' and not before(ts, hf) and (hu == '' or before(ts, hu))))
                            and (not ca or ld < ca)
      if now_available ~= av then
        av, carded = now_available, true
        update[#update + 1] = 'av'
        update[#update + 1] = av and '1' or '0'
        avails[#avails + 1] = {(b / W) + 1, person, av and 1 or 0}
        local out = events[st.tag]
        if not out then out = {e = {}}; events[st.tag] = out end
        out.e[#out.e + 1] = {'a', person, av and 1 or 0, tonumber(ts)}
      end
    end
    if batch[b + 12] then
      local entry
      if kind == 'message' and dev == person then
        entry = ts .. ',,,' .. chan
      else
        local tl = kind == 'message' and '' or str(#kind)
        local dl = dev == person and '' or str(#dev)
        entry = ts .. ',' .. tl .. ',' .. dl .. ',' .. (tl == '' and '' or kind) .. (dl == '' and '' or dev) .. chan
      end
      log_append(lg, entry, ts)
    end
    if chan ~= '' then
      local m = account == person and '#' .. chan or '%' .. #account .. ':' .. account .. chan
      local cur = mem[m]
      if cur == nil then
        cur = f[m]
        if not cur and (not joined or before(joined, ts)) then joined = ts end
      end
      if not cur or before(cur, batch[b + 15]) then  -- renewed at most once per RENEW_FRACTION of the window
        mem[m] = ts
        channel(chan, batch[b + 10], account, ts)
        if uses then desk(chan, batch[b + 10], account, ts); carded = true end
      end
    end
  end
  for i = 4, #update, 2 do  -- devices: their values are known only now
    local d = update[i]
    if type(d) == 'table' then update[i] = d[1] .. ',' .. (d[2] == d[1] and '=' or d[2]) .. ',' .. d[3] end
  end
  for m, ts in pairs(mem) do update[#update + 1] = m; update[#update + 1] = ts end
  if joined then expire_members(st, joined) end
  local log_part = log_close(lg, update)
  update[2] = (v == '' and str(#acts) or plus(v, #acts)) .. ',' .. s .. ',' .. published .. ',' .. due .. ',' .. k .. ','
              .. ku .. ',' .. t .. ',' .. a .. log_part
  call('HSET', st.key, unpack(update))
  if due ~= u then call('ZADD', prefix .. 'd:' .. st.tag, due, person) end
  if inline and uses and (carded or due ~= u) then desk_cards(person, call('HGETALL', st.key)) end
end

for b = 0, #batch - 1, W do
  local account = batch[b + 1]
  local st = resolved[account]
  if st == nil then
    st = resolve(b)
    resolved[account] = st
  end
  if st == false then
    stale[#stale + 1] = (b / W) + 1
  elseif st ~= 'skip' then
    st.acts[#st.acts + 1] = b
  end
end
for _, st in ipairs(order) do
  local f, acts = st.f, st.acts
  if not (#acts == 1 and st.fetched == acts[1]) then  -- else resolve fetched it all (one message)
    local list = {}
    if f.h == nil then f.h = false; list[1] = 'h' end
    for i = 1, #acts do wanted(st.id, acts[i], f, list) end
    if #list > 0 then
      local values = call('HMGET', st.key, unpack(list))
      for i = 1, #list do f[list[i]] = values[i] end
    end
  end
  apply(st)
end
for _, c in pairs(channels) do
  if c.gone then call('ZREM', c.key, unpack(c.gone)) end
  if #c.adds > 0 then
    call('ZADD', c.key, 'GT', unpack(c.adds))
    call('ZREMRANGEBYSCORE', c.key, '-inf', '(' .. fmt('%d', tonumber(c.newest) - ttl))
    call('PEXPIRE', c.key, channel_ttl)
  end
end
for _, c in pairs(desks) do
  if c.gone then call('ZREM', c.key, unpack(c.gone)); call('HDEL', c.cards, unpack(c.gone)) end
  if #c.adds > 0 then
    call('ZADD', c.key, 'GT', unpack(c.adds))
    -- the listings that expire take their cards along (bounded per call; the rest go next time)
    local old = call('ZRANGEBYSCORE', c.key, '-inf', '(' .. fmt('%d', tonumber(c.newest) - ttl), 'LIMIT', 0, 1000)
    if #old > 0 then call('ZREM', c.key, unpack(old)); call('HDEL', c.cards, unpack(old)) end
    call('PEXPIRE', c.key, channel_ttl)
  end
end
emit(events)
return {transitions, stale, chan_ops, avails, desk_ops}
"""

RECORD = COMMON + CARDS + (_RECORD.replace("@WIDTH@", str(WIDTH)).replace("@INLINE@", str(INLINE))
                   .replace("@TOKEN_TTL@", str(TOKEN_TTL_MS))
                   .replace("@SLOTS@", "{%s}" % ", ".join(f"'L{i}'" for i in range(1, INLINE + 1))))
