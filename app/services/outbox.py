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
from collections import deque
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


def _lanes(rows: list[Claimed]) -> list[deque[Claimed]]:
    """`rows` as one queue for each task and topic, oldest first."""
    lanes: dict[tuple[str, str | None], deque[Claimed]] = {}
    for row in sorted(rows, key=lambda row: row.id):
        lanes.setdefault((row.topic, partition_key(row.payload)), deque()).append(row)
    return list(lanes.values())


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
        # Rows a pass claims. A pass takes a few round trips to the database and the bus
        # whatever its size; on an app busy with 1,000 people each took some 0.4 s, and at 100
        # rows a pass the relay fell behind their writes.
        batch: int = 500,
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
        # The latest publish that failed, until a pass publishes without one: what /health
        # names.
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
        """Publish one batch of claimed rows: in rounds, each round the oldest waiting row of
        every task and topic, one call to the bus per topic. After a failure the rest of that
        topic's rows wait for the next pass, so an outage costs one round per topic."""
        started = self._clock()
        lease = timedelta(seconds=self._settings.claim_seconds)
        claimed = await self._outbox.claim(started, started + lease, self._batch)
        behind = (
            await self._outbox.behind_other_claims([row.id for row in claimed])
            if claimed
            else set()
        )
        publish_by = started + lease - timedelta(seconds=self._settings.publish_timeout_seconds)
        failed_topics: set[str] = set()
        unpublished: list[int] = []
        sent: list[int] = []
        lanes = _lanes(claimed)
        while lanes:
            heads: dict[str, list[Claimed]] = {}
            for lane in lanes:
                row = lane[0]
                if row.id in behind or row.topic in failed_topics or self._clock() >= publish_by:
                    # Its task's later rows wait with it.
                    unpublished.extend(waiting.id for waiting in lane)
                    lane.clear()
                else:
                    heads.setdefault(row.topic, []).append(lane.popleft())
            topics = list(heads)
            outcomes = await asyncio.gather(*(self._publish(t, heads[t]) for t in topics))
            for topic, accepted in zip(topics, outcomes, strict=True):
                sent.extend(accepted)
                if len(accepted) < len(heads[topic]):
                    failed_topics.add(topic)
            lanes = [lane for lane in lanes if lane]
        if sent and not failed_topics:
            self.last_failure = None
        # Marked once per pass: a crash before this publishes the batch again, which
        # consumers, idempotent on event_id, shrug off.
        if sent:
            await self._outbox.mark_sent(sent, self._clock())
        if unpublished:
            await self._outbox.release(unpublished)
        return Drained(claimed=len(claimed), sent=len(sent), failed=len(failed_topics))

    async def _publish(self, topic: str, rows: list[Claimed]) -> list[int]:
        """Publish `rows` of `topic` in one call; the ids the bus accepted. A refused row
        waits before its next attempt, longer after each."""
        timeout = self._settings.publish_timeout_seconds
        messages = [(row.payload, partition_key(row.payload)) for row in rows]
        try:
            async with asyncio.timeout(timeout):
                refused = await self._bus.publish_all(topic, messages)
        except Exception as error:
            reason = (
                f"no answer within {timeout:g} s"
                if isinstance(error, TimeoutError)
                else str(error) or type(error).__name__
            )
            refused = [reason] * len(rows)
        failed = [(row, reason) for row, reason in zip(rows, refused, strict=True) if reason]
        if not failed:
            return [row.id for row in rows]
        now = self._clock()
        first, first_reason = failed[0]
        log.warning(
            "publishing %d of %d events to %s failed, %s first: %s",
            len(failed),
            len(rows),
            topic,
            first.payload.get("event_id"),
            first_reason,
        )
        self.last_failure = PublishFailure(topic, first_reason[:500], now)
        # The rows that failed as often and for the same reason back off together: one write
        # for each such group.
        groups: dict[tuple[int, str], list[int]] = {}
        for row, reason in failed:
            groups.setdefault((row.attempts, reason), []).append(row.id)
        for (attempts, reason), ids in groups.items():
            retry_in = backoff_seconds(attempts + 1, self._settings.max_backoff_seconds)
            await self._outbox.failed(ids, reason[:2000], now + timedelta(seconds=retry_in))
        refused_ids = {row.id for row, _ in failed}
        return [row.id for row in rows if row.id not in refused_ids]

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
