"""The recurrence processor's handler: what it does with a completion it cannot follow.
(Events that do not even parse are set aside before any handler: tests/unit/test_routing.py.)"""

from datetime import datetime

import pytest

from app.domain.enums import Recurrence
from app.domain.events import TASK_EVENTS, TaskCompleted
from app.services.errors import MalformedEvent
from processors.recurrence.handler import RecurrenceHandler
from tests.support.events import an_event


class NoApp:
    async def create_successor(self, parent_id: int, due_date: datetime, rule: str) -> None:
        raise AssertionError("no successor for an event that cannot be followed")


@pytest.mark.parametrize(
    "series",
    [
        {"rrule": "FREQ=NEVER", "timezone": "UTC"},
        {"rrule": "FREQ=DAILY", "timezone": "Mars/Olympus_Mons"},
        {"rrule": "FREQ=DAILY", "timezone": "UTC", "completed_at": None},
    ],
)
async def test_a_completion_whose_series_cannot_be_read_is_malformed(
    series: dict[str, object],
) -> None:
    completed = an_event("task.completed")
    assert isinstance(completed, TaskCompleted)
    task = completed.task_data.model_copy(update={"recurrence": Recurrence.CUSTOM, **series})
    with pytest.raises(MalformedEvent):
        await RecurrenceHandler(NoApp())(
            TASK_EVENTS, completed.model_copy(update={"task_data": task})
        )


async def test_a_completion_of_a_task_that_does_not_repeat_creates_nothing() -> None:
    completed = an_event("task.completed")
    assert isinstance(completed, TaskCompleted)
    await RecurrenceHandler(NoApp())(TASK_EVENTS, completed)
