"""The settings page's notification channels: where reminders go when no tab is open. Add one
of the types this server sends (a webhook's signing secret shown this once, with a copy
button), or this browser's push subscription; list them, send one a test and see how it went,
delete one once confirmed."""

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import reflex as rx
from pydantic import ValidationError
from reflex.event import EventSpec

from app.domain.channels import Channel, ChannelType, PushKeys
from app.ports import DeliveryFailed
from app.services.errors import Conflict, Invalid, NotFound
from app.ui.format import wall_clock
from app.ui.state.event import event
from app.ui.state.session import owner_of
from app.web import current_app

TYPE_NAMES = {
    ChannelType.EMAIL: "Email",
    ChannelType.NTFY: "ntfy",
    ChannelType.WEBHOOK: "Webhook",
    ChannelType.WEBPUSH: "Web Push",
}


@dataclasses.dataclass
class ChannelRow:
    id: int = 0
    type: str = ""
    target: str = ""
    # What the page calls it: the target, or for a push subscription its service's host (the
    # rest of its endpoint is a long opaque token).
    shown: str = ""
    created: str = ""


@dataclasses.dataclass
class TypeChoice:
    value: str = ""
    name: str = ""


class ChannelsState(rx.State):
    rows: rx.Field[list[ChannelRow]] = rx.field(default_factory=list)
    # The types this server can send on, and the one the form adds.
    types: rx.Field[list[TypeChoice]] = rx.field(default_factory=list)
    kind: rx.Field[str] = rx.field(ChannelType.EMAIL.value)
    error: rx.Field[str] = rx.field("")
    # A new webhook's signing secret: shown until the user dismisses it, and never again.
    new_secret: rx.Field[str] = rx.field("")
    new_secret_target: rx.Field[str] = rx.field("")
    # How the last test went: said while it is sent, then sent or the server's error.
    outcome: rx.Field[str] = rx.field("")
    outcome_failed: rx.Field[bool] = rx.field(False)
    # The channel whose deletion waits for the user's confirmation.
    deleting_id: rx.Field[int] = rx.field(0)
    deleting_target: rx.Field[str] = rx.field("")
    confirming: rx.Field[bool] = rx.field(False)

    @event
    async def load(self) -> None:
        self.new_secret = self.new_secret_target = self.outcome = self.error = ""
        self.confirming = False
        # A push subscription is made by the browser (turn_on_push), not typed in.
        kinds = [
            kind for kind in current_app().runtime.channels.types() if kind != ChannelType.WEBPUSH
        ]
        self.types = [TypeChoice(kind.value, TYPE_NAMES[kind]) for kind in kinds]
        if self.kind not in {kind.value for kind in kinds} and kinds:
            self.kind = kinds[0].value
        await self._list()

    @event
    def set_kind(self, value: str) -> None:
        if value in {choice.value for choice in self.types}:
            self.kind = value

    @event
    async def create(self, form: dict[str, Any]) -> EventSpec | None:
        target = str(form.get("target", "")).strip()
        if not target:
            self.error = "Target: enter where the notifications go."
            return None
        kind = ChannelType(self.kind)
        token = str(form.get("token", "")) if kind == ChannelType.NTFY else None
        made = await self._create(kind, target, token)
        if made is None:
            return None
        self.error = self.outcome = ""
        self.new_secret = made.signing_secret or ""
        self.new_secret_target = made.target if made.signing_secret else ""
        await self._list()
        return rx.set_value("channel-target", "")

    async def _create(
        self,
        kind: ChannelType,
        target: str,
        token: str | None = None,
        keys: PushKeys | None = None,
    ) -> Channel | None:
        """The channel made, or None with the reason in `error`."""
        try:
            return await current_app().runtime.channels.create(
                await owner_of(self), kind, target, token, keys=keys
            )
        except Invalid as refused:
            self.error = _naming(refused)
        except Conflict as full:
            self.error = f"{str(full).capitalize()}."
        return None

    @event
    async def turn_on_push(self) -> EventSpec:
        """Ask the browser for a push subscription to the server's key (assets/pwa.js)."""
        key = await current_app().runtime.vapid_keys.public_key()
        return rx.call_script(
            f"window.taskflowPush.subscribe({json.dumps(key)})",
            callback=ChannelsState.subscribed,
        )

    @event
    async def subscribed(self, result: dict[str, Any]) -> EventSpec | None:
        """The browser's answer: its subscription, made a channel, or why there is none."""
        subscription = result.get("subscription")
        if not subscription:
            self.error = str(result.get("error") or "This browser gave no push subscription.")
            return None
        endpoint = str(subscription.get("endpoint", ""))
        if endpoint in {row.target for row in self.rows}:
            self.error = ""
            return rx.toast.info("Push is on for this device already")
        try:
            keys = PushKeys.model_validate(subscription.get("keys"))
        except ValidationError:
            self.error = "This browser's push subscription has no usable keys."
            return None
        if await self._create(ChannelType.WEBPUSH, endpoint, keys=keys) is None:
            return None
        self.error = ""
        await self._list()
        return rx.toast.success("Push is on: reminders reach this device")

    @event
    def dismiss_secret(self) -> None:
        self.new_secret = self.new_secret_target = ""

    @event
    def copy_secret(self) -> list[EventSpec]:
        return [rx.set_clipboard(self.new_secret), rx.toast.success("Secret copied")]

    @event
    async def send_test(self, channel_id: int) -> AsyncIterator[None]:
        row = self._shown(channel_id)
        if row is None:
            return
        self.outcome, self.outcome_failed = f"Sending a test to {row.shown}…", False
        yield
        try:
            await current_app().runtime.channels.test(await owner_of(self), row.id)
        except DeliveryFailed as failed:
            self.outcome, self.outcome_failed = f"The test was not sent: {failed}", True
            return
        except (NotFound, Conflict) as gone:
            self.outcome, self.outcome_failed = f"The test was not sent: {gone}.", True
            await self._list()
            return
        self.outcome = f"Test sent to {row.shown}."

    @event
    def ask_delete(self, channel_id: int) -> None:
        row = self._shown(channel_id)
        if row is not None:
            self.deleting_id, self.deleting_target = row.id, row.shown
            self.confirming = True

    @event
    def set_confirming(self, value: bool) -> None:
        self.confirming = value

    @event
    async def delete(self) -> EventSpec:
        self.confirming = False
        # Deleted meanwhile (in another tab, say): gone all the same.
        with contextlib.suppress(NotFound):
            await current_app().runtime.channels.delete(await owner_of(self), self.deleting_id)
        await self._list()
        return rx.toast.success(f"No more notifications to {self.deleting_target}")

    def _shown(self, channel_id: int) -> ChannelRow | None:
        return next((row for row in self.rows if row.id == channel_id), None)

    async def _list(self) -> None:
        web_app = current_app()
        zone = web_app.runtime.settings.timezone
        channels = await web_app.runtime.channels.of(await owner_of(self))
        self.rows = [_row(channel, zone) for channel in channels]


def _naming(refused: Invalid) -> str:
    """The service's refusal, naming the form's field: "Target must be an email address…"."""
    message = str(refused)
    if message.startswith(refused.field):
        return f"{message[0].upper()}{message[1:]}."
    return f"{refused.field.capitalize()}: {message}."


def _row(channel: Channel, zone: str) -> ChannelRow:
    return ChannelRow(
        id=channel.id,
        type=TYPE_NAMES[channel.type],
        target=channel.target,
        shown=(
            f"a browser, through {urlsplit(channel.target).hostname}"
            if channel.type == ChannelType.WEBPUSH
            else channel.target
        ),
        created=wall_clock(channel.created_at, zone),
    )
