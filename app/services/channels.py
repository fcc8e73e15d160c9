"""A user's notification channels: list, add, remove, send one a test, and renew a push
channel's subscription the browser replaced."""

import hmac
import secrets
from collections.abc import Mapping

from app.domain import channels
from app.domain.channels import Channel, ChannelType, PushKeys
from app.domain.enums import Priority
from app.domain.notifications import TEST_EVENT, Notification
from app.ports import Clock, Sender, Sql, SubscriptionGone, TargetGuard, utc_now
from app.repositories.channels import MAX_CHANNELS, ChannelRepository
from app.services.errors import Conflict, Invalid, NotFound

# A webhook's signing secret: 32 random bytes, as hex.
SECRET_BYTES = 32


class ChannelService:
    def __init__(
        self,
        sql: Sql,
        senders: Mapping[ChannelType, Sender],
        timezone: str,
        http_targets: TargetGuard,
        clock: Clock = utc_now,
    ) -> None:
        self._channels = ChannelRepository(sql)
        self._senders = senders
        self._http_targets = http_targets
        self._timezone = timezone
        self._clock = clock

    def types(self) -> list[ChannelType]:
        """The types of channel this server can send on, in the order ChannelType lists them."""
        return [kind for kind in ChannelType if kind in self._senders]

    async def of(self, owner: int) -> list[Channel]:
        return await self._channels.of_owner(owner)

    async def create(
        self,
        owner: int,
        kind: ChannelType,
        target: str,
        token: str | None = None,
        keys: PushKeys | None = None,
    ) -> Channel:
        """The new channel; a webhook's carries its signing secret (shown this once), an ntfy
        channel's the access token it was given, if any, a webpush channel's the keys of the
        browser's subscription."""
        if kind not in self._senders:
            raise Invalid("type", f"this server sends no {kind.value} (it is not configured)")
        try:
            checked = channels.target(kind, target)
            if kind != ChannelType.EMAIL:
                await self._http_targets.check(checked)
        except ValueError as error:
            raise Invalid("target", str(error)) from None
        try:
            secret = channels.access_token(kind, token)
        except ValueError as error:
            raise Invalid("token", str(error)) from None
        try:
            keys = channels.push_keys(kind, keys)
        except ValueError as error:
            raise Invalid("keys", str(error)) from None
        if kind == ChannelType.WEBHOOK:
            secret = secrets.token_hex(SECRET_BYTES)
        channel = await self._channels.add(owner, kind, checked, secret, self._clock(), keys)
        if channel is None:
            raise Conflict(f"a user has at most {MAX_CHANNELS} channels")
        return channel

    async def renew_push(self, old: tuple[str, PushKeys], new: tuple[str, PushKeys]) -> None:
        """The browser's `new` subscription (endpoint, keys) in place of its `old` one, as its
        service worker reports when the browser replaced it: no one signs in there, so the old
        subscription's endpoint and auth secret, which only that browser and this server know,
        say which channel it is. NotFound when no webpush channel has both (or it was removed
        meanwhile)."""
        (old_endpoint, old_keys), (endpoint, keys) = old, new
        try:
            checked = channels.target(ChannelType.WEBPUSH, endpoint)
            await self._http_targets.check(checked)
        except ValueError as error:
            raise Invalid("new.endpoint", str(error)) from None
        for channel in await self._channels.push_channels_at(old_endpoint):
            held = channel.push_keys is not None and hmac.compare_digest(
                channel.push_keys.auth, old_keys.auth
            )
            if held and await self._channels.resubscribe(channel, checked, keys):
                return
        raise NotFound("push channel of the subscription", old_endpoint)

    async def delete(self, owner: int, channel_id: int) -> None:
        if not await self._channels.remove(owner, channel_id):
            raise NotFound("channel", channel_id)

    async def test(self, owner: int, channel_id: int) -> None:
        """Send the channel a test notification now; DeliveryFailed when its server refuses
        (and the channel is removed when its push subscription is gone)."""
        channel = await self._channels.get(owner, channel_id)
        if channel is None:
            raise NotFound("channel", channel_id)
        sender = self._senders.get(channel.type)
        if sender is None:
            raise Conflict(f"this server sends no {channel.type.value} (it is not configured)")
        now = self._clock()
        test = Notification(
            event=TEST_EVENT,
            reminder_id=None,
            task_id=None,
            title="A test notification from TaskFlow",
            due_date=now,
            timezone=self._timezone,
            priority=Priority.MEDIUM,
            scheduled_at=now,
            fired_at=now,
        )
        try:
            await sender.send(channel, test)
        except SubscriptionGone:
            # The browser dropped its subscription: the channel can never be sent to again.
            await self._channels.remove(owner, channel_id)
            raise
