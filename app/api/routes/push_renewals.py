"""/api/push-renewals: a browser replaced its push subscription, and its service worker says
so. No one is signed in there: the old subscription's endpoint and auth secret, known only to
that browser and this server, are the proof of whose channel it is."""

from fastapi import APIRouter, Response, status

from app.api.channel_schemas import PushRenewal
from app.api.deps import Channels
from app.api.responses import MALFORMED_BODY, NOT_FOUND

router = APIRouter(prefix="/api/push-renewals", tags=["channels"])


@router.post("", status_code=status.HTTP_204_NO_CONTENT, responses=MALFORMED_BODY | NOT_FOUND)
async def renew_push(body: PushRenewal, channels: Channels) -> Response:
    """The new subscription takes the old one's place in its webpush channel."""
    await channels.renew_push(
        (body.old.endpoint, body.old.keys), (body.new.endpoint, body.new.keys)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
