"""Well-formed events of every type, for tests that need one and do not care about its
fields (tests/unit/test_routing.py checks that the list covers every type)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.events import (
    DeadLetterForwarded,
    Event,
    NotificationDelivered,
    NotificationFailed,
    ReminderCancelled,
    ReminderScheduled,
    ReminderSent,
    ReminderTriggered,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskUpdated,
    message,
)
from app.domain.models import Task
from app.ports import Message
from tests.support.owners import OWNER

AT = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


def a_task(task_id: int = 1, **fields: Any) -> Task:
    values: dict[str, Any] = {
        "id": task_id,
        "title": f"task {task_id}",
        "due_date": AT,
        "timezone": "UTC",
        "recurrence": Recurrence.NONE,
        "repeat_from": RepeatFrom.DUE,
        "priority": Priority.MEDIUM,
        "status": TaskStatus.PENDING,
        "created_at": AT - timedelta(days=1),
        "updated_at": AT - timedelta(days=1),
    }
    return Task(**{**values, **fields})


def an_event(event_type: str, task_id: int | None = 1, **fields: Any) -> Event:
    """An event of `event_type` about task `task_id` of OWNER; `fields` override its own
    fields."""
    task = a_task(task_id or 1)
    reminder = {
        "reminder_id": task_id or 1,
        "scheduled_at": AT,
        "reminder_offset": "0 minutes",
        "status": ReminderStatus.PENDING,
    }
    outcome = {
        "reminder_id": task_id or 1,
        "channel_id": 1,
        "channel_type": "webhook",
        "attempts": 1,
    }
    kinds: dict[str, Any] = {
        "task.created": (TaskCreated, {"task_data": task}),
        "task.updated": (TaskUpdated, {"task_data": task, "update_data": {"title": task.title}}),
        "task.completed": (
            TaskCompleted,
            {
                "task_data": task.model_copy(
                    update={"status": TaskStatus.COMPLETED, "completed_at": AT}
                ),
                "update_data": {"status": "completed"},
            },
        ),
        "task.deleted": (TaskDeleted, {"task_data": task}),
        "reminder.scheduled": (ReminderScheduled, reminder),
        "reminder.cancelled": (ReminderCancelled, reminder),
        "reminder.triggered": (
            ReminderTriggered,
            {"reminder_id": task_id or 1, "scheduled_at": AT, "fired_at": AT},
        ),
        "reminder.sent": (
            ReminderSent,
            {
                "reminder_id": task_id or 1,
                "title": task.title,
                "due_date": AT,
                "scheduled_at": AT,
                "fired_at": AT,
                "late": False,
            },
        ),
        "notification.delivered": (NotificationDelivered, outcome),
        "notification.failed": (NotificationFailed, {**outcome, "error": "refused"}),
        "dead_letter.forwarded": (
            DeadLetterForwarded,
            {"topic": "task-events", "payload": {}, "error": "rejected"},
        ),
    }
    kind, own = kinds[event_type]
    event: Event = kind(task_id=task_id, **{"user_id": OWNER, **own, **fields})
    return event


def a_message(event_type: str, task_id: int | None = 1, **fields: Any) -> Message:
    """The same, as it travels."""
    return message(an_event(event_type, task_id, **fields))
