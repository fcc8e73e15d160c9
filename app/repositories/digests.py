"""The daily digests' statements: a digest row per user and local day, taken by whoever comes
first, with the digest's deliveries on each of the user's channels in the same transaction."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.channels import ChannelType
from app.domain.digests import Digest
from app.domain.notifications import DeliveryStatus
from app.ports import Sql
from app.repositories.tables import DIGEST, NOTIFICATION_CHANNEL, NOTIFICATION_DELIVERY

_D = NOTIFICATION_DELIVERY


class DigestRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(
        self,
        owner: int,
        digest: Digest,
        notification: dict[str, Any],
        event: dict[str, Any],
        kinds: frozenset[ChannelType],
        now: datetime,
    ) -> bool:
        """Take the user's digest of its day and, unless it is empty, store a pending delivery
        of it on each of their channels of `kinds`. False when it was taken already."""
        taken = (
            upsert_insert(DIGEST)
            .values(
                owner_id=owner,
                local_date=digest.day,
                overdue=digest.overdue_count,
                due_today=digest.due_today_count,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["owner_id", "local_date"])
            .returning(DIGEST.c.id)
        )
        if digest.empty:
            return bool(await self._sql.write(taken))
        return bool(
            await self._sql.write(
                taken, [self._deliveries(owner, digest.day, notification, event, kinds, now)]
            )
        )

    @staticmethod
    def _deliveries(
        owner: int,
        day: date,
        notification: dict[str, Any],
        event: dict[str, Any],
        kinds: frozenset[ChannelType],
        now: datetime,
    ) -> sa.Insert:
        columns = {
            "digest_id": DIGEST.c.id,
            "channel_id": NOTIFICATION_CHANNEL.c.id,
            "owner_id": NOTIFICATION_CHANNEL.c.owner_id,
            "notification": sa.literal(notification, _D.c.notification.type),
            "event": sa.literal(event, _D.c.event.type),
            "status": sa.literal(DeliveryStatus.PENDING.value, sa.String),
            "attempts": sa.literal(0, sa.Integer),
            "next_attempt_at": sa.literal(now, _D.c.next_attempt_at.type),
            "created_at": sa.literal(now, _D.c.created_at.type),
        }
        channels = (
            sa.select(*columns.values())
            .select_from(
                NOTIFICATION_CHANNEL.join(
                    DIGEST, DIGEST.c.owner_id == NOTIFICATION_CHANNEL.c.owner_id
                )
            )
            .where(
                NOTIFICATION_CHANNEL.c.owner_id == owner,
                NOTIFICATION_CHANNEL.c.type.in_(sorted(kind.value for kind in kinds)),
                DIGEST.c.local_date == day,
            )
        )
        return sa.insert(_D).from_select(list(columns), channels)
