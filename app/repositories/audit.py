"""The audit log's statements: one row per event_id, listed newest first, each owner's own."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.models import AuditLogEntry
from app.ports import Sql
from app.repositories.ownership import owned
from app.repositories.rows import from_rows, values_of
from app.repositories.tables import APP_USER, AUDIT_LOG


class AuditRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(self, entry: AuditLogEntry) -> bool:
        """Store `entry` unless its event_id is stored already; True when it was new.

        It belongs to its event's user. The event of a user who is gone is left out (their
        data went with them), unless there is no user at all: an event from before the first
        user is kept without an owner, for the first admin."""
        values = values_of(entry, AUDIT_LOG)
        del values["id"]  # numbered by the database
        owner = values.pop("owner_id")
        user = sa.select(APP_USER.c.id).where(APP_USER.c.id == owner)
        row = sa.select(
            *[sa.literal(value, AUDIT_LOG.c[name].type) for name, value in values.items()],
            user.scalar_subquery(),
        ).where(sa.or_(sa.exists(user), ~sa.exists(sa.select(APP_USER.c.id))))
        rows = await self._sql.write(
            upsert_insert(AUDIT_LOG)
            .from_select([*values, "owner_id"], row)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(AUDIT_LOG.c.id)
        )
        return bool(rows)

    async def page(
        self, owner: int, task_id: int | None, event_type: str | None, limit: int, offset: int
    ) -> tuple[list[AuditLogEntry], int]:
        """One page of the owner's matching entries, newest first, and how many match."""
        conditions = [owned(AUDIT_LOG, owner)]
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
