"""REST about the token's owner (SPEC section 11): ``/v1/me``, status, custom status, activity, devices.

The same core calls as the chat commands; the token's owner is the account asking.
"""

# No "from __future__ import annotations": FastAPI reads these signatures at runtime, local aliases included.
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from presence_adapters.http.auth import request_device
from presence_adapters.http.models import (
    ActivityListOut,
    CustomStatusIn,
    DeviceListOut,
    MeOut,
    StatusIn,
    activity_out,
    device_out,
    me_out,
)
from presence_adapters.http.rooms import ERRORS
from presence_core import PresenceService
from presence_core.service import MAX_ACTIVITY_LIMIT
from presence_core.tokens import ApiDevice


def router(presence: PresenceService) -> APIRouter:
    api = APIRouter(prefix="/v1/me", responses=ERRORS)
    Device = Annotated[ApiDevice, Depends(request_device(presence))]

    async def me(device: ApiDevice) -> MeOut:
        return me_out(await presence.get_status(device.owner, viewer_id=device.owner))

    @api.get("", response_model=MeOut, summary="Your status as you see it")
    async def show(device: Device) -> MeOut:
        return await me(device)

    @api.put("/status", response_model=MeOut, summary="Set your status, optionally until a time")
    async def set_status(body: StatusIn, device: Device) -> MeOut:
        await presence.set_status(device.owner, body.status, expires_at_ms=body.expires_at_ms, via=device.device_id)
        return await me(device)

    @api.put("/custom-status", response_model=MeOut, summary="Set your custom status")
    async def set_custom(body: CustomStatusIn, device: Device) -> MeOut:
        await presence.set_custom_status(device.owner, body.text, expires_at_ms=body.expires_at_ms)
        return await me(device)

    @api.delete("/custom-status", response_model=MeOut, summary="Clear your custom status")
    async def clear_custom(device: Device) -> MeOut:
        await presence.clear_custom_status(device.owner)
        return await me(device)

    @api.get("/activity", response_model=ActivityListOut, summary="Your recent activity, newest first")
    async def activity(device: Device, limit: Annotated[int, Query(ge=1, le=MAX_ACTIVITY_LIMIT)] = 10,
                       since: Annotated[int | None, Query(ge=0, description="epoch ms")] = None) -> ActivityListOut:
        events = await presence.get_activity(device.owner, limit=limit, since=since)
        return ActivityListOut(activity=[activity_out(e) for e in events])

    @api.get("/devices", response_model=DeviceListOut, summary="Your devices, the active one first")
    async def devices(device: Device) -> DeviceListOut:
        return DeviceListOut(devices=[device_out(d) for d in await presence.get_devices(device.owner)])

    return api
