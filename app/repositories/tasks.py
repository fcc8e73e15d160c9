"""The task aggregate's statements: tasks and their reminders, each write stored with its
events (the outbox rows go in the same `Sql.write`).

Every statement a user's request runs is scoped to its owner in the statement itself
(`owned`): another owner's task or reminder is not found, exactly like a missing one. The few
statements without an owner serve the processors and the reconciliation sweeps, which act
for whoever owns the rows they find and carry that owner on."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.enums import Recurrence, ReminderStatus, TaskStatus
from app.domain.events import Event
from app.domain.models import Reminder, Task
from app.domain.queries import SortField, SortOrder, TaskQuery
from app.ports import Sql
from app.repositories.columns import json_integer, tags_contain
from app.repositories.outbox import outbox_inserts
from app.repositories.ownership import owned
from app.repositories.rows import allocate_id, from_row, from_rows, values_of
from app.repositories.tables import AUDIT_LOG, REMINDER, TASK
from app.repositories.text_search import ranked_matches, text_matches

SORT_COLUMNS = {
    SortField.DUE_DATE: TASK.c.due_date,
    SortField.PRIORITY: TASK.c.priority,
    SortField.CREATED_AT: TASK.c.created_at,
    SortField.UPDATED_AT: TASK.c.updated_at,
    SortField.TITLE: sa.func.lower(TASK.c.title),
}

# Where a page ends: the time it is ordered by and the id of its last item.
Cursor = tuple[datetime, int]


@dataclass
class ReminderChanges:
    """What a write of a task does to its reminders."""

    cancelled: list[int] = field(default_factory=list)
    # Pending reminders that keep their id and get a new scheduled_at.
    moved: list[Reminder] = field(default_factory=list)
    added: list[Reminder] = field(default_factory=list)


class TaskRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def next_task_id(self) -> int:
        return await allocate_id(self._sql, "task")

    async def next_reminder_id(self) -> int:
        return await allocate_id(self._sql, "reminder")

    async def get(self, owner: int, task_id: int) -> Task | None:
        rows = await self._sql.fetch(
            sa.select(TASK).where(owned(TASK, owner), TASK.c.id == task_id)
        )
        return from_row(Task, TASK, rows[0]) if rows else None

    async def many(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], Task]:
        """The tasks of these (owner, task id) pairs that exist, in one read."""
        rows = await self._sql.fetch(
            sa.select(TASK).where(
                TASK.c.owner_id.in_(sorted({owner for owner, _ in keys})),
                TASK.c.id.in_(sorted({task_id for _, task_id in keys})),
            )
        )
        found = {(task.owner_id, task.id): task for task in from_rows(Task, TASK, rows)}
        return {key: found[key] for key in keys if key in found}

    async def page(self, owner: int, query: TaskQuery) -> tuple[list[Task], int]:
        """One page of the owner's tasks `query` asks for, and how many match in all."""
        conditions = [owned(TASK, owner), *_conditions(query)]
        column = SORT_COLUMNS[query.sort_field]
        ascending = query.effective_order == SortOrder.ASC
        ordered = column.asc() if ascending else column.desc()
        order = [
            ordered.nulls_last() if query.sort_field == SortField.DUE_DATE else ordered,
            TASK.c.id.asc() if ascending else TASK.c.id.desc(),
        ]
        if query.ranked and query.text is not None:
            ranked = ranked_matches(
                query.text,
                [owned(TASK, owner), *_conditions(replace(query, text=None))],
                order,
                query.limit,
                query.offset,
            )
            page = (
                sa.select(TASK, ranked.c.total)
                .select_from(TASK.join(ranked, ranked.c.id == TASK.c.id))
                .order_by(ranked.c.score.desc(), *order)
            )
        else:
            # The count in the page's statement: on the Dapr stack each statement is a round
            # trip through the sidecar. Both databases count once, not for every row.
            page = (
                sa.select(TASK, _count(conditions).scalar_subquery())
                .where(*conditions)
                .order_by(*order)
                .limit(query.limit)
                .offset(query.offset)
            )
        rows = await self._sql.fetch(page)
        if rows:
            return from_rows(Task, TASK, [row[:-1] for row in rows]), int(rows[0][-1])
        if query.offset == 0:
            return [], 0
        # A page past the last one carries no count.
        return [], int((await self._sql.fetch(_count(conditions)))[0][0])

    async def successor(self, owner: int, task_id: int) -> Task | None:
        """The task created as the next occurrence of `task_id`."""
        rows = await self._sql.fetch(
            sa.select(TASK).where(owned(TASK, owner), TASK.c.parent_task_id == task_id)
        )
        return from_row(Task, TASK, rows[0]) if rows else None

    async def orphans(self, after: Cursor | None, limit: int) -> list[Task]:
        """Completed recurring tasks without a successor, of every owner, in (completed_at, id)
        order after `after`. A successor the user deleted ends the series: the audit trail
        keeps its deletion, and its parent is no orphan."""
        child = TASK.alias("child")
        deleted_child = json_integer(AUDIT_LOG.c.data, "task_data", "parent_task_id")
        statement = sa.select(TASK).where(
            TASK.c.status == TaskStatus.COMPLETED,
            TASK.c.recurrence != Recurrence.NONE,
            TASK.c.rrule.is_not(None),
            TASK.c.completed_at.is_not(None),
            ~sa.exists().where(child.c.parent_task_id == TASK.c.id),
            ~sa.exists().where(
                AUDIT_LOG.c.event_type == "task.deleted", deleted_child == TASK.c.id
            ),
        )
        statement = _page_after(statement, TASK.c.completed_at, TASK.c.id, after, limit)
        return from_rows(Task, TASK, await self._sql.fetch(statement))

    async def activity_since(
        self, owner: int, start: datetime
    ) -> list[tuple[datetime, datetime | None]]:
        """(created_at, completed_at) of the owner's tasks created or completed since `start`."""
        rows = await self._sql.fetch(
            sa.select(TASK.c.created_at, TASK.c.completed_at).where(
                owned(TASK, owner),
                sa.or_(TASK.c.created_at >= start, TASK.c.completed_at >= start),
            )
        )
        return [(created, completed) for created, completed in rows]

    async def pending_tags(self, owner: int) -> list[list[str]]:
        """The tags of each pending task of the owner."""
        rows = await self._sql.fetch(
            sa.select(TASK.c.tags).where(owned(TASK, owner), TASK.c.status == TaskStatus.PENDING)
        )
        return [tags for (tags,) in rows]

    async def add(
        self, owner: int, task: Task, reminder: Reminder | None, events: Sequence[Event]
    ) -> Task | None:
        """Insert the owner's `task` (and its first reminder) with its events. A successor (a
        task with a parent) is inserted once per parent, even when the completion event comes
        twice: None when the parent has one already."""
        values = {**values_of(task, TASK), "owner_id": owner}
        guard: sa.Insert = sa.insert(TASK).values(**values)
        if task.parent_task_id is not None:
            guard = (
                upsert_insert(TASK)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["parent_task_id"])
            )
        follow_ups: list[sa.Executable] = []
        if reminder is not None:
            follow_ups.append(
                sa.insert(REMINDER).values({**values_of(reminder, REMINDER), "owner_id": owner})
            )
        rows = await self._sql.write(
            guard.returning(*TASK.c), [*follow_ups, *outbox_inserts(*events)]
        )
        return from_row(Task, TASK, rows[0]) if rows else None

    async def save(
        self,
        owner: int,
        task: Task,
        changed: Collection[str],
        read_at: datetime,
        reminders: ReminderChanges,
        events: Sequence[Event],
    ) -> Task | None:
        """Write the `changed` fields of `task` and its updated_at, the reminder changes and
        the events, if the stored task was last updated at `read_at`; None otherwise."""
        follow_ups: list[sa.Executable] = [
            _update_pending_reminder(owner, reminder_id, status=ReminderStatus.CANCELLED)
            for reminder_id in reminders.cancelled
        ]
        follow_ups += [
            _update_pending_reminder(owner, reminder.id, scheduled_at=reminder.scheduled_at)
            for reminder in reminders.moved
        ]
        follow_ups += [
            sa.insert(REMINDER).values({**values_of(reminder, REMINDER), "owner_id": owner})
            for reminder in reminders.added
        ]
        values = {name: getattr(task, name) for name in changed}
        rows = await self._sql.write(
            sa.update(TASK)
            .where(owned(TASK, owner), TASK.c.id == task.id, TASK.c.updated_at == read_at)
            .values(**values, updated_at=task.updated_at)
            .returning(*TASK.c),
            [*follow_ups, *outbox_inserts(*events)],
        )
        return from_row(Task, TASK, rows[0]) if rows else None

    async def remove(self, owner: int, task_id: int, events: Sequence[Event]) -> bool:
        """Delete the task (its reminders go with it) and store the events; False when it
        was gone already."""
        rows = await self._sql.write(
            sa.delete(TASK).where(owned(TASK, owner), TASK.c.id == task_id).returning(TASK.c.id),
            outbox_inserts(*events),
        )
        return bool(rows)

    async def reminder(self, owner: int, reminder_id: int) -> Reminder | None:
        rows = await self._sql.fetch(
            sa.select(REMINDER).where(owned(REMINDER, owner), REMINDER.c.id == reminder_id)
        )
        return from_row(Reminder, REMINDER, rows[0]) if rows else None

    async def reminder_of_any_owner(self, reminder_id: int) -> Reminder | None:
        """The reminder whoever owns it (a job coming due names only its id); None when it is
        gone or nobody owns it yet."""
        rows = await self._sql.fetch(
            sa.select(REMINDER).where(
                REMINDER.c.id == reminder_id, REMINDER.c.owner_id.is_not(None)
            )
        )
        return from_row(Reminder, REMINDER, rows[0]) if rows else None

    async def reminders(
        self,
        owner: int,
        task_id: int | None,
        status: ReminderStatus | None,
        limit: int,
        offset: int,
    ) -> list[Reminder]:
        """One page of the owner's matching reminders, soonest first."""
        statement = (
            sa.select(REMINDER)
            .where(*_reminder_conditions(owner, task_id, status))
            .order_by(REMINDER.c.scheduled_at, REMINDER.c.id)
            .limit(limit)
            .offset(offset)
        )
        return from_rows(Reminder, REMINDER, await self._sql.fetch(statement))

    async def count_reminders(
        self, owner: int, task_id: int | None, status: ReminderStatus | None
    ) -> int:
        rows = await self._sql.fetch(
            sa.select(sa.func.count())
            .select_from(REMINDER)
            .where(*_reminder_conditions(owner, task_id, status))
        )
        return int(rows[0][0])

    async def pending_after(self, after: Cursor | None, limit: int) -> list[Reminder]:
        """Pending reminders of every owner after `after` in (scheduled_at, id) order, soonest
        first. One nobody owns yet waits for the first admin."""
        statement = sa.select(REMINDER).where(
            REMINDER.c.status == ReminderStatus.PENDING, REMINDER.c.owner_id.is_not(None)
        )
        statement = _page_after(statement, REMINDER.c.scheduled_at, REMINDER.c.id, after, limit)
        return from_rows(Reminder, REMINDER, await self._sql.fetch(statement))

    async def pending_reminders(self, owner: int, task_id: int) -> list[Reminder]:
        rows = await self._sql.fetch(
            sa.select(REMINDER).where(
                owned(REMINDER, owner),
                REMINDER.c.task_id == task_id,
                REMINDER.c.status == ReminderStatus.PENDING,
            )
        )
        return from_rows(Reminder, REMINDER, rows)

    async def pending_of_tasks(self, owner: int, task_ids: list[int]) -> list[Reminder]:
        rows = await self._sql.fetch(
            sa.select(REMINDER).where(
                owned(REMINDER, owner),
                REMINDER.c.task_id.in_(task_ids),
                REMINDER.c.status == ReminderStatus.PENDING,
            )
        )
        return from_rows(Reminder, REMINDER, rows)

    async def add_reminder(
        self, owner: int, reminder: Reminder, events: Sequence[Event]
    ) -> Reminder | None:
        """Insert `reminder` with its events while its task exists (it may be deleted
        meanwhile) and is the owner's; None when it is not."""
        values = {**values_of(reminder, REMINDER), "owner_id": owner}
        row = sa.select(
            *[sa.literal(value, REMINDER.c[name].type) for name, value in values.items()]
        ).where(sa.exists().where(owned(TASK, owner), TASK.c.id == reminder.task_id))
        rows = await self._sql.write(
            sa.insert(REMINDER).from_select(list(values), row).returning(*REMINDER.c),
            outbox_inserts(*events),
        )
        return from_row(Reminder, REMINDER, rows[0]) if rows else None

    async def remove_reminder(self, owner: int, reminder_id: int, events: Sequence[Event]) -> bool:
        """Delete the reminder and store the events; False when it was gone already."""
        rows = await self._sql.write(
            sa.delete(REMINDER)
            .where(owned(REMINDER, owner), REMINDER.c.id == reminder_id)
            .returning(REMINDER.c.id),
            outbox_inserts(*events),
        )
        return bool(rows)

    async def mark_sent(
        self,
        owner: int,
        reminder_id: int,
        armed_for: datetime,
        fired_at: datetime,
        late: bool,
        events: Sequence[Event],
    ) -> bool:
        """Pending -> sent, with the events, while the reminder is pending for `armed_for`;
        False when it is not (sent already, cancelled, moved or gone)."""
        rows = await self._sql.write(
            _still_armed(reminder_id, armed_for)
            .where(owned(REMINDER, owner))
            .values(status=ReminderStatus.SENT, sent_at=fired_at, late=late)
            .returning(REMINDER.c.id),
            outbox_inserts(*events),
        )
        return bool(rows)

    async def count_retry(self, reminder_id: int, armed_for: datetime, at: datetime) -> None:
        """One more delivery attempt, failed or taken up again `at`, while the reminder
        (whoever owns it) is pending for `armed_for`."""
        await self._sql.write(
            _still_armed(reminder_id, armed_for).values(
                retry_count=REMINDER.c.retry_count + 1, retried_at=at
            )
        )


def _count(conditions: Sequence[sa.ColumnElement[bool]]) -> sa.Select[int]:
    return sa.select(sa.func.count()).select_from(TASK).where(*conditions)


def _conditions(query: TaskQuery) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if query.status is not None:
        conditions.append(TASK.c.status == query.status)
    if query.priority is not None:
        conditions.append(TASK.c.priority == query.priority)
    if query.tags:
        conditions.append(tags_contain(TASK.c.tags, list(query.tags)))
    if query.due_before is not None:
        conditions.append(TASK.c.due_date < query.due_before)
    if query.due_after is not None:
        conditions.append(TASK.c.due_date > query.due_after)
    if query.text:
        conditions.append(text_matches(query.text))
    return conditions


def _reminder_conditions(
    owner: int, task_id: int | None, status: ReminderStatus | None
) -> list[sa.ColumnElement[bool]]:
    conditions = [owned(REMINDER, owner)]
    if task_id is not None:
        conditions.append(REMINDER.c.task_id == task_id)
    if status is not None:
        conditions.append(REMINDER.c.status == status)
    return conditions


def _update_pending_reminder(owner: int, reminder_id: int, **values: object) -> sa.Update:
    """Change a reminder only while it is pending: one that already fired stays as it was."""
    return (
        sa.update(REMINDER)
        .where(
            owned(REMINDER, owner),
            REMINDER.c.id == reminder_id,
            REMINDER.c.status == ReminderStatus.PENDING,
        )
        .values(**values)
    )


def _still_armed(reminder_id: int, armed_for: datetime) -> sa.Update:
    """An update of the reminder only while it is pending for the time `armed_for`."""
    return sa.update(REMINDER).where(
        REMINDER.c.id == reminder_id,
        REMINDER.c.status == ReminderStatus.PENDING,
        REMINDER.c.scheduled_at == armed_for,
    )


def _page_after(
    statement: sa.Select[Any],
    at: sa.ColumnElement[datetime],
    key: sa.ColumnElement[int],
    after: Cursor | None,
    limit: int,
) -> sa.Select[Any]:
    """The next `limit` rows in (at, key) order after the cursor `after` (a keyset page)."""
    if after is not None:
        moment, last = after
        statement = statement.where(sa.or_(at > moment, sa.and_(at == moment, key > last)))
    return statement.order_by(at, key).limit(limit)
