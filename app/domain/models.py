"""What the use cases pass around: tasks, their reminders, audit entries and dead letters.

Tasks, reminders and audit entries belong to one user, their `owner_id`; None only for rows
stored before any user existed, until the first admin is given them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus


class Task(BaseModel):
    id: int
    title: str
    description: str = ""
    due_date: datetime | None = None
    timezone: str
    recurrence: Recurrence
    rrule: str | None = None
    repeat_from: RepeatFrom
    priority: Priority
    tags: list[str] = Field(default_factory=list)
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    parent_task_id: int | None = None
    reminder_offset: str | None = None
    owner_id: int | None = None


class Reminder(BaseModel):
    id: int
    task_id: int
    reminder_offset: str
    scheduled_at: datetime
    status: ReminderStatus
    late: bool = False
    created_at: datetime
    sent_at: datetime | None = None
    # How the reminder reaches its owner; today every reminder is a toast in the open tabs.
    reminder_type: str = "websocket"
    # How many times the scheduler's trigger was taken up again after a failed attempt.
    retry_count: int = 0
    # When the last of those attempts failed.
    retried_at: datetime | None = None
    owner_id: int | None = None


class AuditLogEntry(BaseModel):
    id: int | None = None
    event_id: str
    event_type: str
    topic: str
    task_id: int | None = None
    data: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    owner_id: int | None = None


class DeadLetter(BaseModel):
    """An event a handler rejected as malformed: set aside, listed, and replayable."""

    id: int | None = None
    event_id: str
    topic: str
    payload: dict[str, Any]
    error: str
    created_at: datetime
    replayed_at: datetime | None = None
