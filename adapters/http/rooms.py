"""REST for devices and rooms (SPEC section 11): ``POST /v1/heartbeat``, ``GET`` and ``DELETE
/v1/rooms/{id}/presence``. Room rules (who may enter, who is listed) are the core's."""

# No "from __future__ import annotations": FastAPI reads these signatures at runtime, local aliases included.
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from presence_adapters.http.auth import request_device
from presence_adapters.http.errors import ApiError, ErrorOut
from presence_adapters.http.models import HeartbeatIn, HeartbeatOut, LeftOut, PersonOut, RoomOut, person_entry
from presence_core import PresenceService
from presence_core.rooms import KEEP, is_app_room
from presence_core.tokens import ApiDevice
from presence_core.views import device_name

# SPEC section 11: heartbeats faster than one per 5 s per token are refused.
HEARTBEAT_WINDOW_MS = 5_000
ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 403, 413, 415, 422, 429, 503)}


def router(presence: PresenceService) -> APIRouter:
    api = APIRouter(prefix="/v1", responses=ERRORS)
    Device = Annotated[ApiDevice, Depends(request_device(presence))]

    async def over_limit(device: ApiDevice) -> None:
        """One heartbeat per token in each 5-second window, counted across every process on the store."""
        if await presence.count_hit("api-heartbeat", device.token_hash, HEARTBEAT_WINDOW_MS) > 1:
            now = presence.clock()
            wait_s = max(1, math.ceil(((now // HEARTBEAT_WINDOW_MS + 1) * HEARTBEAT_WINDOW_MS - now) / 1000))
            raise ApiError(429, "rate_limited", f"at most one heartbeat per {HEARTBEAT_WINDOW_MS // 1000} s per "
                           f"token; try again in {wait_s} s", {"Retry-After": str(wait_s)})

    @api.post("/heartbeat", response_model=HeartbeatOut, summary="Heartbeat of this device; joins or moves in a room")
    async def heartbeat(device: Device, body: HeartbeatIn | None = None) -> HeartbeatOut:
        body = body or HeartbeatIn()
        location = body.location if "location" in body.model_fields_set else KEEP
        if location is not KEEP and body.channel_id is None:
            raise ApiError(422, "invalid", "location: needs a channel_id (a location is shown only in a room)")
        await over_limit(device)
        rooms = await presence.room_heartbeat(device.owner, device.device_id, body.channel_id, location)
        return HeartbeatOut(device=device_name(device.device_id), rooms=rooms,
                            next_heartbeat_ms=presence.policy.heartbeat_interval_ms)

    @api.get("/rooms/{room_id:path}/presence", response_model=RoomOut, summary="Who is in a room")
    async def room(room_id: str, device: Device) -> RoomOut:
        people = await presence.get_room(room_id, viewer_id=device.owner)
        app = is_app_room(room_id)
        return RoomOut(room_id=room_id, people=[PersonOut(**person_entry(m, with_location=app)) for m in people])

    @api.delete("/rooms/{room_id:path}/presence", response_model=LeftOut, summary="This device leaves a room")
    async def leave(room_id: str, device: Device) -> LeftOut:
        return LeftOut(room_id=room_id, rooms=await presence.leave_room(device.owner, device.device_id, room_id))

    return api
