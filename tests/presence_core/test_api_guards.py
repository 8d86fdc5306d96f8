"""The Python API refuses, at once and with a clear error, what would otherwise go wrong later (SPEC section 5)."""

from __future__ import annotations

import pytest

from presence_core import EmptyTextError, InvalidArgumentError, PresenceService, TextTooLongError
from tests.support.clock import FakeClock

ALICE, BOB = "telegram:1", "telegram:2"


@pytest.mark.parametrize("handler", [5, "print", object()])
async def test_a_listener_that_cannot_be_called_is_refused_when_registered(service: PresenceService,
                                                                           handler: object) -> None:
    with pytest.raises(InvalidArgumentError, match="a listener must be a function"):
        service.on("online", handler)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="a listener must be a function"):
        service.on("online")(handler)


async def test_events_reach_the_listeners_that_were_accepted(service: PresenceService) -> None:
    heard: list[str] = []
    service.on("online", heard.append)
    await service.record_activity(ALICE)
    await service.flush()
    assert heard == [ALICE]


@pytest.mark.parametrize("device", [BOB, f"{BOB}/desktop", "telegram:10", "telegram:1x", f"{ALICE}/", "desktop"])
async def test_a_device_is_the_account_itself_or_one_under_it(service: PresenceService, device: str) -> None:
    """Another account made a device of this one would join two people without a link (SPEC section 6)."""
    calls = (lambda: service.set_device_status(ALICE, device, "dnd"),
             lambda: service.set_status(ALICE, "dnd", device_id=device),
             lambda: service.heartbeat(ALICE, device),
             lambda: service.record_activity(ALICE, device_id=device),
             lambda: service.record_activity(ALICE, {"device_id": device}))
    for call in calls:
        with pytest.raises(InvalidArgumentError, match="device_id must be 'telegram:1' or start with 'telegram:1/'"):
            await call()
    await service.flush()
    assert await service.get_devices(ALICE) == []
    assert (await service.get_status(BOB)).last_seen is None


async def test_devices_under_the_account_are_its_own(service: PresenceService) -> None:
    await service.set_device_status(ALICE, f"{ALICE}/desktop", "dnd")
    await service.heartbeat(ALICE, ALICE)
    await service.flush()
    assert sorted(d.id for d in await service.get_devices(ALICE)) == [ALICE, f"{ALICE}/desktop"]


async def test_errors_carry_a_stable_code_beside_the_developer_message(service: PresenceService) -> None:
    with pytest.raises(EmptyTextError) as empty:
        await service.set_custom_status(ALICE, "   ")
    assert empty.value.code == "empty_text" and isinstance(empty.value, InvalidArgumentError)
    assert "clear_custom_status" in str(empty.value)  # developers are told what to call instead
    with pytest.raises(TextTooLongError) as long:
        await service.set_custom_status(ALICE, "x" * 500)
    assert long.value.code == "text_too_long"


@pytest.mark.parametrize("when", [True, 1.5, "tomorrow", -1, 10**20])
async def test_times_are_int_epoch_ms_that_every_store_can_hold(service: PresenceService, when: object) -> None:
    """A bool is an int to Python and 10**20 overflows a SQLite integer: both are refused, not stored or crashed on."""
    calls = (lambda: service.set_status(ALICE, "dnd", expires_at_ms=when),  # type: ignore[arg-type]
             lambda: service.set_custom_status(ALICE, "lunch", expires_at_ms=when),  # type: ignore[arg-type]
             lambda: service.get_activity(ALICE, since=when),  # type: ignore[arg-type]
             lambda: service.record_activity(ALICE, {"timestamp": when}))
    for call in calls:
        with pytest.raises(InvalidArgumentError, match="epoch milliseconds"):
            await call()
    await service.flush()
    assert (await service.get_status(ALICE)).last_seen is None


async def test_a_status_ends_at_most_a_year_ahead_as_in_chat(service: PresenceService, clock: FakeClock) -> None:
    year = 365 * 24 * 3_600_000
    await service.set_status(ALICE, "dnd", expires_at_ms=clock.now + year)
    with pytest.raises(InvalidArgumentError, match="365 days"):
        await service.set_status(ALICE, "away", expires_at_ms=clock.now + year + 1)
    with pytest.raises(InvalidArgumentError, match="365 days"):
        await service.set_custom_status(ALICE, "sabbatical", expires_at_ms=clock.now + 2 * year)
    assert (await service.get_status(ALICE)).status == "dnd"


async def test_a_custom_status_is_one_line_of_visible_text_whoever_sets_it(service: PresenceService) -> None:
    await service.set_custom_status(ALICE, "out\x00 for\u202e\x07 lunch\n\tback at 2 🏳️‍🌈\u200b\ud800")
    assert (await service.get_status(ALICE)).custom_status == "out for lunch back at 2 🏳️‍🌈"
    with pytest.raises(EmptyTextError):
        await service.set_custom_status(ALICE, "\x00\u200b\x07")


BAD_CALLS = {
    "an id that is not a string": lambda p: p.set_status(None, "dnd"),  # type: ignore[arg-type]
    "a number for an id": lambda p: p.set_status(42, "dnd"),  # type: ignore[arg-type]
    "activity that is not a mapping": lambda p: p.record_activity(ALICE, "message"),  # type: ignore[arg-type]
    "one id where a list is taken": lambda p: p.get_statuses(ALICE),
    "one account leaving, not in a list": lambda p: p.end_membership("telegram:-5", BOB),
    "one channel, not in a list": lambda p: p.get_channel_names("telegram:-5"),
    "tracking as a word": lambda p: p.set_tracking(ALICE, "yes"),  # type: ignore[arg-type]
    "a code that is a number": lambda p: p.link_account(ALICE, 1234),  # type: ignore[arg-type]
    "a channel name that is a number": lambda p: p.name_channel("telegram:-5", 7),  # type: ignore[arg-type]
    "a rate-limit window that is text": lambda p: p.count_hit("k", ALICE, "1m"),  # type: ignore[arg-type]
    "skills as a number": lambda p: p.set_skills(ALICE, 42),  # type: ignore[arg-type]
    "hours as text": lambda p: p.set_hours(ALICE, "9-18", "Europe/Berlin"),  # type: ignore[arg-type]
    "a token name that is a number": lambda p: p.revoke_token(ALICE, 5),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", BAD_CALLS)
async def test_a_wrong_type_is_an_invalid_argument_never_a_python_error_from_inside(service: PresenceService,
                                                                                   case: str) -> None:
    with pytest.raises(InvalidArgumentError):
        await BAD_CALLS[case](service)
    await service.flush()
    assert (await service.get_status(ALICE)).last_seen is None and await service.get_statuses([BOB]) != {}


async def test_anything_but_a_token_string_authenticates_nobody(service: PresenceService) -> None:
    for value in (None, 42, b"prs_x", ["prs_x"]):
        assert await service.authenticate(value) is None  # type: ignore[arg-type]
