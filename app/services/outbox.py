"""The transactional outbox: events stored with their write, relayed to the bus until accepted."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.domain.events import TOPICS_BY_EVENT_TYPE
from app.domain.models import OutboxMessage
from app.ports import EventBus, Sql

log = logging.getLogger(__name__)

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
MAX_ATTEMPTS = 10
CLAIM_SECONDS = 30


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


def _retry_at(attempts: int) -> datetime:
    """Back off exponentially from one second up to the claim length."""
    return datetime.now(UTC) + timedelta(seconds=min(2**attempts, CLAIM_SECONDS))


class OutboxRelay:
    def __init__(self, sql: Sql, bus: EventBus, batch: int = 100, idle_seconds: float = 1.0):
        self._sql = sql
        self._bus = bus
        self._batch = batch
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.drain() == self._batch:
                    pass
            except Exception:
                log.exception("outbox relay pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle_seconds)
            self._wake.clear()

    async def drain(self) -> int:
        """Publish one batch of unsent rows, oldest first; return how many were claimed."""
        rows = await self._claim()
        for row_id, topic, payload, attempts in sorted(rows, key=lambda row: row[0]):
            try:
                await self._bus.publish(topic, payload)
            except Exception as error:
                log.warning("publishing %s to %s failed: %s", payload["event_id"], topic, error)
                await self._sql.fetch(
                    sa.update(OUTBOX)
                    .where(OUTBOX.c.id == row_id)
                    .values(
                        attempts=OUTBOX.c.attempts + 1,
                        last_error=str(error)[:2000],
                        claimed_until=_retry_at(attempts),
                    )
                )
                continue
            await self._sql.fetch(
                sa.update(OUTBOX).where(OUTBOX.c.id == row_id).values(sent_at=datetime.now(UTC))
            )
        return len(rows)

    async def _claim(self) -> list[Any]:
        now = datetime.now(UTC)
        unsent = (
            sa.select(OUTBOX.c.id)
            .where(
                OUTBOX.c.sent_at.is_(None),
                OUTBOX.c.attempts < MAX_ATTEMPTS,
                sa.or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
            )
            .order_by(OUTBOX.c.id)
            .limit(self._batch)
        )
        return await self._sql.fetch(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_(unsent.scalar_subquery()))
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            .returning(OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.payload, OUTBOX.c.attempts)
        )

    async def backlog(self) -> int:
        rows = await self._sql.fetch(sa.select(sa.func.count()).where(OUTBOX.c.sent_at.is_(None)))
        return int(rows[0][0])
