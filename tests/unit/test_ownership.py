"""Ownership below the API, on SQLite and PostgreSQL: every use case acts for one owner, and
another owner's id is refused exactly like a missing one; successors, reminders, audit entries
and events are their task owner's; a deleted user's data goes with them; rows from before any
user go to the first admin (the migration, or the first user's hook)."""

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql, create_engine
from app.domain.enums import Priority, Recurrence
from app.domain.events import TaskCompleted, parse_event
from app.domain.models import Task
from app.domain.queries import TaskQuery
from app.domain.recurrence import successor_of
from app.repositories.ownership import give_unowned_rows_to
from app.repositories.tables import APP_USER, AUDIT_LOG, OUTBOX, REMINDER, TASK
from app.services.audit import AuditService
from app.services.errors import NotFound
from app.services.history import HistoryService
from app.services.reminders import ReminderService
from app.services.stats import StatsService
from app.services.tasks import TaskService
from tests.support.events import an_event
from tests.support.owners import OWNER, STRANGER, users
from tests.support.servers import alembic, fresh_postgres_database

NOW = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=2)
MISSING = 2_000_000_000


class Services:
    def __init__(self, sql: EngineSql) -> None:
        self.sql = sql
        self.tasks = TaskService(sql, "UTC", lambda: None)
        self.reminders = ReminderService(sql, self.tasks, lambda: None, clock=lambda: NOW)
        self.audit = AuditService(sql)
        self.history = HistoryService(sql, self.tasks, self.audit)
        self.stats = StatsService(sql, self.tasks)

    async def task(self, owner: int = OWNER, **fields: Any) -> Task:
        return await self.tasks.create(
            owner, {"title": "water the plants", "due_date": DUE, "tags": ["home"], **fields}
        )

    async def audited(self) -> None:
        """Every event stored so far, recorded in the audit trail as the processor would."""
        for topic, payload in await self.sql.fetch(sa.select(OUTBOX.c.topic, OUTBOX.c.payload)):
            await self.audit.record(topic, parse_event(payload))


@pytest.fixture
def services(sql: EngineSql) -> Services:
    return Services(sql)


async def refusal(call: Callable[[], Awaitable[object]]) -> str:
    with pytest.raises(NotFound) as refused:
        await call()
    return str(refused.value)


def task_calls(services: Services, task_id: int) -> list[Callable[[], Awaitable[object]]]:
    """Every use case on task `task_id`, by STRANGER."""
    tasks = services.tasks
    return [
        lambda: tasks.get(STRANGER, task_id),
        lambda: tasks.update(STRANGER, task_id, {"title": "taken"}),
        lambda: tasks.complete(STRANGER, task_id),
        lambda: tasks.add_tags(STRANGER, task_id, ["theirs"]),
        lambda: tasks.remove_tags(STRANGER, task_id, ["home"]),
        lambda: tasks.delete(STRANGER, task_id),
        lambda: services.history.of(STRANGER, task_id),
        lambda: services.reminders.create(STRANGER, task_id, "2 hours"),
    ]


def reminder_calls(services: Services, reminder_id: int) -> list[Callable[[], Awaitable[object]]]:
    """Every use case on reminder `reminder_id`, by STRANGER."""
    return [
        lambda: services.reminders.get(STRANGER, reminder_id),
        lambda: services.reminders.delete(STRANGER, reminder_id),
    ]


async def test_another_owner_s_task_is_refused_like_a_missing_one(services: Services) -> None:
    tasks = services.tasks
    mine = await services.task(reminder_offset="1 hour")
    for task_id in (mine.id, MISSING):
        refusals = [await refusal(call) for call in task_calls(services, task_id)]
        assert refusals == [f"task {task_id} not found"] * 8
    assert await tasks.get(OWNER, mine.id) == mine
    assert await tasks.create_successor(STRANGER, mine.id, DUE, "FREQ=DAILY") is None
    assert (await tasks.query(OWNER, TaskQuery())).total == 1


async def test_another_owner_s_reminder_is_refused_like_a_missing_one(
    services: Services,
) -> None:
    reminders = services.reminders
    task = await services.task()
    mine = await reminders.create(OWNER, task.id, "1 hour")
    for reminder_id in (mine.id, MISSING):
        refusals = [await refusal(call) for call in reminder_calls(services, reminder_id)]
        assert refusals == [f"reminder {reminder_id} not found"] * 2
    assert list(await reminders.page(STRANGER, None, None, 10, 0)) == [[], 0]
    assert list(await reminders.page(STRANGER, task.id, None, 10, 0)) == [[], 0]
    assert list(await reminders.page(OWNER, task.id, None, 10, 0)) == [[mine], 1]
    assert await reminders.get(OWNER, mine.id) == mine


async def test_listings_counts_search_and_stats_are_the_owner_s_own(
    services: Services,
) -> None:
    await services.task(title="mine: buy milk", priority="high")
    await services.task(STRANGER, title="theirs: buy milk", tags=["work"])
    await services.task(STRANGER, title="theirs: done")
    done = await services.task(STRANGER, title="theirs: finished")
    await services.tasks.complete(STRANGER, done.id)

    for query in (TaskQuery(), TaskQuery(text="milk"), TaskQuery(tags=("home",))):
        page = await services.tasks.query(OWNER, query)
        assert ([task.title for task in page.tasks], page.total) == (["mine: buy milk"], 1)
    assert (await services.tasks.query(STRANGER, TaskQuery(text="milk"))).total == 1
    assert (await services.tasks.query(STRANGER, TaskQuery(tags=("home",)))).total == 2

    later = DUE + timedelta(days=1)
    mine = await services.stats.snapshot(OWNER, later, "UTC", days=3)
    theirs = await services.stats.snapshot(STRANGER, later, "UTC", days=3)
    assert (mine.open, mine.overdue, mine.by_tag) == (1, 1, [("home", 1)])
    assert mine.by_priority == {Priority.HIGH: 1, Priority.MEDIUM: 0, Priority.LOW: 0}
    assert (theirs.open, theirs.overdue, sorted(theirs.by_tag)) == (
        2,
        2,
        [("home", 1), ("work", 1)],
    )


async def test_events_successors_and_the_audit_trail_are_the_owner_s(
    services: Services,
) -> None:
    task = await services.task(STRANGER, recurrence=Recurrence.DAILY, reminder_offset="1 hour")
    completed = await services.tasks.complete(STRANGER, task.id)
    await services.audited()
    events = [
        parse_event(payload) for (payload,) in await services.sql.fetch(sa.select(OUTBOX.c.payload))
    ]
    assert events and {event.user_id for event in events} == {STRANGER}
    completion = next(event for event in events if isinstance(event, TaskCompleted))
    assert completion.task_data.owner_id == STRANGER

    following = successor_of(completed)
    assert following is not None
    successor = await services.tasks.create_successor(
        STRANGER, task.id, following.due, following.rule
    )
    assert successor is not None and successor.owner_id == STRANGER
    [reminder] = await services.reminders.find(STRANGER, successor.id)
    assert reminder.owner_id == STRANGER
    history = await services.history.of(STRANGER, task.id)
    assert [later.id for later in history.later] == [successor.id]
    assert history.event_total >= 2

    assert await services.audit.page(OWNER) == ([], 0)
    assert await services.audit.page(OWNER, task_id=task.id) == ([], 0)
    entries, total = await services.audit.page(STRANGER, task_id=task.id)
    assert total == len(entries) >= 2
    assert {entry.owner_id for entry in entries} == {STRANGER}


async def test_the_audit_trail_leaves_out_an_event_of_a_user_who_is_gone(
    services: Services,
) -> None:
    gone = an_event("task.created", user_id=MISSING)
    assert not await services.audit.record("task-events", gone)
    assert await services.audit.record("task-events", an_event("task.created"))
    assert (await services.audit.page(OWNER))[1] == 1


async def test_deleting_a_user_deletes_their_tasks_reminders_and_audit(
    services: Services,
) -> None:
    task = await services.task(STRANGER, reminder_offset="1 hour")
    mine = await services.task(reminder_offset="1 hour")
    await services.audited()
    await services.sql.write(sa.delete(APP_USER).where(APP_USER.c.id == STRANGER))
    for table in (TASK, REMINDER, AUDIT_LOG):
        owners = await services.sql.fetch(sa.select(table.c.owner_id).distinct())
        assert owners == [(OWNER,)], table.name
    assert await services.tasks.get(OWNER, mine.id) == mine
    assert await refusal(lambda: services.tasks.get(STRANGER, task.id))


async def test_the_first_admin_is_given_the_rows_from_before_any_user(
    services: Services,
) -> None:
    task = await services.task(reminder_offset="1 hour")
    await services.audited()
    for table in (TASK, REMINDER, AUDIT_LOG):
        await services.sql.write(sa.update(table).values(owner_id=None))
    assert (await services.tasks.query(OWNER, TaskQuery())).total == 0

    await give_unowned_rows_to(services.sql, STRANGER)
    assert (await services.tasks.get(STRANGER, task.id)).id == task.id
    assert (await services.reminders.page(STRANGER, task.id, None, 10, 0))[1] == 1
    assert (await services.audit.page(STRANGER, task_id=task.id))[1] >= 1
    assert (await services.tasks.query(OWNER, TaskQuery())).total == 0


@contextlib.contextmanager
def database_at_0003(kind: str, folder: Path) -> Iterator[str]:
    """An empty database of `kind`, migrated up to the revision before ownership."""
    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{folder / 'before.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database("taskflow_ownership"))
        alembic(url, "upgrade", "0003")
        yield url


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
# SQLite cannot reflect the expression index on lower(title).
@pytest.mark.filterwarnings("ignore:.*expression-based index")
@pytest.mark.parametrize(("admins", "first_admin"), [((5, 3), 3), ((), None)])
def test_the_migration_gives_existing_rows_to_the_first_admin(
    kind: str, admins: tuple[int, ...], first_admin: int | None, tmp_path: Path
) -> None:
    with database_at_0003(kind, tmp_path) as url:
        engine = create_engine(url)
        before = sa.MetaData()
        task, reminder, audit_log = (
            sa.Table(name, before, autoload_with=engine)
            for name in ("task", "reminder", "audit_log")
        )
        with engine.begin() as connection:
            connection.execute(users(5, 3, 2))
            connection.execute(sa.update(APP_USER).values(is_admin=APP_USER.c.id.in_(admins)))
            connection.execute(
                sa.insert(task).values(
                    id=1,
                    title="from before",
                    description="",
                    timezone="UTC",
                    recurrence="none",
                    repeat_from="due",
                    priority=2,
                    tags=[],
                    status="pending",
                    created_at=NOW,
                    updated_at=NOW,
                    due_date=DUE,
                )
            )
            connection.execute(
                sa.insert(reminder).values(
                    id=1,
                    task_id=1,
                    reminder_offset="1 hour",
                    scheduled_at=DUE - timedelta(hours=1),
                    status="pending",
                    late=False,
                    created_at=NOW,
                )
            )
            connection.execute(
                sa.insert(audit_log).values(
                    event_id=str(uuid.uuid4()),
                    event_type="task.created",
                    topic="task-events",
                    task_id=1,
                    data={},
                    occurred_at=NOW,
                    recorded_at=NOW,
                )
            )
        engine.dispose()

        alembic(url, "upgrade", "head")
        engine = create_engine(url)
        with engine.connect() as connection:
            for table in (TASK, REMINDER, AUDIT_LOG):
                owners = connection.execute(sa.select(table.c.owner_id)).scalars().all()
                assert owners == [first_admin], table.name
            if first_admin is not None:
                connection.execute(sa.delete(APP_USER).where(APP_USER.c.id == first_admin))
                remaining = [
                    connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                    for table in (TASK, REMINDER, AUDIT_LOG)
                ]
                assert remaining == [0, 0, 0]
            connection.rollback()
        engine.dispose()

        alembic(url, "downgrade", "0003")
        engine = create_engine(url)
        columns = {column["name"] for column in sa.inspect(engine).get_columns("task")}
        with engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(reminder)).scalar_one()
        engine.dispose()
        assert "owner_id" not in columns
