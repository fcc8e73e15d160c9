"""Reminders published to an ntfy topic, as ntfy's JSON publishing takes them."""

import httpx

from app.adapters.notify.targets import HttpTargets
from app.domain.channels import Channel, split_topic
from app.domain.notifications import Notification, ntfy_message
from app.ports import DeliveryFailed


class NtfyPublisher:
    def __init__(self, targets: HttpTargets) -> None:
        self._targets = targets

    async def send(self, channel: Channel, notification: Notification) -> None:
        server, topic = split_topic(channel.target)
        headers = {"Authorization": f"Bearer {channel.secret}"} if channel.secret else {}
        try:
            response = await self._targets.post(
                f"{server}/", json=ntfy_message(notification, topic), headers=headers
            )
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"ntfy {server}: {error!r}") from error
        if not response.is_success:
            raise DeliveryFailed(
                f"ntfy {server} answered {response.status_code}: {response.text[:200]}"
            )
