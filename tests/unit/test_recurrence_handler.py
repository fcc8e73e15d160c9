"""The recurrence processor's handler: what it does with events it cannot read."""

from datetime import datetime

import pytest

from app.domain.events import TASK_EVENTS, new_event
from app.services.errors import MalformedEvent
from processors.recurrence.handler import RecurrenceHandler


class NoApp:
    async def create_successor(self, parent_id: int, due_date: datetime, rule: str) -> None:
        raise AssertionError("no successor for an event that cannot be read")


@pytest.mark.parametrize(
    "task_data",
    [
        None,
        "text",
        {"recurrence": "daily", "rrule": "FREQ=DAILY"},
        {
            "id": 1,
            "recurrence": "daily",
            "rrule": "FREQ=DAILY",
            "due_date": "not a date",
            "timezone": "UTC",
            "repeat_from": "due",
            "completed_at": "2030-01-01T00:00:00+00:00",
        },
    ],
)
async def test_a_completion_without_usable_task_data_is_malformed(task_data: object) -> None:
    event = new_event("task.completed", task_id=1)
    if task_data is not None:
        event["task_data"] = task_data
    with pytest.raises(MalformedEvent):
        await RecurrenceHandler(NoApp())(TASK_EVENTS, event)
