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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.config import DeliverySettings
from app.domain.events import TOPICS_BY_EVENT_TYPE
from app.domain.models import OutboxMessage
from app.ports import Clock, Event, EventBus, Sql, utc_now

log = logging.getLogger(__name__)

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
PRUNE_BATCH = 500
PRUNE_EVERY = timedelta(minutes=1)


def outbox_inserts(*events: dict[str, Any]) -> list[sa.Insert]:
    """One outbox row per event and topic that carries it."""
    now = datetime.now(UTC)
    return [
        sa.insert(OUTBOX).values(
            event_id=event["event_id"], topic=topic, payload=event, created_at=now, attempts=0
        )
        for event in events
        for topic in TOPICS_BY_EVENT_TYPE[event["event_type"]]
    ]


def partition_key(event: Event) -> str | None:
    """The events of one task share a key, so the bus keeps them in order."""
    task_id = event.get("task_id")
    return None if task_id is None else str(task_id)


def backoff_seconds(failures: int, cap: float) -> float:
    """1, 2, 4, 8 ... seconds after that many failures in a row, never more than `cap`."""
    return float(min(2 ** min(max(failures - 1, 0), 30), cap))


def _key(table: sa.FromClause) -> sa.ColumnElement[str]:
    return table.c.payload["task_id"].as_string()


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


@dataclass(frozen=True)
class Backlog:
    unsent: int
    oldest: datetime | None


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
        self._sql = sql
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
                await asyncio.wait_for(self._wake.wait(), self._idle_seconds)
            self._wake.clear()

    async def drain(self) -> Drained:
        """Publish one batch of claimed rows, oldest first. After a failure the rest of that
        topic's rows wait for the next pass, so an outage costs one attempt per topic."""
        started = self._clock()
        rows = sorted(await self._claim(started), key=lambda row: row[0])
        behind = await self._behind_other_claims([row[0] for row in rows]) if rows else set()
        publish_by = started + timedelta(
            seconds=self._settings.claim_seconds - self._settings.publish_timeout_seconds
        )
        failed_topics: set[str] = set()
        unpublished: list[int] = []
        sent: list[int] = []
        for row_id, topic, payload, attempts in rows:
            if row_id in behind or topic in failed_topics or self._clock() >= publish_by:
                unpublished.append(row_id)
            elif await self._publish(row_id, topic, payload, attempts):
                sent.append(row_id)
            else:
                failed_topics.add(topic)
        # Marked once per pass: a crash before this publishes the batch again, which
        # consumers, idempotent on event_id, shrug off.
        if sent:
            await self._sql.fetch(
                sa.update(OUTBOX).where(OUTBOX.c.id.in_(sent)).values(sent_at=self._clock())
            )
        if unpublished:
            await self._sql.fetch(
                sa.update(OUTBOX).where(OUTBOX.c.id.in_(unpublished)).values(claimed_until=None)
            )
        return Drained(claimed=len(rows), sent=len(sent), failed=len(failed_topics))

    async def _publish(self, row_id: int, topic: str, payload: Event, attempts: int) -> bool:
        timeout = self._settings.publish_timeout_seconds
        try:
            await asyncio.wait_for(
                self._bus.publish(topic, payload, partition_key(payload)), timeout
            )
        except Exception as error:
            reason = (
                f"no answer within {timeout:g} s"
                if isinstance(error, TimeoutError)
                else str(error) or type(error).__name__
            )
            log.warning("publishing %s to %s failed: %s", payload.get("event_id"), topic, reason)
            now = self._clock()
            self.last_failure = PublishFailure(topic, reason[:500], now)
            retry_in = backoff_seconds(attempts + 1, self._settings.max_backoff_seconds)
            await self._sql.fetch(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == row_id)
                .values(
                    attempts=OUTBOX.c.attempts + 1,
                    last_error=reason[:2000],
                    claimed_until=now + timedelta(seconds=retry_in),
                )
            )
            return False
        self.last_failure = None
        return True

    async def _claim(self, now: datetime) -> Sequence[Any]:
        claimable = sa.and_(
            OUTBOX.c.sent_at.is_(None),
            sa.or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
        )
        earlier = OUTBOX.alias("earlier")
        earlier_waits = sa.exists().where(
            earlier.c.topic == OUTBOX.c.topic,
            _key(earlier) == _key(OUTBOX),
            earlier.c.id < OUTBOX.c.id,
            earlier.c.sent_at.is_(None),
            earlier.c.claimed_until >= now,
        )
        # Materialized, so PostgreSQL picks (and locks) the batch once; as a plain subquery
        # it may run it again for every row it updates, each time past the locked ones.
        batch = (
            sa.select(OUTBOX.c.id)
            .where(claimable, ~earlier_waits)
            .order_by(OUTBOX.c.id)
            .limit(self._batch)
            .with_for_update(skip_locked=True)
            .cte("batch")
            .prefix_with("MATERIALIZED")
        )
        return await self._sql.fetch(
            sa.update(OUTBOX)
            # `claimable` again: a row another relay claimed meanwhile is not taken twice.
            .where(OUTBOX.c.id.in_(sa.select(batch.c.id)), claimable)
            .values(claimed_until=now + timedelta(seconds=self._settings.claim_seconds))
            .returning(OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.payload, OUTBOX.c.attempts)
        )

    async def _behind_other_claims(self, claimed: list[int]) -> set[int]:
        """Claimed rows with an earlier unsent row of their task and topic outside this
        claim. Claims of two relays can overlap (neither sees the other's uncommitted
        lease), but a row's sent_at is set only after it was published, so this check,
        made after the claim committed, keeps the order."""
        later = OUTBOX.alias("later")
        earlier = OUTBOX.alias("earlier")
        rows = await self._sql.fetch(
            sa.select(later.c.id).where(
                later.c.id.in_(claimed),
                sa.exists().where(
                    earlier.c.topic == later.c.topic,
                    _key(earlier) == _key(later),
                    earlier.c.id < later.c.id,
                    earlier.c.sent_at.is_(None),
                    earlier.c.id.not_in(claimed),
                ),
            )
        )
        return {row[0] for row in rows}

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
        expired = sa.select(OUTBOX.c.id).where(OUTBOX.c.sent_at < cutoff).limit(PRUNE_BATCH)
        rows = await self._sql.fetch(
            sa.delete(OUTBOX)
            .where(OUTBOX.c.id.in_(expired.scalar_subquery()))
            .returning(OUTBOX.c.id)
        )
        return len(rows)

    async def backlog(self) -> Backlog:
        [(unsent, oldest)] = await self._sql.fetch(
            sa.select(sa.func.count(), sa.func.min(OUTBOX.c.created_at)).where(
                OUTBOX.c.sent_at.is_(None)
            )
        )
        return Backlog(int(unsent), oldest)
