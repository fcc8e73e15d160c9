"""The task service in-process, on a real database."""

import asyncio
from typing import Any

import pytest

from app.adapters.local.sql import EngineSql
from app.services import tasks as task_service
from app.services.tasks import TaskService
from tests.support.owners import OWNER, users


async def test_a_series_rule_is_expanded_off_the_event_loop(
    fresh_sqlite: EngineSql, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule whose dates are far apart takes a while to check: it never holds up the loop
    that serves every request."""
    expanded_on_loop: list[bool] = []
    expand = task_service.series_rule

    def series_rule(*arguments: Any) -> Any:
        try:
            asyncio.get_running_loop()
            expanded_on_loop.append(True)
        except RuntimeError:
            expanded_on_loop.append(False)
        return expand(*arguments)

    monkeypatch.setattr(task_service, "series_rule", series_rule)
    with fresh_sqlite.engine.begin() as connection:
        connection.execute(users(OWNER))
    tasks = TaskService(fresh_sqlite, "UTC", lambda: None)
    task = await tasks.create(OWNER, {"title": "leap Mondays", "rrule": "FREQ=YEARLY;BYMONTH=2"})
    await tasks.update(OWNER, task.id, {"rrule": "FREQ=MONTHLY"})
    assert expanded_on_loop == [False, False]
