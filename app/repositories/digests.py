"""The daily digests' statements: a digest row per user and local day, taken by whoever comes
first, with the digest's deliveries on the user's channels in the same write."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.channels import Channel
from app.domain.digests import Digest
from app.domain.notifications import DeliveryStatus
from app.ports import Sql
from app.repositories.tables import DIGEST, NOTIFICATION_DELIVERY


class DigestRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(
        self,
        owner: int,
        digest: Digest,
        notification: dict[str, Any],
        event: dict[str, Any],
        channels: list[Channel],
        now: datetime,
    ) -> bool:
        """Take the user's digest of its day and store a pending delivery of it on each of
        `channels` (none for an empty digest). False when it was taken already."""
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
        deliveries = [
            sa.insert(NOTIFICATION_DELIVERY).values(
                owner_id=owner,
                digest_date=digest.day,
                channel_id=channel.id,
                notification=notification,
                event=event,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            for channel in ([] if digest.empty else channels)
        ]
        return bool(await self._sql.write(taken, deliveries))
