"""A task as clients see it: the views the API encodes without validating them again are the
JSON TaskOut (its declared schema) makes of the same task."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from app.domain.enums import Priority, Recurrence, RepeatFrom, TaskStatus
from app.domain.models import Task
from app.task_views import TaskOut, encode, task_json, task_view

CREATED = datetime(2030, 3, 4, 5, 6, 7, 890_123, tzinfo=UTC)


def _task(**fields: Any) -> Task:
    defaults: dict[str, Any] = {
        "id": 7,
        "title": 'Äpfel "kaufen" \u2028 ✓',
        "timezone": "UTC",
        "recurrence": Recurrence.NONE,
        "repeat_from": RepeatFrom.DUE,
        "priority": Priority.HIGH,
        "status": TaskStatus.PENDING,
        "created_at": CREATED,
        "updated_at": CREATED,
        "owner_id": 3,
    }
    return Task.model_validate({**defaults, **fields})


def _as_declared(task: Task) -> Any:
    """What TaskOut writes: the task validated into it, the due date in the task's zone."""
    out = TaskOut.model_validate(task, from_attributes=True)
    if out.due_date is not None:
        out.due_date = out.due_date.astimezone(ZoneInfo(task.timezone))
    return orjson.loads(out.model_dump_json())


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"due_date": datetime(2031, 1, 1, 6, tzinfo=UTC)},
        {"due_date": datetime(2031, 7, 1, 6, 30, 0, 5, tzinfo=UTC), "timezone": "Europe/Berlin"},
        {"due_date": datetime(2031, 1, 1, 6, tzinfo=UTC), "timezone": "Europe/London"},
        {"due_date": datetime(2031, 1, 1, 6, tzinfo=UTC), "timezone": "Asia/Kolkata"},
        {
            "recurrence": Recurrence.CUSTOM,
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "tags": ["home", "a,b"],
            "status": TaskStatus.COMPLETED,
            "completed_at": CREATED,
            "parent_task_id": 3,
            "reminder_offset": "1 hour",
            "priority": Priority.LOW,
            "repeat_from": RepeatFrom.COMPLETION,
        },
    ],
)
def test_a_view_encodes_as_its_schema_declares(fields: dict[str, Any]) -> None:
    task = _task(**fields)
    assert orjson.loads(encode(task_view(task))) == _as_declared(task)
    assert orjson.loads(encode([task_view(task)])) == [_as_declared(task)]
    assert task_json(task) == _as_declared(task)
    assert set(task_view(task)) == set(TaskOut.model_fields)  # no owner_id
