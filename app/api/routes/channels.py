"""/api/channels: where the signed-in user's reminders are sent; add, list, remove, test."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from app.api.channel_schemas import ChannelCreate, ChannelOut, NewChannelOut, PushKeyOut
from app.api.deps import Channels, CurrentUser, RuntimeDep, WritingUser
from app.api.responses import CONFLICT, MALFORMED_BODY, NOT_FOUND, Message, Responses
from app.domain.task_fields import MAX_ID
from app.ports import DeliveryFailed

router = APIRouter(prefix="/api/channels", tags=["channels"])

ChannelId = Annotated[int, Path(ge=1, le=MAX_ID)]
REFUSED: Responses = {
    status.HTTP_502_BAD_GATEWAY: {
        "model": Message,
        "description": "The channel's server refused the notification, or could not be reached",
    }
}


@router.get("", response_model=list[ChannelOut])
async def list_channels(channels: Channels, user: CurrentUser) -> list[ChannelOut]:
    return [ChannelOut.of(channel) for channel in await channels.of(user.id)]


@router.post(
    "",
    response_model=NewChannelOut,
    status_code=status.HTTP_201_CREATED,
    responses=MALFORMED_BODY | CONFLICT,
)
async def create_channel(
    body: ChannelCreate, channels: Channels, user: WritingUser
) -> NewChannelOut:
    """A new channel; a webhook's `secret` signs what it is sent and is in this answer only."""
    channel = await channels.create(user.id, body.type, body.target, body.token, body.keys)
    return NewChannelOut(**ChannelOut.of(channel).model_dump(), secret=channel.signing_secret)


@router.get("/webpush-key", response_model=PushKeyOut)
async def push_key(runtime: RuntimeDep, _: CurrentUser) -> PushKeyOut:
    """The key a browser subscribes to push with, before it adds a webpush channel."""
    return PushKeyOut(public_key=await runtime.vapid_keys.public_key())


@router.delete("/{channel_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_channel(channel_id: ChannelId, channels: Channels, user: WritingUser) -> Response:
    await channels.delete(user.id, channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{channel_id:int}/test",
    status_code=status.HTTP_202_ACCEPTED,
    responses=NOT_FOUND | CONFLICT | REFUSED,
)
async def test_channel(channel_id: ChannelId, channels: Channels, user: WritingUser) -> Response:
    """Send the channel a test notification; 202 once its server accepted it."""
    try:
        await channels.test(user.id, channel_id)
    except DeliveryFailed as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(error)) from None
    return Response(status_code=status.HTTP_202_ACCEPTED)
