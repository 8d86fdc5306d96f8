"""REST for devices and rooms (SPEC section 11): ``POST /v1/heartbeat``, ``GET`` and ``DELETE
/v1/rooms/{id}/presence``. Room rules (who may enter, who is listed) are the core's."""

# No "from __future__ import annotations": FastAPI reads these signatures at runtime, local aliases included.
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.convertors import Convertor, register_url_convertor

from presence_adapters.http.auth import request_device
from presence_adapters.http.errors import ErrorOut
from presence_adapters.http.heartbeat import PATH, HeartbeatLimit, beat
from presence_adapters.http.models import HeartbeatIn, HeartbeatOut, LeftOut, PersonOut, RoomOut, person_entry
from presence_adapters.http.room_ids import RoomIds
from presence_core import PresenceService
from presence_core.errors import RoomForbiddenError
from presence_core.rooms import check_room_id
from presence_core.tokens import ApiDevice

ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 403, 413, 415, 422, 429, 503)}


class RoomIdConvertor(Convertor[str]):
    """``{room_id:room}``: a room id in a path, ``/`` and control characters included (Starlette's ``path``
    stops at a line break), so that every bad room id reaches the core's check and gets its 422."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("room", RoomIdConvertor())


def router(presence: PresenceService, limit: HeartbeatLimit, ids: RoomIds) -> APIRouter:
    """The room routes; heartbeats share ``limit`` with ``heartbeat.DirectHeartbeat``, which serves most of them."""
    api = APIRouter(prefix="/v1", responses=ERRORS)
    Device = Annotated[ApiDevice, Depends(request_device(presence))]

    @api.post(PATH.removeprefix("/v1"), response_model=HeartbeatOut,
              summary="Heartbeat of this device; joins or moves in a room")
    async def heartbeat(device: Device, body: HeartbeatIn | None = None) -> HeartbeatOut:
        return await beat(presence, limit, device, body or HeartbeatIn())

    @api.get("/rooms/{room_id:room}/presence", response_model=RoomOut, summary="Who is in a room")
    async def room(room_id: str, device: Device) -> RoomOut:
        people = await presence.get_room(room_id, viewer_id=device.owner)
        return RoomOut(room_id=room_id, people=[PersonOut(**person_entry(m, room_id, ids)) for m in people])

    @api.delete("/rooms/{room_id:room}/presence", response_model=LeftOut, summary="This device leaves a room")
    async def leave(room_id: str, device: Device) -> LeftOut:
        # Refused like reading the room, whether the device is in it or not: the answer tells a stranger
        # nothing about a chat (SPEC section 11).
        if not await presence.rooms.may_enter(device.owner, check_room_id(room_id)):
            raise RoomForbiddenError(room_id)
        return LeftOut(room_id=room_id, rooms=await presence.leave_room(device.owner, device.device_id, room_id))

    return api
