"""The outbox relay against a real SQLite file: order, retry, and nothing lost."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.adapters.local.bus import InProcessBus
from app.adapters.local.sql import EngineSql, create_engine
from app.domain.events import TASK_EVENTS, TASK_UPDATES, new_event
from app.services.outbox import OUTBOX, OutboxRelay, outbox_inserts
from tests.support.servers import migrate


@pytest.fixture
def sql(tmp_path: Path) -> EngineSql:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate(url)
    return EngineSql(create_engine(url))


async def test_task_events_go_to_both_task_topics_in_order(sql: EngineSql) -> None:
    bus = InProcessBus()
    seen: list[tuple[str, str]] = []

    async def record(topic: str, event: dict[str, Any]) -> None:
        seen.append((topic, event["event_type"]))

    bus.subscribe(TASK_EVENTS, record)
    bus.subscribe(TASK_UPDATES, record)
    created = new_event("task.created", task_id=1)
    completed = new_event("task.completed", task_id=1)
    for statement in outbox_inserts(created, completed):
        await sql.fetch(statement)

    assert await OutboxRelay(sql, bus).drain() == 4
    assert seen == [
        (TASK_EVENTS, "task.created"),
        (TASK_UPDATES, "task.created"),
        (TASK_EVENTS, "task.completed"),
        (TASK_UPDATES, "task.completed"),
    ]
    assert await OutboxRelay(sql, bus).backlog() == 0


async def test_a_refused_event_stays_in_the_outbox_until_accepted(sql: EngineSql) -> None:
    bus = InProcessBus()
    accepted: list[str] = []
    failures = {"left": 1}

    async def flaky(topic: str, event: dict[str, Any]) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("broker unavailable")
        accepted.append(event["event_id"])

    bus.subscribe(TASK_EVENTS, flaky)
    event = new_event("task.deleted", task_id=7)
    await sql.fetch(outbox_inserts(event)[0])  # the task-events row only
    relay = OutboxRelay(sql, bus)

    assert await relay.drain() == 1
    assert accepted == []
    [(attempts, error)] = await sql.fetch(sa.select(OUTBOX.c.attempts, OUTBOX.c.last_error))
    assert (attempts, error) == (1, "broker unavailable")
    assert await relay.backlog() == 1

    await sql.fetch(sa.update(OUTBOX).values(claimed_until=None))  # the back-off has passed
    assert await relay.drain() == 1
    assert accepted == [event["event_id"]]
    assert await relay.backlog() == 0
