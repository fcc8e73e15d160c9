"""Event envelopes and which topics carry which events."""

import uuid
from datetime import UTC, datetime
from typing import Any

from app.domain.models import Reminder

TASK_EVENTS = "task-events"
REMINDERS = "reminders"
TASK_UPDATES = "task-updates"
TOPICS = (TASK_EVENTS, REMINDERS, TASK_UPDATES)
# Where events are set aside for the app's dead-letter list: by the sidecar, and by a
# processor that has no database of its own.
DEAD_LETTERS = "taskflow-deadletter"

SINGLE_USER_ID = 1

TOPICS_BY_EVENT_TYPE = {
    "task.created": (TASK_EVENTS, TASK_UPDATES),
    "task.updated": (TASK_EVENTS, TASK_UPDATES),
    "task.completed": (TASK_EVENTS, TASK_UPDATES),
    "task.deleted": (TASK_EVENTS, TASK_UPDATES),
    "reminder.scheduled": (REMINDERS,),
    "reminder.cancelled": (REMINDERS,),
    "reminder.triggered": (REMINDERS,),
    "reminder.sent": (TASK_UPDATES,),
}


def new_event(
    event_type: str,
    *,
    task_id: int | None,
    correlation_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A fresh event: the envelope fields every consumer relies on, then the event's own."""
    event_id = str(uuid.uuid4())
    return {
        "event_id": event_id,
        "event_type": event_type,
        "task_id": task_id,
        "user_id": SINGLE_USER_ID,
        "timestamp": datetime.now(UTC).isoformat(),
        "correlation_id": correlation_id or event_id,
        **fields,
    }


def reminder_event(event_type: str, reminder: Reminder) -> dict[str, Any]:
    return new_event(
        event_type,
        task_id=reminder.task_id,
        reminder_id=reminder.id,
        scheduled_at=reminder.scheduled_at.isoformat(),
        reminder_offset=reminder.reminder_offset,
        status=reminder.status,
    )
