"""The transactional outbox: events stored with their write, relayed to the bus until accepted.

A transport failure (bus, sidecar, broker, network) never drops an event: the row stays
unsent and is retried with capped exponential backoff for as long as the failure lasts.
Several relays may share one database: each claims rows for a lease (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`), and publishes only while its lease holds. Events of one task
keep their order on each topic: they are published with the task id as the partition key,
and a row waits while an earlier row of the same task and topic is held or backing off.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.config import DeliverySettings
from app.ports import Clock, EventBus, Message, Sql, utc_now
from app.repositories.outbox import Backlog, Claimed, OutboxRepository

log = logging.getLogger(__name__)

PRUNE_BATCH = 500
PRUNE_EVERY = timedelta(minutes=1)


def partition_key(event: Message) -> str | None:
    """The events of one task share a key, so the bus keeps them in order."""
    task_id = event.get("task_id")
    return None if task_id is None else str(task_id)


def backoff_seconds(failures: int, cap: float) -> float:
    """1, 2, 4, 8 ... seconds after that many failures in a row, never more than `cap`."""
    return float(min(2 ** min(max(failures - 1, 0), 30), cap))


@dataclass(frozen=True)
class PublishFailure:
    topic: str
    error: str
    at: datetime

    def describe(self) -> str:
        return f"publishing to {self.topic} failed: {self.error}"


@dataclass(frozen=True)
class Drained:
    """What one pass did: rows claimed, published, and publishes that failed."""

    claimed: int
    sent: int
    failed: int


class OutboxRelay:
    def __init__(
        self,
        sql: Sql,
        bus: EventBus,
        settings: DeliverySettings | None = None,
        *,
        batch: int = 100,
        idle_seconds: float = 1.0,
        clock: Clock = utc_now,
    ) -> None:
        self._outbox = OutboxRepository(sql)
        self._bus = bus
        self._settings = settings or DeliverySettings()
        self._batch = batch
        self._idle_seconds = idle_seconds
        self._clock = clock
        self._wake = asyncio.Event()
        self._failed_passes = 0
        self._next_prune: datetime | None = None
        # The latest publish that failed, until a later one is accepted: what /health names.
        self.last_failure: PublishFailure | None = None

    def notify(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled: drain, prune now and then, and either wait for new events
        or, while nothing gets through, back off."""
        while True:
            try:
                drained = await self.drain()
                stuck = drained.failed > 0 and drained.sent == 0
                if drained.sent and drained.claimed == self._batch:
                    continue  # a full batch got through: more may be waiting
                if not stuck:
                    await self._prune_when_due()
            except Exception:
                log.exception("outbox relay pass failed")
                stuck = True
            if stuck:
                self._failed_passes += 1
                delay = backoff_seconds(self._failed_passes, self._settings.max_backoff_seconds)
                await asyncio.sleep(delay)
                continue
            self._failed_passes = 0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def drain(self) -> Drained:
        """Publish one batch of claimed rows, oldest first. After a failure the rest of that
        topic's rows wait for the next pass, so an outage costs one attempt per topic."""
        started = self._clock()
        lease = timedelta(seconds=self._settings.claim_seconds)
        claimed = sorted(
            await self._outbox.claim(started, started + lease, self._batch), key=lambda row: row.id
        )
        behind = (
            await self._outbox.behind_other_claims([row.id for row in claimed])
            if claimed
            else set()
        )
        publish_by = started + lease - timedelta(seconds=self._settings.publish_timeout_seconds)
        failed_topics: set[str] = set()
        unpublished: list[int] = []
        sent: list[int] = []
        for row in claimed:
            if row.id in behind or row.topic in failed_topics or self._clock() >= publish_by:
                unpublished.append(row.id)
            elif await self._publish(row):
                sent.append(row.id)
            else:
                failed_topics.add(row.topic)
        # Marked once per pass: a crash before this publishes the batch again, which
        # consumers, idempotent on event_id, shrug off.
        if sent:
            await self._outbox.mark_sent(sent, self._clock())
        if unpublished:
            await self._outbox.release(unpublished)
        return Drained(claimed=len(claimed), sent=len(sent), failed=len(failed_topics))

    async def _publish(self, row: Claimed) -> bool:
        topic, payload = row.topic, row.payload
        timeout = self._settings.publish_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                await self._bus.publish(topic, payload, partition_key(payload))
        except Exception as error:
            reason = (
                f"no answer within {timeout:g} s"
                if isinstance(error, TimeoutError)
                else str(error) or type(error).__name__
            )
            log.warning("publishing %s to %s failed: %s", payload.get("event_id"), topic, reason)
            now = self._clock()
            self.last_failure = PublishFailure(topic, reason[:500], now)
            retry_in = backoff_seconds(row.attempts + 1, self._settings.max_backoff_seconds)
            await self._outbox.failed(row.id, reason[:2000], now + timedelta(seconds=retry_in))
            return False
        self.last_failure = None
        return True

    async def _prune_when_due(self) -> None:
        now = self._clock()
        if self._next_prune is not None and now < self._next_prune:
            return
        pruned = await self.prune()
        # A full batch means more are due: go on at the next idle pass.
        self._next_prune = now if pruned == PRUNE_BATCH else now + PRUNE_EVERY

    async def prune(self) -> int:
        """Delete one batch of rows sent longer ago than the retention period."""
        cutoff = self._clock() - timedelta(days=self._settings.retention_days)
        return await self._outbox.prune(cutoff, PRUNE_BATCH)

    async def backlog(self) -> Backlog:
        return await self._outbox.backlog()
