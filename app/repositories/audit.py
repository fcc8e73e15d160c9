"""The audit log's statements: one row per event_id, listed newest first."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.models import AuditLogEntry
from app.ports import Sql
from app.repositories.rows import from_rows, values_of
from app.repositories.tables import AUDIT_LOG


class AuditRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(self, entry: AuditLogEntry) -> bool:
        """Store `entry` unless its event_id is stored already; True when it was new."""
        values = values_of(entry, AUDIT_LOG)
        del values["id"]  # numbered by the database
        rows = await self._sql.write(
            upsert_insert(AUDIT_LOG)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(AUDIT_LOG.c.id)
        )
        return bool(rows)

    async def page(
        self, task_id: int | None, event_type: str | None, limit: int, offset: int
    ) -> tuple[list[AuditLogEntry], int]:
        """One page of the matching entries, newest first, and how many match in all."""
        conditions = []
        if task_id is not None:
            conditions.append(AUDIT_LOG.c.task_id == task_id)
        if event_type is not None:
            conditions.append(AUDIT_LOG.c.event_type == event_type)
        rows = await self._sql.fetch(
            sa.select(AUDIT_LOG)
            .where(*conditions)
            .order_by(AUDIT_LOG.c.occurred_at.desc(), AUDIT_LOG.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self._sql.fetch(
            sa.select(sa.func.count()).select_from(AUDIT_LOG).where(*conditions)
        )
        return from_rows(AuditLogEntry, AUDIT_LOG, rows), int(total[0][0])
