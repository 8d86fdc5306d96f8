"""The way ``get_available`` and ``pick`` read a desk on Redis before desk cards, kept only to be
measured against in the same run (``bench_availability``): one script read every listed person's
fields (alias, then an HMGET of their hash), then Python built a record per person, settled the
due ones, filtered and sorted. Same results as the store's way; not used by the product.
"""

from __future__ import annotations

import json

from presence_core import availability
from presence_core.desk import PICK_ROUNDS, PICK_TRIES, available_now
from presence_core.models import AvailableUser, LoadChange, PersonRecord
from presence_core.service import PresenceService
from presence_core.stores import redis_codec as codec
from presence_core.stores.redis import RedisStore
from presence_core.stores.redis_lua import COMMON

# ARGV: 1 prefix, 2 unused, 3 channel, 4 since, 5 now. Returns {account, person, fields, whole|{}}...
OLD_DESK = COMMON + """
local now, seen, out = tonumber(ARGV[5]), {}, {}
for _, account in ipairs(redis.call('ZREVRANGEBYSCORE', key('w', ARGV[3]), '+inf', ARGV[4])) do
  local person = redis.call('GET', key('a', account)) or account
  if not seen[person] then
    seen[person] = true
    local pk = key('p', person)
    local f = redis.call('HMGET', pk, 'h', 'av', 'ld', 'ca', 'lp', 'sk', account == person and 'n' or 'n@' .. account)
    if f[1] then
      local u = string.match(f[1], '^[^,]*,[^,]*,[^,]*,([^,]*)')
      local due = u ~= '' and tonumber(u) <= now
      if f[2] == '1' or due then
        table.insert(out, account); table.insert(out, person)
        table.insert(out, {f[2], u ~= '' and u or false, f[3], f[4], f[5], f[6], f[7]})
        table.insert(out, due and redis.call('HGETALL', pk) or {})
      end
    end
  end
end
return out
"""


def _light(person_id: str, account: str, f: list[bytes | None]) -> PersonRecord:
    available, due, load, capacity, last_pick, skills, name = f
    return PersonRecord(person_id, due=int(due) if due else None, load=int(load) if load else 0,
                        capacity=int(capacity) if capacity else None, last_pick=int(last_pick) if last_pick else None,
                        skills=json.loads(skills) if skills else [], available=available == b"1",
                        names={account: name.decode()} if name else {})


class OldDesk:
    """``get_available`` and ``pick`` as they were, on one service over a single Redis."""

    def __init__(self, service: PresenceService) -> None:
        self.service = service
        self.store: RedisStore = service.store  # type: ignore[assignment]
        self.sha: str | None = None

    async def read(self, channel_id: str) -> list[bytes | list[bytes | None] | list[bytes]]:
        """The script's reply: every listed person who may be available."""
        service, store = self.service, self.store
        if not self.sha:
            self.sha = await store.client.script_load(OLD_DESK)
        now = service.clock()
        return await store.client.evalsha(self.sha, 0, store.keys.prefix, "", channel_id,
                                          now - service.policy.membership_ttl_ms, now)

    @staticmethod
    def decode(flat: list) -> list[tuple[str, PersonRecord]]:  # type: ignore[type-arg]
        """A record per person (whole when due)."""
        return [(a.decode(), codec.decode(p.decode(), codec.pairs(whole)) if whole else _light(p.decode(), a.decode(), f))
                for a, p, f, whole in zip(flat[::4], flat[1::4], flat[2::4], flat[3::4])]

    async def visible(self, channel_id: str, people: list[tuple[str, PersonRecord]]) -> set[str]:
        accounts = [a for a, _ in people]
        return await self.service.visibility.in_channel(None, channel_id, accounts, members=accounts)

    def choose(self, people: list[tuple[str, PersonRecord]], visible: set[str],
               skill: str | None = None) -> list[AvailableUser]:
        """Available now (settling due records on a copy), with the skill, in pick order."""
        service, now = self.service, self.service.clock()
        wanted = None if skill is None else availability.skill_key(skill)
        found = [availability.as_available(a, r) for a, r in people
                 if a in visible and (wanted is None or wanted in r.skills) and available_now(r, now, service)]
        return sorted(found, key=availability.pick_order)

    async def get_available(self, channel_id: str, skill: str | None = None) -> list[AvailableUser]:
        people = self.decode(await self.read(channel_id))
        return self.choose(people, await self.visible(channel_id, people), skill)

    async def pick(self, channel_id: str, skill: str | None = None) -> AvailableUser | None:
        for _ in range(PICK_ROUNDS):
            candidates = await self.get_available(channel_id, skill)
            if not candidates:
                return None
            persons = await self.store.resolve([c.user_id for c in candidates[:PICK_TRIES]])
            for candidate in candidates[:PICK_TRIES]:
                outcome = await self.store.change_load(persons[candidate.user_id],
                                                       LoadChange(1, pick=True, expected_load=candidate.load),
                                                       self.service.clock(), self.service.policy)
                if outcome.refused is None and outcome.record is not None:
                    return availability.as_available(candidate.user_id, outcome.record)
        return None
