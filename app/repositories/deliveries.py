"""The notification deliveries' statements: one row per fired reminder and channel, claimed
for a lease by the courier that sends it, and marked with the event that tells the audit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert
from sqlalchemy.sql.selectable import CTE

from app.domain.channels import ChannelType
from app.domain.events import Event
from app.domain.notifications import Delivery, DeliveryStatus
from app.ports import Sql
from app.repositories.outbox import outbox_inserts
from app.repositories.rows import from_rows, values_list
from app.repositories.tables import NOTIFICATION_CHANNEL, NOTIFICATION_DELIVERY

_D = NOTIFICATION_DELIVERY


@dataclass(frozen=True)
class Fired:
    """A fired reminder's notification, to be stored for each of its owner's channels."""

    owner: int
    reminder_id: int
    task_id: int
    notification: dict[str, Any]
    event: dict[str, Any]
    # Now, or when the owner's quiet hours end.
    send_at: datetime


class DeliveryRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add_for_channels(
        self, fired: Sequence[Fired], kinds: frozenset[ChannelType], now: datetime
    ) -> int:
        """In one write, a pending delivery of each fired reminder on each of its owner's
        channels of `kinds` it has none on; one it failed on for good is tried again (a dead
        letter replayed). Each reminder at most once in `fired`. How many are new or
        renewed."""
        if not fired:
            return 0
        listed = values_list(
            _D,
            ("reminder_id", "owner_id", "task_id", "notification", "event", "next_attempt_at"),
            [
                (one.reminder_id, one.owner, one.task_id, one.notification, one.event, one.send_at)
                for one in fired
            ],
            "fired",
        )
        rows = sa.select(
            listed.c.reminder_id,
            NOTIFICATION_CHANNEL.c.id,
            listed.c.owner_id,
            listed.c.task_id,
            listed.c.notification,
            listed.c.event,
            sa.literal(DeliveryStatus.PENDING.value, sa.String),
            sa.literal(0, sa.Integer),
            listed.c.next_attempt_at,
            sa.literal(now, _D.c.created_at.type),
        ).join_from(
            listed, NOTIFICATION_CHANNEL, NOTIFICATION_CHANNEL.c.owner_id == listed.c.owner_id
        )
        # A WHERE too, so SQLite reads the ON CONFLICT below as the upsert's, not the join's.
        rows = rows.where(NOTIFICATION_CHANNEL.c.type.in_(sorted(kind.value for kind in kinds)))
        columns = [
            "reminder_id",
            "channel_id",
            "owner_id",
            "task_id",
            "notification",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        ]
        insert = upsert_insert(_D).from_select(columns, rows)
        added = await self._sql.write(
            insert.on_conflict_do_update(
                index_elements=["reminder_id", "channel_id"],
                set_={
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": insert.excluded.next_attempt_at,
                    "claimed_until": None,
                    "event": insert.excluded.event,
                },
                where=_D.c.status == DeliveryStatus.FAILED.value,
            ).returning(_D.c.id)
        )
        return len(added)

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[Delivery]:
        """Lease up to `limit` pending deliveries that are due and held by nobody."""
        due = (
            sa.select(_D.c.id)
            .where(
                _D.c.status == DeliveryStatus.PENDING.value,
                _D.c.next_attempt_at <= now,
                sa.or_(_D.c.claimed_until.is_(None), _D.c.claimed_until < now),
            )
            .order_by(_D.c.next_attempt_at, _D.c.id)
            .limit(limit)
            # Couriers claiming at once take different rows (PostgreSQL; SQLite has one writer).
            .with_for_update(skip_locked=True)
        )
        rows = await self._sql.write(
            sa.update(_D)
            .where(
                _D.c.id.in_(due.scalar_subquery()),
                sa.or_(_D.c.claimed_until.is_(None), _D.c.claimed_until < now),
            )
            .values(claimed_until=until)
            .returning(*_D.c)
        )
        return from_rows(Delivery, _D, rows)

    async def delivered(self, sent: Sequence[tuple[Delivery, Event]], at: datetime) -> int:
        """Mark the sent deliveries delivered, each with its event: in one write when every
        lease still holds, else one by one, those whose lease holds. How many were marked."""
        leases = _leases([delivery for delivery, _ in sent])
        others = _D.alias("held")
        all_held = (
            sa.select(sa.func.count())
            .select_from(others)
            .where(_leases_held(others, leases))
            .scalar_subquery()
        ) == len(sent)
        rows = await self._sql.write(
            sa.update(_D)
            .where(_leases_held(_D, leases), all_held)
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=at,
                attempts=_D.c.attempts + 1,
                claimed_until=None,
            )
            .returning(_D.c.id),
            outbox_inserts(*(event for _, event in sent)),
        )
        if rows or len(sent) == 1:
            return len(rows)
        marked = 0
        for delivery, event in sent:
            marked += await self._finish(
                delivery, [event], status=DeliveryStatus.DELIVERED.value, delivered_at=at
            )
        return marked

    async def retry_at(self, delivery: Delivery, at: datetime, error: str) -> bool:
        """Count the failed attempt; the next one is due at `at`."""
        return await self._finish(delivery, [], next_attempt_at=at, last_error=error)

    async def failed(self, delivery: Delivery, error: str, events: list[Event]) -> bool:
        """Give it up for good, storing its events with it."""
        return await self._finish(
            delivery, events, status=DeliveryStatus.FAILED.value, last_error=error
        )

    async def _finish(self, delivery: Delivery, events: list[Event], **values: Any) -> bool:
        rows = await self._sql.write(
            sa.update(_D)
            .where(
                _D.c.id == delivery.id,
                _D.c.status == DeliveryStatus.PENDING.value,
                _D.c.claimed_until == delivery.claimed_until,
            )
            .values(attempts=_D.c.attempts + 1, claimed_until=None, **values)
            .returning(_D.c.id),
            outbox_inserts(*events),
        )
        return bool(rows)


def _leases(deliveries: Sequence[Delivery]) -> CTE:
    return values_list(
        _D,
        ("id", "claimed_until"),
        [(delivery.id, delivery.claimed_until) for delivery in deliveries],
        "leases",
    )


def _leases_held(table: sa.FromClause, leases: CTE) -> sa.ColumnElement[bool]:
    """The rows of `table` that hold one of `leases`, and are pending."""
    return sa.and_(
        table.c.status == DeliveryStatus.PENDING.value,
        sa.exists().where(
            leases.c.id == table.c.id, leases.c.claimed_until == table.c.claimed_until
        ),
    )
