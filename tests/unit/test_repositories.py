"""The repositories on SQLite and PostgreSQL: the tables against the migrations, domain
objects in and out, and what the service tests do not reach (a write whose guard fails
stores nothing else, conditions on reminders, paging cursors, the smaller stores)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.adapters.local.sql import EngineSql
from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.events import ReminderCancelled, ReminderScheduled, message, reminder_change
from app.domain.models import AuditLogEntry, DeadLetter, Reminder, Task
from app.repositories.audit import AuditRepository
from app.repositories.dead_letters import DeadLetterRepository
from app.repositories.key_value import KeyValueRepository
from app.repositories.outbox import Backlog, OutboxRepository, outbox_requeue
from app.repositories.tables import METADATA, OUTBOX, exists_on
from app.repositories.tasks import ReminderChanges, TaskRepository
from tests.support.events import an_event
from tests.support.owners import OWNER

NOW = datetime(2030, 5, 6, 7, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=2)


def a_task(task_id: int, **fields: Any) -> Task:
    defaults: dict[str, Any] = {
        "title": "water the plants",
        "timezone": "Europe/Berlin",
        "recurrence": Recurrence.NONE,
        "repeat_from": RepeatFrom.DUE,
        "priority": Priority.MEDIUM,
        "status": TaskStatus.PENDING,
        "created_at": NOW,
        "updated_at": NOW,
        "owner_id": OWNER,
    }
    return Task(id=task_id, **{**defaults, **fields})


def a_reminder(reminder_id: int, task_id: int, hours: int = 1) -> Reminder:
    return Reminder(
        id=reminder_id,
        task_id=task_id,
        reminder_offset=f"{hours} hours",
        scheduled_at=DUE - timedelta(hours=hours),
        status=ReminderStatus.PENDING,
        created_at=NOW,
        owner_id=OWNER,
    )


async def stored_events(sql: EngineSql) -> set[str]:
    return {row[0] for row in await sql.fetch(sa.select(OUTBOX.c.event_id))}


async def added(repository: TaskRepository, **fields: Any) -> Task:
    task = await repository.add(OWNER, a_task(await repository.next_task_id(), **fields), None, [])
    assert task is not None
    return task


# SQLite cannot reflect the expression index on lower(title); PostgreSQL compares it.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_tables_are_the_schema_the_migrations_create(database: EngineSql) -> None:
    dialect = database.engine.dialect.name
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda item, *_: exists_on(dialect, item),
            },
        )
        assert compare_metadata(context, METADATA) == []


async def test_ids_are_handed_out_one_after_another(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    first = await repository.next_task_id()
    assert await repository.next_task_id() == first + 1
    reminder = await repository.next_reminder_id()
    assert await repository.next_reminder_id() == reminder + 1


async def test_a_task_and_its_reminder_come_back_as_they_were_stored(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    task = a_task(
        await repository.next_task_id(),
        description='Pay "rent", 100%',
        due_date=DUE,
        recurrence=Recurrence.MONTHLY,
        rrule="FREQ=MONTHLY;BYMONTHDAY=8",
        priority=Priority.HIGH,
        tags=["home", "a,b"],
        reminder_offset="1 hour",
    )
    reminder = a_reminder(await repository.next_reminder_id(), task.id)
    event = an_event("task.created", task_id=task.id)

    assert await repository.add(OWNER, task, reminder, [event]) == task
    assert await repository.get(OWNER, task.id) == task
    assert await repository.reminder(OWNER, reminder.id) == reminder
    assert await repository.pending_reminders(OWNER, task.id) == [reminder]
    assert event.event_id in await stored_events(sql)
    assert await repository.get(OWNER, task.id + 1000) is None


async def test_a_write_whose_guard_fails_stores_nothing_else(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    task = a_task(await repository.next_task_id(), due_date=DUE)
    reminder = a_reminder(await repository.next_reminder_id(), task.id)
    await repository.add(OWNER, task, reminder, [])
    later = NOW + timedelta(minutes=1)
    changed = task.model_copy(update={"title": "water the garden", "updated_at": later})
    cancelled = reminder_change(ReminderCancelled, reminder)

    stale = await repository.save(
        OWNER, changed, ["title"], later, ReminderChanges(cancelled=[reminder.id]), [cancelled]
    )
    assert stale is None
    assert await repository.get(OWNER, task.id) == task
    assert await repository.pending_reminders(OWNER, task.id) == [reminder]
    assert cancelled.event_id not in await stored_events(sql)

    saved = await repository.save(
        OWNER, changed, ["title"], NOW, ReminderChanges(cancelled=[reminder.id]), [cancelled]
    )
    assert saved == changed
    assert await repository.pending_reminders(OWNER, task.id) == []
    assert cancelled.event_id in await stored_events(sql)


async def test_a_parent_gets_one_successor_and_one_set_of_its_events(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    parent = await added(repository)
    first = a_task(await repository.next_task_id(), parent_task_id=parent.id)
    second = a_task(await repository.next_task_id(), parent_task_id=parent.id)
    events = [an_event("task.created", task_id=task.id) for task in (first, second)]

    assert await repository.add(OWNER, first, None, events[:1]) == first
    assert await repository.add(OWNER, second, None, events[1:]) is None
    assert await repository.successor(OWNER, parent.id) == first
    stored = await stored_events(sql)
    assert events[0].event_id in stored
    assert events[1].event_id not in stored


async def test_reminder_changes_leave_a_fired_reminder_alone(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    task = await added(repository, due_date=DUE)
    fired = a_reminder(await repository.next_reminder_id(), task.id, hours=1)
    waiting = a_reminder(await repository.next_reminder_id(), task.id, hours=2)
    for reminder in (fired, waiting):
        assert await repository.add_reminder(OWNER, reminder, []) == reminder
    assert await repository.mark_sent(
        OWNER, fired.id, fired.scheduled_at, fired.scheduled_at, False, []
    )

    later = NOW + timedelta(minutes=1)
    moved = [
        reminder.model_copy(update={"scheduled_at": reminder.scheduled_at + timedelta(days=1)})
        for reminder in (fired, waiting)
    ]
    added_reminder = a_reminder(await repository.next_reminder_id(), task.id, hours=3)
    await repository.save(
        OWNER,
        task.model_copy(update={"updated_at": later}),
        [],
        NOW,
        ReminderChanges(moved=moved, added=[added_reminder]),
        [],
    )
    assert (await repository.reminder(OWNER, fired.id)) == fired.model_copy(
        update={"status": ReminderStatus.SENT, "sent_at": fired.scheduled_at}
    )
    assert await repository.reminder(OWNER, waiting.id) == moved[1]
    assert await repository.reminder(OWNER, added_reminder.id) == added_reminder
    assert await repository.count_reminders(OWNER, task.id, None) == 3
    assert await repository.count_reminders(OWNER, task.id, ReminderStatus.PENDING) == 2


async def test_a_reminder_is_sent_and_retried_only_while_armed_for_its_time(
    sql: EngineSql,
) -> None:
    repository = TaskRepository(sql)
    task = await added(repository, due_date=DUE)
    reminder = a_reminder(await repository.next_reminder_id(), task.id)
    await repository.add_reminder(OWNER, reminder, [])
    other_time = reminder.scheduled_at + timedelta(minutes=5)
    sent = an_event("reminder.sent", task_id=task.id)

    failed_at = reminder.scheduled_at + timedelta(seconds=3)
    await repository.count_retry(reminder.id, other_time, failed_at)
    assert not await repository.mark_sent(OWNER, reminder.id, other_time, other_time, True, [sent])
    await repository.count_retry(reminder.id, reminder.scheduled_at, failed_at)
    assert (await repository.reminder(OWNER, reminder.id)) == reminder.model_copy(
        update={"retry_count": 1, "retried_at": failed_at}
    )
    assert sent.event_id not in await stored_events(sql)

    fired_at = reminder.scheduled_at + timedelta(seconds=30)
    assert await repository.mark_sent(
        OWNER, reminder.id, reminder.scheduled_at, fired_at, True, [sent]
    )
    assert not await repository.mark_sent(
        OWNER, reminder.id, reminder.scheduled_at, fired_at, True, [sent]
    )
    stored = await repository.reminder(OWNER, reminder.id)
    assert stored is not None
    assert (stored.status, stored.sent_at, stored.late) == (ReminderStatus.SENT, fired_at, True)
    assert sent.event_id in await stored_events(sql)


async def test_no_reminder_and_no_event_for_a_task_that_is_gone(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    task = await added(repository, due_date=DUE)
    gone = await added(repository, due_date=DUE)
    deleted = an_event("task.deleted", task_id=gone.id)
    assert await repository.remove(OWNER, gone.id, [deleted])
    assert not await repository.remove(OWNER, gone.id, [deleted])

    reminder = a_reminder(await repository.next_reminder_id(), gone.id)
    scheduled = reminder_change(ReminderScheduled, reminder)
    assert await repository.add_reminder(OWNER, reminder, [scheduled]) is None
    assert await repository.reminder(OWNER, reminder.id) is None
    assert scheduled.event_id not in await stored_events(sql)
    assert not await repository.remove_reminder(OWNER, reminder.id, [])
    assert await repository.get(OWNER, task.id) == task


async def test_orphans_come_page_by_page_in_completion_order(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    series = {
        "status": TaskStatus.COMPLETED,
        "recurrence": Recurrence.DAILY,
        "rrule": "FREQ=DAILY",
    }
    later, earlier, same_time = [
        await added(repository, **series, completed_at=NOW + timedelta(hours=hours))
        for hours in (2, 1, 2)
    ]
    with_successor = await added(repository, **series, completed_at=NOW)
    await added(repository, parent_task_id=with_successor.id)
    await added(repository, status=TaskStatus.COMPLETED, completed_at=NOW)  # no series

    first = await repository.orphans(None, 2)
    assert first == [earlier, later]
    assert await repository.orphans((NOW + timedelta(hours=2), later.id), 2) == [same_time]


async def test_the_stats_read_activity_and_open_tags(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    old = NOW - timedelta(days=40)
    await added(repository, tags=["home"], created_at=old, updated_at=old)
    await added(repository, tags=["home", "work"])
    done = await added(
        repository,
        tags=["work"],
        status=TaskStatus.COMPLETED,
        created_at=old,
        updated_at=old,
        completed_at=NOW,
    )
    assert sorted(await repository.activity_since(OWNER, NOW - timedelta(days=1))) == [
        (done.created_at, NOW),
        (NOW, None),
    ]
    assert sorted(await repository.pending_tags(OWNER)) == [["home"], ["home", "work"]]


async def test_the_outbox_claims_marks_requeues_and_prunes(sql: EngineSql) -> None:
    outbox = OutboxRepository(sql)
    tasks = TaskRepository(sql)
    task = await added(tasks)
    event = an_event("task.deleted", task_id=task.id)
    assert await tasks.remove(OWNER, task.id, [event])

    claimed = await outbox.claim(NOW, NOW + timedelta(seconds=30), 10)
    assert sorted(row.topic for row in claimed) == ["task-events", "task-updates"]
    assert {row.payload["event_id"] for row in claimed} == {event.event_id}
    assert await outbox.claim(NOW, NOW + timedelta(seconds=30), 10) == []  # leased
    await outbox.failed([claimed[0].id], "broker down", NOW + timedelta(seconds=5))
    await outbox.mark_sent([claimed[1].id], NOW)
    assert (await outbox.backlog()).unsent == 1

    retried = await outbox.claim(NOW + timedelta(seconds=6), NOW + timedelta(seconds=36), 10)
    assert [(row.id, row.attempts) for row in retried] == [(claimed[0].id, 1)]
    await outbox.release([claimed[0].id])
    await sql.write(outbox_requeue(event.event_id, claimed[1].topic, message(event), NOW))
    assert (await outbox.backlog()).unsent == 2

    await outbox.mark_sent([row.id for row in claimed], NOW)
    assert await outbox.backlog() == Backlog(0, None)
    assert await outbox.prune(NOW, 10) == 0  # sent at NOW, not before
    assert await outbox.prune(NOW + timedelta(seconds=1), 1) == 1
    assert await outbox.prune(NOW + timedelta(seconds=1), 10) == 1


async def test_the_audit_log_keeps_each_event_once_newest_first(sql: EngineSql) -> None:
    audit = AuditRepository(sql)
    entries = [
        AuditLogEntry(
            event_id=str(uuid.uuid4()),
            event_type="task.updated",
            topic="task-events",
            task_id=7,
            data={"n": n},
            occurred_at=NOW + timedelta(minutes=n),
            recorded_at=NOW,
            owner_id=OWNER,
        )
        for n in range(3)
    ]
    for entry in entries:
        assert await audit.add(entry)
    assert not await audit.add(entries[0].model_copy(update={"topic": "task-updates"}))

    page, total = await audit.page(OWNER, 7, "task.updated", 2, 0)
    assert total == 3
    assert [entry.data for entry in page] == [{"n": 2}, {"n": 1}]
    assert page[0].id is not None
    assert page[0].model_copy(update={"id": None}) == entries[2]
    assert await audit.page(OWNER, 8, None, 2, 0) == ([], 0)


async def test_a_dead_letter_waits_once_until_it_is_replayed(sql: EngineSql) -> None:
    dead_letters = DeadLetterRepository(sql)
    letter = DeadLetter(
        event_id=str(uuid.uuid4()),
        topic="reminders",
        payload={"reminder_id": "x"},
        error="no such reminder",
        created_at=NOW,
    )
    waiting_before = await dead_letters.waiting()
    assert await dead_letters.add(letter)
    assert not await dead_letters.add(letter)  # a redelivery
    assert await dead_letters.waiting() == waiting_before + 1

    [stored], _ = await dead_letters.page(False, 1, 0)
    assert stored.id is not None
    assert stored.model_copy(update={"id": None}) == letter
    replayed = await dead_letters.mark_replayed(stored.id, NOW)
    assert replayed == stored.model_copy(update={"replayed_at": NOW})
    assert await dead_letters.mark_replayed(stored.id, NOW) is None
    assert await dead_letters.get(stored.id) == replayed
    assert await dead_letters.add(letter)  # rejected again after its replay


async def test_a_key_value_changes_only_from_the_etag_last_read(sql: EngineSql) -> None:
    state = KeyValueRepository(sql)
    key = f"chat-{uuid.uuid4()}"
    assert await state.get(key) is None
    assert await state.add(key, {"turns": []}, NOW) == 1
    assert await state.add(key, {"turns": ["other"]}, NOW) is None
    assert await state.replace(key, {"turns": ["hi"]}, 1, NOW) == 2
    assert await state.replace(key, {"turns": ["stale"]}, 1, NOW) is None
    assert await state.get(key) == ({"turns": ["hi"]}, 2)
