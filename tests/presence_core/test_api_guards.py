"""The Python API refuses, at once and with a clear error, what would otherwise go wrong later (SPEC section 5)."""

from __future__ import annotations

import pytest

from presence_core import EmptyTextError, InvalidArgumentError, PresenceService, TextTooLongError

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
