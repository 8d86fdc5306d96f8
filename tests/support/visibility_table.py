"""The visibility table (SPEC section 7): situations × read paths, shared by the core, router and platform tests.

A *situation* sets up alice (and maybe her linked pseudonym fox) and bob, then names who bob
asks about, from where, and what he may learn. A *read path* is one way of asking (``@user``,
a reply, ``who``, ``get_status`` …); each test module lists its read paths, each a function
``(world, target, where) -> answer text``, and runs every situation through each of them on each
backend. To add a read path, add one function to a module's ``PATHS``; to add a situation, add one
row to ``SITUATIONS``.

The unseen answer is checked against the same path's answer for zed, whom the bot never saw:
word for word, once each name is replaced by ``X``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal, Protocol

from presence_core import PresenceService

Place = Literal["room", "secret"]
Where = Literal["room", "dm"]
CUSTOM = "planning the surprise party"
LATER_CUSTOM = "at my desk"


class Outcome(Enum):
    VISIBLE = "online, custom status, last seen"
    HIDDEN = "offline, the custom status of before hiding"
    PRIVATE = "online, no custom status, no last seen"
    UNSEEN = "word for word the answer for someone never seen"


class World(Protocol):
    """One platform (or the router, or the core) with alice, bob, fox and zed in it."""

    service: PresenceService

    def account(self, who: str) -> str: ...

    def channel(self, place: Place) -> str: ...

    def names(self, who: str) -> Sequence[str]:
        """Every way the answers may spell this person (username, display name, typed text)."""

    async def say(self, who: str, place: Place) -> None: ...


Step = Callable[[World], Awaitable[None]]


@dataclass(frozen=True)
class Situation:
    name: str
    setup: Sequence[Step]
    target: str
    where: Where
    outcome: Outcome


def _says(who: str, place: Place) -> Step:
    async def step(world: World) -> None:
        await world.say(who, place)
    return step


async def _custom(world: World) -> None:
    await world.service.set_custom_status(world.account("alice"), CUSTOM)


async def _leaves(world: World) -> None:
    await world.service.end_membership(world.channel("room"), [world.account("alice")])


async def _links_fox(world: World) -> None:
    code = await world.service.create_link_code(world.account("alice"))
    await world.service.link_account(world.account("fox"), code)


async def _invisible(world: World) -> None:
    await world.service.set_status(world.account("alice"), "offline")
    await world.service.set_custom_status(world.account("alice"), LATER_CUSTOM)


async def _tracking_off(world: World) -> None:
    await world.service.set_tracking(world.account("alice"), False)
    await world.service.set_custom_status(world.account("alice"), LATER_CUSTOM)


async def _forgets(world: World) -> None:
    await world.service.forget(world.account("alice"))


async def _nobody(world: World) -> None:
    await world.service.set_privacy(world.account("alice"), "nobody")


_TOGETHER = (_says("alice", "room"), _says("bob", "room"), _custom)
_APART = (_says("alice", "secret"), _says("bob", "room"), _custom)
_LINKED = (_says("alice", "room"), _says("fox", "secret"), _says("bob", "room"), _custom, _links_fox)

SITUATIONS: tuple[Situation, ...] = (
    Situation("same channel", _TOGETHER, "alice", "room", Outcome.VISIBLE),
    Situation("shared elsewhere, asked in a DM", _TOGETHER, "alice", "dm", Outcome.VISIBLE),
    Situation("never shared", _APART, "alice", "room", Outcome.UNSEEN),
    Situation("never shared, asked in a DM", _APART, "alice", "dm", Outcome.UNSEEN),
    Situation("left the channel", (*_TOGETHER, _leaves), "alice", "room", Outcome.UNSEEN),
    Situation("left the channel, asked in a DM", (*_TOGETHER, _leaves), "alice", "dm", Outcome.UNSEEN),
    Situation("linked account seen only elsewhere", _LINKED, "fox", "room", Outcome.UNSEEN),
    Situation("linked account seen only elsewhere, asked in a DM", _LINKED, "fox", "dm", Outcome.UNSEEN),
    Situation("linked account seen here", _LINKED, "alice", "room", Outcome.VISIBLE),
    Situation("invisible", (*_TOGETHER, _invisible), "alice", "room", Outcome.HIDDEN),
    Situation("tracking off", (*_TOGETHER, _tracking_off), "alice", "room", Outcome.HIDDEN),
    Situation("forgotten", (*_TOGETHER, _forgets), "alice", "room", Outcome.UNSEEN),
    Situation("privacy nobody", (*_TOGETHER, _nobody), "alice", "room", Outcome.PRIVATE),
    Situation("privacy nobody, asked in a DM", (*_TOGETHER, _nobody), "alice", "dm", Outcome.PRIVATE),
)

# A read path: bob asks about ``target`` from ``where``; the answer as plain text, or None where
# the path does not exist there (no reply to someone's message in a DM with the bot, no ``who``
# of a DM).
Ask = Callable[[World, str, Where], Awaitable[str | None]]


@dataclass(frozen=True)
class ReadPath:
    name: str
    ask: Ask
    # A listing (who): people are in it or not, rather than answered about one by one.
    listing: bool = False


async def prepare(world: World, situation: Situation) -> None:
    for step in situation.setup:
        await step(world)


def _anonymized(world: World, text: str, *people: str) -> str:
    for who in people:
        for name in sorted(world.names(who), key=len, reverse=True):
            text = re.sub(re.escape(name), "X", text, flags=re.IGNORECASE)
    return text


async def check(world: World, situation: Situation, path: ReadPath) -> str | None:
    """What is wrong with the path's answer in this situation (None: right, or no such path there)."""
    answer = await path.ask(world, situation.target, situation.where)
    if answer is None:
        return None
    if path.listing:
        listed = any(re.search(rf"\b{re.escape(n)}\b", answer, re.IGNORECASE) for n in world.names(situation.target))
        expected = situation.outcome in (Outcome.VISIBLE, Outcome.PRIVATE)
        if listed != expected:
            return f"{path.name}: {'listed' if listed else 'not listed'} in {answer!r}"
        if listed and (CUSTOM in answer) != (situation.outcome is Outcome.VISIBLE):
            return f"{path.name}: custom status {'shown' if CUSTOM in answer else 'missing'} in {answer!r}"
        return None
    if situation.outcome is Outcome.UNSEEN:
        never = await path.ask(world, "zed", situation.where)
        assert never is not None
        if _anonymized(world, answer, situation.target) != _anonymized(world, never, "zed"):
            return f"{path.name}: {answer!r} is not the answer for someone never seen, {never!r}"
        return None
    wanted = {
        Outcome.VISIBLE: (("online", CUSTOM, "Last seen"), (LATER_CUSTOM,)),
        Outcome.HIDDEN: (("offline", CUSTOM), (LATER_CUSTOM, "online")),
        Outcome.PRIVATE: (("online",), (CUSTOM, "Last seen")),
    }[situation.outcome]
    missing = [w for w in wanted[0] if w not in answer]
    extra = [w for w in wanted[1] if w in answer]
    others = [n for n in ("fox",) if n in answer.lower() and situation.target != "fox"]
    if missing or extra or others:
        return f"{path.name}: {answer!r} lacks {missing}, shows {extra + others}"
    return None


async def run_table(world: World, situation: Situation, paths: Sequence[ReadPath]) -> None:
    """Set the situation up, then ask through every read path (asking changes only bob's own activity)."""
    await prepare(world, situation)
    problems = [p for p in [await check(world, situation, path) for path in paths] if p]
    assert not problems, f"{situation.name}:\n" + "\n".join(problems)
