"""In-process store for tests and quick trials; the reference behaviour of the store contract."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import replace

from presence_core import availability, rules
from presence_core.models import Activity, ActivityEvent, Event, Membership, PersonRecord, TokenRecord
from presence_core.policy import Policy
from presence_core.stores.base import Store, account_digest
from presence_core.stores.memory_availability import MemoryAvailability


class MemoryStore(MemoryAvailability, Store):
    def __init__(self) -> None:
        super().__init__()
        self._people: dict[str, PersonRecord] = {}
        self._aliases: dict[str, str] = {}
        self._logs: dict[str, list[ActivityEvent]] = {}
        # channel -> account -> last seen there; account -> its channels
        self._channels: dict[str, dict[str, int]] = {}
        self._seen_in: dict[str, set[str]] = {}
        self._codes: dict[str, tuple[str, int]] = {}
        # Rate-limit counters: key -> (window start, count), and per window size the keys in the
        # order their windows end, so finished windows are dropped without scanning the rest.
        self._hits: dict[str, tuple[int, int]] = {}
        self._hit_ends: dict[int, deque[tuple[int, str]]] = {}
        self._untracked: set[str] = set()
        self._channel_names: dict[str, str] = {}
        self._tokens: dict[str, TokenRecord] = {}

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
        transitions: list[Event] = []
        for activity in batch:
            person_id = self._aliases.get(activity.user_id, activity.user_id)
            record = self._people.get(person_id)
            if record is None:
                if account_digest(activity.user_id) in self._untracked:
                    continue
                record = self._people[person_id] = PersonRecord(person_id)
            if not record.tracking:
                continue
            transitions += rules.apply_activity(record, activity, policy)
            record.version += 1
            if activity.logged:
                self._log(person_id, activity, policy)
            if activity.channel_id is not None:
                members = self._channels.setdefault(activity.channel_id, {})
                members[activity.user_id] = max(members.get(activity.user_id, 0), activity.timestamp)
                self._seen_in.setdefault(activity.user_id, set()).add(activity.channel_id)
                if availability.uses_availability(record):
                    self._desk_seen(activity.channel_id, activity.user_id, activity.timestamp)
        return transitions

    def _log(self, person_id: str, activity: Activity, policy: Policy) -> None:
        log = self._logs.setdefault(person_id, [])
        log.append(ActivityEvent(activity.type, activity.channel_id, activity.timestamp, activity.device_id))
        self._trim(log, activity.timestamp, policy)

    @staticmethod
    def _trim(log: list[ActivityEvent], now: int, policy: Policy) -> None:
        log.sort(key=lambda e: e.timestamp)
        oldest = now - policy.activity_max_age_ms
        keep = [e for e in log[-policy.activity_max_count:] if e.timestamp >= oldest]
        log[:] = keep

    async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]:
        return {pid: self._people[pid].copy() for pid in person_ids if pid in self._people}

    async def save(self, record: PersonRecord, expected_version: int, events: Sequence[Event] = ()) -> bool:
        stored = self._people.get(record.id)
        if (stored.version if stored else 0) != expected_version:
            return False
        record.version = expected_version + 1
        self._people[record.id] = record.copy()
        return True

    async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]:
        return {uid: self._aliases.get(uid, uid) for uid in user_ids}

    async def activity(self, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
        events = reversed(self._logs.get(person_id, []))
        return [e for e in events if since is None or e.timestamp >= since][:limit]

    async def channel_people(self, channel_id: str, since: int,
                             limit: int) -> tuple[list[tuple[str, PersonRecord]], int]:
        members = self._channels.get(channel_id, {})
        ranked = sorted((a for a, ts in members.items() if ts >= since), key=members.__getitem__, reverse=True)
        found: dict[str, tuple[str, PersonRecord]] = {}
        for account in ranked[:limit]:
            person_id = self._aliases.get(account, account)
            if person_id in self._people and person_id not in found:
                found[person_id] = (account, self._people[person_id].copy())
        return list(found.values()), len(ranked)

    async def memberships(self, person_id: str, since: int) -> list[Membership]:
        record = self._people.get(person_id)
        return [Membership(channel, account, ts) for account in (record.accounts if record else [person_id])
                for channel in self._seen_in.get(account, ()) if (ts := self._channels[channel][account]) >= since]

    async def end_membership(self, channel_id: str, account_ids: Sequence[str]) -> None:
        members = self._channels.get(channel_id, {})
        for account in account_ids:
            members.pop(account, None)
            self._seen_in.get(account, set()).discard(channel_id)

    async def move_channel(self, old_id: str, new_id: str) -> None:
        moved = self._channels.pop(old_id, {})
        members = self._channels.setdefault(new_id, {})
        for account, ts in moved.items():
            members[account] = max(ts, members.get(account, ts))
            self._seen_in[account] = (self._seen_in[account] - {old_id}) | {new_id}

    async def drop_channel(self, channel_id: str) -> None:
        await self.end_membership(channel_id, list(self._channels.get(channel_id, ())))

    async def housekeep(self, now: int, policy: Policy) -> None:
        oldest = now - policy.membership_ttl_ms
        for channel_id, members in list(self._channels.items()):
            await self.end_membership(channel_id, [a for a, ts in members.items() if ts < oldest])
        for code_hash, (_, expires_at) in list(self._codes.items()):
            if expires_at <= now:
                del self._codes[code_hash]
        for window_ms in list(self._hit_ends):
            self._drop_finished_windows(window_ms, now)

    async def due(self, now: int, limit: int) -> list[str]:
        due = [(r.due, pid) for pid, r in self._people.items() if r.due is not None and r.due <= now]
        return [pid for _, pid in sorted(due)[:limit]]

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        if not await self.save(into, expected_version):
            return False
        log = self._logs.setdefault(into.id, [])
        log.extend(self._logs.pop(absorbed_id, []))
        log.sort(key=lambda e: e.timestamp)
        for account, person in list(self._aliases.items()):
            if person == absorbed_id:
                self._aliases[account] = into.id
        self._aliases[absorbed_id] = into.id
        self._people.pop(absorbed_id, None)
        return True

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        if not await self.save(record, expected_version):
            return False
        self._aliases.pop(split_off.id, None)
        split_off.version = 1
        self._people[split_off.id] = split_off.copy()
        return True

    async def forget(self, person_id: str, *, do_not_track: bool = False, events: Sequence[Event] = ()) -> None:
        record = self._people.pop(person_id, None)
        accounts = record.accounts if record else [person_id]
        for account in accounts:
            self._aliases.pop(account, None)
        self._logs.pop(person_id, None)
        for account in accounts:
            for channel_id in self._seen_in.pop(account, set()):
                self._channels[channel_id].pop(account, None)
        for code_hash, (owner, _) in list(self._codes.items()):
            if owner in accounts:
                del self._codes[code_hash]
        for token_hash, token in list(self._tokens.items()):
            if token.owner in accounts:
                del self._tokens[token_hash]
        digests = {account_digest(a) for a in accounts}
        self._untracked = self._untracked | digests if do_not_track else self._untracked - digests

    async def do_not_track(self, account_ids: Sequence[str]) -> set[str]:
        return {a for a in account_ids if account_digest(a) in self._untracked}

    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        self._codes[code_hash] = (owner_id, expires_at)

    async def take_code(self, code_hash: str, now: int) -> str | None:
        owner, expires_at = self._codes.pop(code_hash, (None, 0))
        return owner if owner is not None and expires_at > now else None

    async def hit(self, key: str, window_ms: int, now: int) -> int:
        """O(1), amortized over the finished windows it drops."""
        self._drop_finished_windows(window_ms, now)
        start = now - now % window_ms
        window, count = self._hits.get(key, (start, 0))
        if window != start:
            count = 0
        if count == 0:
            self._hit_ends.setdefault(window_ms, deque()).append((start + window_ms, key))
        self._hits[key] = (start, count + 1)
        return count + 1

    def _drop_finished_windows(self, window_ms: int, now: int) -> None:
        ends = self._hit_ends.get(window_ms)
        while ends and ends[0][0] <= now:
            end, key = ends.popleft()
            window = self._hits.get(key)
            if window is not None and window[0] + window_ms == end:
                del self._hits[key]

    async def name_channels(self, names: Mapping[str, str]) -> None:
        self._channel_names.update(names)

    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        return {c: self._channel_names[c] for c in channel_ids if c in self._channel_names}

    async def add_token(self, token: TokenRecord) -> bool:
        if any(t.owner == token.owner and t.name == token.name for t in self._tokens.values()):
            return False
        self._tokens[token.hash] = token
        return True

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        return self._tokens.get(token_hash)

    async def tokens(self, owner_ids: Sequence[str]) -> list[TokenRecord]:
        owners = set(owner_ids)
        return [t for t in self._tokens.values() if t.owner in owners]

    async def revoke_token(self, owner_id: str, name: str) -> bool:
        for token_hash, token in list(self._tokens.items()):
            if token.owner == owner_id and token.name == name:
                del self._tokens[token_hash]
                return True
        return False

    async def touch_token(self, token_hash: str, at: int) -> None:
        token = self._tokens.get(token_hash)
        if token is not None:
            self._tokens[token_hash] = replace(token, last_used=at)
