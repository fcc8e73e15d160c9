"""A task's history tells each delivery of its reminders and each failure, by channel."""

from datetime import UTC, datetime
from typing import Any

from app.domain.events import message
from app.domain.models import AuditLogEntry
from app.ui.state.history import _line
from tests.support.events import an_event

AT = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


def _entry(event_type: str, **fields: Any) -> AuditLogEntry:
    event = an_event(event_type, **fields)
    return AuditLogEntry(
        event_id=event.event_id,
        event_type=event.event_type,
        topic="task-updates",
        task_id=event.task_id,
        data=message(event),
        occurred_at=AT,
        recorded_at=AT,
    )


def test_a_delivery_and_a_failure_are_told_with_their_channel() -> None:
    delivered = _line(_entry("notification.delivered", channel_type="email"), "UTC", AT)
    assert (delivered.what, delivered.detail) == ("Reminder delivered", "by email after 1 attempt")
    failed = _line(
        _entry("notification.failed", attempts=5, error="webhook answered 500"), "UTC", AT
    )
    assert failed.what == "Reminder not delivered"
    assert failed.detail == "by webhook after 5 attempts: webhook answered 500"
