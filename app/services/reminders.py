"""Reminder use cases: list, add, remove, and mark sent once when one fires."""

import asyncio
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from app.domain.enums import ReminderStatus, TaskStatus
from app.domain.events import new_event, reminder_event
from app.domain.models import Reminder
from app.domain.offsets import format_offset, parse_offset
from app.domain.queries import DEFAULT_LIMIT
from app.ports import Clock, Event, Sql, utc_now
from app.services.errors import Invalid, NotFound
from app.services.outbox import outbox_inserts
from app.services.rows import allocate_id, from_row, from_rows
from app.services.tasks import REMINDER, REMINDER_COLUMNS, TASK, TaskService

# A reminder that fires this long after its time tells the user it is late.
LATE_AFTER_SECONDS = 10

JOB_PREFIX = "reminder-"

# Where a page of pending reminders ends: (scheduled_at, id) of its last one.
PendingCursor = tuple[datetime, int]


def job_name(reminder_id: int) -> str:
    """The name of the one job that fires reminder `reminder_id`."""
    return f"{JOB_PREFIX}{reminder_id}"


def reminder_of_job(name: str) -> int | None:
    number = name.removeprefix(JOB_PREFIX)
    return int(number) if name.startswith(JOB_PREFIX) and number.isdigit() else None


class ReminderService:
    def __init__(
        self,
        sql: Sql,
        tasks: TaskService,
        events_written: Callable[[], None],
        clock: Clock = utc_now,
    ):
        self._sql = sql
        self._tasks = tasks
        self._events_written = events_written
        self._clock = clock

    async def find(
        self,
        task_id: int | None = None,
        status: ReminderStatus | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> list[Reminder]:
        """One page of the matching reminders, soonest first."""
        statement = (
            sa.select(*REMINDER_COLUMNS)
            .where(*_conditions(task_id, status))
            .order_by(REMINDER.c.scheduled_at, REMINDER.c.id)
            .limit(limit)
            .offset(offset)
        )
        return from_rows(Reminder, await self._sql.fetch(statement))

    async def _count(self, task_id: int | None = None, status: ReminderStatus | None = None) -> int:
        rows = await self._sql.fetch(
            sa.select(sa.func.count()).select_from(REMINDER).where(*_conditions(task_id, status))
        )
        return int(rows[0][0])

    async def page(
        self, task_id: int | None, status: ReminderStatus | None, limit: int, offset: int
    ) -> tuple[list[Reminder], int]:
        """A page and the total, read side by side."""
        return await asyncio.gather(
            self.find(task_id, status, limit, offset), self._count(task_id, status)
        )

    async def pending_after(self, cursor: PendingCursor | None, limit: int) -> list[Reminder]:
        """Pending reminders after `cursor` in (scheduled_at, id) order, soonest first."""
        statement = sa.select(*REMINDER_COLUMNS).where(REMINDER.c.status == ReminderStatus.PENDING)
        if cursor is not None:
            at, reminder_id = cursor
            statement = statement.where(
                sa.or_(
                    REMINDER.c.scheduled_at > at,
                    sa.and_(REMINDER.c.scheduled_at == at, REMINDER.c.id > reminder_id),
                )
            )
        statement = statement.order_by(REMINDER.c.scheduled_at, REMINDER.c.id).limit(limit)
        return from_rows(Reminder, await self._sql.fetch(statement))

    async def get(self, reminder_id: int) -> Reminder:
        rows = await self._sql.fetch(
            sa.select(*REMINDER_COLUMNS).where(REMINDER.c.id == reminder_id)
        )
        if not rows:
            raise NotFound("reminder", reminder_id)
        return from_row(Reminder, rows[0])

    async def create(self, task_id: int, offset: str) -> Reminder:
        task = await self._tasks.get(task_id)
        try:
            delta = parse_offset(offset)
        except ValueError as error:
            raise Invalid("reminder_offset", str(error)) from error
        if task.due_date is None:
            raise Invalid("task_id", f"task {task_id} has no due date to be reminded of")
        if task.status == TaskStatus.COMPLETED:
            raise Invalid("task_id", f"task {task_id} is completed")
        now = self._clock()
        reminder = Reminder(
            id=await allocate_id(self._sql, "reminder"),
            task_id=task_id,
            reminder_offset=format_offset(delta),
            scheduled_at=task.due_date - delta,
            status=ReminderStatus.PENDING,
            created_at=now,
        )
        rows = await self._sql.write(
            # Only while the task still exists: it may be deleted meanwhile.
            sa.insert(REMINDER)
            .from_select(
                [column.name for column in REMINDER_COLUMNS],
                sa.select(
                    *[sa.literal(getattr(reminder, c.name), c.type) for c in REMINDER_COLUMNS]
                ).where(sa.exists().where(TASK.c.id == task_id)),
            )
            .returning(*REMINDER_COLUMNS),
            outbox_inserts(reminder_event("reminder.scheduled", reminder)),
        )
        if not rows:
            raise NotFound("task", task_id)
        self._events_written()
        return from_row(Reminder, rows[0])

    async def delete(self, reminder_id: int) -> None:
        reminder = await self.get(reminder_id)
        follow_ups = []
        if reminder.status == ReminderStatus.PENDING:
            follow_ups = outbox_inserts(reminder_event("reminder.cancelled", reminder))
        rows = await self._sql.write(
            sa.delete(REMINDER).where(REMINDER.c.id == reminder_id).returning(REMINDER.c.id),
            follow_ups,
        )
        if not rows:
            raise NotFound("reminder", reminder_id)
        self._events_written()

    async def mark_sent(self, topic: str, event: Event) -> None:
        """Handle reminder.triggered: pending -> sent exactly once, then tell the board. A
        trigger for another time than the reminder's current one is stale and does nothing."""
        armed_for = datetime.fromisoformat(event["scheduled_at"])
        try:
            reminder = await self.get(int(event["reminder_id"]))
            task = await self._tasks.get(reminder.task_id)
        except NotFound:
            return
        if reminder.status != ReminderStatus.PENDING or reminder.scheduled_at != armed_for:
            return
        fired_at = datetime.fromisoformat(event["fired_at"])
        late = (fired_at - reminder.scheduled_at).total_seconds() > LATE_AFTER_SECONDS
        sent = new_event(
            "reminder.sent",
            task_id=task.id,
            correlation_id=event.get("correlation_id"),
            reminder_id=reminder.id,
            title=task.title,
            due_date=task.due_date.isoformat() if task.due_date else None,
            scheduled_at=reminder.scheduled_at.isoformat(),
            fired_at=fired_at.isoformat(),
            late=late,
        )
        rows = await self._sql.write(
            _still_armed(reminder.id, armed_for)
            .values(status=ReminderStatus.SENT, sent_at=fired_at, late=late)
            .returning(REMINDER.c.id),
            outbox_inserts(sent),
        )
        if rows:
            self._events_written()

    async def count_retry(self, reminder_id: int, armed_for: datetime) -> None:
        """One more attempt at delivering the reminder, while it still waits for that time."""
        await self._sql.fetch(
            _still_armed(reminder_id, armed_for).values(retry_count=REMINDER.c.retry_count + 1)
        )


def _still_armed(reminder_id: int, armed_for: datetime) -> sa.Update:
    """An update of the reminder only while it is pending for the time `armed_for`."""
    return sa.update(REMINDER).where(
        REMINDER.c.id == reminder_id,
        REMINDER.c.status == ReminderStatus.PENDING,
        REMINDER.c.scheduled_at == armed_for,
    )


def _conditions(task_id: int | None, status: ReminderStatus | None) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if task_id is not None:
        conditions.append(REMINDER.c.task_id == task_id)
    if status is not None:
        conditions.append(REMINDER.c.status == status)
    return conditions
