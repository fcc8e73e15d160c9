"""The audit trail: one row per event, whatever topic or how often it arrives."""

from datetime import UTC, datetime

from app.domain.events import Event, message
from app.domain.models import AuditLogEntry
from app.ports import Sql
from app.repositories.audit import AuditRepository


class AuditService:
    def __init__(self, sql: Sql) -> None:
        self._audit = AuditRepository(sql)

    async def record(self, topic: str, event: Event) -> bool:
        """Store `event` as its user's, unless its event_id is stored already; True when it
        was new."""
        entry = AuditLogEntry(
            event_id=event.event_id,
            event_type=event.event_type,
            topic=topic,
            task_id=event.task_id,
            data=message(event),
            occurred_at=event.timestamp,
            recorded_at=datetime.now(UTC),
            owner_id=event.user_id,
        )
        return await self._audit.add(entry)

    async def page(
        self,
        owner: int,
        task_id: int | None = None,
        event_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditLogEntry], int]:
        """One page of the owner's entries, newest first, and how many there are."""
        return await self._audit.page(owner, task_id, event_type, limit, offset)
