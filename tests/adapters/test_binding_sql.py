"""What the Dapr binding adapter sends, run on the project's PostgreSQL exactly as the
binding runs it: the compiled text with $n placeholders and every parameter as text."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast

import grpc
import psycopg
import pytest
import sqlalchemy as sa

from app.adapters.dapr.sidecar import Sidecar
from app.adapters.dapr.sql import BindingSql, compile_for_binding
from app.domain.action_links import LinkAction, new_claims
from app.domain.channels import ChannelType
from app.domain.digests import Digest
from app.domain.enums import Priority
from app.domain.preferences import Preferences
from app.domain.queries import TaskQuery
from app.ports import Row, StoreUnavailable
from app.repositories.action_links import ActionLinkRepository
from app.repositories.channels import ChannelRepository
from app.repositories.columns import tags_contain
from app.repositories.digests import DigestRepository
from app.repositories.outbox import outbox_inserts
from app.repositories.preferences import PreferenceRepository
from app.repositories.tables import NOTIFICATION_DELIVERY, OUTBOX, TASK
from app.repositories.tasks import TaskRepository
from tests.support.databases import migrated_postgres
from tests.support.events import an_event
from tests.support.owners import OWNER, users

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def connection() -> Iterator[psycopg.Connection[Any]]:
    with migrated_postgres("taskflow_binding") as url:
        dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as connection:
            yield connection


class _BindingOnPostgres:
    """The binding's side of the Dapr client, on the project's PostgreSQL: PREPARE with
    untyped parameters, EXECUTE with text literals (what pgx does with `params` decoded from
    JSON strings); `query` answers the rows as JSON, as the binding does."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    async def invoke_binding(
        self, name: str, operation: str, binding_metadata: dict[str, str]
    ) -> SimpleNamespace:
        sql, params = binding_metadata["sql"], json.loads(binding_metadata["params"])
        # The simple-query protocol: the $n stay the prepared statement's own parameters.
        self._connection.pgconn.exec_(b"DEALLOCATE step")  # the previous call's, if any
        prepared = self._connection.pgconn.exec_(f"PREPARE step AS {sql}".encode())
        assert prepared.status == psycopg.pq.ExecStatus.COMMAND_OK, prepared.error_message
        placeholders = ", ".join(["%s"] * len(params))
        # Client-side quoting: each parameter reaches the server as an untyped text literal.
        cursor = psycopg.ClientCursor(self._connection)
        cursor.execute(f"EXECUTE step ({placeholders})" if params else "EXECUTE step", params)
        rows = cursor.fetchall() if operation == "query" else []
        return SimpleNamespace(data=json.dumps(rows, default=str).encode())


@pytest.fixture
def sql(connection: psycopg.Connection[Any]) -> BindingSql:
    return BindingSql(cast(Sidecar, SimpleNamespace(calls=_BindingOnPostgres(connection))))


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


async def test_every_column_type_round_trips_as_text(sql: BindingSql) -> None:
    [row] = await sql.write(sa.insert(TASK).values(**task_values(1)).returning(*TASK.c))
    values = dict(zip(TASK.c.keys(), row, strict=True))
    assert values["title"] == 'Pay "rent", 100%'
    assert values["description"] == "back\\slash"
    assert values["tags"] == ["home", 'with "quote"', "a,b"]
    assert values["priority"] == Priority.HIGH
    assert values["due_date"] == NOW + timedelta(days=1)
    assert values["completed_at"] is None


async def test_filters_compile_to_parameters_postgresql_accepts(sql: BindingSql) -> None:
    await sql.write(sa.insert(TASK).values(**task_values(201)))
    await sql.write(sa.insert(TASK).values(**task_values(202, tags=["x"])))
    found = await sql.fetch(
        sa.select(TASK.c.id)
        .where(
            TASK.c.id.between(201, 202),
            tags_contain(TASK.c.tags, ["home", "a,b"]),
            TASK.c.title.icontains("100%", autoescape=True),
            TASK.c.due_date > NOW,
            TASK.c.priority == Priority.HIGH,
        )
        .order_by(TASK.c.id)
        .limit(10),
    )
    assert found == [(201,)]


async def test_rows_keep_their_order(sql: BindingSql) -> None:
    for task_id in (401, 402, 403):
        await sql.write(sa.insert(TASK).values(**task_values(task_id)))
    rows = await sql.fetch(
        sa.select(TASK.c.id, TASK.c.created_at)
        .where(TASK.c.id.between(401, 403))
        .order_by(TASK.c.id.desc())
    )
    assert rows == [(403, NOW), (402, NOW), (401, NOW)]
    assert await sql.fetch(sa.select(TASK.c.id).where(TASK.c.id == -1)) == []


async def test_follow_ups_run_only_when_the_guard_returns_a_row(sql: BindingSql) -> None:
    await sql.write(sa.insert(TASK).values(**task_values(3)))
    event = an_event("task.completed", task_id=3)

    async def complete_with_event() -> list[Row]:
        return await sql.write(
            sa.update(TASK)
            .where(TASK.c.id == 3, TASK.c.status == "pending")
            .values(status="completed", completed_at=NOW)
            .returning(TASK.c.id),
            outbox_inserts(event),
        )

    assert await complete_with_event() == [(3,)]
    assert await complete_with_event() == []
    stored = await sql.fetch(sa.select(OUTBOX.c.topic).where(OUTBOX.c.event_id == event.event_id))
    assert sorted(topic for (topic,) in stored) == ["task-events", "task-updates"]


async def test_in_lists_are_expanded_into_parameters(sql: BindingSql) -> None:
    """The outbox relay selects rows with IN and NOT IN lists: each item is its own $n."""
    for task_id in (301, 302, 303):
        await sql.write(sa.insert(TASK).values(**task_values(task_id)))
    rows = await sql.fetch(
        sa.select(TASK.c.id)
        .where(TASK.c.id.in_([301, 302, 303]), TASK.c.id.not_in([302]))
        .order_by(TASK.c.id),
    )
    assert rows == [(301,), (303,)]


async def test_statements_of_one_shape_share_a_compiled_text_and_carry_their_own_values(
    sql: BindingSql,
) -> None:
    for task_id in (311, 312, 313):
        await sql.write(sa.insert(TASK).values(**task_values(task_id, title=f"t{task_id}")))

    def titles(*ids: int) -> sa.Select[Any]:
        return sa.select(TASK.c.title).where(TASK.c.id.in_(ids)).order_by(TASK.c.id)

    def by_id(task_id: int) -> sa.Select[Any]:
        return sa.select(TASK.c.title).where(TASK.c.id == task_id)

    assert compile_for_binding(by_id(311))[0] == compile_for_binding(by_id(312))[0]
    assert [await sql.fetch(by_id(task_id)) for task_id in (311, 312, 313)] == [
        [("t311",)],
        [("t312",)],
        [("t313",)],
    ]
    # An IN list's length is not in the shape: each list its own text.
    assert await sql.fetch(titles(311, 312)) == [("t311",), ("t312",)]
    assert await sql.fetch(titles(311, 312, 313)) == [("t311",), ("t312",), ("t313",)]
    assert await sql.fetch(titles(313)) == [("t313",)]


class _ScriptedClient:
    """The binding's side of the Dapr client: records each operation, gives `answer`."""

    def __init__(self, answer: Callable[[str], bytes]) -> None:
        self.operations: list[str] = []
        self._answer = answer

    async def invoke_binding(
        self, name: str, operation: str, binding_metadata: dict[str, str]
    ) -> SimpleNamespace:
        self.operations.append(operation)
        return SimpleNamespace(data=self._answer(operation))


def no_rows(operation: str) -> bytes:
    return b'[["[]"]]' if operation == "query" else b"[]"


async def test_reads_query_writes_query_or_exec_by_their_returning() -> None:
    client = _ScriptedClient(no_rows)
    sql = BindingSql(cast(Sidecar, SimpleNamespace(calls=client)))
    bump = sa.update(TASK).where(TASK.c.id == 1).values(title="x")

    await sql.fetch(sa.select(TASK.c.id))
    await sql.write(bump)
    await sql.write(bump.returning(TASK.c.id))
    await sql.write(bump.returning(TASK.c.id), [sa.delete(TASK).where(TASK.c.id == 2)])
    assert client.operations == ["query", "exec", "query", "query"]
    with pytest.raises(TypeError, match="use write"):
        await sql.fetch(bump.returning(TASK.c.id))
    assert len(client.operations) == 4


async def test_an_answer_cut_short_is_a_failure_not_no_rows() -> None:
    """What the binding answers when the connection is lost after the query was sent."""
    sql = BindingSql(cast(Sidecar, SimpleNamespace(calls=_ScriptedClient(lambda _: b"[]"))))
    with pytest.raises(StoreUnavailable):
        await sql.fetch(sa.select(TASK.c.id))
    with pytest.raises(StoreUnavailable):
        await sql.write(sa.delete(TASK).returning(TASK.c.id))


async def test_a_failed_call_to_the_sidecar_is_the_store_unavailable() -> None:
    def refused(_: str) -> bytes:
        raise grpc.RpcError("connection refused")

    sql = BindingSql(cast(Sidecar, SimpleNamespace(calls=_ScriptedClient(refused))))
    with pytest.raises(StoreUnavailable):
        await sql.write(sa.delete(TASK))


async def test_the_action_links_key_and_uses_work_through_the_binding(sql: BindingSql) -> None:
    """The notifier makes links and the app checks them, each through its sidecar."""
    await sql.write(users(OWNER))
    links = ActionLinkRepository(sql)
    key = await links.signing_key(NOW)
    assert len(key) == 32 and await links.signing_key(NOW) == key
    claims = new_claims(OWNER, 7, LinkAction.SNOOZE_1_HOUR, NOW)
    assert not await links.used(claims.link_id)
    assert await links.claim(claims, NOW)
    assert not await links.claim(claims, NOW)
    assert await links.used(claims.link_id)


async def test_preferences_and_a_digest_work_through_the_binding(sql: BindingSql) -> None:
    """The notifier reads the settings, takes a digest and stores its deliveries through its
    sidecar; the app saves the settings through its own."""
    await sql.write(users(OWNER))
    preferences = PreferenceRepository(sql)
    chosen = Preferences(
        time_zone="Europe/Berlin",
        quiet_from=time(22),
        quiet_to=time(7, 30),
        digest_at=time(6, 45),
    )
    await preferences.put(OWNER, chosen, NOW)
    assert await preferences.get(OWNER) == chosen
    assert (OWNER, chosen) in await preferences.with_digest()
    channel = await ChannelRepository(sql).add(OWNER, ChannelType.EMAIL, "me@x.org", None, NOW)
    assert channel is not None
    digest = Digest(
        day=date(2026, 11, 25),
        time_zone="Europe/Berlin",
        overdue=[],
        due_today=[],
        overdue_count=1,
        due_today_count=0,
    )
    digests = DigestRepository(sql)
    assert await digests.add(OWNER, digest, {"n": 1}, {"e": 1}, [channel], NOW)
    assert not await digests.add(OWNER, digest, {"n": 1}, {"e": 1}, [channel], NOW)
    delivery = NOTIFICATION_DELIVERY.c
    rows = await sql.fetch(
        sa.select(delivery.digest_date).where(
            delivery.owner_id == OWNER, delivery.digest_date.is_not(None)
        )
    )
    assert rows == [(date(2026, 11, 25),)]


async def test_a_ranked_search_page_carries_the_count_of_every_match(sql: BindingSql) -> None:
    """Ranking looks at every match, so the page's statement counts them too (a window)."""
    await sql.write(users(OWNER))
    for task_id, title, description in [
        (501, "Beat the carpet", ""),
        (502, "Vacuum", "the carpet, twice"),
        (503, "Roll up the Carpet", ""),
        (504, "Water the plants", ""),
    ]:
        await sql.write(
            sa.insert(TASK).values(
                **task_values(task_id, title=title, description=description, owner_id=OWNER)
            )
        )
    tasks = TaskRepository(sql)
    page, total = await tasks.page(OWNER, TaskQuery(text="carpet", limit=2))
    assert total == 3
    assert {task.id for task in page} <= {501, 503}
    rest, total = await tasks.page(OWNER, TaskQuery(text="carpet", limit=2, offset=2))
    assert ([task.id for task in rest], total) == ([502], 3)
    await sql.write(sa.delete(TASK))
