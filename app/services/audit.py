"""The audit trail: one row per event, whatever topic or how often it arrives."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.models import AuditLogEntry
from app.ports import Event, Sql
from app.services.errors import MalformedEvent
from app.services.rows import columns_of, from_rows

AUDIT = AuditLogEntry.__table__  # type: ignore[attr-defined]
AUDIT_COLUMNS = columns_of(AuditLogEntry)


class AuditService:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def record(self, topic: str, event: Event) -> bool:
        """Store `event` unless its event_id is stored already; True when it was new."""
        try:
            event_id, event_type = str(event["event_id"]), str(event["event_type"])
            occurred_at = datetime.fromisoformat(event["timestamp"])
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedEvent(f"no event_id, event_type and timestamp: {error!r}") from None
        rows = await self._sql.fetch(
            upsert_insert(AUDIT)
            .values(
                event_id=event_id,
                event_type=event_type,
                topic=topic,
                task_id=event.get("task_id"),
                data=event,
                occurred_at=occurred_at,
                recorded_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(AUDIT.c.id)
        )
        return bool(rows)

    async def page(
        self,
        task_id: int | None = None,
        event_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditLogEntry], int]:
        conditions = []
        if task_id is not None:
            conditions.append(AUDIT.c.task_id == task_id)
        if event_type is not None:
            conditions.append(AUDIT.c.event_type == event_type)
        rows = await self._sql.fetch(
            sa.select(*AUDIT_COLUMNS)
            .where(*conditions)
            .order_by(AUDIT.c.occurred_at.desc(), AUDIT.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self._sql.fetch(
            sa.select(sa.func.count()).select_from(AUDIT).where(*conditions)
        )
        return from_rows(AuditLogEntry, rows), int(total[0][0])
