"""The audit trail: one row per event, whatever topic or how often it arrives."""

from datetime import UTC, datetime

from app.domain.models import AuditLogEntry
from app.ports import Event, Sql
from app.repositories.audit import AuditRepository
from app.services.errors import MalformedEvent


class AuditService:
    def __init__(self, sql: Sql) -> None:
        self._audit = AuditRepository(sql)

    async def record(self, topic: str, event: Event) -> bool:
        """Store `event` unless its event_id is stored already; True when it was new."""
        try:
            entry = AuditLogEntry(
                event_id=str(event["event_id"]),
                event_type=str(event["event_type"]),
                topic=topic,
                task_id=event.get("task_id"),
                data=event,
                occurred_at=datetime.fromisoformat(event["timestamp"]),
                recorded_at=datetime.now(UTC),
            )
        except (KeyError, TypeError, ValueError) as error:  # a ValidationError is a ValueError
            raise MalformedEvent(
                f"no event_id, event_type and timestamp, or a task_id that is no number: {error!r}"
            ) from None
        return await self._audit.add(entry)

    async def page(
        self,
        task_id: int | None = None,
        event_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditLogEntry], int]:
        return await self._audit.page(task_id, event_type, limit, offset)
