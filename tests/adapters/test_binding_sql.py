"""What the Dapr binding adapter sends, run on the project's PostgreSQL exactly as the
binding runs it: the compiled text with $n placeholders and every parameter as text."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import psycopg
import pytest
import sqlalchemy as sa

from app.adapters.dapr.sidecar import Sidecar
from app.adapters.dapr.sql import BindingSql, compile_for_binding, guarded_batch, row_from_json
from app.domain.enums import Priority
from app.repositories.columns import tags_contain
from app.repositories.outbox import outbox_inserts
from app.repositories.tables import OUTBOX, TASK
from tests.support.databases import migrated_postgres
from tests.support.events import an_event

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def connection() -> Iterator[psycopg.Connection[Any]]:
    with migrated_postgres("taskflow_binding") as url:
        dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as connection:
            yield connection


def run_like_the_binding(
    connection: psycopg.Connection[Any], statement: sa.Executable
) -> list[tuple[Any, ...]]:
    """PREPARE with untyped parameters, EXECUTE with text literals: what pgx does with
    `params` decoded from JSON strings. Rows come back as JSON, as the binding returns them."""
    sql, params = compile_for_binding(statement)
    # The simple-query protocol: the $n stay the prepared statement's own parameters.
    connection.pgconn.exec_(b"DEALLOCATE step")  # the previous call's, if any
    prepared = connection.pgconn.exec_(f"PREPARE step AS {sql}".encode())
    assert prepared.status == psycopg.pq.ExecStatus.COMMAND_OK, prepared.error_message
    placeholders = ", ".join(["%s"] * len(params))
    # Client-side quoting: each parameter reaches the server as an untyped text literal.
    cursor = psycopg.ClientCursor(connection)
    cursor.execute(
        f"EXECUTE step ({placeholders})" if params else "EXECUTE step",
        params,
    )
    if cursor.description is None:
        return []
    raw = json.loads(json.dumps(cursor.fetchall(), default=str))
    return [tuple(row) for row in raw]


def task_values(task_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "id": task_id,
        "title": 'Pay "rent", 100%',
        "description": "back\\slash",
        "due_date": NOW + timedelta(days=1),
        "timezone": "Europe/Berlin",
        "recurrence": "monthly",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
        "repeat_from": "due",
        "priority": Priority.HIGH,
        "tags": ["home", 'with "quote"', "a,b"],
        "status": "pending",
        "created_at": NOW,
        "updated_at": NOW,
        "completed_at": None,
        "parent_task_id": None,
        "reminder_offset": "1 day",
        **overrides,
    }


def test_every_column_type_round_trips_as_text(connection: psycopg.Connection[Any]) -> None:
    inserted = run_like_the_binding(
        connection, sa.insert(TASK).values(**task_values(1)).returning(*TASK.c)
    )
    [row] = [row_from_json(list(raw), list(TASK.c)) for raw in inserted]
    values = dict(zip(TASK.c.keys(), row, strict=True))
    assert values["title"] == 'Pay "rent", 100%'
    assert values["description"] == "back\\slash"
    assert values["tags"] == ["home", 'with "quote"', "a,b"]
    assert values["priority"] == Priority.HIGH
    assert values["due_date"] == NOW + timedelta(days=1)
    assert values["completed_at"] is None


def test_filters_compile_to_parameters_postgresql_accepts(
    connection: psycopg.Connection[Any],
) -> None:
    run_like_the_binding(connection, sa.insert(TASK).values(**task_values(2, tags=["x"])))
    found = run_like_the_binding(
        connection,
        sa.select(TASK.c.id)
        .where(
            tags_contain(TASK.c.tags, ["home", "a,b"]),
            TASK.c.title.icontains("100%", autoescape=True),
            TASK.c.due_date > NOW,
            TASK.c.priority == Priority.HIGH,
        )
        .order_by(TASK.c.id)
        .limit(10),
    )
    assert found == [(1,)]


def test_follow_ups_run_only_when_the_guard_returns_a_row(
    connection: psycopg.Connection[Any],
) -> None:
    run_like_the_binding(connection, sa.insert(TASK).values(**task_values(3)))
    event = an_event("task.completed", task_id=3)

    def complete_with_event() -> sa.Select[Any]:
        return guarded_batch(
            sa.update(TASK)
            .where(TASK.c.id == 3, TASK.c.status == "pending")
            .values(status="completed", completed_at=NOW)
            .returning(TASK.c.id),
            outbox_inserts(event),
        )

    assert run_like_the_binding(connection, complete_with_event()) == [(3,)]
    assert run_like_the_binding(connection, complete_with_event()) == []
    stored = run_like_the_binding(
        connection, sa.select(OUTBOX.c.topic).where(OUTBOX.c.event_id == event.event_id)
    )
    assert sorted(stored) == [("task-events",), ("task-updates",)]


def test_in_lists_are_expanded_into_parameters(connection: psycopg.Connection[Any]) -> None:
    """The outbox relay selects rows with IN and NOT IN lists: each item is its own $n."""
    for task_id in (301, 302, 303):
        run_like_the_binding(connection, sa.insert(TASK).values(**task_values(task_id)))
    rows = run_like_the_binding(
        connection,
        sa.select(TASK.c.id)
        .where(TASK.c.id.in_([301, 302, 303]), TASK.c.id.not_in([302]))
        .order_by(TASK.c.id),
    )
    assert rows == [(301,), (303,)]


class _RecordingClient:
    """The binding's side of the Dapr client: records each operation, answers no rows."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    async def invoke_binding(
        self, name: str, operation: str, binding_metadata: dict[str, str]
    ) -> SimpleNamespace:
        self.operations.append(operation)
        return SimpleNamespace(data=b"[]")


async def test_reads_query_writes_query_or_exec_by_their_returning() -> None:
    client = _RecordingClient()
    sql = BindingSql(cast(Sidecar, SimpleNamespace(client=client)))
    bump = sa.update(TASK).where(TASK.c.id == 1).values(title="x")

    await sql.fetch(sa.select(TASK.c.id))
    await sql.write(bump)
    await sql.write(bump.returning(TASK.c.id))
    await sql.write(bump.returning(TASK.c.id), [sa.delete(TASK).where(TASK.c.id == 2)])
    assert client.operations == ["query", "exec", "query", "query"]
    with pytest.raises(TypeError, match="use write"):
        await sql.fetch(bump.returning(TASK.c.id))
    assert len(client.operations) == 4
