"""What the ``/presence`` slash command options suggest while someone types (Discord autocomplete).

Each function returns at most ``AUTOCOMPLETE_LIMIT`` choices, Discord's maximum; a suggestion's
value is what the text command parser reads, its name is in the person's language.
"""

from __future__ import annotations

import logging

from discord.app_commands import Choice

from presence_adapters.discord.translator import DESCRIPTION_LIMIT
from presence_bot import i18n, timefmt
from presence_bot.parsing import MAX_DURATION_MS, MIN_DURATION_MS, parse_duration
from presence_core import PresenceService
from presence_core.hours import zone_names
from presence_core.policy import DAY_MS, HOUR_MS, MINUTE_MS

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
DURATION_SUGGESTIONS_MS = (30 * MINUTE_MS, HOUR_MS, 2 * HOUR_MS, 4 * HOUR_MS, 8 * HOUR_MS, DAY_MS)
CAPACITY_SUGGESTIONS = ("off", *map(str, (1, 2, 3, 4, 5, 8, 10, 15, 20)))


def _duration_value(ms: int) -> str:
    """A duration as the command parser reads it, the same whatever language the person uses."""
    return timefmt.duration("en", ms).replace(" ", "")


def duration_choices(locale: str, current: str) -> list[Choice[str]]:
    """What the person typed, when it is a duration, then common durations; named in their language."""
    typed = parse_duration(current) if current.strip() else None
    options = [typed] if typed is not None and MIN_DURATION_MS <= typed <= MAX_DURATION_MS else []
    options += [ms for ms in DURATION_SUGGESTIONS_MS if ms not in options]
    return [Choice(name=timefmt.duration(locale, ms), value=_duration_value(ms)) for ms in options][:AUTOCOMPLETE_LIMIT]


def capacity_choices(locale: str, current: str) -> list[Choice[str]]:
    """Common capacities starting with what was typed; "off" named in the person's language."""
    off = i18n.text(locale, "words.off").split("|")[0]
    values = [v for v in CAPACITY_SUGGESTIONS if v.startswith(current.strip())]
    return [Choice(name=off if v == "off" else v, value=v) for v in values][:AUTOCOMPLETE_LIMIT]


def zone_choices(current: str) -> list[Choice[str]]:
    """Time zones whose name holds what was typed (a city is enough: ``berl``), cities starting so first."""
    wanted = current.strip().lower().replace(" ", "_")
    names = [z for z in zone_names() if wanted in z.lower()] if wanted else []
    names.sort(key=lambda z: (not z.lower().rsplit("/", 1)[-1].startswith(wanted), len(z), z))
    return [Choice(name=z, value=z) for z in names[:AUTOCOMPLETE_LIMIT]]


async def skill_choices(service: PresenceService, me: str, channel_id: str, current: str) -> list[Choice[str]]:
    """Skills of people in ``channel_id`` whom ``me`` may see and who can take work now, and ``me``'s own
    (nobody else's); the last word typed is completed, the words before it kept."""
    try:
        people = await service.get_available(channel_id, viewer_id=me)
        own = (await service.get_availability(me)).skills
    except Exception:
        log.exception("could not list skills for autocomplete")
        return []
    *typed, last = current.split(" ") if current else [""]
    found = dict.fromkeys([*own, *(s for p in people for s in p.skills)])
    prefix = " ".join(typed)
    choices = [(f"{prefix} {s}" if prefix else s) for s in found if s.startswith(last.lower()) and s not in typed]
    return [Choice(name=c[:DESCRIPTION_LIMIT], value=c[:DESCRIPTION_LIMIT]) for c in choices][:AUTOCOMPLETE_LIMIT]


async def linked_account_choices(service: PresenceService, me: str, current: str) -> list[Choice[str]]:
    """``me``'s linked accounts that can be split off (not the first, which holds the shared history)."""
    try:
        names = list((await service.account_names(me)).items())[1:]
    except Exception:
        log.exception("could not list linked accounts for autocomplete")
        return []
    wanted = current.strip().casefold()
    choices = [Choice(name=name[:DESCRIPTION_LIMIT], value=name) for _, name in names if wanted in name.casefold()]
    return choices[:AUTOCOMPLETE_LIMIT]
