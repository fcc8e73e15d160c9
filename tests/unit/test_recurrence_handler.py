"""The recurrence processor's handler: what it does with a completion it cannot follow.
(Events that do not even parse are set aside before any handler: tests/unit/test_routing.py.)"""

import asyncio
from datetime import datetime
from typing import Any

import pytest

from app.domain.enums import Recurrence
from app.domain.events import TASK_EVENTS, TaskCompleted
from app.services.errors import MalformedEvent
from processors.recurrence import handler as recurrence_handler
from processors.recurrence.handler import RecurrenceHandler
from tests.support.events import an_event


class NoApp:
    async def create_successor(
        self, owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> None:
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


class Successors:
    async def create_successor(
        self, owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> None:
        self.created = (owner, parent_id, due_date, rule)


async def test_the_next_date_is_found_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding a sparse series' next date can take a while: it never holds up the loop that
    serves every request."""
    found_on: list[bool] = []
    find = recurrence_handler.successor_of

    def successor_of(task: Any) -> Any:
        try:
            asyncio.get_running_loop()
            found_on.append(True)
        except RuntimeError:
            found_on.append(False)
        return find(task)

    monkeypatch.setattr(recurrence_handler, "successor_of", successor_of)
    completed = an_event("task.completed")
    assert isinstance(completed, TaskCompleted)
    task = completed.task_data.model_copy(
        update={"recurrence": Recurrence.DAILY, "rrule": "FREQ=DAILY"}
    )
    app = Successors()
    await RecurrenceHandler(app)(TASK_EVENTS, completed.model_copy(update={"task_data": task}))
    assert found_on == [False]
    assert app.created[:2] == (completed.user_id, task.id)


async def test_the_successor_is_asked_for_the_completed_task_s_owner() -> None:
    completed = an_event("task.completed", user_id=7)
    assert isinstance(completed, TaskCompleted)
    task = completed.task_data.model_copy(
        update={"recurrence": Recurrence.DAILY, "rrule": "FREQ=DAILY"}
    )
    app = Successors()
    await RecurrenceHandler(app)(TASK_EVENTS, completed.model_copy(update={"task_data": task}))
    assert app.created[:2] == (7, task.id)
    with pytest.raises(MalformedEvent):
        await RecurrenceHandler(NoApp())(
            TASK_EVENTS, completed.model_copy(update={"task_data": task, "user_id": None})
        )
