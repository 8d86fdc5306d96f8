"""Desk cards: what ``available`` and ``pick`` read of a person, kept per channel by every script that
changes it (single Redis only; SPEC section 12).

A channel's desk on a single Redis (or Sentinel) is two keys in the channel's slot: the listing
``w:{S}<channel>`` (ZSET, account -> last seen there; ``redis_desk``) and the cards
``wc:{S}<channel>`` (HASH, account -> card). A card is a JSON array without its brackets:

    account, person, available 0|1, due | null, load, capacity | null, last pick | null, [skills], name | null

Invariant, kept atomically with every write of a person hash: for each membership field
(``#<chan>``, ``%<n>:<acct><chan>``) in the hash of a person who uses availability, the channel's
cards hold that account's card as the hash says now; a card of anyone else is removed. The scripts
that write person hashes call ``desk_cards`` after their write: the record script (when the
availability, due time, a name or a membership changed), SAVE and LOAD_CHANGE; the steps of forget,
link and unlink that take a hash or some of its memberships out (``redis_lua_links``:
FORGET_TAKE_STEP, MERGE_STASH, TAKE_MEMBERS_STEP) remove their cards. Memberships that a link or an
unlink moves to a person (MERGE_APPLY_STEP, PUT_MEMBERS) arrive without cards: the next read mends
them (``redis_desk``), as it does for listings made before cards existed. Listings, channel moves
and drops go through ``redis_desk``.

On a cluster a channel's keys live in another slot than the person's, which a script must not
touch: there ``desk_on`` is false, there are no cards, and the desk is read person by person.
``for_mode`` sets it when the scripts are loaded.
"""

from __future__ import annotations

from presence_core.policy import Policy

_SWITCH = "@DESK_ON@"
# A card key lives this long after its last write (listings: the channel window of memberships).
CARD_TTL_MS = Policy().membership_ttl_ms

# After redis_lua.COMMON (``prefix``, ``key``).
CARDS = """
local desk_on = @DESK_ON@

-- The account and channel of a membership field of ``person``'s hash; nil for any other field.
local function membership(person, field)
  local c = string.byte(field, 1)
  if c == 35 then return person, string.sub(field, 2) end  -- '#'
  if c ~= 37 then return nil end  -- '%'
  local n, rest = string.match(field, '^%%(%d+):(.*)$')
  if not n then return nil end
  n = tonumber(n)
  return string.sub(rest, 1, n), string.sub(rest, n + 1)
end

-- The person id in a person hash's key (the prefix has no '{').
local function person_of(pk)
  return string.match(pk, '^[^{]*{%d+}(.*)$')
end

-- An account's card from its person's fields: h, av, ld, ca, lp, sk and the account's name.
local function desk_card(account, person, h, av, ld, ca, lp, sk, name)
  local u = string.match(h, '^[^,]*,[^,]*,[^,]*,([^,]*)')
  return cjson.encode(account) .. ',' .. cjson.encode(person) .. ',' .. (av == '1' and '1' or '0') .. ','
    .. (u ~= '' and u or 'null') .. ',' .. (ld or '0') .. ',' .. (ca or 'null') .. ',' .. (lp or 'null') .. ','
    .. (sk or '[]') .. ',' .. (name and cjson.encode(name) or 'null')
end

-- Whether the ``h`` field (or the tail SAVE writes after the version) says the person uses availability.
local function uses_availability(h)
  return h and string.match(h, '^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,([^,|]*)') == '1' or false
end

-- Rewrites the cards of every membership in ``flat`` (field, value pairs of ``person``'s hash) while
-- the person uses availability, else removes them; ``gone``: removes them in any case.
local function desk_cards(person, flat, gone)
  if not desk_on then return end
  local f, members = {}, {}
  for i = 1, #flat, 2 do
    local account, chan = membership(person, flat[i])
    if account then members[#members + 1] = {account, chan} else f[flat[i]] = flat[i + 1] end
  end
  local listed = not gone and uses_availability(f.h)
  for _, m in ipairs(members) do
    local account, ck = m[1], key('wc', m[2])
    if listed then
      redis.call('HSET', ck, account, desk_card(account, person, f.h, f.av, f.ld, f.ca, f.lp, f.sk,
                                                f[account == person and 'n' or 'n@' .. account]))
      redis.call('PEXPIRE', ck, @CARD_TTL@)
    else
      redis.call('HDEL', ck, account)
    end
  end
end
""".replace("@CARD_TTL@", str(CARD_TTL_MS))


def for_mode(source: str, cluster: bool) -> str:
    """A script's source for a cluster (no cards) or a single Redis (cards kept)."""
    return source.replace(_SWITCH, "false" if cluster else "true")
