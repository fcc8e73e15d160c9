"""A task and a reminder as a client sees them: the REST response bodies and the results of the
chat tools (Gemini, MCP, the actions of POST /api/chat) are these, and nothing else.

A task is shown through `task_view` and `encode`: built from a task already validated, it is
not validated again (a page of 50 tasks used to be validated three times on its way out).
TaskOut declares the same body for the API's schema."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, Field

from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.models import Reminder, Task


class TaskOut(BaseModel):
    id: int
    title: str
    description: str
    due_date: datetime | None = Field(description="On the wall clock of the task's time zone.")
    timezone: str
    recurrence: Recurrence
    rrule: str | None
    repeat_from: RepeatFrom
    priority: Priority
    tags: list[str]
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    parent_task_id: int | None
    reminder_offset: str | None


TASK_FIELDS = tuple(TaskOut.model_fields)


def task_view(task: Task) -> dict[str, Any]:
    """TaskOut's fields of `task`, the due date on the wall clock of the task's time zone."""
    view = {name: getattr(task, name) for name in TASK_FIELDS}
    if task.due_date is not None:
        view["due_date"] = task.due_date.astimezone(ZoneInfo(task.timezone))
    return view


def encode(content: Any) -> bytes:
    """`content` (views, and what holds them) as JSON: times in RFC 3339 with their offset,
    UTC as Z, as pydantic writes them."""
    return orjson.dumps(content, option=orjson.OPT_UTC_Z)


class ReminderOut(BaseModel):
    id: int
    task_id: int
    reminder_offset: str
    scheduled_at: datetime
    reminder_type: str = Field(
        description="How the reminder reaches its owner: 'websocket', a toast in every open tab."
    )
    status: ReminderStatus
    retry_count: int = Field(
        description="How many times delivering this reminder had to be tried again: a trigger "
        "that failed (the event bus could not be reached) and was retried, or a job the "
        "scheduler lost that the reconciliation sweep armed again. 0 when it went out at the "
        "first attempt."
    )
    late: bool
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, reminder: Reminder) -> "ReminderOut":
        return cls.model_validate(reminder, from_attributes=True)


def task_json(task: Task) -> dict[str, Any]:
    json: dict[str, Any] = orjson.loads(encode(task_view(task)))
    return json


def reminder_json(reminder: Reminder) -> dict[str, Any]:
    return ReminderOut.of(reminder).model_dump(mode="json")
