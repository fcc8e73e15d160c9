"""Every event on every topic -> one audit row per event_id."""

from app.domain.events import Event
from app.services.audit import AuditService


class AuditHandler:
    def __init__(self, audit: AuditService) -> None:
        self._audit = audit

    async def __call__(self, topic: str, event: Event) -> None:
        await self._audit.record(topic, event)
