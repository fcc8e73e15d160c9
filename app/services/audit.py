"""The audit trail: one row per event, whatever topic or how often it arrives."""

from datetime import UTC, datetime

from app.domain.events import Event, RecentEventIds, message
from app.domain.models import AuditLogEntry
from app.ports import Sql
from app.repositories.audit import AuditRepository

# How many of the latest event ids a process keeps in mind: an event arrives once per topic
# that carries it, and the other arrivals, close behind, need no write to be turned away.
REMEMBERED = 10_000


class AuditService:
    def __init__(self, sql: Sql) -> None:
        self._audit = AuditRepository(sql)
        self._recorded = RecentEventIds(REMEMBERED)

    async def record(self, topic: str, event: Event) -> bool:
        """Store `event` as its user's, unless its event_id is stored already; True when it
        was new."""
        if event.event_id in self._recorded:
            return False
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
        new = await self._audit.add(entry)
        self._recorded.add(event.event_id)
        return new

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
