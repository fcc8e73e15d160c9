"""Reminders pushed to a browser through its push service: the payload encrypted for the
subscription (aes128gcm, RFC 8291), signed with the server's VAPID key (RFC 8292)."""

import json
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from py_vapid import Vapid02
from pywebpush import WebPusher

from app.adapters.notify.targets import HttpTargets
from app.domain.channels import Channel
from app.domain.notifications import PUSH_TTL_SECONDS, PUSH_URGENCY, Notification, push_message
from app.ports import Clock, DeliveryFailed, ServerKeys, SubscriptionGone

# How long a signature is good for; RFC 8292 allows at most 24 hours.
SIGNATURE_VALID = timedelta(hours=12)
# What a push service answers for a subscription the browser dropped or that expired.
GONE = frozenset({404, 410})


class WebPushSender:
    def __init__(
        self,
        keys: ServerKeys,
        subject: str,
        clock: Clock,
        targets: HttpTargets,
    ) -> None:
        self._keys = keys
        self._subject = subject
        self._clock = clock
        self._targets = targets

    async def send(self, channel: Channel, notification: Notification) -> None:
        if channel.push_keys is None:
            raise DeliveryFailed(f"webpush channel {channel.id} has no subscription keys")
        subscription = {"endpoint": channel.target, "keys": channel.push_keys.model_dump()}
        payload = json.dumps(push_message(notification), separators=(",", ":")).encode()
        body = WebPusher(subscription).encode(payload, "aes128gcm")["body"]
        parts = urlsplit(channel.target)
        service = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        headers = {
            **await self._authorization(service),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(PUSH_TTL_SECONDS),
            "Urgency": PUSH_URGENCY[notification.priority],
        }
        try:
            response = await self._targets.post(channel.target, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"push service {service}: {error!r}") from error
        if response.status_code in GONE:
            raise SubscriptionGone(
                f"push service {service} answered {response.status_code}: the subscription "
                "is gone, the channel was removed"
            )
        if not response.is_success:
            raise DeliveryFailed(
                f"push service {service} answered {response.status_code}: {response.text[:200]}"
            )

    async def _authorization(self, service: str) -> dict[str, str]:
        """The VAPID Authorization header for the push service at the origin `service`."""
        vapid = Vapid02.from_raw((await self._keys.private_key()).encode())
        # `sub` may be an http:// public URL too (a server on a home network).
        vapid.conf = {"no-strict": True}
        claims = {
            "aud": service,
            "exp": int((self._clock() + SIGNATURE_VALID).timestamp()),
            "sub": self._subject,
        }
        headers: dict[str, str] = vapid.sign(claims)
        return headers
