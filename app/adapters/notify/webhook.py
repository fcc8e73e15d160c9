"""Reminders posted to webhooks: JSON, signed with the channel's secret."""

import json

import httpx

from app.adapters.notify.targets import HttpTargets
from app.domain.channels import Channel
from app.domain.notifications import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Notification,
    signature,
    webhook_body,
)
from app.ports import Clock, DeliveryFailed


class WebhookPoster:
    def __init__(self, clock: Clock, targets: HttpTargets) -> None:
        self._clock = clock
        self._targets = targets

    async def send(self, channel: Channel, notification: Notification) -> None:
        if channel.secret is None:
            raise DeliveryFailed(f"webhook channel {channel.id} has no signing secret")
        body = json.dumps(webhook_body(notification), separators=(",", ":")).encode()
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(channel.secret, timestamp, body),
        }
        try:
            response = await self._targets.post(channel.target, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"webhook {channel.target}: {error!r}") from error
        if not response.is_success:
            raise DeliveryFailed(f"webhook {channel.target} answered {response.status_code}")
