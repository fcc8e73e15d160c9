"""Request and response bodies of /api/channels."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas import NO_NUL, Strict
from app.domain.channels import TARGET_MAX, TOKEN_MAX, Channel, ChannelType, PushKeys


class ChannelCreate(Strict):
    type: ChannelType
    target: Annotated[
        str,
        Field(
            min_length=1,
            max_length=TARGET_MAX,
            description="email: an address; ntfy: the URL of a topic, like "
            "https://ntfy.sh/my-reminders; webhook: an http(s) URL to POST to; webpush: the "
            "endpoint of the browser's push subscription.",
        ),
        NO_NUL,
    ]
    token: Annotated[
        str | None,
        Field(
            max_length=TOKEN_MAX,
            description="ntfy only: an access token for a topic that needs one (tk_...). "
            "Kept to publish with, never shown again.",
        ),
        NO_NUL,
    ] = None
    keys: Annotated[
        PushKeys | None,
        Field(
            description="webpush only: the subscription's keys, as the browser's "
            "PushSubscription.toJSON() gives them. Never shown again."
        ),
    ] = None


class PushSubscriptionIn(Strict):
    """A browser's push subscription, as its PushSubscription.toJSON() gives it."""

    endpoint: Annotated[str, Field(min_length=1, max_length=TARGET_MAX), NO_NUL]
    keys: PushKeys


class PushRenewal(Strict):
    old: Annotated[
        PushSubscriptionIn,
        Field(
            description="The subscription the browser replaced: its endpoint and auth secret, "
            "known only to that browser and this server, say which channel it was."
        ),
    ]
    new: Annotated[PushSubscriptionIn, Field(description="The subscription that replaces it.")]


class ChannelOut(BaseModel):
    id: int
    type: ChannelType
    target: str
    created_at: datetime

    @classmethod
    def of(cls, channel: Channel) -> "ChannelOut":
        return cls(**channel.model_dump(exclude={"owner_id", "secret", "push_keys"}))


class NewChannelOut(ChannelOut):
    secret: str | None = Field(
        description="A webhook's signing secret: shown this once, never again. None for the "
        "other types (an ntfy channel's token is never shown)."
    )


class PushKeyOut(BaseModel):
    public_key: str = Field(
        description="The server's VAPID public key (base64url of an uncompressed P-256 "
        "point): the applicationServerKey a browser subscribes with."
    )
