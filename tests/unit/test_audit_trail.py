"""The audit trail on SQLite and PostgreSQL: an event arrives once per topic that carries it,
and is stored once; the process that stored it turns the other arrivals away without a
write, and another process finds it stored."""

from typing import Any

import sqlalchemy as sa

from app.adapters.local.sql import EngineSql
from app.domain.events import TASK_EVENTS, TASK_UPDATES
from app.repositories.tables import AUDIT_LOG
from app.services import audit as audit_module
from app.services.audit import AuditService
from tests.support.events import an_event
from tests.support.statements import statements_run


async def _stored(sql: EngineSql) -> list[str]:
    return [row[0] for row in await sql.fetch(sa.select(AUDIT_LOG.c.event_id))]


async def test_an_event_on_each_of_its_topics_is_written_once(sql: EngineSql) -> None:
    audit = AuditService(sql)
    created = an_event("task.created")
    with statements_run(sql) as statements:
        assert await audit.record(TASK_EVENTS, created) is True
        assert await audit.record(TASK_UPDATES, created) is False
        assert await audit.record(TASK_EVENTS, created) is False  # delivered again
    assert len(statements) == 1
    assert await _stored(sql) == [created.event_id]

    # Another process (or this one, once it has forgotten) asks the database.
    with statements_run(sql) as statements:
        assert await AuditService(sql).record(TASK_UPDATES, created) is False
    assert len(statements) == 1
    assert await _stored(sql) == [created.event_id]


async def test_a_process_keeps_only_the_latest_event_ids_in_mind(
    sql: EngineSql, monkeypatch: Any
) -> None:
    monkeypatch.setattr(audit_module, "REMEMBERED", 2)
    audit = AuditService(sql)
    first, second, third = (an_event("task.created", task_id) for task_id in (1, 2, 3))
    for event in (first, second, third):
        assert await audit.record(TASK_EVENTS, event) is True
    with statements_run(sql) as statements:
        assert await audit.record(TASK_UPDATES, third) is False
        assert await audit.record(TASK_UPDATES, first) is False  # forgotten: the database knows
    assert len(statements) == 1
    assert sorted(await _stored(sql)) == sorted(e.event_id for e in (first, second, third))
