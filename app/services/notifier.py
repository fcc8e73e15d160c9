"""Fired reminders sent to their owners' channels.

The notifier processor hands each `reminder.sent` (stored once per reminder, when it is marked
sent) to `Courier.enqueue`, which stores one pending delivery per channel of the owner, unique
per reminder and channel, so a redelivered event sends nothing twice. The courier sends the
pending deliveries off the event's path, each under a lease: a failed attempt is tried again
with backoff, and after the last one the delivery fails for good and its event is set aside
as a dead letter. Each outcome is stored with an event (notification.delivered / .failed) for
the task's audit trail.

A reminder that fires in its owner's quiet hours is stored to be sent when they end. A daily
digest (app.services.digests) is stored as deliveries without a reminder, sent the same way.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from app.domain.channels import Channel, ChannelType
from app.domain.events import (
    TASK_UPDATES,
    NotificationDelivered,
    NotificationFailed,
    ReminderSent,
    message,
)
from app.domain.notifications import MAX_ATTEMPTS, Delivery, Notification, retry_delay
from app.domain.preferences import quiet_end
from app.ports import Clock, DeliveryFailed, Sender, Sql, SubscriptionGone, utc_now
from app.repositories.channels import ChannelRepository
from app.repositories.deliveries import DeliveryRepository, Fired
from app.services.action_links import ActionLinks
from app.services.dispatch import DeadLetterSink
from app.services.preferences import PreferenceService
from app.services.tasks import TaskService

log = logging.getLogger(__name__)

# Deliveries claimed, and attempted side by side, in one pass; passes run side by side, so a
# pass that waits for the database or a slow server does not hold up the rest.
BATCH = 25
PASSES = 4
ERROR_MAX = 2000


class Courier:
    def __init__(
        self,
        sql: Sql,
        tasks: TaskService,
        senders: Mapping[ChannelType, Sender],
        dead_letters: DeadLetterSink,
        events_written: Callable[[], None],
        retry_seconds: float,
        send_timeout_seconds: float,
        clock: Clock = utc_now,
        idle_seconds: float = 1.0,
        *,
        links: ActionLinks,
        preferences: PreferenceService,
    ) -> None:
        self._links = links
        self._preferences = preferences
        self._deliveries = DeliveryRepository(sql)
        self._channels = ChannelRepository(sql)
        self._tasks = tasks
        self._senders = senders
        self._dead_letters = dead_letters
        self._events_written = events_written
        self._retry_seconds = retry_seconds
        self._send_timeout = send_timeout_seconds
        # A lease outlives the longest attempt, so no two couriers send one delivery.
        self._lease = timedelta(seconds=send_timeout_seconds * 2 + 10)
        self._clock = clock
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        # Fired reminders waiting to be stored, each with the future its caller awaits.
        self._to_store: list[tuple[ReminderSent, asyncio.Future[None]]] = []
        self._storing: asyncio.Task[None] | None = None

    async def enqueue(self, sent: ReminderSent) -> None:
        """A pending delivery of the fired reminder on each of its owner's channels that has
        none yet (a failed one is tried again), due at once or when the owner's quiet hours
        end, then wake the courier. Calls made side by side (the events of one bulk delivery)
        are stored together: one read of their tasks, one of their owners' settings, one
        insert."""
        stored = asyncio.get_running_loop().create_future()
        self._to_store.append((sent, stored))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_queued())
        await stored

    async def _store_queued(self) -> None:
        await asyncio.sleep(0)  # the calls made side by side with the first join it
        while self._to_store:
            batch, self._to_store = self._to_store, []
            try:
                await self._store([sent for sent, _ in batch])
            except Exception as error:
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(error)
            except BaseException:
                for _, stored in batch + self._to_store:
                    stored.cancel()
                raise
            else:
                for _, stored in batch:
                    if not stored.done():
                        stored.set_result(None)

    async def _store(self, events: list[ReminderSent]) -> None:
        # Each reminder once, with its owner and task (an event without them tells nobody).
        fired = {
            sent.reminder_id: (sent.user_id, sent.task_id, sent)
            for sent in reversed(events)
            if sent.user_id is not None and sent.task_id is not None
        }
        keys = {(owner, task_id) for owner, task_id, _ in fired.values()}
        tasks, preferences = await asyncio.gather(
            self._tasks.many(keys), self._preferences.of_owners({owner for owner, _ in keys})
        )
        now = self._clock()
        pending: list[Fired] = []
        for owner, task_id, sent in fired.values():
            task = tasks.get((owner, task_id))
            if task is None:
                continue  # deleted since: nobody is waiting for it
            chosen = preferences[owner]
            notification = Notification(
                event=sent.event_type,
                reminder_id=sent.reminder_id,
                task_id=task.id,
                title=task.title,
                description=task.description,
                due_date=task.due_date,
                timezone=task.timezone,
                priority=task.priority,
                scheduled_at=sent.scheduled_at,
                fired_at=sent.fired_at,
                late=sent.late,
                actions=await self._links.links(owner, task.id),
                user_timezone=chosen.time_zone,
            )
            send_at = quiet_end(chosen, self._preferences.default_timezone, now) or now
            pending.append(
                Fired(
                    owner,
                    sent.reminder_id,
                    task.id,
                    notification.model_dump(mode="json"),
                    message(sent),
                    send_at,
                )
            )
        if await self._deliveries.add_for_channels(pending, frozenset(self._senders), now):
            self.wake()

    def wake(self) -> None:
        """Deliveries were stored: look for due ones now."""
        self._wake.set()

    async def run(self) -> None:
        """PASSES couriers side by side, each sending what is due, then waiting to be woken
        (or for the next retry to come due)."""
        async with asyncio.TaskGroup() as passes:
            for _ in range(PASSES):
                passes.create_task(self._send_due())

    async def _send_due(self) -> None:
        while True:
            try:
                while await self.drain():
                    pass
            except Exception:
                log.exception("sending notifications failed; trying again")
            # Not asyncio.wait_for: on Python 3.11 it can swallow the cancellation of a
            # shutdown that arrives just as the event is set.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def drain(self) -> int:
        """One pass: claim the due deliveries, attempt each once, side by side, and mark the
        ones sent delivered in one write; how many were attempted."""
        now = self._clock()
        claimed = await self._deliveries.claim(now, now + self._lease, BATCH)
        channels = await self._channels_of(claimed)
        outcomes = await asyncio.gather(
            *(self._attempt(delivery, channels.get(delivery.channel_id)) for delivery in claimed)
        )
        sent = [
            (delivery, delivered)
            for delivery, delivered in zip(claimed, outcomes, strict=True)
            if delivered is not None
        ]
        if sent and await self._deliveries.delivered(sent, self._clock()):
            self._events_written()
        return len(claimed)

    async def _channels_of(self, deliveries: list[Delivery]) -> dict[int, Channel]:
        """The channels `deliveries` go to, read once per owner (a removed one is missing)."""
        owners = sorted({delivery.owner_id for delivery in deliveries})
        found = await asyncio.gather(*(self._channels.of_owner(owner) for owner in owners))
        return {channel.id: channel for channels in found for channel in channels}

    async def _attempt(
        self, delivery: Delivery, channel: Channel | None
    ) -> NotificationDelivered | None:
        """Send it once; its event when it was sent, to be marked with the pass's others.
        A failed attempt is counted here: tried again later, or given up for good."""
        if channel is None:
            return None  # removed meanwhile: its deliveries went with it
        sender = self._senders.get(channel.type)
        attempts = delivery.attempts + 1
        outcome = {
            "task_id": delivery.task_id,
            "user_id": delivery.owner_id,
            "correlation_id": delivery.event.get("correlation_id", ""),
            "reminder_id": delivery.reminder_id,
            "channel_id": channel.id,
            "channel_type": channel.type.value,
            "attempts": attempts,
        }
        try:
            if sender is None:
                raise DeliveryFailed(f"this server sends no {channel.type.value}")
            notification = Notification.model_validate(delivery.notification)
            try:
                async with asyncio.timeout(self._send_timeout):
                    await sender.send(channel, notification)
            except TimeoutError:
                raise DeliveryFailed(f"no answer within {self._send_timeout:g} s") from None
        except SubscriptionGone as gone:
            # The browser dropped its subscription: the channel goes, with its deliveries.
            failed = NotificationFailed(**outcome, error=str(gone)[:ERROR_MAX])
            if await self._deliveries.failed(delivery, failed.error, [failed]):
                self._events_written()
            await self._channels.remove(channel.owner_id, channel.id)
            return None
        except DeliveryFailed as failure:
            error = str(failure)[:ERROR_MAX] or type(failure).__name__
        else:
            return NotificationDelivered(**outcome)
        log.warning("notification %s, attempt %d: %s", delivery.id, attempts, error)
        if attempts < MAX_ATTEMPTS:
            next_at = self._clock() + retry_delay(attempts, self._retry_seconds)
            await self._deliveries.retry_at(delivery, next_at, error)
            return None
        failed = NotificationFailed(**outcome, error=error)
        if await self._deliveries.failed(delivery, error, [failed]):
            self._events_written()
            if delivery.reminder_id is None:
                return None  # a digest: the next day's tells again
            await self._dead_letters.record(
                TASK_UPDATES,
                delivery.event,
                f"notification on {channel.type.value} channel {channel.id} failed after "
                f"{attempts} attempts: {error}",
            )
        return None
